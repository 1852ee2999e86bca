//! A stack's data tier in one region: one concurrent observation of its
//! families (`security_groups`, `bastion`, `rds`, `backup`, the private
//! zone in `route53::private`) and one exhaustive dispatch of its actions.
//!
//! Each observe is one batched call per kind (RDS and Backup return every
//! resource of the region; ours are picked by tag or by our deterministic
//! names). Private zones are identified by their CallerReference, which we
//! derive from the owner, so a crash between CreateHostedZone and tagging
//! can never leave an unrecognised duplicate.

use aws_sdk_ec2::types::{Filter, ResourceType};
use warmstandby_api::RegionRole;
use warmstandby_core::Password;
use warmstandby_core::data::observed::{ObservedDataTier, ObservedDbSubnetGroup};
use warmstandby_core::data::plan::DataAction;
use warmstandby_core::desired::{DesiredDataTier, DesiredDatabase};
use warmstandby_core::network::plan::ActionOutcome;

use crate::clients::AwsContext;
use crate::errors::ok_or_gone;
use crate::errors::{AwsError, ErrorClass};
use crate::route53::private::{change_record, observe_zone, zone_caller_reference};
use crate::tags::{Ec2Tagging, Ownership, ec2_uid_filter};
use crate::{backup, bastion, rds, security_groups};

/// IDs from the last status that let observation read resources directly.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DataHints {
    pub private_zone_id: Option<String>,
    pub backup_plan_id: Option<String>,
}

/// Observes one region's data tier of one stack.
pub async fn observe(
    aws: &AwsContext,
    desired: &DesiredDataTier,
    owner: &Ownership,
    hints: &DataHints,
) -> Result<ObservedDataTier, AwsError> {
    let region = desired.region.as_str();
    let ec2 = aws.ec2(region);
    let rds = aws.rds(region);
    let backup = aws.backup(region);
    let uids = std::slice::from_ref(&owner.uid);
    let live_instances = Filter::builder()
        .name("instance-state-name")
        .values("pending")
        .values("running")
        .values("stopping")
        .values("stopped")
        .values("shutting-down")
        .build();
    // Instances of ours (the bastion) only ever live in the primary.
    let bastion_region = desired.role == RegionRole::Primary;
    let (sgs, instances, (dbs, subnet_groups), vaults, plans, zones) = tokio::try_join!(
        Box::pin(async {
            send!("ec2:DescribeSecurityGroups", ec2.describe_security_groups().filters(ec2_uid_filter(uids)))
        }),
        Box::pin(async {
            if !bastion_region {
                return Ok(None);
            }
            send!(
                "ec2:DescribeInstances",
                ec2.describe_instances().filters(ec2_uid_filter(uids)).filters(live_instances)
            )
            .map(Some)
        }),
        Box::pin(async {
            let dbs = send!("rds:DescribeDBInstances", rds.describe_db_instances())?;
            // A database reports its subnet group with the subnets: the
            // group is read on its own only while there is no database.
            let ours_exists = dbs.db_instances().iter().any(|d| {
                d.db_instance_identifier() == Some(desired.db_identifier.as_str())
                    && d.db_subnet_group().and_then(|g| g.db_subnet_group_name())
                        == Some(desired.db_subnet_group.as_str())
            });
            if ours_exists {
                return Ok((dbs, None));
            }
            match send!(
                "rds:DescribeDBSubnetGroups",
                rds.describe_db_subnet_groups().db_subnet_group_name(&desired.db_subnet_group)
            ) {
                Ok(out) => Ok((dbs, Some(out))),
                Err(e) if e.is_not_found() => Ok((dbs, None)),
                Err(e) => Err(e),
            }
        }),
        Box::pin(async {
            if desired.backup_vault.is_some() {
                send!("backup:ListBackupVaults", backup.list_backup_vaults()).map(Some)
            } else {
                Ok(None)
            }
        }),
        Box::pin(backup::observe_backup_plans(aws, desired, hints.backup_plan_id.as_deref())),
        Box::pin(observe_zone(aws, desired, owner, hints.private_zone_id.as_deref())),
    )?;

    let mut out = ObservedDataTier {
        security_groups: security_groups::ours(&sgs, &owner.uid),
        instances: bastion::ours(instances.as_ref(), &owner.uid),
        databases: rds::ours(&dbs, &owner.uid),
        ..Default::default()
    };
    // RDS reports replica lag only as a CloudWatch metric: one read, in the
    // replica's region only.
    if matches!(desired.database, DesiredDatabase::Replica { .. })
        && let Some(replica) = out.databases.iter_mut().find(|d| d.identifier == desired.db_identifier)
    {
        replica.replica_lag_seconds = rds::replica_lag(aws, region, &replica.identifier).await?;
    }
    if let Some(g) = dbs
        .db_instances()
        .iter()
        .find(|d| d.db_instance_identifier() == Some(desired.db_identifier.as_str()))
        .and_then(|d| d.db_subnet_group())
        .filter(|g| g.db_subnet_group_name() == Some(desired.db_subnet_group.as_str()))
    {
        out.db_subnet_groups.push(ObservedDbSubnetGroup {
            name: desired.db_subnet_group.clone(),
            subnet_ids: g.subnets().iter().filter_map(|s| s.subnet_identifier().map(str::to_string)).collect(),
        });
    }
    if let Some(groups) = subnet_groups {
        for g in groups.db_subnet_groups() {
            out.db_subnet_groups.push(ObservedDbSubnetGroup {
                name: g.db_subnet_group_name().unwrap_or_default().to_string(),
                subnet_ids: g.subnets().iter().filter_map(|s| s.subnet_identifier().map(str::to_string)).collect(),
            });
        }
    }
    if let (Some(vaults), Some(name)) = (vaults, &desired.backup_vault) {
        out.backup_vaults = vaults
            .backup_vault_list()
            .iter()
            .filter(|v| v.backup_vault_name() == Some(name.as_str()))
            .map(|v| (name.clone(), v.backup_vault_arn().unwrap_or_default().to_string()))
            .collect();
    }
    out.backup_plans = plans;
    out.private_zones = zones.into_iter().collect();
    Ok(out)
}

