//! The CLI in-process on the committed examples: the same code the binary runs.

use std::collections::BTreeSet;

use warmstandby_tests::repo_root;

/// Runs the CLI from the repository root; returns (exit code, stdout, stderr).
pub async fn run(args: &[&str]) -> (u8, String, String) {
    let root = repo_root();
    let args: Vec<String> = std::iter::once("warmstandby".to_string())
        .chain(args.iter().map(|a| {
            // Paths in the examples' expectations are relative to the root.
            if a.starts_with("deploy/") { root.join(a).display().to_string() } else { a.to_string() }
        }))
        .collect();
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = warmstandby_cli::run(args, &mut out, &mut err).await;
    let root_prefix = format!("{}/", root.display());
    let text = |b: Vec<u8>| String::from_utf8(b).unwrap().replace(&root_prefix, "");
    (code, text(out), text(err))
}

const EXAMPLE_PASSWORD: &str = "Ch4nge-me-0n-day-1";

#[tokio::test]
async fn plan_offline_lists_the_whole_two_region_topology() {
    let (code, out, err) = run(&["plan", "--offline", "-f", "deploy/examples/"]).await;
    assert_eq!(code, 0, "{err}");
    assert!(err.is_empty(), "{err}");
    assert!(out.starts_with("ThreeTierStack bookstore/bookstore  (RegionPair classic: primary us-east-1, standby us-west-2; active us-east-1)"), "{out}");
    assert!(out.contains("96 resources in creation order: 43 primary, 39 standby, 14 global"), "{out}");
    for section in ["\nprimary (us-east-1)\n", "\nstandby (us-west-2)\n", "\nglobal (us-east-1)\n"] {
        assert!(out.contains(section), "missing section {section:?}");
    }
    for line in [
        "1. Vpc                          classic-primary-vpc  [primary/vpc]",
        "DbReadReplica                bookstore-bookstore-standby-db  [standby/db-instance]",
        "Distribution                 www.bookstore.example.com  [global/distribution]",
        "after: primary/load-balancer/api, primary/target-group/api, primary/certificate/wildcard, global/certificate-validation/primary",
    ] {
        assert!(out.contains(line), "plan lacks {line:?}");
    }
    assert!(!out.contains(EXAMPLE_PASSWORD), "the plan shows the database password");
}

#[tokio::test]
async fn plan_json_is_complete_and_ordered() {
    let (code, out, err) = run(&["plan", "--offline", "-f", "deploy/examples/", "-o", "json"]).await;
    assert_eq!(code, 0, "{err}");
    let plans: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    let plan = &plans[0];
    assert_eq!(plan["object"], "ThreeTierStack bookstore/bookstore");
    let resources = plan["resources"].as_array().unwrap();
    assert_eq!(resources.len(), 96);
    assert_eq!(plan["counts"]["total"], 96);
    let mut seen = BTreeSet::new();
    for (i, r) in resources.iter().enumerate() {
        assert_eq!(r["step"], i + 1);
        for d in r["dependsOn"].as_array().unwrap() {
            assert!(seen.contains(d.as_str().unwrap()), "{} before its dependency {d}", r["key"]);
        }
        seen.insert(r["key"].as_str().unwrap().to_string());
    }
    let kinds: BTreeSet<&str> = resources.iter().map(|r| r["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds.len(), 34, "{kinds:?}");
    assert!(!out.contains(EXAMPLE_PASSWORD));
}

#[tokio::test]
async fn validate_accepts_the_examples() {
    let (code, out, err) = run(&["validate", "-f", "deploy/examples/"]).await;
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        "valid  RegionPair classic (primary us-east-1, standby us-west-2)\n\
         valid  ThreeTierStack bookstore/bookstore (RegionPair classic)\n\
         valid  FailoverPolicy bookstore/bookstore\n\
         3 object(s) valid\n"
    );
}

/// Every invalid example fails with exactly the errors its `# expect:` lines name,
/// with exit code 1, nothing on stdout, and no secret value in the output.
#[tokio::test]
async fn every_invalid_example_fails_with_its_own_message() {
    let dir = repo_root().join("deploy/examples/invalid");
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    assert!(files.len() >= 15, "only {} invalid examples", files.len());
    let mut messages = BTreeSet::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let expected: BTreeSet<String> =
            text.lines().filter_map(|l| l.strip_prefix("# expect: ")).map(|l| format!("error: {l}")).collect();
        let name = file.file_name().unwrap().to_string_lossy().to_string();
        assert!(!expected.is_empty(), "{name} has no `# expect:` line");
        let rel = format!("deploy/examples/invalid/{name}");
        for command in [vec!["validate", "-f", rel.as_str()], vec!["plan", "--offline", "-f", rel.as_str()]] {
            let (code, out, err) = run(&command).await;
            assert_eq!(code, 1, "{name}: {command:?} exit code; stderr:\n{err}");
            assert!(out.is_empty(), "{name}: {command:?} printed output that looks like success:\n{out}");
            let got: BTreeSet<String> = err.lines().filter(|l| l.starts_with("error: ")).map(String::from).collect();
            assert_eq!(got, expected, "{name}: {command:?}");
            assert!(err.ends_with("error(s); nothing was planned or changed\n"), "{name}: {err}");
            for secret in ["Sup3r-Secret-Value", "sh0rt", EXAMPLE_PASSWORD] {
                assert!(!err.contains(secret), "{name}: output shows a secret value");
            }
        }
        messages.insert(expected.into_iter().collect::<Vec<_>>().join("\n"));
    }
    assert!(messages.len() >= 15, "invalid examples must each have their own message");
}

#[tokio::test]
async fn bad_paths_and_usage_are_reported() {
    let (code, out, err) = run(&["validate", "-f", "/nonexistent/manifest.yaml"]).await;
    assert_eq!((code, out.as_str()), (1, ""));
    assert!(err.contains("error: /nonexistent/manifest.yaml: No such file or directory"), "{err}");

    // `plan` reads AWS unless --offline; without manifests it is a usage error.
    let (code, _, err) = run(&["plan"]).await;
    assert_eq!(code, 2);
    assert!(err.contains("--filename"), "{err}");

    let (code, _, err) = run(&["frobnicate"]).await;
    assert_eq!(code, 2);
    assert!(err.contains("unrecognized subcommand"), "{err}");
}

#[tokio::test]
async fn malformed_yaml_stops_with_one_error() {
    let dir = std::env::temp_dir().join(format!("warmstandby-malformed-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("bad.yaml");
    std::fs::write(&file, "apiVersion: v1\nkind: Secret\n---\nkind: [unclosed\n---\nkind: x\n").unwrap();
    let (code, out, err) = run(&["validate", "-f", file.to_str().unwrap()]).await;
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!((code, out.as_str()), (1, ""));
    assert_eq!(err.lines().filter(|l| l.contains("not valid YAML")).count(), 1, "{err}");
}
