//! An existing network (`spec.<region>.existing`): what a stack needs of it,
//! checked against what AWS shows. Nothing here plans a change: whatever is
//! wrong is reported (drift, and why stacks cannot use it) and left alone.

use std::collections::BTreeMap;

use warmstandby_api::{DriftItem, RegionNetworkStatus};

use crate::network::observed::{ObservedNetwork, RouteTarget, route_table_of};
use crate::plan::PassOutcome;
use crate::validate::{ExistingNetwork, SubnetTier};

/// The pass over an existing network: its IDs for the status and what is wrong with it.
pub fn check_existing(
    existing: &ExistingNetwork,
    region: &str,
    path: &str,
    observed: &ObservedNetwork,
) -> (RegionNetworkStatus, PassOutcome) {
    let mut outcome = PassOutcome::default();
    let mut problem = |drift: DriftItem, message: String| {
        outcome.drift.push(drift);
        outcome.blocked.push(message);
    };
    let vpc = &existing.vpc_id;
    let vpc_found = observed.vpcs.iter().any(|v| v.id == *vpc);
    // A RegionPair's own network is that pair's to change and delete.
    if observed.vpcs.iter().any(|v| v.id == *vpc && !v.component.is_empty()) {
        problem(
            DriftItem::new(region, "Vpc", vpc, "owner", "someone else", "warmstandby"),
            format!(
                "{path}.vpcId: {vpc} is a network warmstandby manages for a RegionPair; put the stacks on that RegionPair instead"
            ),
        );
    }
    if !vpc_found {
        problem(
            DriftItem::new(region, "Vpc", vpc, "existence", "present", "missing"),
            format!("{path}.vpcId: {vpc} does not exist in {region} (VPC IDs are regional)"),
        );
    }
    let mut ids = RegionNetworkStatus {
        region: region.to_string(),
        vpc_id: vpc_found.then(|| vpc.clone()),
        existing: true,
        ..Default::default()
    };
    let mut zones: BTreeMap<SubnetTier, Vec<(&str, &str)>> = BTreeMap::new();
    for (key, id) in &existing.subnet_ids {
        let field = format!("{path}.subnets.{}", field_of(key));
        let Some(subnet) = observed.subnets.iter().find(|s| s.id == *id) else {
            problem(
                DriftItem::new(region, "Subnet", id, "existence", "present", "missing"),
                format!("{field}: {id} does not exist in {region} (subnet IDs are regional)"),
            );
            continue;
        };
        if subnet.vpc_id != *vpc {
            problem(
                DriftItem::new(region, "Subnet", id, "vpc", vpc, &subnet.vpc_id),
                format!("{field}: {id} is in {}, not in {vpc}", subnet.vpc_id),
            );
            continue;
        }
        ids.subnet_ids.insert(key.clone(), id.clone());
        let Some(tier) = ExistingNetwork::tier_of(key) else { continue };
        zones.entry(tier).or_default().push((id, &subnet.zone));
        let table = route_table_of(&observed.route_tables, vpc, id);
        if let Some(t) = table {
            ids.route_table_ids.insert(key.clone(), t.id.clone());
        }
        let needs = match tier {
            SubnetTier::Public => Some(("an internet gateway", "the load balancers and the bastion need one")),
            SubnetTier::Web | SubnetTier::App => Some(("a route out (NAT)", "the instances reach AWS through it")),
            SubnetTier::Db => None,
        };
        let Some((what, why)) = needs else { continue };
        let ok = table.is_some_and(|t| {
            t.routes.iter().any(|r| {
                r.destination == "0.0.0.0/0"
                    && !r.blackhole
                    && match (&r.target, tier) {
                        (RouteTarget::Gateway(_), SubnetTier::Public) => true,
                        (_, SubnetTier::Public) => false,
                        (RouteTarget::Other(o), _) => o != "local",
                        _ => true,
                    }
            })
        });
        if !ok {
            let table = table.map_or("no route table".to_string(), |t| format!("route table {}", t.id));
            problem(
                DriftItem::new(region, "Subnet", id, "routes[0.0.0.0/0]", what, "absent"),
                format!("{field}: {id} has no 0.0.0.0/0 route to {what} ({table}); {why}"),
            );
        }
    }
    for (tier, subnets) in &zones {
        if let [(a, za), (b, zb)] = subnets.as_slice()
            && za == zb
        {
            problem(
                DriftItem::new(region, "Subnet", b, "availabilityZone", format!("not {za}"), zb),
                format!(
                    "{path}.subnets.{}: {a} and {b} are both in {za}; give subnets in two availability zones",
                    tier.as_str()
                ),
            );
        }
    }
    outcome.drift.sort();
    outcome.converged = outcome.blocked.is_empty();
    (ids, outcome)
}

/// `web-a` → `web[0]`.
fn field_of(key: &str) -> String {
    match key.rsplit_once('-') {
        Some((tier, "a")) => format!("{tier}[0]"),
        Some((tier, "b")) => format!("{tier}[1]"),
        _ => key.to_string(),
    }
}

#[cfg(test)]
#[path = "existing_tests.rs"]
mod tests;
