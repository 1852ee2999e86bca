//! The fleet-wide listings behind shared observation: one (paginated) read
//! per kind and region, tag-filtered to everything of ours where the API
//! filters by tag, else the region's whole listing. Each family picks one
//! stack's resources from these by uid, name or caller reference.

use std::sync::Arc;

use aws_sdk_ec2::types::Filter;
use warmstandby_api::{GLOBAL_REGION, TAG_UID};

use crate::clients::AwsContext;
use crate::errors::AwsError;
use crate::shared::Listing;

/// Every page of a listing whose SDK has no item paginator: `page` reads
/// the page after a marker and returns its items and the next marker.
pub(crate) async fn all_pages<T, Fut>(mut page: impl FnMut(Option<String>) -> Fut) -> Result<Vec<T>, AwsError>
where
    Fut: std::future::Future<Output = Result<(Vec<T>, Option<String>), AwsError>>,
{
    let mut out = Vec::new();
    let mut marker = None;
    loop {
        let (items, next) = page(marker.take()).await?;
        let empty = items.is_empty();
        out.extend(items);
        match next {
            // An empty page with a marker ends it too (never loop on one).
            Some(m) if !empty => marker = Some(m),
            _ => return Ok(out),
        }
    }
}

/// Resources carrying our uid tag, whatever the uid: every stack's.
fn ours_filter() -> Filter {
    Filter::builder().name("tag-key").values(TAG_UID).build()
}

pub(crate) async fn security_groups(
    aws: &AwsContext,
    region: &str,
) -> Result<Arc<Vec<aws_sdk_ec2::types::SecurityGroup>>, AwsError> {
    aws.shared()
        .read(Listing::SecurityGroups, region, || async {
            send_all!("ec2:DescribeSecurityGroups", aws.ec2(region).describe_security_groups().filters(ours_filter()))
        })
        .await
}

/// Instances of ours that are not terminated.
pub(crate) async fn instances(
    aws: &AwsContext,
    region: &str,
) -> Result<Arc<Vec<aws_sdk_ec2::types::Reservation>>, AwsError> {
    let live = Filter::builder()
        .name("instance-state-name")
        .values("pending")
        .values("running")
        .values("stopping")
        .values("stopped")
        .values("shutting-down")
        .build();
    aws.shared()
        .read(Listing::Instances, region, || async {
            send_all!(
                "ec2:DescribeInstances",
                aws.ec2(region).describe_instances().filters(ours_filter()).filters(live)
            )
        })
        .await
}

/// Every database of the region (RDS filters no tags).
pub(crate) async fn db_instances(
    aws: &AwsContext,
    region: &str,
) -> Result<Arc<Vec<aws_sdk_rds::types::DbInstance>>, AwsError> {
    aws.shared()
        .read(Listing::DbInstances, region, || async {
            send_all!("rds:DescribeDBInstances", aws.rds(region).describe_db_instances())
        })
        .await
}

/// The recent ReplicaLag datapoints of every read replica of ours among `dbs` (the
/// region's databases), in one GetMetricData per 500 replicas.
pub(crate) async fn replica_lags(
    aws: &AwsContext,
    region: &str,
    dbs: &[aws_sdk_rds::types::DbInstance],
) -> Result<Arc<std::collections::HashMap<String, Vec<(i64, i64)>>>, AwsError> {
    aws.shared()
        .read(Listing::ReplicaLag, region, || async {
            let replicas: Vec<String> = dbs
                .iter()
                .filter(|d| d.read_replica_source_db_instance_identifier().is_some())
                .filter(|d| d.tag_list().iter().any(|t| t.key() == Some(TAG_UID)))
                .filter_map(|d| d.db_instance_identifier().map(str::to_string))
                .collect();
            let mut lags = std::collections::HashMap::new();
            for chunk in replicas.chunks(500) {
                lags.extend(crate::rds::replica_lags(aws, region, chunk).await?);
            }
            Ok(lags)
        })
        .await
}

pub(crate) async fn backup_vaults(
    aws: &AwsContext,
    region: &str,
) -> Result<Arc<Vec<aws_sdk_backup::types::BackupVaultListMember>>, AwsError> {
    aws.shared()
        .read(Listing::BackupVaults, region, || async {
            send_all!("backup:ListBackupVaults", aws.backup(region).list_backup_vaults())
        })
        .await
}

pub(crate) async fn backup_plans(
    aws: &AwsContext,
    region: &str,
) -> Result<Arc<Vec<aws_sdk_backup::types::BackupPlansListMember>>, AwsError> {
    aws.shared()
        .read(Listing::BackupPlans, region, || async {
            send_all!("backup:ListBackupPlans", aws.backup(region).list_backup_plans())
        })
        .await
}

pub(crate) async fn load_balancers(
    aws: &AwsContext,
    region: &str,
) -> Result<Arc<Vec<aws_sdk_elasticloadbalancingv2::types::LoadBalancer>>, AwsError> {
    aws.shared()
        .read(Listing::LoadBalancers, region, || async {
            send_all!(
                "elasticloadbalancing:DescribeLoadBalancers",
                aws.elbv2(region).describe_load_balancers().page_size(400)
            )
        })
        .await
}

