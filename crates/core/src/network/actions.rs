//! The network's changes, and what an applied one does to the observation.

use crate::family::{Effect, FamilyAction};
use crate::network::observed::{
    NatState, ObservedAddress, ObservedAssociation, ObservedInternetGateway, ObservedNatGateway, ObservedNetwork,
    ObservedRoute, ObservedRouteTable, ObservedSubnet, ObservedVpc, RouteTarget,
};
use crate::plan::ActionOutcome;
use crate::resource::Kind;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VpcDnsAttribute {
    Support,
    Hostnames,
}

/// One AWS change. Creates carry the component tag value they will be tagged with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NetworkAction {
    CreateVpc { component: String, name: String, cidr: String },
    EnableVpcDns { vpc_id: String, attribute: VpcDnsAttribute },
    CreateSubnet { component: String, name: String, vpc_id: String, cidr: String, zone: String },
    SetMapPublicIp { subnet_id: String, value: bool },
    CreateInternetGateway { component: String, name: String },
    AttachInternetGateway { igw_id: String, vpc_id: String },
    DetachInternetGateway { igw_id: String, vpc_id: String },
    AllocateAddress { component: String, name: String },
    CreateNatGateway { component: String, name: String, subnet_id: String, allocation_id: String },
    CreateRouteTable { component: String, name: String, vpc_id: String },
    CreateRoute { route_table_id: String, destination: String, target: RouteTarget },
    ReplaceRoute { route_table_id: String, destination: String, target: RouteTarget },
    DeleteRoute { route_table_id: String, destination: String },
    AssociateRouteTable { route_table_id: String, subnet_id: String },
    ReplaceAssociation { association_id: String, route_table_id: String },
    DisassociateRouteTable { association_id: String },
    DeleteRouteTable { route_table_id: String },
    DeleteNatGateway { nat_id: String },
    ReleaseAddress { allocation_id: String },
    DeleteInternetGateway { igw_id: String },
    DeleteSubnet { subnet_id: String },
    DeleteVpc { vpc_id: String },
}

impl FamilyAction for NetworkAction {
    fn effect(&self) -> (Effect, Kind) {
        use NetworkAction as A;
        match self {
            A::CreateVpc { .. } => (Effect::Create, Kind::Vpc),
            A::EnableVpcDns { .. } => (Effect::Update, Kind::Vpc),
            A::CreateSubnet { .. } => (Effect::Create, Kind::Subnet),
            A::SetMapPublicIp { .. } => (Effect::Update, Kind::Subnet),
            A::CreateInternetGateway { .. } => (Effect::Create, Kind::InternetGateway),
            A::AttachInternetGateway { .. } | A::DetachInternetGateway { .. } => {
                (Effect::Update, Kind::InternetGateway)
            }
            A::AllocateAddress { .. } => (Effect::Create, Kind::ElasticIp),
            A::CreateNatGateway { .. } => (Effect::Create, Kind::NatGateway),
            A::CreateRouteTable { .. } => (Effect::Create, Kind::RouteTable),
            A::CreateRoute { .. }
            | A::ReplaceRoute { .. }
            | A::DeleteRoute { .. }
            | A::AssociateRouteTable { .. }
            | A::ReplaceAssociation { .. }
            | A::DisassociateRouteTable { .. } => (Effect::Update, Kind::RouteTable),
            A::DeleteRouteTable { .. } => (Effect::Delete, Kind::RouteTable),
            A::DeleteNatGateway { .. } => (Effect::Delete, Kind::NatGateway),
            A::ReleaseAddress { .. } => (Effect::Delete, Kind::ElasticIp),
            A::DeleteInternetGateway { .. } => (Effect::Delete, Kind::InternetGateway),
            A::DeleteSubnet { .. } => (Effect::Delete, Kind::Subnet),
            A::DeleteVpc { .. } => (Effect::Delete, Kind::Vpc),
        }
    }

