//! Digest scheduling with a controlled clock: the daemon's planning functions
//! (`send_digest::plan`, `record_due_runs`) are pure in `now`, so days pass in a loop without
//! sleeping. Daily 07:00 Europe/Berlin fires once a day at local 07:00 across both DST changes
//! and across restarts; three days down with catch-up on gives exactly one catch-up digest.

mod support;

use std::collections::HashMap;
use std::sync::Mutex;

use aiwire::config::Config;
use aiwire::model::Tags;
use aiwire::send_digest::{plan, record_due_runs};
use aiwire::store::Store;
use chrono::{DateTime, Duration, TimeZone, Timelike, Utc};
use chrono_tz::Europe::Berlin;

fn setup(catch_up: &str) -> (tempfile::TempDir, Config, Mutex<Store>) {
    let dir = tempfile::tempdir().unwrap();
    let mail = format!(
        "transport = \"file\"\ndir = \"{}\"\nfrom = \"aiwire <digest@aiwire.test>\"\n",
        dir.path().join("outbox").display()
    );
    let config = support::config(
        dir.path(),
        &mail,
        &format!("to = [\"one@example.org\"]\ncatch_up = \"{catch_up}\""),
    );
    let mut store = Store::open(&config.store.path).unwrap();
    store
        .sync_feeds(
            &config.feeds,
            Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap(),
        )
        .unwrap();
    (dir, config, Mutex::new(store))
}

/// One new item (its own story) first seen at `t`, so every run has something to send.
fn news_at(store: &Mutex<Store>, t: DateTime<Utc>, n: &mut i64) {
    *n += 1;
    let mut s = store.lock().unwrap();
    let feed = s.feeds().unwrap()[0].id;
    let link = format!("https://example.org/{n}");
    let entry = support::entry(&format!("k{n}"), &format!("News {n}"), &link, "", "en", t);
    let ids = s
        .insert_items(feed, &[(entry, Tags::default())], t)
        .unwrap();
    let a: Vec<_> = ids
        .into_iter()
        .map(|item| aiwire::store::testing::placement(item, *n))
        .collect();
    s.assign_stories(&a, t).unwrap();
}

/// Runs the daemon's digest step every `step` from `from` to `to`, with news every hour;
/// `restart_every` re-plans from the store as a restarted daemon would.
fn simulate(
    config: &Config,
    store: &Mutex<Store>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    restart_every: Option<Duration>,
    n: &mut i64,
) {
    let step = Duration::minutes(7);
    let mut next: HashMap<String, DateTime<Utc>> =
        plan(&store.lock().unwrap(), config, from).unwrap();
    let mut t = from;
    let mut last_news = from - Duration::hours(2);
    let mut last_restart = from;
    while t <= to {
        if t - last_news >= Duration::hours(1) {
            news_at(store, t, n);
            last_news = t;
        }
        if let Some(every) = restart_every
            && t - last_restart >= every
        {
            next = plan(&store.lock().unwrap(), config, t).unwrap();
            last_restart = t;
        }
        record_due_runs(store, config, &mut next, t);
        t += step;
    }
}

fn local_runs(store: &Mutex<Store>) -> Vec<String> {
    store
        .lock()
        .unwrap()
        .digest_runs("daily")
        .unwrap()
        .iter()
        .map(|r| {
            r.scheduled_for
                .with_timezone(&Berlin)
                .format("%Y-%m-%d %H:%M %Z")
                .to_string()
        })
        .collect()
}

#[test]
fn daily_seven_berlin_fires_once_a_day_across_spring_forward() {
    let (_dir, config, store) = setup("one");
    let mut n = 0;
    let from = Utc.with_ymd_and_hms(2024, 3, 28, 12, 0, 0).unwrap();
    let to = Utc.with_ymd_and_hms(2024, 4, 2, 12, 0, 0).unwrap();
    simulate(&config, &store, from, to, Some(Duration::hours(5)), &mut n);
    assert_eq!(
        local_runs(&store),
        vec![
            "2024-03-29 07:00 CET",
            "2024-03-30 07:00 CET",
            "2024-03-31 07:00 CEST",
            "2024-04-01 07:00 CEST",
            "2024-04-02 07:00 CEST",
        ]
    );
}

