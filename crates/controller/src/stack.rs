//! ThreeTierStack: the data tier (security groups, bastion, database and
//! replica, private DNS, backups) and the edge and compute tiers
//! (certificates, load balancers, images, launch templates, auto scaling
//! groups, public DNS failover, CloudFront, WAF, alarm) in both regions and
//! globally, on the networks of its RegionPair.

use std::time::Duration;

use futures::future::join_all;
use warmstandby_api::{DeletionPolicy, Phase, RegionPair, RegionRole, ThreeTierStack, ThreeTierStackStatus};
use warmstandby_aws::data_tier::DataHints;
use warmstandby_aws::edge::{self, EdgeHints};
use warmstandby_aws::{AwsContext, AwsError, Ownership, data_tier};
use warmstandby_core::desired::{DesiredDataTier, DesiredGlobalEdge, NetworkRefs};
use warmstandby_core::failover::FailoverReason;
use warmstandby_core::observed_data::ObservedDataTier;
use warmstandby_core::observed_edge::{ObservedGlobalEdge, ObservedRegionEdge};
use warmstandby_core::placement::Placement;
use warmstandby_core::plan::data_tier::{DataAction, plan_data_teardown};
use warmstandby_core::plan::edge::{EdgeAction, EdgeScope, plan_edge_teardown};
use warmstandby_core::stack_pass::{self, Desired, Snapshot, memory};
use warmstandby_core::status::invalid_status;
use warmstandby_core::validate::{StackInputs, ValidatedStack, validate_stack, validate_stack_for_teardown};

use crate::change::{self, Change};
use crate::requeue::Next;
use crate::{Intent, TeardownOutcome, detect};

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
            next: Next::WaitingOnAws,
            watch_every: None,
            applied: Vec::new(),
            changes: Vec::new(),
            errors: Vec::new(),
            invalid: None,
            events: Vec::new(),
        };
    };
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
    let intent = if validated.spec.paused { Intent::Observe } else { intent };
    let policy = validated.policy.as_ref();
    let mut memory = memory::memory(stack);
    // What to look for does not depend on roles beyond the machine's memory.
    let looking_for = Desired::of(&validated, &Placement::at(memory.active));
    let snapshot = match observe(aws, stack, &validated, &looking_for, &owners).await {
        Ok(s) => s,
        Err(e) => {
            let status = not_ready(stack, None, "AwsError", e.to_string(), now);
            let next = Next::Failed { retryable: e.class.is_retryable() };
            return StackOutcome {
                status,
                next,
                watch_every: policy.filter(|_| intent == Intent::Apply).map(detection_interval),
                applied: Vec::new(),
                changes: Vec::new(),
                errors: vec![e],
                invalid: None,
                events: Vec::new(),
            };
        }
    };
    let recorded = stack.status.as_ref().is_some_and(|s| s.active_role.is_some());
    memory::recover(&mut memory, recorded, &snapshot.data, &looking_for.data);

    let signals = if intent == Intent::Apply {
        let api_path = &validated.spec.api.health_check_path;
        Some(detect::signals(aws, policy, &memory, &snapshot.global, &looking_for.global, api_path).await)
    } else {
        None
    };
    let decided = stack_pass::decide(stack_pass::Inputs {
        stack,
        validated: &validated,
        nets: &nets,
        owners: &owners,
        memory: &memory,
        snapshot: &snapshot,
        signals,
        request: explicit_request,
        now,
    });
    for (reason, message) in &decided.decision.events {
        tracing::info!(reason = reason.as_str(), message = %message, "failover");
    }

    let desired = &decided.desired;
    let regions = [desired.data[0].region.as_str(), desired.data[1].region.as_str()];
    let (applied, changes, errors) = if intent == Intent::Apply {
        let ((mut applied, mut errors), (edge_applied, edge_errors)) = tokio::join!(
            Box::pin(apply(aws, &validated, &desired.data, &owners, &decided.data_plan.actions)),
            Box::pin(apply_edge(aws, regions, &owners, &decided.edge_plan.actions)),
        );
        applied.extend(edge_applied);
        errors.extend(edge_errors);
        let (applied, changes): (Vec<String>, Vec<Change>) = applied.into_iter().unzip();
        (applied, changes, errors)
    } else {
        let mut changes: Vec<Change> =
            decided.data_plan.actions.iter().map(|(role, a)| change::of_data(regions[role.index()], a)).collect();
        changes.extend(decided.edge_plan.actions.iter().map(|(scope, a)| edge_change(*scope, regions, a)));
        (Vec::new(), changes, Vec::new())
    };
    let outcome = stack_pass::Applied {
        count: applied.len(),
        errors: errors.iter().map(ToString::to_string).collect(),
        retryable: errors.iter().all(|e| e.class.is_retryable()),
        applying: intent == Intent::Apply,
    };
    let concluded = stack_pass::conclude(stack, &validated, &snapshot, decided, &outcome, drill_requested, now);
    let watch_every = if intent == Intent::Apply { policy.map(detection_interval) } else { None };
    StackOutcome {
        status: concluded.status,
        next: concluded.next,
        watch_every,
        applied,
        changes,
        errors,
        invalid: None,
        events: concluded.events,
    }
}

