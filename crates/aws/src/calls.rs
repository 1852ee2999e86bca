//! Counts every AWS call by service, operation and outcome (an SDK
//! interceptor on every client), and injects faults for tests: a crash after
//! the k-th mutating call, a regional outage, and random faults of the kinds
//! AWS produces (see [`FaultKind`]). The faults a service answers are sent
//! by the local emulator, in that service's own protocol and error code, so
//! the SDK parses and classifies them as it would AWS's.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeSerializationInterceptorContextRef, BeforeTransmitInterceptorContextMut, FinalizerInterceptorContextRef,
};
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::{ConfigBag, Storable, StoreReplace};

/// Request header that asks the local emulator to answer with a fault:
/// `<kind>;code=<code>;status=<status>;protocol=<protocol>` or
/// `late;delay_ms=<ms>`.
pub const FAULT_HEADER: &str = "x-warmstandby-fault";

/// The faults injected at random, one per attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FaultKind {
    /// The service's own throttling error (EC2 `RequestLimitExceeded` with
    /// HTTP 503, `Throttling` in the query and REST-XML services and in
    /// CloudWatch's CBOR, `ThrottlingException` in the JSON ones); not applied.
    Throttled,
    /// HTTP 500 `InternalFailure` (EC2: `InternalError`); not applied.
    Internal,
    /// HTTP 503 `ServiceUnavailable` (EC2: `Unavailable`); not applied.
    Unavailable,
    /// Applied, but the answer comes after the client's attempt timeout.
    TimedOut,
    /// Applied, but the connection drops before the caller has the answer.
    DroppedAfter,
}

impl FaultKind {
    const ALL: [FaultKind; 5] = [
        FaultKind::Throttled,
        FaultKind::Internal,
        FaultKind::Unavailable,
        FaultKind::TimedOut,
        FaultKind::DroppedAfter,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FaultKind::Throttled => "throttled",
            FaultKind::Internal => "500",
            FaultKind::Unavailable => "503",
            FaultKind::TimedOut => "timed out",
            FaultKind::DroppedAfter => "dropped after the call",
        }
    }
}

/// A service's wire protocol and throttling error, by the SDK's service
/// name; every service a family calls is listed (a test checks them against
/// `Family::all_services`).
fn protocol_of(service: &str) -> Option<(&'static str, &'static str, u16)> {
    Some(match service {
        "EC2" => ("ec2", "RequestLimitExceeded", 503),
        "RDS" | "Elastic Load Balancing v2" | "Auto Scaling" | "IAM" => ("query", "Throttling", 400),
        "Route 53" | "CloudFront" => ("restxml", "Throttling", 400),
        "CloudWatch" => ("cbor", "Throttling", 400),
        "Backup" => ("restjson", "ThrottlingException", 400),
        "ACM" | "WAFV2" | "Secrets Manager" => ("json", "ThrottlingException", 400),
        _ => return None,
    })
}

/// The header that makes the emulator answer this attempt with `kind`.
fn fault_header(kind: FaultKind, service: &str, delay: std::time::Duration) -> Option<String> {
    // A service no family lists cannot be called; JSON 1.1 is AWS's most common.
    let (protocol, throttling, throttling_status) =
        protocol_of(service).unwrap_or(("json", "ThrottlingException", 400));
    let ec2 = protocol == "ec2";
    let (code, status) = match kind {
        FaultKind::Throttled => (throttling, throttling_status),
        FaultKind::Internal => (if ec2 { "InternalError" } else { "InternalFailure" }, 500),
        FaultKind::Unavailable => (if ec2 { "Unavailable" } else { "ServiceUnavailable" }, 503),
        FaultKind::TimedOut => return Some(format!("late;delay_ms={}", delay.as_millis())),
        FaultKind::DroppedAfter => return None,
    };
    Some(format!("error;code={code};status={status};protocol={protocol}"))
}

/// This attempt's answer is to be dropped once it arrives.
#[derive(Clone, Copy, Debug)]
struct DropAnswer(bool);

