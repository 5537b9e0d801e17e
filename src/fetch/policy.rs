//! Pure scheduling policy: back-off after errors, Retry-After, cache hints, the adaptive poll
//! interval, jitter, permanent-redirect trust and the per-host slow-down after repeated 429s.
//!
//! Nothing here reads the clock, the network or a random source: `now` and the jitter draw
//! (a number in `[-1, 1]`) are arguments, so every rule is a unit test without sleeps.

use chrono::{DateTime, Duration, Utc};

/// How far jitter may move an interval, as a fraction of it (±10 %).
pub const JITTER_FRACTION: f64 = 0.1;

/// How many dated entries the publishing-rate estimate looks at (the newest ones).
const RATE_SAMPLE: usize = 20;

/// Consecutive 429 answers from one host before the whole host is slowed down.
pub const HOST_429_THRESHOLD: u32 = 2;

/// Lower and upper bound of a feed's poll interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IntervalBounds {
    pub min: Duration,
    pub max: Duration,
}

impl IntervalBounds {
    fn clamp(self, d: Duration) -> Duration {
        d.max(self.min).min(self.max.max(self.min))
    }
}

/// What the server and the document said about freshness; each is a lower bound for the
/// interval (never poll before the publisher says the copy can change), within the bounds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheHints {
    /// `Cache-Control: max-age`.
    pub max_age: Option<Duration>,
    /// `Expires` minus the response's `Date` (or minus now without `Date`).
    pub expires_in: Option<Duration>,
    /// RSS `<ttl>`.
    pub ttl: Option<Duration>,
}

/// Moves `d` by up to ±[`JITTER_FRACTION`]; `jitter` is a draw in `[-1, 1]`.
pub fn jittered(d: Duration, jitter: f64) -> Duration {
    let j = jitter.clamp(-1.0, 1.0) * JITTER_FRACTION;
    let ms = d.num_milliseconds() as f64 * (1.0 + j);
    Duration::milliseconds(ms.round() as i64)
}

/// The delay before retrying after `error_count` consecutive failures (1 = first failure):
/// `base · 2^(error_count − 1)` with jitter, never above `cap`. A feed is never given up:
/// at the cap it is still tried once per `cap`.
pub fn backoff_delay(error_count: u32, base: Duration, cap: Duration, jitter: f64) -> Duration {
    let exp = error_count.saturating_sub(1).min(30);
    let raw = base.checked_mul(1 << exp.min(20)).unwrap_or(cap).min(cap);
    jittered(raw, jitter).min(cap).max(Duration::seconds(1))
}

/// Parses `Retry-After` (RFC 9110 §10.2.3): delta-seconds or an HTTP date. A date in the past
/// means "now" (zero).
pub fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::seconds(secs.min(i64::MAX as u64 / 1000) as i64));
    }
    let at = parse_http_date(v)?;
    Some((at - now).max(Duration::zero()))
}

/// Parses an HTTP date (IMF-fixdate, also RFC 850 / asctime via the RFC 2822 parser).
pub fn parse_http_date(v: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc2822(v.trim())
        .ok()
        .map(|d| d.with_timezone(&Utc))
        .or_else(|| {
            chrono::NaiveDateTime::parse_from_str(v.trim(), "%A, %d-%b-%y %H:%M:%S GMT")
                .ok()
                .map(|n| n.and_utc())
        })
        .or_else(|| {
            chrono::NaiveDateTime::parse_from_str(v.trim(), "%a %b %e %H:%M:%S %Y")
                .ok()
                .map(|n| n.and_utc())
        })
}

