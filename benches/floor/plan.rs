//! The address-plan estate: [`VPCS`] VPCs of a /20 in one account-region, every
//! [`REUSE`]th reusing its neighbour's block; the even ones and some odd ones attached to one
//! transit gateway, [`PEERED`] pairs peered (some of them overlapping pairs); [`TABLES`] more route tables with [`ROUTES`] static routes each; one prefix
//! list. One tick of a `Supernets` monitor: its requests beside the floor docs/design.md
//! states ("Scale and cost": `Supernets`), its CPU and peak RSS, and the overlaps the report
//! counts against a pair-by-pair count here.

use super::*;

const VPCS: usize = 400;
/// Every REUSE-th VPC takes the previous one's block: an overlapping pair.
const REUSE: usize = 10;
const PEERED: usize = 50;
/// Route tables beside the gateway's default one, and static routes in each.
const TABLES: usize = 4;
const ROUTES: usize = 25;
const SUPERNET: &str = "10.0.0.0/10";

/// VPC `i`'s block: the /20s of 10.0.0.0/10 in order, every REUSE-th the one before.
fn block(i: usize) -> String {
    let n = if i % REUSE == REUSE - 1 { i - 1 } else { i };
    format!("10.{}.{}.0/20", n / 16, (n % 16) * 16)
}

