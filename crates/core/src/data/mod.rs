//! The data family (security groups, bastion, MySQL writer and replica,
//! private DNS, backups): desired state, observation and plan. Its
//! conditions are computed with the stack's (`stack_pass::status`).

pub mod actions;
pub mod desired;
pub mod observed;
pub mod plan;
pub mod teardown;
