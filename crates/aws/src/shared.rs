//! Shared fleet observation: one read per resource kind and region serves
//! every stack and pair reconciled within a freshness window.
//!
//! A kind is read account-wide (or for every resource of ours, by tag key)
//! and each stack picks its own resources from the result, so fifty stacks
//! on one RegionPair cost one `DescribeSecurityGroups` per region, not fifty.
//! Loading is single-flight: passes running at the same time wait for the
//! one read in flight. Any mutating call made through this context in a
//! region (a create, a repair, a failed or timed-out change that may have
//! landed) starts a new generation of the kinds it can change there (see
//! [`listings_changed_by`]), so a pass never plans from a view older than its
//! own changes, and a fleet being created does not re-list every kind after
//! each of its stacks' changes. Changes made outside the operator
//! are seen once the window has passed; failure signals (database states,
//! alarms) have a window of at most [`SIGNAL_FRESHNESS`].
//!
//! Content that AWS versions (an ACL's lock token, a backup plan's version,
//! a certificate while issued, a distribution's last-modified time) is kept
//! by version, so the shared listing tells whether the detail must be read
//! again.

use std::any::Any;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::FinalizerInterceptorContextRef;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use tokio::sync::OnceCell;

use crate::calls::is_read_operation;
use crate::errors::{AwsError, ErrorClass};

/// Failure signals are never older than this, whatever the window. Well
/// inside what AWS itself needs to raise them (an alarm evaluates a minute,
/// a health check fails after three 30 s probes), yet a fleet resync that
/// lasts longer than a second does not read them again for every stack.
pub const SIGNAL_FRESHNESS: Duration = Duration::from_secs(5);

tokio::task_local! {
    /// Set for a settled pass (see [`with_settled_reads`]).
    static SETTLED: ();
}

/// Runs `pass` as a settled pass: a steady stack that no policy watches and
/// nobody asked to move. Its views may be as old as the settled age (half
/// the resync interval in the operator) instead of the window, failure
/// signals too, since they only feed its status. A fleet's steady resync
/// then reads each kind once however long it lasts: at 200 stacks Route
/// 53's rate alone makes it last two minutes, and a 30 s window had every
/// kind read again four times over. A change made outside the operator is
/// still found: by the next resync after the view's age. A view of a kind
/// read by id is not taken once the fleet has named ids it did not ask for
/// (stacks whose alarms were made after it): one read asks for all of them
/// instead of each such stack reading its own. Every other pass
/// (creating, changing, failing over, detecting) reads with the window, and
/// failure signals at most [`SIGNAL_FRESHNESS`] old.
pub async fn with_settled_reads<F: std::future::Future>(pass: F) -> F::Output {
    SETTLED.scope((), pass).await
}

fn settled() -> bool {
    SETTLED.try_with(|_| ()).is_ok()
}

