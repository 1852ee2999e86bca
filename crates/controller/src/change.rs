//! The changes of a pass, typed for people: what a `plan` shows (`+` create,
//! `~` change, `-` delete, `!` re-create what vanished) and what an `apply`
//! reports to a progress display. Every action kind of every family maps to
//! one change by an exhaustive match, so a new action cannot go unreported.

use serde::Serialize;
use warmstandby_api::{DriftItem, GLOBAL_REGION, PlannedChange, PlannedChanges, ThreeTierStackStatus};
use warmstandby_core::access::actions::{AccessAction, IamAction, SecretAction};
use warmstandby_core::data::plan::{
    BackupAction, BastionAction, DataAction, DatabaseAction, PrivateDnsAction, SecurityGroupAction,
};
use warmstandby_core::desired::{Kind, Resource, Scope, Tier, Topology};
use warmstandby_core::edge::plan::{
    AlarmAction, CdnAction, CertificateAction, ComputeAction, DnsAction, EdgeAction, LoadBalancingAction, RecordAction,
    WafAction,
};
use warmstandby_core::network::plan::NetworkAction;

/// What a change does to its resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    Create,
    Update,
    Delete,
    /// Re-creates or restores what was made and then deleted or changed
    /// outside warmstandby.
    Repair,
}

impl ChangeKind {
    /// As `status.planned` names it.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Create => "create",
            ChangeKind::Update => "update",
            ChangeKind::Delete => "delete",
            ChangeKind::Repair => "repair",
        }
    }

    pub fn sign(self) -> char {
        match self {
            ChangeKind::Create => '+',
            ChangeKind::Update => '~',
            ChangeKind::Delete => '-',
            ChangeKind::Repair => '!',
        }
    }
}

/// One field of an in-place change: what AWS has and what the spec wants.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldChange {
    pub field: String,
    pub from: String,
    pub to: String,
}

/// One change of one resource (or one Route 53 batch).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Change {
    /// The region, or `global`.
    pub region: String,
    pub kind: ChangeKind,
    pub resource_kind: String,
    pub tier: Tier,
    /// What is done, e.g. `create database bookstore-primary-db`.
    pub description: String,
    /// Field by field, for changes of an existing resource.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldChange>,
    /// Resources this change creates or deletes (a record batch holds several).
    pub count: usize,
}

// The plan of what does not exist yet: every resource of the topology.
/// A resource of the desired topology, to be created.
fn creation(r: &Resource) -> Change {
    Change {
        region: match r.scope {
            Scope::Global => GLOBAL_NAME.to_string(),
            Scope::Region { ref region, .. } => region.clone(),
        },
        kind: ChangeKind::Create,
        resource_kind: r.kind.to_string(),
        tier: r.tier(),
        description: format!("create {} {}", r.kind, r.name),
        fields: Vec::new(),
        count: 1,
    }
}

/// Every resource of `topology` to create: the network's (`network`) or the stack's.
pub fn creations(topology: &Topology, network: bool) -> Vec<Change> {
    creations_of(topology.resources.iter().filter(|r| (r.tier() == Tier::Network) == network))
}

/// Creations of `resources`, but of an existing network's: used, never created.
pub fn creations_of<'a>(resources: impl IntoIterator<Item = &'a Resource>) -> Vec<Change> {
    resources
        .into_iter()
        .filter(|r| !r.properties.iter().any(|(k, _)| k == warmstandby_core::desired::EXISTING))
        .map(creation)
        .collect()
}

/// Nothing of the stack exists in AWS yet (its pass would only list the first layer).
pub fn nothing_built(status: &ThreeTierStackStatus) -> bool {
    let empty = |r: &Option<warmstandby_api::RegionStackStatus>| {
        r.as_ref().is_none_or(|r| {
            r.security_group_ids.is_empty()
                && r.database.is_none()
                && r.load_balancers.is_empty()
                && r.auto_scaling_groups.is_empty()
                && r.certificate_arn.is_none()
        })
    };
    empty(&status.primary)
        && empty(&status.standby)
        // The public zone is the customer's, there before the stack.
        && status.global.as_ref().is_none_or(|g| {
            g.distribution_id.is_none() && g.health_check_id.is_none() && g.web_acl_arn.is_none()
        })
}

/// How many changes `status.planned` lists (the count says how many there are).
pub const PLANNED_SHOWN: usize = 50;

/// Said of a plan with creations that other resources need the IDs of.
pub const MORE_ONCE_CREATED: &str = "resources that need the IDs of these are planned once they exist";

