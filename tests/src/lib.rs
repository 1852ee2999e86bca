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
pub mod mock_api;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_credential_types::Credentials;
use aws_types::SdkConfig;
use aws_types::region::Region;

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

/// A running emulator; stopped on drop.
pub struct Emulator {
    child: Child,
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

    pub fn try_start() -> Result<Emulator, String> {
        let python = emulator_python();
        if !python.exists() {
            return Err(format!("{} does not exist", python.display()));
        }
        let wrapper = repo_root().join("emulator/moto_wrapper.py");
        let mut child = Command::new(&python)
            .arg(&wrapper)
            .arg("0")
            .env("MOTO_ACM_VALIDATION_WAIT", "0")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot run {} {}: {e}", python.display(), wrapper.display()))?;
        let port = match read_port(&mut child, Duration::from_secs(60)) {
            Ok(port) => port,
            Err(e) => {
                let _ = child.kill();
                let mut stderr = String::new();
                if let Some(mut s) = child.stderr.take() {
                    let _ = s.read_to_string(&mut stderr);
                }
                return Err(format!("{e}; emulator stderr:\n{stderr}"));
            }
        };
        // Drain stderr so a chatty server never blocks on a full pipe.
        if let Some(mut stderr) = child.stderr.take() {
            std::thread::spawn(move || {
                let mut sink = Vec::new();
                let _ = stderr.read_to_end(&mut sink);
            });
        }
        let emulator = Emulator { child, endpoint: format!("http://127.0.0.1:{port}"), port };
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

    /// Clears all emulator state.
    pub fn reset(&self) {
        http_post(self.port, "/moto-api/reset").unwrap_or_else(|e| panic!("emulator reset failed: {e}"));
    }

    /// An `SdkConfig` for `region` against this emulator: fake static
    /// credentials (requests must be signed) and a single attempt per call,
    /// because moto answers unimplemented operations with retryable 500s.
    pub async fn sdk_config(&self, region: &str) -> SdkConfig {
        aws_config::defaults(BehaviorVersion::latest())
            .endpoint_url(&self.endpoint)
            .region(Region::new(region.to_string()))
            .credentials_provider(Credentials::new("testing", "testing", None, None, "emulator"))
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
}

impl Drop for Emulator {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
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
                    let _ = tx.send(Err("emulator exited before listening".to_string()));
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
    rx.recv_timeout(limit).map_err(|_| format!("emulator did not report its port within {limit:?}"))?
}

fn http_request(port: u16, method: &str, path: &str) -> std::io::Result<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(stream, "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n")?;
    let mut status = String::new();
    BufReader::new(stream).read_line(&mut status)?;
    Ok(status.trim().to_string())
}

fn http_get(port: u16, path: &str) -> std::io::Result<String> {
    http_request(port, "GET", path)
}

fn http_post(port: u16, path: &str) -> Result<(), String> {
    let status = http_request(port, "POST", path).map_err(|e| e.to_string())?;
    if status.contains(" 200") { Ok(()) } else { Err(status) }
}
