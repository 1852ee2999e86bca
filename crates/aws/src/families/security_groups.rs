//! The security groups family's AWS side (EC2): each region's groups of
//! ours, read by our uid tag from the region's tag-filtered listing (shared
//! by the stacks of the region), rules in the API's shape.

use aws_sdk_ec2::types::ResourceType;
use aws_sdk_ec2::types::{IpPermission, IpRange, UserIdGroupPair};
use warmstandby_api::{TAG_COMPONENT, TAG_UID};
use warmstandby_core::Password;
use warmstandby_core::families::security_groups::{
    DesiredGroups, ObservedRule, ObservedSecurityGroup, SecurityGroupAction, SecurityGroups,
};
use warmstandby_core::plan::ActionOutcome;

use super::{AwsFamily, Observation, Reading};
use crate::clients::AwsContext;
use crate::errors::{AwsError, ok_or_gone};
use crate::tags::ec2_tag;
use crate::tags::{Ec2Tagging, Ownership};

impl AwsFamily for SecurityGroups {
    /// Both regions at once; a failed read counts against its region.
    async fn observe(
        aws: &AwsContext,
        desired: &[DesiredGroups; 2],
        owners: &[Ownership; 2],
        _reading: &Reading<'_>,
    ) -> Observation<[Vec<ObservedSecurityGroup>; 2]> {
        Observation::each_region(|i| async move {
            let groups = crate::fleet::security_groups(aws, &desired[i].region).await?;
            Ok::<_, AwsError>(ours(&groups, &owners[i].uid, aws.recent()))
        })
        .await
    }

    async fn apply(
        aws: &AwsContext,
        region: &str,
        owner: &Ownership,
        action: &SecurityGroupAction,
        _password: &Password,
    ) -> Result<ActionOutcome, AwsError> {
        apply(aws, region, owner, action).await
    }
}

/// Our security groups among a tag-filtered listing, with their ingress
/// rules; a fence epoch this process tagged and EC2 does not show yet counts
/// as set.
fn ours(
    groups: &[aws_sdk_ec2::types::SecurityGroup],
    uid: &str,
    recent: &crate::recent::RecentCreations,
) -> Vec<ObservedSecurityGroup> {
    let mut found = Vec::new();
    for g in groups {
        if ec2_tag(g.tags(), TAG_UID) != Some(uid) {
            continue;
        }
        let mut ingress = Vec::new();
        for p in g.ip_permissions() {
            let (protocol, from, to) =
                (p.ip_protocol().unwrap_or("-1").to_string(), p.from_port().unwrap_or(-1), p.to_port().unwrap_or(-1));
            for r in p.ip_ranges() {
                ingress.push(ObservedRule {
                    protocol: protocol.clone(),
                    from_port: from,
                    to_port: to,
                    cidr: r.cidr_ip().map(str::to_string),
                    group_id: None,
                });
            }
            for pair in p.user_id_group_pairs() {
                ingress.push(ObservedRule {
                    protocol: protocol.clone(),
                    from_port: from,
                    to_port: to,
                    cidr: None,
                    group_id: pair.group_id().map(str::to_string),
                });
            }
        }
        ingress.sort();
        found.push(ObservedSecurityGroup {
            id: g.group_id().unwrap_or_default().to_string(),
            component: ec2_tag(g.tags(), TAG_COMPONENT).unwrap_or_default().to_string(),
            vpc_id: g.vpc_id().unwrap_or_default().to_string(),
            ingress,
            epoch: {
                let id = g.group_id().unwrap_or_default();
                let shown = ec2_tag(g.tags(), warmstandby_api::TAG_EPOCH).and_then(|v| v.parse::<i64>().ok());
                let set = recent.tag(id, warmstandby_api::TAG_EPOCH).and_then(|v| v.parse::<i64>().ok());
                shown.max(set)
            },
        });
    }
    found
}

/// One rule in the API's shape.
pub(crate) fn ip_permission(rule: &ObservedRule) -> IpPermission {
    let mut p = IpPermission::builder().ip_protocol(&rule.protocol).from_port(rule.from_port).to_port(rule.to_port);
    if let Some(c) = &rule.cidr {
        p = p.ip_ranges(IpRange::builder().cidr_ip(c).build());
    }
    if let Some(g) = &rule.group_id {
        p = p.user_id_group_pairs(UserIdGroupPair::builder().group_id(g).build());
    }
    p.build()
}

/// Executes one security-group action in `region`.
async fn apply(
    aws: &AwsContext,
    region: &str,
    owner: &Ownership,
    action: &SecurityGroupAction,
) -> Result<ActionOutcome, AwsError> {
    let ec2 = aws.ec2(region);
    match action {
        SecurityGroupAction::CreateSecurityGroup { component, name, description, vpc_id } => {
            let created = send!(
                "ec2:CreateSecurityGroup",
                ec2.create_security_group()
                    .group_name(name)
                    .description(description)
                    .vpc_id(vpc_id)
                    .tag_specifications(owner.ec2_tag_spec(ResourceType::SecurityGroup, component, name))
            );
            match created {
                Ok(out) => Ok(ActionOutcome::Created { id: out.group_id().unwrap_or_default().to_string() }),
                // Names are unique per VPC: a group this owner created a
                // moment ago that EC2 does not describe yet (eventual
                // consistency) is refused, not made twice. The next pass sees it.
                Err(e) if e.code == "InvalidGroup.Duplicate" => {
                    tracing::info!(group = %name, "the security group exists but is not described yet");
                    Ok(ActionOutcome::Done)
                }
                Err(e) => Err(e),
            }
        }
        SecurityGroupAction::AuthorizeIngress { group_id, rule } => send!(
            "ec2:AuthorizeSecurityGroupIngress",
            ec2.authorize_security_group_ingress().group_id(group_id).ip_permissions(ip_permission(rule))
        )
        .map(|_| ActionOutcome::Done),
        SecurityGroupAction::RevokeIngress { group_id, rule } => ok_or_gone(send!(
            "ec2:RevokeSecurityGroupIngress",
            ec2.revoke_security_group_ingress().group_id(group_id).ip_permissions(ip_permission(rule))
        )),
        SecurityGroupAction::DeleteSecurityGroup { group_id } => {
            ok_or_gone(send!("ec2:DeleteSecurityGroup", ec2.delete_security_group().group_id(group_id)))
        }
        SecurityGroupAction::ReleaseGroup { group_id } => {
            crate::tags::release_ec2(aws, region, std::slice::from_ref(group_id)).await
        }
        SecurityGroupAction::TagGroupEpoch { group_id, epoch } => {
            send!(
                "ec2:CreateTags",
                ec2.create_tags().resources(group_id).tags(
                    aws_sdk_ec2::types::Tag::builder().key(warmstandby_api::TAG_EPOCH).value(epoch.to_string()).build()
                )
            )?;
            aws.recent().remember_tag(group_id, warmstandby_api::TAG_EPOCH, &epoch.to_string());
            Ok(ActionOutcome::Done)
        }
    }
}
