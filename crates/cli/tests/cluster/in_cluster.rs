//! The operator as an installed copy runs: the rendered Deployment's
//! arguments and environment, in-cluster configuration, and the chart's
//! ServiceAccount's own token from the TokenRequest API (no kubeconfig, no
//! impersonation), so the API server's RBAC decisions are the real ones.

use std::time::Duration;

use crate::support::Scenario;

#[tokio::test(flavor = "multi_thread")]
async fn the_operator_with_its_own_token_takes_the_examples_to_ready_and_back_to_nothing() {
    let s = Scenario::start("incluster").await;
    let op = s.operator_in_cluster("pod-a").await;
    let ex = s.examples();
    s.create(&ex).await;
    let to_ready = s.wait_ready("bookstore", Duration::from_secs(180)).await;
    println!("benchmark, in-cluster operator (its own token): create to Ready {:.1} s", to_ready.as_secs_f64());
    let metrics = op.metrics();
    assert!(metrics.contains("warmstandby_leader 1"), "it took the lease as the ServiceAccount: {}", op.log_tail(20));
    let log = op.log_text();
    assert!(!log.contains("is forbidden"), "no RBAC refusal: {}", op.log_tail(30));
    // The admission webhook's own certificate, kept with the chart's Role.
    let secrets: kube::Api<k8s_openapi::api::core::v1::Secret> =
        kube::Api::namespaced(s.admin.clone(), crate::support::SYSTEM_NS);
    let tls = secrets.get_opt("warmstandby-webhook-tls").await.ok().flatten();
    assert!(tls.is_some_and(|t| t.type_.as_deref() == Some("kubernetes.io/tls")), "{}", op.log_tail(30));
    let st = s.stack("bookstore").await;
    assert!(
        st.metadata
            .managed_fields
            .iter()
            .flatten()
            .any(|m| m.manager.as_deref() == Some(warmstandby_api::FIELD_MANAGER)),
        "the status is written by the operator's field manager"
    );
    let gone = s.delete_all("bookstore", Duration::from_secs(180)).await;
    println!("benchmark, in-cluster operator: delete to gone {:.1} s", gone.as_secs_f64());
    assert_eq!(s.leftovers().await, Vec::<String>::new(), "nothing left in AWS");
}
