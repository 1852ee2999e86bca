//! The failover machine's inputs and outputs in the stack reconcile: its
//! memory from the status, requests (a changed `spec.activeRegion`, the
//! CLI), detection signals (alarm, Route 53 health check, the operator's own
//! HTTP probes), what AWS shows of each step, and the status it leaves.

use std::time::Duration;

use warmstandby_api::{
    ANNOTATION_APPROVE_FAILOVER, DetectionStatus, FailoverPolicySpec, RegionRole, ThreeTierStack, ThreeTierStackStatus,
};
use warmstandby_aws::{AwsContext, AwsError, edge};
use warmstandby_core::desired::{DesiredDataTier, DesiredGlobalEdge, DesiredRegionEdge};
use warmstandby_core::failover::{DbView, Decision, Memory, Observation, Request, Stage};
use warmstandby_core::observed_data::ObservedDataTier;
use warmstandby_core::observed_edge::{ObservedGlobalEdge, ObservedRegionEdge};
use warmstandby_core::plan::edge::origin_id;

/// The machine's memory as the last status recorded it.
pub fn memory(stack: &ThreeTierStack) -> Memory {
    let status = stack.status.clone().unwrap_or_default();
    Memory {
        active: status.active_role.unwrap_or(stack.spec.active_region),
        epoch: status.epoch,
        progress: status.failover.clone(),
        detection: status.detection.clone().unwrap_or_default(),
    }
}

/// Without a recorded active role (a new status, the standalone CLI), AWS
/// tells: the writer with the highest epoch serves, and the epoch is the
/// highest one tagged. So a lost status never undoes a failover.
pub fn recover(memory: &mut Memory, recorded: bool, observed: &[ObservedDataTier; 2], desired: &[DesiredDataTier; 2]) {
    let writers: Vec<(RegionRole, i64)> = RegionRole::BOTH
        .into_iter()
        .filter_map(|role| {
            let i = role.index();
            observed[i]
                .databases
                .iter()
                .find(|d| d.identifier == desired[i].db_identifier && !d.is_replica())
                .map(|d| (role, d.epoch.unwrap_or(0)))
        })
        .collect();
    let tagged = writers.iter().map(|(_, e)| *e).max().unwrap_or(0);
    memory.epoch = memory.epoch.max(tagged);
    if recorded {
        return;
    }
    if let Some((role, _)) = writers.iter().max_by_key(|(_, e)| *e) {
        memory.active = *role;
    }
}

/// A planned switchover requested by changing `spec.activeRegion`, or a
/// request from the CLI (which wins).
pub fn request(stack: &ThreeTierStack, explicit: Option<Request>) -> Option<Request> {
    if explicit.is_some() {
        return explicit;
    }
    let requested = stack.status.as_ref().and_then(|s| s.requested_active_region);
    match requested {
        Some(r) if r != stack.spec.active_region => {
            Some(Request { to: stack.spec.active_region, force: false, kind: "switchover" })
        }
        _ => None,
    }
}

/// With `failback: Automatic`, the move home (to `spec.activeRegion`) once
/// replication towards it is rebuilt and caught up and nothing fails.
pub fn automatic_failback(
    stack: &ThreeTierStack,
    policy: Option<&FailoverPolicySpec>,
    memory: &Memory,
    observation: &Observation,
) -> Option<Request> {
    let policy = policy?;
    let home = stack.spec.active_region;
    let caught_up = observation.databases[home.index()]
        .as_ref()
        .is_some_and(|db| db.is_replica && db.status == "available" && db.lag_seconds == Some(0));
    (policy.failback == warmstandby_api::FailbackMode::Automatic
        && memory.progress.is_none()
        && memory.active != home
        && observation.failing.is_empty()
        && caught_up)
        .then_some(Request { to: home, force: false, kind: "failback" })
}

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
pub fn probe_urls(policy: &FailoverPolicySpec, global: &DesiredGlobalEdge, api_path: &str) -> Vec<String> {
    let p = &policy.detection.probes;
    vec![
        p.api_url.clone().unwrap_or_else(|| format!("https://{}{api_path}", global.api_fqdn)),
        p.web_url.clone().unwrap_or_else(|| format!("https://{}/", global.web_fqdn)),
    ]
}

/// One probe round: every URL must answer below 500 within the timeout.
pub async fn probe_round(urls: &[String], timeout: Duration) -> bool {
    for url in urls {
        match tokio::time::timeout(timeout, probe(url)).await {
            Ok(Ok(status)) if status < 500 => {}
            _ => return false,
        }
    }
    true
}

