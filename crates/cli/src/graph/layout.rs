//! Where each resource goes in the picture, with its live ID and health.

use std::collections::BTreeMap;

use warmstandby_api::{RegionPairStatus, RegionRole, ThreeTierStackStatus};
use warmstandby_core::desired::{Kind, Resource, Scope, Tier, Topology};

/// How a resource is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Health {
    /// Drawn from the manifests only.
    Planned,
    Healthy,
    /// Present, but differs from the spec.
    Drifted,
    /// Should exist and does not.
    Missing,
}

/// One resource as drawn.
#[derive(Clone, Debug)]
pub struct Item {
    pub kind: Kind,
    pub name: String,
    pub id: Option<String>,
    pub health: Health,
}

impl Item {
    pub(super) fn label(&self) -> String {
        let marker = if self.health == Health::Drifted { " (drift)" } else { "" };
        match &self.id {
            Some(id) if *id != self.name => format!("{} [{}]{marker}", self.name, short_id(id)),
            _ => format!("{}{marker}", self.name),
        }
    }
}

/// ARNs are long: their last part names the resource.
fn short_id(id: &str) -> &str {
    if id.starts_with("arn:") { id.rsplit(['/', ':']).next().unwrap_or(id) } else { id }
}

/// Resources of one kind in one box.
#[derive(Clone, Debug)]
pub struct Group {
    pub key: String,
    pub kind: Kind,
    pub items: Vec<Item>,
}

impl Group {
    pub(super) fn health(&self) -> Health {
        let worst = |h: Health| self.items.iter().any(|i| i.health == h);
        if worst(Health::Missing) {
            Health::Missing
        } else if worst(Health::Drifted) {
            Health::Drifted
        } else if worst(Health::Planned) {
            Health::Planned
        } else {
            Health::Healthy
        }
    }

    pub(super) fn title(&self) -> String {
        if self.items.len() > 1 { format!("{} ×{}", self.kind, self.items.len()) } else { self.kind.to_string() }
    }
}

/// A region's column.
#[derive(Clone, Debug)]
pub struct Column {
    pub role: RegionRole,
    pub region: String,
    /// Serves traffic.
    pub active: bool,
    /// Holds the writer database.
    pub writer: bool,
    pub rows: BTreeMap<Tier, Vec<Group>>,
}

/// A stack's whole picture.
#[derive(Clone, Debug)]
pub struct Diagram {
    pub title: String,
    pub live: bool,
    pub global: Vec<Group>,
    pub columns: [Column; 2],
}

/// What AWS showed, for a live picture.
pub struct Live<'a> {
    pub pair: Option<&'a RegionPairStatus>,
    pub stack: &'a ThreeTierStackStatus,
}

/// Builds the picture of `topology`; with `live`, each resource's ID, health and drift.
pub fn diagram(title: &str, topology: &Topology, active: RegionRole, live: Option<&Live<'_>>) -> Diagram {
    let active_role = live.and_then(|l| l.stack.active_role).unwrap_or(active);
    let writer_role = live
        .and_then(|l| {
            [(RegionRole::Primary, &l.stack.primary), (RegionRole::Standby, &l.stack.standby)]
                .into_iter()
                .find(|(_, r)| r.as_ref().and_then(|r| r.database.as_ref()).is_some_and(|d| d.role == "writer"))
                .map(|(role, _)| role)
        })
        .unwrap_or(active_role);
    let mut columns = [RegionRole::Primary, RegionRole::Standby].map(|role| Column {
        role,
        region: String::new(),
        active: role == active_role,
        writer: role == writer_role,
        rows: BTreeMap::new(),
    });
    let mut global: Vec<Group> = Vec::new();
    for r in &topology.resources {
        let item = item(r, live);
        let groups = match &r.scope {
            Scope::Global => &mut global,
            Scope::Region { role, region } => {
                let column = &mut columns[role.index()];
                column.region = region.clone();
                column.rows.entry(r.tier()).or_default()
            }
        };
        let key = format!("{}_{}_{:?}", r.scope.key_prefix(), r.tier().as_str(), r.kind);
        match groups.iter_mut().find(|g| g.key == key) {
            Some(g) => g.items.push(item),
            None => groups.push(Group { key, kind: r.kind, items: vec![item] }),
        }
    }
    Diagram { title: title.to_string(), live: live.is_some(), global, columns }
}

