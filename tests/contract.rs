//! The CloudFormation contract, from the bodies a loopback ResponseURL captured: exactly one
//! answer per request, well-formed, on success, bad input, panic, a hung AWS endpoint and a
//! flaky response endpoint.

mod support;

use std::time::Duration;

use cidrwatch::app::App;
use cidrwatch::cfn::{self, Coords, Delivery};
use cidrwatch::provider::Settings;
use serde_json::{Value, json};
use support::*;
use tokio::time::Instant;

#[tokio::test]
async fn invalid_properties_fail_naming_the_property_and_call_nothing() {
    let Stack { bed, app, cfn } = Stack::start().await;
    let cases: Vec<(Value, &str)> = vec![
        (json!({}), "PoolName: required"),
        (
            json!({"PoolName": "bad name"}),
            "PoolName: expected a name of 1 to 64",
        ),
        (
            json!({"PoolName": "p", "Thresholds": {"WarningPercent": "eighty"}}),
            r#"Thresholds.WarningPercent: expected a number from 0 to 100, got "eighty""#,
        ),
        (
            json!({"PoolName": "p", "Thresholds": {"WarningPercent": "95"}}),
            "Thresholds.WarningPercent: must be below Thresholds.CriticalPercent (90), got 95",
        ),
        (
            json!({"PoolName": "p", "Treshold": {}}),
            "Treshold: unknown property; did you mean Thresholds?",
        ),
        (
            json!({"PoolName": "p", "Schedule": "cron(0 * * * ? *)"}),
            "Schedule: cron(...) is not accepted",
        ),
        (
            json!({"PoolName": "p", "Schedule": "rate(7 hours)"}),
            "Schedule: expected rate(N minutes)",
        ),
        (
            json!({"PoolName": "p", "Select": {"Cidrs": ["10.0.0.300/8"]}}),
            "Select.Cidrs[0]: expected an IPv4 CIDR",
        ),
        (
            json!({"PoolName": "p", "Select": {"VpcIds": ["vpc-xyz"]}}),
            r#"Select.VpcIds[0]: expected a VPC id like vpc-0abc1234, got "vpc-xyz""#,
        ),
        (
            json!({"PoolName": "p", "Select": {"Accounts": ["12345"]}}),
            "Select.Accounts[0]: expected a 12-digit account id",
        ),
        (
            json!({"PoolName": "p", "AlarmTopicArns": ["not-an-arn"]}),
            "AlarmTopicArns[0]: expected a standard SNS topic ARN",
        ),
        (
            json!({"PoolName": "p", "Notify": "email"}),
            "Notify: expected detailed or native",
        ),
        (
            json!({"PoolName": "p", "SubnetMetrics": "yes"}),
            r#"SubnetMetrics: expected true or false, got "yes""#,
        ),
        (
            json!({"PoolName": "p", "MetricStream": {}}),
            "MetricStream.FirehoseArn: required",
        ),
        (
            json!({"PoolName": "p", "Tags": {"aws:owner": "me"}}),
            "Tags.aws:owner: the aws: and cidrwatch: prefixes are reserved",
        ),
        (
            json!({"PoolName": "p", "Namespace": "AWS/EC2"}),
            "Namespace: expected a CloudWatch namespace",
        ),
    ];
    for (props, expected) in cases {
        let body = refused_create(&app, &cfn, props, &[expected]).await;
        let id = body["PhysicalResourceId"].as_str().unwrap();
        assert!(
            id.starts_with("cidrwatch-"),
            "a FAILED Create still has a deterministic id: {id}"
        );
    }
    // Counted before the read-backs below add their own calls.
    let calls: Vec<String> = bed.counts().await.into_keys().collect();
    assert_eq!(
        calls,
        [
            "scheduler:CreateScheduleGroup",
            "scheduler:GetScheduleGroup"
        ],
        "validation precedes every AWS call (the group's two are the bed's)"
    );
    assert!(bed.alarms("").await.is_empty());
    assert!(bed.schedules().await.is_empty());
}

