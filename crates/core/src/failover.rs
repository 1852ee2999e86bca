//! The failover state machine, pure: given what the last status recorded
//! and what this pass observed, it decides the step to work on and what the
//! rest of the reconcile must do for it (which region is fenced, where the
//! writer and the traffic belong, whether both regions carry full capacity).
//!
//! Every step is check-then-act on observed state: a step completes when AWS
//! shows its effect, so a restart at any point re-derives the same step and
//! finishes it once. Steps: confirm -> guards -> fence -> promote -> scale ->
//! switch -> verify -> done.
//!
//! Invariants kept here:
//! - never two writable databases: promotion waits until the old writer is
//!   fenced (its api ingress revoked) or cannot be reached;
//! - never no serving region: both regions keep full capacity from the scale
//!   step until the switch is verified;
//! - no automatic promotion above the RPO budget (or with an unknown lag)
//!   unless forced;
//! - one failover at a time per stack: requests during one are refused.

use crate::replication::State;
use warmstandby_api::{
    DetectionStatus, FailoverMode, FailoverPolicySpec, FailoverProgress, FailoverRecord, FailoverStep, RegionRole,
};

/// A step of a move, in order. The status records it by name (`as_str`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Stage {
    /// The failure persists for the debounce (automatic failovers only).
    Confirm,
    /// Replica available, lag within the RPO budget, approval.
    Guards,
    /// The old writer stops admitting the api servers.
    Fence,
    Promote,
    /// The target's auto scaling groups get full capacity.
    Scale,
    /// DNS and CloudFront point at the target.
    Switch,
    /// The target's endpoints answer.
    Verify,
}

impl Stage {
    pub const ORDER: [Stage; 7] =
        [Stage::Confirm, Stage::Guards, Stage::Fence, Stage::Promote, Stage::Scale, Stage::Switch, Stage::Verify];

    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Confirm => "confirm",
            Stage::Guards => "guards",
            Stage::Fence => "fence",
            Stage::Promote => "promote",
            Stage::Scale => "scale",
            Stage::Switch => "switch",
            Stage::Verify => "verify",
        }
    }

    /// The stage a status names; `None` for a name this version does not know.
    pub fn parse(name: &str) -> Option<Stage> {
        Stage::ORDER.into_iter().find(|s| s.as_str() == name)
    }

    /// Traffic has moved to the target: its endpoints answer under the public names.
    pub fn traffic_moved(self) -> bool {
        matches!(self, Stage::Switch | Stage::Verify)
    }

    /// Before the decision: nothing has changed in AWS yet.
    pub fn undecided(self) -> bool {
        matches!(self, Stage::Confirm | Stage::Guards)
    }
}

impl std::fmt::Display for Stage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A database as the machine needs to see it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DbView {
    pub is_replica: bool,
    /// RDS status, e.g. `available`, `backing-up`.
    pub status: String,
    /// Replication into it, when it is a replica (the lag, or why there is none).
    pub replication: crate::replication::Health,
    /// The epoch tag of the database, if a failover promoted it.
    pub epoch: Option<i64>,
}

/// A deliberate move of the traffic: planned switchover or failback.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub to: RegionRole,
    /// Promote even above the RPO budget, without approval.
    pub force: bool,
    /// Why: `switchover` (spec or CLI) or `failover` (CLI, forced by a human).
    pub kind: &'static str,
}

/// What this pass observed, per region role.
#[derive(Clone, Debug, Default)]
pub struct Observation {
    /// Seconds since the epoch and the same instant as RFC 3339.
    pub now: i64,
    pub now_text: String,
    /// Detection sources reporting failure of the active region.
    pub failing: Vec<String>,
    /// Detection sources enabled.
    pub enabled_sources: usize,
    pub databases: [Option<DbView>; 2],
    /// The region's db security group admits no writer traffic (api).
    pub fenced: [bool; 2],
    /// AWS in the region could not be reached this pass.
    pub unreachable: [bool; 2],
    /// The region's auto scaling groups run the active capacity.
    pub full_capacity: [bool; 2],
    /// The api PRIMARY record, the health check and the first origin point at the region.
    pub traffic: [bool; 2],
    /// The region's endpoints answered a probe (None: not probed).
    pub answers: [Option<bool>; 2],
    /// The approval annotation names this failover's epoch (or `true`).
    pub approved: bool,
}