pub async fn bench_plan(bin: &Path, out_dir: &Path) -> (Value, bool) {
    eprintln!("estate plan: {VPCS} VPCs, a transit gateway, {PEERED} peerings in moto…");
    let bed = Bed::start();
    let sdk = bed.sdk().await;
    let ec2 = aws_sdk_ec2::Client::new(&sdk);
    let built_at = Instant::now();
    let mut built = estate::Estate::default();
    let mut b = estate::Builder::new(&sdk, estate::OWN, "us-east-1", &mut built);
    let mut vpcs = Vec::new();
    for i in 0..VPCS {
        let id = b.vpc(&[&block(i)]).await;
        let subnet = b.subnet(&id, &block(i).replace("/20", "/24"), i == 0).await;
        vpcs.push((id, subnet));
    }
    let tgw = ec2
        .create_transit_gateway()
        .send()
        .await
        .unwrap()
        .transit_gateway()
        .unwrap()
        .transit_gateway_id()
        .unwrap()
        .to_string();
    // Even VPCs on the gateway, and the reusing VPC of the last ten overlapping pairs: those
    // pairs are connected through it.
    let attached: std::collections::BTreeSet<usize> = (0..VPCS)
        .filter(|i| i % 2 == 0 || (i % REUSE == REUSE - 1 && *i >= VPCS - 10 * REUSE))
        .collect();
    // The first twenty overlapping pairs peered, and the rest of the peerings between odd
    // neighbours that do not overlap.
    let mut peered: Vec<(usize, usize)> = (0..20).map(|k| (k * REUSE + 8, k * REUSE + 9)).collect();
    peered.extend((0..PEERED - 20).map(|k| (2 * k + 1, 2 * k + 3)));
    for (id, subnet) in attached.iter().map(|&i| &vpcs[i]) {
        ec2.create_transit_gateway_vpc_attachment()
            .transit_gateway_id(&tgw)
            .vpc_id(id)
            .subnet_ids(subnet)
            .send()
            .await
            .expect("attach");
    }
    for &(a, b) in &peered {
        let (a, b) = (&vpcs[a].0, &vpcs[b].0);
        let pcx = ec2
            .create_vpc_peering_connection()
            .vpc_id(a)
            .peer_vpc_id(b)
            .send()
            .await
            .expect("peer");
        let id = pcx
            .vpc_peering_connection()
            .and_then(|p| p.vpc_peering_connection_id())
            .unwrap();
        ec2.accept_vpc_peering_connection()
            .vpc_peering_connection_id(id)
            .send()
            .await
            .expect("accept");
    }
    for t in 0..TABLES {
        let table = ec2
            .create_transit_gateway_route_table()
            .transit_gateway_id(&tgw)
            .send()
            .await
            .expect("route table");
        let table = table
            .transit_gateway_route_table()
            .and_then(|t| t.transit_gateway_route_table_id())
            .unwrap()
            .to_string();
        for r in 0..ROUTES {
            ec2.create_transit_gateway_route()
                .transit_gateway_route_table_id(&table)
                .destination_cidr_block(format!("172.{}.{}.0/24", 16 + t, r))
                .send()
                .await
                .expect("route");
        }
    }
    let list = ec2
        .create_managed_prefix_list()
        .prefix_list_name("on-premises")
        .address_family("IPv4")
        .max_entries(5)
        .entries(
            aws_sdk_ec2::types::AddPrefixListEntry::builder()
                .cidr("192.168.0.0/16")
                .build(),
        )
        .send()
        .await
        .expect("prefix list");
    let list = list.prefix_list().and_then(|p| p.prefix_list_id()).unwrap();
    eprintln!("  built in {:.0} s", built_at.elapsed().as_secs_f64());
    let in_region = estate::subnets_in_region(&ec2).await;

    let monitor = json!({"PoolName": "bench-plan", "Supernets": [SUPERNET],
        "AvoidPrefixLists": [list], "Select": {"Tags": {estate::TAG_KEY: estate::TAG_VALUE}}});
    let event = json!({"cidrwatch": "tick", "v": 1, "id": "cidrwatch-bench-plan-00000000",
        "monitor": monitor});
    let event_file = out_dir.join("plan-tick.json");
    std::fs::write(&event_file, event.to_string()).unwrap();
    bed.reset_counts().await;
    let tick = invoke_measured(bin, &bed, &event_file).await;
    let counts = bed.counts().await;
    assert!(tick.success, "the tick failed: {}", tick.stderr);
    let report: Value = serde_json::from_slice(&tick.stdout).expect("the tick's report");

    let pages = |n: usize, per: usize| n.div_ceil(per) as u64;
    // 12 pool datums (as the other estates') and the plan's 4.
    let datums = 12 + 4;
    let floor = BTreeMap::from([
        ("ec2:DescribeSubnets".to_string(), pages(in_region, 1000)),
        ("ec2:DescribeVpcs".to_string(), pages(VPCS + 1, 1000)),
        ("ec2:DescribeNetworkInterfaces".to_string(), 1),
        ("ec2:DescribeTransitGatewayAttachments".to_string(), 1),
        ("ec2:DescribeVpcPeeringConnections".to_string(), 1),
        ("ec2:DescribeTransitGatewayRouteTables".to_string(), 1),
        // The gateway's default table and the ones made here.
        (
            "ec2:SearchTransitGatewayRoutes".to_string(),
            TABLES as u64 + 1,
        ),
        ("ec2:GetManagedPrefixListEntries".to_string(), 1),
        ("monitoring:GetMetricData".to_string(), 1),
        ("monitoring:PutMetricData".to_string(), pages(datums, 1000)),
    ]);
    // Pair by pair: each reused block overlaps its neighbour (moto's default VPC, at
    // 172.31.0.0/16, overlaps nothing here); connected when both are on the gateway or peered.
    let (mut overlaps, mut connected) = (0u64, std::collections::BTreeSet::new());
    for i in 0..VPCS {
        for j in i + 1..VPCS {
            if block(i) == block(j) {
                overlaps += 1;
                let both = attached.contains(&i) && attached.contains(&j);
                if both || peered.contains(&(i, j)) {
                    connected.insert(i);
                    connected.insert(j);
                }
            }
        }
    }
    let plan = &report["plan"];
    let right = counts == floor
        && plan["overlaps"].as_array().map(Vec::len) == Some(overlaps as usize)
        && plan["overlapping_vpcs"] == json!(connected.len());
    println!();
    println!(
        "estate plan: {VPCS} VPCs ({} on a transit gateway, {PEERED} peerings), {} route tables \
         of {ROUTES} static routes, one prefix list; one Supernets tick",
        attached.len(),
        TABLES + 1
    );
    println!("  {:<44} {:>6} {:>6}", "operation", "tick", "floor");
    let ops: std::collections::BTreeSet<&String> = floor.keys().chain(counts.keys()).collect();
    for op in ops {
        let n = |m: &BTreeMap<String, u64>| m.get(op).copied().unwrap_or(0);
        println!("  {op:<44} {:>6} {:>6}", n(&counts), n(&floor));
    }
    println!(
        "  at the floor, {overlaps} overlaps and {} connected VPCs as counted here: {}; CPU \
         {:.2} s, peak RSS {:.1} MiB",
        connected.len(),
        if right { "yes" } else { "NO" },
        tick.cpu(),
        mib(tick.max_rss_kib)
    );
    let result = json!({"name": "plan", "requests": counts, "floor": floor, "tick": tick.json(),
        "overlaps": plan["overlaps"].as_array().map(Vec::len), "right": right});
    (result, right)
}
