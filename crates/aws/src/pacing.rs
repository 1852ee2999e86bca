//! Client-side pacing: one token bucket per AWS endpoint, service, scope
//! (the Region, or the account for global services) and action class,
//! shared by the whole process, at the rates AWS documents
//! (`emulator/aws_rates.json`, the table the local emulator throttles by).
//! Every attempt the SDK sends waits for its token first, so the operator
//! stays under AWS's rates instead of finding them; an attempt AWS throttles
//! anyway (another client of the same account spent the budget) is sent
//! again after a jittered, doubling delay, and counted.
//!
//! It sits below the SDK as an HTTP connector: it sees each signed attempt
//! (service and Region from the signature's scope, the action from the
//! target header, the query body or the method), which is exactly what AWS
//! counts.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;

const RATES: &str = include_str!("../../../emulator/aws_rates.json");

/// The share of AWS's rate and burst the process allows itself: AWS counts
/// per account, and other tools of the same account spend from it too.
const CLIENT_SHARE: f64 = 0.9;
/// Attempts of one request AWS throttles before the SDK sees the throttle.
const THROTTLE_ATTEMPTS: u32 = 5;
const THROTTLE_BACKOFF_FIRST: Duration = Duration::from_millis(250);
const THROTTLE_BACKOFF_MAX: Duration = Duration::from_secs(8);

#[derive(Clone, Copy, Debug, PartialEq)]
struct Rate {
    capacity: f64,
    refill: f64,
}

#[derive(Debug)]
struct ServiceRates {
    /// Per account (global services) rather than per Region.
    account_wide: bool,
    buckets: HashMap<String, Rate>,
    actions: HashMap<String, String>,
    /// Buckets of single actions, besides their class's: an attempt takes a
    /// token from both (Route 53's per-action limits).
    action_buckets: HashMap<String, Rate>,
    /// `(method, path with `*` for one segment, action)`: a REST service's
    /// requests named for `action_buckets`.
    rest_actions: Vec<(String, String, String)>,
}

fn rate_of(b: &serde_json::Value) -> Rate {
    Rate { capacity: b["capacity"].as_f64().unwrap_or(1.0), refill: b["refill"].as_f64().unwrap_or(1.0) }
}

fn rates() -> &'static HashMap<String, ServiceRates> {
    static RATES_TABLE: OnceLock<HashMap<String, ServiceRates>> = OnceLock::new();
    RATES_TABLE.get_or_init(|| {
        let raw: serde_json::Value = serde_json::from_str(RATES).unwrap_or_default();
        let mut out = HashMap::new();
        for (service, v) in raw.as_object().into_iter().flatten().filter(|(k, _)| !k.starts_with('_')) {
            let buckets =
                v["buckets"].as_object().into_iter().flatten().map(|(c, b)| (c.clone(), rate_of(b))).collect();
            let action_buckets =
                v["action_buckets"].as_object().into_iter().flatten().map(|(a, b)| (a.clone(), rate_of(b))).collect();
            let rest_actions = v["rest_actions"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|r| {
                    Some((r[0].as_str()?.to_string(), r[1].as_str()?.to_string(), r[2].as_str()?.to_string()))
                })
                .collect();
            let actions = v["actions"]
                .as_object()
                .into_iter()
                .flatten()
                .filter_map(|(a, c)| Some((a.clone(), c.as_str()?.to_string())))
                .collect();
            out.insert(
                service.clone(),
                ServiceRates {
                    account_wide: v["scope"].as_str() == Some("account"),
                    buckets,
                    actions,
                    action_buckets,
                    rest_actions,
                },
            );
        }
        out
    })
}

const READ_PREFIXES: [&str; 5] = ["Describe", "Get", "List", "Search", "Head"];

