//! The binary itself: started as a Lambda against a local Runtime API, and as the
//! `cidrwatch invoke` CLI. `CIDRWATCH_BIN` picks another build of it (`make lambda-smoke`
//! points it at the `cargo lambda` release build).

mod support;

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use support::*;
use tokio::process::Command;

fn binary() -> PathBuf {
    std::env::var_os("CIDRWATCH_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_cidrwatch")))
}

/// The binary with a clean environment: only the local endpoint, never a real account.
fn command(bed: &Bed) -> Command {
    let mut c = Command::new(binary());
    c.env_clear()
        .envs(bed.binary_env())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    c
}

#[tokio::test]
async fn the_binary_serves_a_create_as_a_lambda() {
    let bed = Bed::start();
    let _ = bed.app().await; // the schedule group the provider stack makes
    let cfn = Loopback::responder(vec![]).await;
    let event = request("create", &cfn.response_url(), None, None);

    let runtime = runtime_api(event, 60).await;
    let mut child = command(&bed)
        .envs(lambda_env(&runtime))
        .spawn()
        .expect("start the binary");

    let answers = cfn.wait_for(1, Duration::from_secs(60)).await;
    let done = runtime.wait_for(3, Duration::from_secs(30)).await;
    child.start_kill().ok();
    let out = child.wait_with_output().await.expect("binary output");
    let logs = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    assert_eq!(
        answers.len(),
        1,
        "one answer to CloudFormation; logs:\n{logs}"
    );
    let body = answers[0].json();
    assert_eq!(body["Status"], "SUCCESS", "{body}");
    let id = body["PhysicalResourceId"].as_str().unwrap();
    assert_eq!(bed.alarm_names(&format!("{id}-")).await.len(), 6);
    assert_eq!(bed.schedules().await, [id.to_string()]);
    let alarm = &bed.alarms(&format!("{id}-stale")).await[0];
    assert_eq!(alarm.alarm_actions(), [TOPIC_ARN]);

    let response = done
        .iter()
        .find(|r| r.target == format!("{RUNTIME}/invocation/invoke-1/response"))
        .unwrap_or_else(|| {
            panic!(
                "no invocation response; runtime saw {:?}",
                done.iter().map(|r| &r.target).collect::<Vec<_>>()
            )
        });
    let result = response.json();
    assert_eq!(result["answered"][0]["Status"], "SUCCESS", "{result}");
    assert_eq!(result["answered"][0]["PhysicalResourceId"], id);

    assert!(
        logs.contains("answered CloudFormation"),
        "JSON logs say what was answered:\n{logs}"
    );
    assert!(
        logs.lines()
            .any(|l| serde_json::from_str::<Value>(l).is_ok()),
        "logs are JSON lines:\n{logs}"
    );
    assert!(
        !logs.contains(SECRET_QUERY),
        "the ResponseURL's query string was logged:\n{logs}"
    );
}

#[tokio::test]
async fn invoke_handles_one_event_like_the_lambda_and_keeps_the_secret() {
    let bed = Bed::start();
    let _ = bed.app().await;
    let cfn = Loopback::responder(vec![500]).await;
    let dir = std::env::temp_dir().join(format!("cidrwatch-invoke-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let create = dir.join("create.json");
    std::fs::write(
        &create,
        request("create", &cfn.response_url(), None, None).to_string(),
    )
    .unwrap();

    // At debug the HTTP clients would print request URIs: RUST_LOG is read (the SDK's debug
    // lines show), and reqwest and hyper still stay at warn.
    let out = command(&bed)
        .env("FUNCTION_ARN", FUNCTION_ARN)
        .env("RUST_LOG", "debug")
        .arg("invoke")
        .arg(&create)
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "exit {:?}: {stderr}", out.status);
    let printed: Value =
        serde_json::from_slice(&out.stdout).expect("invoke prints the result as JSON");
    let id = printed["answered"][0]["PhysicalResourceId"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(printed["answered"][0]["Status"], "SUCCESS");
    assert_eq!(cfn.requests().len(), 2, "one retry after the 500");
    assert!(
        stderr.contains("retrying"),
        "the retry is visible: {stderr}"
    );
    assert!(
        stderr.contains("DEBUG"),
        "RUST_LOG=debug was read: {stderr}"
    );
    assert!(
        !stderr.contains(SECRET_QUERY),
        "the ResponseURL's query string was logged:\n{stderr}"
    );
    assert_eq!(bed.alarm_names(&format!("{id}-")).await.len(), 6);

    // Without FUNCTION_ARN, a Create fails with a reason that says what to set.
    let out = command(&bed)
        .arg("invoke")
        .arg(&create)
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "answered FAILED is still a handled event"
    );
    let body = cfn.requests().last().unwrap().json();
    assert_eq!(body["Status"], "FAILED");
    assert!(
        body["Reason"]
            .as_str()
            .unwrap()
            .contains("set FUNCTION_ARN"),
        "{body}"
    );

    // Bad usage exits 2 with one line: what is missing, and the usage.
    let out = command(&bed).arg("invoke").output().await.unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("not provided: <EVENT.json>") && err.contains("cidrwatch invoke <EVENT.json>"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).ok();
}
