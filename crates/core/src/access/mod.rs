//! The application's access family: the database credentials secret
//! (Secrets Manager, in the primary region with a replica in the standby)
//! and an IAM role and instance profile per tier, plus the environment block
//! every launch template's user data starts with.

pub mod actions;
pub mod desired;
pub mod environment;
pub mod observed;
pub mod plan;