/// Observes both regions' data and edge tiers and the global resources at
/// once. With a failover policy, one region that cannot be reached does not
/// stop the pass: the other region and the global resources can still
/// serve, and the unreachable one keeps its last known edge.
async fn observe(
    aws: &AwsContext,
    stack: &ThreeTierStack,
    validated: &ValidatedStack,
    desired: &Desired,
    owners: &[Ownership; 2],
) -> Result<Snapshot, AwsError> {
    let hints = hints(stack.status.as_ref(), &desired.global);
    let data_hints = data_hints(stack.status.as_ref());
    let (d0, d1, e0, e1, global) = tokio::join!(
        Box::pin(data_tier::observe(aws, &desired.data[0], &owners[0], &data_hints[0])),
        Box::pin(data_tier::observe(aws, &desired.data[1], &owners[1], &data_hints[1])),
        Box::pin(observe_region_edge(aws, desired, owners, &hints, 0)),
        Box::pin(observe_region_edge(aws, desired, owners, &hints, 1)),
        Box::pin(edge::observe_global(aws, &desired.global, &owners[0], &hints)),
    );
    let region_errors =
        [d0.as_ref().err().or(e0.as_ref().err()).cloned(), d1.as_ref().err().or(e1.as_ref().err()).cloned()];
    let tolerated = |i: usize| {
        validated.policy.is_some()
            && global.is_ok()
            && region_errors[1 - i].is_none()
            && region_errors[i].as_ref().is_some_and(|e| e.class.is_retryable())
    };
    let unreachable = [tolerated(0), tolerated(1)];
    let first_error = region_errors
        .iter()
        .enumerate()
        .find_map(|(i, e)| e.clone().filter(|_| !unreachable[i]))
        .or(global.as_ref().err().cloned());
    if let Some(e) = first_error {
        return Err(e);
    }
    for (i, down) in unreachable.iter().enumerate() {
        if *down {
            tracing::warn!(region = %desired.data[i].region, "region unreachable; going on with the other one");
        }
    }
    let last_known = |role: RegionRole| last_known_edge(stack.status.as_ref(), role, desired);
    Ok(Snapshot {
        data: [d0.unwrap_or_default(), d1.unwrap_or_default()],
        regions: [
            e0.unwrap_or_else(|_| last_known(RegionRole::Primary)),
            e1.unwrap_or_else(|_| last_known(RegionRole::Standby)),
        ],
        global: global.unwrap_or_default(),
        unreachable,
    })
}

/// How often failure detection looks: the probes' interval, else the health
/// check's (Manual mode detects and reports too).
fn detection_interval(policy: &warmstandby_api::FailoverPolicySpec) -> Duration {
    let d = &policy.detection;
    let seconds = if d.probes.enabled { d.probes.interval_seconds } else { d.health_check_interval_seconds };
    Duration::from_secs(u64::try_from(seconds).unwrap_or(30).max(1))
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
    hints: &[DataHints; 2],
) -> Result<[ObservedDataTier; 2], AwsError> {
    let (a, b) = tokio::try_join!(
        Box::pin(data_tier::observe(aws, &desired[0], &owners[0], &hints[0])),
        Box::pin(data_tier::observe(aws, &desired[1], &owners[1], &hints[1])),
    )?;
    Ok([a, b])
}

/// What teardown finds of the edge and compute tiers.
struct EdgeObserved {
    regions: [ObservedRegionEdge; 2],
    global: ObservedGlobalEdge,
}

