//! `kubectl warmstandby`: the binary installed under the plugin's name (as
//! krew installs it, and as kubectl finds it on PATH), run against the real
//! API server while the operator works the stack: status, graph, a drill,
//! a failover refused for want of approval, the approval and the move
//! followed to the end, a failback refused and then followed to the end.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use warmstandby_api::{ANNOTATION_APPROVE_FAILOVER, RegionRole};

use aws_sdk_cloudwatch::types::StateValue;

use crate::failover::{alarm, finished_moves, primary_record_region, probing, step};
use crate::support::{Endpoint, Scenario, wait_for};

/// The binary under the plugin's name, in a directory of its own.
pub(crate) fn plugin_binary(s: &Scenario) -> PathBuf {
    let dir = s.api.dir.join(format!("plugin-{}", s.ns));
    std::fs::create_dir_all(&dir).expect("a directory for the plugin");
    let path = dir.join("kubectl-warmstandby");
    let _ = std::fs::remove_file(&path);
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_warmstandby"), &path).expect("link the plugin's name");
    path
}

/// One `kubectl warmstandby` command as the cluster's admin, in the scenario's namespace.
pub(crate) async fn kubectl_warmstandby(s: &Scenario, plugin: &PathBuf, args: &[&str]) -> (i32, String) {
    let out = tokio::process::Command::new(plugin)
        .args(args)
        .args(["-n", &s.ns])
        .env("KUBECONFIG", &s.api.kubeconfig)
        .env("NO_COLOR", "1")
        .kill_on_drop(true)
        .output()
        .await
        .expect("run kubectl-warmstandby");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    println!("$ kubectl warmstandby {}\n{text}", args.join(" "));
    (out.status.code().unwrap_or(-1), text)
}

