//! The organization's address plan (pure): how full the planned blocks (`Supernets`) are,
//! which VPCs sit outside them, which blocks overlap where it breaks routing, and where the
//! next VPC goes. Discovery (`crate::aws::network`) fills a [`Network`]; [`plan`] reads it.

use std::collections::BTreeSet;

use serde::Serialize;

use super::overlaps::{self, Links, Overlap, Space, VpcBlock};
use super::room::{self, Range, merge, range};
use super::{Ipv4Cidr, VpcInfo};

/// Free blocks a supernet lists (largest first): where the next VPCs go.
pub const FREE_BLOCKS_LISTED: usize = 8;

/// Where new VPCs come from when `--within` does not say: RFC 1918 and the shared space
/// EKS custom networking uses.
pub const DEFAULT_WITHIN: [&str; 4] = [
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "100.64.0.0/10",
];

/// What a scan read around the VPCs, for the address plan.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Network {
    /// Every VPC of the scanned account-regions (not only the pool's), each once.
    pub vpcs: Vec<VpcInfo>,
    /// VPC attachments: (transit gateway id, VPC id). A RAM-shared gateway has one id in
    /// every account.
    pub attachments: Vec<(String, String)>,
    /// Active peerings: (peering id, requester VPC id, accepter VPC id).
    pub peerings: Vec<(String, String, String)>,
    /// Active static and propagated routes of the route tables of gateways the scanned
    /// accounts own.
    pub routes: Vec<TgwRoute>,
    /// The ranges of `AvoidPrefixLists`.
    pub prefix_lists: Vec<(String, Vec<Ipv4Cidr>)>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct TgwRoute {
    pub transit_gateway_id: String,
    pub route_table_id: String,
    pub cidr: Ipv4Cidr,
    /// The attachment's resource type (`vpn`, `direct-connect-gateway`, `vpc`, …).
    pub target: String,
    /// For a route to a VPC attachment: that VPC.
    pub vpc_id: Option<String>,
}

impl Network {
    fn links(&self) -> Links {
        let mut links = Links::default();
        for (tgw, vpc) in &self.attachments {
            links
                .gateways
                .entry(vpc.clone())
                .or_default()
                .insert(tgw.clone());
        }
        for (id, a, b) in &self.peerings {
            let key = if a <= b { (a, b) } else { (b, a) };
            links
                .peerings
                .insert((key.0.clone(), key.1.clone()), id.clone());
        }
        links
    }

    fn vpc_blocks(&self) -> Vec<VpcBlock> {
        self.vpcs
            .iter()
            .flat_map(|v| {
                v.cidrs.iter().map(|c| VpcBlock {
                    account: v.account.clone(),
                    region: v.region.clone(),
                    vpc_id: v.vpc_id.clone(),
                    cidr: *c,
                })
            })
            .collect()
    }

    /// Space in use beyond the scanned VPCs: routes (less those that only carry a scanned
    /// VPC's own block to it, which the VPC stands for already) and avoided prefix lists.
    pub fn beyond_vpcs(&self) -> Vec<Space> {
        let blocks: std::collections::HashMap<&str, &[Ipv4Cidr]> = self
            .vpcs
            .iter()
            .map(|v| (v.vpc_id.as_str(), v.cidrs.as_slice()))
            .collect();
        let own = |r: &TgwRoute| {
            r.vpc_id
                .as_deref()
                .and_then(|id| blocks.get(id))
                .is_some_and(|cidrs| cidrs.contains(&r.cidr))
        };
        let mut out: Vec<Space> = self
            .routes
            .iter()
            .filter(|r| !own(r))
            .map(|r| Space::Route {
                transit_gateway_id: r.transit_gateway_id.clone(),
                route_table_id: r.route_table_id.clone(),
                cidr: r.cidr,
                target: match &r.vpc_id {
                    Some(v) => format!("{} {v}", r.target),
                    None => r.target.clone(),
                },
            })
            .collect();
        for (id, cidrs) in &self.prefix_lists {
            out.extend(cidrs.iter().map(|c| Space::PrefixList {
                prefix_list_id: id.clone(),
                cidr: *c,
            }));
        }
        out.sort();
        out.dedup();
        out
    }

    /// Every block a new VPC must avoid: VPC blocks, routes, avoided prefix lists.
    pub fn taken(&self) -> Vec<Ipv4Cidr> {
        let mut taken: Vec<Ipv4Cidr> = self.vpcs.iter().flat_map(|v| v.cidrs.clone()).collect();
        taken.extend(self.routes.iter().map(|r| r.cidr));
        taken.extend(self.prefix_lists.iter().flat_map(|(_, c)| c.clone()));
        taken
    }
}

