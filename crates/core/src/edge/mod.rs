//! The edge and compute family (certificates, load balancers, images,
//! launch templates, auto scaling groups, public DNS, CloudFront, WAF, the
//! alarm): desired state, observation, plan and status.

pub mod actions;
mod adoption;
pub mod desired;
mod global;
pub mod inputs;
pub mod observed;
pub mod plan;
mod regional;
pub mod status;
pub mod teardown;
