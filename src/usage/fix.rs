//! The next move for the fullest subnets (pure): where a new subnet of the same size fits in
//! its VPC — best fit, or a secondary VPC CIDR block when nothing fits — and the detached
//! ENIs whose addresses can be reclaimed. What a threshold notification tells the person
//! it wakes.

use super::Ipv4Cidr;
use super::holders::DetachedEni;
use super::pool::{Report, SubnetUsage};
use super::room;
use super::warm::{self, Warm};

/// Where the next subnet of a full one's size goes.
#[derive(Clone, Debug, PartialEq)]
pub enum Next {
    /// A free CIDR of that size in its VPC.
    Subnet(Ipv4Cidr),
    /// None fits: a secondary CIDR block the VPC may take, overlapping none of the report's
    /// VPCs (the pool's; `cidrwatch suggest` checks every VPC of the account-regions).
    Secondary(Ipv4Cidr),
    /// Neither: the VPC's allowed ranges are taken, or the VPC was not read.
    Nothing,
}

/// One full subnet's next move.
#[derive(Clone, Debug, PartialEq)]
pub struct Move {
    pub subnet: SubnetUsage,
    pub next: Next,
    /// Its detached ENIs, largest first.
    pub detached: Vec<DetachedEni>,
    /// The EKS cluster holding most of its used addresses: its warm pool comes first.
    pub warm: Option<Warm>,
}

/// The next move for the first `n` of `subnets` (fullest first). Two full subnets of one VPC
/// get two different CIDRs, and share one secondary block.
pub fn moves<'a>(
    report: &Report,
    subnets: impl Iterator<Item = &'a SubnetUsage>,
    n: usize,
) -> Vec<Move> {
    let seen: Vec<Ipv4Cidr> = report
        .vpcs
        .iter()
        .flat_map(|v| v.cidrs.iter().copied())
        .collect();
    let mut claimed: Vec<Ipv4Cidr> = Vec::new();
    let mut secondaries: Vec<(String, Ipv4Cidr)> = Vec::new();
    let mut out = Vec::new();
    for s in subnets.take(n) {
        let vpc = report
            .vpcs
            .iter()
            .find(|v| (&v.account, &v.region, &v.vpc_id) == (&s.account, &s.region, &s.vpc_id));
        let size = s.cidr.prefix();
        let next = match vpc {
            Some(vpc) => {
                let free = room::free_blocks(&vpc.unallocated, &claimed);
                if let Some(c) = room::best_fit(&free, size, 1).first() {
                    claimed.push(*c);
                    Next::Subnet(*c)
                } else if let Some((_, c)) = secondaries.iter().find(|(v, _)| v == &vpc.vpc_id) {
                    Next::Secondary(*c)
                } else {
                    let taken: Vec<Ipv4Cidr> = seen
                        .iter()
                        .chain(secondaries.iter().map(|(_, c)| c))
                        .copied()
                        .collect();
                    match vpc
                        .cidrs
                        .first()
                        .and_then(|p| room::secondary_block(*p, &taken, size))
                    {
                        Some(c) => {
                            secondaries.push((vpc.vpc_id.clone(), c));
                            Next::Secondary(c)
                        }
                        None => Next::Nothing,
                    }
                }
            }
            None => Next::Nothing,
        };
        out.push(Move {
            subnet: s.clone(),
            next,
            detached: s.detached.clone(),
            warm: warm::holder(report, s),
        });
    }
    out
}

impl Move {
    /// For machines (the SQS and Lambda form of a notification): the subnet, the next CIDR
    /// or secondary block, and the first detached ENIs.
    pub fn json(&self) -> serde_json::Value {
        let s = &self.subnet;
        let (next_subnet, secondary_block) = match self.next {
            Next::Subnet(c) => (Some(c), None),
            Next::Secondary(c) => (None, Some(c)),
            Next::Nothing => (None, None),
        };
        serde_json::json!({
            "subnet_id": s.subnet_id, "vpc_id": s.vpc_id, "account": s.account,
            "region": s.region, "availability_zone_id": s.availability_zone_id,
            "next_subnet": next_subnet, "secondary_block": secondary_block,
            "detached_addresses": s.detached_addresses,
            "detached": self.detached.iter().take(DETACHED_LISTED).collect::<Vec<_>>(),
            "eks_cluster": self.warm.as_ref().map(Warm::json),
        })
    }
}

/// Detached ENIs listed with their commands; the rest are counted.
const DETACHED_LISTED: usize = 5;

