//! The data tier (security groups, MySQL writer and replica; the bastion,
//! private DNS and backups are on the family seam, `families`): desired
//! state, observation and plan. Its
//! conditions are computed with the stack's (`stack_pass::status`).

pub mod actions;
pub mod desired;
pub mod observed;
pub mod plan;
pub mod teardown;
