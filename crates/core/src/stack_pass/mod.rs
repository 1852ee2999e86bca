//! The pure part of a ThreeTierStack pass. The controller observes AWS and
//! detects failures (IO), then `decide` says where everything belongs and
//! what to change; after the changes are applied, `conclude` writes the
//! status and says when to come back.

pub mod memory;
pub mod moving;
pub mod observation;
pub mod record;
pub mod status;
pub mod waiting;

use warmstandby_api::{DetectionStatus, Phase, RegionRole, ThreeTierStack, ThreeTierStackStatus};

use crate::desired::NetworkRefs;
use crate::failover::{Decision, FailoverReason, Memory, Request};
use crate::families::secrets::Writer;
use crate::families::{FamiliesDesired, FamiliesObserved, Neighbours, SeamPlan};
use crate::next::Next;
use crate::placement::Placement;
use crate::plan::{PassOutcome, Place};
use crate::resource::Kind;
use crate::stack_pass::status::{StackPass, stack_status};
use crate::validate::ValidatedStack;

/// Everything a stack should be: every family on the seam.
#[derive(Clone, Debug)]
pub struct Desired {
    pub families: FamiliesDesired,
}

impl Desired {
    pub fn of(stack: &ValidatedStack, placement: &Placement) -> Desired {
        Desired { families: FamiliesDesired::of(stack, placement) }
    }

    /// A database the status says was adopted is looked for no more: if a
    /// failover replaced it, it is recreated like any of ours.
    pub fn adopted_before(mut self, status: Option<&ThreeTierStackStatus>) -> Desired {
        let adopted = status.map(|s| s.adopted.as_slice()).unwrap_or_default();
        for d in &mut self.families.database {
            if adopted.iter().any(|a| a.region == d.region && a.id == d.db_identifier) {
                d.adopt = false;
            }
        }
        self
    }
}

/// What AWS showed this pass. A region that could not be reached is marked
/// (what its families know of it kept from the last status, by each family).
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    pub families: FamiliesObserved,
    pub unreachable: [bool; 2],
}

impl Snapshot {
    /// Nothing of the stack exists in AWS yet: a pass would plan only the
    /// first layer, and the whole topology is what an apply would create.
    /// (The public zone is the customer's, there before the stack; what is
    /// named for adoption and not ours yet is not the stack's.)
    pub fn nothing_built(&self, desired: &Desired) -> bool {
        desired.families.live_count(&self.families) == 0
    }
}

/// Failure detection's findings this pass (applying passes only).
#[derive(Clone, Debug, Default)]
pub struct Signals {
    /// Sources that report the active region failing (`alarm`, `probes`, `healthCheck`).
    pub failing: Vec<String>,
    pub detection: DetectionStatus,
    pub enabled_sources: usize,
    /// The target's endpoints answer (while a move verifies), per region.
    pub answers: [Option<bool>; 2],
}

/// The inputs of one pass's decisions.
pub struct Inputs<'a> {
    pub stack: &'a ThreeTierStack,
    pub validated: &'a ValidatedStack,
    pub nets: &'a [NetworkRefs; 2],
    /// The machine's memory, recovered from AWS where the status lacks it.
    pub memory: &'a Memory,
    pub snapshot: &'a Snapshot,
    /// `None`: an observing pass, which runs the machine's steady view only.
    pub signals: Option<Signals>,
    /// A move asked for explicitly (the CLI).
    pub request: Option<Request>,
    /// The stack only observes (`managementPolicy: Observe`): the machine
    /// runs on the signals to say what it would do, and nothing moves.
    pub observe_only: bool,
    /// RFC 3339.
    pub now: &'a str,
}

/// Where everything belongs this pass and what to change to get there.
#[derive(Debug)]
pub struct Decided {
    pub decision: Decision,
    pub placement: Placement,
    pub desired: Desired,
    /// Every family's plan.
    pub families_plan: SeamPlan,
    /// The first plan had nothing to do.
    pub converged: bool,
    /// A requested move started (or there was nothing to move).
    pub request_consumed: bool,
    /// Observe only: the move the machine would make (or consider) now.
    pub would_move: Option<String>,
}

