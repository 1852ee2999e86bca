//! The load balancing and compute families' planning against a simulated
//! AWS, beside the public DNS, CDN, WAF, alarm and certificates families as
//! the stack pass plans them: each planned action changes the observed
//! model the way AWS would, and planning repeats until nothing is left to
//! do. This checks creation order, role-awareness, ownership of records and
//! the teardown order, which the emulator cannot (it is lenient about
//! deleting what is still in use).

use warmstandby_api::{RegionRole, ThreeTierStack};

use super::*;
use crate::data::desired::NetworkRefs;
use crate::families::alarm::{Alarm, AlarmAction, ObservedAlarm, watched_health_check};
use crate::families::cdn::{Cdn, CdnAction, DistributionSpec, ObservedDistribution};
use crate::families::certificates::{CertificateAction, Certificates, ObservedCertificate};
use crate::families::compute::Compute;
use crate::families::instance_roles::{ObservedProfile, ObservedRole, ObservedRoles};
use crate::families::load_balancing::LoadBalancing;
use crate::families::public_dns::{
    ADOPTED_MARKER_PREFIX, DnsAction, HealthCheckConfig, ObservedHealthCheck, ObservedPublicDns, PublicDns, PublicZone,
    RECORD_TTL, RecordAction, RecordSpec,
};
use crate::families::secrets::ObservedSecret;
use crate::families::waf::{ObservedWebAcl, Waf, WafAction};
use crate::families::{Neighbours, ResourceFamily, SeamAction, SeamPlan};
use crate::family::{Effect, FamilyAction};
use crate::placement::Placement;
use crate::servers::desired::DesiredRegionServers;
use crate::servers::observed::{
    Claim, LaunchTemplateData, ObservedAsg, ObservedImage, ObservedLaunchTemplate, ObservedListener,
    ObservedLoadBalancer, ObservedTargetGroup, RegionServers,
};

struct World {
    nets: [NetworkRefs; 2],
    owner: crate::identity::Ownership,
    /// The families on the seam: the load balancing, compute, public DNS,
    /// WAF, alarm, certificates and CDN families are planned as the stack
    /// pass does (their AWS simulated here); the others are read only and
    /// built already (the security groups, the secret, the roles'
    /// instance profiles).
    seam: (crate::families::FamiliesDesired, crate::families::FamiliesObserved),
    next_id: usize,
}

const MARKER: &str = "heritage=warmstandby,owner=bookstore/bookstore,uid=u1";

#[test]
fn the_marker_is_the_owners() {
    assert_eq!(owner().owner_marker(), MARKER);
}

fn world(edit: impl Fn(&mut ThreeTierStack)) -> World {
    let v = crate::test_fixtures::classic_stack(|_, s| edit(s));
    let net = |region: &str| NetworkRefs {
        vpc_id: format!("vpc-{region}"),
        subnet_ids: ["public-a", "public-b", "web-a", "web-b", "app-a", "app-b", "db-a", "db-b"]
            .iter()
            .map(|k| (k.to_string(), format!("subnet-{region}-{k}")))
            .collect(),
    };
    let desired = crate::families::FamiliesDesired::of(&v, &Placement::of_spec(&v));
    // The access families' roles and profiles, and the secret, built already.
    let instance_roles = ObservedRoles {
        roles: desired
            .instance_roles
            .iter()
            .map(|r| ObservedRole {
                name: r.name.clone(),
                arn: format!("arn:aws:iam::1:role/{}", r.name),
                ours: true,
                trust: serde_json::Value::Null,
                inline: Vec::new(),
                attached: Vec::new(),
            })
            .collect(),
        profiles: desired
            .instance_roles
            .iter()
            .map(|r| ObservedProfile {
                name: r.profile_name.clone(),
                arn: format!("arn:aws:iam::1:instance-profile/{}", r.profile_name),
                roles: vec![r.name.clone()],
            })
            .collect(),
        known_profiles: Vec::new(),
    };
    let secret = ObservedSecret {
        arn: "arn:aws:secretsmanager:us-east-1:1:secret:bookstore-AbCdEf".into(),
        ours: true,
        deleted: false,
        replicas: vec![("us-west-2".into(), "InSync".into())],
        last_changed: None,
        differing: Some(Vec::new()),
    };
    World {
        nets: [net("us-east-1"), net("us-west-2")],
        owner: owner(),
        seam: (
            desired,
            crate::families::FamiliesObserved {
                security_groups: [
                    crate::test_fixtures::observed_groups("us-east-1"),
                    crate::test_fixtures::observed_groups("us-west-2"),
                ],
                secrets: Some(secret),
                instance_roles,
                // The customer's public zone, there before the stack.
                public_dns: ObservedPublicDns {
                    zone: Some(PublicZone { id: "Z1".into(), name: "bookstore.example.com".into(), ours: false }),
                    ..Default::default()
                },
                ..Default::default()
            },
        ),
        next_id: 0,
    }
}

/// The owner of the global resources; its marker is `MARKER`.
fn owner() -> crate::identity::Ownership {
    crate::identity::Ownership {
        owner: "bookstore/bookstore".into(),
        uid: "u1".into(),
        region_role: RegionRole::Primary,
    }
}

impl World {
    /// The load balancing and compute families' plans.
    fn plan(&self) -> SeamPlan {
        let around = self.around();
        let (desired, seen) = &self.seam;
        joined(
            LoadBalancing::plan(&desired.load_balancing, &seen.load_balancing, &around),
            Compute::plan(&desired.compute, &seen.compute, &around),
        )
    }

    /// Both regions' server tiers as the spec wants them.
    fn desired(&self) -> &[DesiredRegionServers; 2] {
        &self.seam.0.load_balancing
    }

    /// Changes a region's tiers as a new spec would (both families' view of them).
    fn edit_tiers(&mut self, i: usize, edit: impl Fn(&mut crate::servers::desired::DesiredTier)) {
        let (desired, _) = &mut self.seam;
        desired.load_balancing[i].tiers.iter_mut().for_each(&edit);
        desired.compute[i].tiers.iter_mut().for_each(&edit);
    }