/// Data tier IDs of the last status, per region (primary first).
fn data_hints(status: Option<&ThreeTierStackStatus>) -> [DataHints; 2] {
    let zone = |r: Option<&warmstandby_api::RegionStackStatus>| r.and_then(|r| r.private_zone_id.clone());
    let plan = status.and_then(|s| s.global.as_ref()).and_then(|g| g.backup_plan_id.clone());
    [
        DataHints { private_zone_id: zone(status.and_then(|s| s.primary.as_ref())), backup_plan_id: plan },
        DataHints { private_zone_id: zone(status.and_then(|s| s.standby.as_ref())), backup_plan_id: None },
    ]
}

/// IDs of the last status, so that observation reads resources directly.
fn hints(status: Option<&ThreeTierStackStatus>, global: &DesiredGlobalEdge) -> EdgeHints {
    let Some(status) = status else { return EdgeHints::default() };
    let regional = |r: Option<&warmstandby_api::RegionStackStatus>| {
        (
            r.and_then(|r| r.certificate_arn.clone()),
            r.map(|r| r.load_balancers.values().flat_map(|l| l.listener_arns.iter().cloned()).collect::<Vec<_>>())
                .unwrap_or_default(),
        )
    };
    let (pc, pl) = regional(status.primary.as_ref());
    let (sc, sl) = regional(status.standby.as_ref());
    let g = status.global.as_ref();
    EdgeHints {
        certificates: [pc, sc],
        listeners: [pl, sl],
        public_zone_id: g.and_then(|g| g.public_zone_id.clone()),
        cloudfront_certificate: g
            .and_then(|g| g.cloudfront_certificate_arn.clone())
            .filter(|_| global.cloudfront_certificate == warmstandby_core::desired::CloudFrontCertificate::Own),
        distribution_id: g.and_then(|g| g.distribution_id.clone()),
        web_acl_arn: g.and_then(|g| g.web_acl_arn.clone()),
    }
}

/// One region's edge observation, with the hints of that region.
fn observe_region_edge<'a>(
    aws: &'a AwsContext,
    desired: &'a Desired,
    owners: &'a [Ownership; 2],
    hints: &'a EdgeHints,
    i: usize,
) -> impl std::future::Future<Output = Result<ObservedRegionEdge, AwsError>> + 'a {
    edge::observe_region(aws, &desired.regions[i], &owners[i], hints.certificates[i].as_deref(), &hints.listeners[i])
}

async fn observe_edge(
    aws: &AwsContext,
    desired: &Desired,
    owners: &[Ownership; 2],
    hints: &EdgeHints,
) -> Result<EdgeObserved, AwsError> {
    let (primary, standby, global) = tokio::try_join!(
        Box::pin(observe_region_edge(aws, desired, owners, hints, 0)),
        Box::pin(observe_region_edge(aws, desired, owners, hints, 1)),
        Box::pin(edge::observe_global(aws, &desired.global, &owners[0], hints)),
    )?;
    Ok(EdgeObserved { regions: [primary, standby], global })
}

/// What the last status knew of an unreachable region's load balancers:
/// enough for the global records and origins that still name them.
fn last_known_edge(status: Option<&ThreeTierStackStatus>, role: RegionRole, desired: &Desired) -> ObservedRegionEdge {
    let i = role.index();
    let region = status.and_then(|s| if i == 0 { s.primary.as_ref() } else { s.standby.as_ref() });
    // The certificate stays issued (it is renewed by ACM, not by us).
    let certificate = region.and_then(|r| r.certificate_arn.clone()).map(|arn| {
        warmstandby_core::observed_edge::ObservedCertificate {
            arn,
            domain: desired.regions[i].certificate_domain.clone(),
            status: "ISSUED".into(),
            validation: Vec::new(),
        }
    });
    let mut out = ObservedRegionEdge { certificate, ..Default::default() };
    for t in &desired.regions[i].tiers {
        if let Some(lb) = region.and_then(|r| r.load_balancers.get(t.tier)) {
            out.load_balancers.push(warmstandby_core::observed_edge::ObservedLoadBalancer {
                arn: lb.arn.clone(),
                dns_name: lb.dns_name.clone(),
                zone_id: lb.zone_id.clone(),
                state: "unknown".into(),
                spec: warmstandby_core::observed_edge::LoadBalancerSpec {
                    name: t.load_balancer_name.clone(),
                    scheme: "internet-facing".into(),
                    subnet_ids: Vec::new(),
                    security_group_ids: Vec::new(),
                },
            });
        }
    }
    out
}

