//! The CDN family on its own: what it waits for, its teardown, retention,
//! verdict, status and topology. Its plan against a simulated AWS, beside
//! the edge whose load balancers it serves from, is in `servers/plan_tests.rs`.

use warmstandby_api::{AdoptedResource, ThreeTierStack};

use super::*;
use crate::servers::observed::LoadBalancerSpec;

fn desired(edit: impl FnOnce(&mut ThreeTierStack)) -> DesiredCdn {
    let v = crate::test_fixtures::classic_stack(|_, s| edit(s));
    Cdn::desired(&v, &Placement::of_spec(&v))
}

fn web_lb(region: &str) -> ObservedLoadBalancer {
    ObservedLoadBalancer {
        tier: "web".into(),
        arn: format!("arn:lb/{region}"),
        dns_name: format!("Web-{region}.elb.amazonaws.com"),
        zone_id: "Z1".into(),
        state: "active".into(),
        spec: LoadBalancerSpec {
            name: "bookstore-bookstore-web".into(),
            scheme: "internet-facing".into(),
            subnet_ids: Vec::new(),
            security_group_ids: Vec::new(),
        },
        claim: Claim::Created,
    }
}

fn ours(spec: DistributionSpec, enabled: bool, status: &str) -> ObservedDistribution {
    ObservedDistribution {
        id: "E1".into(),
        arn: "arn:aws:cloudfront::1:distribution/E1".into(),
        domain_name: "d1.cloudfront.net".into(),
        status: status.into(),
        etag: "e1".into(),
        caller_reference: "ws-ref".into(),
        spec: DistributionSpec { enabled, ..spec },
        claim: Claim::Created,
    }
}

fn kinds(plan: &CdnPlan) -> Vec<String> {
    plan.actions.iter().map(|(_, a)| a.describe()).collect()
}

#[test]
fn it_waits_for_both_web_load_balancers_its_certificate_and_the_web_acl_then_serves_the_active_one_first() {
    let d = desired(|_| {});
    let (east, west) = (web_lb("us-east-1"), web_lb("us-west-2"));
    let cert = || Some("arn:cert".to_string());
    let acl = || Some(String::new());
    let waits = "the distribution waits for both web load balancers, CloudFront's certificate and the web ACL";
    for missing in [
        wanted_distribution(&d, [Some(&east), None], cert(), acl()),
        wanted_distribution(&d, [Some(&east), Some(&west)], None, acl()),
        wanted_distribution(&d, [Some(&east), Some(&west)], cert(), None),
    ] {
        assert!(missing.is_none());
        assert_eq!(plan_distribution(&d, None, missing).waiting, [waits]);
    }
    let want = wanted_distribution(&d, [Some(&east), Some(&west)], cert(), acl()).expect("all there");
    assert_eq!(want.origin_group_members, ["web-us-east-1", "web-us-west-2"]);
    assert_eq!(want.origins[0].domain_name, "web-us-east-1.elb.amazonaws.com", "lower-cased");
    assert_eq!(
        (want.certificate_arn.as_str(), want.aliases.as_slice()),
        ("arn:cert", &["www.bookstore.example.com".to_string()][..])
    );
    assert_eq!(kinds(&plan_distribution(&d, None, Some(want.clone()))), ["create the CloudFront distribution"]);
    // The standby active: its web load balancer comes first.
    let moved = desired(|s| s.spec.active_region = RegionRole::Standby);
    let want_moved = wanted_distribution(&moved, [Some(&east), Some(&west)], cert(), acl()).expect("all there");
    assert_eq!(want_moved.origin_group_members, ["web-us-west-2", "web-us-east-1"]);
    let have = Some(ours(want.clone(), true, "Deployed"));
    assert!(serves_first(&have, "us-east-1") && !serves_first(&have, "us-west-2"));
    let plan = plan_distribution(&moved, have.as_ref(), Some(want_moved));
    assert_eq!(kinds(&plan), ["update distribution E1"]);
    assert!(plan.drift.iter().any(|x| x.field == "originGroup"), "{:?}", plan.drift);
}

