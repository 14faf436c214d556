//! The dashboard: its body against a reviewed snapshot, and its life in moto alongside the
//! monitor (exists after Create, changes on Update, gone after Delete).

mod support;

use cidrwatch::{plan, spec};
use serde_json::{Value, json};
use support::*;

const SNAPSHOT: &str = "tests/snapshots/dashboard.json";

fn full_spec() -> spec::MonitorSpec {
    spec::parse(
        &json!({"PoolName": "eks-prod", "Namespace": "Net/Ips", "Schedule": "rate(10 minutes)",
        "Thresholds": {"WarningPercent": 75, "CriticalPercent": 85, "SubnetCriticalPercent": 95,
                       "MinFreeAddresses": 256, "MinFreePrefixes": 8},
        "SubnetMetrics": true, "Dashboard": true, "Supernets": ["10.0.0.0/12"]}),
    )
    .unwrap()
}

/// Compares with the committed snapshot; `UPDATE_SNAPSHOTS=1` rewrites it for review.
#[test]
fn the_dashboard_body_matches_its_snapshot() {
    let arns = vec![
        "arn:aws:cloudwatch:us-east-1:123456789012:alarm:cidrwatch-eks-prod-00000000-warning"
            .to_string(),
    ];
    let d = plan::dashboard(
        "cidrwatch-eks-prod-00000000",
        &full_spec(),
        "us-east-1",
        &arns,
        FUNCTION_ARN,
    )
    .unwrap();
    let body: Value = serde_json::from_str(&d.body).unwrap();
    let pretty = serde_json::to_string_pretty(&body).unwrap() + "\n";
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(SNAPSHOT);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, &pretty).unwrap();
    }
    let committed = std::fs::read_to_string(&path)
        .expect("snapshot: run with UPDATE_SNAPSHOTS=1 and review it");
    assert_eq!(
        pretty, committed,
        "the dashboard changed: review, then UPDATE_SNAPSHOTS=1"
    );
    assert_eq!(d.name, "cidrwatch-eks-prod-00000000");
    let off = spec::parse(&json!({"PoolName": "p"})).unwrap();
    assert_eq!(
        plan::dashboard("x", &off, "us-east-1", &arns, FUNCTION_ARN),
        None,
        "Dashboard defaults to off"
    );
}

async fn dashboard_body(bed: &Bed, name: &str) -> Option<Value> {
    let cw = aws_sdk_cloudwatch::Client::new(&bed.sdk().await);
    match cw.get_dashboard().dashboard_name(name).send().await {
        Ok(out) => Some(serde_json::from_str(out.dashboard_body().unwrap()).unwrap()),
        Err(_) => None,
    }
}

fn annotations(body: &Value) -> Vec<(String, f64)> {
    body["widgets"][0]["properties"]["annotations"]["horizontal"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["label"].as_str().unwrap().to_string(),
                a["value"].as_f64().unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn the_dashboard_lives_and_dies_with_the_monitor() {
    let Stack { bed, app, cfn } = Stack::start().await;
    let mut props = create_properties();
    props["Dashboard"] = json!("true");
    let created = send(&app, &cfn, "create", None, Some(props.clone())).await;
    let id = created["PhysicalResourceId"].as_str().unwrap().to_string();
    assert_eq!(created["Data"]["DashboardName"], id.as_str());

    let body = dashboard_body(&bed, &id)
        .await
        .expect("a dashboard after Create");
    assert_eq!(
        annotations(&body),
        [
            ("warning".into(), 80.0),
            ("critical".into(), 90.0),
            ("subnet-critical".into(), 95.0)
        ]
    );
    let alarm_widget = body["widgets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["type"] == "alarm")
        .unwrap();
    let mut shown: Vec<String> = alarm_widget["properties"]["alarms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_string())
        .collect();
    shown.sort();
    let mut arns: Vec<String> = bed
        .alarms("")
        .await
        .iter()
        .map(|a| a.alarm_arn().unwrap().to_string())
        .collect();
    arns.sort();
    assert_eq!(shown, arns, "the alarm widget shows the monitor's alarms");

    props["Thresholds"]["CriticalPercent"] = json!("85");
    let updated = send(&app, &cfn, "update", Some(&id), Some(props.clone())).await;
    assert_eq!(updated["Status"], "SUCCESS", "{updated}");
    let body = dashboard_body(&bed, &id).await.expect("still there");
    assert_eq!(
        annotations(&body)[1],
        ("critical".into(), 85.0),
        "the critical line moved"
    );

    props["Dashboard"] = json!(false);
    send(&app, &cfn, "update", Some(&id), Some(props.clone())).await;
    assert_eq!(dashboard_body(&bed, &id).await, None, "turned off: gone");
    props["Dashboard"] = json!(true);
    send(&app, &cfn, "update", Some(&id), Some(props)).await;
    assert!(dashboard_body(&bed, &id).await.is_some(), "turned on again");

    let deleted = send(&app, &cfn, "delete", Some(&id), None).await;
    assert_eq!(deleted["Status"], "SUCCESS", "{deleted}");
    assert_eq!(dashboard_body(&bed, &id).await, None, "gone after Delete");
}
