//! Digest periods and runs at their edges, through the library against a real SQLite file:
//! an item still being placed into a story when its digest fires, a fire with nothing new,
//! a digest without recipients. Time is an argument; nothing is sent over a network.

mod support;

use std::sync::Mutex;

use aiwire::config::Config;
use aiwire::model::Tags;
use aiwire::send_digest::{plan, record_due_runs, record_due_runs_settled, record_run};
use aiwire::store::Store;
use chrono::{DateTime, TimeZone, Utc};

/// A store with the support feeds and a daily 07:00 Europe/Berlin digest (05:00Z in May).
fn setup(extra: &str) -> (tempfile::TempDir, Config, Mutex<Store>) {
    let dir = tempfile::tempdir().unwrap();
    let mail = format!(
        "transport = \"file\"\ndir = \"{}\"\nfrom = \"aiwire <digest@aiwire.test>\"\n",
        dir.path().join("outbox").display()
    );
    let config = support::config(dir.path(), &mail, extra);
    let mut store = Store::open(&config.store.path).unwrap();
    store.sync_feeds(&config.feeds, at(1, 0, 0, 0)).unwrap();
    (dir, config, Mutex::new(store))
}

fn at(d: u32, h: u32, m: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 5, d, h, m, s).unwrap()
}

/// Stores item `n` of the first feed, first seen at `t`; places it into story `story` when
/// given.
fn item(store: &Mutex<Store>, n: i64, t: DateTime<Utc>, story: Option<i64>) -> i64 {
    item_of(store, 0, n, t, story)
}

/// [`item`] from feed number `feed` of the support feeds.
fn item_of(store: &Mutex<Store>, feed: usize, n: i64, t: DateTime<Utc>, story: Option<i64>) -> i64 {
    let mut s = store.lock().unwrap();
    let feed = s.feeds().unwrap()[feed].id;
    let link = format!("https://example.org/{n}");
    let e = support::entry(&format!("k{n}"), &format!("News {n}"), &link, "", "en", t);
    let id = s.insert_items(feed, &[(e, Tags::default())], t).unwrap()[0];
    drop(s);
    if let Some(story) = story {
        place(store, id, story, t);
    }
    id
}

fn place(store: &Mutex<Store>, id: i64, story: i64, t: DateTime<Utc>) {
    let placement = aiwire::store::testing::placement(id, story);
    store
        .lock()
        .unwrap()
        .assign_stories(&[placement], t)
        .unwrap();
}

/// The stories of each recorded run of the daily digest (sorted), runs in order.
fn stories_of_runs(store: &Mutex<Store>) -> Vec<Vec<i64>> {
    let s = store.lock().unwrap();
    s.digest_runs("daily")
        .unwrap()
        .iter()
        .map(|r| {
            let json: serde_json::Value =
                serde_json::from_str(&s.digest_run_json(r.id).unwrap()).unwrap();
            json["stories"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x["story_id"].as_i64().unwrap())
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect()
        })
        .collect()
}

