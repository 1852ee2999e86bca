//! The fleet benchmark: N stacks on one RegionPair (differing in name, zone
//! and capacities), created together, then resynced three ways on the same
//! AWS state: shared observation (every stack's pass takes its view from the
//! per-region listings of the window), each stack observing alone (no
//! window, one pass after another), and a naive one-read-per-resource
//! refresh. A drift check then changes one resource of each of five
//! services by hand, outside the operator: the next resync after the window
//! must find every one of them, and once they are repaired the very next
//! resync must see them repaired (the operator's own changes reload views).

use std::time::{Duration, Instant};

use futures::StreamExt;
use warmstandby_api::ThreeTierStack;
use warmstandby_aws::{AwsContext, CallStats};
use warmstandby_cli::check::{Checked, load_and_check};
use warmstandby_controller::{Intent, region_pair, stack};

use crate::{Emulator, repo_root};

const NOW: &str = "2026-01-01T00:00:00Z";

/// What one fleet size measured.
#[derive(Debug)]
pub struct FleetFigures {
    pub stacks: usize,
    pub create: CallStats,
    pub create_wall: Duration,
    /// Rounds of passes until every stack was Ready.
    pub create_rounds: usize,
    pub shared: CallStats,
    pub shared_wall: Duration,
    pub per_stack: CallStats,
    pub per_stack_wall: Duration,
    pub naive: CallStats,
    pub naive_wall: Duration,
    /// Stacks the two baselines (alone, naive) were measured on; their
    /// calls and walls above are scaled from these to the whole fleet (a
    /// stack's own reads do not depend on the others', so calls scale exactly).
    pub baseline_stacks: usize,
    /// Resource kinds the resync after the window would repair in the changed stack.
    pub drift_found: Vec<String>,
    /// Repairs the same resync planned on the stacks nobody changed.
    pub drift_elsewhere: usize,
    /// Peak resident memory of the process after the create, the shared
    /// resync and the drift repair (the operator's work), before the
    /// baselines' own contexts.
    pub peak_rss_mib: f64,
}

/// The drift kinds the check makes by hand, one per service.
pub const DRIFT_MADE: [&str; 5] = ["AutoScalingGroup", "BackupSelection", "DbInstance", "SecurityGroup", "TargetGroup"];

/// Peak resident memory of this process, from /proc (Linux).
pub fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kib: f64 = status.lines().find(|l| l.starts_with("VmHWM:"))?.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// Subnets for a fleet: the VPC's /16 in eight /20s (4,091 addresses each).
/// The default /24s hold about 250 instances a zone, which a few hundred
/// stacks on one RegionPair outgrow (the emulator launches a group's
/// instances all in its first subnet, so there even sooner).
fn fleet_subnets(vpc_cidr: &str) -> Result<warmstandby_api::region_pair::SubnetLayout, String> {
    let prefix = vpc_cidr
        .strip_suffix(".0.0/16")
        .ok_or_else(|| format!("the fleet bench carves /20 subnets from a /16 VPC, not {vpc_cidr}"))?;
    let pair = |first: u32| vec![format!("{prefix}.{}.0/20", first * 16), format!("{prefix}.{}.0/20", first * 16 + 16)];
    Ok(warmstandby_api::region_pair::SubnetLayout { public: pair(0), web: pair(2), app: pair(4), db: pair(6) })
}

/// `n` copies of the example stack: own name, uid, zone (created by the
/// stack) and capacities; no failover policy (no probes of real names).
pub fn fleet_stacks(checked: &Checked, n: usize) -> Vec<ThreeTierStack> {
    let example = &checked.set.stacks[0];
    (0..n)
        .map(|i| {
            let mut s = example.clone();
            s.metadata.name = Some(format!("shop{i:03}"));
            s.metadata.uid = Some(format!("{i:08x}-f1ee-4000-8000-{i:012x}"));
            s.metadata.generation = Some(1);
            s.spec.failover_policy_ref = None;
            s.spec.domain.zone_name = format!("shop{i:03}.example.test");
            s.spec.domain.manage_zone = true;
            let max = 4 + (i % 3) as i32;
            s.spec.web.capacity.max = max;
            s.spec.api.capacity.max = max + 1;
            s.spec.web.standby_capacity.max = max;
            s.spec.api.standby_capacity.max = max + 1;
            s
        })
        .collect()
}

