//! What any input must come to, shared by the proptest (`tests/robust.rs`) and the fuzz target
//! (`fuzz/fuzz_targets/route_and_spec.rs`): routing never panics; every CloudFormation request
//! it finds is answerable — properties the parser refuses become a FAILED body of at most
//! 4096 bytes with a Reason — and properties it accepts survive the trip through the
//! schedule's input (serialize, parse again: the same monitor). `Err` names the broken promise.

use cidrwatch::cfn::response::{self, MAX_BODY_BYTES, Response};
use cidrwatch::cfn::{Action, Coords, Parsed};
use cidrwatch::event::{self, Event};
use cidrwatch::spec;
use serde_json::{Value, json};

/// Routes `payload` as it is and as a tick's monitor, and checks every request found.
pub fn route(payload: &Value) -> Result<(), String> {
    if let Ok(Event::CloudFormation(parsed)) = event::classify(payload.clone()) {
        for p in &parsed {
            request(p)?;
        }
    }
    let _ = event::classify(json!({"cidrwatch": "tick", "v": 1, "monitor": payload}));
    Ok(())
}

/// One parsed CloudFormation request: a Create's or Update's properties are checked; a
/// malformed one must say why.
pub fn request(parsed: &Parsed) -> Result<(), String> {
    match parsed {
        Parsed::Request(r) => match &r.action {
            Action::Create { properties } | Action::Update { properties, .. } => {
                self::properties(properties)
            }
            Action::Delete { .. } => Ok(()),
        },
        Parsed::Malformed { coords, reason, .. } => refusal(coords, reason),
    }
}

/// Resource properties: accepted ones round-trip, refused ones are answerable.
pub fn properties(props: &Value) -> Result<(), String> {
    match spec::parse(props) {
        Ok(spec) => {
            let input = serde_json::to_value(&spec).map_err(|e| e.to_string())?;
            match spec::parse(&input) {
                Ok(again) if again == spec => Ok(()),
                Ok(again) => Err(format!("round trip changed {spec:?} into {again:?}")),
                Err(e) => Err(format!("{input} no longer parses: {e}")),
            }
        }
        Err(e) => refusal(&coords(), &e.to_string()),
    }
}

/// A FAILED answer as CloudFormation would receive it: at most 4096 bytes, a Reason.
fn refusal(coords: &Coords, reason: &str) -> Result<(), String> {
    if reason.is_empty() {
        return Err("an empty Reason".into());
    }
    let body = response::encode(
        coords,
        &Response::failed("cidrwatch-p-00000000".into(), reason),
    );
    if body.len() > MAX_BODY_BYTES {
        return Err(format!("a {}-byte body", body.len()));
    }
    let v: Value = serde_json::from_slice(&body).map_err(|e| e.to_string())?;
    if v["Status"] != "FAILED" || v["Reason"].as_str().unwrap_or_default().is_empty() {
        return Err(format!("not a FAILED answer with a Reason: {v}"));
    }
    Ok(())
}

fn coords() -> Coords {
    Coords {
        response_url: "http://127.0.0.1:9/r".into(),
        stack_id: "arn:aws:cloudformation:us-east-1:123456789012:stack/s/1".into(),
        request_id: "r".into(),
        logical_resource_id: "Pool".into(),
    }
}
