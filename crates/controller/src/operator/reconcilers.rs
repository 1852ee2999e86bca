//! The three controllers' reconcile functions: finalizer first, then the
//! shared reconcilers, one server-side-apply status patch, events, metrics.

use std::sync::Arc;
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Secret;
use kube::api::{Patch, PatchParams};
use kube::runtime::controller::Action;
use kube::runtime::events::EventType;
use kube::runtime::finalizer::{Event as Finalizer, finalizer};
use kube::{Api, Resource, ResourceExt};
use serde::Serialize;
use serde_json::json;
use tracing::Instrument;
use warmstandby_api::{
    API_VERSION, FIELD_MANAGER, FINALIZER, FailoverPolicy, FailoverPolicyStatus, RegionPair, ThreeTierStack,
};
use warmstandby_core::secret::PasswordLookup;
use warmstandby_core::validate::{StackInputs, validate_policy};

use super::{Context, Error};
use crate::{Intent, now_rfc3339, region_pair, stack};

/// Non-leaders wait: only the leader mutates AWS or the cluster.
const FOLLOWER_RECHECK: Duration = Duration::from_secs(10);

fn key<K: Resource<DynamicType = ()>>(obj: &K) -> String {
    format!("{}/{}/{}", K::kind(&()), obj.namespace().unwrap_or_default(), obj.name_any())
}

fn object_label<K: Resource>(obj: &K) -> String {
    match obj.namespace() {
        Some(ns) => format!("{ns}/{}", obj.name_any()),
        None => obj.name_any(),
    }
}

/// Writes `status` with server-side apply under the operator's field manager.
async fn patch_status<K, S>(api: &Api<K>, obj: &K, status: &S) -> Result<(), Error>
where
    K: Resource<DynamicType = ()> + Clone + serde::de::DeserializeOwned + std::fmt::Debug,
    S: Serialize,
{
    let patch = json!({ "apiVersion": API_VERSION, "kind": K::kind(&()), "status": status });
    api.patch_status(&obj.name_any(), &PatchParams::apply(FIELD_MANAGER).force(), &Patch::Apply(&patch)).await?;
    Ok(())
}

fn finalizer_error<E: std::error::Error>(e: kube::runtime::finalizer::Error<E>) -> Error {
    match e {
        kube::runtime::finalizer::Error::ApplyFailed(inner) | kube::runtime::finalizer::Error::CleanupFailed(inner) => {
            Error::Finalizer(inner.to_string())
        }
        other => Error::Finalizer(other.to_string()),
    }
}

// ---------------------------------------------------------------- RegionPair

/// One reconcile, inside a span that carries the object reference.
pub async fn reconcile_pair(pair: Arc<RegionPair>, ctx: Arc<Context>) -> Result<Action, Error> {
    let span = tracing::info_span!("reconcile", kind = "RegionPair", object = %object_label(&*pair));
    reconcile_pair_inner(pair, ctx).instrument(span).await
}

async fn reconcile_pair_inner(pair: Arc<RegionPair>, ctx: Arc<Context>) -> Result<Action, Error> {
    if !ctx.leader.is_leader() {
        ctx.metrics.reconciled("RegionPair", "skipped", Duration::ZERO);
        return Ok(Action::requeue(FOLLOWER_RECHECK));
    }
    let started = Instant::now();
    let api: Api<RegionPair> = Api::all(ctx.client.clone());
    let result = finalizer(&api, FINALIZER, pair, |event| async {
        match event {
            Finalizer::Apply(p) => apply_pair(&api, &p, &ctx).await,
            Finalizer::Cleanup(p) => cleanup_pair(&p, &ctx).await,
        }
    })
    .await
    .map_err(finalizer_error);
    ctx.metrics.reconciled("RegionPair", if result.is_ok() { "success" } else { "error" }, started.elapsed());
    result
}

