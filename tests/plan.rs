//! The address plan across an organization, in moto: three accounts (ours, the management
//! account, and two members) in two regions; VPCs in and out of two supernets; two
//! overlapping VPCs attached to one transit gateway, an overlapping pair that is peered, an
//! isolated overlapping pair, a static route to an on-premises range over VPN, a prefix list.
//! Every figure the tick publishes, the overlap lists, and `suggest --new-vpc` equal what the
//! test computes itself (overlaps pair by pair, allocation by merging, placement by brute
//! force), and a monitor without `Supernets` makes none of the new calls.

mod support;

use std::collections::BTreeSet;

use serde_json::{Value, json};
use support::estate::{Builder, Estate, OWN, TAG_KEY, TAG_VALUE};
use support::network::{AVOIDED, Block, EAST, ON_PREMISES, SUPERNETS, WEST, World, build};
use support::space::{self, overlaps, parse};
use support::*;

const NS: &str = "CidrWatch";
const POOL: &str = "plan";

/// One side of an overlap, as "id cidr" (the VPC, gateway or prefix list).
fn side(v: &Value) -> String {
    let id = match v["kind"].as_str().unwrap() {
        "vpc" => &v["vpc_id"],
        "route" => &v["transit_gateway_id"],
        _ => &v["prefix_list_id"],
    };
    format!("{} {}", id.as_str().unwrap(), v["cidr"].as_str().unwrap())
}

/// The overlaps by definition: every pair of blocks sharing an address, one a VPC's and
/// the other another VPC's, the gateway route's or the prefix list's; connected when both
/// attach to one gateway or are peered (a VPC and the route: it attaches to the gateway).
fn expected_overlaps(w: &World) -> BTreeSet<(String, String, bool)> {
    let mut spaces: Vec<(String, String, Option<String>)> = w
        .blocks
        .iter()
        .map(|b| (b.vpc.clone(), b.cidr.clone(), Some(b.vpc.clone())))
        .collect();
    spaces.push((w.tgw.clone(), ON_PREMISES.to_string(), None));
    for c in AVOIDED {
        spaces.push((w.prefix_list.clone(), c.to_string(), None));
    }
    let on = |vpc: &str, tgw: &str| w.attachments.iter().any(|(t, v)| t == tgw && v == vpc);
    let mut out = BTreeSet::new();
    for (i, x) in spaces.iter().enumerate() {
        for y in &spaces[i + 1..] {
            let vpcs = (x.2.as_deref(), y.2.as_deref());
            let pairs = match vpcs {
                (None, None) => false,
                (Some(a), Some(b)) => a != b,
                _ => true,
            };
            if !pairs || !overlaps(parse(&x.1), parse(&y.1)) {
                continue;
            }
            let connected = match vpcs {
                (Some(a), Some(b)) => {
                    w.attachments.iter().any(|(t, _)| on(a, t) && on(b, t))
                        || w.peerings
                            .iter()
                            .any(|(_, p, q)| (p == a && q == b) || (p == b && q == a))
                }
                (Some(v), None) | (None, Some(v)) => {
                    let other = if x.2.is_none() { x } else { y };
                    other.0 == w.tgw && on(v, &w.tgw)
                }
                _ => false,
            };
            let (a, b) = (format!("{} {}", x.0, x.1), format!("{} {}", y.0, y.1));
            let (a, b) = if a <= b { (a, b) } else { (b, a) };
            out.insert((a, b, connected));
        }
    }
    out
}

/// Addresses of `within` that some VPC block covers, by merging the blocks' ranges.
fn covered(within: &str, blocks: &[Block]) -> u64 {
    let (lo, p) = parse(within);
    let hi = lo + (1u64 << (32 - p));
    let mut ranges: Vec<(u64, u64)> = blocks
        .iter()
        .map(|b| parse(&b.cidr))
        .map(|(a, q)| (a.max(lo), (a + (1u64 << (32 - q))).min(hi)))
        .filter(|(a, b)| a < b)
        .collect();
    ranges.sort();
    let (mut total, mut end) = (0, 0);
    for (a, b) in ranges {
        let a = a.max(end);
        if b > a {
            total += b - a;
            end = b;
        }
    }
    total
}

