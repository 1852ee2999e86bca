//! The family seam's AWS side: each family on the seam
//! (`warmstandby_core::families`) adds here how it is observed and how its
//! actions are carried out. The observation of every seam family and the
//! dispatch of their actions are derived from the core's one list
//! (`warmstandby_core::seam_families!`), so a family cannot be registered in
//! one crate and forgotten in the other.

pub mod alarm;
pub mod backup;
pub mod bastion;
pub mod cdn;
pub mod certificates;
pub mod compute;
pub mod database;
pub mod instance_roles;
pub mod load_balancing;
pub mod network;
pub mod private_dns;
pub mod public_dns;
pub mod secrets;
pub mod security_groups;
pub mod waf;

use std::future::Future;

use warmstandby_api::RegionRole;
use warmstandby_core::Password;
use warmstandby_core::families::{FamiliesDesired, FamiliesObserved, Owner, ResourceFamily, SeamAction, Stack};
use warmstandby_core::plan::ActionOutcome;
use warmstandby_core::plan::Place;

use crate::clients::AwsContext;
pub(crate) use crate::errors::ok_or_gone;
use crate::errors::{AwsError, ErrorClass};
use crate::tags::Ownership;

/// Refused at the last moment: another manager claimed `what` since the plan.
pub(crate) fn managed_by_another(operation: &str, what: &str, other: &str) -> AwsError {
    AwsError::new(
        ErrorClass::InvalidSpec,
        operation,
        "NotOwned",
        format!("{what} is managed by {other}; it is left alone"),
    )
}

/// Refused at the last moment: `what` is not tagged as this stack's.
pub(crate) fn not_ours(operation: &str, what: &str) -> AwsError {
    AwsError::new(
        ErrorClass::InvalidSpec,
        operation,
        "NotOwned",
        format!("{what} is not tagged as this stack's; it is left alone"),
    )
}

/// The region an action of `scope` runs in.
pub fn scope_region(scope: Place, regions: [&str; 2]) -> &str {
    match scope {
        Place::Region(RegionRole::Primary) => regions[0],
        Place::Region(RegionRole::Standby) => regions[1],
        Place::Global => warmstandby_api::GLOBAL_REGION,
    }
}

/// What an observation is for, for a family of owner `O` (a stack's, by default).
pub enum Reading<'a, O: Owner = Stack> {
    /// A reconcile pass: the last status's IDs let a family read directly,
    /// and the owner's secrets (a stack's password) are compared with what
    /// AWS holds.
    Pass { status: Option<&'a O::Status>, secrets: &'a O::Secrets },
    /// A teardown: no status to trust, every resource of ours is searched for.
    Teardown,
}

impl<O: Owner> Clone for Reading<'_, O> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<O: Owner> Copy for Reading<'_, O> {}

impl<O: Owner> std::fmt::Debug for Reading<'_, O> {
    /// Never the secrets.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.is_teardown() { "Teardown" } else { "Pass" })
    }
}

impl<'a, O: Owner> Reading<'a, O> {
    pub fn status(&self) -> Option<&'a O::Status> {
        match self {
            Reading::Pass { status, .. } => *status,
            Reading::Teardown => None,
        }
    }

    pub fn secrets(&self) -> Option<&'a O::Secrets> {
        match self {
            Reading::Pass { secrets, .. } => Some(secrets),
            Reading::Teardown => None,
        }
    }

    pub fn is_teardown(&self) -> bool {
        matches!(self, Reading::Teardown)
    }
}

impl<'a> Reading<'a> {
    /// The stack's database password (a pass's only).
    pub fn password(&self) -> Option<&'a Password> {
        self.secrets()
    }
}

/// What one family's observation found, and which of its reads failed
/// where: a failed read counts as that region's (or the global resources')
/// failure, so an outage of one region is told apart from one of the
/// account's global services. What could not be read is left empty.
#[derive(Debug, Default)]
pub struct Observation<T> {
    pub observed: T,
    pub failed: Vec<(Place, AwsError)>,
}

impl<T: Default> Observation<T> {
    /// A family whose reads all go to `place`.
    pub fn at(place: Place, read: Result<T, AwsError>) -> Self {
        match read {
            Ok(observed) => Observation { observed, failed: Vec::new() },
            Err(e) => Observation { observed: T::default(), failed: vec![(place, e)] },
        }
    }

