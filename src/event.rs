//! Which of the four events a payload is (pure).

use aws_lambda_events::event::sns::SnsEvent;
use serde_json::Value;

use crate::Error;
use crate::cfn::request::{self, Parsed};

/// The tick envelope version this build understands.
pub const TICK_VERSION: u64 = 1;

#[derive(Debug, PartialEq)]
pub enum Event {
    /// One request, or several when SNS batched them.
    CloudFormation(Vec<Parsed>),
    Tick(Tick),
    Alarm(Alarm),
    /// A dashboard's custom widget asking for the map of monitor `monitor` (its `params`).
    Widget(Widget),
    /// The CloudWatch console asking a custom widget's function for its documentation
    /// (`{"describe": true}`), shown when a user adds the widget.
    Describe,
}

/// What a custom widget's call names: the monitor whose map it draws, when its `params` say.
#[derive(Debug, PartialEq)]
pub struct Widget {
    pub monitor: Option<String>,
    /// The console's theme (`widgetContext.theme`: `light` or `dark`), when it says.
    pub theme: Option<String>,
}

/// A schedule tick: `{"cidrwatch":"tick","v":1,"id":…,"monitor":{…spec…}}`.
#[derive(Debug, PartialEq)]
pub struct Tick {
    pub id: Option<String>,
    pub monitor: Value,
}

/// A CloudWatch alarm state change delivered by an alarm's Lambda action: what it says,
/// which is all a notification has when a fresh scan fails.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Alarm {
    pub alarm_name: String,
    pub alarm_arn: String,
    pub state: String,
    pub previous_state: String,
    pub reason: String,
    pub time: String,
    pub region: String,
    pub account: String,
}

pub fn classify(payload: Value) -> Result<Event, Error> {
    if request::looks_like_request(&payload) {
        return cloudformation(payload).map(|p| Event::CloudFormation(vec![p]));
    }
    if payload.get("cidrwatch").and_then(Value::as_str) == Some("tick") {
        return tick(payload);
    }
    if payload.get("source").and_then(Value::as_str) == Some("aws.cloudwatch")
        && payload.get("alarmData").is_some()
    {
        return Ok(Event::Alarm(alarm(&payload)));
    }
    if payload.get("describe").and_then(Value::as_bool) == Some(true) {
        return Ok(Event::Describe);
    }
    if let Some(context) = payload.get("widgetContext").filter(|c| c.is_object()) {
        // CloudWatch passes the widget's params both at the top level and in the context. A
        // call that names no monitor is still the widget's: it is answered with a page that
        // says what to set, not an error (which the function's Errors alarm would count).
        let monitor = context
            .pointer("/params/monitor")
            .or_else(|| payload.get("monitor"))
            .and_then(Value::as_str)
            .map(str::to_string);
        let theme = context
            .get("theme")
            .and_then(Value::as_str)
            .map(str::to_string);
        return Ok(Event::Widget(Widget { monitor, theme }));
    }
    if is_sns(&payload) {
        let sns: SnsEvent = serde_json::from_value(payload)
            .map_err(|e| Error::Event(format!("an SNS notification that does not parse: {e}")))?;
        let parsed = sns
            .records
            .into_iter()
            .map(|r| {
                let message: Value = serde_json::from_str(&r.sns.message).map_err(|_| {
                    Error::Event(format!(
                        "an SNS notification from {} whose message is not JSON",
                        r.sns.topic_arn
                    ))
                })?;
                if !request::looks_like_request(&message) {
                    return Err(Error::Event(format!(
                        "an SNS notification from {} whose message is not a CloudFormation request",
                        r.sns.topic_arn
                    )));
                }
                cloudformation(message)
            })
            .collect::<Result<Vec<_>, _>>()?;
        return Ok(Event::CloudFormation(parsed));
    }
    Err(Error::Event(describe(&payload)))
}

fn cloudformation(v: Value) -> Result<Parsed, Error> {
    request::parse(v).ok_or_else(|| {
        Error::Event(
            "a CloudFormation request without ResponseURL, StackId, RequestId and \
             LogicalResourceId: it cannot be answered"
                .to_string(),
        )
    })
}

fn is_sns(v: &Value) -> bool {
    v.get("Records")
        .and_then(Value::as_array)
        .and_then(|r| r.first())
        .and_then(|r| r.get("EventSource"))
        .and_then(Value::as_str)
        == Some("aws:sns")
}

