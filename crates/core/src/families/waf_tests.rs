//! The WAF family on its own: its verdict, status, adoption record, what
//! teardown leaves, and its topology. Its plan and teardown against a
//! simulated AWS, beside the edge it protects, are in `servers/plan_tests.rs`.

use warmstandby_api::{AdoptedResource, ThreeTierStackStatus};

use super::*;
use crate::families::Neighbours;
use crate::families::cdn::{DistributionSpec, ObservedDistribution};

fn stack(edit: impl Fn(&mut warmstandby_api::ThreeTierStack)) -> ValidatedStack {
    crate::test_fixtures::classic_stack(|_, s| edit(s))
}

fn acl(claim: Claim) -> ObservedWebAcl {
    ObservedWebAcl {
        id: "acl-1".into(),
        name: "bookstore-bookstore-web".into(),
        arn: "arn:aws:wafv2:us-east-1:1:global/webacl/bookstore-bookstore-web/acl-1".into(),
        lock_token: "t".into(),
        spec: WebAclSpec { managed_rule_groups: vec!["AWSManagedRulesCommonRuleSet".into()], rate_limit: None },
        claim,
    }
}

fn distribution(web_acl_id: &str, claim: Claim) -> ObservedDistribution {
    ObservedDistribution {
        id: "E1".into(),
        arn: "arn:aws:cloudfront::1:distribution/E1".into(),
        domain_name: "d1.cloudfront.net".into(),
        status: "Deployed".into(),
        etag: "e1".into(),
        caller_reference: "r".into(),
        spec: DistributionSpec { web_acl_id: web_acl_id.into(), ..Default::default() },
        claim,
    }
}

