use std::collections::BTreeSet;

use warmstandby_api::{NatGatewayMode, RegionPair, RegionRole, ThreeTierStack};

use super::*;
use crate::validate::{ValidatedStack, validate_region_pair};

fn classic(edit: impl FnOnce(&mut RegionPair, &mut ThreeTierStack)) -> ValidatedStack {
    crate::test_fixtures::classic_stack(edit)
}

fn kinds(t: &Topology, prefix: &str) -> BTreeSet<Kind> {
    t.resources.iter().filter(|r| r.scope.key_prefix() == prefix).map(|r| r.kind).collect()
}

#[test]
fn the_classic_stack_has_every_resource_of_the_design() {
    let t = stack_topology(&classic(|_, _| {})).unwrap();
    assert!(t.resources.len() >= 60, "{}", t.resources.len());
    assert_eq!((t.count_in("primary"), t.count_in("standby"), t.count_in("global")), (43, 39, 14));
    let regional = [
        Kind::Vpc,
        Kind::Subnet,
        Kind::InternetGateway,
        Kind::ElasticIp,
        Kind::NatGateway,
        Kind::RouteTable,
        Kind::SecurityGroup,
        Kind::DbSubnetGroup,
        Kind::PrivateHostedZone,
        Kind::PrivateDnsRecord,
        Kind::BackupVault,
        Kind::Certificate,
        Kind::Image,
        Kind::TargetGroup,
        Kind::LoadBalancer,
        Kind::Listener,
        Kind::LaunchTemplate,
        Kind::AutoScalingGroup,
    ];
    for role in ["primary", "standby"] {
        let have = kinds(&t, role);
        for k in regional {
            assert!(have.contains(&k), "{role} lacks {k}");
        }
    }
    let primary = kinds(&t, "primary");
    for k in [Kind::DbInstance, Kind::BastionInstance, Kind::BackupPlan, Kind::BackupSelection, Kind::Secret] {
        assert!(primary.contains(&k), "primary lacks {k}");
    }
    assert!(kinds(&t, "standby").contains(&Kind::DbReadReplica));
    let global = kinds(&t, "global");
    for k in [
        Kind::PublicHostedZone,
        Kind::CertificateValidationRecord,
        Kind::HealthCheck,
        Kind::FailoverRecord,
        Kind::WebAcl,
        Kind::Distribution,
        Kind::AliasRecord,
        Kind::InstanceRole,
        Kind::InstanceProfile,
        Kind::Alarm,
    ] {
        assert!(global.contains(&k), "global lacks {k}");
    }
    let count = |kind: Kind, prefix: &str| {
        t.resources.iter().filter(|r| r.kind == kind && r.scope.key_prefix() == prefix).count()
    };
    assert_eq!(count(Kind::Subnet, "primary"), 8);
    assert_eq!(count(Kind::SecurityGroup, "standby"), 6);
    assert_eq!(count(Kind::Listener, "primary"), 3);
    assert_eq!(count(Kind::FailoverRecord, "global"), 2);
    // The primary is us-east-1, so CloudFront reuses its certificate.
    assert!(t.get("global/certificate/cloudfront").is_none());
    assert!(t.get("global/distribution").unwrap().depends_on.contains(&"primary/certificate/wildcard".to_string()));
}

#[test]
fn creation_order_puts_every_dependency_first_and_deletion_reverses_it() {
    let t = stack_topology(&classic(|_, _| {})).unwrap();
    let position = |key: &str| t.resources.iter().position(|r| r.key == key).unwrap();
    for (i, r) in t.resources.iter().enumerate() {
        for d in &r.depends_on {
            assert!(position(d) < i, "{} is created before its dependency {d}", r.key);
        }
    }
    let deletion: Vec<&str> = t.deletion_order().map(|r| r.key.as_str()).collect();
    let del = |key: &str| deletion.iter().position(|k| *k == key).unwrap();
    // Teardown as DESIGN.md: CloudFront before the ALBs, replica before source, SGs before the VPC.
    assert!(del("global/distribution") < del("primary/load-balancer/web"));
    assert!(del("global/web-acl") > del("global/distribution"));
    assert!(del("standby/db-instance") < del("primary/db-instance"));
    assert!(del("primary/auto-scaling-group/api") < del("primary/launch-template/api"));
    assert!(del("primary/security-group/db") < del("primary/security-group/api"));
    assert!(del("primary/nat-gateway/nat-a") < del("primary/elastic-ip/nat-a"));
    assert!(del("primary/elastic-ip/nat-a") < del("primary/internet-gateway"));
    assert!(del("primary/subnet/web-a") < del("primary/vpc"));
    assert_eq!(deletion.last(), Some(&t.resources[0].key.as_str()));
}

