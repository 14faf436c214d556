//! `make bench`: what one tick costs, measured on estates built in a local moto.
//!
//! For each estate: the requests per operation of one tick (the test bed's counting front)
//! beside the floor docs/design.md states; user+sys CPU seconds and peak RSS of the tick's process
//! (the release binary, `cidrwatch invoke`); the same CPU for a bare loop that only
//! paginates `DescribeSubnets` (`examples/bare_subnets.rs`), as tick/bare. Then the time from
//! spawning the binary to its first answer through a local Lambda Runtime API, and the zip
//! size when `make package` has built it. Figures are printed and written to
//! `target/bench/results.json`. Nothing here judges a time; the run fails only when a tick's
//! requests differ from the floor or its report miscounts the estate.

#[path = "floor/eks.rs"]
mod eks;
#[path = "floor/fast_org.rs"]
mod fast_org;
#[path = "floor/largest.rs"]
mod largest;
#[path = "floor/measure.rs"]
mod measure;
#[path = "floor/plan.rs"]
mod plan;
#[path = "../tests/support/mod.rs"]
mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use measure::{LAUNCH, Measured, launch, measure, median};
use serde_json::{Value, json};
use support::org::Organization;
use support::{Bed, Loopback, RUNTIME, estate, fixture, lambda_env, runtime_api};

/// One estate: `subnets` /26 subnets in `vpcs` VPCs, one tick with `SubnetMetrics`.
struct Estate {
    name: &'static str,
    vpcs: usize,
    subnets: usize,
    /// ENIs per subnet, all detached (moto leaves an ENI `available` until it is attached).
    enis_per_subnet: usize,
    /// Whether the monitor turns prefix accounting on (reading every ENI).
    prefixes: bool,
}

const ESTATES: &[Estate] = &[
    Estate {
        name: "1k",
        vpcs: 300,
        subnets: 1_000,
        enis_per_subnet: 0,
        prefixes: false,
    },
    Estate {
        name: "10k",
        vpcs: 300,
        subnets: 10_000,
        enis_per_subnet: 0,
        prefixes: false,
    },
    Estate {
        name: "1k-detached",
        vpcs: 300,
        subnets: 1_000,
        enis_per_subnet: 3,
        prefixes: false,
    },
    Estate {
        name: "1k-prefixes",
        vpcs: 300,
        subnets: 1_000,
        enis_per_subnet: 3,
        prefixes: true,
    },
];

/// The organization estate: member accounts beneath an OU (half of them in a nested OU), each
/// with one VPC of two pool subnets, scanned in two regions with AWS's latency added to every
/// request by the test bed.
const ORG_ACCOUNTS: usize = 200;
const ORG_REGIONS: [&str; 2] = ["us-east-1", "eu-west-1"];
const ORG_LATENCY_SECONDS: f64 = 0.1;

/// Spawns of the binary timed to its first answer.
const COLD_STARTS: usize = 5;

impl Estate {
    fn monitor(&self) -> Value {
        let mut m = json!({
            "PoolName": format!("bench-{}", self.name),
            "Select": {"Tags": {"bench": self.name}},
            "SubnetMetrics": true,
        });
        if self.prefixes {
            m["Thresholds"] = json!({"MinFreePrefixes": 8});
        }
        m
    }

