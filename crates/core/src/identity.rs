//! Who owns an AWS resource, and the identities derived from the owner:
//! ownership tags, idempotency tokens, caller references and the marker next
//! to our public DNS records. Pure functions of the owner, so the planner and
//! the AWS adapter compute exactly the same values.

use warmstandby_api::{RegionRole, TAG_ADOPTED, TAG_COMPONENT, TAG_NAME, TAG_REGION_ROLE, TAG_STACK, TAG_UID};

/// Who else manages a resource, told by the tags the common tools write on
/// what they create: another warmstandby object (its `warmstandby.dev/uid`),
/// a CloudFormation stack, an ACK controller or Crossplane. `None`: nobody
/// that says so (it may be adopted). Terraform writes no such tag.
pub fn managed_by_another<'a>(
    mut tags: impl Iterator<Item = (&'a str, &'a str)> + Clone,
    our_uid: &str,
) -> Option<String> {
    let tag = |key: &str| tags.clone().find(|(k, _)| *k == key).map(|(_, v)| v);
    if let Some(uid) = tag(TAG_UID).filter(|uid| *uid != our_uid) {
        return Some(format!("another warmstandby object ({TAG_UID}={uid})"));
    }
    if let Some(stack) = tag("aws:cloudformation:stack-name") {
        return Some(format!("the CloudFormation stack {stack}"));
    }
    if let Some(namespace) = tag("services.k8s.aws/namespace") {
        return Some(format!("AWS Controllers for Kubernetes (namespace {namespace})"));
    }
    if let Some(name) = tag("crossplane-name") {
        return Some(format!("Crossplane ({name})"));
    }
    tags.find(|(k, _)| k.starts_with("aws:cloudformation:")).map(|_| "a CloudFormation stack".to_string())
}

/// Whose a resource found by name is, where the name may be one given for
/// adoption (found by name, its tags read).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Claim {
    /// Created by the stack (ours by name or tags; checked again before a change).
    #[default]
    Created,
    /// Adopted by the stack, at this time (tag `warmstandby.dev/adopted`).
    Adopted(String),
    /// Named for adoption and not ours (yet): untagged, or managed by
    /// `other_owner` (refused).
    Foreign { other_owner: Option<String> },
}

impl Claim {
    /// From a resource's tags, for the stack with `our_uid`.
    pub fn of<'a>(tags: impl Iterator<Item = (&'a str, &'a str)> + Clone, our_uid: &str) -> Claim {
        let tag = |key: &str| tags.clone().find(|(k, _)| *k == key).map(|(_, v)| v);
        match (tag(TAG_UID), tag(TAG_ADOPTED)) {
            (Some(uid), Some(at)) if uid == our_uid => Claim::Adopted(at.to_string()),
            (Some(uid), None) if uid == our_uid => Claim::Created,
            _ => Claim::Foreign { other_owner: managed_by_another(tags, our_uid) },
        }
    }

    /// The stack's: created, or adopted already.
    pub fn is_ours(&self) -> bool {
        !matches!(self, Claim::Foreign { .. })
    }

    pub fn adopted_at(&self) -> Option<&str> {
        match self {
            Claim::Adopted(at) => Some(at),
            _ => None,
        }
    }
}

/// Why a resource named for adoption at `field` cannot be adopted now:
/// there is none (`what`, e.g. `backup vault shop`, `place` e.g. ` in
/// us-east-1` or empty), or another manager has it. `None`: it can be, or it
/// is ours already. Nothing is created in a refused one's place.
pub fn adoption_refused(field: &str, what: &str, place: &str, found: Option<&Claim>) -> Option<String> {
    match found {
        None => Some(format!("{field}: there is no {what}{place}; nothing is created in its place")),
        Some(Claim::Foreign { other_owner: Some(owner) }) => {
            Some(format!("{field}: {what} is managed by {owner}; it is left alone"))
        }
        Some(_) => None,
    }
}

/// Who owns a resource: the custom resource and the role of its region.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ownership {
    /// `namespace/name`, or `name` for cluster-scoped objects.
    pub owner: String,
    pub uid: String,
    pub region_role: RegionRole,
}

impl Ownership {
    /// Every tag a new resource gets, as (key, value).
    pub fn tags(&self, component: &str, name: &str) -> Vec<(String, String)> {
        vec![
            (TAG_STACK.to_string(), self.owner.clone()),
            (TAG_UID.to_string(), self.uid.clone()),
            (TAG_COMPONENT.to_string(), component.to_string()),
            (TAG_REGION_ROLE.to_string(), self.region_role.as_str().to_string()),
            (TAG_NAME.to_string(), name.to_string()),
        ]
    }

