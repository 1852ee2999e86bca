//! MySQL on RDS: our instances (picked by tag from the region's listing),
//! the replica's lag from CloudWatch, and RDS-shaped ownership tags.

use warmstandby_api::TAG_UID;
use warmstandby_core::data::observed::ObservedDatabase;

use crate::clients::AwsContext;
use crate::errors::AwsError;
use crate::tags::Ownership;

/// Our databases among every instance of the region (RDS filters no tags).
pub(crate) fn ours(
    out: &aws_sdk_rds::operation::describe_db_instances::DescribeDbInstancesOutput,
    uid: &str,
) -> Vec<ObservedDatabase> {
    let mut found = Vec::new();
    for d in out.db_instances() {
        let ours = d.tag_list().iter().any(|t| t.key() == Some(TAG_UID) && t.value() == Some(uid));
        if !ours {
            continue;
        }
        found.push(ObservedDatabase {
            identifier: d.db_instance_identifier().unwrap_or_default().to_string(),
            arn: d.db_instance_arn().unwrap_or_default().to_string(),
            status: d.db_instance_status().unwrap_or_default().to_string(),
            endpoint: d.endpoint().and_then(|e| e.address()).map(str::to_string),
            instance_class: d.db_instance_class().unwrap_or_default().to_string(),
            engine_version: d.engine_version().unwrap_or_default().to_string(),
            allocated_storage_gib: d.allocated_storage().unwrap_or_default(),
            multi_az: d.multi_az().unwrap_or(false),
            storage_encrypted: d.storage_encrypted().unwrap_or(false),
            backup_retention_days: d.backup_retention_period().unwrap_or(0),
            deletion_protection: d.deletion_protection().unwrap_or(false),
            publicly_accessible: d.publicly_accessible().unwrap_or(false),
            subnet_group: d.db_subnet_group().and_then(|g| g.db_subnet_group_name()).map(str::to_string),
            security_group_ids: d
                .vpc_security_groups()
                .iter()
                .filter_map(|g| g.vpc_security_group_id().map(str::to_string))
                .collect(),
            replica_source: d.read_replica_source_db_instance_identifier().map(str::to_string),
            replica_lag_seconds: None,
            epoch: d
                .tag_list()
                .iter()
                .find(|t| t.key() == Some(warmstandby_api::TAG_EPOCH))
                .and_then(|t| t.value())
                .and_then(|v| v.parse().ok()),
        });
    }
    found
}

/// Latest ReplicaLag of a replica over the last 10 minutes, if CloudWatch has any.
pub(crate) async fn replica_lag(aws: &AwsContext, region: &str, identifier: &str) -> Result<Option<i64>, AwsError> {
    use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricStat};
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let metric = Metric::builder()
        .namespace("AWS/RDS")
        .metric_name("ReplicaLag")
        .dimensions(Dimension::builder().name("DBInstanceIdentifier").value(identifier).build())
        .build();
    let query = MetricDataQuery::builder()
        .id("lag")
        .metric_stat(MetricStat::builder().metric(metric).period(60).stat("Maximum").build())
        .build();
    let out = send!(
        "cloudwatch:GetMetricData",
        aws.cloudwatch(region)
            .get_metric_data()
            .metric_data_queries(query)
            .start_time(aws_smithy_types::DateTime::from_secs(now.saturating_sub(600) as i64))
            .end_time(aws_smithy_types::DateTime::from_secs(now as i64 + 60))
    )?;
    // Results come newest first.
    Ok(out.metric_data_results().first().and_then(|r| r.values().first()).map(|v| v.round() as i64))
}

/// Our tags in RDS's shape.
pub(crate) fn rds_tags(owner: &Ownership, component: &str, name: &str) -> Vec<aws_sdk_rds::types::Tag> {
    owner
        .tags(component, name)
        .into_iter()
        .map(|(k, v)| aws_sdk_rds::types::Tag::builder().key(k).value(v).build())
        .collect()
}
