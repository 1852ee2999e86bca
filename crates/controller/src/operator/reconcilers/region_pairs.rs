//! RegionPairs: the shared network of a pair of regions.

use super::*;

impl Managed for RegionPair {
    const KIND: &'static str = "RegionPair";

    fn api(ctx: &Context, _: &Self) -> Result<Api<Self>, Error> {
        Ok(Api::all(ctx.client.clone()))
    }

    async fn apply(api: &Api<Self>, obj: &Self, ctx: &Context) -> Result<Action, Error> {
        apply_pair(api, obj, ctx).await
    }

    async fn cleanup(api: &Api<Self>, obj: &Self, ctx: &Context) -> Result<Action, Error> {
        cleanup_pair(api, obj, ctx).await
    }
}

async fn apply_pair(api: &Api<RegionPair>, pair: &RegionPair, ctx: &Context) -> Result<Action, Error> {
    let aws = ctx.aws.for_role(pair.spec.role_arn.as_deref()).await;
    let outcome = region_pair::reconcile(&aws, pair, Intent::Apply, &now_rfc3339()).await;
    patch_status(api, pair, &outcome.status).await?;
    let label = object_label(pair);
    ctx.metrics.object(
        "RegionPair",
        &label,
        i64::from(outcome.status.drift_count),
        outcome.status.phase.map(phase_name),
    );
    if let Some(invalid) = &outcome.invalid {
        ctx.metrics.error("RegionPair", invalid.category());
        ctx.event(pair, Reason::InvalidSpec, invalid.to_string()).await;
        return Ok(Action::await_change());
    }
    report(ctx, pair, "RegionPair", &outcome.applied, outcome.status.drift_count, false, &outcome.errors).await;
    report_planned(ctx, pair, outcome.status.planned.as_ref()).await;
    Ok(requeue(ctx, pair, outcome.next, None))
}

async fn cleanup_pair(api: &Api<RegionPair>, pair: &RegionPair, ctx: &Context) -> Result<Action, Error> {
    let name = pair.name_any();
    let users = stacks_using(ctx, |s| s.spec.region_pair_ref.name == name).await?;
    if !users.is_empty() {
        return blocked(ctx, pair, &users).await;
    }
    let aws = ctx.aws.for_role(pair.spec.role_arn.as_deref()).await;
    let previous = ctx.teardown_wait(&key(pair));
    let outcome = region_pair::teardown(&aws, pair, previous.as_ref()).await;
    finish_teardown(ctx, api, pair, "RegionPair", &outcome).await
}
