//! Adopting a server tier named in `spec.<tier>.adopt`: its load balancer
//! (with its listeners), target group, launch template and auto scaling
//! group are tagged as ours before anything of them is changed; one that
//! is missing, managed by someone else or would need replacing is refused
//! by field, and nothing of the tier is touched.

use warmstandby_api::RegionRole;

use crate::edge::actions::{ComputeAction, LoadBalancingAction, Place};
use crate::edge::desired::DesiredTier;
use crate::edge::inputs::{EdgePlan, RegionEdgeInputs};
use crate::edge::observed::{Claim, ObservedRegionEdge};
use crate::identity::adoption_refused;
use crate::resource::Kind;

/// Plans the adoption of `t`'s resources in `r`'s region. True when all of
/// them are ours already, so the tier is planned like one we built.
pub(super) fn plan_tier_adoption(plan: &mut EdgePlan, r: &RegionEdgeInputs<'_>, t: &DesiredTier) -> bool {
    let (d, o) = (r.desired, r.observed);
    let region = d.region.as_str();
    let scope = Place::Region(d.role);
    let role = if d.role == RegionRole::Primary { "primary" } else { "standby" };
    let field = |name: &str| format!("spec.{}.adopt.{role}.{name}", t.tier);
    let mut refused = Vec::new();
    let mut refuse = |what: &str, found: Option<&Claim>, kind: &str, name: &str| {
        let why = adoption_refused(&field(what), &format!("{kind} {name}"), &format!(" in {region}"), found);
        refused.extend(why);
    };
    let tg = o.target_group(&t.target_group_name);
    let lb = o.load_balancer(&t.load_balancer_name);
    let lt = o.launch_templates.iter().find(|l| l.name == t.launch_template_name);
    let asg = o.auto_scaling_group(&t.auto_scaling_group_name);
    refuse("targetGroup", tg.map(|x| &x.claim), "target group", &t.target_group_name);
    refuse("loadBalancer", lb.map(|x| &x.claim), "load balancer", &t.load_balancer_name);
    refuse("launchTemplate", lt.map(|x| &x.claim), "launch template", &t.launch_template_name);
    refuse("autoScalingGroup", asg.map(|x| &x.claim), "auto scaling group", &t.auto_scaling_group_name);
    // What only a new resource could change.
    if let Some(tg) = tg.filter(|tg| !tg.claim.is_ours()) {
        if tg.spec.vpc_id != r.network.vpc_id && !r.network.vpc_id.is_empty() {
            refused.push(format!(
                "{}: target group {} is in {}, not the RegionPair's VPC {}",
                field("targetGroup"),
                tg.spec.name,
                tg.spec.vpc_id,
                r.network.vpc_id
            ));
        }
        if (tg.spec.protocol.as_str(), tg.spec.port) != ("HTTP", t.port) {
            refused.push(format!(
                "{}: target group {} forwards {}:{}, the tier serves HTTP:{}; only a new target group could change that",
                field("targetGroup"),
                tg.spec.name,
                tg.spec.protocol,
                tg.spec.port,
                t.port
            ));
        }
    }
    if let Some(lb) = lb.filter(|lb| !lb.claim.is_ours() && lb.spec.scheme != "internet-facing") {
        refused.push(format!(
            "{}: load balancer {} is {}, the tier's is internet-facing; only a new load balancer could change that",
            field("loadBalancer"),
            lb.spec.name,
            lb.spec.scheme
        ));
    }
    if !refused.is_empty() {
        plan.blocked.extend(refused);
        return false;
    }
    let (Some(tg), Some(lb), Some(lt), Some(asg)) = (tg, lb, lt, asg) else { return false };
    let tier = t.tier.to_string();
    let mut adopting = false;
    if !tg.claim.is_ours() {
        adopting = true;
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
        adopting = true;
        plan.push(
            scope,
            LoadBalancingAction::Adopt {
                tier: tier.clone(),
                kind: Kind::LoadBalancer,
                name: lb.spec.name.clone(),
                arns: std::iter::once(lb.arn.clone()).chain(listeners).collect(),
            },
        );
    }
    if !lt.claim.is_ours() {
        adopting = true;
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
        adopting = true;
        plan.push(scope, ComputeAction::AdoptAutoScalingGroup { tier, name: asg.name.clone() });
    }
    !adopting
}

impl ObservedRegionEdge {
    /// All of `t`'s resources are this stack's (built, or adopted already).
    pub fn tier_is_ours(&self, t: &DesiredTier) -> bool {
        let lb = self.load_balancer(&t.load_balancer_name);
        lb.is_some_and(|lb| lb.claim.is_ours())
            && self
                .listeners
                .iter()
                .filter(|l| Some(l.load_balancer_arn.as_str()) == lb.map(|lb| lb.arn.as_str()))
                .all(|l| l.claim.is_ours())
            && self.target_group(&t.target_group_name).is_some_and(|x| x.claim.is_ours())
            && self.launch_templates.iter().any(|l| l.name == t.launch_template_name && l.claim.is_ours())
            && self.auto_scaling_group(&t.auto_scaling_group_name).is_some_and(|x| x.claim.is_ours())
    }
}
