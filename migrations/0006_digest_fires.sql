-- The latest fire time each digest has passed, with or without a run: a fire with nothing
-- new records no run, and without this a reload or restart took that fire for a missed one
-- and sent a catch-up digest at once, mid-day.
CREATE TABLE digest_fires (
    digest        TEXT PRIMARY KEY,
    scheduled_for INTEGER NOT NULL
);
