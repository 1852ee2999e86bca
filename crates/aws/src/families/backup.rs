//! The backup family's AWS side: each region's vault, found by its name in
//! the region's shared listing, and the primary's plan (with its
//! cross-region copy rule and its selection), found by its name or, adopted,
//! by its ID; whose a vault or plan is, from its tags while
//! `spec.backup.adopt` names any or the backups are retained.

use warmstandby_core::Password;
use warmstandby_core::families::backup::{
    Backup, BackupAction, DesiredBackups, ObservedBackupPlan, ObservedBackupVault, ObservedBackups,
};
use warmstandby_core::identity::Claim;
use warmstandby_core::plan::ActionOutcome;

use super::{AwsFamily, Observation, Reading};
use crate::clients::AwsContext;
use crate::errors::{AwsError, ok_or_gone};
use crate::shared::Listing;
use crate::tags::Ownership;

impl AwsFamily for Backup {
    /// Both regions at once; a failed read counts against its region.
    async fn observe(
        aws: &AwsContext,
        desired: &[DesiredBackups; 2],
        owners: &[Ownership; 2],
        _reading: &Reading<'_>,
    ) -> Observation<[ObservedBackups; 2]> {
        Observation::each_region(|i| observe_region(aws, &desired[i], &owners[i])).await
    }

    async fn apply(
        aws: &AwsContext,
        region: &str,
        owner: &Ownership,
        action: &BackupAction,
        _password: &Password,
    ) -> Result<ActionOutcome, AwsError> {
        apply(aws, region, owner, action).await
    }
}

/// One region's vault (one batched listing, shared by the stacks of the
/// region) and plans.
async fn observe_region(
    aws: &AwsContext,
    desired: &DesiredBackups,
    owner: &Ownership,
) -> Result<ObservedBackups, AwsError> {
    let region = desired.region.as_str();
    let (vaults, plans) = tokio::try_join!(
        Box::pin(async {
            if desired.vault.is_some() { crate::fleet::backup_vaults(aws, region).await.map(Some) } else { Ok(None) }
        }),
        Box::pin(observe_backup_plans(aws, desired, owner)),
    )?;
    let mut out = ObservedBackups { plans, ..Default::default() };
    if let (Some(vaults), Some(name)) = (vaults, &desired.vault) {
        for v in vaults.iter().filter(|v| v.backup_vault_name() == Some(name.as_str())) {
            let arn = v.backup_vault_arn().unwrap_or_default().to_string();
            let claim = claim(aws, region, &arn, owner, desired.reads_claims()).await?;
            out.vaults.push(ObservedBackupVault { name: name.clone(), arn, claim });
        }
    }
    Ok(out)
}

/// Our backup plan (with its selections), found by its name in the
/// region's shared listing, or the adopted one by its ID. A plan's rules
/// are read again only when its version changes; its selections (which
/// carry no version) every pass.
pub(crate) async fn observe_backup_plans(
    aws: &AwsContext,
    desired: &DesiredBackups,
    owner: &Ownership,
) -> Result<Vec<ObservedBackupPlan>, AwsError> {
    let Some(want) = &desired.plan else { return Ok(Vec::new()) };
    let plans = crate::fleet::backup_plans(aws, &desired.region).await?;
    let mut found = Vec::new();
    let wanted = |p: &&aws_sdk_backup::types::BackupPlansListMember| match &want.adopt {
        Some(id) => p.backup_plan_id() == Some(id.as_str()),
        None => p.backup_plan_name() == Some(want.name.as_str()),
    };
    for p in plans.iter().filter(wanted) {
        let (Some(id), Some(version), Some(name)) = (p.backup_plan_id(), p.version_id(), p.backup_plan_name()) else {
            continue;
        };
        if let Some(mut plan) = observe_backup_plan(aws, &desired.region, id, version, name).await? {
            plan.arn = p.backup_plan_arn().unwrap_or_default().to_string();
            plan.claim = claim(aws, &desired.region, &plan.arn, owner, desired.reads_claims()).await?;
            found.push(plan);
        }
    }
    Ok(found)
}

