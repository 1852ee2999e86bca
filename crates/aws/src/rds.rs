//! MySQL on RDS: our instances (picked by tag from the region's listing),
//! the replica's lag from CloudWatch, and RDS-shaped ownership tags.

use crate::errors::ok_or_gone;
use warmstandby_api::TAG_UID;
use warmstandby_core::Password;
use warmstandby_core::data::observed::ObservedDatabase;
use warmstandby_core::data::plan::DatabaseAction;
use warmstandby_core::plan::ActionOutcome;

use crate::clients::AwsContext;
use crate::errors::AwsError;
use crate::tags::Ownership;

/// This owner's tag is on the instance.
pub(crate) fn is_ours(db: &aws_sdk_rds::types::DbInstance, uid: &str) -> bool {
    db.tag_list().iter().any(|t| t.key() == Some(TAG_UID) && t.value() == Some(uid))
}

/// Our databases among every instance of the region (RDS filters no tags),
/// and the one `adopt` names if it is not ours yet.
pub(crate) fn ours(
    dbs: &[aws_sdk_rds::types::DbInstance],
    uid: &str,
    adopt: Option<&str>,
) -> (Vec<ObservedDatabase>, Vec<ObservedDatabase>) {
    let (mut found, mut adoptable) = (Vec::new(), Vec::new());
    for d in dbs {
        let tag = |key: &str| d.tag_list().iter().find(|t| t.key() == Some(key)).and_then(|t| t.value());
        let into = if is_ours(d, uid) {
            &mut found
        } else if adopt.is_some() && d.db_instance_identifier() == adopt {
            &mut adoptable
        } else {
            continue;
        };
        into.push(ObservedDatabase {
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
            replication_reading: warmstandby_core::replication::Reading {
                status_info: d.status_infos().iter().find(|s| s.status_type() == Some("read replication")).map(|s| {
                    warmstandby_core::replication::StatusInfo {
                        status: s.status().unwrap_or_default().to_string(),
                        normal: s.normal().unwrap_or(true),
                        message: s.message().map(str::to_string),
                    }
                }),
                points: Vec::new(),
            },
            replication: Default::default(),
            epoch: tag(warmstandby_api::TAG_EPOCH).and_then(|v| v.parse().ok()),
            vpc_id: d.db_subnet_group().and_then(|g| g.vpc_id()).map(str::to_string),
            master_username: d.master_username().unwrap_or_default().to_string(),
            other_owner: warmstandby_core::identity::managed_by_another(
                d.tag_list().iter().filter_map(|t| Some((t.key()?, t.value().unwrap_or_default()))),
                uid,
            ),
            adopted_at: tag(warmstandby_api::TAG_ADOPTED).map(str::to_string),
        });
    }
    (found, adoptable)
}

/// Removes our tags from `arn` (a retained instance or subnet group).
async fn release(aws: &AwsContext, region: &str, arn: &str) -> Result<ActionOutcome, AwsError> {
    ok_or_gone(send!(
        "rds:RemoveTagsFromResource",
        aws.rds(region).remove_tags_from_resource().resource_name(arn).set_tag_keys(Some(crate::tags::our_tag_keys()))
    ))
}

