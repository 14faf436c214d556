//! The one error type at the library edge. Messages name the property, API call or setting
//! involved and, where there is one, what to do about it: they end up in CloudFormation's
//! `Reason`, which is often the only thing a user reads.

use crate::spec::SpecErrors;

#[derive(Clone, Debug, thiserror::Error)]
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

    /// A call to AWS failed. `message` is one line: AWS's code and message when it answered.
    #[error("{call} failed: {message}")]
    Aws {
        call: &'static str,
        /// AWS's error code, when AWS answered with one.
        code: Option<String>,
        message: String,
    },

    /// AWS will not let this monitor work (refused accounts or namespace, a series another
    /// monitor owns): refused at Create/Update before anything is made.
    #[error("{0}")]
    Refused(String),

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
            code: None,
            message: one_line(&err.to_string()),
        }
    }

    /// Whether AWS refused the call for who is asking (a missing permission, a role that
    /// cannot be assumed, a region not enabled): asking again will not help, a person must.
    /// Throttling, 5xx and timeouts are not refusals.
    pub fn is_refusal(&self) -> bool {
        let Error::Aws { call, code, .. } = self else {
            return false;
        };
        let refused = code.as_deref().is_some_and(|c| REFUSAL_CODES.contains(&c));
        // An AssumeRole that AWS answered with any non-transient error is a refusal too
        // (e.g. a malformed or missing role); transient ones carry no such code.
        let assume = *call == "sts:AssumeRole"
            && code
                .as_deref()
                .is_some_and(|c| !TRANSIENT_CODES.contains(&c) && !c.starts_with("Internal"));
        refused || assume
    }
}

/// AWS error codes that mean "not you, not here": authorization and opt-in refusals.
pub const REFUSAL_CODES: &[&str] = &[
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "AuthFailure",
    "OptInRequired",
    "SignatureDoesNotMatch",
    // An `AvoidPrefixLists` list the provider's account cannot see in any scanned region:
    // only sharing it (or removing it) helps.
    "InvalidPrefixListID.NotFound",
];

/// Codes that say "try again later".
const TRANSIENT_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "RequestLimitExceeded",
    "TooManyRequestsException",
    "ServiceUnavailable",
    "RequestExpired",
    "IDPCommunicationError",
];

/// Text fit for one line of a log, a Reason or a notification: whitespace runs (newlines
/// included) become one space, and it stops at 400 characters.
pub fn one_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(400));
    for word in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    if out.chars().count() > 400 {
        out = out.chars().take(399).collect::<String>() + "…";
    }
    out
}
