//! RegionPair: both regions' networks.

use crate::change::{self, Change};
use futures::future::join_all;
use warmstandby_api::{RegionPair, RegionPairStatus, RegionRole};
use warmstandby_aws::families::AwsFamily;
use warmstandby_aws::families::network::{observe_built, observe_region};
use warmstandby_aws::{AwsContext, AwsError, Ownership};
use warmstandby_core::families::network::{Network, RegionNetwork, plan_region};
use warmstandby_core::families::{Pair, ResourceFamily};
use warmstandby_core::family::FamilyAction;
use warmstandby_core::network::observed::ObservedNetwork;
use warmstandby_core::network::plan::{NetworkPlan, plan_teardown};
use warmstandby_core::network::status::{RegionPass, region_pair_status};
use warmstandby_core::overall::invalid_status;
use warmstandby_core::stack_pass::waiting::network_teardown_transitional;
use warmstandby_core::validate::validate_region_pair;

use crate::requeue::Next;
use crate::{Intent, MAX_ROUNDS, TeardownOutcome, TeardownWait};

/// Why a reconcile could not do its work, with a stable category for
/// metrics labels and event reasons.
#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
    #[error("invalid spec: {0}")]
    InvalidSpec(String),
    #[error("metadata.uid is missing")]
    MissingUid,
}

impl ReconcileError {
    pub fn category(&self) -> &'static str {
        match self {
            ReconcileError::InvalidSpec(_) => "InvalidSpec",
            ReconcileError::MissingUid => "MissingUid",
        }
    }
}

/// What one pass did and what to write back.
#[derive(Debug)]
pub struct PairOutcome {
    pub status: RegionPairStatus,
    /// Why and when the pair needs another pass.
    pub next: Next,
    /// Descriptions of the changes made, in order.
    pub applied: Vec<String>,
    /// Applying: the changes made. Observing: the changes an apply would make now
    /// (its first round: later rounds need the IDs these create).
    pub changes: Vec<Change>,
    pub errors: Vec<AwsError>,
    pub invalid: Option<ReconcileError>,
}

impl PairOutcome {
    /// This pass found the networks Ready (a failed read confirms nothing).
    pub fn is_ready(&self) -> bool {
        self.status.phase == Some(warmstandby_api::Phase::Ready) && self.errors.is_empty()
    }
}

fn ownership(pair: &RegionPair, role: RegionRole) -> Result<Ownership, ReconcileError> {
    let uid = pair.metadata.uid.clone().filter(|u| !u.is_empty()).ok_or(ReconcileError::MissingUid)?;
    Ok(Ownership { owner: pair.metadata.name.clone().unwrap_or_default(), uid, region_role: role })
}

/// One reconcile pass of a RegionPair. Never sleeps: anything AWS is still
/// doing is reported as waiting and the caller requeues.
pub async fn reconcile(aws: &AwsContext, pair: &RegionPair, intent: Intent, now: &str) -> PairOutcome {
    let previous = pair.status.as_ref().map(|s| s.conditions.clone()).unwrap_or_default();
    let generation = pair.metadata.generation;
    let invalid = |e: ReconcileError| PairOutcome {
        status: RegionPairStatus {
            observed_generation: generation,
            phase: Some(warmstandby_api::Phase::Failed),
            conditions: invalid_status(&previous, generation, &e.to_string(), now),
            ..Default::default()
        },
        next: Next::AwaitChange,
        applied: Vec::new(),
        changes: Vec::new(),
        errors: Vec::new(),
        invalid: Some(e),
    };
    let validated = match validate_region_pair(pair) {
        Ok(v) => v,
        Err(e) => return invalid(ReconcileError::InvalidSpec(e.to_message())),
    };
    let (primary_owner, standby_owner) =
        match (ownership(pair, RegionRole::Primary), ownership(pair, RegionRole::Standby)) {
            (Ok(p), Ok(s)) => (p, s),
            (Err(e), _) | (_, Err(e)) => return invalid(e),
        };
    let intent = if validated.hands_off.is_some() { Intent::Observe } else { intent };
    let desired = Network::desired(&validated, &());
    // Boxed: the SDK futures inside are too large to nest on a worker's stack.
    let (primary, standby) = tokio::join!(
        Box::pin(reconcile_region(aws, &desired[0], &primary_owner, intent)),
        Box::pin(reconcile_region(aws, &desired[1], &standby_owner, intent)),
    );
    let (primary, mut applied, mut changes, mut errors, unseen_p) = primary;
    let (standby, applied_s, changes_s, errors_s, unseen_s) = standby;
    applied.extend(applied_s);
    changes.extend(changes_s);
    errors.extend(errors_s);
    if unseen_p || unseen_s {
        // AWS throttled an observation, which then saw nothing: what the
        // status said still stands (a throttle is never a failed pass).
        let (errors, _) = crate::set_throttles_aside(errors);
        let status = pair.status.clone().unwrap_or_default();
        let next = if errors.is_empty() { Next::WaitingOnAws } else { Next::Failed { retryable: true } };
        return PairOutcome { status, next, applied, changes, errors, invalid: None };
    }
    let mut status = region_pair_status(&previous, generation, validated.hands_off, &primary, &standby, now);
    if validated.hands_off.is_some() {
        // Each region it builds listed everything while it had nothing yet.
        let complete = [&primary, &standby].iter().all(|p| p.existing.is_some() || p.model.vpcs.is_empty());
        status.planned =
            Some(if complete { change::planned_complete(&changes) } else { change::planned(&changes, None, "") });
    }
    let next = if !errors.is_empty() {
        Next::Failed { retryable: errors.iter().all(|e| e.class.is_retryable()) }
    } else if !applied.is_empty() {
        Next::Progress
    } else if (primary.ready() && standby.ready()) || intent == Intent::Observe {
        Next::Steady
    } else {
        Next::WaitingOnAws
    };
    PairOutcome { status, next, applied, changes, errors, invalid: None }
}