/// ReplicaLag datapoints over the last 10 minutes of each of `identifiers`
/// (at most 500, GetMetricData's limit), newest first as (seconds since the
/// epoch, value); `-1` (replication not running) is kept as published.
pub(crate) async fn replica_lags(
    aws: &AwsContext,
    region: &str,
    identifiers: &[String],
) -> Result<Vec<(String, Vec<(i64, i64)>)>, AwsError> {
    use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricStat};
    if identifiers.is_empty() {
        return Ok(Vec::new());
    }
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let queries = identifiers.iter().enumerate().map(|(i, identifier)| {
        let metric = Metric::builder()
            .namespace("AWS/RDS")
            .metric_name("ReplicaLag")
            .dimensions(Dimension::builder().name("DBInstanceIdentifier").value(identifier).build())
            .build();
        MetricDataQuery::builder()
            .id(format!("lag{i}"))
            .metric_stat(MetricStat::builder().metric(metric).period(60).stat("Maximum").build())
            .build()
    });
    let out = send!(
        "cloudwatch:GetMetricData",
        aws.cloudwatch(region)
            .get_metric_data()
            .set_metric_data_queries(Some(queries.collect()))
            .start_time(aws_smithy_types::DateTime::from_secs(now.saturating_sub(600) as i64))
            .end_time(aws_smithy_types::DateTime::from_secs(now as i64 + 60))
    )?;
    Ok(identifiers
        .iter()
        .enumerate()
        .map(|(i, identifier)| {
            let id = format!("lag{i}");
            let mut points: Vec<(i64, i64)> = out
                .metric_data_results()
                .iter()
                .find(|r| r.id() == Some(id.as_str()))
                .map(|r| r.timestamps().iter().zip(r.values()).map(|(t, v)| (t.secs(), v.round() as i64)).collect())
                .unwrap_or_default();
            points.sort_by_key(|p| std::cmp::Reverse(p.0));
            (identifier.clone(), points)
        })
        .collect())
}

/// Our tags in RDS's shape.
pub(crate) fn rds_tags(owner: &Ownership, component: &str, name: &str) -> Vec<aws_sdk_rds::types::Tag> {
    owner
        .tags(component, name)
        .into_iter()
        .map(|(k, v)| aws_sdk_rds::types::Tag::builder().key(k).value(v).build())
        .collect()
}