/// The machine's memory, from the status.
#[derive(Clone, Debug, Default)]
pub struct Memory {
    pub active: RegionRole,
    pub epoch: i64,
    pub progress: Option<FailoverProgress>,
    pub detection: DetectionStatus,
}

/// Why an event about a move is published: a stable event reason and
/// metric label, never free text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FailoverReason {
    /// The active region fails by the policy's signals.
    FailureDetected,
    /// A move begins (confirming a failure, or a requested one).
    Started,
    /// A guard or a running move stops it; nothing changed.
    Refused,
    /// A newer epoch took over; this run stops.
    Superseded,
    /// The failure went away before the move was decided.
    Cancelled,
    /// The guards passed: the move is decided and has its epoch.
    Decided,
    /// One step done, the next begun.
    Step,
    /// The move is done.
    Succeeded,
    /// A step waits past its deadline; the move goes on.
    StepOverdue,
    /// A drill was recorded.
    DrillRan,
}

impl FailoverReason {
    pub fn as_str(self) -> &'static str {
        match self {
            FailoverReason::FailureDetected => "FailureDetected",
            FailoverReason::Started => "FailoverStarted",
            FailoverReason::Refused => "FailoverRefused",
            FailoverReason::Superseded => "FailoverSuperseded",
            FailoverReason::Cancelled => "FailoverCancelled",
            FailoverReason::Decided => "FailoverDecided",
            FailoverReason::Step => "FailoverStep",
            FailoverReason::Succeeded => "FailoverSucceeded",
            FailoverReason::StepOverdue => "FailoverStepOverdue",
            FailoverReason::DrillRan => "DrillRan",
        }
    }

    /// Published as a Warning: someone should look.
    pub fn is_warning(self) -> bool {
        matches!(self, FailoverReason::FailureDetected | FailoverReason::Refused | FailoverReason::StepOverdue)
    }
}

impl std::fmt::Display for FailoverReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the rest of the reconcile does this pass.
#[derive(Clone, Debug, PartialEq)]
pub struct Decision {
    /// The region that serves (status.activeRole).
    pub active: RegionRole,
    /// Where the writer database belongs.
    pub data_active: RegionRole,
    /// Where capacity, the PRIMARY record and the first origin belong.
    pub edge_active: RegionRole,
    /// Both regions carry the active capacity (during a failover).
    pub full_capacity_everywhere: bool,
    /// The region whose database must not take writes.
    pub fence: Option<RegionRole>,
    pub epoch: i64,
    pub progress: Option<FailoverProgress>,
    /// A failover that ended this pass.
    pub finished: Option<FailoverRecord>,
    pub detection: DetectionStatus,
    /// (reason, message) for events and metrics, one per transition.
    pub events: Vec<(FailoverReason, String)>,
    /// Why the machine does not go on (guards), for the status.
    pub refusal: Option<String>,
}

impl Decision {
    /// What the memory says, before this pass changes anything: everything
    /// in the active region, nothing fenced, the move (if any) where it was.
    pub fn remembered(memory: &Memory) -> Decision {
        Decision {
            active: memory.active,
            data_active: memory.active,
            edge_active: memory.active,
            full_capacity_everywhere: false,
            fence: None,
            epoch: memory.epoch,
            progress: memory.progress.clone(),
            finished: None,
            detection: memory.detection.clone(),
            events: Vec::new(),
            refusal: None,
        }
    }

