//! Reconcilers of warmstandby. The standalone CLI and the operator call the
//! same functions: `dereference -> validate -> observe -> plan -> apply ->
//! status`, where validate, plan and status are pure (`warmstandby-core`).
#![forbid(unsafe_code)]

pub mod change;
pub mod detect;
pub mod operator;
pub mod probe;
pub mod region_pair;
pub mod requeue;
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

/// Upper bound of plan/apply rounds in one pass; anything left is picked up
/// by the next pass, so a pass never runs long.
pub const MAX_ROUNDS: usize = 8;

/// What one teardown pass of an object did.
#[derive(Debug, Default)]
pub struct TeardownOutcome {
    /// Nothing owned by the object is left.
    pub finished: bool,
    pub applied: Vec<String>,
    /// The changes made, typed (deletions, mostly).
    pub changes: Vec<change::Change>,
    pub waiting: Vec<String>,
    pub errors: Vec<warmstandby_aws::AwsError>,
    /// Owned resources still present.
    pub remaining: usize,
}

/// Chooses rustls' process-wide crypto provider. The AWS SDK links
/// `aws-lc-rs` and the Kubernetes client `ring`, so rustls cannot pick one by
/// itself and the first TLS client built without a provider panics. Every
/// entry point (the binary, the test harnesses) calls this before any client
/// is made; calling it again is harmless.
pub fn install_crypto_provider() {
    // Err only means a provider is already installed, which is what we want.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

impl TeardownOutcome {
    /// When the next teardown pass should come.
    pub fn next(&self) -> requeue::Next {
        use requeue::Next;
        if self.finished {
            Next::AwaitChange
        } else if !self.errors.is_empty() {
            Next::Failed { retryable: self.errors.iter().all(|e| e.class.is_retryable()) }
        } else if !self.applied.is_empty() {
            Next::Progress
        } else {
            Next::WaitingOnAws
        }
    }
}

/// The current time as RFC 3339, for condition transitions.
pub fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}
