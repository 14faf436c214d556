//! The only code that calls AWS. Callers see our structs ([`crate::plan`]'s definitions in,
//! small records out), never SDK types.

pub mod alarms;
pub mod dashboard;
pub mod discover;
pub mod metrics;
pub mod notify;
pub mod schedule;
pub mod stream;

use std::time::Duration;

use aws_config::SdkConfig;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_cloudwatch::error::{DisplayErrorContext, ProvideErrorMetadata};

use crate::Error;

/// The clients, built once per process from one SDK configuration.
#[derive(Clone, Debug)]
pub struct Aws {
    /// The provider's own configuration: EC2 clients per account-region derive from it.
    pub(crate) config: SdkConfig,
    pub(crate) cloudwatch: aws_sdk_cloudwatch::Client,
    pub(crate) scheduler: aws_sdk_scheduler::Client,
}

impl Aws {
    pub fn new(config: &SdkConfig) -> Self {
        Aws {
            config: config.clone(),
            cloudwatch: aws_sdk_cloudwatch::Client::new(config),
            scheduler: aws_sdk_scheduler::Client::new(config),
        }
    }

    /// The same, with CloudWatch calls going to `cloudwatch` (an `aws-smithy-mocks` client in
    /// tests of what the local endpoint lacks, such as metric streams).
    pub fn with_cloudwatch(mut self, cloudwatch: aws_sdk_cloudwatch::Client) -> Self {
        self.cloudwatch = cloudwatch;
        self
    }
}

/// Per-call limits, so a hung endpoint costs one bounded wait (then the SDK's retries)
/// rather than the whole Lambda budget.
pub fn timeouts() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(5))
        .operation_attempt_timeout(Duration::from_secs(20))
        .operation_timeout(Duration::from_secs(60))
        .build()
}

/// The SDK configuration from the standard chain (`AWS_ENDPOINT_URL`, region, credentials),
/// with our timeouts.
pub async fn load_config() -> SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .timeout_config(timeouts())
        .load()
        .await
}

/// Whether an error says the resource is not there: for deletes, where gone is done. Some
/// operations model no such error, and services spell it several ways, so match the code.
pub(crate) fn is_not_found<E: ProvideErrorMetadata>(err: &E) -> bool {
    matches!(
        err.code(),
        Some("ResourceNotFound" | "ResourceNotFoundException" | "DashboardNotFoundError")
    )
}

/// A delete's outcome: `true` when it deleted, `false` when the resource was already gone
/// (deleted all the same), an error otherwise.
pub(crate) fn deleted<T, E>(call: &'static str, result: Result<T, E>) -> Result<bool, Error>
where
    E: ProvideErrorMetadata + std::error::Error,
{
    match result {
        Ok(_) => Ok(true),
        Err(e) if is_not_found(&e) => Ok(false),
        Err(e) => Err(sdk_error(call, e)),
    }
}

/// An SDK error as "Code: message" when the service said so, else its whole chain.
pub(crate) fn sdk_error<E>(call: &'static str, err: E) -> Error
where
    E: ProvideErrorMetadata + std::error::Error,
{
    let message = match (err.code(), err.message()) {
        (Some(code), Some(msg)) => format!("{code}: {msg}"),
        (Some(code), None) => code.to_string(),
        _ => DisplayErrorContext(&err).to_string(),
    };
    Error::Aws { call, message }
}
