//! The Argo CD health Lua, run (through lupa) against sample statuses.

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::{Value, json};
use warmstandby_tests::{emulator_python, repo_root};

fn health(objects: &[Value]) -> Vec<(String, String)> {
    let mut child = Command::new(emulator_python())
        .arg(repo_root().join("tests/tools/run_lua.py"))
        .arg(repo_root().join("deploy/argocd/health/common.lua"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run python (scripts/emulator-setup installs lupa)");
    child.stdin.take().unwrap().write_all(serde_json::to_string(objects).unwrap().as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "lua failed: {}", String::from_utf8_lossy(&out.stderr));
    let v: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    v.into_iter()
        .map(|r| (r["status"].as_str().unwrap().to_string(), r["message"].as_str().unwrap_or_default().to_string()))
        .collect()
}

fn obj(generation: i64, paused: bool, status: Option<Value>) -> Value {
    let mut o = json!({"metadata": {"name": "x", "generation": generation}, "spec": {"paused": paused}});
    if let Some(s) = status {
        o["status"] = s;
    }
    o
}

fn cond(t: &str, s: &str, message: &str) -> Value {
    json!({"type": t, "status": s, "reason": "R", "message": message, "lastTransitionTime": "2026-01-01T00:00:00Z"})
}

#[test]
fn conditions_map_to_argo_health() {
    let cases = [
        (obj(1, false, None), "Progressing"),
        (obj(1, true, Some(json!({"observedGeneration": 1, "conditions": []}))), "Suspended"),
        (
            obj(2, false, Some(json!({"observedGeneration": 1, "conditions": [cond("Ready", "True", "ok")]}))),
            "Progressing",
        ),
        (
            obj(1, false, Some(json!({"observedGeneration": 1, "conditions": [cond("Ready", "True", "all good")]}))),
            "Healthy",
        ),
        (
            obj(
                1,
                false,
                Some(json!({"observedGeneration": 1, "conditions": [cond("Ready", "False", "2 change(s) applied")]})),
            ),
            "Progressing",
        ),
        (
            obj(
                1,
                false,
                Some(
                    json!({"observedGeneration": 1, "conditions": [cond("SpecValid", "False", "spec.x: bad"), cond("Ready", "False", "")]}),
                ),
            ),
            "Degraded",
        ),
        (
            obj(
                1,
                false,
                Some(
                    json!({"observedGeneration": 1, "conditions": [cond("Degraded", "True", "AWS error"), cond("Ready", "False", "")]}),
                ),
            ),
            "Degraded",
        ),
    ];
    let objects: Vec<Value> = cases.iter().map(|(o, _)| o.clone()).collect();
    let results = health(&objects);
    for ((_, want), (got, message)) in cases.iter().zip(&results) {
        assert_eq!(got, want, "message: {message}");
    }
    assert_eq!(results[3].1, "all good");
    assert_eq!(results[5].1, "spec.x: bad");
}

#[test]
fn an_object_that_only_observes_is_suspended_until_it_matches() {
    let observed = |conditions: Value| {
        json!({
            "metadata": {"name": "x", "generation": 1},
            "spec": {"managementPolicy": "Observe"},
            "status": {"observedGeneration": 1, "conditions": conditions},
        })
    };
    let planned = "observe only: 12 change(s) planned, 1 drift item(s); see status.planned and status.drift, and set spec.managementPolicy to Manage to apply";
    let cases = [
        (observed(json!([cond("Ready", "False", planned)])), "Suspended", planned.to_string()),
        (observed(json!([cond("Ready", "True", "matches")])), "Healthy", "observe only: matches".to_string()),
        (
            observed(json!([cond("Degraded", "True", "NeedsReplacement"), cond("Ready", "False", "")])),
            "Degraded",
            "NeedsReplacement".to_string(),
        ),
    ];
    let objects: Vec<Value> = cases.iter().map(|(o, _, _)| o.clone()).collect();
    for ((_, want, message), got) in cases.iter().zip(health(&objects)) {
        assert_eq!((got.0.as_str(), &got.1), (*want, message));
    }
}

#[test]
fn the_configmap_patch_embeds_the_tested_lua_for_every_kind() {
    let lua = std::fs::read_to_string(repo_root().join("deploy/argocd/health/common.lua")).unwrap();
    let patch: serde_yaml::Value =
        serde_yaml::from_str(&std::fs::read_to_string(repo_root().join("deploy/argocd/argocd-cm-patch.yaml")).unwrap())
            .unwrap();
    for kind in ["RegionPair", "ThreeTierStack", "FailoverPolicy"] {
        let key = format!("resource.customizations.health.warmstandby.dev_{kind}");
        assert_eq!(patch["data"][key.as_str()].as_str(), Some(lua.as_str()), "{key} differs from health/common.lua");
    }
}
