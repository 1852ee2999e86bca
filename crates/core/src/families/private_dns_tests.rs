use super::*;
use crate::identity::Claim;

fn desired(edit: impl Fn(&mut warmstandby_api::ThreeTierStack)) -> [DesiredPrivateZone; 2] {
    let v = crate::test_fixtures::classic_stack(|_, s| edit(s));
    RegionRole::BOTH.map(|role| desired_zone(&v, role))
}

fn vpc(d: &DesiredPrivateZone) -> String {
    format!("vpc-{}", if d.role == RegionRole::Primary { "east" } else { "west" })
}

/// Both regions' plans, each in its VPC, without a database yet.
fn plan(d: &[DesiredPrivateZone; 2], o: &[Vec<ObservedZone>; 2]) -> Plan<(Place, PrivateDnsAction)> {
    both(d, |d, i| plan_private_zone(d, &o[i], &vpc(d), None))
}

/// Each action as `<role>:<variant>`.
fn kinds(plan: &Plan<(Place, PrivateDnsAction)>) -> Vec<String> {
    plan.actions
        .iter()
        .map(|(at, a)| {
            let role = match at {
                Place::Region(role) => role.as_str(),
                Place::Global => "global",
            };
            format!("{role}:{}", format!("{a:?}").split([' ', '{']).next().unwrap_or_default())
        })
        .collect()
}

fn zone(id: &str, region: &str, name: &str, claim: Claim) -> ObservedZone {
    ObservedZone { id: id.into(), name: name.into(), vpc_ids: Some(vec![format!("vpc-{region}")]), record: None, claim }
}

#[test]
fn each_region_gets_its_zone_then_the_record_to_its_database() {
    let d = desired(|_| {});
    let none = [Vec::new(), Vec::new()];
    let p = plan(&d, &none);
    assert_eq!(kinds(&p), vec!["primary:CreatePrivateZone", "standby:CreatePrivateZone"]);
    let made = [
        vec![zone("ZE", "east", "db.internal", Claim::Created)],
        vec![zone("ZW", "west", "db.internal", Claim::Created)],
    ];
    assert!(plan(&d, &made).actions.is_empty(), "no database yet: no record");
    let p = plan_private_zone(&d[0], &made[0], "vpc-east", Some("db-1.rds.example"));
    assert!(
        matches!(&p.actions[..], [(_, PrivateDnsAction::UpsertRecord { zone_id, value, .. })]
            if zone_id == "ZE" && value == "db-1.rds.example"),
        "{p:?}"
    );
    // A record pointing elsewhere is drift, repaired.
    let mut moved = made[0].clone();
    moved[0].record = Some((d[0].record.clone(), "other.rds.example".into()));
    let p = plan_private_zone(&d[0], &moved, "vpc-east", Some("db-1.rds.example"));
    assert_eq!((p.drift.len(), kinds(&p)), (1, vec!["primary:UpsertRecord".to_string()]));
}

#[test]
fn teardown_deletes_the_record_before_the_zone() {
    let mut zones = vec![zone("ZE", "east", "db.internal", Claim::Created)];
    zones[0].record = Some(("book.db.internal".into(), "x".into()));
    let first = plan_private_zone_teardown(RegionRole::Primary, &zones);
    assert_eq!(kinds(&first), vec!["primary:DeleteRecord"]);
    zones[0].record = None;
    let second = plan_private_zone_teardown(RegionRole::Primary, &zones);
    assert_eq!(kinds(&second), vec!["primary:DeletePrivateZone"]);
    assert!(plan_private_zone_teardown(RegionRole::Primary, &[]).is_settled());
}

#[test]
fn named_private_zones_are_adopted_never_created_and_left_by_teardown() {
    let d = desired(|s| {
        s.spec.database.private_dns.adopt =
            Some(warmstandby_api::PrivateZoneAdoption { primary: "ZEAST".into(), standby: "ZWEST".into() })
    });
    assert_eq!(d[1].adopt.as_deref(), Some("ZWEST"));
    let mut o = [Vec::new(), Vec::new()];
    // Missing: refused by field, nothing created.
    let p = plan(&d, &o);
    assert!(p.blocked.iter().any(|b| b == "spec.database.privateDns.adopt.primary: there is no private zone ZEAST; nothing is created in its place"), "{:?}", p.blocked);
    assert!(!kinds(&p).iter().any(|k| k.contains("CreatePrivateZone")), "{:?}", kinds(&p));
    // Another name than the spec's, or someone else's: refused.
    o[0].push(zone("ZEAST", "east", "corp.internal", Claim::Foreign { other_owner: None }));
    o[1].push(zone(
        "ZWEST",
        "west",
        "db.internal",
        Claim::Foreign { other_owner: Some("the CloudFormation stack net".into()) },
    ));
    let p = plan(&d, &o);
    assert!(
        p.blocked.iter().any(|b| b.contains("zone ZEAST is corp.internal, the spec's zoneName is db.internal")),
        "{:?}",
        p.blocked
    );
    assert!(
        p.blocked.iter().any(|b| b.contains("zone ZWEST is managed by the CloudFormation stack net")),
        "{:?}",
        p.blocked
    );
    // Made by hand, untagged: adopted, then managed (the record), then left by teardown.
    o[0][0] = zone("ZEAST", "east", "db.internal", Claim::Foreign { other_owner: None });
    o[1][0] = zone("ZWEST", "west", "db.internal", Claim::Foreign { other_owner: None });
    let p = plan(&d, &o);
    let k = kinds(&p);
    assert!(
        k.contains(&"primary:AdoptPrivateZone".to_string()) && k.contains(&"standby:AdoptPrivateZone".to_string()),
        "{k:?}"
    );
    assert!(!k.iter().any(|x| x.contains("CreatePrivateZone")), "{k:?}");
    for z in o.iter_mut().flatten() {
        z.claim = Claim::Adopted("2026-12-05T10:00:00Z".into());
        z.record = Some(("book.db.internal".into(), "x".into()));
    }
    let recorded = PrivateDns::adopted(&d, &o);
    assert_eq!(recorded.len(), 2);
    assert_eq!((recorded[1].region.as_str(), recorded[1].id.as_str()), (d[1].region.as_str(), "ZWEST"));
    let p = both(&d, |d, i| plan_private_zone_teardown(d.role, &o[i]));
    let k = kinds(&p);
    assert!(k.contains(&"primary:ReleasePrivateZone".to_string()), "{k:?}");
    assert!(!k.iter().any(|x| x.contains("DeletePrivateZone") || x.contains("DeleteRecord")), "{k:?}");
}