/// `status.planned` of an object that only observes: the move the failover
/// machine would make first (in `region`, the active one), then the changes.
pub fn planned(changes: &[Change], would_move: Option<&str>, region: &str) -> PlannedChanges {
    let partial = changes.iter().any(|c| c.kind == ChangeKind::Create);
    PlannedChanges { note: partial.then(|| MORE_ONCE_CREATED.to_string()), ..listed(changes, would_move, region) }
}

/// `status.planned` of an object none of whose resources exist yet: all of them.
pub fn planned_creations(topology: &Topology, network: bool) -> PlannedChanges {
    planned_complete(&creations(topology, network))
}

/// `status.planned` when `changes` are all an apply would make (no round waits on another's IDs).
pub fn planned_complete(changes: &[Change]) -> PlannedChanges {
    listed(changes, None, "")
}

fn listed(changes: &[Change], would_move: Option<&str>, region: &str) -> PlannedChanges {
    let failover = would_move.map(|m| PlannedChange {
        region: region.to_string(),
        action: warmstandby_core::stack_pass::PLANNED_FAILOVER.to_string(),
        kind: "ThreeTierStack".to_string(),
        description: m.to_string(),
    });
    let listed = failover.into_iter().chain(changes.iter().map(|c| PlannedChange {
        region: c.region.clone(),
        action: c.kind.as_str().to_string(),
        kind: c.resource_kind.clone(),
        description: c.description.clone(),
    }));
    let all: Vec<PlannedChange> = listed.collect();
    PlannedChanges {
        count: i32::try_from(all.len()).unwrap_or(i32::MAX),
        changes: all.into_iter().take(PLANNED_SHOWN).collect(),
        note: None,
    }
}

fn change(region: &str, kind: ChangeKind, resource: Kind, tier: Tier, description: String) -> Change {
    Change {
        region: region.to_string(),
        kind,
        resource_kind: resource.to_string(),
        tier,
        description,
        fields: Vec::new(),
        count: 1,
    }
}

/// The scope of a region's resource, for the tier it sits in.
fn regional(region: &str) -> Scope {
    Scope::Region { role: warmstandby_api::RegionRole::Primary, region: region.to_string() }
}

/// A network action of `region`.
pub fn of_network(region: &str, action: &NetworkAction) -> Change {
    use ChangeKind::{Create, Delete, Update};
    use NetworkAction as A;
    let (kind, resource) = match action {
        A::CreateVpc { .. } => (Create, Kind::Vpc),
        A::EnableVpcDns { .. } => (Update, Kind::Vpc),
        A::CreateSubnet { .. } => (Create, Kind::Subnet),
        A::SetMapPublicIp { .. } => (Update, Kind::Subnet),
        A::CreateInternetGateway { .. } => (Create, Kind::InternetGateway),
        A::AttachInternetGateway { .. } | A::DetachInternetGateway { .. } => (Update, Kind::InternetGateway),
        A::AllocateAddress { .. } => (Create, Kind::ElasticIp),
        A::CreateNatGateway { .. } => (Create, Kind::NatGateway),
        A::CreateRouteTable { .. } => (Create, Kind::RouteTable),
        A::CreateRoute { .. }
        | A::ReplaceRoute { .. }
        | A::DeleteRoute { .. }
        | A::AssociateRouteTable { .. }
        | A::ReplaceAssociation { .. }
        | A::DisassociateRouteTable { .. } => (Update, Kind::RouteTable),
        A::DeleteRouteTable { .. } => (Delete, Kind::RouteTable),
        A::DeleteNatGateway { .. } => (Delete, Kind::NatGateway),
        A::ReleaseAddress { .. } => (Delete, Kind::ElasticIp),
        A::DeleteInternetGateway { .. } => (Delete, Kind::InternetGateway),
        A::DeleteSubnet { .. } => (Delete, Kind::Subnet),
        A::DeleteVpc { .. } => (Delete, Kind::Vpc),
    };
    change(region, kind, resource, Tier::Network, action.describe())
}

