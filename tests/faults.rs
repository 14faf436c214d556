//! Bad luck made harmless, with faults injected by the test front: throttling is retried,
//! an endpoint that stops answering fails the tick with an error naming the call (and the
//! next tick recovers), a denied account and a hung region fail only their own scans, and a
//! Delete while CloudWatch throttles still leaves nothing behind.

mod support;

use std::time::Duration;

use aws_config::SdkConfig;
use aws_config::timeout::TimeoutConfig;
use cidrwatch::app::App;
use serde_json::{Value, json};
use support::estate::{self, OTHER, OWN, ROLE, TAG_KEY, TAG_VALUE};
use support::*;

const NS: &str = "CidrWatch";

/// The tick the schedule of a Create of this monitor delivers (the Create runs fault-free:
/// tests script their faults after it).
async fn tick(app: &App, bed: &Bed, pool: &str, regions: &[&str], accounts: &[&str]) -> Value {
    let mut select = json!({"Tags": {TAG_KEY: TAG_VALUE}, "Regions": regions});
    if !accounts.is_empty() {
        select["Accounts"] = json!(accounts);
        select["RoleName"] = json!(ROLE);
    }
    scheduled_tick(app, bed, json!({"PoolName": pool, "Select": select})).await
}

/// The bed's configuration with a small budget per call, so a hung endpoint costs seconds.
async fn impatient(bed: &Bed) -> SdkConfig {
    bed.sdk()
        .await
        .to_builder()
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(1))
                .operation_attempt_timeout(Duration::from_secs(1))
                .operation_timeout(Duration::from_secs(4))
                .build(),
        )
        .build()
}

#[tokio::test]
async fn throttled_describe_subnets_and_put_metric_data_are_retried() {
    let bed = Bed::start();
    let estate = estate::small(&bed.sdk().await).await;
    let app = bed.app().await;
    let tick = tick(&app, &bed, "throttled", &["us-east-1"], &[]).await;
    bed.faults(json!([
        {"op": "ec2:DescribeSubnets", "status": 503, "code": "RequestLimitExceeded", "times": 2},
        {"op": "monitoring:PutMetricData", "status": 400, "code": "Throttling", "times": 2},
    ]))
    .await;
    bed.reset_counts().await;
    app.handle(tick, &invocation(120))
        .await
        .expect("the tick completes");
    let counts = bed.counts().await;
    assert_eq!(
        counts["ec2:DescribeSubnets"], 3,
        "two throttled tries, then the answer"
    );
    assert_eq!(counts["monitoring:PutMetricData"], 3);
    let want = estate.expected(&[OWN], &["us-east-1"]);
    let pool = [("Pool", "throttled")];
    assert_eq!(
        bed.metric(NS, "UsedAddresses", &pool).await,
        Some(want.used as f64)
    );
    assert_eq!(bed.metric(NS, "ScanErrors", &pool).await, Some(0.0));
}

#[tokio::test]
async fn an_endpoint_that_stops_answering_fails_the_tick_by_name_and_the_next_recovers() {
    let bed = Bed::start();
    let estate = estate::small(&bed.sdk().await).await;
    let app = bed.app_on(&impatient(&bed).await).await;
    let tick = tick(&app, &bed, "hung", &["us-east-1"], &[]).await;
    bed.faults(json!([{"op": "monitoring:PutMetricData", "hang": 6, "status": 500}]))
        .await;
    let err = app
        .handle(tick.clone(), &invocation(120))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("cloudwatch:PutMetricData failed: "),
        "{err}"
    );
    assert!(
        err.to_lowercase().contains("timeout"),
        "says it timed out: {err}"
    );

    bed.faults(json!([])).await;
    bed.reset_counts().await;
    app.handle(tick, &invocation(120))
        .await
        .expect("the next tick recovers");
    assert_eq!(bed.counts().await["monitoring:PutMetricData"], 1);
    let want = estate.expected(&[OWN], &["us-east-1"]);
    assert_eq!(
        bed.metric(NS, "UsedAddresses", &[("Pool", "hung")]).await,
        Some(want.used as f64)
    );
}

