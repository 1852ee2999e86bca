//! A real Kubernetes API server for the cluster tier: upstream
//! `kube-apiserver` (built from Go modules by `scripts/cluster-setup`) with
//! etcd, both on loopback, RBAC on, no controller-manager.
//!
//! `ApiServer::shared()` starts one per test process on first use (certificates
//! made with `openssl`, free ports, an admin kubeconfig) and keeps it for the
//! process's lifetime; both servers exit when the test process does (each
//! runs under a shell that kills it when its stdin closes). With
//! `WARMSTANDBY_TEST_KUBECONFIG` set, that cluster is used instead (kind, k3d,
//! EKS): the same scenarios run against it.
//!
//! If the servers cannot be found or started, `shared()` panics with what to
//! run: the tier never passes without a real API server.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use kube::Client;
use kube::config::{KubeConfigOptions, Kubeconfig};
use tokio::sync::OnceCell;

const SETUP_HINT: &str = "run `scripts/cluster-setup` (builds upstream kube-apiserver from Go modules and installs \
     etcd into ~/.cache/warmstandby/cluster), or set WARMSTANDBY_CLUSTER_DIR to a directory holding `kube-apiserver` \
     and `etcd`, or WARMSTANDBY_TEST_KUBECONFIG to the kubeconfig of a cluster to test against";

/// Scratch directories are named by the test process's pid.
const DIR_PREFIX: &str = "warmstandby-cluster-";

/// The servers die with their test process but its scratch directory (etcd's
/// data, logs) stays for a look after a failure; the next run removes those
/// of processes that are gone.
fn remove_stale_dirs() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        let Some(pid) = name.strip_prefix(DIR_PREFIX).and_then(|p| p.parse::<u32>().ok()) else { continue };
        if pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// How long the API server may take to answer /readyz.
const START_LIMIT: Duration = Duration::from_secs(90);

/// The running API server (or an external cluster) shared by a test process.
pub struct ApiServer {
    /// Admin kubeconfig (system:masters).
    pub kubeconfig: PathBuf,
    /// Scratch directory: certificates, kubeconfigs, logs.
    pub dir: PathBuf,
    /// The servers we started (none for an external cluster).
    processes: Vec<Child>,
    pub external: bool,
}

static SHARED: OnceCell<ApiServer> = OnceCell::const_new();

/// A free TCP port on 127.0.0.1 (the OS picks; released before use).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("no free loopback port: {e}"))
}

/// The directory holding `kube-apiserver` and `etcd`.
pub fn cluster_dir() -> PathBuf {
    std::env::var_os("WARMSTANDBY_CLUSTER_DIR").map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/warmstandby/cluster")
    })
}

fn run(cmd: &mut Command) -> Result<(), String> {
    let out = cmd.output().map_err(|e| format!("cannot run {cmd:?}: {e}"))?;
    if out.status.success() { Ok(()) } else { Err(format!("{cmd:?} failed: {}", String::from_utf8_lossy(&out.stderr))) }
}

