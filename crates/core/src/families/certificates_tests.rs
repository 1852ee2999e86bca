use warmstandby_api::{RegionPair, ThreeTierStack};

use super::*;
use crate::families::cdn::{DistributionSpec, ObservedDistribution};
use crate::servers::observed::{ListenerSpec, ObservedListener};

fn desired(edit: impl FnOnce(&mut RegionPair, &mut ThreeTierStack)) -> DesiredCertificates {
    let v = crate::test_fixtures::classic_stack(edit);
    Certificates::desired(&v, &Placement::of_spec(&v))
}

/// A pair in eu-west-1 and us-west-2: no region of it is us-east-1.
fn away_from_us_east_1(pair: &mut RegionPair, _: &mut ThreeTierStack) {
    pair.spec.primary.region = "eu-west-1".into();
    pair.spec.primary.availability_zones = vec!["eu-west-1a".into(), "eu-west-1b".into()];
}

fn certificate(arn: &str, status: &str, claim: Claim) -> ObservedCertificate {
    ObservedCertificate {
        arn: arn.into(),
        domain: "*.bookstore.example.com".into(),
        status: status.into(),
        validation: vec![("_v1.bookstore.example.com.".into(), "_v1.acm-validations.aws.".into())],
        names: vec!["*.bookstore.example.com".into()],
        claim,
    }
}

fn all_issued() -> ObservedCertificates {
    ObservedCertificates {
        regions: [
            Some(certificate("arn:east", "ISSUED", Claim::Created)),
            Some(certificate("arn:west", "ISSUED", Claim::Created)),
        ],
        cloudfront: None,
    }
}

fn kinds(plan: &CertificatePlan) -> Vec<String> {
    plan.actions.iter().map(|(place, a)| format!("{place:?} {}", a.describe())).collect()
}

#[test]
fn cloudfront_serves_us_east_1s_regional_certificate_or_one_of_its_own() {
    let d = desired(|_, _| {});
    assert_eq!(d.cloudfront_source, CloudFrontCertificate::Regional(RegionRole::Primary));
    assert!(d.cloudfront.is_none());
    assert_eq!(for_cloudfront(&d, &all_issued()).as_deref(), Some("arn:east"));
    let d = desired(away_from_us_east_1);
    assert_eq!(d.cloudfront_source, CloudFrontCertificate::Own);
    let own = d.cloudfront.as_ref().expect("CloudFront's own");
    assert_eq!(
        (own.place, own.region.as_str(), own.domain.as_str()),
        (Place::Global, "us-east-1", "*.bookstore.example.com")
    );
    // Requested in us-east-1; served once issued.
    let none = ObservedCertificates::default();
    let plan = plan_cloudfront(own, None);
    assert_eq!(kinds(&plan), ["Global request certificate *.bookstore.example.com"]);
    let mut seen = all_issued();
    seen.cloudfront = Some(certificate("arn:cf", "PENDING_VALIDATION", Claim::Created));
    assert_eq!(for_cloudfront(&d, &seen), None, "pending: not served yet");
    assert_eq!(
        plan_cloudfront(own, seen.cloudfront.as_ref()).waiting,
        ["CloudFront's certificate in us-east-1 is PENDING_VALIDATION"]
    );
    seen.cloudfront = Some(certificate("arn:cf", "ISSUED", Claim::Created));
    assert_eq!(for_cloudfront(&d, &seen).as_deref(), Some("arn:cf"));
    assert_eq!(for_cloudfront(&d, &none), None);
}

#[test]
fn only_the_requested_certificates_validation_records_are_written_once_each() {
    let mut seen = all_issued();
    if let Some(c) = seen.regions[1].as_mut() {
        c.claim = Claim::Adopted("2026-12-06T10:00:00Z".into());
    }
    seen.cloudfront = Some(certificate("arn:cf", "ISSUED", Claim::Created));
    // The same wildcard's CNAME in every region: one record; an adopted one's are its owner's.
    assert_eq!(
        validation_records(&seen),
        [("_v1.bookstore.example.com".to_string(), "_v1.acm-validations.aws".to_string())]
    );
    seen.regions[0] = None;
    seen.cloudfront = None;
    assert!(validation_records(&seen).is_empty());
}

