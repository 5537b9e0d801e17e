//! A story already carried by a digest returns in a later run only when it grew by
//! `update_min_new_sources` outlets, marked as an update; the ledger (digest_story_sent) is
//! what remembers it, across runs and restarts.

mod support;

use std::sync::Mutex;

use aiwire::config::Config;
use aiwire::model::Tags;
use aiwire::send_digest::record_run;
use aiwire::store::Store;
use chrono::{DateTime, Duration, TimeZone, Utc};

fn report(store: &Mutex<Store>, feed: &str, key: &str, story: i64, seen: DateTime<Utc>) {
    let mut s = store.lock().unwrap();
    let id = s
        .feeds()
        .unwrap()
        .into_iter()
        .find(|f| f.name.as_deref() == Some(feed))
        .unwrap()
        .id;
    let title = format!("OpenAI ships a model ({feed})");
    let link = format!("https://example.org/{key}");
    let entry = support::entry(key, &title, &link, "", "en", seen - Duration::minutes(10));
    let ids = s
        .insert_items(id, &[(entry, Tags::default())], seen)
        .unwrap();
    let a: Vec<_> = ids
        .into_iter()
        .map(|item| aiwire::store::testing::placement(item, story))
        .collect();
    s.assign_stories(&a, seen).unwrap();
}

fn setup() -> (tempfile::TempDir, Config, Mutex<Store>) {
    let dir = tempfile::tempdir().unwrap();
    let mail = format!(
        "transport = \"file\"\ndir = \"{}\"\nfrom = \"aiwire <digest@aiwire.test>\"\n",
        dir.path().join("outbox").display()
    );
    let config = support::config(dir.path(), &mail, "to = [\"one@example.org\"]");
    let mut store = Store::open(&config.store.path).unwrap();
    store
        .sync_feeds(
            &config.feeds,
            Utc.with_ymd_and_hms(2024, 5, 1, 0, 0, 0).unwrap(),
        )
        .unwrap();
    (dir, config, Mutex::new(store))
}

/// Records a run at `t` and returns (story id, update flag) of its stories.
fn run_at(config: &Config, store: &Mutex<Store>, t: DateTime<Utc>) -> Vec<(i64, bool)> {
    let Some(run) = record_run(store, config, &config.digests[0], t, None, t).unwrap() else {
        return vec![];
    };
    let runs = store.lock().unwrap().digest_runs("daily").unwrap();
    assert_eq!(runs.last().unwrap().id, run);
    let s = store.lock().unwrap();
    let body: String = s.digest_run_json(run).unwrap();
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    v["stories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["story_id"].as_i64().unwrap(),
                s["update"].as_bool().unwrap(),
            )
        })
        .collect()
}

#[test]
fn a_sent_story_returns_only_as_an_update_after_growing() {
    let (_dir, config, store) = setup();
    let t0 = Utc.with_ymd_and_hms(2024, 5, 2, 5, 0, 0).unwrap();
    report(&store, "The Verge", "v1", 1, t0 - Duration::hours(1));
    assert_eq!(run_at(&config, &store, t0), vec![(1, false)]);
    // One more outlet: not enough (update_min_new_sources = 2); another story is new.
    let t1 = t0 + Duration::days(1);
    report(&store, "Ars Technica", "a1", 1, t1 - Duration::hours(2));
    report(&store, "heise online", "h2", 2, t1 - Duration::hours(2));
    assert_eq!(run_at(&config, &store, t1), vec![(2, false)]);
    // A third outlet: two more than when it was sent, so it returns, marked as an update.
    let t2 = t1 + Duration::days(1);
    report(&store, "The Information", "i1", 1, t2 - Duration::hours(2));
    assert_eq!(run_at(&config, &store, t2), vec![(1, true)]);
    // Carried again at 3 sources: nothing new the day after.
    let t3 = t2 + Duration::days(1);
    assert_eq!(run_at(&config, &store, t3), vec![]);
}
