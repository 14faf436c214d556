//! Which address blocks overlap (pure): every VPC CIDR block of a scan against every other,
//! and against the ranges in use beyond VPCs (transit-gateway routes, avoided prefix lists).
//! One sort and a sweep: a block is compared only with the blocks still open where it starts,
//! never every pair.

use std::collections::{BTreeMap, BTreeSet, HashMap};

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

/// Connected pairs a plan lists; every one is counted, and its VPCs are in `OverlappingVpcs`.
pub const CONNECTED_LISTED: usize = 1_000;
/// Isolated pairs a plan lists (every one is counted): 1,000 accounts whose default VPCs all
/// hold 172.31.0.0/16 in 4 regions would otherwise list 8 million.
pub const ISOLATED_LISTED: usize = 200;

/// Every overlapping pair with at least one VPC block in it, counted; the first
/// [`CONNECTED_LISTED`] connected and [`ISOLATED_LISTED`] isolated ones listed, connected
/// first.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Found {
    pub listed: Vec<Overlap>,
    pub connected_pairs: u64,
    pub isolated_pairs: u64,
    /// The VPCs in at least one connected pair: `OverlappingVpcs`.
    pub connected_vpcs: BTreeSet<String>,
}

/// The links by index, so the sweep's check of a pair allocates nothing.
struct Index<'a> {
    /// Per space: its VPC's index, when it is a VPC's.
    vpc: Vec<Option<usize>>,
    /// Per VPC index: the gateways it attaches to, sorted.
    gateways: Vec<Vec<&'a str>>,
    peerings: HashMap<(usize, usize), &'a str>,
}

impl<'a> Index<'a> {
    fn new(spaces: &[Space], links: &'a Links) -> Self {
        let mut ids: HashMap<&str, usize> = HashMap::new();
        let vpc: Vec<Option<usize>> = spaces
            .iter()
            .map(|s| {
                s.vpc().map(|id| {
                    let n = ids.len();
                    *ids.entry(id).or_insert(n)
                })
            })
            .collect();
        let mut gateways = vec![Vec::new(); ids.len()];
        for (id, &i) in &ids {
            if let Some(g) = links.gateways.get(*id) {
                gateways[i] = g.iter().map(String::as_str).collect();
            }
        }
        let peerings = links
            .peerings
            .iter()
            .filter_map(|((a, b), pcx)| {
                let (a, b) = (*ids.get(a.as_str())?, *ids.get(b.as_str())?);
                Some(((a.min(b), a.max(b)), pcx.as_str()))
            })
            .collect();
        Index {
            vpc,
            gateways,
            peerings,
        }
    }

    /// What joins spaces `i` and `j`, if anything: a gateway both VPCs attach to, else
    /// their peering; for a VPC and a route, the route's gateway when the VPC attaches to it.
    fn join(&self, spaces: &[Space], i: usize, j: usize) -> Option<&'a str> {
        match (self.vpc[i], self.vpc[j]) {
            (Some(a), Some(b)) => {
                let (ga, gb) = (&self.gateways[a], &self.gateways[b]);
                ga.iter()
                    .find(|g| gb.binary_search(g).is_ok())
                    .copied()
                    .or_else(|| self.peerings.get(&(a.min(b), a.max(b))).copied())
            }
            (Some(v), None) | (None, Some(v)) => {
                let route = if self.vpc[i].is_none() { i } else { j };
                let Space::Route {
                    transit_gateway_id, ..
                } = &spaces[route]
                else {
                    return None;
                };
                let g = &self.gateways[v];
                g.binary_search(&transit_gateway_id.as_str())
                    .ok()
                    .map(|k| g[k])
            }
            (None, None) => None,
        }
    }
}

/// Every overlapping pair with at least one VPC block in it (two blocks of one VPC never
/// pair; nor do two ranges that are not VPCs): see [`Found`].
pub fn overlaps(spaces: &[Space], links: &Links) -> Found {
    let index = Index::new(spaces, links);
    let mut order: Vec<(Range, usize)> = spaces
        .iter()
        .enumerate()
        .map(|(i, s)| (range(&s.cidr()), i))
        .collect();
    order.sort_unstable();
    let mut open: Vec<(u64, usize)> = Vec::new();
    let mut found = Found::default();
    let (mut connected, mut isolated) = (Vec::new(), Vec::new());
    for ((lo, hi), i) in order {
        open.retain(|(end, _)| *end > lo);
        for &(_, j) in &open {
            let pairs = match (index.vpc[j], index.vpc[i]) {
                (None, None) => false,
                (Some(x), Some(y)) => x != y,
                _ => true,
            };
            if !pairs {
                continue;
            }
            let via = index.join(spaces, j, i);
            let (list, kept) = if via.is_some() {
                found.connected_pairs += 1;
                for s in [&spaces[i], &spaces[j]] {
                    if let Some(v) = s.vpc() {
                        found.connected_vpcs.insert(v.to_string());
                    }
                }
                (&mut connected, CONNECTED_LISTED)
            } else {
                found.isolated_pairs += 1;
                (&mut isolated, ISOLATED_LISTED)
            };
            if list.len() < kept {
                let (a, b) = (&spaces[j], &spaces[i]);
                let (a, b) = if a <= b { (a, b) } else { (b, a) };
                list.push(Overlap {
                    a: a.clone(),
                    b: b.clone(),
                    connected: via.is_some(),
                    via: via.map(str::to_string),
                });
            }
        }
        open.push((hi, i));
    }
    for list in [&mut connected, &mut isolated] {
        list.sort_by(|x, y| (&x.a, &x.b).cmp(&(&y.a, &y.b)));
    }
    connected.append(&mut isolated);
    found.listed = connected;
    found
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
            .listed
            .iter()
            .map(|o| (o.a.label(), o.b.label(), o.via.clone()))
            .collect();
        assert_eq!(found.listed.len(), 2, "{pairs:?}");
        assert!(found.listed[0].connected && found.listed[0].via.as_deref() == Some("pcx-1"));
        assert!(!found.listed[1].connected);
        assert_eq!((found.connected_pairs, found.isolated_pairs), (1, 1));
        assert_eq!(
            found.connected_vpcs,
            BTreeSet::from(["vpc-c".to_string(), "vpc-d".to_string()])
        );
    }

    #[test]
    fn a_thousand_default_vpcs_are_counted_not_listed() {
        let spaces: Vec<Space> = (0..1000)
            .map(|i| vpc(&format!("vpc-{i}"), "172.31.0.0/16"))
            .collect();
        let found = overlaps(&spaces, &Links::default());
        assert_eq!(found.isolated_pairs, 1000 * 999 / 2);
        assert_eq!(found.listed.len(), ISOLATED_LISTED);
        assert!(found.connected_vpcs.is_empty());
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
            let mut every = Vec::new();
            for i in 0..spaces.len() {
                for j in i + 1..spaces.len() {
                    if spaces[i].vpc() != spaces[j].vpc() && spaces[i].cidr().overlaps(&spaces[j].cidr()) {
                        let (a, b) = if spaces[i] <= spaces[j] { (&spaces[i], &spaces[j]) } else { (&spaces[j], &spaces[i]) };
                        every.push((a.clone(), b.clone()));
                    }
                }
            }
            prop_assert_eq!(found.isolated_pairs as usize, every.len());
            prop_assert_eq!(found.listed.len(), every.len().min(ISOLATED_LISTED));
            for o in &found.listed {
                prop_assert!(every.contains(&(o.a.clone(), o.b.clone())));
            }
        }
    }
}
