//! The monitor lifecycle against moto: what Create, Update and Delete leave in AWS, read back
//! from the local endpoint, and what CloudFormation was told.

mod support;

use serde_json::{Value, json};
use support::*;

fn data(body: &Value, key: &str) -> String {
    body["Data"][key]
        .as_str()
        .unwrap_or_else(|| panic!("Data.{key} in {body}"))
        .to_string()
}

#[tokio::test]
async fn create_makes_exactly_the_planned_alarms_and_schedule() {
    let Stack { bed, app, cfn } = Stack::start().await;

    let body = send(&app, &cfn, "create", None, None).await;
    assert_eq!(body["Status"], "SUCCESS", "{body}");
    let id = body["PhysicalResourceId"].as_str().unwrap().to_string();
    assert!(
        id.starts_with("cidrwatch-eks-prod-") && id.len() == "cidrwatch-eks-prod-".len() + 8,
        "{id}"
    );
    assert_eq!(body["LogicalResourceId"], "EksPool");
    assert_eq!(body["RequestId"], "d4b1c3e2-7f6a-4b5c-9d8e-1f2a3b4c5d6e");

    let alarms = bed.alarms("").await;
    let names: Vec<&str> = alarms.iter().map(|a| a.alarm_name().unwrap()).collect();
    let expected: Vec<String> = [
        "critical",
        "free-addresses",
        "scan-errors",
        "stale",
        "subnet-critical",
        "warning",
    ]
    .iter()
    .map(|s| format!("{id}-{s}"))
    .collect();
    assert_eq!(names, expected);

    let by = |suffix: &str| {
        alarms
            .iter()
            .find(|a| a.alarm_name() == Some(&format!("{id}-{suffix}")))
            .unwrap()
    };
    for (suffix, metric, threshold, op) in [
        (
            "warning",
            "Utilization",
            80.0,
            "GreaterThanOrEqualToThreshold",
        ),
        (
            "critical",
            "Utilization",
            90.0,
            "GreaterThanOrEqualToThreshold",
        ),
        (
            "subnet-critical",
            "MaxSubnetUtilization",
            95.0,
            "GreaterThanOrEqualToThreshold",
        ),
        (
            "free-addresses",
            "FreeAddresses",
            256.0,
            "LessThanThreshold",
        ),
        ("stale", "Heartbeat", 1.0, "LessThanThreshold"),
    ] {
        let a = by(suffix);
        assert_eq!(a.metric_name(), Some(metric), "{suffix}");
        assert_eq!(a.namespace(), Some("CidrWatch"), "{suffix}");
        assert_eq!(a.threshold(), Some(threshold), "{suffix}");
        assert_eq!(
            a.comparison_operator().map(|c| c.as_str()),
            Some(op),
            "{suffix}"
        );
        assert_eq!(
            a.period(),
            Some(600),
            "{suffix}: the period is the schedule's"
        );
        assert_eq!(
            a.alarm_actions(),
            [TOPIC_ARN],
            "{suffix}: native alarms notify the topics"
        );
        assert_eq!(a.ok_actions(), [TOPIC_ARN], "{suffix}");
        let dims: Vec<(&str, &str)> = a
            .dimensions()
            .iter()
            .map(|d| (d.name().unwrap(), d.value().unwrap()))
            .collect();
        assert_eq!(dims, [("Pool", "eks-prod")], "{suffix}");
        let tags = bed.alarm_tags(a.alarm_arn().unwrap()).await;
        assert_eq!(tags.get("cidrwatch:monitor"), Some(&id), "{suffix}");
        assert_eq!(
            tags.get("team").map(String::as_str),
            Some("network"),
            "{suffix}"
        );
        assert_eq!(
            tags.get("cost-center").map(String::as_str),
            Some("1234"),
            "{suffix}"
        );
    }
    let stale = by("stale");
    assert_eq!(
        (stale.evaluation_periods(), stale.treat_missing_data()),
        (Some(3), Some("breaching"))
    );
    assert_eq!(by("warning").evaluation_periods(), Some(1));

    assert_eq!(bed.schedules().await, std::slice::from_ref(&id));
    let s = bed.schedule(&id).await;
    assert_eq!(s.schedule_expression(), Some("rate(10 minutes)"));
    let target = s.target().unwrap();
    assert_eq!(target.arn(), FUNCTION_ARN);
    assert_eq!(target.role_arn(), SCHEDULER_ROLE_ARN);
    let tick: Value = serde_json::from_str(target.input().unwrap()).unwrap();
    assert_eq!(
        (tick["cidrwatch"].as_str(), tick["v"].as_u64()),
        (Some("tick"), Some(1))
    );
    assert_eq!(tick["id"], id.as_str());
    assert_eq!(tick["monitor"]["PoolName"], "eks-prod");
    assert_eq!(
        tick["monitor"]["Select"]["VpcIds"],
        json!(["vpc-0abc1234def567890"])
    );

    assert_eq!(data(&body, "PoolName"), "eks-prod");
    assert_eq!(data(&body, "Namespace"), "CidrWatch");
    assert_eq!(data(&body, "ScheduleName"), id);
    assert_eq!(data(&body, "DashboardName"), "");
    assert_eq!(
        data(&body, "WarningAlarmArn"),
        by("warning").alarm_arn().unwrap()
    );
    assert_eq!(
        data(&body, "CriticalAlarmArn"),
        by("critical").alarm_arn().unwrap()
    );
    let mut listed: Vec<String> = data(&body, "AlarmNames")
        .split(',')
        .map(str::to_string)
        .collect();
    listed.sort();
    assert_eq!(listed, expected);
}