async fn apply_pair(api: &Api<RegionPair>, pair: &RegionPair, ctx: &Context) -> Result<Action, Error> {
    let aws = ctx.aws.for_role(pair.spec.role_arn.as_deref()).await;
    let outcome = region_pair::reconcile(&aws, pair, Intent::Apply, &now_rfc3339()).await;
    patch_status(api, pair, &outcome.status).await?;
    let label = object_label(pair);
    ctx.metrics.object(
        "RegionPair",
        &label,
        i64::from(outcome.status.drift_count),
        outcome.status.phase.map(phase_name),
    );
    if let Some(invalid) = &outcome.invalid {
        ctx.metrics.error("RegionPair", invalid.category());
        ctx.event(pair, EventType::Warning, "InvalidSpec", "Validate", invalid.to_string()).await;
        return Ok(Action::await_change());
    }
    report(ctx, pair, "RegionPair", &outcome.applied, outcome.status.drift_count, &outcome.errors).await;
    settle(ctx, pair, &outcome.errors, outcome.is_ready(), outcome.requeue_after)
}

async fn cleanup_pair(pair: &RegionPair, ctx: &Context) -> Result<Action, Error> {
    let name = pair.name_any();
    let users: Vec<String> = stacks_using_pair(ctx, &name);
    if !users.is_empty() {
        let msg = format!("still used by ThreeTierStack {}", users.join(", "));
        ctx.event(pair, EventType::Warning, "DeletionBlocked", "Delete", msg.clone()).await;
        return Err(Error::DeletionBlocked(msg));
    }
    let aws = ctx.aws.for_role(pair.spec.role_arn.as_deref()).await;
    let outcome = region_pair::teardown(&aws, pair).await;
    finish_teardown(ctx, pair, "RegionPair", outcome.finished, &outcome.applied, outcome.remaining, &outcome.errors)
        .await
}

/// Stacks (in this operator's scope) whose networks live in the pair.
fn stacks_using_pair(ctx: &Context, pair: &str) -> Vec<String> {
    let mut users: Vec<String> =
        ctx.stacks.state().iter().filter(|s| s.spec.region_pair_ref.name == pair).map(|s| object_label(&**s)).collect();
    users.sort();
    users
}

// ---------------------------------------------------------------- ThreeTierStack

/// One reconcile, inside a span that carries the object reference.
pub async fn reconcile_stack(st: Arc<ThreeTierStack>, ctx: Arc<Context>) -> Result<Action, Error> {
    let span = tracing::info_span!("reconcile", kind = "ThreeTierStack", object = %object_label(&*st));
    reconcile_stack_inner(st, ctx).instrument(span).await
}

async fn reconcile_stack_inner(st: Arc<ThreeTierStack>, ctx: Arc<Context>) -> Result<Action, Error> {
    if !ctx.leader.is_leader() {
        ctx.metrics.reconciled("ThreeTierStack", "skipped", Duration::ZERO);
        return Ok(Action::requeue(FOLLOWER_RECHECK));
    }
    let started = Instant::now();
    let ns = st.namespace().ok_or(Error::MissingIdentity)?;
    let api: Api<ThreeTierStack> = Api::namespaced(ctx.client.clone(), &ns);
    let result = finalizer(&api, FINALIZER, st, |event| async {
        match event {
            Finalizer::Apply(s) => apply_stack(&api, &s, &ctx).await,
            Finalizer::Cleanup(s) => cleanup_stack(&s, &ctx).await,
        }
    })
    .await
    .map_err(finalizer_error);
    ctx.metrics.reconciled("ThreeTierStack", if result.is_ok() { "success" } else { "error" }, started.elapsed());
    result
}

/// The dereference step: the RegionPair and FailoverPolicy from the caches,
/// the password from its Secret (read at each reconcile, never cached).
async fn password(ctx: &Context, st: &ThreeTierStack) -> Result<PasswordLookup, Error> {
    let Some(r) = &st.spec.database.password_secret_ref else { return Ok(PasswordLookup::NotReferenced) };
    let ns = st.namespace().ok_or(Error::MissingIdentity)?;
    let secrets: Api<Secret> = Api::namespaced(ctx.client.clone(), &ns);
    Ok(match secrets.get_opt(&r.name).await? {
        None => PasswordLookup::SecretMissing,
        Some(secret) => warmstandby_core::secret::from_secret(&secret, &r.key),
    })
}

