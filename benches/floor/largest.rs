//! The largest organization AWS allows: 10,000 member accounts beneath nested OUs × the 17
//! regions every account has enabled, on the fast local AWS (`tests/support/fast_aws.py
//! --shape real`: a default VPC in every account-region, more VPCs in a fifth of them,
//! detached ENIs here and there), 100 ms a request, throttled at AWS's rates (EC2's
//! documented, STS's and Organizations' assumed: see the fake's header). One cold tick of a
//! monitor of the whole organization with `Regions: [ALL]`, as the pace chooses (no
//! `SCAN_CONCURRENCY`): requests by operation against the floor, throttled answers and
//! retries by operation, wall, peak in flight, connections, CPU and CPU per request, peak
//! RSS; then the bare SDK leg unthrottled (the CPU floor). On two cores the fake's own CPU
//! (~0.4 ms a request) shares the machine with the tick, so the leg runs at
//! `LARGEST_ACCOUNTS` (default 2,000) and projects to 10,000 from what it measured; with
//! `LARGEST_ACCOUNTS=10000` it runs the full size, and prints the fake's CPU beside its wall.

use super::fast_org::bare_leg;
use super::support::fast::{Fast, Size};
use super::*;

const FULL: usize = 10_000;
const REGIONS: &[&str] = &[
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "ap-south-1",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-southeast-1",
    "ap-southeast-2",
    "ca-central-1",
    "eu-central-1",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eu-north-1",
    "sa-east-1",
];
const OUS: usize = 200;
const LATENCY: f64 = 0.1;
/// STS's and Organizations' buckets as the fake assumes them (capacity, a second).
const STS: (f64, f64) = (100.0, 50.0);
const ORGANIZATIONS: (f64, f64) = (10.0, 5.0);
const PERIOD_LESS_A_MINUTE: f64 = 240.0;
/// The most at once for the bare leg: the fake (one Python process on these two cores) timed
/// out its AssumeRoles at 512 at once over 10,000 accounts.
const BARE_AT_MOST: usize = 256;
const GIB: f64 = 1024.0 * 1024.0 * 1024.0;

