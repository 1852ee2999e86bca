//! The failover machine against a simulated pair of regions: each decision
//! is carried out the way the reconcile would (fence, promote, scale,
//! switch), faults are injected, and the invariants are checked after every
//! pass.

use warmstandby_api::{FailoverMode, FailoverPolicySpec, RegionRole};

use super::*;

#[derive(Clone, Debug)]
struct Sim {
    now: i64,
    failing: Vec<String>,
    db: [DbView; 2],
    fenced: [bool; 2],
    unreachable: [bool; 2],
    capacity_full: [bool; 2],
    traffic: [bool; 2],
    answers: [Option<bool>; 2],
    approved: bool,
    memory: Memory,
    history: Vec<FailoverRecord>,
}

fn policy(edit: impl FnOnce(&mut FailoverPolicySpec)) -> FailoverPolicySpec {
    let mut p: FailoverPolicySpec = serde_json::from_value(serde_json::json!({"mode": "Automatic"})).unwrap();
    p.mode = FailoverMode::Automatic;
    edit(&mut p);
    p
}

fn sim() -> Sim {
    Sim {
        now: 1_800_000_000,
        failing: Vec::new(),
        db: [
            DbView { is_replica: false, status: "available".into(), replication: Default::default(), epoch: None },
            DbView { is_replica: true, status: "available".into(), replication: replicating(Some(4)), epoch: None },
        ],
        fenced: [false, false],
        unreachable: [false, false],
        capacity_full: [true, false],
        traffic: [true, false],
        answers: [Some(true), Some(true)],
        approved: false,
        memory: Memory::default(),
        history: Vec::new(),
    }
}

/// A replica that replicates, with `lag` as its latest ReplicaLag (None: none published yet).
fn replicating(lag: Option<i64>) -> crate::replication::Health {
    crate::replication::Health {
        state: crate::replication::State::Replicating,
        lag_seconds: lag,
        last_lag: lag.map(|l| (l, 1_800_000_000)),
        ..Default::default()
    }
}

fn text(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0).unwrap().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

impl Sim {
    fn observation(&self) -> Observation {
        Observation {
            now: self.now,
            now_text: text(self.now),
            failing: self.failing.clone(),
            enabled_sources: 2,
            databases: [Some(self.db[0].clone()), Some(self.db[1].clone())],
            fenced: self.fenced,
            unreachable: self.unreachable,
            full_capacity: self.capacity_full,
            traffic: self.traffic,
            answers: self.answers,
            approved: self.approved,
        }
    }

    /// One reconcile: decide, then do what the decision asks (where reachable).
    fn pass(&mut self, policy: Option<&FailoverPolicySpec>, request: Option<&Request>) -> Decision {
        let d = decide(policy, &self.memory, request, &self.observation());
        self.memory =
            Memory { active: d.active, epoch: d.epoch, progress: d.progress.clone(), detection: d.detection.clone() };
        if let Some(r) = &d.finished {
            self.history.push(r.clone());
            if r.outcome == "Succeeded" {
                // The health check and the alarm now watch the new active region.
                self.failing.clear();
            }
        }
        for role in RegionRole::BOTH {
            let i = role.index();
            if self.unreachable[i] {
                continue;
            }
            // The data tier: the fenced region loses writer access; the data-active
            // region's replica is promoted and tagged with the epoch.
            self.fenced[i] = d.fence == Some(role);
            if d.data_active == role && self.db[i].is_replica {
                self.db[i].is_replica = false;
                self.db[i].epoch = Some(d.epoch);
            }
            // The edge: capacity and traffic.
            self.capacity_full[i] = d.full_capacity_everywhere || d.edge_active == role;
            self.traffic[i] = d.edge_active == role;
        }
        self.check_invariants(&d);
        self.now += 10;
        d
    }

