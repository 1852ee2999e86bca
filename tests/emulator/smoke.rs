//! The harness works: both regions answer through aws-sdk-ec2, state is per
//! region, and tag filters see only what the test created.

use aws_sdk_ec2::types::{Filter, ResourceType, Tag, TagSpecification};
use warmstandby_tests::Emulator;

#[tokio::test]
async fn creates_and_describes_a_vpc_in_two_regions() {
    let emulator = Emulator::start();
    for (region, cidr) in [("us-east-1", "10.10.0.0/16"), ("us-west-2", "10.20.0.0/16")] {
        let ec2 = aws_sdk_ec2::Client::new(&emulator.sdk_config(region).await);
        let created = ec2
            .create_vpc()
            .cidr_block(cidr)
            .tag_specifications(
                TagSpecification::builder()
                    .resource_type(ResourceType::Vpc)
                    .tags(Tag::builder().key("warmstandby.dev/uid").value("smoke").build())
                    .build(),
            )
            .send()
            .await
            .unwrap_or_else(|e| panic!("CreateVpc in {region}: {e:?}"));
        let vpc_id = created.vpc().and_then(|v| v.vpc_id()).expect("a VPC id").to_string();

        let ours = ec2
            .describe_vpcs()
            .filters(Filter::builder().name("tag:warmstandby.dev/uid").values("smoke").build())
            .send()
            .await
            .unwrap_or_else(|e| panic!("DescribeVpcs in {region}: {e:?}"));
        let ids: Vec<&str> = ours.vpcs().iter().filter_map(|v| v.vpc_id()).collect();
        assert_eq!(ids, [vpc_id.as_str()], "exactly our VPC in {region}");
        assert_eq!(ours.vpcs()[0].cidr_block(), Some(cidr));

        // Every region has a default VPC, which a tag filter never returns.
        let all = ec2.describe_vpcs().send().await.expect("DescribeVpcs");
        assert!(all.vpcs().iter().any(|v| v.is_default() == Some(true)), "default VPC in {region}");
        assert_eq!(all.vpcs().len(), 2, "default + ours in {region}: state is per region");
    }
}