    /// Region `i`'s load balancers and servers.
    fn servers(&self, i: usize) -> RegionServers<'_> {
        RegionServers { balancing: &self.seam.1.load_balancing[i], compute: &self.seam.1.compute[i] }
    }

    fn server_regions(&self) -> [RegionServers<'_>; 2] {
        [self.servers(0), self.servers(1)]
    }

    fn around(&self) -> Neighbours<'_> {
        Neighbours {
            seam: (&self.seam.0, &self.seam.1),
            writer: None,
            unreachable: [false, false],
            final_snapshot_suffix: "",
            nets: Some(&self.nets),
        }
    }

    /// The WAF family's plan, as the stack pass makes it beside the others.
    fn waf_plan(&self) -> crate::plan::Plan<(Place, WafAction)> {
        Waf::plan(&self.seam.0.waf, &self.seam.1.waf, &self.around())
    }

    /// The public DNS, CDN, WAF, alarm and certificates families' plan, as
    /// the stack pass makes it beside the load balancers' (the alarm on the health
    /// check the public DNS uses now).
    fn seam_plan(&self) -> SeamPlan {
        let around = self.around();
        let (desired, seen) = &self.seam;
        let mut plan = joined(
            PublicDns::plan(&desired.public_dns, &seen.public_dns, &around),
            Cdn::plan(&desired.cdn, &seen.cdn, &around),
        );
        crate::families::absorb(&mut plan, self.waf_plan());
        crate::families::absorb(&mut plan, Alarm::plan(&desired.alarm, &seen.alarm, &around));
        crate::families::absorb(&mut plan, Certificates::plan(&desired.certificates, &seen.certificates, &around));
        plan
    }

    /// The same families' teardown.
    fn seam_teardown(&self) -> SeamPlan {
        let around = self.around();
        let (desired, seen) = &self.seam;
        let mut plan = joined(
            PublicDns::teardown(&desired.public_dns, &seen.public_dns, &around),
            Cdn::teardown(&desired.cdn, &seen.cdn, &around),
        );
        crate::families::absorb(&mut plan, Waf::teardown(&desired.waf, &seen.waf, &around));
        crate::families::absorb(&mut plan, Alarm::teardown(&desired.alarm, &seen.alarm, &around));
        crate::families::absorb(&mut plan, Certificates::teardown(&desired.certificates, &seen.certificates, &around));
        plan
    }

    /// Ours of the global resources (the seam families') that still exist.
    fn global_live(&self) -> usize {
        let (d, o) = &self.seam;
        PublicDns::live_count(&d.public_dns, &o.public_dns)
            + Cdn::live_count(&d.cdn, &o.cdn)
            + Waf::live_count(&d.waf, &o.waf)
            + Alarm::live_count(&d.alarm, &o.alarm)
            + Certificates::live_count(&d.certificates, &o.certificates)
    }

    fn id(&mut self, prefix: &str) -> String {
        self.next_id += 1;
        format!("{prefix}{}", self.next_id)
    }

    fn region_name(&self, scope: Place) -> String {
        match scope {
            Place::Region(RegionRole::Primary) => self.desired()[0].region.clone(),
            Place::Region(RegionRole::Standby) => self.desired()[1].region.clone(),
            Place::Global => "us-east-1".into(),
        }
    }

    /// What AWS does for an action.
    fn apply(&mut self, scope: Place, action: SeamAction) {
        let region = self.region_name(scope);
        let i = usize::from(scope == Place::Region(RegionRole::Standby));
        match action {
            SeamAction::LoadBalancing(LoadBalancingAction::CreateTargetGroup { tier, spec }) => {
                let arn = self.id(&format!("arn:aws:elasticloadbalancing:{region}:1:targetgroup/{}/", spec.name));
                self.seam.1.load_balancing[i].target_groups.push(ObservedTargetGroup {
                    tier,
                    arn,
                    spec,
                    claim: Claim::Created,
                });
            }
            SeamAction::LoadBalancing(LoadBalancingAction::DeleteTargetGroup { arn }) => {
                self.seam.1.load_balancing[i].target_groups.retain(|t| t.arn != arn)
            }
            SeamAction::LoadBalancing(LoadBalancingAction::CreateLoadBalancer { tier, spec }) => {
                let arn = self.id(&format!("arn:aws:elasticloadbalancing:{region}:1:loadbalancer/app/{}/", spec.name));
                self.seam.1.load_balancing[i].load_balancers.push(ObservedLoadBalancer {
                    tier,
                    claim: Claim::Created,
                    dns_name: format!("{}.{region}.elb.amazonaws.com", spec.name),
                    zone_id: format!("Z-{region}"),
                    state: "active".into(),
                    arn,
                    spec,
                });
            }
            SeamAction::LoadBalancing(LoadBalancingAction::DeleteLoadBalancer { arn }) => {
                self.seam.1.load_balancing[i].load_balancers.retain(|l| l.arn != arn)
            }
            SeamAction::LoadBalancing(LoadBalancingAction::CreateListener { load_balancer_arn, spec, .. }) => {
                let arn = format!("{}/{}", load_balancer_arn.replace(":loadbalancer/", ":listener/"), spec.port);
                assert!(
                    self.seam.1.load_balancing[i]
                        .load_balancers
                        .iter()
                        .any(|l| l.arn == load_balancer_arn && l.claim.is_ours()),
                    "a listener added to a load balancer not ours"
                );
                self.seam.1.load_balancing[i].listeners.push(ObservedListener {
                    arn,
                    load_balancer_arn,
                    spec,
                    claim: Claim::Created,
                });
            }
            SeamAction::LoadBalancing(LoadBalancingAction::ModifyListener { arn, spec }) => {
                let r = &mut self.seam.1.load_balancing[i];
                assert!(r.listeners.iter().any(|l| l.arn == arn && l.claim.is_ours()), "{arn} changed while not ours");
                r.listeners.iter_mut().filter(|l| l.arn == arn).for_each(|l| l.spec = spec.clone())
            }
            SeamAction::LoadBalancing(LoadBalancingAction::ModifyTargetGroup { arn, health_check_path }) => {
                let tg = self.seam.1.load_balancing[i].target_groups.iter_mut().find(|t| t.arn == arn).unwrap();
                assert!(tg.claim.is_ours(), "{arn} changed while not ours");
                tg.spec.health_check_path = health_check_path;
            }
            SeamAction::LoadBalancing(LoadBalancingAction::SetSecurityGroups { arn, security_group_ids }) => {
                let lb = self.seam.1.load_balancing[i].load_balancers.iter_mut().find(|l| l.arn == arn).unwrap();
                assert!(lb.claim.is_ours(), "{arn} changed while not ours");
                lb.spec.security_group_ids = security_group_ids;
            }
            SeamAction::LoadBalancing(LoadBalancingAction::SetSubnets { arn, subnet_ids }) => {
                let lb = self.seam.1.load_balancing[i].load_balancers.iter_mut().find(|l| l.arn == arn).unwrap();
                assert!(lb.claim.is_ours(), "{arn} changed while not ours");
                lb.spec.subnet_ids = subnet_ids;
            }
            SeamAction::LoadBalancing(LoadBalancingAction::Adopt { arns, .. }) => {
                let r = &mut self.seam.1.load_balancing[i];
                let adopted = Claim::Adopted("2026-12-05T10:00:00Z".into());
                r.target_groups.iter_mut().filter(|x| arns.contains(&x.arn)).for_each(|x| x.claim = adopted.clone());
                r.load_balancers.iter_mut().filter(|x| arns.contains(&x.arn)).for_each(|x| x.claim = adopted.clone());
                r.listeners.iter_mut().filter(|x| arns.contains(&x.arn)).for_each(|x| x.claim = adopted.clone());
            }
            SeamAction::LoadBalancing(LoadBalancingAction::Release { arns, .. }) => {
                let r = &mut self.seam.1.load_balancing[i];
                let released = Claim::Foreign { other_owner: None };
                r.target_groups.iter_mut().filter(|x| arns.contains(&x.arn)).for_each(|x| x.claim = released.clone());
                r.load_balancers.iter_mut().filter(|x| arns.contains(&x.arn)).for_each(|x| x.claim = released.clone());
                r.listeners.iter_mut().filter(|x| arns.contains(&x.arn)).for_each(|x| x.claim = released.clone());
            }
            SeamAction::Compute(ComputeAction::AdoptLaunchTemplate { template_id, .. }) => {
                let lt = self.seam.1.compute[i].launch_templates.iter_mut().find(|l| l.id == template_id).unwrap();
                lt.claim = Claim::Adopted("2026-12-05T10:00:00Z".into());
            }
            SeamAction::Compute(ComputeAction::ReleaseLaunchTemplate { template_id, .. }) => {
                let lt = self.seam.1.compute[i].launch_templates.iter_mut().find(|l| l.id == template_id).unwrap();
                lt.claim = Claim::Foreign { other_owner: None };
            }
            SeamAction::Compute(ComputeAction::AdoptAutoScalingGroup { name, .. }) => {
                let a = self.seam.1.compute[i].auto_scaling_groups.iter_mut().find(|a| a.name == name).unwrap();
                a.claim = Claim::Adopted("2026-12-05T10:00:00Z".into());
            }
            SeamAction::Compute(ComputeAction::ReleaseAutoScalingGroup { name, .. }) => {
                let a = self.seam.1.compute[i].auto_scaling_groups.iter_mut().find(|a| a.name == name).unwrap();
                a.claim = Claim::Foreign { other_owner: None };
            }
            SeamAction::Compute(ComputeAction::ReleaseImage { image_id, .. }) => {
                self.seam.1.compute[i].images.iter_mut().filter(|m| m.id == image_id).for_each(|m| m.tagged = false)
            }
            SeamAction::LoadBalancing(LoadBalancingAction::DeleteListener { arn }) => {
                assert!(
                    self.seam.1.load_balancing[i].listeners.iter().any(|l| l.arn == arn && l.claim == Claim::Created)
                );
                self.seam.1.load_balancing[i].listeners.retain(|l| l.arn != arn)
            }
            SeamAction::Compute(ComputeAction::CopyImage { tier, name, .. }) => {
                let id = self.id("ami-copy");
                self.seam.1.compute[i].images.push(ObservedImage {
                    tier,
                    id,
                    state: "available".into(),
                    tagged: true,
                    snapshot_ids: vec!["snap-1".into()],
                    name,
                });
            }
            SeamAction::Compute(ComputeAction::DeregisterImage { image_id, .. }) => {
                self.seam.1.compute[i].images.retain(|m| m.id != image_id)
            }
            SeamAction::Compute(ComputeAction::CreateLaunchTemplate { tier, name, data }) => {
                let id = self.id("lt-");
                self.seam.1.compute[i].launch_templates.push(ObservedLaunchTemplate {
                    tier,
                    id,
                    name,
                    latest_version: 1,
                    latest: Some(data),
                    claim: Claim::Created,
                });
            }
            SeamAction::Compute(ComputeAction::CreateLaunchTemplateVersion { template_id, data }) => {
                let r = &self.seam.1.compute[i];
                assert!(r.launch_templates.iter().any(|l| l.id == template_id && l.claim.is_ours()));
                for lt in self.seam.1.compute[i].launch_templates.iter_mut().filter(|l| l.id == template_id) {
                    lt.latest_version += 1;
                    lt.latest = Some(data.clone());
                }
            }
            SeamAction::Compute(ComputeAction::DeleteLaunchTemplate { template_id }) => {
                self.seam.1.compute[i].launch_templates.retain(|l| l.id != template_id)
            }
            SeamAction::Compute(ComputeAction::CreateAutoScalingGroup { tier, name, spec }) => self.seam.1.compute[i]
                .auto_scaling_groups
                .push(ObservedAsg { tier, name, spec, deleting: false, claim: Claim::Created }),
            SeamAction::Compute(ComputeAction::UpdateAutoScalingGroup { name, spec, .. }) => {
                let r = &mut self.seam.1.compute[i];
                assert!(r.auto_scaling_groups.iter().any(|a| a.name == name && a.claim.is_ours()), "{name} not ours");
                r.auto_scaling_groups.iter_mut().filter(|a| a.name == name).for_each(|a| a.spec = spec.clone())
            }
            SeamAction::Compute(ComputeAction::DeleteAutoScalingGroup { name }) => {
                self.seam.1.compute[i].auto_scaling_groups.retain(|a| a.name != name)
            }
            other => self.apply_seam(scope, other),
        }
    }

    /// What AWS does for an action of the seam families simulated here.
    fn apply_seam(&mut self, scope: Place, action: SeamAction) {
        match action {
            SeamAction::PublicDns(a) => self.apply_dns(a),
            SeamAction::Cdn(a) => self.apply_cdn(a),
            SeamAction::Certificates(a) => self.apply_certificate(scope, a),
            SeamAction::Waf(a) => self.apply_waf(a),
            SeamAction::Alarm(AlarmAction::PutAlarm { name, config }) => {
                self.seam.1.alarm = Some(ObservedAlarm { name, state: "OK".into(), config })
            }
            SeamAction::Alarm(AlarmAction::DeleteAlarm { .. }) => self.seam.1.alarm = None,
            other => panic!("{other:?} is not simulated here"),
        }
    }

    /// What ACM does for a certificate action: a request is issued at once.
    fn apply_certificate(&mut self, scope: Place, action: CertificateAction) {
        let region = self.region_name(scope);
        let arn = self.id(&format!("arn:aws:acm:{region}:1:certificate/"));
        let slot = match scope {
            Place::Region(role) => &mut self.seam.1.certificates.regions[role.index()],
            Place::Global => &mut self.seam.1.certificates.cloudfront,
        };
        match action {
            CertificateAction::RequestCertificate { domain } => {
                *slot = Some(ObservedCertificate {
                    arn,
                    names: vec![domain.clone()],
                    domain,
                    status: "ISSUED".into(),
                    validation: vec![("_v1.bookstore.example.com".into(), "_v1.acm-validations.aws".into())],
                    claim: Claim::Created,
                })
            }
            CertificateAction::AdoptCertificate { arn } => {
                let cert =
                    slot.as_mut().filter(|c| c.arn == arn && !c.claim.is_ours()).expect("an unclaimed certificate");
                cert.claim = Claim::Adopted("2026-12-06T10:00:00Z".into());
            }
            CertificateAction::DeleteCertificate { .. } => {
                let (listeners, distribution) = (&self.seam.1.load_balancing, &self.seam.1.cdn);
                let used = |arn: &str| {
                    listeners.iter().flat_map(|r| &r.listeners).any(|l| l.spec.certificate_arn.as_deref() == Some(arn))
                        || distribution.as_ref().is_some_and(|d| d.spec.certificate_arn == arn)
                };
                assert!(slot.as_ref().is_none_or(|c| !used(&c.arn)), "a certificate deleted while in use");
                *slot = None
            }
            CertificateAction::ReleaseCertificate { .. } => *slot = None,
        }
    }

    /// What Route 53 does for a public DNS action.
    fn apply_dns(&mut self, action: DnsAction) {
        match action {
            DnsAction::ChangeRecords { changes, .. } => {
                for (what, record) in changes {
                    match what {
                        RecordAction::Create => {
                            assert!(
                                !self.seam.1.public_dns.records.iter().any(|r| r.same_set(&record)),
                                "CREATE of an existing record {}",
                                record.label()
                            );
                            self.seam.1.public_dns.records.push(record);
                        }
                        RecordAction::Upsert => {
                            self.seam.1.public_dns.records.retain(|r| !r.same_set(&record));
                            self.seam.1.public_dns.records.push(record);
                        }
                        RecordAction::Delete => {
                            let before = self.seam.1.public_dns.records.len();
                            self.seam.1.public_dns.records.retain(|r| r != &record);
                            assert_eq!(before, self.seam.1.public_dns.records.len() + 1, "DELETE must match exactly");
                        }
                    }
                }
                self.seam.1.public_dns.records.sort();
            }
            DnsAction::CreateHealthCheck { caller_reference, config, .. } => {
                let id = self.id("hc-");
                self.seam.1.public_dns.health_checks.push(ObservedHealthCheck {
                    id,
                    caller_reference,
                    config,
                    claim: Claim::Created,
                });
            }
            DnsAction::AdoptHealthCheck { id } => {
                let h = self.seam.1.public_dns.health_checks.iter_mut().find(|h| h.id == id).unwrap();
                h.claim = Claim::Adopted("2026-12-05T10:00:00Z".into());
            }
            DnsAction::ReleaseHealthCheck { id } => {
                let h = self.seam.1.public_dns.health_checks.iter_mut().find(|h| h.id == id).unwrap();
                h.claim = Claim::Foreign { other_owner: None };
            }
            DnsAction::AdoptRecords { mut marker, .. } => {
                assert!(!self.seam.1.public_dns.records.iter().any(|r| r.same_set(&marker)), "a marker exists already");
                marker.values.push(format!("{}2026-12-05T10:00:00Z\"", ADOPTED_MARKER_PREFIX));
                self.seam.1.public_dns.records.push(marker);
                self.seam.1.public_dns.records.sort();
            }
            DnsAction::ReleaseRecords { marker, .. } => self.seam.1.public_dns.records.retain(|r| r != &marker),
            DnsAction::UpdateHealthCheck { id, config } => {
                assert!(
                    self.seam.1.public_dns.health_checks.iter().any(|h| h.id == id && h.claim.is_ours()),
                    "{id} not ours"
                );
                self.seam
                    .1
                    .public_dns
                    .health_checks
                    .iter_mut()
                    .filter(|h| h.id == id)
                    .for_each(|h| h.config = config.clone())
            }
            DnsAction::DeleteHealthCheck { id } => {
                assert!(
                    !self.seam.1.public_dns.records.iter().any(|r| r.health_check_id.as_deref() == Some(id.as_str())),
                    "health check {id} deleted while a record uses it"
                );
                assert!(
                    watched_health_check(&self.seam.1.alarm) != Some(id.as_str()),
                    "health check deleted while its alarm watches it"
                );
                self.seam.1.public_dns.health_checks.retain(|h| h.id != id)
            }
            DnsAction::CreatePublicZone { name } => {
                self.seam.1.public_dns.zone = Some(PublicZone { id: "Z9".into(), name, ours: true })
            }
            DnsAction::DeletePublicZone { .. } => self.seam.1.public_dns.zone = None,
        }
    }

    /// What CloudFront does for a distribution action.
    fn apply_cdn(&mut self, action: CdnAction) {
        match action {
            CdnAction::CreateDistribution { spec } => {
                let caller_reference = self.owner.distribution_reference();
                self.seam.1.cdn = Some(ObservedDistribution {
                    id: "E1".into(),
                    arn: "arn:aws:cloudfront::1:distribution/E1".into(),
                    domain_name: "d1.cloudfront.net".into(),
                    status: "InProgress".into(),
                    etag: "e1".into(),
                    caller_reference,
                    spec: *spec,
                    claim: Claim::Created,
                })
            }
            CdnAction::UpdateDistribution { spec, .. } => {
                if let Some(d) = &mut self.seam.1.cdn {
                    assert!(d.claim.is_ours(), "a distribution changed while not ours");
                    d.spec = *spec;
                    d.status = "InProgress".into();
                }
            }
            CdnAction::AdoptDistribution { .. } => {
                let d = self.seam.1.cdn.as_mut().unwrap();
                d.claim = Claim::Adopted("2026-12-05T10:00:00Z".into());
            }
            CdnAction::ReleaseDistribution { .. } => {
                self.seam.1.cdn.as_mut().unwrap().claim = Claim::Foreign { other_owner: None }
            }
            CdnAction::DeleteDistribution { .. } => {
                let d = self.seam.1.cdn.as_ref().unwrap();
                assert!(!d.spec.enabled && d.status == "Deployed", "only a disabled, deployed distribution can go");
                self.seam.1.cdn = None
            }
        }
    }

    /// What AWS does for a WAF action.
    fn apply_waf(&mut self, action: WafAction) {
        match action {
            WafAction::CreateWebAcl { name, spec } => {
                self.seam.1.waf = Some(ObservedWebAcl {
                    id: "acl-1".into(),
                    arn: format!("arn:aws:wafv2:us-east-1:1:global/webacl/{name}/acl-1"),
                    name,
                    lock_token: "t".into(),
                    spec,
                    claim: Claim::Created,
                })
            }
            WafAction::DeleteWebAcl { .. } => {
                assert!(self.seam.1.cdn.is_none(), "web ACL deleted while the distribution uses it");
                self.seam.1.waf = None
            }
            WafAction::AdoptWebAcl { .. } => {
                if let Some(w) = &mut self.seam.1.waf {
                    w.claim = Claim::Adopted("2026-12-05T10:00:00Z".into());
                }
            }
            WafAction::ReleaseWebAcl { .. } => self.seam.1.waf = None,
            WafAction::UpdateWebAcl { spec, .. } => {
                if let Some(w) = &mut self.seam.1.waf {
                    w.spec = spec;
                }
            }
        }
    }

    /// CloudFront deploys between passes.
    fn settle(&mut self) {
        if let Some(d) = &mut self.seam.1.cdn {
            d.status = "Deployed".into();
        }
    }

    /// Plans and applies until nothing is left; returns the rounds.
    /// Applies plans while they have something to do, whatever they refuse.
    fn converge_until_blocked(&mut self) {
        for _ in 0..12 {
            self.settle();
            let (plan, seam) = (self.plan(), self.seam_plan());
            if plan.actions.is_empty() && seam.actions.is_empty() {
                return;
            }
            for (scope, action) in plan.actions {
                self.apply(scope, action);
            }
            seam.actions.into_iter().for_each(|(scope, action)| self.apply_seam(scope, action));
        }
        panic!("plans never ran out of actions");
    }

    fn converge(&mut self) -> Vec<Vec<String>> {
        let mut rounds = Vec::new();
        for _ in 0..12 {
            self.settle();
            let (plan, seam) = (self.plan(), self.seam_plan());
            assert!(plan.blocked.is_empty() && seam.blocked.is_empty(), "{:?} {:?}", plan.blocked, seam.blocked);
            if plan.actions.is_empty() && seam.actions.is_empty() {
                assert!(plan.waiting.is_empty(), "{:?}", plan.waiting);
                return rounds;
            }
            rounds.push(rounds_of(&plan, &seam));
            for (scope, action) in plan.actions {
                self.apply(scope, action);
            }
            seam.actions.into_iter().for_each(|(scope, action)| self.apply_seam(scope, action));
        }
        panic!("did not converge: {rounds:#?}");
    }

    fn teardown(&mut self) -> Vec<Vec<String>> {
        let mut rounds = Vec::new();
        for _ in 0..20 {
            self.settle();
            // As the controller's teardown: what a family retains is taken as adopted.
            self.seam.0.hold_retained(&mut self.seam.1);
            let around = self.around();
            let (desired, seen) = &self.seam;
            let plan = joined(
                LoadBalancing::teardown(&desired.load_balancing, &seen.load_balancing, &around),
                Compute::teardown(&desired.compute, &seen.compute, &around),
            );
            let seam = self.seam_teardown();
            if plan.actions.is_empty() && seam.actions.is_empty() {
                return rounds;
            }
            rounds.push(rounds_of(&plan, &seam));
            for (scope, action) in plan.actions {
                self.apply(scope, action);
            }
            seam.actions.into_iter().for_each(|(scope, action)| self.apply_seam(scope, action));
        }
        panic!("teardown did not finish: {rounds:#?}");
    }
}

