//! `plan` against AWS: what an `apply` would change, as a diff per region and
//! globally (`+` create, `~` change with `field: old → new`, `-` delete, `!`
//! re-create or restore what changed outside warmstandby), with a summary
//! line. Observing only: no call it makes changes anything.

use std::fmt::Write as _;
use std::sync::Arc;

use serde::Serialize;
use warmstandby_api::{DriftItem, RegionPair, ThreeTierStackStatus};
use warmstandby_aws::AwsContext;
use warmstandby_controller::change::{self, Change, ChangeKind, GLOBAL_NAME, creations};
use warmstandby_controller::{Intent, now_rfc3339, region_pair, stack};

use crate::check::Checked;
use crate::style::Style;

/// Exit codes of `plan`, as `terraform plan -detailed-exitcode`.
pub const NO_CHANGES: u8 = 0;
pub const PLAN_ERROR: u8 = 1;
pub const HAS_CHANGES: u8 = 2;

/// The plan of one object.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectPlan {
    /// `RegionPair classic` or `ThreeTierStack ns/name`.
    pub object: String,
    /// Region names in display order: primary, standby (global comes last).
    pub regions: Vec<String>,
    pub changes: Vec<Change>,
    /// Differences found that no change of this pass repairs (yet).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub drift: Vec<DriftItem>,
    /// Why the list may grow once these changes exist, or why it cannot be made.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub add: usize,
    pub change: usize,
    pub destroy: usize,
    pub repair: usize,
    /// Existing resources taken under management.
    #[serde(skip_serializing_if = "is_zero")]
    pub adopt: usize,
    /// Resources left in place, no longer managed (retained).
    #[serde(skip_serializing_if = "is_zero")]
    pub release: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl Summary {
    pub fn of(plans: &[ObjectPlan]) -> Summary {
        let mut s = Summary::default();
        for p in plans {
            for c in &p.changes {
                match c.kind {
                    ChangeKind::Create => s.add += c.count,
                    ChangeKind::Update => s.change += 1,
                    ChangeKind::Delete => s.destroy += c.count,
                    ChangeKind::Repair => s.repair += c.count,
                    ChangeKind::Adopt => s.adopt += c.count,
                    ChangeKind::Release => s.release += c.count,
                }
            }
            s.repair += p.drift.len();
        }
        s
    }

    pub fn is_empty(&self) -> bool {
        *self == Summary::default()
    }

    pub fn line(&self) -> String {
        if self.is_empty() {
            return "No changes. AWS matches the manifests.".into();
        }
        let mut line = format!("Plan: {} to add, {} to change, {} to destroy", self.add, self.change, self.destroy);
        if self.adopt > 0 {
            let _ = write!(line, ", {} to adopt", self.adopt);
        }
        if self.release > 0 {
            let _ = write!(line, ", {} to leave in place", self.release);
        }
        if self.repair > 0 {
            let _ = write!(line, ", {} to repair", self.repair);
        }
        line.push('.');
        line
    }
}

#[derive(Serialize)]
struct PlanDocument<'a> {
    objects: &'a [ObjectPlan],
    summary: Summary,
}

