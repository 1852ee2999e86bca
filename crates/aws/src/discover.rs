//! Reads what a region already runs, for discovery: every VPC, subnet,
//! route table and DB instance, whoever made them. Read only.

use warmstandby_api::TAG_UID;
use warmstandby_core::discover::{SeenDatabase, SeenRegion, SeenSubnet, SeenVpc};
use warmstandby_core::network::observed::ObservedRouteTable;

use crate::clients::AwsContext;
use crate::errors::AwsError;
use crate::tags::ec2_tag;

/// One region, as discovery reads it: four paginated describes.
pub async fn read_region(aws: &AwsContext, region: &str) -> Result<SeenRegion, AwsError> {
    let ec2 = aws.ec2(region);
    let (vpcs, subnets, tables, dbs): (Vec<_>, Vec<_>, Vec<_>, Vec<_>) = tokio::try_join!(
        Box::pin(async { send_all!("ec2:DescribeVpcs", ec2.describe_vpcs()) }),
        Box::pin(async { send_all!("ec2:DescribeSubnets", ec2.describe_subnets()) }),
        Box::pin(async { send_all!("ec2:DescribeRouteTables", ec2.describe_route_tables()) }),
        Box::pin(async { send_all!("rds:DescribeDBInstances", aws.rds(region).describe_db_instances()) }),
    )?;
    let vpcs = vpcs
        .iter()
        .filter_map(|v: &aws_sdk_ec2::types::Vpc| {
            Some(SeenVpc {
                id: v.vpc_id()?.to_string(),
                cidr: v.cidr_block().unwrap_or_default().to_string(),
                name: ec2_tag(v.tags(), "Name").map(str::to_string),
                default: v.is_default().unwrap_or(false),
                ours: ec2_tag(v.tags(), TAG_UID).is_some(),
            })
        })
        .collect();
    let subnets = subnets
        .iter()
        .filter_map(|s: &aws_sdk_ec2::types::Subnet| {
            Some(SeenSubnet {
                id: s.subnet_id()?.to_string(),
                vpc_id: s.vpc_id().unwrap_or_default().to_string(),
                zone: s.availability_zone().unwrap_or_default().to_string(),
                cidr: s.cidr_block().unwrap_or_default().to_string(),
                name: ec2_tag(s.tags(), "Name").map(str::to_string),
            })
        })
        .collect();
    let route_tables: Vec<ObservedRouteTable> =
        tables.iter().filter_map(|t| crate::network::route_table(t, String::new())).collect();
    let databases = dbs
        .iter()
        .filter_map(|d: &aws_sdk_rds::types::DbInstance| {
            let group = d.db_subnet_group();
            Some(SeenDatabase {
                identifier: d.db_instance_identifier()?.to_string(),
                engine: d.engine().unwrap_or_default().to_string(),
                vpc_id: group.and_then(|g| g.vpc_id()).map(str::to_string),
                subnet_ids: group
                    .map(|g| g.subnets().iter().filter_map(|s| s.subnet_identifier().map(str::to_string)).collect())
                    .unwrap_or_default(),
                replica_source: d.read_replica_source_db_instance_identifier().map(str::to_string),
                arn: d.db_instance_arn().unwrap_or_default().to_string(),
            })
        })
        .collect();
    Ok(SeenRegion { region: region.to_string(), vpcs, subnets, route_tables, databases })
}
