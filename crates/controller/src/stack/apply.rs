//! Applying a stack's planned changes (IO), each described and logged
//! without secrets, and typed for reports.

use futures::future::join_all;
use warmstandby_api::RegionRole;
use warmstandby_aws::edge;
use warmstandby_aws::{AwsContext, AwsError, Ownership, data_tier};
use warmstandby_core::data::plan::DataAction;
use warmstandby_core::desired::DesiredDataTier;
use warmstandby_core::edge::plan::{EdgeAction, EdgeScope};
use warmstandby_core::validate::ValidatedStack;

use crate::change::{self, Change};

/// An edge action as a change of its region, or a global one.
pub(super) fn edge_change(scope: EdgeScope, regions: [&str; 2], action: &EdgeAction) -> Change {
    match scope {
        EdgeScope::Region(role) => change::of_edge(Some(regions[role.index()]), action),
        EdgeScope::Global => change::of_edge(None, action),
    }
}

/// Runs one batch of edge actions concurrently.
pub(super) async fn apply_edge(
    aws: &AwsContext,
    regions: [&str; 2],
    owners: &[Ownership; 2],
    actions: &[(EdgeScope, EdgeAction)],
) -> (Vec<(String, Change)>, Vec<AwsError>) {
    let results = join_all(actions.iter().map(|(scope, action)| {
        let region = edge::scope_region(*scope, regions);
        let owner = if *scope == EdgeScope::Region(RegionRole::Standby) { &owners[1] } else { &owners[0] };
        Box::pin(edge::apply(aws, region, owner, action))
    }))
    .await;
    let mut applied = Vec::new();
    let mut errors = Vec::new();
    for ((scope, action), result) in actions.iter().zip(results) {
        let region = edge::scope_region(*scope, regions);
        let what = describe_edge(action);
        match result {
            Ok(_) => {
                tracing::info!(region, action = %what, "applied");
                applied.push((format!("{region}: {what}"), edge_change(*scope, regions, action)));
            }
            Err(e) => {
                tracing::warn!(region, action = %what, error = %e, class = e.class.as_str(), "AWS call failed");
                errors.push(e);
            }
        }
    }
    (applied, errors)
}

/// A short description of an edge action.
pub fn describe_edge(action: &EdgeAction) -> String {
    use EdgeAction as A;
    match action {
        A::RequestCertificate { domain } => format!("request certificate {domain}"),
        A::DeleteCertificate { arn } => format!("delete certificate {arn}"),
        A::CreateTargetGroup { spec, .. } => format!("create target group {}", spec.name),
        A::ModifyTargetGroup { arn, health_check_path } => {
            format!("set health check path of {arn} to {health_check_path}")
        }
        A::DeleteTargetGroup { arn } => format!("delete target group {arn}"),
        A::CreateLoadBalancer { spec, .. } => format!("create load balancer {}", spec.name),
        A::SetSubnets { arn, .. } => format!("set subnets of {arn}"),
        A::SetSecurityGroups { arn, .. } => format!("set security groups of {arn}"),
        A::DeleteLoadBalancer { arn } => format!("delete load balancer {arn}"),
        A::CreateListener { tier, spec, .. } => format!("create {} listener :{} of {tier}", spec.protocol, spec.port),
        A::ModifyListener { arn, .. } => format!("repair listener {arn}"),
        A::DeleteListener { arn } => format!("delete listener {arn}"),
        A::CopyImage { source_image, source_region, .. } => format!("copy image {source_image} from {source_region}"),
        A::TagImage { image_id, .. } => format!("tag image {image_id}"),
        A::DeregisterImage { image_id, .. } => format!("deregister image {image_id}"),
        A::CreateLaunchTemplate { name, .. } => format!("create launch template {name}"),
        A::CreateLaunchTemplateVersion { template_id, .. } => format!("new version of launch template {template_id}"),
        A::DeleteLaunchTemplate { template_id } => format!("delete launch template {template_id}"),
        A::CreateAutoScalingGroup { name, spec, .. } => {
            format!("create auto scaling group {name} ({}/{}/{})", spec.min, spec.desired, spec.max)
        }
        A::UpdateAutoScalingGroup { name, spec, .. } => format!(
            "update auto scaling group {name} (version {}, {}/{}/{})",
            spec.launch_template_version, spec.min, spec.desired, spec.max
        ),
        A::DeleteAutoScalingGroup { name } => format!("delete auto scaling group {name}"),
        A::CreatePublicZone { name } => format!("create public zone {name}"),
        A::DeletePublicZone { zone_id } => format!("delete public zone {zone_id}"),
        A::ChangeRecords { changes, .. } => format!(
            "change records: {}",
            changes.iter().map(|(a, r)| format!("{} {}", a.as_str(), r.label())).collect::<Vec<_>>().join(", ")
        ),
        A::CreateHealthCheck { config, .. } => format!("create health check of {}", config.fqdn),
        A::UpdateHealthCheck { id, .. } => format!("update health check {id}"),
        A::DeleteHealthCheck { id } => format!("delete health check {id}"),
        A::CreateWebAcl { name, .. } => format!("create web ACL {name}"),
        A::UpdateWebAcl { name, .. } => format!("update web ACL {name}"),
        A::DeleteWebAcl { name, .. } => format!("delete web ACL {name}"),
        A::CreateDistribution { .. } => "create the CloudFront distribution".into(),
        A::UpdateDistribution { id, spec, .. } if !spec.enabled => format!("disable distribution {id}"),
        A::UpdateDistribution { id, .. } => format!("update distribution {id}"),
        A::DeleteDistribution { id, .. } => format!("delete distribution {id}"),
        A::PutAlarm { name, .. } => format!("put alarm {name}"),
        A::DeleteAlarm { name } => format!("delete alarm {name}"),
    }
}

