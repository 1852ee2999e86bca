//! Secrets Manager: the stack's database credentials in the primary region,
//! replicated to the standby. The value is written and compared only here;
//! nothing of it is logged, tagged or returned (only which keys differ).

use aws_sdk_secretsmanager::types::{ReplicaRegionType, Tag};
use aws_smithy_types::date_time::Format;
use std::sync::Arc;

use warmstandby_api::{RegionRole, TAG_UID};
use warmstandby_core::Password;
use warmstandby_core::families::secrets::{
    DesiredSecret, ObservedSecret, SECRET_PREFIX, SecretAction, SecretFields, Secrets,
};
use warmstandby_core::plan::ActionOutcome;
use warmstandby_core::plan::Place;

use super::{AwsFamily, Observation, Reading};
use crate::clients::AwsContext;
use crate::errors::{AwsError, ok_or_gone};
use crate::shared::Listing;
use crate::tags::Ownership;

impl AwsFamily for Secrets {
    /// With the stack's password (a pass), its value is compared too.
    async fn observe(
        aws: &AwsContext,
        desired: &DesiredSecret,
        owners: &[Ownership; 2],
        reading: &Reading<'_>,
    ) -> Observation<Option<ObservedSecret>> {
        // Read in its home region (the primary): an outage there hides it.
        let home = Place::Region(RegionRole::Primary);
        Observation::at(home, observe(aws, desired, &owners[0], reading.password()).await)
    }

    async fn apply(
        aws: &AwsContext,
        region: &str,
        owner: &Ownership,
        action: &SecretAction,
        password: &Password,
    ) -> Result<ActionOutcome, AwsError> {
        apply(aws, region, owner, password, action).await
    }
}

/// Every secret of ours in the region (named `warmstandby/...`), also those
/// scheduled for deletion; a replica lists with its primary region.
pub(crate) async fn secrets(
    aws: &AwsContext,
    region: &str,
) -> Result<Arc<Vec<aws_sdk_secretsmanager::types::SecretListEntry>>, AwsError> {
    let ours = aws_sdk_secretsmanager::types::Filter::builder()
        .key(aws_sdk_secretsmanager::types::FilterNameStringType::Name)
        .values(SECRET_PREFIX)
        .build();
    aws.shared()
        .read(Listing::Secrets, region, || {
            crate::fleet::all_pages(|token| async {
                let page = send!(
                    "secretsmanager:ListSecrets",
                    aws.secretsmanager(region)
                        .list_secrets()
                        .filters(ours.clone())
                        .include_planned_deletion(true)
                        .max_results(100)
                        .set_next_token(token)
                )?;
                Ok((page.secret_list().to_vec(), page.next_token().map(str::to_string)))
            })
        })
        .await
}

/// Our secret from the shared listings of both regions (the replica shows
/// in its region's); with the password, one GetSecretValue per new version
/// to compare the value key by key.
async fn observe(
    aws: &AwsContext,
    desired: &DesiredSecret,
    owner: &Ownership,
    password: Option<&Password>,
) -> Result<Option<ObservedSecret>, AwsError> {
    let sm = aws.secretsmanager(&desired.home_region);
    let listed = secrets(aws, &desired.home_region).await?;
    let Some(found) = listed.iter().find(|e| e.name() == Some(desired.name.as_str()) && e.primary_region().is_none())
    else {
        return Ok(None);
    };
    let arn = found.arn().unwrap_or_default().to_string();
    let ours = found.tags().iter().any(|t| t.key() == Some(TAG_UID) && t.value() == Some(owner.uid.as_str()));
    let deleted = found.deleted_date().is_some();
    let replicas = replicas(aws, desired, &arn).await?;
    let last_changed = found.last_changed_date().and_then(|d| d.fmt(Format::DateTime).ok());
    // Every change of the value makes a new current version: an unchanged
    // version compared with the same password needs no second read.
    let current = found
        .secret_versions_to_stages()
        .and_then(|v| v.iter().find(|(_, stages)| stages.iter().any(|s| s == "AWSCURRENT")).map(|(id, _)| id.clone()))
        .unwrap_or_default();
    let differing = match password {
        Some(password) if ours && !deleted => match aws.cached_secret_check(&arn, &current, password) {
            Some(keys) if !current.is_empty() => Some(keys),
            _ => {
                let value = send!("secretsmanager:GetSecretValue", sm.get_secret_value().secret_id(&arn))?;
                let keys = differing_keys(&desired.fields, password, value.secret_string().unwrap_or_default());
                let version = value.version_id().unwrap_or(&current).to_string();
                aws.cache_secret_check(&arn, &version, password, keys.clone());
                Some(keys)
            }
        },
        _ => None,
    };
    Ok(Some(ObservedSecret { arn, ours, deleted, replicas, last_changed, differing }))
}

