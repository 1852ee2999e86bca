//! `/metrics`, `/healthz` and `/readyz` on a small HTTP/1.1 server: each
//! request is answered and the connection closed, which is all Prometheus
//! and the kubelet need.

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use super::Context;

/// Serves until the process ends.
pub async fn serve(listener: TcpListener, ctx: Arc<Context>) {
    loop {
        let Ok((mut stream, _)) = listener.accept().await else { continue };
        let ctx = ctx.clone();
        tokio::spawn(async move {
            let mut buf = vec![0u8; 4096];
            let n = match tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buf)).await {
                Ok(Ok(n)) => n,
                _ => return,
            };
            let request = String::from_utf8_lossy(&buf[..n]);
            let path = request.split_whitespace().nth(1).unwrap_or("/");
            let (status, content_type, body) = respond(&ctx, path);
            let head = format!(
                "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes()).await;
            let _ = stream.write_all(body.as_bytes()).await;
            let _ = stream.shutdown().await;
        });
    }
}

/// (status line, content type, body) for a path.
pub fn respond(ctx: &Context, path: &str) -> (&'static str, &'static str, String) {
    match path {
        "/metrics" => ("200 OK", "text/plain; version=0.0.4", ctx.metrics.render(&ctx.aws.calls().snapshot())),
        "/healthz" => ("200 OK", "text/plain", "ok\n".into()),
        "/readyz" if ctx.is_ready() => ("200 OK", "text/plain", "ready\n".into()),
        "/readyz" => ("503 Service Unavailable", "text/plain", "caches not synced\n".into()),
        _ => ("404 Not Found", "text/plain", "not found\n".into()),
    }
}