/// Observes AWS and computes every object's plan. Errors are one sentence each.
pub async fn plans(aws: &Arc<AwsContext>, checked: &Checked) -> Result<Vec<ObjectPlan>, String> {
    let mut out = Vec::new();
    let mut pairs: Vec<(RegionPair, bool)> = Vec::new();
    for (pair, validated) in checked.set.region_pairs.iter().zip(&checked.region_pairs) {
        let name = pair.metadata.name.clone().unwrap_or_default();
        let ctx = aws.for_role(pair.spec.role_arn.as_deref()).await;
        let outcome = region_pair::reconcile(&ctx, pair, Intent::Observe, &now_rfc3339()).await;
        if let Some(e) = outcome.errors.first() {
            return Err(format!("RegionPair {name}: {}", crate::explain(e)));
        }
        let fresh = [&outcome.status.primary, &outcome.status.standby]
            .iter()
            .all(|r| r.as_ref().is_none_or(|r| r.vpc_id.is_none()));
        let (changes, drift, notes) = if fresh {
            let topology = warmstandby_core::desired::region_pair_topology(validated)
                .map_err(|e| format!("RegionPair {name}: {e}"))?;
            (creations(&topology, true), Vec::new(), Vec::new())
        } else {
            let mut changes = outcome.changes.clone();
            let drift = change::attach_drift(&mut changes, &outcome.status.drift);
            let notes = if changes.iter().any(|c| c.kind == ChangeKind::Create) {
                vec![change::MORE_ONCE_CREATED.to_string()]
            } else {
                Vec::new()
            };
            (changes, drift, notes)
        };
        out.push(ObjectPlan {
            object: format!("RegionPair {name}"),
            regions: vec![validated.primary.region.clone(), validated.standby.region.clone()],
            changes,
            drift,
            notes,
        });
        let mut observed = pair.clone();
        observed.status = Some(outcome.status);
        pairs.push((observed, fresh));
    }
    for (st, validated) in checked.set.stacks.iter().zip(&checked.stacks) {
        let label = format!("ThreeTierStack {}", crate::manifests::object_id(st));
        let pair =
            pairs.iter().find(|(p, _)| p.metadata.name.as_deref() == Some(st.spec.region_pair_ref.name.as_str()));
        let regions = vec![validated.pair.primary.region.clone(), validated.pair.standby.region.clone()];
        let all_new = || {
            warmstandby_core::desired::stack_topology(validated)
                .map(|t| creations(&t, false))
                .map_err(|e| format!("ThreeTierStack {}: {e}", crate::manifests::object_id(st)))
        };
        let plan = match pair {
            Some((_, true)) | None => {
                ObjectPlan { object: label, regions, changes: all_new()?, drift: Vec::new(), notes: Vec::new() }
            }
            Some((pair, false)) => {
                let inputs = checked.set.stack_inputs_on(st, Some(pair));
                let ctx = aws.for_role(pair.spec.role_arn.as_deref()).await;
                let outcome = stack::reconcile(&ctx, inputs, Intent::Observe, &now_rfc3339()).await;
                if let Some(e) = outcome.errors.first() {
                    return Err(format!("{label}: {}", crate::explain(e)));
                }
                if let Some(e) = outcome.invalid {
                    return Err(format!("{label}: {e}"));
                }
                if outcome.nothing_built {
                    ObjectPlan { object: label, regions, changes: all_new()?, drift: Vec::new(), notes: Vec::new() }
                } else {
                    stack_plan(label, regions, &outcome.changes, &outcome.status)
                }
            }
        };
        out.push(plan);
    }
    Ok(out)
}

fn stack_plan(object: String, regions: Vec<String>, changes: &[Change], status: &ThreeTierStackStatus) -> ObjectPlan {
    let mut changes = changes.to_vec();
    let drift = change::attach_drift(&mut changes, &status.drift);
    let mut notes = Vec::new();
    if changes.iter().any(|c| c.kind == ChangeKind::Create) {
        notes.push(change::MORE_ONCE_CREATED.to_string());
    }
    if let Some(ready) = warmstandby_core::conditions::get(&status.conditions, "Ready")
        && ready.status != "True"
        && ready.reason == "Provisioning"
    {
        notes.push(format!("not Ready yet; apply goes on from here: {}", ready.message));
    }
    ObjectPlan { object, regions, changes, drift, notes }
}

/// The exit code of a computed plan.
pub fn exit_code(plans: &[ObjectPlan]) -> u8 {
    if Summary::of(plans).is_empty() { NO_CHANGES } else { HAS_CHANGES }
}

