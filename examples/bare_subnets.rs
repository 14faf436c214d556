//! The CPU floor `make bench` measures a tick against: paginate `DescribeSubnets` with the
//! SDK (the tick's own page size and tag filter) and parse the pages, nothing else.
//!
//! `bare_subnets TAG_KEY TAG_VALUE`, configured like the binary (AWS_ENDPOINT_URL, region,
//! credentials); prints the number of subnets seen.

use aws_sdk_ec2::types::Filter;

// On one thread, as the binary runs: the yardstick differs from a tick only by its work.
#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [key, value] = args.as_slice() else {
        eprintln!("usage: bare_subnets TAG_KEY TAG_VALUE");
        std::process::exit(2);
    };
    let config = cidrwatch::aws::load_config().await;
    let ec2 = aws_sdk_ec2::Client::new(&config);
    let mut pages = ec2
        .describe_subnets()
        .filters(
            Filter::builder()
                .name(format!("tag:{key}"))
                .values(value)
                .build(),
        )
        .max_results(1000)
        .into_paginator()
        .send();
    let mut seen = 0;
    while let Some(page) = pages.next().await {
        match page {
            Ok(page) => seen += page.subnets().len(),
            Err(e) => {
                eprintln!("ec2:DescribeSubnets failed: {e:?}");
                std::process::exit(1);
            }
        }
    }
    println!("{seen}");
}
