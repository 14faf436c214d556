//! Who holds the addresses, what can be reclaimed, and where the next subnet fits, against
//! moto: an estate with subnets in three AZs, a VPC with a secondary CIDR, an unselected
//! subnet that still takes room, instances with VPC CNI ENIs, ENIs described as AWS services
//! describe theirs, and detached ENIs. Every figure is checked against the test's own record
//! of what it built, or a brute-force reading of the definitions.

mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{Value, json};
use support::estate::{self, OWN, TAG_KEY, TAG_VALUE};
use support::space::{free_of_size, maximal_free, parse};
use support::*;

const NS: &str = "CidrWatch";
const VPC_CIDRS: [&str; 2] = ["10.70.0.0/20", "100.64.0.0/22"];

/// What the test built, by its own record.
struct World {
    vpc: String,
    /// Subnet id → (CIDR, AZ name, selected).
    subnets: BTreeMap<String, (&'static str, &'static str, bool)>,
    /// Subnet id → holder → addresses.
    holders: BTreeMap<String, BTreeMap<&'static str, u64>>,
    /// Subnet id → detached ENI ids.
    detached: BTreeMap<String, Vec<String>>,
    estate: estate::Estate,
}

impl World {
    fn hold(&mut self, subnet: &str, holder: &'static str, n: u64) {
        *self
            .holders
            .entry(subnet.to_string())
            .or_default()
            .entry(holder)
            .or_default() += n;
    }
}

async fn build(sdk: &aws_config::SdkConfig) -> World {
    let mut estate = estate::Estate::default();
    let mut w = World {
        vpc: String::new(),
        subnets: BTreeMap::new(),
        holders: BTreeMap::new(),
        detached: BTreeMap::new(),
        estate: estate::Estate::default(),
    };
    let mut b = estate::Builder::new(sdk, OWN, "us-east-1", &mut estate);
    w.vpc = b.vpc(&VPC_CIDRS).await;
    let vpc = w.vpc.clone();
    let layout = [
        ("10.70.0.0/24", "us-east-1a", true),
        ("10.70.1.0/26", "us-east-1b", true),
        ("100.64.0.0/24", "us-east-1c", true),
        // Not the pool's, but it takes room in the VPC.
        ("10.70.2.0/24", "us-east-1a", false),
    ];
    let mut ids = Vec::new();
    for (cidr, az, selected) in layout {
        let id = b.subnet_in(&vpc, cidr, selected, Some(az)).await;
        w.subnets.insert(id.clone(), (cidr, az, selected));
        ids.push(id);
    }
    let (s1, s2, s3) = (ids[0].clone(), ids[1].clone(), ids[2].clone());

    // s1: an EKS node: its primary ENI and a VPC CNI ENI with five pod addresses; a NAT
    // gateway; a CNI ENI left behind by a node that is gone.
    let node = b.instance(&s1).await;
    w.hold(&s1, "nodes", 1);
    let cni = b.eni(&s1, &format!("aws-K8S-{node}"), 5, &[]).await;
    b.attach(&cni, &node, 1).await;
    w.hold(&s1, "nodes", 1);
    w.hold(&s1, "pods", 5);
    b.eni(
        &s1,
        "Interface for NAT Gateway nat-0a1b2c3d4e5f60718",
        0,
        &[],
    )
    .await;
    w.hold(&s1, "nat_gateways", 1);
    let gone = b
        .eni(
            &s1,
            "aws-K8S-i-0123456789abcdef0",
            3,
            &[("node.k8s.amazonaws.com/createdAt", "2026-10-01T00:00:00Z")],
        )
        .await;
    w.hold(&s1, "detached", 4);
    w.detached.entry(s1.clone()).or_default().push(gone);

    // s2, the fullest: an application load balancer's two ENIs, an interface endpoint, an
    // instance without the VPC CNI holding 41 addresses on five ENIs, a spare ENI.
    for _ in 0..2 {
        b.eni(&s2, "ELB app/web/50dc6c495c0c9188", 0, &[]).await;
    }
    w.hold(&s2, "load_balancers", 2);
    b.eni(&s2, "VPC Endpoint Interface vpce-0a1b2c3d4e5f60718", 0, &[])
        .await;
    w.hold(&s2, "vpc_endpoints", 1);
    let plain = b.instance(&s2).await;
    w.hold(&s2, "nodes", 1);
    for index in 1..=4 {
        let eni = b.eni(&s2, "", 9, &[]).await;
        b.attach(&eni, &plain, index).await;
        w.hold(&s2, "nodes", 10);
    }
    let spare = b.eni(&s2, "spare", 0, &[]).await;
    w.hold(&s2, "detached", 1);
    w.detached.entry(s2.clone()).or_default().push(spare);

    // s3, in the secondary CIDR: the EKS control plane, a Lambda function, a detached ENI.
    b.eni(&s3, "Amazon EKS prod", 0, &[]).await;
    w.hold(&s3, "eks_control_plane", 1);
    b.eni(&s3, "AWS Lambda VPC ENI-resize-0a1b2c3d", 0, &[])
        .await;
    w.hold(&s3, "lambda", 1);
    let left = b.eni(&s3, "", 2, &[]).await;
    w.hold(&s3, "detached", 3);
    w.detached.entry(s3.clone()).or_default().push(left);
    w.estate = estate;
    w
}