/// Runs the failover machine (or its steady view), places the stack and
/// plans every family; nothing is planned into a region that cannot be reached.
pub fn decide(inputs: Inputs<'_>) -> Decided {
    let Inputs { stack, validated, nets, memory, snapshot, signals, request, observe_only, now } = inputs;
    let policy = validated.policy.as_ref();
    let mut would_move = None;
    let decision = match signals {
        Some(signals) => {
            let observing = Desired::of(validated, &Placement::at(memory.active));
            let mut remembered = memory.clone();
            remembered.detection = signals.detection;
            let observation = observation::observation(
                stack,
                &remembered,
                signals.failing,
                signals.enabled_sources,
                (&observing.families.database, &snapshot.families.database),
                (&observing.families.load_balancing, &snapshot.families),
                signals.answers,
                snapshot.unreachable,
                (record::seconds(now), now),
            );
            let request = memory::request(stack, request)
                .or_else(|| memory::automatic_failback(stack, policy, &remembered, &observation));
            let machine = crate::failover::decide(policy, &remembered, request.as_ref(), &observation);
            if observe_only {
                // Detection reports; the machine's move is only described.
                would_move = move_described(&machine, memory, |r| validated.pair.region(r).region.clone());
                let mut steady = memory::steady(memory, &snapshot.families.database, &observing.families.database);
                steady.detection = machine.detection;
                steady
            } else {
                machine
            }
        }
        None => {
            let observing = Desired::of(validated, &Placement::at(memory.active));
            memory::steady(memory, &snapshot.families.database, &observing.families.database)
        }
    };
    let request_consumed = decision.progress.is_some() || decision.active == stack.spec.active_region;
    let placement = decision.placement(memory.epoch);
    let desired = Desired::of(validated, &placement).adopted_before(stack.status.as_ref());
    let around = Neighbours { nets: Some(nets), ..neighbours(&desired, snapshot, &placement) };
    let mut families_plan = desired.families.plan(&snapshot.families, &around);
    for (i, role) in RegionRole::BOTH.into_iter().enumerate() {
        if snapshot.unreachable[i] {
            let region = desired.families.database[i].region.clone();
            families_plan.actions.retain(|(s, _)| *s != Place::Region(role));
            families_plan.drift.retain(|d| d.region != region);
            families_plan.waiting.retain(|w| !w.contains(&region));
            families_plan
                .blocked
                .push(format!("{region} cannot be reached; its resources are neither observed nor changed"));
        }
    }
    let converged = would_move.is_none() && families_plan.is_settled();
    Decided { decision, placement, desired, families_plan, converged, request_consumed, would_move }
}

/// What the machine would do this pass, in words: the move it would start
/// or take a step in, or the failure it sees while it waits (debounce,
/// guards, approval).
fn move_described(machine: &Decision, memory: &Memory, region: impl Fn(RegionRole) -> String) -> Option<String> {
    if let Some(p) = machine.progress.as_ref().filter(|_| memory.progress.is_none() || machine.epoch != memory.epoch) {
        return Some(format!("{} from {} to {}", p.kind, region(p.from), region(p.to)));
    }
    if let Some(p) = &machine.progress {
        return Some(format!("{} from {} to {} (under way)", p.kind, region(p.from), region(p.to)));
    }
    let failing = &machine.detection.failing;
    (!failing.is_empty()).then(|| {
        let refusal = machine.refusal.as_deref().map(|r| format!("; {r}")).unwrap_or_default();
        format!(
            "{} fails by {}; a failover to {} would follow the policy{refusal}",
            region(memory.active),
            failing.join(", "),
            region(memory.active.other())
        )
    })
}

/// What applying the plans came to.
#[derive(Clone, Debug, Default)]
pub struct Applied {
    /// Changes made.
    pub count: usize,
    /// Failed calls, one sentence each.
    pub errors: Vec<String>,
    /// Every failure is worth retrying.
    pub retryable: bool,
    /// The pass applied (an observing pass changes nothing and is steady).
    pub applying: bool,
    /// An observing pass: the changes an apply would make (as listed in
    /// `status.planned`).
    pub planned: usize,
}