fn item(r: &Resource, live: Option<&Live<'_>>) -> Item {
    let Some(live) = live else {
        return Item { kind: r.kind, name: r.name.clone(), id: None, health: Health::Planned };
    };
    let (id, has_id) = live_id(r, live);
    let drifted = [&live.stack.drift, &live.pair.map(|p| p.drift.clone()).unwrap_or_default()]
        .into_iter()
        .flatten()
        .any(|d| d.region == r.scope.region() && (d.resource == r.name || id.as_deref() == Some(d.resource.as_str())));
    let health = match (&id, has_id) {
        (None, true) => Health::Missing,
        _ if drifted => Health::Drifted,
        _ => Health::Healthy,
    };
    Item { kind: r.kind, name: r.name.clone(), id, health }
}

/// The AWS ID of a resource from the status, and whether its kind has one there.
fn live_id(r: &Resource, live: &Live<'_>) -> (Option<String>, bool) {
    use Kind as K;
    let component = r.component();
    let leaf = component.rsplit('/').next().unwrap_or(component);
    let tier = Tier::of_component(component).map(Tier::as_str).unwrap_or(leaf);
    let access = live.stack.access.as_ref();
    if let Scope::Region { role, .. } = &r.scope {
        let net =
            live.pair.and_then(|p| if *role == RegionRole::Primary { p.primary.as_ref() } else { p.standby.as_ref() });
        let st = if *role == RegionRole::Primary { live.stack.primary.as_ref() } else { live.stack.standby.as_ref() };
        let id = match r.kind {
            K::Vpc => net.and_then(|n| n.vpc_id.clone()),
            K::Subnet => net.and_then(|n| n.subnet_ids.get(leaf).cloned()),
            K::InternetGateway => net.and_then(|n| n.internet_gateway_id.clone()),
            K::ElasticIp => net.and_then(|n| n.elastic_ip_allocation_ids.get(leaf).cloned()),
            K::NatGateway => net.and_then(|n| n.nat_gateway_ids.get(leaf).cloned()),
            K::RouteTable => net.and_then(|n| n.route_table_ids.get(leaf).cloned()),
            K::SecurityGroup => st.and_then(|s| s.security_group_ids.get(leaf).cloned()),
            K::BastionInstance => st.and_then(|s| s.bastion_instance_id.clone()),
            K::DbInstance | K::DbReadReplica => st.and_then(|s| s.database.as_ref()).map(|d| d.instance_id.clone()),
            K::PrivateHostedZone => st.and_then(|s| s.private_zone_id.clone()),
            K::BackupVault => st.and_then(|s| s.backup_vault_name.clone()),
            K::Certificate => st.and_then(|s| s.certificate_arn.clone()),
            K::Image => st.and_then(|s| s.image_ids.get(tier).cloned()),
            K::TargetGroup => st.and_then(|s| s.target_group_arns.get(tier).cloned()),
            K::LoadBalancer => st.and_then(|s| s.load_balancers.get(tier)).map(|l| l.arn.clone()),
            K::LaunchTemplate => st.and_then(|s| s.launch_templates.get(tier)).map(|l| l.id.clone()),
            K::AutoScalingGroup => st.and_then(|s| s.auto_scaling_groups.get(tier)).map(|g| g.name.clone()),
            K::BackupPlan => live.stack.global.as_ref().and_then(|g| g.backup_plan_id.clone()),
            K::Secret => access.map(|a| a.secret_name.clone()),
            K::InstanceProfile => access.and_then(|a| a.instance_profiles.get(tier).cloned()),
            // Kinds the status names by their parent only, and global kinds.
            K::Listener
            | K::DbSubnetGroup
            | K::PrivateDnsRecord
            | K::BackupSelection
            | K::InstanceRole
            | K::CertificateValidationRecord
            | K::PublicHostedZone
            | K::HealthCheck
            | K::FailoverRecord
            | K::WebAcl
            | K::Distribution
            | K::AliasRecord
            | K::Alarm => return (None, false),
        };
        return (id, true);
    }
    let g = live.stack.global.as_ref();
    let id = match r.kind {
        K::PublicHostedZone => g.and_then(|g| g.public_zone_id.clone()),
        K::HealthCheck => g.and_then(|g| g.health_check_id.clone()),
        K::Distribution => g.and_then(|g| g.distribution_id.clone()),
        K::WebAcl => g.and_then(|g| g.web_acl_arn.clone()),
        K::Alarm => g.and_then(|g| g.alarm_name.clone()),
        K::InstanceProfile => access.and_then(|a| a.instance_profiles.get(tier).cloned()),
        K::Secret => access.map(|a| a.secret_name.clone()),
        // Kinds the status names by their parent only, and regional kinds.
        K::FailoverRecord
        | K::AliasRecord
        | K::CertificateValidationRecord
        | K::Certificate
        | K::InstanceRole
        | K::Vpc
        | K::Subnet
        | K::InternetGateway
        | K::ElasticIp
        | K::NatGateway
        | K::RouteTable
        | K::SecurityGroup
        | K::BastionInstance
        | K::DbSubnetGroup
        | K::DbInstance
        | K::DbReadReplica
        | K::PrivateHostedZone
        | K::PrivateDnsRecord
        | K::BackupVault
        | K::BackupPlan
        | K::BackupSelection
        | K::Image
        | K::TargetGroup
        | K::LoadBalancer
        | K::Listener
        | K::LaunchTemplate
        | K::AutoScalingGroup => return (None, false),
    };
    (id, true)
}

