//! The process: dependencies built once at start-up, and the one entry point every event
//! goes through, in Lambda and in `cidrwatch invoke` alike.

use std::sync::Arc;

use aws_config::SdkConfig;
use serde_json::value::RawValue;
use serde_json::{Value, json};
use tokio::time::Instant;

use crate::aws::Aws;
use crate::cfn::{self, Delivery, Parsed};
use crate::event::{self, Event};
use crate::plan;
use crate::provider::{self, Provider, Settings};
use crate::spec::DEFAULT_NAMESPACE;
use crate::tick;
use crate::usage::bounded::json_text;
use crate::{Error, alarm, widget};

/// What the environment gives one invocation: who this function is and when it must be done.
#[derive(Clone, Debug)]
pub struct Invocation {
    /// Target of the schedules and, with `Notify: detailed`, of the alarms.
    pub function_arn: Option<String>,
    pub deadline: Instant,
}

pub struct App {
    provider: Arc<Provider>,
    delivery: Delivery,
}

impl App {
    pub fn new(config: &SdkConfig, settings: Settings) -> Result<Self, Error> {
        Ok(App {
            provider: Arc::new(Provider {
                aws: Aws::new(config)
                    .with_member_role(settings.limits.member_role_name.clone())
                    .with_concurrency(settings.scan_concurrency),
                settings,
            }),
            delivery: Delivery::new()?,
        })
    }

    /// Configuration from the environment and the SDK's standard chain.
    pub async fn from_env() -> Result<Self, Error> {
        App::new(&crate::aws::load_config().await, Settings::from_env())
    }

    /// Handles one event and gives its answer as JSON text, as the function returns it. For
    /// CloudFormation, `Ok` means every request was answered, so the caller must not run it
    /// again; `Err` means an answer could not be delivered.
    pub async fn handle_text(
        &self,
        payload: Value,
        inv: &Invocation,
    ) -> Result<Box<RawValue>, Error> {
        let answer = match event::classify(payload)? {
            // A tick's report goes to text without a tree of values (10,000 subnets).
            Event::Tick(t) => return tick::run(&self.provider.aws, &t, inv.deadline).await,
            Event::CloudFormation(requests) => self.cloudformation(requests, inv).await,
            Event::Alarm(a) => alarm::run(&self.provider.aws, &self.provider.settings, &a).await,
            Event::Describe => Ok(widget::describe()),
            Event::Widget(w) => {
                widget::run(
                    &self.provider.aws,
                    &self.provider.settings,
                    &w,
                    inv.deadline,
                )
                .await
            }
        };
        answer.map(|v| json_text(&v))
    }

    /// [`App::handle_text`]'s answer read back as a JSON value, for callers that read it.
    pub async fn handle(&self, payload: Value, inv: &Invocation) -> Result<Value, Error> {
        let text = self.handle_text(payload, inv).await?;
        Ok(serde_json::from_str(text.get()).unwrap_or_default())
    }

    /// Answers each CloudFormation request; `Err` when an answer could not be delivered.
    async fn cloudformation(
        &self,
        requests: Vec<Parsed>,
        inv: &Invocation,
    ) -> Result<Value, Error> {
        let mut answered = Vec::new();
        let mut undelivered = None;
        for parsed in requests {
            match self.answer(parsed, inv).await {
                Ok(a) => answered.push(json!({
                    "Status": a.status,
                    "PhysicalResourceId": a.physical_resource_id,
                    "Reason": a.reason,
                    "HttpStatus": a.http_status,
                })),
                Err(e) => {
                    tracing::error!(error = %e, "could not answer CloudFormation");
                    undelivered = Some(e);
                }
            }
        }
        match undelivered {
            Some(e) => Err(e),
            None => Ok(json!({ "answered": answered })),
        }
    }

    async fn answer(&self, parsed: Parsed, inv: &Invocation) -> Result<cfn::Answered, Error> {
        match parsed {
            Parsed::Request(request) => {
                // One line a request, so the function's log shows what CloudFormation asked
                // before what it was answered (troubleshooting reads the pair).
                let (kind, physical_id) = request.action.describe();
                tracing::info!(
                    request = kind,
                    logical_resource_id = %request.coords.logical_resource_id,
                    physical_resource_id = physical_id.unwrap_or(""),
                    "CloudFormation request"
                );
                provider::respond(
                    self.provider.clone(),
                    request,
                    inv.function_arn.clone(),
                    inv.deadline,
                    &self.delivery,
                )
                .await
            }
            Parsed::Malformed {
                coords,
                physical_id,
                reason,
            } => {
                let id = physical_id.unwrap_or_else(|| {
                    plan::monitor_id(
                        &coords.stack_id,
                        &coords.logical_resource_id,
                        "",
                        DEFAULT_NAMESPACE,
                    )
                });
                let work = async move { Err(Error::Request(reason)) };
                let deadline = cfn::Deadline::lambda(inv.deadline);
                let undo: Option<std::future::Ready<()>> = None;
                cfn::answer(&coords, id, deadline, &self.delivery, work, undo).await
            }
        }
    }
}

impl From<Error> for lambda_runtime::Diagnostic {
    fn from(e: Error) -> Self {
        let kind = match &e {
            Error::Spec(_) => "InvalidProperties",
            Error::Event(_) => "UnrecognisedEvent",
            Error::Request(_) => "MalformedRequest",
            Error::Aws { .. } => "AwsCallFailed",
            Error::Refused(_) => "Refused",
            Error::Delivery { .. } => "ResponseNotDelivered",
            Error::Config(_) => "Configuration",
            Error::NotImplemented(_) => "NotImplemented",
            Error::Input { .. } => "Input",
        };
        lambda_runtime::Diagnostic {
            error_type: kind.to_string(),
            error_message: e.to_string(),
        }
    }
}
