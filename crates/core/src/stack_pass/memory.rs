//! The failover machine's inputs from the stack: its memory as the last
//! status recorded it (recovered from AWS when there is none), requests
//! (a changed `spec.activeRegion`, the CLI, an automatic failback) and the
//! steady view of observe-only passes.

use warmstandby_api::{FailoverPolicySpec, RegionRole, ThreeTierStack};

use crate::data::observed::ObservedDataTier;
use crate::desired::DesiredDataTier;
use crate::failover::{Decision, Memory, Observation, Request, Stage};

/// The machine's memory as the last status recorded it.
pub fn memory(stack: &ThreeTierStack) -> Memory {
    let status = stack.status.clone().unwrap_or_default();
    Memory {
        active: status.active_role.unwrap_or(stack.spec.active_region),
        epoch: status.epoch,
        progress: status.failover.clone(),
        detection: status.detection.clone().unwrap_or_default(),
    }
}

/// Without a recorded active role (a new status, the standalone CLI), AWS
/// tells: the writer with the highest epoch serves, and the epoch is the
/// highest one tagged. So a lost status never undoes a failover.
pub fn recover(memory: &mut Memory, recorded: bool, observed: &[ObservedDataTier; 2], desired: &[DesiredDataTier; 2]) {
    let writers: Vec<(RegionRole, i64)> = RegionRole::BOTH
        .into_iter()
        .filter_map(|role| {
            let i = role.index();
            observed[i]
                .databases
                .iter()
                .find(|d| d.identifier == desired[i].db_identifier && !d.is_replica())
                .map(|d| (role, d.epoch.unwrap_or(0)))
        })
        .collect();
    let tagged = writers.iter().map(|(_, e)| *e).max().unwrap_or(0);
    memory.epoch = memory.epoch.max(tagged);
    if recorded {
        return;
    }
    if let Some((role, _)) = writers.iter().max_by_key(|(_, e)| *e) {
        memory.active = *role;
    }
}

/// A planned switchover requested by changing `spec.activeRegion`, or a
/// request from the CLI (which wins).
pub fn request(stack: &ThreeTierStack, explicit: Option<Request>) -> Option<Request> {
    if explicit.is_some() {
        return explicit;
    }
    let requested = stack.status.as_ref().and_then(|s| s.requested_active_region);
    match requested {
        Some(r) if r != stack.spec.active_region => {
            Some(Request { to: stack.spec.active_region, force: false, kind: "switchover" })
        }
        _ => None,
    }
}

/// With `failback: Automatic`, the move home (to `spec.activeRegion`) once
/// replication towards it is rebuilt and caught up and nothing fails.
pub fn automatic_failback(
    stack: &ThreeTierStack,
    policy: Option<&FailoverPolicySpec>,
    memory: &Memory,
    observation: &Observation,
) -> Option<Request> {
    let policy = policy?;
    let home = stack.spec.active_region;
    let caught_up = observation.databases[home.index()].as_ref().is_some_and(|db| {
        db.is_replica
            && db.status == "available"
            && db.replication.state == crate::replication::State::Replicating
            && db.replication.lag_seconds == Some(0)
    });
    (policy.failback == warmstandby_api::FailbackMode::Automatic
        && memory.progress.is_none()
        && memory.active != home
        && observation.failing.is_empty()
        && caught_up)
        .then_some(Request { to: home, force: false, kind: "failback" })
}

/// Whether the target's endpoints are probed this pass: at the verify step,
/// and already at the switch step so that verify can finish in the pass after.
pub fn verifying(memory: &Memory) -> bool {
    memory.progress.as_ref().and_then(|p| Stage::parse(&p.step)).is_some_and(Stage::traffic_moved)
}

/// The machine's view without running it (observe-only passes): roles as
/// recorded, a writer outside the active region fenced.
pub fn steady(memory: &Memory, observed: &[ObservedDataTier; 2], desired: &[DesiredDataTier; 2]) -> Decision {
    let other = memory.active.other();
    let stale_writer = observed[other.index()]
        .databases
        .iter()
        .any(|d| d.identifier == desired[other.index()].db_identifier && !d.is_replica());
    Decision { fence: stale_writer.then_some(other), ..Decision::remembered(memory) }
}

/// Merges each replica's replication reading of this pass with what the
/// last status remembered of it (the last lag known, since when it is
/// stopped), so the RPO estimate survives a metric window that moved on.
pub fn remember_replication(
    observed: &mut [ObservedDataTier; 2],
    previous: Option<&warmstandby_api::ThreeTierStackStatus>,
    now: i64,
) {
    let remembered = |identifier: &str| {
        let regions = previous.map(|s| [s.primary.as_ref(), s.standby.as_ref()]).unwrap_or_default();
        regions
            .into_iter()
            .flatten()
            .filter_map(|r| r.database.as_ref())
            .find(|d| d.instance_id == identifier)
            .and_then(|d| d.replication.clone())
    };
    for db in observed.iter_mut().flat_map(|o| o.databases.iter_mut()) {
        if db.is_replica() {
            let previous = remembered(&db.identifier);
            db.replication = crate::replication::Health::from_reading(&db.replication_reading, previous.as_ref(), now);
        } else {
            db.replication = crate::replication::Health::default();
        }
    }
}
