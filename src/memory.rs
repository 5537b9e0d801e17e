//! Process-wide allocator tuning; the home of `libc`.
//!
//! glibc's malloc gives every thread that allocates its own arena (up to eight per core), and
//! each arena keeps the memory freed into it. aiwire allocates on a handful of threads (tokio
//! workers, the blocking pool that parses and stores, the clustering thread) whose work is
//! short-lived, so those per-thread arenas mostly hold freed pages: capping them at two cut
//! the peak RSS of a cold 1,000-feed cycle by about 5 MiB (benches/fetch_results.md) at no
//! measurable CPU cost (the threads rarely allocate at the same instant).

/// Applies the tuning; call first thing in `main`, before any thread is started.
pub fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets a malloc parameter; it is called before other threads exist.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}
