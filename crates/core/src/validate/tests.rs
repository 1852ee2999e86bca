use warmstandby_api::{Capacity, FailoverPolicy, RegionPair, RegionRole, ThreeTierStack};

use super::*;
use crate::secret::{Password, PasswordLookup};

const PAIR: &str = include_str!("../../../../deploy/examples/10-regionpair.yaml");
const POLICY: &str = include_str!("../../../../deploy/examples/20-failoverpolicy.yaml");
const STACK: &str = include_str!("../../../../deploy/examples/30-bookstore.yaml");

fn pair() -> RegionPair {
    serde_yaml::from_str(PAIR).unwrap()
}
fn policy() -> FailoverPolicy {
    serde_yaml::from_str(POLICY).unwrap()
}
fn stack() -> ThreeTierStack {
    serde_yaml::from_str(STACK).unwrap()
}
fn password() -> PasswordLookup {
    PasswordLookup::Found(Password::new("Ch4nge-me-0n-day-1"))
}

fn check_stack(
    stack: &ThreeTierStack,
    pair: &RegionPair,
    lookup: PasswordLookup,
) -> Result<ValidatedStack, ValidationErrors> {
    let policy = policy();
    validate_stack(StackInputs { stack, region_pair: Some(pair), policy: Some(&policy), password: lookup })
}

fn messages(e: &ValidationErrors) -> Vec<String> {
    e.iter().map(ToString::to_string).collect()
}

#[test]
fn the_classic_example_is_valid_with_the_classic_layout() {
    let v = validate_region_pair(&pair()).unwrap();
    assert_eq!(v.primary.region, "us-east-1");
    assert_eq!(v.primary.layout().unwrap().zones, ["us-east-1a".to_string(), "us-east-1b".to_string()]);
    assert_eq!(v.primary.layout().unwrap().subnets.len(), 8);
    let cidrs: Vec<String> =
        v.primary.layout().unwrap().subnets.iter().map(|s| format!("{} {}", s.key(), s.cidr)).collect();
    assert_eq!(
        cidrs,
        [
            "public-a 172.20.0.0/24",
            "public-b 172.20.1.0/24",
            "web-a 172.20.2.0/24",
            "web-b 172.20.3.0/24",
            "app-a 172.20.4.0/24",
            "app-b 172.20.5.0/24",
            "db-a 172.20.6.0/24",
            "db-b 172.20.7.0/24"
        ]
    );
    let s = check_stack(&stack(), &pair(), password()).unwrap();
    assert_eq!(s.namespace, "bookstore");
    let db = &s.spec.database;
    assert_eq!(
        (db.instance_class.as_str(), db.allocated_storage_gib, db.engine_version.as_str()),
        ("db.t3.micro", 22, "8.0")
    );
    assert!(db.multi_az && db.storage_encrypted && db.deletion_protection && db.final_snapshot);
    assert_eq!(db.backup_retention_days, 7);
    assert_eq!(s.spec.web.instance_type, "t3.micro");
    assert_eq!(s.spec.web.capacity, Capacity::new(2, 2, 6));
    assert_eq!(s.spec.api.standby_capacity, Capacity::new(1, 1, 6));
    assert_eq!(s.spec.health_check.path, "/health");
    assert_eq!(s.spec.cdn.failover_status_codes, [500, 502, 503, 504]);
    assert_eq!(s.spec.waf.managed_rule_groups.len(), 2);
    assert_eq!(s.spec.active_region, RegionRole::Primary);
    assert!(s.policy.is_some());
}

