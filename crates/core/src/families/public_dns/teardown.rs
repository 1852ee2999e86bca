//! Deleting the public DNS: our records first (with their markers; those
//! adopted from someone's hand are left, only our marker goes), then the
//! health checks once no record and no alarm uses them, then a zone the
//! stack created once its records are gone.

use super::{DesiredPublicDns, DnsAction, DnsPlan, ObservedPublicDns, RecordAction, RecordSpec, is_adopted_marker};
use crate::identity::Claim;
use crate::plan::Place;

/// Our records (each name's sets with our marker beside them), markers
/// included; adopted ones are released, not listed.
fn ours(desired: &DesiredPublicDns, observed: &ObservedPublicDns) -> Vec<RecordSpec> {
    let marker_value = format!("\"{}\"", desired.owner.owner_marker());
    let mut ours = Vec::new();
    for m in observed.records.iter().filter(|r| r.rtype == "TXT" && r.values.contains(&marker_value)) {
        if is_adopted_marker(m) && observed.zone.is_some() {
            continue;
        }
        let name = m.name.trim_start_matches("_warmstandby.");
        ours.extend(observed.records_named(name).filter(|r| r.rtype != "TXT").cloned());
        ours.push(m.clone());
    }
    ours
}

/// Records of ours are left in the zone: what they point at (the load
/// balancers) waits for them.
pub fn records_left(desired: &DesiredPublicDns, observed: &ObservedPublicDns) -> bool {
    !ours(desired, observed).is_empty()
}

/// The teardown. `alarm_left`: the alarm family's alarm still watches a health check.
pub fn plan_dns_teardown(desired: &DesiredPublicDns, observed: &ObservedPublicDns, alarm_left: bool) -> DnsPlan {
    let mut plan = DnsPlan::default();
    let g = Place::Global;
    let marker_value = format!("\"{}\"", desired.owner.owner_marker());
    for m in observed.records.iter().filter(|r| r.rtype == "TXT" && r.values.contains(&marker_value)) {
        // Records adopted from someone's hand are left; only our marker goes.
        if is_adopted_marker(m)
            && let Some(zone) = &observed.zone
        {
            plan.push(g, DnsAction::ReleaseRecords { zone_id: zone.id.clone(), marker: m.clone() });
        }
    }
    let ours = ours(desired, observed);
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
    if let (Some(zone), false) = (&observed.zone, records_left)
        && zone.ours
    {
        plan.push(g, DnsAction::DeletePublicZone { zone_id: zone.id.clone() });
    }
    plan
}