#[tokio::test]
async fn detailed_alarms_invoke_the_function() {
    let Stack { bed, app, cfn } = Stack::start().await;
    let props = json!({"PoolName": "detail", "AlarmTopicArns": [TOPIC_ARN]});
    let body = send(&app, &cfn, "create", None, Some(props)).await;
    assert_eq!(body["Status"], "SUCCESS", "{body}");
    let alarms = bed.alarms("").await;
    assert_eq!(
        alarms.len(),
        5,
        "warning, critical, subnet-critical, stale, scan-errors by default"
    );
    for a in &alarms {
        let name = a.alarm_name().unwrap();
        // The alarm about the monitor itself must not depend on the function.
        let direct = name.ends_with("-stale");
        let want = if direct { TOPIC_ARN } else { FUNCTION_ARN };
        assert_eq!(a.alarm_actions(), [want], "{name}");
        assert_eq!(a.ok_actions(), [want], "{name}");
        assert_eq!(a.period(), Some(300), "default schedule rate(5 minutes)");
    }
}

#[tokio::test]
async fn update_in_place_keeps_the_id_and_converges() {
    let Stack { bed, app, cfn } = Stack::start().await;
    let id = create(&app, &cfn).await;

    let mut props = create_properties();
    props["Thresholds"] = json!({"WarningPercent": "70", "CriticalPercent": "85"});
    props["Schedule"] = json!("rate(15 minutes)");
    props["Tags"] = json!({"team": "platform"});
    let mut update = request("update", &cfn.response_url(), Some(&id), Some(props));
    update["OldResourceProperties"] = create_properties();
    let body = answer(&app, update, &cfn).await;

    assert_eq!(body["Status"], "SUCCESS", "{body}");
    assert_eq!(
        body["PhysicalResourceId"],
        id.as_str(),
        "in-place update keeps the id"
    );
    let names = bed.alarm_names("").await;
    assert!(
        !names.contains(&format!("{id}-free-addresses")),
        "MinFreeAddresses removed: {names:?}"
    );
    assert_eq!(names.len(), 5, "{names:?}");
    for a in bed.alarms("").await {
        assert_eq!(a.period(), Some(900), "{:?}", a.alarm_name());
        let tags = bed.alarm_tags(a.alarm_arn().unwrap()).await;
        assert_eq!(
            tags.get("team").map(String::as_str),
            Some("platform"),
            "retagged"
        );
        assert!(
            !tags.contains_key("cost-center"),
            "removed tag is gone: {tags:?}"
        );
        assert_eq!(tags.get("cidrwatch:monitor"), Some(&id));
    }
    let warning = bed.alarms(&format!("{id}-warning")).await;
    assert_eq!(warning[0].threshold(), Some(70.0));
    assert_eq!(
        bed.schedule(&id).await.schedule_expression(),
        Some("rate(15 minutes)")
    );
    assert_eq!(bed.schedules().await, [id]);
}

