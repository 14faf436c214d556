//! Delivers a response to the `ResponseURL`: a PUT with an empty `Content-Type` (the
//! presigned URL was signed without one) and an exact `Content-Length`, retried with backoff
//! on connection errors and 5xx, its status checked.
//!
//! Sent through the SDK's own connector as every request is (`aws::connector`: rustls on ring,
//! the proxy from the environment), not a second HTTP client crate: one TLS stack in the
//! binary, and no second set of root certificates read at start.

use std::time::Duration;

use aws_smithy_async::rt::sleep::{SharedAsyncSleep, TokioSleep};
use aws_smithy_runtime_api::client::http::{
    HttpConnector, HttpConnectorSettings, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::byte_stream::ByteStream;
use tokio::time::Instant;

use super::request::url_for_logs;
use crate::Error;

#[derive(Clone, Debug)]
pub struct Delivery {
    connector: SharedHttpConnector,
    /// Tries in all, at least 4.
    pub attempts: u32,
    /// Pause after the first failure; doubled after each further one.
    pub first_backoff: Duration,
}

impl Delivery {
    pub fn new() -> Result<Self, Error> {
        let settings = HttpConnectorSettings::builder()
            .connect_timeout(Duration::from_secs(5))
            .build();
        let sleep = SharedAsyncSleep::new(TokioSleep::new());
        let connector = crate::aws::connector(Some(&settings), Some(sleep));
        Ok(Delivery {
            connector: SharedHttpConnector::new(connector),
            attempts: 5,
            first_backoff: Duration::from_millis(250),
        })
    }

    /// One PUT of `body` to `url`, answered within `limit`; a failure to get an answer reads
    /// as its kind and innermost cause, never with the URL.
    async fn send(&self, url: &str, body: &[u8], limit: Duration) -> Result<HttpResponse, String> {
        let mut req = HttpRequest::new(SdkBody::from(body.to_vec()));
        req.set_method("PUT").map_err(|e| e.to_string())?;
        req.set_uri(url)
            .map_err(|_| "the ResponseURL is not a URL".to_string())?;
        req.headers_mut().insert("content-type", "");
        req.headers_mut()
            .insert("content-length", body.len().to_string());
        match tokio::time::timeout(limit, self.connector.call(req)).await {
            Err(_) => Err(format!("timeout: no answer within {} s", limit.as_secs())),
            Ok(Ok(resp)) => Ok(resp),
            Ok(Err(e)) => {
                let mut cause: &dyn std::error::Error = &e;
                while let Some(inner) = cause.source() {
                    cause = inner;
                }
                Err(format!("{e}: {cause}"))
            }
        }
    }

    /// PUTs `body` to `url`, trying until it is accepted, a 4xx says it never will be, the
    /// tries run out, or `deadline` passes. Returns the accepting HTTP status.
    pub async fn put(&self, url: &str, body: Vec<u8>, deadline: Instant) -> Result<u16, Error> {
        let target = url_for_logs(url);
        let fail = |message: String| Error::Delivery {
            target: target.clone(),
            message,
        };
        let mut backoff = self.first_backoff;
        let mut last = String::from("no attempt made before the deadline");
        for attempt in 1..=self.attempts {
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                break;
            }
            let sent = self
                .send(url, &body, remaining.min(Duration::from_secs(20)))
                .await;
            match sent {
                Ok(resp) if resp.status().is_success() => return Ok(resp.status().as_u16()),
                Ok(resp) if resp.status().is_server_error() => {
                    last = format!("HTTP {}", resp.status().as_u16());
                }
                Ok(resp) => {
                    // A 4xx will not change on retry: the URL has expired or was altered.
                    let status = resp.status().as_u16();
                    // Read within its own bound: a refusal must not hang the answer either.
                    let read = ByteStream::new(resp.into_body()).collect();
                    let text = match tokio::time::timeout(Duration::from_secs(5), read).await {
                        Ok(Ok(b)) => String::from_utf8_lossy(&b.into_bytes()).into_owned(),
                        _ => String::new(),
                    };
                    // S3's SignatureDoesNotMatch quotes the canonical request, query and all.
                    let text: String = scrub(&text, url).chars().take(300).collect();
                    return Err(fail(format!("HTTP {status}: {text}")));
                }
                // The query is the presigned URL's credential: never in a log or a Reason,
                // whatever a cause's text holds.
                Err(e) => last = scrub(&e, url),
            }
            tracing::warn!(attempt, target = %target, error = %last, "CloudFormation response not accepted; retrying");
            if attempt < self.attempts {
                let pause = backoff.min(deadline.saturating_duration_since(Instant::now()));
                tokio::time::sleep(pause).await;
                backoff *= 2;
            }
        }
        Err(fail(format!("{} tries: {last}", self.attempts)))
    }
}

/// `message` without the URL's query string, should a cause ever quote it.
fn scrub(message: &str, url: &str) -> String {
    match url.split_once('?') {
        Some((_, query)) if !query.is_empty() => message.replace(query, "…"),
        _ => message.to_string(),
    }
}