    /// docs/design.md's "Scale and cost", for one account-region holding `in_region` subnets
    /// (the estate's and moto's default VPC's: a tick reads them all), plus the one
    /// GetMetricData a tick makes for DaysToExhaustion's history.
    fn floor(&self, in_region: usize) -> BTreeMap<String, u64> {
        let pages = |n: usize| (n as u64).div_ceil(1000);
        // The pool metrics: ScanErrors, Heartbeat, Usable/Used/FreeAddresses, Utilization,
        // MaxSubnetUtilization, SubnetCount, DetachedAddresses, MinSubnetFreeAddresses,
        // VpcAllocation, MinAzFreeAddresses, and FreePrefixes and MinAzFreePrefixes when
        // counted (DaysToExhaustion needs an hour of history: not yet). Per subnet with
        // SubnetMetrics: Utilization, FreeAddresses (and FreePrefixes).
        let (pool, per_subnet) = if self.prefixes { (14, 3) } else { (12, 2) };
        let datums = pool + per_subnet * self.subnets;
        let enis = self.subnets * self.enis_per_subnet;
        // Prefix accounting reads every ENI; otherwise only the detached ones (here all of
        // them), which takes one call even when there are none.
        let eni_pages = if self.prefixes {
            pages(enis)
        } else {
            pages(enis).max(1)
        };
        BTreeMap::from([
            ("ec2:DescribeSubnets".to_string(), pages(in_region)),
            ("ec2:DescribeVpcs".to_string(), pages(self.vpcs)),
            ("ec2:DescribeNetworkInterfaces".to_string(), eni_pages),
            ("monitoring:GetMetricData".to_string(), 1),
            ("monitoring:PutMetricData".to_string(), pages(datums)),
        ])
    }
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn built(path: &str) -> PathBuf {
    let p = root().join(path);
    assert!(
        p.exists(),
        "{} is missing: `make bench` builds it first",
        p.display()
    );
    p
}

fn command(program: &Path, bed: &Bed) -> Command {
    let mut c = Command::new(program);
    c.env_clear().envs(bed.binary_env()).env("RUST_LOG", "warn");
    c
}

/// `cidrwatch invoke EVENT` on the bed, measured.
/// With `PERF_RECORD=1` the tick runs under `perf record --call-graph dwarf` (release builds
/// keep no frame pointers), writing `EVENT.perf.data` beside the event for `perf report` or
/// inferno; its CPU and RSS figures then include perf's own.
async fn invoke_measured(bin: &Path, bed: &Bed, event_file: &Path) -> Measured {
    let mut cmd = command(bin, bed);
    if std::env::var_os("PERF_RECORD").is_some() {
        let data = event_file.with_extension("perf.data");
        cmd = command(Path::new("perf"), bed);
        cmd.env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .args(["record", "-F", "2999", "--call-graph", "dwarf", "-o"])
            .arg(&data)
            .arg("--")
            .arg(bin);
    }
    cmd.arg("invoke").arg(event_file);
    tokio::task::spawn_blocking(move || measure(cmd))
        .await
        .unwrap()
}

/// How many times each single-account estate's tick and bare loop run (`BENCH_RUNS`, default
/// 3); their medians are printed, with the range.
fn runs() -> usize {
    std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3)
        .max(1)
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

async fn bench_estate(e: &Estate, bin: &Path, bare: &Path, out_dir: &Path) -> (Value, bool) {
    eprintln!(
        "estate {}: building {} subnets in {} VPCs{} in moto…",
        e.name,
        e.subnets,
        e.vpcs,
        if e.enis_per_subnet > 0 {
            format!(" and {} ENIs", e.subnets * e.enis_per_subnet)
        } else {
            String::new()
        }
    );
    let bed = Bed::start();
    let ec2 = aws_sdk_ec2::Client::new(&bed.sdk().await);
    let built_at = Instant::now();
    let ids = estate::flat(&ec2, e.vpcs, e.subnets, ("bench", e.name), true).await;
    let enis = estate::enis(&ec2, &ids, e.enis_per_subnet).await;
    eprintln!("  built in {:.0} s", built_at.elapsed().as_secs_f64());
    let in_region = estate::subnets_in_region(&ec2).await;

    let event = json!({"cidrwatch": "tick", "v": 1, "id": format!("cidrwatch-bench-{}-00000000", e.name), "monitor": e.monitor()});
    let event_file = out_dir.join(format!("{}-tick.json", e.name));
    std::fs::write(&event_file, event.to_string()).unwrap();

    // Requests are counted over the first tick; every tick makes the same ones.
    bed.reset_counts().await;
    let mut ticks = vec![invoke_measured(bin, &bed, &event_file).await];
    let counts = bed.counts().await;
    for _ in 1..runs() {
        ticks.push(invoke_measured(bin, &bed, &event_file).await);
    }
    for t in &ticks {
        assert!(t.success, "the tick failed: {}", t.stderr);
    }
    let report: Value = serde_json::from_slice(&ticks[0].stdout).expect("the tick's report");
    let counted = report["totals"]["subnet_count"].as_u64();
    let (tick, tick_range) = median(ticks);

    bed.reset_counts().await;
    let mut loops = Vec::new();
    for _ in 0..runs() {
        let mut cmd = command(bare, &bed);
        cmd.args(["bench", e.name]);
        let run = tokio::task::spawn_blocking(move || measure(cmd));
        let run = run.await.unwrap();
        assert!(run.success, "the bare loop failed: {}", run.stderr);
        loops.push(run);
    }
    let bare_seen: u64 = String::from_utf8_lossy(&loops[0].stdout)
        .trim()
        .parse()
        .unwrap();
    let bare_pages = bed.counts().await.get("ec2:DescribeSubnets").copied();
    let (loop_, loop_range) = median(loops);

    let floor = e.floor(in_region);
    let ops: Vec<&String> = floor
        .keys()
        .chain(counts.keys())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let at_floor = counts == floor;
    // Each bench ENI holds one address and is detached.
    let detached = report["totals"]["detached_addresses"].as_u64();
    let counts_right = counted == Some(e.subnets as u64)
        && bare_seen == e.subnets as u64
        && detached == Some(enis as u64);
    let ratio = tick.cpu() / loop_.cpu().max(1e-9);

    println!();
    println!(
        "estate {}: {} subnets in {} VPCs{}, SubnetMetrics, one account-region",
        e.name,
        e.subnets,
        e.vpcs,
        match (enis, e.prefixes) {
            (0, _) => String::new(),
            (_, true) => format!(", {enis} ENIs, prefix accounting"),
            (_, false) => format!(", {enis} detached ENIs"),
        }
    );
    println!(
        "  {:<34} {:>6} {:>6}",
        "requests in one tick", "tick", "floor"
    );
    for op in &ops {
        let got = counts.get(*op).copied().unwrap_or(0);
        let want = floor.get(*op).copied().unwrap_or(0);
        let mark = if got == want { "" } else { "  <- differs" };
        println!("  {op:<34} {got:>6} {want:>6}{mark}");
    }
    println!(
        "  requests at the floor: {}",
        if at_floor { "yes" } else { "NO" }
    );
    println!(
        "  tick process, median of {} runs: {:.2} s CPU (user {:.2} + sys {:.2}; runs {:.2}–{:.2} s), peak RSS {:.1} MiB, wall {:.2} s; report counts {} subnets, {} detached addresses",
        runs(),
        tick.cpu(),
        tick.user,
        tick.sys,
        tick_range.0,
        tick_range.1,
        mib(tick.max_rss_kib),
        tick.wall.as_secs_f64(),
        counted.unwrap_or(0),
        detached.unwrap_or(0),
    );
    println!(
        "  bare DescribeSubnets loop, median: {:.2} s CPU (runs {:.2}–{:.2} s), peak RSS {:.1} MiB ({} pages a run, {} subnets); tick/bare CPU {:.1}x",
        loop_.cpu(),
        loop_range.0,
        loop_range.1,
        mib(loop_.max_rss_kib),
        bare_pages.unwrap_or(0) / runs() as u64,
        bare_seen,
        ratio
    );

    let result = json!({
        "name": e.name,
        "subnets": e.subnets,
        "vpcs": e.vpcs,
        "enis": enis,
        "prefix_accounting": e.prefixes,
        "requests": counts,
        "floor": floor,
        "at_floor": at_floor,
        "report_subnet_count": counted,
        "runs": runs(),
        "tick": tick.json(),
        "tick_cpu_range_seconds": [tick_range.0, tick_range.1],
        "bare_describe_subnets": loop_.json(),
        "bare_cpu_range_seconds": [loop_range.0, loop_range.1],
        "tick_over_bare_cpu": ratio,
    });
    (result, at_floor && counts_right)
}

/// The organization estate: one tick over every account beneath an OU, two regions each, at
/// [`ORG_LATENCY_SECONDS`] per request. Prints the wall time, requests per operation, CPU and
/// peak RSS, the most requests in flight at once, and the effective parallelism: what the
/// requests would take one after another (their count × the latency) over the wall time.
async fn bench_org(bin: &Path, out_dir: &Path) -> (Value, bool) {
    eprintln!("estate org: {ORG_ACCOUNTS} accounts through moto's Organizations…");
    let bed = Bed::start();
    let sdk = bed.sdk().await;
    let org = Organization::create(&sdk).await;
    let members = org.ou(&org.root, "members").await;
    let nested = org.ou(&members, "eks").await;
    for i in 0..ORG_ACCOUNTS {
        let parent = if i % 2 == 0 { &members } else { &nested };
        let id = org.account(&format!("m{i}"), Some(parent)).await;
        let mut built = estate::Estate::default();
        let as_member = estate::assumed(&sdk, &id).await;
        let mut b = estate::Builder::new(&as_member, &id, "us-east-1", &mut built);
        let vpc = b.vpc(&["10.0.0.0/16"]).await;
        b.subnet(&vpc, "10.0.0.0/24", true).await;
        b.subnet(&vpc, "10.0.1.0/24", true).await;
    }
    let monitor = json!({"PoolName": "bench-org", "Select": {"OrganizationalUnits": [members],
        "Regions": ORG_REGIONS, "Tags": {estate::TAG_KEY: estate::TAG_VALUE}}});
    let event = json!({"cidrwatch": "tick", "v": 1, "id": "cidrwatch-bench-org-00000000",
        "monitor": monitor});
    let event_file = out_dir.join("org-tick.json");
    std::fs::write(&event_file, event.to_string()).unwrap();

    // moto builds an account-region's backend (a default VPC and its subnets) the first time
    // it is touched, at a CPU cost AWS does not have: one untimed tick first.
    let warm = invoke_measured(bin, &bed, &event_file).await;
    assert!(warm.success, "the warm-up tick failed: {}", warm.stderr);

    bed.latency(ORG_LATENCY_SECONDS).await;
    bed.reset_counts().await;
    let tick = invoke_measured(bin, &bed, &event_file).await;
    let peak = bed.peak_in_flight().await;
    bed.latency(0.0).await;
    let counts = bed.counts().await;
    assert!(tick.success, "the tick failed: {}", tick.stderr);
    let report: Value = serde_json::from_slice(&tick.stdout).expect("the tick's report");
    let requests: u64 = counts.values().sum();
    let serial = requests as f64 * ORG_LATENCY_SECONDS;
    let parallelism = serial / tick.wall.as_secs_f64();
    let account_regions = (ORG_ACCOUNTS * ORG_REGIONS.len()) as u64;
    let right = report["totals"]["subnet_count"] == json!(2 * ORG_ACCOUNTS)
        && report["errors"] == json!([])
        && counts.get("sts:AssumeRole") == Some(&(ORG_ACCOUNTS as u64))
        && counts.get("ec2:DescribeSubnets") == Some(&account_regions);

    println!();
    println!(
        "estate org: {ORG_ACCOUNTS} accounts beneath an OU (half in a nested OU) x {} regions, \
         {} ms added to every request",
        ORG_REGIONS.len(),
        ORG_LATENCY_SECONDS * 1000.0
    );
    for (op, n) in &counts {
        println!("  {op:<40} {n:>6}");
    }
    println!(
        "  one AssumeRole per account and one DescribeSubnets per account-region: {}",
        if right { "yes" } else { "NO" }
    );
    println!(
        "  tick: wall {:.2} s for {requests} requests ({serial:.1} s one after another): \
         effective parallelism {parallelism:.1}x, at most {peak} in flight; CPU {:.2} s, \
         peak RSS {:.1} MiB; report counts {} subnets",
        tick.wall.as_secs_f64(),
        tick.cpu(),
        mib(tick.max_rss_kib),
        report["totals"]["subnet_count"]
    );
    let result = json!({
        "name": "org",
        "accounts": ORG_ACCOUNTS,
        "regions": ORG_REGIONS,
        "latency_seconds": ORG_LATENCY_SECONDS,
        "requests": counts,
        "serial_seconds": serial,
        "effective_parallelism": parallelism,
        "peak_in_flight": peak,
        "tick": tick.json(),
        "right": right,
    });
    (result, right)
}

/// Spawn → the first `/invocation/next` (init), and spawn → the invocation's response (the
/// first answer), for a Delete of an id that is not ours: no AWS call, one PUT to the
/// loopback ResponseURL.
async fn cold_start(bin: &Path) -> Value {
    let bed = Bed::start();
    let mut init = Vec::new();
    let mut first = Vec::new();
    for _ in 0..COLD_STARTS {
        let cfn = Loopback::responder(vec![]).await;
        let mut event = fixture("delete.json", &cfn.response_url());
        event["PhysicalResourceId"] = json!("someone-elses-resource");
        let runtime = runtime_api(event, 60).await;
        let spawned = tokio::time::Instant::now();
        let mut child = tokio::process::Command::new(bin)
            .env_clear()
            .envs(bed.binary_env())
            .envs(lambda_env(&runtime))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn the binary");
        let response = format!("{RUNTIME}/invocation/invoke-1/response");
        let seen = runtime.wait_for(3, Duration::from_secs(30)).await;
        child.start_kill().ok();
        let _ = child.wait().await;
        let at = |target: &str| {
            seen.iter()
                .find(|r| r.target == target)
                .map(|r| (r.at - spawned).as_secs_f64() * 1000.0)
        };
        let (Some(next), Some(answer)) = (at(&format!("{RUNTIME}/invocation/next")), at(&response))
        else {
            panic!("the binary did not answer through the Runtime API: {seen:?}");
        };
        assert_eq!(cfn.requests().len(), 1, "one answer to CloudFormation");
        init.push(next);
        first.push(answer);
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (init_ms, first_ms) = (median(&mut init), median(&mut first));
    println!();
    println!(
        "cold start through a local Runtime API ({COLD_STARTS} spawns, median): init {init_ms:.1} ms, first answer {first_ms:.1} ms (min {:.1} ms)",
        first[0]
    );
    json!({"spawns": COLD_STARTS, "init_ms_median": init_ms, "first_answer_ms_median": first_ms, "first_answer_ms_min": first[0]})
}

fn machine() -> Value {
    let read = |p: &str| std::fs::read_to_string(p).unwrap_or_default();
    let cpuinfo = read("/proc/cpuinfo");
    let cpu = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_string())
        .unwrap_or_default();
    let mem_kib: u64 = read("/proc/meminfo")
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0);
    json!({
        "cpu": cpu,
        "cores": std::thread::available_parallelism().map_or(0, |n| n.get()),
        "memory_gib": (mem_kib as f64 / 1048576.0 * 10.0).round() / 10.0,
        "kernel": read("/proc/sys/kernel/osrelease").trim(),
    })
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some(LAUNCH) {
        launch(&args[2..]);
    }
    tokio::runtime::Runtime::new()
        .expect("tokio runtime")
        .block_on(bench());
}

