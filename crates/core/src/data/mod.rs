//! The database family's model and planning (its place on the family seam
//! is `families::database`): the DB subnet group and the MySQL writer and
//! replica, desired state, observation, plan and teardown. Its conditions
//! are computed with the stack's (`stack_pass::status`).

pub mod actions;
pub mod desired;
pub mod observed;
pub mod plan;
pub mod teardown;
