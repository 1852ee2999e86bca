//! Waiting costs what is waited on. A pass that changed nothing and found
//! nothing to repair, only AWS still working (a database creating, a load
//! balancer provisioning, a distribution deploying), records those resources
//! and their states; the passes after it read just those (one describe per
//! kind and region, or per resource where AWS has no batch read) until one
//! changes, and then observe the whole stack again: what the change unblocks
//! is planned at once. A full observation still comes at least every
//! [`FULL_OBSERVATION_EVERY`], so drift is found as before.

use warmstandby_api::{GLOBAL_REGION, RegionRole, ThreeTierStack, WaitedResource, WaitingOn};

use crate::families::bastion::ObservedInstance;
use crate::network::observed::{NatState, ObservedNetwork};
use crate::stack_pass::{Desired, Snapshot};

/// The longest a waiting stack goes without a full observation.
pub const FULL_OBSERVATION_EVERY_SECONDS: i64 = 300;

pub const DATABASE: &str = "database";
pub const LOAD_BALANCER: &str = "loadBalancer";
pub const IMAGE: &str = "image";
pub const CERTIFICATE: &str = "certificate";
pub const DISTRIBUTION: &str = "distribution";
pub const NAT_GATEWAY: &str = "natGateway";
pub const AUTO_SCALING_GROUP: &str = "autoScalingGroup";
pub const INSTANCE: &str = "instance";

/// Whether AWS is still working on a resource of `kind` in `state`: a
/// change from one such state to another (a database from `creating` to
/// `backing-up`, from `backing-up` to `deleting`) unblocks nothing, so a
/// waiting pass goes on waiting; a resource gone or settled does.
pub fn still_working(kind: &str, state: &str) -> bool {
    match kind {
        // RDS's transitional instance states (DB instance status, RDS User Guide).
        DATABASE => matches!(
            state,
            "creating"
                | "backing-up"
                | "modifying"
                | "rebooting"
                | "deleting"
                | "renaming"
                | "upgrading"
                | "starting"
                | "stopping"
                | "maintenance"
                | "resetting-master-credentials"
                | "configuring-enhanced-monitoring"
                | "configuring-log-exports"
                | "configuring-iam-database-auth"
        ),
        LOAD_BALANCER => state == "provisioning",
        IMAGE => state == "pending",
        CERTIFICATE => state == "PENDING_VALIDATION",
        DISTRIBUTION => state == "InProgress",
        NAT_GATEWAY => matches!(state, "pending" | "deleting"),
        AUTO_SCALING_GROUP => state == ASG_DELETING,
        INSTANCE => matches!(state, "pending" | "stopping" | "shutting-down"),
        _ => false,
    }
}

/// How long a teardown may go on reading only what it waits on. Shorter than
/// a live stack's: no drift is sought, but a blocker AWS releases without a
/// state we read (a network interface let go) should not hold it long.
pub const TEARDOWN_FULL_OBSERVATION_EVERY_SECONDS: i64 = 60;

/// The stack's resources in a state AWS is still moving them out of.
pub fn transitional(desired: &Desired, snapshot: &Snapshot) -> Vec<WaitedResource> {
    let mut out = Vec::new();
    let mut add = |kind: &str, region: &str, id: &str, state: &str| {
        out.push(WaitedResource { kind: kind.into(), region: region.into(), id: id.into(), state: state.into() })
    };
    for i in 0..2 {
        let region = desired.families.database[i].region.as_str();
        for db in snapshot.families.database[i]
            .databases
            .iter()
            .filter(|d| d.identifier == desired.families.database[i].db_identifier)
        {
            if !db.is_available() {
                add(DATABASE, region, &db.identifier, &db.status);
            }
        }
        for lb in snapshot.families.load_balancing[i].load_balancers.iter().filter(|l| l.state != "active") {
            add(LOAD_BALANCER, region, &lb.arn, &lb.state);
        }
        for image in snapshot.families.compute[i].images.iter().filter(|im| im.state == "pending") {
            add(IMAGE, region, &image.id, &image.state);
        }
        let certificate = snapshot.families.certificates.regions[i].as_ref();
        if let Some(c) = certificate.filter(|c| c.status == "PENDING_VALIDATION") {
            add(CERTIFICATE, region, &c.arn, &c.status);
        }
    }
    if let Some(c) = snapshot.families.certificates.cloudfront.as_ref().filter(|c| c.status == "PENDING_VALIDATION") {
        add(CERTIFICATE, GLOBAL_REGION, &c.arn, &c.status);
    }
    if let Some(d) = snapshot.families.cdn.as_ref().filter(|d| d.status == "InProgress") {
        add(DISTRIBUTION, GLOBAL_REGION, &d.id, &d.status);
    }
    out.sort();
    out
}