/// The variant name of an action, without its family.
fn short(a: &SeamAction) -> String {
    format!("{a:?}").split(['(', ' ', '{']).nth(1).unwrap_or_default().to_string()
}

/// One round: each action as `<scope> <variant>`, the load balancers' and
/// servers' then the other families'.
fn rounds_of(plan: &SeamPlan, seam: &SeamPlan) -> Vec<String> {
    plan.actions.iter().chain(&seam.actions).map(|(s, a)| format!("{s:?} {}", short(a))).collect()
}

/// Two seam families' plans as one, in the seam's order.
fn joined<A: Into<SeamAction>, B: Into<SeamAction>>(
    first: crate::plan::Plan<(Place, A)>,
    second: crate::plan::Plan<(Place, B)>,
) -> SeamPlan {
    let mut plan = SeamPlan::default();
    crate::families::absorb(&mut plan, first);
    crate::families::absorb(&mut plan, second);
    plan
}

fn round_of(rounds: &[Vec<String>], needle: &str) -> usize {
    rounds.iter().position(|r| r.iter().any(|a| a.ends_with(needle))).unwrap_or_else(|| panic!("{needle} never ran"))
}

fn last_round_of(rounds: &[Vec<String>], needle: &str) -> usize {
    rounds.iter().rposition(|r| r.iter().any(|a| a.ends_with(needle))).unwrap_or_else(|| panic!("{needle} never ran"))
}