impl Diagram {
    pub(super) fn column_label(c: &Column) -> String {
        let mut label = format!("{} ({})", c.region, c.role);
        if c.active {
            label.push_str(" · serving");
        }
        if c.writer {
            label.push_str(" · DB writer");
        } else {
            label.push_str(" · DB replica");
        }
        label
    }

    /// The group a path edge starts or ends at.
    pub(super) fn find(&self, role: RegionRole, tier: Tier, kind: Kind) -> Option<&Group> {
        self.columns[role.index()].rows.get(&tier)?.iter().find(|g| g.kind == kind)
    }

    pub(super) fn global_of(&self, kind: Kind) -> Option<&Group> {
        self.global.iter().find(|g| g.kind == kind)
    }

    /// The edges of the request path: (from, to, active).
    pub(super) fn edges(&self) -> Vec<(String, String, bool, &'static str)> {
        let mut edges = Vec::new();
        for c in &self.columns {
            let role = c.role;
            let on = c.active;
            let key = |tier, kind| self.find(role, tier, kind).map(|g| g.key.clone());
            if let (Some(cdn), Some(alb)) =
                (self.global_of(Kind::Distribution).map(|g| g.key.clone()), key(Tier::Web, Kind::LoadBalancer))
            {
                edges.push((cdn, alb.clone(), on, "origin"));
                if let Some(asg) = key(Tier::Web, Kind::AutoScalingGroup) {
                    edges.push((alb, asg, on, ""));
                }
            }
            if let (Some(dns), Some(alb)) =
                (self.global_of(Kind::FailoverRecord).map(|g| g.key.clone()), key(Tier::Api, Kind::LoadBalancer))
            {
                edges.push((dns, alb.clone(), on, if role == RegionRole::Primary { "PRIMARY" } else { "SECONDARY" }));
                if let Some(asg) = key(Tier::Api, Kind::AutoScalingGroup) {
                    edges.push((alb, asg, on, ""));
                }
            }
            let db = key(Tier::Data, Kind::DbInstance).or_else(|| key(Tier::Data, Kind::DbReadReplica));
            if let (Some(asg), Some(db)) = (key(Tier::Api, Kind::AutoScalingGroup), db) {
                edges.push((asg, db, on && c.writer, "SQL"));
            }
        }
        let db = |role: RegionRole| {
            self.find(role, Tier::Data, Kind::DbInstance)
                .or_else(|| self.find(role, Tier::Data, Kind::DbReadReplica))
                .map(|g| g.key.clone())
        };
        let (writer, replica) = if self.columns[0].writer {
            (RegionRole::Primary, RegionRole::Standby)
        } else {
            (RegionRole::Standby, RegionRole::Primary)
        };
        if let (Some(w), Some(r)) = (db(writer), db(replica)) {
            edges.push((w, r, true, "replication"));
        }
        edges
    }
}
