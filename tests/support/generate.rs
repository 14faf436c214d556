//! Monitors generated from the committed property schema (`schema/cidr-monitor.schema.json`):
//! every property, every enum value, each scalar both as JSON and as the string CloudFormation
//! sends, lists empty and full, values from the schema's own `examples`. A schema node that a
//! generator cannot fill (a string without examples) fails loudly, so a new property has to
//! bring examples with it.

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

/// The committed schema.
pub fn schema() -> Value {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/cidr-monitor.schema.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).expect("schema JSON")
}

/// A small deterministic generator (splitmix64): a seed replays a run.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// One property set: each optional property present about half the time.
pub fn properties(rng: &mut Rng) -> Value {
    let s = schema();
    value(rng, &s, "").unwrap_or_else(|| json!({}))
}

/// A value for schema `node` at `path`; `None` stands for absent (null counts as absent).
pub fn value(rng: &mut Rng, node: &Value, path: &str) -> Option<Value> {
    if let Some(options) = node["enum"].as_array() {
        return Some(rng.pick(options).clone()).filter(|v| !v.is_null());
    }
    if let Some(branches) = node["anyOf"].as_array() {
        let branch = rng.pick(branches);
        return value(rng, branch, path);
    }
    let types: Vec<&str> = match &node["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => panic!("{path}: a schema node without a type: {node}"),
    };
    match *rng.pick(&types) {
        "null" => None,
        "object" => Some(object(rng, node, path)),
        "array" => {
            let items: Vec<Value> = (0..rng.below(3))
                .filter_map(|i| value(rng, &node["items"], &format!("{path}[{i}]")))
                .collect();
            Some(Value::Array(items))
        }
        "string" => Some(json!(example(rng, node, path))),
        "integer" => Some(json!(integer(rng, node))),
        "number" => {
            let (lo, hi) = (node["minimum"].as_f64(), node["maximum"].as_f64());
            let (lo, hi) = (lo.unwrap_or(0.0), hi.unwrap_or(100.0));
            Some(json!(*rng.pick(&[lo, 70.0, 85.5, 95.0, hi])))
        }
        "boolean" => Some(json!(rng.chance(50))),
        other => panic!("{path}: a schema type the generator does not know: {other}"),
    }
}

fn example(rng: &mut Rng, node: &Value, path: &str) -> String {
    let examples = node["examples"]
        .as_array()
        .filter(|e| !e.is_empty())
        .unwrap_or_else(|| panic!("{path}: a string without examples in the schema: {node}"));
    match rng.pick(examples) {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A whole number: an example's, where the examples are numbers (an account id as a number),
/// else the bounds and a value between.
fn integer(rng: &mut Rng, node: &Value) -> u64 {
    let (lo, hi) = (
        node["minimum"].as_u64().unwrap_or(0),
        node["maximum"].as_u64().unwrap_or(u64::MAX),
    );
    let from_examples: Vec<u64> = node["examples"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e.as_str().and_then(|s| s.parse().ok()).or(e.as_u64()))
        .filter(|n| (lo..=hi).contains(n))
        .collect();
    if !from_examples.is_empty() {
        return *rng.pick(&from_examples);
    }
    *rng.pick(&[
        lo.max(1),
        lo.max(1).saturating_mul(8).min(hi),
        256.clamp(lo, hi),
        hi,
    ])
}

fn object(rng: &mut Rng, node: &Value, path: &str) -> Value {
    let mut out = Map::new();
    let join = |k: &str| {
        if path.is_empty() {
            k.to_string()
        } else {
            format!("{path}.{k}")
        }
    };
    if let Some(props) = node["properties"].as_object() {
        let required: Vec<&str> = node["required"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        for (k, v) in props {
            let needed = required.contains(&k.as_str());
            let item = if needed {
                // A required key is never null: draw until it is something.
                (0..16).find_map(|_| value(rng, v, &join(k)))
            } else if rng.chance(50) {
                value(rng, v, &join(k))
            } else {
                None
            };
            if let Some(item) = item {
                out.insert(k.clone(), item);
            }
        }
        return Value::Object(out);
    }
    // A map (tags): keys from the names' examples, values from the values' schema.
    for _ in 0..rng.below(3) {
        let key = example(rng, &node["propertyNames"], &format!("{path} key"));
        if let Some(v) = value(rng, &node["additionalProperties"], &join(&key)) {
            out.insert(key, v);
        }
    }
    Value::Object(out)
}

/// Every object of the schema, depth first, handed to `visit` with what it has collected.
fn collect(visit: fn(&Map<String, Value>, &mut BTreeSet<String>)) -> BTreeSet<String> {
    fn walk(
        node: &Value,
        visit: fn(&Map<String, Value>, &mut BTreeSet<String>),
        out: &mut BTreeSet<String>,
    ) {
        match node {
            Value::Object(m) => {
                visit(m, out);
                m.values().for_each(|v| walk(v, visit, out));
            }
            Value::Array(items) => items.iter().for_each(|v| walk(v, visit, out)),
            _ => {}
        }
    }
    let mut out = BTreeSet::new();
    walk(&schema(), visit, &mut out);
    out
}

/// Every property name in the schema, nested ones included: the vocabulary of the robust
/// proptest and the fuzz dictionary.
pub fn property_names() -> BTreeSet<String> {
    collect(|m, out| {
        if let Some(props) = m.get("properties").and_then(Value::as_object) {
            out.extend(props.keys().cloned());
        }
    })
}

/// Every example and enum value in the schema.
pub fn example_values() -> BTreeSet<String> {
    collect(|m, out| {
        for key in ["examples", "enum"] {
            for v in m.get(key).and_then(Value::as_array).into_iter().flatten() {
                if let Some(s) = v.as_str() {
                    out.insert(s.to_string());
                }
            }
        }
    })
}