    /// Where the stack's pieces belong while this decision holds.
    /// `previous_epoch` is the epoch of the writer before this pass.
    pub fn placement(&self, previous_epoch: i64) -> crate::placement::Placement {
        crate::placement::Placement {
            data_active: self.data_active,
            edge_active: self.edge_active,
            fenced: self.fence,
            // A writer is tagged with the epoch that made it one: before this
            // failover's promotion, the current writer keeps the previous epoch.
            epoch: match &self.progress {
                Some(p) if self.data_active != p.to => previous_epoch,
                _ => self.epoch,
            },
            fence_epoch: self.epoch,
            full_capacity_everywhere: self.full_capacity_everywhere,
            rebuild_allowed: self.progress.is_none(),
        }
    }
}

fn rfc3339_seconds(text: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(text).ok().map(|t| t.timestamp())
}

/// Runs the machine for one pass.
pub fn decide(
    policy: Option<&FailoverPolicySpec>,
    memory: &Memory,
    request: Option<&Request>,
    o: &Observation,
) -> Decision {
    let active = memory.active;
    let mut d = Decision::remembered(memory);

    // Detection: enough sources must agree.
    let required = policy
        .map(|p| usize::try_from(p.detection.required_signals).unwrap_or(1).clamp(1, o.enabled_sources.max(1)))
        .unwrap_or(usize::MAX);
    let failing = !o.failing.is_empty() && o.failing.len() >= required;
    d.detection.failing = o.failing.clone();
    if failing {
        if d.detection.failing_since.is_none() {
            d.detection.failing_since = Some(o.now_text.clone());
            d.events
                .push((FailoverReason::FailureDetected, format!("the active region fails: {}", o.failing.join(", "))));
        }
    } else {
        d.detection.failing_since = None;
    }

    // Start one, or refuse a second.
    match (&d.progress, request) {
        (Some(p), Some(r)) if r.to != p.to => d
            .events
            .push((FailoverReason::Refused, format!("a {} to the {} is in progress; one at a time", p.kind, p.to))),
        (None, Some(r)) if r.to != active => {
            d.progress = Some(start(r.kind, active, r.to, Stage::Guards, memory.epoch, &o.now_text));
            d.events.push((FailoverReason::Started, format!("{} from the {active} to the {} requested", r.kind, r.to)));
        }
        (None, None) if failing && policy.is_some_and(|p| p.mode == FailoverMode::Automatic) => {
            let since = d.detection.failing_since.clone().unwrap_or_else(|| o.now_text.clone());
            d.progress = Some(start("failover", active, active.other(), Stage::Confirm, memory.epoch, &since));
            d.events.push((FailoverReason::Started, format!("confirming the failure of the {active}")));
        }
        _ => {}
    }
    // Steady state: a writer outside the active region (a former primary)
    // stays fenced until it is rebuilt as a replica.
    if o.databases[active.other().index()].as_ref().is_some_and(|db| !db.is_replica) {
        d.fence = Some(active.other());
    }
    let Some(mut p) = d.progress.take() else { return d };
    // A refusal holds only for the pass that finds it.
    p.refused = None;
    let force = request.is_some_and(|r| r.force && r.to == p.to);
    let planned = p.kind != "failover";
    let (from, to) = (p.from, p.to);

    // Walk the steps whose effects are already observed; stop at the first
    // that still waits.
    for _ in 0..8 {
        // A newer failover (a higher epoch on the target's database) wins.
        if let Some(tagged) = o.databases[to.index()].as_ref().and_then(|db| db.epoch)
            && !Stage::parse(&p.step).is_some_and(Stage::undecided)
            && tagged > p.epoch
        {
            d.events.push((FailoverReason::Superseded, format!("epoch {tagged} is newer than {}", p.epoch)));
            return d;
        }
        let Some(stage) = Stage::parse(&p.step) else {
            // A step this version does not know (a newer operator wrote it): leave the move alone.
            break;
        };
        let outcome = match stage {
            Stage::Confirm => confirm(policy, failing, &p, o),
            Stage::Guards => {
                let (step, rpo) = guards(policy, planned, force, &p, o);
                p.rpo_estimate_seconds = rpo;
                step
            }
            Stage::Fence if fence_of(policy, from).is_none() => {
                // Fencing is off: promotion must still never leave two writers.
                match &o.databases[from.index()] {
                    None => Step::Done(None),
                    Some(_) if o.unreachable[from.index()] => unreachable_writer(&p, from, "promoting"),
                    Some(db) if db.is_replica || db.status != "available" => Step::Done(None),
                    Some(_) => Step::Refuse(format!(
                        "fencing is disabled and the {from} writer is reachable: promoting now would make two writable databases"
                    )),
                }
            }
            Stage::Fence => {
                d.fence = Some(from);
                if o.unreachable[from.index()] {
                    unreachable_writer(&p, from, "fencing is best effort and is applied when it returns")
                } else if o.fenced[from.index()] || o.databases[from.index()].is_none() {
                    Step::Done(None)
                } else {
                    Step::Wait(format!("revoking writer access to the {from} database"))
                }
            }
            Stage::Promote => {
                d.fence = fence_of(policy, from);
                d.data_active = to;
                match &o.databases[to.index()] {
                    Some(db) if !db.is_replica && db.status == "available" => Step::Done(None),
                    Some(db) => Step::Wait(format!("promoting the {to} replica ({})", db.status)),
                    None => Step::Wait(format!("no database in the {to} region")),
                }
            }
            Stage::Scale => {
                d.fence = fence_of(policy, from);
                d.data_active = to;
                d.full_capacity_everywhere = true;
                if o.full_capacity[to.index()] {
                    Step::Done(None)
                } else {
                    Step::Wait(format!("raising the {to} auto scaling groups"))
                }
            }
            Stage::Switch => {
                d.fence = fence_of(policy, from);
                d.data_active = to;
                d.edge_active = to;
                d.full_capacity_everywhere = true;
                if o.traffic[to.index()] {
                    Step::Done(None)
                } else {
                    Step::Wait(format!("pointing DNS and CloudFront at the {to}"))
                }
            }
            Stage::Verify => {
                d.fence = fence_of(policy, from);
                d.data_active = to;
                d.edge_active = to;
                d.full_capacity_everywhere = true;
                match o.answers[to.index()] {
                    Some(true) | None => Step::Done(None),
                    Some(false) => Step::Wait(format!("the {to} endpoints do not answer yet")),
                }
            }
        };
        match outcome {
            Step::Wait(message) => {
                set_message(&mut p, &message);
                d.progress = Some(p);
                return d;
            }
            Step::Refuse(message) => {
                set_message(&mut p, &message);
                p.refused = Some(message.clone());
                if stage == Stage::Guards && d.refusal.is_none() {
                    d.events.push((FailoverReason::Refused, message.clone()));
                }
                d.refusal = Some(message);
                d.progress = Some(p);
                return d;
            }
            Step::Cancel(message) => {
                d.events.push((FailoverReason::Cancelled, message.clone()));
                d.finished = Some(record(&p, "Cancelled", o, message));
                return d;
            }
            Step::Done(note) => {
                finish_step(&mut p, note.as_deref(), &o.now_text);
                if stage == Stage::Guards {
                    p.epoch = memory.epoch + 1;
                    d.epoch = p.epoch;
                    d.events.push((
                        FailoverReason::Decided,
                        format!("epoch {}: {} from the {from} to the {to}", p.epoch, p.kind),
                    ));
                }
                match next_step(policy, stage) {
                    Some(next) => {
                        d.events.push((FailoverReason::Step, format!("{stage} done; {next}")));
                        begin_step(&mut p, next, &o.now_text);
                    }
                    None => {
                        d.active = to;
                        d.data_active = to;
                        d.edge_active = to;
                        d.full_capacity_everywhere = false;
                        d.fence = fence_of(policy, from);
                        let message = format!("the {to} serves");
                        d.events
                            .push((FailoverReason::Succeeded, format!("{} epoch {} done: {message}", p.kind, p.epoch)));
                        d.finished = Some(record(&p, "Succeeded", o, message));
                        return d;
                    }
                }
            }
        }
    }
    d.progress = Some(p);
    d
}

