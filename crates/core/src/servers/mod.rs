//! The model of both regions' server tiers, which two families on the seam
//! plan (`families::load_balancing`: target groups, load balancers and
//! their listeners; `families::compute`: images, launch templates, auto
//! scaling groups): their desired state, observation, actions, planning,
//! teardown and status. A tier spans both families (adopted whole, its
//! auto scaling group registered with its target group), so they share
//! this model and read each other's observation (`RegionServers`).

pub mod actions;
mod adoption;
pub mod desired;
pub mod inputs;
pub mod observed;
pub mod plan;
pub mod regional;
pub mod status;
pub mod teardown;
