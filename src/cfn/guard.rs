//! Exactly one answer per request. The work runs in its own task; whichever comes first —
//! its result, its panic, or the guard's timer a few seconds before the Lambda deadline —
//! becomes the response, and the response is delivered before this returns.

use std::any::Any;
use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

use super::deliver::Delivery;
use super::request::{Coords, url_for_logs};
use super::response::{self, Response, Status, Success};
use crate::Error;

/// How long before the Lambda deadline the guard stops waiting for the work: time enough
/// to deliver the answer, with retries.
pub const GUARD_MARGIN: Duration = Duration::from_secs(6);
/// Delivery itself stops this long before the deadline, so the handler can still return.
const DELIVERY_MARGIN: Duration = Duration::from_millis(500);

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
pub async fn answer<W>(
    coords: &Coords,
    failure_id: String,
    deadline: Instant,
    delivery: &Delivery,
    work: W,
) -> Result<Answered, Error>
where
    W: Future<Output = Result<Success, Error>> + Send + 'static,
{
    let task = tokio::spawn(work);
    let abort = task.abort_handle();
    let guard_at = deadline
        .checked_sub(GUARD_MARGIN)
        .unwrap_or_else(Instant::now);
    let response = match tokio::time::timeout_at(guard_at, task).await {
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
                    "timed out: the work did not finish {}s before the function's deadline; \
                     raise the provider function's timeout, or see its log for the call that hung",
                    GUARD_MARGIN.as_secs()
                ),
            )
        }
    };
    let body = response::encode(coords, &response);
    let delivered_by = deadline.checked_sub(DELIVERY_MARGIN).unwrap_or(deadline);
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
