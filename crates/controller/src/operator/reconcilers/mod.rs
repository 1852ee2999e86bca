//! One reconcile for the three kinds (`reconcile::<K>`): finalizer first,
//! then the kind's apply or cleanup with the shared reconcilers, one
//! server-side-apply status patch, events, metrics.

mod policies;
mod region_pairs;
mod stacks;

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::events::Reason;
use k8s_openapi::api::core::v1::Secret;
use kube::api::{Patch, PatchParams};
use kube::runtime::controller::Action;
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

fn phase_name(p: warmstandby_api::Phase) -> &'static str {
    match p {
        warmstandby_api::Phase::Pending => "Pending",
        warmstandby_api::Phase::Provisioning => "Provisioning",
        warmstandby_api::Phase::Ready => "Ready",
        warmstandby_api::Phase::Degraded => "Degraded",
        warmstandby_api::Phase::Failed => "Failed",
        warmstandby_api::Phase::Paused => "Paused",
        warmstandby_api::Phase::Observing => "Observing",
        warmstandby_api::Phase::FailingOver => "FailingOver",
        warmstandby_api::Phase::Deleting => "Deleting",
    }
}

/// Events for what a pass did: changes, drift found, failures. `moving`: a
/// failover or switchover is under way, so the changes are its (its new
/// placement raises drift, which they do not repair).
async fn report<K: Resource<DynamicType = ()>>(
    ctx: &Context,
    obj: &K,
    kind: &str,
    applied: &[String],
    drift: i32,
    moving: bool,
    errors: &[warmstandby_aws::AwsError],
) {
    if !applied.is_empty() {
        let first = obj.meta().generation == Some(1) && obj.meta().resource_version.is_some() && drift == 0;
        let reason = if moving {
            Reason::FailoverChanges
        } else if drift > 0 {
            Reason::DriftRepaired
        } else if first {
            Reason::Created
        } else {
            Reason::Updated
        };
        let note =
            format!("{} change(s): {}", applied.len(), applied.iter().take(5).cloned().collect::<Vec<_>>().join("; "));
        ctx.event(obj, reason, note).await;
    } else if drift > 0 {
        ctx.event(obj, Reason::DriftDetected, format!("{drift} drift item(s); see status.drift")).await;
    }
    for e in errors {
        ctx.metrics.error(kind, e.class.as_str());
    }
    if let Some(e) = errors.first() {
        ctx.event(obj, Reason::ReconcileFailed, e.to_string()).await;
    }
}

/// An object that only observes: what an apply would change now, once per
/// different plan (the event sink counts repeats of the same note).
async fn report_planned<K: Resource<DynamicType = ()>>(
    ctx: &Context,
    obj: &K,
    planned: Option<&warmstandby_api::PlannedChanges>,
) {
    let Some(planned) = planned.filter(|p| p.count > 0) else { return };
    let first: Vec<&str> = planned.changes.iter().take(5).map(|c| c.description.as_str()).collect();
    let more = if planned.count > 5 { "; ... (see status.planned)" } else { "" };
    let note = format!("observe only: {} change(s) an apply would make: {}{more}", planned.count, first.join("; "));
    ctx.event(obj, Reason::ChangesPlanned, note).await;
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
    ctx.remember_teardown_wait(&key(obj), outcome.wait.clone());
    if outcome.finished {
        // The event first, while the object it is about still exists.
        let note = match (&outcome.left_in_aws, &outcome.retained) {
            (Some(why), _) => format!("nothing was deleted in AWS ({why}): its resources stay as they are"),
            (None, Some(kept)) => format!("every AWS resource it owned is gone except, on purpose, its {kept}"),
            (None, None) => "every AWS resource it owned is gone".into(),
        };
        ctx.event(obj, Reason::Deleted, note).await;
        release(api, obj).await?;
        ctx.metrics.forget(kind, &object_label(obj));
        ctx.pacer.forget(&key(obj));
        return Ok(Action::await_change());
    }
    if let Some(e) = outcome.errors.first() {
        tracing::warn!(error = %e, remaining = outcome.remaining, "teardown pass failed");
        ctx.event(obj, Reason::DeletionBlocked, e.to_string()).await;
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
    ctx.event(obj, Reason::DeletionBlocked, msg).await;
    Ok(requeue(ctx, obj, Next::Blocked, None))
}
