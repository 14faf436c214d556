//! Prefix accounting's SDK wiring, with `aws-smithy-mocks` because moto models neither ENI
//! /28 prefixes nor reservation types: a hand-checked layout, read through discovery.

use aws_config::{BehaviorVersion, Region};
use aws_sdk_ec2::Client;
use aws_sdk_ec2::operation::describe_network_interfaces::DescribeNetworkInterfacesOutput;
use aws_sdk_ec2::operation::describe_subnets::DescribeSubnetsOutput;
use aws_sdk_ec2::operation::describe_vpcs::DescribeVpcsOutput;
use aws_sdk_ec2::operation::get_subnet_cidr_reservations::GetSubnetCidrReservationsOutput;
use aws_sdk_ec2::types::{
    Ipv4PrefixSpecification, NetworkInterface, NetworkInterfacePrivateIpAddress, Subnet,
    SubnetCidrReservation, SubnetCidrReservationType, Tag, Vpc, VpcCidrBlockAssociation,
};
use aws_smithy_mocks::{MockResponseInterceptor, Rule, RuleMode, create_mock_http_client, mock};
use cidrwatch::aws::discover::scan_region;
use cidrwatch::spec::{self, Accounting, Depth};
use cidrwatch::usage::{Snapshot, pool};
use serde_json::json;

const SUBNET: &str = "subnet-0000000000000000a";
const OTHER_SUBNET: &str = "subnet-0000000000000000b";
const VPC: &str = "vpc-0000000000000000a";

fn client(rules: &[&Rule]) -> Client {
    let mut interceptor = MockResponseInterceptor::new().rule_mode(RuleMode::MatchAny);
    for r in rules {
        interceptor = interceptor.with_rule(r);
    }
    Client::from_conf(
        aws_sdk_ec2::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(aws_sdk_ec2::config::Credentials::new(
                "a", "b", None, None, "mock",
            ))
            .http_client(create_mock_http_client())
            .interceptor(interceptor)
            .build(),
    )
}

fn subnet(id: &str, cidr: &str, available: i32) -> Subnet {
    Subnet::builder()
        .subnet_id(id)
        .vpc_id(VPC)
        .cidr_block(cidr)
        .available_ip_address_count(available)
        .owner_id("111111111111")
        .availability_zone("us-east-1a")
        .tags(Tag::builder().key("team").value("net").build())
        .build()
}

fn eni(subnet: &str, ips: &[&str], prefixes: &[&str]) -> NetworkInterface {
    let mut b = NetworkInterface::builder().subnet_id(subnet);
    for ip in ips {
        b = b.private_ip_addresses(
            NetworkInterfacePrivateIpAddress::builder()
                .private_ip_address(*ip)
                .build(),
        );
    }
    for p in prefixes {
        b = b.ipv4_prefixes(Ipv4PrefixSpecification::builder().ipv4_prefix(*p).build());
    }
    b.build()
}

fn reservation(cidr: &str, kind: SubnetCidrReservationType) -> SubnetCidrReservation {
    SubnetCidrReservation::builder()
        .subnet_id(SUBNET)
        .cidr(cidr)
        .reservation_type(kind)
        .build()
}

