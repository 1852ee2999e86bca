//! RBAC is enough and no more. The operator runs as a ServiceAccount (the
//! real API server enforces its roles, reached by impersonation) through a
//! lifecycle that needs every permission it has: the stack created before
//! its Secret, a weak password fixed later, Ready, deletion of everything.
//! With exactly the rules of `operator::rbac` (the chart's, a test of the
//! offline tier keeps them equal) the lifecycle completes; without any one
//! verb of any rule it fails.

use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::{Secret, ServiceAccount};
use k8s_openapi::api::events::v1::Event;
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding, RoleRef, Subject};
use kube::Api;
use kube::api::{DeleteParams, ListParams, PostParams};
use warmstandby_controller::operator::rbac::{CLUSTER_RULES, LEASE_RULES, Rule};

use crate::support::{Operator, SYSTEM_NS, Scenario, apply, apply_namespaced, is_ready};

/// One rule set: the operator's, or it without one verb.
struct Grant {
    name: String,
    cluster: Vec<PolicyRule>,
    lease: Vec<PolicyRule>,
}

fn rules(rules: &[Rule], without: Option<(usize, &str)>) -> Vec<PolicyRule> {
    rules
        .iter()
        .enumerate()
        .map(|(i, r)| PolicyRule {
            api_groups: Some(vec![r.group.to_string()]),
            resources: Some(r.resources.iter().map(|s| s.to_string()).collect()),
            verbs: r.verbs.iter().filter(|v| without != Some((i, **v))).map(|v| v.to_string()).collect(),
            ..Default::default()
        })
        .filter(|r| !r.verbs.is_empty())
        .collect()
}

/// The full grant, then every grant with one verb removed, labelled.
fn grants() -> Vec<(String, Grant)> {
    let mut out = vec![(
        "every rule".to_string(),
        Grant { name: "rbac-full".into(), cluster: rules(CLUSTER_RULES, None), lease: rules(LEASE_RULES, None) },
    )];
    let mut n = 0;
    for (set, all) in [("cluster", CLUSTER_RULES), ("lease", LEASE_RULES)] {
        for (i, rule) in all.iter().enumerate() {
            for verb in rule.verbs {
                n += 1;
                let without = Some((i, *verb));
                let (cluster, lease) = if set == "cluster" {
                    (rules(CLUSTER_RULES, without), rules(LEASE_RULES, None))
                } else {
                    (rules(CLUSTER_RULES, None), rules(LEASE_RULES, without))
                };
                out.push((
                    format!("without {verb} on {}/{}", rule.group, rule.resources.join(",")),
                    Grant { name: format!("rbac-{n}"), cluster, lease },
                ));
            }
        }
    }
    out
}

/// A ServiceAccount with the grant, bound by a ClusterRole and a lease Role.
async fn install(s: &Scenario, g: &Grant) {
    let meta = |name: &str, ns: Option<&str>| kube::api::ObjectMeta {
        name: Some(name.to_string()),
        namespace: ns.map(str::to_string),
        ..Default::default()
    };
    let subject = Subject {
        kind: "ServiceAccount".into(),
        name: g.name.clone(),
        namespace: Some(SYSTEM_NS.into()),
        ..Default::default()
    };
    let role_ref = |kind: &str, name: &str| RoleRef {
        api_group: "rbac.authorization.k8s.io".into(),
        kind: kind.into(),
        name: name.into(),
    };
    let name = format!("warmstandby-{}", g.name);
    apply_namespaced(&s.admin, &ServiceAccount { metadata: meta(&g.name, Some(SYSTEM_NS)), ..Default::default() })
        .await;
    apply(&s.admin, &ClusterRole { metadata: meta(&name, None), rules: Some(g.cluster.clone()), ..Default::default() })
        .await;
    apply(
        &s.admin,
        &ClusterRoleBinding {
            metadata: meta(&name, None),
            role_ref: role_ref("ClusterRole", &name),
            subjects: Some(vec![subject.clone()]),
        },
    )
    .await;
    apply_namespaced(&s.admin, &Role { metadata: meta(&name, Some(SYSTEM_NS)), rules: Some(g.lease.clone()) }).await;
    apply_namespaced(
        &s.admin,
        &RoleBinding {
            metadata: meta(&name, Some(SYSTEM_NS)),
            role_ref: role_ref("Role", &name),
            subjects: Some(vec![subject]),
        },
    )
    .await;
}