/// GET `url` and return the HTTP status (HTTPS with the system's roots).
async fn probe(url: &str) -> Result<u16, String> {
    if url.starts_with("https://") {
        return probe_https(url).await;
    }
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rest = url.strip_prefix("http://").ok_or_else(|| format!("{url}: not an http(s) URL"))?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let address = if authority.contains(':') { authority.to_string() } else { format!("{authority}:80") };
    let mut stream = tokio::net::TcpStream::connect(&address).await.map_err(|e| e.to_string())?;
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {authority}\r\nUser-Agent: warmstandby-probe\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.map_err(|e| e.to_string())?;
    let mut head = vec![0u8; 64];
    let n = stream.read(&mut head).await.map_err(|e| e.to_string())?;
    let line = String::from_utf8_lossy(&head[..n]);
    line.split_whitespace().nth(1).and_then(|s| s.parse().ok()).ok_or_else(|| format!("{url}: not an HTTP answer"))
}

async fn probe_https(url: &str) -> Result<u16, String> {
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_provider_and_native_roots(rustls::crypto::ring::default_provider())
        .map_err(|e| format!("TLS roots: {e}"))?
        .https_only()
        .enable_http1()
        .build();
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build::<_, http_body_util::Empty<bytes::Bytes>>(connector);
    let uri: http::Uri = url.parse().map_err(|e| format!("{url}: {e}"))?;
    let response = client.get(uri).await.map_err(|e| format!("{url}: {e}"))?;
    Ok(response.status().as_u16())
}

/// What this pass sees of the active region's health. The Route 53 health
/// check status costs a call, so it is read only to confirm another source
/// (or when it is the only one): the alarm watches that same health check.
#[allow(clippy::too_many_arguments)]
pub async fn detect(
    aws: &AwsContext,
    policy: Option<&FailoverPolicySpec>,
    memory: &Memory,
    global: &ObservedGlobalEdge,
    desired_global: &DesiredGlobalEdge,
    api_path: &str,
) -> Result<(Vec<String>, DetectionStatus, usize), AwsError> {
    let mut detection = memory.detection.clone();
    let Some(policy) = policy else { return Ok((Vec::new(), detection, 0)) };
    let enabled = sources(policy);
    let mut failing = Vec::new();
    if policy.detection.cloud_watch_alarm && global.alarm.as_ref().is_some_and(|a| a.state == "ALARM") {
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
        let active_check = global.health_checks.first().map(|h| h.id.clone());
        if let Some(id) = active_check
            && edge::dns::health_check_failing(aws, &id).await?
        {
            failing.push("healthCheck".to_string());
        }
    }
    Ok((failing, detection, enabled.len()))
}

/// What AWS shows of each region for the machine.
#[allow(clippy::too_many_arguments)]
pub fn observation(
    stack: &ThreeTierStack,
    memory: &Memory,
    failing: Vec<String>,
    enabled_sources: usize,
    data: (&[DesiredDataTier; 2], &[ObservedDataTier; 2]),
    edge: (&[DesiredRegionEdge; 2], &[ObservedRegionEdge; 2], &ObservedGlobalEdge),
    answers: [Option<bool>; 2],
    unreachable: [bool; 2],
    now: (i64, &str),
) -> Observation {
    let (dd, od) = data;
    let (de, oe, og) = edge;
    let databases = [0, 1].map(|i| {
        od[i].databases.iter().find(|d| d.identifier == dd[i].db_identifier).map(|d| DbView {
            is_replica: d.is_replica(),
            status: d.status.clone(),
            lag_seconds: d.replica_lag_seconds,
            epoch: d.epoch,
        })
    });
    let fenced = [0, 1].map(|i| {
        let api = od[i].security_groups.iter().find(|g| g.component == "security-group/api").map(|g| g.id.clone());
        od[i]
            .security_groups
            .iter()
            .find(|g| g.component == "security-group/db")
            .is_some_and(|g| !g.ingress.iter().any(|r| r.group_id.is_some() && r.group_id == api))
    });
    let full_capacity = [0, 1].map(|i| {
        de[i].tiers.iter().all(|t| {
            let spec_capacity = if t.tier == "web" { stack.spec.web.capacity } else { stack.spec.api.capacity };
            oe[i].auto_scaling_group(&t.auto_scaling_group_name).is_some_and(|a| {
                (a.spec.min, a.spec.desired, a.spec.max)
                    == (spec_capacity.min, spec_capacity.desired, spec_capacity.max)
            })
        })
    });
    let traffic = [0, 1].map(|i| {
        let region = &de[i].region;
        let api_lb = de[i].tier("api").and_then(|t| oe[i].load_balancer(&t.load_balancer_name));
        let record = og
            .records
            .iter()
            .any(|r| r.failover.as_deref() == Some("PRIMARY") && r.set_identifier.as_deref() == Some(region.as_str()));
        let origin =
            og.distribution.as_ref().is_some_and(|d| d.spec.origin_group_members.first() == Some(&origin_id(region)));
        let check =
            api_lb.is_some_and(|lb| og.health_checks.iter().any(|h| h.config.fqdn.eq_ignore_ascii_case(&lb.dns_name)));
        record && origin && check
    });
    let approved = stack
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(ANNOTATION_APPROVE_FAILOVER))
        .is_some_and(|v| v == "true" || *v == (memory.epoch + 1).to_string());
    Observation {
        now: now.0,
        now_text: now.1.to_string(),
        failing,
        enabled_sources,
        databases,
        fenced,
        unreachable,
        full_capacity,
        traffic,
        answers,
        approved,
    }
}

