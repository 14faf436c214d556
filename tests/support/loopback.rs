//! A loopback HTTP/1.1 server that records every request and answers as told, and the Lambda
//! Runtime API built on it.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader as TokioBufReader};
use tokio::net::TcpListener;
use tokio::time::Instant;

use super::{FUNCTION_ARN, SECRET_QUERY};

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