    fn describe(&self) -> String {
        match self {
            NetworkAction::CreateVpc { component, cidr, .. } => format!("create {component} {cidr}"),
            NetworkAction::EnableVpcDns { vpc_id, attribute } => format!("enable DNS {attribute:?} on {vpc_id}"),
            NetworkAction::CreateSubnet { component, cidr, zone, .. } => format!("create {component} {cidr} in {zone}"),
            NetworkAction::SetMapPublicIp { subnet_id, value } => {
                format!("set mapPublicIpOnLaunch={value} on {subnet_id}")
            }
            NetworkAction::CreateInternetGateway { component, .. } => format!("create {component}"),
            NetworkAction::AttachInternetGateway { igw_id, vpc_id } => format!("attach {igw_id} to {vpc_id}"),
            NetworkAction::DetachInternetGateway { igw_id, vpc_id } => format!("detach {igw_id} from {vpc_id}"),
            NetworkAction::AllocateAddress { component, .. } => format!("allocate {component}"),
            NetworkAction::CreateNatGateway { component, .. } => format!("create {component}"),
            NetworkAction::CreateRouteTable { component, .. } => format!("create {component}"),
            NetworkAction::CreateRoute { route_table_id, destination, target } => {
                format!("add route {destination} -> {target} to {route_table_id}")
            }
            NetworkAction::ReplaceRoute { route_table_id, destination, target } => {
                format!("point route {destination} of {route_table_id} at {target}")
            }
            NetworkAction::DeleteRoute { route_table_id, destination } => {
                format!("delete route {destination} from {route_table_id}")
            }
            NetworkAction::AssociateRouteTable { route_table_id, subnet_id } => {
                format!("associate {subnet_id} with {route_table_id}")
            }
            NetworkAction::ReplaceAssociation { association_id, route_table_id } => {
                format!("move association {association_id} to {route_table_id}")
            }
            NetworkAction::DisassociateRouteTable { association_id } => format!("disassociate {association_id}"),
            NetworkAction::DeleteRouteTable { route_table_id } => format!("delete {route_table_id}"),
            NetworkAction::DeleteNatGateway { nat_id } => format!("delete {nat_id}"),
            NetworkAction::ReleaseAddress { allocation_id } => format!("release {allocation_id}"),
            NetworkAction::DeleteInternetGateway { igw_id } => format!("delete {igw_id}"),
            NetworkAction::DeleteSubnet { subnet_id } => format!("delete {subnet_id}"),
            NetworkAction::DeleteVpc { vpc_id } => format!("delete {vpc_id}"),
        }
    }
}

impl NetworkAction {
    pub fn is_delete(&self) -> bool {
        matches!(
            self,
            NetworkAction::DeleteRoute { .. }
                | NetworkAction::DisassociateRouteTable { .. }
                | NetworkAction::DeleteRouteTable { .. }
                | NetworkAction::DeleteNatGateway { .. }
                | NetworkAction::ReleaseAddress { .. }
                | NetworkAction::DeleteInternetGateway { .. }
                | NetworkAction::DeleteSubnet { .. }
                | NetworkAction::DeleteVpc { .. }
                | NetworkAction::DetachInternetGateway { .. }
        )
    }
}

impl NetworkAction {
    /// The resource a deletion removes.
    pub fn deleted_id(&self) -> Option<&str> {
        match self {
            NetworkAction::DeleteRouteTable { route_table_id } => Some(route_table_id),
            NetworkAction::DeleteNatGateway { nat_id } => Some(nat_id),
            NetworkAction::ReleaseAddress { allocation_id } => Some(allocation_id),
            NetworkAction::DeleteInternetGateway { igw_id } => Some(igw_id),
            NetworkAction::DeleteSubnet { subnet_id } => Some(subnet_id),
            NetworkAction::DeleteVpc { vpc_id } => Some(vpc_id),
            _ => None,
        }
    }
}

