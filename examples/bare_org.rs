//! The CPU floor `make bench`'s organization leg measures a tick against: the same small
//! requests made with the SDK alone. Per account one AssumeRole; per account-region, with
//! those credentials, `DescribeSubnets`, then `DescribeVpcs` of the subnets' VPCs and
//! `DescribeNetworkInterfaces` (available ones) of their subnets, as a tick asks them; the
//! answers are dropped. Accounts are assumed and account-regions described `SCAN_CONCURRENCY`
//! at a time (default 64), pipelined, on the one HTTP client the binary uses, with its
//! allocator (the library sets it).
//!
//! `bare_org ROLE_NAME REGION[,REGION…] ACCOUNT…`, configured like the binary
//! (AWS_ENDPOINT_URL, region, credentials); prints the number of subnets seen.

use aws_config::SdkConfig;
use aws_sdk_ec2::types::Filter;
use futures::stream::{self, StreamExt};

// On one thread, as the binary runs: the yardstick differs from a tick only by its work.
#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [role, regions, accounts @ ..] = args.as_slice() else {
        eprintln!("usage: bare_org ROLE_NAME REGION[,REGION…] ACCOUNT…");
        std::process::exit(2);
    };
    let regions: Vec<String> = regions.split(',').map(str::to_string).collect();
    let concurrency = cidrwatch::aws::discover::concurrency_from_env().unwrap_or(64);
    let config = cidrwatch::aws::load_config().await;
    let (config, regions) = (&config, &regions);
    let seen: usize = stream::iter(accounts)
        .map(|account| async move {
            let assumed = assume(config, &format!("arn:aws:iam::{account}:role/{role}")).await;
            stream::iter(regions.iter().map(move |r| (assumed.clone(), r)))
        })
        .buffer_unordered(concurrency)
        .flatten()
        .map(|(assumed, region)| describe(assumed, region))
        .buffer_unordered(concurrency)
        .fold(0, |n, seen| async move { n + seen })
        .await;
    println!("{seen}");
}

fn fail(call: &str, e: impl std::fmt::Debug) -> ! {
    eprintln!("{call} failed: {e:?}");
    std::process::exit(1);
}

async fn assume(config: &SdkConfig, role_arn: &str) -> SdkConfig {
    let out = aws_sdk_sts::Client::new(config)
        .assume_role()
        .role_arn(role_arn)
        .role_session_name("bare")
        .send()
        .await
        .unwrap_or_else(|e| fail("sts:AssumeRole", e));
    let c = out.credentials().expect("credentials");
    let credentials = aws_sdk_ec2::config::Credentials::new(
        c.access_key_id(),
        c.secret_access_key(),
        Some(c.session_token().to_string()),
        None,
        "bare",
    );
    config
        .to_builder()
        .credentials_provider(aws_sdk_ec2::config::SharedCredentialsProvider::new(
            credentials,
        ))
        .build()
}

fn filter(name: &str, values: Vec<String>) -> Filter {
    Filter::builder()
        .name(name)
        .set_values(Some(values))
        .build()
}

/// One account-region's three reads; the number of subnets seen.
async fn describe(config: SdkConfig, region: &str) -> usize {
    let ec2 = aws_sdk_ec2::Client::from_conf(
        aws_sdk_ec2::config::Builder::from(&config)
            .region(aws_config::Region::new(region.to_string()))
            .build(),
    );
    let subnets = ec2
        .describe_subnets()
        .max_results(1000)
        .send()
        .await
        .unwrap_or_else(|e| fail("ec2:DescribeSubnets", e));
    let subnets = subnets.subnets();
    if subnets.is_empty() {
        return 0;
    }
    let ids = |f: fn(&aws_sdk_ec2::types::Subnet) -> Option<&str>| {
        let mut ids: Vec<String> = subnets.iter().filter_map(f).map(str::to_string).collect();
        ids.dedup();
        ids
    };
    ec2.describe_vpcs()
        .filters(filter("vpc-id", ids(|s| s.vpc_id())))
        .max_results(1000)
        .send()
        .await
        .unwrap_or_else(|e| fail("ec2:DescribeVpcs", e));
    ec2.describe_network_interfaces()
        .filters(filter("subnet-id", ids(|s| s.subnet_id())))
        .filters(filter("status", vec!["available".to_string()]))
        .max_results(1000)
        .send()
        .await
        .unwrap_or_else(|e| fail("ec2:DescribeNetworkInterfaces", e));
    subnets.len()
}
