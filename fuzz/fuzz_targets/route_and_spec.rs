//! Event routing and spec parsing on arbitrary bytes, held to the same promises as the
//! proptest in `tests/robust.rs` (see `tests/support/answerable.rs`). Seeded with the
//! fixture events; `make fuzz` runs it for a bounded time.

#![no_main]

#[path = "../../tests/support/answerable.rs"]
mod answerable;

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use serde_json::Value;

/// A real Create, parsed once rather than once per input.
static CREATE: LazyLock<Value> = LazyLock::new(|| {
    serde_json::from_str(include_str!("../../tests/fixtures/create.json")).unwrap()
});

fuzz_target!(|data: &[u8]| {
    let Ok(payload) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    if let Err(broken) = answerable::route(&payload) {
        panic!("{broken}");
    }
    // The same bytes as the properties of a real Create, the way CloudFormation sends them;
    // routing it checks them as properties (spec::parse and the refusal or the round trip),
    // so no separate properties check is needed.
    let mut request = CREATE.clone();
    request["ResourceProperties"] = payload;
    if let Err(broken) = answerable::route(&request) {
        panic!("{broken}");
    }
});
