use super::*;

const REGION: &str = "us-east-1";

fn desired() -> BastionInstance {
    BastionInstance {
        name: "bookstore-bookstore-bastion".into(),
        image_id: "ami-1".into(),
        instance_type: "t3.micro".into(),
        key_name: None,
        subnet_key: "public-a".into(),
    }
}

fn instance(id: &str, state: &str, instance_type: &str) -> ObservedInstance {
    ObservedInstance {
        id: id.into(),
        component: COMPONENT.into(),
        state: state.into(),
        instance_type: instance_type.into(),
        image_id: "ami-1".into(),
        subnet_id: "subnet-1".into(),
    }
}

#[test]
fn the_bastion_waits_for_its_subnet_and_group_then_runs_once() {
    let d = desired();
    let waiting = plan_bastion(REGION, &d, &[], Some("subnet-1"), None);
    assert!(waiting.actions.is_empty() && waiting.waiting[0].contains("waits for its subnet"), "{waiting:?}");
    let plan = plan_bastion(REGION, &d, &[], Some("subnet-1"), Some("sg-bastion"));
    assert!(
        matches!(&plan.actions[..], [(HOME, BastionAction::RunBastion { subnet_id, group_id, .. })]
            if subnet_id == "subnet-1" && group_id == "sg-bastion"),
        "{plan:?}"
    );
    let running = [instance("i-1", "running", "t3.micro")];
    assert!(plan_bastion(REGION, &d, &running, Some("subnet-1"), Some("sg-bastion")).actions.is_empty());
    // A retried launch that made a second one: the second goes.
    let two = [instance("i-1", "running", "t3.micro"), instance("i-2", "pending", "t3.micro")];
    let plan = plan_bastion(REGION, &d, &two, Some("subnet-1"), Some("sg-bastion"));
    assert_eq!(plan.actions, vec![(HOME, BastionAction::TerminateInstance { instance_id: "i-2".into() })]);
}

#[test]
fn another_type_is_drift_the_operator_does_not_repair_by_itself() {
    let plan = plan_bastion(REGION, &desired(), &[instance("i-1", "running", "t3.large")], None, None);
    assert!(plan.actions.is_empty(), "{plan:?}");
    assert_eq!((plan.drift[0].field.as_str(), plan.drift[0].found.as_str()), ("instanceType", "t3.large"));
    assert!(plan.blocked[0].contains("terminate it to have it rebuilt as t3.micro"), "{:?}", plan.blocked);
}

#[test]
fn teardown_terminates_and_then_waits_for_the_termination() {
    let running = [instance("i-1", "running", "t3.micro")];
    let plan = plan_bastion_teardown(&running);
    assert_eq!(plan.actions, vec![(HOME, BastionAction::TerminateInstance { instance_id: "i-1".into() })]);
    let going = [instance("i-1", "shutting-down", "t3.micro")];
    let plan = plan_bastion_teardown(&going);
    assert!(plan.actions.is_empty() && plan.waiting == ["waiting for the bastion to terminate"], "{plan:?}");
    assert!(
        instances_left(&going)
            && Bastion::live_count(
                &DesiredBastion { region: "us-east-1".into(), instance: Some(desired()) },
                &going.to_vec()
            ) == 1
    );
    let gone = [instance("i-1", "terminated", "t3.micro")];
    assert!(plan_bastion_teardown(&gone).is_settled() && !instances_left(&gone));
}
