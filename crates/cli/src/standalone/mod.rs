//! `apply`, `status` and `destroy` without a cluster: the operator's own
//! reconcilers, run against AWS (or the endpoint from the environment).

use std::fmt::Write as _;
use std::io::Write;
use std::time::{Duration, Instant};

use serde::Serialize;
use std::sync::Arc;
use warmstandby_api::{API_VERSION, RegionPair, RegionPairStatus, ThreeTierStack};

use warmstandby_aws::AwsContext;
use warmstandby_controller::{Intent, now_rfc3339, region_pair, stack};

use crate::OutputFormat;
use crate::check::Checked;

mod failover;
mod status;

pub use failover::{FailoverOptions, drill, failover};
pub use status::status;

/// How long the waits sleep while AWS works: from the first poll, doubling
/// while nothing changes, up to the longest; any progress starts over.
const POLL_FIRST: Duration = Duration::from_secs(1);
const POLL_LONGEST: Duration = Duration::from_secs(15);

/// The poll interval of one wait.
struct Backoff {
    next: Duration,
}

impl Backoff {
    fn new() -> Backoff {
        Backoff { next: POLL_FIRST }
    }

    /// Sleeps (never past `deadline`), then lengthens the next sleep.
    async fn sleep(&mut self, deadline: Instant) {
        tokio::time::sleep(self.next.min(deadline.saturating_duration_since(Instant::now()))).await;
        self.next = (self.next * 2).min(POLL_LONGEST);
    }

    fn reset(&mut self) {
        self.next = POLL_FIRST;
    }
}

/// `--wait` and `--timeout` of `apply` and `destroy`.
#[derive(clap::Args, Clone, Copy, Debug)]
pub struct WaitOptions {
    /// Keep going until done: Ready, or nothing left (or the timeout).
    #[arg(long)]
    pub wait: bool,
    #[arg(long, default_value = "30m", value_parser = parse_duration)]
    pub timeout: Duration,
}

/// Parses `90s`, `10m`, `1h` or plain seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let (num, unit) = s.trim().split_at(s.trim().find(|c: char| !c.is_ascii_digit()).unwrap_or(s.trim().len()));
    let n: u64 = num.parse().map_err(|_| format!("{s:?} is not a duration like 90s, 10m or 1h"))?;
    match unit {
        "" | "s" => Ok(Duration::from_secs(n)),
        "m" => Ok(Duration::from_secs(n * 60)),
        "h" => Ok(Duration::from_secs(n * 3600)),
        _ => Err(format!("{s:?} is not a duration like 90s, 10m or 1h")),
    }
}

fn ready_message(conditions: &[warmstandby_api::Condition]) -> String {
    warmstandby_core::conditions::get(conditions, "Ready").map(|c| c.message.clone()).unwrap_or_default()
}

fn summary(status: &RegionPairStatus) -> String {
    let ready = warmstandby_core::conditions::get(&status.conditions, "Ready");
    let mut s = format!(
        "{} ({})",
        status.phase.map(|p| format!("{p:?}")).unwrap_or_else(|| "Unknown".into()),
        ready.map(|c| c.message.as_str()).unwrap_or_default()
    );
    for region in [&status.primary, &status.standby].into_iter().flatten() {
        let _ = write!(s, "; {} {}", region.region, region.vpc_id.as_deref().unwrap_or("no VPC"));
    }
    s
}

/// What one apply pass tells the wait loop.
struct PassReport {
    applied: Vec<String>,
    errors: Vec<warmstandby_aws::AwsError>,
    ready: bool,
    invalid: bool,
    /// The object changes nothing on purpose (observe only, paused, or on a
    /// pair that does and has no network yet): one pass says it all.
    held: bool,
    /// Printed when the loop ends.
    summary: String,
    /// Printed after "not Ready after ...".
    detail: String,
}

/// Runs apply passes of one object (its latest status carried from pass to
/// pass) until Ready, or once without `--wait`, or until a permanent error or
/// the deadline. Returns the object with its last status and whether it ended well.
async fn apply_until_ready<T, F, Fut>(
    label: &str,
    mut current: T,
    opts: &WaitOptions,
    deadline: Instant,
    out: &mut dyn Write,
    mut pass: F,
) -> (T, bool)
where
    F: FnMut(T) -> Fut,
    Fut: std::future::Future<Output = (T, PassReport)>,
{
    let mut backoff = Backoff::new();
    loop {
        let (next, r) = pass(current).await;
        current = next;
        if !r.applied.is_empty() {
            let _ = writeln!(out, "{label}: {} change(s) applied", r.applied.len());
            for a in &r.applied {
                let _ = writeln!(out, "  + {a}");
            }
        }
        for e in &r.errors {
            let _ = writeln!(out, "  ! {}", crate::explain(e));
        }
        let retryable = r.errors.iter().all(|e| e.class.is_retryable());
        if r.ready || r.held || !opts.wait || r.invalid || !retryable {
            let _ = writeln!(out, "{label}: {}", r.summary);
            let failed = !r.errors.is_empty() || r.invalid || (opts.wait && !r.ready && !r.held);
            return (current, !failed);
        }
        if Instant::now() >= deadline {
            let _ = writeln!(
                out,
                "{label}: not Ready after {}: waited for: {}; run the same command again to go on, or `warmstandby status` to see where it stands",
                humantime(opts.timeout),
                r.detail
            );
            return (current, false);
        }
        // Changes may unblock more work at once; otherwise AWS is busy.
        if r.applied.is_empty() {
            backoff.sleep(deadline).await;
        } else {
            backoff.reset();
        }
    }
}

