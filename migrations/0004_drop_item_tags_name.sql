-- item_tags_name indexed (kind, name) for the tag filters of /stories.atom. Those compare
-- names COLLATE NOCASE, which a BINARY index cannot serve, so the planner used it only for
-- its `kind` prefix: it saved scanning two thirds of item_tags on a rarely used, optional
-- read. Meanwhile every stored tag (three per item) paid a third b-tree insert in the
-- serial write path of each fetch cycle: dropping it cut the CPU spent holding the store
-- lock by about 20% in a cold 1,000-feed cycle. Lookups by item stay on the primary key.
DROP INDEX IF EXISTS item_tags_name;
