//! What this process created and AWS may not describe yet. EC2 is
//! eventually consistent: "if you run a command to describe a resource
//! immediately after creating it, the resource might not be returned"
//! (https://docs.aws.amazon.com/ec2/latest/devguide/eventual-consistency.html),
//! and a VPC, a subnet, an internet gateway or an Elastic IP cannot be made
//! idempotent with a client token. A pass that finds one of its recent
//! creations missing from what it observed must not create it again: it
//! waits until AWS shows it (or until it is deleted).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a creation is remembered: far longer than EC2 takes to show a
/// new resource, short enough that a resource deleted by someone else is
/// not waited for long.
const REMEMBER_FOR: Duration = Duration::from_secs(300);

/// How long a tag this process set is trusted over a describe that does not
/// show it yet: tags lag like resources ("the result of an API command you
/// run that affects your Amazon EC2 resources might not be immediately
/// visible to all subsequent commands", the page above).
const TAG_TRUSTED_FOR: Duration = Duration::from_secs(60);

/// Creations by owner and region (`uid/region`): resource ID and when; and
/// tags set on existing resources: (resource ID, key) to value and when.
#[derive(Debug, Default)]
pub struct RecentCreations {
    entries: Mutex<HashMap<String, Vec<(String, Instant)>>>,
    tags: Mutex<HashMap<(String, String), (String, Instant)>>,
}

fn key(uid: &str, region: &str) -> String {
    format!("{uid}/{region}")
}

impl RecentCreations {
    pub fn remember(&self, uid: &str, region: &str, id: &str) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.entry(key(uid, region)).or_default().push((id.to_string(), Instant::now()));
    }

    /// A deleted resource is no longer waited for.
    pub fn forget(&self, uid: &str, region: &str, id: &str) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(list) = entries.get_mut(&key(uid, region)) {
            list.retain(|(i, _)| i != id);
        }
    }

    /// A tag just set on `id`, which describes may not show yet.
    pub fn remember_tag(&self, id: &str, key: &str, value: &str) {
        let mut tags = self.tags.lock().unwrap_or_else(|e| e.into_inner());
        tags.retain(|_, (_, at)| at.elapsed() < TAG_TRUSTED_FOR);
        tags.insert((id.to_string(), key.to_string()), (value.to_string(), Instant::now()));
    }

    /// The value this process set for `key` on `id` in the last minute, if any.
    pub fn tag(&self, id: &str, key: &str) -> Option<String> {
        let tags = self.tags.lock().unwrap_or_else(|e| e.into_inner());
        tags.get(&(id.to_string(), key.to_string()))
            .filter(|(_, at)| at.elapsed() < TAG_TRUSTED_FOR)
            .map(|(v, _)| v.clone())
    }

    /// The recent creations `seen` does not find, with their age; the seen
    /// and the expired are forgotten.
    pub fn unseen(&self, uid: &str, region: &str, seen: impl Fn(&str) -> bool) -> Vec<(String, Duration)> {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let Some(list) = entries.get_mut(&key(uid, region)) else { return Vec::new() };
        list.retain(|(id, at)| at.elapsed() < REMEMBER_FOR && !seen(id));
        list.iter().map(|(id, at)| (id.clone(), at.elapsed())).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_creation_is_waited_for_until_seen_or_deleted() {
        let recent = RecentCreations::default();
        recent.remember("u1", "us-east-1", "vpc-1");
        recent.remember("u1", "us-east-1", "subnet-1");
        recent.remember("u1", "us-west-2", "vpc-2");
        let unseen: Vec<String> = recent.unseen("u1", "us-east-1", |_| false).into_iter().map(|(id, _)| id).collect();
        assert_eq!(unseen, ["vpc-1", "subnet-1"]);
        assert!(recent.unseen("u1", "us-east-1", |id| id == "vpc-1").iter().all(|(id, _)| id == "subnet-1"));
        recent.forget("u1", "us-east-1", "subnet-1");
        assert!(recent.unseen("u1", "us-east-1", |_| false).is_empty(), "seen once, deleted once: nothing to wait for");
        assert_eq!(recent.unseen("u1", "us-west-2", |_| false).len(), 1, "per region");
        assert!(recent.unseen("u2", "us-east-1", |_| false).is_empty(), "per owner");
    }

    #[test]
    fn a_tag_just_set_is_known_before_describes_show_it() {
        let recent = RecentCreations::default();
        assert_eq!(recent.tag("sg-1", "epoch"), None);
        recent.remember_tag("sg-1", "epoch", "2");
        recent.remember_tag("sg-1", "epoch", "3");
        assert_eq!(recent.tag("sg-1", "epoch").as_deref(), Some("3"), "the latest value");
        assert_eq!(recent.tag("sg-2", "epoch"), None, "per resource");
    }
}