#[tokio::test]
async fn a_failed_create_answers_the_id_its_rollback_delete_gets() {
    let Stack {
        bed: _bed,
        app,
        cfn,
    } = Stack::start().await;
    let mut bad = create_properties();
    bad["Thresholds"]["WarningPercent"] = json!("eighty");
    let failed = send(&app, &cfn, "create", None, Some(bad)).await;
    let good = send(&app, &cfn, "create", None, None).await;
    assert_eq!(failed["Status"], "FAILED");
    assert_eq!(good["Status"], "SUCCESS");
    assert_eq!(failed["PhysicalResourceId"], good["PhysicalResourceId"]);
}

#[tokio::test]
async fn an_invalid_update_fails_with_the_old_id_and_changes_nothing() {
    let Stack { bed, app, cfn } = Stack::start().await;
    let id = create(&app, &cfn).await;
    let before = bed.alarms("").await;

    let mut props = create_properties();
    props["Schedule"] = json!("cron(0/5 * * * ? *)");
    let body = send(&app, &cfn, "update", Some(&id), Some(props)).await;
    assert_eq!(body["Status"], "FAILED");
    assert_eq!(body["PhysicalResourceId"], id.as_str());
    assert_eq!(bed.alarms("").await, before);
    assert_eq!(
        bed.schedule(&id).await.schedule_expression(),
        Some("rate(10 minutes)")
    );
}

#[tokio::test]
async fn an_sns_wrapped_request_is_answered() {
    let Stack { bed, app, cfn } = Stack::start().await;
    let mut event = fixture("sns.json", "");
    let inner = request("create", &cfn.response_url(), None, None);
    event["Records"][0]["Sns"]["Message"] = Value::String(inner.to_string());
    let body = answer(&app, event, &cfn).await;
    assert_eq!(body["Status"], "SUCCESS", "{body}");
    let id = body["PhysicalResourceId"].as_str().unwrap();
    assert_eq!(bed.alarm_names(&format!("{id}-")).await.len(), 6);
}

#[tokio::test]
async fn strings_and_native_scalars_make_the_same_alarms() {
    let Stack { bed, app, cfn } = Stack::start().await;
    let as_strings = json!({"PoolName": "strings", "Thresholds": {"WarningPercent": "72.5",
        "CriticalPercent": "88", "MinFreeAddresses": "100"}, "SubnetMetrics": "TRUE", "Dashboard": "false"});
    let as_scalars = json!({"PoolName": "scalars", "Thresholds": {"WarningPercent": 72.5,
        "CriticalPercent": 88, "MinFreeAddresses": 100}, "SubnetMetrics": true, "Dashboard": false});
    let mut thresholds = Vec::new();
    for props in [as_strings, as_scalars] {
        let body = send(&app, &cfn, "create", None, Some(props)).await;
        assert_eq!(body["Status"], "SUCCESS", "{body}");
        let id = body["PhysicalResourceId"].as_str().unwrap();
        let alarms = bed.alarms(&format!("{id}-")).await;
        let t: Vec<(String, Option<f64>)> = alarms
            .iter()
            .map(|a| {
                (
                    a.alarm_name().unwrap().trim_start_matches(id).to_string(),
                    a.threshold(),
                )
            })
            .collect();
        thresholds.push(t);
    }
    assert_eq!(thresholds[0], thresholds[1]);
    assert!(
        thresholds[0].contains(&("-warning".to_string(), Some(72.5))),
        "{:?}",
        thresholds[0]
    );
    assert!(thresholds[0].contains(&("-free-addresses".to_string(), Some(100.0))));
}