pub fn json(plans: &[ObjectPlan]) -> String {
    let doc = PlanDocument { objects: plans, summary: Summary::of(plans) };
    serde_json::to_string_pretty(&doc).map(|s| s + "\n").unwrap_or_default()
}

/// The diff for people.
pub fn text(plans: &[ObjectPlan], style: Style) -> String {
    let mut s = String::new();
    for p in plans {
        let _ = writeln!(s, "{}", style.bold(&p.object));
        if p.changes.is_empty() && p.drift.is_empty() {
            let _ = writeln!(s, "  no changes");
        }
        let mut scopes: Vec<(String, String)> = p
            .regions
            .iter()
            .zip(["primary", "standby"])
            .map(|(r, role)| (r.clone(), format!("{r} ({role})")))
            .collect();
        scopes.push((GLOBAL_NAME.to_string(), "global".to_string()));
        for (region, label) in scopes {
            let here: Vec<&Change> = p.changes.iter().filter(|c| c.region == region).collect();
            let drift: Vec<&DriftItem> = p
                .drift
                .iter()
                .filter(|d| d.region == region || (region == GLOBAL_NAME && d.region == "global"))
                .collect();
            if here.is_empty() && drift.is_empty() {
                continue;
            }
            let _ = writeln!(s, "  {label}");
            for c in here {
                let sign = c.kind.sign();
                let _ = writeln!(s, "    {} {}", style.sign(sign, &sign.to_string()), style.sign(sign, &c.description));
                for f in &c.fields {
                    let _ = writeln!(s, "        {}: {} → {}", f.field, f.from, f.to);
                }
            }
            for d in drift {
                let _ = writeln!(
                    s,
                    "    {} {} {}: {}: {} → {}",
                    style.sign('!', "!"),
                    d.kind,
                    d.resource,
                    d.field,
                    d.found,
                    d.expected
                );
            }
        }
        for n in &p.notes {
            let _ = writeln!(s, "  note: {n}");
        }
        s.push('\n');
    }
    let summary = Summary::of(plans);
    let _ = writeln!(s, "{}", style.bold(&summary.line()));
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use warmstandby_core::desired::Tier;

    fn c(region: &str, kind: ChangeKind, description: &str) -> Change {
        Change {
            region: region.into(),
            kind,
            resource_kind: "AutoScalingGroup".into(),
            tier: Tier::Web,
            description: description.into(),
            fields: Vec::new(),
            count: 1,
        }
    }

    #[test]
    fn summary_counts_like_terraform() {
        let mut update = c("us-east-1", ChangeKind::Update, "update auto scaling group web");
        update.fields.push(change::FieldChange { field: "desired".into(), from: "5".into(), to: "2".into() });
        let plans = vec![ObjectPlan {
            object: "ThreeTierStack shop/web".into(),
            regions: vec!["us-east-1".into(), "us-west-2".into()],
            changes: vec![
                c("us-east-1", ChangeKind::Create, "create target group web"),
                update,
                c("global", ChangeKind::Delete, "delete alarm a"),
                c("us-west-2", ChangeKind::Repair, "create listener"),
            ],
            drift: Vec::new(),
            notes: Vec::new(),
        }];
        let summary = Summary::of(&plans);
        assert_eq!(summary.line(), "Plan: 1 to add, 1 to change, 1 to destroy, 1 to repair.");
        assert_eq!(exit_code(&plans), HAS_CHANGES);
        let text = text(&plans, Style::plain());
        assert_eq!(
            text,
            "ThreeTierStack shop/web\n  us-east-1 (primary)\n    + create target group web\n    ~ update auto scaling group web\n        desired: 5 → 2\n  us-west-2 (standby)\n    ! create listener\n  global\n    - delete alarm a\n\nPlan: 1 to add, 1 to change, 1 to destroy, 1 to repair.\n"
        );
        assert_eq!(exit_code(&[]), NO_CHANGES);
        assert_eq!(Summary::default().line(), "No changes. AWS matches the manifests.");
    }
}