impl ObservedNetwork {
    /// Records an applied action, so the next planning round sees its effect
    /// without another read of AWS.
    pub fn record(&mut self, action: &NetworkAction, outcome: &ActionOutcome) {
        let new_id = match outcome {
            ActionOutcome::Created { id } => Some(id.clone()),
            _ => None,
        };
        match action {
            NetworkAction::CreateVpc { component, cidr, .. } => {
                if let Some(id) = new_id {
                    // New VPCs have DNS support on and hostnames off.
                    self.vpcs.push(ObservedVpc {
                        id,
                        component: component.clone(),
                        cidr: cidr.clone(),
                        dns_support: Some(true),
                        dns_hostnames: Some(false),
                    });
                }
            }
            NetworkAction::EnableVpcDns { vpc_id, attribute } => {
                if let Some(v) = self.vpcs.iter_mut().find(|v| v.id == *vpc_id) {
                    match attribute {
                        VpcDnsAttribute::Support => v.dns_support = Some(true),
                        VpcDnsAttribute::Hostnames => v.dns_hostnames = Some(true),
                    }
                }
            }
            NetworkAction::CreateSubnet { component, vpc_id, cidr, zone, .. } => {
                if let Some(id) = new_id {
                    self.subnets.push(ObservedSubnet {
                        id,
                        component: component.clone(),
                        vpc_id: vpc_id.clone(),
                        cidr: cidr.clone(),
                        zone: zone.clone(),
                        map_public_ip: false,
                    });
                }
            }
            NetworkAction::SetMapPublicIp { subnet_id, value } => {
                if let Some(s) = self.subnets.iter_mut().find(|s| s.id == *subnet_id) {
                    s.map_public_ip = *value;
                }
            }
            NetworkAction::CreateInternetGateway { component, .. } => {
                if let Some(id) = new_id {
                    self.internet_gateways.push(ObservedInternetGateway {
                        id,
                        component: component.clone(),
                        attached_vpcs: Vec::new(),
                    });
                }
            }
            NetworkAction::AttachInternetGateway { igw_id, vpc_id } => {
                if let Some(g) = self.internet_gateways.iter_mut().find(|g| g.id == *igw_id) {
                    g.attached_vpcs.push(vpc_id.clone());
                }
            }
            NetworkAction::DetachInternetGateway { igw_id, vpc_id } => {
                if let Some(g) = self.internet_gateways.iter_mut().find(|g| g.id == *igw_id) {
                    g.attached_vpcs.retain(|v| v != vpc_id);
                }
            }
            NetworkAction::AllocateAddress { component, .. } => {
                if let ActionOutcome::CreatedAddress { allocation_id, public_ip } = outcome {
                    self.addresses.push(ObservedAddress {
                        allocation_id: allocation_id.clone(),
                        component: component.clone(),
                        public_ip: public_ip.clone(),
                        association_id: None,
                    });
                }
            }
            NetworkAction::CreateNatGateway { component, subnet_id, allocation_id, .. } => {
                if let Some(id) = new_id {
                    self.nat_gateways.push(ObservedNatGateway {
                        id,
                        component: component.clone(),
                        subnet_id: subnet_id.clone(),
                        allocation_id: Some(allocation_id.clone()),
                        state: NatState::Pending,
                    });
                }
            }
            NetworkAction::CreateRouteTable { component, vpc_id, .. } => {
                if let Some(id) = new_id {
                    self.route_tables.push(ObservedRouteTable {
                        id,
                        component: component.clone(),
                        vpc_id: vpc_id.clone(),
                        routes: Vec::new(),
                        associations: Vec::new(),
                    });
                }
            }
            NetworkAction::CreateRoute { route_table_id, destination, target }
            | NetworkAction::ReplaceRoute { route_table_id, destination, target } => {
                if let Some(t) = self.route_tables.iter_mut().find(|t| t.id == *route_table_id) {
                    t.routes.retain(|r| r.destination != *destination);
                    t.routes.push(ObservedRoute {
                        destination: destination.clone(),
                        target: target.clone(),
                        blackhole: false,
                    });
                }
            }
            NetworkAction::DeleteRoute { route_table_id, destination } => {
                if let Some(t) = self.route_tables.iter_mut().find(|t| t.id == *route_table_id) {
                    t.routes.retain(|r| r.destination != *destination);
                }
            }
            NetworkAction::AssociateRouteTable { route_table_id, subnet_id } => {
                let id = match outcome {
                    ActionOutcome::Associated { association_id } => association_id.clone(),
                    _ => format!("{route_table_id}/{subnet_id}"),
                };
                if let Some(t) = self.route_tables.iter_mut().find(|t| t.id == *route_table_id) {
                    t.associations.push(ObservedAssociation { id, subnet_id: Some(subnet_id.clone()), main: false });
                }
            }
            NetworkAction::ReplaceAssociation { association_id, route_table_id } => {
                let mut moved = None;
                for t in &mut self.route_tables {
                    if let Some(pos) = t.associations.iter().position(|a| a.id == *association_id) {
                        moved = Some(t.associations.remove(pos));
                    }
                }
                if let (Some(mut a), Some(t)) = (moved, self.route_tables.iter_mut().find(|t| t.id == *route_table_id))
                {
                    if let ActionOutcome::Associated { association_id } = outcome {
                        a.id = association_id.clone();
                    }
                    t.associations.push(a);
                }
            }
            NetworkAction::DisassociateRouteTable { association_id } => {
                for t in &mut self.route_tables {
                    t.associations.retain(|a| a.id != *association_id);
                }
            }
            NetworkAction::DeleteRouteTable { route_table_id } => self.route_tables.retain(|t| t.id != *route_table_id),
            NetworkAction::DeleteNatGateway { nat_id } => {
                if let Some(n) = self.nat_gateways.iter_mut().find(|n| n.id == *nat_id) {
                    // AWS keeps it `deleting` for a while; NotFound means gone.
                    n.state = if *outcome == ActionOutcome::NotFound { NatState::Deleted } else { NatState::Deleting };
                }
            }
            NetworkAction::ReleaseAddress { allocation_id } => {
                self.addresses.retain(|a| a.allocation_id != *allocation_id)
            }
            NetworkAction::DeleteInternetGateway { igw_id } => self.internet_gateways.retain(|g| g.id != *igw_id),
            NetworkAction::DeleteSubnet { subnet_id } => self.subnets.retain(|s| s.id != *subnet_id),
            NetworkAction::DeleteVpc { vpc_id } => self.vpcs.retain(|v| v.id != *vpc_id),
        }
    }
}
