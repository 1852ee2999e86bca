//! The operator's HTTP probes of the application's endpoints: plain HTTP or
//! HTTPS with the system's roots; every URL must answer below 500 in time.

use std::time::Duration;

/// One probe round: every URL must answer below 500 within the timeout.
pub async fn probe_round(urls: &[String], timeout: Duration) -> bool {
    for url in urls {
        match tokio::time::timeout(timeout, probe(url)).await {
            Ok(Ok(status)) if status < 500 => {}
            _ => return false,
        }
    }
    true
}

/// GET `url` and return the HTTP status (HTTPS with the system's roots).
async fn probe(url: &str) -> Result<u16, String> {
    if url.starts_with("https://") {
        return probe_https(url).await;
    }
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rest = url.strip_prefix("http://").ok_or_else(|| format!("{url}: not an http(s) URL"))?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let address = if authority.contains(':') { authority.to_string() } else { format!("{authority}:80") };
    let mut stream = tokio::net::TcpStream::connect(&address).await.map_err(|e| e.to_string())?;
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {authority}\r\nUser-Agent: warmstandby-probe\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.map_err(|e| e.to_string())?;
    let mut head = vec![0u8; 64];
    let n = stream.read(&mut head).await.map_err(|e| e.to_string())?;
    let line = String::from_utf8_lossy(&head[..n]);
    line.split_whitespace().nth(1).and_then(|s| s.parse().ok()).ok_or_else(|| format!("{url}: not an HTTP answer"))
}

async fn probe_https(url: &str) -> Result<u16, String> {
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_provider_and_native_roots(rustls::crypto::ring::default_provider())
        .map_err(|e| format!("TLS roots: {e}"))?
        .https_only()
        .enable_http1()
        .build();
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build::<_, http_body_util::Empty<bytes::Bytes>>(connector);
    let uri: http::Uri = url.parse().map_err(|e| format!("{url}: {e}"))?;
    let response = client.get(uri).await.map_err(|e| format!("{url}: {e}"))?;
    Ok(response.status().as_u16())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn probes_answer_for_a_live_endpoint_and_fail_for_a_dead_or_non_tls_one() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            while let Ok((mut s, _)) = listener.accept().await {
                let mut buf = [0u8; 512];
                let _ = s.read(&mut buf).await;
                let _ = s.write_all(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n").await;
            }
        });
        let t = Duration::from_secs(2);
        assert_eq!(probe(&format!("http://127.0.0.1:{port}/health")).await, Ok(503));
        assert!(!probe_round(&[format!("http://127.0.0.1:{port}/")], t).await, "5xx is a failure");
        // A TLS probe of a plain-HTTP port and of a closed port fail, never hang or panic.
        assert!(!probe_round(&[format!("https://127.0.0.1:{port}/")], t).await);
        let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap().port();
        assert!(!probe_round(&[format!("http://127.0.0.1:{closed}/")], t).await);
        assert!(!probe_round(&["ftp://127.0.0.1/".to_string()], t).await);
    }
}
