//! Planning the public DNS: the health check and the public records (the
//! api's failover pair, the web alias to the CDN family's distribution, the
//! certificates family's validation records). They point at regional ones,
//! and the active region decides which.

use warmstandby_api::{DriftItem, GLOBAL_REGION, RegionRole};

use super::{
    CLOUDFRONT_ZONE_ID, DnsAction, DnsInputs, DnsPlan, HealthCheckConfig, RECORD_TTL, RecordAction, RecordSpec,
    marker_name,
};
use crate::compare::diff;
use crate::identity::{Claim, adoption_refused};
use crate::plan::Place;
use crate::servers::observed::ObservedLoadBalancer;

fn api_lb<'a>(inputs: &DnsInputs<'a>, role: RegionRole) -> Option<&'a ObservedLoadBalancer> {
    inputs.api[role.index()]
}

/// Plans the public DNS; returns the health check the stack's records and
/// its alarm (the alarm family's) should use now: `None` while it is being
/// created or adopted.
pub fn plan_public_dns(plan: &mut DnsPlan, inputs: &DnsInputs<'_>) -> Option<String> {
    let g = inputs.desired;
    let o = inputs.observed;
    let health_check_id = plan_health_check(plan, inputs);
    // Records: validation CNAMEs, the api failover pair and the web alias.
    let Some(zone) = &o.zone else {
        if g.manage_zone {
            plan.push(Place::Global, DnsAction::CreatePublicZone { name: g.zone_name.clone() });
        } else {
            plan.blocked.push(format!(
                "public hosted zone {} not found; create it or set spec.domain.manageZone: true",
                g.zone_name
            ));
        }
        return health_check_id;
    };
    let mut desired: Vec<RecordSpec> = Vec::new();
    // Validation records for the certificates the stack requested (the
    // certificates family's: an adopted one's are its owner's, left as they are).
    let mut validation_names = Vec::new();
    for (name, value) in &inputs.validation_records {
        validation_names.push(name.clone());
        desired.push(RecordSpec::plain(name.clone(), "CNAME", RECORD_TTL, value));
    }
    let api_fqdn = g.api_fqdn.to_lowercase();
    let mut api_ready = true;
    for role in [g.active, g.active.other()] {
        let primary = role == g.active;
        match (api_lb(inputs, role), primary, &health_check_id) {
            (Some(lb), false, _) | (Some(lb), true, Some(_)) => desired.push(RecordSpec {
                name: api_fqdn.clone(),
                rtype: "A".into(),
                set_identifier: Some(g.regions[role.index()].clone()),
                failover: Some(if primary { "PRIMARY" } else { "SECONDARY" }.into()),
                alias: Some((lb.dns_name.to_lowercase(), lb.zone_id.clone(), true)),
                health_check_id: if primary { health_check_id.clone() } else { None },
                ttl: None,
                values: Vec::new(),
            }),
            _ => api_ready = false,
        }
    }
    if !api_ready {
        plan.waiting.push(format!("{api_fqdn} waits for both api load balancers and the health check"));
    }
    match &inputs.distribution {
        Some(domain) => desired.push(RecordSpec {
            name: g.web_fqdn.to_lowercase(),
            rtype: "A".into(),
            set_identifier: None,
            failover: None,
            alias: Some((domain.to_lowercase(), CLOUDFRONT_ZONE_ID.into(), false)),
            health_check_id: None,
            ttl: None,
            values: Vec::new(),
        }),
        None => plan.waiting.push(format!("{} waits for the distribution", g.web_fqdn)),
    }

    plan_records(plan, inputs, zone.id.as_str(), &desired, &validation_names);
    // Stale health checks (after a type or interval change) go once unused.
    for h in o.health_checks.iter().filter(|h| h.claim == Claim::Created) {
        let current = health_check_id.as_deref() == Some(h.id.as_str());
        let referenced = o.records.iter().any(|r| r.health_check_id.as_deref() == Some(h.id.as_str()))
            || inputs.alarm_health_check.as_deref() == Some(h.id.as_str());
        if !current && !referenced && health_check_id.is_some() {
            plan.push(Place::Global, DnsAction::DeleteHealthCheck { id: h.id.clone() });
        }
    }
    health_check_id
}

/// The health check on the active region's api load balancer; its ID once it exists.
pub(super) fn plan_health_check(plan: &mut DnsPlan, inputs: &DnsInputs<'_>) -> Option<String> {
    let g = inputs.desired;
    let o = inputs.observed;
    let active_api = api_lb(inputs, g.active);
    let hc_want = active_api.map(|lb| HealthCheckConfig {
        fqdn: lb.dns_name.clone(),
        https: g.health_check.https,
        port: g.health_check.port,
        path: g.health_check.path.clone(),
        interval_seconds: g.health_check.interval_seconds,
        failure_threshold: g.health_check.failure_threshold,
    });
    if let Some(id) = &g.health_check.adopt {
        return plan_adopted_health_check(plan, inputs, id, hc_want.as_ref());
    }
    match &hc_want {
        None => plan.waiting.push("the health check waits for the active api load balancer".into()),
        Some(want) => {
            let reference = g.owner.health_check_reference(&want.immutable_key());
            match o.health_checks.iter().find(|h| h.caller_reference == reference) {
                None => plan.push(
                    Place::Global,
                    DnsAction::CreateHealthCheck {
                        caller_reference: reference,
                        name: g.health_check.name.clone(),
                        config: want.clone(),
                    },
                ),
                Some(have) => {
                    let items = diff(GLOBAL_REGION, "HealthCheck", &have.id, &want.fields(), &have.config.fields());
                    if !items.is_empty() {
                        plan.push(
                            Place::Global,
                            DnsAction::UpdateHealthCheck { id: have.id.clone(), config: want.clone() },
                        );
                    }
                    plan.drift.extend(items);
                    return Some(have.id.clone());
                }
            }
        }
    }
    None
}