/// CA, serving certificate (127.0.0.1), admin client certificate and the
/// service-account key pair, made with the openssl command.
fn make_certificates(dir: &Path) -> Result<(), String> {
    let ssl = |args: &[&str]| run(Command::new("openssl").args(args).current_dir(dir));
    let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
    ssl(&[
        &["req", "-x509"][..],
        &ec,
        &["-keyout", "ca.key", "-out", "ca.crt", "-days", "3", "-subj", "/CN=warmstandby-test-ca"],
    ]
    .concat())?;
    std::fs::write(dir.join("server.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n")
        .map_err(|e| e.to_string())?;
    std::fs::write(dir.join("client.ext"), "extendedKeyUsage=clientAuth\n").map_err(|e| e.to_string())?;
    for (name, subject, ext) in [
        ("server", "/CN=kube-apiserver", "server.ext"),
        ("admin", "/O=system:masters/CN=warmstandby-test-admin", "client.ext"),
    ] {
        let (key, csr, crt) = (format!("{name}.key"), format!("{name}.csr"), format!("{name}.crt"));
        ssl(&[&["req"][..], &ec, &["-keyout", &key, "-out", &csr, "-subj", subject]].concat())?;
        ssl(&[
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            &crt,
            "-days",
            "3",
            "-extfile",
            ext,
        ])?;
    }
    ssl(&["genrsa", "-out", "sa.key", "2048"])?;
    ssl(&["rsa", "-in", "sa.key", "-pubout", "-out", "sa.pub"])
}

/// Runs `program args` under a shell that kills it when our stdin pipe closes
/// (when the test process ends, however it ends). Output goes to `log`.
fn spawn_tied(program: &Path, args: &[String], log: &Path) -> Result<Child, String> {
    let log_file = std::fs::File::create(log).map_err(|e| format!("{}: {e}", log.display()))?;
    let err_file = log_file.try_clone().map_err(|e| e.to_string())?;
    Command::new("sh")
        .arg("-c")
        .arg(r#""$@" </dev/null & child=$!; read -r _; kill "$child" 2>/dev/null; wait "$child""#)
        .arg("sh")
        .arg(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(log_file)
        .stderr(err_file)
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", program.display()))
}

fn tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// A kubeconfig for `server` with the admin client certificate, optionally
/// impersonating `as_user` with `as_groups`.
fn kubeconfig_yaml(dir: &Path, server: &str, impersonate: Option<(&str, &[&str])>) -> String {
    let p = |f: &str| dir.join(f).display().to_string();
    let mut user = format!("    client-certificate: {}\n    client-key: {}\n", p("admin.crt"), p("admin.key"));
    if let Some((as_user, groups)) = impersonate {
        user.push_str(&format!("    as: {as_user}\n    as-groups:\n"));
        for g in groups {
            user.push_str(&format!("    - {g}\n"));
        }
    }
    format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: test\n  cluster:\n    server: {server}\n    certificate-authority: {}\n\
         users:\n- name: test\n  user:\n{user}contexts:\n- name: test\n  context:\n    cluster: test\n    user: test\n\
         current-context: test\n",
        p("ca.crt")
    )
}

impl ApiServer {
    /// The process-wide API server, started on first use. Panics with
    /// instructions when it cannot be had.
    pub async fn shared() -> &'static ApiServer {
        SHARED
            .get_or_init(|| async {
                match ApiServer::start().await {
                    Ok(s) => s,
                    Err(e) => {
                        panic!("the Kubernetes API server for the cluster tier could not be started: {e}\n{SETUP_HINT}")
                    }
                }
            })
            .await
    }

    async fn start() -> Result<ApiServer, String> {
        remove_stale_dirs();
        let dir = std::env::temp_dir().join(format!("{DIR_PREFIX}{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        if let Some(external) = std::env::var_os("WARMSTANDBY_TEST_KUBECONFIG") {
            let server = ApiServer { kubeconfig: PathBuf::from(external), dir, processes: Vec::new(), external: true };
            server.wait_ready(START_LIMIT).await?;
            return Ok(server);
        }
        let bin = cluster_dir();
        let (apiserver, etcd) = (bin.join("kube-apiserver"), bin.join("etcd"));
        for b in [&apiserver, &etcd] {
            if !b.exists() {
                return Err(format!("{} not found", b.display()));
            }
        }
        make_certificates(&dir)?;
        let (client_port, peer_port, secure_port) = (free_port(), free_port(), free_port());
        let etcd_url = format!("http://127.0.0.1:{client_port}");
        let peer_url = format!("http://127.0.0.1:{peer_port}");
        let etcd_args: Vec<String> = vec![
            "--name=test".into(),
            format!("--data-dir={}", dir.join("etcd").display()),
            format!("--listen-client-urls={etcd_url}"),
            format!("--advertise-client-urls={etcd_url}"),
            format!("--listen-peer-urls={peer_url}"),
            format!("--initial-advertise-peer-urls={peer_url}"),
            format!("--initial-cluster=test={peer_url}"),
            "--log-level=warn".into(),
            "--logger=zap".into(),
        ];
        let mut processes = vec![spawn_tied(&etcd, &etcd_args, &dir.join("etcd.log"))?];
        let p = |f: &str| dir.join(f).display().to_string();
        let api_args: Vec<String> = vec![
            format!("--etcd-servers={etcd_url}"),
            "--bind-address=127.0.0.1".into(),
            "--advertise-address=127.0.0.1".into(),
            format!("--secure-port={secure_port}"),
            format!("--tls-cert-file={}", p("server.crt")),
            format!("--tls-private-key-file={}", p("server.key")),
            format!("--client-ca-file={}", p("ca.crt")),
            format!("--service-account-key-file={}", p("sa.pub")),
            format!("--service-account-signing-key-file={}", p("sa.key")),
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local".into(),
            "--authorization-mode=Node,RBAC".into(),
            "--service-cluster-ip-range=10.96.0.0/24".into(),
            "--endpoint-reconciler-type=none".into(),
            format!("--cert-dir={}", p("serving")),
            "--profiling=false".into(),
            "--v=1".into(),
        ];
        // etcd answers within a second; the apiserver retries its connection.
        processes.push(spawn_tied(&apiserver, &api_args, &dir.join("kube-apiserver.log"))?);
        let kubeconfig = dir.join("admin.kubeconfig");
        std::fs::write(&kubeconfig, kubeconfig_yaml(&dir, &format!("https://127.0.0.1:{secure_port}"), None))
            .map_err(|e| e.to_string())?;
        let server = ApiServer { kubeconfig, dir: dir.clone(), processes, external: false };
        if let Err(e) = server.wait_ready(START_LIMIT).await {
            return Err(format!(
                "{e}\n--- kube-apiserver.log (tail) ---\n{}\n--- etcd.log (tail) ---\n{}",
                tail(&dir.join("kube-apiserver.log"), 30),
                tail(&dir.join("etcd.log"), 10)
            ));
        }
        Ok(server)
    }

    async fn wait_ready(&self, limit: Duration) -> Result<(), String> {
        let deadline = Instant::now() + limit;
        let mut last = String::new();
        while Instant::now() < deadline {
            match self.client().await {
                Ok(client) => {
                    let req = http::Request::get("/readyz").body(Vec::new()).map_err(|e| e.to_string())?;
                    match client.request_text(req).await {
                        Ok(body) if body.trim() == "ok" => return Ok(()),
                        Ok(body) => last = body,
                        Err(e) => last = e.to_string(),
                    }
                }
                Err(e) => last = e,
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        Err(format!("the API server was not ready within {limit:?}: {last}"))
    }

    /// A client with the admin kubeconfig.
    pub async fn client(&self) -> Result<Client, String> {
        client_for(&self.kubeconfig).await
    }

    /// Writes a kubeconfig that impersonates a ServiceAccount (the real API
    /// server then enforces that account's RBAC), and returns its path.
    pub fn kubeconfig_for_service_account(&self, namespace: &str, name: &str) -> PathBuf {
        let user = format!("system:serviceaccount:{namespace}:{name}");
        let groups = [
            "system:serviceaccounts".to_string(),
            format!("system:serviceaccounts:{namespace}"),
            "system:authenticated".to_string(),
        ];
        let groups: Vec<&str> = groups.iter().map(String::as_str).collect();
        let admin = std::fs::read_to_string(&self.kubeconfig).unwrap_or_default();
        let text = if self.external {
            // An external cluster: add the impersonation to its current user.
            let mut doc: serde_json::Value = serde_yaml::from_str(&admin).unwrap_or_default();
            if let Some(users) = doc.get_mut("users").and_then(|u| u.as_array_mut()) {
                for u in users {
                    if let Some(user_map) = u.get_mut("user").and_then(|m| m.as_object_mut()) {
                        user_map.insert("as".into(), user.clone().into());
                        user_map.insert("as-groups".into(), groups.clone().into());
                    }
                }
            }
            serde_yaml::to_string(&doc).unwrap_or_default()
        } else {
            let server = admin.lines().find_map(|l| l.trim().strip_prefix("server: ")).unwrap_or_default().to_string();
            kubeconfig_yaml(&self.dir, &server, Some((&user, &groups)))
        };
        let path = self.dir.join(format!("sa-{namespace}-{name}.kubeconfig"));
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        path
    }
}

/// A client from a kubeconfig file.
pub async fn client_for(path: &Path) -> Result<Client, String> {
    // The same provider choice as the binary (see install_crypto_provider).
    warmstandby_controller::install_crypto_provider();
    let kc = Kubeconfig::read_from(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let config =
        kube::Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default()).await.map_err(|e| e.to_string())?;
    Client::try_from(config).map_err(|e| e.to_string())
}

impl Drop for ApiServer {
    fn drop(&mut self) {
        for p in &mut self.processes {
            drop(p.stdin.take());
            let _ = p.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
