//! Per-host politeness shared by all fetches of one [`super::Fetcher`]: at most
//! `per_host_concurrency` requests in flight to one host, and a host-wide pause after
//! repeated 429 answers (the rule itself is [`super::policy::host_slowdown`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::policy;

#[derive(Debug)]
struct HostState {
    slots: Arc<Semaphore>,
    consecutive_429: u32,
    slow_until: Option<DateTime<Utc>>,
}

/// Limits and rate-limit memory per host name (lower-cased; the port is ignored, since a
/// publisher's capacity is per machine, not per port).
#[derive(Debug)]
pub struct Hosts {
    per_host: usize,
    max_wait: Duration,
    state: Mutex<HashMap<String, HostState>>,
}

impl Hosts {
    pub fn new(per_host: usize, max_wait: Duration) -> Self {
        Hosts {
            per_host: per_host.max(1),
            max_wait,
            state: Mutex::new(HashMap::new()),
        }
    }

    fn with<T>(&self, host: &str, f: impl FnOnce(&mut HostState) -> T) -> T {
        let mut map = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let st = map
            .entry(host.to_ascii_lowercase())
            .or_insert_with(|| HostState {
                slots: Arc::new(Semaphore::new(self.per_host)),
                consecutive_429: 0,
                slow_until: None,
            });
        f(st)
    }

    /// Waits for one of the host's request slots; the slot is free again when dropped.
    pub async fn acquire(&self, host: &str) -> OwnedSemaphorePermit {
        let slots = self.with(host, |st| st.slots.clone());
        slots
            .acquire_owned()
            .await
            .expect("host semaphores are never closed")
    }

    /// When the host is paused after repeated 429s, until when.
    pub fn paused_until(&self, host: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.with(host, |st| st.slow_until.filter(|t| *t > now))
    }

    /// Notes a 429 from the host; returns the host-wide pause it caused, if any.
    pub fn note_rate_limited(
        &self,
        host: &str,
        now: DateTime<Utc>,
        retry_after: Option<Duration>,
    ) -> Option<DateTime<Utc>> {
        let max_wait = self.max_wait;
        self.with(host, |st| {
            st.consecutive_429 += 1;
            let until = policy::host_slowdown(now, st.consecutive_429, retry_after, max_wait);
            if let Some(t) = until {
                st.slow_until = Some(st.slow_until.map_or(t, |old| old.max(t)));
            }
            until
        })
    }

    /// Notes an answer that was not a 429: the host's 429 streak ends.
    pub fn note_answer(&self, host: &str) {
        self.with(host, |st| st.consecutive_429 = 0);
    }
}
