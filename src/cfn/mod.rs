//! The CloudFormation custom resource protocol, and nothing about monitors: request parsing
//! (direct or inside an SNS notification), the response body, its delivery to the
//! `ResponseURL`, and the guard that answers exactly once — on success, error, panic or
//! timeout.

#[cfg(feature = "aws")]
pub mod deliver;
#[cfg(feature = "aws")]
pub mod guard;
pub mod request;
pub mod response;

#[cfg(feature = "aws")]
pub use deliver::Delivery;
#[cfg(feature = "aws")]
pub use guard::{Answered, Deadline, answer};
pub use request::{Action, Coords, Parsed, Request};
pub use response::{Response, Status, Success};
