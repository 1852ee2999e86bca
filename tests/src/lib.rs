//! Test support for warmstandby: the local AWS emulator fixture.
//!
//! `Emulator::start()` runs the pinned moto server (through
//! `emulator/moto_wrapper.py`, which corrects moto where it differs from AWS)
//! on 127.0.0.1 on a port the OS picks, waits until it answers HTTP, and gives
//! tests `SdkConfig`s for any region. The server dies with the fixture, and
//! also when the test process dies (it exits when its stdin closes).
//!
//! If the emulator cannot be started the fixture panics with instructions:
//! a test that needs AWS never passes without it.
#![forbid(unsafe_code)]

pub mod census;
pub mod cluster;
pub mod fleet;
pub mod mock_api;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use aws_types::SdkConfig;
pub use warmstandby_aws::local::Clock;

/// The repository root (this crate lives in `<root>/tests`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).unwrap_or_default()
}

const INSTALL_HINT: &str = "install it with `scripts/emulator-setup` (creates .emulator/venv with the pinned moto[server]), \
     or point WARMSTANDBY_EMULATOR_PYTHON at a python that has moto[server] 5.2.5";

/// The python that runs the emulator: `$WARMSTANDBY_EMULATOR_PYTHON`, else the
/// venv of `scripts/emulator-setup` (`$WARMSTANDBY_EMULATOR_VENV` or `.emulator/venv`).
pub fn emulator_python() -> PathBuf {
    if let Some(p) = std::env::var_os("WARMSTANDBY_EMULATOR_PYTHON") {
        return PathBuf::from(p);
    }
    let venv = std::env::var_os("WARMSTANDBY_EMULATOR_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join(".emulator/venv"));
    venv.join("bin/python")
}

/// A running emulator (the launcher the demo uses); stopped on drop.
pub struct Emulator {
    local: warmstandby_aws::local::LocalEmulator,
    pub endpoint: String,
    pub port: u16,
}

impl Emulator {
    /// Starts the emulator or panics saying how to install it.
    pub fn start() -> Emulator {
        match Emulator::try_start() {
            Ok(e) => e,
            Err(e) => panic!("the local AWS emulator could not be started: {e}\n{INSTALL_HINT}"),
        }
    }

    /// Starts the emulator with AWS's durations times `scale`, or panics.
    pub fn start_timed(scale: f64) -> Emulator {
        match Emulator::try_start_with(Clock::Scaled(scale)) {
            Ok(e) => e,
            Err(e) => panic!("the local AWS emulator could not be started: {e}\n{INSTALL_HINT}"),
        }
    }

    pub fn try_start() -> Result<Emulator, String> {
        Emulator::try_start_with(Clock::Instant)
    }

    pub fn try_start_with(clock: Clock) -> Result<Emulator, String> {
        let local = warmstandby_aws::local::LocalEmulator::spawn_with(&emulator_python(), clock)?;
        let emulator = Emulator { endpoint: local.endpoint.clone(), port: local.port, local };
        emulator.wait_until_answering(Duration::from_secs(30))?;
        Ok(emulator)
    }

    fn wait_until_answering(&self, limit: Duration) -> Result<(), String> {
        let deadline = Instant::now() + limit;
        loop {
            match http_get(self.port, "/moto-api/reset-auth") {
                Ok(status) if status.starts_with("HTTP/1.") => return Ok(()),
                Ok(other) => {
                    if Instant::now() > deadline {
                        return Err(format!("emulator answered {other:?}"));
                    }
                }
                Err(e) if Instant::now() > deadline => {
                    return Err(format!("emulator did not answer on 127.0.0.1:{} within {limit:?}: {e}", self.port));
                }
                Err(_) => {}
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Sets a read replica's replication as RDS would report it (the
    /// wrapper's test control): `state` `replicating`, `stopped` or `error`,
    /// and the write load on its source (1.0: as fast as the replica applies).
    pub fn set_replication(&self, region: &str, replica: &str, state: Option<&str>, write_load: Option<f64>) {
        let mut body = serde_json::json!({"region": region, "db_instance_identifier": replica});
        if let Some(s) = state {
            body["state"] = s.into();
            body["message"] = format!("replication {s} by the test").into();
        }
        if let Some(l) = write_load {
            body["write_load"] = l.into();
        }
        let answer = http_json(self.port, "POST", "/warmstandby/replication", &body.to_string())
            .unwrap_or_else(|e| panic!("setting replication of {replica} failed: {e}"));
        assert!(answer.0.contains(" 200"), "setting replication of {replica}: {} {}", answer.0, answer.1);
    }

    /// Turns AWS's request rates on or off (`emulator/aws_rates.json`, the
    /// wrapper's test control); `reset` refills every bucket and clears the
    /// counts. Answers the wrapper's view (see [`Emulator::throttling`]).
    pub fn set_throttling(&self, enabled: bool, reset: bool) -> serde_json::Value {
        // The operator paces itself against an endpoint that throttles.
        warmstandby_aws::pacing::set_unlimited(&self.endpoint, !enabled);
        let body = serde_json::json!({"enabled": enabled, "reset": reset});
        self.throttling_control(&body)
    }

    /// Empties one bucket (`service/scope/class`, e.g. `route53/global/all`),
    /// as another client of the same account spending its budget would.
    pub fn drain_bucket(&self, bucket: &str) {
        drain_bucket_at(self.port, bucket);
    }

    /// Per bucket: `requests`, `throttled`, `peak` (most admitted in one
    /// second), `refill` and `capacity`.
    pub fn throttling(&self) -> serde_json::Value {
        self.throttling_control(&serde_json::json!({}))
    }

    fn throttling_control(&self, body: &serde_json::Value) -> serde_json::Value {
        let answer = http_json(self.port, "POST", "/warmstandby/throttling", &body.to_string())
            .unwrap_or_else(|e| panic!("the throttling control failed: {e}"));
        assert!(answer.0.contains(" 200"), "the throttling control: {} {}", answer.0, answer.1);
        serde_json::from_str(&answer.1).unwrap_or_else(|e| panic!("the throttling control answered {}: {e}", answer.1))
    }

    /// How long a new EC2 resource stays out of describes (the wrapper's
    /// test control; 0: at once, the default).
    pub fn set_consistency_seconds(&self, seconds: f64) {
        let body = serde_json::json!({"seconds": seconds}).to_string();
        let answer = http_json(self.port, "POST", "/warmstandby/consistency", &body)
            .unwrap_or_else(|e| panic!("the consistency control failed: {e}"));
        assert!(answer.0.contains(" 200"), "the consistency control: {} {}", answer.0, answer.1);
    }

    /// As [`Emulator::sdk_config`], paced with the operator's buckets (see
    /// `warmstandby_aws::pacing`): for the tests' own census, which must not
    /// be throttled while the emulator enforces AWS's rates.
    pub async fn paced_sdk_config(&self, region: &str) -> SdkConfig {
        let config = self.sdk_config(region).await;
        let http = config.http_client().unwrap_or_else(warmstandby_aws::pacing::default_http_client);
        config.to_builder().http_client(warmstandby_aws::pacing::PacedHttpClient::wrap(http)).build()
    }

    /// Turns IAM enforcement on or off (the wrapper's test control): IAM
    /// users are then allowed only what their policies grant; the root user
    /// (the key [`Emulator::sdk_config`] signs with) everything.
    pub fn set_iam_enforced(&self, enforced: bool) {
        let body = serde_json::json!({"enforced": enforced}).to_string();
        let answer = http_json(self.port, "POST", "/warmstandby/iam", &body)
            .unwrap_or_else(|e| panic!("the IAM control failed: {e}"));
        assert!(answer.0.contains(" 200"), "the IAM control: {} {}", answer.0, answer.1);
    }

    /// An IAM user holding exactly `policy` (a policy document) as its one
    /// inline policy, and its access key: (access key ID, secret).
    pub async fn iam_user(&self, name: &str, policy: &str) -> (String, String) {
        let iam = aws_sdk_iam::Client::new(&self.sdk_config("us-east-1").await);
        iam.create_user().user_name(name).send().await.unwrap_or_else(|e| panic!("creating user {name}: {e:?}"));
        self.put_user_policy(name, policy).await;
        let key = iam.create_access_key().user_name(name).send().await.expect("an access key");
        let key = key.access_key().expect("the access key");
        (key.access_key_id().to_string(), key.secret_access_key().to_string())
    }

    /// Replaces the user's inline policy with `policy`.
    pub async fn put_user_policy(&self, name: &str, policy: &str) {
        let iam = aws_sdk_iam::Client::new(&self.sdk_config("us-east-1").await);
        iam.put_user_policy()
            .user_name(name)
            .policy_name("warmstandby")
            .policy_document(policy)
            .send()
            .await
            .unwrap_or_else(|e| panic!("the policy of {name}: {e:?}"));
    }

    /// Settings signed with an IAM user's key (see [`Emulator::iam_user`]).
    pub async fn sdk_config_as(&self, region: &str, key: &(String, String)) -> SdkConfig {
        warmstandby_aws::local::sdk_config_as(&self.endpoint, region, &key.0, &key.1).await
    }

    /// Clears all emulator state.
    pub fn reset(&self) {
        http_post(self.port, "/moto-api/reset").unwrap_or_else(|e| panic!("emulator reset failed: {e}"));
    }

    /// An `SdkConfig` for `region` against this emulator: fake static
    /// credentials (requests must be signed) and a single attempt per call,
    /// because moto answers unimplemented operations with retryable 500s.
    pub async fn sdk_config(&self, region: &str) -> SdkConfig {
        self.local.sdk_config(region).await
    }
}

/// [`Emulator::drain_bucket`] of the emulator on `port`, for a thread that
/// plays another client of the account.
pub fn drain_bucket_at(port: u16, bucket: &str) {
    let body = serde_json::json!({"drain": bucket}).to_string();
    let answer = http_json(port, "POST", "/warmstandby/throttling", &body)
        .unwrap_or_else(|e| panic!("draining {bucket} failed: {e}"));
    assert!(answer.0.contains(" 200"), "draining {bucket}: {} {}", answer.0, answer.1);
}

/// The application's endpoint as the probes see it (the demo's too).
pub use warmstandby_aws::local::LoopbackEndpoint;

fn http_request(port: u16, method: &str, path: &str) -> std::io::Result<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(stream, "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n")?;
    let mut status = String::new();
    BufReader::new(stream).read_line(&mut status)?;
    Ok(status.trim().to_string())
}

/// A request with a JSON body: (status line, body).
fn http_json(port: u16, method: &str, path: &str, body: &str) -> std::io::Result<(String, String)> {
    use std::io::Read;
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(
        stream,
        "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    let (head, rest) = answer.split_once("\r\n\r\n").unwrap_or((answer.as_str(), ""));
    Ok((head.lines().next().unwrap_or_default().to_string(), rest.to_string()))
}

fn http_get(port: u16, path: &str) -> std::io::Result<String> {
    http_request(port, "GET", path)
}

fn http_post(port: u16, path: &str) -> Result<(), String> {
    let status = http_request(port, "POST", path).map_err(|e| e.to_string())?;
    if status.contains(" 200") { Ok(()) } else { Err(status) }
}
