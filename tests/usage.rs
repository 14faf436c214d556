//! The usage engine against a known moto estate: a tick's metrics read back with
//! GetMetricData equal what the test computes from the estate alone; API calls meet the floor;
//! a denied account withholds the pool figures; `cidrwatch report` agrees with the tick.

mod support;

use std::process::Stdio;

use serde_json::{Value, json};
use support::estate::{self, OTHER, OWN, ROLE, TAG_KEY, TAG_VALUE};
use support::*;

const NS: &str = "CidrWatch";

fn monitor(pool: &str, regions: &[&str]) -> Value {
    json!({
        "PoolName": pool,
        "Select": {"Tags": {TAG_KEY: TAG_VALUE}, "Regions": regions, "Accounts": [OWN, OTHER], "RoleName": ROLE},
        "Thresholds": {"MinFreePrefixes": 8},
        "ExplicitReservations": true,
        "SubnetMetrics": true
    })
}

/// The tick the schedule of a Create of `monitor(pool, regions)` delivers.
async fn tick(app: &cidrwatch::app::App, bed: &Bed, pool: &str, regions: &[&str]) -> Value {
    scheduled_tick(app, bed, monitor(pool, regions)).await
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9 * b.abs().max(1.0)
}

async fn built_estate(bed: &Bed) -> estate::Estate {
    let sdk = bed.sdk().await;
    estate::build(&sdk, &estate::assumed(&sdk, OTHER).await).await
}

#[tokio::test]
async fn a_tick_publishes_exactly_the_estates_usage() {
    let bed = Bed::start();
    let estate = built_estate(&bed).await;
    let app = bed.app().await;
    let regions = ["us-east-1", "eu-west-1"];
    let tick = tick(&app, &bed, "eks-prod", &regions).await;
    bed.reset_counts().await;
    let report = app.handle(tick, &invocation(120)).await.expect("tick");
    // 2 accounts x 2 regions, of which OTHER/eu-west-1 holds no pool subnet; prefix
    // accounting with ExplicitReservations on: one reservation look-up per selected IPv4
    // subnet (33), none for the
    // IPv6-only one; one GetMetricData for the week of UsedAddresses behind
    // DaysToExhaustion; 11 pool datums + 3 per subnet fit one PutMetricData.
    let expected_calls = [
        // No STS call: the own account with its own credentials (asked of STS once per
        // process, by the Create's first scan), and OTHER's role credentials, which that scan
        // took, still have most of their hour (src/aws/warm.rs).
        ("ec2:DescribeSubnets", 4),
        ("ec2:DescribeVpcs", 3),
        ("ec2:DescribeNetworkInterfaces", 3),
        ("ec2:GetSubnetCidrReservations", 33),
        ("monitoring:GetMetricData", 1),
        ("monitoring:PutMetricData", 1),
    ];
    assert_eq!(
        bed.counts().await,
        expected_calls
            .iter()
            .map(|(k, v)| (k.to_string(), *v))
            .collect(),
        "no STS session a warm process holds, one page per account-region"
    );
    let want = estate.expected(&[OWN, OTHER], &regions);
    assert_eq!(
        want.subnet_count, 33,
        "the estate is what the test meant to build"
    );

    let pool = [("Pool", "eks-prod")];
    let m = |name: &'static str| {
        let bed = &bed;
        async move {
            bed.metric(NS, name, &pool)
                .await
                .unwrap_or_else(|| panic!("{name} not published"))
        }
    };
    assert_eq!(m("UsableAddresses").await, want.usable as f64);
    assert_eq!(m("UsedAddresses").await, want.used as f64);
    assert_eq!(m("FreeAddresses").await, want.free as f64);
    assert!(
        close(m("Utilization").await, want.utilization),
        "{} vs {}",
        m("Utilization").await,
        want.utilization
    );
    assert!(close(
        m("MaxSubnetUtilization").await,
        want.max_subnet_utilization
    ));
    assert_eq!(want.max_subnet_utilization, 100.0, "the full /28");
    assert_eq!(
        m("MinSubnetFreeAddresses").await,
        want.min_subnet_free as f64
    );
    assert_eq!(m("SubnetCount").await, want.subnet_count as f64);
    assert!(
        close(m("VpcAllocation").await, want.vpc_allocation),
        "{} vs {}",
        m("VpcAllocation").await,
        want.vpc_allocation
    );
    assert_eq!(m("FreePrefixes").await, want.free_prefixes as f64);
    assert_eq!(m("ScanErrors").await, 0.0);
    assert_eq!(m("Heartbeat").await, 1.0);

    // Per-subnet series for the fullest subnet.
    let full = estate
        .subnets
        .iter()
        .find(|s| s.cidr == Some((0x0A00_1880, 28)))
        .unwrap();
    let dims = [("Pool", "eks-prod"), ("SubnetId", full.subnet_id.as_str())];
    assert_eq!(bed.metric(NS, "Utilization", &dims).await, Some(100.0));
    assert_eq!(bed.metric(NS, "FreeAddresses", &dims).await, Some(0.0));

    // The returned report: fullest first, the IPv6-only subnet listed apart, no errors.
    assert_eq!(report["subnets"].as_array().unwrap().len(), 33);
    assert_eq!(report["subnets"][0]["subnet_id"], full.subnet_id.as_str());
    assert_eq!(report["subnets"][0]["cidr"], "10.0.24.128/28");
    assert_eq!(report["ipv6_only"].as_array().unwrap().len(), 1);
    assert_eq!(report["totals"]["ipv6_only_subnets"], 1);
    assert_eq!(report["errors"], json!([]));
    assert_eq!(report["scanned"], 4);
    let accounts: Vec<&str> = report["subnets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["account"].as_str().unwrap())
        .collect();
    assert!(accounts.contains(&OTHER) && accounts.contains(&OWN));
}

