//! Deleting a stack's edge, compute and global resources.

use warmstandby_api::RegionRole;

use crate::edge::actions::{
    AlarmAction, CdnAction, CertificateAction, ComputeAction, DnsAction, EdgeScope, LoadBalancingAction, RecordAction,
    WafAction,
};
use crate::edge::inputs::EdgePlan;
use crate::edge::observed::{ObservedGlobalEdge, ObservedRegionEdge, RecordSpec};

/// Deletion in the reverse of creation: alarm and our records first, then
/// CloudFront (disabled, then deleted once deployed), the web ACL, health
/// checks, auto scaling groups, launch templates, listeners, load balancers,
/// target groups, image copies, certificates and finally a zone we created.
pub fn plan_edge_teardown(
    regions: [&ObservedRegionEdge; 2],
    observed: &ObservedGlobalEdge,
    owner_marker: &str,
) -> EdgePlan {
    let mut plan = EdgePlan::default();
    let g = EdgeScope::Global;
    let marker_value = format!("\"{owner_marker}\"");
    if let Some(a) = &observed.alarm {
        plan.push(g, AlarmAction::DeleteAlarm { name: a.name.clone() });
    }
    let mut ours: Vec<RecordSpec> = Vec::new();
    for m in observed.records.iter().filter(|r| r.rtype == "TXT" && r.values.contains(&marker_value)) {
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

    let mut distribution_left = false;
    if let Some(d) = &observed.distribution {
        distribution_left = true;
        if d.spec.enabled {
            let mut spec = d.spec.clone();
            spec.enabled = false;
            plan.push(g, CdnAction::UpdateDistribution { id: d.id.clone(), etag: d.etag.clone(), spec });
            plan.waiting.push(format!("distribution {} is being disabled", d.id));
        } else if d.status != "Deployed" {
            plan.waiting.push(format!("distribution {} is {}", d.id, d.status));
        } else {
            plan.push(g, CdnAction::DeleteDistribution { id: d.id.clone(), etag: d.etag.clone() });
        }
    }
    // An adopted ACL is left where it was, without our tags (one never adopted is not ours).
    match (observed.web_acl.as_ref().filter(|w| w.is_ours()), distribution_left) {
        (Some(w), _) if w.adopted_at.is_some() => {
            plan.push(g, WafAction::ReleaseWebAcl { name: w.name.clone(), arn: w.arn.clone() })
        }
        (Some(w), false) => plan.push(
            g,
            WafAction::DeleteWebAcl { id: w.id.clone(), name: w.name.clone(), lock_token: w.lock_token.clone() },
        ),
        _ => {}
    }
    if !records_left && observed.alarm.is_none() {
        for h in &observed.health_checks {
            plan.push(g, DnsAction::DeleteHealthCheck { id: h.id.clone() });
        }
    }
    let regional_certificates_in_use = distribution_left;
    for (i, o) in regions.iter().enumerate() {
        let scope = EdgeScope::Region(if i == 0 { RegionRole::Primary } else { RegionRole::Standby });
        for a in o.auto_scaling_groups.iter().filter(|a| !a.deleting) {
            plan.push(scope, ComputeAction::DeleteAutoScalingGroup { name: a.name.clone() });
        }
        if o.auto_scaling_groups.iter().any(|a| a.deleting) {
            plan.waiting.push("auto scaling groups are being deleted".into());
        }
        let asgs_left = !o.auto_scaling_groups.is_empty();
        if !asgs_left {
            for lt in &o.launch_templates {
                plan.push(scope, ComputeAction::DeleteLaunchTemplate { template_id: lt.id.clone() });
            }
            for img in o.images.iter().filter(|i| i.tagged || !i.snapshot_ids.is_empty()) {
                plan.push(
                    scope,
                    ComputeAction::DeregisterImage { image_id: img.id.clone(), snapshot_ids: img.snapshot_ids.clone() },
                );
            }
        }
        for l in &o.listeners {
            plan.push(scope, LoadBalancingAction::DeleteListener { arn: l.arn.clone() });
        }
        // Origins and alias targets must be gone before their load balancers.
        if o.listeners.is_empty() && !distribution_left && !records_left {
            for lb in &o.load_balancers {
                plan.push(scope, LoadBalancingAction::DeleteLoadBalancer { arn: lb.arn.clone() });
            }
        }
        if o.load_balancers.is_empty() && !asgs_left {
            for tg in &o.target_groups {
                plan.push(scope, LoadBalancingAction::DeleteTargetGroup { arn: tg.arn.clone() });
            }
        }
        if let (Some(c), true) = (&o.certificate, o.listeners.is_empty() && !regional_certificates_in_use) {
            plan.push(scope, CertificateAction::DeleteCertificate { arn: c.arn.clone() });
        }
    }
    if let (Some(c), false) = (&observed.certificate, distribution_left) {
        plan.push(g, CertificateAction::DeleteCertificate { arn: c.arn.clone() });
    }
    if let (Some(zone), false) = (&observed.zone, records_left)
        && zone.ours
    {
        plan.push(g, DnsAction::DeletePublicZone { zone_id: zone.id.clone() });
    }
    plan
}
