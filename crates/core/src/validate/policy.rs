//! A FailoverPolicy.

use super::*;

pub fn validate_policy(policy: &FailoverPolicy) -> Result<FailoverPolicySpec, ValidationErrors> {
    let mut errors = ValidationErrors::default();
    let spec = &policy.spec;
    let d = &spec.detection;
    let sources = [d.route53_health_check, d.cloud_watch_alarm, d.probes.enabled].iter().filter(|on| **on).count();
    if sources == 0 {
        errors.push(
            "spec.detection",
            "enable at least one detection source (route53HealthCheck, cloudWatchAlarm or probes)",
        );
    }
    check_range(&mut errors, "spec.detection.requiredSignals", d.required_signals.into(), 1, 3);
    check_range(&mut errors, "spec.detection.debounceSeconds", d.debounce_seconds.into(), 0, 3600);
    if d.health_check_interval_seconds != 10 && d.health_check_interval_seconds != 30 {
        errors.push(
            "spec.detection.healthCheckIntervalSeconds",
            format!("must be 10 or 30, got {}", d.health_check_interval_seconds),
        );
    }
    check_range(
        &mut errors,
        "spec.detection.healthCheckFailureThreshold",
        d.health_check_failure_threshold.into(),
        1,
        10,
    );
    let p = &d.probes;
    for (field, url) in [("apiUrl", &p.api_url), ("webUrl", &p.web_url)] {
        if let Some(url) = url
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            errors
                .push(format!("spec.detection.probes.{field}"), format!("{url:?} must be an http:// or https:// URL"));
        }
    }
    check_range(&mut errors, "spec.detection.probes.intervalSeconds", p.interval_seconds.into(), 1, 3600);
    check_range(&mut errors, "spec.detection.probes.timeoutSeconds", p.timeout_seconds.into(), 1, 60);
    if p.timeout_seconds >= p.interval_seconds {
        errors.push(
            "spec.detection.probes.timeoutSeconds",
            format!("must be less than intervalSeconds ({}), got {}", p.interval_seconds, p.timeout_seconds),
        );
    }
    check_range(&mut errors, "spec.detection.probes.failureThreshold", p.failure_threshold.into(), 1, 100);
    check_range(&mut errors, "spec.detection.probes.recoveryThreshold", p.recovery_threshold.into(), 1, 100);
    check_range(&mut errors, "spec.guards.maxReplicaLagSeconds", spec.guards.max_replica_lag_seconds, 0, 86400);
    if let Some(schedule) = &spec.drill.schedule
        && schedule.split_whitespace().count() != 5
    {
        errors.push(
            "spec.drill.schedule",
            format!("{schedule:?} is not a 5-field cron expression (minute hour day month weekday)"),
        );
    }
    errors.into_result(spec.clone())
}
