//! A pool's usage from a snapshot of its subnets (pure).
//!
//! Usable IPv4 in a subnet = 2^(32−prefix) − 5 (AWS reserves the first four addresses and the
//! last). Used = usable − `AvailableIpAddressCount`. IPv6-only subnets are listed, not summed.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use super::blocks::free_blocks;
use super::clusters::Cluster;
use super::holders::{self, DetachedEni, Holder};
use super::order;
use super::room::{self, Range, merge, range};
use super::supernet::AddressPlan;
use super::{Ipv4Cidr, ScanError, Snapshot, SubnetInfo, VpcInfo};

pub use super::bounded::{DETACHED_KEPT, ERRORS_KEPT, Omitted};

/// Addresses AWS reserves in every IPv4 subnet.
pub const RESERVED_PER_SUBNET: u64 = 5;

pub fn usable(cidr: Ipv4Cidr) -> u64 {
    cidr.size().saturating_sub(RESERVED_PER_SUBNET)
}

/// One IPv4 subnet's usage.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SubnetUsage {
    pub account: String,
    pub region: String,
    pub vpc_id: String,
    pub subnet_id: String,
    pub availability_zone: String,
    pub availability_zone_id: String,
    /// Written as `10.0.0.0/24`, formatted only then (one string less a subnet).
    pub cidr: Ipv4Cidr,
    pub usable: u64,
    pub used: u64,
    pub free: u64,
    /// Percent of usable addresses in use.
    pub utilization: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub free_prefixes: Option<u64>,
    /// Its used addresses by kind of holder, adding up to `used`, when discovery described
    /// every ENI of the subnet.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub holders: Option<BTreeMap<Holder, u64>>,
    /// Addresses held by its detached ENIs: space that can be reclaimed.
    pub detached_addresses: u64,
    /// Its detached ENIs, largest first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub detached: Vec<DetachedEni>,
}

impl Report {
    /// Its EKS clusters as text lines (see [`super::clusters::table`]); none without clusters.
    pub fn cluster_lines(&self) -> Vec<String> {
        super::clusters::table(&self.clusters, |id| {
            self.subnets
                .iter()
                .find(|s| s.subnet_id == id)
                .map(|s| s.usable)
        })
    }
}

impl SubnetUsage {
    /// "EKS pods 200 · instances 4 · detached ENIs 8", most first; `None` when the holders
    /// were not described, or nothing holds an address.
    pub fn holders_line(&self) -> Option<String> {
        let mut by: Vec<(&Holder, &u64)> = self.holders.as_ref()?.iter().collect();
        if by.is_empty() {
            return None;
        }
        by.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        Some(
            by.iter()
                .map(|(h, n)| format!("{} {n}", h.label()))
                .collect::<Vec<_>>()
                .join(" · "),
        )
    }
}

/// Room for new subnets in one of the pool's VPCs: what all its subnets (the pool's and any
/// others) leave of its IPv4 CIDRs.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct VpcRoom {
    pub account: String,
    pub region: String,
    pub vpc_id: String,
    /// The primary first, then the associated secondary ones.
    pub cidrs: Vec<Ipv4Cidr>,
    /// Its IPv4 subnets, the pool's and any others.
    pub subnet_count: u64,
    /// The unallocated space as maximal aligned blocks, largest first.
    pub unallocated: Vec<Ipv4Cidr>,
    /// How many new subnets of each size, /16 to /28, fit (each size on its own).
    pub room: room::Fits,
    /// Its subnets outside the pool (they take room too; the map draws them grey).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub other_subnets: Vec<Ipv4Cidr>,
}

impl VpcRoom {
    /// `pool`: the pool's subnet CIDRs in this VPC.
    fn of(v: &VpcInfo, pool: &[Ipv4Cidr]) -> Self {
        let unallocated = room::free_blocks(&v.cidrs, &v.subnets);
        VpcRoom {
            other_subnets: v
                .subnets
                .iter()
                .filter(|c| !pool.contains(c))
                .copied()
                .collect(),
            account: v.account.clone(),
            region: v.region.clone(),
            vpc_id: v.vpc_id.clone(),
            cidrs: v.cidrs.clone(),
            subnet_count: v.subnets.len() as u64,
            room: room::room(&unallocated),
            unallocated,
        }
    }
}

