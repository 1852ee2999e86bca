//! Golden outputs of the views people read: `graph` of the examples in each
//! format, and the SVG checked as XML that names every planned resource.
//! `WARMSTANDBY_UPDATE_GOLDEN=1` rewrites the golden files after a deliberate change.

use std::collections::BTreeSet;

use warmstandby_tests::repo_root;

use crate::cli::run;

fn golden(name: &str, actual: &str) {
    let path = repo_root().join("tests/offline/golden").join(name);
    if std::env::var_os("WARMSTANDBY_UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}; run with WARMSTANDBY_UPDATE_GOLDEN=1 to create it", path.display()));
    assert!(
        expected == actual,
        "{} differs from the output (WARMSTANDBY_UPDATE_GOLDEN=1 rewrites it after a deliberate change):\n{actual}",
        path.display()
    );
}

#[tokio::test]
async fn graph_of_the_examples_matches_the_golden_files() {
    for (format, file) in [("mermaid", "bookstore.mmd"), ("dot", "bookstore.dot"), ("svg", "bookstore.svg")] {
        let (code, out, err) = run(&["graph", "--offline", "--format", format, "-f", "deploy/examples/"]).await;
        assert_eq!(code, 0, "{err}");
        golden(file, &out);
    }
}

#[tokio::test]
async fn the_svg_is_well_formed_and_names_every_planned_resource() {
    let (code, svg, err) = run(&["graph", "--offline", "--format", "svg", "-f", "deploy/examples/"]).await;
    assert_eq!(code, 0, "{err}");
    let doc = roxmltree::Document::parse(&svg).unwrap_or_else(|e| panic!("the SVG is not well-formed XML: {e}"));
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    let texts: BTreeSet<String> =
        doc.descendants().filter(|n| n.has_tag_name("text")).filter_map(|n| n.text()).map(str::to_string).collect();
    let (_, plan, _) = run(&["plan", "--offline", "-o", "json", "-f", "deploy/examples/"]).await;
    let plan: serde_json::Value = serde_json::from_str(&plan).unwrap();
    let resources = plan[0]["resources"].as_array().unwrap();
    assert_eq!(resources.len(), 96);
    for r in resources {
        let name = r["name"].as_str().unwrap();
        let kind = r["kind"].as_str().unwrap();
        assert!(texts.iter().any(|t| t.starts_with(name)), "{kind} {name} is not in the SVG");
        assert!(texts.iter().any(|t| t.starts_with(kind)), "no {kind} box in the SVG");
    }
    // Both regions, labelled with what they do, and the global row.
    assert!(texts.iter().any(|t| t.starts_with("us-east-1 (primary) · serving · DB writer")), "{texts:?}");
    assert!(texts.iter().any(|t| t.starts_with("us-west-2 (standby) · DB replica")), "{texts:?}");
    assert!(texts.iter().any(|t| t.starts_with("global (us-east-1)")));
}

#[tokio::test]
async fn graph_needs_one_stack_for_a_single_picture_and_says_so() {
    let (code, _, err) = run(&["graph", "--offline", "--stack", "nope", "-f", "deploy/examples/"]).await;
    assert_eq!(code, 2);
    assert_eq!(err, "error: no ThreeTierStack \"nope\" in the manifests\n");
}

#[test]
fn status_tables_match_the_golden_file() {
    use warmstandby_cli::style::Style;
    // A status list as `status -o json` printed it for the Ready example stack.
    let text = std::fs::read_to_string(repo_root().join("tests/offline/golden/status-list.json")).unwrap();
    let list: serde_json::Value = serde_json::from_str(&text).unwrap();
    let checked = warmstandby_cli::check::load_and_check(&[repo_root().join("deploy/examples")]).unwrap();
    let pair_status = serde_json::from_value(list["items"][0]["status"].clone()).unwrap();
    let stack_status = serde_json::from_value(list["items"][1]["status"].clone()).unwrap();
    let mut rendered = warmstandby_cli::status_view::pair(Style::plain(), &checked.set.region_pairs[0], &pair_status);
    rendered.push_str(&warmstandby_cli::status_view::stack(Style::plain(), &checked.set.stacks[0], &stack_status));
    golden("status.txt", &rendered);
    // On a terminal: the same table with colour, aligned on what is visible.
    let coloured = warmstandby_cli::status_view::stack(Style::coloured(), &checked.set.stacks[0], &stack_status);
    assert!(coloured.contains("\x1b[32mReady\x1b[0m"));
    let strip = |s: &str| {
        let mut out = String::new();
        let mut esc = false;
        for c in s.chars() {
            match (esc, c) {
                (false, '\x1b') => esc = true,
                (true, 'm') => esc = false,
                (true, _) => {}
                (false, c) => out.push(c),
            }
        }
        out
    };
    assert_eq!(
        strip(&coloured),
        warmstandby_cli::status_view::stack(Style::plain(), &checked.set.stacks[0], &stack_status)
    );
}

#[tokio::test]
async fn an_unreachable_endpoint_is_one_sentence_and_exit_code_1() {
    use aws_config::BehaviorVersion;
    // Nothing listens on port 1 of loopback.
    let config = aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url("http://127.0.0.1:1")
        .region(aws_types::region::Region::new("us-east-1"))
        .credentials_provider(aws_credential_types::Credentials::new("k", "s", None, None, "test"))
        .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(1))
        .load()
        .await;
    let examples = repo_root().join("deploy/examples");
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = warmstandby_cli::run_with(
        ["warmstandby", "plan", "-f", examples.to_str().unwrap()],
        &mut out,
        &mut err,
        Some(config),
    )
    .await;
    let err = String::from_utf8_lossy(&err);
    assert_eq!(code, 1, "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("error: RegionPair classic: ec2:"), "{err}");
    assert!(err.contains("Unreachable: cannot reach the AWS endpoint"), "{err}");
    assert!(err.contains("check --endpoint-url / AWS_ENDPOINT_URL"), "{err}");
    assert!(!err.contains("DispatchFailure {"), "no Debug dumps: {err}");
}
