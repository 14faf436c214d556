//! The fast local AWS for scale runs (`fast_aws.py`): started per test or bench with a
//! generated organization, and what it counts read back.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use serde_json::Value;

use super::bed::root;

/// The generated organization's size and the latency added to every request.
pub struct Size {
    pub accounts: usize,
    pub regions: &'static [&'static str],
    pub subnets: usize,
    pub ous: usize,
    pub latency_seconds: f64,
    /// Token buckets as `fast_aws.py --throttle` takes them (`aws`, or `ec2=C/R,…`).
    pub throttle: Option<&'static str>,
    /// Shaped like real accounts (`--shape real`: default VPCs, a few more VPCs, detached
    /// ENIs; `subnets` unused) rather than the grid of `subnets` tagged subnets each.
    pub real: bool,
}

pub struct Fast {
    child: Child,
    pub endpoint: String,
}

impl Fast {
    pub fn start(size: &Size) -> Fast {
        let python = root().join(".venv/bin/python");
        assert!(python.exists(), "run `make test`, which installs the venv");
        let mut child = Command::new(python)
            .arg(root().join("tests/support/fast_aws.py"))
            .args(["--accounts", &size.accounts.to_string()])
            .args(["--regions", &size.regions.join(",")])
            .args(["--subnets", &size.subnets.to_string()])
            .args(["--ous", &size.ous.to_string()])
            .args(["--latency", &size.latency_seconds.to_string()])
            .args(["--shape", if size.real { "real" } else { "grid" }])
            .args(
                size.throttle
                    .map_or_else(Vec::new, |t| vec!["--throttle", t]),
            )
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the fast fake");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("READY");
        let port: u16 = line
            .strip_prefix("READY ")
            .and_then(|p| p.trim().parse().ok())
            .unwrap_or_else(|| panic!("the fast fake did not start: {line:?}"));
        Fast {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
        }
    }

    async fn get(&self, what: &str) -> Value {
        let text = reqwest::get(format!("{}/__fake/{what}", self.endpoint))
            .await
            .expect(what)
            .text()
            .await
            .expect(what);
        serde_json::from_str(&text).expect("JSON")
    }

    /// Requests per "<service>:<Operation>".
    pub async fn counts(&self) -> std::collections::BTreeMap<String, u64> {
        serde_json::from_value(self.get("counts").await).expect("counts")
    }

    /// Throttled answers per "<service>:<Operation>" since the last reset.
    pub async fn throttled(&self) -> std::collections::BTreeMap<String, u64> {
        serde_json::from_value(self.get("throttled").await).expect("throttled")
    }

    /// The most requests in flight at once since the last reset.
    pub async fn peak_in_flight(&self) -> u64 {
        self.get("in-flight").await["peak"].as_u64().unwrap_or(0)
    }

    /// The most requests to one signing service ("ec2", "sts", …) in flight at once since
    /// the last reset.
    pub async fn peak_in_flight_of(&self, service: &str) -> u64 {
        self.get("in-flight").await["peak_by_service"][service]
            .as_u64()
            .unwrap_or(0)
    }

    /// Requests the SDK sent as a retry, per "<service>:<Operation>", since the last reset.
    pub async fn retries(&self) -> std::collections::BTreeMap<String, u64> {
        serde_json::from_value(self.get("retries").await).expect("retries")
    }

    /// The estate counted (`accounts`, `regions`, `subnets`, `vpcs`, `detached_enis`, and
    /// `pages`: the Organizations pages of a walk), without the estate itself.
    pub async fn summary(&self) -> Value {
        self.get("summary").await
    }

    /// Throttling off from here on: for a leg that measures CPU, not throttling.
    pub async fn unthrottle(&self) {
        self.post("unthrottle").await;
    }

    /// Connections opened since the last reset: on AWS, each a TLS handshake.
    pub async fn connections(&self) -> u64 {
        self.get("connections").await["opened"]
            .as_u64()
            .unwrap_or(0)
    }

    /// Each operation's first and last answer, in seconds since the last reset.
    pub async fn timeline(&self) -> Value {
        self.get("timeline").await
    }

    /// The generated organization: `ous`, `accounts` (id → parent), `networks`.
    pub async fn estate(&self) -> Value {
        self.get("estate").await
    }

    pub async fn reset(&self) {
        self.post("reset").await;
    }

    async fn post(&self, what: &str) {
        let status = reqwest::Client::new()
            .post(format!("{}/__fake/{what}", self.endpoint))
            .send()
            .await
            .expect(what)
            .status();
        assert!(status.is_success(), "POST /__fake/{what}: {status}");
    }

    /// The CPU seconds (user + sys) the fake itself has spent so far: on a machine of few
    /// cores, what a scale run's wall shares with the tick.
    pub fn cpu_seconds(&self) -> f64 {
        let stat =
            std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).unwrap_or_default();
        cidrwatch::aws::pace::cpu_in_stat(&stat).map_or(0.0, |d| d.as_secs_f64())
    }

    /// The binary's environment against this fake.
    pub fn binary_env(&self) -> Vec<(&'static str, String)> {
        super::bed::binary_env_at(&self.endpoint)
    }
}

impl Drop for Fast {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
