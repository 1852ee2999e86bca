//! The stack pass without AWS: what the emulator tier shows end to end, here
//! on fixed snapshots.

use warmstandby_api::{RegionRole, RegionStackStatus, ThreeTierStackStatus};

use super::*;
use crate::data::observed::ObservedDatabase;

fn nets() -> [NetworkRefs; 2] {
    ["east", "west"].map(|r| NetworkRefs {
        vpc_id: format!("vpc-{r}"),
        subnet_ids: ["public-a", "public-b", "web-a", "web-b", "app-a", "app-b", "db-a", "db-b"]
            .iter()
            .map(|k| (k.to_string(), format!("subnet-{r}-{k}")))
            .collect(),
    })
}

fn writer(id: &str, epoch: i64) -> ObservedDatabase {
    ObservedDatabase { epoch: Some(epoch), ..crate::test_fixtures::observed_database(id, None, true) }
}

const NOW: &str = "2026-11-29T12:00:00Z";

fn pass(
    stack: &ThreeTierStack,
    validated: &ValidatedStack,
    snapshot: &Snapshot,
    applied: &Applied,
) -> (Decided, Concluded) {
    let mut memory = memory::memory(stack);
    let looking_for = Desired::of(validated, &Placement::at(memory.active));
    let recorded = stack.status.as_ref().is_some_and(|s| s.active_role.is_some());
    memory::recover(&mut memory, recorded, &snapshot.families.database, &looking_for.families.database);
    let nets = nets();
    let inputs = |signals| Inputs {
        stack,
        validated,
        nets: &nets,
        memory: &memory,
        snapshot,
        signals,
        request: None,
        observe_only: false,
        now: NOW,
    };
    let decided = decide(inputs(None));
    let concluded = conclude(stack, validated, snapshot, decide(inputs(None)), applied, false, NOW);
    (decided, concluded)
}

#[test]
fn nothing_is_planned_into_a_region_that_cannot_be_reached_and_its_status_is_kept() {
    let (mut stack, validated) = crate::test_fixtures::classic_object(|_| {});
    let last_seen = RegionStackStatus { region: "us-west-2".into(), bastion_instance_id: None, ..Default::default() };
    stack.status = Some(ThreeTierStackStatus { standby: Some(last_seen.clone()), ..Default::default() });
    let snapshot = Snapshot { unreachable: [false, true], ..Default::default() };
    let (decided, concluded) = pass(&stack, &validated, &snapshot, &Applied::default());
    assert!(!decided.families_plan.actions.is_empty(), "the reachable region is built");
    let regional = decided.families_plan.actions.iter().filter(|(at, _)| *at != Place::Global);
    assert!(
        regional.clone().count() > 0 && regional.into_iter().all(|(at, _)| *at == Place::Region(RegionRole::Primary))
    );
    assert!(decided.families_plan.blocked.iter().any(|b| b.contains("us-west-2 cannot be reached")));
    assert!(!decided.converged);
    let ready = crate::conditions::get(&concluded.status.conditions, "Ready").unwrap();
    assert_eq!((ready.status.as_str(), ready.reason.as_str()), ("False", "NeedsReplacement"));
    assert_eq!(concluded.status.standby, Some(last_seen), "the unreachable region keeps its last status");
}

#[test]
fn a_lost_status_never_undoes_a_failover() {
    // No status (a new operator, the CLI); AWS shows the standby writing at
    // epoch 3 and the old writer still there at epoch 2.
    let (stack, validated) = crate::test_fixtures::classic_object(|_| {});
    let mut snapshot = Snapshot::default();
    snapshot.families.database[0].databases.push(writer("bookstore-bookstore-primary-db", 2));
    snapshot.families.database[1].databases.push(writer("bookstore-bookstore-standby-db", 3));
    let (decided, concluded) = pass(&stack, &validated, &snapshot, &Applied::default());
    assert_eq!(decided.decision.active, RegionRole::Standby, "the writer with the highest epoch serves");
    assert_eq!(decided.placement.data_active, RegionRole::Standby);
    assert_eq!(decided.placement.fenced, Some(RegionRole::Primary), "the other writer is fenced");
    assert!(matches!(decided.desired.families.database[1].database, crate::desired::DesiredDatabase::Writer(_)));
    assert_eq!(concluded.status.active_role, Some(RegionRole::Standby));
    assert_eq!(concluded.status.active_region.as_deref(), Some("us-west-2"));
    assert_eq!(concluded.status.epoch, 3);
}

