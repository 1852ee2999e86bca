//! ThreeTierStack: every family on the seam (load balancers, servers,
//! security groups, bastion, database and replica, private DNS, backups,
//! certificates, public DNS failover, CloudFront, WAF, alarm, secret,
//! instance roles) in both regions and globally, on the networks of its
//! RegionPair.

use std::time::Duration;

use warmstandby_api::{HandsOff, Phase, RegionPair, RegionRole, ThreeTierStack, ThreeTierStackStatus};
use warmstandby_aws::{AwsContext, AwsError, Ownership};
use warmstandby_core::desired::{NetworkRefs, stack_topology};
use warmstandby_core::failover::FailoverReason;
use warmstandby_core::overall::invalid_status;
use warmstandby_core::placement::Placement;
use warmstandby_core::stack_pass::{self, Desired, memory};
use warmstandby_core::validate::{StackInputs, ValidatedStack, validate_stack};

use crate::change::{self, Change};
use crate::requeue::Next;
use crate::{Intent, detect};

mod apply;
mod observe;
mod teardown;

pub use teardown::teardown;

use apply::{apply_all, family_change};
use observe::observe;

#[derive(Debug)]
pub struct StackOutcome {
    pub status: ThreeTierStackStatus,
    /// Why and when the stack needs another pass.
    pub next: Next,
    /// With a FailoverPolicy: failure detection looks at least this often, in every phase.
    pub watch_every: Option<Duration>,
    pub applied: Vec<String>,
    /// Applying: the changes made. Observing: the changes an apply would make now.
    pub changes: Vec<Change>,
    pub errors: Vec<AwsError>,
    /// The spec (or a reference) was rejected: no AWS call was made.
    pub invalid: Option<String>,
    /// Failover transitions of this pass: (reason, message), for events and metrics.
    pub events: Vec<(FailoverReason, String)>,
    /// This pass observed nothing of the stack in AWS yet (what is named for
    /// adoption and not ours is not the stack's): its plan is the first layer
    /// of a topology that is all to be made.
    pub nothing_built: bool,
}

impl StackOutcome {
    /// A pass that changed nothing and waits on AWS (or on the RegionPair).
    fn waiting_on_aws(status: ThreeTierStackStatus) -> StackOutcome {
        StackOutcome {
            status,
            next: Next::WaitingOnAws,
            watch_every: None,
            applied: Vec::new(),
            changes: Vec::new(),
            errors: Vec::new(),
            invalid: None,
            events: Vec::new(),
            nothing_built: false,
        }
    }

    /// This pass found the stack Ready. A pass that failed to read AWS
    /// keeps the last phase in the status (one failed read is no reason to
    /// flap it) but confirms nothing.
    pub fn is_ready(&self) -> bool {
        self.status.phase == Some(Phase::Ready) && self.errors.is_empty()
    }
}

pub(super) fn owner(stack: &ThreeTierStack, role: RegionRole) -> Option<Ownership> {
    let uid = stack.metadata.uid.clone().filter(|u| !u.is_empty())?;
    Some(Ownership {
        owner: format!(
            "{}/{}",
            stack.metadata.namespace.as_deref().unwrap_or_default(),
            stack.metadata.name.as_deref().unwrap_or_default()
        ),
        uid,
        region_role: role,
    })
}

/// The pair's network IDs per region, once its networks exist; else why not.
fn network_refs(pair: &RegionPair, role: RegionRole) -> Result<NetworkRefs, String> {
    let name = pair.metadata.name.as_deref().unwrap_or_default();
    let held = match pair.spec.hands_off() {
        Some(warmstandby_api::HandsOff::Observe) => " (it only observes: managementPolicy Observe)",
        Some(warmstandby_api::HandsOff::Paused) => " (it is paused)",
        None => "",
    };
    let not_yet = || format!("RegionPair {name} has no networks yet{held}");
    let status = pair.status.as_ref().ok_or_else(not_yet)?;
    let region = match role {
        RegionRole::Primary => status.primary.as_ref(),
        RegionRole::Standby => status.standby.as_ref(),
    }
    .ok_or_else(not_yet)?;
    // An existing network offers only what checked out; a stack needs every tier.
    let needed: &[&str] = if region.existing {
        &["public-a", "public-b", "web-a", "web-b", "app-a", "app-b", "db-a", "db-b"]
    } else {
        &["public-a", "db-a", "db-b"]
    };
    match region.vpc_id.clone() {
        Some(vpc_id) if needed.iter().all(|k| region.subnet_ids.contains_key(*k)) => {
            Ok(NetworkRefs { vpc_id, subnet_ids: region.subnet_ids.clone() })
        }
        _ if region.existing => Err(format!(
            "RegionPair {name}'s existing network in {} cannot carry stacks yet; its status says why",
            region.region
        )),
        _ => Err(not_yet()),
    }
}

