//! Where each resource goes in the picture, with its live ID and health.

use std::collections::BTreeMap;

use warmstandby_api::{RegionPairStatus, RegionRole, ThreeTierStackStatus};
use warmstandby_core::desired::{Kind, Resource, Scope, Tier, Topology};
use warmstandby_core::families::network::Network;
use warmstandby_core::families::{FamiliesDesired, ResourceFamily};
use warmstandby_core::family::Family;

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

/// The AWS ID of a resource from the status, and whether its kind has one
/// there: its family's answer (`ResourceFamily::live_id`), the network's
/// from the RegionPair's status.
fn live_id(r: &Resource, live: &Live<'_>) -> (Option<String>, bool) {
    let found = if r.kind.family() == Family::Network {
        Network::live_id(r, live.pair.unwrap_or(&RegionPairStatus::default()))
    } else {
        FamiliesDesired::live_id(r, live.stack)
    };
    match found {
        Some(id) => (id, true),
        None => (None, false),
    }
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
