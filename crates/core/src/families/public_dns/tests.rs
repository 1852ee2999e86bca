//! The public DNS family on its own: its condition, status, adoption
//! records, what teardown waits for, and its place in the topology. Its
//! plan against a simulated Route 53, beside the edge and the other global
//! families, is in `servers/plan_tests.rs`.

use super::*;
use crate::stack_pass::{Desired, Snapshot, neighbours};

fn stack() -> (ValidatedStack, Desired) {
    let v = crate::test_fixtures::classic_stack(|_, _| {});
    let desired = Desired::of(&v, &Placement::of_spec(&v));
    (v, desired)
}

fn marker(d: &DesiredPublicDns, name: &str, adopted_at: Option<&str>) -> RecordSpec {
    let mut m = RecordSpec::plain(marker_name(name), "TXT", RECORD_TTL, format!("\"{}\"", d.owner.owner_marker()));
    if let Some(at) = adopted_at {
        m.values.push(format!("{ADOPTED_MARKER_PREFIX}{at}\""));
    }
    m
}

/// A health check on the api load balancer, by `id`.
fn check(id: &str, claim: Claim) -> ObservedHealthCheck {
    ObservedHealthCheck {
        id: id.into(),
        caller_reference: "r".into(),
        config: HealthCheckConfig {
            fqdn: "api-lb".into(),
            https: true,
            port: 443,
            path: "/health".into(),
            interval_seconds: 10,
            failure_threshold: 3,
        },
        claim,
    }
}

fn alias(name: &str) -> RecordSpec {
    RecordSpec {
        name: name.into(),
        rtype: "A".into(),
        set_identifier: None,
        failover: None,
        alias: Some(("d1.cloudfront.net".into(), CLOUDFRONT_ZONE_ID.into(), false)),
        health_check_id: None,
        ttl: None,
        values: Vec::new(),
    }
}

#[test]
fn the_records_owner_is_the_stacks_primary_region() {
    let (v, desired) = stack();
    let d = &desired.families.public_dns;
    assert_eq!(d.owner.owner_marker(), "heritage=warmstandby,owner=bookstore/bookstore,uid=u1");
    assert_eq!(d.owner.region_role, RegionRole::Primary);
    assert_eq!(d.regions, ["us-east-1", "us-west-2"]);
    assert_eq!((d.api_fqdn.as_str(), d.web_fqdn.as_str()), ("api.bookstore.example.com", "www.bookstore.example.com"));
    assert_eq!(v.uid, "u1");
}

#[test]
fn its_condition_names_what_is_missing_the_alarm_included() {
    let (v, desired) = stack();
    let d = &desired.families.public_dns;
    let snapshot = Snapshot::default();
    let around = neighbours(&desired, &snapshot, &Placement::of_spec(&v));
    let verdict = PublicDns::verdict(d, &ObservedPublicDns::default(), &around, &[]).pop().expect("DnsReady");
    assert_eq!(verdict.condition, types::DNS_READY);
    assert_eq!(
        verdict.message,
        "public zone bookstore.example.com not found; no health check yet; \
         api.bookstore.example.com has 0 of 2 failover records; www.bookstore.example.com has no alias record yet; \
         no health check alarm yet"
    );
    // The alarm's drift counts here too.
    let drift = [DriftItem::new("global", "Alarm", "a", "threshold", "1", "2")];
    let o = ObservedPublicDns {
        zone: Some(PublicZone { id: "Z1".into(), name: "bookstore.example.com".into(), ours: false }),
        ..Default::default()
    };
    let v2 = PublicDns::verdict(d, &o, &around, &drift).pop().expect("DnsReady");
    assert!(!v2.ready && !v2.message.contains("public zone"), "{}", v2.message);
}

#[test]
fn its_status_names_the_zone_the_health_check_of_ours_and_the_endpoints() {
    let (v, desired) = stack();
    let d = &desired.families.public_dns;
    let snapshot = Snapshot::default();
    let around = neighbours(&desired, &snapshot, &Placement::of_spec(&v));
    let o = ObservedPublicDns {
        zone: Some(PublicZone { id: "Z1".into(), name: "bookstore.example.com".into(), ours: false }),
        records: vec![alias(&d.web_fqdn)],
        health_checks: vec![check("hc-console", Claim::Foreign { other_owner: None }), check("hc-1", Claim::Created)],
    };
    let mut status = ThreeTierStackStatus::default();
    status.endpoints.get_or_insert_default().cloudfront = Some("from-the-distribution".into());
    PublicDns::status(d, &o, &around, &mut status);
    let global = status.global.clone().unwrap_or_default();
    assert_eq!((global.public_zone_id.as_deref(), global.health_check_id.as_deref()), (Some("Z1"), Some("hc-1")));
    let endpoints = status.endpoints.clone().unwrap_or_default();
    assert_eq!(endpoints.web, "https://www.bookstore.example.com");
    assert_eq!(endpoints.api, "https://api.bookstore.example.com");
    assert_eq!(endpoints.cloudfront.as_deref(), Some("d1.cloudfront.net"), "the alias names the distribution");
}

