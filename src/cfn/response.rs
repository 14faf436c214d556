//! The response body CloudFormation reads: at most 4096 bytes, `Data` values strings.
//!
//! When the body would be too long, `Reason` is cut to fit. `Data` is never cut silently: a
//! response whose `Data` cannot fit becomes a FAILED one that says so.

use std::collections::BTreeMap;

use serde::Serialize;

use super::Coords;

/// CloudFormation's limit on a response body.
pub const MAX_BODY_BYTES: usize = 4096;
const CUT_MARK: &str = " …[truncated]";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Status {
    Success,
    Failed,
}

/// What successful work reports.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Success {
    pub physical_resource_id: String,
    pub data: BTreeMap<String, String>,
}

/// One answer to one request.
#[derive(Clone, Debug, PartialEq)]
pub struct Response {
    pub status: Status,
    pub reason: Option<String>,
    pub physical_resource_id: String,
    pub data: BTreeMap<String, String>,
}

impl Response {
    pub fn success(s: Success) -> Self {
        Response {
            status: Status::Success,
            reason: None,
            physical_resource_id: s.physical_resource_id,
            data: s.data,
        }
    }

    pub fn failed(physical_resource_id: String, reason: impl Into<String>) -> Self {
        Response {
            status: Status::Failed,
            reason: Some(reason.into()),
            physical_resource_id,
            data: BTreeMap::new(),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Body<'a> {
    status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
    physical_resource_id: &'a str,
    stack_id: &'a str,
    request_id: &'a str,
    logical_resource_id: &'a str,
    no_echo: bool,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    data: &'a BTreeMap<String, String>,
}

fn render(coords: &Coords, r: &Response, reason: Option<&str>) -> Vec<u8> {
    let body = Body {
        status: r.status,
        reason,
        physical_resource_id: &r.physical_resource_id,
        stack_id: &coords.stack_id,
        request_id: &coords.request_id,
        logical_resource_id: &coords.logical_resource_id,
        no_echo: false,
        data: &r.data,
    };
    // Serializing strings and a string map cannot fail.
    serde_json::to_vec(&body).unwrap_or_default()
}

/// The body for `response`, at most [`MAX_BODY_BYTES`] long.
pub fn encode(coords: &Coords, response: &Response) -> Vec<u8> {
    let full = render(coords, response, response.reason.as_deref());
    if full.len() <= MAX_BODY_BYTES {
        return full;
    }
    let without_reason = render(coords, response, Some(""));
    if without_reason.len() + CUT_MARK.len() + 64 > MAX_BODY_BYTES {
        let failed = Response::failed(
            response.physical_resource_id.clone(),
            format!(
                "the response's Data takes {} bytes, over CloudFormation's {MAX_BODY_BYTES}-byte \
                 limit on a response",
                without_reason.len()
            ),
        );
        return render(coords, &failed, failed.reason.as_deref());
    }
    let reason: Vec<char> = response.reason.as_deref().unwrap_or("").chars().collect();
    // The longest prefix whose escaped form fits: escaping makes length non-linear, so search.
    let fits = |n: usize| {
        let cut: String = reason[..n].iter().collect::<String>() + CUT_MARK;
        let body = render(coords, response, Some(&cut));
        (body.len() <= MAX_BODY_BYTES).then_some(body)
    };
    let (mut lo, mut hi) = (0, reason.len());
    let mut best = fits(0).unwrap_or(without_reason);
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        match fits(mid) {
            Some(body) => {
                best = body;
                lo = mid;
            }
            None => hi = mid - 1,
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn coords() -> Coords {
        Coords {
            response_url: "http://127.0.0.1/r".into(),
            stack_id: "arn:aws:cloudformation:us-east-1:111111111111:stack/s/1".into(),
            request_id: "req-1".into(),
            logical_resource_id: "Pool".into(),
        }
    }

    #[test]
    fn success_has_string_data_and_no_reason() {
        let mut data = BTreeMap::new();
        data.insert("PoolName".to_string(), "p".to_string());
        let body = encode(
            &coords(),
            &Response::success(Success {
                physical_resource_id: "id".into(),
                data,
            }),
        );
        let v: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["Status"], "SUCCESS");
        assert!(v.get("Reason").is_none());
        assert_eq!(v["Data"]["PoolName"], "p");
        assert_eq!(v["NoEcho"], false);
        assert_eq!(v["RequestId"], "req-1");
    }

    #[test]
    fn long_reasons_are_cut_to_fit_even_when_escaping_inflates_them() {
        for unit in ["x", "\"", "\u{1}", "é"] {
            let reason = unit.repeat(10_000);
            let body = encode(&coords(), &Response::failed("id".into(), reason));
            assert!(body.len() <= MAX_BODY_BYTES, "{unit:?}: {}", body.len());
            assert!(
                body.len() > MAX_BODY_BYTES - 16,
                "{unit:?}: only {}",
                body.len()
            );
            let v: Value = serde_json::from_slice(&body).unwrap();
            assert!(v["Reason"].as_str().unwrap().ends_with(CUT_MARK));
        }
    }

    #[test]
    fn oversized_data_fails_loudly() {
        let data: BTreeMap<String, String> = (0..100)
            .map(|i| (format!("k{i}"), "v".repeat(60)))
            .collect();
        let body = encode(
            &coords(),
            &Response::success(Success {
                physical_resource_id: "id".into(),
                data,
            }),
        );
        let v: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["Status"], "FAILED");
        assert!(v["Reason"].as_str().unwrap().contains("Data takes"));
        assert!(body.len() <= MAX_BODY_BYTES);
    }
}