/// The bucket an attempt draws from: its service's class for the action
/// (the same rules as the emulator's), or `None` for a service with no rates.
fn bucket_of(service: &str, action: Option<&str>, method: &str) -> Option<(String, Rate, bool)> {
    let rates = rates().get(service)?;
    let class = match action {
        Some(a) => rates.actions.get(a).cloned().unwrap_or_else(|| {
            if READ_PREFIXES.iter().any(|p| a.starts_with(p)) { "read".into() } else { "write".into() }
        }),
        None if matches!(method, "GET" | "HEAD") => "read".into(),
        None => "write".into(),
    };
    let class = if rates.buckets.contains_key(&class) {
        class
    } else if rates.buckets.contains_key("all") {
        "all".into()
    } else {
        "write".into()
    };
    let rate = *rates.buckets.get(&class)?;
    Some((class, rate, rates.account_wide))
}

/// The bucket of the attempt's action itself, when its service has one for
/// it: `(action:<name>, rate)`. A REST request is named by its method and path.
fn action_bucket_of(service: &str, action: Option<&str>, method: &str, path: &str) -> Option<(String, Rate)> {
    let rates = rates().get(service)?;
    let segments: Vec<&str> = path.split('?').next().unwrap_or_default().split('/').filter(|s| !s.is_empty()).collect();
    let name = action.map(str::to_string).or_else(|| {
        rates.rest_actions.iter().find_map(|(m, pattern, name)| {
            let wanted: Vec<&str> = pattern.split('/').filter(|s| !s.is_empty()).collect();
            let same = m == method
                && wanted.len() == segments.len()
                && wanted.iter().zip(&segments).all(|(w, s)| *w == "*" || w == s);
            same.then(|| name.clone())
        })
    })?;
    let rate = *rates.action_buckets.get(&name)?;
    Some((format!("action:{name}"), rate))
}

/// `(access key, region, service)` from a SigV4 `Authorization` header.
fn signing_scope(authorization: &str) -> Option<(&str, &str)> {
    let scope = authorization.split("Credential=").nth(1)?;
    let mut parts = scope.split('/');
    let _key = parts.next()?;
    let _date = parts.next()?;
    let region = parts.next()?;
    let service = parts.next()?;
    Some((region, service))
}

fn action_of(request: &HttpRequest) -> Option<String> {
    let headers = request.headers();
    if let Some(target) = headers.get("x-amz-target") {
        return target.rsplit('.').next().map(str::to_string);
    }
    if headers.get("smithy-protocol") == Some("rpc-v2-cbor") {
        return request.uri().rsplit_once("/operation/").map(|(_, op)| op.to_string());
    }
    if headers.get("content-type").is_some_and(|c| c.contains("x-www-form-urlencoded")) {
        let body = std::str::from_utf8(request.body().bytes()?).ok()?;
        return body.split('&').find_map(|kv| kv.strip_prefix("Action=")).map(str::to_string);
    }
    None
}

/// `scheme://host:port` of the request: each endpoint (an AWS partition's
/// service endpoint, or one local emulator) has its own buckets.
fn endpoint_of(uri: &str) -> &str {
    let after_scheme = uri.find("://").map_or(0, |i| i + 3);
    let end = uri[after_scheme..].find('/').map_or(uri.len(), |i| after_scheme + i);
    &uri[..end]
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// What pacing did, per `service/scope/class`, for figures and metrics.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PacingStats {
    /// Attempts sent.
    pub attempts: u64,
    /// Attempts that waited for their token.
    pub paced: u64,
    /// Total time attempts waited for tokens.
    pub waited: Duration,
    /// Attempts AWS throttled anyway.
    pub throttled: u64,
    /// Throttled attempts sent again.
    pub retried: u64,
    /// Requests still throttled after every attempt: the SDK (and then the
    /// pass, which counts it as waiting, never as failed) sees the throttle.
    pub gave_up: u64,
}

#[derive(Default)]
struct Limiter {
    buckets: HashMap<String, Bucket>,
    stats: HashMap<String, HashMap<String, PacingStats>>,
    /// Endpoints on a compressed clock (see [`set_time_scale`]).
    time_scales: HashMap<String, f64>,
    /// Endpoints that enforce no rates (see [`set_unlimited`]).
    unlimited: std::collections::HashSet<String>,
}