#[test]
fn every_error_is_reported_at_once_with_its_path() {
    let mut st = stack();
    st.spec.database.allocated_storage_gib = 5;
    st.spec.database.instance_class = "large".into();
    st.spec.web.port = 0;
    st.spec.domain.web_record = "api".into();
    st.spec.cdn.connection_attempts = 9;
    let e = check_stack(&st, &pair(), password()).unwrap_err();
    let m = messages(&e);
    assert_eq!(
        m,
        [
            "spec.domain.webRecord: must differ from spec.domain.apiRecord (both are \"api\")",
            "spec.database.instanceClass: \"large\" is not an RDS instance class (like db.t3.micro)",
            "spec.database.allocatedStorageGiB: must be between 20 and 65536, got 5",
            "spec.web.port: must be between 1 and 65535, got 0",
            "spec.cdn.connectionAttempts: must be between 1 and 3, got 9",
        ]
    );
}

#[test]
fn region_pair_errors_cover_regions_zones_and_cidrs() {
    // Default zones derived from an invalid region are not reported again.
    let mut p = pair();
    p.spec.primary.region = "moon-base-1".into();
    p.spec.standby.availability_zones = vec!["us-west-2a".into(), "us-west-2a".into()];
    p.spec.standby.vpc_cidr = "172.21.0.0/8".into();
    p.spec.role_arn = Some("arn:aws:iam::12:user/x".into());
    let m = messages(&validate_region_pair(&p).unwrap_err());
    assert_eq!(
        m,
        [
            "spec.primary.region: \"moon-base-1\" is not an AWS region name (like us-east-1)",
            "spec.standby.availabilityZones[1]: duplicates availabilityZones[0] (us-west-2a); the two zones must differ",
            "spec.standby.vpcCidr: 172.21.0.0/8 has host bits set; did you mean 172.0.0.0/8?",
            "spec.roleArn: \"arn:aws:iam::12:user/x\" is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)",
        ]
    );
}

#[test]
fn vpc_prefix_limits_are_aws_limits() {
    let mut p = pair();
    p.spec.primary.vpc_cidr = "10.0.0.0/12".into();
    let m = messages(&validate_region_pair(&p).unwrap_err());
    assert_eq!(m, ["spec.primary.vpcCidr: prefix length must be between /16 and /28 (an AWS limit), got /12"]);
}

#[test]
fn custom_subnets_are_used_and_checked() {
    let mut p = pair();
    p.spec.primary.subnets = Some(warmstandby_api::SubnetLayout {
        public: vec!["172.20.10.0/24".into(), "172.20.11.0/24".into()],
        web: vec!["172.20.20.0/23".into(), "172.20.22.0/23".into()],
        app: vec!["172.20.30.0/24".into(), "172.20.31.0/24".into()],
        db: vec!["172.20.40.0/28".into(), "172.20.40.16/28".into()],
    });
    let v = validate_region_pair(&p).unwrap();
    assert_eq!(v.primary.layout().unwrap().subnet(SubnetTier::Web, 1).unwrap().cidr.to_string(), "172.20.22.0/23");
    assert_eq!(v.primary.layout().unwrap().subnet(SubnetTier::Db, 1).unwrap().zone, "us-east-1b");
}

#[test]
fn password_rules_never_echo_the_value() {
    for bad in ["short", "has space inside it", "with/slash-in-it", "with@at-sign-in-it", "x".repeat(42).as_str()] {
        let e = check_stack(&stack(), &pair(), PasswordLookup::Found(Password::new(bad))).unwrap_err();
        let m = e.to_message();
        assert!(
            m.starts_with("spec.database.passwordSecretRef: the password in Secret \"bookstore-db\" key \"password\""),
            "{m}"
        );
        assert!(!m.contains(bad), "the message leaks the password: {m}");
    }
    let e = check_stack(&stack(), &pair(), PasswordLookup::KeyMissing).unwrap_err();
    assert_eq!(
        messages(&e),
        ["spec.database.passwordSecretRef.key: Secret \"bookstore-db\" key \"password\" has no such key"]
    );
    let mut st = stack();
    st.spec.database.password_secret_ref = None;
    let e = check_stack(&st, &pair(), PasswordLookup::NotReferenced).unwrap_err();
    assert_eq!(
        messages(&e),
        ["spec.database.passwordSecretRef: is required: the master password is read from a Secret"]
    );
}

