use warmstandby_api::ThreeTierStack;

use super::*;
use crate::families::ResourceFamily;

fn desired(edit: impl Fn(&mut ThreeTierStack)) -> [DesiredBackups; 2] {
    let v = crate::test_fixtures::classic_stack(|_, s| edit(s));
    Backup::desired(&v, &Placement::of_spec(&v))
}

/// Plans as the stack pass does: the copy goes to the standby's vault once it is ours.
fn plan_with_vaults(d: &[DesiredBackups; 2], o: &[ObservedBackups; 2]) -> BackupPlan {
    let mut plan = BackupPlan::default();
    for (d, region) in d.iter().zip(o) {
        let copy = d.plan.as_ref().and_then(|p| o[1].vault_arn(&p.copy_to_vault));
        plan.append(plan_backups(d, region, copy));
    }
    plan
}

/// `primary:AdoptBackupVault`: where, and the action's name.
fn kinds(plan: &BackupPlan) -> Vec<String> {
    plan.actions
        .iter()
        .map(|(place, a)| described(place, a).split([' ', '{']).next().unwrap_or_default().into())
        .collect()
}

fn described(place: &Place, a: &BackupAction) -> String {
    match place {
        Place::Region(role) => format!("{role}:{a:?}"),
        Place::Global => format!("global:{a:?}"),
    }
}

fn round_of(rounds: &[Vec<String>], needle: &str) -> usize {
    rounds
        .iter()
        .position(|r| r.iter().any(|a| a.contains(needle)))
        .unwrap_or_else(|| panic!("{needle} never planned: {rounds:#?}"))
}

fn vault(name: &str, claim: Claim) -> ObservedBackupVault {
    ObservedBackupVault { name: name.into(), arn: format!("arn:aws:backup:r:123456789012:backup-vault:{name}"), claim }
}

/// What a stack built: both vaults, the plan with one selection.
fn built(d: &[DesiredBackups; 2]) -> [ObservedBackups; 2] {
    let mut o = d.clone().map(|d| ObservedBackups {
        vaults: vec![ObservedBackupVault {
            name: d.vault.unwrap_or_default(),
            arn: "arn:aws:backup:r:123456789012:backup-vault:v".into(),
            claim: Claim::Created,
        }],
        plans: Vec::new(),
    });
    o[0].plans.push(ObservedBackupPlan {
        id: "plan-1".into(),
        arn: "arn:aws:backup:r:123456789012:backup-plan:plan-1".into(),
        claim: Claim::Created,
        target_vault: d[0].vault.clone().unwrap_or_default(),
        name: "p".into(),
        schedule: "cron(0 5 ? * * *)".into(),
        retention_days: Some(35),
        copy_to_vault_arn: None,
        selections: vec![("sel-1".into(), "s".into())],
    });
    o
}

/// The plan a person made in the console: a daily rule to `Default`, no copy, a selection of its own.
fn console_backup_plan(claim: Claim) -> ObservedBackupPlan {
    ObservedBackupPlan {
        id: "plan-console".into(),
        arn: "arn:aws:backup:us-east-1:123456789012:backup-plan:plan-console".into(),
        name: "bookstore-daily".into(),
        schedule: "cron(0 3 * * ? *)".into(),
        retention_days: Some(7),
        target_vault: "Default".into(),
        copy_to_vault_arn: None,
        selections: vec![("sel-console".into(), "everything-tagged-bookstore".into())],
        claim,
    }
}