/// A data-tier action of `region`.
pub fn of_data(region: &str, action: &DataAction) -> Change {
    use ChangeKind::{Create, Delete, Update};
    let (kind, resource, tier) = match action {
        DataAction::SecurityGroup(a) => {
            use SecurityGroupAction as A;
            match a {
                A::CreateSecurityGroup { component, .. } => {
                    (Create, Kind::SecurityGroup, Tier::of(&regional(region), Kind::SecurityGroup, component))
                }
                A::AuthorizeIngress { .. } | A::RevokeIngress { .. } | A::TagGroupEpoch { .. } => {
                    (Update, Kind::SecurityGroup, Tier::Data)
                }
                A::DeleteSecurityGroup { .. } => (Delete, Kind::SecurityGroup, Tier::Data),
            }
        }
        DataAction::Bastion(a) => match a {
            BastionAction::RunBastion { .. } => (Create, Kind::BastionInstance, Tier::Data),
            BastionAction::TerminateInstance { .. } => (Delete, Kind::BastionInstance, Tier::Data),
        },
        DataAction::Database(a) => {
            use DatabaseAction as A;
            let (kind, resource) = match a {
                A::CreateDbSubnetGroup { .. } => (Create, Kind::DbSubnetGroup),
                A::DeleteDbSubnetGroup { .. } => (Delete, Kind::DbSubnetGroup),
                A::CreateWriter { .. } => (Create, Kind::DbInstance),
                A::CreateReplica { .. } => (Create, Kind::DbReadReplica),
                A::ModifyDatabase { .. }
                | A::PromoteReplica { .. }
                | A::TagEpoch { .. }
                | A::UnprotectDatabase { .. } => (Update, Kind::DbInstance),
                A::DeleteDatabase { .. } => (Delete, Kind::DbInstance),
            };
            (kind, resource, Tier::Data)
        }
        DataAction::PrivateDns(a) => {
            use PrivateDnsAction as A;
            let (kind, resource) = match a {
                A::CreatePrivateZone { .. } => (Create, Kind::PrivateHostedZone),
                A::UpsertRecord { .. } => (Update, Kind::PrivateDnsRecord),
                A::DeleteRecord { .. } => (Delete, Kind::PrivateDnsRecord),
                A::DeletePrivateZone { .. } => (Delete, Kind::PrivateHostedZone),
            };
            (kind, resource, Tier::Data)
        }
        DataAction::Backup(a) => {
            use BackupAction as A;
            let (kind, resource) = match a {
                A::CreateBackupVault { .. } => (Create, Kind::BackupVault),
                A::DeleteBackupVault { .. } => (Delete, Kind::BackupVault),
                A::CreateBackupPlan { .. } => (Create, Kind::BackupPlan),
                A::UpdateBackupPlan { .. } => (Update, Kind::BackupPlan),
                A::CreateBackupSelection { .. } => (Create, Kind::BackupSelection),
                A::DeleteBackupSelection { .. } => (Delete, Kind::BackupSelection),
                A::DeleteBackupPlan { .. } => (Delete, Kind::BackupPlan),
            };
            (kind, resource, Tier::Data)
        }
    };
    change(region, kind, resource, tier, action.describe())
}

