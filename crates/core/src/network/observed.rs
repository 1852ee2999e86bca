//! What AWS reported, as plain data: the planner's input, filled by the AWS
//! adapter from batched, tag-filtered describes. Every record carries the
//! `warmstandby.dev/component` tag that maps it to a desired resource.

/// One region's network resources owned by one RegionPair.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ObservedNetwork {
    pub vpcs: Vec<ObservedVpc>,
    pub subnets: Vec<ObservedSubnet>,
    pub internet_gateways: Vec<ObservedInternetGateway>,
    pub addresses: Vec<ObservedAddress>,
    pub nat_gateways: Vec<ObservedNatGateway>,
    pub route_tables: Vec<ObservedRouteTable>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObservedVpc {
    pub id: String,
    pub component: String,
    pub cidr: String,
    /// `None` when not read (the attribute calls failed).
    pub dns_support: Option<bool>,
    pub dns_hostnames: Option<bool>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObservedSubnet {
    pub id: String,
    pub component: String,
    pub vpc_id: String,
    pub cidr: String,
    pub zone: String,
    pub map_public_ip: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObservedInternetGateway {
    pub id: String,
    pub component: String,
    /// VPCs it is attached to.
    pub attached_vpcs: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObservedAddress {
    pub allocation_id: String,
    pub component: String,
    pub public_ip: String,
    pub association_id: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NatState {
    Pending,
    Available,
    Deleting,
    Deleted,
    Failed,
}

impl NatState {
    /// The state as EC2 names it.
    pub fn as_aws(self) -> &'static str {
        match self {
            NatState::Pending => "pending",
            NatState::Available => "available",
            NatState::Deleting => "deleting",
            NatState::Deleted => "deleted",
            NatState::Failed => "failed",
        }
    }

    /// Counts as the NAT gateway of its component (may be routed to).
    pub fn is_live(self) -> bool {
        matches!(self, NatState::Pending | NatState::Available)
    }

    /// Still holds its Elastic IP and its subnet.
    pub fn holds_resources(self) -> bool {
        !matches!(self, NatState::Deleted)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObservedNatGateway {
    pub id: String,
    pub component: String,
    pub subnet_id: String,
    pub allocation_id: Option<String>,
    pub state: NatState,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RouteTarget {
    Gateway(String),
    NatGateway(String),
    /// Local route or a target kind the operator does not manage.
    Other(String),
}

impl std::fmt::Display for RouteTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RouteTarget::Gateway(id) | RouteTarget::NatGateway(id) | RouteTarget::Other(id) => f.write_str(id),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObservedRoute {
    pub destination: String,
    pub target: RouteTarget,
    /// `blackhole` when the target is gone.
    pub blackhole: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObservedAssociation {
    pub id: String,
    pub subnet_id: Option<String>,
    pub main: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObservedRouteTable {
    pub id: String,
    pub component: String,
    pub vpc_id: String,
    pub routes: Vec<ObservedRoute>,
    pub associations: Vec<ObservedAssociation>,
}

/// The route table a subnet uses: its explicit association, else its VPC's main table.
pub fn route_table_of<'a>(tables: &'a [ObservedRouteTable], vpc: &str, subnet: &str) -> Option<&'a ObservedRouteTable> {
    let in_vpc = || tables.iter().filter(move |t| t.vpc_id == vpc);
    in_vpc()
        .find(|t| t.associations.iter().any(|a| a.subnet_id.as_deref() == Some(subnet)))
        .or_else(|| in_vpc().find(|t| t.associations.iter().any(|a| a.main)))
}

impl ObservedNetwork {
    pub fn is_empty(&self) -> bool {
        self.vpcs.is_empty()
            && self.subnets.is_empty()
            && self.internet_gateways.is_empty()
            && self.addresses.is_empty()
            && self.nat_gateways.iter().all(|n| n.state == NatState::Deleted)
            && self.route_tables.is_empty()
    }

    /// Whether the model holds the resource with this ID (a VPC, subnet,
    /// internet gateway, Elastic IP allocation, NAT gateway or route table).
    pub fn contains_id(&self, id: &str) -> bool {
        self.vpcs.iter().any(|v| v.id == id)
            || self.subnets.iter().any(|s| s.id == id)
            || self.internet_gateways.iter().any(|g| g.id == id)
            || self.addresses.iter().any(|a| a.allocation_id == id)
            || self.nat_gateways.iter().any(|n| n.id == id)
            || self.route_tables.iter().any(|t| t.id == id)
    }

    /// Number of live resources, for leak reports.
    pub fn live_count(&self) -> usize {
        self.vpcs.len()
            + self.subnets.len()
            + self.internet_gateways.len()
            + self.addresses.len()
            + self.nat_gateways.iter().filter(|n| n.state != NatState::Deleted).count()
            + self.route_tables.len()
    }
}
