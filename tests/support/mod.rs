//! The test bed: a local AWS (moto behind the CBOR front, `aws_front.py`) started per test
//! on a free loopback port, a loopback HTTP server that captures what is sent to it (the
//! CloudFormation `ResponseURL`, a Lambda Runtime API), and the fixture events.
//!
//! Nothing here reaches beyond 127.0.0.1.
#![allow(dead_code)] // each test binary uses its own part of the bed

pub mod estate;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_cloudwatch::types::MetricAlarm;
use cidrwatch::app::{App, Invocation};
use cidrwatch::provider::Settings;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader as TokioBufReader};
use tokio::net::TcpListener;
use tokio::time::Instant;

pub const FUNCTION_ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function:cidrwatch-provider";
pub const SCHEDULER_ROLE_ARN: &str = "arn:aws:iam::123456789012:role/cidrwatch-scheduler";
pub const GROUP: &str = "cidrwatch";
pub const TOPIC_ARN: &str = "arn:aws:sns:us-east-1:123456789012:network-alerts";
/// Stands for the presigned query string: it must never reach a log.
pub const SECRET_QUERY: &str = "X-Amz-Signature=s3cr3t-never-logged";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A moto server behind the CBOR front, for one test.
pub struct Bed {
    child: Child,
    pub endpoint: String,
}

impl Bed {
    pub fn start() -> Bed {
        let python = root().join(".venv/bin/python");
        assert!(
            python.exists(),
            "{} is missing: run `make test`, which installs the pinned moto venv",
            python.display()
        );
        let mut child = Command::new(python)
            .arg(root().join("tests/support/aws_front.py"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the moto front");
        let stdout = child.stdout.take().expect("front stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read the front's READY line");
        let port: u16 = line
            .strip_prefix("READY ")
            .and_then(|p| p.trim().parse().ok())
            .unwrap_or_else(|| panic!("front did not start: {line:?}"));
        Bed {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
        }
    }

    /// SDK configuration pointed at this bed only, with cidrwatch's own timeouts.
    pub async fn sdk(&self) -> SdkConfig {
        sdk_for(&self.endpoint).await
    }

    /// The provider app on this bed, with the schedule group the provider stack would make.
    pub async fn app(&self) -> App {
        self.app_on(&self.sdk().await).await
    }

    /// The provider app on this bed as a template with these limits would deploy it.
    pub async fn app_limited(&self, limits: cidrwatch::spec::Limits) -> App {
        self.app_with(&self.sdk().await, limits).await
    }

    /// The same with another SDK configuration for the app (shorter timeouts, say).
    pub async fn app_on(&self, sdk: &SdkConfig) -> App {
        self.app_with(sdk, Default::default()).await
    }

    async fn app_with(&self, sdk: &SdkConfig, limits: cidrwatch::spec::Limits) -> App {
        let sdk = sdk.clone();
        let scheduler = aws_sdk_scheduler::Client::new(&sdk);
        let made = scheduler.create_schedule_group().name(GROUP).send().await;
        if let Err(e) = made {
            let conflict = e
                .as_service_error()
                .is_some_and(|e| e.is_conflict_exception());
            assert!(conflict, "create schedule group: {e:?}");
        }
        App::new(
            &sdk,
            Settings {
                scheduler_role_arn: Some(SCHEDULER_ROLE_ARN.to_string()),
                schedule_group: GROUP.to_string(),
                limits,
            },
        )
        .expect("app")
    }

    /// The binary's environment on this bed: only the local endpoint, never a real account.
    pub fn binary_env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("PATH", std::env::var("PATH").unwrap_or_default()),
            ("AWS_ENDPOINT_URL", self.endpoint.clone()),
            ("AWS_REGION", "us-east-1".into()),
            ("AWS_ACCESS_KEY_ID", "testing".into()),
            ("AWS_SECRET_ACCESS_KEY", "testing".into()),
            ("AWS_EC2_METADATA_DISABLED", "true".into()),
            ("SCHEDULER_ROLE_ARN", SCHEDULER_ROLE_ARN.into()),
            ("SCHEDULE_GROUP", GROUP.into()),
            ("RUST_LOG", "info".into()),
        ]
    }

