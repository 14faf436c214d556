//! The spec parser's unit tests: defaults, string scalars, every error at once, the
//! schedule input's round trip.
use super::*;
use serde_json::json;

fn errors(props: Value) -> Vec<String> {
    parse(&props)
        .unwrap_err()
        .0
        .iter()
        .map(ToString::to_string)
        .collect()
}

#[test]
fn minimal_properties_take_the_defaults() {
    let spec = parse(&json!({"ServiceToken": "arn:x", "PoolName": "eks-prod"})).unwrap();
    assert_eq!(spec.pool_name, "eks-prod");
    assert_eq!(spec.namespace, "CidrWatch");
    assert_eq!(spec.schedule.expression(), "rate(5 minutes)");
    assert_eq!(spec.thresholds.warning_percent, 80.0);
    assert_eq!(spec.thresholds.critical_percent, 90.0);
    assert_eq!(spec.thresholds.subnet_critical_percent, 90.0);
    assert_eq!(spec.notify, Notify::Detailed);
    assert!(!spec.dashboard && !spec.subnet_metrics);
}

#[test]
fn strings_for_numbers_and_booleans() {
    let spec = parse(&json!({
        "PoolName": "p", "ServiceTimeout": "300",
        "Thresholds": {"WarningPercent": "70.5", "CriticalPercent": 95, "MinFreeAddresses": "256"},
        "SubnetMetrics": "true", "Dashboard": "False",
    }))
    .unwrap();
    assert_eq!(spec.thresholds.warning_percent, 70.5);
    assert_eq!(spec.thresholds.critical_percent, 95.0);
    assert_eq!(spec.thresholds.min_free_addresses, Some(256));
    assert!(spec.subnet_metrics);
    assert!(!spec.dashboard);
}