/// Teardown rounds on a model, a released resource being one no longer
/// ours (its tags gone), until nothing is planned.
fn teardown_rounds_until_released(d: &[DesiredBackups; 2], mut o: [ObservedBackups; 2]) -> Vec<Vec<String>> {
    let mut rounds = Vec::new();
    for _ in 0..10 {
        // As the controller's teardown: what a family retains is taken as adopted.
        Backup::hold_retained(d, &mut o);
        let p = plan_backup_teardown(d, &o);
        if p.actions.is_empty() {
            return rounds;
        }
        rounds.push(p.actions.iter().map(|(place, a)| described(place, a)).collect());
        for (place, a) in p.actions {
            let Place::Region(role) = place else { panic!("a backup action is regional: {a:?}") };
            let m = &mut o[role.index()];
            let released = || Claim::Foreign { other_owner: None };
            match a {
                BackupAction::DeleteBackupSelection { selection_id, .. } => {
                    m.plans.iter_mut().for_each(|p| p.selections.retain(|(id, _)| *id != selection_id))
                }
                BackupAction::ReleaseBackupPlan { plan_id, .. } => {
                    m.plans.iter_mut().filter(|p| p.id == plan_id).for_each(|p| p.claim = released())
                }
                BackupAction::ReleaseBackupVault { name, .. } => {
                    m.vaults.iter_mut().filter(|v| v.name == name).for_each(|v| v.claim = released())
                }
                BackupAction::DeleteBackupPlan { plan_id } => m.plans.retain(|p| p.id != plan_id),
                BackupAction::DeleteBackupVault { name } => m.vaults.retain(|v| v.name != name),
                other => panic!("teardown planned a change: {other:?}"),
            }
        }
    }
    panic!("teardown did not finish: {rounds:?}");
}

#[test]
fn backups_are_built_vaults_first_and_deleted_selection_plan_vaults() {
    let d = desired(|_| {});
    let none = [ObservedBackups::default(), ObservedBackups::default()];
    let p = plan_with_vaults(&d, &none);
    assert_eq!(kinds(&p), ["primary:CreateBackupVault", "standby:CreateBackupVault"]);
    assert!(p.waiting.contains(&"the backup plan waits for both vaults".to_string()), "{:?}", p.waiting);
    // Both vaults ours: the plan backs up to the primary's and copies to the standby's.
    let mut o = built(&d);
    o[0].plans.clear();
    o[1].vaults[0].arn = "arn:aws:backup:us-west-2:123456789012:backup-vault:west".into();
    let p = plan_with_vaults(&d, &o);
    let create = p.actions.iter().find_map(|(_, a)| match a {
        BackupAction::CreateBackupPlan { vault, copy_to_vault_arn, .. } => Some((vault.clone(), copy_to_vault_arn)),
        _ => None,
    });
    assert_eq!(create, Some((d[0].vault.clone().unwrap_or_default(), &o[1].vaults[0].arn)), "{:?}", p.actions);
    let rounds = teardown_rounds_until_released(&d, built(&d));
    assert!(round_of(&rounds, "DeleteBackupSelection") < round_of(&rounds, "DeleteBackupPlan"));
    assert!(round_of(&rounds, "DeleteBackupPlan") < round_of(&rounds, "DeleteBackupVault"));
}

#[test]
fn backup_role_defaults_to_the_vault_account() {
    assert_eq!(
        default_backup_role("arn:aws:backup:us-west-2:123456789012:backup-vault:v").as_deref(),
        Some("arn:aws:iam::123456789012:role/service-role/AWSBackupDefaultServiceRole")
    );
    assert_eq!(default_backup_role("nonsense"), None);
}