/// One pass of every stack, `concurrency` at a time; statuses written back.
async fn resync(
    aws: &AwsContext,
    checked: &Checked,
    stacks: &mut [ThreeTierStack],
    intent: Intent,
    concurrency: usize,
) -> Vec<stack::StackOutcome> {
    let pair = &checked.set.region_pairs[0];
    let outcomes: Vec<(usize, stack::StackOutcome)> = futures::stream::iter(stacks.iter().enumerate())
        .map(|(i, s)| async move {
            let inputs = checked.set.stack_inputs_on(s, Some(pair));
            (i, stack::reconcile(aws, inputs, intent, NOW).await)
        })
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;
    let mut ordered: Vec<Option<stack::StackOutcome>> = (0..stacks.len()).map(|_| None).collect();
    for (i, o) in outcomes {
        stacks[i].status = Some(o.status.clone());
        ordered[i] = Some(o);
    }
    ordered.into_iter().flatten().collect()
}

fn measured<T>(aws: &AwsContext, started: Instant, before: &CallStats, t: T) -> (T, CallStats, Duration) {
    (t, aws.calls().snapshot().since(before), started.elapsed())
}

/// `stats` of `measured` stacks, as `of` stacks would make them.
fn scaled(stats: CallStats, measured: usize, of: usize) -> CallStats {
    let mut out = stats;
    let scale = |v: u64| v * of as u64 / measured.max(1) as u64;
    for c in out.by_operation.values_mut() {
        c.ok = scale(c.ok);
        c.err = scale(c.err);
    }
    out
}

/// `n` Ready stacks on one RegionPair, and the operator's context that made them.
pub struct ReadyFleet {
    pub checked: Checked,
    pub stacks: Vec<ThreeTierStack>,
    /// As the operator by default: a 30 s window, settled age 150 s.
    pub fleet: AwsContext,
    pub create: CallStats,
    pub create_wall: Duration,
    pub create_rounds: usize,
}

/// Creates `n` stacks (and their RegionPair) on the emulator, passes
/// `concurrency` at a time, until every one is Ready.
pub async fn ready_fleet(emulator: &Emulator, n: usize, concurrency: usize) -> Result<ReadyFleet, String> {
    let mut checked = load_and_check(&[repo_root().join("deploy/examples")]).map_err(|e| format!("{e:?}"))?;
    let config = emulator.sdk_config("us-east-1").await;
    let setup = AwsContext::new(config.clone());
    let mut pair = checked.set.region_pairs[0].clone();
    for region in [&mut pair.spec.primary, &mut pair.spec.standby] {
        region.subnets = Some(fleet_subnets(&region.vpc_cidr)?);
    }
    for _ in 0..8 {
        let outcome = region_pair::reconcile(&setup, &pair, Intent::Apply, NOW).await;
        pair.status = Some(outcome.status.clone());
        if outcome.is_ready() {
            break;
        }
    }
    if !pair.status.as_ref().is_some_and(|s| s.phase == Some(warmstandby_api::Phase::Ready)) {
        return Err("the RegionPair's networks did not become Ready".into());
    }
    checked.set.region_pairs[0] = pair;
    let mut stacks = fleet_stacks(&checked, n);

    // Create: rounds of passes over the stacks not yet Ready.
    // As the operator by default: a 30 s window, a 300 s resync (settled age 150 s).
    let fleet = AwsContext::new(config.clone())
        .with_shared_window(Duration::from_secs(30))
        .with_settled_age(Duration::from_secs(150));
    let before = fleet.calls().snapshot();
    let started = Instant::now();
    let mut rounds = 0;
    loop {
        rounds += 1;
        let outcomes = resync(&fleet, &checked, &mut stacks, Intent::Apply, concurrency).await;
        if outcomes.iter().all(stack::StackOutcome::is_ready) {
            break;
        }
        if rounds >= 20 {
            let waiting = outcomes.iter().filter(|o| !o.is_ready()).count();
            let errors: Vec<String> =
                outcomes.iter().flat_map(|o| o.errors.iter().map(|e| e.to_string())).take(5).collect();
            return Err(format!("{waiting} of {n} stacks not Ready after {rounds} rounds: {errors:?}"));
        }
    }
    let (_, create, create_wall) = measured(&fleet, started, &before, ());
    eprintln!("{n} stacks: Ready in {:.1} s ({} calls, {rounds} rounds)", create_wall.as_secs_f64(), create.total());
    Ok(ReadyFleet { checked, stacks, fleet, create, create_wall, create_rounds: rounds })
}

