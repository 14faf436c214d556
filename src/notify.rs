//! One notification from an alarm's facts and a fresh usage report (pure).
//!
//! It is an SNS `MessageStructure: json` message, so each kind of subscriber gets its own form:
//! plain text for email and SMS, the Amazon Q Developer in chat applications custom
//! notification for `https`/`http` endpoints (Slack and Teams render it), and the report as
//! JSON for `sqs` and `lambda`. Message attributes `pool`, `severity` and `state` let
//! subscription filter policies pick what they want.

use serde_json::json;

use crate::event::Alarm;
use crate::plan::{AlarmKind, MONITOR_ALARM_PERIODS};
use crate::spec::MonitorSpec;
use crate::usage::fix;
use crate::usage::pool::Report;

/// SNS's limit on a whole message (256 KiB), with room for the envelope and attributes.
pub const MESSAGE_BYTES_MAX: usize = 250_000;
/// Subscribers' forms share that; each JSON report copy starts under this, and the budget
/// halves until the whole message fits.
const REPORT_BYTES_MAX: usize = 80_000;
/// Subnets listed in texts.
const FULLEST: usize = 10;
/// Full subnets whose next move a threshold message names.
const MOVES: usize = 3;
/// Scan errors listed in texts; the rest are counted.
const ERRORS_LISTED: usize = 10;
/// SNS subjects: ASCII, fewer than 100 characters.
const SUBJECT_MAX: usize = 99;

/// A message ready to publish.
#[derive(Clone, Debug, PartialEq)]
pub struct Message {
    /// Email subject: at most 100 characters.
    pub subject: String,
    /// The `MessageStructure: json` body.
    pub structure: String,
    pub attributes: Vec<(String, String)>,
}

pub fn severity(kind: AlarmKind) -> &'static str {
    kind.severity().as_str()
}

/// A subject SNS accepts: ASCII without control characters, fewer than 100 characters.
fn subject(title: &str) -> String {
    title
        .chars()
        .map(|c| {
            if c.is_ascii() && !c.is_ascii_control() {
                c
            } else {
                '?'
            }
        })
        .take(SUBJECT_MAX)
        .collect()
}

/// The first scan errors, one line each, and how many more there were.
fn error_lines(report: &Report) -> Vec<String> {
    let mut lines: Vec<String> = report
        .errors
        .iter()
        .take(ERRORS_LISTED)
        .map(|e| e.line())
        .collect();
    let more = report.errors.len().saturating_sub(ERRORS_LISTED);
    if more > 0 {
        lines.push(format!("… and {more} more"));
    }
    lines
}

fn console(region: &str, fragment: &str) -> String {
    format!("https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}#{fragment}")
}

/// The one line that says what this alarm is about, with the numbers that matter for it.
fn headline(kind: AlarmKind, spec: &MonitorSpec, report: &Report) -> String {
    let t = &report.totals;
    let th = &spec.thresholds;
    match kind {
        AlarmKind::Warning | AlarmKind::Critical => {
            let limit = if kind == AlarmKind::Warning {
                th.warning_percent
            } else {
                th.critical_percent
            };
            format!(
                "Utilization {:.1}% ({} at {limit}%): {} of {} usable addresses free",
                t.utilization,
                kind.suffix(),
                t.free,
                t.usable
            )
        }
        AlarmKind::SubnetCritical => format!(
            "Fullest subnet {:.1}% (subnet-critical at {}%); pool utilization {:.1}%, {} free",
            t.max_subnet_utilization, th.subnet_critical_percent, t.utilization, t.free
        ),
        AlarmKind::FreeAddresses => format!(
            "{} free addresses (alarm below {}); utilization {:.1}%",
            t.free,
            th.min_free_addresses.unwrap_or_default(),
            t.utilization
        ),
        AlarmKind::AzFreeAddresses => {
            let smallest = report
                .azs
                .iter()
                .min_by_key(|a| a.free)
                .map_or_else(String::new, |a| format!(" ({})", a.availability_zone_id));
            format!(
                "{} free addresses in the smallest Availability Zone{smallest} (alarm below {}); \
                 {} free in the pool",
                t.min_az_free.unwrap_or_default(),
                th.min_free_addresses_per_az.unwrap_or_default(),
                t.free
            )
        }
        AlarmKind::FreePrefixes => format!(
            "{} free /28 blocks (alarm below {}); {} free addresses",
            t.free_prefixes.unwrap_or_default(),
            th.min_free_prefixes.unwrap_or_default(),
            t.free
        ),
        AlarmKind::Supernet | AlarmKind::Overlaps => plan_headline(kind, spec, report),
        AlarmKind::Stale => format!(
            "No usage published for {MONITOR_ALARM_PERIODS} schedule periods: the monitor itself \
             is not running (check the provider function's log). A scan now finds utilization \
             {:.1}%, {} free",
            t.utilization, t.free
        ),
        AlarmKind::ScanErrors if report.errors.is_empty() => format!(
            "The last {MONITOR_ALARM_PERIODS} ticks could not scan every account-region; a \
             scan now reaches all {} (utilization {:.1}%, {} free)",
            report.scanned, t.utilization, t.free
        ),
        AlarmKind::ScanErrors => format!(
            "{} of {} account-regions cannot be scanned ({MONITOR_ALARM_PERIODS} ticks running): \
             pool figures are withheld, so the threshold alarms keep their last state until every \
             one answers",
            report.errors.len(),
            report.scanned
        ),
    }
}

