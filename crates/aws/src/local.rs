//! The embedded default: the local AWS emulator (the pinned moto server
//! behind the project's wrapper, which corrects it where it differs from AWS,
//! with the customer's world) and a loopback stand-in for the application's
//! endpoints. The demo runs on them; the test tiers use the same pieces.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_credential_types::Credentials;
use aws_types::SdkConfig;
use aws_types::region::Region;

const WRAPPER: &str = include_str!("../../../emulator/moto_wrapper.py");
const WORLD: &str = include_str!("../../../emulator/world.json");
const TIMINGS: &str = include_str!("../../../emulator/aws_timings.json");
const RATES: &str = include_str!("../../../emulator/aws_rates.json");

/// How the emulator models AWS's time.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub enum Clock {
    /// Every resource is ready the moment it is created.
    #[default]
    Instant,
    /// AWS's own durations (`emulator/aws_timings.json`) times this factor:
    /// 1.0 is AWS's time, 0.01 a hundred times faster.
    Scaled(f64),
}

impl Clock {
    /// The value of the wrapper's `WARMSTANDBY_EMULATOR_TIME_SCALE` (0: instant).
    pub fn time_scale(self) -> f64 {
        match self {
            Clock::Instant => 0.0,
            Clock::Scaled(scale) => scale,
        }
    }
}

/// A running emulator on a loopback port; stopped when dropped, and also
/// when this process dies (it exits when its stdin closes).
pub struct LocalEmulator {
    child: Child,
    pub endpoint: String,
    pub port: u16,
    scratch: PathBuf,
}

impl LocalEmulator {
    /// Starts the wrapper with `python` (which has moto[server]) on a free
    /// port, waiting up to a minute for it to report the port.
    pub fn spawn(python: &Path) -> Result<LocalEmulator, String> {
        LocalEmulator::spawn_with(python, Clock::Instant)
    }

    /// Starts the wrapper on `clock`.
    pub fn spawn_with(python: &Path, clock: Clock) -> Result<LocalEmulator, String> {
        if !python.exists() {
            return Err(format!("{} does not exist", python.display()));
        }
        let scratch = std::env::temp_dir().join(format!(
            "warmstandby-emulator-{}-{}",
            std::process::id(),
            SCRATCH.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&scratch).map_err(|e| format!("cannot create {}: {e}", scratch.display()))?;
        let wrapper = scratch.join("moto_wrapper.py");
        std::fs::write(&wrapper, WRAPPER)
            .and_then(|()| std::fs::write(scratch.join("world.json"), WORLD))
            .and_then(|()| std::fs::write(scratch.join("aws_timings.json"), TIMINGS))
            .and_then(|()| std::fs::write(scratch.join("aws_rates.json"), RATES))
            .map_err(|e| format!("cannot write the emulator's files to {}: {e}", scratch.display()))?;
        let mut child = Command::new(python)
            .arg(&wrapper)
            .arg("0")
            .env("MOTO_ACM_VALIDATION_WAIT", "0")
            .env("WARMSTANDBY_EMULATOR_TIME_SCALE", clock.time_scale().to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot run {} {}: {e}", python.display(), wrapper.display()))?;
        let port = match read_port(&mut child, Duration::from_secs(60)) {
            Ok(p) => p,
            Err(e) => {
                let _ = child.kill();
                let mut stderr = String::new();
                if let Some(mut s) = child.stderr.take() {
                    let _ = s.read_to_string(&mut stderr);
                }
                let _ = std::fs::remove_dir_all(&scratch);
                let tail: Vec<&str> = stderr.lines().rev().take(5).collect();
                return Err(format!(
                    "the emulator did not start: {e}; its last words: {}",
                    tail.into_iter().rev().collect::<Vec<_>>().join(" | ")
                ));
            }
        };
        // Drain stderr so a chatty server never blocks on a full pipe.
        if let Some(mut stderr) = child.stderr.take() {
            std::thread::spawn(move || {
                let mut sink = Vec::new();
                let _ = stderr.read_to_end(&mut sink);
            });
        }
        let endpoint = format!("http://127.0.0.1:{port}");
        crate::pacing::set_time_scale(&endpoint, clock.time_scale());
        // It throttles only when told to (WARMSTANDBY_EMULATOR_THROTTLE=aws
        // in its environment, or its test control).
        let throttles = std::env::var("WARMSTANDBY_EMULATOR_THROTTLE").is_ok_and(|v| v == "aws");
        crate::pacing::set_unlimited(&endpoint, !throttles);
        Ok(LocalEmulator { child, endpoint, port, scratch })
    }

    /// Settings for `region` against this emulator.
    pub async fn sdk_config(&self, region: &str) -> SdkConfig {
        sdk_config(&self.endpoint, region).await
    }
}

static SCRATCH: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

impl Drop for LocalEmulator {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.scratch);
    }
}