/// One reconcile pass of a stack. `inputs.region_pair` must carry its status
/// (the networks' IDs).
pub async fn reconcile(aws: &AwsContext, inputs: StackInputs<'_>, intent: Intent, now: &str) -> StackOutcome {
    reconcile_inner(aws, inputs, intent, now, None, false).await
}

/// One observe-only pass that records a drill (the CLI's `drill`).
pub async fn drill(aws: &AwsContext, inputs: StackInputs<'_>, now: &str) -> StackOutcome {
    reconcile_inner(aws, inputs, Intent::Observe, now, None, true).await
}

async fn reconcile_inner(
    aws: &AwsContext,
    inputs: StackInputs<'_>,
    intent: Intent,
    now: &str,
    request: Option<warmstandby_core::failover::Request>,
    drill: bool,
) -> StackOutcome {
    let stack = inputs.stack;
    let pair = inputs.region_pair.cloned();
    let previous = stack.status.as_ref().map(|s| s.conditions.clone()).unwrap_or_default();
    let generation = stack.metadata.generation;
    let rejected = |message: String| StackOutcome {
        status: ThreeTierStackStatus {
            observed_generation: generation,
            phase: Some(Phase::Failed),
            conditions: invalid_status(&previous, generation, &message, now),
            ..Default::default()
        },
        next: Next::AwaitChange,
        watch_every: None,
        applied: Vec::new(),
        changes: Vec::new(),
        errors: Vec::new(),
        invalid: Some(message),
        events: Vec::new(),
        nothing_built: false,
    };
    let validated = match validate_stack(inputs) {
        Ok(v) => v,
        Err(e) => return rejected(e.to_message()),
    };
    let (Some(primary_owner), Some(standby_owner)) =
        (owner(stack, RegionRole::Primary), owner(stack, RegionRole::Standby))
    else {
        return rejected("metadata.uid is missing".into());
    };
    let Some(pair) = pair else { return rejected("spec.regionPairRef.name: RegionPair not found".into()) };
    let nets =
        network_refs(&pair, RegionRole::Primary).and_then(|p| Ok((p, network_refs(&pair, RegionRole::Standby)?)));
    let (primary_net, standby_net) = match nets {
        Ok(nets) => nets,
        Err(message) => {
            return StackOutcome::waiting_on_aws(not_ready(
                stack,
                Some(Phase::Pending),
                "WaitingForRegionPair",
                message,
                now,
            ));
        }
    };
    // A stack that only waited on AWS last time reads just what it waits on
    // until that changes; then (or when a full look is due) the whole stack.
    let watched = validated.policy.is_some();
    let waited =
        stack_pass::waiting::only_these(stack, watched, request.is_some() || drill, stack_pass::record::seconds(now))
            .filter(|_| intent == Intent::Apply && validated.spec.hands_off().is_none());
    if let Some(resources) = waited {
        match warmstandby_aws::waits::still_working(aws, resources).await {
            Ok(Some(now)) => {
                let mut status = stack.status.clone().unwrap_or_default();
                if let Some(w) = status.waiting_on.as_mut() {
                    w.resources = now;
                }
                return StackOutcome::waiting_on_aws(status);
            }
            Ok(None) => {}
            // The full observation reads (and reports) it again.
            Err(e) => tracing::debug!(error = %e, "reading what the stack waits on failed"),
        }
    }
    Box::pin(reconcile_validated(
        aws,
        stack,
        validated,
        [primary_owner, standby_owner],
        [primary_net, standby_net],
        intent,
        now,
        request,
        drill,
    ))
    .await
}

/// One pass with a failover request (the CLI's `failover --to`).
pub async fn reconcile_with_request(
    aws: &AwsContext,
    inputs: StackInputs<'_>,
    now: &str,
    request: warmstandby_core::failover::Request,
) -> StackOutcome {
    reconcile_inner(aws, inputs, Intent::Apply, now, Some(request), false).await
}

