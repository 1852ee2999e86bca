//! The local AWS emulator the demo runs: the pinned moto server behind the
//! project's wrapper (embedded in the binary, with the customer's world),
//! installed into its venv by `scripts/emulator-setup` when missing.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const WRAPPER: &str = include_str!("../../../../emulator/moto_wrapper.py");
const WORLD: &str = include_str!("../../../../emulator/world.json");

/// The repository this binary was built from (for `scripts/emulator-setup`).
fn source_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A running emulator; stopped when dropped (and when this process dies:
/// it exits when its stdin closes).
pub struct LocalEmulator {
    child: Child,
    pub endpoint: String,
    scratch: PathBuf,
}

impl LocalEmulator {
    /// Finds (or installs) the emulator's python and starts it on a free
    /// loopback port. `say` reports what takes time.
    pub fn start(say: &mut dyn FnMut(&str)) -> Result<LocalEmulator, String> {
        let python = python(say)?;
        let scratch = std::env::temp_dir().join(format!("warmstandby-demo-{}", std::process::id()));
        std::fs::create_dir_all(&scratch).map_err(|e| format!("cannot create {}: {e}", scratch.display()))?;
        let wrapper = scratch.join("moto_wrapper.py");
        std::fs::write(&wrapper, WRAPPER)
            .and_then(|()| std::fs::write(scratch.join("world.json"), WORLD))
            .map_err(|e| format!("cannot write the emulator's files to {}: {e}", scratch.display()))?;
        let mut child = Command::new(&python)
            .arg(&wrapper)
            .arg("0")
            .env("MOTO_ACM_VALIDATION_WAIT", "0")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot run {}: {e}", python.display()))?;
        let port = match read_port(&mut child, Duration::from_secs(60)) {
            Ok(p) => p,
            Err(e) => {
                let _ = child.kill();
                let mut stderr = String::new();
                if let Some(mut s) = child.stderr.take() {
                    let _ = s.read_to_string(&mut stderr);
                }
                let tail: Vec<&str> = stderr.lines().rev().take(5).collect();
                return Err(format!(
                    "the local AWS emulator did not start: {e}; its last words: {}",
                    tail.into_iter().rev().collect::<Vec<_>>().join(" | ")
                ));
            }
        };
        if let Some(mut stderr) = child.stderr.take() {
            std::thread::spawn(move || {
                let mut sink = Vec::new();
                let _ = stderr.read_to_end(&mut sink);
            });
        }
        Ok(LocalEmulator { child, endpoint: format!("http://127.0.0.1:{port}"), scratch })
    }
}

impl Drop for LocalEmulator {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.scratch);
    }
}

/// `$WARMSTANDBY_EMULATOR_PYTHON`, else the venv's python
/// (`$WARMSTANDBY_EMULATOR_VENV`, else `.emulator/venv` of the source tree),
/// installed by `scripts/emulator-setup` when it is not there yet.
fn python(say: &mut dyn FnMut(&str)) -> Result<PathBuf, String> {
    if let Some(p) = std::env::var_os("WARMSTANDBY_EMULATOR_PYTHON") {
        return Ok(PathBuf::from(p));
    }
    let root = source_root();
    let setup = root.join("scripts/emulator-setup");
    if !setup.exists() {
        return Err(format!(
            "the emulator's installer {} is not here; set WARMSTANDBY_EMULATOR_PYTHON to a python with moto[server] 5.2.5",
            setup.display()
        ));
    }
    let venv =
        std::env::var_os("WARMSTANDBY_EMULATOR_VENV").map(PathBuf::from).unwrap_or_else(|| root.join(".emulator/venv"));
    if !venv.join("bin/python").exists() {
        say("installing the local AWS emulator (pinned moto[server]) into its venv; once only, about a minute");
    }
    let out = Command::new(&setup)
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", setup.display()))?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        return Err(format!(
            "{} failed ({}); it needs Python 3.9+ with venv and access to PyPI: {}",
            setup.display(),
            out.status,
            stderr.lines().last().unwrap_or_default()
        ));
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    stdout
        .lines()
        .last()
        .map(|l| PathBuf::from(l.trim()))
        .filter(|p| p.exists())
        .ok_or_else(|| format!("{} did not name the emulator's python", setup.display()))
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
