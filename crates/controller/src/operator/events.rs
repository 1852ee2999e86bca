//! Event reasons the operator publishes, each with its severity and the
//! action it reports, so a Warning is decided in one place.

use kube::runtime::events::EventType;
use warmstandby_core::failover::FailoverReason;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    /// The spec cannot be built; the status says why.
    InvalidSpec,
    /// Changes applied to a resource created by this pass's generation.
    Created,
    /// Changes applied to match a changed spec.
    Updated,
    /// Changes applied to undo changes made outside the operator.
    DriftRepaired,
    /// Changes a failover or switchover made (its new placement).
    FailoverChanges,
    /// Drift found that this pass could not repair.
    DriftDetected,
    /// An object that only observes: the changes an apply would make.
    ChangesPlanned,
    /// An AWS call failed; the next pass retries.
    ReconcileFailed,
    /// A deletion waits: other objects still use this one, or AWS refused.
    DeletionBlocked,
    /// Every AWS resource the object owned is gone.
    Deleted,
    /// A step of the failover machine.
    Failover(FailoverReason),
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::InvalidSpec => "InvalidSpec",
            Reason::Created => "Created",
            Reason::Updated => "Updated",
            Reason::DriftRepaired => "DriftRepaired",
            Reason::FailoverChanges => "FailoverChangesApplied",
            Reason::DriftDetected => "DriftDetected",
            Reason::ChangesPlanned => "ChangesPlanned",
            Reason::ReconcileFailed => "ReconcileFailed",
            Reason::DeletionBlocked => "DeletionBlocked",
            Reason::Deleted => "Deleted",
            Reason::Failover(r) => r.as_str(),
        }
    }

    /// Warning when someone should look.
    pub fn event_type(self) -> EventType {
        let warning = match self {
            Reason::InvalidSpec | Reason::DriftDetected | Reason::ReconcileFailed | Reason::DeletionBlocked => true,
            Reason::Created
            | Reason::Updated
            | Reason::DriftRepaired
            | Reason::FailoverChanges
            | Reason::Deleted
            | Reason::ChangesPlanned => false,
            Reason::Failover(r) => r.is_warning(),
        };
        if warning { EventType::Warning } else { EventType::Normal }
    }

    /// The event's action: what the operator was doing.
    pub fn action(self) -> &'static str {
        match self {
            Reason::InvalidSpec => "Validate",
            Reason::Created | Reason::Updated | Reason::DriftRepaired | Reason::ReconcileFailed => "Reconcile",
            Reason::DriftDetected | Reason::ChangesPlanned => "Observe",
            Reason::DeletionBlocked | Reason::Deleted => "Delete",
            Reason::Failover(_) | Reason::FailoverChanges => "Failover",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severity_and_action_come_with_the_reason() {
        assert_eq!(Reason::InvalidSpec.event_type(), EventType::Warning);
        assert_eq!(Reason::Created.event_type(), EventType::Normal);
        assert_eq!(Reason::Failover(FailoverReason::Refused).event_type(), EventType::Warning);
        assert_eq!(Reason::Failover(FailoverReason::Succeeded).event_type(), EventType::Normal);
        assert_eq!(Reason::Failover(FailoverReason::Refused).as_str(), "FailoverRefused");
        assert_eq!(Reason::DriftDetected.action(), "Observe");
    }
}