/// What a stack's teardown waits on AWS to finish: databases taking a final
/// snapshot or being deleted, a distribution deploying its disabling, auto
/// scaling groups being deleted, a bastion terminating. Each goes away or
/// changes state when AWS is done, which is what the next pass looks for.
pub fn teardown_transitional(regions: [&str; 2], seam: &crate::families::FamiliesObserved) -> Vec<WaitedResource> {
    let mut out = Vec::new();
    let mut add = |kind: &str, region: &str, id: &str, state: &str| {
        out.push(WaitedResource { kind: kind.into(), region: region.into(), id: id.into(), state: state.into() })
    };
    for (i, region) in regions.into_iter().enumerate() {
        for db in seam.database[i].databases.iter().filter(|d| !d.is_available()) {
            add(DATABASE, region, &db.identifier, &db.status);
        }
        // The bastion lives in the primary region.
        let instances: &[ObservedInstance] = if i == RegionRole::Primary.index() { &seam.bastion } else { &[] };
        for instance in
            instances.iter().filter(|x| matches!(x.state.as_str(), "pending" | "stopping" | "shutting-down"))
        {
            add(INSTANCE, region, &instance.id, &instance.state);
        }
        for asg in seam.compute[i].auto_scaling_groups.iter().filter(|a| a.deleting) {
            add(AUTO_SCALING_GROUP, region, &asg.name, ASG_DELETING);
        }
    }
    if let Some(d) = seam.cdn.as_ref().filter(|d| d.status == "InProgress") {
        add(DISTRIBUTION, GLOBAL_REGION, &d.id, &d.status);
    }
    out.sort();
    out
}

/// The status AWS gives an auto scaling group while deleting it.
pub const ASG_DELETING: &str = "Delete in progress";

/// What a RegionPair's teardown waits on in one region: NAT gateways being
/// created or deleted (their Elastic IPs and subnets are held until gone).
pub fn network_teardown_transitional(region: &str, observed: &ObservedNetwork) -> Vec<WaitedResource> {
    let mut out: Vec<WaitedResource> = observed
        .nat_gateways
        .iter()
        .filter(|n| matches!(n.state, NatState::Pending | NatState::Deleting))
        .map(|n| WaitedResource {
            kind: NAT_GATEWAY.into(),
            region: region.into(),
            id: n.id.clone(),
            state: n.state.as_aws().into(),
        })
        .collect();
    out.sort();
    out
}

/// Whether a teardown that waited at `observed_at` may still read only what
/// it waited on at `now` (both Unix seconds).
pub fn teardown_wait_is_fresh(observed_at: &str, now: i64) -> bool {
    now - crate::stack_pass::record::seconds(observed_at) < TEARDOWN_FULL_OBSERVATION_EVERY_SECONDS
}

/// What a pass that only waited leaves for the passes after it; `None` when
/// it did anything else (or waits on nothing slow).
pub fn waiting_on(only_waiting: bool, desired: &Desired, snapshot: &Snapshot, now: &str) -> Option<WaitingOn> {
    if !only_waiting {
        return None;
    }
    let resources = transitional(desired, snapshot);
    (!resources.is_empty()).then(|| WaitingOn { observed_at: now.to_string(), resources })
}

/// The resources a pass may read instead of the whole stack: the stack only
/// waited last time, its spec did not change, nothing moves it, no failure
/// detection watches it (a policy's detection starts once the stack first
/// served; it and moves need the whole picture), and its last full
/// observation is recent.
pub fn only_these(stack: &ThreeTierStack, watched: bool, requested: bool, now: i64) -> Option<&[WaitedResource]> {
    let status = stack.status.as_ref()?;
    let waiting = status.waiting_on.as_ref()?;
    let fresh = now - crate::stack_pass::record::seconds(&waiting.observed_at) < FULL_OBSERVATION_EVERY_SECONDS;
    let detecting = watched && status.first_ready_at.is_some();
    (fresh
        && !detecting
        && !requested
        && status.failover.is_none()
        && status.observed_generation == stack.metadata.generation
        && !waiting.resources.is_empty())
    .then_some(waiting.resources.as_slice())
}

#[cfg(test)]
mod tests {
    use warmstandby_api::ThreeTierStackStatus;

    use super::*;
    use crate::data::observed::ObservedDataTier;
    use crate::placement::Placement;

    fn stack_waiting(observed_at: &str) -> ThreeTierStack {
        let (mut stack, _) = crate::test_fixtures::classic_object(|_| {});
        stack.metadata.generation = Some(2);
        stack.status = Some(ThreeTierStackStatus {
            observed_generation: Some(2),
            waiting_on: Some(WaitingOn {
                observed_at: observed_at.into(),
                resources: vec![WaitedResource {
                    kind: DATABASE.into(),
                    region: "us-east-1".into(),
                    id: "db".into(),
                    state: "creating".into(),
                }],
            }),
            ..Default::default()
        });
        stack
    }