/// The health check `spec.healthCheck.adopt` names: adopted first (never
/// created), then changed to the spec where Route 53 can change it; its ID
/// once it is ours.
fn plan_adopted_health_check(
    plan: &mut DnsPlan,
    inputs: &DnsInputs<'_>,
    id: &str,
    want: Option<&HealthCheckConfig>,
) -> Option<String> {
    let found = inputs.observed.health_checks.iter().find(|h| h.id == id);
    let what = format!("health check {id}");
    if let Some(why) = adoption_refused("spec.healthCheck.adopt", &what, "", found.map(|h| &h.claim)) {
        plan.blocked.push(why);
        return None;
    }
    let have = found?;
    let items = want.map(|w| diff(GLOBAL_REGION, "HealthCheck", id, &w.fields(), &have.config.fields()));
    if let Some(w) = want.filter(|w| w.immutable_key() != have.config.immutable_key()) {
        plan.blocked.push(format!(
            "spec.healthCheck.adopt: health check {id} checks {} every {}s, the spec says {} every {}s; Route 53 cannot change that, only a new health check could",
            if have.config.https { "HTTPS" } else { "HTTP" },
            have.config.interval_seconds,
            if w.https { "HTTPS" } else { "HTTP" },
            w.interval_seconds
        ));
        return None;
    }
    if !have.claim.is_ours() {
        plan.push(Place::Global, DnsAction::AdoptHealthCheck { id: id.to_string() });
        plan.drift.extend(items.unwrap_or_default());
        return None;
    }
    match (want, items) {
        (Some(want), Some(items)) => {
            if !items.is_empty() {
                plan.push(Place::Global, DnsAction::UpdateHealthCheck { id: id.to_string(), config: want.clone() });
            }
            plan.drift.extend(items);
        }
        _ => plan.waiting.push("the health check waits for the active api load balancer".into()),
    }
    Some(id.to_string())
}

/// Record sets are ours when an ownership TXT record with our marker sits
/// next to them: ours are created (never overwritten: CREATE fails if a
/// record exists), repaired and deleted; anyone else's are left alone.
fn plan_records(
    plan: &mut DnsPlan,
    inputs: &DnsInputs<'_>,
    zone_id: &str,
    desired: &[RecordSpec],
    validation_names: &[String],
) {
    let o = inputs.observed;
    let marker_value = format!("\"{}\"", inputs.desired.owner.owner_marker());
    let mut changes: Vec<(RecordAction, RecordSpec)> = Vec::new();
    let mut names: Vec<&str> = desired.iter().map(|r| r.name.as_str()).collect();
    names.dedup();
    for name in names {
        let want: Vec<&RecordSpec> = desired.iter().filter(|r| r.name == name).collect();
        let have: Vec<&RecordSpec> = o.records_named(name).filter(|r| r.rtype != "TXT").collect();
        let marker = o.records_named(&marker_name(name)).find(|r| r.rtype == "TXT");
        let ours = marker.is_some_and(|m| m.values.contains(&marker_value));
        if have.is_empty() {
            for w in &want {
                changes.push((RecordAction::Create, (*w).clone()));
            }
            if marker.is_none() {
                changes.push((RecordAction::Create, marker_record(name, &marker_value)));
            }
            continue;
        }
        if !ours {
            // ACM's validation CNAMEs are the same for every certificate of
            // a domain in an account: an identical one serves us as well.
            let validation = validation_names.iter().any(|v| v == name);
            let shared = validation && want.iter().all(|w| have.iter().any(|h| h == w));
            if inputs.desired.adopt_records && !validation && marker.is_none() {
                // Made by hand: marked as ours first; their differences show
                // now and are changed once they are ours.
                plan.push(
                    Place::Global,
                    DnsAction::AdoptRecords {
                        zone_id: zone_id.to_string(),
                        name: name.to_string(),
                        marker: marker_record(name, &marker_value),
                    },
                );
                for w in &want {
                    if let Some(h) = have.iter().find(|h| h.same_set(w)) {
                        plan.drift.extend(diff(GLOBAL_REGION, "Record", &w.label(), &w.fields(), &h.fields()));
                    }
                }
                continue;
            }
            if !shared {
                plan.blocked.push(format!("record {name} exists in the public zone and is not managed by this stack"));
            }
            continue;
        }
        for w in &want {
            match have.iter().find(|h| h.same_set(w)) {
                Some(h) => {
                    let items = diff(GLOBAL_REGION, "Record", &w.label(), &w.fields(), &h.fields());
                    if !items.is_empty() {
                        changes.push((RecordAction::Upsert, (*w).clone()));
                    }
                    plan.drift.extend(items);
                }
                None => {
                    plan.drift.push(DriftItem::new(
                        GLOBAL_REGION,
                        "Record",
                        &w.label(),
                        "present",
                        "present",
                        "missing",
                    ));
                    changes.push((RecordAction::Create, (*w).clone()));
                }
            }
        }
        for h in have.iter().filter(|h| !want.iter().any(|w| w.same_set(h))) {
            plan.drift.push(DriftItem::new(GLOBAL_REGION, "Record", &h.label(), "present", "absent", "present"));
            changes.push((RecordAction::Delete, (*h).clone()));
        }
    }
    if !changes.is_empty() {
        plan.push(Place::Global, DnsAction::ChangeRecords { zone_id: zone_id.to_string(), changes });
    }
}

fn marker_record(name: &str, value: &str) -> RecordSpec {
    RecordSpec::plain(marker_name(name), "TXT", RECORD_TTL, value)
}