/// Whose a vault or plan is: read from its tags when `read_tags`
/// (`DesiredBackups::reads_claims`); otherwise, found by our name, it is ours.
async fn claim(
    aws: &AwsContext,
    region: &str,
    arn: &str,
    owner: &Ownership,
    read_tags: bool,
) -> Result<Claim, AwsError> {
    if !read_tags || arn.is_empty() {
        return Ok(Claim::Created);
    }
    let tags = send!("backup:ListTags", aws.backup(region).list_tags().resource_arn(arn))?;
    Ok(Claim::of(tags.tags().into_iter().flatten().map(|(k, v)| (k.as_str(), v.as_str())), &owner.uid))
}

async fn observe_backup_plan(
    aws: &AwsContext,
    region: &str,
    id: &str,
    version: &str,
    name: &str,
) -> Result<Option<ObservedBackupPlan>, AwsError> {
    let backup = aws.backup(region);
    let (detail, selections) = tokio::try_join!(
        Box::pin(aws.shared().versioned(Listing::BackupPlans, id, version, || async {
            send!("backup:GetBackupPlan", backup.get_backup_plan().backup_plan_id(id).version_id(version))
        })),
        Box::pin(async { send!("backup:ListBackupSelections", backup.list_backup_selections().backup_plan_id(id)) }),
    )?;
    let Some(plan) = detail.backup_plan().filter(|p| p.backup_plan_name() == name) else { return Ok(None) };
    // A deleted plan may still be readable with a deletion date.
    if detail.deletion_date().is_some() {
        return Ok(None);
    }
    let rule = plan.rules().first();
    Ok(Some(ObservedBackupPlan {
        id: id.to_string(),
        arn: String::new(),
        claim: Claim::Created,
        target_vault: rule.map(|r| r.target_backup_vault_name().to_string()).unwrap_or_default(),
        name: name.to_string(),
        schedule: rule.and_then(|r| r.schedule_expression()).unwrap_or_default().to_string(),
        retention_days: rule.and_then(|r| r.lifecycle()).and_then(|l| l.delete_after_days()),
        copy_to_vault_arn: rule
            .and_then(|r| r.copy_actions().first())
            .map(|c| c.destination_backup_vault_arn().to_string()),
        selections: selections
            .backup_selections_list()
            .iter()
            .map(|s| {
                (s.selection_id().unwrap_or_default().to_string(), s.selection_name().unwrap_or_default().to_string())
            })
            .collect(),
    }))
}

/// The plan's input: a daily rule to `vault` with its retention and the
/// copy to the standby's vault.
fn backup_plan_input(
    vault: &str,
    name: &str,
    schedule: &str,
    retention_days: i32,
    copy_to_vault_arn: &str,
) -> Result<aws_sdk_backup::types::BackupPlanInput, AwsError> {
    let lifecycle = aws_sdk_backup::types::Lifecycle::builder().delete_after_days(i64::from(retention_days)).build();
    let rule = aws_sdk_backup::types::BackupRuleInput::builder()
        .rule_name("daily-with-copy")
        .target_backup_vault_name(vault)
        .schedule_expression(schedule)
        .lifecycle(lifecycle.clone())
        .copy_actions(
            aws_sdk_backup::types::CopyAction::builder()
                .destination_backup_vault_arn(copy_to_vault_arn)
                .lifecycle(lifecycle)
                .build()
                .map_err(|e| AwsError::build_failed("CreateBackupPlan", e))?,
        )
        .build()
        .map_err(|e| AwsError::build_failed("CreateBackupPlan", e))?;
    aws_sdk_backup::types::BackupPlanInput::builder()
        .backup_plan_name(name)
        .rules(rule)
        .build()
        .map_err(|e| AwsError::build_failed("CreateBackupPlan", e))
}

