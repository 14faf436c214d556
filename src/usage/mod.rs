//! Pure address arithmetic: CIDR blocks, free /28 blocks, and a pool's usage from a snapshot
//! of its subnets. Nothing here performs I/O: discovery (`crate::aws::discover`) fills a
//! [`Snapshot`], [`pool::report`] turns it into a [`pool::Report`] (taking it; [`pool::report_of_copy`] leaves it whole).

pub mod blocks;
pub mod bounded;
pub mod catalogue;
pub mod cidr;
pub mod clusters;
pub mod fix;
pub mod holders;
pub mod layout;
pub mod metrics;
pub mod order;
pub mod overlaps;
pub mod pool;
pub mod room;
pub mod supernet;
pub mod trend;
pub mod warm;

pub use cidr::Ipv4Cidr;
pub use holders::{DetachedEni, Holder};

use std::collections::BTreeMap;

/// One subnet as discovery saw it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SubnetInfo {
    pub account: String,
    pub region: String,
    pub vpc_id: String,
    pub subnet_id: String,
    pub availability_zone: String,
    /// `use1-az1`: the same place in every account, where AZ names differ between accounts.
    pub availability_zone_id: String,
    /// `None` for an IPv6-only subnet: it has no IPv4 space.
    pub cidr: Option<Ipv4Cidr>,
    /// `AvailableIpAddressCount`: already counts stopped instances as used.
    pub available: u64,
    /// With prefix accounting: what occupies the subnet's /28 blocks.
    pub occupancy: Option<Occupancy>,
    /// Addresses held per kind of holder, when discovery described every ENI of the subnet
    /// (with prefix accounting, `cidrwatch report`, notifications); ticks otherwise describe
    /// only the detached ones.
    pub holders: Option<BTreeMap<Holder, u64>>,
    /// Its detached ENIs, largest first: always described.
    pub detached: Vec<DetachedEni>,
}

/// What makes a /28 block unavailable for prefix delegation, besides the reserved addresses.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Occupancy {
    /// ENI private IPv4 addresses (primary and secondary).
    pub addresses: Vec<u32>,
    /// ENI /28 prefixes and `explicit` CIDR reservations. (`prefix` reservations stay
    /// available to prefixes, which is what they are for.)
    pub ranges: Vec<Ipv4Cidr>,
}

/// One VPC's IPv4 CIDR blocks: the primary first, then the associated secondary ones.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct VpcInfo {
    pub account: String,
    pub region: String,
    pub vpc_id: String,
    pub cidrs: Vec<Ipv4Cidr>,
    /// Every IPv4 subnet of the VPC, selected or not: what the room for new subnets is left of.
    pub subnets: Vec<Ipv4Cidr>,
}

/// An account-region that could not be scanned.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ScanError {
    pub account: String,
    pub region: String,
    /// The call that failed, e.g. `sts:AssumeRole`.
    pub call: String,
    /// AWS's error code, when AWS answered with one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// One line: the call, AWS's code and message.
    pub error: String,
    /// AWS refused it (authorization, opt-in): a person must act; retrying will not help.
    pub refused: bool,
}

impl ScanError {
    pub fn new(account: String, region: String, e: &crate::Error) -> Self {
        let (call, code) = match e {
            crate::Error::Aws { call, code, .. } => (call.to_string(), code.clone()),
            _ => (String::new(), None),
        };
        ScanError {
            account,
            region,
            call,
            code,
            error: e.to_string(),
            refused: e.is_refusal(),
        }
    }

    /// "account region: error", the line reports and messages show.
    pub fn line(&self) -> String {
        format!("{} {}: {}", self.account, self.region, self.error)
    }
}

/// Everything one tick discovered.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Snapshot {
    pub subnets: Vec<SubnetInfo>,
    pub vpcs: Vec<VpcInfo>,
    /// Whether /28-prefix accounting was on (occupancy filled in).
    pub prefix_accounting: bool,
    pub scanned: usize,
    pub errors: Vec<ScanError>,
    /// EKS clusters whose nodes hold the subnets' addresses, when every ENI was read.
    pub clusters: Vec<clusters::Cluster>,
    /// With `Supernets`: every VPC of the scanned account-regions and what joins them.
    pub network: Option<supernet::Network>,
}

/// A whole scan's report of `n` /24 subnets in one VPC of one account-region, each with
/// a different count of free addresses: the large report tests cut to a budget.
#[cfg(test)]
pub(crate) fn report_of(n: usize) -> pool::Report {
    let subnets = (0..n)
        .map(|i| SubnetInfo {
            account: "111111111111".into(),
            region: "us-east-1".into(),
            vpc_id: "vpc-1".into(),
            subnet_id: format!("subnet-{i:017x}"),
            availability_zone: "us-east-1a".into(),
            availability_zone_id: "use1-az1".into(),
            cidr: Some(Ipv4Cidr::new(0x0A00_0000 + (i as u32) * 256, 24).unwrap()),
            available: (i % 251) as u64,
            ..SubnetInfo::default()
        })
        .collect();
    pool::report(
        "p",
        Snapshot {
            subnets,
            scanned: 1,
            ..Snapshot::default()
        },
    )
}