/// One planned block: how much of it the VPCs hold, and where there is room.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Supernet {
    pub cidr: Ipv4Cidr,
    pub size: u64,
    /// Addresses inside the VPCs' IPv4 CIDR blocks (each counted once).
    pub allocated: u64,
    /// Addresses in no VPC block.
    pub free: u64,
    /// Percent allocated: IPAM's "percent assigned".
    pub allocation: f64,
    /// The VPC blocks within it (or overlapping it), in account, region, VPC order.
    pub vpc_blocks: Vec<VpcBlock>,
    /// Routes and avoided prefix-list ranges within it: not VPCs, but no place for one.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub in_use: Vec<Space>,
    /// The largest blocks in no VPC, route or avoided range, largest first (at most
    /// [`FREE_BLOCKS_LISTED`]).
    pub free_blocks: Vec<Ipv4Cidr>,
}

/// The address plan of a scan: `Report::plan` for a monitor with `Supernets`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AddressPlan {
    pub supernets: Vec<Supernet>,
    pub size: u64,
    pub allocated: u64,
    /// `SupernetFreeAddresses`.
    pub free: u64,
    /// `SupernetAllocation` (%).
    pub allocation: f64,
    /// Scanned VPCs with a CIDR block in no supernet (IPAM's "noncompliant"): `UnplannedVpcs`.
    pub unplanned: Vec<VpcBlock>,
    pub unplanned_vpcs: u64,
    /// Overlapping pairs with a VPC in it, connected ones first: every one up to
    /// [`overlaps::CONNECTED_LISTED`] connected and [`overlaps::ISOLATED_LISTED`] isolated.
    pub overlaps: Vec<Overlap>,
    /// Every connected pair, and every isolated one, listed or not.
    pub connected_overlaps: u64,
    pub isolated_overlaps: u64,
    /// VPCs in at least one connected overlapping pair: `OverlappingVpcs`.
    pub overlapping_vpcs: u64,
    /// The routes and prefix-list ranges counted as in use.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub in_use: Vec<Space>,
}

/// The part of merged `ranges` inside `r`.
fn within(r: Range, ranges: &[Range]) -> u64 {
    ranges
        .iter()
        .map(|&(lo, hi)| hi.min(r.1).saturating_sub(lo.max(r.0)))
        .sum()
}

fn percent(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 * 100.0 / whole as f64
    }
}

/// The plan of `supernets` (none overlapping another: the spec sees to it) over `network`.
pub fn plan(supernets: &[Ipv4Cidr], network: &Network) -> AddressPlan {
    let blocks = network.vpc_blocks();
    let held = merge(blocks.iter().map(|b| range(&b.cidr)).collect());
    let beyond = network.beyond_vpcs();
    let taken = network.taken();
    let supernets: Vec<Supernet> = supernets
        .iter()
        .map(|s| {
            let allocated = within(range(s), &held);
            let mut free_blocks = room::free_blocks(&[*s], &taken);
            free_blocks.truncate(FREE_BLOCKS_LISTED);
            Supernet {
                cidr: *s,
                size: s.size(),
                allocated,
                free: s.size() - allocated,
                allocation: percent(allocated, s.size()),
                vpc_blocks: blocks
                    .iter()
                    .filter(|b| b.cidr.overlaps(s))
                    .cloned()
                    .collect(),
                in_use: beyond
                    .iter()
                    .filter(|x| x.cidr().overlaps(s))
                    .cloned()
                    .collect(),
                free_blocks,
            }
        })
        .collect();
    let unplanned: Vec<VpcBlock> = blocks
        .iter()
        .filter(|b| !supernets.iter().any(|s| s.cidr.contains(&b.cidr)))
        .cloned()
        .collect();
    let mut spaces: Vec<Space> = blocks.into_iter().map(Space::Vpc).collect();
    spaces.extend(beyond.iter().cloned());
    let found = overlaps::overlaps(&spaces, &network.links());
    let size: u64 = supernets.iter().map(|s| s.size).sum();
    let allocated: u64 = supernets.iter().map(|s| s.allocated).sum();
    AddressPlan {
        size,
        allocated,
        free: size - allocated,
        allocation: percent(allocated, size),
        unplanned_vpcs: unplanned
            .iter()
            .map(|b| &b.vpc_id)
            .collect::<BTreeSet<_>>()
            .len() as u64,
        unplanned,
        overlapping_vpcs: found.connected_vpcs.len() as u64,
        connected_overlaps: found.connected_pairs,
        isolated_overlaps: found.isolated_pairs,
        overlaps: found.listed,
        in_use: beyond,
        supernets,
    }
}