fn references(ctx: &Context, st: &ThreeTierStack) -> (Option<Arc<RegionPair>>, Option<Arc<FailoverPolicy>>) {
    let pair = ctx.pairs.get(&kube::runtime::reflector::ObjectRef::new(&st.spec.region_pair_ref.name));
    let policy = st.spec.failover_policy_ref.as_ref().and_then(|r| {
        ctx.policies.get(&kube::runtime::reflector::ObjectRef::new(&r.name).within(&st.namespace().unwrap_or_default()))
    });
    (pair, policy)
}

async fn apply_stack(api: &Api<ThreeTierStack>, st: &ThreeTierStack, ctx: &Context) -> Result<Action, Error> {
    let lookup = password(ctx, st).await?;
    let (pair, policy) = references(ctx, st);
    // A stack acts in its RegionPair's account.
    let aws = ctx.aws.for_role(pair.as_ref().and_then(|p| p.spec.role_arn.as_deref())).await;
    let inputs = StackInputs { stack: st, region_pair: pair.as_deref(), policy: policy.as_deref(), password: lookup };
    let outcome = stack::reconcile(&aws, inputs, Intent::Apply, &now_rfc3339()).await;
    patch_status(api, st, &outcome.status).await?;
    let label = object_label(st);
    ctx.metrics.object(
        "ThreeTierStack",
        &label,
        i64::from(outcome.status.drift_count),
        outcome.status.phase.map(phase_name),
    );
    if let Some(invalid) = &outcome.invalid {
        ctx.metrics.error("ThreeTierStack", "InvalidSpec");
        ctx.event(st, EventType::Warning, "InvalidSpec", "Validate", invalid.clone()).await;
        return Ok(Action::await_change());
    }
    report(ctx, st, "ThreeTierStack", &outcome.applied, outcome.status.drift_count, &outcome.errors).await;
    for (reason, message) in &outcome.events {
        ctx.metrics.failover_transition(reason);
        let kind = if reason.ends_with("Refused") || reason.ends_with("Detected") {
            EventType::Warning
        } else {
            EventType::Normal
        };
        ctx.event(st, kind, reason, "Failover", message.clone()).await;
    }
    if let Some(last) = outcome.status.failover_history.last().filter(|r| r.outcome == "Succeeded") {
        ctx.metrics.failover_finished(
            &label,
            last.epoch,
            last.rto_seconds.unwrap_or_default(),
            last.rpo_estimate_seconds.unwrap_or_default(),
        );
    }
    if let Some(d) = &outcome.status.drill {
        ctx.metrics.standby(
            &label,
            d.failures.is_empty(),
            d.predicted_rto_seconds.unwrap_or_default(),
            d.last_success_at.as_deref().map(crate::failover::seconds),
        );
    }
    settle(ctx, st, &outcome.errors, outcome.is_ready(), outcome.requeue_after)
}

async fn cleanup_stack(st: &ThreeTierStack, ctx: &Context) -> Result<Action, Error> {
    let lookup = password(ctx, st).await?;
    let (pair, policy) = references(ctx, st);
    let aws = ctx.aws.for_role(pair.as_ref().and_then(|p| p.spec.role_arn.as_deref())).await;
    let inputs = StackInputs { stack: st, region_pair: pair.as_deref(), policy: policy.as_deref(), password: lookup };
    let suffix = chrono::Utc::now().format("%Y%m%d%H%M%S").to_string();
    let outcome = stack::teardown(&aws, inputs, &suffix).await;
    finish_teardown(ctx, st, "ThreeTierStack", outcome.finished, &outcome.applied, outcome.remaining, &outcome.errors)
        .await
}

// ---------------------------------------------------------------- FailoverPolicy

