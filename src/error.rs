//! The one error type at the library edge. Messages name the property, API call or setting
//! involved and, where there is one, what to do about it: they end up in CloudFormation's
//! `Reason`, which is often the only thing a user reads.

use crate::spec::SpecErrors;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The resource properties are invalid; nothing was touched in AWS.
    #[error("{0}")]
    Spec(#[from] SpecErrors),

    /// The payload is not an event this function handles.
    #[error("unrecognised event: {0}")]
    Event(String),

    /// A CloudFormation request that can be answered but not acted on.
    #[error("malformed CloudFormation request: {0}")]
    Request(String),

    /// A call to AWS failed.
    #[error("{call} failed: {message}")]
    Aws { call: &'static str, message: String },

    /// The answer to CloudFormation could not be delivered.
    #[error("CloudFormation response to {target} not delivered: {message}")]
    Delivery { target: String, message: String },

    /// The function's own configuration (environment) is missing something.
    #[error("configuration: {0}")]
    Config(String),

    /// A role this build recognises but does not perform yet.
    #[error("{0} is not implemented in this version of cidrwatch")]
    NotImplemented(&'static str),

    /// Reading or parsing a local file (CLI).
    #[error("{path}: {message}")]
    Input { path: String, message: String },
}

impl Error {
    pub fn aws(call: &'static str, err: impl std::fmt::Display) -> Self {
        Error::Aws {
            call,
            message: err.to_string(),
        }
    }
}
