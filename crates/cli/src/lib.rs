//! The `warmstandby` command line: a library so tests run it in-process.
#![forbid(unsafe_code)]

pub mod args;
pub mod check;
pub mod demo;
pub mod discover;
pub mod graph;
pub mod manifests;
pub mod plan_diff;
pub mod plugin;
pub mod render;
pub mod standalone;
pub mod status_view;
pub mod style;

use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;

use clap::Parser;

pub use args::*;

/// Exit code for invalid input (bad manifests, failed validation).
pub const EXIT_INVALID: u8 = 1;
/// Exit code for usage errors and failures outside the input.
pub const EXIT_FAILURE: u8 = 2;

/// Installs the process-wide logger: stderr, level from RUST_LOG (default `info`
/// for the operator, `warn` for commands).
pub fn init_logging(format: LogFormat, default_level: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_level));
    // Colours only on a terminal (and never with NO_COLOR): log files and
    // collectors get plain text.
    let colour = std::io::IsTerminal::is_terminal(&std::io::stderr()) && std::env::var_os("NO_COLOR").is_none();
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(colour);
    let _ = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

/// An AWS error for a person: the error, and what to do when its class says.
pub fn explain(e: &warmstandby_aws::AwsError) -> String {
    use warmstandby_aws::ErrorClass as C;
    let hint = match e.class {
        C::AccessDenied if e.code != "NoCredentials" && !e.message.contains(warmstandby_aws::errors::GRANT) => {
            "; the credentials in use lack this permission: deploy/iam-policy.json lists every action warmstandby calls"
        }
        C::Throttled => "; AWS is rate-limiting this account: wait a minute and run the command again",
        C::InvalidSpec => "; AWS rejected a value from the manifests: fix it and run the command again",
        _ => "",
    };
    format!("{e}{hint}")
}

/// Runs the command line; returns the process exit code.
pub async fn run<I, T>(args: I, out: &mut dyn Write, err: &mut dyn Write) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    run_with(args, out, err, None).await
}

/// The command line parsed, or the exit code once clap's message is written:
/// help and version to `out` (0), usage errors to `err`.
pub(crate) fn parse_args<P, I, T>(args: I, out: &mut dyn Write, err: &mut dyn Write) -> Result<P, u8>
where
    P: Parser,
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    P::try_parse_from(args).map_err(|e| {
        if e.use_stderr() {
            let _ = write!(err, "{e}");
            return EXIT_FAILURE;
        }
        let _ = write!(out, "{e}");
        0
    })
}

