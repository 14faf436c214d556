//! The pages `make browser` opens in Chromium (tests/browser/check.mjs): the map and the
//! dashboard widget's answer, in each theme, for the manual's EKS estate, an address plan, a
//! 2,000-subnet pool and a 10,000-subnet one, each beside the report's figures the browser
//! checks it against. Written to target/browser/pages. Here, what needs no browser: the
//! largest pool's widget answer stays under Lambda's 6 MB response, and its page says what it
//! leaves out.

#[path = "support/sample.rs"]
mod sample;

use std::path::PathBuf;

use cidrwatch::map::{self, Theme};
use cidrwatch::usage::supernet::{self, Network};
use cidrwatch::usage::{Snapshot, pool};
use sample::{EKS, cidr, subnet, vpc};
use serde_json::{Value, json};

/// Lambda's synchronous response limit: the widget's answer is one JSON string.
const LAMBDA_RESPONSE_MAX: usize = 6 * 1024 * 1024;
/// What a page may hold, whatever the pool's size: the browser counts its elements
/// (tests/browser/checks.mjs). At most `map::VPCS_DRAWN` VPCs are drawn, so it is bounded.
const DOM_ELEMENTS_MAX: usize = 30_000;

const DATA: &str = "vpc-0d4c3b2a1f0e9d8c7";

/// The manual's EKS VPC with a secondary block, and a data VPC: a subnet in every legend band,
/// one outside the pool, and free blocks of every size.
fn demo() -> Snapshot {
    let mut s = sample::estate();
    s.subnets.extend([
        subnet(
            EKS,
            "subnet-0e4f5a6b7c8d9e0f1",
            "100.64.0.0/19",
            "use1-az1",
            2866,
        ),
        subnet(
            EKS,
            "subnet-0f5a6b7c8d9e0f102",
            "100.64.32.0/20",
            "use1-az2",
            1000,
        ),
        subnet(
            DATA,
            "subnet-01a2b3c4d5e6f7081",
            "10.1.0.0/24",
            "use1-az1",
            8,
        ),
        subnet(
            DATA,
            "subnet-02b3c4d5e6f708192",
            "10.1.1.0/24",
            "use1-az2",
            150,
        ),
        subnet(
            DATA,
            "subnet-03c4d5e6f70819203",
            "10.1.4.0/26",
            "use1-az4",
            59,
        ),
    ]);
    s.vpcs[0].cidrs.push(cidr("100.64.0.0/16"));
    s.vpcs[0]
        .subnets
        .extend([cidr("100.64.0.0/19"), cidr("100.64.32.0/20")]);
    s.vpcs.push(vpc(
        DATA,
        &["10.1.0.0/16"],
        &["10.1.0.0/24", "10.1.1.0/24", "10.1.4.0/26", "10.1.8.0/24"],
    ));
    s
}

/// The demo pool under supernet 10.0.0.0/14, with a legacy VPC that overlaps the data VPC on
/// one transit gateway and an unplanned one outside the supernet.
fn plan() -> (Snapshot, Network) {
    let s = demo();
    let mut vpcs = s.vpcs.clone();
    vpcs.push(vpc("vpc-0a9b8c7d6e5f40312", &["10.1.0.0/20"], &[]));
    vpcs.push(vpc("vpc-0b8c7d6e5f4031221", &["192.168.0.0/24"], &[]));
    let network = Network {
        vpcs,
        attachments: vec![
            ("tgw-0a1b2c3d4e5f60718".into(), DATA.into()),
            (
                "tgw-0a1b2c3d4e5f60718".into(),
                "vpc-0a9b8c7d6e5f40312".into(),
            ),
        ],
        ..Network::default()
    };
    (s, network)
}

