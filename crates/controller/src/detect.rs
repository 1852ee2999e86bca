//! Failure detection, the IO of the failover machine: the alarm's state (the
//! alarm family's observation), the operator's probes, the Route 53 health check status
//! when it is needed, and the target's endpoints while a move verifies.

use std::time::Duration;

use warmstandby_api::{DetectionStatus, FailoverPolicySpec};
use warmstandby_aws::families::public_dns::health_check_failing;
use warmstandby_aws::{AwsContext, AwsError};
use warmstandby_core::failover::Memory;
use warmstandby_core::families::alarm::ObservedAlarm;
use warmstandby_core::families::public_dns::{DesiredPublicDns, ObservedPublicDns};
use warmstandby_core::stack_pass::Signals;
use warmstandby_core::stack_pass::memory::verifying;

use crate::probe::probe_round;

/// Detection sources the policy enables.
fn sources(policy: &FailoverPolicySpec) -> Vec<&'static str> {
    let d = &policy.detection;
    let mut out = Vec::new();
    if d.cloud_watch_alarm {
        out.push("alarm");
    }
    if d.route53_health_check {
        out.push("healthCheck");
    }
    if d.probes.enabled {
        out.push("probes");
    }
    out
}

/// The URLs the probes check: the policy's, else the stack's endpoints.
pub fn probe_urls(policy: &FailoverPolicySpec, global: &DesiredPublicDns, api_path: &str) -> Vec<String> {
    let p = &policy.detection.probes;
    vec![
        p.api_url.clone().unwrap_or_else(|| format!("https://{}{api_path}", global.api_fqdn)),
        p.web_url.clone().unwrap_or_else(|| format!("https://{}/", global.web_fqdn)),
    ]
}

/// What this pass sees of the active region's health. The Route 53 health
/// check status costs a call, so it is read only to confirm another source
/// (or when it is the only one): the alarm watches that same health check.
async fn failing_sources(
    aws: &AwsContext,
    policy: Option<&FailoverPolicySpec>,
    memory: &Memory,
    (global, alarm): (&ObservedPublicDns, Option<&ObservedAlarm>),
    desired_global: &DesiredPublicDns,
    api_path: &str,
) -> Result<(Vec<String>, DetectionStatus, usize), AwsError> {
    let mut detection = memory.detection.clone();
    let Some(policy) = policy else { return Ok((Vec::new(), detection, 0)) };
    let enabled = sources(policy);
    let mut failing = Vec::new();
    if policy.detection.cloud_watch_alarm && alarm.is_some_and(ObservedAlarm::is_firing) {
        failing.push("alarm".to_string());
    }
    if policy.detection.probes.enabled {
        let p = &policy.detection.probes;
        let ok = probe_round(
            &probe_urls(policy, desired_global, api_path),
            Duration::from_secs(u64::try_from(p.timeout_seconds).unwrap_or(3)),
        )
        .await;
        if ok {
            detection.probe_successes += 1;
            if detection.probe_successes >= p.recovery_threshold {
                detection.probe_failures = 0;
            }
        } else {
            detection.probe_failures += 1;
            detection.probe_successes = 0;
        }
        if detection.probe_failures >= p.failure_threshold {
            failing.push("probes".to_string());
        }
    }
    if policy.detection.route53_health_check && (!failing.is_empty() || enabled == ["healthCheck"]) {
        let active_check = global.health_checks.iter().find(|h| h.claim.is_ours()).map(|h| h.id.clone());
        if let Some(id) = active_check
            && health_check_failing(aws, &id).await?
        {
            failing.push("healthCheck".to_string());
        }
    }
    Ok((failing, detection, enabled.len()))
}

/// Everything detection finds this pass for the machine. A Route 53 health
/// check status that cannot be read is left out (the other sources decide).
pub async fn signals(
    aws: &AwsContext,
    policy: Option<&FailoverPolicySpec>,
    memory: &Memory,
    (global, alarm): (&ObservedPublicDns, Option<&ObservedAlarm>),
    desired_global: &DesiredPublicDns,
    api_path: &str,
) -> Signals {
    let (failing, detection, enabled_sources) =
        match failing_sources(aws, policy, memory, (global, alarm), desired_global, api_path).await {
            Ok(d) => d,
            Err(e) => {
                tracing::warn!(error = %e, "health check status unreadable; deciding without it");
                (Vec::new(), memory.detection.clone(), 0)
            }
        };
    let mut remembered = memory.clone();
    remembered.detection = detection.clone();
    let answers = answers(policy, &remembered, desired_global, api_path).await;
    Signals { failing, detection, enabled_sources, answers }
}

/// The target region's endpoints answer (verify step); None without probes.
async fn answers(
    policy: Option<&FailoverPolicySpec>,
    memory: &Memory,
    desired_global: &DesiredPublicDns,
    api_path: &str,
) -> [Option<bool>; 2] {
    let (Some(policy), Some(progress)) = (policy, memory.progress.as_ref()) else { return [None, None] };
    if !policy.detection.probes.enabled || !verifying(memory) {
        return [None, None];
    }
    let timeout = Duration::from_secs(u64::try_from(policy.detection.probes.timeout_seconds).unwrap_or(3));
    // After the switch the stack's names lead to the target region.
    let ok = probe_round(&probe_urls(policy, desired_global, api_path), timeout).await;
    let mut out = [None, None];
    out[progress.to.index()] = Some(ok);
    out
}
