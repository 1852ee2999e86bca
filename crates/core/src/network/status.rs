//! Pure status computation for a RegionPair from what a reconcile pass saw
//! and did.

use std::collections::BTreeMap;

use warmstandby_api::{Condition, DriftItem, RegionNetworkStatus, RegionPairStatus, RegionRole};

use crate::conditions::{self, Status, types};
use crate::network::observed::ObservedNetwork;
use crate::plan::PassOutcome;

/// One region's outcome of a reconcile pass.
#[derive(Clone, Debug, Default)]
pub struct RegionPass {
    pub region: String,
    /// The model after the pass (observed, plus what was applied).
    pub model: ObservedNetwork,
    pub outcome: PassOutcome,
    /// An existing network: the IDs it offers stacks (those found where the spec says).
    pub existing: Option<RegionNetworkStatus>,
}

impl RegionPass {
    pub fn ready(&self) -> bool {
        self.outcome.ready()
    }

    /// The IDs the status reports for this region.
    pub fn ids(&self) -> RegionNetworkStatus {
        self.existing.clone().unwrap_or_else(|| network_ids(&self.region, &self.model))
    }
}

fn strip<'a>(component: &'a str, prefix: &str) -> &'a str {
    component.strip_prefix(prefix).unwrap_or(component)
}

/// Resource IDs of one region, keyed by their logical names.
pub fn network_ids(region: &str, model: &ObservedNetwork) -> RegionNetworkStatus {
    let map = |pairs: Vec<(String, String)>| pairs.into_iter().collect::<BTreeMap<_, _>>();
    RegionNetworkStatus {
        region: region.to_string(),
        vpc_id: model.vpcs.iter().find(|v| v.component == "vpc").map(|v| v.id.clone()),
        subnet_ids: map(model
            .subnets
            .iter()
            .map(|s| (strip(&s.component, "subnet/").to_string(), s.id.clone()))
            .collect()),
        internet_gateway_id: model.internet_gateways.first().map(|g| g.id.clone()),
        nat_gateway_ids: map(model
            .nat_gateways
            .iter()
            .filter(|n| n.state.is_live())
            .map(|n| (strip(&n.component, "nat-gateway/").to_string(), n.id.clone()))
            .collect()),
        elastic_ip_allocation_ids: map(model
            .addresses
            .iter()
            .map(|a| (strip(&a.component, "elastic-ip/").to_string(), a.allocation_id.clone()))
            .collect()),
        route_table_ids: map(model
            .route_tables
            .iter()
            .map(|t| (strip(&t.component, "route-table/").to_string(), t.id.clone()))
            .collect()),
        existing: false,
    }
}

/// Status of a RegionPair after a pass over both regions.
pub fn region_pair_status(
    previous: &[Condition],
    generation: Option<i64>,
    hands_off: Option<warmstandby_api::HandsOff>,
    primary: &RegionPass,
    standby: &RegionPass,
    now: &str,
) -> RegionPairStatus {
    let mut c = previous.to_vec();
    let set = |c: &mut Vec<Condition>, t: &str, s: Status, reason: &str, msg: String| {
        conditions::set(c, t, s, reason, msg, generation, now)
    };
    set(&mut c, types::SPEC_VALID, Status::True, "Valid", String::new());
    for (role, pass) in [(RegionRole::Primary, primary), (RegionRole::Standby, standby)] {
        let t = format!("{}NetworkReady", if role == RegionRole::Primary { "Primary" } else { "Standby" });
        let (status, reason, msg) = region_condition(pass);
        set(&mut c, &t, status, reason, msg);
    }
    let passes = [primary, standby];
    let ready = passes.iter().all(|p| p.ready());
    let errors: Vec<String> =
        passes.iter().flat_map(|p| p.outcome.errors.iter().map(|e| format!("{}: {e}", p.region))).collect();
    let blocked: Vec<String> =
        passes.iter().flat_map(|p| p.outcome.blocked.iter().map(|e| format!("{}: {e}", p.region))).collect();
    let waiting: Vec<String> =
        passes.iter().flat_map(|p| p.outcome.waiting.iter().map(|e| format!("{}: {e}", p.region))).collect();
    let applied: usize = passes.iter().map(|p| p.outcome.applied).sum();
    let mut drift: Vec<DriftItem> = passes.iter().flat_map(|p| p.outcome.drift.iter().cloned()).collect();
    // An existing network that cannot carry stacks is not ours to replace.
    let unusable = passes
        .iter()
        .any(|p| p.existing.is_some() && !p.outcome.blocked.is_empty())
        .then_some("ExistingNetworkUnusable");
    drift.sort();

    let phase = crate::overall::set_overall(
        &mut c,
        &crate::overall::Overall {
            ready,
            ready_message: "both regions' networks exist and match the spec",
            errors: &errors,
            blocked: &blocked,
            waiting: &waiting,
            applied,
            drift: &drift,
            hands_off,
            planned: passes.iter().map(|p| p.outcome.planned).sum(),
            attention: &[],
            blocked_reason: unusable.unwrap_or("NeedsReplacement"),
            degraded_reason: unusable.unwrap_or("NeedsReplacement"),
            idle_message: None,
        },
        generation,
        now,
    );
    RegionPairStatus {
        observed_generation: generation,
        phase: Some(phase),
        conditions: c,
        primary: Some(primary.ids()),
        standby: Some(standby.ids()),
        drift_count: i32::try_from(drift.len()).unwrap_or(i32::MAX),
        drift,
        planned: None,
    }
}

