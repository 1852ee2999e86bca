//! ThreeTierStack: security groups, bastion, database and replica, private
//! DNS and backups in both regions, on the networks of its RegionPair.

use std::time::Duration;

use futures::future::join_all;
use warmstandby_api::{DeletionPolicy, Phase, RegionPair, RegionRole, ThreeTierStack, ThreeTierStackStatus};
use warmstandby_aws::{AwsContext, AwsError, Ownership, data_tier};
use warmstandby_core::desired::{DesiredDataTier, NetworkRefs, desired_data_tier};
use warmstandby_core::observed_data::ObservedDataTier;
use warmstandby_core::plan::data_tier::{DataAction, DataPlan, RegionInputs, plan_data_teardown, plan_data_tier};
use warmstandby_core::status::invalid_status;
use warmstandby_core::status_stack::{StackPass, stack_status};
use warmstandby_core::validate::{StackInputs, ValidatedStack, validate_stack};

use crate::{Intent, TeardownOutcome, requeue};

#[derive(Debug)]
pub struct StackOutcome {
    pub status: ThreeTierStackStatus,
    pub requeue_after: Option<Duration>,
    pub applied: Vec<String>,
    pub errors: Vec<AwsError>,
    /// The spec (or a reference) was rejected: no AWS call was made.
    pub invalid: Option<String>,
}

impl StackOutcome {
    pub fn is_ready(&self) -> bool {
        self.status.phase == Some(Phase::Ready)
    }
}

