//! The pure core without AWS in the loop, so regressions in the hot path show: the usage of
//! 100,000 subnets (pool sums, the fullest subnets, VPC allocation, each VPC's room for new
//! subnets, then the datums), and
//! /28 block counting on a /16 full of ENI addresses or of ENI /28 prefixes.

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use std::hint::black_box;

use cidrwatch::usage::blocks::free_blocks;
use cidrwatch::usage::{Ipv4Cidr, Occupancy, Snapshot, SubnetInfo, VpcInfo, metrics, pool};

const SUBNETS: u32 = 100_000;
const VPCS: u32 = 1_000;

/// 100,000 /24 subnets in 1,000 VPCs of a /16 each, with varied free counts.
fn snapshot() -> Snapshot {
    let subnets: Vec<SubnetInfo> = (0..SUBNETS)
        .map(|i| {
            let vpc = i % VPCS;
            let base = 0x0A00_0000 + ((vpc << 16) | ((i / VPCS) << 8));
            SubnetInfo {
                account: "123456789012".into(),
                region: "us-east-1".into(),
                vpc_id: format!("vpc-{vpc:017x}"),
                subnet_id: format!("subnet-{i:017x}"),
                availability_zone: "us-east-1a".into(),
                availability_zone_id: "use1-az1".into(),
                cidr: Some(Ipv4Cidr::new(base, 24).unwrap()),
                available: u64::from(i.wrapping_mul(2_654_435_761) % 252),
                occupancy: None,
                ..Default::default()
            }
        })
        .collect();
    let vpcs = (0..VPCS)
        .map(|vpc| VpcInfo {
            account: "123456789012".into(),
            region: "us-east-1".into(),
            vpc_id: format!("vpc-{vpc:017x}"),
            cidrs: vec![Ipv4Cidr::new(0x0A00_0000 + (vpc << 16), 16).unwrap()],
            // Subnet i is in VPC i % VPCS.
            subnets: subnets
                .iter()
                .skip(vpc as usize)
                .step_by(VPCS as usize)
                .filter_map(|s| s.cidr)
                .collect(),
        })
        .collect();
    Snapshot {
        subnets,
        vpcs,
        prefix_accounting: false,
        scanned: 1,
        ..Snapshot::default()
    }
}

fn usage(c: &mut Criterion) {
    let snapshot = snapshot();
    // What a tick does: the report takes the snapshot (pool::report). Its copy for each iteration
    // is made outside the measured part.
    c.bench_function("usage of 100k subnets", |b| {
        b.iter_batched(
            || snapshot.clone(),
            |s| pool::report("bench", black_box(s)),
            BatchSize::LargeInput,
        )
    });
    let report = pool::report_of_copy("bench", &snapshot);
    assert_eq!(report.totals.subnet_count, u64::from(SUBNETS));
    c.bench_function("datums of 100k subnets (SubnetMetrics)", |b| {
        b.iter(|| {
            metrics::datums(
                black_box(&report),
                metrics::Series {
                    subnets: true,
                    azs: true,
                    clusters: false,
                },
            )
        })
    });
}

fn blocks(c: &mut Criterion) {
    let subnet = Ipv4Cidr::new(0x0A00_0000, 16).unwrap();
    // Every address but the five AWS reserves, each an ENI private IP.
    let addresses = Occupancy {
        addresses: (subnet.base() + 4..subnet.base() + 65_535).collect(),
        ranges: vec![],
    };
    // Every /28 but the first and last as an ENI prefix.
    let prefixes = Occupancy {
        addresses: vec![],
        ranges: (1..4095)
            .map(|b| Ipv4Cidr::new(subnet.base() + b * 16, 28).unwrap())
            .collect(),
    };
    assert_eq!(free_blocks(subnet, &addresses), 0);
    assert_eq!(free_blocks(subnet, &prefixes), 0);
    c.bench_function("/28 blocks of a /16 full of ENI addresses", |b| {
        b.iter(|| free_blocks(black_box(subnet), black_box(&addresses)))
    });
    c.bench_function("/28 blocks of a /16 full of ENI prefixes", |b| {
        b.iter(|| free_blocks(black_box(subnet), black_box(&prefixes)))
    });
}

criterion_group!(benches, usage, blocks);
criterion_main!(benches);
