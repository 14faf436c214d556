//! Which address blocks overlap (pure): every VPC CIDR block of a scan against every other,
//! and against the ranges in use beyond VPCs (transit-gateway routes, avoided prefix lists).
//! One sort and a sweep: a block is compared only with the blocks still open where it starts,
//! never every pair.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::Ipv4Cidr;
use super::room::{Range, range};

/// One VPC CIDR block and whose it is.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct VpcBlock {
    pub account: String,
    pub region: String,
    pub vpc_id: String,
    pub cidr: Ipv4Cidr,
}

/// Address space an overlap is between.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Space {
    Vpc(VpcBlock),
    /// A static or propagated route of a transit gateway's route table (on-premises over VPN
    /// or Direct Connect, another gateway, a VPC the scan does not reach).
    Route {
        transit_gateway_id: String,
        route_table_id: String,
        cidr: Ipv4Cidr,
        /// What it routes to: `vpn`, `direct-connect-gateway`, `peering`, `vpc vpc-…`, …
        target: String,
    },
    /// A range of a prefix list named in `AvoidPrefixLists`.
    PrefixList {
        prefix_list_id: String,
        cidr: Ipv4Cidr,
    },
}

impl Space {
    pub fn cidr(&self) -> Ipv4Cidr {
        match self {
            Space::Vpc(b) => b.cidr,
            Space::Route { cidr, .. } | Space::PrefixList { cidr, .. } => *cidr,
        }
    }

    fn vpc(&self) -> Option<&str> {
        match self {
            Space::Vpc(b) => Some(&b.vpc_id),
            _ => None,
        }
    }

    /// "10.0.0.0/16 (vpc-1 111111111111 us-east-1)", the form texts show.
    pub fn label(&self) -> String {
        match self {
            Space::Vpc(b) => format!("{} ({} {} {})", b.cidr, b.vpc_id, b.account, b.region),
            Space::Route {
                transit_gateway_id,
                route_table_id,
                cidr,
                target,
            } => format!("{cidr} (route to {target} in {transit_gateway_id} {route_table_id})"),
            Space::PrefixList {
                prefix_list_id,
                cidr,
            } => format!("{cidr} (prefix list {prefix_list_id})"),
        }
    }
}

/// Two blocks that share addresses. `connected`: traffic between them goes through one
/// transit gateway or an active peering (`via`), so neither can route to the overlap; else
/// they only collide if they are ever connected.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Overlap {
    pub a: Space,
    pub b: Space,
    pub connected: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
}

/// How the scanned VPCs reach each other: transit gateways (a RAM-shared one by its id) and
/// active peerings.
#[derive(Clone, Debug, Default)]
pub struct Links {
    /// VPC id → the transit gateways it attaches to.
    pub gateways: BTreeMap<String, BTreeSet<String>>,
    /// Peered VPC pairs (lower id first) → the peering's id.
    pub peerings: BTreeMap<(String, String), String>,
}

impl Links {
    /// What joins two VPCs, if anything: a gateway both attach to, else their peering.
    fn between(&self, a: &str, b: &str) -> Option<String> {
        let none = BTreeSet::new();
        let (ga, gb) = (
            self.gateways.get(a).unwrap_or(&none),
            self.gateways.get(b).unwrap_or(&none),
        );
        if let Some(tgw) = ga.intersection(gb).next() {
            return Some(tgw.clone());
        }
        let key = if a <= b { (a, b) } else { (b, a) };
        self.peerings
            .get(&(key.0.to_string(), key.1.to_string()))
            .cloned()
    }

    /// Whether a VPC reaches a route: it attaches to the route's gateway.
    fn reaches(&self, vpc: &str, tgw: &str) -> bool {
        self.gateways.get(vpc).is_some_and(|g| g.contains(tgw))
    }

    fn join(&self, a: &Space, b: &Space) -> Option<String> {
        match (a, b) {
            (Space::Vpc(x), Space::Vpc(y)) => self.between(&x.vpc_id, &y.vpc_id),
            (
                Space::Vpc(v),
                Space::Route {
                    transit_gateway_id, ..
                },
            )
            | (
                Space::Route {
                    transit_gateway_id, ..
                },
                Space::Vpc(v),
            ) => self
                .reaches(&v.vpc_id, transit_gateway_id)
                .then(|| transit_gateway_id.clone()),
            _ => None,
        }
    }
}

