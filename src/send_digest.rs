//! Use case: build one digest run and deliver it exactly once. The run (content, recipients)
//! is recorded before anything is sent; each delivery is marked sent only after the transport
//! accepted it; a restart resumes pending deliveries instead of building a second run.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Mutex;

use anyhow::Context;
use chrono::{DateTime, Duration, Utc};
use sha2::{Digest as _, Sha256};

use crate::config::{CatchUp, Config, DigestConfig};
use crate::digest::render::{Rendered, Templates, render};
use crate::digest::{Digest, DigestInput, FeedHealth, Period, build};
use crate::mail::{Mailer, Outgoing, SendError};
use crate::schedule::Schedule;
use crate::store::{FeedState, NewDigestRun, Store, lock};

/// Builds the digest as it would be sent now, without changing any state. With `since`, the
/// digest covers that span before `now` and includes stories sent before (a preview of the
/// span); without it, the period starts where this digest's last run ended, and stories it
/// already carried return only as updates.
pub fn preview(
    store: &Store,
    config: &Config,
    def: &DigestConfig,
    since: Option<Duration>,
    now: DateTime<Utc>,
) -> anyhow::Result<(Digest, Rendered)> {
    let (from, already_sent) = match since {
        Some(d) => (now - d, HashMap::new()),
        None => (
            store
                .last_digest_period_end(&def.name)?
                .unwrap_or(now - def.max_age.as_chrono()),
            store.sent_story_sources(&def.name)?,
        ),
    };
    // The daemon calls this only once the items first seen before `now` are in stories
    // ([`record_due_runs_settled`]); the commands place pending items first.
    let period = Period { from, to: now };
    let fresh = store.items_first_seen_between(period.from, period.to)?;
    let mut stories: Vec<i64> = fresh.iter().filter_map(|i| i.story_id).collect();
    stories.sort_unstable();
    stories.dedup();
    let items = store.items_of_stories(&stories)?;
    let failing_feeds = failing_feeds(store, now - def.feed_health_after.as_chrono())?;
    let input = DigestInput {
        items: &items,
        feeds: &config.feeds,
        already_sent: &already_sent,
        failing_feeds: &failing_feeds,
    };
    let digest = build(def, input, period, now);
    let tz = Schedule::parse(&def.schedule, &def.timezone)?.timezone();
    let folder = def.templates.as_ref().map(|t| {
        if t.is_relative() {
            config.source.parent().unwrap_or(Path::new(".")).join(t)
        } else {
            t.clone()
        }
    });
    let templates = folder
        .as_deref()
        .map_or(Templates::Builtin, Templates::Folder);
    let rendered = render(&digest, &def.subject, tz, templates)?;
    Ok((digest, rendered))
}

/// How long an item not yet in a story, or a refresh still running, holds a due digest back
/// (see [`record_due_runs_settled`]). The clustering pipeline places a feed's items seconds
/// to minutes after they were stored (`first_seen` is when the refresh started); what is
/// pending for longer is taken to be stuck and holds nothing back (such an item is left out,
/// as before).
pub const PLACEMENT_GRACE: Duration = Duration::hours(1);

/// Feeds failing since before `cutoff` (or gone), for the digest's health footer.
fn failing_feeds(store: &Store, cutoff: DateTime<Utc>) -> anyhow::Result<Vec<FeedHealth>> {
    Ok(store
        .feeds()?
        .into_iter()
        .filter(|f| matches!(f.state, FeedState::Failing | FeedState::Gone))
        .filter_map(|f| {
            let since = f.failing_since?;
            (since <= cutoff).then(|| FeedHealth {
                name: f.display_name(),
                failing_since: since,
                last_error: f.last_error.clone(),
            })
        })
        .collect())
}