/// One Availability Zone's part of the pool, by AZ ID: a pod can only use subnets in its
/// node's AZ, so a pool with room overall can still be full where it matters.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AzUsage {
    pub availability_zone_id: String,
    pub subnet_count: u64,
    pub usable: u64,
    pub used: u64,
    pub free: u64,
    pub utilization: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub free_prefixes: Option<u64>,
}

/// An IPv6-only subnet: counted, not summed.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Ipv6OnlySubnet {
    pub account: String,
    pub region: String,
    pub vpc_id: String,
    pub subnet_id: String,
}

/// The pool's totals.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Totals {
    pub usable: u64,
    pub used: u64,
    pub free: u64,
    pub utilization: f64,
    pub max_subnet_utilization: f64,
    /// `None` without IPv4 subnets.
    pub min_subnet_free: Option<u64>,
    /// IPv4 subnets.
    pub subnet_count: u64,
    pub ipv6_only_subnets: u64,
    /// Percent of the selected VPCs' IPv4 space covered by the pool's subnets; `None`
    /// without VPC CIDRs.
    pub vpc_allocation: Option<f64>,
    /// With prefix accounting.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub free_prefixes: Option<u64>,
    /// Addresses held by detached ENIs in the pool's subnets.
    pub detached_addresses: u64,
    /// The free addresses of the pool's smallest AZ (by AZ ID); 0 without IPv4 subnets, as
    /// `FreeAddresses` is: a pod has nowhere to go, and `-az-free-addresses` must see a datum
    /// every whole tick like the pool's other threshold alarms (a selection that matches nothing
    /// would otherwise leave it in INSUFFICIENT_DATA for good).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_az_free: Option<u64>,
    /// With prefix accounting: the free /28 blocks of the AZ with the fewest.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_az_free_prefixes: Option<u64>,
    /// Days until the free addresses run out at the last week's growth; only while usage
    /// grows. Filled in by the tick, which has the history.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub days_to_exhaustion: Option<f64>,
}

/// The usage report: what a tick returns and `cidrwatch report` prints.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    pub pool: String,
    pub totals: Totals,
    /// Fullest first; among equally full ones, fewer free addresses first, then by id.
    pub subnets: Vec<SubnetUsage>,
    /// Per AZ ID, in AZ ID order.
    pub azs: Vec<AzUsage>,
    /// Room for new subnets in the pool's VPCs, in account, region, VPC order.
    pub vpcs: Vec<VpcRoom>,
    pub ipv6_only: Vec<Ipv6OnlySubnet>,
    /// Account-regions scanned, failed ones included.
    pub scanned: usize,
    pub errors: Vec<ScanError>,
    /// EKS clusters holding the pool's addresses, largest hold first: when every ENI was
    /// read (reports, notifications, the map, `ClusterMetrics` ticks).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub clusters: Vec<Cluster>,
    /// The address plan, for a monitor with `Supernets` (see [`super::supernet::plan`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan: Option<AddressPlan>,
}

fn percent(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 * 100.0 / whole as f64
    }
}

/// One IPv4 subnet's usage, its strings moved from discovery's view of it.
fn subnet_usage(s: SubnetInfo, cidr: Ipv4Cidr) -> SubnetUsage {
    let usable = usable(cidr);
    // Clamp: a count above the usable space (seen from emulators) means nothing is used.
    let free = s.available.min(usable);
    let used = usable - free;
    let detached_addresses = s.detached.iter().map(|d| d.addresses).sum();
    SubnetUsage {
        free_prefixes: s.occupancy.as_ref().map(|o| free_blocks(cidr, o)),
        holders: s.holders.map(|by| holders::add_up(by, used)),
        account: s.account,
        region: s.region,
        vpc_id: s.vpc_id,
        subnet_id: s.subnet_id,
        availability_zone: s.availability_zone,
        availability_zone_id: s.availability_zone_id,
        cidr,
        usable,
        used,
        free,
        utilization: percent(used, usable),
        detached_addresses,
        detached: s.detached,
    }
}

/// The report of a copy of `snapshot`, for a caller that still wants it after (see
/// [`report`], which takes it).
pub fn report_of_copy(pool: &str, snapshot: &Snapshot) -> Report {
    report(pool, snapshot.clone())
}

