//! `warmstandby demo`: the whole job on the local AWS emulator, start to end.
//! It starts the emulator, builds the example stack in both regions with live
//! progress, shows its status and endpoints, draws the architecture, runs a
//! drill, lets the primary region "die" and the operator's own failover move
//! the stack, fails back, then destroys everything and checks nothing is left.

mod emulator;
mod progress;

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use warmstandby_api::{RegionPair, RegionRole, ThreeTierStack};
use warmstandby_aws::AwsContext;
use warmstandby_aws::local::LoopbackEndpoint;
use warmstandby_controller::{Intent, now_rfc3339, region_pair, stack};
use warmstandby_core::failover::Stage;

use crate::check::Checked;
use crate::style::Style;
use progress::Progress;

/// The example manifests, so the demo runs from any directory.
const EXAMPLES: [(&str, &str); 4] = [
    ("00-secret.yaml", include_str!("../../../../deploy/examples/00-secret.yaml")),
    ("10-regionpair.yaml", include_str!("../../../../deploy/examples/10-regionpair.yaml")),
    ("20-failoverpolicy.yaml", include_str!("../../../../deploy/examples/20-failoverpolicy.yaml")),
    ("30-bookstore.yaml", include_str!("../../../../deploy/examples/30-bookstore.yaml")),
];

/// How long one phase of the demo may take on the emulator before it gives up.
const PHASE_DEADLINE: Duration = Duration::from_secs(180);

#[derive(clap::Args, Debug)]
pub struct DemoArgs {
    /// Manifests to use instead of the built-in examples (deploy/examples/).
    #[arg(short = 'f', long = "filename")]
    pub paths: Vec<PathBuf>,
    /// Where to write the architecture diagrams.
    #[arg(long, default_value = "warmstandby-demo")]
    pub out_dir: PathBuf,
    /// Leave the stack and the emulator running at the end (until Ctrl-C).
    #[arg(long)]
    pub keep: bool,
}

/// Runs the demo; returns the exit code. `endpoint` names an emulator that is
/// already running (then the demo starts none).
pub async fn run(args: DemoArgs, endpoint: Option<String>, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let started = Instant::now();
    let style = Style::for_stdout();
    let live = std::io::IsTerminal::is_terminal(&std::io::stdout());
    let checked = match manifests(&args.paths) {
        Ok(c) => c,
        Err(lines) => {
            for l in lines {
                let _ = writeln!(err, "error: {l}");
            }
            return crate::EXIT_INVALID;
        }
    };
    let _ = writeln!(
        out,
        "{}",
        style.bold("warmstandby demo: a two-region warm standby, built, failed over and torn down")
    );
    // The emulator first: everything else talks to it.
    let (emulator, endpoint) = match endpoint {
        Some(e) => (None, e),
        None => {
            step(out, style, "Starting the local AWS emulator");
            let mut say = |m: &str| {
                let _ = writeln!(out, "  {m}");
            };
            match emulator::start(&mut say) {
                Ok(e) => {
                    let endpoint = e.endpoint.clone();
                    let _ = writeln!(out, "  listening on {endpoint}");
                    (Some(e), endpoint)
                }
                Err(e) => {
                    let _ = writeln!(err, "error: {e}");
                    return crate::EXIT_FAILURE;
                }
            }
        }
    };
    let aws = Arc::new(AwsContext::new(warmstandby_aws::local::sdk_config(&endpoint, "us-east-1").await));
    let code = {
        let run = Demo { aws: &aws, checked, style, live, out_dir: &args.out_dir };
        let steps = run.all(args.keep, &endpoint, out);
        tokio::pin!(steps);
        tokio::select! {
            result = &mut steps => match result {
                Ok(()) => 0,
                Err(e) => {
                    let _ = writeln!(err, "error: {e}");
                    crate::EXIT_FAILURE
                }
            },
            _ = tokio::signal::ctrl_c() => {
                let _ = writeln!(err, "\ninterrupted: stopping the local emulator (its state goes with it)");
                130
            }
        }
    };
    if args.keep && code == 0 {
        let _ = writeln!(out, "\nThe stack and the emulator stay up until Ctrl-C. In another terminal:");
        let _ = writeln!(
            out,
            "  export AWS_ENDPOINT_URL={endpoint} AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1"
        );
        let _ =
            writeln!(out, "  warmstandby status -f deploy/examples/     # or plan, graph, drill, failover, destroy");
        let _ = out.flush();
        let _ = tokio::signal::ctrl_c().await;
    }
    drop(emulator);
    if code == 0 {
        let _ = writeln!(out, "\n{} in {:.1} s", style.good("demo finished"), started.elapsed().as_secs_f64());
    }
    code
}

