//! Network family (EC2): VPC, subnets, internet gateway, Elastic IPs, NAT
//! gateways, route tables.
//!
//! Observation is batched: one tag-filtered describe per kind per region for
//! every owner at once (shared across RegionPairs), plus the two DNS
//! attributes of each VPC, which no describe returns. Records are checked for
//! our uid tag again client-side, so nothing that is not ours is ever acted on.

use std::collections::BTreeMap;

use aws_sdk_ec2::Client;
use aws_sdk_ec2::types::{
    AttributeBooleanValue, DomainType, NatGatewayState, ResourceType, RouteState, VpcAttributeName,
};
use futures::future::try_join_all;
use warmstandby_api::{TAG_COMPONENT, TAG_UID};
use warmstandby_core::families::Pair;
use warmstandby_core::families::network::{Network, PairNetworks, RegionNetwork};
use warmstandby_core::network::observed::{
    NatState, ObservedAddress, ObservedAssociation, ObservedInternetGateway, ObservedNatGateway, ObservedNetwork,
    ObservedRoute, ObservedRouteTable, ObservedSubnet, ObservedVpc, RouteTarget,
};
use warmstandby_core::network::plan::{NetworkAction, VpcDnsAttribute};
use warmstandby_core::plan::ActionOutcome;

use super::{AwsFamily, Observation, Reading};
use crate::clients::AwsContext;
use crate::errors::AwsError;
use crate::tags::{Ec2Tagging, Ownership, ec2_tag, ec2_uid_filter};

impl AwsFamily<Pair> for Network {
    /// Each region's network; a failed read counts against its region.
    async fn observe(
        aws: &AwsContext,
        desired: &PairNetworks,
        owners: &[Ownership; 2],
        _reading: &Reading<'_, Pair>,
    ) -> Observation<[ObservedNetwork; 2]> {
        Observation::each_region(|i| observe_region(aws, &desired[i], &owners[i])).await
    }

    async fn apply(
        aws: &AwsContext,
        region: &str,
        owner: &Ownership,
        action: &NetworkAction,
        _secrets: &(),
    ) -> Result<ActionOutcome, AwsError> {
        apply(&aws.ec2(region), owner, action).await
    }
}

/// What `owner` built in `region` (everything tagged with its uid).
pub async fn observe_built(aws: &AwsContext, region: &str, owner: &Ownership) -> Result<ObservedNetwork, AwsError> {
    let mut all = observe_networks(&aws.ec2(region), std::slice::from_ref(&owner.uid)).await?;
    Ok(all.remove(&owner.uid).unwrap_or_default())
}

/// One region's network: the one the pair built, found by its uid's tags,
/// or the existing one, read by its IDs.
pub async fn observe_region(
    aws: &AwsContext,
    desired: &RegionNetwork,
    owner: &Ownership,
) -> Result<ObservedNetwork, AwsError> {
    match desired {
        RegionNetwork::Built(d) => observe_built(aws, &d.region, owner).await,
        RegionNetwork::Existing { region, network, .. } => {
            let subnet_ids: Vec<String> = network.subnet_ids.values().cloned().collect();
            observe_existing(&aws.ec2(region), &network.vpc_id, &subnet_ids).await
        }
    }
}

/// Our uid and component tags of a record, if it is ours.
fn owned<'a>(tags: &'a [aws_sdk_ec2::types::Tag], uids: &[String]) -> Option<(&'a str, String)> {
    let uid = ec2_tag(tags, TAG_UID).filter(|u| uids.iter().any(|x| x == u))?;
    Some((uid, ec2_tag(tags, TAG_COMPONENT).unwrap_or_default().to_string()))
}

