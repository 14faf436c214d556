//! Per-AZ headroom against moto: subnets in three Availability Zones, the pool's smallest AZ
//! (by AZ ID) and each AZ's figures read back from CloudWatch equal what the test computes
//! from the estate, and `-az-free-addresses` watches the smallest AZ.

mod support;

use std::collections::BTreeMap;

use serde_json::json;
use support::estate::{self, OWN, TAG_KEY, TAG_VALUE};
use support::*;

const NS: &str = "CidrWatch";

#[tokio::test]
async fn the_smallest_az_and_each_azs_figures_are_published() {
    let Stack { bed, app, cfn } = Stack::start().await;
    let sdk = bed.sdk().await;
    let mut built = estate::Estate::default();
    let mut az_of = BTreeMap::new();
    {
        let mut b = estate::Builder::new(&sdk, OWN, "us-east-1", &mut built);
        let vpc = b.vpc(&["10.60.0.0/16"]).await;
        for (cidr, az, fill) in [
            ("10.60.0.0/24", "us-east-1a", 100),
            ("10.60.1.0/26", "us-east-1a", 0),
            ("10.60.2.0/24", "us-east-1b", 30),
            ("10.60.3.0/27", "us-east-1c", 20),
        ] {
            let id = b.subnet_in(&vpc, cidr, true, Some(az)).await;
            if fill > 0 {
                b.fill(&id, fill).await;
            }
            az_of.insert(id, ());
        }
    }
    // Each subnet's AZ ID as EC2 reports it; the test's own sums per AZ ID.
    let ec2 = aws_sdk_ec2::Client::new(&sdk);
    let described = ec2.describe_subnets().send().await.unwrap();
    let mut zone = BTreeMap::new();
    for s in described.subnets() {
        if az_of.contains_key(s.subnet_id().unwrap()) {
            zone.insert(
                s.subnet_id().unwrap().to_string(),
                s.availability_zone_id().unwrap().to_string(),
            );
        }
    }
    let mut free_by_az: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for s in built.selected(&[OWN], &["us-east-1"]) {
        let (_, p) = s.cidr.unwrap();
        let usable = (1u64 << (32 - u32::from(p))) - 5;
        let used = s.eni_ips.len() as u64;
        let e = free_by_az.entry(zone[&s.subnet_id].clone()).or_default();
        e.0 += usable - used;
        e.1 += usable;
    }
    assert_eq!(free_by_az.len(), 3, "three AZ IDs: {free_by_az:?}");
    let min_free = free_by_az.values().map(|(f, _)| *f).min().unwrap();

    let props = json!({"PoolName": "azs", "Select": {"Tags": {TAG_KEY: TAG_VALUE}},
        "Thresholds": {"MinFreeAddressesPerAz": 50}, "AzMetrics": "true",
        "AlarmTopicArns": [TOPIC_ARN]});
    let body = send(&app, &cfn, "create", None, Some(props)).await;
    assert_eq!(body["Status"], "SUCCESS", "{body}");
    let id = body["PhysicalResourceId"].as_str().unwrap();

    // The Create's first scan published them.
    let pool = [("Pool", "azs")];
    assert_eq!(
        bed.metric(NS, "MinAzFreeAddresses", &pool).await,
        Some(min_free as f64)
    );
    for (az, (free, usable)) in &free_by_az {
        let dims = [("Pool", "azs"), ("AvailabilityZoneId", az.as_str())];
        assert_eq!(
            bed.metric(NS, "FreeAddresses", &dims).await,
            Some(*free as f64),
            "{az}"
        );
        let utilization = (usable - free) as f64 * 100.0 / *usable as f64;
        let got = bed.metric(NS, "Utilization", &dims).await.unwrap();
        assert!(
            (got - utilization).abs() < 1e-9,
            "{az}: {got} vs {utilization}"
        );
    }

    let alarm = &bed.alarms(&format!("{id}-az-free-addresses")).await[0];
    assert_eq!(
        (
            alarm.metric_name(),
            alarm.threshold(),
            alarm.comparison_operator().map(|c| c.as_str()),
            alarm.statistic().map(|s| s.as_str()),
        ),
        (
            Some("MinAzFreeAddresses"),
            Some(50.0),
            Some("LessThanThreshold"),
            Some("Minimum")
        )
    );
    // The smallest AZ is already below 50 free: left to fire, not set OK.
    assert!(min_free < 50);
    assert_eq!(
        alarm.state_value().map(|s| s.as_str()),
        Some("INSUFFICIENT_DATA")
    );

    // The tick's report carries the per-AZ table.
    let tick = schedule_tick(&bed, id).await;
    let report = app.handle(tick, &invocation(60)).await.expect("tick");
    let azs: BTreeMap<String, u64> = report["azs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["availability_zone_id"].as_str().unwrap().to_string(),
                a["free"].as_u64().unwrap(),
            )
        })
        .collect();
    let want: BTreeMap<String, u64> = free_by_az.iter().map(|(k, v)| (k.clone(), v.0)).collect();
    assert_eq!(azs, want);
    assert_eq!(report["totals"]["min_az_free"], min_free);
}
