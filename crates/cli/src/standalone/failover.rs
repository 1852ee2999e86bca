//! `failover` and `drill` without a cluster: the stack's own passes, with
//! the request in the status, until the move is done or refused.

use super::*;

/// What `failover` was asked.
pub struct FailoverOptions {
    pub stack: String,
    pub to: warmstandby_api::RegionRole,
    pub force: bool,
    pub dry_run: bool,
    pub timeout: Duration,
}

fn readiness_text(status: &warmstandby_api::ThreeTierStackStatus) -> String {
    let mut s = String::new();
    if let Some(d) = &status.drill {
        if d.failures.is_empty() {
            let _ = writeln!(s, "  standby ready; predicted RTO {} s", d.predicted_rto_seconds.unwrap_or_default());
        } else {
            for f in &d.failures {
                let _ = writeln!(s, "  not ready: {f}");
            }
        }
    }
    s
}

/// Runs a failover (or switchover) of one stack to completion, printing each step.
pub async fn failover(aws: &Arc<AwsContext>, checked: &Checked, opts: &FailoverOptions, out: &mut dyn Write) -> u8 {
    let Some(st) = checked.set.stacks.iter().find(|s| matches(s, &opts.stack)) else {
        let _ = writeln!(out, "error: no ThreeTierStack {:?} in the manifests", opts.stack);
        return crate::EXIT_FAILURE;
    };
    let (pairs, _) = observed_pairs(aws, checked).await;
    let pair = pair_of(&pairs, st);
    let ctx = aws.for_role(pair.and_then(|p| p.spec.role_arn.as_deref())).await;
    let label = crate::manifests::object_id(st);
    let mut current = st.clone();
    // Where the stack serves now (AWS tells when there is no status).
    let inputs = checked.set.stack_inputs_on(&current, pair);
    let seen = stack::drill(&ctx, inputs, &now_rfc3339()).await;
    if let Some(e) = seen.invalid.as_ref() {
        let _ = writeln!(out, "error: ThreeTierStack {label}: {e}");
        return crate::EXIT_FAILURE;
    }
    let active = seen.status.active_role.unwrap_or(st.spec.active_region);
    if active == opts.to {
        let _ = writeln!(out, "ThreeTierStack {label}: the {} already serves; nothing to do", opts.to);
        return 0;
    }
    if opts.dry_run {
        let _ = writeln!(
            out,
            "ThreeTierStack {label}: would move from the {active} to the {} (guards, fence, promote, scale, switch, verify)",
            opts.to
        );
        let _ = out.write_all(readiness_text(&seen.status).as_bytes());
        return if seen.status.drill.as_ref().is_some_and(|d| d.failures.is_empty()) { 0 } else { crate::EXIT_FAILURE };
    }
    current.status = Some(seen.status);
    let request = warmstandby_core::failover::Request {
        to: opts.to,
        force: opts.force,
        kind: if opts.force { "failover" } else { "switchover" },
    };
    let before = current.status.as_ref().map(|s| s.failover_history.len()).unwrap_or(0);
    let deadline = Instant::now() + opts.timeout;
    let mut last_step = String::new();
    let mut backoff = Backoff::new();
    let target_db = current
        .status
        .as_ref()
        .and_then(
            |s| if opts.to == warmstandby_api::RegionRole::Primary { s.primary.as_ref() } else { s.standby.as_ref() },
        )
        .and_then(|r| r.database.as_ref())
        .map(|d| d.instance_id.clone())
        .unwrap_or_else(|| format!("the {} database", opts.to));
    loop {
        let inputs = checked.set.stack_inputs_on(&current, pair);
        let outcome = stack::reconcile_with_request(&ctx, inputs, &now_rfc3339(), request.clone()).await;
        for e in &outcome.errors {
            let _ = writeln!(out, "  ! {}", crate::explain(e));
        }
        let mut refused = None;
        for (reason, message) in &outcome.events {
            let _ = writeln!(out, "  {reason}: {message}");
            if *reason == warmstandby_core::failover::FailoverReason::Refused {
                refused = Some(message.clone());
            }
        }
        if let Some(p) = &outcome.status.failover {
            let message = p.steps.last().and_then(|s| s.message.clone()).unwrap_or_default();
            let line = format!("{} (epoch {}): {} {message}", p.kind, p.epoch, p.step);
            if line != last_step {
                let _ = writeln!(out, "ThreeTierStack {label}: {line}");
                last_step = line;
            }
        }
        let done = outcome.status.failover_history.len() > before;
        current.status = Some(outcome.status);
        if done {
            let Some(r) = current.status.as_ref().and_then(|s| s.failover_history.last()) else { break };
            let _ = writeln!(
                out,
                "ThreeTierStack {label}: {} {} from the {} to the {} (epoch {}): RTO {} s, RPO estimate {} s; {}",
                r.kind,
                r.outcome,
                r.from,
                r.to,
                r.epoch,
                r.rto_seconds.map(|x| x.to_string()).unwrap_or_else(|| "-".into()),
                r.rpo_estimate_seconds.map(|x| x.to_string()).unwrap_or_else(|| "-".into()),
                r.message
            );
            return if r.outcome == "Succeeded" { 0 } else { crate::EXIT_FAILURE };
        }
        // A refusal is an answer: the guards say why; nothing was moved.
        if let Some(why) = refused {
            let _ = writeln!(out, "ThreeTierStack {label}: refused, nothing was moved: {why}; {}", refusal_hint(&why));
            return crate::EXIT_FAILURE;
        }
        if Instant::now() >= deadline {
            let _ = writeln!(
                out,
                "ThreeTierStack {label}: gave up after {} at: {last_step}; {}",
                humantime(opts.timeout),
                wait_hint(&last_step, &target_db)
            );
            return crate::EXIT_FAILURE;
        }
        if outcome.applied.is_empty() {
            backoff.sleep(deadline).await;
        } else {
            backoff.reset();
        }
    }
    crate::EXIT_FAILURE
}