/// An endpoint that enforces no request rates (the local emulator, unless
/// told to throttle) is not paced: there is no budget to stay under. Every
/// AWS endpoint, and the emulator once it throttles, is.
pub fn set_unlimited(endpoint: &str, unlimited: bool) {
    let mut limiter = limiter().lock().unwrap_or_else(|e| e.into_inner());
    let endpoint = endpoint.trim_end_matches('/').to_string();
    if unlimited {
        limiter.unlimited.insert(endpoint);
    } else {
        limiter.unlimited.remove(&endpoint);
    }
}

/// An endpoint whose AWS runs on a compressed clock (the local emulator's
/// timed mode: AWS's durations times `scale`) has AWS's rates compressed the
/// same way, as its own throttling has: a second of its time is `scale`
/// seconds of ours. Without it, pacing made in real seconds would read as a
/// hundred times longer in that AWS's time.
pub fn set_time_scale(endpoint: &str, scale: f64) {
    let mut limiter = limiter().lock().unwrap_or_else(|e| e.into_inner());
    if scale > 0.0 && scale < 1.0 {
        limiter.time_scales.insert(endpoint.trim_end_matches('/').to_string(), scale);
    } else {
        limiter.time_scales.remove(endpoint.trim_end_matches('/'));
    }
}

fn limiter() -> &'static Mutex<Limiter> {
    static LIMITER: OnceLock<Mutex<Limiter>> = OnceLock::new();
    LIMITER.get_or_init(Mutex::default)
}

/// What pacing did for `endpoint` (as given to the SDK, e.g.
/// `http://127.0.0.1:4566`), by `service/scope/class`.
pub fn stats(endpoint: &str) -> HashMap<String, PacingStats> {
    let limiter = limiter().lock().unwrap_or_else(|e| e.into_inner());
    limiter.stats.get(endpoint.trim_end_matches('/')).cloned().unwrap_or_default()
}

fn record(endpoint: &str, key: &str, update: impl FnOnce(&mut PacingStats)) {
    let mut limiter = limiter().lock().unwrap_or_else(|e| e.into_inner());
    update(limiter.stats.entry(endpoint.to_string()).or_default().entry(key.to_string()).or_default());
}

/// Takes a token from the bucket (going into debt when it is empty) and
/// answers how long to wait until that token exists.
fn reserve(endpoint: &str, key: &str, rate: Rate) -> Duration {
    let mut limiter = limiter().lock().unwrap_or_else(|e| e.into_inner());
    if limiter.unlimited.contains(endpoint) {
        return Duration::ZERO;
    }
    let scale = limiter.time_scales.get(endpoint).copied().unwrap_or(1.0);
    let (capacity, refill) = (rate.capacity * CLIENT_SHARE, rate.refill * CLIENT_SHARE / scale);
    let now = Instant::now();
    let full = format!("{endpoint} {key}");
    let bucket = limiter.buckets.entry(full).or_insert(Bucket { tokens: capacity, at: now });
    bucket.tokens = (bucket.tokens + now.duration_since(bucket.at).as_secs_f64() * refill).min(capacity);
    bucket.at = now;
    bucket.tokens -= 1.0;
    let wait = if bucket.tokens >= 0.0 { Duration::ZERO } else { Duration::from_secs_f64(-bucket.tokens / refill) };
    let stats = limiter.stats.entry(endpoint.to_string()).or_default().entry(key.to_string()).or_default();
    stats.attempts += 1;
    if !wait.is_zero() {
        stats.paced += 1;
        stats.waited += wait;
    }
    wait
}

/// The request itself, for its last attempt (a placeholder stays behind).
fn request_taken(request: &mut HttpRequest) -> HttpRequest {
    std::mem::replace(request, HttpRequest::empty())
}

/// A jittered delay in `[d/2, d)`: throttled clients must not retry in step.
fn jittered(d: Duration) -> Duration {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |t| t.subsec_nanos());
    let fraction = 0.5 + f64::from(nanos % 1000) / 2000.0;
    d.mul_f64(fraction)
}

const THROTTLE_CODES: [&str; 5] =
    ["RequestLimitExceeded", "Throttling", "ThrottlingException", "TooManyRequestsException", "SlowDown"];