/// Runs one batch of actions concurrently; each is logged without secrets.
pub(super) async fn apply(
    aws: &AwsContext,
    stack: &ValidatedStack,
    desired: &[DesiredDataTier; 2],
    owners: &[Ownership; 2],
    actions: &[(RegionRole, DataAction)],
) -> (Vec<(String, Change)>, Vec<AwsError>) {
    let results = join_all(actions.iter().map(|(role, action)| {
        let i = role.index();
        Box::pin(data_tier::apply(aws, &desired[i].region, &owners[i], &desired[i], &stack.password, action))
    }))
    .await;
    let mut applied = Vec::new();
    let mut errors = Vec::new();
    for ((role, action), result) in actions.iter().zip(results) {
        let i = role.index();
        let what = describe(action);
        match result {
            Ok(_) => {
                tracing::info!(region = %desired[i].region, action = %what, "applied");
                applied.push((format!("{}: {what}", desired[i].region), change::of_data(&desired[i].region, action)));
            }
            Err(e) => {
                tracing::warn!(region = %desired[i].region, action = %what, error = %e, class = e.class.as_str(), "AWS call failed");
                errors.push(e);
            }
        }
    }
    (applied, errors)
}

/// A short description of an action; never includes a secret (actions carry none).
pub fn describe(action: &DataAction) -> String {
    match action {
        DataAction::CreateSecurityGroup { component, .. } => format!("create {component}"),
        DataAction::AuthorizeIngress { group_id, rule } => format!("allow tcp/{} on {group_id}", rule.from_port),
        DataAction::RevokeIngress { group_id, rule } => {
            format!("revoke {}/{} on {group_id}", rule.protocol, rule.from_port)
        }
        DataAction::DeleteSecurityGroup { group_id } => format!("delete {group_id}"),
        DataAction::RunBastion { .. } => "launch the bastion".into(),
        DataAction::TerminateInstance { instance_id } => format!("terminate {instance_id}"),
        DataAction::CreateDbSubnetGroup { name, .. } => format!("create DB subnet group {name}"),
        DataAction::DeleteDbSubnetGroup { name } => format!("delete DB subnet group {name}"),
        DataAction::CreateWriter { identifier, .. } => format!("create database {identifier}"),
        DataAction::CreateReplica { identifier, source_region, .. } => {
            format!("create replica {identifier} of the writer in {source_region}")
        }
        DataAction::ModifyDatabase { identifier, changes } => {
            format!(
                "modify {identifier}: {}",
                changes.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(", ")
            )
        }
        DataAction::PromoteReplica { identifier, epoch } => format!("promote {identifier} (epoch {epoch})"),
        DataAction::TagEpoch { identifier, epoch } => format!("tag {identifier} with epoch {epoch}"),
        DataAction::TagGroupEpoch { group_id, epoch } => format!("tag the fence on {group_id} with epoch {epoch}"),
        DataAction::UnprotectDatabase { identifier } => format!("lift deletion protection of {identifier}"),
        DataAction::DeleteDatabase { identifier, final_snapshot } => match final_snapshot {
            Some(s) => format!("delete database {identifier} (final snapshot {s})"),
            None => format!("delete database {identifier}"),
        },
        DataAction::CreatePrivateZone { name, .. } => format!("create private zone {name}"),
        DataAction::UpsertRecord { name, value, .. } => format!("point {name} at {value}"),
        DataAction::DeleteRecord { name, .. } => format!("delete record {name}"),
        DataAction::DeletePrivateZone { zone_id } => format!("delete private zone {zone_id}"),
        DataAction::CreateBackupVault { name } => format!("create backup vault {name}"),
        DataAction::DeleteBackupVault { name } => format!("delete backup vault {name}"),
        DataAction::CreateBackupPlan { name, .. } => format!("create backup plan {name}"),
        DataAction::UpdateBackupPlan { name, .. } => format!("update backup plan {name}"),
        DataAction::CreateBackupSelection { name, .. } => format!("create backup selection {name}"),
        DataAction::DeleteBackupSelection { selection_id, .. } => format!("delete backup selection {selection_id}"),
        DataAction::DeleteBackupPlan { plan_id } => format!("delete backup plan {plan_id}"),
    }
}