/// Applies every RegionPair, then every stack on the pairs' fresh status;
/// with `wait`, until Ready or the timeout. Returns the exit code.
pub async fn apply(aws: &Arc<AwsContext>, checked: &Checked, opts: &WaitOptions, out: &mut dyn Write) -> u8 {
    let deadline = Instant::now() + opts.timeout;
    let mut code = 0;
    let mut pairs: Vec<RegionPair> = Vec::new();
    for pair in &checked.set.region_pairs {
        let label = format!("RegionPair {}", pair.metadata.name.as_deref().unwrap_or_default());
        let (applied, ok) =
            apply_until_ready(&label, pair.clone(), opts, deadline, out, |mut p: RegionPair| async move {
                let ctx = aws.for_role(p.spec.role_arn.as_deref()).await;
                let outcome = region_pair::reconcile(&ctx, &p, Intent::Apply, &now_rfc3339()).await;
                let text = summary(&outcome.status);
                let report = PassReport {
                    ready: outcome.is_ready(),
                    invalid: outcome.invalid.is_some(),
                    held: p.spec.hands_off().is_some(),
                    applied: outcome.applied,
                    errors: outcome.errors,
                    summary: text.clone(),
                    detail: text,
                };
                p.status = Some(outcome.status);
                (p, report)
            })
            .await;
        if !ok {
            code = crate::EXIT_FAILURE;
        }
        pairs.push(applied);
    }
    let pairs = &pairs;
    for st in &checked.set.stacks {
        let label = format!("ThreeTierStack {}", crate::manifests::object_id(st));
        let (_, ok) = apply_until_ready(&label, st.clone(), opts, deadline, out, |mut s: ThreeTierStack| async move {
            let pair = pair_of(pairs, &s);
            let inputs = checked.set.stack_inputs_on(&s, pair);
            let ctx = aws.for_role(pair.and_then(|p| p.spec.role_arn.as_deref())).await;
            let outcome = stack::reconcile(&ctx, inputs, Intent::Apply, &now_rfc3339()).await;
            let mut message = ready_message(&outcome.status.conditions);
            if outcome.is_ready()
                && let Some(e) = &outcome.status.endpoints
            {
                message = format!("{message}; {}", endpoints_text(e));
            }
            let phase = outcome.status.phase.map(|p| format!("{p:?}")).unwrap_or_default();
            let waits_on_held_pair = pair.is_some_and(|p| p.spec.hands_off().is_some())
                && warmstandby_core::conditions::get(&outcome.status.conditions, "Ready")
                    .is_some_and(|c| c.reason == "WaitingForRegionPair");
            let report = PassReport {
                ready: outcome.is_ready(),
                invalid: outcome.invalid.is_some(),
                held: s.spec.hands_off().is_some() || waits_on_held_pair,
                applied: outcome.applied,
                errors: outcome.errors,
                summary: format!("{phase} ({message})"),
                detail: message,
            };
            s.status = Some(outcome.status);
            (s, report)
        })
        .await;
        if !ok {
            code = crate::EXIT_FAILURE;
        }
    }
    code
}

/// Runs teardown passes of one object until nothing it owns is left, or (without
/// `--wait`, on a permanent error, or at the deadline) reports what is left.
/// Each pass is given what the last one waited on (see `TeardownWait`).
async fn teardown_until_done<F, Fut>(
    label: &str,
    opts: &WaitOptions,
    deadline: Instant,
    out: &mut dyn Write,
    mut pass: F,
) -> bool
where
    F: FnMut(Option<warmstandby_controller::TeardownWait>) -> Fut,
    Fut: std::future::Future<Output = warmstandby_controller::TeardownOutcome>,
{
    let mut backoff = Backoff::new();
    let mut wait = None;
    loop {
        let outcome = pass(wait.take()).await;
        for a in &outcome.applied {
            let _ = writeln!(out, "  - {a}");
        }
        for e in &outcome.errors {
            let _ = writeln!(out, "  ! {}", crate::explain(e));
        }
        if outcome.finished {
            let _ = match (&outcome.left_in_aws, &outcome.retained) {
                (Some(why), _) => writeln!(out, "{label}: {why}: AWS resources left in place"),
                (None, Some(kept)) => writeln!(out, "{label}: deleted, except what it retains: {kept}"),
                (None, None) => writeln!(out, "{label}: deleted; nothing owned by it is left"),
            };
            return true;
        }
        let retryable = outcome.errors.iter().all(|e| e.class.is_retryable());
        if !opts.wait || !retryable || Instant::now() >= deadline {
            let waiting =
                if outcome.waiting.is_empty() { String::new() } else { format!(" ({})", outcome.waiting.join("; ")) };
            let _ = writeln!(out, "{label}: {} owned resource(s) left{waiting}", outcome.remaining);
            if opts.wait && retryable {
                let _ = writeln!(
                    out,
                    "{label}: gave up after {} waiting for AWS to delete them; run the same command again to go on",
                    humantime(opts.timeout)
                );
            }
            return false;
        }
        if outcome.applied.is_empty() {
            backoff.sleep(deadline).await;
        } else {
            backoff.reset();
        }
        wait = outcome.wait;
    }
}

