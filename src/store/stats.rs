//! Read-only queries for the daemon's observability: feeds by state, the fetch-log tail that
//! feeds the in-memory fetch counters, and the recent stories behind `/stories.atom`.
//! Nothing here writes.

use chrono::{DateTime, Utc};
use rusqlite::params;

use super::{Store, from_ts};
use crate::model::StoryId;

/// One fetch-log line as the metrics see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchSample {
    pub id: i64,
    pub outcome: String,
    pub duration_ms: u64,
}

/// Which stories `/stories.atom` lists. Tag names match case-insensitively.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoryFilter {
    pub company: Option<String>,
    pub model: Option<String>,
    pub person: Option<String>,
    /// Stories reported by at least this many distinct feeds.
    pub min_sources: u32,
}

/// A story id with its freshness and breadth, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoryHeader {
    pub story: StoryId,
    /// When the story last gained an item.
    pub updated: DateTime<Utc>,
    pub sources: u32,
}

impl Store {
    /// Number of feeds in each state (`active`, `failing`, `gone`, `removed`).
    pub fn feed_state_counts(&self) -> anyhow::Result<Vec<(String, i64)>> {
        let mut stmt = self
            .conn()
            .prepare("SELECT state, COUNT(*) FROM feeds GROUP BY state ORDER BY state")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The newest fetch-log id (0 when empty): where the metrics start counting.
    pub fn max_fetch_log_id(&self) -> anyhow::Result<i64> {
        Ok(self
            .conn()
            .query_row("SELECT COALESCE(MAX(id), 0) FROM fetch_log", [], |r| {
                r.get(0)
            })?)
    }

    /// Fetch-log lines written after `after_id`, oldest first.
    pub fn fetch_log_after(&self, after_id: i64) -> anyhow::Result<Vec<FetchSample>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT id, outcome, duration_ms FROM fetch_log WHERE id > ?1 ORDER BY id",
        )?;
        let rows = stmt.query_map([after_id], |r| {
            Ok(FetchSample {
                id: r.get(0)?,
                outcome: r.get(1)?,
                duration_ms: r.get::<_, i64>(2)?.max(0) as u64,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The stories that most recently gained an item, filtered, newest first.
    pub fn recent_stories(
        &self,
        filter: &StoryFilter,
        limit: usize,
    ) -> anyhow::Result<Vec<StoryHeader>> {
        // Each tag filter is an uncorrelated subquery, evaluated once; a NULL filter is off.
        let mut stmt = self.conn().prepare_cached(
            "SELECT i.story_id, MAX(i.first_seen_at), COUNT(DISTINCT i.feed_id) AS sources
             FROM items i
             WHERE i.story_id IS NOT NULL
               AND (?1 IS NULL OR i.story_id IN (SELECT j.story_id FROM items j JOIN item_tags t ON t.item_id = j.id
                                                 WHERE t.kind = 'company' AND t.name = ?1 COLLATE NOCASE))
               AND (?2 IS NULL OR i.story_id IN (SELECT j.story_id FROM items j JOIN item_tags t ON t.item_id = j.id
                                                 WHERE t.kind = 'model' AND t.name = ?2 COLLATE NOCASE))
               AND (?3 IS NULL OR i.story_id IN (SELECT j.story_id FROM items j JOIN item_tags t ON t.item_id = j.id
                                                 WHERE t.kind = 'person' AND t.name = ?3 COLLATE NOCASE))
             GROUP BY i.story_id
             HAVING sources >= ?4
             ORDER BY MAX(i.first_seen_at) DESC, i.story_id DESC
             LIMIT ?5",
        )?;
        let rows = stmt.query_map(
            params![
                filter.company,
                filter.model,
                filter.person,
                filter.min_sources,
                limit as i64
            ],
            |r| {
                Ok(StoryHeader {
                    story: r.get(0)?,
                    updated: from_ts(r.get(1)?),
                    sources: r.get(2)?,
                })
            },
        )?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::FeedConfig;
    use crate::model::{ParsedEntry, Tags};

    fn feed(url: &str) -> FeedConfig {
        FeedConfig::new(url, None)
    }

    fn entry(key: &str) -> ParsedEntry {
        crate::store::testing::entry(key)
    }

    fn place(s: &mut Store, item: i64, story: i64) {
        let d = crate::store::testing::placement(item, story);
        s.assign_stories(&[d], Utc::now()).unwrap();
    }

    #[test]
    fn stories_filter_by_tag_and_sources() {
        let mut s = Store::open_in_memory().unwrap();
        let now = Utc::now();
        let rows = s
            .sync_feeds(&[feed("https://a.test/f"), feed("https://b.test/f")], now)
            .unwrap();
        let openai = Tags {
            companies: vec!["OpenAI".into()],
            ..Tags::default()
        };
        let a = s
            .insert_items(
                rows[0].id,
                &[(entry("1"), openai), (entry("2"), Tags::default())],
                now,
            )
            .unwrap();
        let b = s
            .insert_items(rows[1].id, &[(entry("3"), Tags::default())], now)
            .unwrap();
        place(&mut s, a[0], 1);
        place(&mut s, b[0], 1);
        place(&mut s, a[1], 2);
        let all = s.recent_stories(&StoryFilter::default(), 10).unwrap();
        assert_eq!(all.len(), 2);
        let company = StoryFilter {
            company: Some("openai".into()),
            ..StoryFilter::default()
        };
        let hits = s.recent_stories(&company, 10).unwrap();
        assert_eq!(hits.len(), 1);
        assert_eq!((hits[0].story, hits[0].sources), (1, 2));
        let broad = StoryFilter {
            min_sources: 2,
            ..StoryFilter::default()
        };
        assert_eq!(s.recent_stories(&broad, 10).unwrap().len(), 1);
        assert_eq!(
            s.feed_state_counts().unwrap(),
            vec![("active".to_string(), 2)]
        );
    }
}
