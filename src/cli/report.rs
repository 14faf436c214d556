//! `cidrwatch report` and `cidrwatch map`: one scan of a selection, printed as a table or JSON,
//! or drawn as a page; progress on a terminal.

use std::io::IsTerminal;
use std::process::ExitCode;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::{Select, cli_aws};
use crate::spec::Depth;
use crate::tick;
use crate::usage::pool::Report;

/// What to make of the scan.
pub enum Output {
    /// The table, or with `json` the report as JSON.
    Table { json: bool },
    /// The page, written to `html`.
    Map { html: String },
}

/// A bar of account-regions scanned, with the failures counted, on a terminal only: nothing
/// on stderr when it is not one, or with `--quiet`. (`--json` goes to stdout, never mixed.)
fn progress_bar(quiet: bool) -> ProgressBar {
    let target = if quiet || !std::io::stderr().is_terminal() {
        ProgressDrawTarget::hidden()
    } else {
        ProgressDrawTarget::stderr()
    };
    let bar = ProgressBar::with_draw_target(None, target);
    if let Ok(style) =
        ProgressStyle::with_template("{bar:30} {pos}/{len} account-regions {msg} {elapsed}")
    {
        bar.set_style(style);
    }
    bar
}

/// One scan of the selection, shown as `output` asks.
pub async fn run(select: &Select, output: Output, quiet: bool) -> ExitCode {
    let name = match output {
        Output::Map { .. } => "map",
        Output::Table { .. } => "report",
    };
    let spec = match select.spec() {
        Ok(spec) => spec,
        Err(reason) => {
            eprintln!("cidrwatch {name}: {reason}");
            return ExitCode::from(2);
        }
    };
    let aws = cli_aws().await;
    let bar = progress_bar(quiet);
    let progress = |done: usize, total: usize, failed: usize| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
        if failed > 0 {
            bar.set_message(format!("({failed} failed)"));
        }
    };
    // Every form says who holds the addresses, the EKS clusters among them.
    let by = tick::scan_by(&spec, None);
    let report = tick::scan(&aws, &spec, Depth::Holders, by, &progress).await;
    bar.finish_and_clear();
    match output {
        Output::Map { html } => {
            let title = format!("cidrwatch pool {}", spec.pool_name);
            let page = crate::map::html(&report, &title, crate::map::Theme::Auto);
            if let Err(e) = std::fs::write(&html, page) {
                eprintln!("cidrwatch map: {html}: {e}");
                return ExitCode::from(1);
            }
            let vpcs = report.vpcs.len();
            println!(
                "wrote {html}: {} subnets in {vpcs} VPC{}",
                report.totals.subnet_count,
                if vpcs == 1 { "" } else { "s" }
            );
        }
        Output::Table { json: true } => {
            println!("{:#}", serde_json::to_value(&report).unwrap_or_default());
        }
        Output::Table { json: false } => print!("{}", table(&report)),
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
    for line in r.cluster_lines() {
        out.push_str(if line.starts_with("EKS CLUSTER") {
            "\n"
        } else {
            ""
        });
        out.push_str(&line);
        out.push('\n');
    }
    let leaked: Vec<String> = r
        .subnets
        .iter()
        .flat_map(|s| s.detached.iter().map(move |d| (s, d)))
        .filter_map(|(s, d)| {
            Some(format!(
                "{:<26} {:<22} {:>3}  aws ec2 delete-network-interface --network-interface-id {} \
                 --region {}\n",
                d.id,
                d.leaked_by.as_deref()?,
                d.addresses,
                d.id,
                s.region
            ))
        })
        .collect();
    if !leaked.is_empty() {
        out.push_str("\nLEFT BY THE VPC CNI: DETACHED aws-K8S- ENIS WHOSE NODE IS GONE\n");
        out.extend(leaked);
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
                .map(|&n| format!("/{n}:{}", v.room.get(n)))
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
    if let Some(p) = &r.plan {
        out.push('\n');
        for line in p.lines(true) {
            out.push_str(&line);
            out.push('\n');
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