/// Records a run for `scheduled_for` when the digest has content. Returns the run id, or
/// `None` when there was nothing to send or the run was recorded before.
pub fn record_run(
    store: &Mutex<Store>,
    config: &Config,
    def: &DigestConfig,
    scheduled_for: DateTime<Utc>,
    since: Option<Duration>,
    now: DateTime<Utc>,
) -> anyhow::Result<Option<i64>> {
    let (digest, rendered) = preview(&lock(store), config, def, since, now)?;
    if digest.stories.is_empty() {
        tracing::info!(digest = %def.name, "nothing new for this digest; no run recorded");
        return Ok(None);
    }
    let run = NewDigestRun {
        digest: def.name.clone(),
        scheduled_for,
        period_from: digest.period.from,
        period_to: digest.period.to,
        subject: rendered.subject.clone(),
        html: rendered.html,
        text: rendered.text,
        json: rendered.json,
        stories: digest
            .stories
            .iter()
            .map(|s| (s.story_id, s.items.len() as i64, s.source_count as i64))
            .collect(),
        recipients: def
            .to
            .iter()
            .map(|to| {
                let id = message_id(&def.name, scheduled_for, to, &config.mail.from);
                (to.clone(), id)
            })
            .collect(),
    };
    let id = lock(store).record_digest_run(&run, now)?;
    if let Some(id) = id {
        tracing::info!(digest = %def.name, run = id, stories = digest.stories.len(), "digest run recorded");
    }
    Ok(id)
}

/// A Message-ID that is the same for every attempt of one delivery.
/// The domain is the sender's (RFC 5322 asks for a globally unique right-hand side; the
/// sender's domain is the best one aiwire knows).
fn message_id(digest: &str, scheduled_for: DateTime<Utc>, to: &str, from: &str) -> String {
    let h = Sha256::digest(format!("{digest}\0{}\0{to}", scheduled_for.timestamp()).as_bytes());
    let domain = from
        .rsplit_once('@')
        .map(|(_, d)| d.trim_end_matches('>').trim())
        .filter(|d| {
            !d.is_empty()
                && d.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        })
        .unwrap_or("aiwire.invalid");
    format!(
        "aiwire.{}.{}@{domain}",
        scheduled_for.format("%Y%m%d%H%M"),
        &hex::encode(h)[..16]
    )
}

/// What one delivery pass did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct DeliveryReport {
    pub sent: usize,
    pub retrying: usize,
    pub failed: usize,
    /// Files written by the file transport.
    pub files: Vec<std::path::PathBuf>,
}

/// Deliveries the transport accepted that the store could not record as sent (a full disk,
/// a database locked past its timeout). A caller that makes delivery passes again and again
/// (the daemon) keeps one across passes, so that such a delivery is recorded once the store
/// takes writes again instead of being sent again at every pass.
#[derive(Debug, Default)]
pub struct Unrecorded(HashSet<(i64, String)>);

