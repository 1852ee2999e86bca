//! `warmstandby operator`: kube-rs controllers for the three kinds, sharing
//! one AWS context, with finalizers, server-side-apply status, events,
//! metrics, leader election and per-object backoff.

pub mod event_sink;
pub mod events;
pub mod http;
pub mod leader;
pub mod metrics;
pub mod rbac;
pub mod reconcilers;
pub mod webhook;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::core::v1::Secret;
use kube::core::{DynamicObject, PartialObjectMeta};
use kube::runtime::controller::Controller;
use kube::runtime::reflector::{self, ObjectRef, Store};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Client, Resource, ResourceExt};
use warmstandby_api::{FailoverPolicy, RegionPair, ThreeTierStack};
use warmstandby_aws::AwsContext;

pub use leader::{LeaderState, LeaseConfig};
pub use metrics::Metrics;

use crate::requeue::Pacer;

/// Reconcile failures, with a stable category for metrics and event reasons.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("kubernetes API: {0}")]
    Kube(#[from] kube::Error),
    #[error("object has no name or namespace")]
    MissingIdentity,
    /// The object changed since the cache handed it over (a finalizer patch
    /// whose test failed): look again at the fresh object, not an error.
    #[error("the object changed since it was read")]
    Stale,
}

impl Error {
    pub fn category(&self) -> &'static str {
        match self {
            Error::Kube(_) => "KubeApi",
            Error::MissingIdentity => "MissingIdentity",
            Error::Stale => "StaleObject",
        }
    }

    /// Worth retrying soon (a conflict, an unavailable API).
    pub fn is_retryable(&self) -> bool {
        !matches!(self, Error::MissingIdentity)
    }
}

/// Why the operator could not start, each with what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(
        "the lease namespace {namespace:?} does not exist: create it (kubectl create namespace {namespace}) \
         or pass --lease-namespace with an existing namespace (or --leader-elect=false for a single replica)"
    )]
    LeaseNamespaceMissing { namespace: String },
    #[error(
        "cannot use leases in the namespace {namespace:?}: {source} (does the namespace exist? create it, or pass \
         --lease-namespace with the namespace of the operator's lease Role, which needs get, create and update on leases)"
    )]
    LeaseNamespaceUnreadable { namespace: String, source: kube::Error },
    #[error("cannot serve /metrics and health on {addr}: {source}")]
    Listen { addr: SocketAddr, source: std::io::Error },
    #[error(transparent)]
    Webhook(#[from] webhook::WebhookError),
}

impl StartError {
    pub fn category(&self) -> &'static str {
        match self {
            StartError::LeaseNamespaceMissing { .. } => "LeaseNamespaceMissing",
            StartError::LeaseNamespaceUnreadable { .. } => "LeaseNamespaceUnreadable",
            StartError::Listen { .. } => "Listen",
            StartError::Webhook(_) => "Webhook",
        }
    }
}

/// Settings of the operator process.
#[derive(Clone, Debug)]
pub struct OperatorConfig {
    /// Watch one namespace only (RegionPairs are cluster-scoped and always watched).
    pub namespace: Option<String>,
    /// Label selector limiting the objects this deployment manages.
    pub selector: Option<String>,
    /// Steady-state drift resync (jittered by up to 10%).
    pub resync: Duration,
    pub concurrency: u16,
    /// `None`: single replica, always leader.
    pub lease: Option<LeaseConfig>,
    pub http_addr: SocketAddr,
    /// Pod name, for events.
    pub instance: Option<String>,
    /// The validating admission webhook, when served.
    pub webhook: Option<webhook::WebhookConfig>,
}

/// Shared by every reconcile.
pub struct Context {
    pub client: Client,
    pub aws: Arc<AwsContext>,
    pub metrics: Metrics,
    pub leader: Arc<LeaderState>,
    pub events: event_sink::EventSink,
    pub pairs: Store<RegionPair>,
    pub policies: Store<FailoverPolicy>,
    pub stacks: Store<ThreeTierStack>,
    /// Decides every requeue (see `crate::requeue`).
    pub pacer: Pacer,
    /// The objects this operator manages: its namespace and label selector.
    pub scope: Scope,
    ready: AtomicBool,
    /// Objects that waited for a stack to go (its RegionPair, its FailoverPolicy), re-triggered when it goes.
    pair_triggers: Trigger<RegionPair>,
    policy_triggers: Trigger<FailoverPolicy>,
    /// Counts the times this replica became the leader: every object is
    /// reconciled then, instead of when a follower's recheck comes round.
    leadership: tokio::sync::watch::Sender<u64>,
    /// What each object's last teardown pass waited on, by object key. Kept
    /// in memory: a restarted operator just observes everything once.
    teardown_waits: std::sync::Mutex<std::collections::HashMap<String, crate::TeardownWait>>,
}

