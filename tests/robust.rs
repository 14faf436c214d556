//! Bad input made harmless: arbitrary JSON never panics the event router or the spec parser,
//! whatever the spec parser refuses becomes a FAILED response of at most 4096 bytes, and what
//! it accepts survives the schedule's input. The checks live in `support/answerable.rs`, which
//! the fuzz target (`make fuzz`) shares.

#[path = "support/answerable.rs"]
mod answerable;
#[path = "support/generate.rs"]
#[allow(dead_code)]
mod generate;

use cidrwatch::cfn::{Action, Parsed};
use cidrwatch::event::{self, Event};
use proptest::prelude::*;
use serde_json::{Map, Number, Value, json};

/// Keys that steer the router and the parser down their deeper paths — every property the
/// schema names, and the router's own — and random ones.
fn key() -> impl Strategy<Value = String> {
    let mut known: Vec<String> = generate::property_names().into_iter().collect();
    known.extend(
        [
            "RequestType",
            "ResponseURL",
            "Records",
            "cidrwatch",
            "alarmData",
            "widgetContext",
        ]
        .map(String::from),
    );
    prop_oneof![proptest::sample::select(known), "\\PC{0,12}"]
}

/// Every example and enum value of the schema (`ALL`, OU ids, ARNs, rates, formats, …).
fn known_value() -> impl Strategy<Value = Value> {
    let values: Vec<String> = generate::example_values().into_iter().collect();
    proptest::sample::select(values).prop_map(Value::String)
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_filter_map("finite", |f| Number::from_f64(f).map(Value::Number)),
        "\\PC{0,40}".prop_map(Value::String),
        known_value(),
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

/// The fuzz dictionary (`make fuzz`) holds every property name and every example and enum
/// value of the schema, so libFuzzer reaches the same paths this proptest does.
#[test]
fn the_fuzz_dictionary_knows_every_property_and_value() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/json.dict");
    let dict = std::fs::read_to_string(&path).expect("fuzz/json.dict");
    let entries: std::collections::BTreeSet<String> = dict
        .lines()
        .filter(|l| l.starts_with('"'))
        .filter_map(|l| serde_json::from_str::<String>(l).ok())
        .collect();
    let missing: Vec<String> = generate::property_names()
        .into_iter()
        .chain(generate::example_values())
        .map(|s| Value::String(s).to_string())
        .filter(|quoted| !entries.contains(quoted))
        .collect();
    assert_eq!(
        missing,
        Vec::<String>::new(),
        "add these lines to fuzz/json.dict"
    );
}
