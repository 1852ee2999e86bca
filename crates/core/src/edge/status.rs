//! Pure status of the edge and compute tiers: one condition per family,
//! resource IDs per region and globally, and the endpoints.

use std::collections::BTreeMap;

use warmstandby_api::{
    AutoScalingGroupStatus, Capacity, DriftItem, Endpoints, GlobalStackStatus, LaunchTemplateStatus,
    LoadBalancerStatus, RegionStackStatus,
};

use crate::conditions::types;
use crate::edge::desired::{DesiredGlobalEdge, DesiredRegionEdge, ImageSource};
use crate::edge::inputs::CLOUDFRONT_ZONE_ID;
use crate::edge::observed::{ObservedGlobalEdge, ObservedRegionEdge};

/// Both regions' and the global edge state of one pass.
#[derive(Clone, Copy, Debug)]
pub struct EdgeView<'a> {
    /// Primary first.
    pub regions: [(&'a DesiredRegionEdge, &'a ObservedRegionEdge); 2],
    pub global: (&'a DesiredGlobalEdge, &'a ObservedGlobalEdge),
    /// The spec asks for the alarm on the health check and there is none
    /// yet (the alarm family's, reported under `DnsReady`).
    pub alarm_missing: bool,
}

/// The verdict on one family.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Family {
    pub condition: &'static str,
    pub ready: bool,
    pub reason: &'static str,
    pub message: String,
}

/// Drift kinds reported by each family.
const FAMILY_KINDS: [(&str, &[&str]); 3] = [
    (types::LOAD_BALANCERS_READY, &["TargetGroup", "LoadBalancer", "Listener"]),
    (types::COMPUTE_READY, &["Image", "LaunchTemplate", "AutoScalingGroup"]),
    (types::DNS_READY, &["Record", "HealthCheck", "Alarm"]),
];

fn family(condition: &'static str, problems: Vec<String>, drift: &[DriftItem]) -> Family {
    let kinds = FAMILY_KINDS.iter().find(|(c, _)| *c == condition).map(|(_, k)| *k).unwrap_or_default();
    verdict(condition, problems, drift, kinds)
}

/// A family's verdict (every family's, on the seam or in a tier): not
/// ready with its problems, else with the drift of its `kinds`, else ready.
pub fn verdict(condition: &'static str, problems: Vec<String>, drift: &[DriftItem], kinds: &[&str]) -> Family {
    let drifted: Vec<String> =
        drift.iter().filter(|d| kinds.contains(&d.kind.as_str())).map(ToString::to_string).collect();
    if !problems.is_empty() {
        Family { condition, ready: false, reason: "NotReady", message: problems.join("; ") }
    } else if !drifted.is_empty() {
        Family { condition, ready: false, reason: "DriftDetected", message: drifted.join("; ") }
    } else {
        Family { condition, ready: true, reason: "Ready", message: String::new() }
    }
}

/// One condition per edge family (the certificates' and the CDN's are
/// their families' on the seam); a family is ready when all of its resources exist in their
/// final state and none of them drifted.
pub fn edge_families(view: &EdgeView<'_>, drift: &[DriftItem]) -> Vec<Family> {
    let (g, og) = view.global;
    let mut lbs = Vec::new();
    let mut compute = Vec::new();
    for (d, o) in view.regions {
        let r = &d.region;
        for t in &d.tiers {
            if t.adopt && !o.tier_is_ours(t) {
                lbs.push(format!("{r}: the {} tier's load balancer and target group are not adopted yet", t.tier));
                compute.push(format!(
                    "{r}: the {} tier's launch template and auto scaling group are not adopted yet",
                    t.tier
                ));
                continue;
            }
            match (o.target_group(&t.target_group_name), o.load_balancer(&t.load_balancer_name)) {
                (Some(_), Some(lb)) if lb.state == "active" => {
                    let want = if t.https_listener { 2 } else { 1 };
                    let have = o.listeners.iter().filter(|l| l.load_balancer_arn == lb.arn).count();
                    if have < want {
                        lbs.push(format!("{r}: {} has {have} of {want} listeners", lb.spec.name));
                    }
                }
                (Some(_), Some(lb)) => lbs.push(format!("{r}: {} is {}", lb.spec.name, lb.state)),
                _ => lbs.push(format!("{r}: {} target group or load balancer missing", t.tier)),
            }
            if let Some(ImageSource::Copy { .. }) = d.image(t.tier).map(|i| &i.source) {
                match o.image(t.tier) {
                    Some(i) if i.state == "available" => {}
                    Some(i) => compute.push(format!("{r}: {} image copy is {}", t.tier, i.state)),
                    None => compute.push(format!("{r}: {} image not copied yet", t.tier)),
                }
            }
            match (o.launch_template(t.tier), o.auto_scaling_group(&t.auto_scaling_group_name)) {
                (Some(lt), Some(a)) => {
                    if a.spec.launch_template_version != lt.latest_version.to_string() {
                        compute.push(format!(
                            "{r}: {} uses launch template version {}",
                            a.name, a.spec.launch_template_version
                        ));
                    }
                    if (a.spec.min, a.spec.desired, a.spec.max) != (t.capacity.min, t.capacity.desired, t.capacity.max)
                    {
                        compute.push(format!("{r}: {} capacity is being set", a.name));
                    }
                }
                _ => compute.push(format!("{r}: {} launch template or auto scaling group missing", t.tier)),
            }
        }
    }
    let mut dns = Vec::new();
    if og.zone.is_none() {
        dns.push(format!("public zone {} not found", g.zone_name));
    }
    if let Some(h) = og.health_checks.iter().find(|h| !h.claim.is_ours()) {
        dns.push(format!("health check {} is not adopted yet", h.id));
    } else if og.health_checks.is_empty() {
        dns.push("no health check yet".into());
    }
    let api = og.records_named(&g.api_fqdn).filter(|r| r.failover.is_some()).count();
    if api < 2 {
        dns.push(format!("{} has {api} of 2 failover records", g.api_fqdn));
    }
    if og.records_named(&g.web_fqdn).all(|r| r.alias.is_none()) {
        dns.push(format!("{} has no alias record yet", g.web_fqdn));
    }
    if view.alarm_missing {
        dns.push("no health check alarm yet".into());
    }
    vec![
        family(types::LOAD_BALANCERS_READY, lbs, drift),
        family(types::COMPUTE_READY, compute, drift),
        family(types::DNS_READY, dns, drift),
    ]
}