/// The next `count` VPCs of /`size` inside `within`, overlapping none of `taken`: best fit
/// (each from the smallest free block that holds it, so large blocks stay whole).
pub fn new_vpcs(within: &[Ipv4Cidr], taken: &[Ipv4Cidr], size: u8, count: usize) -> Vec<Ipv4Cidr> {
    room::best_fit(&room::free_blocks(within, taken), size, count)
}

/// Entries of each list a summary keeps: the connected overlaps come first, so they stay.
pub const SUMMARY_KEPT: usize = 20;

impl AddressPlan {
    /// The plan within a bounded report: the figures whole, each list cut to
    /// [`SUMMARY_KEPT`], the supernets' VPC blocks left out (their counts stay in the figures).
    pub fn summary(&self) -> AddressPlan {
        let first = |list: &[Space]| list.iter().take(SUMMARY_KEPT).cloned().collect();
        AddressPlan {
            supernets: self
                .supernets
                .iter()
                .map(|n| Supernet {
                    vpc_blocks: Vec::new(),
                    in_use: first(&n.in_use),
                    free_blocks: n.free_blocks.clone(),
                    ..*n
                })
                .collect(),
            unplanned: self.unplanned.iter().take(SUMMARY_KEPT).cloned().collect(),
            overlaps: self.overlaps.iter().take(SUMMARY_KEPT).cloned().collect(),
            in_use: first(&self.in_use),
            ..*self
        }
    }

    /// The plan as text lines: the totals, each supernet with its largest free blocks, the
    /// overlaps (connected first), then the unplanned VPCs. `whole`: every supernet's VPC
    /// blocks and every listed entry (the report); else at most [`BRIEF`] of each list, with
    /// how many more (a notification).
    pub fn lines(&self, whole: bool) -> Vec<String> {
        let cap = if whole { usize::MAX } else { BRIEF };
        let plural = |n: u64, one: &str| format!("{n} {one}{}", if n == 1 { "" } else { "s" });
        let mut out = vec![format!(
            "Address plan: {} of {} supernet addresses in VPCs ({:.1}%), {} free; {} outside \
             every supernet; {} in connected overlaps",
            self.allocated,
            self.size,
            self.allocation,
            self.free,
            plural(self.unplanned_vpcs, "VPC"),
            plural(self.overlapping_vpcs, "VPC"),
        )];
        for s in &self.supernets {
            let vpcs = s
                .vpc_blocks
                .iter()
                .map(|b| &b.vpc_id)
                .collect::<BTreeSet<_>>();
            out.push(format!(
                "  {}: {:.1}% in {}, {} free; largest free: {}",
                s.cidr,
                s.allocation,
                plural(vpcs.len() as u64, "VPC"),
                s.free,
                join(&s.free_blocks, "none")
            ));
            if whole {
                for b in &s.vpc_blocks {
                    let cidr = b.cidr.to_string();
                    out.push(format!(
                        "    {cidr:<18} {} {} {}",
                        b.account, b.region, b.vpc_id
                    ));
                }
                for x in &s.in_use {
                    out.push(format!("    in use: {}", x.label()));
                }
            }
        }
        let (connected, isolated): (Vec<&Overlap>, Vec<&Overlap>) =
            self.overlaps.iter().partition(|o| o.connected);
        let pairs = [
            (
                &connected[..],
                self.connected_overlaps,
                "Connected overlaps",
                "these blocks cannot route to each other",
            ),
            (
                &isolated[..],
                self.isolated_overlaps,
                "Isolated overlaps",
                "they collide if ever connected",
            ),
        ];
        for (list, all, heading, why) in pairs {
            if list.is_empty() {
                continue;
            }
            let shown = list.len().min(cap);
            let first = if shown as u64 == all {
                String::new()
            } else {
                format!(", the first {shown} listed")
            };
            out.push(format!("{heading} ({all}{first}: {why}):"));
            for o in &list[..shown] {
                let via = o
                    .via
                    .as_ref()
                    .map_or_else(String::new, |v| format!(" through {v}"));
                out.push(format!("  {} × {}{via}", o.a.label(), o.b.label()));
            }
        }
        for b in self.unplanned.iter().take(cap) {
            out.push(format!(
                "  unplanned: {} {} {} {}",
                b.cidr, b.account, b.region, b.vpc_id
            ));
        }
        let more = self.unplanned.len().saturating_sub(cap);
        if more > 0 {
            out.push(format!("  … and {more} more unplanned VPC blocks"));
        }
        out
    }
}

/// Entries of each list a notification's plan names.
pub const BRIEF: usize = 10;

fn join(list: &[Ipv4Cidr], none: &str) -> String {
    if list.is_empty() {
        return none.to_string();
    }
    list.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests;
