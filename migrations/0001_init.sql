-- aiwire schema, version 1. Times are unix seconds (UTC). Migrations are append-only:
-- change the schema by adding migrations/NNNN_name.sql, never by editing this file.

CREATE TABLE feeds (
    id               INTEGER PRIMARY KEY,
    config_url       TEXT NOT NULL UNIQUE,      -- the URL as written in the config: the feed's identity
    url              TEXT NOT NULL,             -- where it is fetched now (follows permanent redirects)
    name             TEXT,                      -- display name from the config
    title            TEXT,                      -- the feed's own title
    site_link        TEXT,
    state            TEXT NOT NULL DEFAULT 'active'
                     CHECK (state IN ('active', 'failing', 'gone', 'removed')),
    etag             TEXT,
    last_modified    TEXT,
    last_full_fetch_at INTEGER,
    next_fetch_at    INTEGER NOT NULL DEFAULT 0,
    interval_secs    INTEGER,
    error_count      INTEGER NOT NULL DEFAULT 0,
    last_error       TEXT,
    failing_since    INTEGER,
    last_attempt_at  INTEGER,
    last_success_at  INTEGER,
    redirect_to      TEXT,                      -- candidate new URL of a 301/308 not yet trusted
    redirect_count   INTEGER NOT NULL DEFAULT 0,
    created_at       INTEGER NOT NULL
);

CREATE TABLE fetch_log (
    id           INTEGER PRIMARY KEY,
    feed_id      INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
    at           INTEGER NOT NULL,
    url          TEXT NOT NULL,
    outcome      TEXT NOT NULL,                 -- fetched | not_modified | error | gone | rate_limited
    status       INTEGER,
    bytes        INTEGER NOT NULL DEFAULT 0,
    duration_ms  INTEGER NOT NULL DEFAULT 0,
    new_items    INTEGER NOT NULL DEFAULT 0,
    error        TEXT
);
CREATE INDEX fetch_log_feed_at ON fetch_log(feed_id, at);
CREATE INDEX fetch_log_at ON fetch_log(at);

CREATE TABLE stories (
    id           INTEGER PRIMARY KEY,
    created_at   INTEGER NOT NULL,
    merged_into  INTEGER REFERENCES stories(id)  -- set when an operator merged this story away
);

CREATE TABLE items (
    id              INTEGER PRIMARY KEY,
    feed_id         INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
    key             TEXT NOT NULL,              -- stable key from the item itself
    guid            TEXT,
    title           TEXT NOT NULL,
    link            TEXT,
    canonical_link  TEXT,
    summary         TEXT NOT NULL DEFAULT '',
    content_html    TEXT,
    language        TEXT,
    authors         TEXT NOT NULL DEFAULT '[]', -- JSON array
    published_at    INTEGER NOT NULL,
    date_source     TEXT NOT NULL CHECK (date_source IN ('feed', 'first_seen')),
    first_seen_at   INTEGER NOT NULL,
    ai_topic        INTEGER NOT NULL DEFAULT 0,
    story_id        INTEGER REFERENCES stories(id),
    cluster_signal  TEXT,                       -- why it joined its story (see `aiwire explain`)
    cluster_score   REAL,
    cluster_matched TEXT,                       -- JSON array of item ids the decision rested on
    pinned          INTEGER NOT NULL DEFAULT 0, -- an operator placed it; clustering never moves it
    UNIQUE (feed_id, key)
);
CREATE INDEX items_first_seen ON items(first_seen_at);
CREATE INDEX items_published ON items(published_at);
CREATE INDEX items_story ON items(story_id);
CREATE INDEX items_unclustered ON items(id) WHERE story_id IS NULL;

CREATE TABLE item_tags (
    item_id  INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    kind     TEXT NOT NULL CHECK (kind IN ('company', 'model', 'person')),
    name     TEXT NOT NULL,
    PRIMARY KEY (item_id, kind, name)
) WITHOUT ROWID;
CREATE INDEX item_tags_name ON item_tags(kind, name);

-- Keys of pruned items, so a feed that still lists an old item never brings it back as new.
CREATE TABLE item_tombstones (
    feed_id    INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
    key        TEXT NOT NULL,
    pruned_at  INTEGER NOT NULL,
    PRIMARY KEY (feed_id, key)
) WITHOUT ROWID;

-- One row per digest run, written before anything is sent.
CREATE TABLE digest_runs (
    id             INTEGER PRIMARY KEY,
    digest         TEXT NOT NULL,
    scheduled_for  INTEGER NOT NULL,
    created_at     INTEGER NOT NULL,
    period_from    INTEGER NOT NULL,
    period_to      INTEGER NOT NULL,
    subject        TEXT NOT NULL,
    body_html      TEXT NOT NULL,
    body_text      TEXT NOT NULL,
    body_json      TEXT NOT NULL,
    story_count    INTEGER NOT NULL,
    state          TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'failed')),
    UNIQUE (digest, scheduled_for)
);

-- Delivery of one run to one recipient: marked sent only after the transport accepted it.
CREATE TABLE digest_deliveries (
    run_id           INTEGER NOT NULL REFERENCES digest_runs(id) ON DELETE CASCADE,
    recipient        TEXT NOT NULL,
    message_id       TEXT NOT NULL,
    state            TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    last_error       TEXT,
    next_attempt_at  INTEGER NOT NULL DEFAULT 0,
    sent_at          INTEGER,
    PRIMARY KEY (run_id, recipient)
) WITHOUT ROWID;

-- Which stories a digest already carried, and how big they were then (for "updated" stories).
CREATE TABLE digest_story_sent (
    digest      TEXT NOT NULL,
    story_id    INTEGER NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
    run_id      INTEGER NOT NULL REFERENCES digest_runs(id) ON DELETE CASCADE,
    item_count  INTEGER NOT NULL,
    source_count INTEGER NOT NULL,
    PRIMARY KEY (digest, story_id)
) WITHOUT ROWID;