/// One reconcile, inside a span that carries the object reference.
pub async fn reconcile_policy(policy: Arc<FailoverPolicy>, ctx: Arc<Context>) -> Result<Action, Error> {
    let span = tracing::info_span!("reconcile", kind = "FailoverPolicy", object = %object_label(&*policy));
    reconcile_policy_inner(policy, ctx).instrument(span).await
}

async fn reconcile_policy_inner(policy: Arc<FailoverPolicy>, ctx: Arc<Context>) -> Result<Action, Error> {
    if !ctx.leader.is_leader() {
        return Ok(Action::requeue(FOLLOWER_RECHECK));
    }
    let started = Instant::now();
    let ns = policy.namespace().ok_or(Error::MissingIdentity)?;
    let api: Api<FailoverPolicy> = Api::namespaced(ctx.client.clone(), &ns);
    let result = finalizer(&api, FINALIZER, policy, |event| async {
        match event {
            Finalizer::Apply(p) => apply_policy(&api, &p, &ctx).await,
            Finalizer::Cleanup(p) => cleanup_policy(&p, &ctx).await,
        }
    })
    .await
    .map_err(finalizer_error);
    ctx.metrics.reconciled("FailoverPolicy", if result.is_ok() { "success" } else { "error" }, started.elapsed());
    result
}

async fn apply_policy(api: &Api<FailoverPolicy>, p: &FailoverPolicy, ctx: &Context) -> Result<Action, Error> {
    let now = now_rfc3339();
    let previous = p.status.as_ref().map(|s| s.conditions.clone()).unwrap_or_default();
    let generation = p.metadata.generation;
    let valid = validate_policy(p);
    let conditions = match &valid {
        Ok(_) => {
            let mut c = previous.clone();
            warmstandby_core::conditions::set(
                &mut c,
                "SpecValid",
                warmstandby_core::conditions::Status::True,
                "Valid",
                "",
                generation,
                &now,
            );
            warmstandby_core::conditions::set(
                &mut c,
                "Ready",
                warmstandby_core::conditions::Status::True,
                "Valid",
                "",
                generation,
                &now,
            );
            c
        }
        Err(e) => warmstandby_core::status::invalid_status(&previous, generation, &e.to_message(), &now),
    };
    let stacks = stacks_using_policy(ctx, p);
    let status = FailoverPolicyStatus { observed_generation: generation, conditions, stacks };
    patch_status(api, p, &status).await?;
    if let Err(e) = valid {
        ctx.metrics.error("FailoverPolicy", "InvalidSpec");
        ctx.event(p, EventType::Warning, "InvalidSpec", "Validate", e.to_message()).await;
        return Ok(Action::await_change());
    }
    Ok(ctx.steady(&key(p)))
}

fn stacks_using_policy(ctx: &Context, p: &FailoverPolicy) -> Vec<String> {
    let (name, ns) = (p.name_any(), p.namespace());
    let mut users: Vec<String> = ctx
        .stacks
        .state()
        .iter()
        .filter(|s| s.namespace() == ns && s.spec.failover_policy_ref.as_ref().is_some_and(|r| r.name == name))
        .map(|s| s.name_any())
        .collect();
    users.sort();
    users
}

/// A policy in use is not deleted: its stacks would lose their failover rules.
async fn cleanup_policy(p: &FailoverPolicy, ctx: &Context) -> Result<Action, Error> {
    let users = stacks_using_policy(ctx, p);
    if users.is_empty() {
        return Ok(Action::await_change());
    }
    let msg = format!("still used by ThreeTierStack {}", users.join(", "));
    ctx.event(p, EventType::Warning, "DeletionBlocked", "Delete", msg.clone()).await;
    Err(Error::DeletionBlocked(msg))
}

// ---------------------------------------------------------------- shared

fn phase_name(p: warmstandby_api::Phase) -> &'static str {
    match p {
        warmstandby_api::Phase::Pending => "Pending",
        warmstandby_api::Phase::Provisioning => "Provisioning",
        warmstandby_api::Phase::Ready => "Ready",
        warmstandby_api::Phase::Degraded => "Degraded",
        warmstandby_api::Phase::Failed => "Failed",
        warmstandby_api::Phase::Paused => "Paused",
        warmstandby_api::Phase::FailingOver => "FailingOver",
        warmstandby_api::Phase::Deleting => "Deleting",
    }
}

