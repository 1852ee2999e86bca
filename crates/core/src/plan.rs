//! What planning produces, the same for every family: the actions that can
//! run now, the drift found, what the operator will not fix by itself, and
//! what AWS is still working on; and what AWS answered for an action.

use warmstandby_api::DriftItem;

/// Where an action runs: a region of the pair (by role), or global (IAM,
/// and us-east-1's Route 53, CloudFront, WAF for CLOUDFRONT, the alarm and
/// CloudFront's own certificate).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Place {
    Region(warmstandby_api::RegionRole),
    Global,
}

/// One family's plan. `A` is the family's action, paired with its scope
/// where the family plans more than one (a region role, or global).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan<A> {
    /// Actions whose prerequisites exist now; independent of each other.
    pub actions: Vec<A>,
    /// Differences between desired and observed, field by field.
    pub drift: Vec<DriftItem>,
    /// Differences the operator will not fix by itself (replacement needed).
    pub blocked: Vec<String>,
    /// Things in progress in AWS (e.g. a NAT gateway still deleting).
    pub waiting: Vec<String>,
}

impl<A> Default for Plan<A> {
    fn default() -> Self {
        Self { actions: Vec::new(), drift: Vec::new(), blocked: Vec::new(), waiting: Vec::new() }
    }
}

impl<A> Plan<A> {
    /// Nothing to do, nothing refused and nothing to wait for.
    pub fn is_settled(&self) -> bool {
        self.actions.is_empty() && self.blocked.is_empty() && self.waiting.is_empty()
    }

    /// Adds this plan's findings (drift, blocked, waiting) to `into`'s.
    pub fn findings_into<B>(self, into: &mut Plan<B>) {
        into.drift.extend(self.drift);
        into.blocked.extend(self.blocked);
        into.waiting.extend(self.waiting);
    }

    /// The same plan with each action made into another by `f` (given its
    /// place, or carried by a wider enum).
    pub fn map<B>(self, f: impl FnMut(A) -> B) -> Plan<B> {
        let Plan { actions, drift, blocked, waiting } = self;
        Plan { actions: actions.into_iter().map(f).collect(), drift, blocked, waiting }
    }

    /// Adds `other`'s actions and findings after this plan's.
    pub fn append(&mut self, other: Plan<A>) {
        let Plan { actions, drift, blocked, waiting } = other;
        self.actions.extend(actions);
        self.drift.extend(drift);
        self.blocked.extend(blocked);
        self.waiting.extend(waiting);
    }
}

impl<S, A> Plan<(S, A)> {
    /// An action of the family's kind, at `scope`.
    pub fn push(&mut self, scope: S, action: impl Into<A>) {
        self.actions.push((scope, action.into()));
    }
}

/// What one pass of a family, a RegionPair's region or a whole stack did
/// and found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PassOutcome {
    /// Drift found by the first plan of the pass, on fresh observations.
    pub drift: Vec<DriftItem>,
    /// The first plan had nothing to do.
    pub converged: bool,
    /// Changes made.
    pub applied: usize,
    /// A pass that changes nothing (observe only, paused): the changes an
    /// apply would make now.
    pub planned: usize,
    /// Differences the operator will not fix by itself.
    pub blocked: Vec<String>,
    /// What AWS (or the next pass) is still to do.
    pub waiting: Vec<String>,
    /// Failed AWS calls, already free of secrets.
    pub errors: Vec<String>,
}

impl PassOutcome {
    /// Nothing left to do, wait for or repair.
    pub fn ready(&self) -> bool {
        self.converged && self.blocked.is_empty() && self.waiting.is_empty() && self.errors.is_empty()
    }
}

/// What AWS returned for an action, recorded into the observed model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ActionOutcome {
    Done,
    Created {
        id: String,
    },
    CreatedAddress {
        allocation_id: String,
        public_ip: String,
    },
    Associated {
        association_id: String,
    },
    /// The target was already gone: counts as done for deletes.
    NotFound,
}

impl ActionOutcome {
    /// The resource a creation made.
    pub fn created_id(&self) -> Option<&str> {
        match self {
            ActionOutcome::Created { id } => Some(id),
            ActionOutcome::CreatedAddress { allocation_id, .. } => Some(allocation_id),
            _ => None,
        }
    }
}