impl Storable for DropAnswer {
    type Storer = StoreReplace<Self>;
}

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
    /// Random faults: percent of attempts that fail, and the generator state.
    random_faults: Option<(u64, u64)>,
    /// Every attempt fails with this kind (a test of one kind).
    forced: Option<FaultKind>,
    /// How late a timed-out answer comes (longer than the client waits).
    late_by: std::time::Duration,
    /// (region, services) that cannot be reached: a regional outage.
    outage: Option<(String, Vec<String>)>,
    /// Faults injected so far (random faults and outages).
    injected: u64,
    /// Random faults injected so far, by kind.
    injected_by_kind: BTreeMap<FaultKind, u64>,
}

impl State {
    /// xorshift: deterministic per seed, so a failing run reproduces. Some
    /// (the draw) when this attempt is to fail.
    fn roll(&mut self) -> Option<u64> {
        let (percent, rng) = self.random_faults.as_mut()?;
        *rng ^= *rng << 13;
        *rng ^= *rng >> 7;
        *rng ^= *rng << 17;
        Some(*rng).filter(|r| r % 100 < *percent)
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

    /// Injects faults at random (deterministic per seed): `percent` of
    /// attempts fail, evenly over the kinds of [`FaultKind`]. A timed-out
    /// answer comes `late_by` late: the client's attempt timeout must be
    /// shorter for the caller to see it (else it is merely slow).
    pub fn random_faults(&self, percent: u64, seed: u64, late_by: std::time::Duration) {
        let mut s = self.lock();
        s.random_faults = Some((percent, seed.max(1)));
        s.late_by = late_by;
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
        s.forced = None;
        s.outage = None;
    }

    /// Refuses (true) or allows (false) every mutating call from now on.
    pub fn fence(&self, fenced: bool) {
        self.lock().fenced = fenced;
    }

    /// Every attempt from now on fails with `kind` (None: stop).
    pub fn force_fault(&self, kind: Option<FaultKind>, late_by: std::time::Duration) {
        let mut s = self.lock();
        s.forced = kind;
        s.late_by = late_by;
    }

    /// How many calls failed by an injected fault or outage.
    pub fn injected(&self) -> u64 {
        self.lock().injected
    }

    /// Random faults injected so far, by kind.
    pub fn injected_by_kind(&self) -> BTreeMap<FaultKind, u64> {
        self.lock().injected_by_kind.clone()
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
        if self.lock().crashed {
            return Err(format!("{INJECTED_FAULT}: the run crashed earlier").into());
        }
        Ok(())
    }

    fn modify_before_transmit(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        // The operation's metadata is known from here on (not before execution).
        let key = key(cfg);
        let mut s = self.lock();
        if s.fenced && !is_read_operation(&key.operation) {
            return Err(FENCED.into());
        }
        if let Some((region, services)) = &s.outage {
            let here = cfg.load::<aws_types::region::Region>().is_some_and(|r| r.as_ref() == region.as_str());
            if here && services.contains(&key.service) {
                let message = format!("{INJECTED_FAULT}: {region} is unreachable");
                s.injected += 1;
                return Err(message.into());
            }
        }
        // Every attempt decides afresh (a retry may succeed).
        let fault =
            s.forced.or_else(|| s.roll().map(|r| FaultKind::ALL[((r / 100) % FaultKind::ALL.len() as u64) as usize]));
        cfg.interceptor_state().store_put(DropAnswer(fault == Some(FaultKind::DroppedAfter)));
        if let Some(kind) = fault {
            s.injected += 1;
            *s.injected_by_kind.entry(kind).or_default() += 1;
            if let Some(value) = fault_header(kind, &key.service, s.late_by) {
                context.request_mut().headers_mut().insert(FAULT_HEADER, value);
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
        if ok && cfg.load::<DropAnswer>().is_some_and(|d| d.0) {
            return Err(format!("{INJECTED_FAULT}: the connection dropped after the call reached AWS").into());
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_family_service_has_its_protocol_and_throttling_error() {
        for service in warmstandby_core::family::Family::all_services() {
            assert!(protocol_of(service).is_some(), "{service}: add its wire protocol to protocol_of");
        }
    }
}
