//! Scale: an organization of 50 member accounts × 2 regions, with AWS's latency added to every
//! request by the test bed, is scanned with one AssumeRole per account, one DescribeSubnets
//! per account-region, and many requests in flight at once (counted by the bed: parallelism is
//! asserted on a count, never on a time); and a tick's result stays within Lambda's 6 MB
//! response however many subnets the pool has, with exact totals.

mod support;

use serde_json::json;
use support::estate::{TAG_KEY, TAG_VALUE};
use support::org::Organization;
use support::*;

use cidrwatch::tick::RESULT_BYTES_MAX;
use cidrwatch::usage::{DetachedEni, Ipv4Cidr, Snapshot, SubnetInfo, VpcInfo, pool};

const MEMBERS: usize = 50;

#[tokio::test]
async fn fifty_accounts_by_two_regions_are_scanned_in_parallel_at_the_floor() {
    let bed = Bed::start();
    let sdk = bed.sdk().await;
    let org = Organization::create(&sdk).await;
    let ou = org.ou(&org.root, "members").await;
    for i in 0..MEMBERS {
        org.account(&format!("m{i}"), Some(&ou)).await;
    }

    let app = bed.app().await;
    let props = json!({"PoolName": "org",
        "Select": {"OrganizationalUnits": [ou], "Regions": ["us-east-1", "eu-west-1"],
                   "Tags": {TAG_KEY: TAG_VALUE}}});
    let tick = scheduled_tick(&app, &bed, props).await;
    // AWS answers in tens of milliseconds; moto in microseconds.
    bed.latency(0.1).await;
    bed.reset_counts().await;
    // A cold process: the Create's first scan warmed this one's credentials and account list.
    let app = bed.app().await;
    let report = app.handle(tick, &invocation(300)).await.expect("tick");
    let peak = bed.peak_in_flight().await;
    bed.latency(0.0).await;

    assert_eq!(report["errors"], json!([]));
    assert_eq!(report["scanned"], 2 * MEMBERS);
    let counts = bed.counts().await;
    assert_eq!(counts.get("sts:AssumeRole"), Some(&(MEMBERS as u64)));
    assert_eq!(
        counts.get("ec2:DescribeSubnets"),
        Some(&(2 * MEMBERS as u64))
    );
    // 50 accounts: three pages of 20.
    assert_eq!(counts.get("organizations:ListAccountsForParent"), Some(&3));
    assert!(peak >= 16, "at most {peak} requests in flight at once");
}