#[tokio::test]
async fn a_ten_thousand_character_error_still_fits_4096_bytes() {
    let Stack {
        bed: _bed,
        app,
        cfn,
    } = Stack::start().await;
    let bad_ids: Vec<String> = (0..250).map(|i| format!("vpc-bad{i}")).collect();
    let props = json!({"PoolName": "p", "Select": {"VpcIds": bad_ids}});
    let full = cidrwatch::spec::parse(&props).unwrap_err().to_string();
    assert!(
        full.len() > 10_000,
        "the error itself is long: {}",
        full.len()
    );

    let body = send(&app, &cfn, "create", None, Some(props)).await;
    let sent = cfn.only();
    assert!(sent.body.len() <= 4096, "{} bytes", sent.body.len());
    assert_eq!(
        sent.header("content-length"),
        Some(sent.body.len().to_string().as_str())
    );
    assert_eq!(body["Status"], "FAILED");
    let reason = body["Reason"].as_str().unwrap();
    assert!(
        reason.starts_with("Select.VpcIds[0]: expected a VPC id"),
        "{reason}"
    );
    assert!(reason.ends_with("…[truncated]"), "{reason}");
    assert!(
        body["PhysicalResourceId"]
            .as_str()
            .unwrap()
            .starts_with("cidrwatch-p-")
    );
}

#[tokio::test]
async fn a_response_endpoint_failing_twice_then_accepting_gets_the_answer() {
    let bed = Bed::start();
    let app = bed.app().await;
    let cfn = Loopback::responder(vec![500, 503]).await;
    let result = app
        .handle(
            request("create", &cfn.response_url(), None, None),
            &invocation(60),
        )
        .await
        .expect("delivered on the third try");
    let tries = cfn.requests();
    assert_eq!(tries.len(), 3);
    for t in &tries {
        assert_eq!(t.method, "PUT");
        assert_eq!(
            t.target,
            format!("/cfn-response/EksPool?{SECRET_QUERY}"),
            "the presigned URL as given"
        );
        assert_eq!(
            t.header("content-type"),
            Some(""),
            "an empty Content-Type: {:?}",
            t.headers
        );
        assert_eq!(
            t.header("content-length"),
            Some(t.body.len().to_string().as_str())
        );
        assert_eq!(t.body, tries[0].body, "every try sends the same answer");
    }
    assert_eq!(tries[2].json()["Status"], "SUCCESS");
    assert_eq!(result["answered"][0]["HttpStatus"], 200);
    assert_eq!(bed.alarms("").await.len(), 6, "the work ran once");
}

#[tokio::test]
async fn a_4xx_from_the_response_endpoint_is_not_retried_and_is_an_error() {
    let bed = Bed::start();
    let app = bed.app().await;
    // As S3 refuses a presigned PUT whose signature does not match: its body quotes the
    // canonical request, the query string among it.
    let cfn = Loopback::start(|_, req| {
        Reply::Json(
            403,
            Vec::new(),
            json!({ "CanonicalRequest": format!("PUT\n{}", req.target) }),
        )
    })
    .await;
    let err = app
        .handle(
            request("delete", &cfn.response_url(), Some("not-ours"), None),
            &invocation(60),
        )
        .await
        .unwrap_err()
        .to_string();
    assert_eq!(cfn.requests().len(), 1);
    assert!(err.contains("HTTP 403"), "{err}");
    assert!(err.contains("CanonicalRequest"), "S3's text is kept: {err}");
    assert!(
        !err.contains(SECRET_QUERY),
        "the presigned query never appears: {err}"
    );
}