/// The replica as the replica region lists it. When that region cannot be
/// read, the primary's DescribeSecret tells (an outage of the standby must
/// not hide the primary's secret).
async fn replicas(aws: &AwsContext, desired: &DesiredSecret, arn: &str) -> Result<Vec<(String, String)>, AwsError> {
    let home = desired.home_region.as_str();
    if let Ok(there) = secrets(aws, &desired.replica_region).await {
        let replicated =
            there.iter().any(|e| e.name() == Some(desired.name.as_str()) && e.primary_region() == Some(home));
        return Ok(if replicated { vec![(desired.replica_region.clone(), "InSync".to_string())] } else { Vec::new() });
    }
    let sm = aws.secretsmanager(home);
    let found = send!("secretsmanager:DescribeSecret", sm.describe_secret().secret_id(arn))?;
    Ok(found
        .replication_status()
        .iter()
        .map(|r| {
            let status = r.status().map(|s| s.as_str().to_string()).unwrap_or_default();
            (r.region().unwrap_or_default().to_string(), status)
        })
        .collect())
}

/// Keys of the stored value that are not what they should be.
fn differing_keys(fields: &SecretFields, password: &Password, stored: &str) -> Vec<String> {
    let value: serde_json::Value = serde_json::from_str(stored).unwrap_or_default();
    let mut keys: Vec<String> =
        fields.fields().into_iter().filter(|(k, v)| value.get(k) != Some(v)).map(|(k, _)| k.to_string()).collect();
    if value.get("password").and_then(|p| p.as_str()) != Some(password.expose()) {
        keys.push("password".into());
    }
    keys
}

fn tags(owner: &Ownership, name: &str) -> Vec<Tag> {
    owner.tags("secret", name).into_iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect()
}

/// Executes one secret action in the secret's home region. The password is
/// read only at the calls that write it.
async fn apply(
    aws: &AwsContext,
    region: &str,
    owner: &Ownership,
    password: &Password,
    action: &SecretAction,
) -> Result<ActionOutcome, AwsError> {
    let sm = aws.secretsmanager(region);
    match action {
        SecretAction::Create { name, description, replica_region, fields } => {
            let out = send!(
                "secretsmanager:CreateSecret",
                sm.create_secret()
                    .name(name)
                    .description(description)
                    .secret_string(fields.value_with(password.expose()))
                    .add_replica_regions(ReplicaRegionType::builder().region(replica_region).build())
                    .set_tags(Some(tags(owner, name)))
            )?;
            Ok(ActionOutcome::Created { id: out.arn().unwrap_or_default().to_string() })
        }
        SecretAction::Restore { arn } => {
            send!("secretsmanager:RestoreSecret", sm.restore_secret().secret_id(arn)).map(|_| ActionOutcome::Done)
        }
        SecretAction::Replicate { arn, region } => send!(
            "secretsmanager:ReplicateSecretToRegions",
            sm.replicate_secret_to_regions()
                .secret_id(arn)
                .add_replica_regions(ReplicaRegionType::builder().region(region).build())
        )
        .map(|_| ActionOutcome::Done),
        SecretAction::Rotate { arn, fields, database } => {
            // The database first: a secret never names a password it refuses.
            if let Some((db_region, identifier)) = database {
                send!(
                    "rds:ModifyDBInstance",
                    aws.rds(db_region)
                        .modify_db_instance()
                        .db_instance_identifier(identifier)
                        .master_user_password(password.expose())
                        .apply_immediately(true)
                )?;
            }
            send!(
                "secretsmanager:PutSecretValue",
                sm.put_secret_value().secret_id(arn).secret_string(fields.value_with(password.expose()))
            )
            .map(|_| ActionOutcome::Done)
        }
        SecretAction::RemoveReplica { arn, region } => ok_or_gone(send!(
            "secretsmanager:RemoveRegionsFromReplication",
            sm.remove_regions_from_replication().secret_id(arn).remove_replica_regions(region)
        )),
        SecretAction::Delete { arn, recovery_window_days } => {
            let req = sm.delete_secret().secret_id(arn);
            let req = if *recovery_window_days == 0 {
                req.force_delete_without_recovery(true)
            } else {
                req.recovery_window_in_days(i64::from(*recovery_window_days))
            };
            ok_or_gone(send!("secretsmanager:DeleteSecret", req))
        }
        SecretAction::Release { arn } => ok_or_gone(send!(
            "secretsmanager:UntagResource",
            sm.untag_resource().secret_id(arn).set_tag_keys(Some(crate::tags::our_tag_keys()))
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_names_of_differing_keys_come_back() {
        let fields = SecretFields {
            username: "admin".into(),
            host: "book.db.internal".into(),
            port: 3306,
            dbname: "app".into(),
            engine: "mysql".into(),
        };
        let stored = fields.value_with("old-Passw0rd");
        assert!(differing_keys(&fields, &Password::new("old-Passw0rd"), &stored).is_empty());
        let keys = differing_keys(&fields, &Password::new("new-Passw0rd"), &stored);
        assert_eq!(keys, vec!["password".to_string()]);
        let moved = SecretFields { port: 3307, ..fields.clone() };
        assert_eq!(differing_keys(&moved, &Password::new("old-Passw0rd"), &stored), vec!["port".to_string()]);
    }
}