/// What a pass leaves: the status to write, when to come back, and the
/// failover transitions (for events and metrics).
#[derive(Debug)]
pub struct Concluded {
    pub status: ThreeTierStackStatus,
    pub next: Next,
    pub events: Vec<(FailoverReason, String)>,
    /// Observe only: the move the machine would make (or consider) now.
    pub would_move: Option<String>,
}

/// Writes the status of a pass: conditions over every family, the machine's
/// results, the standby's readiness (and a drill record when one is due or
/// `drill_requested`), and when the next pass should come.
pub fn conclude(
    stack: &ThreeTierStack,
    validated: &ValidatedStack,
    snapshot: &Snapshot,
    decided: Decided,
    applied: &Applied,
    drill_requested: bool,
    now: &str,
) -> Concluded {
    let Decided { mut decision, placement, desired, families_plan, converged, request_consumed, would_move, .. } =
        decided;
    let previous = stack.status.as_ref().map(|s| s.conditions.clone()).unwrap_or_default();
    let policy = validated.policy.as_ref();
    // Every family's findings, in the order the families are planned.
    let mut found = crate::plan::Plan::<()>::default();
    families_plan.findings_into(&mut found);
    let crate::plan::Plan { drift, blocked, mut waiting, .. } = found;
    let only_waiting = applied.applying
        && applied.count == 0
        && applied.errors.is_empty()
        && blocked.is_empty()
        && drift.is_empty()
        && !waiting.is_empty();
    if applied.applying && applied.count > 0 {
        waiting.push(format!("{} change(s) made; checking again", applied.count));
    }
    let around = neighbours(&desired, snapshot, &placement);
    let pass = StackPass {
        seam: desired.families.verdicts(&snapshot.families, &around, &drift),
        outcome: PassOutcome {
            drift,
            converged,
            applied: applied.count,
            planned: applied.planned,
            blocked,
            waiting,
            errors: applied.errors.clone(),
        },
        hands_off: validated.spec.hands_off(),
        active_region: validated.pair.region(decision.active).region.clone(),
    };
    let mut status = stack_status(&previous, stack.metadata.generation, &pass, now);
    desired.families.status(&snapshot.families, &around, &mut status);
    status.adopted = adopted(stack.status.as_ref(), &desired, snapshot);
    status.waiting_on = waiting::waiting_on(only_waiting, &desired, snapshot, now);
    status.first_ready_at = stack
        .status
        .as_ref()
        .and_then(|s| s.first_ready_at.clone())
        .or_else(|| (status.phase == Some(Phase::Ready)).then(|| now.to_string()));
    // A region that could not be reached keeps what the last status said of it.
    if let Some(before) = &stack.status {
        if snapshot.unreachable[0] {
            status.primary = before.primary.clone();
        }
        if snapshot.unreachable[1] {
            status.standby = before.standby.clone();
        }
    }
    record::record(&mut status, &decision, stack.status.as_ref(), stack, request_consumed, |r| {
        validated.pair.region(r).region.clone()
    });
    let seen = (
        observation::writer(
            &desired.families.database,
            &snapshot.families.database,
            &snapshot.families.security_groups,
        ),
        observation::traffic(&desired.families.load_balancing, &snapshot.families),
    );
    let regions = [desired.families.database[0].region.as_str(), desired.families.database[1].region.as_str()];
    if let Some(overdue) =
        moving::record_move(&mut status, stack, decision.progress.as_ref(), policy, seen, regions, now)
    {
        decision.events.push(overdue);
    }
    let readiness = crate::drill::readiness(
        policy,
        &validated.spec,
        decision.active,
        (&desired.families.database, &snapshot.families.database),
        (&desired.families.compute, &snapshot.families.compute),
        &snapshot.families.certificates,
        record::seconds(now),
    );
    if let Some(would) = &would_move {
        // Told once per finding, not every pass it stays the same.
        let told = stack
            .status
            .as_ref()
            .and_then(|s| s.planned.as_ref())
            .is_some_and(|p| p.changes.iter().any(|c| c.action == PLANNED_FAILOVER && &c.description == would));
        if !told {
            decision
                .events
                .push((FailoverReason::FailureDetected, format!("observe only, nothing is changed: {would}")));
        }
    }
    if let Some(d) = record::drill(&mut status, stack, policy, &readiness, drill_requested, now) {
        decision.events.push((FailoverReason::DrillRan, format!("{}: {}", d.outcome, d.message)));
    }
    // A move that changed something or took a step goes on at once; one that
    // waits (debounce, a promotion in progress) or is refused (its refusal
    // told again) polls like any AWS wait, and detection's cadence caps the poll.
    let stepped = decision.events.iter().any(|(reason, _)| *reason != FailoverReason::Refused);
    let next = if applied.count > 0 || (decision.progress.is_some() && stepped) {
        Next::Progress
    } else if decision.progress.is_some() {
        Next::WaitingOnAws
    } else if !applied.errors.is_empty() {
        Next::Failed { retryable: applied.retryable }
    } else if status.phase == Some(Phase::Ready) || !applied.applying {
        Next::Steady
    } else {
        Next::WaitingOnAws
    };
    Concluded { status, next, events: decision.events, would_move }
}

