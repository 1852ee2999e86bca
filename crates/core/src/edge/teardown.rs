//! Deleting a stack's edge, compute and global resources.

use warmstandby_api::RegionRole;

use crate::resource::Kind;

use crate::edge::actions::{ComputeAction, DnsAction, LoadBalancingAction, Place, RecordAction};
use crate::edge::inputs::{EdgePlan, is_adopted_marker};
use crate::edge::observed::{Claim, ObservedGlobalEdge, ObservedRegionEdge, RecordSpec};

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

impl ObservedRegionEdge {
    /// The references of what a deletion leaves in place: everything found
    /// by a name given for adoption (adopted, or released already).
    pub fn kept_references(&self) -> KeptReferences {
        let mut kept = KeptReferences::default();
        for lb in self.load_balancers.iter().filter(|l| l.claim != Claim::Created) {
            kept.security_groups.extend(lb.spec.security_group_ids.iter().cloned());
        }
        for l in self.listeners.iter().filter(|l| l.claim != Claim::Created) {
            kept.certificates.extend(l.spec.certificate_arn.iter().cloned());
        }
        for data in self.launch_templates.iter().filter(|l| l.claim != Claim::Created).filter_map(|l| l.latest.as_ref())
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

/// Deletion in the reverse of creation: our records first (and the alarm
/// family's alarm: `alarm_left` while it stands), health checks, auto
/// scaling groups, launch templates, listeners, load balancers (after the
/// CDN family's distribution that serves from them: `distribution_left`
/// while it stands), target groups, image copies and finally a zone we
/// created (the certificates family's certificates follow the listeners and
/// the distribution, `families::certificates`).
/// An adopted tier is left in place (`Release`: our tags removed), with the
/// image copy of ours it uses (and the certificate, by its family); only
/// what we created on it (a listener) is deleted.
pub fn plan_edge_teardown(
    regions: [&ObservedRegionEdge; 2],
    observed: &ObservedGlobalEdge,
    owner_marker: &str,
    alarm_left: bool,
    distribution_left: bool,
) -> EdgePlan {
    let mut plan = EdgePlan::default();
    let g = Place::Global;
    let marker_value = format!("\"{owner_marker}\"");
    let mut ours: Vec<RecordSpec> = Vec::new();
    for m in observed.records.iter().filter(|r| r.rtype == "TXT" && r.values.contains(&marker_value)) {
        // Records adopted from someone's hand are left; only our marker goes.
        if is_adopted_marker(m)
            && let Some(zone) = &observed.zone
        {
            plan.push(g, DnsAction::ReleaseRecords { zone_id: zone.id.clone(), marker: m.clone() });
            continue;
        }
        let name = m.name.trim_start_matches("_warmstandby.");
        ours.extend(observed.records_named(name).filter(|r| r.rtype != "TXT").cloned());
        ours.push(m.clone());
    }
    if let (Some(zone), false) = (&observed.zone, ours.is_empty()) {
        plan.push(
            g,
            DnsAction::ChangeRecords {
                zone_id: zone.id.clone(),
                changes: ours.iter().map(|r| (RecordAction::Delete, r.clone())).collect(),
            },
        );
    }
    let records_left = !ours.is_empty();

    for h in observed.health_checks.iter().filter(|h| matches!(h.claim, Claim::Adopted(_))) {
        plan.push(g, DnsAction::ReleaseHealthCheck { id: h.id.clone() });
    }
    // The alarm watches it: it goes first.
    if !records_left && !alarm_left {
        for h in observed.health_checks.iter().filter(|h| h.claim == Claim::Created) {
            plan.push(g, DnsAction::DeleteHealthCheck { id: h.id.clone() });
        }
    }
    for (i, o) in regions.iter().enumerate() {
        let scope = Place::Region(if i == 0 { RegionRole::Primary } else { RegionRole::Standby });
        let kept = o.kept_references();
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
        let asgs_left = o.auto_scaling_groups.iter().any(|a| created(&a.claim));
        if !asgs_left {
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
    if let (Some(zone), false) = (&observed.zone, records_left)
        && zone.ours
    {
        plan.push(g, DnsAction::DeletePublicZone { zone_id: zone.id.clone() });
    }
    plan
}