fn accounts() -> usize {
    std::env::var("LARGEST_ACCOUNTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(2_000)
}

/// What the tick logged of its pace: account-regions, the most at once, the mean of each.
fn paced(stderr: &str) -> (u64, u64, f64) {
    // The log's field names come wrapped in ANSI styles: keep the text.
    let mut plain = String::with_capacity(stderr.len());
    let mut escape = false;
    for c in stderr.chars() {
        match (escape, c) {
            (false, '\x1b') => escape = true,
            (true, 'm') => escape = false,
            (false, c) => plain.push(c),
            (true, _) => {}
        }
    }
    let line = plain
        .lines()
        .find(|l| l.contains("scan paced"))
        .unwrap_or_else(|| panic!("no \"scan paced\" line in the tick's log: {stderr}"));
    let field = |k: &str| {
        line.split_whitespace()
            .find_map(|w| w.strip_prefix(&format!("{k}=")))
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (
        field("account_regions") as u64,
        field("at_once") as u64,
        field("mean_ms") / 1000.0,
    )
}

/// The requests a whole tick makes: per member one AssumeRole and one DescribeRegions
/// (`Regions: [ALL]`), per account-region one of each describe, the management account's
/// regions (no VPC there) only DescribeSubnets.
fn floor(summary: &Value) -> BTreeMap<String, u64> {
    let members = summary["accounts"].as_u64().unwrap();
    let regions = summary["regions"].as_u64().unwrap();
    let pages = |op: &str| summary["pages"][op].as_u64().unwrap();
    BTreeMap::from([
        ("sts:GetCallerIdentity".to_string(), 1),
        ("sts:AssumeRole".to_string(), members),
        (
            "organizations:ListAccountsForParent".to_string(),
            pages("organizations:ListAccountsForParent"),
        ),
        (
            "organizations:ListChildren".to_string(),
            pages("organizations:ListChildren"),
        ),
        ("ec2:DescribeRegions".to_string(), members + 1),
        ("ec2:DescribeSubnets".to_string(), (members + 1) * regions),
        ("ec2:DescribeVpcs".to_string(), members * regions),
        (
            "ec2:DescribeNetworkInterfaces".to_string(),
            members * regions,
        ),
        ("monitoring:GetMetricData".to_string(), 1),
        ("monitoring:PutMetricData".to_string(), 1),
    ])
}

pub async fn bench_largest(bin: &Path, out_dir: &Path) -> (Value, bool) {
    let n = accounts();
    eprintln!(
        "estate largest: {n} accounts x {} regions, shaped like real ones…",
        REGIONS.len()
    );
    let fast = Fast::start(&Size {
        accounts: n,
        regions: REGIONS,
        subnets: 0,
        ous: OUS,
        latency_seconds: LATENCY,
        throttle: Some("aws"),
        real: true,
    });
    let summary = fast.summary().await;
    let monitor = json!({"PoolName": "bench-largest",
        "Select": {"OrganizationalUnits": ["r-fake"], "Regions": ["ALL"]}});
    let event = json!({"cidrwatch": "tick", "v": 1, "id": "cidrwatch-bench-largest-0000",
        "monitor": monitor});
    let event_file = out_dir.join("largest-tick.json");
    std::fs::write(&event_file, event.to_string()).unwrap();
    fast.reset().await;
    let fake_cpu_before = fast.cpu_seconds();
    let mut cmd = Command::new(bin);
    cmd.env_clear()
        .envs(fast.binary_env())
        .env("RUST_LOG", "info,cidrwatch::aws::discover=debug")
        .arg("invoke")
        .arg(&event_file);
    let tick = tokio::task::spawn_blocking(move || measure(cmd))
        .await
        .unwrap();
    let fake_cpu = fast.cpu_seconds() - fake_cpu_before;
    assert!(tick.success, "the tick failed: {}", tick.stderr);
    let counts = fast.counts().await;
    let (throttled, retries) = (fast.throttled().await, fast.retries().await);
    let (peak, connections) = (fast.peak_in_flight().await, fast.connections().await);
    let timeline = fast.timeline().await;
    let report: Value = serde_json::from_slice(&tick.stdout).expect("the tick's report");
    let (scanned, at_once, mean) = paced(&tick.stderr);

    let members: Vec<String> = (0..n)
        .map(|i| (200_000_000_000u64 + i as u64).to_string())
        .collect();
    // The tick's own figures first: the bare leg after it is the longer wait.
    eprintln!(
        "  the tick: wall {:.1} s, CPU {:.1} s, peak RSS {} KiB, {} requests, at most {at_once} \
         account-regions at once; now the bare SDK leg…",
        tick.wall.as_secs_f64(),
        tick.cpu(),
        tick.max_rss_kib,
        counts.values().sum::<u64>()
    );
    fast.unthrottle().await;
    let bare_at_once = (at_once as usize).clamp(1, BARE_AT_MOST);
    let (bare, bare_requests, seen) = bare_leg(&fast, &members, REGIONS, bare_at_once).await;

    let floor = floor(&summary);
    let requests: u64 = counts.values().sum();
    let subnets = summary["subnets"].as_u64().unwrap();
    let retried: u64 = retries.values().sum();
    // First attempts (requests less retries) equal the floor, but where a call throttled
    // through all its attempts gets another round (a walk's parent, an account's AssumeRole,
    // `THROTTLED_ROUNDS`): those make it again.
    let rounds = |op: &str| op.starts_with("organizations:") || op == "sts:AssumeRole";
    let first = |op: &String, c: &u64| c - retries.get(op).copied().unwrap_or(0);
    let round_throttled: u64 = throttled
        .iter()
        .filter(|(op, _)| rounds(op))
        .map(|(_, n)| n)
        .sum();
    let again: u64 = counts
        .iter()
        .filter(|(op, _)| rounds(op))
        .map(|(op, c)| first(op, c).saturating_sub(floor.get(op).copied().unwrap_or(0)))
        .sum();
    let attempts = u64::from(cidrwatch::aws::THROTTLED_ATTEMPTS);
    let right = counts.iter().all(|(op, c)| {
        let (got, want) = (first(op, c), floor.get(op).copied().unwrap_or(0));
        if rounds(op) { got >= want } else { got == want }
    }) && again <= 4 * round_throttled / attempts
        && floor.len() == counts.len()
        && report["errors"] == json!([])
        && report["totals"]["subnet_count"] == json!(subnets)
        && seen == subnets;
    let wall = tick.wall.as_secs_f64();
    let per_request_ms = tick.cpu() * 1000.0 / requests.max(1) as f64;
    let bare_ms = bare.cpu() * 1000.0 / bare_requests.max(1) as f64;
    let ratio = per_request_ms / bare_ms;
    let rss = tick.max_rss_kib as f64 * 1024.0;
    let projected = project(n, &summary, tick.cpu(), mean, rss);
    let target = |ok: bool| if ok { "met" } else { "NOT met" };

    println!();
    println!(
        "estate largest: {n} accounts (+ the management account) beneath {OUS} nested OUs x {} \
         regions ([ALL]): {subnets} subnets in {} VPCs, {} detached ENIs; {} ms a request; \
         throttled at AWS's rates",
        REGIONS.len(),
        summary["vpcs"],
        summary["detached_enis"],
        LATENCY * 1000.0
    );
    println!(
        "  {:<40} {:>7} {:>7} {:>9} {:>7}",
        "operation", "tick", "floor", "throttled", "retries"
    );
    let ops: std::collections::BTreeSet<&String> = floor.keys().chain(counts.keys()).collect();
    for op in ops {
        let n = |m: &BTreeMap<String, u64>| m.get(op).copied().unwrap_or(0);
        println!(
            "  {op:<40} {:>7} {:>7} {:>9} {:>7}",
            n(&counts),
            n(&floor),
            n(&throttled),
            n(&retries)
        );
    }
    println!(
        "  at the floor but for retries and {again} calls made again in later rounds (of \
         {round_throttled} throttled Organizations and AssumeRole answers), whole: {}",
        if right { "yes" } else { "NO" }
    );
    println!(
        "  wall {wall:.1} s; the pace chose at most {at_once} account-regions at once ({scanned} \
         of them, {:.0} ms each); {peak} requests in flight, {connections} connections (target \
         {}: {})",
        mean * 1000.0,
        4 * peak,
        target(connections <= 4 * peak)
    );
    println!(
        "  CPU {:.1} s for {requests} requests ({retried} of them retries): {per_request_ms:.3} \
         ms a request; the fake's own CPU {fake_cpu:.1} s; peak RSS {:.0} MiB ({:.2} KiB a subnet)",
        tick.cpu(),
        rss / 1048576.0,
        rss / 1024.0 / subnets.max(1) as f64
    );
    println!(
        "  bare SDK leg, unthrottled, {bare_at_once} at once: {:.1} s CPU for {bare_requests} requests, \
         {bare_ms:.3} ms a request; tick/bare {ratio:.2}x (target 1.2: {})",
        bare.cpu(),
        target(ratio <= 1.2)
    );
    println!(
        "  at {FULL} x {}: RSS {:.0} MiB (target 1 GiB: {}); cold tick {:.0} s, the longest of \
         the walk {:.0} s, the AssumeRoles {:.0} s and the scans {:.0} s, which overlap (target \
         240: {}); warm tick (credentials and the account list kept) {:.0} s",
        REGIONS.len(),
        projected["rss_bytes"].as_f64().unwrap() / 1048576.0,
        target(projected["rss_bytes"].as_f64().unwrap() <= GIB),
        projected["cold_seconds"].as_f64().unwrap(),
        projected["walk_seconds"].as_f64().unwrap(),
        projected["assume_seconds"].as_f64().unwrap(),
        projected["scan_seconds"].as_f64().unwrap(),
        target(projected["cold_seconds"].as_f64().unwrap() <= PERIOD_LESS_A_MINUTE),
        projected["scan_seconds"].as_f64().unwrap(),
    );
    let result = json!({"name": "largest", "accounts": n, "summary": summary, "requests": counts,
        "floor": floor, "throttled": throttled, "retries": retries, "tick": tick.json(),
        "peak_in_flight": peak, "connections": connections, "at_once": at_once,
        "mean_account_region_seconds": mean, "timeline": timeline, "fake_cpu_seconds": fake_cpu,
        "cpu_ms_per_request": per_request_ms, "bare": bare.json(), "bare_requests": bare_requests,
        "bare_cpu_ms_per_request": bare_ms, "tick_over_bare_cpu_per_request": ratio,
        "projected_full": projected, "right": right});
    (result, right)
}

/// The full size from a smaller run, in straight lines: memory and the scans' CPU in
/// proportion to the subnets and account-regions; the walk at Organizations' rate, page by
/// page; the AssumeRoles at STS's; the scans at whichever binds, the one thread's CPU or
/// [`cidrwatch::aws::pace::CEILING`] account-regions of `mean` at once. The three overlap
/// (accounts are scanned as the walk finds them, and assumed as they come), so the cold
/// tick is the longest of them.
fn project(n: usize, summary: &Value, cpu: f64, mean: f64, rss: f64) -> Value {
    let scale = FULL as f64 / n as f64;
    // As many OUs, the accounts dealt among them as the fake deals them: each OU's page
    // count at the full size, the root's one page (the management account), and one
    // ListChildren page a parent, as now.
    let ous = summary["ous"].as_u64().unwrap_or(1).max(1);
    let per_ou = (FULL as u64).div_ceil(ous).div_ceil(20);
    let children = summary["pages"]["organizations:ListChildren"]
        .as_f64()
        .unwrap_or(0.0);
    let full_pages = (ous * per_ou + 1) as f64 + children;
    let walk = ((full_pages - ORGANIZATIONS.0) / ORGANIZATIONS.1).max(0.0);
    let assume = ((FULL as f64 - STS.0) / STS.1).max(0.0);
    let account_regions = (FULL * REGIONS.len()) as f64;
    let scan = (cpu * scale).max(account_regions * mean / cidrwatch::aws::pace::CEILING as f64);
    json!({"rss_bytes": rss * scale, "walk_seconds": walk, "assume_seconds": assume,
        "scan_seconds": scan, "cold_seconds": walk.max(assume).max(scan)})
}
