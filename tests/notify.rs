//! Detailed notifications and DaysToExhaustion against moto: an alarm event for a monitor over
//! a known estate reaches an SQS queue and a loopback HTTP endpoint subscribed to its topic,
//! with numbers equal to the estate's; a fed UsedAddresses history gives the trend the test
//! computes.

mod support;

use std::collections::BTreeMap;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types::{Dimension, MetricDatum};
use serde_json::{Value, json};
use support::estate::{self, OWN, TAG_KEY, TAG_VALUE};
use support::*;

const NS: &str = "CidrWatch";

/// (subnet id, utilization) of the estate's selected subnets, fullest first (ties: fewer free
/// addresses first, then id), as the test computes them.
fn fullest(e: &estate::Estate) -> Vec<(String, f64)> {
    let mut v: Vec<(String, f64, u64)> = e
        .selected(&[OWN], &["us-east-1"])
        .iter()
        .map(|s| {
            let usable = (1u64 << (32 - u32::from(s.cidr.unwrap().1))) - 5;
            let used = s.eni_ips.len() as u64;
            (
                s.subnet_id.clone(),
                used as f64 * 100.0 / usable as f64,
                usable - used,
            )
        })
        .collect();
    v.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.2.cmp(&b.2)).then(a.0.cmp(&b.0)));
    v.into_iter().map(|(id, u, _)| (id, u)).collect()
}

