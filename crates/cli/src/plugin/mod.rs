//! `kubectl warmstandby`: the binary installed as `kubectl-warmstandby`
//! (krew's naming) works on the cluster's objects instead of manifest files.
//! It changes stacks only the way a person would (the spec's
//! `activeRegion`, the drill and approval annotations) and then follows the
//! operator's status and events: the operator stays the only writer of AWS.

mod follow;

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand};
use kube::api::{Patch, PatchParams};
use kube::{Api, Client};
use warmstandby_api::{
    ANNOTATION_APPROVE_FAILOVER, ANNOTATION_RUN_DRILL, FailoverPolicy, RegionPair, RegionRole, ThreeTierStack,
};

use crate::style::Style;
use crate::{EXIT_FAILURE, EXIT_INVALID, OutputFormat, Role, graph, standalone};

/// The names the binary answers to as a kubectl plugin.
pub const PLUGIN_NAME: &str = "kubectl-warmstandby";

/// Whether `argv0` (the program's name) is the plugin's.
pub fn is_plugin(argv0: &std::ffi::OsStr) -> bool {
    std::path::Path::new(argv0)
        .file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n == PLUGIN_NAME || n.strip_suffix(".exe") == Some(PLUGIN_NAME))
}

#[derive(Parser, Debug)]
#[command(
    name = "kubectl warmstandby",
    version,
    about = "Status, graph, drills and failovers of the cluster's ThreeTierStacks, through the operator"
)]
pub struct PluginCli {
    /// The stacks' namespace (default: the kubeconfig context's).
    #[arg(short = 'n', long, global = true)]
    pub namespace: Option<String>,
    /// The kubeconfig to use (default: KUBECONFIG, else ~/.kube/config, else in-cluster).
    #[arg(long, global = true)]
    pub kubeconfig: Option<PathBuf>,
    /// The kubeconfig context to use.
    #[arg(long, global = true)]
    pub context: Option<String>,
    #[command(subcommand)]
    pub command: PluginCommand,
}

#[derive(Subcommand, Debug)]
pub enum PluginCommand {
    /// The status the operator last wrote: phase, active region, drift, the move in flight.
    Status {
        stack: String,
        #[arg(short = 'o', long = "output", value_enum, default_value_t = OutputFormat::Text)]
        output: OutputFormat,
    },
    /// What an observed stack (`managementPolicy: Observe`, or paused) would
    /// change if managed, and its drift, as the operator last wrote them;
    /// exit code 0 nothing to change, 2 changes, 1 a managed stack or an error.
    Plan {
        stack: String,
        #[arg(short = 'o', long = "output", value_enum, default_value_t = OutputFormat::Text)]
        output: OutputFormat,
    },
    /// Draw the stack as the operator last saw it (health, drift, active path).
    Graph {
        stack: String,
        #[arg(long, value_enum, default_value_t = graph::Format::Mermaid)]
        format: graph::Format,
        /// Write to this file instead of stdout.
        #[arg(short = 'o', long = "output")]
        output: Option<PathBuf>,
    },
    /// Ask the operator for a drill (every guard and readiness check, nothing
    /// moved) and print its result.
    Drill {
        stack: String,
        /// How long to wait for the operator to run it.
        #[arg(long, default_value = "2m", value_parser = standalone::parse_duration)]
        timeout: Duration,
    },
    /// Ask the operator to move the stack's traffic and writer to `--to`
    /// (a planned switchover through `spec.activeRegion`) and follow its
    /// steps and events until it is done or refused.
    Failover {
        stack: String,
        /// The region role to serve from.
        #[arg(long, value_enum)]
        to: Role,
        /// How long to follow the move before giving up (the move goes on).
        #[arg(long, default_value = "30m", value_parser = standalone::parse_duration)]
        timeout: Duration,
        /// Follow a refused move on (each refusal is printed) until it is
        /// done or the timeout passes, instead of stopping at the refusal.
        #[arg(long)]
        wait: bool,
    },
    /// Approve the move waiting for approval (the annotation with the epoch it will take).
    Approve { stack: String },
}

/// Runs `kubectl warmstandby ...`; returns the process exit code.
pub async fn run<I, T>(args: I, out: &mut dyn Write, err: &mut dyn Write) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    warmstandby_controller::install_crypto_provider();
    let cli = match crate::parse_args::<PluginCli, _, _>(args, out, err) {
        Ok(cli) => cli,
        Err(code) => return code,
    };
    let (client, default_ns) = match connect(cli.kubeconfig.as_deref(), cli.context.as_deref()).await {
        Ok(c) => c,
        Err(e) => {
            let _ = writeln!(err, "error: cannot reach the cluster: {e}");
            return EXIT_FAILURE;
        }
    };
    let ns = cli.namespace.unwrap_or(default_ns);
    let stacks: Api<ThreeTierStack> = Api::namespaced(client.clone(), &ns);
    let result = match cli.command {
        PluginCommand::Status { stack, output } => status(&stacks, &stack, output, out).await,
        PluginCommand::Plan { stack, output } => plan(&stacks, &stack, output, out).await,
        PluginCommand::Graph { stack, format, output } => {
            draw(&client, &stacks, &stack, format, output.as_deref(), out).await
        }
        PluginCommand::Drill { stack, timeout } => follow::drill(&client, &stacks, &stack, timeout, out).await,
        PluginCommand::Failover { stack, to, timeout, wait } => {
            let following = follow::Following { timeout, through_refusals: wait };
            follow::failover(&client, &stacks, &stack, to.into(), following, out).await
        }
        PluginCommand::Approve { stack } => approve(&stacks, &stack, out).await,
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            e.code()
        }
    }
}