/// Whether an answer is AWS's throttle; its body (an error document of a few
/// hundred bytes) is read and put back.
async fn is_throttle(response: &mut aws_smithy_runtime_api::client::orchestrator::HttpResponse) -> bool {
    let status = response.status().as_u16();
    if !matches!(status, 400 | 429 | 503) {
        return false;
    }
    if let Some(kind) = response.headers().get("x-amzn-errortype") {
        return THROTTLE_CODES.iter().any(|c| kind.starts_with(c));
    }
    let body = std::mem::replace(response.body_mut(), SdkBody::taken());
    let bytes = match aws_smithy_types::byte_stream::ByteStream::new(body).collect().await {
        Ok(b) => b.to_vec(),
        Err(_) => return false,
    };
    let text = String::from_utf8_lossy(&bytes);
    let throttled = THROTTLE_CODES.iter().any(|c| {
        text.contains(&format!(">{c}<")) || text.contains(&format!("\"{c}\"")) || text.contains(&format!("#{c}\""))
    }) || (status == 429);
    *response.body_mut() = SdkBody::from(bytes);
    throttled
}

/// The HTTP client the SDK would use by default (hyper 1 with rustls on
/// aws-lc, proxies from the environment), for settings that name none.
pub fn default_http_client() -> SharedHttpClient {
    use aws_smithy_http_client::proxy::ProxyConfig;
    use aws_smithy_http_client::{Builder, ConnectorBuilder, tls};
    Builder::new().build_with_connector_fn(move |settings, components| {
        let mut conn =
            ConnectorBuilder::default().tls_provider(tls::Provider::Rustls(tls::rustls_provider::CryptoMode::AwsLc));
        conn.set_connector_settings(settings.cloned());
        if let Some(components) = components {
            conn.set_sleep_impl(components.sleep_impl());
        }
        conn.set_proxy_config(Some(ProxyConfig::from_env()));
        conn.build()
    })
}

/// Wraps the SDK's HTTP client so that every attempt is paced.
#[derive(Debug)]
pub struct PacedHttpClient {
    inner: SharedHttpClient,
}

impl PacedHttpClient {
    pub fn wrap(inner: SharedHttpClient) -> SharedHttpClient {
        SharedHttpClient::new(PacedHttpClient { inner })
    }
}

impl HttpClient for PacedHttpClient {
    fn http_connector(&self, settings: &HttpConnectorSettings, components: &RuntimeComponents) -> SharedHttpConnector {
        SharedHttpConnector::new(PacedConnector { inner: self.inner.http_connector(settings, components) })
    }
}

#[derive(Debug)]
struct PacedConnector {
    inner: SharedHttpConnector,
}

