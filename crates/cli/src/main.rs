//! The `warmstandby` binary: all behaviour lives in the library.
#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    // Commands log warnings to stderr; the operator installs its own logger
    // (with --log-format) before this one would.
    if std::env::args().nth(1).as_deref() != Some("operator") {
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
    let code =
        runtime.block_on(warmstandby_cli::run(std::env::args_os(), &mut std::io::stdout(), &mut std::io::stderr()));
    std::process::ExitCode::from(code)
}