pub(crate) async fn target_groups(
    aws: &AwsContext,
    region: &str,
) -> Result<Arc<Vec<aws_sdk_elasticloadbalancingv2::types::TargetGroup>>, AwsError> {
    aws.shared()
        .read(Listing::TargetGroups, region, || async {
            send_all!(
                "elasticloadbalancing:DescribeTargetGroups",
                aws.elbv2(region).describe_target_groups().page_size(400)
            )
        })
        .await
}

/// Listener ARNs per call when read by ARN: AWS documents no limit for
/// `DescribeListeners`, so a conservative one keeps a request small.
const LISTENER_ARNS_PER_CALL: usize = 100;

/// The listeners every stack reported in `region`, read by ARN.
struct ListenerView {
    /// The ARNs the read asked for.
    asked: std::collections::BTreeSet<String>,
    /// `false` when one of them no longer exists (AWS then answers none).
    complete: bool,
    listeners: Vec<aws_sdk_elasticloadbalancingv2::types::Listener>,
}

/// One stack's listeners from the fleet's shared read by ARN, or `None`
/// when that read did not cover `hints` (asked before the stack named
/// them, or one of the fleet's listeners is gone): the stack then reads
/// its own. AWS lists listeners only per load balancer or by ARN, so the
/// stacks name the ARNs from their last status and one read asks for all.
pub async fn listeners(
    aws: &AwsContext,
    region: &str,
    owner: &str,
    hints: &[String],
) -> Result<Option<Vec<aws_sdk_elasticloadbalancingv2::types::Listener>>, AwsError> {
    let shared = aws.shared();
    shared.note_interest(Listing::Listeners, region, owner, hints);
    if hints.is_empty() {
        return Ok(None);
    }
    let view: Arc<ListenerView> = shared
        .read(Listing::Listeners, region, || async {
            let asked = shared.interest(Listing::Listeners, region);
            let arns: Vec<String> = asked.iter().cloned().collect();
            let mut listeners = Vec::new();
            for chunk in arns.chunks(LISTENER_ARNS_PER_CALL) {
                let read: Result<Vec<_>, AwsError> = send_all!(
                    "elasticloadbalancing:DescribeListeners",
                    aws.elbv2(region).describe_listeners().set_listener_arns(Some(chunk.to_vec())).page_size(400)
                );
                match read {
                    Ok(found) => listeners.extend(found),
                    Err(e) if e.is_not_found() => {
                        // Someone's listener is gone: every stack reads its own
                        // this time and names its current ARNs again.
                        shared.clear_interest(Listing::Listeners, region);
                        return Ok(ListenerView { asked, complete: false, listeners: Vec::new() });
                    }
                    Err(e) => return Err(e),
                }
            }
            Ok(ListenerView { asked, complete: true, listeners })
        })
        .await?;
    if !view.complete || !hints.iter().all(|h| view.asked.contains(h)) {
        return Ok(None);
    }
    Ok(Some(
        view.listeners
            .iter()
            .filter(|l| l.listener_arn().is_some_and(|arn| hints.iter().any(|h| h == arn)))
            .cloned()
            .collect(),
    ))
}

/// Every image the account owns in the region: our copies are recognised by
/// name, also one whose tagging a crash interrupted.
pub(crate) async fn own_images(
    aws: &AwsContext,
    region: &str,
) -> Result<Arc<Vec<aws_sdk_ec2::types::Image>>, AwsError> {
    aws.shared()
        .read(Listing::Images, region, || async {
            send_all!("ec2:DescribeImages", aws.ec2(region).describe_images().owners("self"))
        })
        .await
}

pub(crate) async fn launch_templates(
    aws: &AwsContext,
    region: &str,
) -> Result<Arc<Vec<aws_sdk_ec2::types::LaunchTemplate>>, AwsError> {
    aws.shared()
        .read(Listing::LaunchTemplates, region, || async {
            send_all!(
                "ec2:DescribeLaunchTemplates",
                aws.ec2(region).describe_launch_templates().filters(ours_filter()).max_results(200)
            )
        })
        .await
}

pub(crate) async fn auto_scaling_groups(
    aws: &AwsContext,
    region: &str,
) -> Result<Arc<Vec<aws_sdk_autoscaling::types::AutoScalingGroup>>, AwsError> {
    let ours = aws_sdk_autoscaling::types::Filter::builder().name("tag-key").values(TAG_UID).build();
    aws.shared()
        .read(Listing::AutoScalingGroups, region, || async {
            send_all!(
                "autoscaling:DescribeAutoScalingGroups",
                // 100 to a page, the most AWS allows (50 by default).
                aws.autoscaling(region).describe_auto_scaling_groups().filters(ours).max_records(100)
            )
        })
        .await
}