#[test]
fn keys_are_unique() {
    let t = stack_topology(&classic(|_, _| {})).unwrap();
    let keys: BTreeSet<&str> = t.resources.iter().map(|r| r.key.as_str()).collect();
    assert_eq!(keys.len(), t.resources.len());
}

#[test]
fn desired_state_follows_the_active_region() {
    let t = stack_topology(&classic(|_, s| s.spec.active_region = RegionRole::Standby)).unwrap();
    assert_eq!(t.get("standby/db-instance").unwrap().kind, Kind::DbInstance);
    assert_eq!(t.get("primary/db-instance").unwrap().kind, Kind::DbReadReplica);
    let primary_record = t.get("global/failover-record/api-primary").unwrap();
    assert!(primary_record.depends_on.contains(&"standby/load-balancer/api".to_string()));
    let asg = t.get("standby/auto-scaling-group/web").unwrap();
    assert!(asg.properties.contains(&("capacity".to_string(), "active".to_string())));
}

#[test]
fn options_change_the_topology() {
    let t = stack_topology(&classic(|p, s| {
        p.spec.nat_gateways = NatGatewayMode::PerAz;
        p.spec.primary.region = "eu-west-1".into();
        s.spec.bastion.enabled = false;
        s.spec.waf.enabled = false;
        s.spec.images.web.standby = Some("ami-0123456789abcdef0".into());
    }))
    .unwrap();
    assert!(t.get("primary/nat-gateway/nat-b").is_some());
    assert!(t.get("primary/route-table/private-a").is_some());
    assert!(t.get("primary/route-table/private").is_none());
    assert!(t.get("primary/instance/bastion").is_none());
    assert!(t.get("global/web-acl").is_none());
    // No region is us-east-1, so CloudFront gets a certificate of its own.
    assert!(t.get("global/certificate/cloudfront").is_some());
    let image = t.get("standby/image/web").unwrap();
    assert!(image.depends_on.is_empty(), "a given standby AMI is not copied");
    assert!(t.get("standby/image/api").unwrap().depends_on.contains(&"primary/image/api".to_string()));
}

#[test]
fn a_region_pair_alone_has_its_networks() {
    let pair: RegionPair =
        serde_yaml::from_str(include_str!("../../../../deploy/examples/10-regionpair.yaml")).unwrap();
    let t = region_pair_topology(&validate_region_pair(&pair).unwrap()).unwrap();
    assert_eq!(t.resources.len(), 28);
    assert_eq!(t.count_in("global"), 0);
}

fn r(key: &str, deps: &[&str]) -> Resource {
    let mut res = Resource::new(&Scope::Global, key, Kind::Alarm, key);
    for d in deps {
        res = res.dep(format!("global/{d}"));
    }
    res
}

#[test]
fn sort_is_stable_and_respects_dependencies() {
    let t = Topology::new(vec![r("c", &["b"]), r("a", &[]), r("b", &["a"]), r("d", &[])]).unwrap();
    let keys: Vec<_> = t.resources.iter().map(|r| r.component()).collect();
    assert_eq!(keys, ["a", "b", "c", "d"]);
    let rev: Vec<_> = t.deletion_order().map(|r| r.component()).collect();
    assert_eq!(rev, ["d", "c", "b", "a"]);
}

#[test]
fn missing_dependency_and_cycle_are_errors() {
    assert!(matches!(Topology::new(vec![r("a", &["zz"])]), Err(TopologyError::MissingDependency { .. })));
    assert!(matches!(Topology::new(vec![r("a", &["b"]), r("b", &["a"])]), Err(TopologyError::Cycle(_))));
}

#[test]
fn adopted_certificates_are_shown_as_adoptions_without_validation_records() {
    let arn = "arn:aws:acm:us-east-1:123456789012:certificate/console";
    let t = stack_topology(&classic(|_, s| {
        s.spec.domain.adopt_certificates =
            Some(warmstandby_api::CertificateAdoption { primary: Some(arn.into()), ..Default::default() })
    }))
    .expect("a topology whose every dependency exists");
    let cert = t.get("primary/certificate/wildcard").expect("the primary's certificate");
    assert_eq!(cert.name, arn);
    assert!(cert.properties.iter().any(|(k, v)| k == ADOPTED && v == "spec.domain.adoptCertificates.primary"));
    assert!(t.get("global/certificate-validation/primary").is_none(), "an adopted one's validation is its owner's");
    assert!(t.get("global/certificate-validation/standby").is_some(), "the standby requests its own");
    let https = t.get("primary/listener/api-https").expect("the api's HTTPS listener");
    assert!(https.depends_on.contains(&"primary/certificate/wildcard".to_string()));
}
