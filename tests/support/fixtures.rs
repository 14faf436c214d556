//! The fixture events, the provider preamble most tests start with, and topic subscribers.

use std::time::Duration;

use cidrwatch::app::{App, Invocation};
use serde_json::{Value, json};
use tokio::time::Instant;

use super::FUNCTION_ARN;
use super::bed::{Bed, root};
use super::estate;
use super::loopback::Loopback;

/// A fixture event (`tests/fixtures/NAME`) with its ResponseURL pointed at `response_url`.
pub fn fixture(name: &str, response_url: &str) -> Value {
    let path = root().join("tests/fixtures").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut v: Value = serde_json::from_str(&text).expect("fixture JSON");
    if v.get("ResponseURL").is_some() {
        v["ResponseURL"] = Value::String(response_url.to_string());
    }
    v
}

/// A Create (or Update/Delete with `physical_id`) request with the given properties.
pub fn request(
    kind: &str,
    response_url: &str,
    physical_id: Option<&str>,
    properties: Option<Value>,
) -> Value {
    let mut v = fixture(&format!("{kind}.json"), response_url);
    if let Some(id) = physical_id {
        v["PhysicalResourceId"] = Value::String(id.to_string());
    }
    if let Some(p) = properties {
        v["ResourceProperties"] = p;
    }
    v
}

pub fn invocation(seconds: u64) -> Invocation {
    Invocation {
        function_arn: Some(FUNCTION_ARN.to_string()),
        deadline: Instant::now() + Duration::from_secs(seconds),
    }
}

/// Handles one event on `app` and returns the body CloudFormation received for it.
pub async fn answer(app: &App, event: Value, cfn: &Loopback) -> Value {
    let before = cfn.requests().len();
    app.handle(event, &invocation(60))
        .await
        .expect("handled and answered");
    let all = cfn.requests();
    assert_eq!(all.len(), before + 1, "exactly one answer per request");
    all[before].json()
}

/// What most provider tests start with: a bed, the provider app on it, and a stand-in for
/// CloudFormation's ResponseURL that accepts every answer. Destructure it keeping `bed` bound
/// (`bed: _bed` when unused): dropping the bed stops moto.
pub struct Stack {
    pub bed: Bed,
    pub app: App,
    pub cfn: Loopback,
}

impl Stack {
    pub async fn start() -> Stack {
        let bed = Bed::start();
        let app = bed.app().await;
        let cfn = Loopback::responder(vec![]).await;
        Stack { bed, app, cfn }
    }
}

/// Sends a `kind` request built from its fixture and returns the body CloudFormation received.
pub async fn send(
    app: &App,
    cfn: &Loopback,
    kind: &str,
    physical_id: Option<&str>,
    properties: Option<Value>,
) -> Value {
    answer(
        app,
        request(kind, &cfn.response_url(), physical_id, properties),
        cfn,
    )
    .await
}

/// Sends a Create of `props`, checks CloudFormation was told FAILED with a Reason holding
/// every one of `parts`, and returns the body.
pub async fn refused_create(app: &App, cfn: &Loopback, props: Value, parts: &[&str]) -> Value {
    let body = send(app, cfn, "create", None, Some(props.clone())).await;
    assert_eq!(body["Status"], "FAILED", "{props}: {body}");
    let reason = body["Reason"].as_str().unwrap_or_default();
    for part in parts {
        assert!(
            reason.contains(part),
            "{props}:\n  reason   {reason}\n  expected {part}"
        );
    }
    body
}

/// The tick a monitor of `props` lives on: Creates it as CloudFormation would (its first scan
/// and alarms included), checks SUCCESS, and returns the event its schedule's input carries —
/// what the schedule delivers to every tick. Tests take ticks from here, never build them.
pub async fn scheduled_tick(app: &App, bed: &Bed, props: Value) -> Value {
    let cfn = Loopback::responder(vec![]).await;
    let body = send(app, &cfn, "create", None, Some(props.clone())).await;
    assert_eq!(body["Status"], "SUCCESS", "{props}: {body}");
    let id = body["PhysicalResourceId"].as_str().expect("an id");
    schedule_tick(bed, id).await
}

/// What monitor `id`'s schedule delivers to each tick, read back from the schedule.
pub async fn schedule_tick(bed: &Bed, id: &str) -> Value {
    let schedule = bed.schedule(id).await;
    let input = schedule
        .target()
        .and_then(|t| t.input())
        .expect("schedule input");
    serde_json::from_str(input).expect("the schedule's input is JSON")
}

/// Creates the fixture monitor, checks it succeeded, and returns its PhysicalResourceId.
pub async fn create(app: &App, cfn: &Loopback) -> String {
    let body = send(app, cfn, "create", None, None).await;
    assert_eq!(body["Status"], "SUCCESS", "{body}");
    body["PhysicalResourceId"]
        .as_str()
        .expect("an id")
        .to_string()
}

/// The properties of the Create fixture.
pub fn create_properties() -> Value {
    fixture("create.json", "")["ResourceProperties"].clone()
}

/// A topic with an SQS queue and a loopback HTTP endpoint subscribed, as a team would.
pub struct Subscribers {
    pub topic: String,
    pub queue_url: String,
    pub http: Loopback,
}

pub async fn subscribe(bed: &Bed) -> Subscribers {
    let sdk = bed.sdk().await;
    let sns = aws_sdk_sns::Client::new(&sdk);
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let topic = sns
        .create_topic()
        .name("network-alerts")
        .send()
        .await
        .unwrap()
        .topic_arn()
        .unwrap()
        .to_string();
    let queue_url = sqs
        .create_queue()
        .queue_name("alerts")
        .send()
        .await
        .unwrap()
        .queue_url()
        .unwrap()
        .to_string();
    let queue_arn = format!("arn:aws:sqs:us-east-1:{}:alerts", estate::OWN);
    sns.subscribe()
        .topic_arn(&topic)
        .protocol("sqs")
        .endpoint(queue_arn)
        .send()
        .await
        .unwrap();
    let http = Loopback::responder(vec![]).await;
    let endpoint = format!("http://{}/chat-hook", http.addr);
    sns.subscribe()
        .topic_arn(&topic)
        .protocol("http")
        .endpoint(endpoint)
        .send()
        .await
        .unwrap();
    Subscribers {
        topic,
        queue_url,
        http,
    }
}

/// The SNS envelopes waiting in the queue (at most 10).
pub async fn queued(bed: &Bed, url: &str) -> Vec<Value> {
    let sqs = aws_sdk_sqs::Client::new(&bed.sdk().await);
    let out = sqs
        .receive_message()
        .queue_url(url)
        .max_number_of_messages(10)
        .send()
        .await
        .unwrap();
    out.messages()
        .iter()
        .map(|m| serde_json::from_str(m.body().unwrap()).unwrap())
        .collect()
}

/// A CloudWatch alarm state change for monitor `id`'s `kind` alarm, as its Lambda action
/// delivers it: into `state` from the other of ALARM and OK.
pub fn alarm_event(id: &str, kind: &str, state: &str) -> Value {
    let mut v = fixture("alarm.json", "");
    let name = format!("{id}-{kind}");
    let own = estate::OWN;
    v["alarmData"]["alarmName"] = json!(name);
    v["alarmArn"] = json!(format!("arn:aws:cloudwatch:us-east-1:{own}:alarm:{name}"));
    v["alarmData"]["state"]["value"] = json!(state);
    let previous = if state == "OK" { "ALARM" } else { "OK" };
    v["alarmData"]["previousState"]["value"] = json!(previous);
    v
}