/// One pass of every stack of the fleet (`concurrency` at a time), as a
/// resync of the operator makes it; statuses written back.
pub async fn resync_fleet(
    aws: &AwsContext,
    checked: &Checked,
    stacks: &mut [ThreeTierStack],
    concurrency: usize,
) -> Vec<stack::StackOutcome> {
    resync(aws, checked, stacks, Intent::Apply, concurrency).await
}

/// Runs the benchmark for `n` stacks on a fresh emulator.
pub async fn run(emulator: &Emulator, n: usize, concurrency: usize) -> Result<FleetFigures, String> {
    run_sampled(emulator, n, concurrency, n).await
}

/// As [`run`], with the baselines (each stack alone, naive) measured on the
/// first `baseline_stacks` stacks and scaled to the fleet: on the emulator,
/// a large fleet's baselines would take longer than its create. Progress
/// goes to stderr.
pub async fn run_sampled(
    emulator: &Emulator,
    n: usize,
    concurrency: usize,
    baseline_stacks: usize,
) -> Result<FleetFigures, String> {
    let sample = baseline_stacks.clamp(1, n.max(1));
    let config = emulator.sdk_config("us-east-1").await;
    let ReadyFleet { checked, mut stacks, fleet, create, create_wall, create_rounds: rounds } =
        ready_fleet(emulator, n, concurrency).await?;

    // Shared observation: the window starts afresh, every stack passes once.
    fleet.shared().expire();
    let before = fleet.calls().snapshot();
    let started = Instant::now();
    let outcomes = resync(&fleet, &checked, &mut stacks, Intent::Apply, concurrency).await;
    let (outcomes, shared, shared_wall) = measured(&fleet, started, &before, outcomes);
    check_steady(&outcomes, &shared, "shared")?;
    eprintln!("{n} stacks: shared resync {} calls in {:.2} s", shared.total(), shared_wall.as_secs_f64());
    eprint!("{n} stacks: shared resync by operation:\n{}", shared.table());

    // Drift made outside the operator (another client) in one stack is
    // found by the first resync after the window.
    let hands = AwsContext::new(config.clone());
    make_drift(&hands, &stacks[0]).await?;
    fleet.shared().expire();
    let outcomes = resync(&fleet, &checked, &mut stacks, Intent::Observe, concurrency).await;
    // What the next apply would repair, by resource kind.
    let mut drift_found: Vec<String> = outcomes[0].changes.iter().map(|c| c.resource_kind.clone()).collect();
    drift_found.sort();
    drift_found.dedup();
    let drift_elsewhere = outcomes[1..].iter().map(|o| o.changes.len()).sum();
    if let Some(e) = outcomes.iter().flat_map(|o| o.errors.iter()).next() {
        return Err(format!("the drift resync failed: {e}"));
    }
    // The repair is the operator's own change: the views of its regions are
    // loaded afresh, so the very next resync (within the window) sees it done.
    resync(&fleet, &checked, &mut stacks, Intent::Apply, concurrency).await;
    let after = resync(&fleet, &checked, &mut stacks, Intent::Observe, concurrency).await;
    if let Some(o) = after.iter().find(|o| !o.changes.is_empty() || !o.errors.is_empty()) {
        let left: Vec<&str> = o.changes.iter().map(|c| c.description.as_str()).collect();
        return Err(format!("the resync after the repair still plans {left:?} (errors {:?})", o.errors));
    }

    // What the operator does ends here; the baselines below are the bench's.
    let peak_rss = peak_rss_mib().unwrap_or(0.0);
    eprintln!("{n} stacks: drift found and repaired, peak RSS {peak_rss:.0} MiB");

    // Each stack observing alone: no window, one pass after another, after a
    // warm-up resync (a long-running operator knows the versioned details).
    let alone = AwsContext::new(config.clone());
    resync(&alone, &checked, &mut stacks[..sample], Intent::Apply, 1).await;
    let before = alone.calls().snapshot();
    let started = Instant::now();
    let outcomes = resync(&alone, &checked, &mut stacks[..sample], Intent::Apply, 1).await;
    let (outcomes, per_stack, per_stack_wall) = measured(&alone, started, &before, outcomes);
    check_steady(&outcomes, &per_stack, "per-stack")?;
    let per_stack = scaled(per_stack, sample, n);
    let per_stack_wall = per_stack_wall.mul_f64(n as f64 / sample as f64);

    // Naive: one read per resource.
    let naive_ctx = AwsContext::new(config.clone());
    let started = Instant::now();
    for s in &stacks[..sample] {
        naive_read_every_resource(&naive_ctx, s).await?;
    }
    let naive = scaled(naive_ctx.calls().snapshot(), sample, n);
    let naive_wall = started.elapsed().mul_f64(n as f64 / sample as f64);
    eprintln!(
        "{n} stacks: baselines on {sample}: alone {} calls, naive {} (scaled to {n})",
        per_stack.total(),
        naive.total()
    );

    Ok(FleetFigures {
        stacks: n,
        create,
        create_wall,
        create_rounds: rounds,
        shared,
        shared_wall,
        per_stack,
        per_stack_wall,
        naive,
        naive_wall,
        baseline_stacks: sample,
        drift_found,
        drift_elsewhere,
        peak_rss_mib: peak_rss,
    })
}

