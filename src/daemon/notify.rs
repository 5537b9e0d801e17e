//! The systemd notify protocol: READY, RELOADING, STOPPING, STATUS and WATCHDOG datagrams.
//! Every call is a no-op when `NOTIFY_SOCKET` is unset (not under systemd, or in tests that
//! do not listen); a failed send is logged at debug level and never stops the daemon.

use std::time::Duration;

use sd_notify::NotifyState;

fn send(states: &[NotifyState<'_>]) {
    if let Err(e) = sd_notify::notify(states) {
        tracing::debug!(error = %e, "cannot notify systemd");
    }
}

/// The store is open and migrated and the loops are about to start.
pub fn ready(status: &str) {
    send(&[NotifyState::Ready, NotifyState::Status(status)]);
}

/// A reload begins. systemd 253+ wants the monotonic time beside `RELOADING=1`.
pub fn reloading() {
    match NotifyState::monotonic_usec_now() {
        Ok(now) => send(&[NotifyState::Reloading, now]),
        Err(_) => send(&[NotifyState::Reloading]),
    }
}

/// A reload ended (accepted or rejected); the daemon serves again.
pub fn reloaded(status: &str) {
    ready(status);
}

pub fn stopping() {
    send(&[NotifyState::Stopping, NotifyState::Status("stopping")]);
}

pub fn status(status: &str) {
    send(&[NotifyState::Status(status)]);
}

/// One watchdog keep-alive, with the current status line.
pub fn watchdog(status: &str) {
    send(&[NotifyState::Watchdog, NotifyState::Status(status)]);
}

/// How often to ping the watchdog: half the period systemd asked for, if it asked.
pub fn watchdog_interval() -> Option<Duration> {
    sd_notify::watchdog_enabled().map(|period| period / 2)
}