#[tokio::test]
async fn holders_add_up_detached_space_is_counted_and_the_alert_names_the_next_cidr() {
    let Stack { bed, app, cfn } = Stack::start().await;
    let sdk = bed.sdk().await;
    let w = build(&sdk).await;

    // Each subnet's AZ ID as EC2 reports it.
    let ec2 = aws_sdk_ec2::Client::new(&sdk);
    let described = ec2.describe_subnets().send().await.unwrap();
    let zone: BTreeMap<String, String> = described
        .subnets()
        .iter()
        .map(|s| {
            (
                s.subnet_id().unwrap().to_string(),
                s.availability_zone_id().unwrap().to_string(),
            )
        })
        .collect();
    let selected = w.estate.selected(&[OWN], &["us-east-1"]);
    let used = |id: &str| {
        selected
            .iter()
            .find(|s| s.subnet_id == id)
            .unwrap()
            .eni_ips
            .len() as u64
    };
    let usable = |id: &str| (1u64 << (32 - parse(w.subnets[id].0).1)) - 5;
    let mut free_by_az: BTreeMap<&str, u64> = BTreeMap::new();
    for s in &selected {
        *free_by_az.entry(&zone[&s.subnet_id]).or_default() +=
            usable(&s.subnet_id) - used(&s.subnet_id);
    }
    assert_eq!(free_by_az.len(), 3, "three AZ IDs");
    let detached_total: u64 = w.holders.values().filter_map(|h| h.get("detached")).sum();
    assert_eq!(detached_total, 8);

    let subs = subscribe(&bed).await;
    let props = json!({"PoolName": "hold", "Select": {"Tags": {TAG_KEY: TAG_VALUE}},
        "Notify": "detailed", "AlarmTopicArns": [subs.topic],
        "Thresholds": {"SubnetCriticalPercent": 70}});
    let body = send(&app, &cfn, "create", None, Some(props)).await;
    assert_eq!(body["Status"], "SUCCESS", "{body}");
    let id = body["PhysicalResourceId"].as_str().unwrap().to_string();

    // Published by the Create's first scan, read back from CloudWatch.
    let pool = [("Pool", "hold")];
    assert_eq!(
        bed.metric(NS, "DetachedAddresses", &pool).await,
        Some(detached_total as f64)
    );
    assert_eq!(
        bed.metric(NS, "MinAzFreeAddresses", &pool).await,
        Some(*free_by_az.values().min().unwrap() as f64)
    );

    // A tick reads only the detached ENIs (one DescribeNetworkInterfaces, filtered), and
    // lists them per subnet; who else holds addresses is not its business.
    bed.reset_counts().await;
    let tick = schedule_tick(&bed, &id).await;
    let ticked = app.handle(tick, &invocation(60)).await.expect("tick");
    assert_eq!(
        bed.counts().await.get("ec2:DescribeNetworkInterfaces"),
        Some(&1)
    );
    for s in ticked["subnets"].as_array().unwrap() {
        let sid = s["subnet_id"].as_str().unwrap();
        let listed: Vec<&str> = s["detached"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["id"].as_str().unwrap())
            .collect();
        let want: Vec<&str> = w.detached[sid].iter().map(String::as_str).collect();
        assert_eq!(listed, want, "{sid}");
        assert_eq!(s["detached_addresses"], w.holders[sid]["detached"]);
        assert!(s.get("holders").is_none(), "a tick keeps to the floor");
    }
    assert_eq!(ticked["totals"]["detached_addresses"], detached_total);

    // `cidrwatch report --json` describes every ENI: each subnet's holders, as the test
    // made them, add up to its used addresses.
    let tag = format!("{TAG_KEY}={TAG_VALUE}");
    let report = bed.cli_json(&["report", "--tag", &tag, "--json"]).await;
    let subnets = report["subnets"].as_array().unwrap();
    assert_eq!(subnets.len(), 3);
    for s in subnets {
        let sid = s["subnet_id"].as_str().unwrap();
        let holders: BTreeMap<String, u64> = serde_json::from_value(s["holders"].clone()).unwrap();
        let want: BTreeMap<String, u64> = w.holders[sid]
            .iter()
            .map(|(k, v)| (k.to_string(), *v))
            .collect();
        assert_eq!(holders, want, "{sid}");
        assert_eq!(holders.values().sum::<u64>(), used(sid), "{sid} adds up");
        assert_eq!(s["used"], used(sid));
    }

    // Room in the VPC: what all four subnets (the unselected one too) leave.
    let vpcs = report["vpcs"].as_array().unwrap();
    assert_eq!(vpcs.len(), 1);
    let v = &vpcs[0];
    assert_eq!(v["vpc_id"], w.vpc.as_str());
    assert_eq!(v["subnet_count"], 4);
    let space: Vec<(u64, u8)> = VPC_CIDRS.iter().map(|c| parse(c)).collect();
    let taken: Vec<(u64, u8)> = w.subnets.values().map(|(c, _, _)| parse(c)).collect();
    for n in 16..=28u8 {
        let fit = free_of_size(&space, &taken, n).len() as u64;
        assert_eq!(v["room"][format!("/{n}")], fit, "/{n}");
    }
    // The unallocated blocks: the free aligned blocks no larger free aligned block holds.
    let maximal = maximal_free(&space, &taken);
    let listed: Vec<&str> = v["unallocated"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert_eq!(listed, maximal);

    // The subnet-critical alarm's message names the next /26 for the fullest subnet (the
    // smallest free block that holds one: 10.70.1.64/26, beside it) and its detached ENI.
    let fullest = &subnets[0];
    let s2 = fullest["subnet_id"].as_str().unwrap().to_string();
    assert_eq!(w.subnets[&s2].0, "10.70.1.0/26");
    let expected_next = "10.70.1.64/26";
    let candidates = free_of_size(&space, &taken, 26);
    assert!(candidates.contains(&parse(expected_next)));
    app.handle(
        alarm_event(&id, "subnet-critical", "ALARM"),
        &invocation(60),
    )
    .await
    .expect("notified");
    let messages = queued(&bed, &subs.queue_url).await;
    assert_eq!(messages.len(), 1);
    let payload: Value = serde_json::from_str(messages[0]["Message"].as_str().unwrap()).unwrap();
    let first = &payload["next_moves"][0];
    assert_eq!(first["subnet_id"], s2.as_str());
    assert_eq!(first["next_subnet"], expected_next);
    assert_eq!(first["detached_addresses"], 1);
    assert_eq!(first["detached"][0]["id"], w.detached[&s2][0].as_str());

    let posts = subs.http.wait_for(1, Duration::from_secs(10)).await;
    let q: Value = serde_json::from_str(posts[0].json()["Message"].as_str().unwrap()).unwrap();
    let text = q["content"]["description"].as_str().unwrap();
    let az = &zone[&s2];
    for want in [
        format!(
            "aws ec2 create-subnet --vpc-id {} --cidr-block {expected_next} \
             --availability-zone-id {az} --region us-east-1",
            w.vpc
        ),
        format!(
            "aws ec2 delete-network-interface --network-interface-id {} --region us-east-1",
            w.detached[&s2][0]
        ),
        "1 address held by 1 detached ENI".to_string(),
        "held by: instances 41 · load balancers 2 · VPC endpoints 1 · detached ENIs 1".to_string(),
    ] {
        assert!(text.contains(&want), "{want}\nnot in:\n{text}");
    }
}
