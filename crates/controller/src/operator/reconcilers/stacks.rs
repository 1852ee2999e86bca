//! ThreeTierStacks: a stack's pass, its events and metrics.

use super::*;
use crate::operator::metrics::StackState;
use warmstandby_core::failover::FailoverReason;

impl Managed for ThreeTierStack {
    const KIND: &'static str = "ThreeTierStack";

    fn api(ctx: &Context, obj: &Self) -> Result<Api<Self>, Error> {
        namespaced(ctx, obj)
    }

    async fn apply(api: &Api<Self>, obj: &Self, ctx: &Context) -> Result<Action, Error> {
        apply_stack(api, obj, ctx).await
    }

    async fn cleanup(api: &Api<Self>, obj: &Self, ctx: &Context) -> Result<Action, Error> {
        cleanup_stack(api, obj, ctx).await
    }
}

/// The dereference step: the RegionPair and FailoverPolicy from the caches,
/// the password from its Secret (read at each reconcile, never cached).
async fn password(ctx: &Context, st: &ThreeTierStack) -> Result<PasswordLookup, Error> {
    let Some(r) = &st.spec.database.password_secret_ref else { return Ok(PasswordLookup::NotReferenced) };
    let ns = st.namespace().ok_or(Error::MissingIdentity)?;
    let secrets: Api<Secret> = Api::namespaced(ctx.client.clone(), &ns);
    Ok(match secrets.get_opt(&r.name).await? {
        None => PasswordLookup::SecretMissing,
        Some(secret) => warmstandby_core::secret::from_secret(&secret, &r.key),
    })
}

fn references(ctx: &Context, st: &ThreeTierStack) -> (Option<Arc<RegionPair>>, Option<Arc<FailoverPolicy>>) {
    let pair = ctx.pairs.get(&kube::runtime::reflector::ObjectRef::new(&st.spec.region_pair_ref.name));
    let policy = st.spec.failover_policy_ref.as_ref().and_then(|r| {
        ctx.policies.get(&kube::runtime::reflector::ObjectRef::new(&r.name).within(&st.namespace().unwrap_or_default()))
    });
    (pair, policy)
}

async fn apply_stack(api: &Api<ThreeTierStack>, st: &ThreeTierStack, ctx: &Context) -> Result<Action, Error> {
    let lookup = password(ctx, st).await?;
    let (pair, policy) = references(ctx, st);
    // A stack acts in its RegionPair's account.
    let aws = ctx.aws.for_role(pair.as_ref().and_then(|p| p.spec.role_arn.as_deref())).await;
    let inputs = StackInputs { stack: st, region_pair: pair.as_deref(), policy: policy.as_deref(), password: lookup };
    let outcome = stack::reconcile(&aws, inputs, Intent::Apply, &now_rfc3339()).await;
    patch_status(api, st, &outcome.status).await?;
    let label = object_label(st);
    ctx.metrics.object(
        "ThreeTierStack",
        &label,
        i64::from(outcome.status.drift_count),
        outcome.status.phase.map(phase_name),
    );
    if let Some(invalid) = &outcome.invalid {
        ctx.metrics.error("ThreeTierStack", "InvalidSpec");
        ctx.event(st, Reason::InvalidSpec, invalid.clone()).await;
        return Ok(Action::await_change());
    }
    // A move in progress, or one that finished this pass, made these changes.
    let moving = outcome.status.failover.is_some()
        || outcome.events.iter().any(|(reason, _)| {
            matches!(reason, FailoverReason::Decided | FailoverReason::Step | FailoverReason::Succeeded)
        });
    report(ctx, st, "ThreeTierStack", &outcome.applied, outcome.status.drift_count, moving, &outcome.errors).await;
    report_planned(ctx, st, outcome.status.planned.as_ref()).await;
    for (reason, message) in &outcome.events {
        ctx.metrics.failover_transition(reason.as_str());
        ctx.event(st, Reason::Failover(*reason), message.clone()).await;
    }
    if let Some(last) = outcome.status.failover_history.last().filter(|r| r.outcome == "Succeeded") {
        ctx.metrics.failover_finished(
            &label,
            last.epoch,
            last.rto_seconds.unwrap_or_default(),
            last.rpo_estimate_seconds.unwrap_or_default(),
        );
    }
    let replica_lag_seconds = [&outcome.status.primary, &outcome.status.standby]
        .into_iter()
        .flatten()
        .filter_map(|r| r.database.as_ref())
        .find(|d| d.role == "replica")
        .and_then(|d| d.replica_lag_seconds);
    ctx.metrics.stack_state(
        &label,
        StackState {
            active_role: outcome.status.active_role.map(|r| r.as_str().to_string()),
            replica_lag_seconds,
            rpo_budget_seconds: policy.as_ref().map(|p| p.spec.guards.max_replica_lag_seconds),
        },
    );
    if let Some(last) = outcome.status.failover_history.last() {
        ctx.metrics.move_recorded(&label, last.epoch, &last.outcome);
    }
    if let Some(d) = &outcome.status.drill {
        ctx.metrics.standby(
            &label,
            d.failures.is_empty(),
            d.predicted_rto_seconds.unwrap_or_default(),
            d.last_success_at.as_deref().map(warmstandby_core::stack_pass::record::seconds),
        );
    }
    Ok(requeue(ctx, st, outcome.next, outcome.watch_every))
}

async fn cleanup_stack(api: &Api<ThreeTierStack>, st: &ThreeTierStack, ctx: &Context) -> Result<Action, Error> {
    let lookup = password(ctx, st).await?;
    let (pair, policy) = references(ctx, st);
    let aws = ctx.aws.for_role(pair.as_ref().and_then(|p| p.spec.role_arn.as_deref())).await;
    let inputs = StackInputs { stack: st, region_pair: pair.as_deref(), policy: policy.as_deref(), password: lookup };
    let suffix = chrono::Utc::now().format("%Y%m%d%H%M%S").to_string();
    let previous = ctx.teardown_wait(&key(st));
    let outcome = stack::teardown(&aws, inputs, &suffix, previous.as_ref()).await;
    let action = finish_teardown(ctx, api, st, "ThreeTierStack", &outcome).await?;
    if outcome.finished {
        ctx.stack_gone(st);
    }
    Ok(action)
}