#[test]
fn creation_converges_in_dependency_order_and_then_plans_nothing() {
    let mut w = world(|_| {});
    let rounds = w.converge();
    for (before, after) in [
        ("CreateLoadBalancer", "CreateListener"),
        ("CreateTargetGroup", "CreateListener"),
        ("CopyImage", "CreateLaunchTemplate"),
        ("CreateLaunchTemplate", "CreateAutoScalingGroup"),
        ("CreateHealthCheck", "PutAlarm"),
        ("CreateWebAcl", "CreateDistribution"),
        ("RequestCertificate", "CreateDistribution"),
    ] {
        assert!(round_of(&rounds, before) < last_round_of(&rounds, after), "{before} before {after}: {rounds:#?}");
    }
    let (plan, seam) = (w.plan(), w.seam_plan());
    assert!(plan.actions.is_empty() && plan.drift.is_empty(), "{:?} {:?}", plan.actions, plan.drift);
    assert!(seam.actions.is_empty() && seam.drift.is_empty(), "{:?} {:?}", seam.actions, seam.drift);
    // CloudFront uses the us-east-1 regional certificate: no certificate of its own.
    assert!(w.seam.1.certificates.cloudfront.is_none());
    let api: Vec<_> = w.seam.1.public_dns.records_named("api.bookstore.example.com").collect();
    let primary = api.iter().find(|r| r.failover.as_deref() == Some("PRIMARY")).unwrap();
    assert_eq!(primary.set_identifier.as_deref(), Some("us-east-1"));
    assert!(primary.health_check_id.is_some());
    let marker = w.seam.1.public_dns.records_named("_warmstandby.api.bookstore.example.com").next().unwrap();
    assert_eq!(marker.values, [format!("\"{MARKER}\"")]);
}

#[test]
fn the_active_region_gets_capacity_the_primary_record_and_the_first_origin() {
    let mut w = world(|s| s.spec.active_region = RegionRole::Standby);
    w.converge();
    let capacity = |i: usize| {
        w.seam.1.compute[i]
            .auto_scaling_groups
            .iter()
            .map(|a| (a.spec.min, a.spec.desired, a.spec.max))
            .collect::<Vec<_>>()
    };
    assert_eq!(capacity(1), [(2, 2, 6), (2, 2, 6)], "the standby region is active");
    assert_eq!(capacity(0), [(1, 1, 6), (1, 1, 6)]);
    let primary = w
        .seam
        .1
        .public_dns
        .records_named("api.bookstore.example.com")
        .find(|r| r.failover.as_deref() == Some("PRIMARY"))
        .unwrap();
    assert_eq!(primary.set_identifier.as_deref(), Some("us-west-2"));
    let d = &w.seam.1.cdn.as_ref().unwrap().spec;
    assert_eq!(d.origin_group_members, ["web-us-west-2", "web-us-east-1"]);
    let hc = &w.seam.1.public_dns.health_checks[0].config;
    assert!(hc.fqdn.contains("us-west-2"), "{hc:?}");
}

#[test]
fn a_failover_in_the_spec_moves_records_origins_and_capacity_without_undoing_anything() {
    let mut w = world(|_| {});
    w.converge();
    let mut moved = world(|s| s.spec.active_region = RegionRole::Standby);
    moved.seam.1.public_dns = w.seam.1.public_dns.clone();
    moved.seam.1 = w.seam.1.clone();
    // Every change the move takes, round after round: the launch templates
    // first get a version with the environment block's new role, which the
    // groups then run at their new capacity.
    let (plan, seam) = (moved.plan(), moved.seam_plan());
    let effects: Vec<Effect> = plan.actions.iter().chain(&seam.actions).map(|(_, a)| a.effect().0).collect();
    let kinds: Vec<String> =
        moved.converge().iter().flatten().map(|a| a.rsplit(' ').next().unwrap_or_default().to_string()).collect();
    assert!(kinds.contains(&"UpdateAutoScalingGroup".to_string()), "{kinds:?}");
    assert!(kinds.contains(&"UpdateDistribution".to_string()), "{kinds:?}");
    assert!(kinds.contains(&"UpdateHealthCheck".to_string()), "{kinds:?}");
    // Nothing is created or deleted (a launch template's new version is an update).
    assert!(effects.iter().all(|e| *e == Effect::Update), "{kinds:?}");
    assert!(
        !kinds.iter().any(|k| k.starts_with("Delete") || (k.starts_with("Create") && !k.ends_with("Version"))),
        "{kinds:?}"
    );
    let records: Vec<_> = moved.seam.1.public_dns.records_named("api.bookstore.example.com").cloned().collect();
    assert_eq!(records.iter().filter(|r| r.failover.as_deref() == Some("PRIMARY")).count(), 1);
}

#[test]
fn records_of_others_are_never_overwritten() {
    let mut w = world(|_| {});
    w.seam.1.public_dns.records.push(RecordSpec::plain("api.bookstore.example.com", "CNAME", 60, "legacy.example.net"));
    for _ in 0..8 {
        w.settle();
        let (plan, seam) = (w.plan(), w.seam_plan());
        for (_, a) in &seam.actions {
            if let SeamAction::PublicDns(DnsAction::ChangeRecords { changes, .. }) = a {
                assert!(
                    changes.iter().all(|(_, r)| !r.name.starts_with("api.")),
                    "touched someone else's api record: {changes:?}"
                );
            }
        }
        for (s, a) in plan.actions {
            w.apply(s, a);
        }
        seam.actions.into_iter().for_each(|(s, a)| w.apply_seam(s, a));
    }
    let plan = w.seam_plan();
    assert!(
        plan.blocked
            .iter()
            .any(|b| b.contains("api.bookstore.example.com exists in the public zone and is not managed")),
        "{:?}",
        plan.blocked
    );
    // Teardown leaves it too.
    w.teardown();
    assert_eq!(w.seam.1.public_dns.records.len(), 1);
}

