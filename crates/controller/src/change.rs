//! The changes of a pass, typed for people: what a `plan` shows (`+` create,
//! `~` change, `-` delete, `!` re-create what vanished) and what an `apply`
//! reports to a progress display. Every action kind of every family maps to
//! one change by an exhaustive match, so a new action cannot go unreported.

use serde::Serialize;
use warmstandby_api::{DriftItem, GLOBAL_REGION};
use warmstandby_core::data::plan::DataAction;
use warmstandby_core::desired::{Kind, Scope, Tier};
use warmstandby_core::edge::plan::{EdgeAction, RecordAction};
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
    use DataAction as A;
    let group_tier = |component: &str| Tier::of(&regional(region), Kind::SecurityGroup, component);
    let (kind, resource, tier) = match action {
        A::CreateSecurityGroup { component, .. } => (Create, Kind::SecurityGroup, group_tier(component)),
        A::AuthorizeIngress { .. } | A::RevokeIngress { .. } | A::TagGroupEpoch { .. } => {
            (Update, Kind::SecurityGroup, Tier::Data)
        }
        A::DeleteSecurityGroup { .. } => (Delete, Kind::SecurityGroup, Tier::Data),
        A::RunBastion { .. } => (Create, Kind::BastionInstance, Tier::Data),
        A::TerminateInstance { .. } => (Delete, Kind::BastionInstance, Tier::Data),
        A::CreateDbSubnetGroup { .. } => (Create, Kind::DbSubnetGroup, Tier::Data),
        A::DeleteDbSubnetGroup { .. } => (Delete, Kind::DbSubnetGroup, Tier::Data),
        A::CreateWriter { .. } => (Create, Kind::DbInstance, Tier::Data),
        A::CreateReplica { .. } => (Create, Kind::DbReadReplica, Tier::Data),
        A::ModifyDatabase { .. } | A::PromoteReplica { .. } | A::TagEpoch { .. } | A::UnprotectDatabase { .. } => {
            (Update, Kind::DbInstance, Tier::Data)
        }
        A::DeleteDatabase { .. } => (Delete, Kind::DbInstance, Tier::Data),
        A::CreatePrivateZone { .. } => (Create, Kind::PrivateHostedZone, Tier::Data),
        A::UpsertRecord { .. } => (Update, Kind::PrivateDnsRecord, Tier::Data),
        A::DeleteRecord { .. } => (Delete, Kind::PrivateDnsRecord, Tier::Data),
        A::DeletePrivateZone { .. } => (Delete, Kind::PrivateHostedZone, Tier::Data),
        A::CreateBackupVault { .. } => (Create, Kind::BackupVault, Tier::Data),
        A::DeleteBackupVault { .. } => (Delete, Kind::BackupVault, Tier::Data),
        A::CreateBackupPlan { .. } => (Create, Kind::BackupPlan, Tier::Data),
        A::UpdateBackupPlan { .. } => (Update, Kind::BackupPlan, Tier::Data),
        A::CreateBackupSelection { .. } => (Create, Kind::BackupSelection, Tier::Data),
        A::DeleteBackupSelection { .. } => (Delete, Kind::BackupSelection, Tier::Data),
        A::DeleteBackupPlan { .. } => (Delete, Kind::BackupPlan, Tier::Data),
    };
    change(region, kind, resource, tier, crate::stack::describe(action))
}