/// Why a plugin command could not do its job.
#[derive(Debug, thiserror::Error)]
pub enum PluginError {
    #[error("ThreeTierStack {namespace}/{name} not found")]
    NotFound { namespace: String, name: String },
    #[error("{0}")]
    Refused(String),
    #[error("{what}: {source}")]
    Kube { what: String, source: kube::Error },
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

impl PluginError {
    fn code(&self) -> u8 {
        match self {
            PluginError::NotFound { .. } | PluginError::Refused(_) => EXIT_INVALID,
            PluginError::Kube { .. } | PluginError::Io(_) => EXIT_FAILURE,
        }
    }

    pub(crate) fn kube(what: impl Into<String>) -> impl FnOnce(kube::Error) -> PluginError {
        let what = what.into();
        move |source| PluginError::Kube { what, source }
    }
}

async fn connect(kubeconfig: Option<&std::path::Path>, context: Option<&str>) -> Result<(Client, String), String> {
    let options = kube::config::KubeConfigOptions { context: context.map(str::to_string), ..Default::default() };
    let config = match kubeconfig {
        Some(path) => {
            let file = kube::config::Kubeconfig::read_from(path).map_err(|e| format!("{}: {e}", path.display()))?;
            kube::Config::from_custom_kubeconfig(file, &options).await.map_err(|e| e.to_string())?
        }
        None if context.is_some() => kube::Config::from_kubeconfig(&options).await.map_err(|e| e.to_string())?,
        None => kube::Config::infer().await.map_err(|e| e.to_string())?,
    };
    let namespace = config.default_namespace.clone();
    Ok((Client::try_from(config).map_err(|e| e.to_string())?, namespace))
}

pub(crate) async fn get(stacks: &Api<ThreeTierStack>, name: &str) -> Result<ThreeTierStack, PluginError> {
    stacks
        .get_opt(name)
        .await
        .map_err(PluginError::kube(format!("read ThreeTierStack {name}")))?
        .ok_or_else(|| PluginError::NotFound { namespace: stacks_namespace(stacks), name: name.to_string() })
}

fn stacks_namespace(stacks: &Api<ThreeTierStack>) -> String {
    stacks.resource_url().split('/').rev().nth(1).unwrap_or_default().to_string()
}

async fn status(
    stacks: &Api<ThreeTierStack>,
    name: &str,
    output: OutputFormat,
    out: &mut dyn Write,
) -> Result<u8, PluginError> {
    let st = get(stacks, name).await?;
    let Some(status) = st.status.as_ref() else {
        writeln!(out, "ThreeTierStack {name}: the operator has not reported on it yet")?;
        return Ok(EXIT_INVALID);
    };
    match output {
        OutputFormat::Text => write!(out, "{}", crate::status_view::stack(Style::for_stdout(), &st, status))?,
        OutputFormat::Json => writeln!(out, "{}", serde_json::to_string_pretty(status).unwrap_or_default())?,
        OutputFormat::Yaml => write!(out, "{}", serde_yaml::to_string(status).unwrap_or_default())?,
    }
    Ok(0)
}

/// An observed stack's plan and drift from its status.
async fn plan(
    stacks: &Api<ThreeTierStack>,
    name: &str,
    output: OutputFormat,
    out: &mut dyn Write,
) -> Result<u8, PluginError> {
    // Exit code 2 means changes here (as `warmstandby plan`): a failure is 1.
    let st = get(stacks, name).await.map_err(|e| match e {
        PluginError::Kube { .. } | PluginError::Io(_) => PluginError::Refused(e.to_string()),
        other => other,
    })?;
    let Some(hands_off) = st.spec.hands_off() else {
        return Err(PluginError::Refused(format!(
            "ThreeTierStack {name} is managed: the operator applies its changes as it finds them; \
             set spec.managementPolicy to Observe to review them first"
        )));
    };
    let Some((status, planned)) = st.status.as_ref().and_then(|s| s.planned.as_ref().map(|p| (s, p))) else {
        writeln!(out, "ThreeTierStack {name}: the operator has not planned it yet")?;
        return Ok(EXIT_INVALID);
    };
    let code = if planned.count > 0 || !status.drift.is_empty() { crate::plan_diff::HAS_CHANGES } else { 0 };
    let doc = || serde_json::json!({"planned": planned, "drift": status.drift});
    match output {
        OutputFormat::Json => writeln!(out, "{}", serde_json::to_string_pretty(&doc()).unwrap_or_default())?,
        OutputFormat::Yaml => write!(out, "{}", serde_yaml::to_string(&doc()).unwrap_or_default())?,
        OutputFormat::Text => {
            let why = match hands_off {
                warmstandby_api::HandsOff::Observe => "observe only (managementPolicy: Observe)",
                warmstandby_api::HandsOff::Paused => "paused (spec.paused)",
            };
            writeln!(out, "ThreeTierStack {name}: {why}; nothing is changed until it is managed")?;
            for c in &planned.changes {
                let sign = match c.action.as_str() {
                    "create" => '+',
                    "update" => '~',
                    "delete" => '-',
                    "repair" => '!',
                    _ => '>',
                };
                writeln!(out, "  {sign} {} {}: {}", c.region, c.kind, c.description)?;
            }
            let shown = planned.changes.len();
            let count = usize::try_from(planned.count).unwrap_or_default();
            if count > shown {
                writeln!(out, "  ... and {} more", count - shown)?;
            }
            for d in &status.drift {
                writeln!(
                    out,
                    "  drift: {} {} {} {}: {} (expected {})",
                    d.region, d.kind, d.resource, d.field, d.found, d.expected
                )?;
            }
            if let Some(note) = &planned.note {
                writeln!(out, "  ({note})")?;
            }
            writeln!(
                out,
                "{count} change(s), {} drift item(s). Set spec.managementPolicy to Manage to apply.",
                status.drift.len()
            )?;
        }
    }
    Ok(code)
}

/// The picture from the cluster's objects: the stack's topology from its
/// spec and RegionPair (no Secret is read: the picture needs no password),
/// its health from the status the operator wrote.
async fn draw(
    client: &Client,
    stacks: &Api<ThreeTierStack>,
    name: &str,
    format: graph::Format,
    output: Option<&std::path::Path>,
    out: &mut dyn Write,
) -> Result<u8, PluginError> {
    let st = get(stacks, name).await?;
    let pairs: Api<RegionPair> = Api::all(client.clone());
    let pair_name = &st.spec.region_pair_ref.name;
    let pair = pairs.get_opt(pair_name).await.map_err(PluginError::kube(format!("read RegionPair {pair_name}")))?;
    let policy = match &st.spec.failover_policy_ref {
        Some(r) => {
            let policies: Api<FailoverPolicy> = Api::namespaced(client.clone(), &stacks_namespace(stacks));
            policies.get_opt(&r.name).await.map_err(PluginError::kube(format!("read FailoverPolicy {}", r.name)))?
        }
        None => None,
    };
    let inputs = warmstandby_core::validate::StackInputs {
        stack: &st,
        region_pair: pair.as_ref(),
        policy: policy.as_ref(),
        password: warmstandby_core::secret::PasswordLookup::NotReferenced,
    };
    let validated = warmstandby_core::validate::validate_stack_for_teardown(inputs)
        .map_err(|e| PluginError::Refused(format!("ThreeTierStack {name} cannot be drawn: {}", e.to_message())))?;
    let topology = warmstandby_core::desired::stack_topology(&validated)
        .map_err(|e| PluginError::Refused(format!("ThreeTierStack {name}: {e}")))?;
    let title = format!("ThreeTierStack {}", crate::manifests::object_id(&st));
    let live =
        st.status.as_ref().map(|s| graph::Live { pair: pair.as_ref().and_then(|p| p.status.as_ref()), stack: s });
    let active = st.status.as_ref().and_then(|s| s.active_role).unwrap_or(st.spec.active_region);
    let text = graph::diagram(&title, &topology, active, live.as_ref()).render(format);
    match output {
        Some(path) => std::fs::write(path, text)?,
        None => write!(out, "{text}")?,
    }
    Ok(0)
}

/// Sets the approval annotation to the epoch the waiting move will take:
/// an approval of an older move does not let a later one through.
async fn approve(stacks: &Api<ThreeTierStack>, name: &str, out: &mut dyn Write) -> Result<u8, PluginError> {
    let st = get(stacks, name).await?;
    let status = st.status.clone().unwrap_or_default();
    let Some(waiting) = status.failover.as_ref().filter(|p| follow::refusal(p).is_some()) else {
        return Err(PluginError::Refused(format!("ThreeTierStack {name}: no move waits for approval")));
    };
    let epoch = (status.epoch + 1).to_string();
    let patch = serde_json::json!({"metadata": {"annotations": {ANNOTATION_APPROVE_FAILOVER: epoch}}});
    stacks
        .patch(name, &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .map_err(PluginError::kube(format!("annotate ThreeTierStack {name}")))?;
    writeln!(
        out,
        "approved the {} of {name} to the {} as epoch {epoch} ({ANNOTATION_APPROVE_FAILOVER}={epoch})",
        waiting.kind, waiting.to
    )?;
    Ok(0)
}

/// Requests a drill by a new value of the annotation.
pub(crate) fn drill_patch(token: &str) -> serde_json::Value {
    serde_json::json!({"metadata": {"annotations": {ANNOTATION_RUN_DRILL: token}}})
}

pub(crate) fn role_name(role: RegionRole) -> &'static str {
    match role {
        RegionRole::Primary => "primary",
        RegionRole::Standby => "standby",
    }
}
