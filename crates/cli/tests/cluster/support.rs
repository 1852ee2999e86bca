//! Scenario support: the shared real API server, the chart's RBAC, the
//! `warmstandby operator` binary as a process impersonating the chart's
//! ServiceAccount, an emulator per scenario, and the example objects.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{Namespace, Secret, ServiceAccount};
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, Role, RoleBinding};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{DeleteParams, Patch, PatchParams, PostParams};
use kube::{Api, Client, Resource, ResourceExt};
use serde::de::DeserializeOwned;
use tokio::sync::{Mutex, MutexGuard, OnceCell};
use warmstandby_api::{FailoverPolicy, RegionPair, ThreeTierStack};
use warmstandby_tests::cluster::{ApiServer, free_port};
use warmstandby_tests::{Emulator, repo_root};

/// The operator's namespace in the chart (ServiceAccount, lease Role).
pub const SYSTEM_NS: &str = "warmstandby-system";
pub const SERVICE_ACCOUNT: &str = "warmstandby";
/// Every scenario labels its objects and runs its operators with a selector
/// on this label, so scenarios on the shared API server never see each other.
pub const SCENARIO_LABEL: &str = "warmstandby.dev/test-scenario";
const MANAGER: &str = "warmstandby-cluster-test";

/// Scenarios run one at a time: each starts operators and measures timings.
static SERIAL: Mutex<()> = Mutex::const_new(());
static INSTALLED: OnceCell<()> = OnceCell::const_new();