#[test]
fn an_identical_validation_record_of_another_certificate_is_shared_not_claimed() {
    let mut w = world(|_| {});
    w.seam.1.public_dns.records.push(RecordSpec::plain(
        "_v1.bookstore.example.com",
        "CNAME",
        RECORD_TTL,
        "_v1.acm-validations.aws",
    ));
    w.converge();
    assert!(w.seam.1.public_dns.records_named("_warmstandby._v1.bookstore.example.com").next().is_none());
    w.teardown();
    assert_eq!(w.seam.1.public_dns.records_named("_v1.bookstore.example.com").count(), 1, "still there for its owner");
}

#[test]
fn drift_is_reported_per_field_and_repaired() {
    let mut w = world(|_| {});
    w.converge();
    w.seam.1.compute[1].auto_scaling_groups[0].spec.desired = 4;
    if let Some(d) = &mut w.seam.1.cdn {
        d.spec.web_acl_id.clear();
        d.spec.origin_group_members.truncate(1);
    }
    let hc = w.seam.1.public_dns.health_checks[0].id.clone();
    for r in w.seam.1.public_dns.records.iter_mut().filter(|r| r.health_check_id.as_deref() == Some(hc.as_str())) {
        r.alias = Some(("attacker.example.net".into(), "Z-us-east-1".into(), true));
    }
    let (plan, seam) = (w.plan(), w.seam_plan());
    let fields: Vec<(String, String)> =
        plan.drift.iter().chain(&seam.drift).map(|d| (d.kind.clone(), d.field.clone())).collect();
    for expected in [
        ("AutoScalingGroup", "desiredCapacity"),
        ("Distribution", "webAcl"),
        ("Distribution", "originGroup"),
        ("Record", "aliasTarget"),
    ] {
        assert!(fields.contains(&(expected.0.into(), expected.1.into())), "{expected:?} missing: {fields:?}");
    }
    w.converge();
    assert!(w.plan().drift.is_empty() && w.seam_plan().drift.is_empty());
}

#[test]
fn a_missing_public_zone_blocks_unless_the_stack_manages_it() {
    let mut w = world(|_| {});
    w.seam.1.public_dns.zone = None;
    let plan = w.seam_plan();
    assert!(plan.blocked.iter().any(|b| b.contains("public hosted zone bookstore.example.com not found")));
    assert!(!plan.actions.iter().any(|(_, a)| matches!(a, SeamAction::PublicDns(DnsAction::CreatePublicZone { .. }))));

    let mut w = world(|s| s.spec.domain.manage_zone = true);
    w.seam.1.public_dns.zone = None;
    w.converge();
    assert!(w.seam.1.public_dns.zone.as_ref().is_some_and(|z| z.ours));
    w.teardown();
    assert!(w.seam.1.public_dns.zone.is_none(), "a zone the stack created goes with it");
}

#[test]
fn a_new_interval_replaces_the_health_check_after_the_record_moved() {
    let mut w = world(|_| {});
    w.converge();
    let old = w.seam.1.public_dns.health_checks[0].id.clone();
    w.seam.0.public_dns.health_check.interval_seconds = 10;
    let rounds = w.converge();
    assert!(round_of(&rounds, "CreateHealthCheck") < round_of(&rounds, "DeleteHealthCheck"), "{rounds:#?}");
    assert!(w.seam.1.public_dns.health_checks.iter().all(|h| h.id != old && h.config.interval_seconds == 10));
}

#[test]
fn a_changed_launch_template_gets_a_new_version_that_the_group_then_uses() {
    let mut w = world(|_| {});
    w.converge();
    w.edit_tiers(0, |t| t.instance_type = "t3.small".into());
    w.converge();
    for a in &w.seam.1.compute[0].auto_scaling_groups {
        assert_eq!(a.spec.launch_template_version, "2");
    }
    let lt: &LaunchTemplateData = w.seam.1.compute[0].launch_templates[0].latest.as_ref().unwrap();
    assert_eq!(lt.instance_type, "t3.small");
}

#[test]
fn teardown_runs_in_the_reverse_of_creation() {
    let mut w = world(|_| {});
    w.converge();
    let rounds = w.teardown();
    for (before, after) in [
        ("DeleteAlarm", "DeleteHealthCheck"),
        ("ChangeRecords", "DeleteHealthCheck"),
        ("UpdateDistribution", "DeleteDistribution"),
        ("DeleteDistribution", "DeleteWebAcl"),
        ("DeleteDistribution", "DeleteLoadBalancer"),
        ("ChangeRecords", "DeleteLoadBalancer"),
        ("DeleteListener", "DeleteLoadBalancer"),
        ("DeleteAutoScalingGroup", "DeleteLaunchTemplate"),
        ("DeleteAutoScalingGroup", "DeleteTargetGroup"),
        ("DeleteLoadBalancer", "DeleteTargetGroup"),
        ("DeleteListener", "DeleteCertificate"),
        ("DeleteDistribution", "DeleteCertificate"),
        ("DeleteAutoScalingGroup", "DeregisterImage"),
    ] {
        assert!(last_round_of(&rounds, before) < round_of(&rounds, after), "{before} before {after}: {rounds:#?}");
    }
    assert_eq!(w.server_regions().iter().map(RegionServers::live_count).sum::<usize>(), 0);
    assert_eq!(w.global_live(), 0);
    assert!(w.seam.1.public_dns.records.is_empty(), "{:?}", w.seam.1.public_dns.records);
    assert!(w.seam.1.public_dns.zone.is_some(), "a zone we did not create stays");
}

#[test]
fn a_deleted_certificate_or_image_copy_is_drift_and_comes_back() {
    let mut w = world(|_| {});
    w.converge();
    w.seam.1.compute[1].images.clear();
    w.seam.1.certificates.regions[0] = None;
    let (plan, seam) = (w.plan(), w.seam_plan());
    let kinds: Vec<&str> = plan.drift.iter().chain(&seam.drift).map(|d| d.kind.as_str()).collect();
    assert!(kinds.contains(&"Image") && kinds.contains(&"Certificate"), "{:?} {:?}", plan.drift, seam.drift);
    w.converge();
    assert!(w.plan().drift.is_empty() && w.seam_plan().drift.is_empty());
    let cert = w.seam.1.certificates.regions[0].as_ref().unwrap().arn.clone();
    assert!(
        w.seam.1.load_balancing[0].listeners.iter().filter(|l| l.spec.port == 443).all(|l| l
            .spec
            .certificate_arn
            .as_deref()
            == Some(cert.as_str()))
    );
    assert_eq!(w.seam.1.cdn.as_ref().unwrap().spec.certificate_arn, cert, "CloudFront follows the new certificate");
    assert!(w.seam.1.compute[1].auto_scaling_groups.iter().all(|a| a.spec.launch_template_version == "2"));
}

/// A web ACL made by hand, untagged: what observation reports for the name `spec.waf.adopt` gives.
fn hand_made_acl(name: &str, other_owner: Option<&str>) -> ObservedWebAcl {
    ObservedWebAcl {
        id: "acl-console".into(),
        name: name.into(),
        arn: format!("arn:aws:wafv2:us-east-1:1:global/webacl/{name}/acl-console"),
        lock_token: "t0".into(),
        spec: crate::families::waf::WebAclSpec {
            managed_rule_groups: vec!["AWSManagedRulesCommonRuleSet".into()],
            rate_limit: None,
        },
        claim: Claim::Foreign { other_owner: other_owner.map(str::to_string) },
    }
}

#[test]
fn a_named_web_acl_is_adopted_then_managed_and_left_in_place_by_teardown() {
    let mut w = world(|s| s.spec.waf.adopt = Some("shop-acl".into()));
    assert!(w.seam.0.waf.as_ref().is_some_and(|a| a.adopt && a.name == "shop-acl"));
    // Not there: refused, never created.
    let plan = w.waf_plan();
    assert!(
        plan.blocked.iter().any(|b| b.starts_with("spec.waf.adopt: there is no web ACL shop-acl")),
        "{:?}",
        plan.blocked
    );
    assert!(plan.actions.is_empty(), "{:?}", plan.actions);
    // Someone else's: refused.
    w.seam.1.waf = Some(hand_made_acl("shop-acl", Some("the CloudFormation stack shop")));
    let plan = w.waf_plan();
    assert!(
        plan.blocked.iter().any(|b| b.contains("is managed by the CloudFormation stack shop")),
        "{:?}",
        plan.blocked
    );
    assert!(plan.actions.is_empty(), "{:?}", plan.actions);

    // Untagged: adopted first (its other rules shown as drift), then its rules made the spec's.
    w.seam.1.waf = Some(hand_made_acl("shop-acl", None));
    let plan = w.waf_plan();
    assert!(plan.actions.iter().any(|(_, a)| matches!(a, WafAction::AdoptWebAcl { name, .. } if name == "shop-acl")));
    assert!(plan.drift.iter().any(|d| d.resource == "shop-acl"), "{:?}", plan.drift);
    let rounds = w.converge();
    assert!(round_of(&rounds, "AdoptWebAcl") < round_of(&rounds, "UpdateWebAcl"), "{rounds:#?}");
    let acl = w.seam.1.waf.clone().expect("the adopted ACL");
    assert_eq!(
        (acl.id.as_str(), acl.spec.managed_rule_groups.len()),
        ("acl-console", 2),
        "the same ACL, the spec's rules"
    );
    assert_eq!(w.seam.1.cdn.as_ref().map(|d| d.spec.web_acl_id.as_str()), Some(acl.arn.as_str()));

    // Deleted with the stack: the distribution goes, the ACL is released, never deleted.
    let rounds = w.teardown();
    assert!(rounds.iter().flatten().any(|a| a.contains("ReleaseWebAcl")), "{rounds:#?}");
    assert!(!rounds.iter().flatten().any(|a| a.contains("DeleteWebAcl")), "{rounds:#?}");
}