    fn check_invariants(&self, d: &Decision) {
        let writable = RegionRole::BOTH
            .iter()
            .filter(|r| !self.db[r.index()].is_replica && !self.fenced[r.index()] && !self.unreachable[r.index()])
            .count();
        assert!(writable <= 1, "two writable databases: {self:#?}");
        let serving = RegionRole::BOTH.iter().any(|r| self.traffic[r.index()] && self.capacity_full[r.index()]);
        assert!(serving || self.unreachable.iter().any(|u| *u), "no serving region: {self:#?}");
        assert!(d.epoch >= self.memory.epoch);
    }

    fn step(&self) -> Option<String> {
        self.memory.progress.as_ref().map(|p| p.step.clone())
    }
}

fn primary_dies(s: &mut Sim) {
    s.failing = vec!["alarm".into(), "healthCheck".into()];
    s.answers[0] = Some(false);
}

#[test]
fn the_classic_drill_fails_over_after_the_debounce_and_in_order() {
    let p = policy(|_| {});
    let mut s = sim();
    s.pass(Some(&p), None);
    assert!(s.step().is_none(), "healthy: nothing happens");
    primary_dies(&mut s);
    s.answers[1] = Some(false);
    let mut steps = Vec::new();
    for _ in 0..20 {
        let d = s.pass(Some(&p), None);
        if let Some(step) = s.step() {
            if step == "verify" {
                // The standby's servers come up.
                s.answers[1] = Some(true);
            }
            steps.push(step);
        }
        if d.finished.is_some() {
            break;
        }
    }
    steps.dedup();
    assert_eq!(steps, ["confirm", "fence", "promote", "scale", "switch", "verify"]);
    let done = s.history.last().unwrap();
    assert_eq!((done.outcome.as_str(), done.epoch, done.to), ("Succeeded", 1, RegionRole::Standby));
    assert_eq!(done.rpo_estimate_seconds, Some(4));
    assert!(done.rto_seconds.unwrap() >= 60.0, "includes the 60 s debounce: {done:?}");
    assert_eq!(s.memory.active, RegionRole::Standby);
    assert_eq!(s.db[1].epoch, Some(1), "the promoted database carries the epoch");
    assert!(s.fenced[0], "the old writer stays fenced");
    // Steady afterwards: the failing signals now concern nothing we act on twice.
    s.failing.clear();
    let d = s.pass(Some(&p), None);
    assert!(d.progress.is_none() && d.finished.is_none());
}

#[test]
fn a_short_blip_is_not_a_failover() {
    let p = policy(|_| {});
    let mut s = sim();
    primary_dies(&mut s);
    s.pass(Some(&p), None);
    assert_eq!(s.step().as_deref(), Some("confirm"));
    s.failing.clear();
    let d = s.pass(Some(&p), None);
    assert!(d.progress.is_none());
    assert_eq!(s.history.last().map(|r| r.outcome.as_str()), Some("Cancelled"));
    assert!(!s.fenced[0] && s.db[1].is_replica);
}

#[test]
fn one_signal_is_not_enough_when_two_are_required() {
    let p = policy(|_| {});
    let mut s = sim();
    s.failing = vec!["alarm".into()];
    for _ in 0..10 {
        s.pass(Some(&p), None);
    }
    assert!(s.step().is_none());
    assert_eq!(s.memory.detection.failing, ["alarm"]);
}

#[test]
fn manual_mode_detects_but_does_not_act() {
    let p = policy(|p| p.mode = FailoverMode::Manual);
    let mut s = sim();
    primary_dies(&mut s);
    for _ in 0..10 {
        s.pass(Some(&p), None);
    }
    assert!(s.step().is_none());
    assert!(s.memory.detection.failing_since.is_some());
}

