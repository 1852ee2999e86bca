//! When an object is looked at again, decided in one place.
//!
//! A pass says why it needs another look ([`Next`]); the [`Pacer`] turns that
//! into a delay, remembering per object how long it has been making progress,
//! waiting on AWS or failing. The operator maps the delay to the controller's
//! requeue; nothing else picks intervals.

use std::collections::HashMap;
use std::sync::Mutex;

use super::Duration;

/// Changes were just made: look again at once, more work may be unblocked
/// (what the CLI's `--wait` loop does; a streak of progress slows down).
pub const PROGRESS: Duration = Duration::from_millis(10);
/// First poll of something AWS is working on; doubles while it keeps waiting.
pub const AWS_POLL_FIRST: Duration = Duration::from_secs(1);
/// A long-running AWS operation (RDS, CloudFront, NAT) is polled at most this far apart.
pub const AWS_POLL_MAX: Duration = Duration::from_secs(30);
/// Progress that keeps going this many passes in a row slows down, so a
/// repair that never sticks cannot hammer AWS.
const PROGRESS_STREAK: u32 = 20;
/// Retryable failures: 2 s doubling, capped here.
const BACKOFF_MAX: Duration = Duration::from_secs(300);
/// Permanent failures (access denied, invalid parameters) are retried no faster than this.
const PERMANENT_MIN: Duration = Duration::from_secs(60);
/// Steady passes due at one grid tick are spread over at most this (and a
/// tenth of the resync interval), well inside the shared read window, so
/// they still share one AWS read per kind.
const STEADY_SPREAD: Duration = Duration::from_secs(10);
/// Another object (a stack still on a RegionPair, a stack still using a policy) must go first;
/// the operator also re-triggers the waiting object when it goes.
pub const BLOCKED: Duration = Duration::from_secs(30);

pub use warmstandby_core::next::Next;

#[derive(Clone, Copy, Debug, Default)]
struct Streaks {
    progress: u32,
    waiting: u32,
    failures: u32,
}

/// Per-object pacing memory (keys are `kind/namespace/name`).
#[derive(Debug)]
pub struct Pacer {
    resync: Duration,
    streaks: Mutex<HashMap<String, Streaks>>,
    /// Wall-clock time since the Unix epoch (a fixed one in tests).
    clock: fn() -> Duration,
}

fn wall_clock() -> Duration {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default()
}

impl Pacer {
    pub fn new(resync: Duration) -> Pacer {
        Pacer::with_clock(resync, wall_clock)
    }

    pub fn with_clock(resync: Duration, clock: fn() -> Duration) -> Pacer {
        Pacer { resync, streaks: Mutex::new(HashMap::new()), clock }
    }

    /// The next steady pass falls on the fleet's grid: the first multiple of
    /// the resync interval (since the epoch) at least half an interval away,
    /// plus a few seconds' spread by object. Objects that became steady at
    /// different times thus resync together and share their AWS reads,
    /// instead of each drifting to its own phase. The delay stays between
    /// half and one and a half intervals.
    fn steady(&self, jitter: impl Fn(Duration, u32) -> Duration) -> Duration {
        let period_ms = self.resync.as_millis().max(1);
        let now_ms = (self.clock)().as_millis();
        let tick_ms = (now_ms + period_ms / 2).div_ceil(period_ms) * period_ms;
        let until_tick = Duration::from_millis(u64::try_from(tick_ms - now_ms).unwrap_or(u64::MAX));
        until_tick + jitter((self.resync / 10).min(STEADY_SPREAD), 0)
    }

    /// The delay before the next pass of `key`; `None`: wait for a change of
    /// the object. `watch_every` (failure detection of a FailoverPolicy) caps
    /// any delay, in every phase, so detection keeps its configured cadence.
    pub fn delay(&self, key: &str, next: Next, watch_every: Option<Duration>) -> Option<Duration> {
        let delay = self.pace(key, next)?;
        Some(match watch_every {
            Some(every) => delay.min(every),
            None => delay,
        })
    }

    fn pace(&self, key: &str, next: Next) -> Option<Duration> {
        let mut all = self.streaks.lock().unwrap_or_else(|e| e.into_inner());
        let s = all.entry(key.to_string()).or_default();
        let jitter = |span: Duration, salt: u32| {
            let span_ms = u64::try_from(span.as_millis()).unwrap_or(u64::MAX).max(1);
            Duration::from_millis(
                u64::from(warmstandby_core::names::fnv1a32(format!("{key}{salt}").as_bytes())) % span_ms,
            )
        };
        match next {
            Next::Progress => {
                *s = Streaks { progress: s.progress.saturating_add(1), ..Streaks::default() };
                let over = s.progress.saturating_sub(PROGRESS_STREAK);
                Some(if over == 0 { PROGRESS } else { doubled(AWS_POLL_FIRST, over - 1, AWS_POLL_MAX) })
            }
            Next::WaitingOnAws => {
                *s = Streaks { waiting: s.waiting.saturating_add(1), ..Streaks::default() };
                Some(doubled(AWS_POLL_FIRST, s.waiting - 1, AWS_POLL_MAX))
            }
            Next::Steady => {
                *s = Streaks::default();
                Some(self.steady(jitter))
            }
            Next::Blocked => {
                *s = Streaks::default();
                Some(BLOCKED)
            }
            Next::Failed { retryable } => {
                *s = Streaks { failures: s.failures.saturating_add(1), ..Streaks::default() };
                let base = doubled(Duration::from_secs(2), s.failures - 1, BACKOFF_MAX);
                let base = if retryable { base } else { base.max(PERMANENT_MIN) };
                Some(base + jitter(Duration::from_secs(1), s.failures))
            }
            Next::AwaitChange => {
                all.remove(key);
                None
            }
        }
    }

