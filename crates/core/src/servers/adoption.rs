//! Adopting a server tier named in `spec.<tier>.adopt`: its load balancer
//! (with its listeners), target group, launch template and auto scaling
//! group are tagged as ours before anything of them is changed; one that
//! is missing, managed by someone else or would need replacing is refused
//! by field, and nothing of the tier is touched. The tier spans the load
//! balancing and the compute families: each adopts its own resources, and
//! only once the whole tier can be adopted ([`tier_refusals`]).

use warmstandby_api::RegionRole;

use crate::family::Family;
use crate::identity::adoption_refused;
use crate::resource::Kind;
use crate::servers::actions::{ComputeAction, LoadBalancingAction, Place};
use crate::servers::desired::DesiredTier;
use crate::servers::inputs::{BalancingPlan, ComputePlan, RegionServerInputs};
use crate::servers::observed::{Claim, RegionServers};

/// Why `t`'s resources in `r`'s region cannot be adopted, each with the
/// kind it is about (empty: the tier can be adopted once all are found).
pub fn tier_refusals(r: &RegionServerInputs<'_>, t: &DesiredTier) -> Vec<(Kind, String)> {
    let (d, o) = (r.desired, r.observed);
    let region = d.region.as_str();
    let role = if d.role == RegionRole::Primary { "primary" } else { "standby" };
    let field = |name: &str| format!("spec.{}.adopt.{role}.{name}", t.tier);
    let mut refused = Vec::new();
    let mut refuse = |kind: Kind, what: &str, found: Option<&Claim>, words: &str, name: &str| {
        let why = adoption_refused(&field(what), &format!("{words} {name}"), &format!(" in {region}"), found);
        refused.extend(why.into_iter().map(|w| (kind, w)));
    };
    let tg = o.balancing.target_group(&t.target_group_name);
    let lb = o.balancing.load_balancer(&t.load_balancer_name);
    let lt = o.compute.launch_templates.iter().find(|l| l.name == t.launch_template_name);
    let asg = o.compute.auto_scaling_group(&t.auto_scaling_group_name);
    refuse(Kind::TargetGroup, "targetGroup", tg.map(|x| &x.claim), "target group", &t.target_group_name);
    refuse(Kind::LoadBalancer, "loadBalancer", lb.map(|x| &x.claim), "load balancer", &t.load_balancer_name);
    refuse(Kind::LaunchTemplate, "launchTemplate", lt.map(|x| &x.claim), "launch template", &t.launch_template_name);
    refuse(
        Kind::AutoScalingGroup,
        "autoScalingGroup",
        asg.map(|x| &x.claim),
        "auto scaling group",
        &t.auto_scaling_group_name,
    );
    // What only a new resource could change.
    if let Some(tg) = tg.filter(|tg| !tg.claim.is_ours()) {
        if tg.spec.vpc_id != r.network.vpc_id && !r.network.vpc_id.is_empty() {
            refused.push((
                Kind::TargetGroup,
                format!(
                    "{}: target group {} is in {}, not the RegionPair's VPC {}",
                    field("targetGroup"),
                    tg.spec.name,
                    tg.spec.vpc_id,
                    r.network.vpc_id
                ),
            ));
        }
        if (tg.spec.protocol.as_str(), tg.spec.port) != ("HTTP", t.port) {
            refused.push((
                Kind::TargetGroup,
                format!(
                    "{}: target group {} forwards {}:{}, the tier serves HTTP:{}; only a new target group could change that",
                    field("targetGroup"),
                    tg.spec.name,
                    tg.spec.protocol,
                    tg.spec.port,
                    t.port
                ),
            ));
        }
    }
    if let Some(lb) = lb.filter(|lb| !lb.claim.is_ours() && lb.spec.scheme != "internet-facing") {
        refused.push((
            Kind::LoadBalancer,
            format!(
                "{}: load balancer {} is {}, the tier's is internet-facing; only a new load balancer could change that",
                field("loadBalancer"),
                lb.spec.name,
                lb.spec.scheme
            ),
        ));
    }
    refused
}

