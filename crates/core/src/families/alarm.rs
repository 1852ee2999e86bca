//! The alarm family: the CloudWatch alarm on the api health check's status
//! metric (us-east-1, where Route 53 publishes health check metrics). It
//! watches the health check the public DNS family keeps for the active api
//! load balancer; failure detection reads its state (`spec.failover`'s
//! `cloudWatchAlarm`), and its SNS actions notify whoever the spec names.
//! It has no condition of its own: whether it exists counts toward
//! `DnsReady`, beside the health check it watches.

use warmstandby_api::{GLOBAL_REGION, ThreeTierStackStatus};

use crate::compare::{Fields, diff, list};
use crate::families::{Neighbours, ResourceFamily};
use crate::family::{Effect, Family, FamilyAction};
use crate::placement::Placement;
use crate::plan::{Place, Plan};
use crate::resource::{Kind, Resource, Scope, Tier};
use crate::validate::ValidatedStack;

/// The alarm family on the seam.
pub struct Alarm;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DesiredAlarm {
    pub name: String,
    pub sns_topic_arns: Vec<String>,
}

/// The name of the stack's alarm on its health check.
pub fn alarm_name(stack: &ValidatedStack) -> String {
    stack.aws_name("api-health", 255)
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AlarmConfig {
    pub health_check_id: String,
    /// Sorted.
    pub actions: Vec<String>,
}

impl AlarmConfig {
    pub fn fields(&self) -> Fields {
        vec![("healthCheck", self.health_check_id.clone()), ("alarmActions", list(&self.actions))]
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObservedAlarm {
    pub name: String,
    /// `OK`, `ALARM`, `INSUFFICIENT_DATA`.
    pub state: String,
    pub config: AlarmConfig,
}

impl ObservedAlarm {
    /// Failure detection's signal.
    pub fn is_firing(&self) -> bool {
        self.state == "ALARM"
    }
}

/// Global (us-east-1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AlarmAction {
    PutAlarm { name: String, config: AlarmConfig },
    DeleteAlarm { name: String },
}

impl FamilyAction for AlarmAction {
    fn effect(&self) -> (Effect, Kind) {
        let effect = match self {
            AlarmAction::PutAlarm { .. } => Effect::Create,
            AlarmAction::DeleteAlarm { .. } => Effect::Delete,
        };
        (effect, Kind::Alarm)
    }

    fn tier(&self, _scope: &Scope) -> Tier {
        Tier::Global
    }

    fn describe(&self) -> String {
        match self {
            AlarmAction::PutAlarm { name, .. } => format!("put alarm {name}"),
            AlarmAction::DeleteAlarm { name } => format!("delete alarm {name}"),
        }
    }
}

/// The health check an alarm of ours watches: kept while it does.
pub fn watched_health_check(observed: &Option<ObservedAlarm>) -> Option<&str> {
    observed.as_ref().map(|a| a.config.health_check_id.as_str())
}

/// What to change of the alarm: put it on `health_check_id` (the health
/// check in use), with the spec's notifications.
pub fn plan_alarm(
    desired: &Option<DesiredAlarm>,
    observed: &Option<ObservedAlarm>,
    health_check_id: Option<&str>,
) -> Plan<(Place, AlarmAction)> {
    let mut plan = Plan::default();
    let Some(a) = desired else { return plan };
    let Some(hc) = health_check_id else {
        plan.waiting.push("the alarm waits for the health check".into());
        return plan;
    };
    let mut actions = a.sns_topic_arns.clone();
    actions.sort();
    let want = AlarmConfig { health_check_id: hc.to_string(), actions };
    match observed {
        None => plan.push(Place::Global, AlarmAction::PutAlarm { name: a.name.clone(), config: want }),
        Some(have) => {
            let items = diff(GLOBAL_REGION, "Alarm", &have.name, &want.fields(), &have.config.fields());
            if !items.is_empty() {
                plan.push(Place::Global, AlarmAction::PutAlarm { name: a.name.clone(), config: want });
            }
            plan.drift.extend(items);
        }
    }
    plan
}

impl ResourceFamily for Alarm {
    const FAMILY: Family = Family::Alarm;
    type Desired = Option<DesiredAlarm>;
    type Observed = Option<ObservedAlarm>;
    type Action = AlarmAction;

    fn live_id(r: &Resource, status: &ThreeTierStackStatus) -> Option<Option<String>> {
        let global = super::regional(r, status).is_none() && r.kind == Kind::Alarm;
        global.then(|| status.global.as_ref().and_then(|g| g.alarm_name.clone()))
    }

    fn desired(stack: &ValidatedStack, _placement: &Placement) -> Option<DesiredAlarm> {
        let alarms = &stack.spec.alarms;
        alarms.enabled.then(|| DesiredAlarm { name: alarm_name(stack), sns_topic_arns: alarms.sns_topic_arns.clone() })
    }

    fn topology(desired: &Option<DesiredAlarm>, out: &mut Vec<Resource>) {
        if let Some(alarm) = desired {
            let notify =
                if alarm.sns_topic_arns.is_empty() { "(none)".to_string() } else { alarm.sns_topic_arns.join(",") };
            out.push(
                Resource::new(&Scope::Global, "alarm/api-health", Kind::Alarm, alarm.name.clone())
                    .prop("metric", "AWS/Route53 HealthCheckStatus")
                    .prop("threshold", "< 1 for 1 period of 60s")
                    .prop("notify", notify)
                    .dep("global/health-check/api"),
            );
        }
    }

    /// On the health check the public DNS family uses now.
    fn plan(
        desired: &Option<DesiredAlarm>,
        observed: &Option<ObservedAlarm>,
        around: &Neighbours<'_>,
    ) -> Plan<(Place, AlarmAction)> {
        plan_alarm(desired, observed, around.health_check_in_use().as_deref())
    }

    /// First of the global resources: the health check it watches waits for it.
    fn teardown(
        _desired: &Option<DesiredAlarm>,
        observed: &Option<ObservedAlarm>,
        _around: &Neighbours<'_>,
    ) -> Plan<(Place, AlarmAction)> {
        let mut plan = Plan::default();
        if let Some(a) = observed {
            plan.push(Place::Global, AlarmAction::DeleteAlarm { name: a.name.clone() });
        }
        plan
    }

    fn status(
        _desired: &Option<DesiredAlarm>,
        observed: &Option<ObservedAlarm>,
        _around: &Neighbours<'_>,
        status: &mut ThreeTierStackStatus,
    ) {
        status.global.get_or_insert_default().alarm_name = observed.as_ref().map(|a| a.name.clone());
    }

    fn live_count(_desired: &Option<DesiredAlarm>, observed: &Option<ObservedAlarm>) -> usize {
        usize::from(observed.is_some())
    }
}
