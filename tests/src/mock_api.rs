//! A mock Kubernetes API for controller tests (tower-test): the test states
//! each request the reconciler must make, in order, and answers it.

use std::sync::Arc;
use std::time::Duration;

use http::{Request, Response};
use kube::Client;
use kube::client::Body;
use kube::runtime::reflector;
use serde_json::Value;
use warmstandby_aws::AwsContext;
use warmstandby_controller::operator::{Context, LeaderState};

pub type Handle = tower_test::mock::Handle<Request<Body>, Response<Body>>;

/// An operator context on a mock API server, with the given AWS access.
pub fn context(leader: bool, aws: Arc<AwsContext>) -> (Arc<Context>, Handle) {
    let (service, handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
    let client = Client::new(service, "default");
    let state = Arc::new(LeaderState::default());
    state.set(leader);
    let ctx = Context::new(
        client,
        aws,
        state,
        (reflector::store().0, reflector::store().0, reflector::store().0),
        Duration::from_secs(300),
        Some("test".into()),
    );
    (Arc::new(ctx), handle)
}

/// Answers the next request with `reply` if it has `method` and a path
/// containing `path`; returns the request's JSON body. Fails on a timeout.
pub async fn expect(handle: &mut Handle, scenario: &str, method: &str, path: &str, reply: Value) -> Value {
    let (request, send) = tokio::time::timeout(Duration::from_secs(10), handle.next_request())
        .await
        .unwrap_or_else(|_| panic!("{scenario}: timed out waiting for {method} {path}"))
        .unwrap_or_else(|| panic!("{scenario}: the client went away before {method} {path}"));
    assert_eq!(request.method().as_str(), method, "{scenario}: {}", request.uri());
    assert!(request.uri().path().contains(path), "{scenario}: expected {path}, got {}", request.uri());
    let bytes = request.into_body().collect_bytes().await.unwrap_or_default();
    let body = if bytes.is_empty() { Value::Null } else { serde_json::from_slice(&bytes).unwrap_or(Value::Null) };
    let response = Response::builder().body(Body::from(serde_json::to_vec(&reply).unwrap_or_default()));
    send.send_response(response.unwrap_or_else(|e| panic!("{scenario}: {e}")));
    body
}

/// Fails if the reconciler makes another request within 200 ms.
pub async fn expect_silence(handle: &mut Handle, scenario: &str) {
    if let Ok(Some((request, _))) = tokio::time::timeout(Duration::from_millis(200), handle.next_request()).await {
        panic!("{scenario}: unexpected request {} {}", request.method(), request.uri());
    }
}