fn check_steady(outcomes: &[stack::StackOutcome], calls: &CallStats, what: &str) -> Result<(), String> {
    if let Some(o) = outcomes.iter().find(|o| !o.is_ready() || !o.applied.is_empty()) {
        return Err(format!("{what} resync: a stack was not steady: applied {:?}, errors {:?}", o.applied, o.errors));
    }
    if calls.mutating() > 0 {
        return Err(format!("{what} resync changed AWS:\n{}", calls.table()));
    }
    Ok(())
}

/// One change by hand in each of five services, to the first stack.
async fn make_drift(aws: &AwsContext, s: &ThreeTierStack) -> Result<(), String> {
    let status = s.status.as_ref().ok_or("no status")?;
    let primary = status.primary.as_ref().ok_or("no primary status")?;
    let region = primary.region.as_str();
    fn fail(what: &'static str) -> impl Fn(String) -> String {
        move |e| format!("{what}: {e}")
    }
    let group = primary.security_group_ids.values().next().ok_or("no security group")?;
    aws.ec2(region)
        .authorize_security_group_ingress()
        .group_id(group)
        .ip_protocol("tcp")
        .from_port(2222)
        .to_port(2222)
        .cidr_ip("198.51.100.0/24")
        .send()
        .await
        .map_err(|e| e.to_string())
        .map_err(fail("AuthorizeSecurityGroupIngress"))?;
    let db = primary.database.as_ref().ok_or("no database")?;
    aws.rds(region)
        .modify_db_instance()
        .db_instance_identifier(&db.instance_id)
        .backup_retention_period(1)
        .apply_immediately(true)
        .send()
        .await
        .map_err(|e| e.to_string())
        .map_err(fail("ModifyDBInstance"))?;
    let target_group = primary.target_group_arns.values().next().ok_or("no target group")?;
    aws.elbv2(region)
        .modify_target_group()
        .target_group_arn(target_group)
        .health_check_path("/changed-by-hand")
        .send()
        .await
        .map_err(|e| e.to_string())
        .map_err(fail("ModifyTargetGroup"))?;
    let asg = primary.auto_scaling_groups.values().next().ok_or("no auto scaling group")?;
    aws.autoscaling(region)
        .update_auto_scaling_group()
        .auto_scaling_group_name(&asg.name)
        .max_size(9)
        .send()
        .await
        .map_err(|e| e.to_string())
        .map_err(fail("UpdateAutoScalingGroup"))?;
    let plan = status.global.as_ref().and_then(|g| g.backup_plan_id.clone()).ok_or("no backup plan")?;
    let backup = aws.backup(region);
    let selections = backup
        .list_backup_selections()
        .backup_plan_id(&plan)
        .send()
        .await
        .map_err(|e| e.to_string())
        .map_err(fail("ListBackupSelections"))?;
    for sel in selections.backup_selections_list() {
        backup
            .delete_backup_selection()
            .backup_plan_id(&plan)
            .selection_id(sel.selection_id().unwrap_or_default())
            .send()
            .await
            .map_err(|e| e.to_string())
            .map_err(fail("DeleteBackupSelection"))?;
    }
    Ok(())
}