/// What this process created in `region` that AWS does not describe yet
/// (see `warmstandby_aws::recent`): a pass that would plan on such a view
/// waits instead, so nothing is created twice.
fn not_yet_described(aws: &AwsContext, region: &str, owner: &Ownership, model: &ObservedNetwork) -> Vec<String> {
    aws.recent()
        .unseen(&owner.uid, region, |id| model.contains_id(id))
        .into_iter()
        .map(|(id, age)| {
            format!(
                "{id} was created {} ms ago and AWS does not describe it yet (eventual consistency)",
                age.as_millis()
            )
        })
        .collect()
}

/// One region's pass over the network family: observed, then its plan
/// applied in rounds (an existing network is only checked: never changed,
/// whatever the intent).
async fn reconcile_region(
    aws: &AwsContext,
    desired: &RegionNetwork,
    owner: &Ownership,
    intent: Intent,
) -> (RegionPass, Vec<String>, Vec<Change>, Vec<AwsError>, bool) {
    let region = desired.region().to_string();
    let mut pass = RegionPass { region: region.clone(), ..Default::default() };
    let mut model = match observe_region(aws, desired, owner).await {
        Ok(m) => m,
        Err(e) => {
            let throttled = e.class == warmstandby_aws::ErrorClass::Throttled;
            pass.outcome.errors.push(e.to_string());
            return (pass, Vec::new(), Vec::new(), vec![e], throttled);
        }
    };
    if let Some((ids, outcome)) = desired.existing_check(&model) {
        pass.existing = Some(ids);
        pass.outcome = outcome;
        pass.model = model;
        return (pass, Vec::new(), Vec::new(), Vec::new(), false);
    }
    let unseen = not_yet_described(aws, &region, owner, &model);
    if !unseen.is_empty() {
        pass.outcome.waiting = unseen;
        pass.model = model;
        return (pass, Vec::new(), Vec::new(), Vec::new(), false);
    }
    let first = plan_region(desired, &model);
    pass.outcome.drift = first.drift.clone();
    pass.outcome.converged = first.is_settled();
    let (applied, changes, errors, last) = if intent == Intent::Apply {
        apply_rounds(aws, &region, owner, &mut model, first, |m| plan_region(desired, m)).await
    } else {
        // A pass plans one round; while nothing exists, the whole network is known.
        let planned: Vec<Change> = if model.vpcs.is_empty() {
            change::creations_of(&desired.resources())
        } else {
            first.actions.iter().map(|a| change::of(Some(&region), a)).collect()
        };
        pass.outcome.planned = planned.len();
        (Vec::new(), planned, Vec::new(), first)
    };
    pass.outcome.applied = applied.len();
    pass.outcome.blocked = last.blocked;
    pass.outcome.waiting = last.waiting;
    if intent == Intent::Apply && !last.actions.is_empty() && errors.is_empty() {
        pass.outcome.waiting.push(format!("{} change(s) left for the next pass", last.actions.len()));
    }
    let (errors, throttled) = crate::set_throttles_aside(errors);
    pass.outcome.waiting.extend(throttled);
    pass.outcome.errors = errors.iter().map(ToString::to_string).collect();
    pass.model = model;
    (pass, applied, changes, errors, false)
}

