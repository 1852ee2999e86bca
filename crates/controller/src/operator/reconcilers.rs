//! One reconcile for the three kinds (`reconcile::<K>`): finalizer first,
//! then the kind's apply or cleanup with the shared reconcilers, one
//! server-side-apply status patch, events, metrics.

use std::sync::Arc;
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Secret;
use kube::api::{Patch, PatchParams};
use kube::runtime::controller::Action;
use kube::runtime::events::EventType;
use kube::{Api, Resource, ResourceExt};
use serde::Serialize;
use serde_json::json;
use tracing::Instrument;
use warmstandby_api::{
    API_VERSION, FIELD_MANAGER, FINALIZER, FailoverPolicy, FailoverPolicyStatus, RegionPair, ThreeTierStack,
};
use warmstandby_core::secret::PasswordLookup;
use warmstandby_core::validate::{StackInputs, validate_policy};

use super::{Context, Error, uses_policy};
use warmstandby_aws::calls::{PassCalls, counted};

use crate::requeue::Next;
use crate::{Intent, TeardownOutcome, now_rfc3339, region_pair, stack};

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

/// Where an object is in its life, and what the finalizer protocol asks next.
enum Lifecycle {
    /// The finalizer was just added; its own watch event brings the next pass.
    FinalizerAdded,
    /// Live: create, repair, observe.
    Apply,
    /// Deleting with our finalizer: tear down, then remove the finalizer.
    Cleanup,
    /// Deleting and no longer ours: nothing to do.
    Released,
}

/// The finalizer protocol. Unlike `kube::runtime::finalizer`, teardown in
/// progress is a normal result (requeued without error or backoff), and the
/// finalizer goes only when the teardown says nothing is left.
async fn lifecycle<K>(api: &Api<K>, obj: &K) -> Result<Lifecycle, Error>
where
    K: Resource<DynamicType = ()> + Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    let ours = obj.finalizers().iter().any(|f| f == FINALIZER);
    match (obj.meta().deletion_timestamp.is_some(), ours) {
        (true, true) => Ok(Lifecycle::Cleanup),
        (true, false) => Ok(Lifecycle::Released),
        (false, true) => Ok(Lifecycle::Apply),
        (false, false) => {
            // Test-and-add on the finalizer list itself, so a concurrent
            // status or label change is no conflict but a concurrent
            // finalizer change is.
            let ops = match &obj.meta().finalizers {
                None => json!([
                    {"op": "test", "path": "/metadata/finalizers", "value": null},
                    {"op": "add", "path": "/metadata/finalizers", "value": [FINALIZER]},
                ]),
                Some(current) => json!([
                    {"op": "test", "path": "/metadata/finalizers", "value": current},
                    {"op": "add", "path": "/metadata/finalizers/-", "value": FINALIZER},
                ]),
            };
            json_patch(api, obj, ops).await?;
            Ok(Lifecycle::FinalizerAdded)
        }
    }
}

async fn json_patch<K>(api: &Api<K>, obj: &K, ops: serde_json::Value) -> Result<(), Error>
where
    K: Resource<DynamicType = ()> + Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    let patch: json_patch::Patch = serde_json::from_value(ops).map_err(|e| Error::Kube(kube::Error::SerdeError(e)))?;
    match api.patch(&obj.name_any(), &PatchParams::default(), &Patch::Json::<()>(patch)).await {
        Ok(_) => Ok(()),
        // Already gone: nothing left to release.
        Err(kube::Error::Api(e)) if e.code == 404 => Ok(()),
        // The test op failed: the cache was behind the API server.
        Err(kube::Error::Api(e)) if e.code == 422 || e.code == 409 => Err(Error::Stale),
        Err(e) => Err(e.into()),
    }
}

/// Removes our finalizer (test-and-remove at its index).
async fn release<K>(api: &Api<K>, obj: &K) -> Result<(), Error>
where
    K: Resource<DynamicType = ()> + Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    let Some(index) = obj.finalizers().iter().position(|f| f == FINALIZER) else { return Ok(()) };
    let path = format!("/metadata/finalizers/{index}");
    json_patch(api, obj, json!([{"op": "test", "path": path, "value": FINALIZER}, {"op": "remove", "path": path}]))
        .await
}