#[test]
fn a_digest_waits_for_items_still_being_stored_or_placed_at_its_fire_time() {
    let (_dir, config, store) = setup("to = [\"one@example.org\"]");
    item(&store, 1, at(1, 4, 0, 0), Some(1));
    let mut next = plan(&store.lock().unwrap(), &config, at(1, 4, 0, 0)).unwrap();
    assert_eq!(next["daily"], at(1, 5, 0, 0));
    let runs = |store: &Mutex<Store>| store.lock().unwrap().digest_runs("daily").unwrap();

    // 07:00: a refresh that started ten seconds before is still fetching. Its items will be
    // dated 06:59:50, before the fire: the digest waits.
    let running = Some(at(1, 4, 59, 50));
    record_due_runs_settled(&store, &config, &mut next, at(1, 5, 0, 0), running);
    assert!(runs(&store).is_empty());
    assert_eq!(next["daily"], at(1, 5, 0, 0), "still due");

    // Stored, but the pipeline has not placed it yet: the digest still waits.
    let late = item(&store, 2, at(1, 4, 59, 50), None);
    record_due_runs_settled(&store, &config, &mut next, at(1, 5, 0, 6), None);
    assert!(runs(&store).is_empty());

    // Placed: the run carries it.
    place(&store, late, 2, at(1, 5, 0, 7));
    record_due_runs_settled(&store, &config, &mut next, at(1, 5, 0, 8), None);
    assert_eq!(stories_of_runs(&store), [vec![1, 2]]);
    assert_eq!(runs(&store)[0].period_to, at(1, 5, 0, 8));

    // A refresh that started after the fire time holds nothing back; nor does an item
    // stored after it and not yet placed (it goes into the next period).
    item(&store, 3, at(2, 3, 0, 0), Some(3));
    item(&store, 4, at(2, 5, 0, 2), None);
    record_due_runs_settled(
        &store,
        &config,
        &mut next,
        at(2, 5, 0, 5),
        Some(at(2, 5, 0, 1)),
    );
    assert_eq!(stories_of_runs(&store)[1], [3]);
    assert_eq!(runs(&store)[1].period_to, at(2, 5, 0, 0));

    // What has been pending for over an hour is taken to be stuck: it holds nothing back.
    item(&store, 5, at(2, 20, 0, 0), None);
    item(&store, 6, at(2, 22, 0, 0), Some(6));
    record_due_runs_settled(
        &store,
        &config,
        &mut next,
        at(3, 5, 0, 0),
        Some(at(3, 3, 0, 0)),
    );
    assert_eq!(runs(&store)[2].period_to, at(3, 5, 0, 0));
    assert_eq!(stories_of_runs(&store)[2], [6]);
}

#[test]
fn a_fire_with_nothing_new_is_not_taken_for_a_missed_one_after_a_reload() {
    let (_dir, config, store) = setup("to = [\"one@example.org\"]");
    item(&store, 1, at(1, 3, 0, 0), Some(1));
    let mut next = plan(&store.lock().unwrap(), &config, at(1, 4, 0, 0)).unwrap();
    record_due_runs(&store, &config, &mut next, at(1, 5, 0, 0));
    // Day 2, 07:00: nothing new, no run.
    record_due_runs(&store, &config, &mut next, at(2, 5, 0, 0));
    assert_eq!(store.lock().unwrap().digest_runs("daily").unwrap().len(), 1);
    item(&store, 2, at(2, 8, 0, 0), Some(2));

    // A reload (or restart) at noon plans again: the next fire is tomorrow 07:00, not a
    // catch-up of this morning's empty one.
    let mut next = plan(&store.lock().unwrap(), &config, at(2, 10, 0, 0)).unwrap();
    assert_eq!(next["daily"], at(3, 5, 0, 0));
    record_due_runs(&store, &config, &mut next, at(2, 10, 0, 0));
    assert_eq!(store.lock().unwrap().digest_runs("daily").unwrap().len(), 1);
    record_due_runs(&store, &config, &mut next, at(3, 5, 0, 0));
    assert_eq!(stories_of_runs(&store), [vec![1], vec![2]]);

    // A fire that really was missed (aiwire down at 07:00) is still caught up.
    item(&store, 3, at(3, 20, 0, 0), Some(3));
    let next = plan(&store.lock().unwrap(), &config, at(4, 9, 0, 0)).unwrap();
    assert_eq!(next["daily"], at(4, 5, 0, 0));
}