#[test]
fn named_backup_vaults_and_plan_are_adopted_changed_to_the_spec_and_left_by_teardown() {
    let d = desired(|s| {
        s.spec.backup.adopt = Some(warmstandby_api::BackupAdoption {
            primary_vault: Some("bookstore-east".into()),
            standby_vault: Some("bookstore-west".into()),
            plan: Some("plan-console".into()),
        })
    });
    assert_eq!((d[0].vault.as_deref(), d[0].adopt_vault), (Some("bookstore-east"), true));
    assert_eq!(d[0].plan.as_ref().map(|p| p.copy_to_vault.as_str()), Some("bookstore-west"));
    let mut o = [ObservedBackups::default(), ObservedBackups::default()];
    // Missing: refused by field, nothing created in their place.
    let p = plan_with_vaults(&d, &o);
    for said in [
        "spec.backup.adopt.primaryVault: there is no backup vault bookstore-east in us-east-1; nothing is created in its place",
        "spec.backup.adopt.standbyVault: there is no backup vault bookstore-west in us-west-2; nothing is created in its place",
        "spec.backup.adopt.plan: there is no backup plan plan-console in us-east-1; nothing is created in its place",
    ] {
        assert!(p.blocked.iter().any(|b| b == said), "{said}\n{:?}", p.blocked);
    }
    assert!(!kinds(&p).iter().any(|k| k.contains("CreateBackup")), "{:?}", kinds(&p));
    // Another manager's vault: refused.
    o[1].vaults.push(vault("bookstore-west", Claim::Foreign { other_owner: Some("Crossplane (west)".into()) }));
    let p = plan_with_vaults(&d, &o);
    assert!(p.blocked.iter().any(|b| b.contains("backup vault bookstore-west is managed by Crossplane (west)")));
    // Made by hand: adopted first, the plan's differences shown as drift.
    let unclaimed = || Claim::Foreign { other_owner: None };
    o[0].vaults.push(vault("bookstore-east", unclaimed()));
    o[1].vaults[0] = vault("bookstore-west", unclaimed());
    o[0].plans.push(console_backup_plan(unclaimed()));
    let p = plan_with_vaults(&d, &o);
    let k = kinds(&p);
    for adopt in ["primary:AdoptBackupVault", "standby:AdoptBackupVault", "primary:AdoptBackupPlan"] {
        assert!(k.contains(&adopt.to_string()), "{adopt}: {k:?}");
    }
    assert!(!k.iter().any(|x| x.contains("CreateBackup") || x.contains("UpdateBackupPlan")), "{k:?}");
    let fields: Vec<&str> = p.drift.iter().filter(|x| x.kind == "BackupPlan").map(|x| x.field.as_str()).collect();
    assert_eq!(fields, ["schedule", "retentionDays", "vault"], "{:?}", p.drift);
    // Ours: the rule changed to the spec's (the plan keeps its name), the stack's selection added.
    let adopted = || Claim::Adopted("2026-12-06T10:00:00Z".into());
    for v in o.iter_mut().flat_map(|o| o.vaults.iter_mut()) {
        v.claim = adopted();
    }
    o[0].plans[0].claim = adopted();
    let p = plan_with_vaults(&d, &o);
    let update = p.actions.iter().find_map(|(_, a)| match a {
        BackupAction::UpdateBackupPlan { name, copy_to_vault_arn, .. } => Some((name, copy_to_vault_arn)),
        _ => None,
    });
    assert_eq!(
        update,
        Some((
            &"bookstore-daily".to_string(),
            &"arn:aws:backup:r:123456789012:backup-vault:bookstore-west".to_string()
        ))
    );
    assert!(kinds(&p).contains(&"primary:CreateBackupSelection".to_string()), "{:?}", kinds(&p));
    // Recorded as adopted, each where it is.
    let records: Vec<(String, Kind, String)> =
        Backup::adopted(&d, &o).into_iter().map(|a| (a.region, a.kind, a.id)).collect();
    assert_eq!(
        records,
        [
            ("us-east-1".to_string(), Kind::BackupVault, "bookstore-east".to_string()),
            ("us-east-1".to_string(), Kind::BackupPlan, "plan-console".to_string()),
            ("us-west-2".to_string(), Kind::BackupVault, "bookstore-west".to_string()),
        ]
    );
    // Deleted with the stack: the stack's selection goes, the console's stays; the plan and vaults are released.
    let ours = d[0].plan.as_ref().map(|p| p.selection_name.clone()).unwrap_or_default();
    o[0].plans[0].selections.push(("sel-ours".into(), ours));
    let rounds = teardown_rounds_until_released(&d, o);
    let all: Vec<&String> = rounds.iter().flatten().collect();
    assert!(all.iter().any(|a| a.contains("DeleteBackupSelection") && a.contains("sel-ours")), "{rounds:?}");
    assert!(!all.iter().any(|a| a.contains("sel-console")), "{rounds:?}");
    for gone in ["DeleteBackupPlan", "DeleteBackupVault"] {
        assert!(!all.iter().any(|a| a.contains(gone)), "{gone}: {rounds:?}");
    }
    assert_eq!(all.iter().filter(|a| a.contains("ReleaseBackupVault")).count(), 2, "{rounds:?}");
    assert!(round_of(&rounds, "DeleteBackupSelection") < round_of(&rounds, "ReleaseBackupPlan"), "{rounds:?}");
    assert_eq!(
        Backup::left_in_place(&d, None).as_deref(),
        Some(
            "backup vault bookstore-east (us-east-1), backup vault bookstore-west (us-west-2), backup plan plan-console (adopted, with the vaults a kept plan uses)"
        )
    );
}