/// Observes the networks of every owner in `uids` in one region.
pub async fn observe_networks(ec2: &Client, uids: &[String]) -> Result<BTreeMap<String, ObservedNetwork>, AwsError> {
    let filter = ec2_uid_filter(uids);
    // SDK futures are large; boxing keeps the joined future off the stack.
    let (vpcs, subnets, igws, addresses, nats, tables) = tokio::try_join!(
        Box::pin(async { send!("ec2:DescribeVpcs", ec2.describe_vpcs().filters(filter.clone())) }),
        Box::pin(async { send!("ec2:DescribeSubnets", ec2.describe_subnets().filters(filter.clone())) }),
        Box::pin(async {
            send!("ec2:DescribeInternetGateways", ec2.describe_internet_gateways().filters(filter.clone()))
        }),
        Box::pin(async { send!("ec2:DescribeAddresses", ec2.describe_addresses().filters(filter.clone())) }),
        Box::pin(async { send!("ec2:DescribeNatGateways", ec2.describe_nat_gateways().filter(filter.clone())) }),
        Box::pin(async { send!("ec2:DescribeRouteTables", ec2.describe_route_tables().filters(filter.clone())) }),
    )?;
    let mut by_uid: BTreeMap<String, ObservedNetwork> =
        uids.iter().map(|u| (u.clone(), ObservedNetwork::default())).collect();
    let vpc_list: Vec<(String, String, String, String)> = vpcs
        .vpcs()
        .iter()
        .filter_map(|v| {
            let (uid, component) = owned(v.tags(), uids)?;
            Some((uid.to_string(), component, v.vpc_id()?.to_string(), v.cidr_block().unwrap_or_default().to_string()))
        })
        .collect();
    // DNS attributes are not part of DescribeVpcs.
    let attributes = try_join_all(vpc_list.iter().map(|(_, _, id, _)| Box::pin(vpc_dns(ec2, id)))).await?;
    for ((uid, component, id, cidr), (dns_support, dns_hostnames)) in vpc_list.into_iter().zip(attributes) {
        by_uid.entry(uid).or_default().vpcs.push(ObservedVpc { id, component, cidr, dns_support, dns_hostnames });
    }
    for s in subnets.subnets() {
        let (Some((uid, component)), Some(id)) = (owned(s.tags(), uids), s.subnet_id()) else { continue };
        by_uid.entry(uid.to_string()).or_default().subnets.push(ObservedSubnet {
            id: id.to_string(),
            component,
            vpc_id: s.vpc_id().unwrap_or_default().to_string(),
            cidr: s.cidr_block().unwrap_or_default().to_string(),
            zone: s.availability_zone().unwrap_or_default().to_string(),
            map_public_ip: s.map_public_ip_on_launch().unwrap_or(false),
        });
    }
    for g in igws.internet_gateways() {
        let (Some((uid, component)), Some(id)) = (owned(g.tags(), uids), g.internet_gateway_id()) else { continue };
        by_uid.entry(uid.to_string()).or_default().internet_gateways.push(ObservedInternetGateway {
            id: id.to_string(),
            component,
            attached_vpcs: g.attachments().iter().filter_map(|a| a.vpc_id().map(str::to_string)).collect(),
        });
    }
    for a in addresses.addresses() {
        let (Some((uid, component)), Some(id)) = (owned(a.tags(), uids), a.allocation_id()) else { continue };
        by_uid.entry(uid.to_string()).or_default().addresses.push(ObservedAddress {
            allocation_id: id.to_string(),
            component,
            public_ip: a.public_ip().unwrap_or_default().to_string(),
            association_id: a.association_id().map(str::to_string),
        });
    }
    for n in nats.nat_gateways() {
        let (Some((uid, component)), Some(id)) = (owned(n.tags(), uids), n.nat_gateway_id()) else { continue };
        let state = match n.state() {
            Some(NatGatewayState::Pending) => NatState::Pending,
            Some(NatGatewayState::Available) => NatState::Available,
            Some(NatGatewayState::Deleting) => NatState::Deleting,
            Some(NatGatewayState::Deleted) => NatState::Deleted,
            _ => NatState::Failed,
        };
        by_uid.entry(uid.to_string()).or_default().nat_gateways.push(ObservedNatGateway {
            id: id.to_string(),
            component,
            subnet_id: n.subnet_id().unwrap_or_default().to_string(),
            allocation_id: n.nat_gateway_addresses().iter().find_map(|a| a.allocation_id().map(str::to_string)),
            state,
        });
    }
    for t in tables.route_tables() {
        let (Some((uid, component)), Some(_)) = (owned(t.tags(), uids), t.route_table_id()) else { continue };
        if let Some(table) = route_table(t, component) {
            by_uid.entry(uid.to_string()).or_default().route_tables.push(table);
        }
    }
    Ok(by_uid)
}