impl Unrecorded {
    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Delivers every pending delivery that is due; transient failures retry with back-off
/// (1, 2, 4 … minutes, at most 1 hour; given up after 48 attempts), permanent ones are reported.
/// One pass on its own: see [`deliver_pending_remembering`] for repeated passes.
pub async fn deliver_pending(
    store: &Mutex<Store>,
    mailer: &Mailer,
    config: &Config,
    now: DateTime<Utc>,
) -> anyhow::Result<DeliveryReport> {
    deliver_pending_remembering(
        store,
        mailer,
        config,
        now,
        &mut Unrecorded::default(),
        || {},
    )
    .await
}

/// [`deliver_pending`], remembering in `unrecorded` the deliveries that were accepted but
/// could not be recorded as sent: the pass stops there with an error (the store refuses
/// writes), and a later pass records them without sending them again. `progress` is called
/// before each delivery (the daemon's liveness beat: a pass to many recipients over a slow
/// server may take longer than the watchdog allows a silent loop).
pub async fn deliver_pending_remembering(
    store: &Mutex<Store>,
    mailer: &Mailer,
    config: &Config,
    now: DateTime<Utc>,
    unrecorded: &mut Unrecorded,
    mut progress: impl FnMut(),
) -> anyhow::Result<DeliveryReport> {
    let pending = lock(store).pending_deliveries(now)?;
    let mut report = DeliveryReport::default();
    for d in pending {
        progress();
        let key = (d.run_id, d.recipient.clone());
        if unrecorded.0.contains(&key) {
            lock(store)
                .mark_delivery_sent(d.run_id, &d.recipient, now)
                .with_context(|| unrecorded_error(&d.digest, &d.recipient))?;
            unrecorded.0.remove(&key);
            tracing::info!(digest = %d.digest, to = %d.recipient, "digest delivery recorded as sent (it was accepted earlier)");
            report.sent += 1;
            continue;
        }
        let msg = Outgoing {
            to: d.recipient.clone(),
            subject: d.subject.clone(),
            html: d.html.clone(),
            text: d.text.clone(),
            message_id: d.message_id.clone(),
        };
        match mailer.send(&config.mail.from, &msg).await {
            Ok(file) => {
                report.files.extend(file);
                if let Err(e) = lock(store).mark_delivery_sent(d.run_id, &d.recipient, now) {
                    unrecorded.0.insert(key);
                    return Err(e.context(unrecorded_error(&d.digest, &d.recipient)));
                }
                tracing::info!(digest = %d.digest, to = %d.recipient, "digest delivered");
                report.sent += 1;
            }
            Err(SendError::Transient(e)) if d.attempts < 48 => {
                let wait = Duration::minutes(1i64 << d.attempts.min(6)).min(Duration::hours(1));
                lock(store).mark_delivery_failed(d.run_id, &d.recipient, &e, Some(now + wait))?;
                tracing::warn!(digest = %d.digest, to = %d.recipient, error = %e, retry_in = %wait, "digest delivery failed; will retry");
                report.retrying += 1;
            }
            Err(e) => {
                lock(store).mark_delivery_failed(d.run_id, &d.recipient, &e.to_string(), None)?;
                tracing::error!(
                    digest = %d.digest,
                    to = %d.recipient,
                    transport = ?config.mail.transport,
                    host = config.mail.host.as_deref().unwrap_or("-"),
                    error = %e,
                    "digest delivery failed permanently; fix [mail] or the address and reload \
                     (a run that reached no recipient goes into the next run again; \
                     `aiwire digest --send` sends one now)"
                );
                report.failed += 1;
            }
        }
    }
    Ok(report)
}

fn unrecorded_error(digest: &str, recipient: &str) -> String {
    format!(
        "digest {digest:?} was accepted for {recipient} but could not be recorded as sent \
         (is the disk full or the database locked?); aiwire records it once the database \
         takes writes again and does not send it again meanwhile (a restart before then \
         would send it once more)"
    )
}

/// A fire time missed by at most this much (a restart around the scheduled time) is sent
/// whatever the catch-up policy says: it is late, not missed.
pub const ON_TIME_GRACE: Duration = Duration::minutes(15);

/// When a digest fires next, given the scheduled time of its last recorded run. Pure.
///
/// Runs missed while aiwire was down (a fire time after `last_scheduled` and not after `now`)
/// collapse into one catch-up run at the latest missed time when the policy is
/// [`CatchUp::One`], sent at once; with [`CatchUp::Skip`] (or on the very first start, with no
/// run recorded) the next fire time after `now` is used, unless the latest missed time is
/// within [`ON_TIME_GRACE`].
pub fn next_fire(
    schedule: &Schedule,
    last_scheduled: Option<DateTime<Utc>>,
    catch_up: CatchUp,
    now: DateTime<Utc>,
) -> DateTime<Utc> {
    let missed = last_scheduled
        .and_then(|l| schedule.next_after(l).map(|next| (l, next)))
        .filter(|(_, next)| *next <= now);
    let latest_missed = missed.and_then(|(last, _)| schedule.last_at_or_before(now, now - last));
    match (latest_missed, catch_up) {
        (Some(at), CatchUp::One) => at,
        (Some(at), CatchUp::Skip) if now - at <= ON_TIME_GRACE => at,
        _ => schedule
            .next_after(now)
            .unwrap_or(now + Duration::days(3650)),
    }
}

/// Next fire time of every digest, from the last recorded run (see [`next_fire`]).
pub fn plan(
    store: &Store,
    config: &Config,
    now: DateTime<Utc>,
) -> anyhow::Result<HashMap<String, DateTime<Utc>>> {
    let mut next = HashMap::new();
    for def in &config.digests {
        let schedule = Schedule::parse(&def.schedule, &def.timezone)?;
        let last = store.last_scheduled_run(&def.name)?;
        next.insert(
            def.name.clone(),
            next_fire(&schedule, last, def.catch_up, now),
        );
    }
    Ok(next)
}

/// Records a run for every digest whose next fire time has come and moves its fire time on.
/// A digest that cannot be built is logged and tried again after [`BUILD_RETRY`].
pub fn record_due_runs(
    store: &Mutex<Store>,
    config: &Config,
    next: &mut HashMap<String, DateTime<Utc>>,
    now: DateTime<Utc>,
) {
    record_due_runs_settled(store, config, next, now, None);
}

/// [`record_due_runs`] for a daemon whose refreshes may still be storing and placing items:
/// a fire time counts as come only once every refresh that started before it has stored its
/// items (`running_since`: when the oldest refresh still running started) and every item
/// first seen before it is in a story. Items are dated by the start of their refresh, so one
/// stored or placed after the digest read the store would fall before the next period. What
/// has been pending longer than [`PLACEMENT_GRACE`] is taken to be stuck and holds nothing
/// back.
pub fn record_due_runs_settled(
    store: &Mutex<Store>,
    config: &Config,
    next: &mut HashMap<String, DateTime<Utc>>,
    now: DateTime<Utc>,
    running_since: Option<DateTime<Utc>>,
) {
    // The digest loop calls this every few seconds; the store is asked only when a fire
    // time has come.
    if !next.values().any(|&at| at <= now) {
        return;
    }
    let unplaced = lock(store)
        .earliest_unplaced_since(now - PLACEMENT_GRACE)
        .unwrap_or_else(|e| {
            tracing::warn!(error = %format!("{e:#}"), "cannot look for items still being placed");
            None
        });
    let settled = [running_since, unplaced]
        .into_iter()
        .flatten()
        .filter(|&t| t > now - PLACEMENT_GRACE)
        .map(|t| t - Duration::seconds(1))
        .fold(now, DateTime::min);
    let now = settled;
    for def in &config.digests {
        let Some(at) = next.get(&def.name).copied() else {
            continue;
        };
        if at > now {
            continue;
        }
        match record_run(store, config, def, at, None, now) {
            Ok(Some(_)) => {}
            // Nothing new: remember the fire, or planning after a reload or restart would
            // take it for a missed one and send a catch-up digest at once.
            Ok(None) => {
                if let Err(e) = lock(store).record_digest_fire(&def.name, at) {
                    tracing::warn!(digest = %def.name, error = %format!("{e:#}"), "cannot record an empty digest fire");
                }
            }
            Err(e) => {
                // Retried soon (a locked store, a template being edited), not only at the next
                // fire time, a week away for a weekly digest; the retry is recorded for the
                // time it runs.
                let retry = now + BUILD_RETRY;
                tracing::error!(digest = %def.name, error = %format!("{e:#}"), retry_at = %retry, "cannot build digest; trying again");
                next.insert(def.name.clone(), retry.min(following(def, at, now)));
                continue;
            }
        }
        next.insert(def.name.clone(), following(def, at, now));
    }
}

/// How soon a digest that could not be built is tried again (at most until its next fire).
pub const BUILD_RETRY: Duration = Duration::minutes(15);

/// The digest's first fire time after both `at` (the one just handled) and `now`.
fn following(def: &DigestConfig, at: DateTime<Utc>, now: DateTime<Utc>) -> DateTime<Utc> {
    Schedule::parse(&def.schedule, &def.timezone)
        .ok()
        .and_then(|s| s.next_after(now.max(at)))
        .unwrap_or(at + Duration::days(3650))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn utc(d: u32, h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2024, 5, d, h, m, 0).unwrap()
    }