/// Reads `Cache-Control: max-age` and `Expires` (relative to the response `Date`, so a skewed
/// server clock does not matter; `now` stands in when `Date` is missing).
pub fn cache_hints(
    cache_control: Option<&str>,
    expires: Option<&str>,
    date: Option<&str>,
    now: DateTime<Utc>,
) -> CacheHints {
    let max_age = cache_control.and_then(|cc| {
        cc.split(',').find_map(|d| {
            let (k, v) = d.trim().split_once('=')?;
            if k.trim().eq_ignore_ascii_case("max-age") {
                v.trim().trim_matches('"').parse::<i64>().ok()
            } else {
                None
            }
        })
    });
    let origin = date.and_then(parse_http_date).unwrap_or(now);
    let expires_in = expires
        .and_then(parse_http_date)
        .map(|e| (e - origin).max(Duration::zero()));
    CacheHints {
        max_age: max_age.map(|s| Duration::seconds(s.max(0))),
        expires_in,
        ttl: None,
    }
}

/// Estimates how often a feed publishes from its entries' dates: the mean gap between the
/// newest [`RATE_SAMPLE`] entries, or the time since the newest entry when that is longer
/// (a feed that went quiet is polled less). `None` with fewer than two dated entries.
pub fn publishing_gap(published: &[DateTime<Utc>], now: DateTime<Utc>) -> Option<Duration> {
    let mut dates: Vec<DateTime<Utc>> = published.iter().map(|d| (*d).min(now)).collect();
    dates.sort_unstable_by(|a, b| b.cmp(a));
    dates.dedup();
    dates.truncate(RATE_SAMPLE);
    if dates.len() < 2 {
        return None;
    }
    let newest = dates[0];
    let oldest = dates[dates.len() - 1];
    let mean = (newest - oldest) / (dates.len() as i32 - 1);
    Some(mean.max(now - newest))
}

/// The poll interval: half the publishing gap (so a new entry waits at most about half its
/// own cadence), raised to the cache hints, then kept within the bounds. Without a gap
/// estimate `fallback` (the interval in use) is kept.
pub fn poll_interval(
    gap: Option<Duration>,
    fallback: Option<Duration>,
    hints: &CacheHints,
    bounds: IntervalBounds,
) -> Duration {
    let base = gap.map(|g| g / 2).or(fallback).unwrap_or(bounds.min);
    let wanted = [Some(base), hints.max_age, hints.expires_in, hints.ttl]
        .into_iter()
        .flatten()
        .max()
        .unwrap_or(base);
    bounds.clamp(wanted)
}

/// The next fetch time for a healthy feed: `now + interval` with jitter, still within bounds.
pub fn next_poll(
    now: DateTime<Utc>,
    interval: Duration,
    bounds: IntervalBounds,
    jitter: f64,
) -> DateTime<Utc> {
    now + bounds.clamp(jittered(interval, jitter))
}

/// The wait a `Retry-After` asks for, capped (a hostile server cannot park a feed for a
/// year) and at least one second.
pub fn retry_after_delay(retry_after: Duration, cap: Duration) -> Duration {
    retry_after.min(cap).max(Duration::seconds(1))
}

/// What to do with the redirect target of a fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RedirectDecision {
    /// No permanent move seen: forget any candidate.
    Stay,
    /// A permanent move to `candidate`, seen `count` times in a row; not yet trusted.
    Candidate { candidate: String, count: u32 },
    /// The move held for `threshold` fetches: fetch `new_url` from now on.
    Move { new_url: String },
}

/// A 301/308 updates the stored URL only once the same target was seen `threshold` fetches in
/// a row, so a misconfigured server for an hour does not lose the feed's real address.
pub fn track_redirect(
    moved_to: Option<&str>,
    previous: Option<&str>,
    previous_count: u32,
    threshold: u32,
) -> RedirectDecision {
    let Some(target) = moved_to else {
        return RedirectDecision::Stay;
    };
    let count = if previous == Some(target) {
        previous_count + 1
    } else {
        1
    };
    if count >= threshold.max(1) {
        RedirectDecision::Move {
            new_url: target.to_string(),
        }
    } else {
        RedirectDecision::Candidate {
            candidate: target.to_string(),
            count,
        }
    }
}

