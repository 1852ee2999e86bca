//! The `warmstandby` binary: all behaviour lives in the library.
#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    // Commands log warnings to stderr; the operator installs its own logger
    // (with --log-format) before this one would.
    if std::env::args_os().nth(1).is_none_or(|a| a != "operator") {
        // The SDK's credential chain warns for every provider it tries; the
        // one error that matters is reported once, as a sentence.
        warmstandby_cli::init_logging(warmstandby_cli::LogFormat::Text, "warn,aws_config=error");
    }
    // AWS SDK futures nest deeply: workers get the stack of a main thread.
    let runtime = match tokio::runtime::Builder::new_multi_thread().thread_stack_size(8 << 20).enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    // Installed as `kubectl-warmstandby`, it is kubectl's plugin.
    let as_plugin = std::env::args_os().next().is_some_and(|argv0| warmstandby_cli::plugin::is_plugin(&argv0));
    let (mut out, mut err) = (std::io::stdout(), std::io::stderr());
    let code = if as_plugin {
        runtime.block_on(warmstandby_cli::plugin::run(std::env::args_os(), &mut out, &mut err))
    } else {
        runtime.block_on(warmstandby_cli::run(std::env::args_os(), &mut out, &mut err))
    };
    std::process::ExitCode::from(code)
}
