//! Counts every AWS call by service, operation and outcome (an SDK
//! interceptor on every client), and can inject a crash after the k-th
//! mutating call for crash-consistency tests.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeSerializationInterceptorContextRef, FinalizerInterceptorContextRef,
};
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

/// Marker in the error text of an injected fault.
pub const INJECTED_FAULT: &str = "injected fault";
/// Marker in the error text of a call refused while fenced.
pub const FENCED: &str = "fenced: this replica is not the leader";

/// Describe/Get/List calls only read.
pub fn is_read_operation(operation: &str) -> bool {
    ["Describe", "Get", "List"].iter().any(|p| operation.starts_with(p))
}

#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct CallKey {
    pub service: String,
    pub operation: String,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CallCount {
    pub ok: u64,
    pub err: u64,
}

/// A snapshot (or difference of snapshots) of call counts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CallStats {
    pub by_operation: BTreeMap<CallKey, CallCount>,
}

impl CallStats {
    pub fn total(&self) -> u64 {
        self.by_operation.values().map(|c| c.ok + c.err).sum()
    }

    pub fn mutating(&self) -> u64 {
        self.by_operation.iter().filter(|(k, _)| !is_read_operation(&k.operation)).map(|(_, c)| c.ok + c.err).sum()
    }

    pub fn reads(&self) -> u64 {
        self.total() - self.mutating()
    }

    pub fn count(&self, operation: &str) -> u64 {
        self.by_operation.iter().filter(|(k, _)| k.operation == operation).map(|(_, c)| c.ok + c.err).sum()
    }

    /// Calls made since `earlier`.
    pub fn since(&self, earlier: &CallStats) -> CallStats {
        let mut by_operation = BTreeMap::new();
        for (k, c) in &self.by_operation {
            let before = earlier.by_operation.get(k).copied().unwrap_or_default();
            let diff = CallCount { ok: c.ok - before.ok, err: c.err - before.err };
            if diff.ok + diff.err > 0 {
                by_operation.insert(k.clone(), diff);
            }
        }
        CallStats { by_operation }
    }

    /// One line per operation, for reports.
    pub fn table(&self) -> String {
        let mut s = String::new();
        for (k, c) in &self.by_operation {
            let err = if c.err > 0 { format!(" ({} failed)", c.err) } else { String::new() };
            s.push_str(&format!("  {:<10} {:<34} {:>4}{err}\n", k.service, k.operation, c.ok + c.err));
        }
        s.push_str(&format!("  total {} ({} reads, {} mutating)\n", self.total(), self.reads(), self.mutating()));
        s
    }
}

/// The AWS calls of one reconcile pass, counted wherever its future runs
/// (a task-local scope, so concurrent passes of other objects do not mix in).
#[derive(Debug, Default)]
pub struct PassCalls {
    reads: std::sync::atomic::AtomicU64,
    mutating: std::sync::atomic::AtomicU64,
}

impl PassCalls {
    pub fn reads(&self) -> u64 {
        self.reads.load(std::sync::atomic::Ordering::Relaxed)
    }

    pub fn mutating(&self) -> u64 {
        self.mutating.load(std::sync::atomic::Ordering::Relaxed)
    }
}

tokio::task_local! {
    static PASS: Arc<PassCalls>;
}

/// Runs `pass`, counting the AWS calls it makes into `calls`.
pub async fn counted<F: std::future::Future>(calls: Arc<PassCalls>, pass: F) -> F::Output {
    PASS.scope(calls, pass).await
}

#[derive(Default)]
struct State {
    counts: BTreeMap<CallKey, CallCount>,
    /// Crash after this many mutating calls have reached AWS.
    crash_after: Option<u64>,
    mutations: u64,
    crashed: bool,
    /// Mutating calls are refused before they are sent (a replica that lost
    /// its leader lease must stop changing AWS at once).
    fenced: bool,
    /// Random faults: percent of calls that fail, and the generator state.
    random_faults: Option<(u64, u64)>,
    /// (region, services) that cannot be reached: a regional outage.
    outage: Option<(String, Vec<String>)>,
    /// Faults injected so far (random faults and outages).
    injected: u64,
}

impl State {
    /// xorshift: deterministic per seed, so a failing run reproduces.
    fn roll(&mut self) -> Option<u64> {
        let (percent, rng) = self.random_faults.as_mut()?;
        *rng ^= *rng << 13;
        *rng ^= *rng >> 7;
        *rng ^= *rng << 17;
        Some(*rng % 100).filter(|r| r < percent)
    }
}