#[test]
fn guards_refuse_and_nothing_changes() {
    for (name, edit, expect) in [
        (
            "lag",
            Box::new(|s: &mut Sim| s.db[1].replication = replicating(Some(900))) as Box<dyn Fn(&mut Sim)>,
            "exceeds the RPO budget of 300 s",
        ),
        ("unknown lag", Box::new(|s: &mut Sim| s.db[1].replication = replicating(None)), "replica lag is unknown"),
        ("backing up", Box::new(|s: &mut Sim| s.db[1].status = "backing-up".into()), "replica is backing-up"),
    ] {
        let p = policy(|_| {});
        let mut s = sim();
        edit(&mut s);
        primary_dies(&mut s);
        let mut refusal = None;
        for _ in 0..12 {
            let d = s.pass(Some(&p), None);
            refusal = d.refusal.clone().or(refusal);
        }
        assert!(refusal.as_deref().is_some_and(|r| r.contains(expect)), "{name}: {refusal:?}");
        assert_eq!(s.step().as_deref(), Some("guards"), "{name}");
        assert!(!s.fenced[0] && s.db[1].is_replica && s.traffic[0], "{name}: nothing changed");
        assert_eq!(s.memory.epoch, 0, "{name}: no epoch was spent");
    }
}

#[test]
fn approval_is_waited_for_and_force_overrides_the_budget() {
    let p = policy(|p| p.guards.require_approval = true);
    let mut s = sim();
    primary_dies(&mut s);
    for _ in 0..10 {
        s.pass(Some(&p), None);
    }
    assert_eq!(s.step().as_deref(), Some("guards"));
    let refused = s.memory.progress.as_ref().and_then(|p| p.refused.clone());
    assert!(refused.is_some_and(|r| r.starts_with("waiting for approval")), "the status says why it waits");
    s.approved = true;
    s.pass(Some(&p), None);
    let progress = s.memory.progress.clone();
    assert!(progress.is_some_and(|p| p.refused.is_none() && p.step != "guards"), "the refusal is lifted");
    for _ in 0..10 {
        s.pass(Some(&p), None);
    }
    assert_eq!(s.memory.active, RegionRole::Standby);

    let p = policy(|_| {});
    let mut s = sim();
    s.db[1].replication = replicating(Some(5000));
    let forced = Request { to: RegionRole::Standby, force: true, kind: "failover" };
    for _ in 0..10 {
        s.pass(Some(&p), Some(&forced));
    }
    assert_eq!(s.memory.active, RegionRole::Standby, "forced above the RPO budget");
    assert_eq!(s.history.last().unwrap().rpo_estimate_seconds, Some(5000));
}

#[test]
fn a_planned_switchover_waits_for_zero_lag_and_back_again() {
    let p = policy(|_| {});
    let mut s = sim();
    let to_standby = Request { to: RegionRole::Standby, force: false, kind: "switchover" };
    for _ in 0..5 {
        s.pass(Some(&p), Some(&to_standby));
    }
    assert_eq!(s.step().as_deref(), Some("guards"));
    assert!(s.memory.progress.as_ref().unwrap().steps.last().unwrap().message.as_deref().unwrap().contains("lag"));
    s.db[1].replication = replicating(Some(0));
    for _ in 0..10 {
        s.pass(Some(&p), Some(&to_standby));
    }
    assert_eq!(s.memory.active, RegionRole::Standby);
    assert_eq!(s.history.last().unwrap().rpo_estimate_seconds, Some(0));

    // Failback: replication rebuilt in the old region (the reconcile's job), then the same way back.
    s.db[0] = DbView { is_replica: true, status: "available".into(), replication: replicating(Some(0)), epoch: None };
    s.fenced[0] = false;
    let back = Request { to: RegionRole::Primary, force: false, kind: "switchover" };
    for _ in 0..10 {
        s.pass(Some(&p), Some(&back));
    }
    assert_eq!(s.memory.active, RegionRole::Primary);
    assert_eq!(s.memory.epoch, 2);
    assert!(s.fenced[1], "the other writer is fenced now");
}

#[test]
fn one_failover_at_a_time() {
    let p = policy(|_| {});
    let mut s = sim();
    primary_dies(&mut s);
    s.pass(Some(&p), None);
    let back = Request { to: RegionRole::Primary, force: true, kind: "switchover" };
    let d = s.pass(Some(&p), Some(&back));
    assert!(d.events.iter().any(|(r, _)| *r == FailoverReason::Refused), "{:?}", d.events);
    assert_eq!(d.progress.as_ref().unwrap().to, RegionRole::Standby);
}

