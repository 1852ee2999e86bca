//! FailoverPolicies: validated and reported; stacks read them.

use super::*;

impl Managed for FailoverPolicy {
    const KIND: &'static str = "FailoverPolicy";

    fn api(ctx: &Context, obj: &Self) -> Result<Api<Self>, Error> {
        namespaced(ctx, obj)
    }

    async fn apply(api: &Api<Self>, obj: &Self, ctx: &Context) -> Result<Action, Error> {
        apply_policy(api, obj, ctx).await
    }

    async fn cleanup(api: &Api<Self>, obj: &Self, ctx: &Context) -> Result<Action, Error> {
        cleanup_policy(api, obj, ctx).await
    }
}

async fn apply_policy(api: &Api<FailoverPolicy>, p: &FailoverPolicy, ctx: &Context) -> Result<Action, Error> {
    let now = now_rfc3339();
    let previous = p.status.as_ref().map(|s| s.conditions.clone()).unwrap_or_default();
    let generation = p.metadata.generation;
    let valid = validate_policy(p);
    let conditions = match &valid {
        Ok(_) => {
            let mut c = previous.clone();
            warmstandby_core::conditions::set(
                &mut c,
                "SpecValid",
                warmstandby_core::conditions::Status::True,
                "Valid",
                "",
                generation,
                &now,
            );
            warmstandby_core::conditions::set(
                &mut c,
                "Ready",
                warmstandby_core::conditions::Status::True,
                "Valid",
                "",
                generation,
                &now,
            );
            c
        }
        Err(e) => warmstandby_core::overall::invalid_status(&previous, generation, &e.to_message(), &now),
    };
    let stacks = stacks_using_policy(ctx, p);
    let status = FailoverPolicyStatus { observed_generation: generation, conditions, stacks };
    patch_status(api, p, &status).await?;
    if let Err(e) = valid {
        ctx.metrics.error("FailoverPolicy", "InvalidSpec");
        ctx.event(p, Reason::InvalidSpec, e.to_message()).await;
        return Ok(Action::await_change());
    }
    Ok(requeue(ctx, p, Next::Steady, None))
}

fn stacks_using_policy(ctx: &Context, p: &FailoverPolicy) -> Vec<String> {
    let mut users: Vec<String> =
        ctx.stacks.state().iter().filter(|s| uses_policy(s, p)).map(|s| s.name_any()).collect();
    users.sort();
    users
}

/// A policy in use is not deleted: its stacks would lose their failover rules.
async fn cleanup_policy(api: &Api<FailoverPolicy>, p: &FailoverPolicy, ctx: &Context) -> Result<Action, Error> {
    let users = stacks_using(ctx, |s| uses_policy(s, p)).await?;
    if !users.is_empty() {
        return blocked(ctx, p, &users).await;
    }
    release(api, p).await?;
    ctx.pacer.forget(&key(p));
    Ok(Action::await_change())
}
