//! The command line: commands, their arguments and their defaults.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::{demo, graph, standalone};

#[derive(Parser, Debug)]
#[command(
    name = "warmstandby",
    version,
    about = "Builds, watches and fails over two-region warm-standby three-tier stacks on AWS"
)]
pub struct Cli {
    /// AWS endpoint (e.g. the local emulator); default: AWS_ENDPOINT_URL, else AWS.
    #[arg(long, global = true, env = "WARMSTANDBY_ENDPOINT_URL")]
    pub endpoint_url: Option<String>,
    /// Print the AWS calls made, by service and operation, to stderr.
    #[arg(long, global = true)]
    pub show_calls: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// The whole job on the local AWS emulator: build the example stack in
    /// both regions, show it, draw it, drill, fail over, fail back, destroy.
    Demo(demo::DemoArgs),
    /// Find what a region pair already runs (VPCs and subnets by tier, the
    /// MySQL writer and its cross-region replica) and print a RegionPair over
    /// those networks, observe only, with what was guessed and what could
    /// not be decided as comments. Reads only. Exit code 0 complete, 2 partial, 1 error.
    Discover {
        /// The primary region, e.g. `us-east-1`.
        #[arg(long)]
        primary: String,
        /// The standby region, e.g. `us-west-2`.
        #[arg(long)]
        standby: String,
        /// The RegionPair's name.
        #[arg(long, default_value = "existing")]
        name: String,
    },
    /// Print the CustomResourceDefinitions as YAML.
    Crd,
    /// Check manifests and report every error with its field path.
    Validate {
        /// A manifest file or a directory of them (repeatable).
        #[arg(short = 'f', long = "filename", required = true)]
        paths: Vec<PathBuf>,
    },
    /// Show what `apply` would change in AWS (`+` create, `~` change, `-` delete,
    /// `!` repair); exit code 0 no changes, 2 changes, 1 error. With
    /// `--offline`, list every resource the manifests describe, in creation order.
    Plan {
        #[arg(short = 'f', long = "filename", required = true)]
        paths: Vec<PathBuf>,
        /// Compute the desired topology only, without reading AWS.
        #[arg(long)]
        offline: bool,
        #[arg(short = 'o', long = "output", value_enum, default_value_t = OutputFormat::Text)]
        output: OutputFormat,
    },
    /// Create or repair everything the manifests describe.
    Apply {
        #[arg(short = 'f', long = "filename", required = true)]
        paths: Vec<PathBuf>,
        #[command(flatten)]
        wait: standalone::WaitOptions,
    },
    /// Observe AWS and print the status the operator would write.
    Status {
        #[arg(short = 'f', long = "filename", required = true)]
        paths: Vec<PathBuf>,
        #[arg(short = 'o', long = "output", value_enum, default_value_t = OutputFormat::Text)]
        output: OutputFormat,
        /// Redraw every few seconds until Ctrl-C.
        #[arg(long)]
        watch: bool,
        /// How often `--watch` redraws.
        #[arg(long, default_value = "5s", value_parser = standalone::parse_duration)]
        interval: std::time::Duration,
    },
    /// Draw the architecture of a stack: regions side by side, tiers as rows,
    /// the global services on top, health, drift and the active path.
    Graph {
        #[arg(short = 'f', long = "filename", required = true)]
        paths: Vec<PathBuf>,
        #[arg(long, value_enum, default_value_t = graph::Format::Mermaid)]
        format: graph::Format,
        /// Write to this file instead of stdout.
        #[arg(short = 'o', long = "output")]
        output: Option<PathBuf>,
        /// Draw the manifests alone, without reading AWS.
        #[arg(long)]
        offline: bool,
        /// The stack to draw (`namespace/name` or `name`); default: every stack.
        #[arg(long)]
        stack: Option<String>,
    },
    /// Run the Kubernetes operator (in-cluster config or KUBECONFIG).
    Operator(Box<OperatorArgs>),
    /// Move a stack's traffic and writer to the other region, the safe way:
    /// guards, fence, promote, scale, switch, verify.
    Failover {
        #[arg(short = 'f', long = "filename", required = true)]
        paths: Vec<PathBuf>,
        /// The stack, as `namespace/name` or `name`.
        #[arg(long)]
        stack: String,
        /// The region role to serve from.
        #[arg(long, value_enum)]
        to: Role,
        /// Promote even above the RPO budget or without a zero lag (data may be lost).
        #[arg(long)]
        force: bool,
        /// Run every guard and readiness check, change nothing.
        #[arg(long)]
        dry_run: bool,
        #[arg(long, default_value = "30m", value_parser = standalone::parse_duration)]
        timeout: std::time::Duration,
    },
    /// Check the standby could take over (every guard and readiness check,
    /// no traffic moved) and print the predicted RTO.
    Drill {
        #[arg(short = 'f', long = "filename", required = true)]
        paths: Vec<PathBuf>,
        /// Only this stack (`namespace/name` or `name`).
        #[arg(long)]
        stack: Option<String>,
    },
    /// Delete everything the manifests own (unless deletionPolicy is Retain).
    Destroy {
        #[arg(short = 'f', long = "filename", required = true)]
        paths: Vec<PathBuf>,
        #[command(flatten)]
        wait: standalone::WaitOptions,
    },
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Primary,
    Standby,
}

