-- items_unclustered (a partial index of items not yet in a story) was never chosen by the query
-- planner: `story_id IS NULL` is answered from items_story, which indexes NULLs too. It only
-- cost a write on every insert and another on every clustering decision.
DROP INDEX IF EXISTS items_unclustered;
