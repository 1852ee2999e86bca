//! The alarm family's AWS side: the CloudWatch alarm on the health check's
//! status metric (us-east-1, where Route 53 publishes health check
//! metrics), read from the fleet's shared read by name.

use aws_sdk_cloudwatch::types::{ComparisonOperator, Dimension, Statistic, Tag};
use warmstandby_api::{GLOBAL_REGION, TAG_UID};
use warmstandby_core::Password;
use warmstandby_core::families::alarm::{Alarm, AlarmAction, AlarmConfig, DesiredAlarm, ObservedAlarm};
use warmstandby_core::plan::{ActionOutcome, Place};

use super::{AwsFamily, Observation, Reading};
use super::{not_ours, ok_or_gone};
use crate::clients::AwsContext;
use crate::errors::AwsError;
use crate::tags::Ownership;

impl AwsFamily for Alarm {
    /// Without an alarm in the spec, the fleet's read stops asking for its name.
    async fn observe(
        aws: &AwsContext,
        desired: &Option<DesiredAlarm>,
        owners: &[Ownership; 2],
        _reading: &Reading<'_>,
    ) -> Observation<Option<ObservedAlarm>> {
        match desired {
            Some(a) => Observation::at(Place::Global, observe(aws, &owners[0], &a.name).await),
            None => {
                crate::fleet::forget_alarm(aws, &owners[0].uid);
                Observation::default()
            }
        }
    }

    async fn apply(
        aws: &AwsContext,
        _region: &str,
        owner: &Ownership,
        action: &AlarmAction,
        _password: &Password,
    ) -> Result<ActionOutcome, AwsError> {
        apply(aws, owner, action).await
    }
}

/// Our alarm from the fleet's shared read by name (at most five seconds
/// old: its state is a failure signal).
async fn observe(aws: &AwsContext, owner: &Ownership, name: &str) -> Result<Option<ObservedAlarm>, AwsError> {
    let alarm = crate::fleet::alarm(aws, &owner.uid, name).await?;
    Ok(alarm.map(|a| {
        let mut actions: Vec<String> = a.alarm_actions().to_vec();
        actions.sort();
        ObservedAlarm {
            name: name.to_string(),
            state: a.state_value().map(|s| s.as_str().to_string()).unwrap_or_default(),
            config: AlarmConfig {
                health_check_id: a
                    .dimensions()
                    .iter()
                    .find(|d| d.name() == Some("HealthCheckId"))
                    .and_then(|d| d.value())
                    .unwrap_or_default()
                    .to_string(),
                actions,
            },
        }
    }))
}

/// An existing alarm of that name must be ours before it is overwritten or deleted.
async fn check_owner(aws: &AwsContext, name: &str, owner: &Ownership, op: &str) -> Result<bool, AwsError> {
    let cw = aws.cloudwatch(GLOBAL_REGION);
    let found = send!("cloudwatch:DescribeAlarms", cw.describe_alarms().alarm_names(name))?;
    let Some(arn) = found.metric_alarms().first().and_then(|a| a.alarm_arn()) else { return Ok(false) };
    let tags = send!("cloudwatch:ListTagsForResource", cw.list_tags_for_resource().resource_arn(arn))?;
    if tags.tags().iter().any(|t| t.key() == Some(TAG_UID) && t.value() == Some(owner.uid.as_str())) {
        Ok(true)
    } else {
        Err(not_ours(op, name))
    }
}

async fn apply(aws: &AwsContext, owner: &Ownership, action: &AlarmAction) -> Result<ActionOutcome, AwsError> {
    let cw = aws.cloudwatch(GLOBAL_REGION);
    match action {
        AlarmAction::PutAlarm { name, config } => {
            check_owner(aws, name, owner, "cloudwatch:PutMetricAlarm").await?;
            let tags = owner
                .tags("alarm/api-health", name)
                .into_iter()
                .map(|(k, v)| Tag::builder().key(k).value(v).build())
                .collect();
            send!(
                "cloudwatch:PutMetricAlarm",
                cw.put_metric_alarm()
                    .alarm_name(name)
                    .alarm_description(format!("api health check of {} failing", owner.owner))
                    .namespace("AWS/Route53")
                    .metric_name("HealthCheckStatus")
                    .dimensions(Dimension::builder().name("HealthCheckId").value(&config.health_check_id).build())
                    .statistic(Statistic::Minimum)
                    .period(60)
                    .evaluation_periods(1)
                    .threshold(1.0)
                    .comparison_operator(ComparisonOperator::LessThanThreshold)
                    .treat_missing_data("breaching")
                    .set_alarm_actions(Some(config.actions.clone()))
                    .set_tags(Some(tags))
            )
            .map(|_| ActionOutcome::Done)
        }
        AlarmAction::DeleteAlarm { name } => {
            if !check_owner(aws, name, owner, "cloudwatch:DeleteAlarms").await? {
                return Ok(ActionOutcome::NotFound);
            }
            ok_or_gone(send!("cloudwatch:DeleteAlarms", cw.delete_alarms().alarm_names(name)))
        }
    }
}

/// Sets the alarm's state by hand, as CloudWatch's `SetAlarmState` does for
/// testing actions: the demo's outage, until the next evaluation.
pub async fn set_state(aws: &AwsContext, name: &str, failing: bool, reason: &str) -> Result<(), AwsError> {
    let state =
        if failing { aws_sdk_cloudwatch::types::StateValue::Alarm } else { aws_sdk_cloudwatch::types::StateValue::Ok };
    send!(
        "cloudwatch:SetAlarmState",
        aws.cloudwatch(GLOBAL_REGION).set_alarm_state().alarm_name(name).state_value(state).state_reason(reason)
    )?;
    Ok(())
}
