//! The local AWS for one test: moto behind the front, and what tests read back from it.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_cloudwatch::types::MetricAlarm;
use cidrwatch::app::App;
use cidrwatch::provider::Settings;
use serde_json::Value;

use super::estate;
use super::{GROUP, SCHEDULER_ROLE_ARN};

pub(crate) fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A moto server behind the CBOR front, for one test.
pub struct Bed {
    child: Child,
    pub endpoint: String,
    /// The access key requests are signed with: moto's default account answers "testing";
    /// LocalStack takes a 12-digit key as the account id, so there it is the fixtures' own.
    key: &'static str,
}

impl Bed {
    pub fn start() -> Bed {
        Bed::front(&[], "testing")
    }

    /// The front before another local AWS listening on `port` (LocalStack, `make e2e`)
    /// rather than a moto of its own.
    pub fn upstream(port: u16) -> Bed {
        Bed::front(
            &["--upstream".to_string(), port.to_string()],
            "123456789012",
        )
    }

    fn front(args: &[String], key: &'static str) -> Bed {
        let python = root().join(".venv/bin/python");
        assert!(
            python.exists(),
            "{} is missing: run `make test`, which installs the pinned moto venv",
            python.display()
        );
        let mut child = Command::new(python)
            .arg(root().join("tests/support/aws_front.py"))
            .args(args)
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
            key,
        }
    }

    /// SDK configuration pointed at this bed only, with cidrwatch's own timeouts.
    pub async fn sdk(&self) -> SdkConfig {
        sdk_signed(&self.endpoint, self.key).await
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
        // Made once per bed: moto answers a second CreateScheduleGroup by replacing the group,
        // schedules and all, where AWS refuses it (a second app on one bed is a cold process).
        let exists = scheduler
            .get_schedule_group()
            .name(GROUP)
            .send()
            .await
            .is_ok();
        let made = match exists {
            true => Ok(()),
            false => scheduler
                .create_schedule_group()
                .name(GROUP)
                .send()
                .await
                .map(|_| ()),
        };
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
                ..Settings::default()
            },
        )
        .expect("app")
    }

    /// The binary's environment on this bed: only the local endpoint, never a real account.
    pub fn binary_env(&self) -> Vec<(&'static str, String)> {
        binary_env_at(&self.endpoint)
    }

    /// Runs the cidrwatch binary with `args` on this bed (built by `cargo test`).
    pub async fn cli(&self, args: &[&str]) -> std::process::Output {
        tokio::process::Command::new(env!("CARGO_BIN_EXE_cidrwatch"))
            .env_clear()
            .envs(self.binary_env())
            .args(args)
            .stdin(std::process::Stdio::null())
            .output()
            .await
            .expect("run cidrwatch")
    }

    /// The binary's JSON answer to `args` (`report … --json`), which must succeed.
    pub async fn cli_json(&self, args: &[&str]) -> Value {
        let out = self.cli(args).await;
        assert!(
            out.status.success(),
            "cidrwatch {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("cidrwatch's JSON")
    }

    /// What the front says at `GET /__front/{what}`, as JSON.
    async fn front_json<T: serde::de::DeserializeOwned>(&self, what: &str) -> T {
        let text = reqwest::get(format!("{}/__front/{what}", self.endpoint))
            .await
            .unwrap_or_else(|e| panic!("front {what}: {e}"))
            .text()
            .await
            .unwrap_or_else(|e| panic!("front {what} body: {e}"));
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("front {what} json: {e}"))
    }

    /// Requests the front has seen, per "<service>:<Operation>".
    pub async fn counts(&self) -> BTreeMap<String, u64> {
        self.front_json("counts").await
    }

    /// CloudWatch requests that came gzipped, per "monitoring:<Operation>" (since the last
    /// reset).
    pub async fn gzipped(&self) -> BTreeMap<String, u64> {
        self.front_json("gzipped").await
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
        self.series(namespace, name, dims, "Maximum")
            .await
            .first()
            .copied()
    }

    /// How many datums a series received in the last quarter hour: what tells a tick that
    /// published from one that withheld, where the Create's first scan published already.
    pub async fn samples(&self, namespace: &str, name: &str, dims: &[(&str, &str)]) -> u64 {
        let counts = self.series(namespace, name, dims, "SampleCount").await;
        counts.iter().sum::<f64>() as u64
    }

    /// A series' values per minute, newest first, within a quarter hour of now.
    async fn series(
        &self,
        namespace: &str,
        name: &str,
        dims: &[(&str, &str)],
        stat: &str,
    ) -> Vec<f64> {
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
                    .stat(stat)
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
            .map(|r| r.values().to_vec())
            .unwrap_or_default()
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

    /// Makes every AWS request take `seconds` longer, as AWS's round trip does.
    pub async fn latency(&self, seconds: f64) {
        self.tell_front("latency", serde_json::json!({ "seconds": seconds }))
            .await
    }

    /// Makes a datum readable through GetMetricData only `seconds` after it is put, as
    /// CloudWatch's ingestion does.
    pub async fn ingest_delay(&self, seconds: f64) {
        self.tell_front("ingest-delay", serde_json::json!({ "seconds": seconds }))
            .await
    }

    /// The most AWS requests the front was answering at once since the last reset.
    pub async fn peak_in_flight(&self) -> u64 {
        let v: Value = self.front_json("in-flight").await;
        v["peak"].as_u64().expect("peak")
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

    /// Delegates /28 prefixes to ENIs, as EC2 does for the VPC CNI in prefix-delegation mode:
    /// {"eni-…": {"subnet": "subnet-…", "prefixes": ["10.0.1.0/28", …]}}.
    pub async fn prefixes(&self, delegated: Value) {
        self.tell_front("prefixes", delegated).await
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
    sdk_signed(endpoint, "testing").await
}

async fn sdk_signed(endpoint: &str, key: &str) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(aws_sdk_cloudwatch::config::Credentials::new(
            key, "testing", None, None, "tests",
        ))
        .timeout_config(cidrwatch::aws::timeouts())
        .http_client(cidrwatch::aws::http_client())
        .load()
        .await
}

/// The binary's environment against the local AWS at `endpoint`: nothing else, never a real
/// account.
pub fn binary_env_at(endpoint: &str) -> Vec<(&'static str, String)> {
    vec![
        ("PATH", std::env::var("PATH").unwrap_or_default()),
        ("AWS_ENDPOINT_URL", endpoint.to_string()),
        ("AWS_REGION", "us-east-1".into()),
        ("AWS_ACCESS_KEY_ID", "testing".into()),
        ("AWS_SECRET_ACCESS_KEY", "testing".into()),
        ("AWS_EC2_METADATA_DISABLED", "true".into()),
        ("SCHEDULER_ROLE_ARN", SCHEDULER_ROLE_ARN.into()),
        ("SCHEDULE_GROUP", GROUP.into()),
        ("RUST_LOG", "info".into()),
    ]
}