#[test]
fn the_issue_example_message() {
    assert_eq!(
        errors(json!({"PoolName": "p", "Thresholds": {"WarningPercent": "eighty"}})),
        [r#"Thresholds.WarningPercent: expected a number from 0 to 100, got "eighty""#]
    );
}

#[test]
fn unknown_keys_name_the_nearest() {
    assert_eq!(
        errors(json!({"PoolName": "p", "Thresholds": {"WarnPercent": 50}, "poolname": "x"})),
        [
            "poolname: unknown property; did you mean PoolName?",
            "Thresholds.WarnPercent: unknown property; did you mean WarningPercent?",
        ]
    );
    let far = errors(json!({"PoolName": "p", "Select": {"Zebra": 1}}));
    assert!(
        far[0].starts_with("Select.Zebra: unknown property; known here: VpcIds"),
        "{far:?}"
    );
}

#[test]
fn every_problem_at_once() {
    let errs = errors(json!({
        "PoolName": "bad name!",
        "Select": {"VpcIds": ["vpc-123"], "Cidrs": ["10.0.0.1/8", "nope"], "Regions": ["mars"]},
        "Thresholds": {"WarningPercent": 95, "CriticalPercent": 90, "MinFreePrefixes": "2.5"},
        "Schedule": "cron(0 * * * ? *)",
        "AlarmTopicArns": ["arn:aws:sqs:us-east-1:111111111111:q"],
        "Notify": "loud",
    }));
    let paths: Vec<&str> = errs.iter().map(|e| e.split(':').next().unwrap()).collect();
    assert_eq!(
        paths,
        [
            "PoolName",
            "Select.VpcIds[0]",
            "Select.Cidrs[0]",
            "Select.Cidrs[1]",
            "Select.Regions[0]",
            "Thresholds.WarningPercent",
            "Thresholds.MinFreePrefixes",
            "Schedule",
            "AlarmTopicArns[0]",
            "Notify",
        ]
    );
    assert!(errs[2].contains("did you mean 10.0.0.0/8?"), "{}", errs[2]);
    assert!(errs[5].contains("must be below Thresholds.CriticalPercent (90), got 95"));
    assert!(errs[7].contains("cron(...) is not accepted"), "{}", errs[7]);
}

#[test]
fn a_template_without_topics_allows_no_detailed_topic() {
    let limits = Limits {
        alarm_topic_arns: Some(vec![]),
        ..Limits::default()
    };
    let topic = "arn:aws:sns:us-east-1:111111111111:alerts";
    let detailed = parse(&json!({"PoolName": "p", "AlarmTopicArns": [topic]})).unwrap();
    let refused = limits.check(&detailed).unwrap_err().to_string();
    assert!(refused.starts_with("AlarmTopicArns[0]: "), "{refused}");
    let native =
        parse(&json!({"PoolName": "p", "Notify": "native", "AlarmTopicArns": [topic]})).unwrap();
    assert_eq!(
        limits.check(&native),
        Ok(()),
        "CloudWatch publishes, not the function"
    );
    assert_eq!(
        Limits::default().check(&detailed),
        Ok(()),
        "unset: not limited"
    );
}

#[test]
fn fifo_topics_are_refused_at_validation() {
    let errs = errors(json!({"PoolName": "p",
        "AlarmTopicArns": ["arn:aws:sns:us-east-1:111111111111:alerts.fifo"]}));
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(
        errs[0].starts_with("AlarmTopicArns[0]: expected a standard SNS topic ARN (not .fifo"),
        "{}",
        errs[0]
    );
}

#[test]
fn rates_from_one_minute_to_six_hours() {
    for (text, minutes, canonical) in [
        ("rate(1 minute)", 1, "rate(1 minute)"),
        ("rate(1 minutes)", 1, "rate(1 minute)"),
        ("rate(90 minutes)", 90, "rate(90 minutes)"),
        ("rate(120 minutes)", 120, "rate(2 hours)"),
        (" rate(6 hours) ", 360, "rate(6 hours)"),
    ] {
        let r = Rate::parse(text).unwrap();
        assert_eq!((r.minutes(), r.expression().as_str()), (minutes, canonical));
    }
    for bad in [
        "rate(0 minutes)",
        "rate(7 hours)",
        "rate(1 day)",
        "rate(5 secs)",
        "rate(5)",
        "5m",
    ] {
        assert!(Rate::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn reserved_and_invalid_tags() {
    let errs = errors(
        json!({"PoolName": "p", "Tags": {"aws:x": "1", "cidrwatch:monitor": "y", "ok": {"nested": 1}}}),
    );
    assert_eq!(errs.len(), 3, "{errs:?}");
}

#[test]
fn metric_stream_requires_arns() {
    let errs = errors(json!({"PoolName": "p", "MetricStream": {"OutputFormat": "csv"}}));
    assert_eq!(
        errs.iter()
            .map(|e| e.split(':').next().unwrap())
            .collect::<Vec<_>>(),
        [
            "MetricStream.FirehoseArn",
            "MetricStream.RoleArn",
            "MetricStream.OutputFormat"
        ]
    );
    let ok = parse(&json!({"PoolName": "p", "MetricStream": {
        "FirehoseArn": "arn:aws:firehose:us-east-1:111111111111:deliverystream/s",
        "RoleArn": "arn:aws:iam::111111111111:role/r"}}))
    .unwrap();
    assert_eq!(ok.metric_stream.unwrap().output_format, "opentelemetry1.0");
}

#[test]
fn round_trips_through_its_own_serialization() {
    let spec = parse(&json!({
        "PoolName": "eks.prod", "Namespace": "Net/Ips",
        "Select": {"VpcIds": ["vpc-0abc1234"], "Tags": {"team": "a", "env": ["x", "y"]},
                   "Cidrs": ["10.0.0.0/8"], "Accounts": [111111111111u64], "RoleName": "reader"},
        "Thresholds": {"MinFreePrefixes": 8}, "Schedule": "rate(60 minutes)",
        "AlarmTopicArns": ["arn:aws:sns:us-east-1:111111111111:alerts"], "Notify": "Native",
        "Tags": {"team": "network"}, "ExplicitReservations": "true"
    }))
    .unwrap();
    let again = parse(&serde_json::to_value(&spec).unwrap()).unwrap();
    assert_eq!(spec, again);
    assert_eq!(again.accounting(), Accounting::PrefixesAndReservations);
    assert_eq!(again.schedule.expression(), "rate(1 hour)");
    assert_eq!(again.select.accounts, ["111111111111"]);
}

/// The defect this guards: `Regions: [ALL]` was accepted at Create and serialized as
/// `AllRegions: true`, which every tick then refused as an unknown property.
#[test]
fn regions_all_survives_the_schedule_input() {
    let spec = parse(
        &json!({"PoolName": "p", "Select": {"Accounts": ["111111111111"],
        "Regions": ["ALL"], "OrganizationalUnits": ["ou-ab12-cd34ef56"]}}),
    )
    .unwrap();
    assert!(spec.select.all_regions());
    let tick = spec.tick_properties();
    assert_eq!(tick["Select"]["Regions"], json!(["ALL"]), "{tick}");
    assert_eq!(parse(&tick), Ok(spec));
    let listed =
        parse(&json!({"PoolName": "p", "Select": {"Regions": ["ALL", "eu-west-1"]}})).unwrap();
    assert!(listed.select.all_regions());
    assert_eq!(
        listed.select.named_regions().collect::<Vec<_>>(),
        ["eu-west-1"]
    );
}

/// A schedule input written before the fix still ticks: its `AllRegions` reads as ALL.
#[test]
fn an_old_schedule_input_with_all_regions_still_ticks() {
    let old = json!({"PoolName": "p", "Select": {"AllRegions": true,
        "Accounts": ["111111111111"]}, "Thresholds": {"WarningPercent": 80.0,
        "CriticalPercent": 90.0, "SubnetCriticalPercent": 90.0}});
    let now = parse(&json!({"PoolName": "p", "Select": {"Regions": ["ALL"],
        "Accounts": ["111111111111"]}}))
    .unwrap();
    assert!(parse(&old).is_err(), "not a property a user may write");
    assert_eq!(parse_tick(&old), Ok(now));
}

#[test]
fn explicit_reservations_are_opt_in_and_need_prefix_accounting() {
    let with = |extra: Value| {
        let mut props = json!({"PoolName": "p"});
        props
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        parse(&props)
    };
    assert_eq!(with(json!({})).unwrap().accounting(), Accounting::Addresses);
    let prefixes = json!({"Thresholds": {"MinFreePrefixes": 2}});
    assert_eq!(with(prefixes).unwrap().accounting(), Accounting::Prefixes);
    assert_eq!(
        errors(json!({"PoolName": "p", "ExplicitReservations": true})),
        [
            "ExplicitReservations: reservations only change FreePrefixes: set \
          Thresholds.MinFreePrefixes too"
        ]
    );
    // Off is the default, so it stays out of the schedule's input.
    let off = with(json!({"ExplicitReservations": false})).unwrap();
    assert!(
        serde_json::to_value(&off)
            .unwrap()
            .get("ExplicitReservations")
            .is_none()
    );
}

#[test]
fn too_many_subnets_for_the_schedule_input() {
    let ids: Vec<String> = (0..600).map(|i| format!("subnet-{i:017x}")).collect();
    let errs = errors(json!({"PoolName": "p", "Select": {"SubnetIds": ids}}));
    assert!(errs[0].starts_with("Select: the monitor takes"), "{errs:?}");
}
