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

/// Everything a finished (or killed) child printed, stdout then stderr.
async fn logs_of(child: tokio::process::Child) -> String {
    let out = child.wait_with_output().await.expect("binary output");
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
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
    let logs = logs_of(child).await;

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
    // lines show), and the HTTP connector and hyper still stay at warn.
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

/// A loopback HTTPS endpoint for the ResponseURL (tests/support/tls_server.py), with a
/// self-signed certificate in its directory.
struct Https {
    dir: PathBuf,
    port: u16,
    _child: tokio::process::Child,
}

impl Https {
    async fn start(name: &str) -> Https {
        use tokio::io::AsyncBufReadExt;
        let dir = std::env::temp_dir().join(format!("cidrwatch-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let mut child = Command::new(root.join(".venv/bin/python"))
            .arg(root.join("tests/support/tls_server.py"))
            .arg(&dir)
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("start tests/support/tls_server.py (make .venv/.test-tools)");
        let mut line = String::new();
        tokio::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .await
            .unwrap();
        let port = line.trim().parse().expect("the server prints its port");
        Https {
            dir,
            port,
            _child: child,
        }
    }

    fn response_url(&self) -> String {
        format!(
            "https://localhost:{}/cfn-response/EksPool?{SECRET_QUERY}",
            self.port
        )
    }

    /// The PUTs it answered, one JSON object each.
    fn requests(&self) -> Vec<Value> {
        std::fs::read_to_string(self.dir.join("requests.jsonl"))
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    fn refused(&self) -> usize {
        std::fs::read(self.dir.join("refused")).map_or(0, |b| b.len())
    }

    /// The binary as a Lambda serving one Create that answers to this endpoint, trusting
    /// `roots` (SSL_CERT_FILE) or only the system's: what the Runtime API was told, and the
    /// logs.
    async fn serve(&self, bed: &Bed, roots: Option<PathBuf>) -> (Vec<Captured>, String) {
        let create = request("create", &self.response_url(), None, None);
        let runtime = runtime_api(create, 60).await;
        let mut c = command(bed);
        c.envs(lambda_env(&runtime));
        if let Some(roots) = roots {
            c.env("SSL_CERT_FILE", roots);
        }
        let mut child = c.spawn().expect("start the binary");
        // next, the invocation's response or error, next again.
        let told = runtime.wait_for(3, Duration::from_secs(60)).await;
        child.start_kill().ok();
        (told, logs_of(child).await)
    }
}

impl Drop for Https {
    fn drop(&mut self) {
        std::fs::remove_dir_all(&self.dir).ok();
    }
}

/// The one HTTPS peer a test can give the binary (`make lambda-smoke` runs this against the
/// zip's): CloudFormation's answer goes over TLS (rustls on ring) to a certificate the roots
/// vouch for, and never to one they do not.
#[tokio::test]
async fn the_answer_goes_over_tls_to_a_certificate_the_roots_trust() {
    let bed = Bed::start();
    let _ = bed.app().await;
    let https = Https::start("tls").await;

    let (_, logs) = https.serve(&bed, Some(https.dir.join("cert.pem"))).await;
    let sent = https.requests();
    assert_eq!(sent.len(), 1, "one answer, over TLS:\n{logs}");
    assert_eq!(sent[0]["tls"], "TLSv1.3");
    assert_eq!(
        sent[0]["target"],
        format!("/cfn-response/EksPool?{SECRET_QUERY}")
    );
    assert_eq!(sent[0]["content_type"], "");
    let body = sent[0]["body"].as_str().unwrap();
    assert_eq!(sent[0]["content_length"], body.len().to_string());
    let answer: Value = serde_json::from_str(body).unwrap();
    assert_eq!(answer["Status"], "SUCCESS");

    // Untrusted (the system's roots only): every try's handshake is refused, the invocation
    // fails, and its one line says why without the presigned query.
    let (told, logs) = https.serve(&bed, None).await;
    assert_eq!(https.requests().len(), 1, "nothing more was delivered");
    assert_eq!(
        https.refused(),
        5,
        "each of the five tries was refused:\n{logs}"
    );
    let error = told
        .iter()
        .find(|r| r.target == format!("{RUNTIME}/invocation/invoke-1/error"))
        .unwrap_or_else(|| panic!("no invocation error:\n{logs}"));
    let error = error.json().to_string();
    assert!(
        error.contains("invalid peer certificate"),
        "the certificate is named as the cause: {error}"
    );
    assert!(
        !error.contains(SECRET_QUERY) && !logs.contains(SECRET_QUERY),
        "{logs}"
    );
}