    /// An idempotency token for APIs that take one: stable per owner and component.
    pub fn client_token(&self, component: &str) -> String {
        let h = crate::names::fnv1a32(format!("{}|{component}", self.uid).as_bytes());
        format!("ws-{}-{h:08x}", &self.uid.chars().filter(|c| c.is_ascii_alphanumeric()).take(24).collect::<String>())
    }

    /// CallerReference of the stack's health check with the given immutable key.
    pub fn health_check_reference(&self, immutable_key: &str) -> String {
        self.client_token(&format!("health-check/api/{immutable_key}"))
    }

    /// CallerReference of the stack's CloudFront distribution.
    pub fn distribution_reference(&self) -> String {
        self.client_token("distribution/web")
    }

    /// CallerReference of a public zone the stack creates.
    pub fn public_zone_reference(&self) -> String {
        self.client_token("public-zone")
    }

    /// The ownership marker written next to our public records.
    pub fn owner_marker(&self) -> String {
        format!("heritage=warmstandby,owner={},uid={}", self.owner, self.uid)
    }
}

/// When the last status recorded the adoption of the `kind` `id`: a
/// resource adopted before is read as ours by its ID, without its tags.
pub fn recorded_adoption(
    status: Option<&warmstandby_api::ThreeTierStackStatus>,
    kind: crate::resource::Kind,
    id: &str,
) -> Option<String> {
    let adopted = status.map(|s| s.adopted.as_slice()).unwrap_or_default();
    adopted.iter().find(|a| a.kind == kind.to_string() && a.id == id).map(|a| a.adopted_at.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn other_managers_are_told_by_their_tags() {
        let of = |tags: &[(&'static str, &'static str)]| managed_by_another(tags.iter().copied(), "ours");
        assert_eq!(of(&[]), None);
        assert_eq!(of(&[(TAG_UID, "ours"), ("Name", "db")]), None, "our own");
        assert_eq!(
            of(&[(TAG_UID, "theirs")]).as_deref(),
            Some("another warmstandby object (warmstandby.dev/uid=theirs)")
        );
        assert_eq!(of(&[("aws:cloudformation:stack-name", "shop")]).as_deref(), Some("the CloudFormation stack shop"));
        assert!(
            of(&[("services.k8s.aws/namespace", "shop")]).is_some_and(|o| o.contains("Controllers for Kubernetes"))
        );
        assert!(of(&[("crossplane-name", "shop-db")]).is_some_and(|o| o.starts_with("Crossplane")));
    }

    #[test]
    fn a_claim_is_read_from_the_tags() {
        let of = |tags: &[(&'static str, &'static str)]| Claim::of(tags.iter().copied(), "ours");
        assert_eq!(of(&[(TAG_UID, "ours")]), Claim::Created);
        assert_eq!(
            of(&[(TAG_UID, "ours"), (TAG_ADOPTED, "2026-12-05T10:00:00Z")]).adopted_at(),
            Some("2026-12-05T10:00:00Z")
        );
        assert_eq!(of(&[("Name", "web-alb")]), Claim::Foreign { other_owner: None });
        assert!(!of(&[(TAG_UID, "theirs"), (TAG_ADOPTED, "x")]).is_ours());
    }

    #[test]
    fn tags_tokens_and_references() {
        let o = Ownership { owner: "classic".into(), uid: "0d5c-uid".into(), region_role: RegionRole::Standby };
        let tags = o.tags("subnet/web-a", "classic-standby-web-a");
        assert!(tags.contains(&(TAG_UID.to_string(), "0d5c-uid".to_string())));
        assert!(tags.contains(&(TAG_REGION_ROLE.to_string(), "standby".to_string())));
        assert_eq!(o.client_token("nat-gateway/nat-a"), o.client_token("nat-gateway/nat-a"));
        assert_ne!(o.client_token("nat-gateway/nat-a"), o.client_token("nat-gateway/nat-b"));
        assert!(o.client_token("x").len() <= 64);
        assert_ne!(o.health_check_reference("a"), o.health_check_reference("b"));
        assert_eq!(o.owner_marker(), "heritage=warmstandby,owner=classic,uid=0d5c-uid");
        // CloudFront and Route 53 cap caller references at 128 characters.
        assert!(o.distribution_reference().len() <= 128 && o.public_zone_reference().len() <= 128);
    }
}