impl HttpConnector for PacedConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let scope = request.headers().get("authorization").and_then(signing_scope);
        let paced = scope.and_then(|(region, service)| {
            let action = action_of(&request);
            let (class, rate, account_wide) = bucket_of(service, action.as_deref(), request.method())?;
            let scope = if account_wide { "global" } else { region };
            let endpoint = endpoint_of(request.uri()).to_string();
            let path = request.uri()[endpoint.len()..].to_string();
            let single = action_bucket_of(service, action.as_deref(), request.method(), &path)
                .map(|(name, rate)| (format!("{service}/{scope}/{name}"), rate));
            Some((endpoint, format!("{service}/{scope}/{class}"), rate, single))
        });
        let inner = self.inner.clone();
        let Some((endpoint, key, rate, single)) = paced else { return inner.call(request) };
        let mut request = request;
        HttpConnectorFuture::new(async move {
            let mut backoff = THROTTLE_BACKOFF_FIRST;
            let mut attempt = 1;
            loop {
                let mut wait = reserve(&endpoint, &key, rate);
                if let Some((single_key, single_rate)) = &single {
                    wait = wait.max(reserve(&endpoint, single_key, *single_rate));
                }
                if !wait.is_zero() {
                    tokio::time::sleep(wait).await;
                }
                // A body that cannot be replayed (a stream) is sent once.
                let copy = if attempt < THROTTLE_ATTEMPTS { request.try_clone() } else { None };
                let last = copy.is_none();
                let mut response = inner.call(copy.unwrap_or_else(|| request_taken(&mut request))).await?;
                if !is_throttle(&mut response).await {
                    return Ok(response);
                }
                record(&endpoint, &key, |s| {
                    s.throttled += 1;
                    if last {
                        s.gave_up += 1;
                    } else {
                        s.retried += 1;
                    }
                });
                if last {
                    return Ok(response);
                }
                tracing::debug!(bucket = %key, attempt, "AWS throttled the request; sending it again");
                tokio::time::sleep(jittered(backoff)).await;
                backoff = (backoff * 2).min(THROTTLE_BACKOFF_MAX);
                attempt += 1;
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attempts_draw_from_the_bucket_of_their_service_scope_and_class() {
        assert_eq!(
            signing_scope("AWS4-HMAC-SHA256 Credential=AKID/20261205/us-west-2/ec2/aws4_request, SignedHeaders=host"),
            Some(("us-west-2", "ec2"))
        );
        let (class, rate, account_wide) = bucket_of("ec2", Some("DescribeVpcs"), "POST").expect("ec2 has rates");
        assert_eq!((class.as_str(), rate.refill, account_wide), ("read", 20.0, false));
        assert_eq!(bucket_of("ec2", Some("RunInstances"), "POST").map(|b| b.0), Some("run-instances".into()));
        let sg_rule = bucket_of("ec2", Some("AuthorizeSecurityGroupIngress"), "POST").map(|b| b.0);
        assert_eq!(sg_rule, Some("resource-intensive".into()));
        assert_eq!(bucket_of("ec2", Some("CreateVpc"), "POST").map(|b| b.0), Some("write".into()));
        let (class, rate, account_wide) = bucket_of("route53", None, "GET").expect("route53 has rates");
        assert_eq!((class.as_str(), rate.refill, account_wide), ("all", 10.0, true), "one bucket for the account");
        assert_eq!(bucket_of("monitoring", Some("GetMetricData"), "POST").map(|b| b.0), Some("metrics".into()));
        assert!(bucket_of("s3", None, "GET").is_none(), "no rates: not paced");
        // Route 53's actions with limits of their own, named by method and path.
        let status = action_bucket_of("route53", None, "GET", "/2013-04-01/healthcheck/abc-123/status");
        assert_eq!(status, Some(("action:GetHealthCheckStatus".into(), Rate { capacity: 4.0, refill: 1.0 })));
        let create = action_bucket_of("route53", None, "POST", "/2013-04-01/healthcheck");
        assert_eq!(create.map(|b| b.0), Some("action:CreateHealthCheck".into()));
        assert_eq!(
            action_bucket_of("route53", None, "GET", "/2013-04-01/healthcheck"),
            None,
            "ListHealthChecks: 50/10"
        );
        assert_eq!(action_bucket_of("ec2", Some("DescribeVpcs"), "POST", "/"), None);
        assert_eq!(endpoint_of("http://127.0.0.1:4566/2013-04-01/hostedzone?x=1"), "http://127.0.0.1:4566");
        assert_eq!(endpoint_of("https://ec2.us-east-1.amazonaws.com/"), "https://ec2.us-east-1.amazonaws.com");
    }

    #[test]
    fn a_bucket_allows_its_burst_then_spaces_attempts_at_its_refill_rate() {
        let rate = Rate { capacity: 5.0, refill: 5.0 };
        let endpoint = "test://a-bucket";
        let waits: Vec<Duration> = (0..6).map(|_| reserve(endpoint, "route53/global/all", rate)).collect();
        // 90 % of the burst (4.5 tokens): four at once, then a wait.
        assert!(waits[..4].iter().all(Duration::is_zero), "{waits:?}");
        assert!(waits[4] > Duration::ZERO && waits[5] > waits[4], "{waits:?}");
        let step = waits[5] - waits[4];
        let expected = Duration::from_secs_f64(1.0 / (5.0 * CLIENT_SHARE));
        assert!(step.abs_diff(expected) < Duration::from_millis(5), "{step:?} between attempts");
        let s = &stats(endpoint)["route53/global/all"];
        assert_eq!((s.attempts, s.paced), (6, 2));
    }
}
