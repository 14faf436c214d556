//! The organization at scale: [`ACCOUNTS`] member accounts × [`REGIONS`] regions (three
//! subnets each) served by the fast local AWS (`tests/support/fast_aws.py`, no moto behind
//! it), [`LATENCY`] added to every request. One tick, as `SCAN_CONCURRENCY` 64 runs it:
//! requests by operation against the floor, wall, peak in flight, connections opened, our
//! CPU and CPU per request, peak RSS, and the wall at 256 MB of Lambda (which gives CPU in
//! proportion to memory: one vCPU at 1,769 MB), each beside the target issue 22 sets. Only
//! the requests are judged: a time is printed, never failed on. Then the bare SDK leg
//! (`examples/bare_org.rs`: the same AssumeRoles and describes, answers dropped), whose CPU
//! per request is the floor the tick's is held against (target: within 1.5×), and when
//! each operation was first and last answered (the fake's timeline).

use super::support::fast::{Fast, Size};
use super::*;

const ACCOUNTS: usize = 1_000;
const REGIONS: &[&str] = &["us-east-1", "us-west-2", "eu-west-1", "ap-southeast-2"];
const SUBNETS: usize = 3;
const OUS: usize = 10;
const LATENCY: f64 = 0.1;
const CONCURRENCY: usize = 64;
/// Lambda's memory at one full vCPU, and the template's default.
const FULL_VCPU_MB: f64 = 1769.0;
const DEFAULT_MB: f64 = 256.0;

/// The Organizations pages of a walk: per parent ⌈n/20⌉ calls, and one when it has none.
fn org_pages(estate: &Value, of: &str) -> u64 {
    let parents: Vec<String> = std::iter::once("r-fake".to_string())
        .chain(estate["ous"].as_object().unwrap().keys().cloned())
        .collect();
    parents
        .iter()
        .map(|p| {
            let n = estate[of]
                .as_object()
                .unwrap()
                .values()
                .filter(|v| v.as_str() == Some(p))
                .count();
            (n as u64).div_ceil(20).max(1)
        })
        .sum()
}

/// The bare SDK leg (`examples/bare_org.rs`) against `fast`: `members`' roles assumed and
/// their `regions` described, `concurrency` at a time. Its CPU, peak RSS, the requests it
/// made and the subnets it saw.
pub async fn bare_leg(
    fast: &Fast,
    members: &[String],
    regions: &[&str],
    concurrency: usize,
) -> (Measured, u64, u64) {
    fast.reset().await;
    let mut cmd = Command::new(built("target/release/examples/bare_org"));
    cmd.env_clear()
        .envs(fast.binary_env())
        .env("SCAN_CONCURRENCY", concurrency.to_string())
        .arg(cidrwatch::aws::discover::DEFAULT_ROLE_NAME)
        .arg(regions.join(","))
        .args(members);
    let bare = tokio::task::spawn_blocking(move || measure(cmd))
        .await
        .unwrap();
    assert!(bare.success, "the bare leg failed: {}", bare.stderr);
    let seen: u64 = String::from_utf8_lossy(&bare.stdout)
        .trim()
        .parse()
        .unwrap();
    let requests = fast.counts().await.values().sum();
    (bare, requests, seen)
}

