//! Off Lambda, the binary is a CLI:
//! - `cidrwatch invoke EVENT.json` handles one Lambda event exactly as the Lambda would and
//!   prints the handler's result (`-` reads the event from standard input);
//! - `cidrwatch report …` scans a selection with the caller's credentials and prints its usage;
//! - `cidrwatch suggest …` finds where new subnets fit in a VPC;
//! - `cidrwatch schema` prints the JSON Schema of a monitor's properties.

use std::io::{IsTerminal, Read, Write};
use std::process::ExitCode;
use std::time::Duration;

use serde_json::{Map, Value, json};
use tokio::time::Instant;

use crate::Error;
use crate::app::{App, Invocation};
use crate::aws::Aws;
use crate::spec;
use crate::tick;
use crate::usage::pool::Report;
use crate::usage::room;

const USAGE: &str = "usage:
  cidrwatch invoke EVENT.json   handle one Lambda event locally (- for stdin), print the result
  cidrwatch suggest --vpc VPC --size N [--count K] [--az AZ] [--region R] [--account ID --role NAME]
                                where the next /N subnets fit in VPC, best fit first; a secondary
                                VPC CIDR block when none does
  cidrwatch schema [--markdown]  print the JSON Schema of a monitor's properties (or its table)
  cidrwatch validate PROPS.json  check a monitor's properties (JSON, - for stdin) as Create
                                would: exit 0, or 1 with every problem, one a line
  cidrwatch report [SELECTION] [--json]
                                scan subnets with your credentials and print their usage
  cidrwatch map [SELECTION] --html FILE
                                draw the selection's VPCs to scale as one self-contained page
    --vpc ID  --subnet ID  --tag KEY=VALUE  --cidr CIDR  --region REGION
    --account ID (with --role NAME)          each may repeat; AND across kinds, OR within one
    --ou ID  --exclude-account ID            every ACTIVE account beneath a root or OU, less some
    --all-regions                            every region enabled in each account
    --monitor FILE                           a monitor's properties (JSON) instead of flags
    --pool NAME                              the name shown (default: report)

environment: FUNCTION_ARN (the function alarms and schedules target), SCHEDULER_ROLE_ARN,
SCHEDULE_GROUP (default cidrwatch), CIDRWATCH_TIMEOUT_SECONDS (invoke's deadline, default 900),
and the AWS SDK's standard variables (AWS_ENDPOINT_URL, AWS_REGION, credentials).";

/// Runs the CLI; exit status 0 on success, 1 when the work failed, 2 on bad usage or input.
pub async fn main(args: Vec<String>) -> ExitCode {
    match args.first().map(String::as_str) {
        Some("invoke") if args.len() == 2 => match invoke(&args[1]).await {
            Ok(result) => {
                println!("{result:#}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("cidrwatch: {e}");
                ExitCode::from(1)
            }
        },
        Some("report") => report(&args[1..], false).await,
        Some("map") => report(&args[1..], true).await,
        Some("suggest") => suggest(&args[1..]).await,
        Some("validate") if args.len() == 2 => validate(&args[1]),
        Some("schema") if args.len() == 1 => {
            println!("{:#}", spec::schema::schema());
            ExitCode::SUCCESS
        }
        Some("schema") if args.len() == 2 && args[1] == "--markdown" => {
            print!("{}", spec::schema::markdown());
            ExitCode::SUCCESS
        }
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}

/// AWS with the caller's credentials, assuming the template's member role by default.
async fn cli_aws() -> Aws {
    let member_role = spec::Limits::from_env().member_role_name;
    Aws::new(&crate::aws::load_config().await)
        .with_member_role(member_role)
        .with_concurrency(crate::aws::discover::concurrency_from_env())
}

/// What `suggest` was asked: the VPC, the size and count, the AZ, and where to look.
#[derive(Debug, PartialEq)]
pub struct SuggestArgs {
    pub vpc: String,
    pub size: u8,
    pub count: usize,
    pub az: Option<String>,
    pub select: spec::Selection,
}

/// Parses `suggest` flags; the selection flags (`--region`, `--account`, `--role`) are
/// `report`'s, validated by the same rules as a monitor.
pub fn parse_suggest_args(args: &[String]) -> Result<SuggestArgs, String> {
    let (mut vpc, mut size, mut count, mut az) = (None, None, 1usize, None);
    let mut rest = Vec::new();
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let take = |it: &mut std::slice::Iter<'_, String>| {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        match flag.as_str() {
            "--vpc" => vpc = Some(take(&mut it)?),
            "--size" => {
                let v = take(&mut it)?;
                let n = v.trim_start_matches('/').parse::<u8>().ok();
                size = Some(n.filter(|n| room::SIZES.contains(n)).ok_or_else(|| {
                    format!("--size {v}: a subnet is /16 to /28 (give 24 for a /24)")
                })?);
            }
            "--count" => {
                let v = take(&mut it)?;
                count = v
                    .parse::<usize>()
                    .ok()
                    .filter(|n| (1..=256).contains(n))
                    .ok_or_else(|| format!("--count {v}: from 1 to 256"))?;
            }
            "--az" => az = Some(take(&mut it)?),
            "--region" | "--account" | "--role" => {
                rest.push(flag.clone());
                rest.push(take(&mut it)?);
            }
            other => return Err(format!("unknown flag {other}; see cidrwatch --help")),
        }
    }
    let vpc = vpc.ok_or("--vpc VPC is required")?;
    let size = size.ok_or("--size N is required (16 to 28)")?;
    rest.extend(["--vpc".to_string(), vpc.clone()]);
    let properties = parse_report_args(&rest)?.properties;
    let select = spec::parse(&properties).map_err(|e| e.to_string())?.select;
    Ok(SuggestArgs {
        vpc,
        size,
        count,
        az,
        select,
    })
}

/// `cidrwatch suggest`: the next CIDRs for new subnets in a VPC, with the commands to make
/// them; a secondary CIDR block when nothing fits.
async fn suggest(args: &[String]) -> ExitCode {
    let a = match parse_suggest_args(args) {
        Ok(a) => a,
        Err(reason) => {
            eprintln!("cidrwatch suggest: {reason}");
            return ExitCode::from(2);
        }
    };
    let space = match cli_aws().await.vpc_space(&a.select, &a.vpc).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("cidrwatch suggest: {e}");
            return ExitCode::from(1);
        }
    };
    print!("{}", suggestion(&a, &space));
    ExitCode::SUCCESS
}