/// Declares [`Listing`] and [`ALL_LISTINGS`] from one list, so a new listing
/// cannot be left out of the listings an unknown service's call reloads.
macro_rules! listings {
    ($($(#[$doc:meta])* $kind:ident,)*) => {
        /// What one shared read returns.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Listing {
            $($(#[$doc])* $kind,)*
        }

        const ALL_LISTINGS: &[Listing] = &[$(Listing::$kind,)*];
    };
}

listings! {
    SecurityGroups,
    Instances,
    DbInstances,
    ReplicaLag,
    BackupVaults,
    BackupPlans,
    LoadBalancers,
    TargetGroups,
    Images,
    LaunchTemplates,
    AutoScalingGroups,
    Certificates,
    Secrets,
    HealthChecks,
    Alarms,
    WebAcls,
    Distributions,
    AccountAuthorization,
    /// Read by ARN: the listeners every stack last reported (see [`SharedReads::note_interest`]).
    Listeners,
}

impl Listing {
    /// How long one read of this kind may serve a pass, with the context's
    /// window and settled age.
    fn freshness(self, window: Duration, settled_age: Duration) -> Duration {
        if settled() {
            return window.max(settled_age);
        }
        match self {
            Listing::DbInstances | Listing::ReplicaLag | Listing::Alarms => window.min(SIGNAL_FRESHNESS),
            _ => window,
        }
    }
}

/// Services whose calls change resources in other regions than the call's:
/// a secret's replicas, a database's cross-region read replica (and its
/// source's list of replicas), a backup plan's copies.
pub fn changes_reach_other_regions(service: &str) -> bool {
    matches!(service, "Secrets Manager" | "RDS" | "Backup")
}

/// The kinds a mutating call of `service` named `operation` can change in
/// its region. A service's calls change only its own kinds; within EC2 the
/// operation's name says which, and an EC2 call it does not place (tags,
/// anything new) changes them all. Every kind is listed by one service, so
/// nothing a call changes is kept.
pub fn listings_changed_by(service: &str, operation: &str) -> &'static [Listing] {
    match service {
        "EC2" => {
            if operation.contains("SecurityGroup") {
                &[Listing::SecurityGroups]
            } else if operation.contains("LaunchTemplate") {
                &[Listing::LaunchTemplates]
            } else if operation.contains("Image") {
                &[Listing::Images]
            } else if operation.contains("Instances") {
                &[Listing::Instances]
            } else {
                &[Listing::SecurityGroups, Listing::Instances, Listing::Images, Listing::LaunchTemplates]
            }
        }
        "RDS" => &[Listing::DbInstances, Listing::ReplicaLag],
        // A replica's lag is a CloudWatch metric; an alarm is CloudWatch's.
        "CloudWatch" => &[Listing::Alarms, Listing::ReplicaLag],
        "Elastic Load Balancing v2" => &[Listing::LoadBalancers, Listing::TargetGroups, Listing::Listeners],
        // Scaling launches and ends instances.
        "Auto Scaling" => &[Listing::AutoScalingGroups, Listing::Instances],
        // Backup jobs copy and make images.
        "Backup" => &[Listing::BackupVaults, Listing::BackupPlans, Listing::Images],
        "ACM" => &[Listing::Certificates],
        "Secrets Manager" => &[Listing::Secrets],
        "Route 53" => &[Listing::HealthChecks],
        "CloudFront" => &[Listing::Distributions],
        "WAFV2" => &[Listing::WebAcls],
        "IAM" => &[Listing::AccountAuthorization],
        _ => ALL_LISTINGS,
    }
}

type Value = Arc<dyn Any + Send + Sync>;
type Loaded = (Instant, Result<Value, AwsError>);

struct Slot {
    generation: u64,
    /// The kind's interest generation when the slot was made.
    interest_generation: u64,
    cell: Arc<OnceCell<Loaded>>,
}

#[derive(Default)]
struct State {
    /// Bumped by every mutating call that can change a kind in a region.
    generations: HashMap<(Listing, String), u64>,
    /// Bumped by every mutating call that can change a kind in any region.
    everywhere: HashMap<Listing, u64>,
    slots: HashMap<(Listing, String), Slot>,
    /// Versioned details: (kind, id) -> (version, content).
    versioned: HashMap<(Listing, String), (String, Value)>,
    /// Reads served from a slot another pass loaded.
    reused: u64,
    /// Kinds read by id: (kind, region) -> owner -> the ids that owner wants.
    interest: HashMap<(Listing, String), BTreeMap<String, Vec<String>>>,
    /// Bumped when an owner names an id no owner wanted before.
    interest_generations: HashMap<(Listing, String), u64>,
}

/// One per `AwsContext` (per account): the shared views and their generations.
pub struct SharedReads {
    /// The window in milliseconds.
    window: std::sync::atomic::AtomicU64,
    /// How old a view may be for a settled pass, in milliseconds.
    settled_age: std::sync::atomic::AtomicU64,
    state: Mutex<State>,
}

impl std::fmt::Debug for SharedReads {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedReads").field("window", &self.window()).finish()
    }
}

impl SharedReads {
    /// `window`: how long a read serves later passes. Zero still shares a
    /// read in flight among the passes that wait for it.
    pub fn new(window: Duration) -> SharedReads {
        let millis = u64::try_from(window.as_millis()).unwrap_or(u64::MAX);
        SharedReads { window: millis.into(), settled_age: 0.into(), state: Mutex::new(State::default()) }
    }

    pub fn settled_age(&self) -> Duration {
        Duration::from_millis(self.settled_age.load(std::sync::atomic::Ordering::Relaxed))
    }

    /// How old a view may be for a settled pass (never less than the window).
    pub fn set_settled_age(&self, age: Duration) {
        let millis = u64::try_from(age.as_millis()).unwrap_or(u64::MAX);
        self.settled_age.store(millis, std::sync::atomic::Ordering::Relaxed);
    }

    pub fn window(&self) -> Duration {
        Duration::from_millis(self.window.load(std::sync::atomic::Ordering::Relaxed))
    }

    pub fn set_window(&self, window: Duration) {
        let millis = u64::try_from(window.as_millis()).unwrap_or(u64::MAX);
        self.window.store(millis, std::sync::atomic::Ordering::Relaxed);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // The maps stay consistent even if a holder panicked.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The view of `kind` in `region`: a fresh one of this generation if
    /// there is one (or the one being loaded), else `load`'s.
    pub async fn read<T, Fut>(
        &self,
        kind: Listing,
        region: &str,
        load: impl FnOnce() -> Fut,
    ) -> Result<Arc<T>, AwsError>
    where
        T: Any + Send + Sync,
        Fut: std::future::Future<Output = Result<T, AwsError>>,
    {
        let freshness = kind.freshness(self.window(), self.settled_age());
        let cell = {
            let mut s = self.lock();
            let key = (kind, region.to_string());
            let generation =
                s.generations.get(&key).copied().unwrap_or(0) + s.everywhere.get(&kind).copied().unwrap_or(0);
            let interest_generation = s.interest_generations.get(&key).copied().unwrap_or(0);
            // A settled pass may take an old view, but not one that asked for
            // fewer ids than the fleet now names: the stacks it left out
            // would each read their own.
            let settled = settled();
            let usable = s.slots.get(&key).is_some_and(|slot| {
                slot.generation == generation
                    && (!settled || slot.interest_generation == interest_generation)
                    && match slot.cell.get() {
                        None => true,
                        Some((at, Ok(_))) => at.elapsed() <= freshness,
                        Some((_, Err(_))) => false,
                    }
            });
            if usable {
                s.reused += 1;
            } else {
                s.slots.insert(key.clone(), Slot { generation, interest_generation, cell: Arc::new(OnceCell::new()) });
            }
            s.slots.get(&key).map(|slot| slot.cell.clone()).unwrap_or_default()
        };
        let (_, result) =
            cell.get_or_init(|| async { (Instant::now(), load().await.map(|v| Arc::new(v) as Value)) }).await.clone();
        result?.downcast::<T>().map_err(|_| {
            AwsError::new(
                ErrorClass::Other,
                "shared read",
                "TypeMismatch",
                format!("{kind:?} was read as another type"),
            )
        })
    }

    /// A detail kept by version: read again only when the version differs.
    pub async fn versioned<T, Fut>(
        &self,
        kind: Listing,
        id: &str,
        version: &str,
        load: impl FnOnce() -> Fut,
    ) -> Result<Arc<T>, AwsError>
    where
        T: Any + Send + Sync,
        Fut: std::future::Future<Output = Result<T, AwsError>>,
    {
        let key = (kind, id.to_string());
        let cached = self.lock().versioned.get(&key).filter(|(v, _)| v == version).map(|(_, value)| value.clone());
        if let Some(value) = cached.and_then(|v| v.downcast::<T>().ok()) {
            return Ok(value);
        }
        let value = Arc::new(load().await?);
        self.lock().versioned.insert(key, (version.to_string(), value.clone() as Value));
        Ok(value)
    }

    /// Forgets a versioned detail (it was changed or deleted through us).
    pub fn forget(&self, kind: Listing, id: &str) {
        self.lock().versioned.remove(&(kind, id.to_string()));
    }

    /// Our own change of `kinds` in `region`: later reads of them load afresh.
    pub fn invalidate_listings(&self, region: &str, kinds: &[Listing]) {
        let mut s = self.lock();
        for kind in kinds {
            *s.generations.entry((*kind, region.to_string())).or_default() += 1;
        }
    }

    /// Our own change of `kinds` that reaches other regions too (a secret's
    /// replica, a read replica): later reads of them load afresh everywhere.
    pub fn invalidate_listings_everywhere(&self, kinds: &[Listing]) {
        let mut s = self.lock();
        for kind in kinds {
            *s.everywhere.entry(*kind).or_default() += 1;
        }
    }

    /// Drops every view: the next reads load afresh (as after the window).
    pub fn expire(&self) {
        self.lock().slots.clear();
    }

    /// For a kind AWS lists only by id: `owner` wants `ids` in `region`
    /// (its ids from the last status; none withdraws it). The next load of
    /// that kind asks for every owner's ids at once.
    pub fn note_interest(&self, kind: Listing, region: &str, owner: &str, ids: &[String]) {
        let mut s = self.lock();
        let key = (kind, region.to_string());
        let owners = s.interest.entry(key.clone()).or_default();
        let named_anew = ids.iter().any(|id| !owners.values().flatten().any(|wanted| wanted == id));
        if ids.is_empty() {
            owners.remove(owner);
        } else {
            owners.insert(owner.to_string(), ids.to_vec());
        }
        if named_anew {
            *s.interest_generations.entry(key).or_default() += 1;
        }
    }

    /// Every id some owner wants of `kind` in `region`.
    pub fn interest(&self, kind: Listing, region: &str) -> BTreeSet<String> {
        self.lock()
            .interest
            .get(&(kind, region.to_string()))
            .map(|owners| owners.values().flatten().cloned().collect())
            .unwrap_or_default()
    }

    /// Forgets every owner's ids of `kind` in `region` (one of them is gone
    /// and AWS does not say which): each owner names its ids again on its
    /// next pass, and an owner that is gone never does.
    pub fn clear_interest(&self, kind: Listing, region: &str) {
        self.lock().interest.remove(&(kind, region.to_string()));
    }

    /// Forgets the owners of `kind` in `region` whose ids a read `asked`
    /// for and none of which it `found`: an owner that still wants them
    /// names them again on its next pass, one that is gone (a deleted
    /// stack) never does. An owner that named ids while the read was in
    /// flight is kept: the read did not ask for them.
    pub fn keep_interest_in(&self, kind: Listing, region: &str, asked: &BTreeSet<String>, found: &BTreeSet<String>) {
        if let Some(owners) = self.lock().interest.get_mut(&(kind, region.to_string())) {
            owners.retain(|_, ids| ids.iter().any(|id| found.contains(id) || !asked.contains(id)));
        }
    }

    /// Reads that were served by a view another pass loaded.
    pub fn reused(&self) -> u64 {
        self.lock().reused
    }
}

/// Client interceptor: every mutating call invalidates the views of its
/// region it can change before its caller sees the answer (also when it
/// failed: it may have landed).
#[derive(Clone, Debug)]
pub struct Invalidator(pub Arc<SharedReads>);

impl Intercept for Invalidator {
    fn name(&self) -> &'static str {
        "WarmstandbySharedReadInvalidator"
    }

    fn read_after_execution(
        &self,
        _context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(metadata) = cfg.load::<Metadata>() else { return Ok(()) };
        if !is_read_operation(metadata.name())
            && let Some(region) = cfg.load::<aws_types::region::Region>()
        {
            let kinds = listings_changed_by(metadata.service(), metadata.name());
            if changes_reach_other_regions(metadata.service()) {
                self.0.invalidate_listings_everywhere(kinds);
            } else {
                self.0.invalidate_listings(region.as_ref(), kinds);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};

    async fn counted(shared: &SharedReads, loads: &AtomicU64, kind: Listing, region: &str) -> Arc<u64> {
        shared
            .read(kind, region, || async {
                tokio::time::sleep(Duration::from_millis(20)).await;
                Ok(loads.fetch_add(1, Ordering::SeqCst) + 1)
            })
            .await
            .expect("the load succeeds")
    }

    #[tokio::test]
    async fn passes_at_the_same_time_share_one_load() {
        let shared = SharedReads::new(Duration::ZERO);
        let loads = AtomicU64::new(0);
        let views =
            futures::future::join_all((0..20).map(|_| counted(&shared, &loads, Listing::SecurityGroups, "us-east-1")))
                .await;
        assert_eq!(loads.load(Ordering::SeqCst), 1, "one load for twenty concurrent passes");
        assert!(views.iter().all(|v| **v == 1));
        // With no window, a later pass loads again.
        counted(&shared, &loads, Listing::SecurityGroups, "us-east-1").await;
        assert_eq!(loads.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_window_serves_later_passes_until_our_own_change_in_that_region() {
        let shared = SharedReads::new(Duration::from_secs(60));
        let loads = AtomicU64::new(0);
        counted(&shared, &loads, Listing::LoadBalancers, "us-east-1").await;
        counted(&shared, &loads, Listing::LoadBalancers, "us-east-1").await;
        counted(&shared, &loads, Listing::LoadBalancers, "us-west-2").await;
        assert_eq!(loads.load(Ordering::SeqCst), 2, "one load per region");
        shared.invalidate_listings("us-west-2", &[Listing::LoadBalancers]);
        counted(&shared, &loads, Listing::LoadBalancers, "us-east-1").await;
        assert_eq!(loads.load(Ordering::SeqCst), 2, "a change elsewhere keeps this region's view");
        counted(&shared, &loads, Listing::LoadBalancers, "us-west-2").await;
        assert_eq!(loads.load(Ordering::SeqCst), 3, "a change in the region reloads its view");
        shared.expire();
        counted(&shared, &loads, Listing::LoadBalancers, "us-east-1").await;
        assert_eq!(loads.load(Ordering::SeqCst), 4, "an expired view is loaded again");
        shared.invalidate_listings("us-east-1", listings_changed_by("EC2", "AuthorizeSecurityGroupIngress"));
        counted(&shared, &loads, Listing::LoadBalancers, "us-east-1").await;
        assert_eq!(loads.load(Ordering::SeqCst), 4, "a change of another kind keeps this kind's view");
        shared.invalidate_listings("us-east-1", listings_changed_by("Elastic Load Balancing v2", "ModifyListener"));
        counted(&shared, &loads, Listing::LoadBalancers, "us-east-1").await;
        assert_eq!(loads.load(Ordering::SeqCst), 5, "a change of its service reloads it");
        counted(&shared, &loads, Listing::Secrets, "us-west-2").await;
        assert_eq!(loads.load(Ordering::SeqCst), 6);
        shared.invalidate_listings_everywhere(listings_changed_by("Secrets Manager", "RemoveRegionsFromReplication"));
        counted(&shared, &loads, Listing::Secrets, "us-west-2").await;
        assert_eq!(loads.load(Ordering::SeqCst), 7, "a replica's removal in the primary reloads the standby's view");
        counted(&shared, &loads, Listing::LoadBalancers, "us-east-1").await;
        assert_eq!(loads.load(Ordering::SeqCst), 7, "and nothing else");
    }

    #[test]
    fn every_kind_is_changed_by_some_service_and_unknown_calls_change_everything() {
        // Every service a family calls (the family list in core) is placed:
        // none falls to reloading everything, and together they change
        // every listing.
        let services = warmstandby_core::family::Family::all_services();
        for service in &services {
            assert_ne!(listings_changed_by(service, "ChangeSomething"), ALL_LISTINGS, "{service} is not placed");
        }
        for kind in ALL_LISTINGS {
            assert!(
                services.iter().any(|service| listings_changed_by(service, "ChangeSomething").contains(kind)),
                "{kind:?} is changed by no family's service"
            );
        }
        assert_eq!(listings_changed_by("Something New", "CreateThing"), ALL_LISTINGS);
        assert_eq!(listings_changed_by("EC2", "RunInstances"), &[Listing::Instances]);
        assert_eq!(listings_changed_by("EC2", "CopyImage"), &[Listing::Images]);
    }

    #[tokio::test]
    async fn failure_signals_stay_fresh_and_errors_are_not_kept() {
        let shared = SharedReads::new(Duration::from_secs(60));
        let loads = AtomicU64::new(0);
        counted(&shared, &loads, Listing::Alarms, "us-east-1").await;
        tokio::time::sleep(SIGNAL_FRESHNESS + Duration::from_millis(50)).await;
        counted(&shared, &loads, Listing::Alarms, "us-east-1").await;
        assert_eq!(loads.load(Ordering::SeqCst), 2, "an alarm state older than the signal freshness is read again");

        let failed: Result<Arc<u64>, AwsError> = shared
            .read(Listing::Images, "us-east-1", || async {
                Err(AwsError::new(ErrorClass::Throttled, "ec2:DescribeImages", "RequestLimitExceeded", "slow down"))
            })
            .await;
        assert_eq!(failed.map_err(|e| e.code).err().as_deref(), Some("RequestLimitExceeded"));
        counted(&shared, &loads, Listing::Images, "us-east-1").await;
        assert_eq!(loads.load(Ordering::SeqCst), 3, "a failed read is tried again by the next pass");
    }

    #[tokio::test]
    async fn a_settled_pass_takes_views_as_old_as_the_settled_age_and_any_other_pass_does_not() {
        let shared = SharedReads::new(Duration::from_millis(100));
        shared.set_settled_age(Duration::from_secs(60));
        let loads = AtomicU64::new(0);
        counted(&shared, &loads, Listing::DbInstances, "us-east-1").await;
        counted(&shared, &loads, Listing::SecurityGroups, "us-east-1").await;
        tokio::time::sleep(Duration::from_millis(150)).await;
        with_settled_reads(async {
            counted(&shared, &loads, Listing::DbInstances, "us-east-1").await;
            counted(&shared, &loads, Listing::SecurityGroups, "us-east-1").await;
        })
        .await;
        assert_eq!(loads.load(Ordering::SeqCst), 2, "a settled pass reuses views older than the window");
        counted(&shared, &loads, Listing::SecurityGroups, "us-east-1").await;
        assert_eq!(loads.load(Ordering::SeqCst), 3, "any other pass reads a view older than the window again");
    }

    #[tokio::test]
    async fn a_settled_pass_reads_again_only_when_the_fleet_named_ids_the_view_did_not_ask_for() {
        let shared = SharedReads::new(Duration::from_secs(60));
        shared.set_settled_age(Duration::from_secs(60));
        let loads = AtomicU64::new(0);
        let name = |owner: &str, id: &str| shared.note_interest(Listing::Alarms, "us-east-1", owner, &[id.to_string()]);
        name("uid-a", "alarm-a");
        counted(&shared, &loads, Listing::Alarms, "us-east-1").await;
        name("uid-b", "alarm-b");
        counted(&shared, &loads, Listing::Alarms, "us-east-1").await;
        assert_eq!(loads.load(Ordering::SeqCst), 1, "any other pass takes the view and reads a new name on its own");
        with_settled_reads(counted(&shared, &loads, Listing::Alarms, "us-east-1")).await;
        assert_eq!(loads.load(Ordering::SeqCst), 2, "a settled pass reads again for every name the view lacks");
        name("uid-a", "alarm-a");
        name("uid-b", "alarm-b");
        with_settled_reads(counted(&shared, &loads, Listing::Alarms, "us-east-1")).await;
        assert_eq!(loads.load(Ordering::SeqCst), 2, "names the view asked for again do not make it old");
        counted(&shared, &loads, Listing::SecurityGroups, "us-east-1").await;
        name("uid-c", "alarm-c");
        with_settled_reads(counted(&shared, &loads, Listing::SecurityGroups, "us-east-1")).await;
        assert_eq!(loads.load(Ordering::SeqCst), 3, "only the named kind's view is read again");
    }

    #[tokio::test]
    async fn versioned_details_are_read_again_only_for_a_new_version() {
        let shared = SharedReads::new(Duration::ZERO);
        let loads = AtomicU64::new(0);
        let get = |version: &'static str| {
            shared.versioned(Listing::WebAcls, "acl-1", version, || async { Ok(loads.fetch_add(1, Ordering::SeqCst)) })
        };
        get("t1").await.expect("read");
        get("t1").await.expect("read");
        assert_eq!(loads.load(Ordering::SeqCst), 1);
        get("t2").await.expect("read");
        assert_eq!(loads.load(Ordering::SeqCst), 2);
        shared.forget(Listing::WebAcls, "acl-1");
        get("t2").await.expect("read");
        assert_eq!(loads.load(Ordering::SeqCst), 3);
    }

    #[test]
    fn interest_is_every_owners_latest_ids_until_cleared() {
        let shared = SharedReads::new(Duration::ZERO);
        let ids = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        shared.note_interest(Listing::Listeners, "us-east-1", "uid-a", &ids(&["a1", "a2"]));
        shared.note_interest(Listing::Listeners, "us-east-1", "uid-b", &ids(&["b1"]));
        shared.note_interest(Listing::Listeners, "us-west-2", "uid-a", &ids(&["a9"]));
        shared.note_interest(Listing::Listeners, "us-east-1", "uid-a", &ids(&["a3"]));
        let east: Vec<String> = shared.interest(Listing::Listeners, "us-east-1").into_iter().collect();
        assert_eq!(east, ids(&["a3", "b1"]), "an owner's later ids replace its earlier ones");
        shared.note_interest(Listing::Listeners, "us-east-1", "uid-b", &[]);
        assert_eq!(shared.interest(Listing::Listeners, "us-east-1").len(), 1, "no ids withdraws an owner");
        shared.clear_interest(Listing::Listeners, "us-east-1");
        assert!(shared.interest(Listing::Listeners, "us-east-1").is_empty());
        assert_eq!(shared.interest(Listing::Listeners, "us-west-2").len(), 1, "another region keeps its interest");
    }

    #[test]
    fn owners_whose_ids_were_not_found_are_forgotten() {
        let shared = SharedReads::new(Duration::ZERO);
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        shared.note_interest(Listing::Alarms, "us-east-1", "live", &names(&["live-api-health"]));
        shared.note_interest(Listing::Alarms, "us-east-1", "deleted", &names(&["deleted-api-health"]));
        let asked = shared.interest(Listing::Alarms, "us-east-1");
        // A stack names its alarm while the read is in flight.
        shared.note_interest(Listing::Alarms, "us-east-1", "new", &names(&["new-api-health"]));
        let found = ["live-api-health".to_string()].into_iter().collect();
        shared.keep_interest_in(Listing::Alarms, "us-east-1", &asked, &found);
        let left: Vec<String> = shared.interest(Listing::Alarms, "us-east-1").into_iter().collect();
        assert_eq!(
            left,
            names(&["live-api-health", "new-api-health"]),
            "a deleted stack's alarm is no longer asked for; one named during the read still is"
        );
    }
}
