//! Fleet benchmark on the local AWS emulator:
//! `cargo run --release -p warmstandby-tests --bin fleet-bench [-- --stacks 1,10,50,200 --concurrency 4 --baseline-sample 50]`.
//!
//! For each fleet size it starts a fresh emulator, creates that many stacks
//! on one RegionPair, and prints AWS calls per full resync (shared
//! observation, each stack observing alone, a naive one-read-per-resource
//! refresh), wall times, create-to-Ready of the whole fleet and the peak RSS
//! of this process (which runs the operator's reconcile code and AWS
//! context), then the resync's call rate against AWS's throttling limits.
//! `--aws-rates` has the emulator throttle at AWS's rates from the start, so
//! the create and every resync are paced as on AWS.
#![forbid(unsafe_code)]

use std::collections::BTreeMap;
use std::process::ExitCode;

use warmstandby_tests::Emulator;
use warmstandby_tests::fleet::{DRIFT_MADE, FleetFigures, by_service, run_sampled};

/// AWS's account or regional limits on the reads a resync makes (requests
/// per second): Route 53 for the account, EC2 describes (sustained refill),
/// ELBv2 describes and CloudWatch DescribeAlarms per region.
const LIMITS: [(&str, f64); 4] =
    [("Route 53", 5.0), ("Elastic Load Balancing v2", 10.0), ("CloudWatch", 9.0), ("EC2", 20.0)];

/// The pair's two regions; global calls go to the primary's (us-east-1).
const REGIONS: u64 = 2;

struct Args {
    stacks: Vec<usize>,
    concurrency: usize,
    /// At most this many stacks measure the baselines; scaled to the fleet.
    baseline_sample: usize,
    /// The emulator throttles at AWS's rates from the start (the create too).
    aws_rates: bool,
}

fn args() -> Result<Args, String> {
    let mut stacks = vec![1, 10, 50, 200];
    let mut concurrency = 4;
    let mut baseline_sample = 50;
    let mut aws_rates = false;
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        if a == "--aws-rates" {
            aws_rates = true;
            continue;
        }
        let value = it.next().ok_or(format!("{a} needs a value"))?;
        match a.as_str() {
            "--stacks" => {
                stacks = value
                    .split(',')
                    .map(|v| v.trim().parse().map_err(|_| format!("--stacks: {v:?} is not a number")))
                    .collect::<Result<_, _>>()?
            }
            "--concurrency" => {
                concurrency = value.parse().map_err(|_| format!("--concurrency: {value:?} is not a number"))?
            }
            "--baseline-sample" => {
                baseline_sample = value.parse().map_err(|_| format!("--baseline-sample: {value:?} is not a number"))?
            }
            other => {
                return Err(format!(
                    "unknown argument {other} (use --stacks 1,10,50,200 --concurrency 4 --baseline-sample 50 --aws-rates)"
                ));
            }
        }
    }
    if baseline_sample == 0 {
        return Err("--baseline-sample: at least one stack measures the baselines".into());
    }
    Ok(Args { stacks, concurrency, baseline_sample, aws_rates })
}

fn ratio(a: u64, b: u64) -> String {
    if a == 0 { "-".into() } else { format!("{:.1}x", b as f64 / a as f64) }
}

fn print_summary(all: &[FleetFigures], concurrency: usize) {
    println!("\nfleet resync on the emulator (passes {concurrency} at a time, window 30 s)\n");
    println!(
        "| stacks | create: calls / wall / rounds | shared resync: calls (per stack) / wall | budget 20/region + 4/stack | each stack alone: calls / wall | naive: calls / wall | shared vs alone | shared vs naive | peak RSS |"
    );
    println!("|---:|---|---|---|---|---|---:|---:|---:|");
    for f in all {
        let n = f.stacks as u64;
        let budget = 20 * REGIONS + 4 * n;
        let held = if f.shared.total() <= budget { "held" } else { "missed" };
        let sampled =
            if f.baseline_stacks < f.stacks { format!(" (from {})", f.baseline_stacks) } else { String::new() };
        println!(
            "| {} | {} / {:.1} s / {} | {} ({:.1}) / {:.2} s | {budget} ({held}) | {} / {:.2} s{sampled} | {} / {:.2} s{sampled} | {} | {} | {:.0} MiB |",
            f.stacks,
            f.create.total(),
            f.create_wall.as_secs_f64(),
            f.create_rounds,
            f.shared.total(),
            f.shared.total() as f64 / n as f64,
            f.shared_wall.as_secs_f64(),
            f.per_stack.total(),
            f.per_stack_wall.as_secs_f64(),
            f.naive.total(),
            f.naive_wall.as_secs_f64(),
            ratio(f.shared.total(), f.per_stack.total()),
            ratio(f.shared.total(), f.naive.total()),
            f.peak_rss_mib,
        );
    }
    for f in all {
        println!("\ncalls of one resync by service, {} stacks: shared / each stack alone / naive", f.stacks);
        let (s, p, n) = (by_service(&f.shared), by_service(&f.per_stack), by_service(&f.naive));
        let services: std::collections::BTreeSet<&String> = s.keys().chain(p.keys()).chain(n.keys()).collect();
        for service in services {
            let get = |m: &BTreeMap<String, u64>| m.get(service).copied().unwrap_or(0);
            println!("  {service:<24} {:>6} {:>6} {:>6}", get(&s), get(&p), get(&n));
        }
        if f.baseline_stacks < f.stacks {
            println!(
                "  (alone and naive measured on {} stacks and scaled to {}: a stack's own reads do not depend on the others')",
                f.baseline_stacks, f.stacks
            );
        }
        println!(
            "  drift made by hand in stack 0: {DRIFT_MADE:?}; found by the next resync after the window: {:?}; on the other stacks: {}",
            f.drift_found, f.drift_elsewhere
        );
    }
    if let Some(f) = all.iter().max_by_key(|f| f.stacks) {
        println!("\nAWS limits against one shared resync of {} stacks (seconds the resync needs at least)", f.stacks);
        let s = by_service(&f.shared);
        let mut binding: Option<(&str, f64)> = None;
        for (service, limit) in LIMITS {
            let calls = s.get(service).copied().unwrap_or(0);
            let seconds = calls as f64 / limit;
            println!("  {service:<24} {calls:>6} calls at {limit:>4} req/s: {seconds:>6.1} s");
            if binding.is_none_or(|(_, b)| seconds > b) {
                binding = Some((service, seconds));
            }
        }
        if let Some((service, seconds)) = binding {
            println!(
                "  binds first: {service} ({seconds:.1} s of a resync interval; the default resync is 300 s, and the adaptive retry mode slows the clients down when AWS throttles)"
            );
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let Args { stacks: sizes, concurrency, baseline_sample, aws_rates } = match args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let mut all = Vec::new();
    for n in sizes {
        let emulator = Emulator::start();
        if aws_rates {
            emulator.set_throttling(true, true);
        }
        eprintln!("{n} stacks: creating on a fresh emulator at {} ...", emulator.endpoint);
        match run_sampled(&emulator, n, concurrency, baseline_sample).await {
            Ok(f) => {
                all.push(f);
            }
            Err(e) => {
                eprintln!("error: {n} stacks: {e}");
                print_summary(&all, concurrency);
                return ExitCode::FAILURE;
            }
        }
    }
    print_summary(&all, concurrency);
    ExitCode::SUCCESS
}
