//! An upgrade keeps every monitor ticking: each schedule input an earlier release wrote
//! (tests/fixtures/schedule-inputs/<version>/, as that release serialized it) ticks whole on
//! today's code against the local AWS, and publishes its pool's figures.

mod support;

use std::path::PathBuf;

use serde_json::Value;
use support::estate::{self, OWN};
use support::*;

fn inputs() -> Vec<(String, Value)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/schedule-inputs");
    let mut found = Vec::new();
    for version in std::fs::read_dir(&dir).expect("schedule-inputs").flatten() {
        for file in std::fs::read_dir(version.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            let text = std::fs::read_to_string(file.path()).unwrap();
            let name = file
                .path()
                .strip_prefix(&dir)
                .unwrap()
                .display()
                .to_string();
            found.push((name, serde_json::from_str(&text).unwrap()));
        }
    }
    found.sort_by(|a, b| a.0.cmp(&b.0));
    found
}

#[tokio::test]
async fn every_earlier_releases_schedule_input_still_ticks_whole() {
    let bed = Bed::start();
    let app = bed.app().await;
    let want = estate::small(&bed.sdk().await)
        .await
        .expected(&[OWN], &["us-east-1"]);
    let inputs = inputs();
    assert!(inputs.len() >= 3, "{inputs:?}");
    for (name, tick) in inputs {
        let pool = tick["monitor"]["PoolName"].as_str().unwrap().to_string();
        let report = app
            .handle(tick, &invocation(120))
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(report["pool"], pool.as_str(), "{name}");
        assert_eq!(report["errors"], serde_json::json!([]), "{name}");
        assert!(report["scanned"].as_u64() > Some(0), "{name}: {report}");
        let heartbeat = bed
            .metric("CidrWatch", "Heartbeat", &[("Pool", &pool)])
            .await;
        assert_eq!(heartbeat, Some(1.0), "{name}: no Heartbeat for {pool}");
        // A whole tick publishes the pool's figures.
        let usable = bed
            .metric("CidrWatch", "UsableAddresses", &[("Pool", &pool)])
            .await
            .unwrap_or_else(|| panic!("{name}: no UsableAddresses for {pool}"));
        if name.ends_with("all-regions.json") {
            // Every subnet of every region: the estate's, and moto's default VPCs'.
            assert!(usable > want.usable as f64, "{name}: {usable}");
        } else {
            // The estate's tagged subnets, however the release wrote the selection.
            assert_eq!(usable, want.usable as f64, "{name}");
        }
    }
}
