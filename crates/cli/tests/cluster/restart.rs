//! The operator killed (SIGKILL) in the middle of creating and of deleting
//! the examples: a new process converges with no duplicates and no leftovers.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::support::{Operator, Scenario, wait_for};

/// Mutating AWS calls the operator has made so far.
fn mutations(op: &Operator) -> f64 {
    op.metric("warmstandby_pass_aws_calls_total", &[("access", "mutating")])
}

/// Kills `op` once it has made `more` mutating calls beyond `from`.
async fn kill_after(op: &mut Operator, from: f64, more: f64, what: &str) -> f64 {
    let mut seen = from;
    wait_for(&format!("{more} mutating calls {what}"), Duration::from_secs(60), || {
        seen = mutations(op);
        let reached = seen >= from + more;
        async move { reached }
    })
    .await;
    op.kill();
    seen - from
}

/// Every kind the examples create, and how many of each (the classic topology).
fn built(s_baseline: &BTreeMap<String, usize>, now: &BTreeMap<String, usize>) -> BTreeMap<String, usize> {
    now.iter()
        .map(|(k, n)| (k.clone(), n - s_baseline.get(k).copied().unwrap_or(0).min(*n)))
        .filter(|(_, n)| *n > 0)
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_restart_after_a_crash_mid_create_and_mid_delete_converges_without_duplicates_or_leftovers() {
    let s = Scenario::start("restart").await;

    // The reference: what one uninterrupted operator builds.
    let mut op = s.operator("op-a", &["--lease-duration", "6s"]);
    let ex = s.examples();
    s.create(&ex).await;
    s.wait_ready("bookstore", Duration::from_secs(120)).await;
    let reference = built(&s.baseline, &warmstandby_tests::census::census(&s.emulator).await);
    let total = mutations(&op);
    let _ = s.delete_all("bookstore", Duration::from_secs(120)).await;
    assert_eq!(s.leftovers().await, Vec::<String>::new());
    op.kill();

    // Crash mid-create, at about a third of the creating calls.
    let mut op = s.operator("op-b", &["--lease-duration", "6s"]);
    let ex = s.examples();
    s.create(&ex).await;
    let at = kill_after(&mut op, 0.0, (total / 3.0).floor(), "into the create").await;
    let op = s.operator("op-c", &["--lease-duration", "6s"]);
    s.wait_ready("bookstore", Duration::from_secs(120)).await;
    let after = built(&s.baseline, &warmstandby_tests::census::census(&s.emulator).await);
    assert_eq!(after, reference, "after a crash at mutating call {at}: exactly one of everything");

    // Crash mid-delete.
    let mut op = op;
    let before = mutations(&op);
    let dp = kube::api::DeleteParams::default();
    let _ = s.stacks().delete("bookstore", &dp).await;
    let _ = s.pairs().delete(&s.pair, &dp).await;
    let at_delete = kill_after(&mut op, before, 10.0, "into the delete").await;
    let _op = s.operator("op-d", &["--lease-duration", "6s"]);
    let _ = s.delete_all("bookstore", Duration::from_secs(120)).await;
    assert_eq!(s.leftovers().await, Vec::<String>::new(), "after a crash at deleting call {at_delete}: nothing left");
    println!(
        "restarts: the classic topology is {} resources by {} mutating calls; crashed after {at} of them, and after \
         {at_delete} deleting calls; each restart converged",
        reference.values().sum::<usize>(),
        total
    );
}
