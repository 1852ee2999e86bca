//! Reads what a region already runs, for discovery: every VPC, subnet,
//! route table, DB instance, application load balancer (with where its
//! listeners forward), target group and auto scaling group, whoever made
//! them. Read only.

use warmstandby_api::TAG_UID;
use warmstandby_core::discover::{
    SeenAutoScalingGroup, SeenBackupPlan, SeenDatabase, SeenDistribution, SeenGlobal, SeenHealthCheck,
    SeenLoadBalancer, SeenRegion, SeenSubnet, SeenTargetGroup, SeenVpc,
};
use warmstandby_core::network::observed::ObservedRouteTable;

use crate::clients::AwsContext;
use crate::errors::AwsError;
use crate::tags::ec2_tag;

/// The account's distributions (with their origins) and health checks:
/// the two listings the operator shares anyway.
pub async fn read_global(aws: &AwsContext) -> Result<SeenGlobal, AwsError> {
    let (distributions, checks) =
        tokio::try_join!(Box::pin(crate::fleet::distributions(aws)), Box::pin(crate::fleet::health_checks(aws)),)?;
    Ok(SeenGlobal {
        distributions: distributions
            .iter()
            .map(|d| SeenDistribution {
                id: d.id().to_string(),
                origins: d
                    .origins()
                    .map(|o| o.items().iter().map(|i| i.domain_name().to_string()).collect())
                    .unwrap_or_default(),
                certificate: d.viewer_certificate().and_then(|v| v.acm_certificate_arn()).map(str::to_string),
            })
            .collect(),
        health_checks: checks
            .iter()
            .map(|h| SeenHealthCheck {
                id: h.id().to_string(),
                fqdn: h
                    .health_check_config()
                    .and_then(|c| c.fully_qualified_domain_name())
                    .unwrap_or_default()
                    .to_string(),
            })
            .collect(),
    })
}