/// A route table as the model has it (`component`: our tag, or empty).
pub(crate) fn route_table(t: &aws_sdk_ec2::types::RouteTable, component: String) -> Option<ObservedRouteTable> {
    let id = t.route_table_id()?;
    let routes = t
        .routes()
        .iter()
        .filter_map(|r| {
            let destination = r.destination_cidr_block()?.to_string();
            let target = match (r.gateway_id(), r.nat_gateway_id()) {
                (Some("local"), _) => RouteTarget::Other("local".into()),
                (Some(g), _) if g.starts_with("igw-") => RouteTarget::Gateway(g.to_string()),
                (_, Some(n)) => RouteTarget::NatGateway(n.to_string()),
                (Some(other), _) => RouteTarget::Other(other.to_string()),
                (None, None) => RouteTarget::Other(
                    r.vpc_peering_connection_id()
                        .or(r.transit_gateway_id())
                        .or(r.network_interface_id())
                        .or(r.instance_id())
                        .unwrap_or("unknown")
                        .to_string(),
                ),
            };
            Some(ObservedRoute { destination, target, blackhole: r.state() == Some(&RouteState::Blackhole) })
        })
        .collect();
    let associations = t
        .associations()
        .iter()
        .filter_map(|a| {
            Some(ObservedAssociation {
                id: a.route_table_association_id()?.to_string(),
                subnet_id: a.subnet_id().map(str::to_string),
                main: a.main().unwrap_or(false),
            })
        })
        .collect();
    Some(ObservedRouteTable {
        id: id.to_string(),
        component,
        vpc_id: t.vpc_id().unwrap_or_default().to_string(),
        routes,
        associations,
    })
}

/// Reads an existing network (someone else's, untagged) by its IDs: the VPC,
/// the given subnets wherever they are in this region (one in another VPC
/// is reported as such), and the VPC's route tables. Filters, not ID lists:
/// an ID AWS does not know is absent from the answer rather than an error.
pub async fn observe_existing(ec2: &Client, vpc_id: &str, subnet_ids: &[String]) -> Result<ObservedNetwork, AwsError> {
    let by_id = |name: &str, values: Vec<String>| {
        aws_sdk_ec2::types::Filter::builder().name(name).set_values(Some(values)).build()
    };
    let (vpcs, subnets, tables) = tokio::try_join!(
        Box::pin(async {
            send!("ec2:DescribeVpcs", ec2.describe_vpcs().filters(by_id("vpc-id", vec![vpc_id.to_string()])))
        }),
        Box::pin(async {
            send!("ec2:DescribeSubnets", ec2.describe_subnets().filters(by_id("subnet-id", subnet_ids.to_vec())))
        }),
        Box::pin(async {
            send!(
                "ec2:DescribeRouteTables",
                ec2.describe_route_tables().filters(by_id("vpc-id", vec![vpc_id.to_string()]))
            )
        }),
    )?;
    let mut model = ObservedNetwork::default();
    for v in vpcs.vpcs() {
        let Some(id) = v.vpc_id() else { continue };
        model.vpcs.push(ObservedVpc {
            id: id.to_string(),
            // Set only on a network warmstandby itself manages.
            component: ec2_tag(v.tags(), TAG_COMPONENT).unwrap_or_default().to_string(),
            cidr: v.cidr_block().unwrap_or_default().to_string(),
            dns_support: None,
            dns_hostnames: None,
        });
    }
    for sn in subnets.subnets() {
        let Some(id) = sn.subnet_id() else { continue };
        model.subnets.push(ObservedSubnet {
            id: id.to_string(),
            component: String::new(),
            vpc_id: sn.vpc_id().unwrap_or_default().to_string(),
            cidr: sn.cidr_block().unwrap_or_default().to_string(),
            zone: sn.availability_zone().unwrap_or_default().to_string(),
            map_public_ip: sn.map_public_ip_on_launch().unwrap_or(false),
        });
    }
    model.route_tables = tables.route_tables().iter().filter_map(|t| route_table(t, String::new())).collect();
    Ok(model)
}

async fn vpc_dns(ec2: &Client, vpc_id: &str) -> Result<(Option<bool>, Option<bool>), AwsError> {
    let (support, hostnames) = tokio::try_join!(
        Box::pin(async {
            send!(
                "ec2:DescribeVpcAttribute",
                ec2.describe_vpc_attribute().vpc_id(vpc_id).attribute(VpcAttributeName::EnableDnsSupport)
            )
        }),
        Box::pin(async {
            send!(
                "ec2:DescribeVpcAttribute",
                ec2.describe_vpc_attribute().vpc_id(vpc_id).attribute(VpcAttributeName::EnableDnsHostnames)
            )
        }),
    )?;
    Ok((support.enable_dns_support().and_then(|a| a.value()), hostnames.enable_dns_hostnames().and_then(|a| a.value())))
}

