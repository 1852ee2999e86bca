//! The edge and compute tier of both regions (load balancers and their
//! listeners, images, launch templates, auto scaling groups): desired
//! state, observation, plan and status. The certificates, public DNS,
//! CloudFront, WAF and the alarm, once part of it, are families on the seam
//! (`families`); the listeners take the certificates family's ARNs from it
//! (`RegionEdgeInputs::certificate`).

pub mod actions;
mod adoption;
pub mod desired;
pub mod inputs;
pub mod observed;
pub mod plan;
mod regional;
pub mod status;
pub mod teardown;