/// Names of a tier built by hand in one region, as `spec.<tier>.adopt` gives them.
fn hand_built_names(tier: &str, region: &str) -> warmstandby_api::TierResources {
    warmstandby_api::TierResources {
        load_balancer: format!("{tier}-alb-{region}"),
        target_group: format!("{tier}-tg-{region}"),
        launch_template: format!("{tier}-lt-{region}"),
        auto_scaling_group: format!("{tier}-asg-{region}"),
    }
}

/// A tier built by hand, untagged (or another manager's): what observation
/// reports for the names `spec.<tier>.adopt` gives.
fn hand_built_tier(w: &mut World, i: usize, tier: &'static str, other_owner: Option<&str>) {
    let region = w.desired()[i].region.clone();
    let names = hand_built_names(tier, &region);
    let claim = Claim::Foreign { other_owner: other_owner.map(str::to_string) };
    let tg_arn = format!("arn:aws:elasticloadbalancing:{region}:1:targetgroup/{}/console", names.target_group);
    let lb_arn = format!("arn:aws:elasticloadbalancing:{region}:1:loadbalancer/app/{}/console", names.load_balancer);
    let port = w.desired()[i].tier(tier).unwrap().port;
    let r = &mut w.seam.1.load_balancing[i];
    r.target_groups.push(ObservedTargetGroup {
        tier: tier.into(),
        arn: tg_arn.clone(),
        spec: crate::servers::observed::TargetGroupSpec {
            name: names.target_group.clone(),
            protocol: "HTTP".into(),
            port,
            vpc_id: format!("vpc-{region}"),
            health_check_path: "/".into(),
        },
        claim: claim.clone(),
    });
    r.load_balancers.push(ObservedLoadBalancer {
        tier: tier.into(),
        arn: lb_arn.clone(),
        dns_name: format!("{}.{region}.elb.amazonaws.com", names.load_balancer),
        zone_id: format!("Z-{region}"),
        state: "active".into(),
        spec: crate::servers::observed::LoadBalancerSpec {
            name: names.load_balancer.clone(),
            scheme: "internet-facing".into(),
            subnet_ids: vec![format!("subnet-{region}-public-a"), format!("subnet-{region}-public-b")],
            security_group_ids: vec!["sg-console".into()],
        },
        claim: claim.clone(),
    });
    r.listeners.push(ObservedListener {
        arn: format!("{}/80", lb_arn.replace(":loadbalancer/", ":listener/")),
        load_balancer_arn: lb_arn,
        spec: crate::servers::observed::ListenerSpec {
            port: 80,
            protocol: "HTTP".into(),
            target_group_arn: tg_arn.clone(),
            certificate_arn: None,
        },
        claim: claim.clone(),
    });
    let r = &mut w.seam.1.compute[i];
    r.launch_templates.push(ObservedLaunchTemplate {
        tier: tier.into(),
        id: format!("lt-console-{tier}"),
        name: names.launch_template.clone(),
        latest_version: 1,
        latest: Some(LaunchTemplateData {
            image_id: "ami-console".into(),
            instance_type: "t3.micro".into(),
            security_group_ids: vec!["sg-console".into()],
            user_data: None,
            iam_instance_profile: None,
        }),
        claim: claim.clone(),
    });
    r.auto_scaling_groups.push(ObservedAsg {
        tier: tier.into(),
        name: names.auto_scaling_group.clone(),
        spec: crate::servers::observed::AsgSpec {
            launch_template_id: format!("lt-console-{tier}"),
            launch_template_version: "$Default".into(),
            min: 1,
            desired: 1,
            max: 2,
            subnet_ids: vec![format!("subnet-{region}-web-a"), format!("subnet-{region}-web-b")],
            target_group_arns: vec![tg_arn],
        },
        deleting: false,
        claim,
    });
}

fn adopting_tiers(s: &mut ThreeTierStack) {
    for (tier, spec) in [("web", &mut s.spec.web), ("api", &mut s.spec.api)] {
        spec.adopt = Some(warmstandby_api::TierAdoption {
            primary: hand_built_names(tier, "us-east-1"),
            standby: hand_built_names(tier, "us-west-2"),
        });
    }
}

#[test]
fn named_tiers_are_adopted_whole_then_managed_and_left_working_by_teardown() {
    let mut w = world(adopting_tiers);
    assert!(w.desired().iter().all(|d| d.tiers.iter().all(|t| t.adopt && t.load_balancer_name.contains("-alb-"))));
    // Nothing there: refused by field, nothing of the tiers created in its place.
    let plan = w.plan();
    assert!(
        plan.blocked.iter().any(|b| b.starts_with(
            "spec.web.adopt.primary.loadBalancer: there is no load balancer web-alb-us-east-1 in us-east-1"
        )),
        "{:?}",
        plan.blocked
    );
    assert!(plan.blocked.iter().any(|b| b.starts_with("spec.api.adopt.standby.autoScalingGroup: there is no")));
    assert!(
        !plan.actions.iter().any(|(_, a)| matches!(
            a,
            SeamAction::LoadBalancing(_)
                | SeamAction::Compute(ComputeAction::CreateLaunchTemplate { .. })
                | SeamAction::Compute(ComputeAction::CreateAutoScalingGroup { .. })
        )),
        "{:#?}",
        plan.actions
    );

    // Another manager's: refused, the tier left alone.
    for (i, tier) in [(0, "web"), (0, "api"), (1, "web"), (1, "api")] {
        hand_built_tier(&mut w, i, tier, Some("the CloudFormation stack shop"));
    }
    let plan = w.plan();
    assert!(
        plan.blocked
            .iter()
            .any(|b| b.contains("load balancer web-alb-us-east-1 is managed by the CloudFormation stack shop")),
        "{:?}",
        plan.blocked
    );
    assert!(!plan.actions.iter().any(|(_, a)| matches!(a, SeamAction::LoadBalancing(_))), "{:#?}", plan.actions);

    // Built by hand, untagged: adopted first, its differences shown as drift and changed after.
    let mut w = world(adopting_tiers);
    for (i, tier) in [(0, "web"), (0, "api"), (1, "web"), (1, "api")] {
        hand_built_tier(&mut w, i, tier, None);
    }
    let before: Vec<(String, String, String)> = w
        .seam
        .1
        .load_balancing
        .iter()
        .flat_map(|r| r.load_balancers.iter().map(|l| (l.arn.clone(), l.dns_name.clone(), l.spec.name.clone())))
        .collect();
    let plan = w.plan();
    let adoptions = plan.actions.iter().filter(|(_, a)| a.effect().0 == Effect::Adopt).count();
    assert_eq!(adoptions, 16, "four resources per tier and region: {:#?}", plan.actions);
    assert!(
        plan.actions.iter().all(|(_, a)| !matches!(a, SeamAction::LoadBalancing(_) | SeamAction::Compute(_))
            || a.effect().0 == Effect::Adopt
            || matches!(a, SeamAction::Compute(ComputeAction::CopyImage { .. }))),
        "nothing of a tier not ours yet is changed: {:#?}",
        plan.actions
    );
    assert!(
        plan.drift.iter().any(|d| d.resource == "web-alb-us-east-1" && d.field == "securityGroups"),
        "{:?}",
        plan.drift
    );
    let rounds = w.converge();
    assert!(round_of(&rounds, "Adopt") < round_of(&rounds, "SetSecurityGroups"), "{rounds:#?}");
    assert!(
        !rounds.iter().flatten().any(|a| a.contains("CreateLoadBalancer")
            || a.contains("CreateTargetGroup")
            || a.contains("CreateLaunchTemplate ")
            || a.ends_with("CreateLaunchTemplate")
            || a.contains("CreateAutoScalingGroup")),
        "{rounds:#?}"
    );
    let after: Vec<(String, String, String)> = w
        .seam
        .1
        .load_balancing
        .iter()
        .flat_map(|r| r.load_balancers.iter().map(|l| (l.arn.clone(), l.dns_name.clone(), l.spec.name.clone())))
        .collect();
    assert_eq!(before, after, "the same load balancers");
    for r in w.server_regions() {
        assert!(r.compute.launch_templates.iter().all(|l| l.id.starts_with("lt-console-") && l.latest_version == 2));
        assert!(r.compute.auto_scaling_groups.iter().all(|a| a.spec.launch_template_version == "2"));
        assert!(
            r.balancing.load_balancers.iter().all(
                |l| l.spec.security_group_ids[0].starts_with("sg-") && l.spec.security_group_ids[0] != "sg-console"
            )
        );
    }
    // The records and the distribution name the adopted load balancers.
    let d = w.seam.1.cdn.as_ref().expect("the distribution");
    assert!(d.spec.origins.iter().any(|o| o.domain_name.starts_with("web-alb-us-east-1.")), "{:?}", d.spec.origins);

    // Deleted with the stack: the tiers stay, released; what of ours they use is kept too.
    let kept = w.servers(1).kept_references();
    assert!(kept.security_groups.contains(&"sg-us-west-2-alb-web".to_string()), "{kept:?}");
    assert!(kept.instance_profiles.contains(&"bookstore-bookstore-web".to_string()), "{kept:?}");
    let copy =
        w.seam.1.compute[1].images.iter().find(|i| i.tier == "web").map(|i| i.id.clone()).expect("a standby copy");
    assert!(kept.images.contains(&copy), "{kept:?}");
    let rounds = w.teardown();
    let all: Vec<&String> = rounds.iter().flatten().collect();
    for gone in
        ["DeleteLoadBalancer", "DeleteTargetGroup", "DeleteLaunchTemplate", "DeleteAutoScalingGroup", "DeregisterImage"]
    {
        assert!(!all.iter().any(|a| a.ends_with(gone)), "{gone}: {rounds:#?}");
    }
    for kept in ["Release", "ReleaseLaunchTemplate", "ReleaseAutoScalingGroup", "ReleaseImage"] {
        assert!(all.iter().any(|a| a.ends_with(kept)), "{kept}: {rounds:#?}");
    }
    // Only the HTTPS listeners we added to the api load balancers go.
    assert_eq!(all.iter().filter(|a| a.ends_with("DeleteListener")).count(), 2, "{rounds:#?}");
    for r in w.server_regions() {
        assert_eq!(r.live_count(), 0, "nothing of ours left: {r:#?}");
        let (lbs, asgs, lts) =
            (r.balancing.load_balancers.len(), r.compute.auto_scaling_groups.len(), r.compute.launch_templates.len());
        assert_eq!((lbs, asgs, lts), (2, 2, 2));
    }
}