/// Fills one region's edge IDs into its status.
pub fn region_edge_status(d: &DesiredRegionEdge, o: &ObservedRegionEdge, status: &mut RegionStackStatus) {
    for t in &d.tiers {
        let tier = t.tier.to_string();
        match (&d.image(t.tier).map(|i| &i.source), o.image(t.tier)) {
            (Some(ImageSource::Given(ami)), _) => {
                status.image_ids.insert(tier.clone(), ami.clone());
            }
            (_, Some(img)) => {
                status.image_ids.insert(tier.clone(), img.id.clone());
            }
            _ => {}
        }
        if let Some(tg) = o.target_group(&t.target_group_name).filter(|x| x.claim.is_ours()) {
            status.target_group_arns.insert(tier.clone(), tg.arn.clone());
        }
        if let Some(lb) = o.load_balancer(&t.load_balancer_name).filter(|x| x.claim.is_ours()) {
            let mut listener_arns: Vec<String> =
                o.listeners.iter().filter(|l| l.load_balancer_arn == lb.arn).map(|l| l.arn.clone()).collect();
            listener_arns.sort();
            status.load_balancers.insert(
                tier.clone(),
                LoadBalancerStatus {
                    arn: lb.arn.clone(),
                    dns_name: lb.dns_name.clone(),
                    zone_id: lb.zone_id.clone(),
                    listener_arns,
                },
            );
        }
        if let Some(lt) = o.launch_template(t.tier).filter(|x| x.claim.is_ours()) {
            status
                .launch_templates
                .insert(tier.clone(), LaunchTemplateStatus { id: lt.id.clone(), version: lt.latest_version });
        }
        if let Some(a) = o.auto_scaling_group(&t.auto_scaling_group_name).filter(|x| x.claim.is_ours()) {
            status.auto_scaling_groups.insert(
                tier,
                AutoScalingGroupStatus {
                    name: a.name.clone(),
                    capacity: Capacity::new(a.spec.min, a.spec.desired, a.spec.max),
                },
            );
        }
    }
}

pub fn global_edge_status(view: &EdgeView<'_>) -> GlobalStackStatus {
    let (g, o) = view.global;
    GlobalStackStatus {
        public_zone_id: o.zone.as_ref().map(|z| z.id.clone()),
        // Ours only: a record made by hand may name a check not (yet) adopted.
        health_check_id: o
            .records_named(&g.api_fqdn)
            .find_map(|r| r.health_check_id.clone())
            .filter(|id| o.health_checks.iter().any(|h| h.id == *id && h.claim.is_ours()))
            .or_else(|| o.health_checks.iter().find(|h| h.claim.is_ours()).map(|h| h.id.clone())),
        // The CDN family's (`families::cdn`).
        distribution_id: None,
        // The certificates family's (`families::certificates`).
        cloudfront_certificate_arn: None,
        // The WAF family's (`families::waf`).
        web_acl_arn: None,
        // The alarm family's (`families::alarm`).
        alarm_name: None,
        backup_plan_id: None,
    }
}

pub fn endpoints(view: &EdgeView<'_>) -> Endpoints {
    let (g, o) = view.global;
    let mut load_balancers = BTreeMap::new();
    for (d, ob) in view.regions {
        for t in &d.tiers {
            if let Some(lb) = ob.load_balancer(&t.load_balancer_name) {
                load_balancers.insert(format!("{}/{}", d.region, t.tier), lb.dns_name.clone());
            }
        }
    }
    Endpoints {
        web: format!("https://{}", g.web_fqdn),
        api: format!("https://{}", g.api_fqdn),
        cloudfront: o
            .records_named(&g.web_fqdn)
            // Else the distribution's own (the CDN family's).
            .find_map(|r| r.alias.as_ref().filter(|(_, z, _)| z == CLOUDFRONT_ZONE_ID).map(|(d, _, _)| d.clone())),
        load_balancers,
    }
}
