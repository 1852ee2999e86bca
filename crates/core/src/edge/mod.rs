//! The edge and compute family (certificates, load balancers, images,
//! launch templates, auto scaling groups, public DNS, CloudFront, WAF, the
//! alarm): desired state, observation, plan and status.

pub mod desired;
pub mod observed;
pub mod plan;
pub mod status;
