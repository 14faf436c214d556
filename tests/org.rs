//! A whole organization against moto's AWS Organizations: a monitor on an OU scans exactly
//! the ACTIVE accounts beneath it (nested OUs included, a suspended one left out), the root
//! less `ExcludeAccounts` likewise, the provider's own account with its own credentials,
//! `Regions: [ALL]` one DescribeSubnets per enabled region, and `report --ou` the same totals
//! as the tick. A warm process's next tick assumes no role and walks no organization again.
//! The ticks counted run in a cold process of their own: the Create's first scan warmed its.

mod support;

use std::collections::BTreeMap;

use aws_config::SdkConfig;
use cidrwatch::app::App;
use serde_json::{Value, json};
use support::estate::{self, OWN, TAG_KEY, TAG_VALUE};
use support::org::Organization;
use support::*;

const NS: &str = "CidrWatch";

/// The organization as built: OU ids, account ids, and the pool subnets in each account.
struct Org {
    root: String,
    prod: String,
    /// account → (pool subnets made there)
    subnets: BTreeMap<String, usize>,
    /// name → account id
    account: BTreeMap<&'static str, String>,
}

async fn make_subnets(sdk: &SdkConfig, account: &str, region: &str, n: usize, net: u8) {
    let mut built = estate::Estate::default();
    let mut b = estate::Builder::new(sdk, account, region, &mut built);
    let vpc = b.vpc(&[&format!("10.{net}.0.0/16")]).await;
    for i in 0..n {
        b.subnet(&vpc, &format!("10.{net}.{i}.0/24"), true).await;
    }
}

/// root ─┬─ prod ─┬─ a1 (1 subnet)
///       │        └─ eks ─┬─ a2 (2 subnets)
///       │                └─ a3 (3 subnets, suspended)
///       ├─ sandbox ── a4 (4 subnets)
///       ├─ a5 (5 subnets)
///       └─ the management account, ours (6 subnets)
async fn build(sdk: &SdkConfig) -> Org {
    let org = Organization::create(sdk).await;
    let root = org.root.clone();
    let prod = org.ou(&root, "prod").await;
    let eks = org.ou(&prod, "eks").await;
    let sandbox = org.ou(&root, "sandbox").await;
    let mut account = BTreeMap::new();
    let mut subnets = BTreeMap::new();
    for (i, (name, parent)) in [
        ("a1", Some(&prod)),
        ("a2", Some(&eks)),
        ("a3", Some(&eks)),
        ("a4", Some(&sandbox)),
        ("a5", None),
    ]
    .into_iter()
    .enumerate()
    {
        let id = org.account(name, parent.map(String::as_str)).await;
        let n = i + 1;
        make_subnets(
            &estate::assumed(sdk, &id).await,
            &id,
            "us-east-1",
            n,
            n as u8,
        )
        .await;
        subnets.insert(id.clone(), n);
        account.insert(name, id);
    }
    org.client
        .close_account()
        .account_id(&account["a3"])
        .send()
        .await
        .expect("suspend a3");
    make_subnets(sdk, OWN, "us-east-1", 6, 6).await;
    subnets.insert(OWN.to_string(), 6);
    Org {
        root,
        prod,
        subnets,
        account,
    }
}

/// The tick the schedule of a Create of this monitor delivers; counts start after it.
async fn tick(app: &App, bed: &Bed, pool: &str, select: Value) -> Value {
    let mut select = select;
    select["Tags"] = json!({TAG_KEY: TAG_VALUE});
    let tick = scheduled_tick(app, bed, json!({"PoolName": pool, "Select": select})).await;
    bed.reset_counts().await;
    tick
}