/// `vpcs` VPCs of `per` /24 subnets each, their utilization spread over every band.
fn many(vpcs: u32, per: u32) -> Snapshot {
    let mut s = Snapshot {
        scanned: 1,
        ..Snapshot::default()
    };
    for v in 0..vpcs {
        let base = 0x0A00_0000 + (v << 16);
        let id = format!("vpc-{v:017x}");
        let blocks: Vec<String> = (0..per)
            .map(|i| format!("{}/24", std::net::Ipv4Addr::from(base + (i << 8))))
            .collect();
        for (i, block) in blocks.iter().enumerate() {
            let available = 251 - ((v as u64 * 37 + i as u64 * 53) % 252).min(251);
            let az = ["use1-az1", "use1-az2", "use1-az4"][i % 3];
            let sid = format!("subnet-{:017x}", v * per + i as u32);
            s.subnets.push(subnet(&id, &sid, block, az, available));
        }
        let block = format!("{}/16", std::net::Ipv4Addr::from(base));
        let carved: Vec<&str> = blocks.iter().map(String::as_str).collect();
        s.vpcs.push(vpc(&id, &[&block], &carved));
    }
    s
}

/// The figures the browser checks the page against.
fn figures(report: &pool::Report) -> Value {
    let subnets: Vec<Value> = report
        .subnets
        .iter()
        .map(|s| {
            json!({"subnet_id": s.subnet_id, "cidr": s.cidr.to_string(), "used": s.used,
                   "free": s.free, "usable": s.usable, "utilization": s.utilization})
        })
        .collect();
    let bands: Vec<Value> = map::LEGEND
        .iter()
        .map(|(floor, _)| json!([floor, map::fill(*floor)]))
        .collect();
    json!({"subnets": subnets, "vpcs": report.vpcs.len(), "vpcs_drawn": map::VPCS_DRAWN,
           "bands": bands})
}

fn out_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/browser/pages")
}

#[test]
fn the_browsers_pages_and_the_largest_answer_fits_lambda() {
    let (plan_snapshot, network) = plan();
    let mut planned = pool::report("plan", plan_snapshot);
    planned.plan = Some(supernet::plan(&[cidr("10.0.0.0/14")], &network));
    let reports = [
        ("demo", pool::report("eks-prod", demo())),
        ("plan", planned),
        ("2000", pool::report("big", many(20, 100))),
        ("10000", pool::report("huge", many(200, 50))),
    ];
    let dir = out_dir();
    std::fs::create_dir_all(&dir).unwrap();
    let mut manifest = Vec::new();
    for (name, report) in &reports {
        let title = format!("cidrwatch pool {}", report.pool);
        std::fs::write(
            dir.join(format!("{name}.json")),
            figures(report).to_string(),
        )
        .unwrap();
        for (kind, theme, label) in [
            ("map", Theme::Auto, "auto"),
            ("widget", Theme::Light, "light"),
            ("widget", Theme::Dark, "dark"),
        ] {
            let page = map::html(report, &title, theme);
            let file = format!("{name}-{kind}-{label}.html");
            std::fs::write(dir.join(&file), &page).unwrap();
            let picture = match (*name, kind, label) {
                ("demo", "map", _) => Some(("map.png", 1280, 1000)),
                ("plan", "map", _) => Some(("map-plan.png", 1280, 1000)),
                ("demo", "widget", "dark") => Some(("widget-dark.png", 640, 720)),
                ("demo", "widget", "light") => Some(("widget-light.png", 640, 720)),
                _ => None,
            };
            manifest.push(json!({
                "name": format!("{name}-{kind}-{label}"), "html": file,
                "report": format!("{name}.json"), "theme": label,
                "max_elements": DOM_ELEMENTS_MAX,
                "picture": picture.map(|(f, w, h)| json!({"file": f, "width": w, "height": h})),
            }));
        }
    }
    std::fs::write(
        dir.join("manifest.json"),
        serde_json::to_string_pretty(&manifest).unwrap(),
    )
    .unwrap();

    let (_, huge) = &reports[3];
    let answer = Value::String(map::html(huge, "cidrwatch pool huge", Theme::Dark)).to_string();
    assert!(
        answer.len() < LAMBDA_RESPONSE_MAX / 2,
        "{} bytes for 10,000 subnets",
        answer.len()
    );
    let left = huge.vpcs.len() - map::VPCS_DRAWN;
    assert!(
        answer.contains(&format!("{left} more VPCs, less full")),
        "the page says what it leaves out"
    );
}
