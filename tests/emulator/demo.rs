//! The CLI's main job and its live views on the emulator: the demo end to
//! end, and `plan` against AWS (a diff, detailed exit codes, no mutating call).

use warmstandby_tests::census::{census, differences};
use warmstandby_tests::{Emulator, repo_root};

async fn cli(emulator: &Emulator, args: &[&str]) -> (u8, String, String) {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let mut argv = vec!["warmstandby"];
    argv.extend_from_slice(args);
    let config = emulator.sdk_config("us-east-1").await;
    let code = warmstandby_cli::run_with(argv, &mut out, &mut err, Some(config)).await;
    (code, String::from_utf8_lossy(&out).into_owned(), String::from_utf8_lossy(&err).into_owned())
}

/// `total N (R reads, M mutating)` from `--show-calls`.
fn mutating_calls(err: &str) -> usize {
    let line =
        err.lines().find(|l| l.trim_start().starts_with("total ")).unwrap_or_else(|| panic!("no call table in {err}"));
    let inside = line.split('(').nth(1).unwrap_or_default();
    inside.split(", ").nth(1).and_then(|m| m.split(' ').next()).and_then(|n| n.parse().ok()).unwrap_or(usize::MAX)
}

#[tokio::test]
async fn the_demo_runs_start_to_end_and_leaves_nothing_behind() {
    let emulator = Emulator::start();
    let before = census(&emulator).await;
    let dir = std::env::temp_dir().join(format!("warmstandby-demo-test-{}", std::process::id()));
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let started = std::time::Instant::now();
    let code = warmstandby_cli::run(
        ["warmstandby", "--endpoint-url", &emulator.endpoint, "demo", "--out-dir", dir.to_str().unwrap()],
        &mut out,
        &mut err,
    )
    .await;
    let out = String::from_utf8_lossy(&out);
    println!("{out}\nbenchmark, demo: {:.1} s end to end", started.elapsed().as_secs_f64());
    assert_eq!(code, 0, "{out}\n{}", String::from_utf8_lossy(&err));
    for expected in [
        "96 resources Ready",
        "ThreeTierStack bookstore/bookstore Ready",
        "endpoints: web https://www.bookstore.example.com",
        "standby ready",
        "FailureDetected",
        "failed over: the standby (us-west-2) serves and writes; measured RTO",
        "failed back: the primary serves again (epoch 2)",
        "data kept:",
        "nothing left",
        "demo finished",
    ] {
        assert!(out.contains(expected), "{expected:?} missing from the demo's output:\n{out}");
    }
    // Not a terminal here: plain lines, no colour codes.
    assert!(!out.contains('\x1b'), "colour codes in piped output");
    assert!(out.contains("us-east-1 network       14/14  ready after"), "{out}");
    for ext in ["svg", "mmd", "dot"] {
        let text = std::fs::read_to_string(dir.join(format!("architecture.{ext}"))).unwrap();
        assert!(text.contains("bookstore-bookstore-primary-db"), "{ext}");
    }
    let _ = std::fs::remove_dir_all(&dir);
    // The final snapshots are the data kept on purpose; nothing else is left.
    let left: Vec<String> =
        differences(&before, &census(&emulator).await).into_iter().filter(|d| !d.contains("DBSnapshot")).collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[tokio::test]
async fn plan_shows_a_diff_with_detailed_exit_codes_and_changes_nothing() {
    let emulator = Emulator::start();
    let examples = repo_root().join("deploy/examples");
    let examples = examples.to_str().unwrap();

    // An empty account: everything to add.
    let (code, out, err) = cli(&emulator, &["--show-calls", "plan", "-f", examples]).await;
    assert_eq!(code, 2, "{out}{err}");
    assert!(out.contains("Plan: 96 to add, 0 to change, 0 to destroy."), "{out}");
    assert!(out.contains("  us-east-1 (primary)\n    + create Vpc classic-primary-vpc"), "{out}");
    assert_eq!(mutating_calls(&err), 0, "{err}");
    let before = census(&emulator).await;

    // Built: no changes.
    let (code, out, err) = cli(&emulator, &["apply", "--wait", "-f", examples]).await;
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = cli(&emulator, &["--show-calls", "plan", "-f", examples]).await;
    assert_eq!((code, out.trim_end().lines().last()), (0, Some("No changes. AWS matches the manifests.")), "{out}");
    assert_eq!(mutating_calls(&err), 0, "{err}");

    // Drift: someone scales the web group by hand; the plan shows the repair field by field.
    let asg = aws_sdk_autoscaling::Client::new(&emulator.sdk_config("us-east-1").await);
    asg.update_auto_scaling_group()
        .auto_scaling_group_name("bookstore-bookstore-web")
        .max_size(9)
        .send()
        .await
        .unwrap();
    let built = census(&emulator).await;
    let (code, out, err) = cli(&emulator, &["--show-calls", "plan", "-f", examples]).await;
    assert_eq!(code, 2, "{out}{err}");
    assert!(out.contains("    ~ update auto scaling group bookstore-bookstore-web"), "{out}");
    assert!(out.contains("maxSize: 9 → 6"), "{out}");
    assert!(out.contains("Plan: 0 to add, 1 to change, 0 to destroy."), "{out}");
    assert_eq!(mutating_calls(&err), 0, "{err}");
    assert!(differences(&built, &census(&emulator).await).is_empty(), "plan changed AWS");

    // Machines: JSON with the same summary.
    let (code, out, _) = cli(&emulator, &["plan", "-o", "json", "-f", examples]).await;
    assert_eq!(code, 2);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["summary"]["change"], 1, "{doc}");
    assert!(!differences(&before, &built).is_empty());
}

#[tokio::test]
async fn a_failover_the_guards_refuse_stops_at_once_and_says_what_to_do() {
    let emulator = Emulator::start();
    let examples = repo_root().join("deploy/examples");
    let examples = examples.to_str().unwrap();
    let (code, out, err) = cli(&emulator, &["apply", "--wait", "-f", examples]).await;
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, _) = cli(&emulator, &["failover", "-f", examples, "--stack", "bookstore", "--to", "standby"]).await;
    assert_eq!(code, 0, "{out}");
    // Back to the primary: its database is the fenced former writer.
    let started = std::time::Instant::now();
    let (code, out, _) =
        cli(&emulator, &["failover", "-f", examples, "--stack", "bookstore", "--to", "primary", "--timeout", "10m"])
            .await;
    assert_ne!(code, 0, "{out}");
    assert!(started.elapsed() < std::time::Duration::from_secs(30), "a refusal must not wait for the timeout");
    assert!(out.contains("refused, nothing was moved: the primary database is a writer"), "{out}");
    assert!(out.contains("run `warmstandby apply --wait` with the same manifests first"), "{out}");
    // Doing what it says works.
    let (code, out, err) = cli(&emulator, &["apply", "--wait", "-f", examples]).await;
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, _) = cli(&emulator, &["failover", "-f", examples, "--stack", "bookstore", "--to", "primary"]).await;
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Succeeded from the standby to the primary (epoch 2)"), "{out}");
}