/// Settings for `region` against the emulator at `endpoint`: fake static
/// credentials (requests must be signed) and one attempt per call (it
/// answers unimplemented operations with retryable 500s).
pub async fn sdk_config(endpoint: &str, region: &str) -> SdkConfig {
    sdk_config_as(endpoint, region, ROOT_ACCESS_KEY, ROOT_ACCESS_KEY).await
}

/// The key of the emulated account's root user (allowed everything, as on
/// AWS, when the emulator enforces IAM).
pub const ROOT_ACCESS_KEY: &str = "testing";

/// As [`sdk_config`], signed with an IAM user's access key.
pub async fn sdk_config_as(endpoint: &str, region: &str, access_key: &str, secret_key: &str) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(Region::new(region.to_string()))
        .credentials_provider(Credentials::new(access_key, secret_key, None, None, "emulator"))
        .retry_config(RetryConfig::standard().with_max_attempts(1))
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(5))
                .operation_timeout(Duration::from_secs(60))
                .build(),
        )
        .load()
        .await
}

fn read_port(child: &mut Child, limit: Duration) -> Result<u16, String> {
    let stdout = child.stdout.take().ok_or("no stdout pipe")?;
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        loop {
            line.clear();
            match reader.read_line(&mut line) {
                Ok(0) | Err(_) => {
                    let _ = tx.send(Err("it exited before listening".to_string()));
                    return;
                }
                Ok(_) => {
                    if let Some(port) = line.trim().strip_prefix("LISTENING ") {
                        let _ = tx.send(port.parse::<u16>().map_err(|e| format!("bad port line {line:?}: {e}")));
                        // Keep draining stdout for the server's lifetime.
                        let mut sink = Vec::new();
                        let _ = reader.read_to_end(&mut sink);
                        return;
                    }
                }
            }
        }
    });
    rx.recv_timeout(limit).map_err(|_| format!("no port reported within {limit:?}"))?
}

/// A loopback HTTP server answering 200 to everything: the application's
/// endpoints as the failover probes see them (the emulator models no
/// health). Stopping it is the simulated disaster.
pub struct LoopbackEndpoint {
    pub port: u16,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl LoopbackEndpoint {
    /// Listens on 127.0.0.1:`port` (0: any free port).
    pub async fn start(port: u16) -> Result<LoopbackEndpoint, String> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .map_err(|e| format!("cannot listen on 127.0.0.1:{port}: {e}"))?;
        let port = listener.local_addr().map(|a| a.port()).unwrap_or(port);
        let task = tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                tokio::spawn(async move {
                    use tokio::io::{AsyncReadExt, AsyncWriteExt};
                    let mut buf = [0u8; 1024];
                    let _ = socket.read(&mut buf).await;
                    let _ =
                        socket.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok").await;
                });
            }
        });
        Ok(LoopbackEndpoint { port, task: Some(task) })
    }

    pub fn stop(&mut self) {
        if let Some(t) = self.task.take() {
            t.abort();
        }
    }

    pub fn running(&self) -> bool {
        self.task.is_some()
    }
}

impl Drop for LoopbackEndpoint {
    fn drop(&mut self) {
        self.stop();
    }
}