/// A distribution made by hand in front of the console's web load
/// balancers: what observation reports for the ID `spec.cdn.adopt` gives.
fn hand_made_distribution(other_owner: Option<&str>) -> ObservedDistribution {
    let spec = DistributionSpec {
        comment: "shop".into(),
        enabled: true,
        aliases: vec![],
        certificate_arn: String::new(),
        origins: vec![],
        origin_group_id: String::new(),
        origin_group_members: vec![],
        failover_status_codes: vec![],
        target_origin_id: "console-web".into(),
        viewer_protocol_policy: "allow-all".into(),
        allowed_methods: vec!["GET".into(), "HEAD".into()],
        cache_policy_id: String::new(),
        price_class: "PriceClass_All".into(),
        web_acl_id: String::new(),
    };
    ObservedDistribution {
        id: "ECONSOLE1234".into(),
        arn: "arn:aws:cloudfront::1:distribution/ECONSOLE1234".into(),
        domain_name: "dconsole.cloudfront.net".into(),
        status: "Deployed".into(),
        etag: "e0".into(),
        caller_reference: "console-2026".into(),
        spec,
        claim: Claim::Foreign { other_owner: other_owner.map(str::to_string) },
    }
}

#[test]
fn a_named_distribution_is_adopted_then_managed_and_left_serving_by_teardown() {
    let mut w = world(|s| s.spec.cdn.adopt = Some("ECONSOLE1234".into()));
    // Not there: refused, never created.
    let plan = w.seam_plan();
    assert!(
        plan.blocked
            .iter()
            .any(|b| b == "spec.cdn.adopt: there is no distribution ECONSOLE1234; nothing is created in its place"),
        "{:?}",
        plan.blocked
    );
    // Someone else's: refused, left alone.
    w.seam.1.cdn = Some(hand_made_distribution(Some("the CloudFormation stack shop")));
    let plan = w.seam_plan();
    assert!(
        plan.blocked
            .iter()
            .any(|b| b.contains("distribution ECONSOLE1234 is managed by the CloudFormation stack shop"))
    );
    assert!(!plan.actions.iter().any(|(_, a)| matches!(a, SeamAction::Cdn(_))), "{:#?}", plan.actions);

    // Untagged: adopted (before anything waits on it), then made the spec's,
    // with its own caller reference; the web record names it once it is ours.
    w.seam.1.cdn = Some(hand_made_distribution(None));
    let plan = w.seam_plan();
    assert!(
        plan.actions.iter().any(
            |(_, a)| matches!(a, SeamAction::Cdn(CdnAction::AdoptDistribution { id, .. }) if id == "ECONSOLE1234")
        )
    );
    let rounds = w.converge();
    assert!(round_of(&rounds, "AdoptDistribution") < round_of(&rounds, "UpdateDistribution"), "{rounds:#?}");
    assert!(!rounds.iter().flatten().any(|a| a.ends_with("CreateDistribution")), "{rounds:#?}");
    let d = w.seam.1.cdn.clone().expect("the adopted distribution");
    assert_eq!((d.id.as_str(), d.caller_reference.as_str()), ("ECONSOLE1234", "console-2026"));
    assert!(
        d.spec.enabled && d.spec.origins.len() == 2 && d.spec.aliases == vec!["www.bookstore.example.com".to_string()],
        "{d:#?}"
    );
    let acl = w.seam.1.waf.as_ref().map(|a| a.arn.clone()).expect("our web ACL");
    assert_eq!(d.spec.web_acl_id, acl);
    assert!(w.seam.1.public_dns.records.iter().any(|r| r.alias.as_ref().is_some_and(|a| a.0 == d.domain_name)));

    // Deleted with the stack: released, never disabled or deleted; the web
    // ACL and the certificate it uses stay with it.
    let rounds = w.teardown();
    let all: Vec<&String> = rounds.iter().flatten().collect();
    assert!(all.iter().any(|a| a.ends_with("ReleaseDistribution")), "{rounds:#?}");
    assert!(!all.iter().any(|a| a.ends_with("DeleteDistribution") || a.ends_with("UpdateDistribution")), "{rounds:#?}");
    assert!(
        all.iter().any(|a| a.ends_with("ReleaseWebAcl")) && !all.iter().any(|a| a.ends_with("DeleteWebAcl")),
        "{rounds:#?}"
    );
    assert!(all.iter().any(|a| a.ends_with("ReleaseCertificate")), "{rounds:#?}");
    assert_eq!(w.global_live(), 0, "{:#?}", w.seam.1.public_dns);
}

#[test]
fn records_and_a_health_check_made_by_hand_are_adopted_then_managed_and_left_by_teardown() {
    const CONSOLE_CHECK: &str = "0f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b";
    let adopting = |s: &mut ThreeTierStack| {
        s.spec.domain.adopt_records = true;
        s.spec.health_check.adopt = Some(CONSOLE_CHECK.into());
    };
    // Not there: refused, never created.
    let mut w = world(adopting);
    w.converge_until_blocked();
    let plan = w.seam_plan();
    assert!(
        plan.blocked
            .iter()
            .any(|b| b.starts_with(&format!("spec.healthCheck.adopt: there is no health check {CONSOLE_CHECK}")))
    );
    assert!(w.seam.1.public_dns.health_checks.is_empty(), "nothing created in its place");

    // The console's, before the stack: a health check on its api load
    // balancer and the failover records (their own set identifiers), no marker.
    let mut w = world(adopting);
    let console = |region: &str| ObservedLoadBalancer {
        tier: "api".into(),
        arn: String::new(),
        dns_name: format!("console-api.{region}.elb.amazonaws.com"),
        zone_id: format!("Z-{region}"),
        state: "active".into(),
        spec: crate::servers::observed::LoadBalancerSpec {
            name: "console-api".into(),
            scheme: "internet-facing".into(),
            subnet_ids: vec![],
            security_group_ids: vec![],
        },
        claim: Claim::Foreign { other_owner: None },
    };
    let (api_lb, standby_lb) = (console("us-east-1"), console("us-west-2"));
    w.seam.1.public_dns.health_checks.push(ObservedHealthCheck {
        id: CONSOLE_CHECK.into(),
        caller_reference: "console".into(),
        config: HealthCheckConfig {
            fqdn: api_lb.dns_name.clone(),
            https: true,
            port: 443,
            path: "/".into(),
            interval_seconds: 30,
            failure_threshold: 3,
        },
        claim: Claim::Foreign { other_owner: None },
    });
    let api = "api.bookstore.example.com";
    let failover = |set: &str, kind: &str, lb: &ObservedLoadBalancer, check: Option<&str>| RecordSpec {
        name: api.into(),
        rtype: "A".into(),
        set_identifier: Some(set.into()),
        failover: Some(kind.into()),
        alias: Some((lb.dns_name.to_lowercase(), lb.zone_id.clone(), true)),
        health_check_id: check.map(str::to_string),
        ttl: None,
        values: vec![],
    };
    w.seam.1.public_dns.records.push(failover("primary", "PRIMARY", &api_lb, Some(CONSOLE_CHECK)));
    w.seam.1.public_dns.records.push(failover("secondary", "SECONDARY", &standby_lb, None));
    w.seam.1.public_dns.records.sort();
    let plan = w.seam_plan();
    let adopts: Vec<String> =
        plan.actions.iter().filter(|(_, a)| a.effect().0 == Effect::Adopt).map(|(_, a)| a.describe()).collect();
    assert_eq!(
        adopts,
        vec![format!("adopt health check {CONSOLE_CHECK}")],
        "the records wait for the health check: {:#?}",
        plan.actions
    );
    let rounds = w.converge();
    assert!(round_of(&rounds, "AdoptHealthCheck") < round_of(&rounds, "AdoptRecords"), "{rounds:#?}");
    assert!(!rounds.iter().flatten().any(|a| a.ends_with("CreateHealthCheck")), "{rounds:#?}");
    let primary = w
        .seam
        .1
        .public_dns
        .records_named(api)
        .find(|r| r.failover.as_deref() == Some("PRIMARY"))
        .cloned()
        .expect("PRIMARY");
    assert_eq!(primary.health_check_id.as_deref(), Some(CONSOLE_CHECK), "the adopted health check serves");
    assert_eq!(
        w.seam.1.public_dns.records_named(api).filter(|r| r.rtype == "A").count(),
        2,
        "the spec's pair, the console's replaced"
    );
    let check = w.seam.1.public_dns.health_checks.iter().find(|h| h.id == CONSOLE_CHECK).expect("the adopted check");
    assert_eq!(check.config.path, "/health", "changed to the spec where Route 53 can");

    // Deleted with the stack: the records and the check stay; our marker goes.
    let rounds = w.teardown();
    let all: Vec<&String> = rounds.iter().flatten().collect();
    assert!(
        all.iter().any(|a| a.ends_with("ReleaseRecords")) && all.iter().any(|a| a.ends_with("ReleaseHealthCheck")),
        "{rounds:#?}"
    );
    assert!(!all.iter().any(|a| a.ends_with("DeleteHealthCheck")), "{rounds:#?}");
    assert_eq!(
        w.seam.1.public_dns.records_named(api).filter(|r| r.rtype == "A").count(),
        2,
        "{:#?}",
        w.seam.1.public_dns.records
    );
    assert!(w.seam.1.public_dns.records_named(&format!("_warmstandby.{api}")).next().is_none());
    assert_eq!(w.global_live(), 0, "{:#?}", w.seam.1.public_dns);
}