#[test]
fn the_next_pass_follows_what_this_one_did() {
    let (stack, validated) = crate::test_fixtures::classic_object(|_| {});
    let snapshot = Snapshot::default();
    let next = |applied: Applied| pass(&stack, &validated, &snapshot, &applied).1.next;
    assert_eq!(next(Applied { count: 3, applying: true, retryable: true, ..Default::default() }), Next::Progress);
    assert_eq!(
        next(Applied {
            errors: vec!["ec2:CreateVpc: Throttling".into()],
            retryable: true,
            applying: true,
            ..Default::default()
        }),
        Next::Failed { retryable: true }
    );
    assert_eq!(next(Applied { applying: true, ..Default::default() }), Next::WaitingOnAws, "nothing built yet");
    assert_eq!(next(Applied::default()), Next::Steady, "an observing pass");
}

#[test]
fn detection_signals_start_a_move_and_the_next_pass_comes_at_once() {
    let (stack, validated) = crate::test_fixtures::classic_object(|_| {});
    let mut snapshot = Snapshot::default();
    snapshot.families.database[0].databases.push(writer("bookstore-bookstore-primary-db", 0));
    let memory = memory::memory(&stack);
    let nets = nets();
    let signals = Signals {
        failing: vec!["alarm".into(), "healthCheck".into()],
        detection: Default::default(),
        enabled_sources: 2,
        answers: [None, None],
    };
    let inputs = Inputs {
        stack: &stack,
        validated: &validated,
        nets: &nets,
        memory: &memory,
        snapshot: &snapshot,
        signals: Some(signals),
        request: None,
        observe_only: false,
        now: NOW,
    };
    let decided = decide(inputs);
    let progress = decided.decision.progress.clone().expect("a move starts");
    assert_eq!((progress.step.as_str(), progress.to), ("confirm", RegionRole::Standby));
    assert!(decided.decision.events.iter().any(|(r, _)| *r == FailoverReason::FailureDetected));
    // Nothing moves while the failure is being confirmed.
    assert_eq!(decided.placement.data_active, RegionRole::Primary);
    let concluded =
        conclude(&stack, &validated, &snapshot, decided, &Applied { applying: true, ..Default::default() }, false, NOW);
    assert_eq!(concluded.next, Next::Progress);
    assert_eq!(concluded.status.failover.map(|p| p.step), Some("confirm".to_string()));
}

#[test]
fn a_new_password_never_reaches_the_secret_before_the_writer_can_take_it() {
    use crate::families::SeamAction;
    use crate::families::secrets::{ObservedSecret, SecretAction};
    // The data-active region's database is still a replica (a promotion
    // under way): the secret keeps the old password until it can be changed
    // on the database first.
    let (stack, validated) = crate::test_fixtures::classic_object(|_| {});
    let mut snapshot = Snapshot::default();
    let replica = crate::test_fixtures::observed_database("bookstore-bookstore-primary-db", Some("arn:source"), true);
    snapshot.families.database[0].databases.push(replica);
    snapshot.families.secrets = Some(ObservedSecret {
        arn: "arn:aws:secretsmanager:us-east-1:1:secret:s-AbCdEf".into(),
        ours: true,
        replicas: vec![("us-west-2".into(), "InSync".into())],
        differing: Some(vec!["password".into()]),
        ..Default::default()
    });
    let (decided, _) = pass(&stack, &validated, &snapshot, &Applied::default());
    let rotations: Vec<_> = decided
        .families_plan
        .actions
        .iter()
        .filter(|(_, a)| matches!(a, SeamAction::Secrets(SecretAction::Rotate { .. })))
        .collect();
    assert!(rotations.is_empty(), "{rotations:?}");
    let waiting = &decided.families_plan.waiting;
    assert!(waiting.iter().any(|w| w.contains("new password waits")), "{:?}", decided.families_plan);
}

