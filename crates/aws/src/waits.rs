//! The reads of a pass that only waits: the resources AWS is still working
//! on, by ID (one describe per kind and region where AWS reads several at
//! once), checked for whether AWS is still working on them. Terraform's
//! waiters make one describe per waited resource per poll; so does this.

use std::collections::BTreeMap;

use warmstandby_api::WaitedResource;
use warmstandby_core::stack_pass::waiting::{
    self, ASG_DELETING, AUTO_SCALING_GROUP, CERTIFICATE, DATABASE, DISTRIBUTION, IMAGE, INSTANCE, LOAD_BALANCER,
    NAT_GATEWAY,
};

use crate::clients::AwsContext;
use crate::errors::AwsError;

/// Whether AWS is still working on every resource: each is still there, in
/// a state it is still moving out of (see `still_working`). `Some` gives
/// their states now (a database may have gone from `creating` to
/// `backing-up`, which unblocks nothing); `None` when any is gone, settled
/// or of a kind this version does not know: the caller observes everything.
pub async fn still_working(
    aws: &AwsContext,
    resources: &[WaitedResource],
) -> Result<Option<Vec<WaitedResource>>, AwsError> {
    let mut groups: BTreeMap<(&str, &str), Vec<&WaitedResource>> = BTreeMap::new();
    for r in resources {
        groups.entry((r.kind.as_str(), r.region.as_str())).or_default().push(r);
    }
    let mut now = Vec::with_capacity(resources.len());
    for ((kind, region), group) in groups {
        let ids: Vec<String> = group.iter().map(|r| r.id.clone()).collect();
        let states = match kind {
            DATABASE => databases(aws, region, ids).await?,
            LOAD_BALANCER => load_balancers(aws, region, ids).await?,
            IMAGE => images(aws, region, ids).await?,
            CERTIFICATE => certificates(aws, region, &ids).await?,
            DISTRIBUTION => distributions(aws, &ids).await?,
            NAT_GATEWAY => nat_gateways(aws, region, ids).await?,
            AUTO_SCALING_GROUP => auto_scaling_groups(aws, region, ids).await?,
            INSTANCE => instances(aws, region, ids).await?,
            _ => return Ok(None),
        };
        for r in group {
            match states.get(&r.id) {
                Some(state) if waiting::still_working(kind, state) => {
                    now.push(WaitedResource { state: state.clone(), ..r.clone() })
                }
                _ => return Ok(None),
            }
        }
    }
    now.sort();
    Ok(Some(now))
}

type States = BTreeMap<String, String>;

async fn databases(aws: &AwsContext, region: &str, ids: Vec<String>) -> Result<States, AwsError> {
    let filter = aws_sdk_rds::types::Filter::builder().name("db-instance-id").set_values(Some(ids)).build();
    let out = send!("rds:DescribeDBInstances", aws.rds(region).describe_db_instances().filters(filter))?;
    Ok(out
        .db_instances()
        .iter()
        .filter_map(|d| {
            Some((d.db_instance_identifier()?.to_string(), d.db_instance_status().unwrap_or_default().to_string()))
        })
        .collect())
}

async fn load_balancers(aws: &AwsContext, region: &str, arns: Vec<String>) -> Result<States, AwsError> {
    let call = aws.elbv2(region).describe_load_balancers().set_load_balancer_arns(Some(arns));
    match send!("elasticloadbalancing:DescribeLoadBalancers", call) {
        Ok(out) => Ok(out
            .load_balancers()
            .iter()
            .filter_map(|l| {
                let state = l.state().and_then(|s| s.code()).map(|c| c.as_str().to_string()).unwrap_or_default();
                Some((l.load_balancer_arn()?.to_string(), state))
            })
            .collect()),
        // One of them is gone: something changed.
        Err(e) if e.is_not_found() => Ok(States::new()),
        Err(e) => Err(e),
    }
}

async fn images(aws: &AwsContext, region: &str, ids: Vec<String>) -> Result<States, AwsError> {
    match send!("ec2:DescribeImages", aws.ec2(region).describe_images().set_image_ids(Some(ids))) {
        Ok(out) => Ok(out
            .images()
            .iter()
            .filter_map(|i| {
                Some((i.image_id()?.to_string(), i.state().map(|s| s.as_str().to_string()).unwrap_or_default()))
            })
            .collect()),
        Err(e) if e.is_not_found() => Ok(States::new()),
        Err(e) => Err(e),
    }
}

async fn certificates(aws: &AwsContext, region: &str, arns: &[String]) -> Result<States, AwsError> {
    let mut states = States::new();
    for arn in arns {
        match send!("acm:DescribeCertificate", aws.acm(region).describe_certificate().certificate_arn(arn)) {
            Ok(out) => {
                let status = out.certificate().and_then(|c| c.status()).map(|s| s.as_str().to_string());
                states.insert(arn.clone(), status.unwrap_or_default());
            }
            Err(e) if e.is_not_found() => {}
            Err(e) => return Err(e),
        }
    }
    Ok(states)
}

async fn distributions(aws: &AwsContext, ids: &[String]) -> Result<States, AwsError> {
    let mut states = States::new();
    for id in ids {
        match send!("cloudfront:GetDistribution", aws.cloudfront().get_distribution().id(id)) {
            Ok(out) => {
                let status = out.distribution().map(|d| d.status().to_string()).unwrap_or_default();
                states.insert(id.clone(), status);
            }
            Err(e) if e.is_not_found() => {}
            Err(e) => return Err(e),
        }
    }
    Ok(states)
}

async fn nat_gateways(aws: &AwsContext, region: &str, ids: Vec<String>) -> Result<States, AwsError> {
    // A filter, not NatGatewayIds: one gone answers an empty list, not NotFound.
    let filter = aws_sdk_ec2::types::Filter::builder().name("nat-gateway-id").set_values(Some(ids)).build();
    let out = send!("ec2:DescribeNatGateways", aws.ec2(region).describe_nat_gateways().filter(filter))?;
    Ok(out
        .nat_gateways()
        .iter()
        .filter_map(|n| {
            Some((n.nat_gateway_id()?.to_string(), n.state().map(|s| s.as_str().to_string()).unwrap_or_default()))
        })
        .collect())
}

async fn auto_scaling_groups(aws: &AwsContext, region: &str, names: Vec<String>) -> Result<States, AwsError> {
    let call = aws.autoscaling(region).describe_auto_scaling_groups().set_auto_scaling_group_names(Some(names));
    let out = send!("autoscaling:DescribeAutoScalingGroups", call)?;
    Ok(out
        .auto_scaling_groups()
        .iter()
        .filter_map(|g| {
            let deleting = g.status().is_some_and(|s| s.to_ascii_lowercase().contains("delete"));
            let state = if deleting { ASG_DELETING.to_string() } else { g.status().unwrap_or_default().to_string() };
            Some((g.auto_scaling_group_name()?.to_string(), state))
        })
        .collect())
}

async fn instances(aws: &AwsContext, region: &str, ids: Vec<String>) -> Result<States, AwsError> {
    let filter = aws_sdk_ec2::types::Filter::builder().name("instance-id").set_values(Some(ids)).build();
    let out = send!("ec2:DescribeInstances", aws.ec2(region).describe_instances().filters(filter))?;
    Ok(out
        .reservations()
        .iter()
        .flat_map(|r| r.instances())
        .filter_map(|i| {
            let state = i.state().and_then(|s| s.name()).map(|n| n.as_str().to_string()).unwrap_or_default();
            Some((i.instance_id()?.to_string(), state))
        })
        .collect())
}