/// Runs one pass of `kind`: counts the AWS calls it makes and reports it in
/// the metrics and the debug log.
async fn measured<F>(ctx: &Context, kind: &'static str, label: &str, pass: F) -> Result<Action, Error>
where
    F: std::future::Future<Output = Result<Action, Error>>,
{
    let started = Instant::now();
    let calls = Arc::new(PassCalls::default());
    let result = counted(calls.clone(), pass).await;
    let took = started.elapsed();
    ctx.metrics.pass_calls(kind, label, &calls);
    ctx.metrics.reconciled(kind, if result.is_ok() { "success" } else { "error" }, took);
    tracing::debug!(
        took_ms = u64::try_from(took.as_millis()).unwrap_or(u64::MAX),
        aws_reads = calls.reads(),
        aws_mutating = calls.mutating(),
        next = ?result.as_ref().ok(),
        "pass finished"
    );
    result
}

/// The requeue for what a pass reported (see `crate::requeue`).
fn requeue<K: Resource<DynamicType = ()>>(ctx: &Context, obj: &K, next: Next, watch_every: Option<Duration>) -> Action {
    match ctx.pacer.delay(&key(obj), next, watch_every) {
        Some(after) => Action::requeue(after),
        None => Action::await_change(),
    }
}

/// A kind this operator manages: how to reach its API and what a pass does
/// while the object lives and once it is being deleted.
pub trait Managed:
    Resource<DynamicType = ()> + Clone + serde::de::DeserializeOwned + Serialize + std::fmt::Debug + Send + Sync + 'static
{
    const KIND: &'static str;

    fn api(ctx: &Context, obj: &Self) -> Result<Api<Self>, Error>;

    fn apply(
        api: &Api<Self>,
        obj: &Self,
        ctx: &Context,
    ) -> impl std::future::Future<Output = Result<Action, Error>> + Send;

    fn cleanup(
        api: &Api<Self>,
        obj: &Self,
        ctx: &Context,
    ) -> impl std::future::Future<Output = Result<Action, Error>> + Send;
}

/// One reconcile of any managed kind, inside a span that carries the object
/// reference: followers wait; the leader takes the finalizer step, then
/// applies or cleans up, measured.
pub async fn reconcile<K: Managed>(obj: Arc<K>, ctx: Arc<Context>) -> Result<Action, Error> {
    let span = tracing::info_span!("reconcile", kind = K::KIND, object = %object_label(&*obj));
    async move {
        if !ctx.leader.is_leader() {
            ctx.metrics.reconciled(K::KIND, "skipped", Duration::ZERO);
            return Ok(Action::requeue(FOLLOWER_RECHECK));
        }
        let api = K::api(&ctx, &obj)?;
        measured(&ctx, K::KIND, &object_label(&*obj), async {
            match lifecycle(&api, &*obj).await? {
                Lifecycle::Apply => K::apply(&api, &obj, &ctx).await,
                Lifecycle::Cleanup => K::cleanup(&api, &obj, &ctx).await,
                Lifecycle::FinalizerAdded | Lifecycle::Released => Ok(Action::await_change()),
            }
        })
        .await
    }
    .instrument(span)
    .await
}

fn namespaced<K: Managed<Scope = k8s_openapi::NamespaceResourceScope>>(
    ctx: &Context,
    obj: &K,
) -> Result<Api<K>, Error> {
    let ns = obj.namespace().ok_or(Error::MissingIdentity)?;
    Ok(Api::namespaced(ctx.client.clone(), &ns))
}

// ---------------------------------------------------------------- RegionPair

impl Managed for RegionPair {
    const KIND: &'static str = "RegionPair";

    fn api(ctx: &Context, _: &Self) -> Result<Api<Self>, Error> {
        Ok(Api::all(ctx.client.clone()))
    }

    async fn apply(api: &Api<Self>, obj: &Self, ctx: &Context) -> Result<Action, Error> {
        apply_pair(api, obj, ctx).await
    }

    async fn cleanup(api: &Api<Self>, obj: &Self, ctx: &Context) -> Result<Action, Error> {
        cleanup_pair(api, obj, ctx).await
    }
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
    Ok(requeue(ctx, pair, outcome.next, None))
}

async fn cleanup_pair(api: &Api<RegionPair>, pair: &RegionPair, ctx: &Context) -> Result<Action, Error> {
    let name = pair.name_any();
    let users = stacks_using(ctx, |s| s.spec.region_pair_ref.name == name).await?;
    if !users.is_empty() {
        return blocked(ctx, pair, &users).await;
    }
    let aws = ctx.aws.for_role(pair.spec.role_arn.as_deref()).await;
    let outcome = region_pair::teardown(&aws, pair).await;
    finish_teardown(ctx, api, pair, "RegionPair", &outcome).await
}

/// Stacks in this operator's scope that `uses` says depend on an object. The
/// cache answers first; when it names users, a live list confirms, so a stack
/// whose deletion just finished never blocks (the cache may lag behind).
async fn stacks_using(ctx: &Context, uses: impl Fn(&ThreeTierStack) -> bool) -> Result<Vec<String>, Error> {
    let cached = ctx.stacks.state().iter().any(|s| uses(s));
    if !cached {
        return Ok(Vec::new());
    }
    let api: Api<ThreeTierStack> = match &ctx.scope.namespace {
        Some(ns) => Api::namespaced(ctx.client.clone(), ns),
        None => Api::all(ctx.client.clone()),
    };
    let mut lp = kube::api::ListParams::default();
    if let Some(selector) = &ctx.scope.selector {
        lp = lp.labels(selector);
    }
    let mut users: Vec<String> = api.list(&lp).await?.items.iter().filter(|s| uses(s)).map(object_label).collect();
    users.sort();
    Ok(users)
}

/// Deletion waits for the objects that still use this one; they re-trigger it when they go.
async fn blocked<K: Resource<DynamicType = ()>>(ctx: &Context, obj: &K, users: &[String]) -> Result<Action, Error> {
    let msg = format!("still used by ThreeTierStack {}", users.join(", "));
    ctx.event(obj, EventType::Warning, "DeletionBlocked", "Delete", msg).await;
    Ok(requeue(ctx, obj, Next::Blocked, None))
}

// ---------------------------------------------------------------- ThreeTierStack

impl Managed for ThreeTierStack {
    const KIND: &'static str = "ThreeTierStack";

    fn api(ctx: &Context, obj: &Self) -> Result<Api<Self>, Error> {
        namespaced(ctx, obj)
    }

    async fn apply(api: &Api<Self>, obj: &Self, ctx: &Context) -> Result<Action, Error> {
        apply_stack(api, obj, ctx).await
    }

    async fn cleanup(api: &Api<Self>, obj: &Self, ctx: &Context) -> Result<Action, Error> {
        cleanup_stack(api, obj, ctx).await
    }
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
        ctx.metrics.failover_transition(reason.as_str());
        let kind = if reason.is_warning() { EventType::Warning } else { EventType::Normal };
        ctx.event(st, kind, reason.as_str(), "Failover", message.clone()).await;
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
            d.last_success_at.as_deref().map(warmstandby_core::stack_pass::record::seconds),
        );
    }
    Ok(requeue(ctx, st, outcome.next, outcome.watch_every))
}