/// Which objects an operator deployment manages.
#[derive(Clone, Debug, Default)]
pub struct Scope {
    pub namespace: Option<String>,
    pub selector: Option<String>,
}

/// A channel of objects to reconcile now; the receiving end feeds a controller.
struct Trigger<K: Resource<DynamicType = ()>> {
    sender: tokio::sync::mpsc::UnboundedSender<ObjectRef<K>>,
    receiver: std::sync::Mutex<Option<tokio::sync::mpsc::UnboundedReceiver<ObjectRef<K>>>>,
}

impl<K: Resource<DynamicType = ()>> Trigger<K> {
    fn new() -> Self {
        let (sender, receiver) = tokio::sync::mpsc::unbounded_channel();
        Trigger { sender, receiver: std::sync::Mutex::new(Some(receiver)) }
    }

    fn stream(&self) -> impl futures::Stream<Item = ObjectRef<K>> + Send + 'static
    where
        K: 'static,
    {
        let receiver = self.receiver.lock().unwrap_or_else(|e| e.into_inner()).take();
        futures::stream::unfold(receiver, |rx| async move {
            let mut rx = rx?;
            let next = rx.recv().await?;
            Some((next, Some(rx)))
        })
    }
}

impl Context {
    pub fn new(
        client: Client,
        aws: Arc<AwsContext>,
        leader: Arc<LeaderState>,
        stores: (Store<RegionPair>, Store<FailoverPolicy>, Store<ThreeTierStack>),
        resync: Duration,
        instance: Option<String>,
    ) -> Context {
        let (pairs, policies, stacks) = stores;
        Context {
            events: event_sink::EventSink::new(client.clone(), "warmstandby-operator", instance),
            client,
            aws,
            metrics: Metrics::default(),
            leader,
            pairs,
            policies,
            stacks,
            pacer: Pacer::new(resync),
            scope: Scope::default(),
            ready: AtomicBool::new(false),
            pair_triggers: Trigger::new(),
            policy_triggers: Trigger::new(),
            leadership: tokio::sync::watch::channel(0).0,
            teardown_waits: std::sync::Mutex::default(),
        }
    }

    /// What the object's last teardown pass waited on, if it only waited.
    pub fn teardown_wait(&self, key: &str) -> Option<crate::TeardownWait> {
        self.teardown_waits.lock().ok()?.get(key).cloned()
    }

    pub fn remember_teardown_wait(&self, key: &str, wait: Option<crate::TeardownWait>) {
        if let Ok(mut waits) = self.teardown_waits.lock() {
            match wait {
                Some(w) => waits.insert(key.to_string(), w),
                None => waits.remove(key),
            };
        }
    }

    /// This replica became the leader.
    pub fn leadership_gained(&self) {
        self.leadership.send_modify(|n| *n += 1);
    }

    /// Fires once each time this replica becomes the leader.
    fn on_leadership(&self) -> impl futures::Stream<Item = ()> + Send + 'static {
        let mut leadership = self.leadership.subscribe();
        // Leadership gained before the controller subscribed counts too.
        if *leadership.borrow() > 0 {
            leadership.mark_changed();
        }
        futures::stream::unfold(leadership, |mut rx| async move {
            rx.changed().await.ok()?;
            Some(((), rx))
        })
    }

    /// Limits the live look-ups (stacks still using a pair or policy) to the operator's scope.
    pub fn with_scope(mut self, scope: Scope) -> Context {
        self.scope = scope;
        self
    }

    /// Reconciles the RegionPair and FailoverPolicy of a stack that is gone,
    /// so their own deletion (blocked while the stack used them) goes on at once.
    pub fn stack_gone(&self, stack: &ThreeTierStack) {
        let _ = self.pair_triggers.sender.send(ObjectRef::new(&stack.spec.region_pair_ref.name));
        if let (Some(policy), Some(ns)) = (&stack.spec.failover_policy_ref, stack.namespace()) {
            let _ = self.policy_triggers.sender.send(ObjectRef::new(&policy.name).within(&ns));
        }
    }

    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::SeqCst)
    }

    pub fn set_ready(&self) {
        self.ready.store(true, Ordering::SeqCst);
    }

    /// Publishes an event; failures to publish are logged, never fatal.
    pub async fn event<K: Resource<DynamicType = ()>>(&self, obj: &K, reason: events::Reason, note: String) {
        let event = event_sink::Published {
            type_: reason.event_type(),
            reason: reason.as_str(),
            action: reason.action(),
            note: note.chars().take(1000).collect(),
        };
        if let Err(e) = self.events.publish(event, &obj.object_ref(&())).await {
            tracing::warn!(error = %e, reason = reason.as_str(), "could not publish event");
        }
    }
}