    #[test]
    fn a_waiting_stack_reads_only_what_it_waits_on_until_a_full_observation_is_due() {
        let now = crate::stack_pass::record::seconds("2026-12-05T10:04:00Z");
        let stack = stack_waiting("2026-12-05T10:00:00Z");
        assert_eq!(only_these(&stack, false, false, now).map(<[_]>::len), Some(1));
        assert!(only_these(&stack, true, false, now).is_some(), "a policy does not watch a stack that never served");
        let mut served = stack.clone();
        if let Some(s) = served.status.as_mut() {
            s.first_ready_at = Some("2026-12-05T09:00:00Z".into());
        }
        assert!(only_these(&served, true, false, now).is_none(), "a policy watches it");
        assert!(only_these(&stack, false, true, now).is_none(), "a move or drill was asked for");
        let later = crate::stack_pass::record::seconds("2026-12-05T10:05:00Z");
        assert!(only_these(&stack, false, false, later).is_none(), "a full observation is due");
        let mut changed = stack.clone();
        changed.metadata.generation = Some(3);
        assert!(only_these(&changed, false, false, now).is_none(), "a new spec");
    }

    #[test]
    fn only_slow_resources_in_passing_states_are_waited_on() {
        let (_, validated) = crate::test_fixtures::classic_object(|_| {});
        let desired = Desired::of(&validated, &Placement::at(warmstandby_api::RegionRole::Primary));
        let mut snapshot = Snapshot::default();
        let mut creating =
            crate::test_fixtures::observed_database(&desired.families.database[0].db_identifier.clone(), None, true);
        creating.status = "creating".into();
        snapshot.families.database[0].databases.push(creating);
        snapshot.families.database[1].databases.push(crate::test_fixtures::observed_database(
            &desired.families.database[1].db_identifier.clone(),
            Some("src"),
            true,
        ));
        let found = transitional(&desired, &snapshot);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!((found[0].kind.as_str(), found[0].state.as_str()), (DATABASE, "creating"));
        assert!(waiting_on(false, &desired, &snapshot, "t").is_none(), "the pass did more than wait");
        assert!(waiting_on(true, &desired, &Snapshot::default(), "t").is_none(), "nothing slow to wait on");
        assert_eq!(waiting_on(true, &desired, &snapshot, "t").map(|w| w.resources), Some(found));
    }

    #[test]
    fn a_teardown_waits_on_databases_going_bastions_terminating_and_nat_gateways_deleting() {
        use crate::network::observed::ObservedNatGateway;
        let mut data = [ObservedDataTier::default(), ObservedDataTier::default()];
        let mut deleting = crate::test_fixtures::observed_database("db-a", None, false);
        deleting.status = "deleting".into();
        data[0].databases.push(deleting);
        data[0].databases.push(crate::test_fixtures::observed_database("db-b", None, false));
        let instance = |id: &str, state: &str| ObservedInstance {
            id: id.into(),
            component: "bastion".into(),
            state: state.into(),
            instance_type: "t3.micro".into(),
            image_id: "ami-1".into(),
            subnet_id: "subnet-1".into(),
        };
        let seam = crate::families::FamiliesObserved {
            bastion: vec![instance("i-1", "shutting-down"), instance("i-2", "terminated")],
            database: data,
            ..Default::default()
        };
        let found = teardown_transitional(["r1", "r2"], &seam);
        let seen: Vec<(&str, &str, &str)> =
            found.iter().map(|w| (w.kind.as_str(), w.id.as_str(), w.state.as_str())).collect();
        assert_eq!(seen, vec![(DATABASE, "db-a", "deleting"), (INSTANCE, "i-1", "shutting-down")]);

        let nat = |id: &str, state: NatState| ObservedNatGateway {
            id: id.into(),
            component: "nat-a".into(),
            subnet_id: "subnet-1".into(),
            allocation_id: None,
            state,
        };
        let network = ObservedNetwork {
            nat_gateways: vec![nat("nat-1", NatState::Deleting), nat("nat-2", NatState::Deleted)],
            ..Default::default()
        };
        let found = network_teardown_transitional("r1", &network);
        assert_eq!(found.len(), 1);
        assert_eq!((found[0].kind.as_str(), found[0].state.as_str()), (NAT_GATEWAY, "deleting"));
        let now = crate::stack_pass::record::seconds("2026-12-05T10:00:59Z");
        assert!(teardown_wait_is_fresh("2026-12-05T10:00:00Z", now));
        assert!(!teardown_wait_is_fresh("2026-12-05T09:59:59Z", now), "a full observation is due");
    }
}