    /// Requests the front has seen, per "<service>:<Operation>".
    pub async fn counts(&self) -> BTreeMap<String, u64> {
        let text = reqwest::get(format!("{}/__front/counts", self.endpoint))
            .await
            .expect("counts")
            .text()
            .await
            .expect("counts body");
        serde_json::from_str(&text).expect("counts json")
    }

    /// Metric alarms whose names start with `prefix`, read back from moto.
    pub async fn alarms(&self, prefix: &str) -> Vec<MetricAlarm> {
        let cw = aws_sdk_cloudwatch::Client::new(&self.sdk().await);
        let out = cw
            .describe_alarms()
            .alarm_name_prefix(prefix)
            .send()
            .await
            .expect("describe alarms");
        let mut alarms = out.metric_alarms().to_vec();
        alarms.sort_by(|a, b| a.alarm_name().cmp(&b.alarm_name()));
        alarms
    }

    pub async fn alarm_names(&self, prefix: &str) -> Vec<String> {
        self.alarms(prefix)
            .await
            .iter()
            .filter_map(|a| a.alarm_name().map(str::to_string))
            .collect()
    }

    pub async fn alarm_tags(&self, arn: &str) -> BTreeMap<String, String> {
        let cw = aws_sdk_cloudwatch::Client::new(&self.sdk().await);
        cw.list_tags_for_resource()
            .resource_arn(arn)
            .send()
            .await
            .expect("list tags")
            .tags()
            .iter()
            .map(|t| {
                (
                    t.key().unwrap_or_default().to_string(),
                    t.value().unwrap_or_default().to_string(),
                )
            })
            .collect()
    }

    /// The latest value of a metric series, read back with GetMetricData (Maximum over 1 min).
    pub async fn metric(&self, namespace: &str, name: &str, dims: &[(&str, &str)]) -> Option<f64> {
        use aws_sdk_cloudwatch::primitives::DateTime;
        use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricStat};
        let cw = aws_sdk_cloudwatch::Client::new(&self.sdk().await);
        let now = std::time::SystemTime::now();
        let mut metric = Metric::builder().namespace(namespace).metric_name(name);
        for (k, v) in dims {
            metric = metric.dimensions(Dimension::builder().name(*k).value(*v).build());
        }
        let query = MetricDataQuery::builder()
            .id("m")
            .metric_stat(
                MetricStat::builder()
                    .metric(metric.build())
                    .period(60)
                    .stat("Maximum")
                    .build(),
            )
            .build();
        let out = cw
            .get_metric_data()
            .metric_data_queries(query)
            .start_time(DateTime::from(now - Duration::from_secs(900)))
            .end_time(DateTime::from(now + Duration::from_secs(900)))
            .send()
            .await
            .expect("get metric data");
        out.metric_data_results()
            .first()
            .and_then(|r| r.values().first().copied())
    }

    /// Asserts that `pool`'s published UsedAddresses and SubnetCount are the estate's.
    pub async fn assert_published(&self, namespace: &str, pool: &str, want: &estate::Expected) {
        let dims = [("Pool", pool)];
        assert_eq!(
            self.metric(namespace, "UsedAddresses", &dims).await,
            Some(want.used as f64),
            "{pool}: UsedAddresses"
        );
        assert_eq!(
            self.metric(namespace, "SubnetCount", &dims).await,
            Some(want.subnet_count as f64),
            "{pool}: SubnetCount"
        );
    }

    /// Tells the front something: `POST /__front/<what>` with `body` (see aws_front.py).
    async fn tell_front(&self, what: &str, body: Value) {
        reqwest::Client::new()
            .post(format!("{}/__front/{what}", self.endpoint))
            .body(body.to_string())
            .send()
            .await
            .unwrap_or_else(|e| panic!("front {what}: {e}"));
    }

    /// Scripts faults in the front.
    pub async fn faults(&self, faults: Value) {
        self.tell_front("faults", faults).await
    }

    /// Shares owners' VPCs with participants, as RAM does: a list of
    /// {"owner": …, "participant": …}.
    pub async fn shares(&self, shares: Value) {
        self.tell_front("shares", shares).await
    }

    pub async fn reset_counts(&self) {
        self.tell_front("reset", Value::Null).await
    }

    /// Names of the schedules in the cidrwatch group.
    pub async fn schedules(&self) -> Vec<String> {
        let s = aws_sdk_scheduler::Client::new(&self.sdk().await);
        let mut names: Vec<String> = s
            .list_schedules()
            .group_name(GROUP)
            .send()
            .await
            .expect("list schedules")
            .schedules()
            .iter()
            .filter_map(|s| s.name().map(str::to_string))
            .collect();
        names.sort();
        names
    }

    pub async fn schedule(
        &self,
        name: &str,
    ) -> aws_sdk_scheduler::operation::get_schedule::GetScheduleOutput {
        let s = aws_sdk_scheduler::Client::new(&self.sdk().await);
        s.get_schedule()
            .group_name(GROUP)
            .name(name)
            .send()
            .await
            .expect("get schedule")
    }
}