#[test]
fn without_fencing_an_reachable_writer_blocks_promotion() {
    let p = policy(|p| p.actions.fence_old_primary = false);
    let mut s = sim();
    primary_dies(&mut s);
    for _ in 0..12 {
        s.pass(Some(&p), None);
    }
    assert_eq!(s.step().as_deref(), Some("fence"));
    assert!(s.db[1].is_replica);
    s.unreachable[0] = true;
    for _ in 0..12 {
        s.pass(Some(&p), None);
    }
    assert_eq!(s.memory.active, RegionRole::Standby);
}

#[test]
fn one_pass_that_cannot_reach_the_old_writer_is_no_outage() {
    let p = policy(|_| {});
    let mut s = sim();
    primary_dies(&mut s);
    // Up to the fence, with the primary's reads failing in that pass only.
    let mut n = 0;
    while s.step().as_deref() != Some("fence") {
        s.unreachable[0] = false;
        s.pass(Some(&p), None);
        n += 1;
        assert!(n < 40, "never reached the fence");
    }
    s.unreachable[0] = true;
    s.pass(Some(&p), None);
    assert!(s.db[1].is_replica, "one unreachable pass promotes nothing");
    assert_eq!(s.step().as_deref(), Some("fence"));
    // It answers again: the fence is applied, as for any reachable writer.
    s.unreachable[0] = false;
    s.pass(Some(&p), None);
    assert!(s.fenced[0], "the old writer was fenced");
    // Unreachable in two passes in a row: the move goes on without it.
    let mut t = sim();
    primary_dies(&mut t);
    while t.step().as_deref() != Some("fence") {
        t.pass(Some(&p), None);
    }
    t.unreachable[0] = true;
    t.pass(Some(&p), None);
    assert!(t.db[1].is_replica);
    for _ in 0..12 {
        t.pass(Some(&p), None);
    }
    assert_eq!(t.memory.active, RegionRole::Standby, "a region cut off for two passes does not block the failover");
}

#[test]
fn a_restart_at_any_step_resumes_and_completes_once() {
    let p = policy(|_| {});
    // Run the drill once to learn how many passes it takes.
    let mut reference = sim();
    primary_dies(&mut reference);
    let mut n = 0;
    while reference.history.is_empty() {
        reference.pass(Some(&p), None);
        n += 1;
        assert!(n < 40);
    }
    for crash_at in 0..n {
        let mut s = sim();
        primary_dies(&mut s);
        for _ in 0..crash_at {
            s.pass(Some(&p), None);
        }
        // The restarted process has the last written status, and sees AWS anew.
        let saved = s.memory.clone();
        s.memory = saved;
        for _ in 0..40 {
            s.pass(Some(&p), None);
        }
        let done: Vec<_> = s.history.iter().filter(|r| r.outcome == "Succeeded").collect();
        assert_eq!(done.len(), 1, "crash at pass {crash_at}: {:?}", s.history);
        assert_eq!(s.memory.epoch, 1, "crash at pass {crash_at}");
    }
}

#[test]
fn a_status_lost_in_the_middle_cannot_undo_the_newer_epoch() {
    let p = policy(|_| {});
    let mut s = sim();
    primary_dies(&mut s);
    for _ in 0..20 {
        s.pass(Some(&p), None);
    }
    assert_eq!(s.memory.active, RegionRole::Standby);
    // A stale leader still believes an older failover (epoch 0 -> 1) is at the
    // promote step: the database already carries a newer epoch.
    s.db[1].epoch = Some(5);
    let mut stale = s.memory.clone();
    let mut progress =
        s.history.last().map(|r| start(&r.kind, r.from, r.to, Stage::Promote, 1, &r.started_at)).unwrap();
    progress.epoch = 1;
    stale.progress = Some(progress);
    stale.active = RegionRole::Primary;
    let d = decide(Some(&p), &stale, None, &s.observation());
    assert!(d.events.iter().any(|(r, _)| *r == FailoverReason::Superseded), "{:?}", d.events);
    assert!(d.progress.is_none() && d.finished.is_none());
}