/// Whether the target's endpoints are probed this pass: at the verify step,
/// and already at the switch step so that verify can finish in the pass after.
pub fn verifying(memory: &Memory) -> bool {
    memory.progress.as_ref().and_then(|p| Stage::parse(&p.step)).is_some_and(Stage::traffic_moved)
}

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

/// The target region's endpoints answer (verify step); None without probes.
pub async fn answers(
    policy: Option<&FailoverPolicySpec>,
    memory: &Memory,
    desired_global: &DesiredGlobalEdge,
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

/// The machine's view without running it (observe-only passes): roles as
/// recorded, a writer outside the active region fenced.
pub fn steady(memory: &Memory, observed: &[ObservedDataTier; 2], desired: &[DesiredDataTier; 2]) -> Decision {
    let other = memory.active.other();
    let stale_writer = observed[other.index()]
        .databases
        .iter()
        .any(|d| d.identifier == desired[other.index()].db_identifier && !d.is_replica());
    Decision {
        active: memory.active,
        data_active: memory.active,
        edge_active: memory.active,
        full_capacity_everywhere: false,
        fence: stale_writer.then_some(other),
        epoch: memory.epoch,
        progress: memory.progress.clone(),
        finished: None,
        detection: memory.detection.clone(),
        events: Vec::new(),
        refusal: None,
    }
}

/// Standby readiness into the status: `StandbyReady` on every pass; a drill
/// record when one is requested (annotation or CLI) or the policy's
/// schedule is due. Returns the drill that ran, if any.
pub fn drill(
    status: &mut ThreeTierStackStatus,
    stack: &ThreeTierStack,
    policy: Option<&FailoverPolicySpec>,
    readiness: &warmstandby_core::drill::Readiness,
    requested: bool,
    now: &str,
) -> Option<warmstandby_api::FailoverRecord> {
    use warmstandby_core::conditions::{Status, set};
    let generation = stack.metadata.generation;
    let message = if readiness.ready() {
        format!("{} checks pass; predicted RTO {} s", readiness.checks, readiness.predicted_rto_seconds)
    } else {
        readiness.failures.join("; ")
    };
    set(
        &mut status.conditions,
        warmstandby_core::conditions::types::STANDBY_READY,
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
        warmstandby_core::cron::due(expr, after, seconds(now)).unwrap_or(false)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn probes_answer_for_a_live_endpoint_and_fail_for_a_dead_or_non_tls_one() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            while let Ok((mut s, _)) = listener.accept().await {
                let mut buf = [0u8; 512];
                let _ = s.read(&mut buf).await;
                let _ = s.write_all(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n").await;
            }
        });
        let t = Duration::from_secs(2);
        assert_eq!(probe(&format!("http://127.0.0.1:{port}/health")).await, Ok(503));
        assert!(!probe_round(&[format!("http://127.0.0.1:{port}/")], t).await, "5xx is a failure");
        // A TLS probe of a plain-HTTP port and of a closed port fail, never hang or panic.
        assert!(!probe_round(&[format!("https://127.0.0.1:{port}/")], t).await);
        let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap().port();
        assert!(!probe_round(&[format!("http://127.0.0.1:{closed}/")], t).await);
        assert!(!probe_round(&["ftp://127.0.0.1/".to_string()], t).await);
    }
}
