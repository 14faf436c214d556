//! Alerts people can trust, against moto behind the test bed's front: a healthy Create is
//! quiet and already has data; a partial tick withholds every pool figure; a RAM-shared VPC
//! counts once; AWS's refusals fail a Create by name and leave nothing; one monitor per
//! series; the earlier of ServiceTimeout and the Lambda deadline bounds every answer; a
//! replacement that hangs leaves nothing of its new id; messages fit SNS however much fails.

mod support;

use std::time::Duration;

use serde_json::{Value, json};
use support::estate::{self, OTHER, OWN, ROLE, TAG_KEY, TAG_VALUE};
use support::*;
use tokio::time::Instant;

const NS: &str = "CidrWatch";

/// A monitor of the tagged subnets, notifying `topic`.
fn monitor(pool: &str, notify: &str, topic: &str) -> Value {
    json!({"PoolName": pool, "Select": {"Tags": {TAG_KEY: TAG_VALUE}}, "Notify": notify,
        "AlarmTopicArns": [topic], "Schedule": "rate(5 minutes)"})
}

fn with_accounts(mut props: Value, accounts: &[&str]) -> Value {
    props["Select"]["Accounts"] = json!(accounts);
    props["Select"]["RoleName"] = json!(ROLE);
    props
}

async fn publishes(bed: &Bed) -> u64 {
    bed.counts()
        .await
        .get("sns:Publish")
        .copied()
        .unwrap_or_default()
}