#[tokio::test]
async fn eni_prefixes_and_explicit_reservations_take_blocks_prefix_reservations_do_not() {
    // Layout of 10.0.0.0/24, sixteen /28 blocks:
    //   0  reserved .0–.3 (and ENI IP .5)      15 reserved .255
    //   2, 3  ENI prefixes .32/28 and .48/28    6  ENI IP .100
    //   8–11  explicit reservation .128/26      12 prefix reservation .192/28: still free
    // Free: 1, 4, 5, 7, 12, 13, 14 = 7.
    // Two pages of subnets, to show discovery follows the paginator; two scans read them.
    // The tag is matched on our side: the read takes every subnet of the region, since the
    // room for new subnets in the pool's VPCs is what all of their subnets leave.
    let page_1 = || {
        DescribeSubnetsOutput::builder()
            .subnets(subnet(SUBNET, "10.0.0.0/24", 200))
            .next_token("page-2")
            .build()
    };
    let page_2 = || {
        DescribeSubnetsOutput::builder()
            .subnets(subnet(OTHER_SUBNET, "10.0.1.0/28", 11))
            .build()
    };
    let subnets = mock!(Client::describe_subnets)
        .match_requests(|r| r.max_results() == Some(1000) && r.filters().is_empty())
        .sequence()
        .output(page_1)
        .output(page_2)
        .output(page_1)
        .output(page_2)
        .build();
    let vpcs = mock!(Client::describe_vpcs)
        .match_requests(|r| {
            r.filters()
                .iter()
                .any(|f| f.name() == Some("vpc-id") && f.values() == [VPC])
        })
        .then_output(|| {
            DescribeVpcsOutput::builder()
                .vpcs(
                    Vpc::builder()
                        .vpc_id(VPC)
                        .owner_id("111111111111")
                        .cidr_block("10.0.0.0/16")
                        .cidr_block_association_set(
                            VpcCidrBlockAssociation::builder()
                                .cidr_block("10.0.0.0/16")
                                .build(),
                        )
                        .build(),
                )
                .build()
        });
    let enis = mock!(Client::describe_network_interfaces)
        .match_requests(|r| {
            r.filters()
                .iter()
                .any(|f| f.name() == Some("subnet-id") && f.values() == [SUBNET, OTHER_SUBNET])
        })
        .then_output(|| {
            DescribeNetworkInterfacesOutput::builder()
                .network_interfaces(eni(
                    SUBNET,
                    &["10.0.0.5", "10.0.0.100"],
                    &["10.0.0.32/28", "10.0.0.48/28"],
                ))
                .network_interfaces(eni("subnet-elsewhere", &["10.0.0.200"], &[]))
                .build()
        });
    let reservations = mock!(Client::get_subnet_cidr_reservations)
        .match_requests(|r| r.subnet_id() == Some(SUBNET))
        .then_output(|| {
            GetSubnetCidrReservationsOutput::builder()
                .subnet_ipv4_cidr_reservations(reservation(
                    "10.0.0.128/26",
                    SubnetCidrReservationType::Explicit,
                ))
                .subnet_ipv4_cidr_reservations(reservation(
                    "10.0.0.192/28",
                    SubnetCidrReservationType::Prefix,
                ))
                .build()
        });
    let no_reservations = mock!(Client::get_subnet_cidr_reservations)
        .match_requests(|r| r.subnet_id() == Some(OTHER_SUBNET))
        .then_output(|| GetSubnetCidrReservationsOutput::builder().build());
    let ec2 = client(&[&subnets, &vpcs, &enis, &reservations, &no_reservations]);

    let report = scan(&ec2, Accounting::PrefixesAndReservations).await;
    let by_id = |id: &str| report.subnets.iter().find(|s| s.subnet_id == id).unwrap();
    assert_eq!(by_id(SUBNET).free_prefixes, Some(7));
    assert_eq!(
        by_id(OTHER_SUBNET).free_prefixes,
        Some(0),
        "a /28 always holds reserved addresses"
    );
    assert_eq!(report.totals.free_prefixes, Some(7));
    assert_eq!(by_id(SUBNET).used, 251 - 200);

    assert_eq!(subnets.num_calls(), 2, "both pages");
    assert_eq!(
        (vpcs.num_calls(), enis.num_calls()),
        (1, 1),
        "one call each, never per subnet"
    );
    let reservation_calls = || reservations.num_calls() + no_reservations.num_calls();
    assert_eq!(
        reservation_calls(),
        2,
        "one per subnet: EC2 has no bulk form"
    );

    // Without ExplicitReservations the floor holds: no call per subnet, and the explicit
    // .128/26 (blocks 8–11) counts as free.
    let report = scan(&ec2, Accounting::Prefixes).await;
    let by_id = |id: &str| report.subnets.iter().find(|s| s.subnet_id == id).unwrap();
    assert_eq!(by_id(SUBNET).free_prefixes, Some(7 + 4));
    assert_eq!((subnets.num_calls(), enis.num_calls()), (4, 2));
    assert_eq!(reservation_calls(), 2, "none this time");
}

async fn scan(ec2: &Client, accounting: Accounting) -> pool::Report {
    let spec = spec::parse(&json!({"PoolName": "p", "Select": {"Tags": {"team": "net"}}, "Thresholds": {"MinFreePrefixes": 4}})).unwrap();
    let found = scan_region(
        ec2,
        "us-east-1",
        &spec.select,
        accounting,
        Depth::Counts,
        false,
    )
    .await
    .expect("scan");
    let snapshot = Snapshot {
        subnets: found.subnets,
        vpcs: found.vpcs,
        prefix_accounting: true,
        scanned: 1,
        ..Snapshot::default()
    };
    pool::report_of_copy("p", &snapshot)
}