fn manifests(paths: &[PathBuf]) -> Result<Checked, Vec<String>> {
    let set = if paths.is_empty() {
        let mut set = crate::manifests::ManifestSet::default();
        let mut errors = crate::manifests::LoadErrors::default();
        for (name, text) in EXAMPLES {
            crate::manifests::load_text(&mut set, &mut errors, &format!("deploy/examples/{name}"), text);
        }
        if !errors.0.is_empty() {
            return Err(errors.0);
        }
        set
    } else {
        crate::manifests::load(paths).map_err(|e| e.0)?
    };
    let checked = crate::check::check(set).map_err(|f| f.lines)?;
    if checked.stacks.len() != 1 {
        return Err(vec![format!(
            "the demo drives exactly one ThreeTierStack; these manifests hold {}",
            checked.stacks.len()
        )]);
    }
    Ok(checked)
}

fn step(out: &mut dyn Write, style: Style, title: &str) {
    let _ = writeln!(out, "\n{} {}", style.bold("==>"), style.bold(title));
    let _ = out.flush();
}

struct Demo<'a> {
    aws: &'a Arc<AwsContext>,
    checked: Checked,
    style: Style,
    live: bool,
    out_dir: &'a PathBuf,
}

impl Demo<'_> {
    async fn all(&self, keep: bool, endpoint: &str, out: &mut dyn Write) -> Result<(), String> {
        let mut app = LoopbackEndpoint::start(0).await?;
        let mut checked = self.with_demo_detection(app.port)?;
        let (pair, mut st) = self.build(&mut checked, out).await?;
        self.show_status(&checked, &pair, &st, out).await?;
        self.draw(&checked, out).await?;
        self.drill(&checked, &pair, &st, out).await?;
        self.failover(&checked, &pair, &mut st, &mut app, out).await?;
        self.failback(&checked, &pair, &mut st, out).await?;
        if keep {
            let _ = writeln!(out, "\n--keep: nothing destroyed (emulator at {endpoint})");
            return Ok(());
        }
        self.destroy(&checked, &pair, &st, out).await
    }

    /// The example policy, detecting by the alarm and by probes of the
    /// demo's loopback endpoint (the emulator models no health), without
    /// the debounce, so the demo's failover starts at once.
    fn with_demo_detection(&self, port: u16) -> Result<Checked, String> {
        let mut set = self.checked.set.clone();
        for p in &mut set.policies {
            let d = &mut p.spec.detection;
            d.route53_health_check = false;
            d.cloud_watch_alarm = true;
            d.probes.enabled = true;
            d.probes.api_url = Some(format!("http://127.0.0.1:{port}/health"));
            d.probes.web_url = Some(format!("http://127.0.0.1:{port}/"));
            d.probes.failure_threshold = 1;
            d.probes.recovery_threshold = 1;
            d.probes.timeout_seconds = 1;
            d.probes.interval_seconds = 2;
            d.required_signals = 2;
            d.debounce_seconds = 0;
        }
        crate::check::check(set).map_err(|f| f.lines.join("; "))
    }

    fn topology(&self, checked: &Checked) -> Result<warmstandby_core::desired::Topology, String> {
        let st = checked.stacks.first().ok_or("no stack")?;
        warmstandby_core::desired::stack_topology(st).map_err(|e| e.to_string())
    }

    fn regions(checked: &Checked) -> [String; 2] {
        checked
            .stacks
            .first()
            .map(|s| [s.pair.primary.region.clone(), s.pair.standby.region.clone()])
            .unwrap_or_default()
    }

    async fn build(&self, checked: &mut Checked, out: &mut dyn Write) -> Result<(RegionPair, ThreeTierStack), String> {
        step(out, self.style, "Building both regions and the global edge (apply)");
        let topology = self.topology(checked)?;
        let mut progress = Progress::new(&topology, &Self::regions(checked), self.live, false);
        let started = Instant::now();
        let calls_before = self.aws.calls().snapshot();
        let st0 = checked.set.stacks.first().cloned().ok_or("no stack")?;
        let mut pair = checked
            .set
            .region_pair(&st0.spec.region_pair_ref.name)
            .cloned()
            .ok_or_else(|| format!("RegionPair {} is not in the manifests", st0.spec.region_pair_ref.name))?;
        let deadline = Instant::now() + PHASE_DEADLINE;
        until(deadline, "the RegionPair's networks to be Ready", async || {
            let outcome = region_pair::reconcile(self.aws, &pair, Intent::Apply, &now_rfc3339()).await;
            progress.record(&outcome.changes, out);
            fail_on_errors(&outcome.errors, outcome.invalid.as_ref().map(ToString::to_string))?;
            let ready = outcome.is_ready();
            pair.status = Some(outcome.status);
            Ok((!ready).then(|| pair_message(&pair)))
        })
        .await?;
        let mut st = st0;
        until(deadline, "the stack to be Ready", async || {
            let inputs = checked.set.stack_inputs_on(&st, Some(&pair));
            let outcome = stack::reconcile(self.aws, inputs, Intent::Apply, &now_rfc3339()).await;
            progress.record(&outcome.changes, out);
            fail_on_errors(&outcome.errors, outcome.invalid.clone())?;
            let ready = outcome.is_ready();
            st.status = Some(outcome.status);
            Ok((!ready).then(|| stack_message(&st)))
        })
        .await?;
        progress.complete(out);
        let calls = self.aws.calls().snapshot().since(&calls_before);
        if self.live {
            for (label, done, total) in progress.rows() {
                let _ = writeln!(out, "  {label:<22} {done:>3}/{total:<3} {}", self.style.good("ready"));
            }
        }
        let _ = writeln!(
            out,
            "  {} resources Ready in {:.1} s with {} AWS calls ({} mutating)",
            topology.resources.len(),
            started.elapsed().as_secs_f64(),
            calls.total(),
            calls.mutating()
        );
        Ok((pair, st))
    }

    async fn show_status(
        &self,
        checked: &Checked,
        pair: &RegionPair,
        st: &ThreeTierStack,
        out: &mut dyn Write,
    ) -> Result<(), String> {
        step(out, self.style, "Status (warmstandby status)");
        let inputs = checked.set.stack_inputs_on(st, Some(pair));
        let outcome = stack::reconcile(self.aws, inputs, Intent::Observe, &now_rfc3339()).await;
        fail_on_errors(&outcome.errors, outcome.invalid.clone())?;
        let _ = out.write_all(crate::status_view::stack(self.style, st, &outcome.status).as_bytes());
        Ok(())
    }

    async fn draw(&self, checked: &Checked, out: &mut dyn Write) -> Result<(), String> {
        step(out, self.style, "Architecture (warmstandby graph)");
        std::fs::create_dir_all(self.out_dir).map_err(|e| format!("cannot create {}: {e}", self.out_dir.display()))?;
        let diagrams = crate::graph::diagrams(Some(self.aws), checked, None).await?;
        let diagram = diagrams.first().ok_or("nothing to draw")?;
        for (format, ext) in [
            (crate::graph::Format::Svg, "svg"),
            (crate::graph::Format::Mermaid, "mmd"),
            (crate::graph::Format::Dot, "dot"),
        ] {
            let path = self.out_dir.join(format!("architecture.{ext}"));
            std::fs::write(&path, diagram.render(format))
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            let _ = writeln!(out, "  wrote {}", path.display());
        }
        Ok(())
    }

    async fn drill(
        &self,
        checked: &Checked,
        pair: &RegionPair,
        st: &ThreeTierStack,
        out: &mut dyn Write,
    ) -> Result<(), String> {
        step(out, self.style, "Drill: could the standby take over? (warmstandby drill)");
        let inputs = checked.set.stack_inputs_on(st, Some(pair));
        let outcome = stack::drill(self.aws, inputs, &now_rfc3339()).await;
        fail_on_errors(&outcome.errors, outcome.invalid.clone())?;
        let drill = outcome.status.drill.unwrap_or_default();
        if !drill.failures.is_empty() {
            return Err(format!("the drill failed: {}", drill.failures.join("; ")));
        }
        let _ = writeln!(
            out,
            "  {}: every guard and readiness check passes; predicted RTO {} s (on AWS)",
            self.style.good("standby ready"),
            drill.predicted_rto_seconds.unwrap_or_default()
        );
        Ok(())
    }

    async fn set_alarm(&self, checked: &Checked, failing: bool) -> Result<(), String> {
        let st = checked.stacks.first().ok_or("no stack")?;
        let name = warmstandby_core::families::alarm::alarm_name(st);
        warmstandby_aws::families::alarm::set_state(self.aws, &name, failing, "warmstandby demo")
            .await
            .map_err(|e| format!("cannot set the alarm {name}: {e}"))
    }

    /// One stack pass (the operator's own: it detects, decides and moves;
    /// with `request`, a failover asked for), its status kept for the next.
    async fn pass(
        &self,
        checked: &Checked,
        pair: &RegionPair,
        st: &mut ThreeTierStack,
        request: Option<&warmstandby_core::failover::Request>,
    ) -> Result<stack::StackOutcome, String> {
        let inputs = checked.set.stack_inputs_on(st, Some(pair));
        let outcome = match request {
            Some(r) => stack::reconcile_with_request(self.aws, inputs, &now_rfc3339(), r.clone()).await,
            None => stack::reconcile(self.aws, inputs, Intent::Apply, &now_rfc3339()).await,
        };
        fail_on_errors(&outcome.errors, outcome.invalid.clone())?;
        st.status = Some(outcome.status.clone());
        Ok(outcome)
    }

    /// Prints a pass's failover events (each once), timed from `since`.
    fn events(&self, outcome: &stack::StackOutcome, since: Instant, last: &mut String, out: &mut dyn Write) {
        for (reason, message) in &outcome.events {
            let line = format!("{}: {message}", reason.as_str());
            if line != *last {
                let shown = if reason.is_warning() { self.style.warn(&line) } else { line.clone() };
                let _ = writeln!(out, "  {:>5.1} s  {shown}", since.elapsed().as_secs_f64());
                *last = line;
            }
        }
    }

    async fn failover(
        &self,
        checked: &Checked,
        pair: &RegionPair,
        st: &mut ThreeTierStack,
        app: &mut LoopbackEndpoint,
        out: &mut dyn Write,
    ) -> Result<(), String> {
        step(out, self.style, "Disaster: the primary region stops answering");
        let _ = writeln!(
            out,
            "  the api endpoint stops answering the operator's probes and the Route 53 health check alarm fires"
        );
        app.stop();
        self.set_alarm(checked, true).await?;
        let disaster = Instant::now();
        let before = history_len(st);
        let deadline = Instant::now() + PHASE_DEADLINE;
        let mut last = String::new();
        while history_len(st) == before {
            let outcome = self.pass(checked, pair, st, None).await?;
            self.events(&outcome, disaster, &mut last, out);
            // Once traffic moves, the standby answers under the same names.
            let moved = outcome.status.failover.as_ref().and_then(|p| Stage::parse(&p.step));
            if moved.is_some_and(Stage::traffic_moved) && !app.running() {
                *app = LoopbackEndpoint::start(app.port).await?;
            }
            if history_len(st) == before {
                wait_or_give_up(deadline, "the automatic failover to finish", &stack_message(st)).await?;
            }
        }
        if !app.running() {
            *app = LoopbackEndpoint::start(app.port).await?;
        }
        let record = succeeded(st, "failover")?;
        let _ = writeln!(
            out,
            "  {} the standby ({}) serves and writes; measured RTO {} s, RPO estimate {} s (the replica lag when the move was decided); {:.1} s from disaster to done here",
            self.style.good("failed over:"),
            st.status.as_ref().and_then(|s| s.active_region.clone()).unwrap_or_default(),
            record.rto_seconds.map_or("-".into(), |x| format!("{x:.0}")),
            record.rpo_estimate_seconds.map_or("-".into(), |x| x.to_string()),
            disaster.elapsed().as_secs_f64()
        );
        Ok(())
    }

    async fn failback(
        &self,
        checked: &Checked,
        pair: &RegionPair,
        st: &mut ThreeTierStack,
        out: &mut dyn Write,
    ) -> Result<(), String> {
        step(out, self.style, "Recovery: the primary region is back; rebuild replication, then fail back");
        self.set_alarm(checked, false).await?;
        let started = Instant::now();
        let deadline = Instant::now() + PHASE_DEADLINE;
        until(deadline, "replication to be rebuilt in the primary region", async || {
            let outcome = self.pass(checked, pair, st, None).await?;
            for a in &outcome.applied {
                let _ = writeln!(out, "  {:>5.1} s  {a}", started.elapsed().as_secs_f64());
            }
            Ok((!outcome.is_ready()).then(|| stack_message(st)))
        })
        .await?;
        let _ = writeln!(
            out,
            "  replication rebuilt towards the primary region (the old writer's data kept in a snapshot)"
        );
        let before = history_len(st);
        let request = warmstandby_core::failover::Request { to: RegionRole::Primary, force: false, kind: "failback" };
        let mut last = String::new();
        while history_len(st) == before {
            let outcome = self.pass(checked, pair, st, Some(&request)).await?;
            self.events(&outcome, started, &mut last, out);
            if history_len(st) == before {
                wait_or_give_up(deadline, "the failback to finish", &stack_message(st)).await?;
            }
        }
        let record = succeeded(st, "failback")?;
        let _ = writeln!(
            out,
            "  {} the primary serves again (epoch {}); RTO {} s, RPO {} s",
            self.style.good("failed back:"),
            record.epoch,
            record.rto_seconds.map_or("-".into(), |x| format!("{x:.0}")),
            record.rpo_estimate_seconds.map_or("-".into(), |x| x.to_string())
        );
        Ok(())
    }

    async fn destroy(
        &self,
        checked: &Checked,
        pair: &RegionPair,
        st: &ThreeTierStack,
        out: &mut dyn Write,
    ) -> Result<(), String> {
        step(out, self.style, "Destroying everything (warmstandby destroy)");
        let topology = self.topology(checked)?;
        let mut progress = Progress::new(&topology, &Self::regions(checked), self.live, true);
        let started = Instant::now();
        let suffix = chrono::Utc::now().format("%Y%m%d%H%M%S").to_string();
        let deadline = Instant::now() + PHASE_DEADLINE;
        let mut snapshots = Vec::new();
        until(deadline, "the stack's resources to be deleted", async || {
            let outcome = stack::teardown(self.aws, checked.set.stack_inputs(st), &suffix, None).await;
            progress.record(&outcome.changes, out);
            snapshots.extend(outcome.applied.iter().filter(|a| a.contains("final snapshot")).cloned());
            fail_on_errors(&outcome.errors, None)?;
            Ok((!outcome.finished).then(|| outcome.waiting.join("; ")))
        })
        .await?;
        until(deadline, "the networks to be deleted", async || {
            let outcome = region_pair::teardown(self.aws, pair, None).await;
            progress.record(&outcome.changes, out);
            fail_on_errors(&outcome.errors, None)?;
            Ok((!outcome.finished).then(|| outcome.waiting.join("; ")))
        })
        .await?;
        progress.complete(out);
        let _ = writeln!(out, "  deleted in {:.1} s", started.elapsed().as_secs_f64());
        for s in snapshots {
            let _ = writeln!(out, "  data kept: {s}");
        }
        // Proof: a fresh look finds nothing owned by the stack or its pair.
        let stack_left = stack::teardown(self.aws, checked.set.stack_inputs(st), &suffix, None).await;
        let pair_left = region_pair::teardown(self.aws, pair, None).await;
        if !stack_left.finished || !pair_left.finished || !stack_left.applied.is_empty() {
            return Err(format!(
                "{} resource(s) are still there after the teardown",
                stack_left.remaining + pair_left.remaining
            ));
        }
        let plan = crate::plan_diff::plans(self.aws, checked).await?;
        let _ = writeln!(
            out,
            "  {}: a fresh look finds 0 resources tagged as the stack's or its RegionPair's, in both regions and globally ({})",
            self.style.good("nothing left"),
            crate::plan_diff::Summary::of(&plan).line()
        );
        Ok(())
    }
}

