-- What each digest run carried, per story. digest_story_sent keeps only the latest run of a
-- story; when a run reaches nobody, the story's sent mark goes back to the last run that
-- reached someone, which needs this history.
CREATE TABLE digest_run_stories (
    run_id       INTEGER NOT NULL REFERENCES digest_runs(id) ON DELETE CASCADE,
    story_id     INTEGER NOT NULL,
    item_count   INTEGER NOT NULL,
    source_count INTEGER NOT NULL,
    PRIMARY KEY (run_id, story_id)
) WITHOUT ROWID;

-- Runs recorded before: what digest_story_sent still says about them.
INSERT OR IGNORE INTO digest_run_stories (run_id, story_id, item_count, source_count)
    SELECT run_id, story_id, item_count, source_count FROM digest_story_sent;
