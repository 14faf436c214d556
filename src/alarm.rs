//! A monitor's alarm invoked the function (`Notify: detailed`): find the monitor, scan afresh,
//! and publish one notification to each of its topics.

use serde_json::{Value, json};

use crate::Error;
use crate::aws::Aws;
use crate::event::Alarm;
use crate::notify;
use crate::plan::AlarmKind;
use crate::provider::Settings;
use crate::spec::Depth;
use crate::tick;

/// What an alarm event asks of the function: a notification, or nothing (said why).
#[derive(Debug, PartialEq)]
pub enum Verdict {
    Notify(String, AlarmKind),
    Ignore(&'static str),
}

/// Pure: whether an alarm event deserves a message. A foreign alarm is not ours to answer
/// (and an error would make Lambda retry it twice); an OK that does not follow an ALARM is no
/// recovery (CloudWatch runs OK actions on INSUFFICIENT_DATA → OK too, e.g. a new alarm's
/// first evaluation).
pub fn verdict(alarm: &Alarm) -> Verdict {
    let Some((id, kind)) = AlarmKind::monitor_of(&alarm.alarm_name) else {
        return Verdict::Ignore("not a cidrwatch monitor's alarm");
    };
    match alarm.state.as_str() {
        "ALARM" => Verdict::Notify(id, kind),
        "OK" if alarm.previous_state == "ALARM" => Verdict::Notify(id, kind),
        "OK" => Verdict::Ignore("OK without a previous ALARM is no recovery"),
        _ => Verdict::Ignore("only ALARM and recoveries from it are notified"),
    }
}

pub async fn run(aws: &Aws, settings: &Settings, alarm: &Alarm) -> Result<Value, Error> {
    let (id, kind) = match verdict(alarm) {
        Verdict::Notify(id, kind) => (id, kind),
        Verdict::Ignore(why) => {
            tracing::info!(alarm = %alarm.alarm_name, state = %alarm.state, previous = %alarm.previous_state, why, "alarm event ignored");
            return Ok(json!({"alarm": alarm.alarm_name, "state": alarm.state, "ignored": why}));
        }
    };
    let spec = tick::monitor_spec(aws, &settings.schedule_group, &id)
        .await?
        .ok_or_else(|| {
            Error::Config(format!(
                "monitor {id} has no schedule in group {}: its alarm {} cannot be routed to topics",
                settings.schedule_group, alarm.alarm_name
            ))
        })?;

    let by = tick::scan_by(&spec, None);
    let report = tick::scan(aws, &spec, Depth::Holders, by, &|_, _, _| {}).await;
    let all_failed = report.scanned > 0 && report.errors.len() == report.scanned;
    let mut why: Vec<String> = report.errors.iter().take(3).map(|e| e.line()).collect();
    if report.errors.len() > 3 {
        why.push(format!("and {} more", report.errors.len() - 3));
    }
    let why = why.join("; ");
    let scan = if all_failed && kind != AlarmKind::ScanErrors {
        Err(why.as_str())
    } else {
        Ok(&report)
    };
    let dashboard = spec.dashboard.then_some(id.as_str());
    let message = notify::compose(alarm, kind, &spec, scan, dashboard);

    let mut published = Vec::new();
    let mut failures = Vec::new();
    for topic in &spec.alarm_topic_arns {
        match aws.publish(topic, &message).await {
            Ok(()) => published.push(topic.clone()),
            Err(e) => {
                tracing::error!(topic, error = %e, "notification not published");
                failures.push(e.to_string());
            }
        }
    }
    if published.is_empty() && !failures.is_empty() {
        return Err(Error::Aws {
            call: "sns:Publish",
            code: None,
            message: failures.join("; "),
        });
    }
    tracing::info!(alarm = %alarm.alarm_name, state = %alarm.state, topics = published.len(), "notified");
    Ok(
        json!({"alarm": alarm.alarm_name, "state": alarm.state, "published": published, "failed": failures}),
    )
}