#[test]
fn inline_password_is_refused_without_echoing_it() {
    let mut st = stack();
    st.spec.database.password = Some("Inline-Secret-123".into());
    let e = check_stack(&st, &pair(), password()).unwrap_err();
    let m = e.to_message();
    assert!(m.contains("spec.database.password: inline passwords are refused"));
    assert!(!m.contains("Inline-Secret-123"));
    // The Debug form of a validated stack never shows the password either.
    let ok = check_stack(&stack(), &pair(), password()).unwrap();
    assert!(!format!("{ok:?}").contains("Ch4nge-me-0n-day-1"));
}

#[test]
fn references_must_resolve_and_be_valid() {
    let st = stack();
    let e =
        validate_stack(StackInputs { stack: &st, region_pair: None, policy: None, password: password() }).unwrap_err();
    assert_eq!(
        messages(&e),
        [
            "spec.regionPairRef.name: RegionPair \"classic\" not found",
            "spec.failoverPolicyRef.name: FailoverPolicy \"bookstore\" not found in namespace \"bookstore\"",
        ]
    );
    let mut bad_pair = pair();
    bad_pair.spec.standby.region = "us-east-1".into();
    let e = check_stack(&st, &bad_pair, password()).unwrap_err();
    assert_eq!(
        messages(&e),
        [
            "spec.regionPairRef.name: RegionPair \"classic\" is invalid (1 error(s), first: spec.standby.region: must differ from spec.primary.region (both are us-east-1))"
        ]
    );
}

#[test]
fn capacities_and_standby_bounds() {
    let mut st = stack();
    st.spec.api.capacity = Capacity::new(0, 0, 0);
    st.spec.api.standby_capacity = Capacity::new(0, 0, 0);
    st.spec.web.capacity = Capacity::new(1, 2, 3);
    st.spec.web.standby_capacity = Capacity::new(2, 2, 4);
    let m = messages(&check_stack(&st, &pair(), password()).unwrap_err());
    assert_eq!(
        m,
        [
            "spec.web.standbyCapacity.min: the warm standby must not be larger than the active capacity: 2 > capacity.min 1",
            "spec.web.standbyCapacity.max: the warm standby must not be larger than the active capacity: 4 > capacity.max 3",
            "spec.api.capacity.max: must be at least 1: the active region must serve",
        ]
    );
}

#[test]
fn policy_checks() {
    let mut p = policy();
    p.spec.detection.probes.enabled = true;
    p.spec.detection.probes.api_url = Some("ftp://x".into());
    p.spec.detection.probes.timeout_seconds = 20;
    p.spec.detection.health_check_interval_seconds = 20;
    p.spec.drill.schedule = Some("daily".into());
    let m = messages(&validate_policy(&p).unwrap_err());
    assert_eq!(
        m,
        [
            "spec.detection.healthCheckIntervalSeconds: must be 10 or 30, got 20",
            "spec.detection.probes.apiUrl: \"ftp://x\" must be an http:// or https:// URL",
            "spec.detection.probes.timeoutSeconds: must be less than intervalSeconds (10), got 20",
            "spec.drill.schedule: \"daily\" is not a 5-field cron expression (minute hour day month weekday)",
        ]
    );
}

#[test]
fn a_teardown_needs_neither_the_password_nor_the_policy() {
    let st = stack();
    let p = pair();
    let gone =
        || StackInputs { stack: &st, region_pair: Some(&p), policy: None, password: PasswordLookup::SecretMissing };
    let e = validate_stack(gone()).unwrap_err();
    assert_eq!(e.len(), 2, "{:?}", messages(&e));
    let v = validate_stack_for_teardown(gone()).expect("a teardown goes on without them");
    assert_eq!((v.name.as_str(), v.namespace.as_str(), v.policy.is_none()), ("bookstore", "bookstore", true));
    // Everything else is still checked: it names what to delete.
    let mut bad = stack();
    bad.spec.database.allocated_storage_gib = 5;
    let e = validate_stack_for_teardown(StackInputs {
        stack: &bad,
        region_pair: Some(&p),
        policy: None,
        password: PasswordLookup::SecretMissing,
    })
    .unwrap_err();
    assert_eq!(messages(&e), ["spec.database.allocatedStorageGiB: must be between 20 and 65536, got 5"]);
}