#[tokio::test]
async fn pool_rename_replaces_and_leaves_the_old_for_its_delete() {
    let Stack { bed, app, cfn } = Stack::start().await;
    let old = create(&app, &cfn).await;

    let mut props = create_properties();
    props["PoolName"] = json!("eks-prod-2");
    let body = send(&app, &cfn, "update", Some(&old), Some(props)).await;
    assert_eq!(body["Status"], "SUCCESS", "{body}");
    let new = body["PhysicalResourceId"].as_str().unwrap().to_string();
    assert_ne!(new, old);
    assert!(new.starts_with("cidrwatch-eks-prod-2-"), "{new}");
    assert_eq!(
        bed.alarm_names(&format!("{old}-")).await.len(),
        6,
        "old resources stay"
    );
    assert_eq!(bed.alarm_names(&format!("{new}-")).await.len(), 6);
    let mut both = vec![old.clone(), new.clone()];
    both.sort();
    assert_eq!(bed.schedules().await, both);
    let new_alarm = bed.alarms(&format!("{new}-warning")).await;
    assert_eq!(new_alarm[0].dimensions()[0].value(), Some("eks-prod-2"));

    // CloudFormation then deletes the old id.
    let body = send(&app, &cfn, "delete", Some(&old), None).await;
    assert_eq!(body["Status"], "SUCCESS", "{body}");
    assert!(bed.alarm_names(&format!("{old}-")).await.is_empty());
    assert_eq!(bed.alarm_names(&format!("{new}-")).await.len(), 6);
    assert_eq!(bed.schedules().await, [new]);
}

#[tokio::test]
async fn namespace_change_is_a_replacement_too() {
    let Stack { bed, app, cfn } = Stack::start().await;
    let old = create(&app, &cfn).await;
    let mut props = create_properties();
    props["Namespace"] = json!("Network/Ips");
    let body = send(&app, &cfn, "update", Some(&old), Some(props)).await;
    let new = body["PhysicalResourceId"].as_str().unwrap().to_string();
    assert_ne!(
        new, old,
        "same pool name, new namespace: a new id, so the old Delete spares it"
    );
    let body = send(&app, &cfn, "delete", Some(&old), None).await;
    assert_eq!(body["Status"], "SUCCESS");
    let left = bed.alarms("").await;
    assert_eq!(left.len(), 6);
    assert!(left.iter().all(|a| a.namespace() == Some("Network/Ips")));
}

#[tokio::test]
async fn delete_removes_that_id_and_only_that_id() {
    let Stack { bed, app, cfn } = Stack::start().await;
    let first = create(&app, &cfn).await;
    // A second monitor in the same account whose pool name extends the first id's pool.
    let mut other = request("create", &cfn.response_url(), None, None);
    other["LogicalResourceId"] = json!("OtherPool");
    other["ResourceProperties"]["PoolName"] =
        json!(format!("{}-x", first.trim_start_matches("cidrwatch-")));
    let second = answer(&app, other, &cfn).await;
    let second = second["PhysicalResourceId"].as_str().unwrap().to_string();
    assert!(
        second.starts_with(&format!("{first}-")),
        "{second} extends {first}"
    );

    let body = send(&app, &cfn, "delete", Some(&first), None).await;
    assert_eq!(body["Status"], "SUCCESS", "{body}");
    assert_eq!(body["PhysicalResourceId"], first.as_str());
    let names = bed.alarm_names("").await;
    assert_eq!(names.len(), 6, "{names:?}");
    assert!(
        names.iter().all(|n| n.starts_with(&format!("{second}-"))),
        "{names:?}"
    );
    assert_eq!(bed.schedules().await, [second]);
}

#[tokio::test]
async fn delete_of_an_unknown_id_and_a_second_delete_succeed() {
    let Stack { bed, app, cfn } = Stack::start().await;
    let id = create(&app, &cfn).await;

    for foreign in ["not-ours-123", "cidrwatch-eks-prod-00000000"] {
        let body = send(&app, &cfn, "delete", Some(foreign), None).await;
        assert_eq!(body["Status"], "SUCCESS", "{foreign}: {body}");
        assert_eq!(body["PhysicalResourceId"], foreign);
    }
    assert_eq!(
        bed.alarm_names("").await.len(),
        6,
        "unknown ids touched nothing"
    );

    for round in 0..2 {
        let body = send(&app, &cfn, "delete", Some(&id), None).await;
        assert_eq!(body["Status"], "SUCCESS", "delete #{round}: {body}");
    }
    assert!(bed.alarm_names("").await.is_empty());
    assert!(bed.schedules().await.is_empty());
}

#[tokio::test]
async fn the_same_create_twice_leaves_one_set() {
    let Stack { bed, app, cfn } = Stack::start().await;
    let event = request("create", &cfn.response_url(), None, None);
    let a = answer(&app, event.clone(), &cfn).await;
    let b = answer(&app, event, &cfn).await;
    assert_eq!(a["Status"], "SUCCESS");
    assert_eq!(b["Status"], "SUCCESS");
    assert_eq!(a["PhysicalResourceId"], b["PhysicalResourceId"]);
    assert_eq!(a["Data"], b["Data"]);
    assert_eq!(bed.alarm_names("").await.len(), 6);
    assert_eq!(bed.schedules().await.len(), 1);
}
