//! Pure status of the load balancing and compute families: a condition
//! each, resource IDs per region, and the load balancers' endpoints; and
//! the verdict every family's condition is written from.

use std::collections::BTreeMap;

use warmstandby_api::{
    AutoScalingGroupStatus, Capacity, DriftItem, LaunchTemplateStatus, LoadBalancerStatus, RegionStackStatus,
};

use crate::conditions::types;
use crate::servers::desired::{DesiredRegionServers, ImageSource};
use crate::servers::observed::{ObservedBalancing, ObservedCompute, RegionServers};

/// Both regions' load balancers and servers (primary first), as the spec
/// wants them and AWS shows them.
pub type ServerRegions<'a> = [(&'a DesiredRegionServers, RegionServers<'a>); 2];

/// The verdict on one family.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Family {
    pub condition: &'static str,
    pub ready: bool,
    pub reason: &'static str,
    pub message: String,
    /// Problems that degrade the stack rather than hold it back (a broken
    /// replication): they make it `Degraded`.
    pub attention: Vec<String>,
}

/// A family's verdict (every family's, on the seam or in a tier): not
/// ready with its problems, else with the drift of its `kinds`, else ready.
pub fn verdict(condition: &'static str, problems: Vec<String>, drift: &[DriftItem], kinds: &[&str]) -> Family {
    let drifted: Vec<String> =
        drift.iter().filter(|d| kinds.contains(&d.kind.as_str())).map(ToString::to_string).collect();
    if !problems.is_empty() {
        Family { condition, ready: false, reason: "NotReady", message: problems.join("; "), attention: Vec::new() }
    } else if !drifted.is_empty() {
        Family { condition, ready: false, reason: "DriftDetected", message: drifted.join("; "), attention: Vec::new() }
    } else {
        Family { condition, ready: true, reason: "Ready", message: String::new(), attention: Vec::new() }
    }
}

/// The load balancing family's condition: ready when every tier's target
/// group, load balancer and listeners exist in their final state and none
/// of them drifted.
pub fn balancing_verdict(regions: &ServerRegions<'_>, drift: &[DriftItem]) -> Family {
    let mut lbs = Vec::new();
    for (d, o) in regions {
        let r = &d.region;
        for t in &d.tiers {
            if t.adopt && !o.tier_is_ours(t) {
                lbs.push(format!("{r}: the {} tier's load balancer and target group are not adopted yet", t.tier));
                continue;
            }
            let o = o.balancing;
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
        }
    }
    verdict(types::LOAD_BALANCERS_READY, lbs, drift, &["TargetGroup", "LoadBalancer", "Listener"])
}

/// The compute family's condition: ready when every tier's image, launch
/// template and auto scaling group exist in their final state, the group
/// runs the latest version at the spec's capacity, and none drifted.
pub fn compute_verdict(regions: &ServerRegions<'_>, drift: &[DriftItem]) -> Family {
    let mut compute = Vec::new();
    for (d, o) in regions {
        let r = &d.region;
        for t in &d.tiers {
            if t.adopt && !o.tier_is_ours(t) {
                compute.push(format!(
                    "{r}: the {} tier's launch template and auto scaling group are not adopted yet",
                    t.tier
                ));
                continue;
            }
            let o = o.compute;
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
    verdict(types::COMPUTE_READY, compute, drift, &["Image", "LaunchTemplate", "AutoScalingGroup"])
}

/// Fills one region's target group and load balancer IDs into its status.
pub fn region_balancing_status(d: &DesiredRegionServers, o: &ObservedBalancing, status: &mut RegionStackStatus) {
    for t in &d.tiers {
        let tier = t.tier.to_string();
        if let Some(tg) = o.target_group(&t.target_group_name).filter(|x| x.claim.is_ours()) {
            status.target_group_arns.insert(tier.clone(), tg.arn.clone());
        }
        if let Some(lb) = o.load_balancer(&t.load_balancer_name).filter(|x| x.claim.is_ours()) {
            let mut listener_arns: Vec<String> =
                o.listeners.iter().filter(|l| l.load_balancer_arn == lb.arn).map(|l| l.arn.clone()).collect();
            listener_arns.sort();
            status.load_balancers.insert(
                tier,
                LoadBalancerStatus {
                    arn: lb.arn.clone(),
                    dns_name: lb.dns_name.clone(),
                    zone_id: lb.zone_id.clone(),
                    listener_arns,
                },
            );
        }
    }
}

/// Fills one region's image, launch template and auto scaling group IDs into its status.
pub fn region_compute_status(d: &DesiredRegionServers, o: &ObservedCompute, status: &mut RegionStackStatus) {
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
pub fn load_balancer_endpoints(regions: [(&DesiredRegionServers, &ObservedBalancing); 2]) -> BTreeMap<String, String> {
    let mut load_balancers = BTreeMap::new();
    for (d, ob) in regions {
        for t in &d.tiers {
            if let Some(lb) = ob.load_balancer(&t.load_balancer_name) {
                load_balancers.insert(format!("{}/{}", d.region, t.tier), lb.dns_name.clone());
            }
        }
    }
    load_balancers
}
