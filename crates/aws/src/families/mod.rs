//! The family seam's AWS side: each family on the seam
//! (`warmstandby_core::families`) adds here how it is observed and how its
//! actions are carried out. The observation of every seam family and the
//! dispatch of their actions are derived from the core's one list
//! (`warmstandby_core::seam_families!`), so a family cannot be registered in
//! one crate and forgotten in the other.

pub mod waf;

use std::future::Future;

use warmstandby_api::ThreeTierStackStatus;
use warmstandby_core::families::{FamiliesDesired, FamiliesObserved, SeamAction, StackFamily};
use warmstandby_core::plan::ActionOutcome;

use crate::clients::AwsContext;
use crate::errors::AwsError;
use crate::tags::Ownership;

/// One family's observation and calls.
pub trait AwsFamily: StackFamily {
    /// What AWS holds of it now. `status` is the last one, whose IDs let it
    /// read directly (`None` at teardown: it searches for everything of
    /// ours). `owners`: the primary region's first.
    fn observe(
        aws: &AwsContext,
        desired: &Self::Desired,
        owners: &[Ownership; 2],
        status: Option<&ThreeTierStackStatus>,
    ) -> impl Future<Output = Result<Self::Observed, AwsError>> + Send;

    /// Carries out one action in `region` for `owner`.
    fn apply(
        aws: &AwsContext,
        region: &str,
        owner: &Ownership,
        action: &Self::Action,
    ) -> impl Future<Output = Result<ActionOutcome, AwsError>> + Send;
}

macro_rules! define_aws_seam {
    ($($field:ident: $family:ty => $variant:ident),* $(,)?) => {
        /// Observes every family on the seam at once.
        pub async fn observe(
            aws: &AwsContext,
            desired: &FamiliesDesired,
            owners: &[Ownership; 2],
            status: Option<&ThreeTierStackStatus>,
        ) -> Result<FamiliesObserved, AwsError> {
            let ($($field,)*) = tokio::try_join!(
                $(Box::pin(<$family as AwsFamily>::observe(aws, &desired.$field, owners, status)),)*
            )?;
            Ok(FamiliesObserved { $($field,)* })
        }

        /// Carries out one action of a family on the seam.
        pub async fn apply(
            aws: &AwsContext,
            region: &str,
            owner: &Ownership,
            action: &SeamAction,
        ) -> Result<ActionOutcome, AwsError> {
            match action {
                $(SeamAction::$variant(a) => Box::pin(<$family as AwsFamily>::apply(aws, region, owner, a)).await,)*
            }
        }
    };
}

warmstandby_core::seam_families!(define_aws_seam);
