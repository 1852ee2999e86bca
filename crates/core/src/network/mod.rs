//! The network family of a RegionPair (VPC, subnets, gateways, route
//! tables): desired state, observation, plan and status.

pub mod desired;
pub mod observed;
pub mod plan;
pub mod status;
