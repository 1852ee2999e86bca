//! The resource families. Every AWS resource kind belongs to exactly one
//! (`Kind::family`, an exhaustive match), and every list that names
//! families is derived from [`Family::ALL`] or checked against it by a test
//! that fails on a family left out: the IAM policy's services
//! (`tests/offline/iam.rs`), the shared reads' services (`aws::shared`), the
//! emulator's leftover census (`tests/src/census.rs`) and the picture's rows
//! (`Tier::of`, exhaustive over kinds).

use crate::resource::{Kind, Scope, Tier};

/// What an action does to the resource it changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Effect {
    Create,
    Update,
    Delete,
    /// Takes an existing resource under management (tags it as ours).
    Adopt,
    /// Leaves a resource in place and stops managing it (removes our tags).
    Release,
}

/// Every family's action enum (and each tier's enum of them) says here, beside
/// its definition, what it does to which kind and in which row of the
/// picture: plans, reports and events read that through this one seam, so
/// a new action is classified where it is written (exhaustive matches).
pub trait FamilyAction {
    /// What it does, to which kind of resource.
    fn effect(&self) -> (Effect, Kind);
    /// A short description for logs, events and plans; never a secret
    /// (actions carry none).
    fn describe(&self) -> String;
    /// The row of the resource it changes, for an action run in `scope`.
    fn tier(&self, scope: &Scope) -> Tier {
        Tier::of(scope, self.effect().1, "")
    }
    /// Resources it creates or deletes at once (a Route 53 batch holds several).
    fn count(&self) -> usize {
        1
    }
    /// The family whose adapter runs it.
    fn family(&self) -> Family {
        self.effect().1.family()
    }
}

/// One family: the resources one action enum changes and one module per
/// crate plans, observes and applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Family {
    /// VPC, subnets, gateways, route tables (a RegionPair's).
    Network,
    SecurityGroups,
    Bastion,
    Database,
    PrivateDns,
    Backup,
    Secrets,
    InstanceRoles,
    Certificates,
    LoadBalancing,
    Compute,
    PublicDns,
    Cdn,
    Waf,
    Alarm,
}

/// What the rest of the code needs to know of a family.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FamilyInfo {
    /// Its action enum in `core` (`SecurityGroupAction`).
    pub actions: &'static str,
    /// The AWS services it calls, as the SDK names them (`EC2`, `RDS`):
    /// the keys of the call counters and of the shared reads' invalidation.
    pub services: &'static [&'static str],
    /// IAM's prefixes of the actions it calls (`ec2`, `rds`).
    pub iam_prefixes: &'static [&'static str],
}

impl Family {
    pub const ALL: [Family; 15] = [
        Family::Network,
        Family::SecurityGroups,
        Family::Bastion,
        Family::Database,
        Family::PrivateDns,
        Family::Backup,
        Family::Secrets,
        Family::InstanceRoles,
        Family::Certificates,
        Family::LoadBalancing,
        Family::Compute,
        Family::PublicDns,
        Family::Cdn,
        Family::Waf,
        Family::Alarm,
    ];

    pub fn info(self) -> FamilyInfo {
        let info = |actions, services, iam_prefixes| FamilyInfo { actions, services, iam_prefixes };
        match self {
            Family::Network => info("NetworkAction", &["EC2"], &["ec2"]),
            Family::SecurityGroups => info("SecurityGroupAction", &["EC2"], &["ec2"]),
            Family::Bastion => info("BastionAction", &["EC2"], &["ec2", "iam"]),
            Family::Database => info("DatabaseAction", &["RDS", "CloudWatch"], &["rds", "cloudwatch", "kms"]),
            Family::PrivateDns => info("PrivateDnsAction", &["Route 53"], &["route53"]),
            Family::Backup => info("BackupAction", &["Backup"], &["backup", "backup-storage", "iam", "kms"]),
            Family::Secrets => info("SecretAction", &["Secrets Manager"], &["secretsmanager"]),
            Family::InstanceRoles => info("IamAction", &["IAM"], &["iam"]),
            Family::Certificates => info("CertificateAction", &["ACM", "Route 53"], &["acm", "route53"]),
            Family::LoadBalancing => {
                info("LoadBalancingAction", &["Elastic Load Balancing v2"], &["elasticloadbalancing", "iam"])
            }
            Family::Compute => info("ComputeAction", &["EC2", "Auto Scaling"], &["ec2", "autoscaling", "iam"]),
            Family::PublicDns => info("DnsAction", &["Route 53"], &["route53"]),
            Family::Cdn => info("CdnAction", &["CloudFront"], &["cloudfront"]),
            Family::Waf => info("WafAction", &["WAFV2"], &["wafv2"]),
            Family::Alarm => info("AlarmAction", &["CloudWatch"], &["cloudwatch"]),
        }
    }