/// A small deterministic generator (xorshift), so failures reproduce.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

#[test]
fn randomized_faults_never_break_the_invariants() {
    for seed in 1..200u64 {
        let p = policy(|p| p.detection.debounce_seconds = 20);
        let mut s = sim();
        let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        for _ in 0..60 {
            // Flapping signals, regions that drop out, lag that jumps, AWS
            // effects that lag behind (a pass that applies nothing).
            if rng.chance(30) {
                if rng.chance(60) { primary_dies(&mut s) } else { s.failing.clear() }
            }
            s.unreachable[0] = rng.chance(10);
            s.db[1].replication = replicating(if rng.chance(10) { None } else { Some((rng.next() % 600) as i64) });
            if rng.chance(20) {
                // The pass crashes before carrying anything out.
                let d = decide(Some(&p), &s.memory, None, &s.observation());
                assert!(d.epoch >= s.memory.epoch);
                s.now += 10;
                continue;
            }
            s.pass(Some(&p), None);
        }
        let succeeded = s.history.iter().filter(|r| r.outcome == "Succeeded").count();
        assert!(succeeded <= 1, "seed {seed}: {:?}", s.history);
        assert_eq!(i64::try_from(succeeded).unwrap(), s.memory.epoch.min(1), "seed {seed}");
    }
}

#[test]
fn reasons_are_stable_and_only_failures_and_refusals_warn() {
    use FailoverReason::*;
    let all = [FailureDetected, Started, Refused, Superseded, Cancelled, Decided, Step, Succeeded, DrillRan];
    let names: Vec<&str> = all.iter().map(|r| r.as_str()).collect();
    assert_eq!(
        names,
        [
            "FailureDetected",
            "FailoverStarted",
            "FailoverRefused",
            "FailoverSuperseded",
            "FailoverCancelled",
            "FailoverDecided",
            "FailoverStep",
            "FailoverSucceeded",
            "DrillRan"
        ]
    );
    let warnings: Vec<&str> = all.iter().filter(|r| r.is_warning()).map(|r| r.as_str()).collect();
    assert_eq!(warnings, ["FailureDetected", "FailoverRefused"]);
}

#[test]
fn stages_are_typed_in_order_and_round_trip_their_names() {
    for s in Stage::ORDER {
        assert_eq!(Stage::parse(s.as_str()), Some(s));
    }
    assert_eq!(Stage::parse("teleport"), None);
    assert!(Stage::Confirm < Stage::Guards && Stage::Switch < Stage::Verify);
    assert!(Stage::Switch.traffic_moved() && !Stage::Scale.traffic_moved());
    // Steps switched off by the policy are skipped.
    let mut policy = policy(|_| {});
    policy.actions.scale_standby = false;
    assert_eq!(next_step(Some(&policy), Stage::Promote), Some(Stage::Switch));
    policy.actions.verify = false;
    assert_eq!(next_step(Some(&policy), Stage::Switch), None);
}

#[test]
fn the_placement_follows_the_move_step_by_step() {
    let p = policy(|_| {});
    let mut s = sim();
    let steady = s.pass(Some(&p), None).placement(0);
    assert_eq!(
        steady,
        crate::placement::Placement { rebuild_allowed: true, ..crate::placement::Placement::at(RegionRole::Primary) }
    );
    primary_dies(&mut s);
    let mut seen = Vec::new();
    for _ in 0..20 {
        let d = s.pass(Some(&p), None);
        let placement = d.placement(0);
        if let Some(step) = s.step() {
            if step == "verify" {
                s.answers[1] = Some(true);
            }
            seen.push((step, placement));
        }
        if d.finished.is_some() {
            // Done: everything in the standby, the old writer fenced, rebuild allowed.
            assert_eq!((placement.data_active, placement.edge_active), (RegionRole::Standby, RegionRole::Standby));
            assert_eq!(placement.fenced, Some(RegionRole::Primary));
            assert!(placement.rebuild_allowed && !placement.full_capacity_everywhere);
            break;
        }
    }
    for (step, placement) in &seen {
        assert!(!placement.rebuild_allowed, "{step}: nothing is rebuilt during a move");
        match step.as_str() {
            // Before promotion the writer keeps the epoch it had.
            "fence" => assert_eq!((placement.data_active, placement.epoch), (RegionRole::Primary, 0), "{step}"),
            "scale" | "switch" => {
                assert_eq!((placement.data_active, placement.epoch), (RegionRole::Standby, 1), "{step}");
                assert!(placement.full_capacity_everywhere, "{step}");
            }
            _ => {}
        }
    }
}

