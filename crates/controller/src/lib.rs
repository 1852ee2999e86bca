//! Reconcilers of warmstandby. The standalone CLI and the operator call the
//! same functions: `dereference -> validate -> observe -> plan -> apply ->
//! status`, where validate, plan and status are pure (`warmstandby-core`).
#![forbid(unsafe_code)]

pub mod failover;
pub mod operator;
pub mod region_pair;
pub mod stack;

use std::time::Duration;

/// What a reconcile pass may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Intent {
    /// Observe, repair and create.
    Apply,
    /// Observe and report only (`status`, or `spec.paused`).
    Observe,
}

/// Requeue intervals by situation.
pub mod requeue {
    use super::Duration;
    /// Steady state: look for drift again.
    pub const STEADY: Duration = Duration::from_secs(300);
    /// Changes were just made or AWS is busy with something we started.
    pub const PROGRESS: Duration = Duration::from_secs(5);
    /// A retryable AWS error.
    pub const RETRY: Duration = Duration::from_secs(30);
}

/// Upper bound of plan/apply rounds in one pass; anything left is picked up
/// by the next pass, so a pass never runs long.
pub const MAX_ROUNDS: usize = 8;

/// What one teardown pass of an object did.
#[derive(Debug, Default)]
pub struct TeardownOutcome {
    /// Nothing owned by the object is left.
    pub finished: bool,
    pub applied: Vec<String>,
    pub waiting: Vec<String>,
    pub errors: Vec<warmstandby_aws::AwsError>,
    /// Owned resources still present.
    pub remaining: usize,
}

/// The current time as RFC 3339, for condition transitions.
pub fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}