#[test]
fn the_vaults_an_adopted_plan_uses_are_released_not_deleted() {
    let d = desired(|s| {
        s.spec.backup.adopt =
            Some(warmstandby_api::BackupAdoption { plan: Some("plan-console".into()), ..Default::default() })
    });
    let mut o = [ObservedBackups::default(), ObservedBackups::default()];
    let (east, west) = (d[0].vault.clone().unwrap_or_default(), d[1].vault.clone().unwrap_or_default());
    o[0].vaults.push(vault(&east, Claim::Created));
    o[1].vaults.push(vault(&west, Claim::Created));
    let mut plan = console_backup_plan(Claim::Adopted("2026-12-06T10:00:00Z".into()));
    plan.target_vault = east.clone();
    plan.copy_to_vault_arn = Some(o[1].vaults[0].arn.clone());
    o[0].plans.push(plan);
    let rounds = teardown_rounds_until_released(&d, o);
    let all: Vec<&String> = rounds.iter().flatten().collect();
    assert!(!all.iter().any(|a| a.contains("DeleteBackupVault")), "the kept plan still backs up there: {rounds:?}");
    assert_eq!(all.iter().filter(|a| a.contains("ReleaseBackupVault")).count(), 2, "{rounds:?}");
}

#[test]
fn retained_backups_keep_their_vaults_and_plan_untagged() {
    let d = desired(|s| s.spec.backup.deletion_policy = Some(warmstandby_api::DeletionPolicy::Retain));
    assert!(d.iter().all(|x| x.retain));
    let mut o = built(&d);
    let ours = d[0].plan.as_ref().map(|p| p.selection_name.clone()).unwrap_or_default();
    o[0].plans[0].selections = vec![("sel-1".into(), ours)];
    let rounds = teardown_rounds_until_released(&d, o);
    let all: Vec<&String> = rounds.iter().flatten().collect();
    for gone in ["DeleteBackupPlan", "DeleteBackupVault"] {
        assert!(!all.iter().any(|a| a.contains(gone)), "{gone}: {rounds:?}");
    }
    assert_eq!(all.iter().filter(|a| a.contains("ReleaseBackupVault")).count(), 2, "{rounds:?}");
    assert!(round_of(&rounds, "DeleteBackupSelection") < round_of(&rounds, "ReleaseBackupPlan"), "{rounds:?}");
    let left = Backup::left_in_place(&d, None).unwrap_or_default();
    assert!(left.ends_with("with their recovery points, and the backup plan (spec.backup.deletionPolicy is Retain)"));
}

#[test]
fn a_vault_with_the_stacks_name_that_is_not_its_own_is_never_adopted_unnamed() {
    // Retained, its tags are read: one left by an earlier stack of the same name is someone else's.
    let d = desired(|s| s.spec.backup.deletion_policy = Some(warmstandby_api::DeletionPolicy::Retain));
    assert!(d[0].reads_claims());
    let mut o = [ObservedBackups::default(), ObservedBackups::default()];
    let name = d[0].vault.clone().unwrap_or_default();
    o[0].vaults.push(vault(&name, Claim::Foreign { other_owner: None }));
    let p = plan_with_vaults(&d, &o);
    let said = format!("backup vault {name} in us-east-1 exists and is not this stack's; it is left alone");
    assert!(p.blocked.contains(&said), "{:?}", p.blocked);
    assert!(!kinds(&p).iter().any(|k| k.starts_with("primary:") && k.contains("BackupVault")), "{:?}", kinds(&p));
}

#[test]
fn without_backups_there_is_nothing_to_build_or_picture() {
    let d = desired(|s| s.spec.backup.enabled = false);
    assert!(d.iter().all(|x| x.vault.is_none() && x.plan.is_none()));
    let p = plan_with_vaults(&d, &[ObservedBackups::default(), ObservedBackups::default()]);
    assert!(p.is_settled(), "{p:?}");
    let mut out = Vec::new();
    Backup::topology(&d, &mut out);
    assert!(out.is_empty(), "{out:?}");
}
