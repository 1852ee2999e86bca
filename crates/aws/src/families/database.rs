//! The database family's AWS side: each region's DB subnet group and
//! instance (RDS returns every instance of the region, shared by the stacks
//! of the region; ours are picked by tag or by our deterministic names),
//! with a replica's lag, and its calls (`rds`).

use warmstandby_core::Password;
use warmstandby_core::data::actions::DatabaseAction;
use warmstandby_core::data::observed::{ObservedDataTier, ObservedDbSubnetGroup};
use warmstandby_core::desired::{DesiredDataTier, DesiredDatabase};
use warmstandby_core::families::database::Database;
use warmstandby_core::plan::ActionOutcome;

use super::{AwsFamily, Observation, Reading};
use crate::clients::AwsContext;
use crate::errors::AwsError;
use crate::tags::Ownership;
use crate::{fleet, rds};

impl AwsFamily for Database {
    /// Both regions at once; a failed read counts against its region.
    async fn observe(
        aws: &AwsContext,
        desired: &[DesiredDataTier; 2],
        owners: &[Ownership; 2],
        _reading: &Reading<'_>,
    ) -> Observation<[ObservedDataTier; 2]> {
        Observation::each_region(|i| observe(aws, &desired[i], &owners[i])).await
    }

    /// Only the database's calls that write the password read it.
    async fn apply(
        aws: &AwsContext,
        region: &str,
        owner: &Ownership,
        action: &DatabaseAction,
        password: &Password,
    ) -> Result<ActionOutcome, AwsError> {
        rds::apply(aws, region, owner, password, action).await
    }
}

/// Observes one region's database of one stack.
async fn observe(aws: &AwsContext, desired: &DesiredDataTier, owner: &Ownership) -> Result<ObservedDataTier, AwsError> {
    let region = desired.region.as_str();
    let rds = aws.rds(region);
    let (dbs, subnet_groups) = {
        async {
            // A database reports its subnet group with the subnets: the
            // group is read on its own only while there is no database.
            let dbs = fleet::db_instances(aws, region).await?;
            let ours_exists = dbs.iter().any(|d| {
                d.db_instance_identifier() == Some(desired.db_identifier.as_str())
                    && d.db_subnet_group().and_then(|g| g.db_subnet_group_name())
                        == Some(desired.db_subnet_group.as_str())
                    && rds::is_ours(d, &owner.uid)
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
        }
        .await?
    };

    let (databases, adoptable) =
        rds::ours(&dbs, &owner.uid, Some(desired.db_identifier.as_str()).filter(|_| desired.adopt));
    let mut out = ObservedDataTier { databases, adoptable, ..Default::default() };
    // RDS reports replica lag only as a CloudWatch metric: one read of
    // every replica of ours in the replica's region.
    if matches!(desired.database, DesiredDatabase::Replica { .. })
        && let Some(replica) = out.databases.iter_mut().find(|d| d.identifier == desired.db_identifier)
    {
        replica.replication_reading.points =
            fleet::replica_lags(aws, region, &dbs).await?.get(&replica.identifier).cloned().unwrap_or_default();
    }
    if let Some(g) = dbs
        .iter()
        .find(|d| d.db_instance_identifier() == Some(desired.db_identifier.as_str()) && rds::is_ours(d, &owner.uid))
        .and_then(|d| d.db_subnet_group())
        .filter(|g| g.db_subnet_group_name() == Some(desired.db_subnet_group.as_str()))
    {
        out.db_subnet_groups.push(ObservedDbSubnetGroup {
            name: desired.db_subnet_group.clone(),
            subnet_ids: g.subnets().iter().filter_map(|s| s.subnet_identifier().map(str::to_string)).collect(),
            arn: g.db_subnet_group_arn().unwrap_or_default().to_string(),
        });
    }
    if let Some(groups) = subnet_groups {
        // Read by our name; one an instance that is not ours uses (a
        // retained database's, left untagged) is not ours to manage.
        let used_by_others = |name: &str| {
            dbs.iter().any(|d| {
                !rds::is_ours(d, &owner.uid) && d.db_subnet_group().and_then(|g| g.db_subnet_group_name()) == Some(name)
            })
        };
        for g in groups.db_subnet_groups() {
            let name = g.db_subnet_group_name().unwrap_or_default();
            if used_by_others(name) {
                continue;
            }
            out.db_subnet_groups.push(ObservedDbSubnetGroup {
                name: name.to_string(),
                subnet_ids: g.subnets().iter().filter_map(|s| s.subnet_identifier().map(str::to_string)).collect(),
                arn: g.db_subnet_group_arn().unwrap_or_default().to_string(),
            });
        }
    }
    Ok(out)
}
