//! The `warmstandby` command line: a library so tests run it in-process.
#![forbid(unsafe_code)]

pub mod check;
pub mod manifests;
pub mod render;
pub mod standalone;

use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

/// Exit code for invalid input (bad manifests, failed validation).
pub const EXIT_INVALID: u8 = 1;
/// Exit code for usage errors and failures outside the input.
pub const EXIT_FAILURE: u8 = 2;

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
    /// Print the CustomResourceDefinitions as YAML.
    Crd,
    /// Check manifests and report every error with its field path.
    Validate {
        /// A manifest file or a directory of them (repeatable).
        #[arg(short = 'f', long = "filename", required = true)]
        paths: Vec<PathBuf>,
    },
    /// Print every AWS resource the manifests describe, in creation order.
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
        /// Keep reconciling until Ready (or the timeout).
        #[arg(long)]
        wait: bool,
        #[arg(long, default_value = "30m", value_parser = standalone::parse_duration)]
        timeout: std::time::Duration,
    },
    /// Observe AWS and print the status the operator would write.
    Status {
        #[arg(short = 'f', long = "filename", required = true)]
        paths: Vec<PathBuf>,
        #[arg(short = 'o', long = "output", value_enum, default_value_t = OutputFormat::Text)]
        output: OutputFormat,
    },
    /// Delete everything the manifests own (unless deletionPolicy is Retain).
    Destroy {
        #[arg(short = 'f', long = "filename", required = true)]
        paths: Vec<PathBuf>,
        #[arg(long)]
        wait: bool,
        #[arg(long, default_value = "30m", value_parser = standalone::parse_duration)]
        timeout: std::time::Duration,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Text,
    Json,
    Yaml,
}

/// Runs the command line; returns the process exit code.
pub async fn run<I, T>(args: I, out: &mut dyn Write, err: &mut dyn Write) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    run_with(args, out, err, None).await
}

/// As `run`, with AWS settings given instead of read from the environment.
pub async fn run_with<I, T>(args: I, out: &mut dyn Write, err: &mut dyn Write, aws: Option<aws_types::SdkConfig>) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            if e.use_stderr() {
                let _ = write!(err, "{e}");
                return EXIT_FAILURE;
            }
            let _ = write!(out, "{e}");
            return 0;
        }
    };
    let endpoint = cli.endpoint_url.clone();
    let show_calls = cli.show_calls;
    match cli.command {
        Command::Apply { paths, wait, timeout } => {
            with_aws(
                &paths,
                AwsSettings { endpoint: endpoint.clone(), config: aws.clone() },
                show_calls,
                out,
                err,
                |aws, checked, out| {
                    Box::pin(async move {
                        standalone::apply(aws, checked, &standalone::WaitOptions { wait, timeout }, out).await
                    })
                },
            )
            .await
        }
        Command::Status { paths, output } => {
            with_aws(
                &paths,
                AwsSettings { endpoint: endpoint.clone(), config: aws.clone() },
                show_calls,
                out,
                err,
                |aws, checked, out| Box::pin(async move { standalone::status(aws, checked, output, out).await }),
            )
            .await
        }
        Command::Destroy { paths, wait, timeout } => {
            with_aws(
                &paths,
                AwsSettings { endpoint: endpoint.clone(), config: aws.clone() },
                show_calls,
                out,
                err,
                |aws, checked, out| {
                    Box::pin(async move {
                        standalone::destroy(aws, checked, &standalone::WaitOptions { wait, timeout }, out).await
                    })
                },
            )
            .await
        }
        Command::Crd => match warmstandby_api::crds_yaml() {
            Ok(yaml) => write_or_fail(out, err, &yaml),
            Err(e) => {
                let _ = writeln!(err, "error: cannot render the CRDs: {e}");
                EXIT_FAILURE
            }
        },
        Command::Validate { paths } => match check::load_and_check(&paths) {
            Ok(checked) => {
                let report = render::validation_summary(&checked);
                write_or_fail(out, err, &report)
            }
            Err(failure) => report_invalid(err, &failure),
        },
        Command::Plan { paths, offline, output } => {
            if !offline {
                let _ = writeln!(
                    err,
                    "error: plan reads AWS only through `warmstandby apply`/`status` for now; add --offline to print the desired topology"
                );
                return EXIT_FAILURE;
            }
            match check::load_and_check(&paths) {
                Ok(checked) => match render::plan(&checked, output) {
                    Ok(text) => write_or_fail(out, err, &text),
                    Err(e) => {
                        let _ = writeln!(err, "error: {e}");
                        EXIT_FAILURE
                    }
                },
                Err(failure) => report_invalid(err, &failure),
            }
        }
    }
}

type CommandFuture<'a> = std::pin::Pin<Box<dyn std::future::Future<Output = u8> + 'a>>;

struct AwsSettings {
    endpoint: Option<String>,
    config: Option<aws_types::SdkConfig>,
}

/// Validates the manifests, then runs `f` with an AWS context.
async fn with_aws(
    paths: &[PathBuf],
    settings: AwsSettings,
    show_calls: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
    f: impl for<'a> FnOnce(&'a warmstandby_aws::AwsContext, &'a check::Checked, &'a mut dyn Write) -> CommandFuture<'a>,
) -> u8 {
    let checked = match check::load_and_check(paths) {
        Ok(c) => c,
        Err(failure) => return report_invalid(err, &failure),
    };
    let aws = match settings.config {
        Some(config) => warmstandby_aws::AwsContext::new(config),
        None => warmstandby_aws::AwsContext::from_env(settings.endpoint.as_deref()).await,
    };
    let code = f(&aws, &checked, out).await;
    if show_calls {
        let _ = write!(err, "AWS calls:\n{}", aws.calls().snapshot().table());
    }
    code
}

fn write_or_fail(out: &mut dyn Write, err: &mut dyn Write, text: &str) -> u8 {
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => 0,
        Err(e) => {
            let _ = writeln!(err, "error: cannot write output: {e}");
            EXIT_FAILURE
        }
    }
}

fn report_invalid(err: &mut dyn Write, failure: &check::CheckFailure) -> u8 {
    for line in &failure.lines {
        let _ = writeln!(err, "error: {line}");
    }
    let _ = writeln!(err, "{} error(s); nothing was planned or changed", failure.lines.len());
    EXIT_INVALID
}