#[test]
fn daily_seven_berlin_fires_once_a_day_across_fall_back() {
    let (_dir, config, store) = setup("one");
    let mut n = 0;
    let from = Utc.with_ymd_and_hms(2024, 10, 24, 12, 0, 0).unwrap();
    let to = Utc.with_ymd_and_hms(2024, 10, 29, 12, 0, 0).unwrap();
    simulate(
        &config,
        &store,
        from,
        to,
        Some(Duration::minutes(50)),
        &mut n,
    );
    assert_eq!(
        local_runs(&store),
        vec![
            "2024-10-25 07:00 CEST",
            "2024-10-26 07:00 CEST",
            "2024-10-27 07:00 CET",
            "2024-10-28 07:00 CET",
            "2024-10-29 07:00 CET",
        ]
    );
    // Each run's period starts where the previous one ended: no item is in two digests.
    let runs = store.lock().unwrap().digest_runs("daily").unwrap();
    for w in runs.windows(2) {
        assert_eq!(w[1].period_from, w[0].period_to);
    }
}

#[test]
fn three_days_down_with_catch_up_sends_exactly_one_catch_up_digest() {
    let (_dir, config, store) = setup("one");
    let mut n = 0;
    let day = |d: u32, h: u32| Utc.with_ymd_and_hms(2024, 5, d, h, 0, 0).unwrap();
    simulate(&config, &store, day(1, 12), day(2, 12), None, &mut n); // fires 2 May 07:00
    // Down from 2 May 12:00 UTC until 5 May 14:00 UTC (news kept arriving meanwhile).
    for h in 0..74 {
        news_at(&store, day(2, 12) + Duration::hours(h), &mut n);
    }
    simulate(&config, &store, day(5, 14), day(6, 12), None, &mut n);
    let runs = store.lock().unwrap().digest_runs("daily").unwrap();
    let got: Vec<(String, String)> = runs
        .iter()
        .map(|r| {
            (
                r.scheduled_for
                    .with_timezone(&Berlin)
                    .format("%m-%d %H:%M")
                    .to_string(),
                r.created_at
                    .with_timezone(&Berlin)
                    .format("%m-%d %H:%M")
                    .to_string(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("05-02 07:00".to_string(), "05-02 07:02".to_string()),
            // One catch-up for 3, 4 and 5 May, sent at start (the 7-minute steps make the
            // recording times odd), covering all the missed news.
            ("05-05 07:00".to_string(), "05-05 16:00".to_string()),
            ("05-06 07:00".to_string(), "05-06 07:03".to_string()),
        ]
    );
    // It covers everything since the last run (74 stories, capped at max_stories = 40).
    assert_eq!(runs[1].period_from, runs[0].period_to);
    assert_eq!(runs[1].story_count, 40);
}

#[test]
fn three_days_down_with_catch_up_skip_waits_for_the_next_time() {
    let (_dir, config, store) = setup("skip");
    let mut n = 0;
    let day = |d: u32, h: u32| Utc.with_ymd_and_hms(2024, 5, d, h, 0, 0).unwrap();
    simulate(&config, &store, day(1, 12), day(2, 12), None, &mut n);
    simulate(&config, &store, day(5, 14), day(6, 12), None, &mut n);
    let runs: Vec<u32> = store
        .lock()
        .unwrap()
        .digest_runs("daily")
        .unwrap()
        .iter()
        .map(|r| r.scheduled_for.with_timezone(&Berlin).hour())
        .collect();
    assert_eq!(runs, vec![7, 7], "2 May and 6 May only");
}
