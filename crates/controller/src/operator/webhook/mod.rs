//! The validating admission webhook: `POST /validate` over TLS on its own
//! port, answering AdmissionReviews for the three kinds with the same
//! validation as the CLI's `validate` and the reconciler. Every replica
//! serves it (the Service sends requests to any of them), leader or not.

pub mod certs;
pub mod review;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use kube::Client;
use kube::core::DynamicObject;
use kube::core::admission::{AdmissionRequest, AdmissionResponse, AdmissionReview};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

pub use certs::Source;

/// The path the webhook configuration calls.
pub const PATH: &str = "/validate";
/// An AdmissionReview carries the object and its old version: 3 MiB is
/// what the API server allows an object.
const MAX_BODY: usize = 6 << 20;
/// How long one request may take to arrive.
const READ_DEADLINE: Duration = Duration::from_secs(10);

/// Settings of the webhook server.
#[derive(Clone, Debug)]
pub struct WebhookConfig {
    pub addr: SocketAddr,
    pub source: Source,
}

#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("cannot serve the admission webhook on {addr}: {source}")]
    Listen { addr: SocketAddr, source: std::io::Error },
}

/// Binds and serves until the process ends. The certificate is loaded in
/// the background (and looked at again every [`certs::REFRESH`]): until it
/// is, handshakes fail and the API server applies the failure policy.
pub async fn start(client: Client, cfg: WebhookConfig) -> Result<SocketAddr, WebhookError> {
    let serving = Arc::new(certs::Serving::default());
    let tls = rustls::ServerConfig::builder().with_no_client_auth().with_cert_resolver(serving.clone());
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(tls));
    let listener =
        TcpListener::bind(cfg.addr).await.map_err(|source| WebhookError::Listen { addr: cfg.addr, source })?;
    let addr = listener.local_addr().unwrap_or(cfg.addr);
    tracing::info!(%addr, path = PATH, "serving the admission webhook");
    let refresher = (client.clone(), cfg.source.clone(), serving.clone());
    tokio::spawn(async move {
        let (client, source, serving) = refresher;
        loop {
            match certs::load(&client, &source, &serving).await {
                Ok(()) => {}
                Err(e) if serving.is_set() => {
                    tracing::warn!(error = %e, "webhook certificate not refreshed; serving the one loaded before")
                }
                Err(e) => tracing::error!(error = %e, "the admission webhook has no certificate yet; retrying"),
            }
            let wait = if serving.is_set() { certs::REFRESH } else { Duration::from_secs(2) };
            tokio::time::sleep(wait).await;
        }
    });
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else { continue };
            let (acceptor, client) = (acceptor.clone(), client.clone());
            tokio::spawn(async move {
                let Ok(Ok(mut tls)) = tokio::time::timeout(READ_DEADLINE, acceptor.accept(stream)).await else {
                    return;
                };
                let (status, body) = match tokio::time::timeout(READ_DEADLINE, read_request(&mut tls)).await {
                    Ok(Ok((path, body))) if path == PATH => ("200 OK", answer(&client, &body).await),
                    Ok(Ok(_)) => ("404 Not Found", b"not found\n".to_vec()),
                    Ok(Err(e)) => ("400 Bad Request", format!("{e}\n").into_bytes()),
                    Err(_) => return,
                };
                let head = format!(
                    "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = tls.write_all(head.as_bytes()).await;
                let _ = tls.write_all(&body).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    Ok(addr)
}

/// One HTTP/1.1 request: its path and body (by Content-Length).
async fn read_request<S: AsyncReadExt + Unpin>(stream: &mut S) -> Result<(String, Vec<u8>), String> {
    let mut buf = Vec::with_capacity(16 << 10);
    let mut chunk = [0u8; 16 << 10];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        if buf.len() > 64 << 10 {
            return Err("request head too large".into());
        }
        let n = stream.read(&mut chunk).await.map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("connection closed before the request ended".into());
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let path = head.split_whitespace().nth(1).unwrap_or("/").split('?').next().unwrap_or("/").to_string();
    let length = head
        .lines()
        .find_map(|l| l.split_once(':').filter(|(k, _)| k.trim().eq_ignore_ascii_case("content-length")))
        .and_then(|(_, v)| v.trim().parse::<usize>().ok())
        .unwrap_or(0);
    if length > MAX_BODY {
        return Err(format!("request body of {length} bytes is larger than {MAX_BODY}"));
    }
    let mut body = buf[head_end..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut chunk).await.map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("connection closed before the body ended".into());
        }
        body.extend_from_slice(&chunk[..n]);
    }
    body.truncate(length);
    Ok((path, body))
}

/// The AdmissionReview answering `body`.
async fn answer(client: &Client, body: &[u8]) -> Vec<u8> {
    let review: AdmissionReview<DynamicObject> = match serde_json::from_slice(body) {
        Ok(r) => r,
        Err(e) => {
            let response = AdmissionResponse::invalid(format!("not an AdmissionReview: {e}"));
            return serde_json::to_vec(&response.into_review()).unwrap_or_default();
        }
    };
    let request: AdmissionRequest<DynamicObject> = match review.try_into() {
        Ok(r) => r,
        Err(e) => {
            let response = AdmissionResponse::invalid(format!("an AdmissionReview without a request: {e}"));
            return serde_json::to_vec(&response.into_review()).unwrap_or_default();
        }
    };
    let response = decide(client, &request).await;
    serde_json::to_vec(&response.into_review()).unwrap_or_default()
}

async fn decide(client: &Client, request: &AdmissionRequest<DynamicObject>) -> AdmissionResponse {
    let allowed = AdmissionResponse::from(request);
    let Some(object) = request.object.as_ref().filter(|_| review::needs_review(request)) else { return allowed };
    let kind = request.kind.kind.as_str();
    let namespace = request.namespace.clone().unwrap_or_default();
    let references = review::references(client, kind, object, &namespace).await;
    if let Some(why) = references.unreadable.clone() {
        let mut allowed = allowed;
        allowed.warnings = Some(vec![why]);
        return allowed;
    }
    match review::verdict(kind, object, references) {
        Ok(lines) if lines.is_empty() => allowed,
        Ok(lines) => {
            tracing::info!(kind, name = %request.name, errors = lines.len(), "webhook: refused");
            allowed.deny(lines.join("\n"))
        }
        Err(e) => allowed.deny(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_request_is_read_by_its_length_whatever_the_chunks() {
        let body = "x".repeat(40_000);
        let text =
            format!("POST /validate?timeout=10s HTTP/1.1\r\nHost: h\r\nContent-Length: {}\r\n\r\n{body}", body.len());
        let (mut client, mut server) = tokio::io::duplex(1024);
        let writer = tokio::spawn(async move { client.write_all(text.as_bytes()).await });
        let (path, read) = read_request(&mut server).await.expect("a request");
        assert_eq!((path.as_str(), read.len()), ("/validate", 40_000));
        writer.await.ok();
        let (mut client, mut server) = tokio::io::duplex(64);
        let huge = format!("POST /validate HTTP/1.1\r\nContent-Length: {}\r\n\r\n", MAX_BODY + 1);
        tokio::spawn(async move { client.write_all(huge.as_bytes()).await });
        assert!(read_request(&mut server).await.is_err(), "a body above the limit is refused");
    }
}
