//! The template's limits are the function's: with `METRIC_NAMESPACES`, `MEMBER_ROLE_NAME` and
//! `ALARM_TOPIC_ARNS` set (the provider template passes its parameters so), a monitor the IAM
//! policy would deny is refused at validation, naming the property and the template parameter,
//! before any AWS request; and ticks assume `MEMBER_ROLE_NAME` when a monitor names no role.

mod support;

use cidrwatch::spec::Limits;
use serde_json::json;
use support::estate::{OTHER, TAG_KEY, TAG_VALUE};
use support::*;

fn limits() -> Limits {
    Limits {
        member_role_name: Some("net-reader".into()),
        metric_namespaces: Some(vec!["CidrWatch".into(), "Network/Ips".into()]),
        alarm_topic_arns: Some(vec![TOPIC_ARN.into()]),
    }
}

#[tokio::test]
async fn monitors_outside_the_templates_limits_are_refused_before_any_request() {
    let bed = Bed::start();
    let app = bed.app_limited(limits()).await;
    let cfn = Loopback::responder(vec![]).await;
    let other_topic = "arn:aws:sns:us-east-1:123456789012:elsewhere";
    let cases = [
        (
            json!({"PoolName": "p", "Namespace": "Team/Ips"}),
            "Namespace: Team/Ips is not among the namespaces the provider may publish to \
             (CidrWatch, Network/Ips): add it to the provider template's MetricNamespaces \
             parameter",
        ),
        (
            json!({"PoolName": "p", "Select": {"RoleName": "cidrwatch-reader"}}),
            "Select.RoleName: cidrwatch-reader is not the member role the provider may assume \
             (net-reader): set the provider template's MemberRoleName parameter to it",
        ),
        (
            json!({"PoolName": "p", "AlarmTopicArns": [TOPIC_ARN, other_topic]}),
            "AlarmTopicArns[1]: arn:aws:sns:us-east-1:123456789012:elsewhere is not among the \
             topics the provider may publish to: add it to the provider template's \
             AlarmTopicArns parameter",
        ),
    ];
    bed.reset_counts().await;
    for (props, expected) in cases {
        refused_create(&app, &cfn, props, &[expected]).await;
    }
    assert_eq!(
        bed.counts().await,
        Default::default(),
        "no AWS request at all"
    );

    // Within the limits: native topics are CloudWatch's to publish, not the function's.
    let ok = json!({"PoolName": "p", "Namespace": "Network/Ips", "Notify": "native",
        "AlarmTopicArns": [other_topic], "Select": {"RoleName": "net-reader"}});
    let body = send(&app, &cfn, "create", None, Some(ok)).await;
    assert_eq!(body["Status"], "SUCCESS", "{body}");
}

#[tokio::test]
async fn ticks_assume_the_templates_member_role_by_default() {
    let bed = Bed::start();
    let app = bed.app_limited(limits()).await;
    let props = json!({"PoolName": "p", "Namespace": "Network/Ips",
        "Select": {"Tags": {TAG_KEY: TAG_VALUE}, "Accounts": [OTHER]}});
    let tick = scheduled_tick(&app, &bed, props).await;
    // Only an AssumeRole of net-reader is refused: the tick's error proves which role it asked.
    bed.faults(
        json!([{"op": "sts:AssumeRole", "contains": "role%2Fnet-reader",
        "status": 403, "code": "AccessDenied"}]),
    )
    .await;
    // A cold process: the Create's first scan assumed net-reader in this one, which would
    // reuse the credentials (as AWS's outlive a role's removal until they expire).
    let app = bed.app_limited(limits()).await;
    let report = app.handle(tick, &invocation(60)).await.expect("tick");
    assert_eq!(report["errors"][0]["account"], OTHER);
    assert_eq!(report["errors"][0]["call"], "sts:AssumeRole");
    assert_eq!(report["errors"][0]["code"], "AccessDenied");
}
