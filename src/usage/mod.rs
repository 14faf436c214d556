//! Pure address arithmetic: CIDR blocks, free /28 blocks, and a pool's usage from a snapshot
//! of its subnets. Nothing here performs I/O: discovery (`crate::aws::discover`) fills a
//! [`Snapshot`], [`pool::compute`] turns it into a [`pool::Report`].

pub mod blocks;
pub mod cidr;
pub mod metrics;
pub mod pool;
pub mod trend;

pub use cidr::Ipv4Cidr;

/// One subnet as discovery saw it.
#[derive(Clone, Debug, PartialEq)]
pub struct SubnetInfo {
    pub account: String,
    pub region: String,
    pub vpc_id: String,
    pub subnet_id: String,
    pub availability_zone: String,
    /// `None` for an IPv6-only subnet: it has no IPv4 space.
    pub cidr: Option<Ipv4Cidr>,
    /// `AvailableIpAddressCount`: already counts stopped instances as used.
    pub available: u64,
    /// With prefix accounting: what occupies the subnet's /28 blocks.
    pub occupancy: Option<Occupancy>,
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

/// One VPC's IPv4 CIDR blocks, primary and secondary.
#[derive(Clone, Debug, PartialEq)]
pub struct VpcInfo {
    pub account: String,
    pub region: String,
    pub vpc_id: String,
    pub cidrs: Vec<Ipv4Cidr>,
}

/// An account-region that could not be scanned.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ScanError {
    pub account: String,
    pub region: String,
    pub error: String,
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
}
