//! The binary's own terminal: the README's first command, `warmstandby
//! demo`, run in a real pseudo-terminal (util-linux `script`), as a person
//! would. No cluster is needed; it lives here because it runs the binary.

use std::process::Command;

#[test]
fn the_demo_draws_live_progress_in_a_terminal_and_finishes() {
    let bin = env!("CARGO_BIN_EXE_warmstandby");
    let dir = std::env::temp_dir().join(format!("warmstandby-demo-pty-{}", std::process::id()));
    let command = format!("{bin} demo --out-dir {}", dir.display());
    // `script` gives the demo a pseudo-terminal and copies what it draws to stdout.
    let run = Command::new("script")
        .args(["--quiet", "--return", "--command", &command, "/dev/null"])
        .env_remove("NO_COLOR")
        .env("COLUMNS", "140")
        .env("LINES", "50")
        .output()
        .unwrap_or_else(|e| panic!("cannot run `script` (util-linux) to give the demo a terminal: {e}"));
    let screen = String::from_utf8_lossy(&run.stdout);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(run.status.success(), "the demo failed in a terminal: {}\n{screen}", run.status);
    // indicatif draws bars (with the row's label and done/total) and redraws them in place.
    assert!(screen.contains('━'), "no progress bar was drawn:\n{screen}");
    assert!(screen.contains("us-east-1 network") && screen.contains("/14"), "no network row:\n{screen}");
    assert!(screen.contains("\x1b[2K"), "the bars were never redrawn in place");
    // The bars finish: every row reported complete, in colour on a terminal.
    assert!(screen.contains("14/14"), "the network rows never completed:\n{screen}");
    assert!(screen.contains("\x1b[32mready\x1b[0m"), "no coloured completion:\n{screen}");
    assert!(screen.contains("demo finished"), "{screen}");
}

#[test]
fn status_watch_redraws_in_a_terminal_until_interrupted() {
    let emulator = warmstandby_tests::Emulator::start();
    let bin = env!("CARGO_BIN_EXE_warmstandby");
    let examples = warmstandby_tests::repo_root().join("deploy/examples");
    // Ctrl-C after a few redraws (SIGINT, as a terminal sends it); the exit code is the command's own.
    // The window leaves room for a loaded machine: each redraw observes AWS first.
    let command = format!(
        "timeout --preserve-status --signal=INT 12 {bin} --endpoint-url {} status --watch --interval 1s -f {}",
        emulator.endpoint,
        examples.display()
    );
    let run = Command::new("script")
        .args(["--quiet", "--return", "--command", &command, "/dev/null"])
        .env_remove("NO_COLOR")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .output()
        .unwrap_or_else(|e| panic!("cannot run `script` (util-linux) to give the command a terminal: {e}"));
    let screen = String::from_utf8_lossy(&run.stdout);
    assert!(run.status.success(), "status --watch did not end cleanly on Ctrl-C: {}\n{screen}", run.status);
    let redraws = screen.matches("\x1b[2J\x1b[H").count();
    assert!(redraws >= 2, "{redraws} redraw(s) in 12 s at a 1 s interval:\n{screen}");
    assert!(screen.contains("ThreeTierStack bookstore/bookstore"), "{screen}");
    assert!(screen.contains("(Ctrl-C to stop)"), "{screen}");
    // Colour on a terminal.
    assert!(screen.contains("\x1b["), "{screen}");
}