/// Events for what a pass did: changes, drift found, failures.
async fn report<K: Resource<DynamicType = ()>>(
    ctx: &Context,
    obj: &K,
    kind: &str,
    applied: &[String],
    drift: i32,
    errors: &[warmstandby_aws::AwsError],
) {
    if !applied.is_empty() {
        let first = obj.meta().generation == Some(1) && obj.meta().resource_version.is_some() && drift == 0;
        let reason = if drift > 0 {
            "DriftRepaired"
        } else if first {
            "Created"
        } else {
            "Updated"
        };
        let note =
            format!("{} change(s): {}", applied.len(), applied.iter().take(5).cloned().collect::<Vec<_>>().join("; "));
        ctx.event(obj, EventType::Normal, reason, "Reconcile", note).await;
    } else if drift > 0 {
        ctx.event(
            obj,
            EventType::Warning,
            "DriftDetected",
            "Observe",
            format!("{drift} drift item(s); see status.drift"),
        )
        .await;
    }
    for e in errors {
        ctx.metrics.error(kind, e.class.as_str());
    }
    if let Some(e) = errors.first() {
        ctx.event(obj, EventType::Warning, "ReconcileFailed", "Reconcile", e.to_string()).await;
    }
}

/// The requeue after a pass: steady resync with jitter, short while AWS is
/// busy, exponential backoff per object on retryable failures.
fn settle<K: Resource<DynamicType = ()>>(
    ctx: &Context,
    obj: &K,
    errors: &[warmstandby_aws::AwsError],
    ready: bool,
    requeue_after: Option<Duration>,
) -> Result<Action, Error> {
    let k = key(obj);
    if let Some(e) = errors.first() {
        let retryable = errors.iter().all(|e| e.class.is_retryable());
        return Err(Error::Aws { message: e.to_string(), retryable });
    }
    ctx.succeeded(&k);
    Ok(if ready { ctx.steady(&k) } else { Action::requeue(requeue_after.unwrap_or(crate::requeue::PROGRESS)) })
}

async fn finish_teardown<K: Resource<DynamicType = ()>>(
    ctx: &Context,
    obj: &K,
    kind: &str,
    finished: bool,
    applied: &[String],
    remaining: usize,
    errors: &[warmstandby_aws::AwsError],
) -> Result<Action, Error> {
    for e in errors {
        ctx.metrics.error(kind, e.class.as_str());
    }
    if finished {
        ctx.metrics.forget(kind, &object_label(obj));
        ctx.event(obj, EventType::Normal, "Deleted", "Delete", "every AWS resource it owned is gone".into()).await;
        return Ok(Action::await_change());
    }
    let msg = format!("{remaining} owned resource(s) left; {} deleted in this pass", applied.len());
    if let Some(e) = errors.first() {
        ctx.event(obj, EventType::Warning, "DeletionBlocked", "Delete", e.to_string()).await;
    }
    Err(Error::TeardownPending(msg))
}

/// Maps a failed reconcile to a requeue: backoff for AWS and API failures,
/// a short wait for teardown in progress, longer for blocked deletions.
pub fn error_policy<K: Resource<DynamicType = ()>>(obj: Arc<K>, error: &Error, ctx: Arc<Context>) -> Action {
    let k = key(&*obj);
    tracing::warn!(object = %k, category = error.category(), error = %error, "reconcile failed");
    ctx.metrics.error(&K::kind(&()), error.category());
    match error {
        Error::TeardownPending(_) => Action::requeue(crate::requeue::PROGRESS),
        Error::DeletionBlocked(_) => Action::requeue(Duration::from_secs(30)),
        Error::Aws { retryable: false, .. } => Action::requeue(ctx.backoff(&k).max(Duration::from_secs(60))),
        _ => Action::requeue(ctx.backoff(&k)),
    }
}