/// The report of `snapshot`, which it consumes: each subnet's strings move into the report
/// rather than being copied (six a subnet).
pub fn report(pool: &str, snapshot: Snapshot) -> Report {
    let by_vpc = pool_cidrs_by_vpc(&snapshot);
    let vpcs = vpc_rooms(&snapshot, &by_vpc);
    let vpc_allocation = vpc_allocation(&snapshot, &by_vpc);
    drop(by_vpc);
    let prefix_accounting = snapshot.prefix_accounting;
    let mut ipv6_only = Vec::new();
    // Collected in place: each usage takes its record's memory (no larger than a record),
    // not a second list of them.
    let mut subnets: Vec<SubnetUsage> = snapshot
        .subnets
        .into_iter()
        .filter_map(|s| match s.cidr {
            Some(cidr) => Some(subnet_usage(s, cidr)),
            None => {
                ipv6_only.push(Ipv6OnlySubnet {
                    account: s.account,
                    region: s.region,
                    vpc_id: s.vpc_id,
                    subnet_id: s.subnet_id,
                });
                None
            }
        })
        .collect();
    // In place, each usage moved about once; the key is whole, so the order is the same
    // whatever order discovery gave.
    order::sort_by(&mut subnets, |a, b| {
        b.utilization
            .total_cmp(&a.utilization)
            .then(a.free.cmp(&b.free))
            .then_with(|| {
                (&a.subnet_id, &a.account, &a.region).cmp(&(&b.subnet_id, &b.account, &b.region))
            })
    });
    let azs = per_az(prefix_accounting, &subnets);
    let usable: u64 = subnets.iter().map(|s| s.usable).sum();
    let used: u64 = subnets.iter().map(|s| s.used).sum();
    let totals = Totals {
        usable,
        used,
        free: usable - used,
        utilization: percent(used, usable),
        max_subnet_utilization: subnets.iter().map(|s| s.utilization).fold(0.0, f64::max),
        min_subnet_free: subnets.iter().map(|s| s.free).min(),
        subnet_count: subnets.len() as u64,
        ipv6_only_subnets: ipv6_only.len() as u64,
        vpc_allocation,
        free_prefixes: prefix_accounting
            .then(|| subnets.iter().filter_map(|s| s.free_prefixes).sum()),
        detached_addresses: subnets.iter().map(|s| s.detached_addresses).sum(),
        min_az_free: Some(azs.iter().map(|a| a.free).min().unwrap_or(0)),
        min_az_free_prefixes: azs.iter().filter_map(|a| a.free_prefixes).min(),
        days_to_exhaustion: None,
    };
    Report {
        pool: pool.to_string(),
        totals,
        subnets,
        azs,
        vpcs,
        ipv6_only,
        scanned: snapshot.scanned,
        errors: snapshot.errors,
        clusters: snapshot.clusters,
        plan: None,
    }
}

/// The pool's subnet CIDRs under each (account, region, VPC).
type ByVpc<'a> = HashMap<(&'a str, &'a str, &'a str), Vec<Ipv4Cidr>>;

/// [`ByVpc`] in one pass over the subnets, for both the rooms and the allocation: matching
/// per VPC instead made 100,000 subnets in 1,000 VPCs take a second (`cargo bench --bench
/// core`).
fn pool_cidrs_by_vpc(snapshot: &Snapshot) -> ByVpc<'_> {
    let mut by_vpc = ByVpc::new();
    for s in &snapshot.subnets {
        if let Some(c) = s.cidr {
            by_vpc
                .entry((&s.account, &s.region, &s.vpc_id))
                .or_default()
                .push(c);
        }
    }
    by_vpc
}

/// VPC `v`'s entry in `by_vpc`: none when no pool subnet is in it.
fn pool_cidrs<'m>(by_vpc: &'m ByVpc<'_>, v: &'m VpcInfo) -> &'m [Ipv4Cidr] {
    let key = (v.account.as_str(), v.region.as_str(), v.vpc_id.as_str());
    by_vpc.get(&key).map_or(&[][..], Vec::as_slice)
}

/// Each of the pool's VPCs' room, knowing which of its subnets are the pool's.
fn vpc_rooms(snapshot: &Snapshot, by_vpc: &ByVpc<'_>) -> Vec<VpcRoom> {
    snapshot
        .vpcs
        .iter()
        .map(|v| VpcRoom::of(v, pool_cidrs(by_vpc, v)))
        .collect()
}

