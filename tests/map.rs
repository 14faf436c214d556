//! The map against moto: `cidrwatch map --html` for an estate with a secondary CIDR and
//! subnets in three AZs writes one page that names every subnet's CIDR, every unallocated
//! block's CIDR (the test's own brute-force reading) and the AZ IDs, and fetches nothing; the
//! dashboard a Create writes holds a custom widget whose call returns that monitor's map.

mod support;

use std::collections::BTreeSet;

use serde_json::{Value, json};
use support::estate::{self, OWN, TAG_KEY, TAG_VALUE};
use support::space::{maximal_free, parse};
use support::*;

const VPC_CIDRS: [&str; 2] = ["10.90.0.0/20", "100.64.0.0/22"];

#[tokio::test]
async fn the_map_draws_every_subnet_and_free_block_and_the_dashboard_widget_serves_it() {
    let Stack { bed, app, cfn } = Stack::start().await;
    let sdk = bed.sdk().await;
    let mut built = estate::Estate::default();
    let mut pool = Vec::new();
    let mut all = Vec::new();
    {
        let mut b = estate::Builder::new(&sdk, OWN, "us-east-1", &mut built);
        let vpc = b.vpc(&VPC_CIDRS).await;
        for (cidr, az, selected, fill) in [
            ("10.90.0.0/24", "us-east-1a", true, 200),
            ("10.90.1.0/26", "us-east-1b", true, 20),
            ("100.64.0.0/24", "us-east-1c", true, 5),
            ("10.90.4.0/23", "us-east-1a", false, 0),
        ] {
            let id = b.subnet_in(&vpc, cidr, selected, Some(az)).await;
            if fill > 0 {
                b.fill(&id, fill).await;
            }
            all.push(cidr);
            if selected {
                pool.push(cidr);
            }
        }
    }
    let ec2 = aws_sdk_ec2::Client::new(&sdk);
    let zones: BTreeSet<String> = ec2
        .describe_subnets()
        .send()
        .await
        .unwrap()
        .subnets()
        .iter()
        .filter(|s| s.cidr_block().is_some_and(|c| pool.contains(&c)))
        .map(|s| s.availability_zone_id().unwrap().to_string())
        .collect();
    assert_eq!(zones.len(), 3);
    let space: Vec<(u64, u8)> = VPC_CIDRS.iter().map(|c| parse(c)).collect();
    let taken: Vec<(u64, u8)> = all.iter().map(|c| parse(c)).collect();
    let free = maximal_free(&space, &taken);
    assert!(free.len() > 5);

    let file = std::env::temp_dir().join(format!("cidrwatch-map-{}.html", std::process::id()));
    let path = file.display().to_string();
    let tag = format!("{TAG_KEY}={TAG_VALUE}");
    let out = bed.cli(&["map", "--tag", &tag, "--html", &path]).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("3 subnets in 1 VPC\n"));
    let page = std::fs::read_to_string(&file).unwrap();
    std::fs::remove_file(&file).ok();
    let must_name = |page: &str, what: &str| {
        for c in pool.iter().chain(["10.90.4.0/23"].iter()) {
            assert!(page.contains(&format!(">{c}")), "{what}: subnet {c}");
        }
        for c in &free {
            assert!(page.contains(c.as_str()), "{what}: free block {c}");
        }
        for z in &zones {
            assert!(page.contains(z.as_str()), "{what}: AZ {z}");
        }
        for banned in [
            "<script", "http:", "https:", "url(", "@import", "<link", "src=",
        ] {
            assert!(!page.contains(banned), "{what} references {banned}");
        }
    };
    must_name(&page, "cidrwatch map");
    assert!(page.contains("<svg") && page.contains("role=\"img\""));

    // The monitor's dashboard holds the map as a custom widget on this function.
    let props = json!({"PoolName": "mapped", "Select": {"Tags": {TAG_KEY: TAG_VALUE}},
        "Dashboard": true});
    let body = send(&app, &cfn, "create", None, Some(props)).await;
    assert_eq!(body["Status"], "SUCCESS", "{body}");
    let id = body["PhysicalResourceId"].as_str().unwrap();
    let cw = aws_sdk_cloudwatch::Client::new(&sdk);
    let dashboard: Value = serde_json::from_str(
        cw.get_dashboard()
            .dashboard_name(id)
            .send()
            .await
            .unwrap()
            .dashboard_body()
            .unwrap(),
    )
    .unwrap();
    let widget = dashboard["widgets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["type"] == "custom")
        .expect("a custom widget")
        .clone();
    assert_eq!(widget["properties"]["endpoint"], FUNCTION_ARN);
    // A call as CloudWatch makes it: the params at the top level and in the context.
    let params = widget["properties"]["params"].clone();
    let mut call = json!({"widgetContext": {"dashboardName": id, "widgetId": "widget-7",
        "accountId": OWN, "theme": "light", "params": params, "width": 1200, "height": 600}});
    for (k, v) in params.as_object().unwrap() {
        call[k] = v.clone();
    }
    let answer = app
        .handle(call.clone(), &invocation(60))
        .await
        .expect("widget");
    let page = answer.as_str().expect("HTML");
    must_name(page, "custom widget");
    assert!(page.contains("cidrwatch pool mapped"));
    assert!(
        page.contains("<style>:root{color-scheme:light;"),
        "the console's light theme"
    );
    // A dark dashboard gets a dark widget (make browser checks its contrast in Chromium).
    call["widgetContext"]["theme"] = json!("dark");
    let answer = app.handle(call, &invocation(60)).await.expect("widget");
    let page = answer.as_str().expect("HTML");
    assert!(
        page.contains("<style>:root{color-scheme:dark;"),
        "the console's dark theme"
    );
    assert!(page.contains("cidrwatch pool mapped"));
}
