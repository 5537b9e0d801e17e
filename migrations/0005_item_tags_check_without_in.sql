-- item_tags checked its kind with `kind IN ('company', 'model', 'person')`. SQLite evaluates
-- an IN list of three or more constants through an ephemeral b-tree built anew for every row
-- inserted (OpenEphemeral: a pager opened, three keys inserted, the pager closed): with three
-- tags per item that was about a fifth of the CPU spent holding the store lock in a cold
-- 1,000-feed fetch cycle (perf, `aiwire-writer` thread). The same check written with OR
-- compiles to three comparisons. SQLite cannot alter a CHECK, so the table is rebuilt.
CREATE TABLE item_tags_new (
    item_id  INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    kind     TEXT NOT NULL CHECK (kind = 'company' OR kind = 'model' OR kind = 'person'),
    name     TEXT NOT NULL,
    PRIMARY KEY (item_id, kind, name)
) WITHOUT ROWID;
INSERT INTO item_tags_new (item_id, kind, name) SELECT item_id, kind, name FROM item_tags;
DROP TABLE item_tags;
ALTER TABLE item_tags_new RENAME TO item_tags;
