//! cidrwatch: watches self-managed VPC/subnet IPv4 space and warns before it runs out.
//!
//! One binary, four roles chosen by the event it receives (see `docs/design.md`):
//! a CloudFormation custom resource provider (`Custom::CidrMonitor`), a schedule tick that
//! computes usage metrics, a CloudWatch alarm action that sends rich notifications, and the
//! dashboard's custom widget that draws the pool's address space.
//!
//! Module map, outside in:
//!
//! - [`app`]: the dependencies built once per process and the one entry point every event
//!   goes through ([`app::App::handle`]).
//! - [`event`]: which of the four events a payload is (pure).
//! - [`cfn`]: the CloudFormation protocol: request parsing (SNS unwrap), the response body,
//!   its delivery to the `ResponseURL`, and the guard that answers exactly once.
//! - [`spec`]: resource properties to a validated [`spec::MonitorSpec`]; every input error
//!   lives here (pure).
//! - [`plan`]: a spec to the alarms and schedule it implies, and the monitor's id (pure).
//! - [`provider`]: Create / Update / Delete of one monitor: plan, then apply through [`aws`].
//! - [`aws`]: the only code that calls AWS; it speaks in our structs, never SDK types.
//! - [`usage`]: CIDR arithmetic and pool usage (pure).
//! - [`tick`]: discover → usage → trend → metrics → report.
//! - [`alarm`]: an alarm's event → a fresh scan → one notification per topic, composed by
//!   [`notify`] (pure).
//! - [`map`]: the pool's address space as one self-contained HTML page (pure), for
//!   `cidrwatch map` and the dashboard's custom widget.
//! - [`widget`]: the dashboard's custom widget: a fresh scan drawn as the map.
//! - [`cli`]: `cidrwatch invoke` and `cidrwatch report` off Lambda.
//! - [`error`]: the one error type at the library edge.
//!
//! Without the default `aws` feature only the pure modules build (event, cfn's request and
//! response, spec, plan, usage, notify, error): the fuzz target's crate.

#[cfg(feature = "aws")]
pub mod alarm;
#[cfg(feature = "aws")]
pub mod app;
#[cfg(feature = "aws")]
pub mod aws;
pub mod cfn;
#[cfg(feature = "aws")]
pub mod cli;
pub mod error;
pub mod event;
pub mod map;
pub mod notify;
pub mod plan;
#[cfg(feature = "aws")]
pub mod provider;
pub mod spec;
#[cfg(feature = "aws")]
pub mod tick;
pub mod usage;
#[cfg(feature = "aws")]
pub mod widget;

pub use error::Error;

/// mimalloc for every binary built with AWS: the Lambda, the command line, and the bare SDK
/// legs `make bench` measures a tick against (so that yardstick still differs from a tick
/// only by its work). A tick holds its pool's records while it makes thousands of small
/// requests, and glibc's allocator spent much of a large tick's CPU walking the free lists
/// that leaves; mimalloc spends a small part of that, for the same peak memory
/// (docs/benchmarks.md, "Where the tick's CPU went").
#[cfg(feature = "aws")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