#[test]
fn a_refused_move_says_why_and_polls_instead_of_going_on_at_once() {
    // A switchover requested through the spec, with no database in the
    // standby region to promote.
    let (mut stack, validated) = crate::test_fixtures::classic_object(|_| {});
    stack.status = Some(ThreeTierStackStatus {
        active_role: Some(RegionRole::Primary),
        requested_active_region: Some(RegionRole::Primary),
        ..Default::default()
    });
    stack.spec.active_region = RegionRole::Standby;
    let mut snapshot = Snapshot::default();
    snapshot.families.database[0].databases.push(writer("bookstore-bookstore-primary-db", 0));
    let nets = nets();
    let applied = Applied { applying: true, ..Default::default() };
    let watched_pass = |stack: &ThreeTierStack| {
        let memory = memory::memory(stack);
        let signals =
            Signals { failing: Vec::new(), detection: Default::default(), enabled_sources: 2, answers: [None, None] };
        let inputs = Inputs {
            stack,
            validated: &validated,
            nets: &nets,
            memory: &memory,
            snapshot: &snapshot,
            signals: Some(signals),
            request: None,
            observe_only: false,
            now: NOW,
        };
        conclude(stack, &validated, &snapshot, decide(inputs), &applied, false, NOW)
    };
    let first = watched_pass(&stack);
    let refused = first.status.failover.as_ref().and_then(|p| p.refused.clone());
    assert!(refused.as_deref().is_some_and(|r| r.contains("no database in the standby region")), "{refused:?}");
    assert_eq!(first.next, Next::Progress, "the move started this pass");
    // Refused again: the refusal is told again, but nothing moved.
    stack.status = Some(first.status);
    let again = watched_pass(&stack);
    assert!(again.events.iter().all(|(r, _)| *r == FailoverReason::Refused), "{:?}", again.events);
    assert!(again.status.failover.as_ref().is_some_and(|p| p.refused.is_some()));
    assert_eq!(again.next, Next::WaitingOnAws);
}

#[test]
fn an_observed_stack_reports_the_move_it_would_make_and_makes_none() {
    let (mut stack, mut validated) = crate::test_fixtures::classic_object(|_| {});
    stack.spec.management_policy = warmstandby_api::ManagementPolicy::Observe;
    validated.spec.management_policy = warmstandby_api::ManagementPolicy::Observe;
    let mut snapshot = Snapshot::default();
    snapshot.families.database[0].databases.push(writer("bookstore-bookstore-primary-db", 0));
    let memory = memory::memory(&stack);
    let nets = nets();
    let signals = Signals {
        failing: vec!["alarm".into(), "healthCheck".into()],
        detection: warmstandby_api::DetectionStatus { probe_failures: 2, ..Default::default() },
        enabled_sources: 2,
        answers: [None, None],
    };
    let decide_observing = |stack: &ThreeTierStack| {
        decide(Inputs {
            stack,
            validated: &validated,
            nets: &nets,
            memory: &memory,
            snapshot: &snapshot,
            signals: Some(signals.clone()),
            request: None,
            observe_only: true,
            now: NOW,
        })
    };
    let decided = decide_observing(&stack);
    assert!(decided.decision.progress.is_none(), "nothing moves: {:?}", decided.decision.progress);
    assert_eq!(decided.placement.data_active, RegionRole::Primary);
    assert_eq!(decided.decision.detection.probe_failures, 2, "detection keeps counting");
    let would = decided.would_move.clone().expect("the move is described");
    assert_eq!(would, "failover from us-east-1 to us-west-2");
    assert!(!decided.converged);
    let concluded = conclude(&stack, &validated, &snapshot, decided, &Applied::default(), false, NOW);
    assert!(concluded.status.failover.is_none(), "no move is recorded");
    assert!(concluded.status.failover_history.is_empty());
    assert_eq!(concluded.status.phase, Some(warmstandby_api::Phase::Observing));
    assert_eq!(concluded.status.detection.as_ref().map(|d| d.probe_failures), Some(2));
    assert_eq!(concluded.would_move.as_deref(), Some(would.as_str()));
    let told: Vec<&String> =
        concluded.events.iter().filter(|(r, _)| *r == FailoverReason::FailureDetected).map(|(_, m)| m).collect();
    assert_eq!(told, [&format!("observe only, nothing is changed: {would}")]);
    // Nothing is under way: an observed stack never reports progress.
    let progressing = crate::conditions::get(&concluded.status.conditions, "Progressing").expect("Progressing");
    assert_eq!((progressing.status.as_str(), progressing.reason.as_str()), ("False", "Idle"));

    // The next pass, with the finding already in status.planned, tells it no more.
    let mut status = concluded.status;
    status.planned = Some(warmstandby_api::PlannedChanges {
        count: 1,
        changes: vec![warmstandby_api::PlannedChange {
            region: "us-east-1".into(),
            action: PLANNED_FAILOVER.into(),
            kind: "ThreeTierStack".into(),
            description: would.clone(),
        }],
        note: None,
    });
    stack.status = Some(status);
    let concluded = conclude(&stack, &validated, &snapshot, decide_observing(&stack), &Applied::default(), false, NOW);
    assert!(concluded.events.iter().all(|(r, _)| *r != FailoverReason::FailureDetected), "{:?}", concluded.events);
}