/// An edge or compute action, in `region` or globally (`None`).
pub fn of_edge(region: Option<&str>, action: &EdgeAction) -> Change {
    use ChangeKind::{Create, Delete, Update};
    let scope = region.map(regional).unwrap_or(Scope::Global);
    // New resources are named by their tier; changes of existing ones by
    // ID, and their tier is the one the name tells, else the api's (where
    // the certificate sits).
    let tier_of = |kind: Kind, component: &str| (kind, Tier::of(&scope, kind, component));
    let named = |kind: Kind, name: &str| (kind, Tier::of(&scope, kind, &name.replace(['.', ':', '_'], "-")));
    let global = |kind: Kind| (kind, Tier::Global);
    let (kind, (resource, tier)) = match action {
        EdgeAction::Certificate(a) => match a {
            CertificateAction::RequestCertificate { .. } => (Create, tier_of(Kind::Certificate, "certificate")),
            CertificateAction::DeleteCertificate { .. } => (Delete, tier_of(Kind::Certificate, "certificate")),
        },
        EdgeAction::LoadBalancing(a) => {
            use LoadBalancingAction as A;
            match a {
                A::CreateTargetGroup { tier, .. } => (Create, tier_of(Kind::TargetGroup, tier)),
                A::ModifyTargetGroup { arn, .. } => (Update, named(Kind::TargetGroup, arn)),
                A::DeleteTargetGroup { arn } => (Delete, named(Kind::TargetGroup, arn)),
                A::CreateLoadBalancer { tier, .. } => (Create, tier_of(Kind::LoadBalancer, tier)),
                A::SetSubnets { arn, .. } | A::SetSecurityGroups { arn, .. } => {
                    (Update, named(Kind::LoadBalancer, arn))
                }
                A::DeleteLoadBalancer { arn } => (Delete, named(Kind::LoadBalancer, arn)),
                A::CreateListener { tier, .. } => (Create, tier_of(Kind::Listener, tier)),
                A::ModifyListener { arn, .. } => (Update, named(Kind::Listener, arn)),
                A::DeleteListener { arn } => (Delete, named(Kind::Listener, arn)),
            }
        }
        EdgeAction::Compute(a) => {
            use ComputeAction as A;
            match a {
                A::CopyImage { tier, .. } => (Create, tier_of(Kind::Image, tier)),
                A::DeregisterImage { image_id, .. } => (Delete, named(Kind::Image, image_id)),
                A::CreateLaunchTemplate { tier, .. } => (Create, tier_of(Kind::LaunchTemplate, tier)),
                A::CreateLaunchTemplateVersion { template_id, .. } => {
                    (Update, named(Kind::LaunchTemplate, template_id))
                }
                A::DeleteLaunchTemplate { template_id } => (Delete, named(Kind::LaunchTemplate, template_id)),
                A::CreateAutoScalingGroup { tier, .. } => (Create, tier_of(Kind::AutoScalingGroup, tier)),
                A::UpdateAutoScalingGroup { name, .. } => (Update, named(Kind::AutoScalingGroup, name)),
                A::DeleteAutoScalingGroup { name } => (Delete, named(Kind::AutoScalingGroup, name)),
            }
        }
        EdgeAction::Dns(a) => match a {
            DnsAction::CreatePublicZone { .. } => (Create, global(Kind::PublicHostedZone)),
            DnsAction::DeletePublicZone { .. } => (Delete, global(Kind::PublicHostedZone)),
            DnsAction::ChangeRecords { changes, .. } => {
                let all = |a: RecordAction| changes.iter().all(|(x, _)| *x == a);
                let kind = if all(RecordAction::Create) {
                    Create
                } else if all(RecordAction::Delete) {
                    Delete
                } else {
                    Update
                };
                let name = region.unwrap_or(GLOBAL_NAME);
                let mut c = change(name, kind, Kind::FailoverRecord, Tier::Global, action.describe());
                c.count = changes.len().max(1);
                return c;
            }
            DnsAction::CreateHealthCheck { .. } => (Create, global(Kind::HealthCheck)),
            DnsAction::UpdateHealthCheck { .. } => (Update, global(Kind::HealthCheck)),
            DnsAction::DeleteHealthCheck { .. } => (Delete, global(Kind::HealthCheck)),
        },
        EdgeAction::Cdn(a) => match a {
            CdnAction::CreateDistribution { .. } => (Create, global(Kind::Distribution)),
            CdnAction::UpdateDistribution { .. } => (Update, global(Kind::Distribution)),
            CdnAction::DeleteDistribution { .. } => (Delete, global(Kind::Distribution)),
        },
        EdgeAction::Waf(a) => match a {
            WafAction::CreateWebAcl { .. } => (Create, global(Kind::WebAcl)),
            WafAction::UpdateWebAcl { .. } => (Update, global(Kind::WebAcl)),
            WafAction::DeleteWebAcl { .. } => (Delete, global(Kind::WebAcl)),
        },
        EdgeAction::Alarm(a) => match a {
            AlarmAction::PutAlarm { .. } => (Create, global(Kind::Alarm)),
            AlarmAction::DeleteAlarm { .. } => (Delete, global(Kind::Alarm)),
        },
    };
    change(region.unwrap_or(GLOBAL_NAME), kind, resource, tier, action.describe())
}

/// An access action, reported in `region` (the secret's home, or global for IAM).
pub fn of_access(region: &str, action: &AccessAction) -> Change {
    use ChangeKind::{Create, Delete, Update};
    let (kind, resource, tier) = match action {
        AccessAction::Secret(a) => {
            let kind = match a {
                SecretAction::Create { .. } => Create,
                SecretAction::Delete { .. } => Delete,
                SecretAction::Restore { .. }
                | SecretAction::Replicate { .. }
                | SecretAction::Rotate { .. }
                | SecretAction::RemoveReplica { .. } => Update,
            };
            (kind, Kind::Secret, Tier::Data)
        }
        AccessAction::Iam(a) => {
            let tier_of = |name: &str| Tier::of_component(name).unwrap_or(Tier::Api);
            match a {
                IamAction::CreateRole { tier, .. } => (Create, Kind::InstanceRole, tier_of(tier)),
                IamAction::UpdateTrust { role }
                | IamAction::PutPolicy { role, .. }
                | IamAction::DeletePolicy { role, .. }
                | IamAction::DetachPolicy { role, .. } => (Update, Kind::InstanceRole, tier_of(role)),
                IamAction::DeleteRole { name } => (Delete, Kind::InstanceRole, tier_of(name)),
                IamAction::CreateProfile { tier, .. } => (Create, Kind::InstanceProfile, tier_of(tier)),
                IamAction::AddRole { profile, .. } | IamAction::RemoveRole { profile, .. } => {
                    (Update, Kind::InstanceProfile, tier_of(profile))
                }
                IamAction::DeleteProfile { name } => (Delete, Kind::InstanceProfile, tier_of(name)),
            }
        }
    };
    change(region, kind, resource, tier, action.describe())
}