/// The pool's figures per AZ ID (the AZ name when EC2 gave no ID), IPv4 subnets only.
fn per_az(prefix_accounting: bool, subnets: &[SubnetUsage]) -> Vec<AzUsage> {
    let mut azs: std::collections::BTreeMap<&str, AzUsage> = std::collections::BTreeMap::new();
    for s in subnets {
        let id = if s.availability_zone_id.is_empty() {
            s.availability_zone.as_str()
        } else {
            s.availability_zone_id.as_str()
        };
        let a = azs.entry(id).or_insert_with(|| AzUsage {
            availability_zone_id: id.to_string(),
            subnet_count: 0,
            usable: 0,
            used: 0,
            free: 0,
            utilization: 0.0,
            free_prefixes: prefix_accounting.then_some(0),
        });
        a.subnet_count += 1;
        a.usable += s.usable;
        a.used += s.used;
        a.free += s.free;
        if let (Some(total), Some(f)) = (a.free_prefixes.as_mut(), s.free_prefixes) {
            *total += f;
        }
    }
    azs.into_values()
        .map(|mut a| {
            a.utilization = percent(a.used, a.usable);
            a
        })
        .collect()
}

/// Σ (each VPC's space covered by the pool's subnets) / Σ (each VPC's space), overlapping or
/// nested CIDRs counted once. VPCs are separate address spaces, so each is measured alone.
fn vpc_allocation(snapshot: &Snapshot, by_vpc: &ByVpc<'_>) -> Option<f64> {
    let mut total = 0u64;
    let mut covered = 0u64;
    for vpc in &snapshot.vpcs {
        let space = merge(vpc.cidrs.iter().map(range).collect());
        let carved = merge(pool_cidrs(by_vpc, vpc).iter().map(range).collect());
        total += measure(&space);
        covered += measure(&intersect(&space, &carved));
    }
    (total > 0).then(|| percent(covered, total))
}

fn intersect(a: &[Range], b: &[Range]) -> Vec<Range> {
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < a.len() && j < b.len() {
        let lo = a[i].0.max(b[j].0);
        let hi = a[i].1.min(b[j].1);
        if lo < hi {
            out.push((lo, hi));
        }
        if a[i].1 < b[j].1 { i += 1 } else { j += 1 }
    }
    out
}

