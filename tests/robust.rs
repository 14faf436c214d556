//! Bad input made harmless: arbitrary JSON never panics the event router or the spec parser,
//! whatever the spec parser refuses becomes a FAILED response of at most 4096 bytes, and what
//! it accepts survives the schedule's input. The checks live in `support/answerable.rs`, which
//! the fuzz target (`make fuzz`) shares.

#[path = "support/answerable.rs"]
mod answerable;

use cidrwatch::cfn::{Action, Parsed};
use cidrwatch::event::{self, Event};
use proptest::prelude::*;
use serde_json::{Map, Number, Value, json};

/// Keys that steer the router and the parser down their deeper paths, and random ones.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("PoolName".to_string()),
        Just("Select".to_string()),
        Just("Thresholds".to_string()),
        Just("Schedule".to_string()),
        Just("Tags".to_string()),
        Just("Cidrs".to_string()),
        Just("VpcIds".to_string()),
        Just("WarningPercent".to_string()),
        Just("MetricStream".to_string()),
        Just("RequestType".to_string()),
        Just("ResponseURL".to_string()),
        Just("Records".to_string()),
        Just("cidrwatch".to_string()),
        Just("alarmData".to_string()),
        "\\PC{0,12}",
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_filter_map("finite", |f| Number::from_f64(f).map(Value::Number)),
        "\\PC{0,40}".prop_map(Value::String),
        Just(json!("rate(5 minutes)")),
        Just(json!("10.0.0.0/8")),
        Just(json!("tick")),
        Just(json!("aws:sns")),
        "x{0,6000}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 96, 10, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..10).prop_map(Value::Array),
            proptest::collection::vec((key(), inner), 0..10)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// A broken promise fails the case with its own words.
fn holds(checked: Result<(), String>) -> Result<(), TestCaseError> {
    checked.map_err(TestCaseError::fail)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(600))]

    #[test]
    fn arbitrary_json_never_panics_the_router_or_the_spec(v in json_value()) {
        holds(answerable::route(&v))?;
        holds(answerable::properties(&v))?;
    }

    #[test]
    fn arbitrary_properties_in_a_real_request_are_answerable(props in json_value()) {
        let mut request: Value = serde_json::from_str(include_str!("fixtures/create.json")).unwrap();
        request["ResourceProperties"] = props;
        match event::classify(request) {
            Ok(Event::CloudFormation(parsed)) => {
                prop_assert_eq!(parsed.len(), 1);
                prop_assert!(
                    matches!(&parsed[0], Parsed::Request(r) if matches!(r.action, Action::Create { .. })),
                    "not a create: {:?}", parsed[0]
                );
                holds(answerable::request(&parsed[0]))?;
            }
            other => prop_assert!(false, "a CloudFormation request routed elsewhere: {:?}", other),
        }
    }
}