pub(crate) async fn certificates(
    aws: &AwsContext,
    region: &str,
) -> Result<Arc<Vec<aws_sdk_acm::types::CertificateSummary>>, AwsError> {
    aws.shared()
        .read(Listing::Certificates, region, || async {
            send_all!("acm:ListCertificates", aws.acm(region).list_certificates().max_items(1000))
        })
        .await
}

/// Names a stack's listeners and alarm from its last status, for the fleet's
/// shared reads by id. A pass names its own; calling this for every stack
/// the operator knows, when it starts, makes the first shared reads after a
/// restart ask for every stack's instead of only for those that passed
/// before them (the rest would each read their own).
pub fn remember_from_status(aws: &AwsContext, uid: &str, status: &warmstandby_api::ThreeTierStackStatus) {
    let shared = aws.shared();
    for region in [status.primary.as_ref(), status.standby.as_ref()].into_iter().flatten() {
        let arns: Vec<String> = region.load_balancers.values().flat_map(|l| l.listener_arns.iter().cloned()).collect();
        if !arns.is_empty() {
            shared.note_interest(Listing::Listeners, &region.region, uid, &arns);
        }
    }
    if let Some(name) = status.global.as_ref().and_then(|g| g.alarm_name.clone()) {
        shared.note_interest(Listing::Alarms, GLOBAL_REGION, uid, &[name]);
    }
}

/// Alarm names per `DescribeAlarms` call (the API's limit).
const ALARM_NAMES_PER_CALL: usize = 100;

/// The alarms every stack named, read by name in us-east-1 (where Route 53
/// health check metrics are).
struct AlarmView {
    asked: std::collections::BTreeSet<String>,
    alarms: Vec<aws_sdk_cloudwatch::types::MetricAlarm>,
}

/// One stack's alarm from the fleet's shared read by name: the stacks name
/// their alarms, and one read asks for all of them (100 to a call) instead
/// of listing every alarm of the account. A name the read did not ask for
/// (named after it was made) is read on its own; a settled pass reads the
/// fleet's again instead (see [`crate::shared::with_settled_reads`]).
pub async fn alarm(
    aws: &AwsContext,
    owner: &str,
    name: &str,
) -> Result<Option<aws_sdk_cloudwatch::types::MetricAlarm>, AwsError> {
    let shared = aws.shared();
    shared.note_interest(Listing::Alarms, GLOBAL_REGION, owner, &[name.to_string()]);
    let view: Arc<AlarmView> = shared
        .read(Listing::Alarms, GLOBAL_REGION, || async {
            let asked = shared.interest(Listing::Alarms, GLOBAL_REGION);
            let names: Vec<String> = asked.iter().cloned().collect();
            let mut alarms = Vec::new();
            for chunk in names.chunks(ALARM_NAMES_PER_CALL) {
                let found: Vec<_> = all_pages(|token| async {
                    let page = send!(
                        "cloudwatch:DescribeAlarms",
                        aws.cloudwatch(GLOBAL_REGION)
                            .describe_alarms()
                            .set_alarm_names(Some(chunk.to_vec()))
                            .max_records(100)
                            .set_next_token(token)
                    )?;
                    Ok((page.metric_alarms().to_vec(), page.next_token().map(str::to_string)))
                })
                .await?;
                alarms.extend(found);
            }
            // A deleted stack's alarm is not found: stop asking for it.
            let found = alarms.iter().filter_map(|a| a.alarm_name().map(str::to_string)).collect();
            shared.keep_interest_in(Listing::Alarms, GLOBAL_REGION, &asked, &found);
            Ok(AlarmView { asked, alarms })
        })
        .await?;
    if view.asked.contains(name) {
        return Ok(view.alarms.iter().find(|a| a.alarm_name() == Some(name)).cloned());
    }
    let own = send!("cloudwatch:DescribeAlarms", aws.cloudwatch(GLOBAL_REGION).describe_alarms().alarm_names(name))?;
    Ok(own.metric_alarms().iter().find(|a| a.alarm_name() == Some(name)).cloned())
}

/// Forgets `owner`'s alarm name (its stack has no alarm), so the fleet's
/// read stops asking for it.
pub(crate) fn forget_alarm(aws: &AwsContext, owner: &str) {
    aws.shared().note_interest(Listing::Alarms, GLOBAL_REGION, owner, &[]);
}

pub(crate) async fn health_checks(aws: &AwsContext) -> Result<Arc<Vec<aws_sdk_route53::types::HealthCheck>>, AwsError> {
    aws.shared()
        .read(Listing::HealthChecks, GLOBAL_REGION, || async {
            send_all!("route53:ListHealthChecks", aws.route53().list_health_checks().max_items(1000))
        })
        .await
}

pub(crate) async fn distributions(
    aws: &AwsContext,
) -> Result<Arc<Vec<aws_sdk_cloudfront::types::DistributionSummary>>, AwsError> {
    aws.shared()
        .read(Listing::Distributions, GLOBAL_REGION, || async {
            send_all!("cloudfront:ListDistributions", aws.cloudfront().list_distributions())
        })
        .await
}
