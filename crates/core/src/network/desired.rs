//! Desired network of one region: typed, so the planner can diff it field by
//! field, and rendered into topology resources for listing.

use ipnet::Ipv4Net;
use warmstandby_api::{NatGatewayMode, RegionRole};

use crate::resource::{Kind, Resource, Scope};
use crate::validate::{ExistingNetwork, NetworkLayout, SubnetTier, ValidatedRegionPair, ZONE_SLOTS};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DesiredNetwork {
    pub role: RegionRole,
    pub region: String,
    pub scope: Scope,
    /// Prefix of every `Name` tag, e.g. `classic-primary`.
    pub name_prefix: String,
    pub vpc_cidr: Ipv4Net,
    pub subnets: Vec<DesiredSubnet>,
    pub nat_gateways: Vec<DesiredNat>,
    pub route_tables: Vec<DesiredRouteTable>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DesiredSubnet {
    /// `web-a`, ...
    pub key: String,
    pub tier: SubnetTier,
    pub zone: String,
    pub cidr: Ipv4Net,
    /// Instances launched here get a public IP (public tier only).
    pub map_public_ip: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DesiredNat {
    /// `nat-a`, ...
    pub key: String,
    /// The public subnet it sits in.
    pub subnet_key: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RouteTarget {
    InternetGateway,
    /// By NAT key.
    NatGateway(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DesiredRouteTable {
    /// `public`, `private` (single NAT) or `private-a`/`private-b` (NAT per zone).
    pub key: String,
    /// Target of the 0.0.0.0/0 route.
    pub default_route: RouteTarget,
    /// Keys of the subnets associated with it.
    pub subnet_keys: Vec<String>,
}

impl DesiredNetwork {
    pub fn name(&self, component: &str) -> String {
        format!("{}-{component}", self.name_prefix)
    }

    pub fn subnet(&self, key: &str) -> Option<&DesiredSubnet> {
        self.subnets.iter().find(|s| s.key == key)
    }

    fn key(&self, component: &str) -> String {
        format!("{}/{component}", self.scope.key_prefix())
    }

    /// The network as topology resources, in creation order.
    pub fn resources(&self) -> Vec<Resource> {
        let s = &self.scope;
        let vpc_key = self.key("vpc");
        let igw_key = self.key("internet-gateway");
        let mut out = vec![
            Resource::new(s, "vpc", Kind::Vpc, self.name("vpc"))
                .prop("cidr", self.vpc_cidr)
                .prop("dnsHostnames", true)
                .prop("dnsSupport", true),
        ];
        for sub in &self.subnets {
            out.push(
                Resource::new(s, &format!("subnet/{}", sub.key), Kind::Subnet, self.name(&sub.key))
                    .prop("cidr", sub.cidr)
                    .prop("zone", &sub.zone)
                    .prop("tier", sub.tier.as_str())
                    .prop("mapPublicIpOnLaunch", sub.map_public_ip)
                    .dep(&vpc_key),
            );
        }
        out.push(Resource::new(s, "internet-gateway", Kind::InternetGateway, self.name("igw")).dep(&vpc_key));
        for nat in &self.nat_gateways {
            let eip = format!("elastic-ip/{}", nat.key);
            out.push(
                Resource::new(s, &eip, Kind::ElasticIp, self.name(&format!("{}-eip", nat.key)))
                    .prop("domain", "vpc")
                    .dep(&igw_key),
            );
            out.push(
                Resource::new(s, &format!("nat-gateway/{}", nat.key), Kind::NatGateway, self.name(&nat.key))
                    .prop("subnet", &nat.subnet_key)
                    .prop("connectivity", "public")
                    .dep(self.key(&eip))
                    .dep(self.key(&format!("subnet/{}", nat.subnet_key))),
            );
        }
        for rt in &self.route_tables {
            let mut r = Resource::new(
                s,
                &format!("route-table/{}", rt.key),
                Kind::RouteTable,
                self.name(&format!("{}-rt", rt.key)),
            )
            .dep(&vpc_key);
            r = match &rt.default_route {
                RouteTarget::InternetGateway => r.prop("0.0.0.0/0", "internet-gateway").dep(&igw_key),
                RouteTarget::NatGateway(n) => {
                    r.prop("0.0.0.0/0", format!("nat-gateway/{n}")).dep(self.key(&format!("nat-gateway/{n}")))
                }
            };
            r = r.prop("associations", rt.subnet_keys.join(","));
            for sk in &rt.subnet_keys {
                r = r.dep(self.key(&format!("subnet/{sk}")));
            }
            out.push(r);
        }
        out
    }
}

/// An existing network's VPC and subnets as topology resources (marked
/// existing: never created).
pub fn existing_resources(role: RegionRole, region: &str, existing: &ExistingNetwork) -> Vec<Resource> {
    let scope = Scope::Region { role, region: region.to_string() };
    let vpc = Resource::new(&scope, "vpc", Kind::Vpc, existing.vpc_id.clone()).prop(EXISTING, "used as it is");
    let vpc_key = vpc.key.clone();
    let subnets = existing.subnet_ids.iter().map(|(key, id)| {
        Resource::new(&scope, &format!("subnet/{key}"), Kind::Subnet, id.clone())
            .prop(EXISTING, "used as it is")
            .dep(vpc_key.clone())
    });
    std::iter::once(vpc).chain(subnets).collect()
}

/// The property that marks a resource the operator uses and never creates.
pub const EXISTING: &str = "existing";

/// The desired network of one region of a validated pair: `None` for an
/// existing network (nothing of it is desired: it is used as it is).
pub fn desired_network(pair: &ValidatedRegionPair, role: RegionRole) -> Option<DesiredNetwork> {
    pair.region(role).layout().map(|layout| built_network(pair, role, layout))
}

fn built_network(pair: &ValidatedRegionPair, role: RegionRole, layout: &NetworkLayout) -> DesiredNetwork {
    let net = pair.region(role);
    let subnets: Vec<DesiredSubnet> = layout
        .subnets
        .iter()
        .map(|p| DesiredSubnet {
            key: p.key(),
            tier: p.tier,
            zone: p.zone.clone(),
            cidr: p.cidr,
            map_public_ip: p.tier == SubnetTier::Public,
        })
        .collect();
    let private_of = |zone_slot: &str| -> Vec<String> {
        [SubnetTier::Web, SubnetTier::App, SubnetTier::Db]
            .iter()
            .map(|t| format!("{}-{zone_slot}", t.as_str()))
            .collect()
    };
    let (nat_gateways, private_tables) = match pair.nat_gateways {
        NatGatewayMode::Single => (
            vec![DesiredNat { key: "nat-a".into(), subnet_key: "public-a".into() }],
            vec![DesiredRouteTable {
                key: "private".into(),
                default_route: RouteTarget::NatGateway("nat-a".into()),
                subnet_keys: ZONE_SLOTS.iter().flat_map(|z| private_of(z)).collect(),
            }],
        ),
        NatGatewayMode::PerAz => (
            ZONE_SLOTS
                .iter()
                .map(|z| DesiredNat { key: format!("nat-{z}"), subnet_key: format!("public-{z}") })
                .collect(),
            ZONE_SLOTS
                .iter()
                .map(|z| DesiredRouteTable {
                    key: format!("private-{z}"),
                    default_route: RouteTarget::NatGateway(format!("nat-{z}")),
                    subnet_keys: private_of(z),
                })
                .collect(),
        ),
    };
    let mut route_tables = vec![DesiredRouteTable {
        key: "public".into(),
        default_route: RouteTarget::InternetGateway,
        subnet_keys: ZONE_SLOTS.iter().map(|z| format!("public-{z}")).collect(),
    }];
    route_tables.extend(private_tables);
    for rt in &mut route_tables {
        rt.subnet_keys.sort();
    }
    DesiredNetwork {
        role,
        region: net.region.clone(),
        scope: Scope::Region { role, region: net.region.clone() },
        name_prefix: format!("{}-{}", pair.name, role.as_str()),
        vpc_cidr: layout.vpc_cidr,
        subnets,
        nat_gateways,
        route_tables,
    }
}
