//! A CloudFormation custom resource request, parsed.
//!
//! A request too malformed to act on may still carry enough to be answered: then it parses
//! to [`Parsed::Malformed`] and is answered FAILED, rather than left for CloudFormation to
//! wait on for an hour.

use aws_lambda_events::event::cloudformation::CloudFormationCustomResourceRequest as Raw;
use std::time::Duration;

use serde_json::Value;

/// What every answer needs: where it goes and which request it answers.
#[derive(Clone, Debug, PartialEq)]
pub struct Coords {
    pub response_url: String,
    pub stack_id: String,
    pub request_id: String,
    pub logical_resource_id: String,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    Create {
        properties: Value,
    },
    Update {
        physical_id: String,
        properties: Value,
        old_properties: Value,
    },
    /// Acts on the id alone, never on the properties it carries — save one case: a Delete
    /// that names no id (CloudFormation never received one, say a Create whose answer was
    /// lost) acts on the id the Create would have made, which only this resource of this
    /// stack can own (see `provider::id_for`).
    Delete {
        physical_id: Option<String>,
        properties: Value,
    },
}

impl Action {
    /// The RequestType CloudFormation sent, and the id it named (none for a Create).
    pub fn describe(&self) -> (&'static str, Option<&str>) {
        match self {
            Action::Create { .. } => ("Create", None),
            Action::Update { physical_id, .. } => ("Update", Some(physical_id)),
            Action::Delete { physical_id, .. } => ("Delete", physical_id.as_deref()),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Request {
    pub coords: Coords,
    pub resource_type: String,
    pub action: Action,
    /// The properties' `ServiceTimeout` (every request type carries the properties, Delete
    /// too): how long CloudFormation waits for this answer.
    pub service_timeout: Option<Duration>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Parsed {
    Request(Request),
    /// Answerable, but not actionable.
    Malformed {
        coords: Coords,
        physical_id: Option<String>,
        reason: String,
    },
}

/// Whether a payload claims to be a CloudFormation request.
pub fn looks_like_request(v: &Value) -> bool {
    v.get("RequestType").is_some() && v.get("ResponseURL").is_some()
}

/// Parses a request; `None` when it lacks what an answer needs (nothing can be done then).
pub fn parse(v: Value) -> Option<Parsed> {
    let text = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    let coords = Coords {
        response_url: text("ResponseURL")?,
        stack_id: text("StackId")?,
        request_id: text("RequestId")?,
        logical_resource_id: text("LogicalResourceId")?,
    };
    let physical_id = text("PhysicalResourceId");
    let service_timeout = v
        .get("ResourceProperties")
        .and_then(|p| p.get("ServiceTimeout"))
        .and_then(seconds);
    let kind = text("RequestType").unwrap_or_default();
    if !matches!(kind.as_str(), "Create" | "Update" | "Delete") {
        return Some(Parsed::Malformed {
            coords,
            physical_id,
            reason: format!("RequestType {kind:?} is not Create, Update or Delete"),
        });
    }
    if kind == "Delete" && physical_id.as_deref().is_none_or(str::is_empty) {
        return Some(Parsed::Request(Request {
            coords,
            resource_type: text("ResourceType").unwrap_or_default(),
            action: Action::Delete {
                physical_id: None,
                properties: v.get("ResourceProperties").cloned().unwrap_or(Value::Null),
            },
            service_timeout,
        }));
    }
    let raw: Raw<Value, Value> = match serde_json::from_value(v) {
        Ok(raw) => raw,
        Err(e) => {
            return Some(Parsed::Malformed {
                coords,
                physical_id,
                reason: e.to_string(),
            });
        }
    };
    let (resource_type, action) = match raw {
        Raw::Create(r) => (
            r.resource_type,
            Action::Create {
                properties: r.resource_properties,
            },
        ),
        Raw::Update(r) => (
            r.resource_type,
            Action::Update {
                physical_id: r.physical_resource_id,
                properties: r.resource_properties,
                old_properties: r.old_resource_properties,
            },
        ),
        Raw::Delete(r) => (
            r.resource_type,
            Action::Delete {
                physical_id: Some(r.physical_resource_id),
                properties: r.resource_properties,
            },
        ),
        _ => {
            return Some(Parsed::Malformed {
                coords,
                physical_id,
                reason: "unsupported RequestType".to_string(),
            });
        }
    };
    Some(Parsed::Request(Request {
        coords,
        resource_type,
        action,
        service_timeout,
    }))
}

/// Seconds as CloudFormation sends them (a number or its string), when sensible: 1 to 3600.
fn seconds(v: &Value) -> Option<Duration> {
    let secs = match v {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => s.trim().parse().ok()?,
        _ => return None,
    };
    (secs.is_finite() && secs >= 1.0).then(|| Duration::from_secs_f64(secs.min(3600.0)))
}

/// The `ResponseURL` fit for a log line: its query string is a credential (a presigned
/// URL's signature), so only scheme, host and path are kept.
pub fn url_for_logs(url: &str) -> String {
    let end = url.find(['?', '#']).unwrap_or(url.len());
    url[..end].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn logs_never_see_the_signature() {
        assert_eq!(
            url_for_logs("https://b.s3.amazonaws.com/k?X-Amz-Signature=secret&a=b"),
            "https://b.s3.amazonaws.com/k"
        );
    }

    #[test]
    fn unknown_request_type_is_answerable() {
        let parsed = parse(json!({"RequestType": "Explode", "ResponseURL": "http://x/",
            "StackId": "s", "RequestId": "r", "LogicalResourceId": "L", "ResourceType": "Custom::CidrMonitor"}))
        .unwrap();
        assert!(matches!(parsed, Parsed::Malformed { .. }), "{parsed:?}");
        assert!(parse(json!({"RequestType": "Create", "ResponseURL": "http://x/"})).is_none());
    }
}