impl From<Role> for warmstandby_api::RegionRole {
    fn from(r: Role) -> Self {
        match r {
            Role::Primary => warmstandby_api::RegionRole::Primary,
            Role::Standby => warmstandby_api::RegionRole::Standby,
        }
    }
}

#[derive(clap::Args, Debug)]
pub struct OperatorArgs {
    /// Manage ThreeTierStacks and FailoverPolicies of this namespace only.
    #[arg(long, env = "WARMSTANDBY_NAMESPACE")]
    pub namespace: Option<String>,
    /// Manage only objects matching this label selector (split a fleet over deployments).
    #[arg(long, env = "WARMSTANDBY_SELECTOR")]
    pub selector: Option<String>,
    /// Steady-state drift resync interval.
    #[arg(long, default_value = "5m", value_parser = standalone::parse_duration)]
    pub resync: std::time::Duration,
    /// How long one AWS listing of a kind serves every stack's pass in a
    /// region. Our own changes reload it at once. A steady resync of a stack
    /// no policy watches takes listings up to half the resync interval old,
    /// so a fleet's resync reads each kind once; changes made outside are
    /// seen within one and a half resync intervals. Failure signals of a
    /// stack being watched, changed or moved are never older than five
    /// seconds. 0s: only passes running at once share a read.
    #[arg(long, default_value = "30s", value_parser = standalone::parse_duration)]
    pub shared_read_window: std::time::Duration,
    /// Objects reconciled at once.
    #[arg(long, default_value_t = 4)]
    pub concurrency: u16,
    /// Elect a leader through a Lease, so several replicas can run.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    pub leader_elect: bool,
    #[arg(long, env = "POD_NAMESPACE", default_value = "warmstandby-system")]
    pub lease_namespace: String,
    #[arg(long, default_value = "warmstandby-operator")]
    pub lease_name: String,
    /// How long a leader's lease lasts without renewal (renewed every third of it);
    /// a standby replica takes over within this time after the leader dies.
    #[arg(long, default_value = "15s", value_parser = standalone::parse_duration)]
    pub lease_duration: std::time::Duration,
    /// This replica's identity in the lease (default: POD_NAME, else the hostname).
    #[arg(long, env = "POD_NAME")]
    pub identity: Option<String>,
    /// Address of /metrics, /healthz and /readyz.
    #[arg(long, default_value = "0.0.0.0:8080")]
    pub http_addr: std::net::SocketAddr,
    /// Log format (level from RUST_LOG).
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// Serve the validating admission webhook (TLS) on this address; off when unset.
    #[arg(long)]
    pub webhook_addr: Option<std::net::SocketAddr>,
    /// Serve the certificate in this directory (`tls.crt`, `tls.key`; e.g.
    /// cert-manager's Secret mounted there) instead of the operator's own.
    #[arg(long)]
    pub webhook_cert_dir: Option<PathBuf>,
    /// The operator's own certificate: kept in this Secret of the lease namespace.
    #[arg(long, default_value = "warmstandby-webhook-tls")]
    pub webhook_secret: String,
    /// The operator's own certificate: its CA is written into this ValidatingWebhookConfiguration.
    #[arg(long, default_value = "warmstandby")]
    pub webhook_configuration: String,
    /// The names the certificate is for (default: the webhook Service's DNS
    /// names, `<--webhook-service>.<namespace>.svc`); comma-separated, IPs allowed.
    #[arg(long, value_delimiter = ',')]
    pub webhook_hosts: Vec<String>,
    /// The webhook's Service, for the certificate's default names.
    #[arg(long, default_value = "warmstandby-webhook")]
    pub webhook_service: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Text,
    Json,
    Yaml,
}