/// The address plan's alarms: the supernets' fill with the largest free blocks, or the VPCs
/// in connected overlaps with the first pair.
fn plan_headline(kind: AlarmKind, spec: &MonitorSpec, report: &Report) -> String {
    let Some(p) = &report.plan else {
        return "The scan read no address plan (no Supernets)".to_string();
    };
    if kind == AlarmKind::Overlaps {
        let first = p
            .overlaps
            .iter()
            .find(|o| o.connected)
            .map_or_else(String::new, |o| {
                format!(": first {} × {}", o.a.label(), o.b.label())
            });
        return format!(
            "{} VPC{} in connected overlapping pairs (alarm above 0){first}",
            p.overlapping_vpcs,
            if p.overlapping_vpcs == 1 { "" } else { "s" }
        );
    }
    let mut largest: Vec<crate::usage::Ipv4Cidr> = p
        .supernets
        .iter()
        .flat_map(|s| s.free_blocks.clone())
        .collect();
    largest.sort_by_key(|b| (b.prefix(), b.base()));
    let largest: Vec<String> = largest.iter().take(3).map(ToString::to_string).collect();
    format!(
        "Supernets {:.1}% allocated (supernet at {}%): {} of {} addresses in no VPC; largest \
         free blocks: {}",
        p.allocation,
        spec.thresholds.supernet_percent.unwrap_or_default(),
        p.free,
        p.size,
        if largest.is_empty() {
            "none".to_string()
        } else {
            largest.join(", ")
        }
    )
}

/// The fullest subnets, each with its holders when known.
fn fullest_lines(report: &Report) -> Vec<String> {
    let mut out = Vec::new();
    for s in report.subnets.iter().take(FULLEST) {
        out.push(format!(
            "{:>6.1}%  {}  {}  {} free  {} {} {} {}",
            s.utilization,
            s.subnet_id,
            s.cidr,
            s.free,
            s.availability_zone_id,
            s.account,
            s.region,
            s.vpc_id
        ));
        if let Some(h) = s.holders_line() {
            out.push(format!("         held by: {h}"));
        }
    }
    out
}

/// The next move for the subnets this alarm is about: the fullest (for the per-AZ alarm,
/// of the smallest AZ: a new subnet must go where the pods are) that are at least
/// `WarningPercent` full, or the single fullest when none is. None for the alarms about the
/// monitor itself.
fn moves(kind: AlarmKind, spec: &MonitorSpec, report: &Report) -> Vec<fix::Move> {
    if !kind.watches_subnets() {
        return Vec::new();
    }
    let smallest = report
        .azs
        .iter()
        .min_by_key(|a| a.free)
        .map(|a| a.availability_zone_id.as_str());
    let here = |s: &&crate::usage::pool::SubnetUsage| {
        kind != AlarmKind::AzFreeAddresses || Some(s.availability_zone_id.as_str()) == smallest
    };
    let warning = spec.thresholds.warning_percent;
    let full = report
        .subnets
        .iter()
        .filter(here)
        .take_while(|s| s.utilization >= warning)
        .count()
        .clamp(1, MOVES);
    fix::moves(report, report.subnets.iter().filter(here), full)
}