#[test]
fn a_pool_larger_than_six_megabytes_of_report_keeps_its_totals_and_the_fullest_subnets() {
    // 40,000 subnets, each with detached ENIs: far more than 6 MB of report.
    const N: u32 = 40_000;
    let subnets: Vec<SubnetInfo> = (0..N)
        .map(|i| SubnetInfo {
            account: "123456789012".into(),
            region: "us-east-1".into(),
            vpc_id: format!("vpc-{:017x}", i / 100),
            subnet_id: format!("subnet-{i:017x}"),
            availability_zone: "us-east-1a".into(),
            availability_zone_id: format!("use1-az{}", i % 6 + 1),
            cidr: Some(Ipv4Cidr::new(0x0A00_0000 + i * 256, 24).unwrap()),
            available: u64::from(i.wrapping_mul(2_654_435_761) % 252),
            detached: (0..i % 9)
                .map(|k| DetachedEni {
                    id: format!("eni-{i:09x}{k:08x}"),
                    addresses: 1,
                    created: None,
                    leaked_by: None,
                })
                .collect(),
            ..SubnetInfo::default()
        })
        .collect();
    let vpcs: Vec<VpcInfo> = (0..N / 100)
        .map(|v| VpcInfo {
            account: "123456789012".into(),
            region: "us-east-1".into(),
            vpc_id: format!("vpc-{v:017x}"),
            // The /16 around its first subnet.
            cidrs: vec![Ipv4Cidr::new((0x0A00_0000 + v * 100 * 256) & 0xFFFF_0000, 16).unwrap()],
            subnets: (v * 100..v * 100 + 100)
                .map(|i| Ipv4Cidr::new(0x0A00_0000 + i * 256, 24).unwrap())
                .collect(),
        })
        .collect();
    let snapshot = Snapshot {
        subnets,
        vpcs,
        scanned: 1,
        ..Snapshot::default()
    };
    let report = pool::report_of_copy("big", &snapshot);
    let whole = serde_json::to_string(&report).unwrap().len();
    assert!(whole > 6_000_000, "the whole report is {whole} bytes");

    // What a tick answers: the text, and the value form `bounded_json` gives the same.
    let (text, omitted) = report.bounded_text(RESULT_BYTES_MAX);
    let text = text.get();
    assert!(text.len() <= RESULT_BYTES_MAX, "{} bytes", text.len());
    let v: serde_json::Value = serde_json::from_str(text).unwrap();
    let (mut as_value, same) = report.bounded_json(RESULT_BYTES_MAX);
    same.write(&mut as_value);
    assert_eq!((v.clone(), omitted), (as_value, same));
    assert_eq!(v["subnets_omitted"], omitted.subnets);
    // The totals are the whole pool's, equal to the test's own sums.
    let usable: u64 = u64::from(N) * 251;
    let free: u64 = (0..N)
        .map(|i| u64::from(i.wrapping_mul(2_654_435_761) % 252).min(251))
        .sum();
    let detached: u64 = (0..N).map(|i| u64::from(i % 9)).sum();
    assert_eq!(v["totals"]["usable"], usable);
    assert_eq!(v["totals"]["free"], free);
    assert_eq!(v["totals"]["subnet_count"], N);
    assert_eq!(v["totals"]["detached_addresses"], detached);
    assert_eq!(v["azs"].as_array().unwrap().len(), 6);
    // The fullest subnets stay, in order, and the rest are counted.
    let kept = v["subnets"].as_array().unwrap();
    // 256 KiB less the record's fields: a few hundred subnets with their detached ENIs, as
    // many as fit: the answer is within one more subnet (under 1 KB) of the budget.
    assert!(kept.len() > 300, "{} kept", kept.len());
    assert!(
        text.len() > RESULT_BYTES_MAX - 1_000,
        "{} bytes",
        text.len()
    );
    assert_eq!(kept.len() + omitted.subnets, N as usize);
    for (k, s) in kept.iter().enumerate() {
        assert_eq!(s["subnet_id"], report.subnets[k].subnet_id.as_str());
    }
    assert!(omitted.detached > 0 && omitted.subnets > 0);
}

#[test]
fn a_report_of_exactly_the_budget_is_whole_and_one_byte_less_is_bounded() {
    // The budget is judged on bytes counted as they are written: they must be the bytes the
    // report's JSON text has.
    let subnets: Vec<SubnetInfo> = (0..3u32)
        .map(|i| SubnetInfo {
            account: "123456789012".into(),
            region: "us-east-1".into(),
            vpc_id: "vpc-0000000000000000a".into(),
            subnet_id: format!("subnet-{i:017x}"),
            availability_zone_id: "use1-az1".into(),
            cidr: Some(Ipv4Cidr::new(0x0A00_0000 + i * 256, 24).unwrap()),
            available: u64::from(i * 40),
            ..SubnetInfo::default()
        })
        .collect();
    let report = pool::report_of_copy(
        "edge",
        &Snapshot {
            subnets,
            scanned: 1,
            ..Snapshot::default()
        },
    );
    let bytes = serde_json::to_string(&report).unwrap().len();
    let (whole, omitted) = report.bounded_json(bytes);
    assert!(!omitted.any());
    assert_eq!(whole, serde_json::to_value(&report).unwrap());
    let (_, omitted) = report.bounded_json(bytes - 1);
    assert!(
        omitted.any(),
        "one byte short of the whole report must bound it"
    );
}