/// Runs `f` with `distribution` (the CDN family's) around the family.
fn with_around<R>(distribution: Option<ObservedDistribution>, f: impl FnOnce(&Neighbours<'_>) -> R) -> R {
    let v = stack(|_| {});
    let placement = Placement::of_spec(&v);
    let seen = crate::families::FamiliesObserved { cdn: distribution, ..Default::default() };
    let seam = (crate::families::FamiliesDesired::of(&v, &placement), seen);
    f(&Neighbours {
        seam: (&seam.0, &seam.1),
        writer: None,
        unreachable: [false, false],
        final_snapshot_suffix: "",
        nets: None,
    })
}

/// The verdict with `distribution` around it.
fn verdict_with(desired: &DesiredWaf, observed: &ObservedWaf, distribution: Option<ObservedDistribution>) -> Verdict {
    with_around(distribution, |around| Waf::verdict(desired, observed, around, &[]))
        .pop()
        .expect("WafReady is the WAF family's condition")
}

/// The status the family writes of `observed`.
fn status_of(observed: &ObservedWaf, status: &mut ThreeTierStackStatus) {
    with_around(None, |around| Waf::status(&None, observed, around, status))
}

#[test]
fn the_verdict_follows_the_acl_and_its_association() {
    let v = stack(|_| {});
    let desired = Waf::desired(&v, &Placement::of_spec(&v));
    let disabled = verdict_with(&None, &None, None);
    assert_eq!(
        (disabled.ready, disabled.reason, disabled.message.as_str()),
        (true, "Disabled", "spec.waf.enabled is false")
    );
    let missing = verdict_with(&desired, &None, None);
    assert_eq!((missing.ready, missing.message.as_str()), (false, "no web ACL yet"));
    let foreign = verdict_with(&desired, &Some(acl(Claim::Foreign { other_owner: None })), None);
    assert_eq!(foreign.message, "web ACL bookstore-bookstore-web is not adopted yet");
    let ours = Some(acl(Claim::Created));
    let alone = verdict_with(&desired, &ours, None);
    assert_eq!(alone.message, "the distribution to protect does not exist yet");
    let unassociated = verdict_with(&desired, &ours, Some(distribution("", Claim::Created)));
    assert_eq!(unassociated.message, "web ACL bookstore-bookstore-web is not associated with the distribution");
    let arn = ours.as_ref().map(|a| a.arn.clone()).unwrap_or_default();
    let ready = verdict_with(&desired, &ours, Some(distribution(&arn, Claim::Created)));
    assert_eq!((ready.condition, ready.ready, ready.reason), ("WafReady", true, "Ready"));
}

#[test]
fn drift_of_the_acl_makes_it_not_ready_and_drift_of_others_does_not() {
    let drift = [
        warmstandby_api::DriftItem::new("global", "WebAcl", "acl", "rateLimit", "100", "(none)"),
        warmstandby_api::DriftItem::new("global", "Distribution", "E1", "webAcl", "a", "b"),
    ];
    let v = verdict::<Waf>("WafReady", Vec::new(), &drift);
    assert_eq!((v.ready, v.reason), (false, "DriftDetected"));
    assert!(v.message.contains("rateLimit") && !v.message.contains("Distribution"), "{}", v.message);
}

#[test]
fn the_status_names_ours_only_and_records_an_adoption() {
    let mut status = ThreeTierStackStatus::default();
    status_of(&Some(acl(Claim::Foreign { other_owner: None })), &mut status);
    assert_eq!(status.global.as_ref().and_then(|g| g.web_acl_arn.clone()), None);
    let adopted = Some(acl(Claim::Adopted("2026-12-05T10:00:00Z".into())));
    status_of(&adopted, &mut status);
    assert!(status.global.as_ref().and_then(|g| g.web_acl_arn.as_deref()).is_some_and(|a| a.ends_with("/acl-1")));
    let recorded = Waf::adopted(&None, &adopted);
    assert_eq!(recorded.len(), 1);
    assert_eq!(
        (recorded[0].region.as_str(), recorded[0].kind, recorded[0].id.as_str(), recorded[0].at.as_str()),
        (warmstandby_api::GLOBAL_REGION, Kind::WebAcl, "bookstore-bookstore-web", "2026-12-05T10:00:00Z")
    );
    assert!(Waf::adopted(&None, &Some(acl(Claim::Created))).is_empty(), "created, not adopted");
    assert_eq!((Waf::live_count(&None, &adopted), Waf::live_count(&None, &None)), (1, 0));
}

#[test]
fn teardown_says_what_it_left_and_why() {
    let adopting = stack(|s| s.spec.waf.adopt = Some("shop-acl".into()));
    let desired = Waf::desired(&adopting, &Placement::of_spec(&adopting));
    assert!(desired.as_ref().is_some_and(|w| w.adopt && w.read_tags));
    assert_eq!(Waf::left_in_place(&desired, None), None, "never adopted: never ours, not told");
    let record = AdoptedResource {
        region: warmstandby_api::GLOBAL_REGION.into(),
        kind: "WebAcl".into(),
        id: "shop-acl".into(),
        adopted_at: "2026-12-05T10:00:00Z".into(),
    };
    let status = ThreeTierStackStatus { adopted: vec![record], ..Default::default() };
    assert_eq!(Waf::left_in_place(&desired, Some(&status)).as_deref(), Some("web ACL shop-acl (adopted)"));
    let retaining = stack(|s| s.spec.waf.deletion_policy = Some(warmstandby_api::DeletionPolicy::Retain));
    let desired = Waf::desired(&retaining, &Placement::of_spec(&retaining));
    let left = Waf::left_in_place(&desired, None);
    assert_eq!(left.as_deref(), Some("web ACL bookstore-bookstore-web (deletionPolicy Retain)"));
    let mut observed = Some(acl(Claim::Created));
    Waf::hold_retained(&desired, &mut observed);
    assert_eq!(observed.map(|a| a.claim), Some(Claim::Adopted(crate::retention::RETAINED.into())));
    let plain = stack(|_| {});
    assert!(Waf::desired(&plain, &Placement::of_spec(&plain)).is_some_and(|w| !w.read_tags), "no tag reads");
}

#[test]
fn its_topology_is_one_web_acl_marked_adopted_when_named() {
    let mut out = Vec::new();
    let adopting = stack(|s| s.spec.waf.adopt = Some("shop-acl".into()));
    Waf::topology(&Waf::desired(&adopting, &Placement::of_spec(&adopting)), &mut out);
    assert_eq!(out.len(), 1);
    assert_eq!((out[0].kind, out[0].name.as_str()), (Kind::WebAcl, "shop-acl"));
    assert!(
        out[0].properties.iter().any(|(k, v)| k == crate::resource::ADOPTED && v == "spec.waf.adopt"),
        "{:?}",
        out[0]
    );
    let mut none = Vec::new();
    Waf::topology(&None, &mut none);
    assert!(none.is_empty());
}