#[tokio::test]
async fn an_ou_or_the_root_less_exclusions_scans_exactly_the_active_accounts_beneath() {
    let bed = Bed::start();
    let sdk = bed.sdk().await;
    let org = build(&sdk).await;
    let app = bed.app().await;
    let n = |names: &[&str]| -> u64 {
        names
            .iter()
            .map(|a| org.subnets[&org.account[a]] as u64)
            .sum()
    };

    // prod: a1, and beneath eks a2; a3 is suspended.
    let tick_prod = tick(
        &app,
        &bed,
        "prod",
        json!({"OrganizationalUnits": [org.prod]}),
    )
    .await;
    let cold = bed.app().await;
    let report = cold
        .handle(tick_prod, &invocation(120))
        .await
        .expect("tick");
    assert_eq!(report["errors"], json!([]));
    assert_eq!(report["totals"]["subnet_count"], n(&["a1", "a2"]));
    assert_eq!(
        bed.metric(NS, "SubnetCount", &[("Pool", "prod")]).await,
        Some(n(&["a1", "a2"]) as f64)
    );
    let counts = bed.counts().await;
    assert_eq!(counts.get("sts:AssumeRole"), Some(&2), "{counts:?}");
    let prod_tick = report;

    // The root less a4: a1, a2, a5 and our own account, which is scanned with our own
    // credentials (three AssumeRoles, not four).
    let select = json!({"OrganizationalUnits": [org.root], "ExcludeAccounts": [org.account["a4"]]});
    let tick_root = tick(&app, &bed, "root", select).await;
    let warm = bed.app().await;
    let report = warm
        .handle(tick_root.clone(), &invocation(120))
        .await
        .expect("tick");
    assert_eq!(report["errors"], json!([]));
    let want = n(&["a1", "a2", "a5"]) + org.subnets[OWN] as u64;
    assert_eq!(report["totals"]["subnet_count"], want);
    assert_eq!(
        bed.metric(NS, "SubnetCount", &[("Pool", "root")]).await,
        Some(want as f64)
    );
    let counts = bed.counts().await;
    assert_eq!(counts.get("sts:AssumeRole"), Some(&3), "{counts:?}");
    // Organizations was walked: every parent once (root, prod, eks, sandbox).
    assert_eq!(
        counts.get("organizations:ListAccountsForParent"),
        Some(&4),
        "{counts:?}"
    );
    assert_eq!(
        counts.get("organizations:ListChildren"),
        Some(&4),
        "{counts:?}"
    );

    // The same process's next tick: the roles' credentials outlive it by far, and the
    // account list is minutes old, so no AssumeRole and no walk; the same figures.
    bed.reset_counts().await;
    let again = warm
        .handle(tick_root, &invocation(120))
        .await
        .expect("tick");
    assert_eq!(again["totals"]["subnet_count"], want);
    let counts = bed.counts().await;
    for call in [
        "sts:AssumeRole",
        "organizations:ListAccountsForParent",
        "organizations:ListChildren",
    ] {
        assert_eq!(counts.get(call), None, "{call}: {counts:?}");
    }
    assert_eq!(
        counts.get("ec2:DescribeSubnets"),
        Some(&4),
        "every account-region still scanned: {counts:?}"
    );

    // `report --ou` gives the tick's totals.
    let tag = format!("{TAG_KEY}={TAG_VALUE}");
    let out = bed
        .cli(&[
            "report", "--ou", &org.prod, "--tag", &tag, "--pool", "prod", "--json",
        ])
        .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut totals = printed["totals"].clone();
    let mut tick_totals = prod_tick["totals"].clone();
    // The tick's trend needs an hour of history; neither has one here.
    totals.as_object_mut().unwrap().remove("days_to_exhaustion");
    tick_totals
        .as_object_mut()
        .unwrap()
        .remove("days_to_exhaustion");
    assert_eq!(totals, tick_totals);
}

#[tokio::test]
async fn all_regions_makes_one_describe_subnets_per_enabled_region() {
    let bed = Bed::start();
    let sdk = bed.sdk().await;
    let org = aws_sdk_organizations::Client::new(&sdk);
    org.create_organization()
        .send()
        .await
        .expect("organization");
    let member = org
        .create_account()
        .email("m@example.com")
        .account_name("m")
        .send()
        .await
        .unwrap()
        .create_account_status()
        .unwrap()
        .account_id()
        .unwrap()
        .to_string();
    let as_member = estate::assumed(&sdk, &member).await;
    make_subnets(&as_member, &member, "eu-west-1", 2, 20).await;
    // The regions EC2 says the account has enabled, read independently.
    let ec2 = aws_sdk_ec2::Client::new(&as_member);
    let enabled: Vec<String> = ec2
        .describe_regions()
        .send()
        .await
        .unwrap()
        .regions()
        .iter()
        .filter(|r| r.opt_in_status() != Some("not-opted-in"))
        .map(|r| r.region_name().unwrap().to_string())
        .collect();
    assert!(enabled.len() > 2 && enabled.contains(&"eu-west-1".to_string()));

    let app = bed.app().await;
    // Taken from the schedule a Create wrote: a hand-built tick is how a Regions: [ALL]
    // monitor once passed here while every real tick of it failed.
    let all = tick(
        &app,
        &bed,
        "all",
        json!({"Accounts": [member], "Regions": ["ALL"]}),
    )
    .await;
    let cold = bed.app().await;
    let report = cold.handle(all, &invocation(300)).await.expect("tick");
    assert_eq!(report["errors"], json!([]));
    assert_eq!(report["scanned"], enabled.len());
    assert_eq!(report["totals"]["subnet_count"], 2);
    let counts = bed.counts().await;
    assert_eq!(counts.get("ec2:DescribeRegions"), Some(&1));
    assert_eq!(
        counts.get("ec2:DescribeSubnets"),
        Some(&(enabled.len() as u64))
    );
    assert_eq!(counts.get("sts:AssumeRole"), Some(&1));
}
