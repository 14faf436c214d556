//! A monitor's alarm invoked the function (`Notify: detailed`): find the monitor, scan afresh,
//! and publish one notification to each of its topics.

use serde_json::{Value, json};

use crate::Error;
use crate::aws::Aws;
use crate::event::Alarm;
use crate::notify;
use crate::plan::AlarmKind;
use crate::provider::Settings;
use crate::spec;
use crate::tick;

pub async fn run(aws: &Aws, settings: &Settings, alarm: &Alarm) -> Result<Value, Error> {
    let (id, kind) = AlarmKind::monitor_of(&alarm.alarm_name).ok_or_else(|| {
        Error::Event(format!(
            "alarm {:?} is not a cidrwatch monitor's",
            alarm.alarm_name
        ))
    })?;
    // The monitor's spec travels in its schedule's input: the one place that holds it.
    let input = aws
        .schedule_input(&settings.schedule_group, &id)
        .await?
        .ok_or_else(|| {
            Error::Config(format!(
                "monitor {id} has no schedule in group {}: its alarm {} cannot be routed to topics",
                settings.schedule_group, alarm.alarm_name
            ))
        })?;
    let tick: Value = serde_json::from_str(&input)
        .map_err(|e| Error::Event(format!("schedule {id}'s input is not JSON: {e}")))?;
    let spec = spec::parse(&tick["monitor"])?;

    let report = tick::scan(aws, &spec, &|_, _| {}).await;
    let all_failed = report.scanned > 0 && report.errors.len() == report.scanned;
    let why = report
        .errors
        .iter()
        .map(|e| format!("{} {}: {}", e.account, e.region, e.error))
        .collect::<Vec<_>>()
        .join("; ");
    let scan = if all_failed {
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
            message: failures.join("; "),
        });
    }
    tracing::info!(alarm = %alarm.alarm_name, state = %alarm.state, topics = published.len(), "notified");
    Ok(
        json!({"alarm": alarm.alarm_name, "state": alarm.state, "published": published, "failed": failures}),
    )
}