async fn bench() {
    // `cargo bench` passes --bench; any other argument picks estates by name.
    let wanted: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let bin = built("target/release/cidrwatch");
    let bare = built("target/release/examples/bare_subnets");
    let out_dir = root().join("target/bench");
    std::fs::create_dir_all(&out_dir).unwrap();
    let machine = machine();
    println!(
        "machine: {} ({} cores, {} GiB), Linux {}",
        machine["cpu"].as_str().unwrap_or(""),
        machine["cores"],
        machine["memory_gib"],
        machine["kernel"].as_str().unwrap_or("")
    );

    let mut estates = Vec::new();
    let mut all_right = true;
    for e in ESTATES
        .iter()
        .filter(|e| wanted.is_empty() || wanted.iter().any(|w| w == e.name))
    {
        let (result, right) = bench_estate(e, &bin, &bare, &out_dir).await;
        all_right &= right;
        estates.push(result);
    }
    if wanted.is_empty() || wanted.iter().any(|w| w == "org") {
        let (result, right) = bench_org(&bin, &out_dir).await;
        all_right &= right;
        estates.push(result);
    }
    if wanted.is_empty() || wanted.iter().any(|w| w == "eks") {
        let (result, right) = eks::bench_eks(&bin, &out_dir).await;
        all_right &= right;
        estates.push(result);
    }
    if wanted.is_empty() || wanted.iter().any(|w| w == "fast-org") {
        let (result, right) = fast_org::bench_fast_org(&bin, &out_dir).await;
        all_right &= right;
        estates.push(result);
    }
    if wanted.is_empty() || wanted.iter().any(|w| w == "largest") {
        let (result, right) = largest::bench_largest(&bin, &out_dir).await;
        all_right &= right;
        estates.push(result);
    }
    if wanted.is_empty() || wanted.iter().any(|w| w == "plan") {
        let (result, right) = plan::bench_plan(&bin, &out_dir).await;
        all_right &= right;
        estates.push(result);
    }
    let cold = cold_start(&bin).await;
    let zip = root().join("target/lambda/cidrwatch/bootstrap.zip");
    let zip_bytes = std::fs::metadata(&zip).ok().map(|m| m.len());
    match zip_bytes {
        Some(b) => println!(
            "Lambda zip: {} ({:.1} MiB)",
            zip.display(),
            b as f64 / 1048576.0
        ),
        None => println!("Lambda zip: not built (`make package` builds it)"),
    }
    let results = json!({
        "machine": machine,
        "estates": estates,
        "cold_start": cold,
        "zip_bytes": zip_bytes,
    });
    let path = out_dir.join("results.json");
    std::fs::write(&path, serde_json::to_vec_pretty(&results).unwrap()).unwrap();
    println!("written: {}", path.display());
    if !all_right {
        eprintln!("a tick's requests differ from the floor, or its report miscounted the estate");
        std::process::exit(1);
    }
}