/// The suggestion as text (pure).
pub fn suggestion(a: &SuggestArgs, space: &crate::aws::discover::VpcSpace) -> String {
    let v = &space.vpc;
    let free = room::free_blocks(&v.cidrs, &v.subnets);
    let fits = room::best_fit(&free, a.size, a.count);
    let cidrs: Vec<String> = v.cidrs.iter().map(ToString::to_string).collect();
    let mut out = format!(
        "{} ({} {}): {}; {} subnet{}; free: {}\n",
        v.vpc_id,
        v.account,
        v.region,
        cidrs.join(", "),
        v.subnets.len(),
        if v.subnets.len() == 1 { "" } else { "s" },
        if free.is_empty() {
            "none".to_string()
        } else {
            free.iter()
                .take(8)
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
                + if free.len() > 8 { ", …" } else { "" }
        }
    );
    let az = match &a.az {
        // AZ IDs (use1-az1) name the same place in every account; AZ names do not.
        Some(z) if z.contains("-az") => format!(" --availability-zone-id {z}"),
        Some(z) => format!(" --availability-zone {z}"),
        None => String::new(),
    };
    if fits.is_empty() {
        match v
            .cidrs
            .first()
            .and_then(|p| room::secondary_block(*p, &space.seen, a.size))
        {
            Some(block) => out.push_str(&format!(
                "no /{} fits; a secondary CIDR block that overlaps no VPC seen and that this VPC \
                 may take:\n  {block}  aws ec2 associate-vpc-cidr-block --vpc-id {} --cidr-block \
                 {block} --region {}\n",
                a.size, v.vpc_id, v.region
            )),
            None => out.push_str(&format!(
                "no /{} fits, and no secondary CIDR block this VPC may take is free\n",
                a.size
            )),
        }
        return out;
    }
    out.push_str(&format!("next /{} subnets, best fit first:\n", a.size));
    for f in &fits {
        out.push_str(&format!(
            "  {f}  aws ec2 create-subnet --vpc-id {} --cidr-block {f}{az} --region {}\n",
            v.vpc_id, v.region
        ));
    }
    if fits.len() < a.count {
        out.push_str(&format!(
            "only {} of the {} asked for fit\n",
            fits.len(),
            a.count
        ));
    }
    out
}

