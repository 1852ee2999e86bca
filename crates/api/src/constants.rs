//! Names shared by every part of the operator.

pub const GROUP: &str = "warmstandby.dev";
pub const VERSION: &str = "v1alpha1";
pub const API_VERSION: &str = "warmstandby.dev/v1alpha1";

/// Finalizer set on every custom resource before anything is created in AWS.
pub const FINALIZER: &str = "warmstandby.dev/cleanup";
/// Field manager of every server-side-apply patch the operator sends.
pub const FIELD_MANAGER: &str = "warmstandby-operator";

/// Ownership tags written on every AWS resource at creation time.
pub const TAG_STACK: &str = "warmstandby.dev/stack";
pub const TAG_UID: &str = "warmstandby.dev/uid";
pub const TAG_COMPONENT: &str = "warmstandby.dev/component";
pub const TAG_REGION_ROLE: &str = "warmstandby.dev/region-role";
pub const TAG_EPOCH: &str = "warmstandby.dev/epoch";
/// On an adopted resource: when it was adopted (RFC 3339).
pub const TAG_ADOPTED: &str = "warmstandby.dev/adopted";
/// Every tag key warmstandby writes besides `Name`: what releasing a
/// resource (leaving it in place, no longer ours) removes.
pub const OUR_TAG_KEYS: [&str; 6] = [TAG_STACK, TAG_UID, TAG_COMPONENT, TAG_REGION_ROLE, TAG_EPOCH, TAG_ADOPTED];
pub const TAG_NAME: &str = "Name";

/// Annotations a human sets on a stack.
pub const ANNOTATION_APPROVE_FAILOVER: &str = "warmstandby.dev/approve-failover";
pub const ANNOTATION_RUN_DRILL: &str = "warmstandby.dev/run-drill";

/// Scope of WAF ACLs and certificates used by CloudFront.
pub const GLOBAL_REGION: &str = "us-east-1";