/// The primary's endpoints stop answering; once a move points traffic at
/// its target (step `verify`), the target's answer (the loopback endpoint
/// starts again), as the standby region would.
fn watch_verify(s: &Scenario, mut endpoint: Endpoint) -> tokio::task::JoinHandle<()> {
    endpoint.stop();
    let stacks = s.stacks();
    tokio::spawn(async move {
        loop {
            if let Ok(st) = stacks.get("bookstore").await
                && step(&st).as_deref() == Some("verify")
                && !endpoint.running()
            {
                endpoint = Endpoint::start(endpoint.port).await.expect("a loopback endpoint");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn kubectl_warmstandby_shows_drills_and_moves_a_stack_through_the_operator() {
    // AWS's time, a hundred times faster: databases take seconds, so the
    // former writer is still being replaced when the failback is asked for.
    let s = Scenario::start_with("plugin", warmstandby_tests::Clock::Scaled(0.01)).await;
    let endpoint = Endpoint::start(0).await.expect("a loopback endpoint");
    let op = s.operator("op-a", &[]);
    let mut ex = s.examples();
    probing(&mut ex, endpoint.port);
    ex.policy.spec.guards.require_approval = true;
    s.create(&ex).await;
    s.wait_ready("bookstore", Duration::from_secs(240)).await;
    let plugin = plugin_binary(&s);

    let (code, text) = kubectl_warmstandby(&s, &plugin, &["status", "bookstore"]).await;
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("Ready") && text.contains("us-east-1 (primary)"), "{text}");
    let (code, text) = kubectl_warmstandby(&s, &plugin, &["status", "bookstore", "-o", "json"]).await;
    let status: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
    assert_eq!((code, status["activeRole"].as_str()), (0, Some("primary")), "{text}");
    let (code, text) = kubectl_warmstandby(&s, &plugin, &["status", "no-such-stack"]).await;
    assert_eq!(code, 1, "{text}");
    assert!(text.contains(&format!("ThreeTierStack {}/no-such-stack not found", s.ns)), "{text}");

    let (code, text) = kubectl_warmstandby(&s, &plugin, &["graph", "bookstore", "--format", "mermaid"]).await;
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains("us-east-1") && text.contains("us-west-2") && text.contains("bookstore-primary-db"),
        "{text}"
    );

    let (code, text) = kubectl_warmstandby(&s, &plugin, &["drill", "bookstore", "--timeout", "90s"]).await;
    assert_eq!(code, 0, "{text}\n{}", op.log_tail(20));
    assert!(text.contains("drill passed") && text.contains("predicted RTO"), "{text}");

    let (code, text) = kubectl_warmstandby(&s, &plugin, &["approve", "bookstore"]).await;
    assert_eq!(code, 1, "nothing waits: {text}");
    assert!(text.contains("no move waits for approval"), "{text}");

    // The primary fails; the policy wants a person's approval before the
    // operator fails over: the move is shown refused, and stays.
    let endpoint = watch_verify(&s, endpoint);
    alarm(&s, StateValue::Alarm).await;
    let started = Instant::now();
    wait_for("the operator to see the failure and start a failover", Duration::from_secs(60), || async {
        step(&s.stack("bookstore").await).is_some()
    })
    .await;
    let args = ["failover", "bookstore", "--to", "standby", "--timeout", "120s"];
    let (code, text) = kubectl_warmstandby(&s, &plugin, &args).await;
    assert_eq!(code, 1, "{text}\n{}", op.log_tail(20));
    assert!(text.contains("following the failover of bookstore to the standby in progress"), "{text}");
    assert!(text.contains("refused: waiting for approval"), "{text}");
    let st = s.stack("bookstore").await;
    assert_eq!(st.status.as_ref().and_then(|s| s.active_role), Some(RegionRole::Primary), "nothing moved");

    let (code, text) = kubectl_warmstandby(&s, &plugin, &["approve", "bookstore"]).await;
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("approved the failover of bookstore to the standby as epoch 1"), "{text}");
    let annotations = s.stack("bookstore").await.metadata.annotations.unwrap_or_default();
    assert_eq!(annotations.get(ANNOTATION_APPROVE_FAILOVER).map(String::as_str), Some("1"));

    // Followed to its end: every step, the operator's events with their own notes.
    let (code, text) = kubectl_warmstandby(&s, &plugin, &args).await;
    assert_eq!(code, 0, "{text}\n{}", op.log_tail(30));
    for note in ["guards done; fence", "fence done; promote", "promote done; scale", "switch done; verify"] {
        assert!(text.contains(note), "the event {note:?} shown with its own note: {text}");
    }
    assert!(text.contains("succeeded: failover to the standby (epoch 1)"), "{text}");
    let st = s.stack("bookstore").await;
    assert_eq!((finished_moves(&st), st.status.as_ref().and_then(|s| s.active_role)), (1, Some(RegionRole::Standby)));
    assert_eq!(primary_record_region(&s).await.as_deref(), Some("us-west-2"), "api.<domain> leads to the standby");
    println!(
        "figures, kubectl warmstandby: failure, refusal for approval, approval and failover followed to the end {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let (code, text) = kubectl_warmstandby(&s, &plugin, &["failover", "bookstore", "--to", "standby"]).await;
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("already serves from the standby region"), "{text}");

    // A failback requested while the primary's database is still the fenced
    // former writer: refused, and the request stays.
    let back = ["failover", "bookstore", "--to", "primary", "--timeout", "60s"];
    let (code, text) = kubectl_warmstandby(&s, &plugin, &back).await;
    assert_eq!(code, 1, "{text}\n{}", op.log_tail(20));
    assert!(text.contains("requested a switchover of bookstore to the primary"), "{text}");
    assert!(text.contains("refused: "), "{text}");
    // Followed on through its refusals: the primary comes back, is rebuilt
    // as a replica and catches up, and the same request goes on to its end.
    let started = Instant::now();
    let back = ["failover", "bookstore", "--to", "primary", "--wait", "--timeout", "240s"];
    let recovers = async {
        tokio::time::sleep(Duration::from_secs(2)).await;
        alarm(&s, StateValue::Ok).await;
    };
    let ((code, text), ()) = tokio::join!(kubectl_warmstandby(&s, &plugin, &back), recovers);
    assert!(text.contains("following the switchover of bookstore to the primary in progress"), "{text}");
    assert_eq!(code, 0, "{text}\n{}", op.log_tail(30));
    assert!(text.contains("succeeded: switchover to the primary (epoch 2)"), "{text}");
    assert_eq!(primary_record_region(&s).await.as_deref(), Some("us-east-1"));
    println!("figures, kubectl warmstandby: failback followed to the end {:.1} s", started.elapsed().as_secs_f64());
    endpoint.abort();

    let _ = s.delete_all("bookstore", Duration::from_secs(180)).await;
    assert_eq!(s.leftovers().await, Vec::<String>::new(), "every AWS resource is gone");
}