#[test]
fn teardown_disables_then_deletes_ours_and_leaves_an_adopted_or_retained_one_serving() {
    let enabled = ours(DistributionSpec::default(), true, "Deployed");
    let plan = plan_distribution_teardown(Some(&enabled));
    assert_eq!(kinds(&plan), ["disable distribution E1"]);
    assert_eq!(plan.waiting, ["distribution E1 is being disabled"]);
    let deploying = ours(DistributionSpec::default(), false, "InProgress");
    assert_eq!(plan_distribution_teardown(Some(&deploying)).waiting, ["distribution E1 is InProgress"]);
    let disabled = ours(DistributionSpec::default(), false, "Deployed");
    assert_eq!(kinds(&plan_distribution_teardown(Some(&disabled))), ["delete distribution E1"]);
    assert!(left(&Some(disabled)));
    // Retained: taken as adopted, released, never disabled.
    let retained = desired(|s| s.spec.cdn.deletion_policy = Some(warmstandby_api::DeletionPolicy::Retain));
    let mut kept = Some(enabled.clone());
    Cdn::hold_retained(&retained, &mut kept);
    assert_eq!(
        kinds(&plan_distribution_teardown(kept.as_ref())),
        ["leave distribution E1 serving, untagged (adopted)"]
    );
    assert!(!left(&kept), "what stays does not hold up the load balancers");
    // Someone else's (released already): nothing.
    let foreign = ObservedDistribution { claim: Claim::Foreign { other_owner: None }, ..enabled };
    assert!(plan_distribution_teardown(Some(&foreign)).is_settled());
    assert!(plan_distribution_teardown(None).is_settled());
}

#[test]
fn its_verdict_status_and_what_teardown_leaves() {
    let d = desired(|_| {});
    let v = crate::test_fixtures::classic_stack(|_, _| {});
    let stack = crate::stack_pass::Desired::of(&v, &Placement::of_spec(&v));
    let snapshot = crate::stack_pass::Snapshot::default();
    let around = crate::stack_pass::neighbours(&stack, &snapshot, &Placement::of_spec(&v));
    let message = |o: &ObservedCdn| Cdn::verdict(&d, o, &around, &[]).pop().map(|x| (x.ready, x.message));
    assert_eq!(message(&None), Some((false, "no distribution yet".to_string())));
    let deploying = Some(ours(DistributionSpec::default(), true, "InProgress"));
    assert_eq!(message(&deploying), Some((false, "distribution E1 is InProgress".to_string())));
    let foreign = Some(ObservedDistribution {
        claim: Claim::Foreign { other_owner: None },
        ..ours(Default::default(), true, "Deployed")
    });
    assert_eq!(message(&foreign), Some((false, "distribution E1 is not adopted yet".to_string())));
    assert_eq!(message(&Some(ours(Default::default(), true, "Deployed"))), Some((true, String::new())));
    // Someone else's: no ID of ours, but its domain serves until the alias record names one.
    let mut status = ThreeTierStackStatus::default();
    Cdn::status(&d, &foreign, &around, &mut status);
    assert_eq!(status.global.as_ref().and_then(|g| g.distribution_id.clone()), None);
    assert_eq!(status.endpoints.as_ref().and_then(|e| e.cloudfront.clone()).as_deref(), Some("d1.cloudfront.net"));
    Cdn::status(&d, &deploying, &around, &mut status);
    assert_eq!(status.global.as_ref().and_then(|g| g.distribution_id.clone()).as_deref(), Some("E1"));
    // What a finished teardown says it left.
    assert_eq!(Cdn::left_in_place(&d, None), None);
    let adopting = desired(|s| s.spec.cdn.adopt = Some("ECONSOLE1".into()));
    assert_eq!(Cdn::left_in_place(&adopting, None), None, "never adopted: never ours, not told");
    let record = AdoptedResource {
        region: GLOBAL_REGION.into(),
        kind: "Distribution".into(),
        id: "ECONSOLE1".into(),
        adopted_at: "2026-12-06T10:00:00Z".into(),
    };
    let adopted = ThreeTierStackStatus { adopted: vec![record], ..Default::default() };
    assert!(
        Cdn::left_in_place(&adopting, Some(&adopted))
            .is_some_and(|t| t.starts_with("distribution ECONSOLE1 (adopted;"))
    );
    let retained = desired(|s| s.spec.cdn.deletion_policy = Some(warmstandby_api::DeletionPolicy::Retain));
    assert!(
        Cdn::left_in_place(&retained, Some(&status))
            .is_some_and(|t| t.starts_with("distribution E1 (deletionPolicy Retain;"))
    );
}

#[test]
fn its_topology_is_one_distribution_before_the_alias_record_naming_what_it_serves() {
    let v = crate::test_fixtures::classic_stack(|_, s| s.spec.waf.enabled = true);
    let resources = crate::desired::stack_resources(&v);
    let at = |key: &str| resources.iter().position(|r| r.key == key).unwrap_or_else(|| panic!("{key} missing"));
    assert_eq!(at("global/distribution") + 1, at("global/alias-record/web"));
    assert!(at("global/web-acl") < at("global/distribution"));
    let dist = &resources[at("global/distribution")];
    for key in
        ["primary/load-balancer/web", "standby/load-balancer/web", "primary/certificate/wildcard", "global/web-acl"]
    {
        assert!(dist.depends_on.iter().any(|d| d == key), "{key}: {:?}", dist.depends_on);
    }
}