/// A steady stack (Ready at its generation, no failover under way) that no
/// policy watches and nobody asked to move or drill: its pass may take views
/// as old as the settled age (see `with_settled_reads`).
fn settled(stack: &ThreeTierStack, watched: bool, requested: bool) -> bool {
    let Some(status) = stack.status.as_ref() else { return false };
    !watched
        && !requested
        && status.failover.is_none()
        && status.phase == Some(Phase::Ready)
        && status.observed_generation.is_some()
        && status.observed_generation == stack.metadata.generation
}

/// One pass of a valid stack: observe (IO), detect (IO), decide (pure, in
/// the core), apply (IO), conclude (pure, in the core).
#[allow(clippy::too_many_arguments)]
async fn reconcile_validated(
    aws: &AwsContext,
    stack: &ThreeTierStack,
    validated: ValidatedStack,
    owners: [Ownership; 2],
    nets: [NetworkRefs; 2],
    intent: Intent,
    now: &str,
    explicit_request: Option<warmstandby_core::failover::Request>,
    drill_requested: bool,
) -> StackOutcome {
    let hands_off = validated.spec.hands_off();
    let intent = if hands_off.is_some() { Intent::Observe } else { intent };
    // Observe only: failure detection looks (it only reads) and reports.
    let detecting = intent == Intent::Apply || hands_off == Some(HandsOff::Observe);
    let policy = validated.policy.as_ref();
    let mut memory = memory::memory(stack);
    // What to look for does not depend on roles beyond the machine's memory.
    let looking_for = Desired::of(&validated, &Placement::at(memory.active)).adopted_before(stack.status.as_ref());
    let observing = observe(aws, stack, &validated, &looking_for, &owners);
    let observed = if settled(stack, policy.is_some(), explicit_request.is_some() || drill_requested) {
        warmstandby_aws::shared::with_settled_reads(observing).await
    } else {
        observing.await
    };
    let mut snapshot = match observed {
        Ok(s) => s,
        Err(e) if e.class == warmstandby_aws::ErrorClass::Throttled => {
            // Not a failure: what the status said still stands; look again soon.
            let _ = crate::set_throttles_aside(vec![e]);
            let mut outcome = StackOutcome::waiting_on_aws(stack.status.clone().unwrap_or_default());
            outcome.watch_every = policy.filter(|_| detecting).map(detection_interval);
            return outcome;
        }
        Err(e) => {
            let status = not_ready(stack, None, "AwsError", e.to_string(), now);
            let next = Next::Failed { retryable: e.class.is_retryable() };
            return StackOutcome {
                status,
                next,
                watch_every: policy.filter(|_| detecting).map(detection_interval),
                applied: Vec::new(),
                changes: Vec::new(),
                errors: vec![e],
                invalid: None,
                events: Vec::new(),
                nothing_built: false,
            };
        }
    };
    memory::remember_replication(
        &mut snapshot.families.database,
        stack.status.as_ref(),
        warmstandby_core::stack_pass::record::seconds(now),
    );
    let recorded = stack.status.as_ref().is_some_and(|s| s.active_role.is_some());
    memory::recover(&mut memory, recorded, &snapshot.families.database, &looking_for.families.database);

    let signals = if detecting {
        let api_path = &validated.spec.api.health_check_path;
        Some(
            detect::signals(
                aws,
                policy,
                &memory,
                (&snapshot.families.public_dns, snapshot.families.alarm.as_ref()),
                &looking_for.families.public_dns,
                api_path,
            )
            .await,
        )
    } else {
        None
    };
    let decided = stack_pass::decide(stack_pass::Inputs {
        stack,
        validated: &validated,
        nets: &nets,
        memory: &memory,
        snapshot: &snapshot,
        signals,
        request: explicit_request,
        observe_only: hands_off == Some(HandsOff::Observe),
        now,
    });
    for (reason, message) in &decided.decision.events {
        tracing::info!(reason = reason.as_str(), message = %message, "failover");
    }

    let desired = &decided.desired;
    let regions = desired.families.load_balancing.each_ref().map(|r| r.region.as_str());
    let (applied, changes, errors) = if intent == Intent::Apply {
        let (applied, errors) = apply_all(aws, &validated, desired, &owners, &decided.families_plan.actions).await;
        let (applied, changes): (Vec<String>, Vec<Change>) = applied.into_iter().unzip();
        let (errors, _throttled) = crate::set_throttles_aside(errors);
        (applied, changes, errors)
    } else {
        let changes: Vec<Change> =
            decided.families_plan.actions.iter().map(|(scope, a)| family_change(*scope, regions, a)).collect();
        (Vec::new(), changes, Vec::new())
    };
    // An object that only observes lists what an apply would change. A pass
    // plans one round; when nothing exists yet, all of it is known.
    let nothing_built = snapshot.nothing_built(desired);
    let planned = hands_off.map(|_| {
        let fresh = nothing_built.then(|| stack_topology(&validated).ok()).flatten();
        match fresh {
            Some(topology) => change::planned_creations(&topology, false),
            None => {
                let active = &validated.pair.region(decided.decision.active).region;
                change::planned(&changes, decided.would_move.as_deref(), active)
            }
        }
    });
    let outcome = stack_pass::Applied {
        count: applied.len(),
        errors: errors.iter().map(ToString::to_string).collect(),
        retryable: errors.iter().all(|e| e.class.is_retryable()),
        applying: intent == Intent::Apply,
        planned: planned.as_ref().map_or(0, |p| usize::try_from(p.count).unwrap_or_default()),
    };
    let mut concluded = stack_pass::conclude(stack, &validated, &snapshot, decided, &outcome, drill_requested, now);
    concluded.status.planned = planned;
    let watch_every = if detecting { policy.map(detection_interval) } else { None };
    StackOutcome {
        status: concluded.status,
        next: concluded.next,
        watch_every,
        applied,
        changes,
        errors,
        invalid: None,
        events: concluded.events,
        nothing_built,
    }
}

