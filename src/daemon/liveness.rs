//! Heartbeats of the scheduler loops. The fetch loop beats on every iteration and every
//! finished feed, the digest loop on every iteration; the supervisor pings the systemd
//! watchdog (and `/healthz` answers 200) only while both beat recently, so a hung loop stops
//! the pings and systemd restarts the service.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Longest silence of the fetch loop still counted as alive. A feed fetch is bounded by the
/// fetch timeout (30 s by default) and clustering a large first batch can take a while, so
/// this is generous; a loop stuck on a lock or a hung read is still caught.
pub const FETCH_SILENCE_LIMIT: Duration = Duration::from_secs(300);
/// Longest silence of the digest loop: one delivery to a slow SMTP server legitimately takes
/// up to its timeout, and a pass beats before each delivery.
pub const DIGEST_SILENCE_LIMIT: Duration = Duration::from_secs(900);
/// The loops never sleep longer than this without beating.
pub const BEAT_EVERY: Duration = Duration::from_secs(20);

/// Which loop beats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Loop {
    Fetch,
    Digest,
}

/// Last beat of each loop, in milliseconds since `started`.
#[derive(Debug)]
pub struct Liveness {
    started: Instant,
    fetch_ms: AtomicU64,
    digest_ms: AtomicU64,
}

impl Default for Liveness {
    fn default() -> Self {
        Liveness {
            started: Instant::now(),
            fetch_ms: AtomicU64::new(0),
            digest_ms: AtomicU64::new(0),
        }
    }
}

/// Why the scheduler is not alive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stalled {
    pub which: Loop,
    pub silent_for: Duration,
}

impl std::fmt::Display for Stalled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = match self.which {
            Loop::Fetch => "fetch",
            Loop::Digest => "digest",
        };
        write!(f, "{name} loop silent for {}s", self.silent_for.as_secs())
    }
}

impl Liveness {
    fn slot(&self, which: Loop) -> &AtomicU64 {
        match which {
            Loop::Fetch => &self.fetch_ms,
            Loop::Digest => &self.digest_ms,
        }
    }

    pub fn beat(&self, which: Loop) {
        let ms = self.started.elapsed().as_millis() as u64;
        self.slot(which).store(ms, Ordering::Relaxed);
    }

    /// `Ok` when both loops beat within their limits.
    pub fn check(&self) -> Result<(), Stalled> {
        self.check_at(self.started.elapsed())
    }

    fn check_at(&self, now: Duration) -> Result<(), Stalled> {
        for (which, limit) in [
            (Loop::Fetch, FETCH_SILENCE_LIMIT),
            (Loop::Digest, DIGEST_SILENCE_LIMIT),
        ] {
            let last = Duration::from_millis(self.slot(which).load(Ordering::Relaxed));
            let silent_for = now.saturating_sub(last);
            if silent_for > limit {
                return Err(Stalled { which, silent_for });
            }
        }
        Ok(())
    }
}

/// How long a loop sleeps until `next`: never past a heartbeat (so liveness and pending work
/// are looked at regularly), never a busy spin.
pub fn wait_until(
    next: Option<chrono::DateTime<chrono::Utc>>,
    now: chrono::DateTime<chrono::Utc>,
) -> Duration {
    next.map_or(BEAT_EVERY, |t| {
        (t - now)
            .to_std()
            .unwrap_or(Duration::ZERO)
            .clamp(Duration::from_millis(100), BEAT_EVERY)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_are_bounded() {
        let now = chrono::Utc::now();
        assert_eq!(wait_until(None, now), BEAT_EVERY);
        assert_eq!(
            wait_until(Some(now - chrono::Duration::hours(1)), now),
            Duration::from_millis(100)
        );
        assert_eq!(
            wait_until(Some(now + chrono::Duration::hours(1)), now),
            BEAT_EVERY
        );
        assert_eq!(
            wait_until(Some(now + chrono::Duration::seconds(5)), now),
            Duration::from_secs(5)
        );
    }

    #[test]
    fn a_silent_loop_is_reported() {
        let l = Liveness::default();
        l.beat(Loop::Fetch);
        l.beat(Loop::Digest);
        assert!(l.check_at(Duration::from_secs(10)).is_ok());
        let err = l
            .check_at(FETCH_SILENCE_LIMIT + Duration::from_secs(1))
            .unwrap_err();
        assert_eq!(err.which, Loop::Fetch);
    }
}
