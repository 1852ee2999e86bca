//! The vocabulary of the desired topology: where a resource lives, its
//! kind and tier, and one resource with its properties and dependencies.

use std::fmt;

use warmstandby_api::{GLOBAL_REGION, RegionRole};

/// The property that marks a resource of the topology as an existing one
/// the spec names for adoption: adopted, not created.
pub const ADOPTED: &str = "adopted";

/// Where a resource lives.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scope {
    Region {
        role: RegionRole,
        region: String,
    },
    /// Route 53, CloudFront, WAF (CLOUDFRONT) and their alarm: served from us-east-1.
    Global,
}

impl Scope {
    pub fn region(&self) -> &str {
        match self {
            Scope::Region { region, .. } => region,
            Scope::Global => GLOBAL_REGION,
        }
    }

    pub fn label(&self) -> String {
        match self {
            Scope::Region { role, region } => format!("{role} ({region})"),
            Scope::Global => format!("global ({GLOBAL_REGION})"),
        }
    }

    pub fn key_prefix(&self) -> &'static str {
        match self {
            Scope::Region { role, .. } => role.as_str(),
            Scope::Global => "global",
        }
    }
}

/// Declares [`Kind`] and [`Kind::ALL`] from one list, so no list of every
/// kind can leave one out.
macro_rules! kinds {
    ($($(#[$doc:meta])* $kind:ident,)*) => {
        /// AWS resource kinds the operator manages.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Kind {
            $($(#[$doc])* $kind,)*
        }

        impl Kind {
            /// Every kind, in declaration order.
            pub const ALL: &[Kind] = &[$(Kind::$kind,)*];
        }
    };
}

kinds! {
    Vpc,
    Subnet,
    InternetGateway,
    ElasticIp,
    NatGateway,
    RouteTable,
    SecurityGroup,
    BastionInstance,
    DbSubnetGroup,
    DbInstance,
    DbReadReplica,
    PrivateHostedZone,
    PrivateDnsRecord,
    BackupVault,
    BackupPlan,
    BackupSelection,
    /// The database credentials (Secrets Manager), with its replica.
    Secret,
    /// IAM role and instance profile of a tier's instances.
    InstanceRole,
    InstanceProfile,
    Certificate,
    CertificateValidationRecord,
    Image,
    TargetGroup,
    LoadBalancer,
    Listener,
    LaunchTemplate,
    AutoScalingGroup,
    PublicHostedZone,
    HealthCheck,
    FailoverRecord,
    WebAcl,
    Distribution,
    AliasRecord,
    Alarm,
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// The rows of the architecture: where a resource sits in the picture and in
/// the progress display. The regional certificate serves the api's HTTPS
/// listener, so it sits in the api row.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Tier {
    /// Route 53, CloudFront, WAF, the health check and its alarm.
    Global,
    Web,
    Api,
    /// Security groups of the bastion and database, the bastion, MySQL,
    /// private DNS and backups.
    Data,
    Network,
}

impl Tier {
    /// Top to bottom, as drawn.
    pub const ALL: [Tier; 5] = [Tier::Global, Tier::Web, Tier::Api, Tier::Data, Tier::Network];

    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Global => "global",
            Tier::Web => "web",
            Tier::Api => "api",
            Tier::Data => "data",
            Tier::Network => "network",
        }
    }

    /// The row of a resource of `kind` whose ownership component is `component`
    /// (e.g. `security-group/alb-web`), in `scope`.
    pub fn of(scope: &Scope, kind: Kind, component: &str) -> Tier {
        use Kind as K;
        if *scope == Scope::Global {
            return Tier::Global;
        }
        match kind {
            K::Vpc | K::Subnet | K::InternetGateway | K::ElasticIp | K::NatGateway | K::RouteTable => Tier::Network,
            K::BastionInstance
            | K::DbSubnetGroup
            | K::DbInstance
            | K::DbReadReplica
            | K::PrivateHostedZone
            | K::PrivateDnsRecord
            | K::BackupVault
            | K::BackupPlan
            | K::BackupSelection
            | K::Secret => Tier::Data,
            K::Certificate => Tier::Api,
            K::SecurityGroup
            | K::InstanceRole
            | K::InstanceProfile
            | K::CertificateValidationRecord
            | K::Image
            | K::TargetGroup
            | K::LoadBalancer
            | K::Listener
            | K::LaunchTemplate
            | K::AutoScalingGroup
            | K::PublicHostedZone
            | K::HealthCheck
            | K::FailoverRecord
            | K::WebAcl
            | K::Distribution
            | K::AliasRecord
            | K::Alarm => Tier::of_component(component).unwrap_or(Tier::Data),
        }
    }

    /// `web` or `api` when a component names one of them (`alb-web`, `web-http`).
    pub fn of_component(component: &str) -> Option<Tier> {
        let words = component.split(['/', '-']);
        let mut found = None;
        for w in words {
            match w {
                "web" => found = Some(Tier::Web),
                "api" => found = Some(Tier::Api),
                _ => {}
            }
        }
        found
    }
}

/// One resource of the desired topology.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resource {
    /// Stable logical key: `<scope>/<component>`, e.g. `primary/subnet/web-a`.
    pub key: String,
    pub kind: Kind,
    pub scope: Scope,
    /// The `Name` tag (or the AWS name where the API has one).
    pub name: String,
    pub properties: Vec<(String, String)>,
    pub depends_on: Vec<String>,
}

impl Resource {
    pub fn new(scope: &Scope, component: &str, kind: Kind, name: impl Into<String>) -> Self {
        Resource {
            key: format!("{}/{component}", scope.key_prefix()),
            kind,
            scope: scope.clone(),
            name: name.into(),
            properties: Vec::new(),
            depends_on: Vec::new(),
        }
    }

    pub fn prop(mut self, k: &str, v: impl fmt::Display) -> Self {
        self.properties.push((k.to_string(), v.to_string()));
        self
    }

    pub fn dep(mut self, key: impl Into<String>) -> Self {
        self.depends_on.push(key.into());
        self
    }

    /// The ownership component tag value: the key without its scope.
    pub fn component(&self) -> &str {
        self.key.split_once('/').map(|(_, c)| c).unwrap_or(&self.key)
    }

    pub fn tier(&self) -> Tier {
        Tier::of(&self.scope, self.kind, self.component())
    }
}
