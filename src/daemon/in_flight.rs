//! The refreshes in flight and when each started: a digest fires only once the refreshes
//! that started before its fire time have stored their items (an item's `first_seen` is when
//! its refresh started, so one stored after the digest read the store would fall before the
//! next period and into no digest).

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Utc};

/// Start times of the refreshes running now.
#[derive(Debug, Default)]
pub struct InFlight {
    started: Mutex<BTreeMap<(DateTime<Utc>, u64), ()>>,
    next: AtomicU64,
}

/// Marks one refresh as running until dropped.
pub struct Running<'a> {
    set: &'a InFlight,
    key: (DateTime<Utc>, u64),
}

impl InFlight {
    /// Registers a refresh that started at `at`.
    pub fn enter(&self, at: DateTime<Utc>) -> Running<'_> {
        let key = (at, self.next.fetch_add(1, Ordering::Relaxed));
        self.lock().insert(key, ());
        Running { set: self, key }
    }

    /// When the oldest refresh still running started, ignoring those that started before
    /// `not_before` (taken to be stuck: they hold nothing back).
    pub fn oldest_since(&self, not_before: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.lock()
            .range((not_before, 0)..)
            .next()
            .map(|(&(at, _), _)| at)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<(DateTime<Utc>, u64), ()>> {
        self.started.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.set.lock().remove(&self.key);
    }
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;

    #[test]
    fn the_oldest_running_refresh_is_known_until_it_ends() {
        let set = InFlight::default();
        let t0 = Utc::now();
        assert_eq!(set.oldest_since(t0 - Duration::hours(1)), None);
        let a = set.enter(t0);
        let b = set.enter(t0 + Duration::seconds(5));
        let c = set.enter(t0);
        assert_eq!(set.oldest_since(t0 - Duration::hours(1)), Some(t0));
        drop(a);
        assert_eq!(
            set.oldest_since(t0 - Duration::hours(1)),
            Some(t0),
            "c is running"
        );
        drop(c);
        assert_eq!(
            set.oldest_since(t0 - Duration::hours(1)),
            Some(t0 + Duration::seconds(5))
        );
        // Older than the bound: taken to be stuck.
        assert_eq!(set.oldest_since(t0 + Duration::seconds(6)), None);
        drop(b);
        assert_eq!(set.oldest_since(t0 - Duration::hours(1)), None);
    }
}