    /// What was read, else (noting the failure at `place`) nothing.
    pub fn take<U: Default>(&mut self, place: Place, read: Result<U, AwsError>) -> U {
        read.unwrap_or_else(|e| {
            self.failed.push((place, e));
            U::default()
        })
    }
}

impl<T: Default> Observation<[T; 2]> {
    /// A family planned per region: both regions read at once (`read(0)`
    /// the primary's), each failure counted against its own region.
    pub async fn each_region<Read: Future<Output = Result<T, AwsError>>>(read: impl Fn(usize) -> Read) -> Self {
        let (primary, standby) = tokio::join!(Box::pin(read(0)), Box::pin(read(1)));
        let mut seen = Observation::<[T; 2]>::default();
        let primary = seen.take(Place::Region(RegionRole::Primary), primary);
        let standby = seen.take(Place::Region(RegionRole::Standby), standby);
        seen.observed = [primary, standby];
        seen
    }
}

/// One family's observation and calls (every family's: a stack's on the
/// seam, the RegionPair's network).
pub trait AwsFamily<O: Owner = Stack>: ResourceFamily<O> {
    /// What AWS holds of it now. `owners`: the primary region's first.
    fn observe(
        aws: &AwsContext,
        desired: &Self::Desired,
        owners: &[Ownership; 2],
        reading: &Reading<'_, O>,
    ) -> impl Future<Output = Observation<Self::Observed>> + Send;

    /// Carries out one action in `region` for `owner`. The owner's secrets
    /// (a stack's password) are read only by the calls that write them.
    fn apply(
        aws: &AwsContext,
        region: &str,
        owner: &Ownership,
        action: &Self::Action,
        secrets: &O::Secrets,
    ) -> impl Future<Output = Result<ActionOutcome, AwsError>> + Send;
}

/// Every seam family's observation; what could not be read is left empty
/// and its failure is told with where its reads went.
#[derive(Debug, Default)]
pub struct Seen {
    pub observed: FamiliesObserved,
    pub failed: Vec<(Place, AwsError)>,
}

impl Seen {
    /// All or nothing (teardown): the first failure.
    pub fn complete(self) -> Result<FamiliesObserved, AwsError> {
        match self.failed.into_iter().next() {
            Some((_, e)) => Err(e),
            None => Ok(self.observed),
        }
    }

    /// The first failure of reads that go to `place`.
    pub fn failure_at(&self, place: Place) -> Option<&AwsError> {
        self.failed.iter().find(|(p, _)| *p == place).map(|(_, e)| e)
    }

    /// Reads that go to `place` failed the way an outage fails: more than
    /// one family's, and every one of them alike (a throttled or single
    /// failed read means the place answers).
    pub fn cut_off(&self, place: Place) -> bool {
        let failed: Vec<&AwsError> = self.failed.iter().filter(|(p, _)| *p == place).map(|(_, e)| e).collect();
        failed.len() > 1 && failed.iter().all(|e| e.class.suggests_outage())
    }
}

macro_rules! define_aws_seam {
    ($($field:ident: $family:ty => $variant:ident),* $(,)?) => {
        /// Observes every family on the seam at once.
        pub async fn observe(
            aws: &AwsContext,
            desired: &FamiliesDesired,
            owners: &[Ownership; 2],
            reading: &Reading<'_>,
        ) -> Seen {
            let ($($field,)*) = tokio::join!(
                $(Box::pin(<$family as AwsFamily>::observe(aws, &desired.$field, owners, reading)),)*
            );
            let mut seen = Seen::default();
            $(
                seen.observed.$field = $field.observed;
                seen.failed.extend($field.failed);
            )*
            seen
        }

        /// Carries out one action of a family on the seam.
        pub async fn apply(
            aws: &AwsContext,
            region: &str,
            owner: &Ownership,
            action: &SeamAction,
            password: &Password,
        ) -> Result<ActionOutcome, AwsError> {
            match action {
                $(SeamAction::$variant(a) => {
                    Box::pin(<$family as AwsFamily>::apply(aws, region, owner, a, password)).await
                })*
            }
        }
    };
}

warmstandby_core::seam_families!(define_aws_seam);
