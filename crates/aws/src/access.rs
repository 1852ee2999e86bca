//! The access family in one place: one concurrent observation (the secret
//! in its home region, IAM for the account) and one exhaustive dispatch.

use warmstandby_core::Password;
use warmstandby_core::access::actions::AccessAction;
use warmstandby_core::access::desired::DesiredAccess;
use warmstandby_core::access::observed::ObservedAccess;
use warmstandby_core::plan::ActionOutcome;

use crate::clients::AwsContext;
use crate::errors::AwsError;
use crate::tags::Ownership;
use crate::{iam, secrets};

/// `password`: compare the secret's value; without one (a teardown), every
/// profile under the path is listed too.
pub async fn observe(
    aws: &AwsContext,
    desired: &DesiredAccess,
    owner: &Ownership,
    password: Option<&Password>,
) -> Result<ObservedAccess, AwsError> {
    let (secret, (roles, profiles)) = tokio::try_join!(
        Box::pin(secrets::observe(aws, &desired.secret, owner, password)),
        Box::pin(iam::observe(aws, desired, owner, password.is_none())),
    )?;
    Ok(ObservedAccess { secret, roles, profiles, known_profiles: Vec::new() })
}

/// Executes one access action; secrets run in the secret's home region.
pub async fn apply(
    aws: &AwsContext,
    desired: &DesiredAccess,
    owner: &Ownership,
    password: &Password,
    action: &AccessAction,
) -> Result<ActionOutcome, AwsError> {
    match action {
        AccessAction::Secret(a) => Box::pin(secrets::apply(aws, &desired.secret.home_region, owner, password, a)).await,
        AccessAction::Iam(a) => Box::pin(iam::apply(aws, owner, a)).await,
    }
}