    /// The kinds this family owns.
    pub fn kinds(self) -> Vec<Kind> {
        Kind::ALL.iter().copied().filter(|k| k.family() == self).collect()
    }

    /// Every AWS service some family calls, as the SDK names them.
    pub fn all_services() -> std::collections::BTreeSet<&'static str> {
        Family::ALL.iter().flat_map(|f| f.info().services.iter().copied()).collect()
    }

    /// Every IAM prefix some family's actions carry.
    pub fn all_iam_prefixes() -> std::collections::BTreeSet<&'static str> {
        Family::ALL.iter().flat_map(|f| f.info().iam_prefixes.iter().copied()).collect()
    }
}

impl Kind {
    /// The family that owns this kind.
    pub fn family(self) -> Family {
        use Kind as K;
        match self {
            K::Vpc | K::Subnet | K::InternetGateway | K::ElasticIp | K::NatGateway | K::RouteTable => Family::Network,
            K::SecurityGroup => Family::SecurityGroups,
            K::BastionInstance => Family::Bastion,
            K::DbSubnetGroup | K::DbInstance | K::DbReadReplica => Family::Database,
            K::PrivateHostedZone | K::PrivateDnsRecord => Family::PrivateDns,
            K::BackupVault | K::BackupPlan | K::BackupSelection => Family::Backup,
            K::Secret => Family::Secrets,
            K::InstanceRole | K::InstanceProfile => Family::InstanceRoles,
            K::Certificate | K::CertificateValidationRecord => Family::Certificates,
            K::TargetGroup | K::LoadBalancer | K::Listener => Family::LoadBalancing,
            K::Image | K::LaunchTemplate | K::AutoScalingGroup => Family::Compute,
            K::PublicHostedZone | K::HealthCheck | K::FailoverRecord | K::AliasRecord => Family::PublicDns,
            K::Distribution => Family::Cdn,
            K::WebAcl => Family::Waf,
            K::Alarm => Family::Alarm,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_family_owns_kinds_and_every_kind_one_family() {
        for family in Family::ALL {
            assert!(!family.kinds().is_empty(), "{family:?} owns no kind");
            let info = family.info();
            assert!(!info.services.is_empty() && !info.iam_prefixes.is_empty(), "{family:?}: {info:?}");
        }
        let owned: usize = Family::ALL.iter().map(|f| f.kinds().len()).sum();
        assert_eq!(owned, Kind::ALL.len(), "each kind in exactly one family");
        let listed: std::collections::BTreeSet<Family> = Kind::ALL.iter().map(|k| k.family()).collect();
        assert_eq!(listed.len(), Family::ALL.len(), "Family::ALL lists every family a kind names");
    }

    #[test]
    fn a_tier_enum_answers_with_its_family_action() {
        use crate::families::SeamAction;
        use crate::families::waf::WafAction;
        let action = WafAction::DeleteWebAcl { id: "a-1".into(), name: "acl".into(), lock_token: "t".into() };
        let tiered = SeamAction::from(action.clone());
        assert_eq!(tiered.effect(), (Effect::Delete, Kind::WebAcl));
        assert_eq!((tiered.family(), tiered.describe()), (Family::Waf, action.describe()));
        assert_eq!(tiered.tier(&Scope::Global), Tier::Global);
    }
}