/// Executes one data-tier action in `region`. The password is read only here.
pub async fn apply(
    aws: &AwsContext,
    region: &str,
    owner: &Ownership,
    desired: &DesiredDataTier,
    password: &Password,
    action: &DataAction,
) -> Result<ActionOutcome, AwsError> {
    let ec2 = aws.ec2(region);
    let rds = aws.rds(region);
    let backup = aws.backup(region);
    match action {
        DataAction::CreateSecurityGroup { component, name, description, vpc_id } => {
            let out = send!(
                "ec2:CreateSecurityGroup",
                ec2.create_security_group()
                    .group_name(name)
                    .description(description)
                    .vpc_id(vpc_id)
                    .tag_specifications(owner.ec2_tag_spec(ResourceType::SecurityGroup, component, name))
            )?;
            Ok(ActionOutcome::Created { id: out.group_id().unwrap_or_default().to_string() })
        }
        DataAction::AuthorizeIngress { group_id, rule } => send!(
            "ec2:AuthorizeSecurityGroupIngress",
            ec2.authorize_security_group_ingress()
                .group_id(group_id)
                .ip_permissions(security_groups::ip_permission(rule))
        )
        .map(|_| ActionOutcome::Done),
        DataAction::RevokeIngress { group_id, rule } => ok_or_gone(send!(
            "ec2:RevokeSecurityGroupIngress",
            ec2.revoke_security_group_ingress().group_id(group_id).ip_permissions(security_groups::ip_permission(rule))
        )),
        DataAction::DeleteSecurityGroup { group_id } => {
            ok_or_gone(send!("ec2:DeleteSecurityGroup", ec2.delete_security_group().group_id(group_id)))
        }
        DataAction::RunBastion { component, name, image_id, instance_type, key_name, subnet_id, group_id } => {
            let out = send!(
                "ec2:RunInstances",
                ec2.run_instances()
                    .image_id(image_id)
                    .instance_type(aws_sdk_ec2::types::InstanceType::from(instance_type.as_str()))
                    .set_key_name(key_name.clone())
                    .subnet_id(subnet_id)
                    .security_group_ids(group_id)
                    .min_count(1)
                    .max_count(1)
                    .client_token(owner.client_token(component))
                    .tag_specifications(owner.ec2_tag_spec(ResourceType::Instance, component, name))
            )?;
            Ok(ActionOutcome::Created {
                id: out.instances().first().and_then(|i| i.instance_id()).unwrap_or_default().to_string(),
            })
        }
        DataAction::TerminateInstance { instance_id } => {
            ok_or_gone(send!("ec2:TerminateInstances", ec2.terminate_instances().instance_ids(instance_id)))
        }
        DataAction::CreateDbSubnetGroup { name, subnet_ids } => send!(
            "rds:CreateDBSubnetGroup",
            rds.create_db_subnet_group()
                .db_subnet_group_name(name)
                .db_subnet_group_description(format!("db tier of {}", owner.owner))
                .set_subnet_ids(Some(subnet_ids.clone()))
                .set_tags(Some(rds::rds_tags(owner, "db-subnet-group", name)))
        )
        .map(|_| ActionOutcome::Done),
        DataAction::DeleteDbSubnetGroup { name } => {
            ok_or_gone(send!("rds:DeleteDBSubnetGroup", rds.delete_db_subnet_group().db_subnet_group_name(name)))
        }
        DataAction::CreateWriter { identifier, subnet_group, group_id } => {
            let DesiredDatabase::Writer(w) = &desired.database else {
                return Err(AwsError::new(
                    ErrorClass::InvalidSpec,
                    "CreateDBInstance",
                    "NotWriter",
                    "this region holds the replica",
                ));
            };
            send!(
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
                    .set_tags(Some(rds::rds_tags(owner, "db-instance", identifier)))
            )
            .map(|_| ActionOutcome::Done)
        }
        DataAction::CreateReplica {
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
                .set_tags(Some(rds::rds_tags(owner, "db-instance", identifier)))
        )
        .map(|_| ActionOutcome::Done),
        DataAction::ModifyDatabase { identifier, changes } => {
            let mut req = rds.modify_db_instance().db_instance_identifier(identifier).apply_immediately(true);
            for (field, value) in changes {
                req = match field.as_str() {
                    "instanceClass" => req.db_instance_class(value),
                    "allocatedStorageGiB" => req.allocated_storage(value.parse().unwrap_or_default()),
                    "multiAz" => req.multi_az(value == "true"),
                    "backupRetentionDays" => req.backup_retention_period(value.parse().unwrap_or_default()),
                    "deletionProtection" => req.deletion_protection(value == "true"),
                    "publiclyAccessible" => req.publicly_accessible(value == "true"),
                    _ => req,
                };
            }
            send!("rds:ModifyDBInstance", req).map(|_| ActionOutcome::Done)
        }
        DataAction::TagGroupEpoch { group_id, epoch } => send!(
            "ec2:CreateTags",
            ec2.create_tags().resources(group_id).tags(
                aws_sdk_ec2::types::Tag::builder().key(warmstandby_api::TAG_EPOCH).value(epoch.to_string()).build()
            )
        )
        .map(|_| ActionOutcome::Done),
        DataAction::PromoteReplica { identifier, epoch } | DataAction::TagEpoch { identifier, epoch } => {
            if matches!(action, DataAction::PromoteReplica { .. }) {
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
        DataAction::UnprotectDatabase { identifier } => send!(
            "rds:ModifyDBInstance",
            rds.modify_db_instance()
                .db_instance_identifier(identifier)
                .deletion_protection(false)
                .apply_immediately(true)
        )
        .map(|_| ActionOutcome::Done),
        DataAction::DeleteDatabase { identifier, final_snapshot } => {
            let req = rds.delete_db_instance().db_instance_identifier(identifier).delete_automated_backups(false);
            let req = match final_snapshot {
                Some(s) => req.final_db_snapshot_identifier(s).skip_final_snapshot(false),
                None => req.skip_final_snapshot(true),
            };
            ok_or_gone(send!("rds:DeleteDBInstance", req))
        }
        DataAction::CreatePrivateZone { name, vpc_id, .. } => {
            let r53 = aws.route53();
            let out = send!(
                "route53:CreateHostedZone",
                r53.create_hosted_zone()
                    .name(name)
                    .caller_reference(zone_caller_reference(owner))
                    .vpc(
                        aws_sdk_route53::types::Vpc::builder()
                            .vpc_id(vpc_id)
                            .vpc_region(aws_sdk_route53::types::VpcRegion::from(region))
                            .build()
                    )
                    .hosted_zone_config(
                        aws_sdk_route53::types::HostedZoneConfig::builder()
                            .private_zone(true)
                            .comment(format!("warmstandby {} {}", owner.owner, owner.region_role.as_str()))
                            .build()
                    )
            )?;
            let id =
                out.hosted_zone().map(|z| z.id().trim_start_matches("/hostedzone/").to_string()).unwrap_or_default();
            let tags: Vec<aws_sdk_route53::types::Tag> = owner
                .tags("private-zone", name)
                .into_iter()
                .map(|(k, v)| aws_sdk_route53::types::Tag::builder().key(k).value(v).build())
                .collect();
            send!(
                "route53:ChangeTagsForResource",
                r53.change_tags_for_resource()
                    .resource_type(aws_sdk_route53::types::TagResourceType::Hostedzone)
                    .resource_id(&id)
                    .set_add_tags(Some(tags))
            )?;
            Ok(ActionOutcome::Created { id })
        }
        DataAction::UpsertRecord { zone_id, name, value } => {
            change_record(aws, zone_id, name, value, aws_sdk_route53::types::ChangeAction::Upsert).await
        }
        DataAction::DeleteRecord { zone_id, name, value } => {
            ok_or_gone(change_record(aws, zone_id, name, value, aws_sdk_route53::types::ChangeAction::Delete).await)
        }
        DataAction::DeletePrivateZone { zone_id } => {
            ok_or_gone(send!("route53:DeleteHostedZone", aws.route53().delete_hosted_zone().id(zone_id)))
        }
        DataAction::CreateBackupVault { name } => send!(
            "backup:CreateBackupVault",
            backup
                .create_backup_vault()
                .backup_vault_name(name)
                .set_backup_vault_tags(Some(owner.tags("backup-vault", name).into_iter().collect()))
        )
        .map(|_| ActionOutcome::Done),
        DataAction::DeleteBackupVault { name } => {
            ok_or_gone(send!("backup:DeleteBackupVault", backup.delete_backup_vault().backup_vault_name(name)))
        }
        DataAction::CreateBackupPlan { name, schedule, retention_days, copy_to_vault_arn } => {
            let plan = backup::backup_plan_input(desired, name, schedule, *retention_days, copy_to_vault_arn)?;
            let out = send!(
                "backup:CreateBackupPlan",
                backup
                    .create_backup_plan()
                    .backup_plan(plan)
                    .set_backup_plan_tags(Some(owner.tags("backup-plan", name).into_iter().collect()))
            )?;
            Ok(ActionOutcome::Created { id: out.backup_plan_id().unwrap_or_default().to_string() })
        }
        DataAction::UpdateBackupPlan { plan_id, name, schedule, retention_days, copy_to_vault_arn } => {
            let plan = backup::backup_plan_input(desired, name, schedule, *retention_days, copy_to_vault_arn)?;
            send!("backup:UpdateBackupPlan", backup.update_backup_plan().backup_plan_id(plan_id).backup_plan(plan))
                .map(|_| ActionOutcome::Done)
        }
        DataAction::CreateBackupSelection { plan_id, name, iam_role_arn } => {
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
        DataAction::DeleteBackupSelection { plan_id, selection_id } => ok_or_gone(send!(
            "backup:DeleteBackupSelection",
            backup.delete_backup_selection().backup_plan_id(plan_id).selection_id(selection_id)
        )),
        DataAction::DeleteBackupPlan { plan_id } => {
            ok_or_gone(send!("backup:DeleteBackupPlan", backup.delete_backup_plan().backup_plan_id(plan_id)))
        }
    }
}
