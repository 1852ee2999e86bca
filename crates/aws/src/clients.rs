//! One `SdkConfig` loaded at start, one client per service per region, all
//! sharing the call counter. The endpoint comes only from configuration
//! (`AWS_ENDPOINT_URL` or an explicit URL), so the same binary runs against
//! AWS or the local emulator.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_types::SdkConfig;
use aws_types::region::Region;

use crate::calls::CallCounter;
use crate::shared::{Invalidator, SharedReads};

/// Keys that differed, by (secret ARN, version), with the password compared.
type SecretChecks = HashMap<(String, String), (warmstandby_core::Password, Vec<String>)>;

/// AWS access for reconcilers.
pub struct AwsContext {
    base: SdkConfig,
    calls: CallCounter,
    /// Views shared by every pass within the freshness window.
    shared: std::sync::Arc<SharedReads>,
    ec2: Mutex<HashMap<String, aws_sdk_ec2::Client>>,
    rds: Mutex<HashMap<String, aws_sdk_rds::Client>>,
    backup: Mutex<HashMap<String, aws_sdk_backup::Client>>,
    cloudwatch: Mutex<HashMap<String, aws_sdk_cloudwatch::Client>>,
    acm: Mutex<HashMap<String, aws_sdk_acm::Client>>,
    elbv2: Mutex<HashMap<String, aws_sdk_elasticloadbalancingv2::Client>>,
    autoscaling: Mutex<HashMap<String, aws_sdk_autoscaling::Client>>,
    secretsmanager: Mutex<HashMap<String, aws_sdk_secretsmanager::Client>>,
    route53: Mutex<Option<aws_sdk_route53::Client>>,
    cloudfront: Mutex<Option<aws_sdk_cloudfront::Client>>,
    wafv2: Mutex<Option<aws_sdk_wafv2::Client>>,
    iam: Mutex<Option<aws_sdk_iam::Client>>,
    /// Creations AWS may not describe yet (shared with the contexts of assumed roles).
    recent: std::sync::Arc<crate::recent::RecentCreations>,
    /// Launch template versions are immutable: their content is read once.
    launch_template_versions:
        Mutex<HashMap<(String, String, i64), warmstandby_core::servers::observed::LaunchTemplateData>>,
    /// Secret values compared before, by (ARN, current version): a value
    /// only changes with a new version, so an unchanged one is not read again.
    secret_checks: Mutex<SecretChecks>,
    /// Contexts acting as another IAM role (cross-account RegionPairs).
    roles: tokio::sync::Mutex<HashMap<String, std::sync::Arc<AwsContext>>>,
}

/// A global client (us-east-1) from the shared config, created once.
macro_rules! global_client {
    ($self:ident, $field:ident, $sdk:ident) => {{
        let mut cached = $self.$field.lock().unwrap_or_else(|e| e.into_inner());
        cached
            .get_or_insert_with(|| {
                let config = $sdk::config::Builder::from(&$self.base)
                    .region(Region::new(warmstandby_api::GLOBAL_REGION))
                    .interceptor($self.calls.clone())
                    .interceptor(Invalidator($self.shared.clone()))
                    .build();
                $sdk::Client::from_conf(config)
            })
            .clone()
    }};
}

/// A client per region from the shared config, with the call counter attached.
macro_rules! regional_client {
    ($self:ident, $field:ident, $sdk:ident, $region:expr) => {{
        let mut cache = $self.$field.lock().unwrap_or_else(|e| e.into_inner());
        cache
            .entry($region.to_string())
            .or_insert_with(|| {
                let config = $sdk::config::Builder::from(&$self.base)
                    .region(Region::new($region.to_string()))
                    .interceptor($self.calls.clone())
                    .interceptor(Invalidator($self.shared.clone()))
                    .build();
                $sdk::Client::from_conf(config)
            })
            .clone()
    }};
}

impl std::fmt::Debug for AwsContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AwsContext").field("endpoint", &self.base.endpoint_url()).finish()
    }
}