/// `cidrwatch validate`: the provider's own verdict on a monitor's properties, offline.
fn validate(path: &str) -> ExitCode {
    let properties: Result<Value, String> = read(path)
        .map_err(|e| e.to_string())
        .and_then(|t| serde_json::from_str(&t).map_err(|e| format!("{path}: not JSON: {e}")));
    match properties.map(|p| spec::parse(&p)) {
        Ok(Ok(_)) => {
            println!("valid");
            ExitCode::SUCCESS
        }
        Ok(Err(errors)) => {
            for e in &errors.0 {
                println!("{e}");
            }
            ExitCode::from(1)
        }
        Err(e) => {
            eprintln!("cidrwatch: {e}");
            ExitCode::from(2)
        }
    }
}

async fn invoke(path: &str) -> Result<Value, Error> {
    let payload: Value = serde_json::from_str(&read(path)?).map_err(|e| Error::Input {
        path: path.to_string(),
        message: format!("not JSON: {e}"),
    })?;
    let seconds = std::env::var("CIDRWATCH_TIMEOUT_SECONDS")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .unwrap_or(900);
    let inv = Invocation {
        function_arn: std::env::var("FUNCTION_ARN").ok().filter(|s| !s.is_empty()),
        deadline: Instant::now() + Duration::from_secs(seconds),
    };
    App::from_env().await?.handle(payload, &inv).await
}

fn read(path: &str) -> Result<String, Error> {
    let input = |e: std::io::Error| Error::Input {
        path: path.to_string(),
        message: e.to_string(),
    };
    if path == "-" {
        let mut s = String::new();
        std::io::stdin().read_to_string(&mut s).map_err(input)?;
        Ok(s)
    } else {
        std::fs::read_to_string(path).map_err(input)
    }
}

/// What the report flags ask for: monitor properties, and whether to print JSON.
#[derive(Debug, PartialEq)]
pub struct ReportArgs {
    pub properties: Value,
    pub json: bool,
    /// `map --html FILE`: where to write the page.
    pub html: Option<String>,
}

/// Parses `report` flags into monitor properties, validated by the same rules as a monitor.
pub fn parse_report_args(args: &[String]) -> Result<ReportArgs, String> {
    let mut select = Map::new();
    let mut push = |key: &str, value: Value| {
        let list = select.entry(key).or_insert_with(|| json!([]));
        if let Value::Array(items) = list {
            items.push(value);
        }
    };
    let (mut tags, mut monitor, mut pool, mut role, mut as_json, mut html) =
        (Map::new(), None, None, None, false, None);
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        if flag == "--json" {
            as_json = true;
            continue;
        }
        if flag == "--all-regions" {
            push("Regions", json!(spec::ALL_REGIONS));
            continue;
        }
        let value = it
            .next()
            .ok_or_else(|| format!("{flag} needs a value"))?
            .clone();
        match flag.as_str() {
            "--vpc" => push("VpcIds", json!(value)),
            "--subnet" => push("SubnetIds", json!(value)),
            "--cidr" => push("Cidrs", json!(value)),
            "--region" => push("Regions", json!(value)),
            "--account" => push("Accounts", json!(value)),
            "--ou" => push("OrganizationalUnits", json!(value)),
            "--exclude-account" => push("ExcludeAccounts", json!(value)),
            "--tag" => {
                let (k, v) = value
                    .split_once('=')
                    .ok_or_else(|| format!("--tag {value}: expected KEY=VALUE"))?;
                let list = tags.entry(k.to_string()).or_insert_with(|| json!([]));
                if let Value::Array(items) = list {
                    items.push(json!(v));
                }
            }
            "--role" => role = Some(value),
            "--pool" => pool = Some(value),
            "--monitor" => monitor = Some(value),
            "--html" => html = Some(value),
            other => return Err(format!("unknown flag {other}; see cidrwatch --help")),
        }
    }
    if !tags.is_empty() {
        select.insert("Tags".into(), Value::Object(tags));
    }
    if let Some(r) = role {
        select.insert("RoleName".into(), json!(r));
    }
    let mut properties = match monitor {
        Some(path) => {
            if !select.is_empty() {
                return Err("--monitor replaces the selection flags; give one or the other".into());
            }
            let text = read(&path).map_err(|e| e.to_string())?;
            serde_json::from_str(&text).map_err(|e| format!("{path}: not JSON: {e}"))?
        }
        None => json!({"PoolName": "report", "Select": select}),
    };
    if let (Some(p), Some(obj)) = (pool, properties.as_object_mut()) {
        obj.insert("PoolName".into(), json!(p));
    }
    Ok(ReportArgs {
        properties,
        json: as_json,
        html,
    })
}

