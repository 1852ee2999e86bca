//! Where the demo's emulator comes from: the venv of `scripts/emulator-setup`
//! (installed by it when missing), running the launcher of `warmstandby_aws::local`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use warmstandby_aws::local::LocalEmulator;

/// The repository this binary was built from (for `scripts/emulator-setup`).
fn source_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Finds (or installs) the emulator's python and starts the emulator on a
/// free loopback port. `say` reports what takes time.
pub fn start(say: &mut dyn FnMut(&str)) -> Result<LocalEmulator, String> {
    let python = python(say)?;
    LocalEmulator::spawn(&python).map_err(|e| format!("the local AWS emulator could not be started: {e}"))
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