async fn cleanup_stack(api: &Api<ThreeTierStack>, st: &ThreeTierStack, ctx: &Context) -> Result<Action, Error> {
    let lookup = password(ctx, st).await?;
    let (pair, policy) = references(ctx, st);
    let aws = ctx.aws.for_role(pair.as_ref().and_then(|p| p.spec.role_arn.as_deref())).await;
    let inputs = StackInputs { stack: st, region_pair: pair.as_deref(), policy: policy.as_deref(), password: lookup };
    let suffix = chrono::Utc::now().format("%Y%m%d%H%M%S").to_string();
    let outcome = stack::teardown(&aws, inputs, &suffix).await;
    let action = finish_teardown(ctx, api, st, "ThreeTierStack", &outcome).await?;
    if outcome.finished {
        ctx.stack_gone(st);
    }
    Ok(action)
}

// ---------------------------------------------------------------- FailoverPolicy

impl Managed for FailoverPolicy {
    const KIND: &'static str = "FailoverPolicy";

    fn api(ctx: &Context, obj: &Self) -> Result<Api<Self>, Error> {
        namespaced(ctx, obj)
    }

    async fn apply(api: &Api<Self>, obj: &Self, ctx: &Context) -> Result<Action, Error> {
        apply_policy(api, obj, ctx).await
    }