/// Executes one backup action in `region`.
async fn apply(
    aws: &AwsContext,
    region: &str,
    owner: &Ownership,
    action: &BackupAction,
) -> Result<ActionOutcome, AwsError> {
    let backup = aws.backup(region);
    match action {
        BackupAction::CreateBackupVault { name } => send!(
            "backup:CreateBackupVault",
            backup
                .create_backup_vault()
                .backup_vault_name(name)
                .set_backup_vault_tags(Some(owner.tags("backup-vault", name).into_iter().collect()))
        )
        .map(|_| ActionOutcome::Done),
        BackupAction::DeleteBackupVault { name } => {
            ok_or_gone(send!("backup:DeleteBackupVault", backup.delete_backup_vault().backup_vault_name(name)))
        }
        BackupAction::CreateBackupPlan { name, schedule, retention_days, vault, copy_to_vault_arn } => {
            let plan = backup_plan_input(vault, name, schedule, *retention_days, copy_to_vault_arn)?;
            let out = send!(
                "backup:CreateBackupPlan",
                backup
                    .create_backup_plan()
                    .backup_plan(plan)
                    .set_backup_plan_tags(Some(owner.tags("backup-plan", name).into_iter().collect()))
            )?;
            Ok(ActionOutcome::Created { id: out.backup_plan_id().unwrap_or_default().to_string() })
        }
        BackupAction::UpdateBackupPlan { plan_id, name, schedule, retention_days, vault, copy_to_vault_arn } => {
            let plan = backup_plan_input(vault, name, schedule, *retention_days, copy_to_vault_arn)?;
            send!("backup:UpdateBackupPlan", backup.update_backup_plan().backup_plan_id(plan_id).backup_plan(plan))
                .map(|_| ActionOutcome::Done)
        }
        BackupAction::CreateBackupSelection { plan_id, name, iam_role_arn } => {
            let selection = aws_sdk_backup::types::BackupSelection::builder()
                .selection_name(name)
                .iam_role_arn(iam_role_arn)
                .list_of_tags(
                    aws_sdk_backup::types::Condition::builder()
                        .condition_type(aws_sdk_backup::types::ConditionType::Stringequals)
                        .condition_key(warmstandby_api::TAG_STACK)
                        .condition_value(&owner.owner)
                        .build()
                        .map_err(|e| AwsError::build_failed("CreateBackupSelection", e))?,
                )
                .build()
                .map_err(|e| AwsError::build_failed("CreateBackupSelection", e))?;
            let out = send!(
                "backup:CreateBackupSelection",
                backup
                    .create_backup_selection()
                    .backup_plan_id(plan_id)
                    .backup_selection(selection)
                    .creator_request_id(owner.client_token(name))
            )?;
            Ok(ActionOutcome::Created { id: out.selection_id().unwrap_or_default().to_string() })
        }
        BackupAction::DeleteBackupSelection { plan_id, selection_id } => ok_or_gone(send!(
            "backup:DeleteBackupSelection",
            backup.delete_backup_selection().backup_plan_id(plan_id).selection_id(selection_id)
        )),
        BackupAction::DeleteBackupPlan { plan_id } => {
            ok_or_gone(send!("backup:DeleteBackupPlan", backup.delete_backup_plan().backup_plan_id(plan_id)))
        }
        BackupAction::AdoptBackupVault { arn, .. } | BackupAction::AdoptBackupPlan { arn, .. } => {
            // Checked again: someone may have claimed it since the plan.
            if let Claim::Foreign { other_owner: Some(other) } = claim(aws, region, arn, owner, true).await? {
                return Err(super::managed_by_another("backup:TagResource", arn, &other));
            }
            let component =
                if matches!(action, BackupAction::AdoptBackupVault { .. }) { "backup-vault" } else { "backup-plan" };
            let tags = crate::tags::adoption_tags(owner, component).into_iter().collect();
            send!("backup:TagResource", backup.tag_resource().resource_arn(arn).set_tags(Some(tags)))
                .map(|_| ActionOutcome::Done)
        }
        BackupAction::ReleaseBackupVault { arn, .. } | BackupAction::ReleaseBackupPlan { arn, .. } => {
            ok_or_gone(send!(
                "backup:UntagResource",
                backup.untag_resource().resource_arn(arn).set_tag_key_list(Some(crate::tags::our_tag_keys()))
            ))
        }
    }
}