/// The step's message while the old writer's region was unreachable once.
const UNREACHABLE_ONCE: &str = "unreachable in this pass; checking again before going on without it";

/// Going on without reaching the old writer needs its region unreachable in
/// two passes in a row: one pass whose reads failed (a 503, a timeout) is no
/// outage, and promoting then would leave two writers.
fn unreachable_writer(p: &FailoverProgress, from: RegionRole, then: &str) -> Step {
    let seen_before = p.steps.last().and_then(|s| s.message.as_deref()).is_some_and(|m| m.ends_with(UNREACHABLE_ONCE));
    if seen_before {
        Step::Done(Some(format!("the {from} region is unreachable: {then}")))
    } else {
        Step::Wait(format!("the {from} region is {UNREACHABLE_ONCE}"))
    }
}

enum Step {
    Done(Option<String>),
    Wait(String),
    Refuse(String),
    Cancel(String),
}

fn fence_of(policy: Option<&FailoverPolicySpec>, from: RegionRole) -> Option<RegionRole> {
    policy.is_none_or(|p| p.actions.fence_old_primary).then_some(from)
}

fn confirm(policy: Option<&FailoverPolicySpec>, failing: bool, p: &FailoverProgress, o: &Observation) -> Step {
    if !failing {
        return Step::Cancel("the failure did not persist".into());
    }
    let debounce = policy.map(|p| i64::from(p.detection.debounce_seconds)).unwrap_or(0);
    let since = rfc3339_seconds(&p.started_at).unwrap_or(o.now);
    if o.now - since >= debounce {
        Step::Done(None)
    } else {
        Step::Wait(format!("failure must persist {debounce} s (seen for {} s)", o.now - since))
    }
}