/// Executes one database action in `region`. The password is read only here.
pub(crate) async fn apply(
    aws: &AwsContext,
    region: &str,
    owner: &Ownership,
    password: &Password,
    action: &DatabaseAction,
) -> Result<ActionOutcome, AwsError> {
    let rds = aws.rds(region);
    match action {
        DatabaseAction::CreateDbSubnetGroup { name, subnet_ids } => send!(
            "rds:CreateDBSubnetGroup",
            rds.create_db_subnet_group()
                .db_subnet_group_name(name)
                .db_subnet_group_description(format!("db tier of {}", owner.owner))
                .set_subnet_ids(Some(subnet_ids.clone()))
                .set_tags(Some(rds_tags(owner, "db-subnet-group", name)))
        )
        .map(|_| ActionOutcome::Done),
        DatabaseAction::DeleteDbSubnetGroup { name } => {
            ok_or_gone(send!("rds:DeleteDBSubnetGroup", rds.delete_db_subnet_group().db_subnet_group_name(name)))
        }
        DatabaseAction::CreateWriter { identifier, subnet_group, group_id, settings: w } => send!(
            "rds:CreateDBInstance",
            rds.create_db_instance()
                .db_instance_identifier(identifier)
                .db_instance_class(&w.instance_class)
                .engine("mysql")
                .engine_version(&w.engine_version)
                .master_username(&w.master_username)
                .master_user_password(password.expose())
                .allocated_storage(w.allocated_storage_gib)
                .multi_az(w.multi_az)
                .storage_encrypted(w.storage_encrypted)
                .backup_retention_period(w.backup_retention_days)
                .deletion_protection(w.deletion_protection)
                .publicly_accessible(false)
                .db_subnet_group_name(subnet_group)
                .vpc_security_group_ids(group_id)
                .db_name(&w.database_name)
                .port(w.port)
                .set_tags(Some(rds_tags(owner, "db-instance", identifier)))
        )
        .map(|_| ActionOutcome::Done),
        DatabaseAction::CreateReplica {
            identifier,
            source_arn,
            subnet_group,
            group_id,
            instance_class,
            deletion_protection,
            kms_key_id,
            ..
        } => send!(
            "rds:CreateDBInstanceReadReplica",
            rds.create_db_instance_read_replica()
                .db_instance_identifier(identifier)
                .source_db_instance_identifier(source_arn)
                .db_instance_class(instance_class)
                .db_subnet_group_name(subnet_group)
                .vpc_security_group_ids(group_id)
                .publicly_accessible(false)
                .deletion_protection(*deletion_protection)
                .set_kms_key_id(kms_key_id.clone())
                .set_tags(Some(rds_tags(owner, "db-instance", identifier)))
        )
        .map(|_| ActionOutcome::Done),
        DatabaseAction::ModifyDatabase { identifier, changes } => {
            let mut req = rds.modify_db_instance().db_instance_identifier(identifier).apply_immediately(true);
            for (field, value) in changes {
                req = match field.as_str() {
                    "instanceClass" => req.db_instance_class(value),
                    "allocatedStorageGiB" => req.allocated_storage(value.parse().unwrap_or_default()),
                    "multiAz" => req.multi_az(value == "true"),
                    "backupRetentionDays" => req.backup_retention_period(value.parse().unwrap_or_default()),
                    "deletionProtection" => req.deletion_protection(value == "true"),
                    "publiclyAccessible" => req.publicly_accessible(value == "true"),
                    "securityGroups" => {
                        req.set_vpc_security_group_ids(Some(value.split(',').map(str::to_string).collect()))
                    }
                    _ => req,
                };
            }
            send!("rds:ModifyDBInstance", req).map(|_| ActionOutcome::Done)
        }
        DatabaseAction::PromoteReplica { identifier, epoch } | DatabaseAction::TagEpoch { identifier, epoch } => {
            if matches!(action, DatabaseAction::PromoteReplica { .. }) {
                send!("rds:PromoteReadReplica", rds.promote_read_replica().db_instance_identifier(identifier))?;
            }
            // The epoch marks who promoted it: an older failover never undoes this.
            let found =
                send!("rds:DescribeDBInstances", rds.describe_db_instances().db_instance_identifier(identifier))?;
            if let Some(arn) = found.db_instances().first().and_then(|d| d.db_instance_arn()) {
                send!(
                    "rds:AddTagsToResource",
                    rds.add_tags_to_resource().resource_name(arn).tags(
                        aws_sdk_rds::types::Tag::builder()
                            .key(warmstandby_api::TAG_EPOCH)
                            .value(epoch.to_string())
                            .build()
                    )
                )?;
            }
            Ok(ActionOutcome::Done)
        }
        DatabaseAction::UnprotectDatabase { identifier } => send!(
            "rds:ModifyDBInstance",
            rds.modify_db_instance()
                .db_instance_identifier(identifier)
                .deletion_protection(false)
                .apply_immediately(true)
        )
        .map(|_| ActionOutcome::Done),
        DatabaseAction::AdoptDatabase { arn, .. } => {
            // Ours from now on: the stack's tags (not its Name: the
            // instance keeps its own) and when it was adopted.
            let tags = crate::tags::adoption_tags(owner, "db-instance")
                .into_iter()
                .map(|(k, v)| aws_sdk_rds::types::Tag::builder().key(k).value(v).build())
                .collect();
            send!("rds:AddTagsToResource", rds.add_tags_to_resource().resource_name(arn).set_tags(Some(tags)))
                .map(|_| ActionOutcome::Done)
        }
        DatabaseAction::ReleaseDatabase { arn, .. } | DatabaseAction::ReleaseDbSubnetGroup { arn, .. } => {
            release(aws, region, arn).await
        }
        DatabaseAction::DeleteDatabase { identifier, final_snapshot } => {
            let req = rds.delete_db_instance().db_instance_identifier(identifier).delete_automated_backups(false);
            let req = match final_snapshot {
                Some(s) => req.final_db_snapshot_identifier(s).skip_final_snapshot(false),
                None => req.skip_final_snapshot(true),
            };
            ok_or_gone(send!("rds:DeleteDBInstance", req))
        }
    }
}
