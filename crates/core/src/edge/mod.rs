//! The edge and compute tier (certificates, load balancers, images, launch
//! templates, auto scaling groups, public DNS, CloudFront, the alarm):
//! desired state, observation, plan and status. WAF, once part of it, is a
//! family on the seam (`families::waf`); the distribution takes the web
//! ACL's ARN from it (`EdgeInputs::web_acl_arn`).

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