/// The guards before the decision; with the RPO estimate the move records
/// (`None`: unknown, and only a forced move goes on without it).
fn guards(
    policy: Option<&FailoverPolicySpec>,
    planned: bool,
    force: bool,
    p: &FailoverProgress,
    o: &Observation,
) -> (Step, Option<i64>) {
    let to = p.to;
    let Some(db) = &o.databases[to.index()] else {
        return (Step::Refuse(format!("there is no database in the {to} region to promote")), None);
    };
    if !db.is_replica {
        // A writer that does not replicate holds older data (a fenced
        // former primary): moving there would lose what was written since.
        return (
            Step::Refuse(format!(
                "the {to} database is a writer, not a replica of the active one; rebuild replication there first"
            )),
            None,
        );
    }
    let guards = policy.map(|p| p.guards.clone()).unwrap_or_default();
    if guards.require_replica_available && db.status != "available" && !force {
        return (Step::Refuse(format!("the {to} replica is {}, not available", db.status)), None);
    }
    let health = &db.replication;
    if planned {
        // A planned move loses nothing: replication must run and have caught up.
        return match (health.state, health.lag_seconds) {
            (State::Replicating, Some(0)) => (Step::Done(None), Some(0)),
            (state, lag) if force => {
                (Step::Done(Some("forced without a zero lag".into())), lag.filter(|_| state == State::Replicating))
            }
            (State::Stopped, _) => (
                Step::Refuse(format!(
                    "{}; a {} needs replication running and caught up",
                    health.stopped_message().unwrap_or_default(),
                    p.kind
                )),
                None,
            ),
            (_, Some(lag)) => (Step::Wait(format!("waiting for replica lag to reach 0 (now {lag} s)")), None),
            (_, None) => (Step::Wait("waiting for a replica lag reading".into()), None),
        };
    }
    // The failure began when the move started (a failover starts when its
    // failure was first seen).
    let failure_since = rfc3339_seconds(&p.started_at).unwrap_or(o.now);
    let budget = guards.max_replica_lag_seconds;
    let rpo = match health.rpo_estimate(failure_since) {
        Ok(rpo) if rpo.seconds <= budget => Some(rpo.seconds),
        Ok(rpo) if force => {
            // Above the budget by a human's decision: a running replica's lag is
            // still the estimate; a stopped one's is only a bound, so unknown.
            rpo.replicating.then_some(rpo.seconds)
        }
        Ok(rpo) if rpo.replicating => {
            return (Step::Refuse(format!("replica lag {} s exceeds the RPO budget of {budget} s", rpo.seconds)), None);
        }
        Ok(rpo) => {
            return (
                Step::Refuse(format!(
                    "{}; promoting would lose up to {} s of writes, above the RPO budget of {budget} s",
                    health.stopped_message().unwrap_or_default(),
                    rpo.seconds
                )),
                None,
            );
        }
        Err(_) if force => None,
        Err(why) => return (Step::Refuse(format!("{why}; the RPO budget cannot be checked")), None),
    };
    if guards.require_approval && !o.approved && !force {
        return (
            Step::Refuse(format!(
                "waiting for approval: annotate the stack with {}={}",
                warmstandby_api::ANNOTATION_APPROVE_FAILOVER,
                p.epoch + 1
            )),
            None,
        );
    }
    let note = (force && rpo.is_none()).then(|| "forced with an unknown RPO".to_string());
    (Step::Done(note), rpo)
}