/// As `run`, with AWS settings given instead of read from the environment.
pub async fn run_with<I, T>(args: I, out: &mut dyn Write, err: &mut dyn Write, aws: Option<aws_types::SdkConfig>) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    warmstandby_controller::install_crypto_provider();
    let cli = match parse_args::<Cli, _, _>(args, out, err) {
        Ok(cli) => cli,
        Err(code) => return code,
    };
    let endpoint = cli.endpoint_url.clone();
    let show_calls = cli.show_calls;
    let settings = AwsSettings { endpoint: endpoint.clone(), config: aws };
    match cli.command {
        Command::Apply { paths, wait } => {
            with_aws(&paths, settings, show_calls, out, err, |aws, checked, out| {
                Box::pin(async move { standalone::apply(aws, checked, &wait, out).await })
            })
            .await
        }
        Command::Status { paths, output, watch, interval } => {
            with_aws(&paths, settings, show_calls, out, err, |aws, checked, out| {
                Box::pin(async move {
                    let style = style::Style::for_stdout();
                    if !watch {
                        return standalone::status(aws, checked, output, style, out).await;
                    }
                    let redraw = std::io::IsTerminal::is_terminal(&std::io::stdout());
                    let stop = tokio::signal::ctrl_c();
                    tokio::pin!(stop);
                    loop {
                        if redraw {
                            // Clear the screen and go home, then draw the new picture.
                            let _ = out.write_all(b"\x1b[2J\x1b[H");
                        }
                        let _ = standalone::status(aws, checked, output, style, out).await;
                        let _ = writeln!(out, "{}", style.dim(&format!("{}  (Ctrl-C to stop)", now_local())));
                        let _ = out.flush();
                        tokio::select! {
                            _ = &mut stop => return 0,
                            () = tokio::time::sleep(interval.max(std::time::Duration::from_secs(1))) => {}
                        }
                    }
                })
            })
            .await
        }
        Command::Destroy { paths, wait } => {
            with_aws(&paths, settings, show_calls, out, err, |aws, checked, out| {
                Box::pin(async move { standalone::destroy(aws, checked, &wait, out).await })
            })
            .await
        }
        Command::Failover { paths, stack, to, force, dry_run, timeout } => {
            with_aws(&paths, settings, show_calls, out, err, |aws, checked, out| {
                Box::pin(async move {
                    let options = standalone::FailoverOptions { stack, to: to.into(), force, dry_run, timeout };
                    standalone::failover(aws, checked, &options, out).await
                })
            })
            .await
        }
        Command::Drill { paths, stack } => {
            with_aws(&paths, settings, show_calls, out, err, |aws, checked, out| {
                Box::pin(async move { standalone::drill(aws, checked, stack.as_deref(), out).await })
            })
            .await
        }
        Command::Graph { paths, format, output, offline, stack } => {
            let checked = match check::load_and_check(&paths) {
                Ok(c) => c,
                Err(failure) => return report_invalid(err, &failure),
            };
            let aws = if offline { None } else { Some(aws_context(settings).await) };
            let diagrams = match graph::diagrams(aws.as_ref(), &checked, stack.as_deref()).await {
                Ok(d) => d,
                Err(e) => {
                    let _ = writeln!(err, "error: {e}");
                    return EXIT_FAILURE;
                }
            };
            if diagrams.len() > 1 && format != graph::Format::Mermaid {
                let _ = writeln!(err, "error: the manifests hold {} stacks; pick one with --stack", diagrams.len());
                return EXIT_INVALID;
            }
            let text: String = diagrams.iter().map(|d| d.render(format)).collect::<Vec<_>>().join("\n");
            if show_calls && let Some(aws) = &aws {
                let _ = write!(err, "AWS calls:\n{}", aws.calls().snapshot().table());
            }
            match output {
                Some(path) => match std::fs::write(&path, text) {
                    Ok(()) => {
                        let _ = writeln!(out, "wrote {}", path.display());
                        0
                    }
                    Err(e) => {
                        let _ = writeln!(err, "error: cannot write {}: {e}", path.display());
                        EXIT_FAILURE
                    }
                },
                None => write_or_fail(out, err, &text),
            }
        }
        Command::Operator(args) => operator(*args, endpoint, err).await,
        Command::Demo(args) => demo::run(args, endpoint, out, err).await,
        Command::Discover { primary, standby, name } => {
            let aws = aws_context(settings).await;
            match discover::run(&aws, &primary, &standby, &name).await {
                Ok((manifest, code)) => {
                    if code != 0 {
                        let _ = writeln!(err, "some of it could not be decided: see the comments in the manifest");
                    }
                    match write_or_fail(out, err, &manifest) {
                        0 => code,
                        failed => failed,
                    }
                }
                Err(e) => {
                    let _ = writeln!(err, "error: {e}");
                    EXIT_FAILURE
                }
            }
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
        Command::Plan { paths, offline: false, output } => {
            let checked = match check::load_and_check(&paths) {
                Ok(c) => c,
                Err(failure) => return report_invalid(err, &failure),
            };
            let aws = aws_context(settings).await;
            let code = match plan_diff::plans(&aws, &checked).await {
                Ok(plans) => {
                    let text = match output {
                        OutputFormat::Json => plan_diff::json(&plans),
                        OutputFormat::Yaml => serde_yaml::to_string(&plans).unwrap_or_default(),
                        OutputFormat::Text => plan_diff::text(&plans, style::Style::for_stdout()),
                    };
                    match write_or_fail(out, err, &text) {
                        0 => plan_diff::exit_code(&plans),
                        _ => plan_diff::PLAN_ERROR,
                    }
                }
                Err(e) => {
                    let _ = writeln!(err, "error: {e}");
                    plan_diff::PLAN_ERROR
                }
            };
            if show_calls {
                let _ = write!(err, "AWS calls:\n{}", aws.calls().snapshot().table());
            }
            code
        }
        Command::Plan { paths, offline: true, output } => match check::load_and_check(&paths) {
            Ok(checked) => match render::plan(&checked, output) {
                Ok(text) => write_or_fail(out, err, &text),
                Err(e) => {
                    let _ = writeln!(err, "error: {e}");
                    EXIT_FAILURE
                }
            },
            Err(failure) => report_invalid(err, &failure),
        },
    }
}