/// Every overlapping pair with at least one VPC block in it (two blocks of one VPC never
/// pair; nor do two ranges that are not VPCs), connected ones first.
pub fn overlaps(spaces: &[Space], links: &Links) -> Vec<Overlap> {
    let mut order: Vec<(Range, usize)> = spaces
        .iter()
        .enumerate()
        .map(|(i, s)| (range(&s.cidr()), i))
        .collect();
    order.sort_unstable();
    let mut open: Vec<(u64, usize)> = Vec::new();
    let mut out = Vec::new();
    for ((lo, hi), i) in order {
        open.retain(|(end, _)| *end > lo);
        for &(_, j) in &open {
            let (a, b) = (&spaces[j], &spaces[i]);
            let vpcs = (a.vpc(), b.vpc());
            let pairs = match vpcs {
                (None, None) => false,
                (Some(x), Some(y)) => x != y,
                _ => true,
            };
            if pairs {
                let via = links.join(a, b);
                let (a, b) = if a <= b { (a, b) } else { (b, a) };
                out.push(Overlap {
                    a: a.clone(),
                    b: b.clone(),
                    connected: via.is_some(),
                    via,
                });
            }
        }
        open.push((hi, i));
    }
    out.sort_by(|x, y| {
        y.connected
            .cmp(&x.connected)
            .then_with(|| (&x.a, &x.b).cmp(&(&y.a, &y.b)))
    });
    out
}

/// The VPCs in at least one connected overlapping pair: `OverlappingVpcs`.
pub fn connected_vpcs(overlaps: &[Overlap]) -> BTreeSet<&str> {
    overlaps
        .iter()
        .filter(|o| o.connected)
        .flat_map(|o| [o.a.vpc(), o.b.vpc()])
        .flatten()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn vpc(id: &str, cidr: &str) -> Space {
        Space::Vpc(VpcBlock {
            account: "111111111111".into(),
            region: "us-east-1".into(),
            vpc_id: id.into(),
            cidr: cidr.parse().unwrap(),
        })
    }

    #[test]
    fn connected_pairs_first_and_one_vpc_never_pairs_with_itself() {
        let spaces = vec![
            vpc("vpc-a", "10.0.0.0/16"),
            vpc("vpc-a", "10.0.0.0/20"),
            vpc("vpc-b", "10.0.128.0/17"),
            vpc("vpc-c", "10.1.0.0/16"),
            vpc("vpc-d", "10.1.0.0/24"),
            vpc("vpc-e", "10.2.0.0/16"),
        ];
        let mut links = Links::default();
        links
            .peerings
            .insert(("vpc-c".into(), "vpc-d".into()), "pcx-1".into());
        let found = overlaps(&spaces, &links);
        let pairs: Vec<(String, String, Option<String>)> = found
            .iter()
            .map(|o| (o.a.label(), o.b.label(), o.via.clone()))
            .collect();
        assert_eq!(found.len(), 2, "{pairs:?}");
        assert!(found[0].connected && found[0].via.as_deref() == Some("pcx-1"));
        assert!(!found[1].connected);
        assert_eq!(connected_vpcs(&found), BTreeSet::from(["vpc-c", "vpc-d"]));
    }

    proptest! {
        /// The sweep finds exactly the pairs that comparing every block with every other finds.
        #[test]
        fn the_sweep_finds_what_every_pair_finds(blocks in proptest::collection::vec((0u32..64, 20u8..=28, 0usize..6), 0..40)) {
            let spaces: Vec<Space> = blocks.iter().map(|(i, p, v)| {
                let size = 1u32 << (32 - p);
                let base = (0x0A00_0000 + i * 1024) & !(size - 1);
                vpc(&format!("vpc-{v}"), &Ipv4Cidr::new(base, *p).unwrap().to_string())
            }).collect();
            let found = overlaps(&spaces, &Links::default());
            let mut every = 0;
            for i in 0..spaces.len() {
                for j in i + 1..spaces.len() {
                    if spaces[i].vpc() != spaces[j].vpc() && spaces[i].cidr().overlaps(&spaces[j].cidr()) {
                        every += 1;
                        let (a, b) = if spaces[i] <= spaces[j] { (&spaces[i], &spaces[j]) } else { (&spaces[j], &spaces[i]) };
                        prop_assert!(found.iter().any(|o| &o.a == a && &o.b == b));
                    }
                }
            }
            prop_assert_eq!(found.len(), every);
        }
    }
}