/// Waits for `check`; fails at the deadline or as soon as the operator was
/// refused something (a 403 is the missing verb showing itself).
async fn expect<F, Fut>(op: &Operator, what: &str, limit: Duration, mut check: F) -> Result<(), String>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    loop {
        if check().await {
            return Ok(());
        }
        if let Some(line) = op.log_text().lines().find(|l| l.contains("forbidden")) {
            return Err(format!("{what}: the operator was refused: {}", line.chars().take(400).collect::<String>()));
        }
        if started.elapsed() > limit {
            return Err(format!("{what}: not within {limit:?}"));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn condition_message(st: &warmstandby_api::ThreeTierStack, type_: &str) -> String {
    st.status
        .as_ref()
        .and_then(|s| s.conditions.iter().find(|c| c.type_ == type_))
        .map(|c| c.message.clone())
        .unwrap_or_default()
}

/// The lifecycle that uses every permission: Secret missing, then weak, then
/// right; Ready; everything deleted.
async fn lifecycle(s: &Scenario, op: &Operator) -> Result<(), String> {
    let ex = s.examples();
    let pp = PostParams::default();
    let stacks = s.stacks();
    s.pairs().create(&pp, &ex.pair).await.map_err(|e| e.to_string())?;
    s.policies().create(&pp, &ex.policy).await.map_err(|e| e.to_string())?;
    stacks.create(&pp, &ex.stack).await.map_err(|e| e.to_string())?;
    let limit = Duration::from_secs(30);
    expect(op, "the missing Secret reported in the status", limit, || async {
        stacks.get("bookstore").await.is_ok_and(|st| condition_message(&st, "SpecValid").contains("not found"))
    })
    .await?;
    // A weak password: noticed through the Secret watch, reported again.
    let mut weak: Secret = ex.secret.clone();
    weak.string_data = Some([("password".to_string(), "short1".to_string())].into());
    s.secrets().create(&pp, &weak).await.map_err(|e| e.to_string())?;
    expect(op, "the weak password reported in the status", limit, || async {
        stacks.get("bookstore").await.is_ok_and(|st| condition_message(&st, "SpecValid").contains("8 to 41"))
    })
    .await?;
    let events: Api<Event> = Api::namespaced(s.admin.clone(), &s.ns);
    expect(op, "the repeated InvalidSpec event counted in its series", limit, || async {
        events.list(&ListParams::default()).await.is_ok_and(|l| {
            l.items
                .iter()
                .any(|e| e.reason.as_deref() == Some("InvalidSpec") && e.series.as_ref().is_some_and(|s| s.count >= 2))
        })
    })
    .await?;
    s.secrets().replace("bookstore-db", &pp, &ex.secret).await.map_err(|e| e.to_string())?;
    expect(op, "the stack to be Ready", Duration::from_secs(60), || async {
        stacks.get("bookstore").await.is_ok_and(|st| is_ready(&st))
    })
    .await?;
    // Leadership is renewed (the lease is updated) while the stack is Ready.
    let leases: Api<k8s_openapi::api::coordination::v1::Lease> = Api::namespaced(s.admin.clone(), SYSTEM_NS);
    let renewed =
        |l: &k8s_openapi::api::coordination::v1::Lease| l.spec.as_ref().and_then(|s| s.renew_time.clone()).map(|t| t.0);
    let first = leases.get(&s.lease).await.ok().as_ref().and_then(renewed);
    expect(op, "the lease to be renewed", limit, || async {
        let now = leases.get(&s.lease).await.ok().as_ref().and_then(renewed);
        now.is_some() && now != first
    })
    .await?;
    let dp = DeleteParams::default();
    let _ = stacks.delete("bookstore", &dp).await;
    let _ = s.policies().delete("bookstore", &dp).await;
    let _ = s.pairs().delete(&s.pair, &dp).await;
    let _ = s.secrets().delete("bookstore-db", &dp).await;
    expect(op, "every object to be gone", Duration::from_secs(60), || async {
        stacks.get_opt("bookstore").await.is_ok_and(|o| o.is_none())
            && s.policies().get_opt("bookstore").await.is_ok_and(|o| o.is_none())
            && s.pairs().get_opt(&s.pair).await.is_ok_and(|o| o.is_none())
    })
    .await?;
    let left = s.leftovers().await;
    if left.is_empty() { Ok(()) } else { Err(format!("AWS resources left: {left:?}")) }
}

/// Objects a failed run left behind lose their finalizers (the admin's
/// cleanup; there is no controller-manager to collect anything).
async fn release_leftovers(s: &Scenario) {
    let merge = kube::api::Patch::Merge(serde_json::json!({"metadata": {"finalizers": null}}));
    let pp = kube::api::PatchParams::default();
    let dp = DeleteParams::default();
    let _ = s.stacks().patch("bookstore", &pp, &merge).await;
    let _ = s.stacks().delete("bookstore", &dp).await;
    let _ = s.policies().patch("bookstore", &pp, &merge).await;
    let _ = s.policies().delete("bookstore", &dp).await;
    let _ = s.pairs().patch(&s.pair, &pp, &merge).await;
    let _ = s.pairs().delete(&s.pair, &dp).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_operators_rules_are_enough_and_each_verb_is_needed() {
    let mut report = Vec::new();
    let mut wrong = Vec::new();
    for (label, grant) in grants() {
        let s = Scenario::start(&grant.name).await;
        install(&s, &grant).await;
        let kubeconfig = s.api.kubeconfig_for_service_account(SYSTEM_NS, &grant.name);
        let op = s.operator_as(&kubeconfig, "op", &["--lease-duration", "3s"]);
        let started = Instant::now();
        let outcome = lifecycle(&s, &op).await;
        let took = started.elapsed().as_secs_f64();
        match (&outcome, grant.name == "rbac-full") {
            (Ok(()), true) => report.push(format!("{label}: the lifecycle completes ({took:.1} s)")),
            (Err(e), true) => wrong.push(format!("{label}: the lifecycle must complete: {e}\n{}", op.log_tail(15))),
            (Ok(()), false) => {
                wrong.push(format!("{label}: the lifecycle completed without it; the verb is not needed"))
            }
            (Err(e), false) => report.push(format!("{label}: fails ({took:.1} s): {e}")),
        }
        drop(op);
        release_leftovers(&s).await;
        drop(s);
    }
    println!("RBAC on the real API server:\n  {}", report.join("\n  "));
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
