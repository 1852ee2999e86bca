//! Desired resources of a ThreeTierStack, both regions and global.
//!
//! Role-aware: the active region holds the writer database, the full
//! capacity and the PRIMARY api record; the other region holds the replica,
//! the warm capacity and the SECONDARY record. Drift repair therefore
//! follows a failover instead of undoing it.

use super::Resource;
use crate::placement::Placement;
use crate::validate::ValidatedStack;

/// The stack's resources in both regions and globally, in a natural creation
/// order (the topology sort makes it exact): each family on the seam places
/// its own, drawn from the same typed desired state the planner works from,
/// so the offline topology and `apply` cannot disagree. The load balancing
/// family lays out each region's target groups, load balancers and
/// listeners; the compute family its images before them and each tier's
/// launch template and auto scaling group after its listeners; then the
/// security groups and the database (before a region's servers), the
/// bastion (before the primary's DB subnet group), each region's private
/// zone and record (after its database), the public zone, health check and
/// records, the distribution (before the web alias), the web ACL (before the
/// distribution that uses it), the alarm on the health check, the
/// credentials secret (in the primary region, with a replica in the
/// standby), each tier's role and instance profile, each region's
/// certificate (after its data resources) and the validation records
/// (after the public zone), each region's backup vault (after its database)
/// and the primary's backup plan and selection.
pub fn stack_resources(stack: &ValidatedStack) -> Vec<Resource> {
    let mut out = Vec::new();
    crate::families::FamiliesDesired::of(stack, &Placement::of_spec(stack)).topology(&mut out);
    out
}