/// The last move's record, when it succeeded.
fn succeeded<'a>(st: &'a ThreeTierStack, what: &str) -> Result<&'a warmstandby_api::FailoverRecord, String> {
    let record = st.status.as_ref().and_then(|s| s.failover_history.last()).ok_or(format!("no {what} record"))?;
    if record.outcome == "Succeeded" {
        Ok(record)
    } else {
        Err(format!("the {what} ended {}: {}", record.outcome, record.message))
    }
}

fn history_len(st: &ThreeTierStack) -> usize {
    st.status.as_ref().map(|s| s.failover_history.len()).unwrap_or(0)
}

fn pair_message(pair: &RegionPair) -> String {
    pair.status
        .as_ref()
        .and_then(|s| warmstandby_core::conditions::get(&s.conditions, "Ready").map(|c| c.message.clone()))
        .unwrap_or_default()
}

fn stack_message(st: &ThreeTierStack) -> String {
    st.status
        .as_ref()
        .and_then(|s| warmstandby_core::conditions::get(&s.conditions, "Ready").map(|c| c.message.clone()))
        .unwrap_or_default()
}

fn fail_on_errors(errors: &[warmstandby_aws::AwsError], invalid: Option<String>) -> Result<(), String> {
    if let Some(e) = invalid {
        return Err(e);
    }
    match errors.iter().find(|e| !e.class.is_retryable()) {
        Some(e) => Err(e.to_string()),
        None => Ok(()),
    }
}

/// Sleeps a moment before the next pass (the emulator answers in
/// milliseconds), or gives up at the deadline saying what it waited for.
/// Runs `pass` until it reports nothing left to wait for (`None`); between
/// passes it waits, and gives up at `deadline` saying what it waited for
/// and what the last pass said.
async fn until(
    deadline: Instant,
    what: &str,
    mut pass: impl AsyncFnMut() -> Result<Option<String>, String>,
) -> Result<(), String> {
    while let Some(last) = pass().await? {
        wait_or_give_up(deadline, what, &last).await?;
    }
    Ok(())
}

async fn wait_or_give_up(deadline: Instant, what: &str, last: &str) -> Result<(), String> {
    if Instant::now() >= deadline {
        return Err(format!("gave up after {PHASE_DEADLINE:?} waiting for {what}; last: {last}"));
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    Ok(())
}