/// The next `count` /`size` blocks by brute force: every aligned candidate in `within` that
/// overlaps nothing taken; the one whose largest free aligned block around it (inside one
/// `within` block) is smallest, lowest address among equals, at that block's start.
fn placed(within: &[&str], taken: &[(u64, u8)], size: u8, count: usize) -> Vec<String> {
    let within: Vec<(u64, u8)> = within.iter().map(|w| parse(w)).collect();
    let mut taken = taken.to_vec();
    let mut out = Vec::new();
    for _ in 0..count {
        let free = space::free_of_size(&within, &taken, size);
        let grow = |(base, _): (u64, u8)| -> (u64, u8) {
            let mut best = (base, size);
            for p in (0..size).rev() {
                let b = (base & !((1u64 << (32 - p)) - 1), p);
                let inside = within.iter().any(|w| space::inside(b, *w));
                if !inside || taken.iter().any(|t| overlaps(*t, b)) {
                    break;
                }
                best = b;
            }
            best
        };
        let Some(pick) = free
            .iter()
            .map(|c| (std::cmp::Reverse(grow(*c).1), grow(*c).0, *c))
            .filter(|(_, m, c)| *m == c.0)
            .min()
            .map(|(_, _, c)| c)
        else {
            break;
        };
        taken.push(pick);
        out.push(space::show(pick));
    }
    out
}