/// How global changes are labelled (they are served from us-east-1).
pub const GLOBAL_NAME: &str = "global";

/// Attaches each drift item to the change that repairs it (same region,
/// resource named in the change): its fields become the change's, and a
/// re-creation of something that went missing becomes a repair. Returns the
/// drift no change repairs (blocked, or repaired by a later pass).
pub fn attach_drift(changes: &mut [Change], drift: &[DriftItem]) -> Vec<DriftItem> {
    let mut unmatched = Vec::new();
    for d in drift {
        // Global resources report their drift in us-east-1, where they are served.
        let same_region = |c: &Change| c.region == d.region || (d.region == GLOBAL_REGION && c.region == GLOBAL_NAME);
        let target = changes
            .iter_mut()
            .find(|c| same_region(c) && !d.resource.is_empty() && c.description.contains(&d.resource));
        match target {
            Some(c) => {
                if d.found == "missing" && c.kind == ChangeKind::Create {
                    c.kind = ChangeKind::Repair;
                } else if c.kind == ChangeKind::Update || c.kind == ChangeKind::Repair {
                    c.fields.push(FieldChange {
                        field: d.field.clone(),
                        from: d.found.clone(),
                        to: d.expected.clone(),
                    });
                }
            }
            None => unmatched.push(d.clone()),
        }
    }
    unmatched
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_family_maps_to_signs_and_tiers() {
        let c = of_network("us-east-1", &NetworkAction::DeleteVpc { vpc_id: "vpc-1".into() });
        assert_eq!((c.kind.sign(), c.tier, c.resource_kind.as_str()), ('-', Tier::Network, "Vpc"));
        let c = of_data(
            "us-east-1",
            &DataAction::SecurityGroup(SecurityGroupAction::CreateSecurityGroup {
                component: "security-group/alb-web".into(),
                name: "n".into(),
                description: "d".into(),
                vpc_id: "v".into(),
            }),
        );
        assert_eq!((c.kind.sign(), c.tier), ('+', Tier::Web));
        let c = of_edge(
            Some("us-west-2"),
            &EdgeAction::Compute(ComputeAction::DeleteAutoScalingGroup { name: "bookstore-bookstore-api".into() }),
        );
        assert_eq!((c.kind.sign(), c.tier, c.region.as_str()), ('-', Tier::Api, "us-west-2"));
        let c = of_edge(None, &EdgeAction::Alarm(AlarmAction::DeleteAlarm { name: "a".into() }));
        assert_eq!((c.tier, c.region.as_str()), (Tier::Global, "global"));
    }

    #[test]
    fn drift_becomes_fields_of_the_change_that_repairs_it() {
        let mut changes = vec![of_edge(
            Some("us-east-1"),
            &EdgeAction::Compute(ComputeAction::UpdateAutoScalingGroup {
                name: "bookstore-bookstore-web".into(),
                spec: warmstandby_core::edge::observed::AsgSpec {
                    launch_template_id: "lt-1".into(),
                    launch_template_version: "1".into(),
                    min: 2,
                    desired: 2,
                    max: 6,
                    subnet_ids: vec![],
                    target_group_arns: vec![],
                },
                attach: vec![],
                detach: vec![],
            }),
        )];
        let drift = vec![
            DriftItem::new("us-east-1", "AutoScalingGroup", "bookstore-bookstore-web", "desired", 2, 5),
            DriftItem::new("us-east-1", "Vpc", "vpc-9", "cidr", "10.0.0.0/16", "10.9.0.0/16"),
        ];
        let left = attach_drift(&mut changes, &drift);
        assert_eq!(changes[0].fields, vec![FieldChange { field: "desired".into(), from: "5".into(), to: "2".into() }]);
        assert_eq!(left.len(), 1, "the VPC's drift has no change here");
    }
}
