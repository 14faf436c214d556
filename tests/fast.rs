//! The fast local AWS for scale runs (`tests/support/fast_aws.py`) against moto: the same
//! small estate gives the same report through both, and a tick through the fast one opens a
//! handful of connections for hundreds of requests (one connection pool for the whole tick:
//! on AWS each new connection is a TLS handshake); throttled as AWS throttles, a tick still
//! completes whole.

mod support;

use std::collections::BTreeMap;

use serde_json::{Value, json};
use support::estate::{self, Builder, Estate};
use support::fast::{Fast, Size};
use support::org::Organization;
use support::*;

const REGIONS: &[&str] = &["us-east-1", "eu-west-1"];

async fn report(env: Vec<(&'static str, String)>, root: &str) -> Value {
    let mut args = vec!["report", "--json", "--quiet", "--ou", root];
    for r in REGIONS {
        args.extend(["--region", r]);
    }
    args.extend(["--tag", "kubernetes.io/cluster/prod=shared"]);
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_cidrwatch"))
        .env_clear()
        .envs(env)
        .args(&args)
        .output()
        .await
        .expect("run cidrwatch");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("the report's JSON")
}

/// What must agree: the totals, and each subnet's region, CIDR and figures (ids and
/// accounts are each AWS's own; moto's ENIs are detached, the fast fake has none).
fn figures(r: &Value) -> (Value, Vec<(String, String, u64, u64)>) {
    let t = &r["totals"];
    let totals = json!([
        t["usable"],
        t["used"],
        t["free"],
        t["utilization"],
        t["subnet_count"],
        t["vpc_allocation"],
        t["max_subnet_utilization"],
        r["scanned"],
        r["errors"]
    ]);
    let mut subnets: Vec<(String, String, u64, u64)> = r["subnets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["region"].as_str().unwrap().to_string(),
                s["cidr"].as_str().unwrap().to_string(),
                s["used"].as_u64().unwrap(),
                s["free"].as_u64().unwrap(),
            )
        })
        .collect();
    subnets.sort();
    (totals, subnets)
}

#[tokio::test]
async fn the_same_small_estate_gives_the_same_report_through_the_fast_fake_as_through_moto() {
    let fast = Fast::start(&Size {
        accounts: 3,
        regions: REGIONS,
        subnets: 3,
        ous: 2,
        latency_seconds: 0.0,
        throttle: None,
        real: false,
    });
    let generated = fast.estate().await;
    let through_fast = report(fast.binary_env(), "r-fake").await;

    // The same organization in moto (whose root holds its management account, the bed's
    // own, as the fake's does): one member account for each of the fake's, the same
    // VPCs and subnets, and each subnet's used addresses held by ENIs.
    let bed = Bed::start();
    let sdk = bed.sdk().await;
    let org = Organization::create(&sdk).await;
    let mut members: Vec<&String> = generated["accounts"]
        .as_object()
        .unwrap()
        .keys()
        .filter(|a| *a != estate::OWN)
        .collect();
    members.sort();
    let mut account = BTreeMap::new();
    for (i, id) in members.iter().enumerate() {
        account.insert(id.to_string(), org.account(&format!("m{i}"), None).await);
    }
    for n in generated["networks"].as_array().unwrap() {
        let id = &account[n["account"].as_str().unwrap()];
        let region = n["region"].as_str().unwrap();
        let mut built = Estate::default();
        let as_member = estate::assumed(&sdk, id).await;
        let mut b = Builder::new(&as_member, id, region, &mut built);
        let vpc = b.vpc(&[n["cidr"].as_str().unwrap()]).await;
        for s in n["subnets"].as_array().unwrap() {
            let subnet = b
                .subnet_in(&vpc, s["cidr"].as_str().unwrap(), true, s["az"].as_str())
                .await;
            let used = 251 - s["available"].as_u64().unwrap() as usize;
            b.fill(&subnet, used).await;
        }
    }
    let through_moto = report(bed.binary_env(), &org.root).await;

    let (fast_totals, fast_subnets) = figures(&through_fast);
    assert_eq!(fast_subnets.len(), 3 * 2 * 3);
    assert_eq!(figures(&through_moto), (fast_totals, fast_subnets));
}

