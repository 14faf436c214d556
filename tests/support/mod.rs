//! The test bed: a local AWS (moto behind the CBOR front, `aws_front.py`) started per test
//! on a free loopback port, a loopback HTTP server that captures what is sent to it (the
//! CloudFormation `ResponseURL`, a Lambda Runtime API), and the fixture events.
//!
//! - `bed`: the local AWS and what tests read back from it;
//! - `loopback`: the capturing HTTP server, and the Lambda Runtime API built on it;
//! - `fixtures`: the fixture events, the provider preamble most tests start with, topic
//!   subscribers;
//! - `estate`: known estates built in moto, with their usage computed independently;
//! - `fast`: the fast local AWS for scale runs (`fast_aws.py`), no moto behind it;
//! - `network`: the address-plan world (gateways, peerings, routes, a prefix list) in moto;
//! - `org`: organizations, OUs and member accounts in moto;
//! - `space`: address space by brute force, from the definitions.
//!
//! Nothing here reaches beyond 127.0.0.1.
#![allow(dead_code)] // each test binary uses its own part of the bed

pub mod bed;
pub mod book;
pub mod estate;
pub mod fast;
pub mod fixtures;
pub mod generate;
pub mod loopback;
pub mod network;
pub mod org;
pub mod space;

// Each test binary uses its own part of the bed, so some of these go unused in each.
#[allow(unused_imports)]
pub use bed::*;
#[allow(unused_imports)]
pub use fixtures::*;
#[allow(unused_imports)]
pub use loopback::*;

pub const FUNCTION_ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function:cidrwatch-provider";
pub const SCHEDULER_ROLE_ARN: &str = "arn:aws:iam::123456789012:role/cidrwatch-scheduler";
pub const GROUP: &str = "cidrwatch";
pub const TOPIC_ARN: &str = "arn:aws:sns:us-east-1:123456789012:network-alerts";
/// Stands for the presigned query string: it must never reach a log.
pub const SECRET_QUERY: &str = "X-Amz-Signature=s3cr3t-never-logged";