/// The adoptions the last status recorded, and those this pass found done.
fn adopted(
    before: Option<&ThreeTierStackStatus>,
    desired: &Desired,
    snapshot: &Snapshot,
) -> Vec<warmstandby_api::AdoptedResource> {
    let mut adopted = before.map(|s| s.adopted.clone()).unwrap_or_default();
    // A replica promoted to writer (or a writer made a replica) is the same
    // DB instance: it is recorded once, under the role it had when adopted.
    let db_instance = |kind: &str| kind == Kind::DbInstance.to_string() || kind == Kind::DbReadReplica.to_string();
    let mut record = |region: &str, kind: Kind, id: &str, at: &str| {
        let kind = kind.to_string();
        let same = |k: &str| k == kind || (db_instance(k) && db_instance(&kind));
        if !adopted.iter().any(|a| a.region == region && a.id == id && same(&a.kind)) {
            adopted.push(warmstandby_api::AdoptedResource {
                region: region.to_string(),
                kind,
                id: id.to_string(),
                adopted_at: at.to_string(),
            });
        }
    };
    // Every family's (the databases, the server tiers' load balancers,
    // target groups, launch templates and auto scaling groups, the public
    // DNS's health check and records, the certificates, the distribution,
    // the web ACL, the private zones, the backups).
    for a in desired.families.adopted(&snapshot.families) {
        record(&a.region, a.kind, &a.id, &a.at);
    }
    adopted
}

/// `status.planned`'s action for the move an observed stack would make.
pub const PLANNED_FAILOVER: &str = "failover";

/// The writer whose password a rotation changes: the data-active region's
/// database. One still a replica (a promotion under way) is not available
/// yet: the new password waits for it rather than reaching the secret alone.
fn writer<'a>(desired: &'a Desired, snapshot: &'a Snapshot, placement: &Placement) -> Option<Writer<'a>> {
    let i = placement.data_active.index();
    let d = &desired.families.database[i];
    let db = snapshot.families.database[i].databases.iter().find(|db| db.identifier == d.db_identifier)?;
    Some(Writer { region: &d.region, identifier: &db.identifier, available: db.is_available() && !db.is_replica() })
}

/// What the families on the seam see around them this pass.
pub fn neighbours<'a>(desired: &'a Desired, snapshot: &'a Snapshot, placement: &Placement) -> Neighbours<'a> {
    Neighbours {
        writer: writer(desired, snapshot, placement),
        unreachable: snapshot.unreachable,
        ..neighbours_of(desired, &snapshot.families, "")
    }
}

/// The same at teardown (it observes no full snapshot): no writer, no
/// networks, every region reached; `final_snapshot_suffix` names the
/// writer's final snapshot.
pub fn neighbours_of<'a>(
    desired: &'a Desired,
    seam: &'a FamiliesObserved,
    final_snapshot_suffix: &'a str,
) -> Neighbours<'a> {
    Neighbours {
        seam: (&desired.families, seam),
        writer: None,
        unreachable: [false, false],
        final_snapshot_suffix,
        nets: None,
    }
}

#[cfg(test)]
mod tests;