#[tokio::test]
async fn a_denied_account_and_a_hung_region_fail_only_their_own_scans() {
    let bed = Bed::start();
    let sdk = bed.sdk().await;
    let estate = estate::build(&sdk, &estate::assumed(&sdk, OTHER).await).await;
    let app = bed.app_on(&impatient(&bed).await).await;
    let regions = ["us-east-1", "eu-west-1"];
    let tick = tick(&app, &bed, "partial", &regions, &[OWN, OTHER]).await;
    bed.faults(json!([
        {"op": "sts:AssumeRole", "contains": OTHER, "status": 403, "code": "AccessDenied"},
        {"op": "ec2:DescribeSubnets", "region": "eu-west-1", "hang": 6, "status": 500},
    ]))
    .await;
    // A process that has not assumed the role since: a warm one keeps using the credentials
    // it holds, which outlive a role's removal until they expire, as AWS's do.
    let app = bed.app_on(&impatient(&bed).await).await;
    let report = app
        .handle(tick, &invocation(120))
        .await
        .expect("the tick completes");
    let pool = [("Pool", "partial")];
    assert_eq!(
        bed.metric(NS, "ScanErrors", &pool).await,
        Some(3.0),
        "OTHER twice, eu-west-1 once"
    );
    // The pool figures are withheld (a partial sum would fire alarms falsely); the report
    // still shows what the reachable account-region holds.
    assert_eq!(
        bed.samples(NS, "UsedAddresses", &pool).await,
        1,
        "the Create's whole scan only"
    );
    let want = estate.expected(&[OWN], &["us-east-1"]);
    assert_eq!(report["totals"]["used"], want.used);
    assert_eq!(report["totals"]["subnet_count"], want.subnet_count);
    let errors: Vec<(String, String, String)> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["account"].as_str().unwrap().into(),
                e["region"].as_str().unwrap().into(),
                e["error"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(errors.len(), 3);
    assert!(
        errors.iter().any(|(a, r, e)| a == OWN
            && r == "eu-west-1"
            && e.starts_with("ec2:DescribeSubnets failed")),
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .filter(|(a, _, e)| a == OTHER && e.contains("AccessDenied"))
            .count()
            == 2,
        "{errors:?}"
    );
}

#[tokio::test]
async fn a_delete_while_cloudwatch_throttles_still_leaves_nothing() {
    let Stack { bed, app, cfn } = Stack::start().await;
    let mut props = create_properties();
    props["Dashboard"] = json!(true);
    let created = send(&app, &cfn, "create", None, Some(props)).await;
    let id = created["PhysicalResourceId"].as_str().unwrap().to_string();
    assert_eq!(bed.alarm_names("").await.len(), 6);
    bed.faults(json!([
        {"op": "monitoring:DescribeAlarms", "status": 400, "code": "Throttling", "times": 2},
        {"op": "monitoring:DeleteAlarms", "status": 400, "code": "Throttling", "times": 2},
        {"op": "monitoring:DeleteDashboards", "status": 400, "code": "Throttling", "times": 1},
    ]))
    .await;
    bed.reset_counts().await;
    let body = send(&app, &cfn, "delete", Some(&id), None).await;
    assert_eq!(body["Status"], "SUCCESS", "{body}");
    assert_eq!(
        bed.counts().await["monitoring:DeleteAlarms"],
        3,
        "throttled twice, then done"
    );
    bed.faults(json!([])).await;
    assert!(bed.alarm_names("").await.is_empty());
    assert!(bed.schedules().await.is_empty());
    let cw = aws_sdk_cloudwatch::Client::new(&bed.sdk().await);
    assert!(
        cw.get_dashboard().dashboard_name(&id).send().await.is_err(),
        "the dashboard is gone"
    );
}