/// After `consecutive_429` rate-limit answers in a row from one host, the whole host waits:
/// the longer of its Retry-After and one minute doubling per further 429, capped. `None`
/// below [`HOST_429_THRESHOLD`].
pub fn host_slowdown(
    now: DateTime<Utc>,
    consecutive_429: u32,
    retry_after: Option<Duration>,
    cap: Duration,
) -> Option<DateTime<Utc>> {
    if consecutive_429 < HOST_429_THRESHOLD {
        return None;
    }
    let steps = (consecutive_429 - HOST_429_THRESHOLD).min(20);
    let doubling = Duration::minutes(1).checked_mul(1 << steps).unwrap_or(cap);
    let wait = retry_after
        .unwrap_or(Duration::zero())
        .max(doubling)
        .min(cap);
    Some(now + wait)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap()
    }

    fn bounds() -> IntervalBounds {
        IntervalBounds {
            min: Duration::minutes(15),
            max: Duration::hours(6),
        }
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        let base = Duration::minutes(10);
        let cap = Duration::hours(24);
        let delays: Vec<i64> = (1..=12)
            .map(|n| backoff_delay(n, base, cap, 0.0).num_minutes())
            .collect();
        assert_eq!(
            delays,
            [10, 20, 40, 80, 160, 320, 640, 1280, 1440, 1440, 1440, 1440]
        );
        assert_eq!(backoff_delay(1000, base, cap, 1.0), cap);
        assert_eq!(backoff_delay(u32::MAX, base, cap, -1.0), cap * 9 / 10);
    }

    #[test]
    fn backoff_jitter_stays_within_ten_percent() {
        let base = Duration::minutes(10);
        let cap = Duration::hours(24);
        assert_eq!(backoff_delay(1, base, cap, 1.0), Duration::minutes(11));
        assert_eq!(backoff_delay(1, base, cap, -1.0), Duration::minutes(9));
        assert_eq!(backoff_delay(2, base, cap, 0.5), Duration::minutes(21));
    }

    #[test]
    fn retry_after_in_seconds_and_as_date() {
        assert_eq!(
            parse_retry_after("120", now()),
            Some(Duration::seconds(120))
        );
        assert_eq!(
            parse_retry_after("Sun, 01 Mar 2026 13:30:00 GMT", now()),
            Some(Duration::minutes(90))
        );
        assert_eq!(
            parse_retry_after("Sunday, 01-Mar-26 12:01:00 GMT", now()),
            Some(Duration::minutes(1))
        );
        assert_eq!(
            parse_retry_after("Sun Mar  1 12:00:30 2026", now()),
            Some(Duration::seconds(30))
        );
        assert_eq!(
            parse_retry_after("Sun, 01 Mar 2026 11:00:00 GMT", now()),
            Some(Duration::zero())
        );
        assert_eq!(parse_retry_after("soon", now()), None);
        assert_eq!(
            retry_after_delay(Duration::days(365), Duration::hours(24)),
            Duration::hours(24)
        );
    }

    #[test]
    fn cache_hints_read_max_age_and_expires_against_date() {
        let h = cache_hints(
            Some("public, max-age=3600"),
            Some("Sun, 01 Mar 2026 14:00:00 GMT"),
            Some("Sun, 01 Mar 2026 10:00:00 GMT"),
            now(),
        );
        assert_eq!(h.max_age, Some(Duration::hours(1)));
        assert_eq!(h.expires_in, Some(Duration::hours(4)));
        let h = cache_hints(Some("no-cache"), Some("0"), None, now());
        assert_eq!(h, CacheHints::default());
    }

    #[test]
    fn hourly_feed_polls_more_often_than_monthly() {
        let hourly: Vec<_> = (0..10).map(|h| now() - Duration::hours(h)).collect();
        let monthly: Vec<_> = (0..10).map(|m| now() - Duration::days(30 * m)).collect();
        let none = CacheHints::default();
        let gap = publishing_gap(&hourly, now());
        assert_eq!(gap, Some(Duration::hours(1)));
        assert_eq!(
            poll_interval(gap, None, &none, bounds()),
            Duration::minutes(30)
        );
        let gap = publishing_gap(&monthly, now());
        assert_eq!(
            poll_interval(gap, None, &none, bounds()),
            Duration::hours(6)
        );
        // Every minute: held at the lower bound.
        let busy: Vec<_> = (0..10).map(|m| now() - Duration::minutes(m)).collect();
        let gap = publishing_gap(&busy, now());
        assert_eq!(
            poll_interval(gap, None, &none, bounds()),
            Duration::minutes(15)
        );
    }

    #[test]
    fn quiet_feed_slows_down_and_undated_keeps_fallback() {
        // Hourly posts that stopped 4 hours ago: polled every 2 hours.
        let dates: Vec<_> = (4..14).map(|h| now() - Duration::hours(h)).collect();
        let gap = publishing_gap(&dates, now());
        assert_eq!(
            poll_interval(gap, None, &CacheHints::default(), bounds()),
            Duration::hours(2)
        );
        assert_eq!(publishing_gap(&[now()], now()), None);
        assert_eq!(
            poll_interval(
                None,
                Some(Duration::hours(1)),
                &CacheHints::default(),
                bounds()
            ),
            Duration::hours(1)
        );
    }

    #[test]
    fn hints_raise_interval_within_bounds() {
        let hourly: Vec<_> = (0..10).map(|h| now() - Duration::hours(h)).collect();
        let gap = publishing_gap(&hourly, now());
        let ttl = CacheHints {
            ttl: Some(Duration::minutes(90)),
            ..CacheHints::default()
        };
        assert_eq!(
            poll_interval(gap, None, &ttl, bounds()),
            Duration::minutes(90)
        );
        let max_age = CacheHints {
            max_age: Some(Duration::days(2)),
            ..CacheHints::default()
        };
        assert_eq!(
            poll_interval(gap, None, &max_age, bounds()),
            Duration::hours(6)
        );
        let expires = CacheHints {
            expires_in: Some(Duration::hours(3)),
            ..CacheHints::default()
        };
        assert_eq!(
            poll_interval(gap, None, &expires, bounds()),
            Duration::hours(3)
        );
    }

    #[test]
    fn next_poll_jitters_within_bounds() {
        let i = Duration::hours(1);
        assert_eq!(
            next_poll(now(), i, bounds(), 1.0),
            now() + Duration::minutes(66)
        );
        assert_eq!(
            next_poll(now(), i, bounds(), -1.0),
            now() + Duration::minutes(54)
        );
        assert_eq!(
            next_poll(now(), Duration::hours(6), bounds(), 1.0),
            now() + Duration::hours(6)
        );
        assert_eq!(
            next_poll(now(), Duration::minutes(15), bounds(), -1.0),
            now() + Duration::minutes(15)
        );
    }

    #[test]
    fn permanent_redirect_is_trusted_after_threshold() {
        let b = "https://b.example/feed";
        assert_eq!(track_redirect(None, Some(b), 2, 3), RedirectDecision::Stay);
        assert_eq!(
            track_redirect(Some(b), None, 0, 3),
            RedirectDecision::Candidate {
                candidate: b.into(),
                count: 1
            }
        );
        assert_eq!(
            track_redirect(Some(b), Some("https://c.example/"), 2, 3),
            RedirectDecision::Candidate {
                candidate: b.into(),
                count: 1
            }
        );
        assert_eq!(
            track_redirect(Some(b), Some(b), 2, 3),
            RedirectDecision::Move { new_url: b.into() }
        );
    }

    #[test]
    fn host_slows_down_after_repeated_429() {
        let cap = Duration::hours(24);
        assert_eq!(host_slowdown(now(), 1, Some(Duration::hours(1)), cap), None);
        assert_eq!(
            host_slowdown(now(), 2, None, cap),
            Some(now() + Duration::minutes(1))
        );
        assert_eq!(
            host_slowdown(now(), 4, Some(Duration::seconds(30)), cap),
            Some(now() + Duration::minutes(4))
        );
        assert_eq!(
            host_slowdown(now(), 3, Some(Duration::hours(2)), cap),
            Some(now() + Duration::hours(2))
        );
        assert_eq!(host_slowdown(now(), 60, None, cap), Some(now() + cap));
    }
}