#[test]
fn a_listener_naming_a_certificate_that_is_gone_is_drift_and_a_new_one_is_requested() {
    let d = desired(|_, _| {});
    let plan = plan_regional(&d.regions[0], None, Some("arn:old"));
    assert_eq!(kinds(&plan), ["Region(Primary) request certificate *.bookstore.example.com"]);
    assert_eq!(plan.drift.len(), 1);
    assert_eq!((plan.drift[0].kind.as_str(), plan.drift[0].resource.as_str()), ("Certificate", "arn:old"));
    let failed = certificate("arn:east", "FAILED", Claim::Created);
    let plan = plan_regional(&d.regions[0], Some(&failed), None);
    assert_eq!(plan.blocked, ["certificate arn:east in us-east-1 is FAILED; delete it to request a new one"]);
    assert!(plan.actions.is_empty());
}

#[test]
fn teardown_waits_for_the_listeners_and_the_distribution_and_releases_what_stays_in_use() {
    let seen = all_issued();
    let waiting = InUse { listeners_left: [true, false], distribution_left: false, kept: Vec::new() };
    assert_eq!(kinds(&plan_certificate_teardown(&seen, &waiting)), ["Region(Standby) delete certificate arn:west"]);
    // The distribution serves us-east-1's: every regional one waits for it, as before.
    let distribution = InUse { listeners_left: [false, false], distribution_left: true, kept: Vec::new() };
    assert!(plan_certificate_teardown(&seen, &distribution).actions.is_empty());
    // An adopted tier's listener serves the standby's: released with it, never deleted.
    let kept = InUse { listeners_left: [false, false], distribution_left: false, kept: vec!["arn:west".into()] };
    assert_eq!(
        kinds(&plan_certificate_teardown(&seen, &kept)),
        [
            "Region(Primary) delete certificate arn:east",
            "Region(Standby) leave certificate arn:west in place, untagged"
        ]
    );
    // CloudFront's own goes after the distribution; an adopted one is released.
    let mut own = ObservedCertificates {
        cloudfront: Some(certificate("arn:cf", "ISSUED", Claim::Created)),
        ..Default::default()
    };
    assert!(plan_certificate_teardown(&own, &distribution).actions.is_empty());
    assert_eq!(kinds(&plan_certificate_teardown(&own, &InUse::default())), ["Global delete certificate arn:cf"]);
    own.cloudfront = Some(certificate("arn:cf", "ISSUED", Claim::Adopted("2026-12-06T10:00:00Z".into())));
    assert_eq!(
        kinds(&plan_certificate_teardown(&own, &distribution)),
        ["Global leave certificate arn:cf in place, untagged"]
    );
}

/// The stack around the family: its desired state and what AWS shows of the edge.
fn stack_with(
    edit: impl FnOnce(&mut crate::stack_pass::Snapshot),
) -> (crate::stack_pass::Desired, crate::stack_pass::Snapshot) {
    let v = crate::test_fixtures::classic_stack(|_, _| {});
    let mut snapshot = crate::stack_pass::Snapshot::default();
    edit(&mut snapshot);
    (crate::stack_pass::Desired::of(&v, &Placement::of_spec(&v)), snapshot)
}