impl Drop for Bed {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub async fn sdk_for(endpoint: &str) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(aws_sdk_cloudwatch::config::Credentials::new(
            "testing", "testing", None, None, "tests",
        ))
        .timeout_config(cidrwatch::aws::timeouts())
        .load()
        .await
}

/// One request as a loopback server received it.
#[derive(Clone, Debug)]
pub struct Captured {
    pub method: String,
    /// Path and query, as sent.
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub at: Instant,
}

impl Captured {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }
}

/// How a loopback server answers one request.
pub enum Reply {
    Status(u16),
    Json(u16, Vec<(String, String)>, Value),
    /// Never answer: the connection stays open and silent.
    Hang,
}

type Handler = dyn Fn(usize, &Captured) -> Reply + Send + Sync;

/// A loopback HTTP/1.1 server that records every request and answers as told.
pub struct Loopback {
    pub addr: SocketAddr,
    log: Arc<Mutex<Vec<Captured>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Loopback {
    pub async fn start(
        handler: impl Fn(usize, &Captured) -> Reply + Send + Sync + 'static,
    ) -> Loopback {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let addr = listener.local_addr().expect("addr");
        let log: Arc<Mutex<Vec<Captured>>> = Arc::default();
        let handler: Arc<Handler> = Arc::new(handler);
        let task = tokio::spawn({
            let log = log.clone();
            async move {
                while let Ok((stream, _)) = listener.accept().await {
                    tokio::spawn(serve(stream, log.clone(), handler.clone()));
                }
            }
        });
        Loopback { addr, log, task }
    }

    /// A server that fails the first requests with `statuses`, then accepts with 200.
    pub async fn responder(statuses: Vec<u16>) -> Loopback {
        Loopback::start(move |i, _| Reply::Status(statuses.get(i).copied().unwrap_or(200))).await
    }

    /// A CloudFormation-style ResponseURL on this server, with a presigned-like query.
    pub fn response_url(&self) -> String {
        format!("http://{}/cfn-response/EksPool?{SECRET_QUERY}", self.addr)
    }

    pub fn requests(&self) -> Vec<Captured> {
        self.log.lock().expect("log").clone()
    }

    /// The only request received; panics on none or several.
    pub fn only(&self) -> Captured {
        let all = self.requests();
        assert_eq!(
            all.len(),
            1,
            "expected exactly one request, got {}",
            all.len()
        );
        all[0].clone()
    }

    pub async fn wait_for(&self, n: usize, within: Duration) -> Vec<Captured> {
        let until = Instant::now() + within;
        loop {
            let all = self.requests();
            if all.len() >= n || Instant::now() > until {
                return all;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
}

impl Drop for Loopback {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(
    stream: tokio::net::TcpStream,
    log: Arc<Mutex<Vec<Captured>>>,
    handler: Arc<Handler>,
) {
    let (read, mut write) = stream.into_split();
    let mut reader = TokioBufReader::new(read);
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).await.unwrap_or(0) == 0 {
            return;
        }
        let mut parts = request_line.split_whitespace();
        let method = parts.next().unwrap_or_default().to_string();
        let target = parts.next().unwrap_or_default().to_string();
        let mut headers = Vec::new();
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).await.unwrap_or(0) == 0 {
                return;
            }
            let line = line.trim_end_matches(['\r', '\n']);
            if line.is_empty() {
                break;
            }
            if let Some((k, v)) = line.split_once(':') {
                headers.push((k.trim().to_string(), v.trim().to_string()));
            }
        }
        let length = headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
            .and_then(|(_, v)| v.parse::<usize>().ok())
            .unwrap_or(0);
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).await.is_err() {
            return;
        }
        let captured = Captured {
            method,
            target,
            headers,
            body,
            at: Instant::now(),
        };
        let index = {
            let mut log = log.lock().expect("log");
            log.push(captured.clone());
            log.len() - 1
        };
        let (status, extra, body) = match handler(index, &captured) {
            Reply::Status(s) => (s, Vec::new(), Vec::new()),
            Reply::Json(s, h, v) => (s, h, v.to_string().into_bytes()),
            Reply::Hang => {
                std::future::pending::<()>().await;
                return;
            }
        };
        let mut head = format!("HTTP/1.1 {status} X\r\nContent-Length: {}\r\n", body.len());
        for (k, v) in extra {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        if write.write_all(head.as_bytes()).await.is_err() || write.write_all(&body).await.is_err()
        {
            return;
        }
    }
}

/// The Lambda Runtime API's path prefix.
pub const RUNTIME: &str = "/2018-06-01/runtime";

/// A Lambda Runtime API on loopback: hands out `event` once, as invocation `invoke-1` with a
/// deadline `seconds` away, then idles as an environment between invocations does.
pub async fn runtime_api(event: Value, seconds: u64) -> Loopback {
    let nexts = AtomicUsize::new(0);
    Loopback::start(move |_, req| {
        if req.target != format!("{RUNTIME}/invocation/next") {
            return Reply::Status(202);
        }
        if nexts.fetch_add(1, Ordering::SeqCst) > 0 {
            return Reply::Hang;
        }
        let deadline_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis()
            + u128::from(seconds) * 1000;
        let headers = [
            ("Lambda-Runtime-Aws-Request-Id", "invoke-1".to_string()),
            ("Lambda-Runtime-Deadline-Ms", deadline_ms.to_string()),
            ("Lambda-Runtime-Invoked-Function-Arn", FUNCTION_ARN.into()),
            (
                "Lambda-Runtime-Trace-Id",
                "Root=1-00000000-000000000000000000000000".into(),
            ),
            ("Content-Type", "application/json".into()),
        ];
        let headers = headers.map(|(k, v)| (k.to_string(), v)).to_vec();
        Reply::Json(200, headers, event.clone())
    })
    .await
}

/// What Lambda sets for a function, pointed at `runtime`.
pub fn lambda_env(runtime: &Loopback) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_LAMBDA_RUNTIME_API", runtime.addr.to_string()),
        ("AWS_LAMBDA_FUNCTION_NAME", "cidrwatch-provider".into()),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128".into()),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".into()),
        (
            "AWS_LAMBDA_LOG_GROUP_NAME",
            "/aws/lambda/cidrwatch-provider".into(),
        ),
        (
            "AWS_LAMBDA_LOG_STREAM_NAME",
            "2026/11/24/[$LATEST]0123456789abcdef".into(),
        ),
    ]
}

