//! The loopback basics every integration-test helper module shares: a free port on 127.0.0.1
//! and polling a condition until a deadline. Included by `tests/support` and
//! `tests/daemon_support` (each test crate compiles its own copy).
#![allow(dead_code)]

use std::time::{Duration, Instant};

/// A free TCP port on 127.0.0.1 (bound, then released; fine for tests).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Polls `cond` every `every` until it holds or `within` has passed; checks once more at the
/// deadline.
pub fn poll_until(within: Duration, every: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if cond() {
            return true;
        }
        std::thread::sleep(every);
    }
    cond()
}
