//! The network family of a RegionPair (VPC, subnets, gateways, route
//! tables): desired state, observation, plan and status.

pub mod actions;
pub mod desired;
mod drift;
pub mod existing;
pub mod observed;
pub mod plan;
pub mod status;
pub mod teardown;