/// Whether `stack` names `policy` as its FailoverPolicy.
pub fn uses_policy(stack: &ThreeTierStack, policy: &FailoverPolicy) -> bool {
    stack.namespace() == policy.namespace()
        && stack.spec.failover_policy_ref.as_ref().is_some_and(|r| r.name == policy.name_any())
}

/// Re-runs on spec, deletion, finalizer or annotation changes, but not on
/// status-only updates (a status patch must not retrigger its own reconcile).
pub fn lifecycle_hash<K: Resource>(obj: &K) -> Option<u64> {
    use std::hash::{Hash, Hasher};
    let meta = obj.meta();
    let mut h = std::collections::hash_map::DefaultHasher::new();
    meta.generation.hash(&mut h);
    meta.deletion_timestamp.as_ref().map(|t| t.0.as_second()).hash(&mut h);
    meta.finalizers.hash(&mut h);
    meta.annotations.hash(&mut h);
    Some(h.finish())
}

/// Converts a watch event of untyped objects, dropping objects that do not
/// deserialize (logged), so one malformed object cannot wedge the watch.
fn typed_event<K>(event: watcher::Event<DynamicObject>) -> Option<watcher::Event<K>>
where
    K: serde::de::DeserializeOwned + Resource,
{
    let convert = |o: DynamicObject| -> Option<K> {
        let name = o.name_any();
        match serde_json::to_value(&o).and_then(serde_json::from_value::<K>) {
            Ok(k) => Some(k),
            Err(e) => {
                tracing::warn!(object = %name, error = %e, "skipping an object that does not match its schema");
                None
            }
        }
    };
    match event {
        watcher::Event::Apply(o) => convert(o).map(watcher::Event::Apply),
        watcher::Event::Delete(o) => convert(o).map(watcher::Event::Delete),
        watcher::Event::InitApply(o) => convert(o).map(watcher::Event::InitApply),
        watcher::Event::Init => Some(watcher::Event::Init),
        watcher::Event::InitDone => Some(watcher::Event::InitDone),
    }
}

/// A watch of `K` that survives malformed objects (see `typed_event`).
fn tolerant_watch<K>(
    client: &Client,
    namespace: Option<&str>,
    wc: watcher::Config,
) -> impl futures::Stream<Item = Result<watcher::Event<K>, watcher::Error>> + Send + 'static
where
    K: Resource<DynamicType = ()> + serde::de::DeserializeOwned + Clone + Send + 'static,
{
    let ar = kube::api::ApiResource::erase::<K>(&());
    let api: Api<DynamicObject> = match namespace {
        Some(ns) => Api::namespaced_with(client.clone(), ns, &ar),
        None => Api::all_with(client.clone(), &ar),
    };
    watcher(api, wc).default_backoff().filter_map(|r| futures::future::ready(r.map(typed_event::<K>).transpose()))
}

fn watcher_config(selector: &Option<String>) -> watcher::Config {
    let wc = watcher::Config::default().any_semantic();
    match selector {
        Some(s) => wc.labels(s),
        None => wc,
    }
}

fn namespaced<K>(client: &Client, namespace: &Option<String>) -> Api<K>
where
    K: Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>,
{
    match namespace {
        Some(ns) => Api::namespaced(client.clone(), ns),
        None => Api::all(client.clone()),
    }
}

/// The lease namespace must exist before the operator can elect a leader:
/// without it every renewal would fail forever. A dry-run create of the lease
/// tells (it needs only the lease Role the operator has anyway): 404 means
/// the namespace is missing, 409 that the lease is already there.
async fn check_lease_namespace(client: &Client, lease: &LeaseConfig) -> Result<(), StartError> {
    let leases: Api<k8s_openapi::api::coordination::v1::Lease> = Api::namespaced(client.clone(), &lease.namespace);
    let probe = k8s_openapi::api::coordination::v1::Lease {
        metadata: kube::api::ObjectMeta { name: Some(lease.name.clone()), ..Default::default() },
        spec: None,
    };
    let namespace = lease.namespace.clone();
    match leases.create(&kube::api::PostParams { dry_run: true, field_manager: None }, &probe).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(e)) if e.code == 409 => Ok(()),
        Err(kube::Error::Api(e)) if e.code == 404 => Err(StartError::LeaseNamespaceMissing { namespace }),
        Err(source) => Err(StartError::LeaseNamespaceUnreadable { namespace, source }),
    }
}