/// The naive refresh: one read per resource the stack's status names.
pub async fn naive_read_every_resource(aws: &AwsContext, s: &ThreeTierStack) -> Result<(), String> {
    let status = s.status.as_ref().ok_or("no status")?;
    let ns = s.metadata.namespace.as_deref().unwrap_or_default();
    let name = s.metadata.name.as_deref().unwrap_or_default();
    let e = |e: String| format!("naive read: {e}");
    macro_rules! read {
        ($req:expr) => {
            $req.send().await.map_err(|x| x.to_string()).map_err(e)?
        };
    }
    for region in [status.primary.as_ref(), status.standby.as_ref()].into_iter().flatten() {
        let r = region.region.as_str();
        let (ec2, rds, backup, acm, elb, asg) =
            (aws.ec2(r), aws.rds(r), aws.backup(r), aws.acm(r), aws.elbv2(r), aws.autoscaling(r));
        for id in region.security_group_ids.values() {
            read!(ec2.describe_security_groups().group_ids(id));
        }
        if let Some(id) = &region.bastion_instance_id {
            read!(ec2.describe_instances().instance_ids(id));
        }
        if let Some(db) = &region.database {
            read!(rds.describe_db_instances().db_instance_identifier(&db.instance_id));
        }
        read!(rds.describe_db_subnet_groups().db_subnet_group_name(format!("{ns}-{name}-db")));
        if let Some(zone) = &region.private_zone_id {
            read!(aws.route53().get_hosted_zone().id(zone));
            read!(aws.route53().list_resource_record_sets().hosted_zone_id(zone));
        }
        if let Some(vault) = &region.backup_vault_name {
            read!(backup.describe_backup_vault().backup_vault_name(vault));
        }
        if let Some(arn) = &region.certificate_arn {
            read!(acm.describe_certificate().certificate_arn(arn));
        }
        for arn in region.target_group_arns.values() {
            read!(elb.describe_target_groups().target_group_arns(arn));
        }
        for lb in region.load_balancers.values() {
            read!(elb.describe_load_balancers().load_balancer_arns(&lb.arn));
            for l in &lb.listener_arns {
                read!(elb.describe_listeners().listener_arns(l));
            }
        }
        for id in region.image_ids.values() {
            read!(ec2.describe_images().image_ids(id));
        }
        for lt in region.launch_templates.values() {
            read!(ec2.describe_launch_templates().launch_template_ids(&lt.id));
            read!(ec2.describe_launch_template_versions().launch_template_id(&lt.id).versions("$Latest"));
        }
        for g in region.auto_scaling_groups.values() {
            read!(asg.describe_auto_scaling_groups().auto_scaling_group_names(&g.name));
        }
    }
    let Some(g) = status.global.as_ref() else { return Ok(()) };
    let backup = aws.backup(status.primary.as_ref().map(|p| p.region.as_str()).unwrap_or("us-east-1"));
    if let Some(plan) = &g.backup_plan_id {
        read!(backup.get_backup_plan().backup_plan_id(plan));
        read!(backup.list_backup_selections().backup_plan_id(plan));
    }
    if let Some(zone) = &g.public_zone_id {
        read!(aws.route53().get_hosted_zone().id(zone));
        let domain = &s.spec.domain;
        for record in [&domain.api_record, &domain.web_record] {
            read!(
                aws.route53()
                    .list_resource_record_sets()
                    .hosted_zone_id(zone)
                    .start_record_name(format!("{record}.{}", domain.zone_name))
                    .max_items(2)
            );
        }
    }
    if let Some(id) = &g.health_check_id {
        read!(aws.route53().get_health_check().health_check_id(id));
    }
    if let Some(id) = &g.distribution_id {
        read!(aws.cloudfront().get_distribution().id(id));
    }
    if let Some(acl) = &g.web_acl_arn {
        let mut parts = acl.rsplit('/');
        let (id, name) = (parts.next().unwrap_or_default(), parts.next().unwrap_or_default());
        read!(aws.wafv2_cloudfront().get_web_acl().scope(aws_sdk_wafv2::types::Scope::Cloudfront).name(name).id(id));
    }
    if let Some(alarm) = &g.alarm_name {
        read!(aws.cloudwatch("us-east-1").describe_alarms().alarm_names(alarm));
    }
    if let Some(access) = &status.access {
        for (region, arn) in &access.secret_arns {
            read!(aws.secretsmanager(region).describe_secret().secret_id(arn));
        }
        for arn in access.instance_profiles.values() {
            let profile = arn.rsplit('/').next().unwrap_or_default();
            read!(aws.iam().get_instance_profile().instance_profile_name(profile));
        }
    }
    Ok(())
}

/// Calls by service, for the table.
pub fn by_service(stats: &CallStats) -> std::collections::BTreeMap<String, u64> {
    let mut out = std::collections::BTreeMap::new();
    for (k, c) in &stats.by_operation {
        *out.entry(k.service.clone()).or_default() += c.ok + c.err;
    }
    out
}
