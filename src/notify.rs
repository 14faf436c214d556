//! One notification from an alarm's facts and a fresh usage report (pure).
//!
//! It is an SNS `MessageStructure: json` message, so each kind of subscriber gets its own form:
//! plain text for email and SMS, the Amazon Q Developer in chat applications custom
//! notification for `https`/`http` endpoints (Slack and Teams render it), and the report as
//! JSON for `sqs` and `lambda`. Message attributes `pool`, `severity` and `state` let
//! subscription filter policies pick what they want.

use serde_json::{Value, json};

use crate::event::Alarm;
use crate::plan::AlarmKind;
use crate::spec::MonitorSpec;
use crate::usage::pool::Report;

/// Subscribers' forms share SNS's 256 KB; each JSON report copy stays under this.
const REPORT_BYTES_MAX: usize = 90_000;
/// Subnets listed in texts.
const FULLEST: usize = 10;

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
    match kind {
        AlarmKind::Warning | AlarmKind::Stale => "warning",
        _ => "critical",
    }
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
        AlarmKind::FreePrefixes => format!(
            "{} free /28 blocks (alarm below {}); {} free addresses",
            t.free_prefixes.unwrap_or_default(),
            th.min_free_prefixes.unwrap_or_default(),
            t.free
        ),
        AlarmKind::Stale => format!(
            "No usage published for 3 schedule periods: the monitor itself is not running (check \
             the provider function's log). A scan now finds utilization {:.1}%, {} free",
            t.utilization, t.free
        ),
    }
}

fn fullest_lines(report: &Report) -> Vec<String> {
    report
        .subnets
        .iter()
        .take(FULLEST)
        .map(|s| {
            format!(
                "{:>6.1}%  {}  {}  {} free  {} {} {}",
                s.utilization, s.subnet_id, s.cidr, s.free, s.account, s.region, s.vpc_id
            )
        })
        .collect()
}

/// The report as JSON within [`REPORT_BYTES_MAX`]: the emptiest subnets go first when it
/// would not fit, and `subnets_omitted` says how many.
fn bounded_report(report: &Report) -> Value {
    let mut r = report.clone();
    let mut omitted = 0;
    loop {
        let mut v = serde_json::to_value(&r).unwrap_or_default();
        v["subnets_omitted"] = json!(omitted);
        if v.to_string().len() <= REPORT_BYTES_MAX || r.subnets.is_empty() {
            return v;
        }
        let drop = (r.subnets.len() / 4).max(1);
        r.subnets.truncate(r.subnets.len() - drop);
        omitted += drop;
    }
}

/// Composes the notification. `scan` is the fresh report, or why there is none.
pub fn compose(
    facts: &Alarm,
    kind: AlarmKind,
    spec: &MonitorSpec,
    scan: Result<&Report, &str>,
    dashboard: Option<&str>,
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
                text.push(format!(
                    "{} account-regions could not be scanned; their subnets are missing below.",
                    report.errors.len()
                ));
            }
            let lines = fullest_lines(report);
            text.push(String::new());
            text.push("Fullest subnets:".to_string());
            text.extend(lines.iter().map(|l| format!("  {l}")));
            markdown.push("Fullest subnets:".to_string());
            markdown.push(format!("```\n{}\n```", lines.join("\n")));
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
        next_steps.push("Add subnets or a secondary VPC CIDR before the pool runs dry; for EKS, consider prefix delegation or custom networking in 100.64.0.0/10.".to_string());
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
    let machine = json!({
        "cidrwatch": "notification",
        "v": 1,
        "pool": pool,
        "severity": severity(kind),
        "alarm": facts,
        "report": scan.ok().map(bounded_report),
        "error": scan.err(),
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
        subject: title.chars().take(100).collect(),
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
    use crate::usage::{Snapshot, SubnetInfo, pool};

    fn report(n: usize) -> Report {
        let subnets = (0..n)
            .map(|i| SubnetInfo {
                account: "111111111111".into(),
                region: "us-east-1".into(),
                vpc_id: "vpc-1".into(),
                subnet_id: format!("subnet-{i:017x}"),
                availability_zone: "us-east-1a".into(),
                cidr: Some(
                    crate::usage::Ipv4Cidr::new(0x0A00_0000 + (i as u32) * 256, 24).unwrap(),
                ),
                available: (i % 251) as u64,
                occupancy: None,
            })
            .collect();
        pool::compute(
            "p",
            &Snapshot {
                subnets,
                scanned: 1,
                ..Snapshot::default()
            },
        )
    }

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
        let r = report(5000);
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