/// Runs the operator until the process is stopped.
pub async fn run(client: Client, aws: Arc<AwsContext>, cfg: OperatorConfig) -> Result<(), StartError> {
    if let Some(lease) = &cfg.lease {
        check_lease_namespace(&client, lease).await?;
    }
    let leader = match &cfg.lease {
        None => LeaderState::always(),
        Some(_) => Arc::new(LeaderState::default()),
    };
    // Metadata only: the operator never caches Secret data.
    let secret_api: Api<PartialObjectMeta<Secret>> = namespaced(&client, &cfg.namespace);
    let wc = watcher_config(&cfg.selector);

    let (pairs, pair_writer) = reflector::store();
    let ns = cfg.namespace.as_deref();
    let pair_stream = tolerant_watch::<RegionPair>(&client, None, wc.clone())
        .reflect(pair_writer)
        .applied_objects()
        .predicate_filter(lifecycle_hash, Default::default());
    let (policies, policy_writer) = reflector::store();
    let policy_stream = tolerant_watch::<FailoverPolicy>(&client, ns, wc.clone())
        .reflect(policy_writer)
        .applied_objects()
        .predicate_filter(lifecycle_hash, Default::default());
    let (stacks, stack_writer) = reflector::store();
    let stack_stream = tolerant_watch::<ThreeTierStack>(&client, ns, wc.clone())
        .reflect(stack_writer)
        .applied_objects()
        .predicate_filter(lifecycle_hash, Default::default());

    let ctx = Arc::new(
        Context::new(
            client.clone(),
            aws,
            leader.clone(),
            (pairs.clone(), policies.clone(), stacks.clone()),
            cfg.resync,
            cfg.instance.clone(),
        )
        .with_scope(Scope { namespace: cfg.namespace.clone(), selector: cfg.selector.clone() }),
    );

    let listener = tokio::net::TcpListener::bind(cfg.http_addr)
        .await
        .map_err(|source| StartError::Listen { addr: cfg.http_addr, source })?;
    if let Ok(addr) = listener.local_addr() {
        tracing::info!(%addr, "serving /metrics, /healthz and /readyz");
    }
    tokio::spawn(http::serve(listener, ctx.clone()));
    if let Some(hook) = cfg.webhook.clone() {
        webhook::start(client.clone(), hook).await?;
    }
    if let Some(lease) = cfg.lease.clone() {
        // Fenced until the lease is held; fenced again the moment it is lost,
        // which stops even a reconcile that is already running.
        ctx.aws.calls().fence(true);
        let on_change = ctx.clone();
        tokio::spawn(leader::run(client.clone(), lease, leader.clone(), move |held| {
            on_change.aws.calls().fence(!held);
            on_change.metrics.set_leader(held);
            if held {
                on_change.leadership_gained();
            }
        }));
    } else {
        ctx.metrics.set_leader(true);
    }
    {
        let (ctx, pairs, policies, stacks) = (ctx.clone(), pairs.clone(), policies.clone(), stacks.clone());
        tokio::spawn(async move {
            let _ = tokio::join!(pairs.wait_until_ready(), policies.wait_until_ready(), stacks.wait_until_ready());
            for stack in stacks.state() {
                if let (Some(uid), Some(status)) = (stack.metadata.uid.as_deref(), stack.status.as_ref()) {
                    warmstandby_aws::fleet::remember_from_status(&ctx.aws, uid, status);
                }
            }
            ctx.set_ready();
        });
    }

    let controller_config = kube::runtime::controller::Config::default().concurrency(cfg.concurrency);
    let pair_controller = Controller::for_stream(pair_stream, pairs.clone())
        .with_config(controller_config.clone())
        .reconcile_on(ctx.pair_triggers.stream())
        .reconcile_all_on(ctx.on_leadership())
        .run(reconcilers::reconcile::<RegionPair>, reconcilers::error_policy, ctx.clone())
        .for_each(|_| futures::future::ready(()));
    let policy_controller = Controller::for_stream(policy_stream, policies.clone())
        .with_config(controller_config.clone())
        .reconcile_on(ctx.policy_triggers.stream())
        .reconcile_all_on(ctx.on_leadership())
        .run(reconcilers::reconcile::<FailoverPolicy>, reconcilers::error_policy, ctx.clone())
        .for_each(|_| futures::future::ready(()));

    // A stack is reconciled again when its RegionPair, FailoverPolicy or password Secret changes.
    let by_pair = stacks.clone();
    let by_policy = stacks.clone();
    let by_secret = stacks.clone();
    let secret_changes = watcher(secret_api, watcher::Config::default()).default_backoff().touched_objects();
    let stack_controller = Controller::for_stream(stack_stream, stacks.clone())
        .with_config(controller_config)
        .reconcile_all_on(ctx.on_leadership())
        .watches_stream(
            tolerant_watch::<RegionPair>(&client, None, wc.clone()).touched_objects(),
            move |pair: RegionPair| {
                let name = pair.name_any();
                by_pair
                    .state()
                    .into_iter()
                    .filter(|s| s.spec.region_pair_ref.name == name)
                    .map(|s| ObjectRef::from_obj(&*s))
                    .collect::<Vec<_>>()
            },
        )
        .watches_stream(
            tolerant_watch::<FailoverPolicy>(&client, ns, wc).touched_objects(),
            move |policy: FailoverPolicy| {
                by_policy
                    .state()
                    .into_iter()
                    .filter(|s| uses_policy(s, &policy))
                    .map(|s| ObjectRef::from_obj(&*s))
                    .collect::<Vec<_>>()
            },
        )
        .watches_stream(secret_changes, move |secret| {
            let (name, ns) = (secret.name_any(), secret.namespace());
            by_secret
                .state()
                .into_iter()
                .filter(|s| {
                    s.namespace() == ns && s.spec.database.password_secret_ref.as_ref().is_some_and(|r| r.name == name)
                })
                .map(|s| ObjectRef::from_obj(&*s))
                .collect::<Vec<_>>()
        })
        .run(reconcilers::reconcile::<ThreeTierStack>, reconcilers::error_policy, ctx.clone())
        .for_each(|_| futures::future::ready(()));

    tracing::info!(namespace = ?cfg.namespace, selector = ?cfg.selector, "operator started");
    tokio::join!(pair_controller, policy_controller, stack_controller);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dynamic(spec: serde_json::Value) -> DynamicObject {
        serde_json::from_value(json!({
            "apiVersion": "warmstandby.dev/v1alpha1",
            "kind": "RegionPair",
            "metadata": {"name": "p"},
            "spec": spec
        }))
        .unwrap()
    }

    use serde_json::json;

    #[test]
    fn a_malformed_object_is_skipped_not_fatal() {
        let good = dynamic(
            json!({"primary": {"region": "us-east-1", "vpcCidr": "10.0.0.0/16"}, "standby": {"region": "us-west-2", "vpcCidr": "10.1.0.0/16"}}),
        );
        let bad = dynamic(json!({"primary": "not an object"}));
        assert!(matches!(typed_event::<RegionPair>(watcher::Event::Apply(good)), Some(watcher::Event::Apply(_))));
        assert!(typed_event::<RegionPair>(watcher::Event::InitApply(bad)).is_none());
        assert!(matches!(typed_event::<RegionPair>(watcher::Event::InitDone), Some(watcher::Event::InitDone)));
    }

    #[test]
    fn status_only_changes_do_not_retrigger() {
        let mut p: RegionPair = serde_json::from_value(json!({
            "apiVersion": "warmstandby.dev/v1alpha1", "kind": "RegionPair",
            "metadata": {"name": "p", "generation": 3},
            "spec": {"primary": {"region": "us-east-1", "vpcCidr": "10.0.0.0/16"}, "standby": {"region": "us-west-2", "vpcCidr": "10.1.0.0/16"}}
        }))
        .unwrap();
        let before = lifecycle_hash(&p);
        p.status = Some(Default::default());
        assert_eq!(lifecycle_hash(&p), before, "status is ignored");
        p.metadata.finalizers = Some(vec![warmstandby_api::FINALIZER.into()]);
        assert_ne!(lifecycle_hash(&p), before, "a finalizer change retriggers");
        let with_finalizer = lifecycle_hash(&p);
        p.metadata.generation = Some(4);
        assert_ne!(lifecycle_hash(&p), with_finalizer, "a spec change retriggers");
    }
}
