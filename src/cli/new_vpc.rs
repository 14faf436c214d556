//! `cidrwatch suggest --new-vpc`: where the next VPCs go. Free blocks inside `--within` (the
//! monitor's `Supernets`, else RFC 1918 and 100.64.0.0/10) that overlap no VPC block,
//! transit-gateway route or avoided prefix list of any scanned account and region, best fit
//! first, each with its `aws ec2 create-vpc` command.

use std::process::ExitCode;

use super::cli_aws;
use super::suggest::SuggestArgs;
use crate::spec::{self, Accounting, AddressPlan, Depth};
use crate::usage::Ipv4Cidr;
use crate::usage::supernet::{self, DEFAULT_WITHIN};

/// What `suggest --new-vpc` was asked, validated.
#[derive(Debug, PartialEq)]
pub struct NewVpc {
    pub size: u8,
    pub count: usize,
    pub within: Vec<Ipv4Cidr>,
    pub spec: spec::MonitorSpec,
}

impl NewVpc {
    fn of(args: &SuggestArgs) -> Result<NewVpc, String> {
        if !args.select.vpcs.is_empty() {
            return Err("--new-vpc places new VPCs: drop --vpc".to_string());
        }
        let spec = args.select.spec()?;
        let within: Vec<Ipv4Cidr> = if !args.within.is_empty() {
            parse_all(&args.within)?
        } else if !spec.supernets.is_empty() {
            spec.supernets.clone()
        } else {
            parse_all(&DEFAULT_WITHIN.map(String::from))?
        };
        if let Some((a, b)) = first_overlap(&within) {
            return Err(format!(
                "--within {b} overlaps --within {a}: name each block once"
            ));
        }
        Ok(NewVpc {
            size: args.size,
            count: usize::from(args.count),
            within,
            spec,
        })
    }
}

fn parse_all(list: &[String]) -> Result<Vec<Ipv4Cidr>, String> {
    list.iter()
        .map(|c| c.parse().map_err(|e| format!("--within {c}: {e}")))
        .collect()
}

fn first_overlap(list: &[Ipv4Cidr]) -> Option<(Ipv4Cidr, Ipv4Cidr)> {
    list.iter().enumerate().find_map(|(i, b)| {
        list[..i]
            .iter()
            .find(|a| a.overlaps(b) && *a != b)
            .map(|a| (*a, *b))
    })
}

pub async fn run(args: &SuggestArgs) -> ExitCode {
    let a = match NewVpc::of(args) {
        Ok(a) => a,
        Err(reason) => {
            eprintln!("cidrwatch suggest: {reason}");
            return ExitCode::from(2);
        }
    };
    let aws = cli_aws().await;
    let snapshot = aws
        .discover(
            &a.spec.select,
            Accounting::Addresses,
            Depth::Counts,
            Some(AddressPlan {
                avoid_prefix_lists: &a.spec.avoid_prefix_lists,
            }),
            crate::tick::scan_by(&a.spec, None),
            &|_, _, _| {},
        )
        .await;
    if let Some(e) = snapshot.errors.first() {
        eprintln!(
            "cidrwatch suggest: {} of {} account-regions could not be scanned, so a block could \
             overlap what they hold; first: {}",
            snapshot.errors.len(),
            snapshot.scanned,
            e.line()
        );
        return ExitCode::from(1);
    }
    let network = snapshot.network.unwrap_or_default();
    let region = match &a.spec.select.regions[..] {
        [] => Some(aws.region()),
        [one] if one != spec::ALL_REGIONS => Some(one.clone()),
        _ => None,
    };
    print!("{}", placement(&a, &network, region.as_deref()));
    ExitCode::SUCCESS
}

/// The placement as text (pure): what was searched, then each new VPC's block and command.
pub fn placement(a: &NewVpc, network: &supernet::Network, region: Option<&str>) -> String {
    let taken = network.taken();
    let fits = supernet::new_vpcs(&a.within, &taken, a.size, a.count);
    let within: Vec<String> = a.within.iter().map(ToString::to_string).collect();
    let mut out = format!(
        "within {}: {} VPC blocks, {} transit-gateway routes and {} avoided prefix-list ranges \
         seen\n",
        within.join(", "),
        network.vpcs.iter().map(|v| v.cidrs.len()).sum::<usize>(),
        network.routes.len(),
        network
            .prefix_lists
            .iter()
            .map(|(_, c)| c.len())
            .sum::<usize>(),
    );
    if fits.is_empty() {
        out.push_str(&format!(
            "no /{} is free within {}\n",
            a.size,
            within.join(", ")
        ));
        return out;
    }
    let flag = region.map_or_else(
        || " --region REGION".to_string(),
        |r| format!(" --region {r}"),
    );
    out.push_str(&format!("next /{} VPCs, best fit first:\n", a.size));
    for f in &fits {
        out.push_str(&format!(
            "  {f}  aws ec2 create-vpc --cidr-block {f}{flag}\n"
        ));
    }
    if region.is_none() {
        out.push_str("(each block is free in every scanned region: pick the region)\n");
    }
    out.push_str(&super::suggest::shortfall(fits.len(), a.count));
    out
}

#[cfg(test)]
mod tests {
    use super::super::Cli;
    use clap::Parser;

    fn parse(line: &str) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("cidrwatch").chain(line.split_whitespace()))
    }

    #[test]
    fn within_needs_new_vpc_and_a_canonical_cidr() {
        assert!(parse("suggest --size 20 --within 10.0.0.0/8").is_err());
        assert!(parse("suggest --new-vpc --size 20 --within 10.0.0.1/8").is_err());
        assert!(parse("suggest --new-vpc --size 20 --az use1-az1").is_err());
        assert!(parse("suggest --new-vpc --size 20 --within 10.0.0.0/8 --count 3").is_ok());
    }
}