async fn create_monitor(app: &cidrwatch::app::App, cfn: &Loopback, topic: &str) -> String {
    let props = json!({"PoolName": "eks-prod", "Select": {"Tags": {TAG_KEY: TAG_VALUE}},
        "Notify": "detailed", "AlarmTopicArns": [topic], "Dashboard": true});
    let body = send(app, cfn, "create", None, Some(props)).await;
    assert_eq!(body["Status"], "SUCCESS", "{body}");
    body["PhysicalResourceId"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn an_alarm_reaches_sqs_and_a_chat_endpoint_with_the_estates_numbers() {
    let Stack { bed, app, cfn } = Stack::start().await;
    let estate = estate::small(&bed.sdk().await).await;
    let subs = subscribe(&bed).await;
    let id = create_monitor(&app, &cfn, &subs.topic).await;

    let result = app
        .handle(alarm_event(&id, "critical", "ALARM"), &invocation(60))
        .await
        .expect("notified");
    assert_eq!(result["published"], json!([subs.topic]));

    let want = estate.expected(&[OWN], &["us-east-1"]);
    let order = fullest(&estate);

    // SQS: the report JSON inside SNS's envelope, with the filterable attributes.
    let messages = queued(&bed, &subs.queue_url).await;
    assert_eq!(messages.len(), 1);
    let envelope = &messages[0];
    assert_eq!(envelope["MessageAttributes"]["pool"]["Value"], "eks-prod");
    assert_eq!(
        envelope["MessageAttributes"]["severity"]["Value"],
        "critical"
    );
    assert_eq!(envelope["MessageAttributes"]["state"]["Value"], "ALARM");
    let payload: Value = serde_json::from_str(envelope["Message"].as_str().unwrap()).unwrap();
    assert_eq!(payload["pool"], "eks-prod");
    assert_eq!(payload["alarm"]["alarm_name"], format!("{id}-critical"));
    let totals = &payload["report"]["totals"];
    assert_eq!(totals["used"], want.used);
    assert_eq!(totals["free"], want.free);
    assert_eq!(totals["usable"], want.usable);
    assert_eq!(totals["subnet_count"], want.subnet_count);
    let listed: Vec<&str> = payload["report"]["subnets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["subnet_id"].as_str().unwrap())
        .collect();
    let expected_order: Vec<&str> = order.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(listed, expected_order, "fullest first");

    // HTTP: the Amazon Q custom notification, naming the numbers and the fullest subnets in order.
    let posts = subs.http.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(posts.len(), 1);
    let q: Value = serde_json::from_str(posts[0].json()["Message"].as_str().unwrap()).unwrap();
    assert_eq!(q["version"], "1.0");
    assert_eq!(q["source"], "custom");
    assert_eq!(
        q["content"]["title"],
        "🚨 ALARM: cidrwatch pool eks-prod critical"
    );
    let description = q["content"]["description"].as_str().unwrap();
    assert!(
        description.contains(&format!(
            "{} of {} usable addresses free",
            want.free, want.usable
        )),
        "{description}"
    );
    let utilization = format!("Utilization {:.1}% (critical at 90%)", want.utilization);
    assert!(description.contains(&utilization), "{description}");
    let positions: Vec<usize> = order
        .iter()
        .map(|(id, _)| description.find(id.as_str()).expect("every subnet listed"))
        .collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "fullest first: {description}"
    );
    assert!(
        q["content"]["nextSteps"]
            .to_string()
            .contains(&format!("#dashboards/dashboard/{id}"))
    );
    assert_eq!(
        q["metadata"]["additionalContext"],
        json!({"pool": "eks-prod", "severity": "critical", "state": "ALARM"})
    );
}

#[tokio::test]
async fn recovery_sends_a_short_ok_message() {
    let Stack { bed, app, cfn } = Stack::start().await;
    let _estate = estate::small(&bed.sdk().await).await;
    let subs = subscribe(&bed).await;
    let id = create_monitor(&app, &cfn, &subs.topic).await;
    app.handle(alarm_event(&id, "subnet-critical", "OK"), &invocation(60))
        .await
        .expect("notified");
    let messages = queued(&bed, &subs.queue_url).await;
    assert_eq!(messages[0]["MessageAttributes"]["state"]["Value"], "OK");
    assert_eq!(
        messages[0]["MessageAttributes"]["severity"]["Value"],
        "critical"
    );
    let posts = subs.http.wait_for(1, Duration::from_secs(10)).await;
    let q: Value = serde_json::from_str(posts[0].json()["Message"].as_str().unwrap()).unwrap();
    assert_eq!(
        q["content"]["title"],
        "✅ OK: cidrwatch pool eks-prod subnet-critical recovered"
    );
    assert!(
        q["content"]["description"]
            .as_str()
            .unwrap()
            .starts_with("Now: utilization")
    );
}

#[tokio::test]
async fn a_failed_scan_still_sends_the_alarms_facts() {
    let Stack { bed, app, cfn } = Stack::start().await;
    let subs = subscribe(&bed).await;
    let id = create_monitor(&app, &cfn, &subs.topic).await;
    bed.faults(
        json!([{"op": "ec2:DescribeSubnets", "status": 403, "code": "UnauthorizedOperation"}]),
    )
    .await;
    app.handle(alarm_event(&id, "critical", "ALARM"), &invocation(60))
        .await
        .expect("notified");
    let messages = queued(&bed, &subs.queue_url).await;
    let payload: Value = serde_json::from_str(messages[0]["Message"].as_str().unwrap()).unwrap();
    assert_eq!(payload["report"], Value::Null);
    assert!(
        payload["error"]
            .as_str()
            .unwrap()
            .contains("UnauthorizedOperation"),
        "{payload}"
    );
    assert!(
        payload["alarm"]["reason"]
            .as_str()
            .unwrap()
            .starts_with("Threshold Crossed")
    );
}

/// Feeds `values` as UsedAddresses for `pool`, one an hour ending an hour ago.
async fn feed_history(bed: &Bed, pool: &str, values: &[f64]) -> Vec<(f64, f64)> {
    let cw = aws_sdk_cloudwatch::Client::new(&bed.sdk().await);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    let points: Vec<(f64, f64)> = values
        .iter()
        .enumerate()
        .map(|(i, v)| (now - 3600.0 * (values.len() - i) as f64, *v))
        .collect();
    let data = points
        .iter()
        .map(|(t, v)| {
            MetricDatum::builder()
                .metric_name("UsedAddresses")
                .dimensions(Dimension::builder().name("Pool").value(pool).build())
                .value(*v)
                .timestamp(DateTime::from_secs_f64(*t))
                .build()
        })
        .collect();
    cw.put_metric_data()
        .namespace(NS)
        .set_metric_data(Some(data))
        .send()
        .await
        .unwrap();
    points
}

/// Least squares, written out again here so the test does not lean on cidrwatch's own.
fn slope_per_day(points: &[(f64, f64)]) -> f64 {
    let n = points.len() as f64;
    let mt = points.iter().map(|p| p.0).sum::<f64>() / n;
    let mv = points.iter().map(|p| p.1).sum::<f64>() / n;
    let num: f64 = points.iter().map(|(t, v)| (t - mt) * (v - mv)).sum();
    let den: f64 = points.iter().map(|(t, _)| (t - mt) * (t - mt)).sum();
    num / den * 86_400.0
}

#[tokio::test]
async fn days_to_exhaustion_follows_the_fed_history() {
    let bed = Bed::start();
    let estate = estate::small(&bed.sdk().await).await;
    let app = bed.app().await;
    let want = estate.expected(&[OWN], &["us-east-1"]);
    let used_now = want.used as f64;
    let hours = 6 * 24;
    let seconds = || {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs_f64()
    };
    // Each pool's Create publishes its first scan: today's count, a point of the history its
    // ticks then read.
    let mut ticks = BTreeMap::new();
    for pool in ["grow", "flat", "shrink"] {
        let props = json!({"PoolName": pool, "Select": {"Tags": {TAG_KEY: TAG_VALUE}}});
        ticks.insert(pool, (scheduled_tick(&app, &bed, props).await, seconds()));
    }

    // Growing: 2 addresses an hour up to today's count.
    let history: Vec<f64> = (0..hours)
        .map(|h| used_now - 2.0 * (hours - h) as f64)
        .collect();
    let mut points = feed_history(&bed, "grow", &history).await;
    let (tick, created) = ticks["grow"].clone();
    let report = app.handle(tick, &invocation(60)).await.unwrap();
    points.push((created, used_now));
    points.push((seconds(), used_now));
    let expected = want.free as f64 / slope_per_day(&points);
    assert!(
        (expected - want.free as f64 / 48.0).abs() / expected < 0.01,
        "the fed growth is ~48 a day"
    );
    let published = bed
        .metric(NS, "DaysToExhaustion", &[("Pool", "grow")])
        .await
        .expect("published while growing");
    // Buckets may shift the fed timestamps by up to a period: a per-mille tolerance.
    assert!(
        (published - expected).abs() / expected < 1e-3,
        "{published} vs {expected}"
    );
    assert_eq!(
        report["totals"]["days_to_exhaustion"].as_f64(),
        Some(published)
    );

    for (pool, history) in [
        ("flat", vec![used_now; hours]),
        (
            "shrink",
            (0..hours).map(|h| used_now + (hours - h) as f64).collect(),
        ),
    ] {
        feed_history(&bed, pool, &history).await;
        let report = app
            .handle(ticks[pool].0.clone(), &invocation(60))
            .await
            .unwrap();
        assert_eq!(
            bed.metric(NS, "DaysToExhaustion", &[("Pool", pool)]).await,
            None,
            "{pool}: no datum"
        );
        assert!(
            report["totals"].get("days_to_exhaustion").is_none(),
            "{pool}"
        );
        assert_eq!(
            bed.metric(NS, "Heartbeat", &[("Pool", pool)]).await,
            Some(1.0),
            "{pool}: the tick ran"
        );
    }
}