/// Runs plan/apply rounds: each round's actions are independent and run
/// concurrently; their outcomes are recorded into the model, then the next
/// layer is planned. Stops at the first round with a failure.
async fn apply_rounds(
    aws: &AwsContext,
    region: &str,
    owner: &Ownership,
    model: &mut ObservedNetwork,
    mut plan: NetworkPlan,
    replan: impl Fn(&ObservedNetwork) -> NetworkPlan,
) -> (Vec<String>, Vec<Change>, Vec<AwsError>, NetworkPlan) {
    let mut applied = Vec::new();
    let mut changes = Vec::new();
    let mut errors = Vec::new();
    for _ in 0..MAX_ROUNDS {
        if plan.actions.is_empty() {
            break;
        }
        let results = join_all(
            plan.actions.iter().map(|a| Box::pin(<Network as AwsFamily<Pair>>::apply(aws, region, owner, a, &()))),
        )
        .await;
        for (action, result) in plan.actions.iter().zip(results) {
            match result {
                Ok(outcome) => {
                    tracing::info!(region, action = %action.describe(), "applied");
                    if let Some(id) = outcome.created_id() {
                        aws.recent().remember(&owner.uid, region, id);
                    }
                    if let Some(id) = action.deleted_id() {
                        aws.recent().forget(&owner.uid, region, id);
                    }
                    applied.push(format!("{region}: {}", action.describe()));
                    changes.push(change::of(Some(region), action));
                    model.record(action, &outcome);
                }
                Err(e) => {
                    tracing::warn!(region, action = %action.describe(), error = %e, class = e.class.as_str(), "AWS call failed");
                    errors.push(e);
                }
            }
        }
        if !errors.is_empty() {
            break;
        }
        plan = replan(model);
    }
    (applied, changes, errors, plan)
}

/// One teardown pass (reverse order of creation; NotFound counts as done;
/// errors in one region do not stop the other). `Retain` and `Observe` touch nothing.
/// `previous` is what the last pass waited on, if it only waited (NAT
/// gateways deleting): while that is unchanged the pass reads only it.
pub async fn teardown(aws: &AwsContext, pair: &RegionPair, previous: Option<&TeardownWait>) -> TeardownOutcome {
    if let Some(left) = TeardownOutcome::left_alone(pair.spec.deletion_policy, pair.spec.management_policy) {
        return left;
    }
    let existing = [&pair.spec.primary, &pair.spec.standby].map(|r| r.existing.is_some());
    if existing == [true, true] {
        let why = "its networks are existing ones, used and never changed".to_string();
        return TeardownOutcome { finished: true, left_in_aws: Some(why), ..Default::default() };
    }
    if let Some(still) = TeardownWait::still_waiting(aws, previous).await {
        return still;
    }
    let mut out = TeardownOutcome::default();
    // An existing network is someone else's: nothing of it is deleted.
    let regions: Vec<(RegionRole, &String)> =
        [(RegionRole::Primary, &pair.spec.primary.region), (RegionRole::Standby, &pair.spec.standby.region)]
            .into_iter()
            .zip(existing)
            .filter(|(_, existing)| !existing)
            .map(|(region, _)| region)
            .collect();
    let owners: Vec<Result<Ownership, ReconcileError>> =
        regions.iter().map(|(role, _)| ownership(pair, *role)).collect();
    let passes = join_all(regions.iter().zip(&owners).map(|((_, region), owner)| {
        Box::pin(async move {
            let Ok(owner) = owner else { return RegionTeardown::default() };
            let mut model = match observe_built(aws, region, owner).await {
                Ok(m) => m,
                Err(e) => {
                    let (errors, waiting) = crate::set_throttles_aside(vec![e]);
                    return RegionTeardown { errors, waiting, remaining: 1, ..Default::default() };
                }
            };
            let unseen = not_yet_described(aws, region, owner, &model);
            if !unseen.is_empty() {
                let remaining = model.live_count() + unseen.len();
                return RegionTeardown { waiting: unseen, remaining, ..Default::default() };
            }
            let first = plan_teardown(&model);
            let (applied, changes, errors, last) =
                apply_rounds(aws, region, owner, &mut model, first, plan_teardown).await;
            let (errors, throttled) = crate::set_throttles_aside(errors);
            let mut waiting = last.waiting;
            waiting.extend(throttled);
            RegionTeardown {
                applied,
                changes,
                only_waiting: last.actions.is_empty(),
                waiting,
                errors,
                remaining: model.live_count(),
                transitional: network_teardown_transitional(region, &model),
            }
        })
    }))
    .await;
    let mut only_waiting = true;
    let mut transitional = Vec::new();
    for region in passes {
        out.applied.extend(region.applied);
        out.changes.extend(region.changes);
        out.waiting.extend(region.waiting);
        out.errors.extend(region.errors);
        out.remaining += region.remaining;
        only_waiting &= region.only_waiting;
        transitional.extend(region.transitional);
    }
    out.finished = out.remaining == 0 && out.errors.is_empty() && owners.iter().all(Result::is_ok);
    // The rounds go on until only waiting is left, so a pass that deleted
    // something may still leave a wait for the next.
    out.wait = TeardownWait::after(&out, only_waiting && owners.iter().all(Result::is_ok), transitional);
    out
}

/// What one region's teardown pass did.
#[derive(Default)]
struct RegionTeardown {
    applied: Vec<String>,
    changes: Vec<Change>,
    waiting: Vec<String>,
    errors: Vec<AwsError>,
    remaining: usize,
    /// The last plan had nothing left to do but wait.
    only_waiting: bool,
    transitional: Vec<warmstandby_api::WaitedResource>,
}