#[test]
fn a_run_that_reached_no_recipient_goes_into_the_next_run_again() {
    let (_dir, config, store) = setup("to = [\"one@example.org\", \"two@example.org\"]");
    let def = &config.digests[0];
    item(&store, 1, at(1, 3, 0, 0), Some(1));
    let first = record_run(&store, &config, def, at(1, 5, 0, 0), None, at(1, 5, 0, 0))
        .unwrap()
        .unwrap();
    // The server refuses the sender for good (535: wrong password) for both recipients.
    for to in ["one@example.org", "two@example.org"] {
        let error = "permanent error (535): 5.7.8 authentication failed";
        store
            .lock()
            .unwrap()
            .mark_delivery_failed(first, to, error, None)
            .unwrap();
    }
    // Fixed; the next day's run carries story 1 again, with the day's news.
    item(&store, 2, at(2, 3, 0, 0), Some(2));
    record_run(&store, &config, def, at(2, 5, 0, 0), None, at(2, 5, 0, 0))
        .unwrap()
        .unwrap();
    assert_eq!(stories_of_runs(&store), [vec![1], vec![1, 2]]);

    // A run that reached one recipient of two counts as sent: its stories are not repeated.
    let second = store.lock().unwrap().digest_runs("daily").unwrap()[1].id;
    let mut s = store.lock().unwrap();
    s.mark_delivery_sent(second, "one@example.org", at(2, 5, 0, 1))
        .unwrap();
    s.mark_delivery_failed(second, "two@example.org", "550 no such user", None)
        .unwrap();
    drop(s);
    item(&store, 3, at(3, 3, 0, 0), Some(3));
    record_run(&store, &config, def, at(3, 5, 0, 0), None, at(3, 5, 0, 0))
        .unwrap()
        .unwrap();
    assert_eq!(stories_of_runs(&store)[2], [3]);
}

#[test]
fn a_digest_that_cannot_be_built_is_tried_again_soon() {
    let dir = tempfile::tempdir().unwrap();
    let templates = dir.path().join("templates");
    std::fs::create_dir(&templates).unwrap();
    let broken = templates.join("digest.html");
    std::fs::write(&broken, "{% if %}broken").unwrap();
    let extra = format!(
        "to = [\"one@example.org\"]\ntemplates = \"{}\"",
        templates.display()
    );
    let (_outbox, config, store) = setup(&extra);
    item(&store, 1, at(1, 3, 0, 0), Some(1));
    let mut next = plan(&store.lock().unwrap(), &config, at(1, 4, 0, 0)).unwrap();
    record_due_runs(&store, &config, &mut next, at(1, 5, 0, 0));
    assert!(
        store
            .lock()
            .unwrap()
            .digest_runs("daily")
            .unwrap()
            .is_empty()
    );
    // Tried again in a quarter of an hour, not tomorrow.
    assert_eq!(next["daily"], at(1, 5, 15, 0));

    std::fs::remove_file(&broken).unwrap();
    record_due_runs(&store, &config, &mut next, at(1, 5, 15, 0));
    let runs = store.lock().unwrap().digest_runs("daily").unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].scheduled_for, at(1, 5, 15, 0));
    assert_eq!(next["daily"], at(2, 5, 0, 0));
}

#[test]
fn a_run_that_reached_nobody_gives_its_stories_back_their_earlier_sent_mark() {
    let extra = "to = [\"one@example.org\"]\nupdate_min_new_sources = 1";
    let (_dir, config, store) = setup(extra);
    let def = &config.digests[0];
    let run_at = |d| {
        let t = at(d, 5, 0, 0);
        record_run(&store, &config, def, t, None, t)
            .unwrap()
            .unwrap()
    };
    // Run A mails story 1 with one source.
    item_of(&store, 0, 1, at(1, 3, 0, 0), Some(1));
    let a = run_at(1);
    store
        .lock()
        .unwrap()
        .mark_delivery_sent(a, "one@example.org", at(1, 5, 0, 1))
        .unwrap();
    // Run B carries it as an update (a second outlet), and fails for good.
    item_of(&store, 1, 2, at(2, 3, 0, 0), Some(1));
    let b = run_at(2);
    let error = "permanent error (535): 5.7.8 authentication failed";
    store
        .lock()
        .unwrap()
        .mark_delivery_failed(b, "one@example.org", error, None)
        .unwrap();
    // Run C covers B's period again: story 1 is still an update of what A sent, not news.
    item_of(&store, 0, 3, at(3, 3, 0, 0), Some(3));
    let c = run_at(3);
    let json: serde_json::Value =
        serde_json::from_str(&store.lock().unwrap().digest_run_json(c).unwrap()).unwrap();
    let story = |id: i64| {
        json["stories"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["story_id"] == id)
            .unwrap_or_else(|| panic!("story {id} in {json}"))
            .clone()
    };
    assert_eq!(story(1)["update"], true, "{json}");
    assert_eq!(story(3)["update"], false, "{json}");
}
