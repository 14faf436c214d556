//! `cidrwatch suggest`: where the next subnets fit in a VPC, best fit first, with the commands
//! that make them; a secondary CIDR block when nothing fits. With `--new-vpc`, where the next
//! VPCs go (`super::new_vpc`).

use std::process::ExitCode;

use clap::Args;

use super::{Select, cli_aws};
use crate::spec;
use crate::usage::room;

/// `suggest`'s flags: the size and count, the AZ, and the selection flags of `report`, of which
/// `--vpc` names the one VPC.
#[derive(Args, Debug)]
pub struct SuggestArgs {
    /// The subnet size: a prefix length from 16 to 28 (24 for a /24)
    #[arg(long, value_name = "N", value_parser = size)]
    pub size: u8,
    /// How many subnets to place
    #[arg(long, value_name = "K", default_value_t = 1,
        value_parser = clap::value_parser!(u16).range(1..=256))]
    pub count: u16,
    /// The Availability Zone (name or ID, like use1-az1) for the create-subnet commands
    #[arg(long, value_name = "AZ")]
    pub az: Option<String>,
    /// Place new VPCs instead: free blocks that overlap no VPC, transit-gateway route or
    /// avoided prefix list of any scanned account and region
    #[arg(long, conflicts_with = "az")]
    pub new_vpc: bool,
    /// With --new-vpc: where new VPCs may go (default: the --monitor's Supernets, else RFC 1918
    /// and 100.64.0.0/10)
    #[arg(long, value_name = "CIDR", value_parser = super::property("Cidrs"), requires = "new_vpc")]
    pub within: Vec<String>,
    #[command(flatten)]
    pub select: Select,
}

pub(super) fn size(v: &str) -> Result<u8, String> {
    v.trim_start_matches('/')
        .parse::<u8>()
        .ok()
        .filter(|n| room::SIZES.contains(n))
        .ok_or_else(|| "a subnet is /16 to /28 (give 24 for a /24)".to_string())
}

/// What `suggest` was asked, validated: the VPC, the size and count, the AZ, where to look.
#[derive(Debug, PartialEq)]
pub struct Suggest {
    pub vpc: String,
    pub size: u8,
    pub count: usize,
    pub az: Option<String>,
    pub select: spec::Selection,
}

impl SuggestArgs {
    fn suggest(&self) -> Result<Suggest, String> {
        let [vpc] = &self.select.vpcs[..] else {
            return Err("--vpc VPC: name exactly one VPC".to_string());
        };
        Ok(Suggest {
            vpc: vpc.clone(),
            size: self.size,
            count: usize::from(self.count),
            az: self.az.clone(),
            select: self.select.spec()?.select,
        })
    }
}

pub async fn run(args: &SuggestArgs) -> ExitCode {
    if args.new_vpc {
        return super::new_vpc::run(args).await;
    }
    let a = match args.suggest() {
        Ok(a) => a,
        Err(reason) => {
            eprintln!("cidrwatch suggest: {reason}");
            return ExitCode::from(2);
        }
    };
    let space = match cli_aws().await.vpc_space(&a.select, &a.vpc).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("cidrwatch suggest: {e}");
            return ExitCode::from(1);
        }
    };
    print!("{}", suggestion(&a, &space));
    ExitCode::SUCCESS
}

/// The suggestion as text (pure).
pub fn suggestion(a: &Suggest, space: &crate::aws::discover::VpcSpace) -> String {
    let v = &space.vpc;
    let free = room::free_blocks(&v.cidrs, &v.subnets);
    let fits = room::best_fit(&free, a.size, a.count);
    let cidrs: Vec<String> = v.cidrs.iter().map(ToString::to_string).collect();
    let mut out = format!(
        "{} ({} {}): {}; {} subnet{}; free: {}\n",
        v.vpc_id,
        v.account,
        v.region,
        cidrs.join(", "),
        v.subnets.len(),
        if v.subnets.len() == 1 { "" } else { "s" },
        if free.is_empty() {
            "none".to_string()
        } else {
            free.iter()
                .take(8)
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
                + if free.len() > 8 { ", …" } else { "" }
        }
    );
    let az = match &a.az {
        // AZ IDs (use1-az1) name the same place in every account; AZ names do not.
        Some(z) if z.contains("-az") => format!(" --availability-zone-id {z}"),
        Some(z) => format!(" --availability-zone {z}"),
        None => String::new(),
    };
    if fits.is_empty() {
        match v
            .cidrs
            .first()
            .and_then(|p| room::secondary_block(*p, &space.seen, a.size))
        {
            Some(block) => out.push_str(&format!(
                "no /{} fits; a secondary CIDR block that overlaps no VPC seen and that this VPC \
                 may take:\n  {block}  aws ec2 associate-vpc-cidr-block --vpc-id {} --cidr-block \
                 {block} --region {}\n",
                a.size, v.vpc_id, v.region
            )),
            None => out.push_str(&format!(
                "no /{} fits, and no secondary CIDR block this VPC may take is free\n",
                a.size
            )),
        }
        return out;
    }
    out.push_str(&format!("next /{} subnets, best fit first:\n", a.size));
    for f in &fits {
        out.push_str(&format!(
            "  {f}  aws ec2 create-subnet --vpc-id {} --cidr-block {f}{az} --region {}\n",
            v.vpc_id, v.region
        ));
    }
    out.push_str(&shortfall(fits.len(), a.count));
    out
}

/// "only 2 of the 3 asked for fit", when fewer fit than were asked for.
pub(super) fn shortfall(fit: usize, asked: usize) -> String {
    if fit < asked {
        format!("only {fit} of the {asked} asked for fit\n")
    } else {
        String::new()
    }
}