/// One tick of a monitor of the fake's whole organization, by `cidrwatch invoke` with `env`
/// besides the fake's, scanning `concurrency` account-regions at once (`None`: as the tick's
/// pace chooses): its report.
async fn invoke_tick(fast: &Fast, concurrency: Option<usize>, env: &[(&str, &str)]) -> Value {
    let monitor = json!({"PoolName": "fast", "Select": {"OrganizationalUnits": ["r-fake"],
        "Regions": REGIONS, "Tags": {estate::TAG_KEY: estate::TAG_VALUE}}});
    let event = json!({"cidrwatch": "tick", "v": 1, "id": "cidrwatch-fast-00000000",
        "monitor": monitor});
    let dir = std::env::temp_dir().join(format!("cidrwatch-fast-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!(
        "tick-{}.json",
        fast.endpoint.rsplit(':').next().unwrap()
    ));
    std::fs::write(&file, event.to_string()).unwrap();
    let fixed = concurrency.map(|n| ("SCAN_CONCURRENCY", n.to_string()));
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_cidrwatch"))
        .env_clear()
        .envs(fast.binary_env())
        .envs(fixed)
        .envs(env.iter().copied())
        .arg("invoke")
        .arg(&file)
        .output()
        .await
        .expect("run cidrwatch");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("the tick's report")
}

/// Throttled as AWS throttles, only harder, so that a test-sized organization meets it:
/// every account-region's first call of each EC2 operation is refused (its bucket starts
/// empty and refills two a second), STS lets 4 AssumeRoles through at once and 4 a second
/// after (each parent's page hands the scan 10 accounts at once), Organizations 2 and 1. The
/// tick still completes whole: every throttled call retried, no scan error.
#[tokio::test]
async fn a_throttled_organization_still_ticks_whole() {
    const ACCOUNTS: usize = 40;
    let fast = Fast::start(&Size {
        accounts: ACCOUNTS,
        regions: REGIONS,
        subnets: 2,
        ous: 4,
        latency_seconds: 0.01,
        throttle: Some("ec2=1/2@0,sts=4/4,org=2/1"),
        real: false,
    });
    fast.reset().await;
    let report = invoke_tick(&fast, None, &[]).await;
    assert_eq!(report["errors"], json!([]), "{}", report["errors"]);
    assert_eq!(
        report["totals"]["subnet_count"],
        ACCOUNTS * REGIONS.len() * 2
    );
    let throttled = fast.throttled().await;
    let account_regions = ((ACCOUNTS + 1) * REGIONS.len()) as u64;
    assert!(
        throttled
            .get("ec2:DescribeSubnets")
            .is_some_and(|n| *n >= account_regions),
        "each account-region's first call refused: {throttled:?}"
    );
    assert!(
        throttled.get("sts:AssumeRole").is_some_and(|n| *n >= 10),
        "{throttled:?}"
    );
    assert!(
        throttled.contains_key("organizations:ListAccountsForParent")
            || throttled.contains_key("organizations:ListChildren"),
        "{throttled:?}"
    );
}

#[tokio::test]
async fn one_connection_pool_serves_the_whole_tick() {
    const ACCOUNTS: usize = 40;
    const CONCURRENCY: usize = 8;
    let fast = Fast::start(&Size {
        accounts: ACCOUNTS,
        regions: REGIONS,
        subnets: 2,
        ous: 4,
        latency_seconds: 0.02,
        throttle: None,
        real: false,
    });
    fast.reset().await;
    let report = invoke_tick(&fast, Some(CONCURRENCY), &[]).await;
    assert_eq!(
        report["totals"]["subnet_count"],
        ACCOUNTS * REGIONS.len() * 2
    );
    let counts = fast.counts().await;
    let requests: u64 = counts.values().sum();
    // The management account too, with its own credentials (no AssumeRole).
    let account_regions = ((ACCOUNTS + 1) * REGIONS.len()) as u64;
    assert_eq!(counts.get("sts:AssumeRole"), Some(&(ACCOUNTS as u64)));
    assert_eq!(counts.get("ec2:DescribeSubnets"), Some(&account_regions));
    // Clients are built per account and region; connections are per host and reused. A pool
    // per client would open one for each account-region at least; a shared one opens about
    // as many as requests were in flight at once (a few more where a request starts a
    // connection just before another comes free, as on a busy machine).
    let connections = fast.connections().await;
    let peak = fast.peak_in_flight().await;
    assert!(peak >= 2, "account-regions scanned at once: {peak}");
    assert!(
        connections <= 4 * peak && connections < account_regions,
        "{connections} connections for {requests} requests, {peak} at once: {counts:?}"
    );
}

