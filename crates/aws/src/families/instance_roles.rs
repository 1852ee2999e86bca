//! IAM: an instance role and profile per tier, under the operator's path.
//! Observation is account-wide and batched: one GetAccountAuthorizationDetails
//! (roles with their inline and attached policies) and one
//! ListInstanceProfiles under the path, filtered to this stack's names.

use aws_sdk_iam::types::Tag;
use std::sync::Arc;

use warmstandby_api::{GLOBAL_REGION, TAG_UID, ThreeTierStackStatus};
use warmstandby_core::Password;
use warmstandby_core::families::instance_roles::{
    DesiredRole, IamAction, InstanceRoles, ObservedProfile, ObservedRole, ObservedRoles, ROLE_PATH, policy_document,
    trust_policy,
};
use warmstandby_core::plan::ActionOutcome;
use warmstandby_core::plan::Place;

use super::{AwsFamily, Observation, Reading};
use crate::clients::AwsContext;
use crate::errors::{AwsError, ok_or_gone};
use crate::shared::Listing;
use crate::tags::Ownership;

impl AwsFamily for InstanceRoles {
    /// The profiles the last status named tell a profile that lost its role
    /// (it lists under no role); at teardown every profile under the path
    /// is listed too.
    async fn observe(
        aws: &AwsContext,
        desired: &Vec<DesiredRole>,
        owners: &[Ownership; 2],
        reading: &Reading<'_>,
    ) -> Observation<ObservedRoles> {
        // IAM is global.
        let read = observe(aws, desired, &owners[0], reading.is_teardown()).await;
        let found = read.map(|(roles, profiles)| ObservedRoles {
            roles,
            profiles,
            known_profiles: known_profiles(reading.status()),
        });
        Observation::at(Place::Global, found)
    }

    async fn apply(
        aws: &AwsContext,
        _region: &str,
        owner: &Ownership,
        action: &IamAction,
        _password: &Password,
    ) -> Result<ActionOutcome, AwsError> {
        apply(aws, owner, action).await
    }
}

/// Instance profiles the last status named (by the last part of their ARNs).
fn known_profiles(status: Option<&ThreeTierStackStatus>) -> Vec<String> {
    let Some(access) = status.and_then(|s| s.access.as_ref()) else { return Vec::new() };
    access.instance_profiles.values().filter_map(|arn| arn.rsplit('/').next()).map(str::to_string).collect()
}

/// Every role of the account with its policies and instance profiles.
pub(crate) async fn roles(aws: &AwsContext) -> Result<Arc<Vec<aws_sdk_iam::types::RoleDetail>>, AwsError> {
    aws.shared()
        .read(Listing::AccountAuthorization, GLOBAL_REGION, || {
            crate::fleet::all_pages(|marker| async {
                let out = send!(
                    "iam:GetAccountAuthorizationDetails",
                    aws.iam()
                        .get_account_authorization_details()
                        .filter(aws_sdk_iam::types::EntityType::Role)
                        .set_marker(marker)
                )?;
                let next = out.marker().filter(|_| out.is_truncated()).map(str::to_string);
                Ok((out.role_detail_list().to_vec(), next))
            })
        })
        .await
}

/// `every_profile`: also list the profiles under the path (teardown): a
/// profile left without its role (a crash between creating it and adding
/// the role) shows under no role.
async fn observe(
    aws: &AwsContext,
    desired: &[DesiredRole],
    owner: &Ownership,
    every_profile: bool,
) -> Result<(Vec<ObservedRole>, Vec<ObservedProfile>), AwsError> {
    let iam = aws.iam();
    let names: Vec<&str> = desired.iter().map(|r| r.name.as_str()).collect();
    let profile_names: Vec<&str> = desired.iter().map(|r| r.profile_name.as_str()).collect();
    let every_role = roles(aws).await?;
    let details: Vec<&aws_sdk_iam::types::RoleDetail> =
        every_role.iter().filter(|r| names.contains(&r.role_name().unwrap_or_default())).collect();
    let mut profiles: Vec<ObservedProfile> = Vec::new();
    let mut add = |name: &str, arn: &str, roles: Vec<String>| {
        if profile_names.contains(&name) && !profiles.iter().any(|p| p.name == name) {
            profiles.push(ObservedProfile { name: name.to_string(), arn: arn.to_string(), roles });
        }
    };
    for r in &details {
        for p in r.instance_profile_list() {
            add(p.instance_profile_name(), p.arn(), p.roles().iter().map(|r| r.role_name().to_string()).collect());
        }
    }
    if every_profile {
        // A hundred to a page on AWS: a fleet's profiles fill several.
        let every: Vec<aws_sdk_iam::types::InstanceProfile> =
            send_all!("iam:ListInstanceProfiles", iam.list_instance_profiles().path_prefix(ROLE_PATH))?;
        for p in &every {
            add(p.instance_profile_name(), p.arn(), p.roles().iter().map(|r| r.role_name().to_string()).collect());
        }
    }
    let roles = details
        .iter()
        .map(|r| ObservedRole {
            name: r.role_name().unwrap_or_default().to_string(),
            arn: r.arn().unwrap_or_default().to_string(),
            ours: r.tags().iter().any(|t| t.key() == TAG_UID && t.value() == owner.uid),
            trust: policy_document(r.assume_role_policy_document().unwrap_or_default()),
            inline: r
                .role_policy_list()
                .iter()
                .map(|p| {
                    let name = p.policy_name().unwrap_or_default().to_string();
                    (name, policy_document(p.policy_document().unwrap_or_default()))
                })
                .collect(),
            attached: r.attached_managed_policies().iter().filter_map(|p| p.policy_arn().map(str::to_string)).collect(),
        })
        .collect();
    Ok((roles, profiles))
}

