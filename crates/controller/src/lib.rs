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
    /// Set when the pass could do nothing but wait on AWS: the resources it
    /// waits on, for the next pass to read instead of everything.
    pub wait: Option<TeardownWait>,
    /// Nothing was deleted, on purpose: why (`deletionPolicy: Retain`,
    /// `managementPolicy: Observe`).
    pub left_in_aws: Option<String>,
    /// A finished teardown that deleted the rest but kept some resources on
    /// purpose: which and why (`spec.database.deletionPolicy: Retain`).
    pub retained: Option<String>,
}

impl TeardownOutcome {
    /// The object goes and its AWS resources stay: a Retain policy, or an
    /// object that only observes (it never changes AWS, not even when deleted).
    pub fn left_alone(
        deletion: warmstandby_api::DeletionPolicy,
        management: warmstandby_api::ManagementPolicy,
    ) -> Option<TeardownOutcome> {
        let why = if management == warmstandby_api::ManagementPolicy::Observe {
            "managementPolicy is Observe"
        } else if deletion == warmstandby_api::DeletionPolicy::Retain {
            "deletionPolicy is Retain"
        } else {
            return None;
        };
        Some(TeardownOutcome { finished: true, left_in_aws: Some(why.to_string()), ..Default::default() })
    }
}

/// A teardown that only waits on AWS (databases deleting, a distribution
/// deploying, NAT gateways going): what it waits on and what it reported, so
/// the next pass can read just those resources and, while none has changed,
/// report the same without observing everything again. Waiting then costs
/// about what Terraform's waiters cost: one describe per resource per poll.
#[derive(Clone, Debug, PartialEq)]
pub struct TeardownWait {
    pub on: warmstandby_api::WaitingOn,
    pub waiting: Vec<String>,
    pub remaining: usize,
}

impl TeardownWait {
    /// The wait a full pass leaves: only when it did nothing but wait, and on
    /// something AWS is still working on.
    fn after(
        pass: &TeardownOutcome,
        only_waiting: bool,
        resources: Vec<warmstandby_api::WaitedResource>,
    ) -> Option<TeardownWait> {
        (only_waiting && !pass.finished && pass.errors.is_empty() && !resources.is_empty()).then(|| TeardownWait {
            on: warmstandby_api::WaitingOn { observed_at: now_rfc3339(), resources },
            waiting: pass.waiting.clone(),
            remaining: pass.remaining,
        })
    }

    /// Reads what `previous` waits on; `Some` (the same report) while AWS is
    /// still working on every resource and the last full observation is
    /// recent, `None` when the caller should observe everything (something
    /// changed, or the read failed: the full pass reports the failure).
    async fn still_waiting(
        aws: &warmstandby_aws::AwsContext,
        previous: Option<&TeardownWait>,
    ) -> Option<TeardownOutcome> {
        let previous = previous?;
        let now = chrono::Utc::now().timestamp();
        if !warmstandby_core::stack_pass::waiting::teardown_wait_is_fresh(&previous.on.observed_at, now) {
            return None;
        }
        match warmstandby_aws::waits::still_working(aws, &previous.on.resources).await {
            Ok(Some(now)) => {
                let mut wait = previous.clone();
                wait.on.resources = now;
                Some(TeardownOutcome {
                    waiting: previous.waiting.clone(),
                    remaining: previous.remaining,
                    wait: Some(wait),
                    ..Default::default()
                })
            }
            Ok(None) => None,
            Err(e) => {
                tracing::debug!(error = %e, "reading what the teardown waits on failed; observing everything");
                None
            }
        }
    }
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

/// Takes out the calls AWS throttled even after pacing and retries (another
/// client of the account spent its budget): a throttle is never a failed
/// pass nor an error condition. Each is logged and becomes a line of what
/// the pass waits on; the next pass (paced as waiting) tries again.
pub fn set_throttles_aside(errors: Vec<warmstandby_aws::AwsError>) -> (Vec<warmstandby_aws::AwsError>, Vec<String>) {
    let (throttled, errors): (Vec<_>, Vec<_>) =
        errors.into_iter().partition(|e| e.class == warmstandby_aws::ErrorClass::Throttled);
    let waiting = throttled
        .iter()
        .map(|e| {
            tracing::info!(operation = %e.operation, code = %e.code, "AWS is rate-limiting; the next pass tries again");
            format!("AWS is rate-limiting {}; trying again", e.operation)
        })
        .collect();
    (errors, waiting)
}

/// The current time as RFC 3339, for condition transitions.
pub fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}