#[tokio::test]
async fn a_denied_account_withholds_the_pool_figures() {
    let bed = Bed::start();
    let estate = built_estate(&bed).await;
    let app = bed.app().await;
    let regions = ["us-east-1"];
    let tick = tick(&app, &bed, "denied", &regions).await;
    bed.faults(
        json!([{"op": "sts:AssumeRole", "contains": OTHER, "status": 403, "code": "AccessDenied"}]),
    )
    .await;
    // A process that has not assumed the role since: a warm one keeps using the credentials
    // it holds, which outlive a role's removal until they expire, as AWS's do.
    let app = bed.app().await;
    let report = app.handle(tick, &invocation(120)).await.expect("tick");
    let want = estate.expected(&[OWN], &regions);
    let pool = [("Pool", "denied")];
    assert_eq!(bed.metric(NS, "ScanErrors", &pool).await, Some(1.0));
    assert_eq!(bed.metric(NS, "Heartbeat", &pool).await, Some(1.0));
    // A partial sum would fire a free-addresses alarm falsely: no pool figure goes out (the
    // one datum is the Create's whole first scan), and the report still shows what the
    // reachable account holds.
    assert_eq!(bed.samples(NS, "UsedAddresses", &pool).await, 1);
    assert_eq!(report["totals"]["used"], want.used);
    assert_eq!(report["totals"]["subnet_count"], want.subnet_count);
    let errors = report["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0]["account"], OTHER);
    assert!(
        errors[0]["error"]
            .as_str()
            .unwrap()
            .contains("AccessDenied"),
        "{errors:?}"
    );
}

#[tokio::test]
async fn when_every_account_region_fails_no_pool_figure_goes_out() {
    let bed = Bed::start();
    let app = bed.app().await;
    let tick = tick(&app, &bed, "dark", &["us-east-1"]).await;
    bed.faults(json!([
        {"op": "sts:AssumeRole", "status": 403, "code": "AccessDenied"},
        {"op": "ec2:DescribeSubnets", "status": 403, "code": "UnauthorizedOperation"},
    ]))
    .await;
    app.handle(tick, &invocation(60)).await.expect("tick");
    let pool = [("Pool", "dark")];
    assert_eq!(bed.metric(NS, "ScanErrors", &pool).await, Some(2.0));
    assert_eq!(
        bed.metric(NS, "Heartbeat", &pool).await,
        Some(1.0),
        "the monitor runs: -scan-errors speaks, not -stale"
    );
    assert_eq!(
        bed.samples(NS, "Utilization", &pool).await,
        1,
        "no made-up zero utilization: the one datum is the Create's"
    );
    assert_eq!(bed.samples(NS, "Heartbeat", &pool).await, 2);
}

#[tokio::test]
async fn a_tick_for_3000_subnets_in_300_vpcs_makes_the_floors_calls_and_no_more() {
    let bed = Bed::start();
    let ec2 = aws_sdk_ec2::Client::new(&bed.sdk().await);
    let made = estate::flat(&ec2, 300, 3000, ("pool", "big"), false).await;
    assert_eq!(made.len(), 3000);

    // The region's subnets: the pool's and moto's default VPC's. One read takes them all, as
    // the room in the pool's VPCs is what every subnet there leaves.
    let in_region = estate::subnets_in_region(&ec2).await as u64;
    assert!(in_region > 3000);

    let app = bed.app().await;
    let props =
        json!({"PoolName": "big", "Select": {"Tags": {"pool": "big"}}, "SubnetMetrics": true});
    let event = scheduled_tick(&app, &bed, props).await;
    bed.reset_counts().await;
    let report = app.handle(event, &invocation(300)).await.expect("tick");
    let counts = bed.counts().await;

    assert_eq!(report["totals"]["subnet_count"], 3000);
    // ScanErrors, Heartbeat, Usable/Used/FreeAddresses, Utilization, MaxSubnetUtilization,
    // SubnetCount, DetachedAddresses, MinSubnetFreeAddresses, VpcAllocation,
    // MinAzFreeAddresses; Utilization and FreeAddresses for each of 3000 subnets.
    let datums: u64 = 12 + 2 * 3000;
    let floor = [
        ("ec2:DescribeSubnets".to_string(), in_region.div_ceil(1000)),
        ("ec2:DescribeVpcs".to_string(), 1),
        // The detached ENIs (status=available): none here, which takes one call to learn.
        ("ec2:DescribeNetworkInterfaces".to_string(), 1),
        // The week of UsedAddresses behind DaysToExhaustion.
        ("monitoring:GetMetricData".to_string(), 1),
        (
            "monitoring:PutMetricData".to_string(),
            datums.div_ceil(1000),
        ),
    ];
    assert_eq!(counts, floor.into_iter().collect(), "one tick's requests");
    // Each PutMetricData here is past the SDK's 10 KB threshold for gzip: sent as it is.
    assert_eq!(
        bed.gzipped().await,
        std::collections::BTreeMap::new(),
        "nothing gzipped"
    );
}

#[tokio::test]
async fn report_prints_the_table_and_its_json_matches_the_tick() {
    let bed = Bed::start();
    let estate = built_estate(&bed).await;
    let app = bed.app().await;
    let regions = ["us-east-1", "eu-west-1"];
    let tick = tick(&app, &bed, "cli", &regions).await;
    let tick_report = app.handle(tick, &invocation(120)).await.expect("tick");

    let dir = std::env::temp_dir().join(format!("cidrwatch-report-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("monitor.json");
    std::fs::write(&file, monitor("cli", &regions).to_string()).unwrap();
    let run = |args: Vec<String>| {
        let endpoint = bed.endpoint.clone();
        async move {
            tokio::process::Command::new(env!("CARGO_BIN_EXE_cidrwatch"))
                .env_clear()
                .env("AWS_ENDPOINT_URL", endpoint)
                .env("AWS_REGION", "us-east-1")
                .env("AWS_ACCESS_KEY_ID", "testing")
                .env("AWS_SECRET_ACCESS_KEY", "testing")
                .env("AWS_EC2_METADATA_DISABLED", "true")
                .env("RUST_LOG", "warn")
                .args(args)
                .stdin(Stdio::null())
                .output()
                .await
                .unwrap()
        }
    };
    let out = run(vec![
        "report".into(),
        "--monitor".into(),
        file.display().to_string(),
        "--json".into(),
    ])
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed: Value = serde_json::from_slice(&out.stdout).expect("--json prints JSON");
    assert_eq!(printed, tick_report, "report --json is the tick's report");
    // Progress is drawn on a terminal only: here stderr is a pipe, so it says nothing.
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("account-regions"),
        "no progress off a terminal: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    let args = format!("report --tag {TAG_KEY}={TAG_VALUE} --region us-east-1 --region eu-west-1");
    let out = run(args.split(' ').map(String::from).collect()).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let table = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = table.lines().collect();
    assert!(lines[0].starts_with("SUBNET"), "{table}");
    assert!(
        lines[1].contains("10.0.24.128/28")
            && lines[1].contains("100.0%")
            && lines[1].contains("████████████████████"),
        "fullest first:\n{table}"
    );
    let own = estate.expected(&[OWN], &regions);
    let total = lines
        .iter()
        .find(|l| l.starts_with("TOTAL"))
        .expect("a TOTAL line");
    assert!(
        total.contains(&format!("used {}/{}", own.used, own.usable)),
        "{total} vs {own:?}"
    );
    assert!(
        total.contains(&format!("{} subnets (+1 IPv6-only)", own.subnet_count)),
        "{total}"
    );
    // The per-AZ table (AZ ID, subnets, used/usable, free, utilization) adds up to the pool.
    let az_free: u64 = lines
        .iter()
        .skip_while(|l| !l.starts_with("AZ ID"))
        .skip(1)
        .take_while(|l| !l.is_empty() && !l.starts_with("error"))
        .map(|l| l.split_whitespace().nth(3).unwrap().parse::<u64>().unwrap())
        .sum();
    assert_eq!(az_free, own.free, "the AZ table adds up:\n{table}");

    for (bad, says) in [
        (
            vec!["report", "--vpc"],
            "a value is required for '--vpc <ID>'",
        ),
        (
            vec!["report", "--colour", "red"],
            "unexpected argument '--colour'",
        ),
        (
            vec!["report", "--cidr", "10.0.0.1/8"],
            "did you mean 10.0.0.0/8?",
        ),
    ] {
        let out = run(bad.iter().map(|s| s.to_string()).collect()).await;
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.lines().count(), 1, "one line: {err}");
        assert!(err.starts_with("error: ") && err.contains(says), "{err}");
    }
    std::fs::remove_dir_all(&dir).ok();
}