/// Shared by every client of one `AwsContext`.
#[derive(Clone, Default)]
pub struct CallCounter {
    state: Arc<Mutex<State>>,
}

impl std::fmt::Debug for CallCounter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CallCounter")
    }
}

impl CallCounter {
    pub fn snapshot(&self) -> CallStats {
        CallStats { by_operation: self.lock().counts.clone() }
    }

    /// Simulates a crash: the `k`-th mutating call reaches AWS but its caller
    /// sees an error, and every later call fails without being sent.
    pub fn crash_after_mutations(&self, k: u64) {
        let mut s = self.lock();
        s.crash_after = Some(k);
        s.mutations = 0;
        s.crashed = false;
    }

    /// Injects faults at random (deterministic per seed): `percent` of calls
    /// fail, half of those before reaching AWS and half after (the change
    /// happened but the caller sees an error).
    pub fn random_faults(&self, percent: u64, seed: u64) {
        self.lock().random_faults = Some((percent, seed.max(1)));
    }

    /// Simulates a regional outage: calls of `services` (SDK service names
    /// such as `EC2`, `RDS`) in `region` fail as if the endpoint were down.
    pub fn outage(&self, region: &str, services: &[&str]) {
        self.lock().outage = Some((region.to_string(), services.iter().map(|s| s.to_string()).collect()));
    }

    pub fn clear_fault(&self) {
        let mut s = self.lock();
        s.crash_after = None;
        s.crashed = false;
        s.random_faults = None;
        s.outage = None;
    }

    /// Refuses (true) or allows (false) every mutating call from now on.
    pub fn fence(&self, fenced: bool) {
        self.lock().fenced = fenced;
    }

    /// How many calls failed by an injected fault or outage.
    pub fn injected(&self) -> u64 {
        self.lock().injected
    }

    pub fn crashed(&self) -> bool {
        self.lock().crashed
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A poisoned counter still has valid counts.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn key(cfg: &ConfigBag) -> CallKey {
    cfg.load::<Metadata>()
        .map(|m| CallKey { service: m.service().to_string(), operation: m.name().to_string() })
        .unwrap_or_else(|| CallKey { service: "unknown".into(), operation: "unknown".into() })
}

impl Intercept for CallCounter {
    fn name(&self) -> &'static str {
        "WarmstandbyCallCounter"
    }

    fn read_before_execution(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let mut s = self.lock();
        if s.crashed {
            return Err(format!("{INJECTED_FAULT}: the run crashed earlier").into());
        }
        if s.roll().is_some_and(|r| r % 2 == 0) {
            s.injected += 1;
            return Err(format!("{INJECTED_FAULT}: before the call").into());
        }
        Ok(())
    }

    fn read_before_transmit(
        &self,
        _context: &aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        // The operation's metadata is known from here on (not before execution).
        let mut s = self.lock();
        if s.fenced && !is_read_operation(&key(cfg).operation) {
            return Err(FENCED.into());
        }
        if let Some((region, services)) = &s.outage {
            let here = cfg.load::<aws_types::region::Region>().is_some_and(|r| r.as_ref() == region.as_str());
            if here && services.iter().any(|x| *x == key(cfg).service) {
                let message = format!("{INJECTED_FAULT}: {region} is unreachable");
                s.injected += 1;
                return Err(message.into());
            }
        }
        Ok(())
    }

    fn read_after_execution(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let key = key(cfg);
        let ok = matches!(context.output_or_error(), Some(Ok(_)));
        let mut s = self.lock();
        if s.crashed {
            return Ok(());
        }
        let mutating = !is_read_operation(&key.operation);
        let _ = PASS.try_with(|pass| {
            let counter = if mutating { &pass.mutating } else { &pass.reads };
            counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        });
        let entry = s.counts.entry(key).or_default();
        if ok {
            entry.ok += 1;
        } else {
            entry.err += 1;
        }
        if ok && mutating && s.roll().is_some_and(|r| r % 2 == 1) {
            s.injected += 1;
            return Err(format!("{INJECTED_FAULT}: after the call reached AWS").into());
        }
        if mutating && let Some(k) = s.crash_after {
            s.mutations += 1;
            if s.mutations >= k {
                s.crashed = true;
                return Err(format!("{INJECTED_FAULT} after mutating call {k}").into());
            }
        }
        Ok(())
    }
}