fn region_condition(pass: &RegionPass) -> (Status, &'static str, String) {
    if pass.ready() {
        (Status::True, "Ready", String::new())
    } else if !pass.outcome.errors.is_empty() {
        (Status::False, "AwsError", pass.outcome.errors.join("; "))
    } else if !pass.outcome.blocked.is_empty() {
        (Status::False, "NeedsReplacement", pass.outcome.blocked.join("; "))
    } else if !pass.outcome.waiting.is_empty() {
        (Status::False, "Waiting", pass.outcome.waiting.join("; "))
    } else {
        (Status::False, "Provisioning", format!("{} change(s) applied", pass.outcome.applied))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use warmstandby_api::Phase;

    fn pass(region: &str) -> RegionPass {
        RegionPass {
            region: region.into(),
            outcome: PassOutcome { converged: true, ..Default::default() },
            ..Default::default()
        }
    }

    #[test]
    fn ready_only_when_both_regions_converged() {
        let s = region_pair_status(&[], Some(3), None, &pass("us-east-1"), &pass("us-west-2"), "t0");
        assert_eq!(s.phase, Some(Phase::Ready));
        assert!(conditions::is_true(&s.conditions, types::READY));
        assert!(conditions::is_true(&s.conditions, "PrimaryNetworkReady"));
        assert_eq!(s.observed_generation, Some(3));
        let mut waiting = pass("us-west-2");
        waiting.outcome.waiting.push("nat-gateway/nat-a is pending".into());
        let s2 = region_pair_status(&s.conditions, Some(3), None, &pass("us-east-1"), &waiting, "t1");
        assert_eq!(s2.phase, Some(Phase::Provisioning));
        let ready = conditions::get(&s2.conditions, types::READY).unwrap();
        assert_eq!((ready.status.as_str(), ready.last_transition_time.as_str()), ("False", "t1"));
        let primary = conditions::get(&s2.conditions, "PrimaryNetworkReady").unwrap();
        assert_eq!(primary.last_transition_time, "t0", "unchanged conditions keep their time");
    }

    #[test]
    fn drift_and_errors_show_in_conditions() {
        let mut drifted = pass("us-east-1");
        drifted.outcome.converged = false;
        drifted.outcome.drift.push(DriftItem {
            region: "us-east-1".into(),
            kind: "Subnet".into(),
            resource: "subnet-1".into(),
            field: "mapPublicIpOnLaunch".into(),
            expected: "true".into(),
            found: "false".into(),
        });
        let mut failed = pass("us-west-2");
        failed.outcome.errors.push("CreateVpc: VpcLimitExceeded: too many".into());
        let s = region_pair_status(&[], None, None, &drifted, &failed, "t");
        assert_eq!(s.drift_count, 1);
        assert_eq!(s.phase, Some(Phase::Degraded));
        assert!(conditions::is_true(&s.conditions, types::DRIFT_DETECTED));
        assert!(conditions::is_true(&s.conditions, types::DEGRADED));
        let drift = conditions::get(&s.conditions, types::DRIFT_DETECTED).unwrap();
        assert_eq!(drift.message, "us-east-1 Subnet subnet-1: mapPublicIpOnLaunch expected true, found false");
    }
}