pub fn example<T: DeserializeOwned>(file: &str) -> T {
    let path = repo_root().join("deploy/examples").join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Server-side apply of a cluster-scoped object.
pub async fn apply<K>(client: &Client, obj: &K)
where
    K: Resource<DynamicType = (), Scope = k8s_openapi::ClusterResourceScope>
        + Clone
        + serde::Serialize
        + DeserializeOwned
        + std::fmt::Debug,
{
    apply_with(&Api::all(client.clone()), obj).await;
}

/// Server-side apply of a namespaced object, in its namespace.
pub async fn apply_namespaced<K>(client: &Client, obj: &K)
where
    K: Resource<DynamicType = (), Scope = k8s_openapi::NamespaceResourceScope>
        + Clone
        + serde::Serialize
        + DeserializeOwned
        + std::fmt::Debug,
{
    apply_with(&Api::namespaced(client.clone(), &obj.namespace().unwrap_or_default()), obj).await;
}

async fn apply_with<K>(api: &Api<K>, obj: &K)
where
    K: Resource<DynamicType = ()> + Clone + serde::Serialize + DeserializeOwned + std::fmt::Debug,
{
    api.patch(&obj.name_any(), &PatchParams::apply(MANAGER).force(), &Patch::Apply(obj))
        .await
        .unwrap_or_else(|e| panic!("applying {} {}: {e}", K::kind(&()), obj.name_any()));
}

/// Polls `check` every 200 ms until it holds; panics after `limit` saying what it waited for.
pub async fn wait_for<F, Fut>(what: &str, limit: Duration, mut check: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    while !check().await {
        assert!(started.elapsed() < limit, "timed out after {limit:?} waiting for {what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    started.elapsed()
}

/// The CRDs (server-side apply, then Established) and the chart's RBAC and
/// namespace, from the rendered chart in `deploy/operator.yaml`.
async fn install(admin: &Client) {
    let crds: Api<CustomResourceDefinition> = Api::all(admin.clone());
    for crd in warmstandby_api::all_crds() {
        apply(admin, &crd).await;
    }
    for crd in warmstandby_api::all_crds() {
        let name = crd.name_any();
        wait_for(&format!("CRD {name} to be Established"), Duration::from_secs(30), || async {
            crds.get(&name).await.ok().and_then(|c| c.status).is_some_and(|s| {
                s.conditions.unwrap_or_default().iter().any(|c| c.type_ == "Established" && c.status == "True")
            })
        })
        .await;
    }
    // Established is not yet served everywhere: wait until each kind lists.
    wait_for("the new kinds to be served", Duration::from_secs(30), || async {
        Api::<RegionPair>::all(admin.clone()).list(&Default::default()).await.is_ok()
            && Api::<ThreeTierStack>::all(admin.clone()).list(&Default::default()).await.is_ok()
            && Api::<FailoverPolicy>::all(admin.clone()).list(&Default::default()).await.is_ok()
    })
    .await;
    let mut ns = Namespace::default();
    ns.metadata.name = Some(SYSTEM_NS.into());
    apply(admin, &ns).await;
    for (kind, doc) in chart_documents() {
        match kind.as_str() {
            "ServiceAccount" => apply_namespaced(admin, &from_value::<ServiceAccount>(doc)).await,
            "ClusterRole" => apply(admin, &from_value::<ClusterRole>(doc)).await,
            "ClusterRoleBinding" => apply(admin, &from_value::<ClusterRoleBinding>(doc)).await,
            "Role" => apply_namespaced(admin, &from_value::<Role>(doc)).await,
            "RoleBinding" => apply_namespaced(admin, &from_value::<RoleBinding>(doc)).await,
            _ => {}
        }
    }
}

fn from_value<T: DeserializeOwned>(v: serde_json::Value) -> T {
    serde_json::from_value(v).unwrap_or_else(|e| panic!("deploy/operator.yaml: {e}"))
}

/// The documents of `deploy/operator.yaml` (rendered from the chart; a test
/// of the offline tier keeps the two equal), as (kind, document).
pub fn chart_documents() -> Vec<(String, serde_json::Value)> {
    let path = repo_root().join("deploy/operator.yaml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_yaml::Deserializer::from_str(&text)
        .filter_map(|d| serde_json::Value::deserialize(d).ok())
        .filter(|v| v.is_object())
        .map(|v| (v["kind"].as_str().unwrap_or_default().to_string(), v))
        .collect()
}

use serde::Deserialize as _;

/// One scenario: its own namespace, RegionPair name, emulator and lease;
/// holds the serial lock for its lifetime.
pub struct Scenario {
    _serial: MutexGuard<'static, ()>,
    pub name: String,
    pub ns: String,
    pub pair: String,
    pub lease: String,
    pub api: &'static ApiServer,
    pub admin: Client,
    pub emulator: Emulator,
    /// Kubeconfig impersonating the chart's ServiceAccount.
    pub operator_kubeconfig: PathBuf,
    /// The emulator's contents before anything was applied.
    pub baseline: BTreeMap<String, usize>,
    /// The operator's and the CLI's AWS identity: an IAM user holding exactly
    /// `deploy/iam-policy.json`, on an emulator that enforces IAM and AWS's
    /// request rates (access key ID, secret).
    pub aws_key: (String, String),
}

/// The example objects, renamed into a scenario.
pub struct Examples {
    pub secret: Secret,
    pub pair: RegionPair,
    pub policy: FailoverPolicy,
    pub stack: ThreeTierStack,
}

impl Scenario {
    pub async fn start(name: &str) -> Scenario {
        Scenario::start_with(name, warmstandby_tests::Clock::Instant).await
    }

    /// A scenario whose emulator models AWS's time on `clock`.
    pub async fn start_with(name: &str, clock: warmstandby_tests::Clock) -> Scenario {
        let serial = SERIAL.lock().await;
        warmstandby_controller::install_crypto_provider();
        let api = ApiServer::shared().await;
        let admin = api.client().await.unwrap_or_else(|e| panic!("admin client: {e}"));
        INSTALLED.get_or_init(|| install(&admin)).await;
        let suffix = format!("{:x}", std::process::id());
        let ns = format!("{name}-{suffix}");
        let mut namespace = Namespace::default();
        namespace.metadata.name = Some(ns.clone());
        apply(&admin, &namespace).await;
        let emulator = Emulator::try_start_with(clock)
            .unwrap_or_else(|e| panic!("the local AWS emulator could not be started: {e}"));
        let baseline = warmstandby_tests::census::census(&emulator).await;
        // As on AWS: the operator holds only its policy, and AWS throttles.
        let policy = std::fs::read_to_string(warmstandby_tests::repo_root().join("deploy/iam-policy.json"))
            .unwrap_or_else(|e| panic!("deploy/iam-policy.json: {e}"));
        let aws_key = emulator.iam_user("warmstandby-operator", &policy).await;
        emulator.set_iam_enforced(true);
        emulator.set_throttling(true, true);
        let lease = format!("ws-{name}");
        // A lease left by an earlier scenario's operator must not delay this one.
        let leases: Api<Lease> = Api::namespaced(admin.clone(), SYSTEM_NS);
        let _ = leases.delete(&lease, &DeleteParams::default()).await;
        Scenario {
            _serial: serial,
            name: name.to_string(),
            pair: format!("classic-{name}-{suffix}"),
            ns,
            lease,
            operator_kubeconfig: api.kubeconfig_for_service_account(SYSTEM_NS, SERVICE_ACCOUNT),
            api,
            admin,
            emulator,
            baseline,
            aws_key,
        }
    }

    fn labelled<K: Resource>(&self, obj: &mut K) {
        obj.meta_mut().labels.get_or_insert_with(Default::default).insert(SCENARIO_LABEL.into(), self.name.clone());
    }

    /// The examples in this scenario's namespace, with its RegionPair name and label.
    pub fn examples(&self) -> Examples {
        let mut secret: Secret = example("00-secret.yaml");
        secret.metadata.namespace = Some(self.ns.clone());
        let mut pair: RegionPair = example("10-regionpair.yaml");
        pair.metadata.name = Some(self.pair.clone());
        self.labelled(&mut pair);
        let mut policy: FailoverPolicy = example("20-failoverpolicy.yaml");
        policy.metadata.namespace = Some(self.ns.clone());
        self.labelled(&mut policy);
        let mut stack: ThreeTierStack = example("30-bookstore.yaml");
        stack.metadata.namespace = Some(self.ns.clone());
        stack.spec.region_pair_ref.name = self.pair.clone();
        self.labelled(&mut stack);
        Examples { secret, pair, policy, stack }
    }

    pub fn stacks(&self) -> Api<ThreeTierStack> {
        Api::namespaced(self.admin.clone(), &self.ns)
    }

    pub fn pairs(&self) -> Api<RegionPair> {
        Api::all(self.admin.clone())
    }

    pub fn policies(&self) -> Api<FailoverPolicy> {
        Api::namespaced(self.admin.clone(), &self.ns)
    }

    pub fn secrets(&self) -> Api<Secret> {
        Api::namespaced(self.admin.clone(), &self.ns)
    }

    /// Creates the examples the way `kubectl apply -f deploy/examples/` would.
    pub async fn create(&self, ex: &Examples) {
        let pp = PostParams::default();
        self.secrets().create(&pp, &ex.secret).await.expect("create the Secret");
        self.pairs().create(&pp, &ex.pair).await.expect("create the RegionPair");
        self.policies().create(&pp, &ex.policy).await.expect("create the FailoverPolicy");
        self.stacks().create(&pp, &ex.stack).await.expect("create the ThreeTierStack");
    }

    /// The stack, as the API server has it.
    pub async fn stack(&self, name: &str) -> ThreeTierStack {
        self.stacks().get(name).await.unwrap_or_else(|e| panic!("get stack {name}: {e}"))
    }

    /// Waits for `kubectl wait --for=condition=Ready`: Ready=True observed at
    /// the object's current generation.
    pub async fn wait_ready(&self, name: &str, limit: Duration) -> Duration {
        let stacks = self.stacks();
        wait_for(&format!("ThreeTierStack {}/{name} to be Ready", self.ns), limit, || async {
            stacks.get(name).await.ok().is_some_and(|s| is_ready(&s))
        })
        .await
    }

    /// Deletes every example object (the order kubectl would use for a
    /// directory does not matter) and waits until all are gone.
    pub async fn delete_all(&self, stack: &str, limit: Duration) -> Duration {
        let started = Instant::now();
        let dp = DeleteParams::default();
        let _ = self.stacks().delete(stack, &dp).await;
        let _ = self.policies().delete("bookstore", &dp).await;
        let _ = self.pairs().delete(&self.pair, &dp).await;
        let _ = self.secrets().delete("bookstore-db", &dp).await;
        let (stacks, policies, pairs) = (self.stacks(), self.policies(), self.pairs());
        let left = || async {
            let mut left = Vec::new();
            if stacks.get_opt(stack).await.ok().flatten().is_some() {
                left.push("ThreeTierStack");
            }
            if policies.get_opt("bookstore").await.ok().flatten().is_some() {
                left.push("FailoverPolicy");
            }
            if pairs.get_opt(&self.pair).await.ok().flatten().is_some() {
                left.push("RegionPair");
            }
            left
        };
        while !left().await.is_empty() {
            assert!(started.elapsed() < limit, "after {limit:?}, still there: {:?}", left().await);
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        started.elapsed()
    }

    /// What the emulator holds beyond its baseline (empty: nothing left).
    pub async fn leftovers(&self) -> Vec<String> {
        let now = warmstandby_tests::census::census(&self.emulator).await;
        warmstandby_tests::census::differences(&self.baseline, &now)
    }

    /// Starts `warmstandby operator` as the chart's ServiceAccount, managing
    /// this scenario's objects.
    pub fn operator(&self, identity: &str, extra: &[&str]) -> Operator {
        Operator::start(self, &self.operator_kubeconfig, identity, extra)
    }

    /// Starts the operator the way the chart's Deployment runs it: the
    /// Deployment's arguments and environment (the HTTP port, selector and
    /// lease made the scenario's own), authenticated as the chart's
    /// ServiceAccount by a token from the TokenRequest API, with in-cluster
    /// configuration: the service host and port variables, and the token, CA
    /// and namespace at the standard path, mounted in a private mount
    /// namespace (`unshare`). No kubeconfig: the RBAC the API server applies
    /// is the ServiceAccount's own.
    pub async fn operator_in_cluster(&self, identity: &str) -> Operator {
        // The Deployment as the chart renders it.
        let deployment = chart_documents()
            .into_iter()
            .find(|(kind, _)| kind == "Deployment")
            .map(|(_, d)| d)
            .unwrap_or_else(|| panic!("deploy/operator.yaml has no Deployment"));
        self.operator_in_cluster_as(identity, SYSTEM_NS, SERVICE_ACCOUNT, &deployment).await
    }

    /// As [`Scenario::operator_in_cluster`], as ServiceAccount
    /// `namespace/account` with `deployment`'s container (for example the
    /// one a Helm release created on the API server).
    pub async fn operator_in_cluster_as(
        &self,
        identity: &str,
        namespace: &str,
        account: &str,
        deployment: &serde_json::Value,
    ) -> Operator {
        let request = serde_json::json!({
            "apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
            "spec": {"expirationSeconds": 3600}
        });
        let req = http::Request::post(format!("/api/v1/namespaces/{namespace}/serviceaccounts/{account}/token"))
            .header("Content-Type", "application/json")
            .body(serde_json::to_vec(&request).unwrap_or_default())
            .unwrap_or_else(|e| panic!("a token request: {e}"));
        let answer = self.admin.request_text(req).await.unwrap_or_else(|e| panic!("TokenRequest: {e}"));
        let answer: serde_json::Value = serde_json::from_str(&answer).unwrap_or_else(|e| panic!("TokenRequest: {e}"));
        let token = answer["status"]["token"].as_str().unwrap_or_else(|| panic!("no token: {answer}")).to_string();
        let secrets = self.api.dir.join(format!("sa-{}-{identity}", self.name));
        std::fs::create_dir_all(&secrets).unwrap_or_else(|e| panic!("{}: {e}", secrets.display()));
        std::fs::write(secrets.join("token"), token).unwrap_or_else(|e| panic!("token: {e}"));
        std::fs::copy(self.api.dir.join("ca.crt"), secrets.join("ca.crt")).unwrap_or_else(|e| panic!("ca.crt: {e}"));
        std::fs::write(secrets.join("namespace"), namespace).unwrap_or_else(|e| panic!("namespace: {e}"));
        let admin = std::fs::read_to_string(&self.api.kubeconfig).unwrap_or_default();
        let server = admin.lines().find_map(|l| l.trim().strip_prefix("server: ")).unwrap_or_default().to_string();
        let (host, port) = server
            .trim_start_matches("https://")
            .rsplit_once(':')
            .map(|(h, p)| (h.to_string(), p.to_string()))
            .unwrap_or_else(|| panic!("the API server's address in {server:?}"));

        let container = &deployment["spec"]["template"]["spec"]["containers"][0];
        let metrics_port = free_port();
        let mut args: Vec<String> = container["args"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|a| a.as_str())
            .filter(|a| !a.starts_with("--http-addr=") && !a.starts_with("--lease-name="))
            .map(|a| match a.strip_prefix("--webhook-addr=") {
                // On loopback, at a port of its own, as every test's traffic.
                Some(_) => format!("--webhook-addr=127.0.0.1:{}", free_port()),
                None => a.to_string(),
            })
            .collect();
        args.extend([
            format!("--http-addr=127.0.0.1:{metrics_port}"),
            format!("--lease-name={}", self.lease),
            format!("--selector={SCENARIO_LABEL}={}", self.name),
            format!("--identity={identity}"),
        ]);
        let log = self.api.dir.join(format!("operator-{}-{identity}.log", self.name));
        let file = std::fs::File::create(&log).unwrap_or_else(|e| panic!("{}: {e}", log.display()));
        let err = file.try_clone().unwrap_or_else(|e| panic!("{}: {e}", log.display()));
        // The standard path is /var/run/secrets/kubernetes.io/serviceaccount
        // (/var/run is /run): a tmpfs over /run in this process's own mount
        // namespace, the directory made there, the files bound onto it.
        let script = "mount -t tmpfs tmpfs /run && mkdir -p /run/secrets/kubernetes.io/serviceaccount \
                      && mount --bind \"$0\" /run/secrets/kubernetes.io/serviceaccount && exec \"$@\"";
        let mut cmd = Command::new("unshare");
        cmd.args(["--mount", "--map-root-user", "sh", "-c", script])
            .arg(&secrets)
            .arg(env!("CARGO_BIN_EXE_warmstandby"))
            .args(&args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &secrets)
            .env("KUBERNETES_SERVICE_HOST", &host)
            .env("KUBERNETES_SERVICE_PORT", &port)
            .env("POD_NAME", identity)
            .env("POD_NAMESPACE", namespace)
            .env("AWS_ENDPOINT_URL", &self.emulator.endpoint)
            .env("AWS_ACCESS_KEY_ID", &self.aws_key.0)
            .env("AWS_SECRET_ACCESS_KEY", &self.aws_key.1)
            .stdin(Stdio::null())
            .stdout(file)
            .stderr(err);
        for e in container["env"].as_array().into_iter().flatten() {
            if let (Some(name), Some(value)) = (e["name"].as_str(), e["value"].as_str()) {
                cmd.env(name, value);
            }
        }
        let child = cmd.spawn().unwrap_or_else(|e| panic!("cannot start the operator in a mount namespace: {e}"));
        Operator { child: Some(child), identity: identity.to_string(), metrics_port, log }
    }

    /// Starts the operator with another kubeconfig (another ServiceAccount).
    pub fn operator_as(&self, kubeconfig: &std::path::Path, identity: &str, extra: &[&str]) -> Operator {
        Operator::start(self, kubeconfig, identity, extra)
    }
}

pub fn is_ready(s: &ThreeTierStack) -> bool {
    let generation = s.metadata.generation;
    s.status.as_ref().is_some_and(|st| {
        st.observed_generation == generation
            && st.conditions.iter().any(|c| {
                c.type_ == "Ready"
                    && c.status == "True"
                    && (c.observed_generation.is_none() || c.observed_generation == generation)
            })
    })
}

/// A `warmstandby operator` process; killed (SIGKILL) when dropped.
pub struct Operator {
    child: Option<Child>,
    pub identity: String,
    pub metrics_port: u16,
    pub log: PathBuf,
}

impl Operator {
    fn start(s: &Scenario, kubeconfig: &std::path::Path, identity: &str, extra: &[&str]) -> Operator {
        let metrics_port = free_port();
        let log = s.api.dir.join(format!("operator-{}-{identity}.log", s.name));
        let file = std::fs::File::create(&log).unwrap_or_else(|e| panic!("{}: {e}", log.display()));
        let err = file.try_clone().unwrap_or_else(|e| panic!("{}: {e}", log.display()));
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_warmstandby"));
        cmd.arg("operator")
            .arg("--selector")
            .arg(format!("{SCENARIO_LABEL}={}", s.name))
            .args(if extra.contains(&"--lease-namespace") { vec![] } else { vec!["--lease-namespace", SYSTEM_NS] })
            .arg("--lease-name")
            .arg(&s.lease)
            .arg("--identity")
            .arg(identity)
            .arg("--http-addr")
            .arg(format!("127.0.0.1:{metrics_port}"))
            .args(extra)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("KUBECONFIG", kubeconfig)
            .env("AWS_ENDPOINT_URL", &s.emulator.endpoint)
            .env("AWS_ACCESS_KEY_ID", &s.aws_key.0)
            .env("AWS_SECRET_ACCESS_KEY", &s.aws_key.1)
            .env("AWS_REGION", "us-east-1")
            .env("RUST_LOG", "info,warmstandby_controller::operator::reconcilers=debug")
            .stdin(Stdio::null())
            .stdout(file)
            .stderr(err);
        let child = cmd.spawn().unwrap_or_else(|e| panic!("cannot start the operator: {e}"));
        Operator { child: Some(child), identity: identity.to_string(), metrics_port, log }
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// SIGKILL: a crash, no cleanup.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Waits for the process to exit by itself; its exit code, or None at the deadline.
    pub async fn wait_exit(&mut self, limit: Duration) -> Option<i32> {
        let started = Instant::now();
        while started.elapsed() < limit {
            if let Some(status) = self.child.as_mut().and_then(|c| c.try_wait().ok().flatten()) {
                return Some(status.code().unwrap_or(-1));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        None
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The last lines of the log, for failure messages.
    pub fn log_tail(&self, lines: usize) -> String {
        let text = self.log_text();
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }

    /// GET /metrics (tries for a few seconds: a busy operator may answer
    /// late; empty, and the error printed, when it never does).
    pub fn metrics(&self) -> String {
        let mut last = None;
        for _ in 0..20 {
            match http_get(self.metrics_port, "/metrics") {
                Ok(text) => return text,
                Err(e) => last = Some(e),
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        eprintln!("GET /metrics of operator {} failed: {last:?}", self.identity);
        String::new()
    }

    /// The sum of a metric's samples whose labels contain every `label=value` given.
    pub fn metric(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        metric_sum(&self.metrics(), name, labels)
    }

    /// Resident and peak resident memory (MiB) from /proc.
    pub fn memory_mib(&self) -> Option<(f64, f64)> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()?)).ok()?;
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
                .map(|kib| kib / 1024.0)
        };
        Some((field("VmRSS:")?, field("VmHWM:")?))
    }
}

impl Drop for Operator {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("--- operator {} log (tail) ---\n{}", self.identity, self.log_tail(40));
        }
        self.kill();
    }
}

pub fn metric_sum(text: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter(|l| l.starts_with(name) && l[name.len()..].starts_with(['{', ' ']))
        .filter(|l| labels.iter().all(|(k, v)| l.contains(&format!("{k}=\"{v}\""))))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

fn http_get(port: u16, path: &str) -> std::io::Result<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")?;
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    // Skip the status line and headers.
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 || line == "\r\n" || line == "\n" {
            break;
        }
    }
    let mut body = String::new();
    reader.read_to_string(&mut body)?;
    Ok(body)
}

/// The application's endpoints, which the operator's probes watch; stopping it is the disaster.
pub use warmstandby_tests::LoopbackEndpoint as Endpoint;

/// (kind of the object, reason, note) of the scenario's events.
pub async fn events(s: &Scenario) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for ns in [s.ns.as_str(), "default"] {
        let api: Api<k8s_openapi::api::events::v1::Event> = Api::namespaced(s.admin.clone(), ns);
        let list = api.list(&kube::api::ListParams::default()).await.expect("list events");
        for e in list.items {
            let regarding = e.regarding.clone().unwrap_or_default();
            // Cluster-scoped objects' events land in `default`: keep this scenario's pair only.
            if ns == "default" && regarding.name.as_deref() != Some(s.pair.as_str()) {
                continue;
            }
            out.push((
                regarding.kind.unwrap_or_default(),
                e.reason.clone().unwrap_or_default(),
                e.note.clone().unwrap_or_default(),
            ));
        }
    }
    out
}