/// How often failure detection looks: the probes' interval, else the health
/// check's (Manual mode detects and reports too).
pub(super) fn detection_interval(policy: &warmstandby_api::FailoverPolicySpec) -> Duration {
    let d = &policy.detection;
    let seconds = if d.probes.enabled { d.probes.interval_seconds } else { d.health_check_interval_seconds };
    Duration::from_secs(u64::try_from(seconds).unwrap_or(30).max(1))
}

/// The stack's previous status with Ready=False for `reason` (and a new
/// phase when given): the pass could not get as far as planning.
pub(super) fn not_ready(
    stack: &ThreeTierStack,
    phase: Option<Phase>,
    reason: &str,
    message: String,
    now: &str,
) -> ThreeTierStackStatus {
    let mut status = stack.status.clone().unwrap_or_default();
    let generation = stack.metadata.generation;
    warmstandby_core::conditions::set(
        &mut status.conditions,
        "Ready",
        warmstandby_core::conditions::Status::False,
        reason,
        message,
        generation,
        now,
    );
    if phase.is_some() {
        status.phase = phase;
        status.observed_generation = generation;
    }
    status
}

#[cfg(test)]
mod tests {
    use warmstandby_api::{FailoverProgress, Phase, ThreeTierStack, ThreeTierStackStatus};

    use super::settled;

    fn steady() -> ThreeTierStack {
        let mut stack: ThreeTierStack =
            serde_yaml::from_str(include_str!("../../../../deploy/examples/30-bookstore.yaml")).expect("the example");
        stack.metadata.generation = Some(3);
        stack.status = Some(ThreeTierStackStatus {
            phase: Some(Phase::Ready),
            observed_generation: Some(3),
            ..Default::default()
        });
        stack
    }

    #[test]
    fn only_a_steady_unwatched_stack_is_settled() {
        assert!(settled(&steady(), false, false));
        assert!(!settled(&steady(), true, false), "a policy watches it for failover");
        assert!(!settled(&steady(), false, true), "a move or drill was asked for");
        let mut changed = steady();
        changed.metadata.generation = Some(4);
        assert!(!settled(&changed, false, false), "a new spec is being applied");
        let mut moving = steady();
        if let Some(s) = moving.status.as_mut() {
            s.failover = Some(FailoverProgress::default());
        }
        assert!(!settled(&moving, false, false), "a failover is under way");
        let mut fresh = steady();
        fresh.status = None;
        assert!(!settled(&fresh, false, false), "a stack being created waits on its database");
    }
}
