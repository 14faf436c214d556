//! Event routing and spec parsing on arbitrary bytes, held to the same promises as the
//! proptest in `tests/robust.rs` (see `tests/support/answerable.rs`). Seeded with the
//! fixture events; `make fuzz` runs it for a bounded time.

#![no_main]

#[path = "../../tests/support/answerable.rs"]
mod answerable;

use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Ok(payload) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    if let Err(broken) = answerable::route(&payload) {
        panic!("{broken}");
    }
    if let Err(broken) = answerable::properties(&payload) {
        panic!("{broken}");
    }
    // The same bytes as the properties of a real Create, the way CloudFormation sends them.
    let mut request: Value =
        serde_json::from_str(include_str!("../../tests/fixtures/create.json")).unwrap();
    request["ResourceProperties"] = payload;
    if let Err(broken) = answerable::route(&request) {
        panic!("{broken}");
    }
});