/// What to do about a refusal of the failover guards.
fn refusal_hint(why: &str) -> &'static str {
    if why.contains("rebuild replication") {
        "run `warmstandby apply --wait` with the same manifests first: it rebuilds the replica there from the active writer (keeping the old writer's data in a snapshot), then fail over again"
    } else if why.contains("replication is not running") {
        "find why replication stopped (the replica's events and StatusInfos in RDS) and restart it, or pass --force to promote with an unknown RPO"
    } else if why.contains("RPO budget") {
        "wait for the replica to catch up, or pass --force to accept losing up to that much data"
    } else if why.contains("lag is unknown") {
        "check the replica's ReplicaLag metric in CloudWatch, or pass --force to accept an unknown RPO"
    } else if why.contains("approval") {
        "add that annotation to the stack's manifest, or pass --force"
    } else if why.contains("not available") {
        "wait until the replica is available, or pass --force"
    } else {
        "fix the cause and run the command again (or --dry-run to see every check)"
    }
}

/// What to do when a failover step waited until the deadline.
fn wait_hint(step: &str, db: &str) -> String {
    if step.contains("replica lag reading") {
        format!(
            "no ReplicaLag datapoint for {db} in the last 5 min; check CloudWatch or pass --force to accept an unknown RPO"
        )
    } else if step.contains("replica lag to reach 0") {
        format!(
            "the replica {db} has not caught up; wait longer (--timeout) or pass --force to accept losing what it lacks"
        )
    } else {
        "run the same command again to go on: each step resumes where it stopped".to_string()
    }
}

/// Runs every readiness check of the standby, changing nothing.
pub async fn drill(aws: &Arc<AwsContext>, checked: &Checked, only: Option<&str>, out: &mut dyn Write) -> u8 {
    let (pairs, _) = observed_pairs(aws, checked).await;
    let mut code = 0;
    for st in checked.set.stacks.iter().filter(|s| only.is_none_or(|o| matches(s, o))) {
        let pair = pair_of(&pairs, st);
        let ctx = aws.for_role(pair.and_then(|p| p.spec.role_arn.as_deref())).await;
        let inputs = checked.set.stack_inputs_on(st, pair);
        let outcome = stack::drill(&ctx, inputs, &now_rfc3339()).await;
        let label = crate::manifests::object_id(st);
        let ready = outcome.status.drill.as_ref().is_some_and(|d| d.failures.is_empty());
        let _ = writeln!(
            out,
            "ThreeTierStack {label}: drill {} (active {})",
            if ready { "passed" } else { "failed" },
            outcome.status.active_region.as_deref().unwrap_or("-")
        );
        let _ = out.write_all(readiness_text(&outcome.status).as_bytes());
        if !ready {
            code = crate::EXIT_FAILURE;
        }
    }
    code
}