    /// Forgets an object (it was deleted).
    pub fn forget(&self, key: &str) {
        self.streaks.lock().unwrap_or_else(|e| e.into_inner()).remove(key);
    }
}

/// `first` doubled `times` times, capped at `max`.
fn doubled(first: Duration, times: u32, max: Duration) -> Duration {
    first.saturating_mul(1u32 << times.min(16)).min(max)
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: fn(u64) -> Duration = Duration::from_secs;

    #[test]
    fn progress_is_immediate_until_it_never_stops() {
        let p = Pacer::new(S(300));
        for _ in 0..PROGRESS_STREAK {
            assert_eq!(p.delay("k", Next::Progress, None), Some(PROGRESS));
        }
        assert_eq!(p.delay("k", Next::Progress, None), Some(S(1)));
        assert_eq!(p.delay("k", Next::Progress, None), Some(S(2)));
        assert_eq!(p.delay("k", Next::WaitingOnAws, None), Some(S(1)), "a different situation starts over");
    }

    #[test]
    fn waiting_on_aws_polls_more_slowly_the_longer_it_waits() {
        let p = Pacer::new(S(300));
        let delays: Vec<_> = (0..8).map(|_| p.delay("k", Next::WaitingOnAws, None).unwrap().as_secs()).collect();
        assert_eq!(delays, [1, 2, 4, 8, 16, 30, 30, 30]);
        assert_eq!(p.delay("k", Next::Progress, None), Some(PROGRESS));
        assert_eq!(p.delay("k", Next::WaitingOnAws, None), Some(S(1)));
    }

    #[test]
    fn detection_runs_at_the_probe_interval_even_when_ready() {
        let p = Pacer::new(S(300));
        assert_eq!(p.delay("k", Next::Steady, Some(S(2))), Some(S(2)));
        assert_eq!(p.delay("k", Next::Failed { retryable: false }, Some(S(2))), Some(S(2)), "also while failing");
        assert_eq!(p.delay("k", Next::Progress, Some(S(2))), Some(PROGRESS), "progress is sooner still");
        assert_eq!(p.delay("k", Next::AwaitChange, Some(S(2))), None);
    }

    #[test]
    fn steady_resyncs_with_bounded_jitter_that_differs_by_object() {
        let p = Pacer::new(S(300));
        let a = p.delay("a", Next::Steady, None).unwrap();
        let b = p.delay("b", Next::Steady, None).unwrap();
        for d in [a, b] {
            assert!(d >= S(150) && d < S(450) + STEADY_SPREAD, "{d:?}");
        }
        assert_ne!(a, b);
    }

    #[test]
    fn objects_steady_at_different_times_resync_on_the_same_grid_tick() {
        // 1000 s after the epoch, and 1040 s: the grid ticks are every 300 s.
        let early = Pacer::with_clock(S(300), || S(1000));
        let late = Pacer::with_clock(S(300), || S(1040));
        let due = |p: &Pacer, key: &str, now: u64| S(now) + p.delay(key, Next::Steady, None).unwrap();
        for key in ["a", "b", "c"] {
            let (x, y) = (due(&early, key, 1000), due(&late, key, 1040));
            assert_eq!(x, y, "{key}: one tick whenever the object became steady");
            assert!(x >= S(1200) && x < S(1200) + STEADY_SPREAD, "{key}: the tick 1200 s, spread: {x:?}");
        }
        // Closer than half an interval to a tick: the one after it.
        let just_before = Pacer::with_clock(S(300), || S(1190));
        let d = just_before.delay("a", Next::Steady, None).unwrap();
        assert!(d >= S(310) && d < S(310) + STEADY_SPREAD, "{d:?}");
    }

    #[test]
    fn failures_back_off_per_object_and_success_resets() {
        let p = Pacer::new(S(300));
        let secs = |d: Option<Duration>| d.unwrap().as_secs();
        assert_eq!(secs(p.delay("a", Next::Failed { retryable: true }, None)), 2);
        assert_eq!(secs(p.delay("a", Next::Failed { retryable: true }, None)), 4);
        assert_eq!(secs(p.delay("b", Next::Failed { retryable: true }, None)), 2, "per object");
        assert_eq!(secs(p.delay("c", Next::Failed { retryable: false }, None)), 60, "permanent errors wait longer");
        p.delay("a", Next::Steady, None);
        assert_eq!(secs(p.delay("a", Next::Failed { retryable: true }, None)), 2);
        for _ in 0..20 {
            p.delay("a", Next::Failed { retryable: true }, None);
        }
        assert_eq!(secs(p.delay("a", Next::Failed { retryable: true }, None)), 300);
    }

    #[test]
    fn await_change_has_no_timer() {
        let p = Pacer::new(S(300));
        assert_eq!(p.delay("k", Next::AwaitChange, None), None);
        assert_eq!(p.delay("k", Next::Blocked, None), Some(BLOCKED));
    }
}
