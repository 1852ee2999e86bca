//! Ownership tags: set at creation, used to find resources before creating,
//! and checked before anything is modified or deleted.

use warmstandby_api::{RegionRole, TAG_COMPONENT, TAG_NAME, TAG_REGION_ROLE, TAG_STACK, TAG_UID};

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

    pub fn ec2_tags(&self, component: &str, name: &str) -> Vec<aws_sdk_ec2::types::Tag> {
        self.tags(component, name)
            .into_iter()
            .map(|(k, v)| aws_sdk_ec2::types::Tag::builder().key(k).value(v).build())
            .collect()
    }

    pub fn ec2_tag_spec(
        &self,
        resource_type: aws_sdk_ec2::types::ResourceType,
        component: &str,
        name: &str,
    ) -> aws_sdk_ec2::types::TagSpecification {
        aws_sdk_ec2::types::TagSpecification::builder()
            .resource_type(resource_type)
            .set_tags(Some(self.ec2_tags(component, name)))
            .build()
    }

    /// An idempotency token for APIs that take one: stable per owner and component.
    pub fn client_token(&self, component: &str) -> String {
        let h = warmstandby_core::names::fnv1a32(format!("{}|{component}", self.uid).as_bytes());
        format!("ws-{}-{h:08x}", &self.uid.chars().filter(|c| c.is_ascii_alphanumeric()).take(24).collect::<String>())
    }
}

/// Filter that returns only resources owned by one of `uids`.
pub fn ec2_uid_filter(uids: &[String]) -> aws_sdk_ec2::types::Filter {
    aws_sdk_ec2::types::Filter::builder().name(format!("tag:{TAG_UID}")).set_values(Some(uids.to_vec())).build()
}

pub fn ec2_tag<'a>(tags: &'a [aws_sdk_ec2::types::Tag], key: &str) -> Option<&'a str> {
    tags.iter().find(|t| t.key() == Some(key)).and_then(|t| t.value())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_and_tokens() {
        let o = Ownership { owner: "classic".into(), uid: "0d5c-uid".into(), region_role: RegionRole::Standby };
        let tags = o.tags("subnet/web-a", "classic-standby-web-a");
        assert!(tags.contains(&(TAG_UID.to_string(), "0d5c-uid".to_string())));
        assert!(tags.contains(&(TAG_REGION_ROLE.to_string(), "standby".to_string())));
        assert_eq!(o.client_token("nat-gateway/nat-a"), o.client_token("nat-gateway/nat-a"));
        assert_ne!(o.client_token("nat-gateway/nat-a"), o.client_token("nat-gateway/nat-b"));
        assert!(o.client_token("x").len() <= 64);
    }
}