/// `cidrwatch report`, or with `map` `cidrwatch map --html FILE`: one scan of a selection,
/// printed as a table or JSON, or drawn as a page.
async fn report(args: &[String], map: bool) -> ExitCode {
    let name = if map { "map" } else { "report" };
    let parsed = parse_report_args(args).and_then(|a| {
        match (map, &a.html, a.json) {
            (true, None, _) => {
                return Err("--html FILE is required: where to write the page".into());
            }
            (true, _, true) => return Err("--json is for cidrwatch report".into()),
            (false, Some(_), _) => return Err("--html is for cidrwatch map".into()),
            _ => {}
        }
        let spec = spec::parse(&a.properties).map_err(|e| e.to_string())?;
        Ok((spec, a))
    });
    let (spec, a) = match parsed {
        Ok(ok) => ok,
        Err(reason) => {
            eprintln!("cidrwatch {name}: {reason}");
            return ExitCode::from(2);
        }
    };
    let aws = cli_aws().await;
    let tty = std::io::stderr().is_terminal();
    let progress = move |done: usize, total: usize| {
        if total > 1 {
            let mut err = std::io::stderr();
            let end = if tty && done < total { "\r" } else { "\n" };
            let _ = write!(err, "scanned {done}/{total} account-regions{end}");
            let _ = err.flush();
        }
    };
    // The map draws space, not holders: no need to describe every ENI.
    let report = tick::scan(&aws, &spec, !map, &progress).await;
    if let Some(path) = &a.html {
        let page = crate::map::html(&report, &format!("cidrwatch pool {}", spec.pool_name));
        if let Err(e) = std::fs::write(path, page) {
            eprintln!("cidrwatch map: {path}: {e}");
            return ExitCode::from(1);
        }
        println!(
            "wrote {path}: {} subnets in {} VPCs",
            report.totals.subnet_count,
            report.vpcs.len()
        );
    } else if a.json {
        println!("{:#}", serde_json::to_value(&report).unwrap_or_default());
    } else {
        print!("{}", table(&report));
    }
    if report.scanned > 0 && report.errors.len() == report.scanned {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

const BAR: usize = 20;

fn bar(percent: f64) -> String {
    let filled = ((percent / 100.0) * BAR as f64)
        .round()
        .clamp(0.0, BAR as f64) as usize;
    format!("{}{}", "█".repeat(filled), "░".repeat(BAR - filled))
}

/// The report as a table, fullest subnet first, then totals and errors.
pub fn table(r: &Report) -> String {
    let mut out = format!(
        "{:<26} {:<12} {:<14} {:<22} {:<18} {:>15} {:>8} {:>7}  {}\n",
        "SUBNET", "ACCOUNT", "REGION", "VPC", "CIDR", "USED/USABLE", "FREE", "UTIL", "USAGE"
    );
    for s in &r.subnets {
        out.push_str(&format!(
            "{:<26} {:<12} {:<14} {:<22} {:<18} {:>15} {:>8} {:>6.1}%  {}\n",
            s.subnet_id,
            s.account,
            s.region,
            s.vpc_id,
            s.cidr,
            format!("{}/{}", s.used, s.usable),
            s.free,
            s.utilization,
            bar(s.utilization)
        ));
    }
    for s in &r.ipv6_only {
        out.push_str(&format!(
            "{:<26} {:<12} {:<14} {:<22} {:<18} {:>15}\n",
            s.subnet_id, s.account, s.region, s.vpc_id, "(IPv6-only)", "-"
        ));
    }
    let t = &r.totals;
    out.push_str(&format!(
        "\nTOTAL {}: {} subnets{}, used {}/{} ({:.1}%), free {}, fullest subnet {:.1}%",
        r.pool,
        t.subnet_count,
        if t.ipv6_only_subnets > 0 {
            format!(" (+{} IPv6-only)", t.ipv6_only_subnets)
        } else {
            String::new()
        },
        t.used,
        t.usable,
        t.utilization,
        t.free,
        t.max_subnet_utilization
    ));
    if let Some(a) = t.vpc_allocation {
        out.push_str(&format!(", VPC space allocated {a:.1}%"));
    }
    if let Some(f) = t.free_prefixes {
        out.push_str(&format!(", free /28 blocks {f}"));
    }
    if t.detached_addresses > 0 {
        out.push_str(&format!(", {} held by detached ENIs", t.detached_addresses));
    }
    out.push('\n');
    let held: Vec<String> = r
        .subnets
        .iter()
        .take(HOLDERS_LISTED)
        .filter_map(|s| Some(format!("{:<26} {}\n", s.subnet_id, s.holders_line()?)))
        .collect();
    if !held.is_empty() {
        out.push_str("\nWHO HOLDS THE FULLEST SUBNETS' ADDRESSES\n");
        out.extend(held);
    }
    if !r.azs.is_empty() {
        // Pods only use their node's AZ: each AZ's room, smallest first.
        let mut azs: Vec<_> = r.azs.iter().collect();
        azs.sort_by_key(|a| a.free);
        out.push_str("\nAZ ID       SUBNETS   USED/USABLE      FREE    UTIL\n");
        for a in azs {
            out.push_str(&format!(
                "{:<10} {:>8} {:>13} {:>9} {:>6.1}%\n",
                a.availability_zone_id,
                a.subnet_count,
                format!("{}/{}", a.used, a.usable),
                a.free,
                a.utilization
            ));
        }
    }
    if !r.vpcs.is_empty() {
        out.push_str(&format!(
            "\n{:<22} {:<12} {:<14} {:>7}  {:<34} ROOM FOR NEW SUBNETS\n",
            "VPC", "ACCOUNT", "REGION", "SUBNETS", "UNALLOCATED (LARGEST FIRST)"
        ));
        for v in &r.vpcs {
            let free: Vec<String> = v
                .unallocated
                .iter()
                .take(3)
                .map(|c| c.to_string())
                .collect();
            let more = v.unallocated.len().saturating_sub(3);
            let free = match (free.is_empty(), more) {
                (true, _) => "none".to_string(),
                (false, 0) => free.join(" "),
                (false, n) => format!("{} +{n}", free.join(" ")),
            };
            let room: Vec<String> = ROOM_SIZES
                .iter()
                .map(|n| format!("/{n}:{}", v.room.get(&format!("/{n}")).unwrap_or(&0)))
                .collect();
            out.push_str(&format!(
                "{:<22} {:<12} {:<14} {:>7}  {:<34} {}\n",
                v.vpc_id,
                v.account,
                v.region,
                v.subnet_count,
                free,
                room.join(" ")
            ));
        }
    }
    for e in &r.errors {
        out.push_str(&format!("error: {} {}: {}\n", e.account, e.region, e.error));
    }
    out
}

/// Subnets whose holders the table lists.
const HOLDERS_LISTED: usize = 5;
/// The subnet sizes whose room the table shows (the JSON has every size).
const ROOM_SIZES: [u8; 5] = [16, 20, 24, 26, 28];

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn flags_become_a_selection() {
        let a = parse_report_args(&args(
            "--vpc vpc-0abc1234 --tag team=a --tag team=b --cidr 10.0.0.0/8 --json",
        ))
        .unwrap();
        assert!(a.json);
        assert_eq!(
            a.properties,
            json!({"PoolName": "report", "Select": {"VpcIds": ["vpc-0abc1234"],
                "Cidrs": ["10.0.0.0/8"], "Tags": {"team": ["a", "b"]}}})
        );
    }

    #[test]
    fn bad_flags_say_why() {
        assert_eq!(
            parse_report_args(&args("--vpc")).unwrap_err(),
            "--vpc needs a value"
        );
        assert!(
            parse_report_args(&args("--tag novalue"))
                .unwrap_err()
                .contains("KEY=VALUE")
        );
        assert!(
            parse_report_args(&args("--colour red"))
                .unwrap_err()
                .starts_with("unknown flag --colour")
        );
    }
}