fn yes(value: bool) -> AttributeBooleanValue {
    AttributeBooleanValue::builder().value(value).build()
}

fn created(op: &str, id: Option<&str>) -> Result<ActionOutcome, AwsError> {
    id.map(|id| ActionOutcome::Created { id: id.to_string() })
        .ok_or_else(|| AwsError::new(crate::ErrorClass::Other, op, "NoId", "the response carried no ID"))
}

/// Deletes treat NotFound as done.
fn deleted<T>(result: Result<T, AwsError>) -> Result<ActionOutcome, AwsError> {
    match result {
        Ok(_) => Ok(ActionOutcome::Done),
        Err(e) if e.is_not_found() => Ok(ActionOutcome::NotFound),
        Err(e) => Err(e),
    }
}

/// Executes one planned action. Creates are tagged atomically
/// (TagSpecifications) and use an idempotency token where the API has one.
async fn apply(ec2: &Client, owner: &Ownership, action: &NetworkAction) -> Result<ActionOutcome, AwsError> {
    match action {
        NetworkAction::CreateVpc { component, name, cidr } => {
            let out = send!(
                "ec2:CreateVpc",
                ec2.create_vpc().cidr_block(cidr).tag_specifications(owner.ec2_tag_spec(
                    ResourceType::Vpc,
                    component,
                    name
                ))
            )?;
            created("CreateVpc", out.vpc().and_then(|v| v.vpc_id()))
        }
        NetworkAction::EnableVpcDns { vpc_id, attribute } => {
            let req = ec2.modify_vpc_attribute().vpc_id(vpc_id);
            let req = match attribute {
                VpcDnsAttribute::Support => req.enable_dns_support(yes(true)),
                VpcDnsAttribute::Hostnames => req.enable_dns_hostnames(yes(true)),
            };
            send!("ec2:ModifyVpcAttribute", req).map(|_| ActionOutcome::Done)
        }
        NetworkAction::CreateSubnet { component, name, vpc_id, cidr, zone } => {
            let out = send!(
                "ec2:CreateSubnet",
                ec2.create_subnet()
                    .vpc_id(vpc_id)
                    .cidr_block(cidr)
                    .availability_zone(zone)
                    .tag_specifications(owner.ec2_tag_spec(ResourceType::Subnet, component, name))
            )?;
            created("CreateSubnet", out.subnet().and_then(|s| s.subnet_id()))
        }
        NetworkAction::SetMapPublicIp { subnet_id, value } => send!(
            "ec2:ModifySubnetAttribute",
            ec2.modify_subnet_attribute().subnet_id(subnet_id).map_public_ip_on_launch(yes(*value))
        )
        .map(|_| ActionOutcome::Done),
        NetworkAction::CreateInternetGateway { component, name } => {
            let out = send!(
                "ec2:CreateInternetGateway",
                ec2.create_internet_gateway().tag_specifications(owner.ec2_tag_spec(
                    ResourceType::InternetGateway,
                    component,
                    name
                ))
            )?;
            created("CreateInternetGateway", out.internet_gateway().and_then(|g| g.internet_gateway_id()))
        }
        NetworkAction::AttachInternetGateway { igw_id, vpc_id } => {
            send!("ec2:AttachInternetGateway", ec2.attach_internet_gateway().internet_gateway_id(igw_id).vpc_id(vpc_id))
                .map(|_| ActionOutcome::Done)
        }
        NetworkAction::DetachInternetGateway { igw_id, vpc_id } => deleted(send!(
            "ec2:DetachInternetGateway",
            ec2.detach_internet_gateway().internet_gateway_id(igw_id).vpc_id(vpc_id)
        )),
        NetworkAction::AllocateAddress { component, name } => {
            let out = send!(
                "ec2:AllocateAddress",
                ec2.allocate_address().domain(DomainType::Vpc).tag_specifications(owner.ec2_tag_spec(
                    ResourceType::ElasticIp,
                    component,
                    name
                ))
            )?;
            match out.allocation_id() {
                Some(id) => Ok(ActionOutcome::CreatedAddress {
                    allocation_id: id.to_string(),
                    public_ip: out.public_ip().unwrap_or_default().to_string(),
                }),
                None => created("AllocateAddress", None),
            }
        }
        NetworkAction::CreateNatGateway { component, name, subnet_id, allocation_id } => {
            let out = send!(
                "ec2:CreateNatGateway",
                ec2.create_nat_gateway()
                    .subnet_id(subnet_id)
                    .allocation_id(allocation_id)
                    .client_token(owner.client_token(component))
                    .tag_specifications(owner.ec2_tag_spec(ResourceType::Natgateway, component, name))
            )?;
            created("CreateNatGateway", out.nat_gateway().and_then(|n| n.nat_gateway_id()))
        }
        NetworkAction::CreateRouteTable { component, name, vpc_id } => {
            let out = send!(
                "ec2:CreateRouteTable",
                ec2.create_route_table()
                    .vpc_id(vpc_id)
                    .client_token(owner.client_token(component))
                    .tag_specifications(owner.ec2_tag_spec(ResourceType::RouteTable, component, name))
            )?;
            created("CreateRouteTable", out.route_table().and_then(|t| t.route_table_id()))
        }
        NetworkAction::CreateRoute { route_table_id, destination, target } => {
            let req = ec2.create_route().route_table_id(route_table_id).destination_cidr_block(destination);
            let req = match target {
                RouteTarget::NatGateway(id) => req.nat_gateway_id(id),
                RouteTarget::Gateway(id) | RouteTarget::Other(id) => req.gateway_id(id),
            };
            send!("ec2:CreateRoute", req).map(|_| ActionOutcome::Done)
        }
        NetworkAction::ReplaceRoute { route_table_id, destination, target } => {
            let req = ec2.replace_route().route_table_id(route_table_id).destination_cidr_block(destination);
            let req = match target {
                RouteTarget::NatGateway(id) => req.nat_gateway_id(id),
                RouteTarget::Gateway(id) | RouteTarget::Other(id) => req.gateway_id(id),
            };
            send!("ec2:ReplaceRoute", req).map(|_| ActionOutcome::Done)
        }
        NetworkAction::DeleteRoute { route_table_id, destination } => deleted(send!(
            "ec2:DeleteRoute",
            ec2.delete_route().route_table_id(route_table_id).destination_cidr_block(destination)
        )),
        NetworkAction::AssociateRouteTable { route_table_id, subnet_id } => {
            let out = send!(
                "ec2:AssociateRouteTable",
                ec2.associate_route_table().route_table_id(route_table_id).subnet_id(subnet_id)
            )?;
            Ok(ActionOutcome::Associated { association_id: out.association_id().unwrap_or_default().to_string() })
        }
        NetworkAction::ReplaceAssociation { association_id, route_table_id } => {
            let out = send!(
                "ec2:ReplaceRouteTableAssociation",
                ec2.replace_route_table_association().association_id(association_id).route_table_id(route_table_id)
            )?;
            Ok(ActionOutcome::Associated { association_id: out.new_association_id().unwrap_or_default().to_string() })
        }
        NetworkAction::DisassociateRouteTable { association_id } => {
            deleted(send!("ec2:DisassociateRouteTable", ec2.disassociate_route_table().association_id(association_id)))
        }
        NetworkAction::DeleteRouteTable { route_table_id } => {
            deleted(send!("ec2:DeleteRouteTable", ec2.delete_route_table().route_table_id(route_table_id)))
        }
        NetworkAction::DeleteNatGateway { nat_id } => {
            deleted(send!("ec2:DeleteNatGateway", ec2.delete_nat_gateway().nat_gateway_id(nat_id)))
        }
        NetworkAction::ReleaseAddress { allocation_id } => {
            deleted(send!("ec2:ReleaseAddress", ec2.release_address().allocation_id(allocation_id)))
        }
        NetworkAction::DeleteInternetGateway { igw_id } => {
            deleted(send!("ec2:DeleteInternetGateway", ec2.delete_internet_gateway().internet_gateway_id(igw_id)))
        }
        NetworkAction::DeleteSubnet { subnet_id } => {
            deleted(send!("ec2:DeleteSubnet", ec2.delete_subnet().subnet_id(subnet_id)))
        }
        NetworkAction::DeleteVpc { vpc_id } => deleted(send!("ec2:DeleteVpc", ec2.delete_vpc().vpc_id(vpc_id))),
    }
}