/// A fixture event (`tests/fixtures/NAME`) with its ResponseURL pointed at `response_url`.
pub fn fixture(name: &str, response_url: &str) -> Value {
    let path = root().join("tests/fixtures").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut v: Value = serde_json::from_str(&text).expect("fixture JSON");
    if v.get("ResponseURL").is_some() {
        v["ResponseURL"] = Value::String(response_url.to_string());
    }
    v
}

/// A Create (or Update/Delete with `physical_id`) request with the given properties.
pub fn request(
    kind: &str,
    response_url: &str,
    physical_id: Option<&str>,
    properties: Option<Value>,
) -> Value {
    let mut v = fixture(&format!("{kind}.json"), response_url);
    if let Some(id) = physical_id {
        v["PhysicalResourceId"] = Value::String(id.to_string());
    }
    if let Some(p) = properties {
        v["ResourceProperties"] = p;
    }
    v
}

pub fn invocation(seconds: u64) -> Invocation {
    Invocation {
        function_arn: Some(FUNCTION_ARN.to_string()),
        deadline: Instant::now() + Duration::from_secs(seconds),
    }
}

/// Handles one event on `app` and returns the body CloudFormation received for it.
pub async fn answer(app: &App, event: Value, cfn: &Loopback) -> Value {
    let before = cfn.requests().len();
    app.handle(event, &invocation(60))
        .await
        .expect("handled and answered");
    let all = cfn.requests();
    assert_eq!(all.len(), before + 1, "exactly one answer per request");
    all[before].json()
}

