//! Tier 5: the operator in-process against a real Kubernetes API (any
//! kubeconfig: kind, k3d, EKS, or an envtest-style apiserver without a
//! controller-manager) and the local AWS emulator.
//!
//! Run with `cargo test -p warmstandby-tests --test cluster -- --ignored`.
//! Nothing here relies on garbage collection or namespace deletion.

use std::sync::Arc;
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::{Namespace, Secret};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{DeleteParams, Patch, PatchParams, PostParams};
use kube::{Api, Client, ResourceExt};
use warmstandby_api::{FailoverPolicy, RegionPair, ThreeTierStack};
use warmstandby_aws::AwsContext;
use warmstandby_controller::operator::{LeaseConfig, OperatorConfig};
use warmstandby_tests::{Emulator, repo_root};

fn example<T: serde::de::DeserializeOwned>(file: &str) -> T {
    serde_yaml::from_str(&std::fs::read_to_string(repo_root().join("deploy/examples").join(file)).unwrap()).unwrap()
}

async fn wait_for<F, Fut>(what: &str, limit: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + limit;
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs a Kubernetes API (any kubeconfig)"]
async fn the_example_stack_goes_to_ready_and_back_to_nothing() {
    let client = Client::try_default().await.expect("a kubeconfig or in-cluster config");
    let suffix = format!("{:x}", std::process::id());
    let ns = format!("ws-test-{suffix}");

    // CRDs by server-side apply, then wait until they are served.
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    for crd in warmstandby_api::all_crds() {
        crds.patch(&crd.name_any(), &PatchParams::apply("warmstandby-test").force(), &Patch::Apply(&crd))
            .await
            .unwrap();
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let namespaces: Api<Namespace> = Api::all(client.clone());
    let mut namespace = Namespace::default();
    namespace.metadata.name = Some(ns.clone());
    namespaces.create(&PostParams::default(), &namespace).await.unwrap();

    // The operator, in-process, against the emulator.
    let emulator = Emulator::start();
    let aws = Arc::new(AwsContext::new(emulator.sdk_config("us-east-1").await));
    let cfg = OperatorConfig {
        namespace: Some(ns.clone()),
        selector: None,
        resync: Duration::from_secs(60),
        concurrency: 4,
        lease: Some(LeaseConfig {
            namespace: ns.clone(),
            name: "warmstandby-test".into(),
            identity: "cluster-test".into(),
            lease_duration: Duration::from_secs(15),
            renew_every: Duration::from_secs(2),
        }),
        http_addr: "127.0.0.1:0".parse().unwrap(),
        instance: Some("cluster-test".into()),
    };
    let operator = tokio::spawn(warmstandby_controller::operator::run(client.clone(), aws.clone(), cfg));

    // The examples, with a RegionPair name of its own (it is cluster-scoped).
    let pair_name = format!("classic-{suffix}");
    let mut pair: RegionPair = example("10-regionpair.yaml");
    pair.metadata.name = Some(pair_name.clone());
    let mut secret: Secret = example("00-secret.yaml");
    secret.metadata.namespace = Some(ns.clone());
    let mut policy: FailoverPolicy = example("20-failoverpolicy.yaml");
    policy.metadata.namespace = Some(ns.clone());
    let mut stack: ThreeTierStack = example("30-bookstore.yaml");
    stack.metadata.namespace = Some(ns.clone());
    stack.spec.region_pair_ref.name = pair_name.clone();
    let pairs: Api<RegionPair> = Api::all(client.clone());
    let secrets: Api<Secret> = Api::namespaced(client.clone(), &ns);
    let policies: Api<FailoverPolicy> = Api::namespaced(client.clone(), &ns);
    let stacks: Api<ThreeTierStack> = Api::namespaced(client.clone(), &ns);
    let pp = PostParams::default();
    secrets.create(&pp, &secret).await.unwrap();
    pairs.create(&pp, &pair).await.unwrap();
    policies.create(&pp, &policy).await.unwrap();
    stacks.create(&pp, &stack).await.unwrap();

    let ready = |s: &ThreeTierStack| {
        s.status.as_ref().is_some_and(|st| st.conditions.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
    };
    wait_for("the stack to be Ready", Duration::from_secs(300), || async {
        stacks.get("bookstore").await.map(|s| ready(&s)).unwrap_or(false)
    })
    .await;
    let s = stacks.get("bookstore").await.unwrap();
    assert!(s.finalizers().iter().any(|f| f == warmstandby_api::FINALIZER));
    assert_eq!(s.status.as_ref().unwrap().active_region.as_deref(), Some("us-east-1"));

    // Delete everything; the finalizers are removed once AWS is clean.
    stacks.delete("bookstore", &DeleteParams::default()).await.unwrap();
    wait_for("the stack to be gone", Duration::from_secs(300), || async {
        stacks.get_opt("bookstore").await.unwrap().is_none()
    })
    .await;
    pairs.delete(&pair_name, &DeleteParams::default()).await.unwrap();
    wait_for("the RegionPair to be gone", Duration::from_secs(300), || async {
        pairs.get_opt(&pair_name).await.unwrap().is_none()
    })
    .await;
    policies.delete("bookstore", &DeleteParams::default()).await.unwrap();
    wait_for("the policy to be gone", Duration::from_secs(60), || async {
        policies.get_opt("bookstore").await.unwrap().is_none()
    })
    .await;
    operator.abort();
    // The namespace is left to the cluster (without a controller-manager it
    // would stay Terminating); deleting it is best effort.
    let _ = namespaces.delete(&ns, &DeleteParams::default()).await;
}