/// Security group IDs of a region's data tier by role.
/// An edge action as a change of its region, or a global one.
fn edge_change(scope: EdgeScope, regions: [&str; 2], action: &EdgeAction) -> Change {
    match scope {
        EdgeScope::Region(role) => change::of_edge(Some(regions[role.index()]), action),
        EdgeScope::Global => change::of_edge(None, action),
    }
}

/// Runs one batch of edge actions concurrently.
async fn apply_edge(
    aws: &AwsContext,
    regions: [&str; 2],
    owners: &[Ownership; 2],
    actions: &[(EdgeScope, EdgeAction)],
) -> (Vec<(String, Change)>, Vec<AwsError>) {
    let results = join_all(actions.iter().map(|(scope, action)| {
        let region = edge::scope_region(*scope, regions);
        let owner = if *scope == EdgeScope::Region(RegionRole::Standby) { &owners[1] } else { &owners[0] };
        Box::pin(edge::apply(aws, region, owner, action))
    }))
    .await;
    let mut applied = Vec::new();
    let mut errors = Vec::new();
    for ((scope, action), result) in actions.iter().zip(results) {
        let region = edge::scope_region(*scope, regions);
        let what = describe_edge(action);
        match result {
            Ok(_) => {
                tracing::info!(region, action = %what, "applied");
                applied.push((format!("{region}: {what}"), edge_change(*scope, regions, action)));
            }
            Err(e) => {
                tracing::warn!(region, action = %what, error = %e, class = e.class.as_str(), "AWS call failed");
                errors.push(e);
            }
        }
    }
    (applied, errors)
}

/// A short description of an edge action.
pub fn describe_edge(action: &EdgeAction) -> String {
    use EdgeAction as A;
    match action {
        A::RequestCertificate { domain } => format!("request certificate {domain}"),
        A::DeleteCertificate { arn } => format!("delete certificate {arn}"),
        A::CreateTargetGroup { spec, .. } => format!("create target group {}", spec.name),
        A::ModifyTargetGroup { arn, health_check_path } => {
            format!("set health check path of {arn} to {health_check_path}")
        }
        A::DeleteTargetGroup { arn } => format!("delete target group {arn}"),
        A::CreateLoadBalancer { spec, .. } => format!("create load balancer {}", spec.name),
        A::SetSubnets { arn, .. } => format!("set subnets of {arn}"),
        A::SetSecurityGroups { arn, .. } => format!("set security groups of {arn}"),
        A::DeleteLoadBalancer { arn } => format!("delete load balancer {arn}"),
        A::CreateListener { tier, spec, .. } => format!("create {} listener :{} of {tier}", spec.protocol, spec.port),
        A::ModifyListener { arn, .. } => format!("repair listener {arn}"),
        A::DeleteListener { arn } => format!("delete listener {arn}"),
        A::CopyImage { source_image, source_region, .. } => format!("copy image {source_image} from {source_region}"),
        A::TagImage { image_id, .. } => format!("tag image {image_id}"),
        A::DeregisterImage { image_id, .. } => format!("deregister image {image_id}"),
        A::CreateLaunchTemplate { name, .. } => format!("create launch template {name}"),
        A::CreateLaunchTemplateVersion { template_id, .. } => format!("new version of launch template {template_id}"),
        A::DeleteLaunchTemplate { template_id } => format!("delete launch template {template_id}"),
        A::CreateAutoScalingGroup { name, spec, .. } => {
            format!("create auto scaling group {name} ({}/{}/{})", spec.min, spec.desired, spec.max)
        }
        A::UpdateAutoScalingGroup { name, spec, .. } => format!(
            "update auto scaling group {name} (version {}, {}/{}/{})",
            spec.launch_template_version, spec.min, spec.desired, spec.max
        ),
        A::DeleteAutoScalingGroup { name } => format!("delete auto scaling group {name}"),
        A::CreatePublicZone { name } => format!("create public zone {name}"),
        A::DeletePublicZone { zone_id } => format!("delete public zone {zone_id}"),
        A::ChangeRecords { changes, .. } => format!(
            "change records: {}",
            changes.iter().map(|(a, r)| format!("{} {}", a.as_str(), r.label())).collect::<Vec<_>>().join(", ")
        ),
        A::CreateHealthCheck { config, .. } => format!("create health check of {}", config.fqdn),
        A::UpdateHealthCheck { id, .. } => format!("update health check {id}"),
        A::DeleteHealthCheck { id } => format!("delete health check {id}"),
        A::CreateWebAcl { name, .. } => format!("create web ACL {name}"),
        A::UpdateWebAcl { name, .. } => format!("update web ACL {name}"),
        A::DeleteWebAcl { name, .. } => format!("delete web ACL {name}"),
        A::CreateDistribution { .. } => "create the CloudFront distribution".into(),
        A::UpdateDistribution { id, spec, .. } if !spec.enabled => format!("disable distribution {id}"),
        A::UpdateDistribution { id, .. } => format!("update distribution {id}"),
        A::DeleteDistribution { id, .. } => format!("delete distribution {id}"),
        A::PutAlarm { name, .. } => format!("put alarm {name}"),
        A::DeleteAlarm { name } => format!("delete alarm {name}"),
    }
}