impl AwsContext {
    /// Loads credentials and settings from the default chain (env, profile,
    /// IRSA, pod identity), with explicit retries and timeouts.
    ///
    /// Adaptive retries add a client-side token bucket to every client that
    /// slows down as soon as AWS throttles. Clients are one per service per
    /// region (Route 53: one for the account), which is the scope of AWS's
    /// own limits.
    pub async fn from_env(endpoint_url: Option<&str>) -> AwsContext {
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .retry_config(RetryConfig::adaptive().with_max_attempts(3))
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(Duration::from_secs(5))
                    .operation_attempt_timeout(Duration::from_secs(30))
                    .operation_timeout(Duration::from_secs(90))
                    .build(),
            );
        if let Some(url) = endpoint_url {
            loader = loader.endpoint_url(url);
        }
        AwsContext::new(loader.load().await)
    }

    /// Every context paces its attempts (see `crate::pacing`): the SDK's
    /// HTTP client is wrapped once here.
    pub fn new(base: SdkConfig) -> AwsContext {
        let http = base.http_client().unwrap_or_else(crate::pacing::default_http_client);
        let base = base.to_builder().http_client(crate::pacing::PacedHttpClient::wrap(http)).build();
        AwsContext::paced(base)
    }

    /// A context on settings whose HTTP client already paces.
    fn paced(base: SdkConfig) -> AwsContext {
        AwsContext {
            base,
            calls: CallCounter::default(),
            shared: std::sync::Arc::new(SharedReads::new(Duration::ZERO)),
            ec2: Mutex::new(HashMap::new()),
            rds: Mutex::new(HashMap::new()),
            backup: Mutex::new(HashMap::new()),
            cloudwatch: Mutex::new(HashMap::new()),
            acm: Mutex::new(HashMap::new()),
            elbv2: Mutex::new(HashMap::new()),
            autoscaling: Mutex::new(HashMap::new()),
            secretsmanager: Mutex::new(HashMap::new()),
            route53: Mutex::new(None),
            cloudfront: Mutex::new(None),
            wafv2: Mutex::new(None),
            iam: Mutex::new(None),
            recent: std::sync::Arc::default(),
            launch_template_versions: Mutex::new(HashMap::new()),
            secret_checks: Mutex::new(HashMap::new()),
            roles: tokio::sync::Mutex::new(HashMap::new()),
        }
    }

    /// The context to use for an object: this one, or one that assumes
    /// `role_arn` (with this context's credentials), created once and cached.
    /// Calls made through it count in this context's counter.
    pub async fn for_role(self: &std::sync::Arc<Self>, role_arn: Option<&str>) -> std::sync::Arc<AwsContext> {
        let Some(role) = role_arn else { return self.clone() };
        let mut roles = self.roles.lock().await;
        if let Some(ctx) = roles.get(role) {
            return ctx.clone();
        }
        let provider = aws_config::sts::AssumeRoleProvider::builder(role)
            .session_name("warmstandby")
            .configure(&self.base)
            .build()
            .await;
        let base = self
            .base
            .to_builder()
            .credentials_provider(aws_credential_types::provider::SharedCredentialsProvider::new(provider))
            .build();
        let mut ctx = AwsContext::paced(base)
            .with_shared_window(self.shared.window())
            .with_settled_age(self.shared.settled_age());
        ctx.calls = self.calls.clone();
        ctx.recent = self.recent.clone();
        let ctx = std::sync::Arc::new(ctx);
        roles.insert(role.to_string(), ctx.clone());
        ctx
    }

    pub fn recent(&self) -> &crate::recent::RecentCreations {
        &self.recent
    }

    pub fn calls(&self) -> &CallCounter {
        &self.calls
    }

    /// Shares each kind's read among the passes of `window` (see `shared`).
    /// Without it only passes running at the same time share a read.
    pub fn with_shared_window(self, window: Duration) -> AwsContext {
        self.shared.set_window(window);
        self
    }

    /// How old a view may be for a settled pass (see
    /// [`crate::shared::with_settled_reads`]); the window when shorter.
    pub fn with_settled_age(self, age: Duration) -> AwsContext {
        self.shared.set_settled_age(age);
        self
    }

    pub fn shared(&self) -> &SharedReads {
        &self.shared
    }

    pub fn ec2(&self, region: &str) -> aws_sdk_ec2::Client {
        regional_client!(self, ec2, aws_sdk_ec2, region)
    }

    pub fn rds(&self, region: &str) -> aws_sdk_rds::Client {
        regional_client!(self, rds, aws_sdk_rds, region)
    }

    pub fn backup(&self, region: &str) -> aws_sdk_backup::Client {
        regional_client!(self, backup, aws_sdk_backup, region)
    }

    /// Alarms on Route 53 health checks live in us-east-1; RDS metrics in each region.
    pub fn cloudwatch(&self, region: &str) -> aws_sdk_cloudwatch::Client {
        regional_client!(self, cloudwatch, aws_sdk_cloudwatch, region)
    }

    pub fn acm(&self, region: &str) -> aws_sdk_acm::Client {
        regional_client!(self, acm, aws_sdk_acm, region)
    }

    pub fn elbv2(&self, region: &str) -> aws_sdk_elasticloadbalancingv2::Client {
        regional_client!(self, elbv2, aws_sdk_elasticloadbalancingv2, region)
    }

    pub fn autoscaling(&self, region: &str) -> aws_sdk_autoscaling::Client {
        regional_client!(self, autoscaling, aws_sdk_autoscaling, region)
    }

    pub fn secretsmanager(&self, region: &str) -> aws_sdk_secretsmanager::Client {
        regional_client!(self, secretsmanager, aws_sdk_secretsmanager, region)
    }

    /// IAM is global; its endpoint lives in us-east-1.
    pub fn iam(&self) -> aws_sdk_iam::Client {
        global_client!(self, iam, aws_sdk_iam)
    }

    /// Route 53 is global; its endpoint lives in us-east-1.
    pub fn route53(&self) -> aws_sdk_route53::Client {
        global_client!(self, route53, aws_sdk_route53)
    }

    /// CloudFront is global; its endpoint lives in us-east-1.
    pub fn cloudfront(&self) -> aws_sdk_cloudfront::Client {
        global_client!(self, cloudfront, aws_sdk_cloudfront)
    }

    /// WAF for CloudFront (scope CLOUDFRONT) is always in us-east-1.
    pub fn wafv2_cloudfront(&self) -> aws_sdk_wafv2::Client {
        global_client!(self, wafv2, aws_sdk_wafv2)
    }

    /// The keys that differed when this version of a secret was last compared
    /// with `password`.
    pub fn cached_secret_check(
        &self,
        arn: &str,
        version: &str,
        password: &warmstandby_core::Password,
    ) -> Option<Vec<String>> {
        let cache = self.secret_checks.lock().unwrap_or_else(|e| e.into_inner());
        cache.get(&(arn.to_string(), version.to_string())).filter(|(p, _)| p == password).map(|(_, keys)| keys.clone())
    }

    pub fn cache_secret_check(
        &self,
        arn: &str,
        version: &str,
        password: &warmstandby_core::Password,
        keys: Vec<String>,
    ) {
        let mut cache = self.secret_checks.lock().unwrap_or_else(|e| e.into_inner());
        cache.retain(|(a, _), _| a != arn);
        cache.insert((arn.to_string(), version.to_string()), (password.clone(), keys));
    }

    /// Content of an immutable launch template version, if read before.
    pub fn cached_launch_template_version(
        &self,
        region: &str,
        id: &str,
        version: i64,
    ) -> Option<warmstandby_core::servers::observed::LaunchTemplateData> {
        let cache = self.launch_template_versions.lock().unwrap_or_else(|e| e.into_inner());
        cache.get(&(region.to_string(), id.to_string(), version)).cloned()
    }

    pub fn cache_launch_template_version(
        &self,
        region: &str,
        id: &str,
        version: i64,
        data: warmstandby_core::servers::observed::LaunchTemplateData,
    ) {
        let mut cache = self.launch_template_versions.lock().unwrap_or_else(|e| e.into_inner());
        cache.insert((region.to_string(), id.to_string(), version), data);
    }
}