async fn operator(args: OperatorArgs, endpoint: Option<String>, err: &mut dyn Write) -> u8 {
    init_logging(args.log_format, "info");
    let client = match kube::Client::try_default().await {
        Ok(c) => c,
        Err(e) => {
            let _ = writeln!(err, "error: no Kubernetes API reachable (in-cluster config or KUBECONFIG): {e}");
            return EXIT_FAILURE;
        }
    };
    let aws = std::sync::Arc::new(
        warmstandby_aws::AwsContext::from_env(endpoint.as_deref())
            .await
            .with_shared_window(args.shared_read_window)
            // A steady fleet's resync reads each kind once, however long it lasts.
            .with_settled_age(args.resync / 2),
    );
    let identity = args
        .identity
        .clone()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| format!("warmstandby-{}", std::process::id()));
    let lease = args.leader_elect.then(|| warmstandby_controller::operator::LeaseConfig {
        namespace: args.lease_namespace.clone(),
        name: args.lease_name.clone(),
        identity: identity.clone(),
        lease_duration: args.lease_duration.max(std::time::Duration::from_secs(3)),
        renew_every: (args.lease_duration / 3).max(std::time::Duration::from_secs(1)),
    });
    let webhook = webhook_config(&args);
    let cfg = warmstandby_controller::operator::OperatorConfig {
        namespace: args.namespace,
        selector: args.selector,
        resync: args.resync,
        concurrency: args.concurrency,
        lease,
        http_addr: args.http_addr,
        instance: Some(identity),
        webhook,
    };
    match warmstandby_controller::operator::run(client, aws, cfg).await {
        Ok(()) => 0,
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            EXIT_FAILURE
        }
    }
}

/// The webhook's settings from the operator's arguments.
fn webhook_config(args: &OperatorArgs) -> Option<warmstandby_controller::operator::webhook::WebhookConfig> {
    use warmstandby_controller::operator::webhook::{Source, WebhookConfig};
    let addr = args.webhook_addr?;
    let namespace = args.lease_namespace.clone();
    let source = match &args.webhook_cert_dir {
        Some(dir) => Source::Directory(dir.clone()),
        None => {
            let service = &args.webhook_service;
            let hosts = if args.webhook_hosts.is_empty() {
                vec![format!("{service}.{namespace}.svc"), format!("{service}.{namespace}.svc.cluster.local")]
            } else {
                args.webhook_hosts.clone()
            };
            Source::SelfManaged {
                namespace,
                secret: args.webhook_secret.clone(),
                configuration: args.webhook_configuration.clone(),
                hosts,
            }
        }
    };
    Some(WebhookConfig { addr, source })
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
    f: impl for<'a> FnOnce(
        &'a std::sync::Arc<warmstandby_aws::AwsContext>,
        &'a check::Checked,
        &'a mut dyn Write,
    ) -> CommandFuture<'a>,
) -> u8 {
    let checked = match check::load_and_check(paths) {
        Ok(c) => c,
        Err(failure) => return report_invalid(err, &failure),
    };
    let aws = aws_context(settings).await;
    let code = f(&aws, &checked, out).await;
    if show_calls {
        let _ = write!(err, "AWS calls:\n{}", aws.calls().snapshot().table());
    }
    code
}

fn now_local() -> String {
    chrono::Utc::now().format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

async fn aws_context(settings: AwsSettings) -> std::sync::Arc<warmstandby_aws::AwsContext> {
    std::sync::Arc::new(match settings.config {
        Some(config) => warmstandby_aws::AwsContext::new(config),
        None => warmstandby_aws::AwsContext::from_env(settings.endpoint.as_deref()).await,
    })
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

#[cfg(test)]
mod tests {
    use warmstandby_aws::{AwsError, ErrorClass};

    #[test]
    fn aws_errors_say_what_to_do() {
        let denied =
            AwsError::new(ErrorClass::AccessDenied, "ec2:DescribeVpcs", "UnauthorizedOperation", "not allowed");
        assert_eq!(
            super::explain(&denied),
            "ec2:DescribeVpcs: UnauthorizedOperation: not allowed; the credentials in use lack this permission: deploy/iam-policy.json lists every action warmstandby calls"
        );
        let throttled = AwsError::new(ErrorClass::Throttled, "route53:ListHostedZones", "Throttling", "Rate exceeded");
        assert!(super::explain(&throttled).ends_with("wait a minute and run the command again"));
        // Missing credentials already say what to do.
        let none = AwsError::new(ErrorClass::AccessDenied, "ec2:DescribeVpcs", "NoCredentials", "set AWS_PROFILE");
        assert_eq!(super::explain(&none), "ec2:DescribeVpcs: NoCredentials: set AWS_PROFILE");
    }
}