    #[track_caller]
    fn check(
        last: Option<DateTime<Utc>>,
        policy: CatchUp,
        now: DateTime<Utc>,
        want: DateTime<Utc>,
    ) {
        let s = Schedule::parse("0 7 * * *", "UTC").unwrap();
        assert_eq!(
            next_fire(&s, last, policy, now),
            want,
            "{last:?} {policy:?} {now}"
        );
    }

    #[test]
    fn next_fire_cases() {
        // First start: no catch-up, the next fire time.
        check(None, CatchUp::One, utc(2, 12, 0), utc(3, 7, 0));
        // Nothing missed.
        check(
            Some(utc(2, 7, 0)),
            CatchUp::One,
            utc(2, 12, 0),
            utc(3, 7, 0),
        );
        // Three days missed: one catch-up at the latest missed time, now.
        check(
            Some(utc(2, 7, 0)),
            CatchUp::One,
            utc(5, 12, 0),
            utc(5, 7, 0),
        );
        check(
            Some(utc(2, 7, 0)),
            CatchUp::Skip,
            utc(5, 12, 0),
            utc(6, 7, 0),
        );
        // Restarted 10 minutes after the fire time: late, not missed, even with skip.
        check(
            Some(utc(4, 7, 0)),
            CatchUp::Skip,
            utc(5, 7, 10),
            utc(5, 7, 0),
        );
        check(
            Some(utc(4, 7, 0)),
            CatchUp::Skip,
            utc(5, 7, 20),
            utc(6, 7, 0),
        );
    }
}