/// The move as lines a person can act on: what to run, and in which account.
pub fn lines(m: &Move) -> Vec<String> {
    let s = &m.subnet;
    let mut out = vec![format!(
        "{} {} ({:.1}% used, {} free, {}) in {} {} {}:",
        s.subnet_id,
        s.cidr,
        s.utilization,
        s.free,
        s.availability_zone_id,
        s.account,
        s.region,
        s.vpc_id
    )];
    let size = s.cidr.prefix();
    if let Some(w) = &m.warm {
        out.extend(w.lines());
    }
    match &m.next {
        Next::Subnet(c) => out.push(format!(
            "  next /{size} in {}: {c}  aws ec2 create-subnet --vpc-id {} --cidr-block {c} \
             --availability-zone-id {} --region {}",
            s.vpc_id, s.vpc_id, s.availability_zone_id, s.region
        )),
        Next::Secondary(c) => out.push(format!(
            "  no /{size} fits in {}; a secondary CIDR block it may take, overlapping none of \
             this pool's VPCs (`cidrwatch suggest --vpc {} --size {size}` also checks the \
             account's other VPCs): {c}  aws ec2 associate-vpc-cidr-block --vpc-id {} \
             --cidr-block {c} --region {}",
            s.vpc_id, s.vpc_id, s.vpc_id, s.region
        )),
        Next::Nothing => out.push(format!(
            "  no /{size} fits in {}, and no secondary CIDR block it may take is free",
            s.vpc_id
        )),
    }
    if let (Some(w), Next::Secondary(_) | Next::Nothing) = (&m.warm, &m.next) {
        out.push(w.custom_networking(&s.vpc_id, size));
    }
    let (leaked, other): (Vec<&DetachedEni>, Vec<&DetachedEni>) =
        m.detached.iter().partition(|d| d.leaked_by.is_some());
    out.extend(detached_lines(
        &leaked,
        "left by the VPC CNI (ENIs named aws-K8S-<instance> whose node is gone)",
        s,
    ));
    out.extend(detached_lines(&other, "(attached to nothing)", s));
    out
}

/// Detached ENIs of one kind, with the command that deletes each.
fn detached_lines(list: &[&DetachedEni], what: &str, s: &SubnetUsage) -> Vec<String> {
    if list.is_empty() {
        return Vec::new();
    }
    let total: u64 = list.iter().map(|d| d.addresses).sum();
    let n = list.len();
    let mut out = vec![format!(
        "  {total} address{} held by {n} detached ENI{} {what}; reclaim after checking each is \
         unused:",
        if total == 1 { "" } else { "es" },
        if n == 1 { "" } else { "s" }
    )];
    for d in list.iter().take(DETACHED_LISTED) {
        let created = d
            .created
            .as_deref()
            .map_or_else(String::new, |c| format!(", created {c}"));
        let node = d
            .leaked_by
            .as_deref()
            .map_or_else(String::new, |i| format!(", node {i}"));
        out.push(format!(
            "    {} ({} addresses{node}{created})  aws ec2 delete-network-interface \
             --network-interface-id {} --region {}",
            d.id, d.addresses, d.id, s.region
        ));
    }
    let more = n.saturating_sub(DETACHED_LISTED);
    if more > 0 {
        out.push(format!(
            "    … and {more} more (`cidrwatch report --subnet {} --json` lists them)",
            s.subnet_id
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::usage::{Snapshot, SubnetInfo, VpcInfo, pool};

    fn cidr(c: &str) -> Ipv4Cidr {
        c.parse().unwrap()
    }

    fn subnet(id: &str, vpc: &str, c: &str, available: u64) -> SubnetInfo {
        SubnetInfo {
            account: "111111111111".into(),
            region: "us-east-1".into(),
            vpc_id: vpc.into(),
            subnet_id: id.into(),
            availability_zone_id: "use1-az1".into(),
            cidr: Some(cidr(c)),
            available,
            ..SubnetInfo::default()
        }
    }

    fn vpc(id: &str, cidrs: &[&str], subnets: &[&str]) -> VpcInfo {
        VpcInfo {
            account: "111111111111".into(),
            region: "us-east-1".into(),
            vpc_id: id.into(),
            cidrs: cidrs.iter().map(|c| cidr(c)).collect(),
            subnets: subnets.iter().map(|c| cidr(c)).collect(),
        }
    }

    #[test]
    fn two_full_subnets_of_one_vpc_get_different_cidrs_then_a_secondary_block() {
        // 10.1.0.0/22 holds four /24s; three are taken: one /24 is left.
        let snap = Snapshot {
            subnets: vec![
                subnet("subnet-a", "vpc-1", "10.1.0.0/24", 1),
                subnet("subnet-b", "vpc-1", "10.1.1.0/24", 2),
                subnet("subnet-c", "vpc-1", "10.1.2.0/24", 3),
            ],
            vpcs: vec![vpc(
                "vpc-1",
                &["10.1.0.0/22"],
                &["10.1.0.0/24", "10.1.1.0/24", "10.1.2.0/24"],
            )],
            scanned: 1,
            ..Snapshot::default()
        };
        let report = pool::report_of_copy("p", &snap);
        let m = moves(&report, report.subnets.iter(), 3);
        let next: Vec<&Next> = m.iter().map(|m| &m.next).collect();
        // The one free /24, then a secondary block (100.64.0.0/10 first for a 10/8 VPC),
        // the same one for the third.
        assert_eq!(
            next,
            vec![
                &Next::Subnet(cidr("10.1.3.0/24")),
                &Next::Secondary(cidr("100.64.0.0/16")),
                &Next::Secondary(cidr("100.64.0.0/16")),
            ]
        );
        let text = lines(&m[0]).join("\n");
        assert!(
            text.contains("aws ec2 create-subnet --vpc-id vpc-1 --cidr-block 10.1.3.0/24 --availability-zone-id use1-az1 --region us-east-1"),
            "{text}"
        );
    }
}