fn tick(payload: Value) -> Result<Event, Error> {
    let version = payload.get("v").and_then(Value::as_u64);
    if version != Some(TICK_VERSION) {
        return Err(Error::Event(format!(
            "a cidrwatch tick of version {}, this function understands version {TICK_VERSION}",
            payload
                .get("v")
                .map_or("(none)".to_string(), Value::to_string)
        )));
    }
    let monitor = payload
        .get("monitor")
        .filter(|m| m.is_object())
        .cloned()
        .ok_or_else(|| Error::Event("a cidrwatch tick without a monitor".to_string()))?;
    let id = payload
        .get("id")
        .and_then(Value::as_str)
        .map(str::to_string);
    Ok(Event::Tick(Tick { id, monitor }))
}

fn alarm(payload: &Value) -> Alarm {
    let text = |ptr: &str| {
        payload
            .pointer(ptr)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    Alarm {
        alarm_name: text("/alarmData/alarmName"),
        alarm_arn: text("/alarmArn"),
        state: text("/alarmData/state/value"),
        previous_state: text("/alarmData/previousState/value"),
        reason: text("/alarmData/state/reason"),
        time: text("/time"),
        region: text("/region"),
        account: text("/accountId"),
    }
}

/// What an unrecognised payload looks like, briefly, without echoing its values.
fn describe(v: &Value) -> String {
    match v {
        Value::Object(m) if m.is_empty() => "an empty object".to_string(),
        Value::Object(m) => {
            let keys: Vec<&str> = m.keys().take(12).map(String::as_str).collect();
            format!(
                "an object with keys {}{}; expected a CloudFormation request, an SNS \
                 notification carrying one, a cidrwatch tick, a CloudWatch alarm event or a \
                 dashboard custom widget's call",
                keys.join(", "),
                if m.len() > 12 { ", …" } else { "" }
            )
        }
        Value::Array(a) => format!("a list of {} items", a.len()),
        Value::String(_) => "a string".to_string(),
        Value::Number(_) => "a number".to_string(),
        Value::Bool(_) => "a boolean".to_string(),
        Value::Null => "null".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn recognises_ticks_and_alarms() {
        let t =
            classify(json!({"cidrwatch": "tick", "v": 1, "id": "x", "monitor": {"PoolName": "p"}}))
                .unwrap();
        assert!(matches!(t, Event::Tick(Tick { id: Some(_), .. })));
        let err = classify(json!({"cidrwatch": "tick", "v": 2, "monitor": {}})).unwrap_err();
        assert!(err.to_string().contains("version 2"), "{err}");
        let a = classify(json!({"source": "aws.cloudwatch", "alarmArn": "arn:a",
            "alarmData": {"alarmName": "n", "state": {"value": "ALARM"}}}))
        .unwrap();
        let Event::Alarm(a) = a else { panic!("{a:?}") };
        assert_eq!((a.alarm_name.as_str(), a.state.as_str()), ("n", "ALARM"));
    }

    #[test]
    fn a_custom_widget_call_names_its_monitor_and_theme() {
        let call = json!({"widgetContext": {"dashboardName": "d", "theme": "dark",
            "params": {"monitor": "cidrwatch-p-1"}}, "monitor": "cidrwatch-p-1"});
        assert_eq!(
            classify(call).unwrap(),
            Event::Widget(Widget {
                monitor: Some("cidrwatch-p-1".into()),
                theme: Some("dark".into()),
            })
        );
        assert_eq!(
            classify(json!({"widgetContext": {"params": {}}})).unwrap(),
            Event::Widget(Widget {
                monitor: None,
                theme: None
            })
        );
        for describe in [
            json!({"describe": true}),
            json!({"describe": true, "widgetContext": {"params": {}}}),
        ] {
            assert_eq!(classify(describe).unwrap(), Event::Describe);
        }
    }

    #[test]
    fn unrecognised_names_what_it_saw() {
        let err = classify(json!({"hello": 1, "world": 2}))
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("unrecognised event: an object with keys hello, world;"),
            "{err}"
        );
        assert_eq!(
            classify(json!([1, 2])).unwrap_err().to_string(),
            "unrecognised event: a list of 2 items"
        );
    }
}