#[tokio::test]
async fn the_plan_of_an_organization_is_what_its_blocks_say() {
    let bed = Bed::start();
    let w = build(&bed).await;
    let app = bed.app().await;
    let select = json!({"OrganizationalUnits": [w.root], "Regions": [EAST, WEST],
        "Tags": {TAG_KEY: TAG_VALUE}});
    let props = json!({"PoolName": POOL, "Select": select, "Supernets": SUPERNETS,
        "AvoidPrefixLists": [w.prefix_list], "Thresholds": {"SupernetPercent": "40"}});
    let tick = scheduled_tick(&app, &bed, props.clone()).await;
    let id = tick["id"].as_str().unwrap().to_string();
    bed.reset_counts().await;
    let report = app.handle(tick, &invocation(60)).await.expect("tick");
    assert_eq!(report["errors"], json!([]), "{}", report["errors"]);
    let plan = &report["plan"];

    // The figures, read back from CloudWatch, against the test's own sums.
    let size: u64 = SUPERNETS.iter().map(|s| 1u64 << (32 - parse(s).1)).sum();
    let allocated: u64 = SUPERNETS.iter().map(|s| covered(s, &w.blocks)).sum();
    let unplanned: BTreeSet<&str> = w
        .blocks
        .iter()
        .filter(|b| {
            !SUPERNETS
                .iter()
                .any(|s| space::inside(parse(&b.cidr), parse(s)))
        })
        .map(|b| b.vpc.as_str())
        .collect();
    let want = expected_overlaps(&w);
    let connected: BTreeSet<String> = want
        .iter()
        .filter(|(_, _, c)| *c)
        .flat_map(|(a, b, _)| [a.clone(), b.clone()])
        .filter_map(|s| s.split_once(' ').map(|(id, _)| id.to_string()))
        .filter(|id| id.starts_with("vpc-"))
        .collect();
    let pool = [("Pool", POOL)];
    for (name, value) in [
        ("SupernetAllocation", allocated as f64 * 100.0 / size as f64),
        ("SupernetFreeAddresses", (size - allocated) as f64),
        ("UnplannedVpcs", unplanned.len() as f64),
        ("OverlappingVpcs", connected.len() as f64),
    ] {
        assert_eq!(bed.metric(NS, name, &pool).await, Some(value), "{name}");
        assert_eq!(
            bed.samples(NS, name, &pool).await,
            2,
            "{name}: the Create's and the tick's"
        );
    }
    assert_eq!(
        connected.len(),
        4,
        "a gateway pair and a peered pair: {want:?}"
    );

    // The overlap list: every pair, connected ones first.
    let got: Vec<(String, String, bool)> = plan["overlaps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            let (a, b) = (side(&o["a"]), side(&o["b"]));
            let (a, b) = if a <= b { (a, b) } else { (b, a) };
            (a, b, o["connected"] == true)
        })
        .collect();
    assert_eq!(got.iter().cloned().collect::<BTreeSet<_>>(), want);
    assert_eq!(got.len(), want.len());
    let first_isolated = got.iter().position(|o| !o.2).unwrap_or(got.len());
    assert!(
        got[first_isolated..].iter().all(|o| !o.2),
        "connected first"
    );
    assert!(
        want.iter()
            .any(|(a, b, c)| !c && (a.starts_with(&w.prefix_list) || b.starts_with(&w.prefix_list))),
        "the prefix list's range overlaps the unplanned VPC"
    );

    // Each supernet's VPC blocks and largest free blocks.
    for (i, s) in SUPERNETS.iter().enumerate() {
        let n = &plan["supernets"][i];
        assert_eq!(n["cidr"], *s);
        assert_eq!(n["allocated"], covered(s, &w.blocks));
        let inside: BTreeSet<String> = w
            .blocks
            .iter()
            .filter(|b| overlaps(parse(&b.cidr), parse(s)))
            .map(|b| format!("{} {} {} {}", b.account, b.region, b.vpc, b.cidr))
            .collect();
        let listed: BTreeSet<String> = n["vpc_blocks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| {
                let f = |k: &str| b[k].as_str().unwrap().to_string();
                format!(
                    "{} {} {} {}",
                    f("account"),
                    f("region"),
                    f("vpc_id"),
                    f("cidr")
                )
            })
            .collect();
        assert_eq!(listed, inside, "{s}");
        let mut taken: Vec<(u64, u8)> = w.blocks.iter().map(|b| parse(&b.cidr)).collect();
        taken.push(parse(ON_PREMISES));
        taken.extend(AVOIDED.iter().map(|c| parse(c)));
        let free = space::maximal_free(&[parse(s)], &taken);
        let free: Vec<String> = free.into_iter().take(8).collect();
        assert_eq!(n["free_blocks"], json!(free), "{s}");
    }

    // The calls: once per account-region for attachments and peerings; route tables where
    // the gateway's attachments are seen; each avoided list in each scanned region.
    let counts = bed.counts().await;
    let regions = 6;
    for (op, n) in [
        ("ec2:DescribeTransitGatewayAttachments", regions),
        ("ec2:DescribeVpcPeeringConnections", regions),
        ("ec2:DescribeTransitGatewayRouteTables", 1),
        ("ec2:SearchTransitGatewayRoutes", 1),
        ("ec2:GetManagedPrefixListEntries", 2),
        ("ec2:DescribeVpcs", regions),
    ] {
        assert_eq!(counts.get(op), Some(&n), "{op}: {counts:?}");
    }

    // The alarms: -supernet at 40 % and -overlaps above 0.
    let alarms = bed.alarms(&id).await;
    let find = |suffix: &str| {
        alarms
            .iter()
            .find(|a| a.alarm_name().unwrap().ends_with(suffix))
            .unwrap_or_else(|| panic!("{suffix} in {alarms:?}"))
    };
    assert_eq!(find("-supernet").threshold(), Some(40.0));
    assert_eq!(find("-supernet").metric_name(), Some("SupernetAllocation"));
    assert_eq!(find("-overlaps").threshold(), Some(0.0));
    assert_eq!(
        find("-overlaps").comparison_operator().map(|c| c.as_str()),
        Some("GreaterThanThreshold")
    );

    // The notification of -overlaps names the connected pairs before the isolated ones.
    let subs = subscribe(&bed).await;
    let mut notified = props.clone();
    notified["PoolName"] = json!("plan-alert");
    notified["AlarmTopicArns"] = json!([subs.topic]);
    let id = tick_id(&app, &bed, &notified).await;
    app.handle(alarm_event(&id, "overlaps", "ALARM"), &invocation(60))
        .await
        .expect("notified");
    let messages = queued(&bed, &subs.queue_url).await;
    assert_eq!(messages.len(), 1);
    let machine: Value = serde_json::from_str(messages[0]["Message"].as_str().unwrap()).unwrap();
    assert_eq!(
        machine["report"]["plan"]["overlapping_vpcs"],
        connected.len(),
        "the SQS form carries the plan"
    );
    let posts = subs
        .http
        .wait_for(1, std::time::Duration::from_secs(10))
        .await;
    let q: Value = serde_json::from_str(posts[0].json()["Message"].as_str().unwrap()).unwrap();
    let text = q["content"]["description"].as_str().unwrap();
    let line = format!("{} VPCs in connected overlapping pairs", connected.len());
    assert!(text.contains(&line), "{line}\nnot in:\n{text}");
    let c = text.find("Connected overlaps (2").expect("connected");
    let i = text.find("Isolated overlaps").expect("isolated");
    assert!(c < i, "{text}");
    assert!(text.contains(&format!("through {}", w.tgw)), "{text}");
}