/// Tears every RegionPair down; with `wait`, until nothing owned is left.
pub async fn destroy(aws: &Arc<AwsContext>, checked: &Checked, opts: &WaitOptions, out: &mut dyn Write) -> u8 {
    let deadline = Instant::now() + opts.timeout;
    let mut code = 0;
    // The final snapshot is named after the stack and the time of deletion.
    let suffix = chrono::Utc::now().format("%Y%m%d%H%M%S").to_string();
    for st in checked.set.stacks.iter().rev() {
        let label = format!("ThreeTierStack {}", crate::manifests::object_id(st));
        let suffix = suffix.as_str();
        let finished = teardown_until_done(&label, opts, deadline, out, |wait| async move {
            let inputs = checked.set.stack_inputs(st);
            let role = inputs.region_pair.and_then(|p| p.spec.role_arn.as_deref());
            stack::teardown(&*aws.for_role(role).await, inputs, suffix, wait.as_ref()).await
        })
        .await;
        if !finished {
            // The networks cannot go while the stack's resources use them.
            return crate::EXIT_FAILURE;
        }
    }
    for pair in checked.set.region_pairs.iter().rev() {
        let label = format!("RegionPair {}", pair.metadata.name.as_deref().unwrap_or_default());
        let finished = teardown_until_done(&label, opts, deadline, out, |wait| async move {
            region_pair::teardown(&*aws.for_role(pair.spec.role_arn.as_deref()).await, pair, wait.as_ref()).await
        })
        .await;
        if !finished {
            code = crate::EXIT_FAILURE;
        }
    }
    code
}

/// The RegionPairs with their observed status (read only), and the first
/// error reading them (naming the pair), for callers that stop on it.
pub(crate) async fn observed_pairs(aws: &Arc<AwsContext>, checked: &Checked) -> (Vec<RegionPair>, Option<String>) {
    let mut pairs = Vec::new();
    let mut first_error = None;
    for pair in &checked.set.region_pairs {
        let ctx = aws.for_role(pair.spec.role_arn.as_deref()).await;
        let outcome = region_pair::reconcile(&ctx, pair, Intent::Observe, &now_rfc3339()).await;
        if let (None, Some(e)) = (&first_error, outcome.errors.first()) {
            let name = pair.metadata.name.as_deref().unwrap_or_default();
            first_error = Some(format!("RegionPair {name}: {}", crate::explain(e)));
        }
        let mut observed = pair.clone();
        observed.status = Some(outcome.status);
        pairs.push(observed);
    }
    (pairs, first_error)
}

/// The (observed) RegionPair a stack runs on.
pub(crate) fn pair_of<'a>(pairs: &'a [RegionPair], st: &ThreeTierStack) -> Option<&'a RegionPair> {
    pairs.iter().find(|p| p.metadata.name.as_deref() == Some(st.spec.region_pair_ref.name.as_str()))
}

/// A stack named by `namespace/name` or `name`.
pub(crate) fn matches(st: &ThreeTierStack, wanted: &str) -> bool {
    let id = crate::manifests::object_id(st);
    id == wanted || st.metadata.name.as_deref() == Some(wanted)
}

/// `90s`, `10m`, `1h 5m`.
fn humantime(d: Duration) -> String {
    let s = d.as_secs();
    match (s / 3600, (s % 3600) / 60, s % 60) {
        (0, 0, sec) => format!("{sec}s"),
        (0, m, 0) => format!("{m}m"),
        (0, m, sec) => format!("{m}m {sec}s"),
        (h, m, _) => format!("{h}h {m}m"),
    }
}

/// `web <url>, api <url>, CloudFront <domain>`.
fn endpoints_text(e: &warmstandby_api::Endpoints) -> String {
    format!("web {}, api {}, CloudFront {}", e.web, e.api, e.cloudfront.as_deref().unwrap_or("-"))
}
