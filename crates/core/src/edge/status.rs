//! Pure status of the edge and compute tiers: one condition per family,
//! resource IDs per region, and the load balancers' endpoints.

use std::collections::BTreeMap;

use warmstandby_api::{
    AutoScalingGroupStatus, Capacity, DriftItem, LaunchTemplateStatus, LoadBalancerStatus, RegionStackStatus,
};

use crate::conditions::types;
use crate::edge::desired::{DesiredRegionEdge, ImageSource};
use crate::edge::observed::ObservedRegionEdge;

/// Both regions' edge state of one pass.
#[derive(Clone, Copy, Debug)]
pub struct EdgeView<'a> {
    /// Primary first.
    pub regions: [(&'a DesiredRegionEdge, &'a ObservedRegionEdge); 2],
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
const FAMILY_KINDS: [(&str, &[&str]); 2] = [
    (types::LOAD_BALANCERS_READY, &["TargetGroup", "LoadBalancer", "Listener"]),
    (types::COMPUTE_READY, &["Image", "LaunchTemplate", "AutoScalingGroup"]),
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

/// One condition per edge family (the certificates', the CDN's and the
/// public DNS's are their families' on the seam); a family is ready when all of its resources exist in their
/// final state and none of them drifted.
pub fn edge_families(view: &EdgeView<'_>, drift: &[DriftItem]) -> Vec<Family> {
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
    vec![family(types::LOAD_BALANCERS_READY, lbs, drift), family(types::COMPUTE_READY, compute, drift)]
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

/// The load balancers' DNS names by `<region>/<tier>` (the web, api and
/// CloudFront endpoints are the public DNS and CDN families').
pub fn load_balancer_endpoints(view: &EdgeView<'_>) -> BTreeMap<String, String> {
    let mut load_balancers = BTreeMap::new();
    for (d, ob) in view.regions {
        for t in &d.tiers {
            if let Some(lb) = ob.load_balancer(&t.load_balancer_name) {
                load_balancers.insert(format!("{}/{}", d.region, t.tier), lb.dns_name.clone());
            }
        }
    }
    load_balancers
}