/// The id of the monitor a Create of `props` makes (the Create is idempotent).
async fn tick_id(app: &cidrwatch::app::App, bed: &Bed, props: &Value) -> String {
    let tick = scheduled_tick(app, bed, props.clone()).await;
    tick["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn suggest_new_vpc_is_the_brute_force_best_fit_over_every_account_and_region() {
    let bed = Bed::start();
    let w = build(&bed).await;
    let root = &w.root;
    let dir = std::env::temp_dir().join(format!("cidrwatch-plan-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let monitor = dir.join("monitor.json");
    let props = json!({"PoolName": POOL, "Select": {"OrganizationalUnits": [root],
        "Regions": [EAST, WEST]}, "Supernets": SUPERNETS, "AvoidPrefixLists": [w.prefix_list]});
    std::fs::write(&monitor, props.to_string()).unwrap();
    let mut taken: Vec<(u64, u8)> = w.blocks.iter().map(|b| parse(&b.cidr)).collect();
    taken.push(parse(ON_PREMISES));
    taken.extend(AVOIDED.iter().map(|c| parse(c)));

    let monitor = monitor.to_str().unwrap();
    let out = bed
        .cli(&[
            "suggest",
            "--new-vpc",
            "--size",
            "16",
            "--count",
            "3",
            "--monitor",
            monitor,
        ])
        .await;
    let said = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let blocks: Vec<String> = said
        .lines()
        .filter_map(|l| l.trim().split_once("  aws ec2 create-vpc --cidr-block "))
        .map(|(b, _)| b.to_string())
        .collect();
    assert_eq!(blocks, placed(&SUPERNETS, &taken, 16, 3), "{said}");
    assert!(
        said.contains("--region REGION"),
        "two regions scanned: {said}"
    );

    // --within instead of the supernets: best fit around the default VPCs' 172.31.0.0/16
    // takes 172.30.0.0/16 first, then the /15 below it, and leaves the /14s whole.
    let out = bed
        .cli(&[
            "suggest",
            "--new-vpc",
            "--size",
            "16",
            "--count",
            "2",
            "--within",
            "172.16.0.0/12",
            "--monitor",
            monitor,
        ])
        .await;
    let said = String::from_utf8_lossy(&out.stdout).to_string();
    let blocks: Vec<String> = said
        .lines()
        .filter_map(|l| l.trim().split_once("  aws ec2 create-vpc"))
        .map(|(b, _)| b.to_string())
        .collect();
    assert_eq!(blocks, placed(&["172.16.0.0/12"], &taken, 16, 2), "{said}");
    assert_eq!(blocks, ["172.30.0.0/16", "172.28.0.0/16"], "{said}");

    // Bad input: exit 2 and one line.
    for args in [
        &[
            "suggest",
            "--new-vpc",
            "--size",
            "16",
            "--within",
            "10.0.0.1/8",
        ][..],
        &["suggest", "--new-vpc", "--size", "30"][..],
        &[
            "suggest",
            "--new-vpc",
            "--size",
            "16",
            "--vpc",
            "vpc-0abc1234",
        ][..],
        &["suggest", "--size", "16", "--within", "10.0.0.0/8"][..],
    ] {
        let out = bed.cli(args).await;
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
    }

    // The map: the supernets drawn, the connected overlaps listed and marked on them.
    let html = dir.join("map.html");
    let out = bed
        .cli(&[
            "map",
            "--monitor",
            monitor,
            "--html",
            html.to_str().unwrap(),
        ])
        .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let page = std::fs::read_to_string(&html).unwrap();
    for s in SUPERNETS {
        assert!(page.contains(&format!("Supernet {s}:")), "{s}");
    }
    let listed = page.matches("<li>connected overlap").count();
    assert_eq!(listed, 2, "the gateway pair and the peered pair");
    assert!(
        page.matches("class=\"mark\"").count() >= 2 * listed,
        "each pair's two blocks carry its number"
    );
}

#[tokio::test]
async fn a_monitor_without_supernets_makes_none_of_the_plans_calls() {
    let bed = Bed::start();
    let sdk = bed.sdk().await;
    let mut estate = Estate::default();
    let mut b = Builder::new(&sdk, OWN, EAST, &mut estate);
    let vpc = b.vpc(&["10.0.0.0/16"]).await;
    b.subnet(&vpc, "10.0.0.0/24", true).await;
    let app = bed.app().await;
    let tick = scheduled_tick(
        &app,
        &bed,
        json!({"PoolName": "plain", "Select": {"Tags": {TAG_KEY: TAG_VALUE}}}),
    )
    .await;
    bed.reset_counts().await;
    let report = app.handle(tick, &invocation(60)).await.expect("tick");
    assert!(report.get("plan").is_none(), "{report}");
    let counts = bed.counts().await;
    let new: Vec<&String> = counts
        .keys()
        .filter(|op| {
            op.contains("TransitGateway") || op.contains("Peering") || op.contains("PrefixList")
        })
        .collect();
    assert!(new.is_empty(), "{counts:?}");
    assert_eq!(counts.get("ec2:DescribeVpcs"), Some(&1), "{counts:?}");
    assert_eq!(
        bed.metric(NS, "SupernetAllocation", &[("Pool", "plain")])
            .await,
        None
    );
}

#[tokio::test]
async fn a_prefix_list_no_scanned_region_has_refuses_the_create_and_a_denied_read_names_its_call() {
    let bed = Bed::start();
    let app = bed.app().await;
    let cfn = Loopback::responder(vec![]).await;
    // moto answers a list it does not have with no entries; EC2 answers
    // InvalidPrefixListID.NotFound, which the front stands in for.
    bed.faults(json!([{"op": "ec2:GetManagedPrefixListEntries", "status": 400,
        "code": "InvalidPrefixListID.NotFound", "message": "The prefix list ID 'pl-0abc1234' does not exist"}]))
        .await;
    let props = json!({"PoolName": "gone", "Supernets": ["10.0.0.0/12"],
        "AvoidPrefixLists": ["pl-0abc1234"], "Select": {"Regions": [EAST, WEST]}});
    refused_create(
        &app,
        &cfn,
        props,
        &[
            "AvoidPrefixLists: ec2:GetManagedPrefixListEntries",
            "InvalidPrefixListID.NotFound",
            "pl-0abc1234 is in none of eu-west-1, us-east-1",
            "through RAM",
        ],
    )
    .await;
    assert!(
        bed.alarm_names("cidrwatch-gone").await.is_empty(),
        "nothing made"
    );

    // A member role without the new reads: the Create names the call and AWS's code.
    bed.faults(json!([{"op": "ec2:DescribeTransitGatewayAttachments", "status": 403,
        "code": "UnauthorizedOperation", "message": "You are not authorized to perform this operation."}]))
        .await;
    let props = json!({"PoolName": "denied", "Supernets": ["10.0.0.0/12"]});
    refused_create(
        &app,
        &cfn,
        props,
        &[
            "ec2:DescribeTransitGatewayAttachments",
            "UnauthorizedOperation",
            "us-east-1",
        ],
    )
    .await;
}
