//! The data tier (security groups, MySQL writer and replica, private DNS,
//! backups; the bastion is on the family seam, `families::bastion`): desired state, observation and plan. Its
//! conditions are computed with the stack's (`stack_pass::status`).

pub mod actions;
pub mod desired;
pub mod observed;
pub mod plan;
pub mod teardown;
