//! AWS Backup: the stack's plan (with its cross-region copy rule and its
//! selection), read by the ID of the last status or found by its name.

use warmstandby_core::data::observed::ObservedBackupPlan;
use warmstandby_core::desired::DesiredDataTier;

use crate::clients::AwsContext;
use crate::errors::AwsError;

/// Our backup plan (with its selections): read directly by the ID of the
/// last status, or found by its name.
pub(crate) async fn observe_backup_plans(
    aws: &AwsContext,
    desired: &DesiredDataTier,
    hint: Option<&str>,
) -> Result<Vec<ObservedBackupPlan>, AwsError> {
    let Some(want) = &desired.backup_plan else { return Ok(Vec::new()) };
    let backup = aws.backup(&desired.region);
    let mut ids: Vec<String> = Vec::new();
    let mut found = Vec::new();
    if let Some(id) = hint {
        match observe_backup_plan(aws, &desired.region, id, &want.name).await {
            Ok(Some(p)) => return Ok(vec![p]),
            Ok(None) => {}
            Err(e) if e.is_not_found() => {}
            Err(e) => return Err(e),
        }
    }
    let plans = send!("backup:ListBackupPlans", backup.list_backup_plans())?;
    for p in plans.backup_plans_list().iter().filter(|p| p.backup_plan_name() == Some(want.name.as_str())) {
        ids.push(p.backup_plan_id().unwrap_or_default().to_string());
    }
    for id in ids {
        if let Some(p) = observe_backup_plan(aws, &desired.region, &id, &want.name).await? {
            found.push(p);
        }
    }
    Ok(found)
}

async fn observe_backup_plan(
    aws: &AwsContext,
    region: &str,
    id: &str,
    name: &str,
) -> Result<Option<ObservedBackupPlan>, AwsError> {
    let backup = aws.backup(region);
    let (detail, selections) = tokio::try_join!(
        Box::pin(async { send!("backup:GetBackupPlan", backup.get_backup_plan().backup_plan_id(id)) }),
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

/// The plan's input: a daily rule with its retention and the copy to the standby's vault.
pub(crate) fn backup_plan_input(
    desired: &DesiredDataTier,
    name: &str,
    schedule: &str,
    retention_days: i32,
    copy_to_vault_arn: &str,
) -> Result<aws_sdk_backup::types::BackupPlanInput, AwsError> {
    let lifecycle = aws_sdk_backup::types::Lifecycle::builder().delete_after_days(i64::from(retention_days)).build();
    let rule = aws_sdk_backup::types::BackupRuleInput::builder()
        .rule_name("daily-with-copy")
        .target_backup_vault_name(desired.backup_vault.clone().unwrap_or_default())
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
