//! Exactly one answer per request. The work runs in its own task; whichever comes first —
//! its result, its panic, or the guard's timer a few seconds before the deadline (the earlier
//! of the Lambda deadline and the request's `ServiceTimeout`) — becomes the response, and the
//! response is delivered before this returns.

use std::any::Any;
use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

use super::deliver::Delivery;
use super::request::{Coords, url_for_logs};
use super::response::{self, Response, Status, Success};
use crate::Error;

/// At most this long is kept from the work for delivering the answer, with retries.
pub const GUARD_MARGIN: Duration = Duration::from_secs(6);
/// At most this long is kept from the work for undoing it (a Create or a replacement that
/// did not finish), so that nothing of it outlives a FAILED answer.
pub const UNDO_MARGIN: Duration = Duration::from_secs(8);
/// CloudFormation counts `ServiceTimeout` from when it sent the request, a little before the
/// function got it.
pub const SENT_MARGIN: Duration = Duration::from_secs(2);
/// Delivery itself stops this long before the deadline, so the handler can still return.
const DELIVERY_MARGIN: Duration = Duration::from_millis(500);

/// When each part of answering one request must be done.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Deadline {
    /// The earlier of the Lambda deadline and CloudFormation's `ServiceTimeout`.
    pub hard: Instant,
    /// The work stops here; what is left is for undo and delivery.
    pub work: Instant,
    /// Undo stops here; what is left is for delivery.
    pub undo: Instant,
    /// Why `hard` is what it is, for a timeout's Reason.
    pub limit: &'static str,
}

impl Deadline {
    /// From the Lambda deadline and, when the request set one, its `ServiceTimeout` counted
    /// from `received` (less [`SENT_MARGIN`]). The margins shrink to a third each when the
    /// time is short, so even a small budget leaves the work some of it.
    pub fn new(lambda: Instant, service_timeout: Option<Duration>, received: Instant) -> Self {
        let service = service_timeout.map(|t| received + t.saturating_sub(SENT_MARGIN));
        let (hard, limit) = match service {
            Some(s) if s < lambda => (s, "the request's ServiceTimeout"),
            _ => (lambda, "the function's timeout"),
        };
        let total = hard.saturating_duration_since(Instant::now());
        let answer = GUARD_MARGIN.min(total / 3);
        let undo = UNDO_MARGIN.min(total / 3);
        Deadline {
            hard,
            work: hard - answer - undo,
            undo: hard - answer,
            limit,
        }
    }

    /// The Lambda deadline alone, with no time kept for undo.
    pub fn lambda(lambda: Instant) -> Self {
        let d = Deadline::new(lambda, None, Instant::now());
        Deadline { work: d.undo, ..d }
    }
}

/// What was answered.
#[derive(Clone, Debug, PartialEq)]
pub struct Answered {
    pub status: Status,
    pub physical_resource_id: String,
    pub reason: Option<String>,
    pub http_status: u16,
}

/// Runs `work` and answers CloudFormation once with its outcome. `failure_id` is the
/// PhysicalResourceId of a FAILED answer (the request's own, or a Create's deterministic id).
/// When the work times out or panics, `undo` (if any) runs before the FAILED answer, bounded
/// by `deadline.undo`: what the work made must not outlive the answer that disowns it.
pub async fn answer<W, U>(
    coords: &Coords,
    failure_id: String,
    deadline: Deadline,
    delivery: &Delivery,
    work: W,
    undo: Option<U>,
) -> Result<Answered, Error>
where
    W: Future<Output = Result<Success, Error>> + Send + 'static,
    U: Future<Output = ()> + Send + 'static,
{
    let task = tokio::spawn(work);
    let abort = task.abort_handle();
    let outcome = tokio::time::timeout_at(deadline.work, task).await;
    let unfinished = !matches!(outcome, Ok(Ok(_)));
    let response = match outcome {
        Ok(Ok(Ok(success))) => Response::success(success),
        Ok(Ok(Err(e))) => Response::failed(failure_id, e.to_string()),
        Ok(Err(join)) if join.is_panic() => Response::failed(
            failure_id,
            format!("internal error: {}", panic_text(join.into_panic())),
        ),
        Ok(Err(_cancelled)) => {
            Response::failed(failure_id, "internal error: the work was cancelled")
        }
        Err(_elapsed) => {
            abort.abort();
            Response::failed(
                failure_id,
                format!(
                    "timed out: the work did not finish in time for {}; raise it (the \
                     provider template's TimeoutSeconds, the monitor's ServiceTimeout), or see \
                     the function's log for the call that hung",
                    deadline.limit
                ),
            )
        }
    };
    let response = match (unfinished, undo) {
        (true, Some(undo)) => {
            let undone = tokio::time::timeout_at(deadline.undo, undo).await.is_ok();
            if undone {
                response
            } else {
                tracing::error!("undo did not finish before the answer was due");
                let reason = format!(
                    "{}; removing what it made did not finish either: delete the resources \
                     tagged cidrwatch:monitor={} by hand",
                    response.reason.as_deref().unwrap_or_default(),
                    response.physical_resource_id
                );
                Response {
                    reason: Some(reason),
                    ..response
                }
            }
        }
        _ => response,
    };
    let body = response::encode(coords, &response);
    let delivered_by = deadline
        .hard
        .checked_sub(DELIVERY_MARGIN)
        .unwrap_or(deadline.hard);
    let http_status = delivery
        .put(&coords.response_url, body, delivered_by)
        .await?;
    tracing::info!(
        status = ?response.status,
        physical_resource_id = %response.physical_resource_id,
        reason = response.reason.as_deref().unwrap_or(""),
        target = %url_for_logs(&coords.response_url),
        "answered CloudFormation"
    );
    Ok(Answered {
        status: response.status,
        physical_resource_id: response.physical_resource_id,
        reason: response.reason,
        http_status,
    })
}

fn panic_text(payload: Box<dyn Any + Send>) -> String {
    match payload.downcast::<String>() {
        Ok(s) => format!("panic: {s}"),
        Err(payload) => match payload.downcast::<&str>() {
            Ok(s) => format!("panic: {s}"),
            Err(_) => "panic".to_string(),
        },
    }
}