/// Runs one batch of actions concurrently; each is logged without secrets.
async fn apply(
    aws: &AwsContext,
    stack: &ValidatedStack,
    desired: &[DesiredDataTier; 2],
    owners: &[Ownership; 2],
    actions: &[(RegionRole, DataAction)],
) -> (Vec<(String, Change)>, Vec<AwsError>) {
    let results = join_all(actions.iter().map(|(role, action)| {
        let i = role.index();
        Box::pin(data_tier::apply(aws, &desired[i].region, &owners[i], &desired[i], &stack.password, action))
    }))
    .await;
    let mut applied = Vec::new();
    let mut errors = Vec::new();
    for ((role, action), result) in actions.iter().zip(results) {
        let i = role.index();
        let what = describe(action);
        match result {
            Ok(_) => {
                tracing::info!(region = %desired[i].region, action = %what, "applied");
                applied.push((format!("{}: {what}", desired[i].region), change::of_data(&desired[i].region, action)));
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
        DataAction::PromoteReplica { identifier, epoch } => format!("promote {identifier} (epoch {epoch})"),
        DataAction::TagEpoch { identifier, epoch } => format!("tag {identifier} with epoch {epoch}"),
        DataAction::TagGroupEpoch { group_id, epoch } => format!("tag the fence on {group_id} with epoch {epoch}"),
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
    let validated = match validate_stack_for_teardown(inputs) {
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
    // Teardown deletes whatever is ours wherever it is: the spec's placement names it all.
    let wanted = Desired::of(&validated, &Placement::of_spec(&validated));
    let desired = &wanted.data;
    let owners = [p, s];
    // No hints: teardown searches for everything that is ours.
    let no_hints = EdgeHints::default();
    let no_data_hints = [DataHints::default(), DataHints::default()];
    let (observed, edge_observed) = tokio::join!(
        Box::pin(observe_both(aws, desired, &owners, &no_data_hints)),
        Box::pin(observe_edge(aws, &wanted, &owners, &no_hints))
    );
    let (observed, edge_observed) = match observed.and_then(|d| edge_observed.map(|e| (d, e))) {
        Ok(o) => o,
        Err(e) => return TeardownOutcome { errors: vec![e], remaining: 1, ..Default::default() },
    };
    let marker = owners[0].owner_marker();
    let edge_remaining = edge_observed.regions.iter().map(ObservedRegionEdge::live_count).sum::<usize>()
        + edge_observed.global.live_count(&marker);
    let plan = plan_data_teardown(
        [(&desired[0], &observed[0]), (&desired[1], &observed[1])],
        snapshot_suffix,
        edge_remaining > 0,
    );
    let edge_plan =
        plan_edge_teardown([&edge_observed.regions[0], &edge_observed.regions[1]], &edge_observed.global, &marker);
    let remaining = observed.iter().map(ObservedDataTier::live_count).sum::<usize>() + edge_remaining;
    if remaining == 0 {
        return TeardownOutcome { finished: true, ..Default::default() };
    }
    let regions = [desired[0].region.as_str(), desired[1].region.as_str()];
    let ((mut applied, mut errors), (edge_applied, edge_errors)) = tokio::join!(
        Box::pin(apply(aws, &validated, desired, &owners, &plan.actions)),
        Box::pin(apply_edge(aws, regions, &owners, &edge_plan.actions)),
    );
    applied.extend(edge_applied);
    errors.extend(edge_errors);
    let mut waiting = plan.waiting;
    waiting.extend(edge_plan.waiting);
    let (applied, changes) = applied.into_iter().unzip();
    TeardownOutcome { finished: false, applied, changes, waiting, errors, remaining }
}