/// The refusals of `family`'s kinds blocked in `blocked`; true when the
/// whole tier can be adopted: nothing refused and all four resources found.
fn adoptable(blocked: &mut Vec<String>, family: Family, r: &RegionServerInputs<'_>, t: &DesiredTier) -> bool {
    let refused = tier_refusals(r, t);
    let none = refused.is_empty();
    blocked.extend(refused.into_iter().filter(|(k, _)| k.family() == family).map(|(_, why)| why));
    let o = r.observed;
    none && o.balancing.target_group(&t.target_group_name).is_some()
        && o.balancing.load_balancer(&t.load_balancer_name).is_some()
        && o.compute.launch_templates.iter().any(|l| l.name == t.launch_template_name)
        && o.compute.auto_scaling_group(&t.auto_scaling_group_name).is_some()
}

/// Plans the adoption of `t`'s target group and load balancer (with its
/// listeners) in `r`'s region. True when the whole tier is ours already,
/// so it is planned like one we built.
pub(super) fn plan_balancing_adoption(plan: &mut BalancingPlan, r: &RegionServerInputs<'_>, t: &DesiredTier) -> bool {
    if !adoptable(&mut plan.blocked, Family::LoadBalancing, r, t) {
        return false;
    }
    let o = r.observed.balancing;
    let scope = Place::Region(r.desired.role);
    let (Some(tg), Some(lb)) = (o.target_group(&t.target_group_name), o.load_balancer(&t.load_balancer_name)) else {
        return false;
    };
    let tier = t.tier.to_string();
    if !tg.claim.is_ours() {
        plan.push(
            scope,
            LoadBalancingAction::Adopt {
                tier: tier.clone(),
                kind: Kind::TargetGroup,
                name: tg.spec.name.clone(),
                arns: vec![tg.arn.clone()],
            },
        );
    }
    // Its listeners come with it (one call tags them all); one added by hand later is adopted then.
    let listeners: Vec<String> = o
        .listeners
        .iter()
        .filter(|l| l.load_balancer_arn == lb.arn && !l.claim.is_ours())
        .map(|l| l.arn.clone())
        .collect();
    if !lb.claim.is_ours() || !listeners.is_empty() {
        plan.push(
            scope,
            LoadBalancingAction::Adopt {
                tier,
                kind: Kind::LoadBalancer,
                name: lb.spec.name.clone(),
                arns: std::iter::once(lb.arn.clone()).chain(listeners).collect(),
            },
        );
    }
    r.observed.tier_is_ours(t)
}

/// Plans the adoption of `t`'s launch template and auto scaling group in
/// `r`'s region. True when the whole tier is ours already.
pub(super) fn plan_compute_adoption(plan: &mut ComputePlan, r: &RegionServerInputs<'_>, t: &DesiredTier) -> bool {
    if !adoptable(&mut plan.blocked, Family::Compute, r, t) {
        return false;
    }
    let o = r.observed.compute;
    let scope = Place::Region(r.desired.role);
    let lt = o.launch_templates.iter().find(|l| l.name == t.launch_template_name);
    let (Some(lt), Some(asg)) = (lt, o.auto_scaling_group(&t.auto_scaling_group_name)) else { return false };
    let tier = t.tier.to_string();
    if !lt.claim.is_ours() {
        plan.push(
            scope,
            ComputeAction::AdoptLaunchTemplate {
                tier: tier.clone(),
                name: lt.name.clone(),
                template_id: lt.id.clone(),
            },
        );
    }
    if !asg.claim.is_ours() {
        plan.push(scope, ComputeAction::AdoptAutoScalingGroup { tier, name: asg.name.clone() });
    }
    r.observed.tier_is_ours(t)
}

impl RegionServers<'_> {
    /// All of `t`'s resources are this stack's (built, or adopted already).
    pub fn tier_is_ours(&self, t: &DesiredTier) -> bool {
        let lb = self.balancing.load_balancer(&t.load_balancer_name);
        lb.is_some_and(|lb| lb.claim.is_ours())
            && self
                .balancing
                .listeners
                .iter()
                .filter(|l| Some(l.load_balancer_arn.as_str()) == lb.map(|lb| lb.arn.as_str()))
                .all(|l| l.claim.is_ours())
            && self.balancing.target_group(&t.target_group_name).is_some_and(|x| x.claim.is_ours())
            && self.compute.launch_templates.iter().any(|l| l.name == t.launch_template_name && l.claim.is_ours())
            && self.compute.auto_scaling_group(&t.auto_scaling_group_name).is_some_and(|x| x.claim.is_ours())
    }
}