#[test]
fn a_new_status_lists_the_families_conditions_in_one_order_wherever_they_are_planned() {
    let (stack, validated) = crate::test_fixtures::classic_object(|_| {});
    let (_, concluded) = pass(&stack, &validated, &Snapshot::default(), &Applied::default());
    let listed: Vec<&str> = concluded
        .status
        .conditions
        .iter()
        .map(|c| c.type_.as_str())
        .filter(|t| crate::conditions::types::FAMILIES.contains(t))
        .collect();
    // The certificates' condition is their family's on the seam, the
    // others' their tier's: the order is the same.
    assert_eq!(listed, crate::conditions::types::FAMILIES);
    let every: Vec<&str> = concluded.status.conditions.iter().map(|c| c.type_.as_str()).collect();
    for c in ["SpecValid", "DatabaseReady", "ReplicationHealthy", "Ready"] {
        assert!(every.contains(&c), "{c}: {every:?}");
    }
}

/// An adopted database is recorded once, by its identifier: the replica a
/// switchover promoted to writer is the instance adopted as a replica.
#[test]
fn an_adopted_database_is_recorded_once_whatever_its_role_now() {
    let (_, validated) = crate::test_fixtures::classic_object(|_| {});
    let desired = Desired::of(&validated, &Placement::of_spec(&validated));
    let (primary, standby) = (&desired.families.database[0], &desired.families.database[1]);
    let at = "2026-11-29T10:00:00Z";
    let adopted_as = |id: &str, replica_of: Option<&str>| ObservedDatabase {
        adopted_at: Some(at.into()),
        ..crate::test_fixtures::observed_database(id, replica_of, true)
    };
    let mut snapshot = Snapshot::default();
    snapshot.families.database[0].databases.push(adopted_as(&primary.db_identifier, Some(&standby.db_identifier)));
    snapshot.families.database[1].databases.push(adopted_as(&standby.db_identifier, None));
    let before = ThreeTierStackStatus {
        adopted: vec![warmstandby_api::AdoptedResource {
            region: standby.region.clone(),
            kind: Kind::DbReadReplica.to_string(),
            id: standby.db_identifier.clone(),
            adopted_at: at.into(),
        }],
        ..Default::default()
    };
    let recorded = adopted(Some(&before), &desired, &snapshot);
    let seen: Vec<(&str, &str, &str)> =
        recorded.iter().map(|a| (a.region.as_str(), a.kind.as_str(), a.id.as_str())).collect();
    assert_eq!(
        seen,
        [
            (standby.region.as_str(), "DbReadReplica", standby.db_identifier.as_str()),
            (primary.region.as_str(), "DbReadReplica", primary.db_identifier.as_str()),
        ],
        "the promoted standby is the replica adopted before; the primary, a replica now, is recorded as found"
    );
}