/// Composes the notification. `scan` is the fresh report, or why there is none. It always
/// fits SNS: the JSON report shrinks until the whole message is within [`MESSAGE_BYTES_MAX`].
pub fn compose(
    facts: &Alarm,
    kind: AlarmKind,
    spec: &MonitorSpec,
    scan: Result<&Report, &str>,
    dashboard: Option<&str>,
) -> Message {
    // Once, whatever the budget: the text and the machine form both carry them.
    let next = match scan {
        Ok(report) if facts.state != "OK" => moves(kind, spec, report),
        _ => Vec::new(),
    };
    let mut budget = REPORT_BYTES_MAX;
    loop {
        let m = compose_within(facts, kind, spec, scan, &next, dashboard, budget);
        if m.structure.len() + m.subject.len() <= MESSAGE_BYTES_MAX || budget < 1_000 {
            return m;
        }
        budget /= 2;
    }
}

fn compose_within(
    facts: &Alarm,
    kind: AlarmKind,
    spec: &MonitorSpec,
    scan: Result<&Report, &str>,
    next: &[fix::Move],
    dashboard: Option<&str>,
    budget: usize,
) -> Message {
    let pool = &spec.pool_name;
    let recovered = facts.state == "OK";
    let region = if facts.region.is_empty() {
        "us-east-1"
    } else {
        facts.region.as_str()
    };
    let alarm_url = console(region, &format!("alarmsV2:alarm/{}", facts.alarm_name));
    let dashboard_url = dashboard.map(|d| console(region, &format!("dashboards/dashboard/{d}")));
    let title = if recovered {
        format!("OK: cidrwatch pool {pool} {} recovered", kind.suffix())
    } else {
        format!("{}: cidrwatch pool {pool} {}", facts.state, kind.suffix())
    };

    let mut text = vec![title.clone(), String::new()];
    let mut markdown = Vec::new();
    match scan {
        Ok(report) if recovered => {
            let t = &report.totals;
            let line = format!(
                "Now: utilization {:.1}%, fullest subnet {:.1}%, {} free addresses",
                t.utilization, t.max_subnet_utilization, t.free
            );
            text.push(line.clone());
            markdown.push(line);
        }
        Ok(report) => {
            let line = headline(kind, spec, report);
            text.push(format!("{line}."));
            markdown.push(format!("*{line}*"));
            let t = &report.totals;
            if let Some(f) = t.free_prefixes {
                text.push(format!("Free /28 blocks: {f}."));
            }
            if let Some(d) = t.days_to_exhaustion {
                let l =
                    format!("At the last week's growth, free addresses run out in {d:.1} days.");
                text.push(l.clone());
                markdown.push(l);
            }
            if !report.errors.is_empty() {
                let lines = error_lines(report);
                text.push(String::new());
                text.push(format!(
                    "Could not be scanned ({} account-regions; their subnets are missing below):",
                    report.errors.len()
                ));
                text.extend(lines.iter().map(|l| format!("  {l}")));
                markdown.push(format!(
                    "Could not be scanned:\n```\n{}\n```",
                    lines.join("\n")
                ));
            }
            if let Some(p) = report.plan.as_ref().filter(|_| kind.watches_plan()) {
                let lines = p.lines(false);
                text.push(String::new());
                text.extend(lines.iter().cloned());
                markdown.push(format!("```\n{}\n```", lines.join("\n")));
            }
            let lines = fullest_lines(report);
            text.push(String::new());
            text.push("Fullest subnets:".to_string());
            text.extend(lines.iter().map(|l| format!("  {l}")));
            markdown.push("Fullest subnets:".to_string());
            markdown.push(format!("```\n{}\n```", lines.join("\n")));
            let lines = report.cluster_lines();
            if !lines.is_empty() {
                text.push(String::new());
                text.extend(lines.iter().map(|l| format!("  {l}")));
                markdown.push(format!("```\n{}\n```", lines.join("\n")));
            }
            let lines: Vec<String> = next.iter().flat_map(fix::lines).collect();
            if !lines.is_empty() {
                text.push(String::new());
                text.push("Next moves:".to_string());
                text.extend(lines.iter().map(|l| format!("  {l}")));
                markdown.push("Next moves:".to_string());
                markdown.push(format!("```\n{}\n```", lines.join("\n")));
            }
        }
        Err(why) => {
            let line = format!(
                "A fresh scan failed ({why}); CloudWatch says: {}",
                facts.reason
            );
            text.push(line.clone());
            markdown.push(line);
        }
    }
    text.push(String::new());
    if let Some(url) = &dashboard_url {
        text.push(format!("Dashboard: {url}"));
    }
    text.push(format!("Alarm: {alarm_url}"));
    if !recovered && scan.is_ok() {
        text.push(format!("Reason: {}", facts.reason));
    }
    let text = text.join("\n");

    let mut next_steps = Vec::new();
    if !recovered {
        next_steps.push(kind.meaning().action.to_string());
    }
    if let Some(url) = &dashboard_url {
        next_steps.push(format!("Dashboard: {url}"));
    }
    next_steps.push(format!("Alarm: {alarm_url}"));
    let q = json!({
        "version": "1.0",
        "source": "custom",
        "id": format!("{}:{}", facts.alarm_name, facts.time),
        "content": {
            "textType": "client-markdown",
            "title": format!("{} {title}", if recovered { "✅" } else { "🚨" }),
            "description": markdown.join("\n"),
            "nextSteps": next_steps,
            "keywords": [pool, kind.suffix(), facts.state],
        },
        "metadata": {
            "threadId": facts.alarm_name,
            "summary": title,
            "eventType": "cidrwatch:alarm",
            "relatedResources": [facts.alarm_arn],
            "additionalContext": {"pool": pool, "severity": severity(kind), "state": facts.state},
        },
    });
    let error = scan
        .err()
        .map(|e| e.chars().take(2_000).collect::<String>());
    let machine = json!({
        "cidrwatch": "notification",
        "v": 1,
        "pool": pool,
        "severity": severity(kind),
        "alarm": facts,
        "report": scan.ok().map(|r| {
            let (mut v, omitted) = r.bounded_json(budget);
            omitted.write(&mut v);
            v
        }),
        "next_moves": next.iter().map(fix::Move::json).collect::<Vec<_>>(),
        "error": error,
    });
    let q = q.to_string();
    let machine = machine.to_string();
    let sms: String = title.chars().take(140).collect();
    let structure = json!({
        "default": text, "email": text, "sms": sms,
        "https": q, "http": q,
        "sqs": machine, "lambda": machine,
    });
    Message {
        subject: subject(&title),
        structure: structure.to_string(),
        attributes: vec![
            ("pool".to_string(), pool.clone()),
            ("severity".to_string(), severity(kind).to_string()),
            ("state".to_string(), facts.state.clone()),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec;
    use serde_json::Value;

    fn facts(state: &str) -> Alarm {
        Alarm {
            alarm_name: "cidrwatch-p-12345678-critical".into(),
            alarm_arn:
                "arn:aws:cloudwatch:us-east-1:111111111111:alarm:cidrwatch-p-12345678-critical"
                    .into(),
            state: state.into(),
            previous_state: "OK".into(),
            reason: "Threshold Crossed".into(),
            time: "2026-11-24T12:00:00Z".into(),
            region: "us-east-1".into(),
            account: "111111111111".into(),
        }
    }

    #[test]
    fn a_huge_pool_still_fits_sns() {
        let spec = spec::parse(&json!({"PoolName": "p"})).unwrap();
        let r = crate::usage::report_of(5000);
        let m = compose(
            &facts("ALARM"),
            AlarmKind::Critical,
            &spec,
            Ok(&r),
            Some("d"),
        );
        assert!(m.structure.len() < 256 * 1024, "{}", m.structure.len());
        let s: Value = serde_json::from_str(&m.structure).unwrap();
        let sqs: Value = serde_json::from_str(s["sqs"].as_str().unwrap()).unwrap();
        assert!(sqs["report"]["subnets_omitted"].as_u64().unwrap() > 0);
        assert_eq!(
            sqs["report"]["subnets"][0],
            serde_json::to_value(&r.subnets[0]).unwrap(),
            "the fullest stay"
        );
    }

    #[test]
    fn a_failed_scan_still_says_what_the_alarm_said() {
        let spec = spec::parse(&json!({"PoolName": "p"})).unwrap();
        let m = compose(
            &facts("ALARM"),
            AlarmKind::Critical,
            &spec,
            Err("AccessDenied"),
            None,
        );
        let s: Value = serde_json::from_str(&m.structure).unwrap();
        let text = s["default"].as_str().unwrap();
        assert!(
            text.contains("A fresh scan failed (AccessDenied); CloudWatch says: Threshold Crossed"),
            "{text}"
        );
        assert_eq!(m.attributes[1], ("severity".into(), "critical".into()));
    }
}