fn adopting_certificates(s: &mut ThreeTierStack) {
    s.spec.domain.adopt_certificates = Some(warmstandby_api::CertificateAdoption {
        primary: Some("arn:aws:acm:us-east-1:123456789012:certificate/console-east".into()),
        standby: Some("arn:aws:acm:us-west-2:123456789012:certificate/console-west".into()),
        cloud_front: None,
    });
}

/// A certificate requested in the console: untagged, for `names`.
fn console_certificate(arn: &str, names: &[&str], claim: Claim) -> ObservedCertificate {
    ObservedCertificate {
        arn: arn.into(),
        domain: names[0].into(),
        status: "ISSUED".into(),
        validation: vec![("_v1.bookstore.example.com".into(), "_v1.acm-validations.aws".into())],
        names: names.iter().map(|n| n.to_string()).collect(),
        claim,
    }
}

#[test]
fn named_certificates_are_adopted_used_and_left_in_place_by_teardown() {
    let mut w = world(adopting_certificates);
    let zone = w.seam.0.public_dns.zone_name.clone();
    let [east, west] = [0, 1].map(|i| w.seam.0.certificates.regions[i].choice.adopt.clone().expect("named").0);
    // Missing: refused by field, and no certificate requested in its place.
    let plan = w.seam_plan();
    assert!(
        plan.blocked.iter().any(|b| b
            == &format!("spec.domain.adoptCertificates.primary: certificate {east} is not in ACM in us-east-1; nothing is requested in its place")),
        "{:?}",
        plan.blocked
    );
    let requested = |p: &SeamPlan| {
        p.actions
            .iter()
            .any(|(_, a)| matches!(a, SeamAction::Certificates(CertificateAction::RequestCertificate { .. })))
    };
    assert!(!requested(&plan), "{:#?}", plan.actions);

    // Another manager's, or one that does not serve the stack's names: refused.
    let other = Claim::Foreign { other_owner: Some("the CloudFormation stack shop".into()) };
    w.seam.1.certificates.regions[0] = Some(console_certificate(&east, &[&format!("*.{zone}")], other));
    w.seam.1.certificates.regions[1] =
        Some(console_certificate(&west, &[&format!("www.{zone}")], Claim::Foreign { other_owner: None }));
    let plan = w.seam_plan();
    assert!(
        plan.blocked
            .iter()
            .any(|b| b.contains(&format!("certificate {east} is managed by the CloudFormation stack shop")))
    );
    assert!(
        plan.blocked
            .iter()
            .any(|b| b
                .contains(&format!("certificate {west} covers www.{zone} but not api.{zone}, which the stack serves"))),
        "{:?}",
        plan.blocked
    );
    assert!(!requested(&plan) && !plan.actions.iter().any(|(_, a)| a.effect().0 == Effect::Adopt));

    // Console certificates for the apex and its wildcard: adopted, then used like ours.
    let unclaimed = || Claim::Foreign { other_owner: None };
    w.seam.1.certificates.regions[0] = Some(console_certificate(&east, &[&zone, &format!("*.{zone}")], unclaimed()));
    w.seam.1.certificates.regions[1] = Some(console_certificate(&west, &[&zone, &format!("*.{zone}")], unclaimed()));
    let (plan, seam) = (w.plan(), w.seam_plan());
    let adopted: Vec<&SeamAction> =
        seam.actions.iter().map(|(_, a)| a).filter(|a| a.effect().0 == Effect::Adopt).collect();
    assert_eq!(adopted.len(), 2, "{:#?}", seam.actions);
    assert!(!plan.actions.iter().any(|(_, a)| a.effect().0 == Effect::Adopt), "{:#?}", plan.actions);
    assert!(
        !plan.actions.iter().any(|(_, a)| matches!(a, SeamAction::LoadBalancing(LoadBalancingAction::CreateListener { spec, .. }) if spec.certificate_arn.is_some())),
        "no listener uses a certificate not ours yet: {:#?}",
        plan.actions
    );
    let rounds = w.converge();
    assert!(!rounds.iter().flatten().any(|a| a.ends_with("RequestCertificate")), "{rounds:#?}");
    for (i, arn) in [(0, &east), (1, &west)] {
        assert!(
            w.seam.1.load_balancing[i].listeners.iter().any(|l| l.spec.certificate_arn.as_ref() == Some(arn)),
            "{:?}",
            w.seam.1.load_balancing[i].listeners
        );
        assert_eq!(
            w.seam.1.certificates.regions[i].as_ref().and_then(|c| c.claim.adopted_at()),
            Some("2026-12-06T10:00:00Z")
        );
    }
    let d = w.seam.1.cdn.as_ref().expect("the distribution");
    assert_eq!(d.spec.certificate_arn, east, "CloudFront uses us-east-1's adopted certificate");

    // Deleted with the stack: released, never deleted.
    let rounds = w.teardown();
    let all: Vec<&String> = rounds.iter().flatten().collect();
    assert!(!all.iter().any(|a| a.ends_with("DeleteCertificate")), "{rounds:#?}");
    assert_eq!(all.iter().filter(|a| a.ends_with("ReleaseCertificate")).count(), 2, "{rounds:#?}");
}

#[test]
fn a_retained_tier_distribution_and_web_acl_are_released_with_what_they_use_and_the_rest_deleted() {
    let retain = Some(warmstandby_api::DeletionPolicy::Retain);
    let mut w = world(|s| {
        s.spec.web.deletion_policy = retain;
        s.spec.cdn.deletion_policy = retain;
        s.spec.waf.deletion_policy = retain;
    });
    assert!(
        w.desired().iter().all(|d| d.tier("web").is_some_and(|t| t.retain) && d.tier("api").is_some_and(|t| !t.retain))
    );
    w.converge();
    let rounds = w.teardown();
    let all: Vec<&String> = rounds.iter().flatten().collect();
    // The web tier stays in both regions, released, with the groups, profile and image copy it runs with.
    for r in w.server_regions() {
        let names: Vec<&str> = r.balancing.load_balancers.iter().map(|l| l.spec.name.as_str()).collect();
        assert_eq!(names, ["bookstore-bookstore-web"], "the api's went, the web's stays: {names:?}");
        assert_eq!(r.compute.auto_scaling_groups.len(), 1, "{:?}", r.compute.auto_scaling_groups);
        assert_eq!(r.live_count(), 0, "nothing of ours left: {r:#?}");
    }
    for kept in ["Release", "ReleaseLaunchTemplate", "ReleaseAutoScalingGroup", "ReleaseDistribution", "ReleaseWebAcl"]
    {
        assert!(all.iter().any(|a| a.ends_with(kept)), "{kept}: {rounds:#?}");
    }
    for gone in ["DeleteLoadBalancer", "DeleteTargetGroup", "DeleteAutoScalingGroup", "DeleteLaunchTemplate"] {
        assert_eq!(all.iter().filter(|a| a.ends_with(gone)).count(), 2, "only the api tier's: {gone}: {rounds:#?}");
    }
    assert!(!all.iter().any(|a| a.ends_with("DeleteDistribution") || a.ends_with("DeleteWebAcl")), "{rounds:#?}");
    let kept = w.servers(1).kept_references();
    assert!(kept.security_groups.contains(&"sg-us-west-2-alb-web".to_string()), "{kept:?}");
    assert!(!kept.security_groups.contains(&"sg-us-west-2-alb-api".to_string()), "{kept:?}");
}