fn owner(stack: &ThreeTierStack, role: RegionRole) -> Option<Ownership> {
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

/// The pair's network IDs per region, once its networks exist.
fn network_refs(pair: &RegionPair, role: RegionRole) -> Option<NetworkRefs> {
    let status = pair.status.as_ref()?;
    let region = match role {
        RegionRole::Primary => status.primary.as_ref()?,
        RegionRole::Standby => status.standby.as_ref()?,
    };
    let vpc_id = region.vpc_id.clone()?;
    ["public-a", "db-a", "db-b"]
        .iter()
        .all(|k| region.subnet_ids.contains_key(*k))
        .then(|| NetworkRefs { vpc_id, subnet_ids: region.subnet_ids.clone() })
}

/// One reconcile pass of a stack. `inputs.region_pair` must carry its status
/// (the networks' IDs).
pub async fn reconcile(aws: &AwsContext, inputs: StackInputs<'_>, intent: Intent, now: &str) -> StackOutcome {
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
        requeue_after: None,
        applied: Vec::new(),
        errors: Vec::new(),
        invalid: Some(message),
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
    let (Some(primary_net), Some(standby_net)) =
        (network_refs(&pair, RegionRole::Primary), network_refs(&pair, RegionRole::Standby))
    else {
        let message = format!("RegionPair {} has no networks yet", validated.pair.name);
        let status = not_ready(stack, Some(Phase::Pending), "WaitingForRegionPair", message, now);
        return StackOutcome {
            status,
            requeue_after: Some(requeue::PROGRESS),
            applied: Vec::new(),
            errors: Vec::new(),
            invalid: None,
        };
    };
    let intent = if validated.spec.paused { Intent::Observe } else { intent };
    let desired =
        [desired_data_tier(&validated, RegionRole::Primary), desired_data_tier(&validated, RegionRole::Standby)];
    let owners = [primary_owner, standby_owner];
    let nets = [primary_net, standby_net];

    let observed = observe_both(aws, &desired, &owners).await;
    let observed = match observed {
        Ok(o) => o,
        Err(e) => {
            let status = not_ready(stack, None, "AwsError", e.to_string(), now);
            let retry = if e.class.is_retryable() { requeue::RETRY } else { requeue::STEADY };
            return StackOutcome {
                status,
                requeue_after: Some(retry),
                applied: Vec::new(),
                errors: vec![e],
                invalid: None,
            };
        }
    };
    let plan = plan(&desired, &observed, &nets);
    let converged = plan.actions.is_empty() && plan.blocked.is_empty() && plan.waiting.is_empty();
    let (applied, errors) = if intent == Intent::Apply {
        apply(aws, &validated, &desired, &owners, &plan.actions).await
    } else {
        (Vec::new(), Vec::new())
    };
    let mut waiting = plan.waiting.clone();
    if intent == Intent::Apply && !applied.is_empty() {
        waiting.push(format!("{} change(s) made; checking again", applied.len()));
    }
    let pass = StackPass {
        regions: [(&desired[0], &observed[0]), (&desired[1], &observed[1])],
        drift: plan.drift.clone(),
        converged,
        applied: applied.len(),
        blocked: plan.blocked.clone(),
        waiting,
        errors: errors.iter().map(ToString::to_string).collect(),
        paused: validated.spec.paused,
        active_region: validated.pair.region(validated.spec.active_region).region.clone(),
    };
    let status = stack_status(&previous, generation, &pass, now);
    let requeue_after = if status.phase == Some(Phase::Ready) || intent == Intent::Observe {
        requeue::STEADY
    } else if !errors.is_empty() {
        if errors.iter().all(|e| e.class.is_retryable()) { requeue::RETRY } else { requeue::STEADY }
    } else {
        requeue::PROGRESS
    };
    StackOutcome { status, requeue_after: Some(requeue_after), applied, errors, invalid: None }
}

/// The stack's previous status with Ready=False for `reason` (and a new
/// phase when given): the pass could not get as far as planning.
fn not_ready(
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

async fn observe_both(
    aws: &AwsContext,
    desired: &[DesiredDataTier; 2],
    owners: &[Ownership; 2],
) -> Result<[ObservedDataTier; 2], AwsError> {
    let (a, b) = tokio::try_join!(
        Box::pin(data_tier::observe(aws, &desired[0], &owners[0])),
        Box::pin(data_tier::observe(aws, &desired[1], &owners[1])),
    )?;
    Ok([a, b])
}

fn plan(desired: &[DesiredDataTier; 2], observed: &[ObservedDataTier; 2], nets: &[NetworkRefs; 2]) -> DataPlan {
    let vault_arn = |role: RegionRole, name: &str| {
        let i = if role == RegionRole::Primary { 0 } else { 1 };
        observed[i].backup_vaults.iter().find(|(n, _)| n == name).map(|(_, arn)| arn.clone())
    };
    plan_data_tier([
        RegionInputs { desired: &desired[0], observed: &observed[0], network: &nets[0], vault_arn: &vault_arn },
        RegionInputs { desired: &desired[1], observed: &observed[1], network: &nets[1], vault_arn: &vault_arn },
    ])
}

/// Runs one batch of actions concurrently; each is logged without secrets.
async fn apply(
    aws: &AwsContext,
    stack: &ValidatedStack,
    desired: &[DesiredDataTier; 2],
    owners: &[Ownership; 2],
    actions: &[(RegionRole, DataAction)],
) -> (Vec<String>, Vec<AwsError>) {
    let results = join_all(actions.iter().map(|(role, action)| {
        let i = if *role == RegionRole::Primary { 0 } else { 1 };
        Box::pin(data_tier::apply(aws, &desired[i].region, &owners[i], &desired[i], &stack.password, action))
    }))
    .await;
    let mut applied = Vec::new();
    let mut errors = Vec::new();
    for ((role, action), result) in actions.iter().zip(results) {
        let i = if *role == RegionRole::Primary { 0 } else { 1 };
        let what = describe(action);
        match result {
            Ok(_) => {
                tracing::info!(region = %desired[i].region, action = %what, "applied");
                applied.push(format!("{}: {what}", desired[i].region));
            }
            Err(e) => {
                tracing::warn!(region = %desired[i].region, action = %what, error = %e, class = e.class.as_str(), "AWS call failed");
                errors.push(e);
            }
        }
    }
    (applied, errors)
}

/// A short description of an action; never includes a secret (actions carry none).
pub fn describe(action: &DataAction) -> String {
    match action {
        DataAction::CreateSecurityGroup { component, .. } => format!("create {component}"),
        DataAction::AuthorizeIngress { group_id, rule } => format!("allow tcp/{} on {group_id}", rule.from_port),
        DataAction::RevokeIngress { group_id, rule } => {
            format!("revoke {}/{} on {group_id}", rule.protocol, rule.from_port)
        }
        DataAction::DeleteSecurityGroup { group_id } => format!("delete {group_id}"),
        DataAction::RunBastion { .. } => "launch the bastion".into(),
        DataAction::TerminateInstance { instance_id } => format!("terminate {instance_id}"),
        DataAction::CreateDbSubnetGroup { name, .. } => format!("create DB subnet group {name}"),
        DataAction::DeleteDbSubnetGroup { name } => format!("delete DB subnet group {name}"),
        DataAction::CreateWriter { identifier, .. } => format!("create database {identifier}"),
        DataAction::CreateReplica { identifier, source_region, .. } => {
            format!("create replica {identifier} of the writer in {source_region}")
        }
        DataAction::ModifyDatabase { identifier, changes } => {
            format!(
                "modify {identifier}: {}",
                changes.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(", ")
            )
        }
        DataAction::UnprotectDatabase { identifier } => format!("lift deletion protection of {identifier}"),
        DataAction::DeleteDatabase { identifier, final_snapshot } => match final_snapshot {
            Some(s) => format!("delete database {identifier} (final snapshot {s})"),
            None => format!("delete database {identifier}"),
        },
        DataAction::CreatePrivateZone { name, .. } => format!("create private zone {name}"),
        DataAction::UpsertRecord { name, value, .. } => format!("point {name} at {value}"),
        DataAction::DeleteRecord { name, .. } => format!("delete record {name}"),
        DataAction::DeletePrivateZone { zone_id } => format!("delete private zone {zone_id}"),
        DataAction::CreateBackupVault { name } => format!("create backup vault {name}"),
        DataAction::DeleteBackupVault { name } => format!("delete backup vault {name}"),
        DataAction::CreateBackupPlan { name, .. } => format!("create backup plan {name}"),
        DataAction::UpdateBackupPlan { name, .. } => format!("update backup plan {name}"),
        DataAction::CreateBackupSelection { name, .. } => format!("create backup selection {name}"),
        DataAction::DeleteBackupSelection { selection_id, .. } => format!("delete backup selection {selection_id}"),
        DataAction::DeleteBackupPlan { plan_id } => format!("delete backup plan {plan_id}"),
    }
}

/// One teardown pass of a stack's data tier. `Retain` touches nothing.
/// `snapshot_suffix` names the writer's final snapshot (e.g. a timestamp).
pub async fn teardown(aws: &AwsContext, inputs: StackInputs<'_>, snapshot_suffix: &str) -> TeardownOutcome {
    let stack = inputs.stack;
    if stack.spec.deletion_policy == DeletionPolicy::Retain {
        return TeardownOutcome { finished: true, ..Default::default() };
    }
    let validated = match validate_stack(inputs) {
        Ok(v) => v,
        Err(e) => {
            let mut out = TeardownOutcome::default();
            out.waiting.push(format!("cannot tear down an invalid stack: {}", e.to_message()));
            return out;
        }
    };
    let (Some(p), Some(s)) = (owner(stack, RegionRole::Primary), owner(stack, RegionRole::Standby)) else {
        return TeardownOutcome { waiting: vec!["metadata.uid is missing".into()], ..Default::default() };
    };
    let desired =
        [desired_data_tier(&validated, RegionRole::Primary), desired_data_tier(&validated, RegionRole::Standby)];
    let owners = [p, s];
    let observed = match observe_both(aws, &desired, &owners).await {
        Ok(o) => o,
        Err(e) => return TeardownOutcome { errors: vec![e], remaining: 1, ..Default::default() },
    };
    let plan = plan_data_teardown([(&desired[0], &observed[0]), (&desired[1], &observed[1])], snapshot_suffix);
    let remaining = observed.iter().map(ObservedDataTier::live_count).sum();
    if remaining == 0 {
        return TeardownOutcome { finished: true, ..Default::default() };
    }
    let (applied, errors) = apply(aws, &validated, &desired, &owners, &plan.actions).await;
    TeardownOutcome { finished: false, applied, waiting: plan.waiting, errors, remaining }
}
