//! Publishing events (`events.k8s.io/v1`). An event repeated within a few
//! minutes becomes a series (one object, its count and last time), as
//! Kubernetes recorders do; unlike them, a repeat is the same reason *and*
//! the same note. The standard recorders (client-go's and kube's) treat
//! events with one reason and action as the same event and keep the first
//! note for the whole series, so a move's steps ("guards done; fence",
//! "fence done; promote", ...) or two different repairs would all read as
//! the first one in `kubectl describe` and `kubectl warmstandby`.

use std::collections::HashMap;

use k8s_openapi::api::core::v1::ObjectReference;
use k8s_openapi::api::events::v1::{Event, EventSeries};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
use k8s_openapi::jiff::{SignedDuration, Timestamp};
use kube::api::{Patch, PatchParams, PostParams};
use kube::runtime::events::EventType;
use kube::{Api, Client, ResourceExt};
use tokio::sync::Mutex;

/// How long an event can still be counted again (as kube's recorder).
const SERIES_WINDOW: SignedDuration = SignedDuration::from_mins(6);

/// One event to publish.
pub struct Published<'a> {
    pub type_: EventType,
    pub reason: &'a str,
    pub action: &'a str,
    pub note: String,
}

#[derive(Clone, PartialEq, Eq, Hash)]
struct Key {
    warning: bool,
    reason: String,
    action: String,
    note: String,
    regarding: (Option<String>, Option<String>, Option<String>, Option<String>),
}

pub struct EventSink {
    client: Client,
    controller: String,
    instance: String,
    recent: Mutex<HashMap<Key, Event>>,
}

impl EventSink {
    pub fn new(client: Client, controller: &str, instance: Option<String>) -> EventSink {
        EventSink {
            client,
            controller: controller.to_string(),
            instance: instance.unwrap_or_else(|| controller.to_string()),
            recent: Mutex::new(HashMap::new()),
        }
    }

    /// Creates the event, or counts it again when the same one was published recently.
    pub async fn publish(&self, event: Published<'_>, regarding: &ObjectReference) -> Result<(), kube::Error> {
        let now = Timestamp::now();
        let key = Key {
            warning: event.type_ == EventType::Warning,
            reason: event.reason.to_string(),
            action: event.action.to_string(),
            note: event.note.clone(),
            regarding: (
                regarding.kind.clone(),
                regarding.namespace.clone(),
                regarding.name.clone(),
                regarding.uid.clone(),
            ),
        };
        let mut recent = self.recent.lock().await;
        recent.retain(|_, e| last_seen(e).is_some_and(|t| t + SERIES_WINDOW > now));
        let namespace = regarding.namespace.clone().unwrap_or_else(|| "default".into());
        let api: Api<Event> = Api::namespaced(self.client.clone(), &namespace);
        let sent = match recent.get(&key) {
            Some(before) => {
                let count = before.series.as_ref().map_or(2, |s| s.count + 1);
                let mut again = before.clone();
                again.series = Some(EventSeries { count, last_observed_time: MicroTime(now) });
                let patch = serde_json::json!({"series": again.series});
                api.patch(&again.name_any(), &PatchParams::default(), &Patch::Merge(&patch)).await?;
                again
            }
            None => api.create(&PostParams::default(), &self.new_event(event, regarding, now)).await?,
        };
        recent.insert(key, sent);
        Ok(())
    }

    fn new_event(&self, event: Published<'_>, regarding: &ObjectReference, now: Timestamp) -> Event {
        let subject = regarding.name.as_deref().unwrap_or(&self.controller);
        Event {
            action: Some(event.action.to_string()),
            reason: Some(event.reason.to_string()),
            note: Some(event.note),
            event_time: Some(MicroTime(now)),
            regarding: Some(regarding.clone()),
            metadata: ObjectMeta {
                namespace: regarding.namespace.clone(),
                name: Some(format!("{subject}.{:x}", now.as_nanosecond())),
                ..Default::default()
            },
            reporting_controller: Some(self.controller.clone()),
            reporting_instance: Some(self.instance.clone()),
            type_: Some(if event.type_ == EventType::Warning { "Warning" } else { "Normal" }.to_string()),
            ..Default::default()
        }
    }
}

fn last_seen(e: &Event) -> Option<Timestamp> {
    e.series.as_ref().map(|s| s.last_observed_time.0).or(e.event_time.as_ref().map(|t| t.0))
}
