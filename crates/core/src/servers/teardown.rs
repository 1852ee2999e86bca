//! Deleting a stack's load balancers and servers in both regions: the
//! compute family's servers first, then the load balancing family's load
//! balancers, each releasing what a kept tier keeps.

use warmstandby_api::RegionRole;

use crate::resource::Kind;

use crate::servers::actions::{ComputeAction, LoadBalancingAction, Place};
use crate::servers::inputs::{BalancingPlan, ComputePlan};
use crate::servers::observed::{Claim, RegionServers};

/// What of ours the resources a deletion leaves in place use (an adopted
/// tier's load balancer, listeners and launch template, changed to the
/// spec): kept too, released from our tags, so what is left keeps working
/// and nothing waits on a resource AWS will not delete while it is in use.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeptReferences {
    pub security_groups: Vec<String>,
    pub instance_profiles: Vec<String>,
    pub images: Vec<String>,
    pub certificates: Vec<String>,
}

impl RegionServers<'_> {
    /// The references of what a deletion leaves in place: everything found
    /// by a name given for adoption (adopted, or released already).
    pub fn kept_references(&self) -> KeptReferences {
        let mut kept = KeptReferences::default();
        for lb in self.balancing.load_balancers.iter().filter(|l| l.claim != Claim::Created) {
            kept.security_groups.extend(lb.spec.security_group_ids.iter().cloned());
        }
        for l in self.balancing.listeners.iter().filter(|l| l.claim != Claim::Created) {
            kept.certificates.extend(l.spec.certificate_arn.iter().cloned());
        }
        for data in
            self.compute.launch_templates.iter().filter(|l| l.claim != Claim::Created).filter_map(|l| l.latest.as_ref())
        {
            kept.security_groups.extend(data.security_group_ids.iter().cloned());
            kept.instance_profiles.extend(data.iam_instance_profile.iter().cloned());
            kept.images.push(data.image_id.clone());
        }
        for v in [&mut kept.security_groups, &mut kept.instance_profiles, &mut kept.images, &mut kept.certificates] {
            v.sort();
            v.dedup();
        }
        kept
    }
}

fn place(i: usize) -> Place {
    Place::Region(if i == 0 { RegionRole::Primary } else { RegionRole::Standby })
}

/// The compute family's teardown, in the reverse of creation: auto scaling
/// groups, then launch templates and image copies. An adopted tier's are
/// left in place (`Release`: our tags removed), with the image copy of ours
/// its launch template launches.
pub fn plan_compute_teardown(regions: [RegionServers<'_>; 2]) -> ComputePlan {
    let mut plan = ComputePlan::default();
    for (i, r) in regions.iter().enumerate() {
        let (scope, o) = (place(i), r.compute);
        let kept = r.kept_references();
        let created = |c: &Claim| *c == Claim::Created;
        for a in o.auto_scaling_groups.iter().filter(|a| !a.deleting) {
            match &a.claim {
                Claim::Created => plan.push(scope, ComputeAction::DeleteAutoScalingGroup { name: a.name.clone() }),
                Claim::Adopted(_) => plan
                    .push(scope, ComputeAction::ReleaseAutoScalingGroup { tier: a.tier.clone(), name: a.name.clone() }),
                Claim::Foreign { .. } => {}
            }
        }
        if o.auto_scaling_groups.iter().any(|a| a.deleting) {
            plan.waiting.push("auto scaling groups are being deleted".into());
        }
        for lt in o.launch_templates.iter().filter(|l| matches!(l.claim, Claim::Adopted(_))) {
            plan.push(
                scope,
                ComputeAction::ReleaseLaunchTemplate {
                    tier: lt.tier.clone(),
                    name: lt.name.clone(),
                    template_id: lt.id.clone(),
                },
            );
        }
        if !o.auto_scaling_groups.iter().any(|a| created(&a.claim)) {
            for lt in o.launch_templates.iter().filter(|l| created(&l.claim)) {
                plan.push(scope, ComputeAction::DeleteLaunchTemplate { template_id: lt.id.clone() });
            }
            for img in o.images.iter().filter(|i| i.tagged) {
                if kept.images.contains(&img.id) {
                    plan.push(
                        scope,
                        ComputeAction::ReleaseImage {
                            tier: img.tier.clone(),
                            image_id: img.id.clone(),
                            snapshot_ids: img.snapshot_ids.clone(),
                        },
                    );
                } else {
                    plan.push(
                        scope,
                        ComputeAction::DeregisterImage {
                            image_id: img.id.clone(),
                            snapshot_ids: img.snapshot_ids.clone(),
                        },
                    );
                }
            }
        }
    }
    plan
}

/// The load balancing family's teardown: listeners, load balancers (after
/// what points at them: the public DNS family's records, `records_left`,
/// and the CDN family's distribution, `distribution_left`, while they
/// stand), target groups (after the compute family's auto scaling groups
/// registered with them; the certificates family's certificates follow the
/// listeners, `families::certificates`). An adopted tier's are left in
/// place, released; only what we created on it (a listener) is deleted.
pub fn plan_balancing_teardown(
    regions: [RegionServers<'_>; 2],
    distribution_left: bool,
    records_left: bool,
) -> BalancingPlan {
    let mut plan = BalancingPlan::default();
    for (i, r) in regions.iter().enumerate() {
        let (scope, o) = (place(i), r.balancing);
        let created = |c: &Claim| *c == Claim::Created;
        let asgs_left = r.compute.scaling_groups_left();
        for l in o.listeners.iter().filter(|l| created(&l.claim)) {
            plan.push(scope, LoadBalancingAction::DeleteListener { arn: l.arn.clone() });
        }
        let listeners_left = o.listeners.iter().any(|l| created(&l.claim));
        // Origins and alias targets must be gone before their load balancers.
        for lb in &o.load_balancers {
            match &lb.claim {
                Claim::Created if !listeners_left && !distribution_left && !records_left => {
                    plan.push(scope, LoadBalancingAction::DeleteLoadBalancer { arn: lb.arn.clone() })
                }
                Claim::Adopted(_) => {
                    let adopted = o.listeners.iter().filter(|l| l.load_balancer_arn == lb.arn && !created(&l.claim));
                    plan.push(
                        scope,
                        LoadBalancingAction::Release {
                            tier: lb.tier.clone(),
                            kind: Kind::LoadBalancer,
                            name: lb.spec.name.clone(),
                            arns: std::iter::once(lb.arn.clone())
                                .chain(adopted.filter(|l| l.claim.is_ours()).map(|l| l.arn.clone()))
                                .collect(),
                        },
                    )
                }
                _ => {}
            }
        }
        let lbs_left = o.load_balancers.iter().any(|l| created(&l.claim));
        for tg in &o.target_groups {
            match &tg.claim {
                Claim::Created if !lbs_left && !asgs_left => {
                    plan.push(scope, LoadBalancingAction::DeleteTargetGroup { arn: tg.arn.clone() })
                }
                Claim::Adopted(_) => plan.push(
                    scope,
                    LoadBalancingAction::Release {
                        tier: tg.tier.clone(),
                        kind: Kind::TargetGroup,
                        name: tg.spec.name.clone(),
                        arns: vec![tg.arn.clone()],
                    },
                ),
                _ => {}
            }
        }
    }
    plan
}