#[test]
fn adopted_records_are_recorded_by_name_and_teardown_releases_them_and_waits_for_ours() {
    let (_, desired) = stack();
    let d = &desired.families.public_dns;
    let zone = PublicZone { id: "Z1".into(), name: "bookstore.example.com".into(), ours: true };
    let mut o = ObservedPublicDns { zone: Some(zone), ..Default::default() };
    o.records.push(alias(&d.web_fqdn));
    o.records.push(marker(d, &d.web_fqdn, Some("2026-12-06T10:00:00Z")));
    let adopted = PublicDns::adopted(d, &o);
    assert_eq!(adopted.len(), 1);
    assert_eq!(
        (adopted[0].kind, adopted[0].id.as_str(), adopted[0].at.as_str()),
        (Kind::AliasRecord, "www.bookstore.example.com", "2026-12-06T10:00:00Z")
    );
    // Adopted: released (only our marker goes); nothing of ours holds the load balancers.
    assert!(!records_left(d, &o));
    let plan = plan_dns_teardown(d, &o, false);
    let kinds: Vec<String> = plan.actions.iter().map(|(_, a)| a.describe()).collect();
    assert_eq!(kinds.len(), 2, "{kinds:?}");
    assert!(kinds[0].starts_with("leave the records of www.bookstore.example.com in place"), "{kinds:?}");
    assert!(kinds[1].starts_with("delete public zone"), "{kinds:?}");
    // Ours: deleted with its marker, and the zone waits for them.
    o.records = vec![alias(&d.api_fqdn), marker(d, &d.api_fqdn, None)];
    assert!(records_left(d, &o));
    assert_eq!(PublicDns::live_count(d, &o), 2, "the marker and the zone we made");
    let plan = plan_dns_teardown(d, &o, false);
    assert_eq!(plan.actions.len(), 1, "{:?}", plan.actions);
    assert!(matches!(&plan.actions[0].1, DnsAction::ChangeRecords { changes, .. } if changes.len() == 2));
}

#[test]
fn its_health_check_goes_after_the_records_and_the_alarm_that_use_it() {
    let (_, desired) = stack();
    let d = &desired.families.public_dns;
    let check = check("hc-1", Claim::Created);
    let o = ObservedPublicDns { health_checks: vec![check], ..Default::default() };
    assert!(plan_dns_teardown(d, &o, true).actions.is_empty(), "the alarm still watches it");
    let plan = plan_dns_teardown(d, &o, false);
    assert!(matches!(&plan.actions[..], [(Place::Global, DnsAction::DeleteHealthCheck { id })] if id == "hc-1"));
}

#[test]
fn its_topology_is_the_zone_check_and_records_with_the_neighbours_in_between() {
    let v = crate::test_fixtures::classic_stack(|_, _| {});
    let resources = crate::desired::stack_resources(&v);
    let keys: Vec<&str> = resources.iter().filter(|r| r.scope == Scope::Global).map(|r| r.key.as_str()).collect();
    let at = |key: &str| keys.iter().position(|k| *k == key).unwrap_or_else(|| panic!("{key}: {keys:?}"));
    assert_eq!(keys[0], "global/public-zone", "the first global resource");
    assert!(at("global/certificate-validation/primary") < at("global/health-check/api"));
    assert!(at("global/health-check/api") < at("global/failover-record/api-primary"));
    assert_eq!(at("global/failover-record/api-primary") + 1, at("global/failover-record/api-secondary"));
    assert_eq!(at("global/distribution") + 1, at("global/alias-record/web"));
    let rows: Vec<Tier> =
        resources.iter().filter(|r| r.kind == Kind::HealthCheck).map(|r| Tier::of(&r.scope, r.kind, &r.key)).collect();
    assert_eq!(rows, [Tier::Global]);
}
