-- The clusterer's one-line explanation of each decision (score, the bar it was held to, the
-- closest rejected story), printed by `aiwire explain`.
ALTER TABLE items ADD COLUMN cluster_note TEXT;
