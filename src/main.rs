//! Thin: logging, then the Lambda runtime (when `AWS_LAMBDA_RUNTIME_API` is set) or the CLI.
// The SDK's nested futures are deeper than rustc's default layout query limit allows.
#![recursion_limit = "256"]

use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use cidrwatch::app::{App, Invocation};
use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::Value;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::fmt;
use tracing_subscriber::prelude::*;

// One thread: a tick waits on AWS far longer than it computes, and the Lambda at its default
// 256 MB has a seventh of one vCPU. Worker threads would only add the cross-thread wakes of every response (hyper's
// connection tasks run apart from the requests awaiting them).
#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    // HTTP client internals stay at warn whatever RUST_LOG asks: at debug they may print
    // request URIs (the connector does when a proxy authenticates), and a CloudFormation
    // ResponseURL's query string is a credential. RUST_LOG is read
    // as `target=level` directives (`info,cidrwatch=debug`): EnvFilter's span and field
    // matching links a regex engine no one asks of it.
    let wanted = std::env::var("RUST_LOG").unwrap_or_else(|_| "info".to_string());
    let filter: Targets =
        format!("{wanted},aws_smithy_http_client=warn,hyper=warn,hyper_util=warn")
            .parse()
            .unwrap_or_else(|_| Targets::new().with_default(tracing::Level::INFO));
    // Layers on the bare registry: fmt's own builder would filter at INFO beneath RUST_LOG.
    let logs = tracing_subscriber::registry().with(filter);
    if std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_some() {
        let json = fmt::layer().json().with_current_span(false).without_time();
        logs.with(json).init();
        lambda().await
    } else {
        logs.with(fmt::layer().with_writer(std::io::stderr)).init();
        cidrwatch::cli::main(std::env::args().skip(1).collect()).await
    }
}

async fn lambda() -> ExitCode {
    // Built once, reused by every invocation of this execution environment.
    let app = match App::from_env().await {
        Ok(app) => app,
        Err(e) => {
            tracing::error!(error = %e, "cannot start");
            return ExitCode::FAILURE;
        }
    };
    let app = &app;
    let handler = service_fn(move |event: LambdaEvent<Value>| async move {
        let inv = Invocation {
            function_arn: Some(event.context.invoked_function_arn.clone()),
            deadline: deadline(event.context.deadline),
        };
        app.handle_text(event.payload, &inv).await
    });
    match lambda_runtime::run(handler).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "Lambda runtime stopped");
            ExitCode::FAILURE
        }
    }
}

/// The invocation's deadline (milliseconds since the epoch) as a monotonic instant.
fn deadline(epoch_ms: u64) -> tokio::time::Instant {
    let at = UNIX_EPOCH + Duration::from_millis(epoch_ms);
    let left = at.duration_since(SystemTime::now()).unwrap_or_default();
    tokio::time::Instant::now() + left
}