fn measure(ranges: &[Range]) -> u64 {
    ranges.iter().map(|(lo, hi)| hi - lo).sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::usage::{Occupancy, VpcInfo};
    use proptest::prelude::*;

    fn subnet(id: &str, vpc: &str, cidr: Option<&str>, available: u64) -> SubnetInfo {
        SubnetInfo {
            account: "111111111111".into(),
            region: "us-east-1".into(),
            vpc_id: vpc.into(),
            subnet_id: id.into(),
            availability_zone: "us-east-1a".into(),
            availability_zone_id: "use1-az1".into(),
            cidr: cidr.map(|c| c.parse().unwrap()),
            available,
            occupancy: None,
            ..Default::default()
        }
    }

    fn vpc(id: &str, cidrs: &[&str]) -> VpcInfo {
        VpcInfo {
            account: "111111111111".into(),
            region: "us-east-1".into(),
            vpc_id: id.into(),
            cidrs: cidrs.iter().map(|c| c.parse().unwrap()).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn totals_fullest_first_and_ipv6_only_apart() {
        let snap = Snapshot {
            subnets: vec![
                subnet("subnet-a", "vpc-1", Some("10.0.0.0/24"), 251), // empty
                subnet("subnet-b", "vpc-1", Some("10.0.1.0/26"), 9),   // 59 usable, 50 used
                subnet("subnet-c", "vpc-1", None, u64::MAX - 4),       // IPv6-only
            ],
            vpcs: vec![vpc("vpc-1", &["10.0.0.0/16"])],
            prefix_accounting: false,
            scanned: 1,
            errors: vec![],
            clusters: vec![],
            network: None,
        };
        let r = report_of_copy("p", &snap);
        assert_eq!(
            r.subnets
                .iter()
                .map(|s| s.subnet_id.as_str())
                .collect::<Vec<_>>(),
            ["subnet-b", "subnet-a"]
        );
        let t = &r.totals;
        assert_eq!(
            (
                t.usable,
                t.used,
                t.free,
                t.subnet_count,
                t.ipv6_only_subnets
            ),
            (251 + 59, 50, 260, 2, 1)
        );
        assert!((t.utilization - 50.0 * 100.0 / 310.0).abs() < 1e-9);
        assert!((t.max_subnet_utilization - 50.0 * 100.0 / 59.0).abs() < 1e-9);
        assert_eq!(t.min_subnet_free, Some(9));
        let alloc = t.vpc_allocation.unwrap();
        assert!(
            (alloc - (256.0 + 64.0) * 100.0 / 65536.0).abs() < 1e-9,
            "{alloc}"
        );
        assert_eq!(t.free_prefixes, None);
        assert_eq!(r.ipv6_only[0].subnet_id, "subnet-c");
    }

    #[test]
    fn vpc_allocation_counts_overlaps_once_and_vpcs_apart() {
        // Secondary CIDR nested in the primary; another VPC reuses the same space.
        let snap = Snapshot {
            subnets: vec![
                subnet("s1", "vpc-1", Some("10.0.0.0/24"), 0),
                subnet("s2", "vpc-1", Some("10.1.0.0/24"), 0),
                subnet("s3", "vpc-2", Some("10.0.0.0/17"), 0),
            ],
            vpcs: vec![
                vpc("vpc-1", &["10.0.0.0/16", "10.0.0.0/20", "10.1.0.0/16"]),
                vpc("vpc-2", &["10.0.0.0/16"]),
            ],
            ..Snapshot::default()
        };
        let alloc = report_of_copy("p", &snap).totals.vpc_allocation.unwrap();
        let expected = (256.0 + 256.0 + 32768.0) * 100.0 / (131072.0 + 65536.0);
        assert!((alloc - expected).abs() < 1e-9, "{alloc} vs {expected}");
    }

    #[test]
    fn prefix_accounting_sums_free_blocks() {
        let mut a = subnet("a", "vpc-1", Some("10.0.0.0/24"), 250);
        a.occupancy = Some(Occupancy {
            addresses: vec![0x0A00_0020],
            ranges: vec![],
        });
        let mut b = subnet("b", "vpc-1", Some("10.0.1.0/28"), 11);
        b.occupancy = Some(Occupancy::default());
        let snap = Snapshot {
            subnets: vec![a, b],
            prefix_accounting: true,
            ..Snapshot::default()
        };
        let r = report_of_copy("p", &snap);
        assert_eq!(r.totals.free_prefixes, Some(13));
        assert_eq!(r.totals.vpc_allocation, None);
    }

    #[test]
    fn an_empty_pool_is_all_zero_and_finite() {
        let r = report_of_copy("p", &Snapshot::default());
        assert_eq!(
            (
                r.totals.usable,
                r.totals.utilization,
                r.totals.min_subnet_free,
                r.totals.min_az_free
            ),
            (0, 0.0, None, Some(0)),
            "no AZ has room: the -az-free-addresses alarm gets its datum, as -min-free does"
        );
    }

    proptest! {
        /// Every /16…/28: usable = 2^(32−p) − 5, and used + free = usable whatever the count says.
        #[test]
        fn usable_used_free_add_up(prefix in 16u8..=28, available in 0u64..70_000) {
            let size = 1u64 << (32 - prefix);
            let cidr = Ipv4Cidr::new(0x0A00_0000, prefix).unwrap();
            prop_assert_eq!(usable(cidr), size - 5);
            let s = subnet_usage(subnet("s", "v", Some(&cidr.to_string()), available), cidr);
            prop_assert_eq!(s.used + s.free, s.usable);
            prop_assert_eq!(s.free, available.min(size - 5));
            prop_assert!(s.utilization >= 0.0 && s.utilization <= 100.0);
        }

        /// Allocation never exceeds 100% however subnets and VPC CIDRs overlap.
        #[test]
        fn allocation_is_a_percentage(cidrs in proptest::collection::vec((0u32..64, 16u8..=28), 1..12)) {
            let to = |(i, p): (u32, u8)| {
                let size = 1u32 << (32 - p);
                Ipv4Cidr::new((0x0A00_0000 + i * 4096) & !(size - 1), p).unwrap().to_string()
            };
            let names: Vec<String> = cidrs.iter().map(|c| to(*c)).collect();
            let subnets = names.iter().enumerate().map(|(i, c)| subnet(&format!("s{i}"), "vpc-1", Some(c), 0)).collect();
            let snap = Snapshot { subnets, vpcs: vec![vpc("vpc-1", &["10.0.0.0/14"])], ..Snapshot::default() };
            let alloc = report_of_copy("p", &snap).totals.vpc_allocation.unwrap();
            prop_assert!((0.0..=100.0).contains(&alloc));
        }
    }
}