#[test]
fn what_the_edge_leaves_in_place_keeps_the_certificates_it_serves() {
    let listener = |claim: Claim, certificate: &str| ObservedListener {
        arn: format!("arn:listener/{certificate}"),
        load_balancer_arn: "arn:lb".into(),
        spec: ListenerSpec {
            port: 443,
            protocol: "HTTPS".into(),
            certificate_arn: Some(certificate.into()),
            target_group_arn: "arn:tg".into(),
        },
        claim,
    };
    let (desired, snapshot) = stack_with(|s| {
        s.families.load_balancing[0].listeners.push(listener(Claim::Created, "arn:east"));
        s.families.load_balancing[1]
            .listeners
            .push(listener(Claim::Adopted("2026-12-06T10:00:00Z".into()), "arn:west"));
    });
    let placement = Placement::of_spec(&crate::test_fixtures::classic_stack(|_, _| {}));
    let used = in_use(&crate::stack_pass::neighbours(&desired, &snapshot, &placement));
    assert_eq!(used.listeners_left, [true, false]);
    assert_eq!(used.kept, ["arn:west"]);
    assert!(!used.distribution_left);
    let distribution = |claim: Claim| ObservedDistribution {
        id: "E1".into(),
        arn: "arn:dist".into(),
        domain_name: "d1.cloudfront.net".into(),
        status: "Deployed".into(),
        etag: "e".into(),
        caller_reference: "c".into(),
        spec: DistributionSpec { certificate_arn: "arn:east".into(), ..Default::default() },
        claim,
    };
    let (desired, snapshot) = stack_with(|s| s.families.cdn = Some(distribution(Claim::Created)));
    let used = in_use(&crate::stack_pass::neighbours(&desired, &snapshot, &placement));
    assert!(used.distribution_left && used.kept.is_empty(), "{used:?}");
    // Adopted, it stays serving with the certificate of ours it uses.
    let adopted = Claim::Adopted("2026-12-06T10:00:00Z".into());
    let (desired, snapshot) = stack_with(|s| s.families.cdn = Some(distribution(adopted)));
    let used = in_use(&crate::stack_pass::neighbours(&desired, &snapshot, &placement));
    assert_eq!((used.distribution_left, used.kept), (false, vec!["arn:east".to_string()]));
}

#[test]
fn the_verdict_names_every_certificate_not_issued_and_the_status_only_ours() {
    let d = desired(away_from_us_east_1);
    let mut seen = all_issued();
    seen.regions[1] = Some(certificate("arn:west", "PENDING_VALIDATION", Claim::Created));
    seen.regions[0] = Some(certificate("arn:console", "ISSUED", Claim::Foreign { other_owner: None }));
    let v = crate::test_fixtures::classic_stack(away_from_us_east_1);
    let stack = crate::stack_pass::Desired::of(&v, &Placement::of_spec(&v));
    let snapshot = crate::stack_pass::Snapshot::default();
    let around = crate::stack_pass::neighbours(&stack, &snapshot, &Placement::of_spec(&v));
    let verdict = Certificates::verdict(&d, &seen, &around, &[]).pop().expect("a condition of its own");
    assert_eq!(verdict.condition, types::CERTIFICATES_READY);
    assert_eq!(
        verdict.message,
        "us-west-2: *.bookstore.example.com is PENDING_VALIDATION; CloudFront: no certificate yet"
    );
    let mut status = ThreeTierStackStatus::default();
    Certificates::status(&d, &seen, &around, &mut status);
    assert_eq!(status.primary.and_then(|p| p.certificate_arn), None, "someone else's is not ours");
    assert_eq!(status.standby.and_then(|p| p.certificate_arn).as_deref(), Some("arn:west"));
    assert_eq!(status.global.and_then(|g| g.cloudfront_certificate_arn), None);
}

#[test]
fn the_topology_places_each_certificate_after_its_regions_data_and_cloudfronts_after_the_zone() {
    let v = crate::test_fixtures::classic_stack(away_from_us_east_1);
    let resources = crate::desired::stack_resources(&v);
    let at = |key: &str| resources.iter().position(|r| r.key == key).unwrap_or_else(|| panic!("{key} missing"));
    for role in ["primary", "standby"] {
        assert!(at(&format!("{role}/backup-vault")) < at(&format!("{role}/certificate/wildcard")));
        assert_eq!(at(&format!("{role}/certificate/wildcard")) + 1, at(&format!("{role}/image/web")));
    }
    let zone = at("global/public-zone");
    assert_eq!(
        resources[zone + 1..zone + 5].iter().map(|r| r.key.as_str()).collect::<Vec<_>>(),
        [
            "global/certificate-validation/primary",
            "global/certificate-validation/standby",
            "global/certificate/cloudfront",
            "global/certificate-validation/cloudfront"
        ]
    );
    let distribution = &resources[at("global/distribution")];
    for key in serving_keys(&desired(away_from_us_east_1), Place::Global) {
        assert!(distribution.depends_on.contains(&key), "{key}: {:?}", distribution.depends_on);
    }
}
