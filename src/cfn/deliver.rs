//! Delivers a response to the `ResponseURL`: a PUT with an empty `Content-Type` (the
//! presigned URL was signed without one) and an exact `Content-Length`, retried with backoff
//! on connection errors and 5xx, its status checked.

use std::time::Duration;

use reqwest::header::CONTENT_TYPE;
use tokio::time::Instant;

use super::request::url_for_logs;
use crate::Error;

#[derive(Clone, Debug)]
pub struct Delivery {
    client: reqwest::Client,
    /// Tries in all, at least 4.
    pub attempts: u32,
    /// Pause after the first failure; doubled after each further one.
    pub first_backoff: Duration,
}

impl Delivery {
    pub fn new() -> Result<Self, Error> {
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| Error::Config(format!("HTTP client: {e}")))?;
        Ok(Delivery {
            client,
            attempts: 5,
            first_backoff: Duration::from_millis(250),
        })
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
                .client
                .put(url)
                .header(CONTENT_TYPE, "")
                .body(body.clone())
                .timeout(remaining.min(Duration::from_secs(20)))
                .send()
                .await;
            match sent {
                Ok(resp) if resp.status().is_success() => return Ok(resp.status().as_u16()),
                Ok(resp) if resp.status().is_server_error() => {
                    last = format!("HTTP {}", resp.status().as_u16());
                }
                Ok(resp) => {
                    // A 4xx will not change on retry: the URL has expired or was altered.
                    let status = resp.status().as_u16();
                    let text = resp.text().await.unwrap_or_default();
                    let text: String = text.chars().take(300).collect();
                    return Err(fail(format!("HTTP {status}: {text}")));
                }
                // `without_url`: reqwest would otherwise print the presigned query string.
                Err(e) => last = e.without_url().to_string(),
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