/// One thing that can happen between and during passes.
#[derive(Clone, Debug)]
enum Event {
    PrimaryDies,
    SignalsClear,
    Unreachable(usize, bool),
    Lag(Option<i64>),
    /// A pass decides but crashes before carrying anything out or writing its status.
    Crash,
    Approve,
    Request {
        to: RegionRole,
        force: bool,
    },
    Pass,
}

fn events() -> impl proptest::strategy::Strategy<Value = Vec<Event>> {
    use proptest::prelude::*;
    let event = prop_oneof![
        2 => Just(Event::PrimaryDies),
        1 => Just(Event::SignalsClear),
        1 => (0usize..2, any::<bool>()).prop_map(|(i, down)| Event::Unreachable(i, down)),
        2 => prop_oneof![Just(None), (0i64..900).prop_map(Some)].prop_map(Event::Lag),
        1 => Just(Event::Crash),
        1 => Just(Event::Approve),
        1 => (any::<bool>(), proptest::bool::weighted(0.2)).prop_map(|(standby, force)| Event::Request {
            to: if standby { RegionRole::Standby } else { RegionRole::Primary },
            force,
        }),
        6 => Just(Event::Pass),
    ];
    proptest::collection::vec(event, 1..80)
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

    /// Over any interleaving of failures, recoveries, unreachable regions,
    /// lag, crashes, approvals and requests: at most one writable database,
    /// a serving region unless one is cut off, epochs never go back, and no
    /// promotion while the replica lags beyond the RPO budget unless forced.
    #[test]
    fn the_machine_keeps_its_invariants_over_any_interleaving(events in events(), approval in proptest::bool::ANY) {
        let budget = 120;
        let p = policy(|p| {
            p.detection.debounce_seconds = 20;
            p.guards.max_replica_lag_seconds = budget;
            p.guards.require_approval = approval;
        });
        let mut s = sim();
        let mut request: Option<Request> = None;
        // The replica's lag when the guards passed and the move was decided.
        let mut decided_with: Option<(Option<i64>, bool)> = None;
        for event in events {
            match event {
                Event::PrimaryDies => primary_dies(&mut s),
                Event::SignalsClear => {
                    s.failing.clear();
                    s.answers = [Some(true), Some(true)];
                }
                Event::Unreachable(i, down) => s.unreachable[i] = down,
                Event::Lag(lag) => {
                    for i in 0..2 {
                        if s.db[i].is_replica {
                            s.db[i].replication = replicating(lag);
                        }
                    }
                }
                Event::Crash => {
                    let d = decide(Some(&p), &s.memory, request.as_ref(), &s.observation());
                    proptest::prop_assert!(d.epoch >= s.memory.epoch);
                    s.now += 10;
                }
                Event::Approve => s.approved = true,
                Event::Request { to, force } => {
                    request = Some(Request { to, force, kind: if force { "failover" } else { "switchover" } })
                }
                Event::Pass => {
                    let before: Vec<(bool, Option<i64>)> = s.db.iter().map(|d| (d.is_replica, d.replication.lag_seconds)).collect();
                    let epoch = s.memory.epoch;
                    let d = s.pass(Some(&p), request.as_ref());
                    proptest::prop_assert!(d.epoch >= epoch);
                    if d.events.iter().any(|(r, _)| *r == FailoverReason::Decided) {
                        let standby = before.iter().find(|(replica, _)| *replica).and_then(|(_, lag)| *lag);
                        decided_with = Some((standby, request.as_ref().is_some_and(|r| r.force)));
                    }
                    for (i, (was_replica, _)) in before.iter().enumerate() {
                        // The guard is taken when the move is decided; after
                        // the fence the old writer takes no writes.
                        if *was_replica && !s.db[i].is_replica {
                            let (lag, forced) = decided_with.unwrap_or((None, false));
                            proptest::prop_assert!(
                                forced || lag.is_none_or(|l| l <= budget),
                                "promotion decided with {lag:?} s of lag over a {budget} s budget"
                            );
                        }
                    }
                    if d.progress.is_none() {
                        request = None;
                    }
                }
            }
        }
    }
}