fn tags(owner: &Ownership, component: &str, name: &str) -> Result<Vec<Tag>, AwsError> {
    owner
        .tags(component, name)
        .into_iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build().map_err(|e| AwsError::build_failed("iam:Tag", e)))
        .collect()
}

async fn apply(aws: &AwsContext, owner: &Ownership, action: &IamAction) -> Result<ActionOutcome, AwsError> {
    let iam = aws.iam();
    match action {
        IamAction::CreateRole { tier, name } => {
            let out = send!(
                "iam:CreateRole",
                iam.create_role()
                    .role_name(name)
                    .path(ROLE_PATH)
                    .description(format!("{tier} instances of {}", owner.owner))
                    .assume_role_policy_document(trust_policy().to_string())
                    .set_tags(Some(tags(owner, &format!("role/{tier}"), name)?))
            )?;
            Ok(ActionOutcome::Created { id: out.role().map(|r| r.arn().to_string()).unwrap_or_default() })
        }
        IamAction::UpdateTrust { role } => send!(
            "iam:UpdateAssumeRolePolicy",
            iam.update_assume_role_policy().role_name(role).policy_document(trust_policy().to_string())
        )
        .map(|_| ActionOutcome::Done),
        IamAction::PutPolicy { role, policy, document } => send!(
            "iam:PutRolePolicy",
            iam.put_role_policy().role_name(role).policy_name(policy).policy_document(document)
        )
        .map(|_| ActionOutcome::Done),
        IamAction::DeletePolicy { role, policy } => {
            ok_or_gone(send!("iam:DeleteRolePolicy", iam.delete_role_policy().role_name(role).policy_name(policy)))
        }
        IamAction::DetachPolicy { role, policy_arn } => {
            ok_or_gone(send!("iam:DetachRolePolicy", iam.detach_role_policy().role_name(role).policy_arn(policy_arn)))
        }
        IamAction::CreateProfile { tier, name, role } => {
            // A profile holding no role is listed under no role: it may exist already.
            let tags = tags(owner, &format!("instance-profile/{tier}"), name)?;
            let created = send!(
                "iam:CreateInstanceProfile",
                iam.create_instance_profile().instance_profile_name(name).path(ROLE_PATH).set_tags(Some(tags))
            );
            let id = match created {
                Ok(out) => out.instance_profile().map(|p| p.arn().to_string()).unwrap_or_default(),
                Err(e) if e.code == "EntityAlreadyExists" => String::new(),
                Err(e) => return Err(e),
            };
            send!(
                "iam:AddRoleToInstanceProfile",
                iam.add_role_to_instance_profile().instance_profile_name(name).role_name(role)
            )?;
            Ok(ActionOutcome::Created { id })
        }
        IamAction::AddRole { profile, role } => send!(
            "iam:AddRoleToInstanceProfile",
            iam.add_role_to_instance_profile().instance_profile_name(profile).role_name(role)
        )
        .map(|_| ActionOutcome::Done),
        IamAction::RemoveRole { profile, role } => ok_or_gone(send!(
            "iam:RemoveRoleFromInstanceProfile",
            iam.remove_role_from_instance_profile().instance_profile_name(profile).role_name(role)
        )),
        IamAction::DeleteProfile { name } => {
            ok_or_gone(send!("iam:DeleteInstanceProfile", iam.delete_instance_profile().instance_profile_name(name)))
        }
        IamAction::DeleteRole { name } => ok_or_gone(send!("iam:DeleteRole", iam.delete_role().role_name(name))),
        IamAction::ReleaseProfile { name, roles } => {
            let keys = crate::tags::our_tag_keys();
            ok_or_gone(send!(
                "iam:UntagInstanceProfile",
                iam.untag_instance_profile().instance_profile_name(name).set_tag_keys(Some(keys.clone()))
            ))?;
            for role in roles {
                ok_or_gone(send!("iam:UntagRole", iam.untag_role().role_name(role).set_tag_keys(Some(keys.clone()))))?;
            }
            Ok(ActionOutcome::Done)
        }
    }
}
