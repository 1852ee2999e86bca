//! What the status says while a move runs: where the writer is and where
//! traffic goes (as AWS shows it), `Progressing` true with the step and what
//! it waits for, and a step that waits past its deadline as
//! `Progressing=False` (`ProgressDeadlineExceeded`, as a Deployment reports
//! it) with one `FailoverStepOverdue` event.

use warmstandby_api::{FailoverPolicySpec, FailoverProgress, RegionRole, ThreeTierStack, ThreeTierStackStatus};

use crate::conditions::{self, Status, types};
use crate::failover::{FailoverReason, Stage};
use crate::stack_pass::record::seconds;

/// The reason of `Progressing` (and `Ready`) while a move runs.
pub const IN_PROGRESS: &str = "FailoverInProgress";
/// The reason of `Progressing=False` once a step waits past its deadline.
pub const DEADLINE_EXCEEDED: &str = "ProgressDeadlineExceeded";
/// Never less than this: AWS answers even quick changes in seconds to minutes.
const MIN_DEADLINE_SECONDS: i64 = 120;

/// How long `stage` may wait before it is overdue: the policy's
/// `stepDeadlineSeconds`, else three times what AWS typically takes for it
/// (the same table the emulator times AWS with).
pub fn deadline_seconds(policy: Option<&FailoverPolicySpec>, stage: Stage) -> Option<i64> {
    use crate::aws_time::typical;
    let typical = match stage {
        // Before the decision a move waits on people and on the failure itself.
        Stage::Confirm | Stage::Guards => return None,
        Stage::Fence => 0,
        Stage::Promote => typical("rds.promote_read_replica"),
        Stage::Scale => typical("ec2.instance.launch") + typical("elbv2.target.healthy"),
        Stage::Switch => typical("route53.change"),
        Stage::Verify => typical("route53.change") + typical("elbv2.target.healthy"),
    };
    let configured = policy.and_then(|p| p.actions.step_deadline_seconds).map(i64::from);
    Some(configured.unwrap_or((3 * typical).max(MIN_DEADLINE_SECONDS)))
}

/// The regions' names, primary first.
pub type Regions<'a> = [&'a str; 2];

/// Records where the writer and the traffic are, and, while `progress`
/// runs, the move's `Ready`/`Progressing` (`stack` has the previous status).
/// Returns the overdue event when a step has just passed its deadline.
pub fn record_move(
    status: &mut ThreeTierStackStatus,
    stack: &ThreeTierStack,
    progress: Option<&FailoverProgress>,
    policy: Option<&FailoverPolicySpec>,
    (writer, traffic): ([bool; 2], [bool; 2]),
    regions: Regions<'_>,
    now: &str,
) -> Option<(FailoverReason, String)> {
    let (previous, generation) = (stack.status.as_ref(), stack.metadata.generation);
    let name = |found: [bool; 2]| RegionRole::BOTH.into_iter().find(|r| found[r.index()]).map(|r| regions[r.index()]);
    status.writer_region = name(writer).map(str::to_string);
    status.traffic_region = name(traffic).map(str::to_string);
    let p = progress?;
    let stage = Stage::parse(&p.step)?;
    let step = p.steps.last();
    let waits = step.and_then(|s| s.message.clone()).unwrap_or_else(|| "working".into());
    let whereabouts = format!(
        "writes go to {}, traffic to {}",
        status.writer_region.as_deref().unwrap_or("no region yet"),
        status.traffic_region.as_deref().unwrap_or("no region yet"),
    );
    let summary = format!(
        "{} epoch {} from the {} to the {}: {} ({waits}); {whereabouts}",
        p.kind, p.epoch, p.from, p.to, p.step
    );
    let set = |c: &mut Vec<_>, t: &str, s: Status, reason: &str, message: String| {
        conditions::set(c, t, s, reason, message, generation, now)
    };
    set(&mut status.conditions, types::READY, Status::False, IN_PROGRESS, summary.clone());
    let waited = step.map(|s| seconds(now) - seconds(&s.started_at)).unwrap_or(0);
    let overdue = deadline_seconds(policy, stage).filter(|d| waited > *d);
    let Some(deadline) = overdue else {
        set(&mut status.conditions, types::PROGRESSING, Status::True, IN_PROGRESS, summary);
        return None;
    };
    let message =
        format!("the {} step has waited {waited} s, past its deadline of {deadline} s: {waits}; {whereabouts}", p.step);
    set(&mut status.conditions, types::PROGRESSING, Status::False, DEADLINE_EXCEEDED, message.clone());
    let was_overdue = previous
        .and_then(|s| conditions::get(&s.conditions, types::PROGRESSING))
        .is_some_and(|c| c.reason == DEADLINE_EXCEEDED && c.message.starts_with(&format!("the {} step ", p.step)));
    (!was_overdue).then_some((FailoverReason::StepOverdue, message))
}