fn next_step(policy: Option<&FailoverPolicySpec>, stage: Stage) -> Option<Stage> {
    let actions = policy.map(|p| p.actions.clone()).unwrap_or_default();
    let enabled = |s: Stage| match s {
        // Without fencing, promotion still waits for an unreachable or fenced writer.
        Stage::Confirm | Stage::Guards | Stage::Fence | Stage::Promote => true,
        Stage::Scale => actions.scale_standby,
        Stage::Switch => actions.switch_dns,
        Stage::Verify => actions.verify,
    };
    Stage::ORDER.into_iter().filter(|s| *s > stage).find(|s| enabled(*s))
}

fn start(kind: &str, from: RegionRole, to: RegionRole, stage: Stage, epoch: i64, now: &str) -> FailoverProgress {
    FailoverProgress {
        epoch,
        kind: kind.to_string(),
        from,
        to,
        step: stage.as_str().to_string(),
        steps: vec![FailoverStep {
            name: stage.as_str().to_string(),
            started_at: now.to_string(),
            ..Default::default()
        }],
        started_at: now.to_string(),
        rpo_estimate_seconds: None,
        refused: None,
    }
}

fn begin_step(p: &mut FailoverProgress, stage: Stage, now: &str) {
    p.step = stage.as_str().to_string();
    p.steps.push(FailoverStep { name: stage.as_str().to_string(), started_at: now.to_string(), ..Default::default() });
}

fn finish_step(p: &mut FailoverProgress, note: Option<&str>, now: &str) {
    if let Some(s) = p.steps.last_mut() {
        s.finished_at = Some(now.to_string());
        s.message = note.map(str::to_string);
    }
}

fn set_message(p: &mut FailoverProgress, message: &str) {
    if let Some(s) = p.steps.last_mut() {
        s.message = Some(message.to_string());
    }
}

fn record(p: &FailoverProgress, outcome: &str, o: &Observation, message: String) -> FailoverRecord {
    let started = rfc3339_seconds(&p.started_at);
    FailoverRecord {
        epoch: p.epoch,
        kind: p.kind.clone(),
        from: p.from,
        to: p.to,
        started_at: p.started_at.clone(),
        finished_at: o.now_text.clone(),
        outcome: outcome.to_string(),
        rto_seconds: (outcome == "Succeeded").then(|| started.map(|s| (o.now - s) as f64)).flatten(),
        rpo_estimate_seconds: p.rpo_estimate_seconds,
        message,
    }
}

#[cfg(test)]
#[path = "failover_tests.rs"]
mod tests;
