//! `cidrwatch suggest` against moto: where the next subnets of several sizes fit in a VPC
//! with a secondary CIDR (computed here independently, by walking the VPC's aligned slots),
//! a secondary block when nothing fits, and bad input refused in one line with exit 2.

mod support;

use std::net::Ipv4Addr;
use std::process::Stdio;

use support::estate::{self, OWN};
use support::*;
use tokio::process::Command;

async fn suggest(bed: &Bed, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_cidrwatch"))
        .env_clear()
        .envs(bed.binary_env())
        .arg("suggest")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .await
        .expect("run suggest");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

fn parse(c: &str) -> (u32, u8) {
    let (a, p) = c.split_once('/').unwrap();
    (
        u32::from(a.parse::<Ipv4Addr>().unwrap()),
        p.parse().unwrap(),
    )
}

fn show((base, p): (u32, u8)) -> String {
    format!("{}/{p}", Ipv4Addr::from(base))
}

/// The test's own answer: the /`size` slots, in the order best fit would take them: within
/// the smallest free aligned block first. Computed by brute force over every aligned /size
/// slot of the VPC and the largest aligned free block around each.
fn expected(vpc: &[&str], subnets: &[&str], size: u8, count: usize) -> Vec<String> {
    let subnets: Vec<(u32, u8)> = subnets.iter().map(|s| parse(s)).collect();
    let overlaps = |(a, p): (u32, u8), (b, q): (u32, u8)| {
        let m = u32::MAX << (32 - p.min(q));
        a & m == b & m
    };
    let free = |slot: (u32, u8)| !subnets.iter().any(|s| overlaps(*s, slot));
    let mut taken: Vec<(u32, u8)> = Vec::new();
    let mut out = Vec::new();
    for _ in 0..count {
        // Every free slot, with the largest free aligned block (inside a VPC CIDR) around it.
        let mut best: Option<((u32, u8), u8)> = None;
        for v in vpc.iter().map(|v| parse(v)) {
            for i in 0..(1u64 << (size - v.1)) {
                let slot = ((u64::from(v.0) + (i << (32 - size))) as u32, size);
                if !free(slot) || taken.iter().any(|t| overlaps(*t, slot)) {
                    continue;
                }
                let mut p = size;
                while p > v.1 {
                    let wider = (slot.0 & (u32::MAX << (32 - (p - 1))), p - 1);
                    if free(wider) && !taken.iter().any(|t| overlaps(*t, wider)) {
                        p -= 1;
                    } else {
                        break;
                    }
                }
                // Best fit: the smallest enclosing block (largest p), then the lowest address
                // of that block, then the slot at its start.
                let block = (slot.0 & (u32::MAX << (32 - p)), p);
                let better = match best {
                    None => true,
                    Some((b, bp)) => {
                        let bb = (b.0 & (u32::MAX << (32 - bp)), bp);
                        (p, std::cmp::Reverse(block.0), std::cmp::Reverse(slot.0))
                            > (bp, std::cmp::Reverse(bb.0), std::cmp::Reverse(b.0))
                    }
                };
                if better {
                    best = Some((slot, p));
                }
            }
        }
        let Some((slot, _)) = best else { break };
        taken.push(slot);
        out.push(show(slot));
    }
    out
}

#[tokio::test]
async fn suggest_finds_the_next_subnets_and_a_secondary_block() {
    let bed = Bed::start();
    let sdk = bed.sdk().await;
    let mut built = estate::Estate::default();
    let (vpc_cidrs, subnets) = (
        ["10.0.0.0/16", "10.1.0.0/16"],
        [
            "10.0.0.0/24",
            "10.0.2.0/23",
            "10.0.16.0/20",
            "10.1.0.0/17",
            "10.1.128.0/24",
        ],
    );
    let (vpc, full_vpc) = {
        let mut b = estate::Builder::new(&sdk, OWN, "us-east-1", &mut built);
        let vpc = b.vpc(&vpc_cidrs).await;
        for s in subnets {
            b.subnet(&vpc, s, true).await;
        }
        let full = b.vpc(&["192.168.7.0/24"]).await;
        b.subnet(&full, "192.168.7.0/24", true).await;
        (vpc, full)
    };

    for (size, count) in [(24, 3), (20, 2), (28, 2), (17, 3), (18, 4)] {
        let (code, out, err) = suggest(
            &bed,
            &[
                "--vpc",
                &vpc,
                "--size",
                &size.to_string(),
                "--count",
                &count.to_string(),
            ],
        )
        .await;
        assert_eq!(code, 0, "{err}");
        let got: Vec<&str> = out
            .lines()
            .filter_map(|l| l.strip_prefix("  "))
            .filter_map(|l| l.split_whitespace().next())
            .collect();
        assert_eq!(
            got,
            expected(&vpc_cidrs, &subnets, size, count),
            "/{size}:\n{out}"
        );
        for cidr in &got {
            assert!(
                out.contains(&format!(
                    "aws ec2 create-subnet --vpc-id {vpc} --cidr-block {cidr} --region us-east-1"
                )),
                "{out}"
            );
        }
    }

    // Nothing fits in a full VPC: a secondary block it may take (its primary is in
    // 192.168.0.0/16, so 100.64.0.0/10 or 192.168.0.0/16), overlapping no VPC seen.
    let (code, out, _) = suggest(
        &bed,
        &["--vpc", &full_vpc, "--size", "26", "--az", "use1-az2"],
    )
    .await;
    assert_eq!(code, 0);
    let line = out
        .lines()
        .find(|l| l.contains("associate-vpc-cidr-block"))
        .expect(&out);
    let block = parse(line.split_whitespace().next().unwrap());
    let in_range = |(b, p): (u32, u8)| {
        let m = u32::MAX << (32 - p);
        block.1 >= p && block.0 & m == b
    };
    assert!(
        in_range(parse("100.64.0.0/10")) || in_range(parse("192.168.0.0/16")),
        "{out}"
    );
    assert!((16..=26).contains(&block.1), "{out}");
    let ec2 = aws_sdk_ec2::Client::new(&sdk);
    for v in ec2.describe_vpcs().send().await.unwrap().vpcs() {
        for a in v.cidr_block_association_set() {
            let c = parse(a.cidr_block().unwrap());
            let m = u32::MAX << (32 - c.1.min(block.1));
            assert_ne!(c.0 & m, block.0 & m, "{} overlaps {}", show(block), show(c));
        }
    }

    // Bad input: exit 2 and one line (clap's, where the flags themselves are wrong).
    for (args, says) in [
        (
            vec!["--size", "24"],
            "cidrwatch suggest: --vpc VPC: name exactly one VPC",
        ),
        (
            vec!["--vpc", &vpc, "--size", "30"],
            "error: invalid value '30' for '--size <N>': a subnet is /16 to /28",
        ),
        (vec!["--vpc", "vpc-x", "--size", "24"], "expected a VPC id"),
        (
            vec!["--vpc", &vpc, "--size", "24", "--colour", "red"],
            "error: unexpected argument '--colour'",
        ),
    ] {
        let (code, out, err) = suggest(&bed, &args).await;
        assert_eq!(code, 2, "{args:?}: {out}{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(says), "{err}");
    }
}
