//! The manual's sample estate: one EKS VPC of three subnets, the first nearly full, most of
//! it held by cluster prod's pods, with an ENI the VPC CNI left behind. The notification
//! samples (tests/book.rs) and the browser's pages (tests/map_pages.rs) are drawn from it.

// Each test file that includes this module uses part of it.
#![allow(dead_code)]

use std::collections::BTreeMap;

use cidrwatch::usage::clusters::{Cluster, Helper, Share};
use cidrwatch::usage::{DetachedEni, Holder, Ipv4Cidr, Snapshot, SubnetInfo, VpcInfo};

pub fn cidr(text: &str) -> Ipv4Cidr {
    text.parse().unwrap()
}

/// The EKS VPC's id.
pub const EKS: &str = "vpc-0e1d2c3b4a5968778";

/// A subnet of account 111111111111 in us-east-1 with `available` free addresses.
pub fn subnet(vpc: &str, id: &str, block: &str, az: &str, available: u64) -> SubnetInfo {
    SubnetInfo {
        account: "111111111111".into(),
        region: "us-east-1".into(),
        vpc_id: vpc.into(),
        subnet_id: id.into(),
        availability_zone: format!("us-east-1{}", &az[az.len() - 1..]),
        availability_zone_id: az.into(),
        cidr: Some(cidr(block)),
        available,
        ..SubnetInfo::default()
    }
}

/// A VPC of account 111111111111 in us-east-1: its blocks and every subnet carved of them.
pub fn vpc(id: &str, cidrs: &[&str], subnets: &[&str]) -> VpcInfo {
    VpcInfo {
        account: "111111111111".into(),
        region: "us-east-1".into(),
        vpc_id: id.into(),
        cidrs: cidrs.iter().map(|c| cidr(c)).collect(),
        subnets: subnets.iter().map(|c| cidr(c)).collect(),
    }
}

/// The estate.
pub fn estate() -> Snapshot {
    let subnet = |id: &str, block: &str, az: &str, available| subnet(EKS, id, block, az, available);
    let mut full = subnet("subnet-0a1b2c3d4e5f60718", "10.0.0.0/24", "use1-az1", 20);
    full.holders = Some(BTreeMap::from([
        (Holder::Pods, 198),
        (Holder::Nodes, 22),
        (Holder::Detached, 8),
        (Holder::LoadBalancers, 2),
        (Holder::NatGateways, 1),
    ]));
    full.detached = vec![DetachedEni {
        id: "eni-0f2bbfa174cec993d".into(),
        addresses: 8,
        created: Some("2026-10-02T07:14:00Z".into()),
        leaked_by: Some("i-0f1e2d3c4b5a69788".into()),
    }];
    let subnets = vec![
        full,
        subnet("subnet-0b2c3d4e5f6071829", "10.0.1.0/24", "use1-az2", 180),
        subnet("subnet-0c3d4e5f607182930", "10.0.2.0/24", "use1-az4", 240),
    ];
    let cluster = Cluster {
        name: "prod".into(),
        account: "111111111111".into(),
        region: "us-east-1".into(),
        nodes: 11,
        held: 198,
        max_pods: 319,
        subnets: vec![Share {
            subnet_id: "subnet-0a1b2c3d4e5f60718".into(),
            held: 198,
        }],
        ..Cluster::default()
    }
    .with_helper(Helper {
        total: 198,
        assigned: 44,
    });
    Snapshot {
        vpcs: vec![vpc(
            EKS,
            &["10.0.0.0/16"],
            &["10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/24"],
        )],
        subnets,
        scanned: 1,
        clusters: vec![cluster],
        ..Snapshot::default()
    }
}