/// What most provider tests start with: a bed, the provider app on it, and a stand-in for
/// CloudFormation's ResponseURL that accepts every answer. Destructure it keeping `bed` bound
/// (`bed: _bed` when unused): dropping the bed stops moto.
pub struct Stack {
    pub bed: Bed,
    pub app: App,
    pub cfn: Loopback,
}

impl Stack {
    pub async fn start() -> Stack {
        let bed = Bed::start();
        let app = bed.app().await;
        let cfn = Loopback::responder(vec![]).await;
        Stack { bed, app, cfn }
    }
}

/// Sends a `kind` request built from its fixture and returns the body CloudFormation received.
pub async fn send(
    app: &App,
    cfn: &Loopback,
    kind: &str,
    physical_id: Option<&str>,
    properties: Option<Value>,
) -> Value {
    answer(
        app,
        request(kind, &cfn.response_url(), physical_id, properties),
        cfn,
    )
    .await
}

/// Creates the fixture monitor, checks it succeeded, and returns its PhysicalResourceId.
pub async fn create(app: &App, cfn: &Loopback) -> String {
    let body = send(app, cfn, "create", None, None).await;
    assert_eq!(body["Status"], "SUCCESS", "{body}");
    body["PhysicalResourceId"]
        .as_str()
        .expect("an id")
        .to_string()
}

/// The properties of the Create fixture.
pub fn create_properties() -> Value {
    fixture("create.json", "")["ResourceProperties"].clone()
}

/// A topic with an SQS queue and a loopback HTTP endpoint subscribed, as a team would.
pub struct Subscribers {
    pub topic: String,
    pub queue_url: String,
    pub http: Loopback,
}

pub async fn subscribe(bed: &Bed) -> Subscribers {
    let sdk = bed.sdk().await;
    let sns = aws_sdk_sns::Client::new(&sdk);
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let topic = sns
        .create_topic()
        .name("network-alerts")
        .send()
        .await
        .unwrap()
        .topic_arn()
        .unwrap()
        .to_string();
    let queue_url = sqs
        .create_queue()
        .queue_name("alerts")
        .send()
        .await
        .unwrap()
        .queue_url()
        .unwrap()
        .to_string();
    let queue_arn = format!("arn:aws:sqs:us-east-1:{}:alerts", estate::OWN);
    sns.subscribe()
        .topic_arn(&topic)
        .protocol("sqs")
        .endpoint(queue_arn)
        .send()
        .await
        .unwrap();
    let http = Loopback::responder(vec![]).await;
    let endpoint = format!("http://{}/chat-hook", http.addr);
    sns.subscribe()
        .topic_arn(&topic)
        .protocol("http")
        .endpoint(endpoint)
        .send()
        .await
        .unwrap();
    Subscribers {
        topic,
        queue_url,
        http,
    }
}

/// The SNS envelopes waiting in the queue (at most 10).
pub async fn queued(bed: &Bed, url: &str) -> Vec<Value> {
    let sqs = aws_sdk_sqs::Client::new(&bed.sdk().await);
    let out = sqs
        .receive_message()
        .queue_url(url)
        .max_number_of_messages(10)
        .send()
        .await
        .unwrap();
    out.messages()
        .iter()
        .map(|m| serde_json::from_str(m.body().unwrap()).unwrap())
        .collect()
}

/// A CloudWatch alarm state change for monitor `id`'s `kind` alarm, as its Lambda action
/// delivers it: into `state` from the other of ALARM and OK.
pub fn alarm_event(id: &str, kind: &str, state: &str) -> Value {
    let mut v = fixture("alarm.json", "");
    let name = format!("{id}-{kind}");
    let own = estate::OWN;
    v["alarmData"]["alarmName"] = json!(name);
    v["alarmArn"] = json!(format!("arn:aws:cloudwatch:us-east-1:{own}:alarm:{name}"));
    v["alarmData"]["state"]["value"] = json!(state);
    let previous = if state == "OK" { "ALARM" } else { "OK" };
    v["alarmData"]["previousState"]["value"] = json!(previous);
    v
}