/// A throttle that outlasts every retry: EC2's buckets start empty and never refill. Each
/// account-region ends as a scan error naming it, the call and AWS's code, after exactly
/// `THROTTLED_ATTEMPTS` attempts (their waits fit inside the call's time limit, so the error
/// is AWS's own, not a timeout that would name no code), and the tick still returns.
#[tokio::test]
async fn a_throttle_that_outlasts_the_retries_ends_as_scan_errors_with_its_code() {
    const ACCOUNTS: usize = 2;
    let fast = Fast::start(&Size {
        accounts: ACCOUNTS,
        regions: REGIONS,
        subnets: 2,
        ous: 1,
        latency_seconds: 0.0,
        throttle: Some("ec2=1/0@0"),
        real: false,
    });
    fast.reset().await;
    let report = invoke_tick(&fast, None, &[]).await;
    let account_regions = (ACCOUNTS + 1) * REGIONS.len();
    let errors = report["errors"].as_array().expect("errors");
    let named: std::collections::BTreeSet<(&str, &str)> = errors
        .iter()
        .map(|e| {
            (
                e["account"].as_str().unwrap(),
                e["region"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(named.len(), account_regions, "{errors:?}");
    assert_eq!(errors.len(), account_regions, "{errors:?}");
    for e in errors {
        assert_eq!(e["call"], "ec2:DescribeSubnets", "{e}");
        assert_eq!(e["code"], "RequestLimitExceeded", "{e}");
        // Throttling is no refusal: the next tick may well get through.
        assert_eq!(e["refused"], false, "{e}");
    }
    let attempts = u64::from(cidrwatch::aws::THROTTLED_ATTEMPTS);
    let calls = account_regions as u64;
    let counts = fast.counts().await;
    assert_eq!(counts.get("ec2:DescribeSubnets"), Some(&(calls * attempts)));
    let retries = fast.retries().await;
    assert_eq!(
        retries.get("ec2:DescribeSubnets"),
        Some(&(calls * (attempts - 1)))
    );
}

/// No knob: one organization (151 accounts x 2 regions, 100 ms a request) ticked by a
/// function of 128 MB (a fourteenth of a vCPU, which the tick keeps busy), with its period
/// ahead and within a 20-second invocation (5 s to scan). With time to spare the pace keeps
/// to its floor, each account-region at most two EC2 requests in flight; hurried, it runs
/// several times as many at once. Both ticks whole.
#[tokio::test]
async fn the_tick_runs_more_at_once_when_its_time_is_short() {
    const ACCOUNTS: usize = 150;
    let fast = Fast::start(&Size {
        accounts: ACCOUNTS,
        regions: REGIONS,
        subnets: 2,
        ous: 4,
        latency_seconds: 0.1,
        throttle: None,
        real: false,
    });
    let mut peaks = Vec::new();
    for seconds in ["900", "20"] {
        fast.reset().await;
        let env = [
            ("CIDRWATCH_TIMEOUT_SECONDS", seconds),
            ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"),
        ];
        let report = invoke_tick(&fast, None, &env).await;
        assert_eq!(report["errors"], json!([]), "{}", report["errors"]);
        assert_eq!(
            report["totals"]["subnet_count"],
            ACCOUNTS * REGIONS.len() * 2
        );
        peaks.push(fast.peak_in_flight_of("ec2").await);
    }
    let floor = cidrwatch::aws::pace::FLOOR as u64;
    assert!(
        peaks[0] <= 2 * floor,
        "relaxed: {} EC2 requests in flight",
        peaks[0]
    );
    assert!(
        peaks[1] > 2 * floor,
        "hurried: {} EC2 requests in flight",
        peaks[1]
    );
}