/// An edge or compute action, in `region` or globally (`None`).
pub fn of_edge(region: Option<&str>, action: &EdgeAction) -> Change {
    use ChangeKind::{Create, Delete, Update};
    use EdgeAction as A;
    let scope = region.map(regional).unwrap_or(Scope::Global);
    let tier_of = |kind: Kind, component: &str| Tier::of(&scope, kind, component);
    // Changes of existing resources name them by ID; their tier is the
    // one their name tells, else the api's (where the certificate sits).
    let named = |kind: Kind, name: &str| Tier::of(&scope, kind, &name.replace(['.', ':', '_'], "-"));
    let (kind, resource, tier) = match action {
        A::RequestCertificate { .. } => (Create, Kind::Certificate, tier_of(Kind::Certificate, "certificate")),
        A::DeleteCertificate { .. } => (Delete, Kind::Certificate, tier_of(Kind::Certificate, "certificate")),
        A::CreateTargetGroup { tier, .. } => (Create, Kind::TargetGroup, tier_of(Kind::TargetGroup, tier)),
        A::ModifyTargetGroup { arn, .. } => (Update, Kind::TargetGroup, named(Kind::TargetGroup, arn)),
        A::DeleteTargetGroup { arn } => (Delete, Kind::TargetGroup, named(Kind::TargetGroup, arn)),
        A::CreateLoadBalancer { tier, .. } => (Create, Kind::LoadBalancer, tier_of(Kind::LoadBalancer, tier)),
        A::SetSubnets { arn, .. } | A::SetSecurityGroups { arn, .. } => {
            (Update, Kind::LoadBalancer, named(Kind::LoadBalancer, arn))
        }
        A::DeleteLoadBalancer { arn } => (Delete, Kind::LoadBalancer, named(Kind::LoadBalancer, arn)),
        A::CreateListener { tier, .. } => (Create, Kind::Listener, tier_of(Kind::Listener, tier)),
        A::ModifyListener { arn, .. } => (Update, Kind::Listener, named(Kind::Listener, arn)),
        A::DeleteListener { arn } => (Delete, Kind::Listener, named(Kind::Listener, arn)),
        A::CopyImage { tier, .. } => (Create, Kind::Image, tier_of(Kind::Image, tier)),
        A::TagImage { tier, .. } => (Update, Kind::Image, tier_of(Kind::Image, tier)),
        A::DeregisterImage { image_id, .. } => (Delete, Kind::Image, named(Kind::Image, image_id)),
        A::CreateLaunchTemplate { tier, .. } => (Create, Kind::LaunchTemplate, tier_of(Kind::LaunchTemplate, tier)),
        A::CreateLaunchTemplateVersion { template_id, .. } => {
            (Update, Kind::LaunchTemplate, named(Kind::LaunchTemplate, template_id))
        }
        A::DeleteLaunchTemplate { template_id } => {
            (Delete, Kind::LaunchTemplate, named(Kind::LaunchTemplate, template_id))
        }
        A::CreateAutoScalingGroup { tier, .. } => {
            (Create, Kind::AutoScalingGroup, tier_of(Kind::AutoScalingGroup, tier))
        }
        A::UpdateAutoScalingGroup { name, .. } => (Update, Kind::AutoScalingGroup, named(Kind::AutoScalingGroup, name)),
        A::DeleteAutoScalingGroup { name } => (Delete, Kind::AutoScalingGroup, named(Kind::AutoScalingGroup, name)),
        A::CreatePublicZone { .. } => (Create, Kind::PublicHostedZone, Tier::Global),
        A::DeletePublicZone { .. } => (Delete, Kind::PublicHostedZone, Tier::Global),
        A::ChangeRecords { changes, .. } => {
            let all = |a: RecordAction| changes.iter().all(|(x, _)| *x == a);
            let kind = if all(RecordAction::Create) {
                Create
            } else if all(RecordAction::Delete) {
                Delete
            } else {
                Update
            };
            let mut c = change(region.unwrap_or(GLOBAL_NAME), kind, Kind::FailoverRecord, Tier::Global, {
                crate::stack::describe_edge(action)
            });
            c.count = changes.len().max(1);
            return c;
        }
        A::CreateHealthCheck { .. } => (Create, Kind::HealthCheck, Tier::Global),
        A::UpdateHealthCheck { .. } => (Update, Kind::HealthCheck, Tier::Global),
        A::DeleteHealthCheck { .. } => (Delete, Kind::HealthCheck, Tier::Global),
        A::CreateWebAcl { .. } => (Create, Kind::WebAcl, Tier::Global),
        A::UpdateWebAcl { .. } => (Update, Kind::WebAcl, Tier::Global),
        A::DeleteWebAcl { .. } => (Delete, Kind::WebAcl, Tier::Global),
        A::CreateDistribution { .. } => (Create, Kind::Distribution, Tier::Global),
        A::UpdateDistribution { .. } => (Update, Kind::Distribution, Tier::Global),
        A::DeleteDistribution { .. } => (Delete, Kind::Distribution, Tier::Global),
        A::PutAlarm { .. } => (Create, Kind::Alarm, Tier::Global),
        A::DeleteAlarm { .. } => (Delete, Kind::Alarm, Tier::Global),
    };
    change(region.unwrap_or(GLOBAL_NAME), kind, resource, tier, crate::stack::describe_edge(action))
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
            &DataAction::CreateSecurityGroup {
                component: "security-group/alb-web".into(),
                name: "n".into(),
                description: "d".into(),
                vpc_id: "v".into(),
            },
        );
        assert_eq!((c.kind.sign(), c.tier), ('+', Tier::Web));
        let c =
            of_edge(Some("us-west-2"), &EdgeAction::DeleteAutoScalingGroup { name: "bookstore-bookstore-api".into() });
        assert_eq!((c.kind.sign(), c.tier, c.region.as_str()), ('-', Tier::Api, "us-west-2"));
        let c = of_edge(None, &EdgeAction::DeleteAlarm { name: "a".into() });
        assert_eq!((c.tier, c.region.as_str()), (Tier::Global, "global"));
    }

    #[test]
    fn drift_becomes_fields_of_the_change_that_repairs_it() {
        let mut changes = vec![of_edge(
            Some("us-east-1"),
            &EdgeAction::UpdateAutoScalingGroup {
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
            },
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