/// Replication that stopped at `since`; it was last known running, `lag` s
/// behind, at `running_at`.
fn stopped(lag: i64, running_at: i64, since: i64) -> crate::replication::Health {
    crate::replication::Health {
        state: crate::replication::State::Stopped,
        reason: Some("RDS reports replication error: cannot reach the source".into()),
        lag_seconds: None,
        last_lag: Some((lag, running_at)),
        stopped_since: Some(since),
    }
}

fn run_to_the_end(s: &mut Sim, p: &FailoverPolicySpec, request: Option<&Request>) -> Option<String> {
    let mut refusal = None;
    for _ in 0..20 {
        let d = s.pass(Some(p), request);
        refusal = d.refusal.clone().or(refusal);
        if d.finished.is_some() {
            break;
        }
    }
    refusal
}

#[test]
fn replication_that_stops_with_the_disaster_is_promoted_with_an_honest_rpo() {
    let p = policy(|_| {});
    let mut s = sim();
    // Replicating 2 s behind until the region died, 10 s before detection saw it.
    s.db[1].replication = stopped(2, s.now - 10, s.now - 10);
    primary_dies(&mut s);
    let refusal = run_to_the_end(&mut s, &p, None);
    assert_eq!(refusal, None);
    let done = s.history.last().expect("a record");
    assert_eq!(done.outcome, "Succeeded");
    assert_eq!(done.rpo_estimate_seconds, Some(12), "the last lag plus the writes after it, never the -1");
}

#[test]
fn replication_that_stopped_long_before_the_disaster_is_refused_and_force_records_an_unknown_rpo() {
    let p = policy(|_| {});
    let mut s = sim();
    s.db[1].replication = stopped(0, s.now - 900, s.now - 890);
    primary_dies(&mut s);
    let refusal = run_to_the_end(&mut s, &p, None).unwrap_or_default();
    assert!(refusal.contains("replication is not running since"), "{refusal}");
    assert!(refusal.contains("cannot reach the source"), "RDS's words: {refusal}");
    assert!(refusal.contains("up to 900 s of writes") && refusal.contains("budget of 300 s"), "{refusal}");
    assert_eq!(s.step().as_deref(), Some("guards"));
    assert!(!s.fenced[0] && s.db[1].is_replica && s.traffic[0], "nothing changed");
    assert_eq!(s.memory.epoch, 0);

    let forced = Request { to: RegionRole::Standby, force: true, kind: "failover" };
    let mut s = sim();
    s.db[1].replication = stopped(0, s.now - 900, s.now - 890);
    s.answers[1] = Some(true);
    run_to_the_end(&mut s, &p, Some(&forced));
    let done = s.history.last().expect("a record");
    assert_eq!((done.outcome.as_str(), done.to), ("Succeeded", RegionRole::Standby));
    assert_eq!(done.rpo_estimate_seconds, None, "forced past a stopped replication: the RPO is unknown");
}

#[test]
fn a_planned_switchover_is_refused_while_replication_is_stopped() {
    let p = policy(|_| {});
    let mut s = sim();
    s.db[1].replication = stopped(0, s.now - 5, s.now - 5);
    let to_standby = Request { to: RegionRole::Standby, force: false, kind: "switchover" };
    let refusal = run_to_the_end(&mut s, &p, Some(&to_standby)).unwrap_or_default();
    assert!(refusal.contains("needs replication running and caught up"), "{refusal}");
    assert_eq!(s.memory.active, RegionRole::Primary);
}
