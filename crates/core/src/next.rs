//! When an object needs its next pass, and why: the pure passes say it,
//! the operator's pacer turns it into a delay.

/// Why the next pass of an object should come.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
    /// Changes were made (creation, repair, teardown, a failover step).
    Progress,
    /// AWS is working on something we started, or a resource waits for another.
    WaitingOnAws,
    /// Nothing to do: drift resync with jitter.
    Steady,
    /// Waiting for other objects to go first (deletion blocked).
    Blocked,
    /// The pass failed.
    Failed { retryable: bool },
    /// Nothing changes until the object does (an invalid spec, a finished deletion).
    AwaitChange,
}
