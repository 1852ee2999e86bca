//! Properties over arbitrary input: the validator never panics, every
//! accepted spec has a topology and plans, and deletion is the exact reverse
//! of creation.

use std::collections::BTreeMap;

use proptest::prelude::*;
use warmstandby_api::{FailoverPolicy, RegionPair, RegionRole, ThreeTierStack};

use crate::desired::stack_topology;
use crate::families::FamiliesObserved;
use crate::families::compute::launch_of;
use crate::families::instance_roles::{SecretSeen, plan_roles};
use crate::families::secrets::plan_secret;
use crate::placement::Placement;
use crate::secret::{Password, PasswordLookup};
use crate::stack_pass::Desired;
use crate::validate::{StackInputs, validate_stack};

/// Edits of the example manifests: numbers in and out of range, odd strings,
/// user data with and without the operator's variables.
#[derive(Clone, Debug)]
struct Edit {
    port: i32,
    capacity: (i32, i32, i32),
    standby: (i32, i32, i32),
    storage: i32,
    retention: i32,
    db_port: i32,
    window: i32,
    zone: String,
    instance_type: String,
    user_data: Option<String>,
    password: String,
    vpc_cidr: String,
    active_standby: bool,
}

fn edits() -> impl Strategy<Value = Edit> {
    (
        (-5i32..70000, (-2i32..8, -2i32..8, -2i32..12), (-2i32..8, -2i32..8, -2i32..12)),
        (0i32..70000, -1i32..40, 0i32..70000, -3i32..40),
        prop_oneof![Just("bookstore.example.com".to_string()), "[a-z.-]{0,20}", "[a-z]{1,10}\\.example\\.com"],
        prop_oneof![Just("t3.micro".to_string()), "[a-z0-9.]{0,12}"],
        prop_oneof![
            Just(None),
            "#!/bin/sh\n[a-z =/]{0,30}".prop_map(Some),
            "#!/bin/bash\nexport WARMSTANDBY_(ROLE|REGION|DB_HOST)=x\n".prop_map(Some),
            "[ -~]{0,30}".prop_map(Some),
        ],
        prop_oneof![Just("Ch4nge-me-0n-day-1".to_string()), "[ -~]{0,45}"],
        prop_oneof![Just("10.0.0.0/16".to_string()), "10\\.[0-9]{1,3}\\.0\\.0/(8|16|24|28)", "[0-9./]{0,18}"],
        any::<bool>(),
    )
        .prop_map(
            |(
                (port, capacity, standby),
                (storage, retention, db_port, window),
                zone,
                instance_type,
                user_data,
                password,
                vpc_cidr,
                active_standby,
            )| Edit {
                port,
                capacity,
                standby,
                storage,
                retention,
                db_port,
                window,
                zone,
                instance_type,
                user_data,
                password,
                vpc_cidr,
                active_standby,
            },
        )
}

fn inputs(e: &Edit) -> (RegionPair, FailoverPolicy, ThreeTierStack) {
    let (mut pair, policy, mut stack) = crate::test_fixtures::example_objects();
    stack.metadata.uid = Some("0d5c4e2a-uid".into());
    pair.spec.standby.vpc_cidr = e.vpc_cidr.clone();
    let s = &mut stack.spec;
    s.api.port = e.port;
    (s.web.capacity.min, s.web.capacity.desired, s.web.capacity.max) = e.capacity;
    (s.web.standby_capacity.min, s.web.standby_capacity.desired, s.web.standby_capacity.max) = e.standby;
    s.database.allocated_storage_gib = e.storage;
    s.database.backup_retention_days = e.retention;
    s.database.port = e.db_port;
    s.database.credentials.recovery_window_days = e.window;
    s.domain.zone_name = e.zone.clone();
    s.api.instance_type = e.instance_type.clone();
    s.api.user_data = e.user_data.clone();
    if e.active_standby {
        s.active_region = RegionRole::Standby;
    }
    (pair, policy, stack)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(192))]

    /// Arbitrary edits never panic the validator; whatever it accepts has a
    /// topology, and plans from nothing in every placement.
    #[test]
    fn the_validator_never_panics_and_every_accepted_spec_plans(e in edits()) {
        let (pair, policy, stack) = inputs(&e);
        let validated = validate_stack(StackInputs {
            stack: &stack,
            region_pair: Some(&pair),
            policy: Some(&policy),
            password: PasswordLookup::Found(Password::new(e.password.clone())),
        });
        let Ok(v) = validated else { return Ok(()) };
        let topology = stack_topology(&v).expect("an accepted spec has an acyclic topology");
        prop_assert!(!topology.resources.is_empty());
        for active in RegionRole::BOTH {
            let placement = Placement::at(active);
            let desired = Desired::of(&v, &placement);
            let secret = plan_secret(&desired.families.secrets, None, None);
            prop_assert!(!secret.actions.is_empty(), "nothing exists: the secrets family has work");
            let roles = plan_roles(&desired.families.instance_roles, &Default::default(), SecretSeen::NotYet);
            prop_assert!(!roles.actions.is_empty(), "nothing exists: the instance roles family has work");
            for role in RegionRole::BOTH {
                // Launch settings wait for the profiles; they never panic.
                let launch = launch_of(&desired.families, &FamiliesObserved::default(), role);
                prop_assert!(launch.values().all(Result::is_err));
            }
        }
    }

    /// Creation follows every dependency; deletion is its exact reverse, so
    /// nothing is deleted while something that depends on it remains.
    #[test]
    fn deletion_is_the_exact_reverse_of_creation(e in edits()) {
        let (pair, policy, stack) = inputs(&e);
        let Ok(v) = validate_stack(StackInputs {
            stack: &stack,
            region_pair: Some(&pair),
            policy: Some(&policy),
            password: PasswordLookup::Found(Password::new("Ch4nge-me-0n-day-1")),
        }) else { return Ok(()) };
        let topology = stack_topology(&v).unwrap();
        let created: BTreeMap<&str, usize> =
            topology.resources.iter().enumerate().map(|(i, r)| (r.key.as_str(), i)).collect();
        for (i, r) in topology.resources.iter().enumerate() {
            for d in &r.depends_on {
                prop_assert!(created[d.as_str()] < i, "{} created before its dependency {d}", r.key);
            }
        }
        let deleted: Vec<&str> = topology.deletion_order().map(|r| r.key.as_str()).collect();
        let mut reversed: Vec<&str> = topology.resources.iter().map(|r| r.key.as_str()).collect();
        reversed.reverse();
        prop_assert_eq!(&deleted, &reversed);
        let position: BTreeMap<&str, usize> = deleted.iter().enumerate().map(|(i, k)| (*k, i)).collect();
        for r in &topology.resources {
            for d in &r.depends_on {
                prop_assert!(position[r.key.as_str()] < position[d.as_str()], "{d} deleted before {}", r.key);
            }
        }
    }
}