/// One region, as discovery reads it: seven paginated describes, and the
/// listeners of each internet-facing application load balancer. Tags are
/// not read for load balancers: a stack's own tiers are told by their
/// auto scaling groups' tags, which the listing carries.
pub async fn read_region(aws: &AwsContext, region: &str) -> Result<SeenRegion, AwsError> {
    let ec2 = aws.ec2(region);
    let elb = aws.elbv2(region);
    let (vpcs, subnets, tables, dbs): (Vec<_>, Vec<_>, Vec<_>, Vec<_>) = tokio::try_join!(
        Box::pin(async { send_all!("ec2:DescribeVpcs", ec2.describe_vpcs()) }),
        Box::pin(async { send_all!("ec2:DescribeSubnets", ec2.describe_subnets()) }),
        Box::pin(async { send_all!("ec2:DescribeRouteTables", ec2.describe_route_tables()) }),
        Box::pin(async { send_all!("rds:DescribeDBInstances", aws.rds(region).describe_db_instances()) }),
    )?;
    let (lbs, tgs, groups): (Vec<_>, Vec<_>, Vec<_>) = tokio::try_join!(
        Box::pin(async { send_all!("elasticloadbalancing:DescribeLoadBalancers", elb.describe_load_balancers()) }),
        Box::pin(async { send_all!("elasticloadbalancing:DescribeTargetGroups", elb.describe_target_groups()) }),
        Box::pin(async {
            send_all!("autoscaling:DescribeAutoScalingGroups", aws.autoscaling(region).describe_auto_scaling_groups())
        }),
    )?;
    let mut load_balancers = Vec::new();
    for lb in lbs.iter().filter(|l: &&aws_sdk_elasticloadbalancingv2::types::LoadBalancer| {
        l.r#type().is_some_and(|t| t.as_str() == "application")
    }) {
        let (Some(name), Some(arn)) = (lb.load_balancer_name(), lb.load_balancer_arn()) else { continue };
        let scheme = lb.scheme().map(|s| s.as_str().to_string()).unwrap_or_default();
        let (mut forwards_to, mut certificates) = (Vec::new(), Vec::new());
        if scheme == "internet-facing" {
            let listeners: Vec<aws_sdk_elasticloadbalancingv2::types::Listener> =
                send_all!("elasticloadbalancing:DescribeListeners", elb.describe_listeners().load_balancer_arn(arn))?;
            forwards_to.extend(listeners.iter().flat_map(crate::families::load_balancing::forward_targets));
            certificates.extend(
                listeners
                    .iter()
                    .flat_map(|l| l.certificates().iter().filter_map(|c| c.certificate_arn()))
                    .map(str::to_string),
            );
        }
        load_balancers.push(SeenLoadBalancer {
            name: name.to_string(),
            dns_name: lb.dns_name().unwrap_or_default().to_string(),
            vpc_id: lb.vpc_id().unwrap_or_default().to_string(),
            scheme,
            forwards_to,
            certificates,
        });
    }
    let target_groups = tgs
        .iter()
        .filter_map(|t: &aws_sdk_elasticloadbalancingv2::types::TargetGroup| {
            Some(SeenTargetGroup { name: t.target_group_name()?.to_string(), arn: t.target_group_arn()?.to_string() })
        })
        .collect();
    let auto_scaling_groups = groups
        .iter()
        .map(|g: &aws_sdk_autoscaling::types::AutoScalingGroup| SeenAutoScalingGroup {
            name: g.auto_scaling_group_name().unwrap_or_default().to_string(),
            subnet_ids: crate::families::compute::asg_subnets(g),
            target_group_arns: g.target_group_arns().to_vec(),
            launch_template: g.launch_template().and_then(|t| t.launch_template_name()).map(str::to_string),
            ours: g.tags().iter().any(|t| t.key() == Some(TAG_UID)),
        })
        .collect();
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
        tables.iter().filter_map(|t| crate::families::network::route_table(t, String::new())).collect();
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
    let (backup_vaults, backup_plans) = read_backups(aws, region).await?;
    Ok(SeenRegion {
        region: region.to_string(),
        vpcs,
        subnets,
        route_tables,
        databases,
        load_balancers,
        target_groups,
        auto_scaling_groups,
        backup_vaults,
        backup_plans,
    })
}

/// The region's backup vaults, and its plans with their first rule (and,
/// for those that copy elsewhere, whether a stack tagged them).
async fn read_backups(
    aws: &AwsContext,
    region: &str,
) -> Result<(Vec<(String, String)>, Vec<SeenBackupPlan>), AwsError> {
    let backup = aws.backup(region);
    let (vaults, plans) = tokio::try_join!(
        Box::pin(crate::fleet::backup_vaults(aws, region)),
        Box::pin(crate::fleet::backup_plans(aws, region))
    )?;
    let vaults = vaults
        .iter()
        .filter_map(|v| Some((v.backup_vault_name()?.to_string(), v.backup_vault_arn()?.to_string())))
        .collect();
    let mut seen = Vec::new();
    for p in plans.iter() {
        let (Some(id), Some(name)) = (p.backup_plan_id(), p.backup_plan_name()) else { continue };
        let detail = send!("backup:GetBackupPlan", backup.get_backup_plan().backup_plan_id(id))?;
        let rule = detail.backup_plan().and_then(|b| b.rules().first());
        let copy_to = rule.and_then(|r| r.copy_actions().first()).map(|c| c.destination_backup_vault_arn().to_string());
        let ours = match (&copy_to, p.backup_plan_arn()) {
            (Some(_), Some(arn)) => {
                let tags = send!("backup:ListTags", backup.list_tags().resource_arn(arn))?;
                tags.tags().is_some_and(|t| t.contains_key(TAG_UID))
            }
            _ => false,
        };
        seen.push(SeenBackupPlan {
            id: id.to_string(),
            name: name.to_string(),
            target_vault: rule.map(|r| r.target_backup_vault_name().to_string()).unwrap_or_default(),
            copy_to,
            ours,
        });
    }
    Ok((vaults, seen))
}
