//! Where a stack's pieces belong in one pass. The failover machine decides
//! it (or its steady state does); the desired-state functions take it beside
//! the validated stack, whose spec stays as the user wrote it.

use warmstandby_api::RegionRole;

use crate::validate::ValidatedStack;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Placement {
    /// Holds the writer database.
    pub data_active: RegionRole,
    /// Serves traffic and holds the full capacity.
    pub edge_active: RegionRole,
    /// The region whose database takes no writes (its api ingress is revoked).
    pub fenced: Option<RegionRole>,
    /// The epoch tagged on the writer (a promoted database carries the epoch that made it one).
    pub epoch: i64,
    /// The epoch of the failover that fenced `fenced` (tagged on its db group).
    pub fence_epoch: i64,
    /// Both regions run the active capacity (while a move is under way).
    pub full_capacity_everywhere: bool,
    /// No move is running: a fenced former writer may be rebuilt as a replica.
    pub rebuild_allowed: bool,
}

impl Placement {
    /// Everything in `active`, nothing fenced, no move running.
    pub fn at(active: RegionRole) -> Placement {
        Placement {
            data_active: active,
            edge_active: active,
            fenced: None,
            epoch: 0,
            fence_epoch: 0,
            full_capacity_everywhere: false,
            rebuild_allowed: false,
        }
    }

    /// Where the spec puts the stack (the offline topology, teardown).
    pub fn of_spec(stack: &ValidatedStack) -> Placement {
        Placement::at(stack.spec.active_region)
    }
}
