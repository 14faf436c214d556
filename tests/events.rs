//! Events nobody here wrote, as AWS delivers them: a custom widget call shaped like
//! Powertools' CloudWatch dashboard fixture whose params name no monitor, the console's
//! `describe` call, and a Delete that names no PhysicalResourceId.

mod support;

use serde_json::json;
use support::*;

/// A widget whose params name no monitor answers a one-line page that says what to set, and
/// makes no AWS call: an error would count against the function's Errors alarm.
#[tokio::test]
async fn a_widget_without_a_monitor_answers_what_to_set() {
    let Stack { bed, app, .. } = Stack::start().await;
    bed.reset_counts().await;
    let page = app
        .handle(fixture("widget.json", ""), &invocation(30))
        .await
        .expect("answered, not an error");
    let page = page.as_str().expect("HTML");
    assert!(page.starts_with("<p>") && !page.contains('\n'), "{page}");
    assert!(
        page.contains("{&quot;monitor&quot;") || page.contains("{\"monitor\""),
        "{page}"
    );
    assert!(page.contains("PhysicalResourceId"), "{page}");
    assert_eq!(bed.counts().await, Default::default(), "no AWS call");
}

/// `describe`, with or without a widget context, answers the widget's documentation as
/// Markdown: what it shows, its parameter, the viewers' permission. No scan, no AWS call.
#[tokio::test]
async fn describe_answers_the_widgets_documentation() {
    let Stack { bed, app, .. } = Stack::start().await;
    bed.reset_counts().await;
    let mut with_context = fixture("widget.json", "");
    with_context["describe"] = json!(true);
    for call in [json!({"describe": true}), with_context] {
        let answer = app.handle(call, &invocation(30)).await.expect("answered");
        let md = answer["markdown"].as_str().expect("markdown");
        for part in ["`monitor`", "lambda:InvokeFunction", "fresh scan"] {
            assert!(md.contains(part), "{part} missing from {md}");
        }
    }
    assert_eq!(bed.counts().await, Default::default(), "no AWS call");
}

/// A Delete without PhysicalResourceId (CloudFormation never got one: the Create's answer
/// was lost) answers SUCCESS with a non-empty id, and removes what that Create made.
#[tokio::test]
async fn a_delete_without_an_id_succeeds_and_leaves_nothing() {
    let Stack { bed, app, cfn } = Stack::start().await;
    let id = create(&app, &cfn).await;
    assert!(!bed.alarm_names(&id).await.is_empty());
    let mut delete = request(
        "delete",
        &cfn.response_url(),
        None,
        Some(create_properties()),
    );
    delete.as_object_mut().unwrap().remove("PhysicalResourceId");
    let body = answer(&app, delete, &cfn).await;
    assert_eq!(body["Status"], "SUCCESS", "{body}");
    assert_eq!(
        body["PhysicalResourceId"],
        json!(id),
        "the id its Create made"
    );
    assert_eq!(bed.alarm_names(&id).await, Vec::<String>::new());
    assert!(!bed.schedules().await.contains(&id));

    // With no monitor behind it and no properties either: still SUCCESS, still an id.
    let mut bare = request("delete", &cfn.response_url(), None, None);
    let obj = bare.as_object_mut().unwrap();
    obj.remove("PhysicalResourceId");
    obj.remove("ResourceProperties");
    let body = answer(&app, bare, &cfn).await;
    assert_eq!(body["Status"], "SUCCESS", "{body}");
    let id = body["PhysicalResourceId"].as_str().unwrap_or_default();
    assert!(id.starts_with("cidrwatch-"), "{body}");
}