    async fn cleanup(api: &Api<Self>, obj: &Self, ctx: &Context) -> Result<Action, Error> {
        cleanup_policy(api, obj, ctx).await
    }
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
        Err(e) => warmstandby_core::overall::invalid_status(&previous, generation, &e.to_message(), &now),
    };
    let stacks = stacks_using_policy(ctx, p);
    let status = FailoverPolicyStatus { observed_generation: generation, conditions, stacks };
    patch_status(api, p, &status).await?;
    if let Err(e) = valid {
        ctx.metrics.error("FailoverPolicy", "InvalidSpec");
        ctx.event(p, EventType::Warning, "InvalidSpec", "Validate", e.to_message()).await;
        return Ok(Action::await_change());
    }
    Ok(requeue(ctx, p, Next::Steady, None))
}

fn stacks_using_policy(ctx: &Context, p: &FailoverPolicy) -> Vec<String> {
    let mut users: Vec<String> =
        ctx.stacks.state().iter().filter(|s| uses_policy(s, p)).map(|s| s.name_any()).collect();
    users.sort();
    users
}

/// A policy in use is not deleted: its stacks would lose their failover rules.
async fn cleanup_policy(api: &Api<FailoverPolicy>, p: &FailoverPolicy, ctx: &Context) -> Result<Action, Error> {
    let users = stacks_using(ctx, |s| uses_policy(s, p)).await?;
    if !users.is_empty() {
        return blocked(ctx, p, &users).await;
    }
    release(api, p).await?;
    ctx.pacer.forget(&key(p));
    Ok(Action::await_change())
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

/// After a teardown pass: the finalizer goes when nothing owned is left;
/// otherwise the next pass comes as the teardown's progress says (no error,
/// no backoff unless AWS failed).
async fn finish_teardown<K>(
    ctx: &Context,
    api: &Api<K>,
    obj: &K,
    kind: &str,
    outcome: &TeardownOutcome,
) -> Result<Action, Error>
where
    K: Resource<DynamicType = ()> + Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    for e in &outcome.errors {
        ctx.metrics.error(kind, e.class.as_str());
    }
    if outcome.finished {
        // The event first, while the object it is about still exists.
        ctx.event(obj, EventType::Normal, "Deleted", "Delete", "every AWS resource it owned is gone".into()).await;
        release(api, obj).await?;
        ctx.metrics.forget(kind, &object_label(obj));
        ctx.pacer.forget(&key(obj));
        return Ok(Action::await_change());
    }
    if let Some(e) = outcome.errors.first() {
        tracing::warn!(error = %e, remaining = outcome.remaining, "teardown pass failed");
        ctx.event(obj, EventType::Warning, "DeletionBlocked", "Delete", e.to_string()).await;
    } else {
        tracing::info!(
            remaining = outcome.remaining,
            deleted = outcome.applied.len(),
            waiting = %outcome.waiting.join("; "),
            "teardown in progress"
        );
    }
    Ok(requeue(ctx, obj, outcome.next(), None))
}

/// Maps a failed reconcile (the Kubernetes API, a finalizer patch) to a
/// per-object backoff; a stale object is looked at again at once.
pub fn error_policy<K: Resource<DynamicType = ()>>(obj: Arc<K>, error: &Error, ctx: Arc<Context>) -> Action {
    let k = key(&*obj);
    if matches!(error, Error::Stale) {
        tracing::debug!(object = %k, "the object changed since it was read; looking again");
        return requeue(&ctx, &*obj, Next::Progress, None);
    }
    tracing::warn!(object = %k, category = error.category(), error = %error, "reconcile failed");
    ctx.metrics.error(&K::kind(&()), error.category());
    requeue(&ctx, &*obj, Next::Failed { retryable: error.is_retryable() }, None)
}
