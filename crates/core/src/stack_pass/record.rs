//! What a pass leaves in the status: the machine's results, the standby's
//! readiness and drill records.

use warmstandby_api::{DetectionStatus, FailoverPolicySpec, RegionRole, ThreeTierStack, ThreeTierStackStatus};

use crate::failover::Decision;

/// Writes the machine's results into the status.
pub fn record(
    status: &mut ThreeTierStackStatus,
    decision: &Decision,
    previous: Option<&ThreeTierStackStatus>,
    stack: &ThreeTierStack,
    request_consumed: bool,
    region_of: impl Fn(RegionRole) -> String,
) {
    status.active_role = Some(decision.active);
    status.active_region = Some(region_of(decision.active));
    status.epoch = decision.epoch;
    status.failover = decision.progress.clone();
    status.detection = Some(decision.detection.clone()).filter(|d| *d != DetectionStatus::default());
    let prior_request = previous.and_then(|s| s.requested_active_region);
    status.requested_active_region =
        if request_consumed || prior_request.is_none() { Some(stack.spec.active_region) } else { prior_request };
    status.failover_history = previous.map(|s| s.failover_history.clone()).unwrap_or_default();
    if let Some(done) = &decision.finished {
        status.failover_history.push(done.clone());
        // Keep the status small: the last 20.
        let excess = status.failover_history.len().saturating_sub(20);
        status.failover_history.drain(..excess);
    }
}

/// Seconds since the epoch of an RFC 3339 time.
pub fn seconds(now: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(now).map(|t| t.timestamp()).unwrap_or_default()
}

/// Standby readiness into the status: `StandbyReady` on every pass; a drill
/// record when one is requested (annotation or CLI) or the policy's
/// schedule is due. Returns the drill that ran, if any.
pub fn drill(
    status: &mut ThreeTierStackStatus,
    stack: &ThreeTierStack,
    policy: Option<&FailoverPolicySpec>,
    readiness: &crate::drill::Readiness,
    requested: bool,
    now: &str,
) -> Option<warmstandby_api::FailoverRecord> {
    use crate::conditions::{Status, set};
    let generation = stack.metadata.generation;
    let message = if readiness.ready() {
        format!("{} checks pass; predicted RTO {} s", readiness.checks, readiness.predicted_rto_seconds)
    } else {
        readiness.failures.join("; ")
    };
    set(
        &mut status.conditions,
        crate::conditions::types::STANDBY_READY,
        Status::from_bool(readiness.ready()),
        if readiness.ready() { "Ready" } else { "NotReady" },
        message.clone(),
        generation,
        now,
    );
    let mut d = stack.status.as_ref().and_then(|s| s.drill.clone()).unwrap_or_default();
    d.failures = readiness.failures.clone();
    d.predicted_rto_seconds = Some(readiness.predicted_rto_seconds);
    let annotation =
        stack.metadata.annotations.as_ref().and_then(|a| a.get(warmstandby_api::ANNOTATION_RUN_DRILL)).cloned();
    let on_demand = annotation.is_some() && annotation != d.last_request;
    let scheduled = policy.and_then(|p| p.drill.schedule.as_deref()).is_some_and(|expr| {
        let after = d.last_run_at.as_deref().map(seconds).unwrap_or_else(|| seconds(now) - 60);
        crate::cron::due(expr, after, seconds(now)).unwrap_or(false)
    });
    let mut ran = None;
    if on_demand || scheduled || requested {
        d.last_run_at = Some(now.to_string());
        if readiness.ready() {
            d.last_success_at = Some(now.to_string());
        }
        if on_demand {
            d.last_request = annotation;
        }
        let active = status.active_role.unwrap_or(stack.spec.active_region);
        let record = warmstandby_api::FailoverRecord {
            epoch: status.epoch,
            kind: "drill".into(),
            from: active,
            to: active.other(),
            started_at: now.to_string(),
            finished_at: now.to_string(),
            outcome: if readiness.ready() { "Succeeded" } else { "Failed" }.into(),
            rto_seconds: Some(readiness.predicted_rto_seconds as f64),
            rpo_estimate_seconds: None,
            message,
        };
        status.failover_history.push(record.clone());
        let excess = status.failover_history.len().saturating_sub(20);
        status.failover_history.drain(..excess);
        ran = Some(record);
    }
    status.drill = Some(d);
    ran
}