pub async fn bench_fast_org(bin: &Path, out_dir: &Path) -> (Value, bool) {
    eprintln!(
        "estate fast-org: {ACCOUNTS} accounts x {} regions on the fast local AWS…",
        REGIONS.len()
    );
    let fast = Fast::start(&Size {
        accounts: ACCOUNTS,
        regions: REGIONS,
        subnets: SUBNETS,
        ous: OUS,
        latency_seconds: LATENCY,
        throttle: None,
        real: false,
    });
    let estate = fast.estate().await;
    let monitor = json!({"PoolName": "bench-fast-org", "Select": {"OrganizationalUnits": ["r-fake"],
        "Regions": REGIONS, "Tags": {estate::TAG_KEY: estate::TAG_VALUE}}});
    let event = json!({"cidrwatch": "tick", "v": 1, "id": "cidrwatch-bench-fast-00000000",
        "monitor": monitor});
    let event_file = out_dir.join("fast-org-tick.json");
    std::fs::write(&event_file, event.to_string()).unwrap();
    fast.reset().await;
    let mut cmd = Command::new(bin);
    cmd.env_clear()
        .envs(fast.binary_env())
        .env("SCAN_CONCURRENCY", CONCURRENCY.to_string())
        .arg("invoke")
        .arg(&event_file);
    let tick = tokio::task::spawn_blocking(move || measure(cmd))
        .await
        .unwrap();
    let counts = fast.counts().await;
    let (peak, connections) = (fast.peak_in_flight().await, fast.connections().await);
    let timeline = fast.timeline().await;
    assert!(tick.success, "the tick failed: {}", tick.stderr);
    let members: Vec<String> = estate["accounts"]
        .as_object()
        .unwrap()
        .keys()
        .filter(|a| a.as_str() != "123456789012")
        .cloned()
        .collect();
    let (bare, bare_requests, seen) = bare_leg(&fast, &members, REGIONS, CONCURRENCY).await;
    assert_eq!(
        seen,
        (ACCOUNTS * REGIONS.len() * SUBNETS) as u64,
        "bare leg's subnets"
    );
    let report: Value = serde_json::from_slice(&tick.stdout).expect("the tick's report");

    let members = ACCOUNTS as u64;
    let account_regions = (ACCOUNTS * REGIONS.len()) as u64;
    // The management account is scanned too (its own credentials): it has no subnets, so its
    // regions stop after DescribeSubnets.
    let floor = BTreeMap::from([
        ("sts:GetCallerIdentity".to_string(), 1),
        ("sts:AssumeRole".to_string(), members),
        (
            "organizations:ListAccountsForParent".to_string(),
            org_pages(&estate, "accounts"),
        ),
        (
            "organizations:ListChildren".to_string(),
            org_pages(&estate, "ous"),
        ),
        (
            "ec2:DescribeSubnets".to_string(),
            account_regions + REGIONS.len() as u64,
        ),
        ("ec2:DescribeVpcs".to_string(), account_regions),
        ("ec2:DescribeNetworkInterfaces".to_string(), account_regions),
        ("monitoring:GetMetricData".to_string(), 1),
        ("monitoring:PutMetricData".to_string(), 1),
    ]);
    let requests: u64 = counts.values().sum();
    let right = counts == floor
        && report["errors"] == json!([])
        && report["totals"]["subnet_count"] == json!(account_regions * SUBNETS as u64);
    let wall = tick.wall.as_secs_f64();
    let per_request_ms = tick.cpu() * 1000.0 / requests.max(1) as f64;
    let bare_ms = bare.cpu() * 1000.0 / bare_requests.max(1) as f64;
    let ratio = per_request_ms / bare_ms;
    let at_256 = wall.max(tick.cpu() * FULL_VCPU_MB / DEFAULT_MB);
    let rss_mb = tick.max_rss_kib as f64 * 1024.0 / 1e6;
    let target = |ok: bool| if ok { "met" } else { "NOT met" };
    println!();
    println!(
        "estate fast-org: {ACCOUNTS} accounts (+ the management account) beneath {OUS} OUs x {} \
         regions, {SUBNETS} subnets each, {} ms added to every request, SCAN_CONCURRENCY \
         {CONCURRENCY}",
        REGIONS.len(),
        LATENCY * 1000.0
    );
    println!("  {:<40} {:>6} {:>6}", "operation", "tick", "floor");
    let ops: std::collections::BTreeSet<&String> = floor.keys().chain(counts.keys()).collect();
    for op in ops {
        let n = |m: &BTreeMap<String, u64>| m.get(op).copied().unwrap_or(0);
        println!("  {op:<40} {:>6} {:>6}", n(&counts), n(&floor));
    }
    println!("  at the floor: {}", if right { "yes" } else { "NO" });
    println!("  when each operation was answered, in seconds from the tick's start:");
    let mut spans: Vec<(&String, &Value)> = timeline.as_object().unwrap().iter().collect();
    spans.sort_by(|a, b| {
        a.1["first"]
            .as_f64()
            .partial_cmp(&b.1["first"].as_f64())
            .unwrap()
    });
    for (op, span) in spans {
        let at = |k: &str| span[k].as_f64().unwrap_or(0.0);
        println!("    {op:<40} {:>6.2} … {:>6.2}", at("first"), at("last"));
    }
    println!(
        "  wall {wall:.1} s (target 22: {}); at most {peak} in flight; {connections} connections \
         opened (target {}: {})",
        target(wall <= 22.0),
        4 * CONCURRENCY,
        target(connections <= 4 * CONCURRENCY as u64)
    );
    println!(
        "  CPU {:.2} s for {requests} requests: {per_request_ms:.3} ms a request (target 0.25: \
         {}); peak RSS {rss_mb:.0} MB (target 96: {}); wall at 256 MB {at_256:.1} s (target 30: \
         {})",
        tick.cpu(),
        target(per_request_ms <= 0.25),
        target(rss_mb <= 96.0),
        target(at_256 < 30.0)
    );
    println!(
        "  bare SDK leg (assume, describe, drop): {:.2} s CPU for {bare_requests} requests, \
         {bare_ms:.3} ms a request, peak RSS {:.0} MB; tick/bare CPU a request {ratio:.2}x \
         (target 1.5: {})",
        bare.cpu(),
        bare.max_rss_kib as f64 * 1024.0 / 1e6,
        target(ratio <= 1.5)
    );
    let result = json!({"name": "fast-org", "requests": counts, "floor": floor,
        "tick": tick.json(), "peak_in_flight": peak, "connections": connections, "timeline": timeline,
        "cpu_ms_per_request": per_request_ms, "wall_at_256_mb": at_256, "right": right,
        "bare": bare.json(), "bare_requests": bare_requests, "bare_cpu_ms_per_request": bare_ms,
        "tick_over_bare_cpu_per_request": ratio});
    (result, right)
}