#[cfg(test)]
mod tests {
    use warmstandby_api::FailoverStep;

    use super::*;

    fn promoting(started: &str) -> FailoverProgress {
        FailoverProgress {
            epoch: 4,
            kind: "failover".into(),
            from: RegionRole::Primary,
            to: RegionRole::Standby,
            step: "verify".into(),
            steps: vec![FailoverStep {
                name: "verify".into(),
                started_at: started.into(),
                finished_at: None,
                message: Some("the standby endpoints do not answer yet".into()),
            }],
            started_at: started.into(),
            rpo_estimate_seconds: Some(0),
            refused: None,
        }
    }

    fn stack_with(status: Option<ThreeTierStackStatus>) -> ThreeTierStack {
        let (mut stack, _) = crate::test_fixtures::classic_object(|_| {});
        stack.metadata.generation = Some(1);
        stack.status = status;
        stack
    }

    fn condition(status: &ThreeTierStackStatus, t: &str) -> (String, String, String) {
        conditions::get(&status.conditions, t)
            .map(|c| (c.status.clone(), c.reason.clone(), c.message.clone()))
            .unwrap_or_default()
    }

    #[test]
    fn a_move_waiting_at_verify_says_where_writes_and_traffic_go_and_is_progressing() {
        let mut status = ThreeTierStackStatus::default();
        let p = promoting("2026-12-05T10:00:00Z");
        let event = record_move(
            &mut status,
            &stack_with(None),
            Some(&p),
            None,
            ([false, true], [false, true]),
            ["us-east-1", "us-west-2"],
            "2026-12-05T10:00:30Z",
        );
        assert_eq!(event, None);
        assert_eq!(status.writer_region.as_deref(), Some("us-west-2"));
        assert_eq!(status.traffic_region.as_deref(), Some("us-west-2"));
        let (s, reason, message) = condition(&status, types::PROGRESSING);
        assert_eq!((s.as_str(), reason.as_str()), ("True", IN_PROGRESS));
        assert!(message.contains("verify") && message.contains("do not answer"), "{message}");
        assert!(message.contains("writes go to us-west-2, traffic to us-west-2"), "{message}");
        assert_eq!(condition(&status, types::READY).1, IN_PROGRESS);
    }

    #[test]
    fn a_step_past_its_deadline_is_reported_once_and_names_what_waits() {
        let policy: FailoverPolicySpec =
            serde_json::from_value(serde_json::json!({"actions": {"stepDeadlineSeconds": 60}})).expect("a policy");
        let p = promoting("2026-12-05T10:00:00Z");
        let mut first = ThreeTierStackStatus::default();
        let pass = |status: &mut ThreeTierStackStatus, previous: Option<&ThreeTierStackStatus>, now: &str| {
            record_move(
                status,
                &stack_with(previous.cloned()),
                Some(&p),
                Some(&policy),
                ([false, false], [false, true]),
                ["us-east-1", "us-west-2"],
                now,
            )
        };
        let event = pass(&mut first, None, "2026-12-05T10:01:30Z");
        let (reason, message) = event.unwrap_or((FailoverReason::Step, String::new()));
        assert_eq!(reason, FailoverReason::StepOverdue);
        assert!(message.contains("past its deadline of 60 s") && message.contains("do not answer"), "{message}");
        assert!(message.contains("writes go to no region yet"), "{message}");
        let (s, r, _) = condition(&first, types::PROGRESSING);
        assert_eq!((s.as_str(), r.as_str()), ("False", DEADLINE_EXCEEDED));
        let mut second = first.clone();
        assert_eq!(pass(&mut second, Some(&first), "2026-12-05T10:02:00Z"), None, "one event per overdue step");
    }

    #[test]
    fn steps_that_wait_on_people_have_no_deadline_and_aws_steps_default_to_three_times_aws() {
        assert_eq!(deadline_seconds(None, Stage::Guards), None);
        assert_eq!(deadline_seconds(None, Stage::Fence), Some(MIN_DEADLINE_SECONDS));
        let promote = deadline_seconds(None, Stage::Promote).unwrap_or_default();
        assert_eq!(promote, (3 * crate::aws_time::typical("rds.promote_read_replica")).max(MIN_DEADLINE_SECONDS));
    }
}