/// (name, state) of every alarm, read back.
async fn states(bed: &Bed) -> Vec<(String, String)> {
    bed.alarms("")
        .await
        .iter()
        .map(|a| {
            (
                a.alarm_name().unwrap().to_string(),
                a.state_value().unwrap().as_str().to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_healthy_create_is_quiet_and_already_has_data() {
    let Stack { bed, app, cfn } = Stack::start().await;
    let estate = estate::small(&bed.sdk().await).await;
    let subs = subscribe(&bed).await;
    bed.reset_counts().await;
    // Native: the alarms publish to the topic themselves, so any OK action would reach it.
    let props = monitor("quiet", "native", &subs.topic);
    let body = send(&app, &cfn, "create", None, Some(props)).await;
    assert_eq!(body["Status"], "SUCCESS", "{body}");
    let id = body["PhysicalResourceId"].as_str().unwrap().to_string();

    let counts = bed.counts().await;
    assert_eq!(
        counts.get("sns:Publish"),
        None,
        "nothing published: {counts:?}"
    );
    assert!(queued(&bed, &subs.queue_url).await.is_empty());
    // Every alarm was put with its actions off, set OK from the first scan, then switched on:
    // CloudWatch has no INSUFFICIENT_DATA -> OK left to announce.
    let alarms = bed.alarms("").await;
    assert_eq!(alarms.len(), 5);
    assert!(
        states(&bed).await.iter().all(|(_, s)| s == "OK"),
        "{:?}",
        states(&bed).await
    );
    assert!(alarms.iter().all(|a| a.actions_enabled() == Some(true)));
    assert_eq!(counts["monitoring:SetAlarmState"], 5);
    assert_eq!(counts["monitoring:EnableAlarmActions"], 1);

    // The usage is readable right after Create: the first scan was published.
    let want = estate.expected(&[OWN], &["us-east-1"]);
    bed.assert_published(NS, "quiet", &want).await;
    assert_eq!(
        bed.metric(NS, "Heartbeat", &[("Pool", "quiet")]).await,
        Some(1.0)
    );

    // An INSUFFICIENT_DATA -> OK event (what a fresh alarm's first evaluation sends the
    // function in detailed mode) is no recovery: nothing is published.
    let mut event = alarm_event(&id, "critical", "OK");
    event["alarmData"]["previousState"]["value"] = json!("INSUFFICIENT_DATA");
    let out = app.handle(event, &invocation(60)).await.expect("handled");
    assert_eq!(out["ignored"], "OK without a previous ALARM is no recovery");
    assert_eq!(publishes(&bed).await, 0);
}

#[tokio::test]
async fn an_alarm_the_first_scan_finds_breached_is_left_to_fire() {
    let Stack { bed, app, cfn } = Stack::start().await;
    let estate = estate::small(&bed.sdk().await).await;
    let want = estate.expected(&[OWN], &["us-east-1"]);
    assert!(want.utilization > 10.0, "{}", want.utilization);
    let mut props = monitor("hot", "detailed", TOPIC_ARN);
    props["Thresholds"] = json!({"WarningPercent": 10, "CriticalPercent": 95});
    let body = send(&app, &cfn, "create", None, Some(props)).await;
    assert_eq!(body["Status"], "SUCCESS", "{body}");
    let id = body["PhysicalResourceId"].as_str().unwrap();
    let states = states(&bed).await;
    let state = |suffix: &str| {
        states
            .iter()
            .find(|(n, _)| *n == format!("{id}-{suffix}"))
            .map(|(_, s)| s.as_str())
    };
    // Left as CloudWatch starts it, so its first evaluation is a true ALARM message.
    assert_eq!(state("warning"), Some("INSUFFICIENT_DATA"));
    assert_eq!(state("critical"), Some("OK"));
    assert_eq!(state("stale"), Some("OK"));
}

#[tokio::test]
async fn a_partial_tick_withholds_pool_figures_and_the_next_whole_one_publishes() {
    let bed = Bed::start();
    let estate = estate::small(&bed.sdk().await).await;
    let app = bed.app().await;
    let props = json!({"PoolName": "partial", "SubnetMetrics": true,
        "Select": {"Tags": {TAG_KEY: TAG_VALUE}, "Regions": ["us-east-1", "eu-west-1"]}});
    let tick = scheduled_tick(&app, &bed, props).await;
    bed.faults(
        json!([{"op": "ec2:DescribeSubnets", "region": "eu-west-1", "status": 503,
        "code": "Unavailable"}]),
    )
    .await;
    let report = app
        .handle(tick.clone(), &invocation(120))
        .await
        .expect("tick");
    let pool = [("Pool", "partial")];
    assert_eq!(bed.metric(NS, "ScanErrors", &pool).await, Some(1.0));
    assert_eq!(bed.metric(NS, "Heartbeat", &pool).await, Some(1.0));
    for name in [
        "UsedAddresses",
        "FreeAddresses",
        "UsableAddresses",
        "Utilization",
        "MaxSubnetUtilization",
        "MinSubnetFreeAddresses",
        "SubnetCount",
        "VpcAllocation",
    ] {
        // One datum: the Create's whole first scan; the partial tick added none.
        assert_eq!(bed.samples(NS, name, &pool).await, 1, "{name} withheld");
    }
    // The subnets it did scan still have their own series.
    let fullest = report["subnets"][0].clone();
    let subnet = [
        ("Pool", "partial"),
        ("SubnetId", fullest["subnet_id"].as_str().unwrap()),
    ];
    assert_eq!(
        bed.metric(NS, "FreeAddresses", &subnet).await,
        fullest["free"].as_f64()
    );
    assert_eq!(
        report["errors"][0]["error"],
        "ec2:DescribeSubnets failed: Unavailable: injected by the test front: Unavailable"
    );

    bed.faults(json!([])).await;
    let report = app.handle(tick, &invocation(120)).await.expect("tick");
    assert_eq!(report["errors"], json!([]));
    let want = estate.expected(&[OWN], &["us-east-1"]);
    bed.assert_published(NS, "partial", &want).await;
    assert_eq!(
        bed.samples(NS, "UsedAddresses", &pool).await,
        2,
        "published again"
    );
}

#[tokio::test]
async fn the_scan_errors_alarm_names_the_failing_account_region() {
    let Stack { bed, app, cfn } = Stack::start().await;
    let _estate = estate::small(&bed.sdk().await).await;
    let subs = subscribe(&bed).await;
    let props = with_accounts(monitor("errs", "detailed", &subs.topic), &[OWN, OTHER]);
    let body = send(&app, &cfn, "create", None, Some(props)).await;
    assert_eq!(body["Status"], "SUCCESS", "{body}");
    let id = body["PhysicalResourceId"].as_str().unwrap().to_string();
    let alarm = bed.alarms(&format!("{id}-scan-errors")).await;
    let a = &alarm[0];
    assert_eq!(
        (
            a.metric_name(),
            a.threshold(),
            a.comparison_operator().map(|c| c.as_str()),
            a.evaluation_periods(),
            a.datapoints_to_alarm(),
        ),
        (
            Some("ScanErrors"),
            Some(0.0),
            Some("GreaterThanThreshold"),
            Some(3),
            Some(3)
        )
    );
    assert_eq!(
        a.treat_missing_data(),
        Some("ignore"),
        "silence is -stale's; `missing` would turn it INSUFFICIENT_DATA when ticks stop"
    );

    // The member role in OTHER goes away.
    bed.faults(
        json!([{"op": "sts:AssumeRole", "contains": OTHER, "status": 403,
        "code": "AccessDenied", "message": "not authorized to perform sts:AssumeRole"}]),
    )
    .await;
    // A process that has not assumed the role since: a warm one keeps using the credentials
    // it holds, which outlive a role's removal until they expire, as AWS's do.
    let app = bed.app().await;
    app.handle(alarm_event(&id, "scan-errors", "ALARM"), &invocation(60))
        .await
        .expect("notified");
    let messages = queued(&bed, &subs.queue_url).await;
    assert_eq!(messages.len(), 1);
    let text = http_text(&subs).await;
    assert!(
        text.contains(&format!(
            "{OTHER} us-east-1: sts:AssumeRole failed: AccessDenied: not authorized to perform \
             sts:AssumeRole"
        )),
        "{text}"
    );
}

/// The Amazon Q form's description, the text a chat channel shows.
async fn http_text(subs: &Subscribers) -> String {
    let posts = subs.http.wait_for(1, Duration::from_secs(10)).await;
    let q: Value = serde_json::from_str(posts[0].json()["Message"].as_str().unwrap()).unwrap();
    q["content"]["description"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn forty_failing_account_regions_still_deliver_one_message_that_fits() {
    let Stack { bed, app, cfn } = Stack::start().await;
    let subs = subscribe(&bed).await;
    let accounts: Vec<String> = (0..20).map(|i| format!("3000000000{i:02}")).collect();
    let accounts: Vec<&str> = accounts.iter().map(String::as_str).collect();
    let mut props = with_accounts(monitor("many", "detailed", &subs.topic), &accounts);
    props["Select"]["Regions"] = json!(["us-east-1", "eu-west-1"]);
    let body = send(&app, &cfn, "create", None, Some(props)).await;
    assert_eq!(body["Status"], "SUCCESS", "{body}");
    let id = body["PhysicalResourceId"].as_str().unwrap().to_string();

    // Every role denied, with a long, multi-line message.
    let message = format!("denied\n{}", "x".repeat(5000));
    bed.faults(
        json!([{"op": "sts:AssumeRole", "status": 403, "code": "AccessDenied",
        "message": message}]),
    )
    .await;
    // A process that has not assumed the role since: a warm one keeps using the credentials
    // it holds, which outlive a role's removal until they expire, as AWS's do.
    let app = bed.app().await;
    let out = app
        .handle(alarm_event(&id, "scan-errors", "ALARM"), &invocation(60))
        .await
        .expect("notified");
    assert_eq!(out["published"], json!([subs.topic]));
    let messages = queued(&bed, &subs.queue_url).await;
    assert_eq!(messages.len(), 1, "one message");
    let envelope = serde_json::to_string(&messages[0]).unwrap();
    assert!(envelope.len() < 256 * 1024, "{}", envelope.len());
    let payload: Value = serde_json::from_str(messages[0]["Message"].as_str().unwrap()).unwrap();
    let report = &payload["report"];
    let listed = report["errors"].as_array().unwrap();
    assert_eq!(
        listed.len() as u64 + report["errors_omitted"].as_u64().unwrap(),
        40
    );
    for e in listed {
        let line = e["error"].as_str().unwrap();
        assert!(!line.contains('\n') && line.len() < 450, "one line: {line}");
        assert!(
            line.starts_with("sts:AssumeRole failed: AccessDenied: denied x"),
            "{line}"
        );
    }
    let text = http_text(&subs).await;
    assert!(
        text.contains("40 of 40 account-regions cannot be scanned"),
        "{text}"
    );
    assert!(text.contains("… and 30 more"), "{text}");
    let subject = messages[0]["Subject"].as_str().unwrap();
    assert!(subject.len() < 100 && subject.is_ascii(), "{subject}");
}

#[tokio::test]
async fn a_ram_shared_vpc_counts_once() {
    let bed = Bed::start();
    let sdk = bed.sdk().await;
    let mut built = estate::Estate::default();
    {
        let mut b = estate::Builder::new(&sdk, OWN, "us-east-1", &mut built);
        let vpc = b.vpc(&["10.50.0.0/16"]).await;
        let first = b.subnet(&vpc, "10.50.0.0/24", true).await;
        b.subnet(&vpc, "10.50.1.0/24", true).await;
        b.subnet(&vpc, "10.50.2.0/26", true).await;
        b.fill(&first, 20).await;
    }
    bed.shares(json!([{"owner": OWN, "participant": OTHER}]))
        .await;
    // The participant does see the owner's subnets, as RAM shows them.
    let participant = aws_sdk_ec2::Client::new(&estate::assumed(&sdk, OTHER).await);
    let tagged = aws_sdk_ec2::types::Filter::builder()
        .name(format!("tag:{TAG_KEY}"))
        .values(TAG_VALUE)
        .build();
    let seen = participant
        .describe_subnets()
        .filters(tagged)
        .send()
        .await
        .unwrap();
    assert_eq!(seen.subnets().len(), 3);
    assert!(seen.subnets().iter().all(|s| s.owner_id() == Some(OWN)));

    let app = bed.app().await;
    let props = json!({"PoolName": "shared",
        "Select": {"Tags": {TAG_KEY: TAG_VALUE}, "Accounts": [OWN, OTHER], "RoleName": ROLE}});
    let tick = scheduled_tick(&app, &bed, props).await;
    let report = app.handle(tick, &invocation(120)).await.expect("tick");
    let want = built.expected(&[OWN], &["us-east-1"]);
    assert_eq!(want.subnet_count, 3);
    bed.assert_published(NS, "shared", &want).await;
    assert_eq!(report["subnets"].as_array().unwrap().len(), 3);
    assert_eq!(report["scanned"], 2);
}

#[tokio::test]
async fn the_own_account_is_scanned_with_its_own_credentials() {
    let Stack { bed, app, cfn } = Stack::start().await;
    let estate = estate::small(&bed.sdk().await).await;
    bed.reset_counts().await;
    let props = with_accounts(monitor("own", "detailed", TOPIC_ARN), &[OWN]);
    let body = send(&app, &cfn, "create", None, Some(props)).await;
    assert_eq!(body["Status"], "SUCCESS", "{body}");
    let counts = bed.counts().await;
    assert_eq!(counts.get("sts:AssumeRole"), None, "{counts:?}");
    assert_eq!(counts["sts:GetCallerIdentity"], 1);
    bed.assert_published(NS, "own", &estate.expected(&[OWN], &["us-east-1"]))
        .await;
}

/// Asserts that Create of `props` answers FAILED with a Reason holding every part, and that
/// nothing of it exists afterwards.
async fn refused(stack: &Stack, props: Value, parts: &[&str]) {
    let Stack { bed, app, cfn } = stack;
    let body = refused_create(app, cfn, props, parts).await;
    bed.faults(json!([])).await;
    let id = body["PhysicalResourceId"].as_str().unwrap();
    assert!(bed.alarm_names(&format!("{id}-")).await.is_empty());
    assert!(!bed.schedules().await.contains(&id.to_string()));
}

#[tokio::test]
async fn a_create_that_aws_refuses_fails_by_name_and_leaves_nothing() {
    let stack = Stack::start().await;
    let _estate = estate::small(&stack.bed.sdk().await).await;
    stack
        .bed
        .faults(
            json!([{"op": "sts:AssumeRole", "contains": OTHER, "status": 403,
            "code": "AccessDenied", "message": "role cannot be assumed"}]),
        )
        .await;
    let props = with_accounts(monitor("denied", "detailed", TOPIC_ARN), &[OWN, OTHER]);
    refused(
        &stack,
        props,
        &[
            "Select: AWS refuses the scan",
            OTHER,
            "us-east-1",
            "sts:AssumeRole",
            "AccessDenied",
        ],
    )
    .await;
    assert_eq!(
        stack.bed.counts().await.get("monitoring:PutMetricAlarm"),
        None,
        "refused before anything was made"
    );

    stack
        .bed
        .faults(json!([{"op": "monitoring:PutMetricData", "status": 403,
            "code": "AccessDenied", "message": "not authorized for this namespace"}]))
        .await;
    refused(
        &stack,
        monitor("muted", "detailed", TOPIC_ARN),
        &["Namespace", "CidrWatch", "MetricNamespaces", "AccessDenied"],
    )
    .await;

    // A transient fault is no refusal: the Create succeeds and the ticks will retry.
    stack
        .bed
        .faults(json!([{"op": "ec2:DescribeSubnets", "status": 503,
            "code": "RequestLimitExceeded"}]))
        .await;
    let body = send(
        &stack.app,
        &stack.cfn,
        "create",
        None,
        Some(monitor("throttled", "detailed", TOPIC_ARN)),
    )
    .await;
    assert_eq!(body["Status"], "SUCCESS", "{body}");
}

#[tokio::test]
async fn a_second_monitor_on_the_same_series_is_refused() {
    let stack = Stack::start().await;
    let first = create(&stack.app, &stack.cfn).await;
    let mut other = request("create", &stack.cfn.response_url(), None, None);
    other["LogicalResourceId"] = json!("SamePool");
    let body = answer(&stack.app, other, &stack.cfn).await;
    assert_eq!(body["Status"], "FAILED", "{body}");
    let reason = body["Reason"].as_str().unwrap();
    assert!(
        reason.starts_with(&format!(
            "PoolName: monitor {first} already publishes pool \"eks-prod\" in namespace \
             CidrWatch"
        )),
        "{reason}"
    );
    let second = body["PhysicalResourceId"].as_str().unwrap();
    assert!(
        stack
            .bed
            .alarm_names(&format!("{second}-"))
            .await
            .is_empty()
    );
    assert_eq!(stack.bed.alarm_names(&format!("{first}-")).await.len(), 6);
}

#[tokio::test]
async fn service_timeout_bounds_the_answer_when_cloudwatch_hangs() {
    let Stack { bed, app, cfn } = Stack::start().await;
    bed.faults(json!([{"op": "monitoring:*", "hang": 60}]))
        .await;
    let mut props = create_properties();
    props["ServiceTimeout"] = json!("20");
    let start = Instant::now();
    // The function has five minutes; CloudFormation waits twenty seconds.
    app.handle(
        request("create", &cfn.response_url(), None, Some(props)),
        &invocation(300),
    )
    .await
    .expect("answered");
    let sent = cfn.only();
    assert!(
        sent.at < start + Duration::from_secs(20),
        "answered after {:?}",
        sent.at - start
    );
    let body = sent.json();
    assert_eq!(body["Status"], "FAILED");
    let reason = body["Reason"].as_str().unwrap();
    assert!(
        reason.starts_with(
            "timed out: the work did not finish in time for the request's \
             ServiceTimeout"
        ),
        "{reason}"
    );
    bed.faults(json!([])).await;
    assert!(bed.alarms("").await.is_empty());
    assert!(bed.schedules().await.is_empty());
}

#[tokio::test]
async fn a_replacement_that_hangs_midway_leaves_nothing_of_the_new_id() {
    let Stack { bed, app, cfn } = Stack::start().await;
    let old = create(&app, &cfn).await;
    // Past the new id's schedule and alarms: the undo has both to remove.
    bed.faults(json!([{"op": "monitoring:EnableAlarmActions", "hang": 60}]))
        .await;
    let mut props = create_properties();
    props["PoolName"] = json!("eks-prod-2");
    props["ServiceTimeout"] = json!(30);
    let body = send(&app, &cfn, "update", Some(&old), Some(props)).await;
    assert_eq!(body["Status"], "FAILED", "{body}");
    assert_eq!(
        body["PhysicalResourceId"],
        old.as_str(),
        "FAILED keeps the old id"
    );
    bed.faults(json!([])).await;
    let names = bed.alarm_names("").await;
    assert_eq!(names.len(), 6, "{names:?}");
    assert!(
        names.iter().all(|n| n.starts_with(&format!("{old}-"))),
        "{names:?}"
    );
    assert_eq!(bed.schedules().await, [old]);
    let counts = bed.counts().await;
    assert!(
        counts["monitoring:PutMetricAlarm"] > 6,
        "the new id's alarms were made, then removed"
    );
    assert_eq!(
        counts["scheduler:CreateSchedule"], 2,
        "the new id's schedule was made, then removed"
    );
}

#[tokio::test]
async fn a_foreign_alarm_event_is_answered_ok_and_publishes_nothing() {
    let bed = Bed::start();
    let app = bed.app().await;
    let mut event = alarm_event("cidrwatch-x-12345678", "critical", "ALARM");
    event["alarmData"]["alarmName"] = json!("someone-elses-alarm");
    let out = app.handle(event, &invocation(30)).await.expect("Ok");
    assert_eq!(out["ignored"], "not a cidrwatch monitor's alarm");
    assert_eq!(publishes(&bed).await, 0);
}

/// A new alarm is evaluated as soon as it is put, and CloudWatch takes a moment to make new
/// data readable: a `-stale` alarm put before the first Heartbeat is readable finds only
/// missing periods, which it counts as breaching (LocalStack shows the ALARM that follows,
/// `tests/e2e.rs`). So a Create reads its first Heartbeat back before it puts alarms.
#[tokio::test]
async fn a_create_puts_alarms_only_once_its_first_heartbeat_is_readable() {
    let Stack { bed, app, cfn } = Stack::start().await;
    estate::small(&bed.sdk().await).await;
    let subs = subscribe(&bed).await;
    // A Create of `pool`, and its reads besides the week of history behind DaysToExhaustion:
    // the reads until the Heartbeat shows.
    let create = |pool: &'static str| {
        let (bed, app, cfn, topic) = (&bed, &app, &cfn, subs.topic.clone());
        async move {
            bed.reset_counts().await;
            let body = send(
                app,
                cfn,
                "create",
                None,
                Some(monitor(pool, "native", &topic)),
            )
            .await;
            assert_eq!(body["Status"], "SUCCESS", "{body}");
            let counts = bed.counts().await;
            let reads = counts.get("monitoring:GetMetricData").copied().unwrap_or(0) - 1;
            (body, reads)
        }
    };
    let (_, at_once) = create("at-once").await;
    assert!(at_once >= 1);

    // Now CloudWatch serves a datum only 3 s after it is put: the Create reads once a second
    // until it sees its Heartbeat, and only then makes the alarms.
    bed.ingest_delay(3.0).await;
    let (body, delayed) = create("delayed").await;
    assert!(
        delayed >= at_once + 2,
        "{delayed} reads with a 3 s delay, {at_once} without"
    );
    let id = body["PhysicalResourceId"].as_str().unwrap();
    assert_eq!(bed.alarm_names(id).await.len(), 5);

    // A read that fails (CloudWatch's 500s through the SDK's three attempts) is no answer
    // either: the Create reads again, and makes the alarms once it sees the Heartbeat.
    bed.ingest_delay(0.0).await;
    let fault = json!([{"op": "monitoring:GetMetricData", "contains": "readable",
        "status": 500, "code": "InternalFailure", "times": 3}]);
    bed.faults(fault).await;
    let (body, after_failure) = create("after-a-failure").await;
    assert!(after_failure > 3, "{after_failure} reads after 3 failed");
    let id = body["PhysicalResourceId"].as_str().unwrap();
    assert_eq!(bed.alarm_names(id).await.len(), 5);
}