#[tokio::test]
async fn a_hung_aws_endpoint_answers_failed_before_the_deadline() {
    let hung = Loopback::start(|_, _| Reply::Hang).await;
    let sdk = sdk_for(&format!("http://{}", hung.addr)).await;
    let app = App::new(
        &sdk,
        Settings {
            scheduler_role_arn: Some(SCHEDULER_ROLE_ARN.to_string()),
            schedule_group: GROUP.to_string(),
            ..Settings::default()
        },
    )
    .unwrap();
    let cfn = Loopback::responder(vec![]).await;
    let inv = invocation(10);
    app.handle(request("create", &cfn.response_url(), None, None), &inv)
        .await
        .expect("answered");
    let sent = cfn.only();
    assert!(sent.at < inv.deadline, "answered before the deadline");
    let body = sent.json();
    assert_eq!(body["Status"], "FAILED");
    assert!(
        body["Reason"].as_str().unwrap().starts_with("timed out"),
        "{body}"
    );
    assert!(
        !hung.requests().is_empty(),
        "the work did reach the hung endpoint"
    );
}

fn explode(n: u32) -> Result<cfn::Success, cidrwatch::Error> {
    panic!("boom at {n}")
}

#[tokio::test]
async fn a_panic_in_the_work_answers_failed() {
    let cfn = Loopback::responder(vec![]).await;
    let coords = Coords {
        response_url: cfn.response_url(),
        stack_id: "arn:aws:cloudformation:us-east-1:123456789012:stack/s/1".into(),
        request_id: "r-1".into(),
        logical_resource_id: "Pool".into(),
    };
    let delivery = Delivery::new().unwrap();
    let deadline = cfn::Deadline::new(
        Instant::now() + Duration::from_secs(30),
        None,
        Instant::now(),
    );
    let work = async { explode(42) };
    // The undo a panicked Create runs before its FAILED answer.
    let undone = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let undo = {
        let undone = undone.clone();
        async move { undone.store(true, std::sync::atomic::Ordering::SeqCst) }
    };
    let answered = cfn::answer(
        &coords,
        "cidrwatch-p-12345678".into(),
        deadline,
        &delivery,
        work,
        Some(undo),
    )
    .await
    .unwrap();
    assert!(
        undone.load(std::sync::atomic::Ordering::SeqCst),
        "undone before answering"
    );
    assert_eq!(answered.status, cfn::Status::Failed);
    let body = cfn.only().json();
    assert_eq!(body["Reason"], "internal error: panic: boom at 42");
    assert_eq!(body["PhysicalResourceId"], "cidrwatch-p-12345678");
    assert_eq!(body["Data"], Value::Null);
}

#[tokio::test]
async fn malformed_and_unrecognised_events() {
    let Stack { bed, app, cfn } = Stack::start().await;
    let mut odd = request("create", &cfn.response_url(), None, None);
    odd["RequestType"] = json!("Explode");
    let body = answer(&app, odd, &cfn).await;
    assert_eq!(body["Status"], "FAILED");
    assert!(
        body["Reason"].as_str().unwrap().contains("RequestType"),
        "{body}"
    );

    let err = app
        .handle(json!({"detail-type": "x", "foo": 1}), &invocation(5))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "unrecognised event: an object with keys detail-type, foo; expected a CloudFormation \
         request, an SNS notification carrying one, a cidrwatch tick, a CloudWatch alarm event \
         or a dashboard custom widget's call"
    );
    let props = json!({"PoolName": "p", "Select": {"Tags": {"none": "x"}}});
    let tick = scheduled_tick(&app, &bed, props).await;
    let report = app
        .handle(tick, &invocation(30))
        .await
        .expect("a tick is served");
    assert_eq!(report["totals"]["subnet_count"], 0, "{report}");
    let alarm = json!({"source": "aws.cloudwatch", "alarmArn": "arn:aws:cloudwatch:us-east-1:123456789012:alarm:x",
        "alarmData": {"alarmName": "x", "state": {"value": "ALARM"}}});
    // A foreign alarm is answered Ok, not an error Lambda would retry twice.
    let ignored = app
        .handle(alarm, &invocation(5))
        .await
        .expect("a foreign alarm is no error");
    assert_eq!(
        ignored["ignored"], "not a cidrwatch monitor's alarm",
        "{ignored}"
    );
    assert_eq!(cfn.requests().len(), 1, "no stray answers");
}