#[test]
fn adopted_certificates_must_be_acm_arns_of_the_region_they_serve() {
    let mut st = stack();
    st.spec.domain.adopt_certificates = Some(warmstandby_api::CertificateAdoption {
        primary: Some("arn:aws:acm:us-west-2:123456789012:certificate/abc".into()),
        standby: Some("arn:aws:iam::123456789012:server-certificate/abc".into()),
        cloud_front: Some("arn:aws:acm:us-east-1:123456789012:certificate/def".into()),
    });
    let e = check_stack(&st, &pair(), password()).unwrap_err();
    assert_eq!(
        messages(&e),
        [
            "spec.domain.adoptCertificates.primary: certificate arn:aws:acm:us-west-2:123456789012:certificate/abc is in us-west-2, not us-east-1, where it would serve",
            "spec.domain.adoptCertificates.standby: \"arn:aws:iam::123456789012:server-certificate/abc\" is not an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>)",
            "spec.domain.adoptCertificates.cloudFront: the RegionPair's region us-east-1 serves CloudFront with its own certificate; adopt that one instead",
        ]
    );
    st.spec.domain.adopt_certificates = Some(warmstandby_api::CertificateAdoption {
        primary: Some("arn:aws:acm:us-east-1:123456789012:certificate/abc".into()),
        ..Default::default()
    });
    assert!(check_stack(&st, &pair(), password()).is_ok());
}

#[test]
fn adopted_backups_need_backups_on_and_aws_backup_names() {
    let mut st = stack();
    st.spec.backup.enabled = false;
    st.spec.backup.adopt = Some(warmstandby_api::BackupAdoption {
        primary_vault: Some("x".into()),
        standby_vault: Some("team vault".into()),
        plan: Some("plan/1".into()),
    });
    let e = check_stack(&st, &pair(), password()).unwrap_err();
    assert_eq!(
        messages(&e),
        [
            "spec.backup.adopt: adopting backups needs spec.backup.enabled: true",
            "spec.backup.adopt.primaryVault: \"x\" is not a backup vault name (2-50 letters, digits, '-' and '_')",
            "spec.backup.adopt.standbyVault: \"team vault\" is not a backup vault name (2-50 letters, digits, '-' and '_')",
            "spec.backup.adopt.plan: \"plan/1\" is not a backup plan ID (letters, digits and '-')",
        ]
    );
    st.spec.backup = warmstandby_api::BackupSpec {
        adopt: Some(warmstandby_api::BackupAdoption {
            plan: Some("4c5d1a6e-9f2b-4e8a-b1c3-7d9e0f2a3b4c".into()),
            ..Default::default()
        }),
        ..Default::default()
    };
    assert!(check_stack(&st, &pair(), password()).is_ok());
}

#[test]
fn what_is_adopted_cannot_be_deleted_with_the_stack() {
    let mut st = stack();
    st.spec.cdn.adopt = Some("E2QWRUHAPOMQZL".into());
    st.spec.cdn.deletion_policy = Some(warmstandby_api::DeletionPolicy::Delete);
    st.spec.waf.deletion_policy = Some(warmstandby_api::DeletionPolicy::Retain);
    let e = check_stack(&st, &pair(), password()).unwrap_err();
    assert_eq!(
        messages(&e),
        [
            "spec.cdn.deletionPolicy: what is adopted is left in place, untagged, when the stack is deleted: remove Delete, or the adoption"
        ]
    );
}
