//! Builds known estates in moto and computes, independently of cidrwatch's code, what their
//! usage must be: from the CIDRs it created and the ENI addresses moto handed back.

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

use aws_config::SdkConfig;
use aws_sdk_ec2::Client;
use aws_sdk_ec2::types::{ResourceType, SubnetCidrReservationType, Tag, TagSpecification};

pub const OWN: &str = "123456789012";
pub const OTHER: &str = "222222222222";
pub const ROLE: &str = "cidrwatch-reader";
pub const TAG_KEY: &str = "kubernetes.io/cluster/prod";
pub const TAG_VALUE: &str = "shared";

/// One subnet as built, and what the test made occupy it.
#[derive(Clone, Debug)]
pub struct Built {
    pub account: String,
    pub region: String,
    pub vpc_id: String,
    pub subnet_id: String,
    /// (base, prefix); `None` for IPv6-only.
    pub cidr: Option<(u32, u8)>,
    pub selected: bool,
    pub eni_ips: Vec<u32>,
    pub explicit: Vec<(u32, u8)>,
    /// Addresses in `prefix` reservations: EC2 takes them out of the auto-assign pool (and
    /// so out of `AvailableIpAddressCount`) when reserved; `explicit` ones it does not.
    pub prefix_reserved: u64,
}

#[derive(Clone, Debug, Default)]
pub struct Estate {
    pub subnets: Vec<Built>,
    /// (account, region, vpc id) → IPv4 CIDRs.
    pub vpcs: BTreeMap<(String, String, String), Vec<(u32, u8)>>,
}

fn parse(c: &str) -> (u32, u8) {
    let (a, p) = c.split_once('/').unwrap();
    (
        u32::from(a.parse::<Ipv4Addr>().unwrap()),
        p.parse().unwrap(),
    )
}

fn size((_, p): (u32, u8)) -> u64 {
    1u64 << (32 - u32::from(p))
}

/// What the pool's metrics must be, worked out from the estate alone.
#[derive(Debug, PartialEq)]
pub struct Expected {
    pub usable: u64,
    pub used: u64,
    pub free: u64,
    pub utilization: f64,
    pub max_subnet_utilization: f64,
    pub min_subnet_free: u64,
    pub subnet_count: u64,
    pub ipv6_only: u64,
    pub vpc_allocation: f64,
    pub free_prefixes: u64,
}

impl Estate {
    pub fn selected(&self, accounts: &[&str], regions: &[&str]) -> Vec<&Built> {
        self.subnets
            .iter()
            .filter(|s| {
                s.selected
                    && accounts.contains(&s.account.as_str())
                    && regions.contains(&s.region.as_str())
            })
            .collect()
    }

    pub fn expected(&self, accounts: &[&str], regions: &[&str]) -> Expected {
        let chosen = self.selected(accounts, regions);
        let v4: Vec<&&Built> = chosen.iter().filter(|s| s.cidr.is_some()).collect();
        let usable = |s: &Built| size(s.cidr.unwrap()) - 5;
        let used = |s: &Built| s.eni_ips.len() as u64 + s.prefix_reserved;
        let (mut total_usable, mut total_used) = (0, 0);
        let (mut max_util, mut min_free) = (0.0f64, u64::MAX);
        let mut free_prefixes = 0;
        for s in &v4 {
            total_usable += usable(s);
            total_used += used(s);
            max_util = max_util.max(used(s) as f64 * 100.0 / usable(s) as f64);
            min_free = min_free.min(usable(s) - used(s));
            free_prefixes += free_blocks(s);
        }
        // Subnets never overlap and VPC CIDRs never overlap in this estate: plain sums. Every
        // VPC holding a pool subnet counts, the IPv6-only subnet's too (its IPv4 space is idle).
        let mut covered = 0;
        let mut space = 0;
        let vpcs: BTreeSet<(&str, &str, &str)> = chosen
            .iter()
            .map(|s| (s.account.as_str(), s.region.as_str(), s.vpc_id.as_str()))
            .collect();
        for (a, r, v) in vpcs {
            covered += v4
                .iter()
                .filter(|s| s.vpc_id == v)
                .map(|s| size(s.cidr.unwrap()))
                .sum::<u64>();
            space += self.vpcs[&(a.to_string(), r.to_string(), v.to_string())]
                .iter()
                .map(|c| size(*c))
                .sum::<u64>();
        }
        Expected {
            usable: total_usable,
            used: total_used,
            free: total_usable - total_used,
            utilization: total_used as f64 * 100.0 / total_usable as f64,
            max_subnet_utilization: max_util,
            min_subnet_free: min_free,
            subnet_count: v4.len() as u64,
            ipv6_only: (chosen.len() - v4.len()) as u64,
            vpc_allocation: covered as f64 * 100.0 / space as f64,
            free_prefixes,
        }
    }
}

/// Free aligned /28s, computed the plain way: every block index, minus the edge blocks,
/// minus any block an ENI address or explicit reservation touches.
fn free_blocks(s: &Built) -> u64 {
    let (base, prefix) = s.cidr.unwrap();
    if prefix > 28 {
        return 0;
    }
    let blocks = size((base, prefix)) / 16;
    let mut taken: BTreeSet<u64> = [0, blocks - 1].into();
    for ip in &s.eni_ips {
        taken.insert(u64::from(ip - base) / 16);
    }
    for (rb, rp) in &s.explicit {
        for addr in (u64::from(*rb)..u64::from(*rb) + size((*rb, *rp))).step_by(16) {
            if addr >= u64::from(base) && addr < u64::from(base) + size((base, prefix)) {
                taken.insert((addr - u64::from(base)) / 16);
            }
        }
    }
    blocks - taken.len() as u64
}

/// Creates estates through an account-region's EC2.
pub struct Builder<'a> {
    pub ec2: Client,
    pub account: &'a str,
    pub region: &'a str,
    pub estate: &'a mut Estate,
}

fn tagged(kind: ResourceType, tags: &[(&str, &str)]) -> TagSpecification {
    let mut spec = TagSpecification::builder().resource_type(kind);
    for (k, v) in tags {
        spec = spec.tags(Tag::builder().key(*k).value(*v).build());
    }
    spec.build()
}

impl Builder<'_> {
    pub fn new<'a>(
        sdk: &SdkConfig,
        account: &'a str,
        region: &'a str,
        estate: &'a mut Estate,
    ) -> Builder<'a> {
        let ec2 = Client::from_conf(
            aws_sdk_ec2::config::Builder::from(sdk)
                .region(aws_config::Region::new(region.to_string()))
                .build(),
        );
        Builder {
            ec2,
            account,
            region,
            estate,
        }
    }

    pub async fn vpc(&mut self, cidrs: &[&str]) -> String {
        let id = self
            .ec2
            .create_vpc()
            .cidr_block(cidrs[0])
            .send()
            .await
            .expect("create vpc")
            .vpc()
            .and_then(|v| v.vpc_id())
            .unwrap()
            .to_string();
        for extra in &cidrs[1..] {
            self.ec2
                .associate_vpc_cidr_block()
                .vpc_id(&id)
                .cidr_block(*extra)
                .send()
                .await
                .expect("secondary cidr");
        }
        self.estate.vpcs.insert(
            (self.account.into(), self.region.into(), id.clone()),
            cidrs.iter().map(|c| parse(c)).collect(),
        );
        id
    }

    pub async fn subnet(&mut self, vpc: &str, cidr: &str, selected: bool) -> String {
        self.subnet_in(vpc, cidr, selected, None).await
    }

    /// A subnet in the Availability Zone named `az` (moto picks one when `None`).
    pub async fn subnet_in(
        &mut self,
        vpc: &str,
        cidr: &str,
        selected: bool,
        az: Option<&str>,
    ) -> String {
        let tags: &[(&str, &str)] = if selected {
            &[(TAG_KEY, TAG_VALUE)]
        } else {
            &[("team", "other")]
        };
        let id = self
            .ec2
            .create_subnet()
            .vpc_id(vpc)
            .cidr_block(cidr)
            .set_availability_zone(az.map(str::to_string))
            .tag_specifications(tagged(ResourceType::Subnet, tags))
            .send()
            .await
            .expect("create subnet")
            .subnet()
            .and_then(|s| s.subnet_id())
            .unwrap()
            .to_string();
        self.estate.subnets.push(Built {
            account: self.account.into(),
            region: self.region.into(),
            vpc_id: vpc.into(),
            subnet_id: id.clone(),
            cidr: Some(parse(cidr)),
            selected,
            eni_ips: vec![],
            explicit: vec![],
            prefix_reserved: 0,
        });
        id
    }

    /// A selected IPv6-only subnet in a new dual-stack VPC.
    pub async fn ipv6_only_subnet(&mut self, vpc_cidr: &str) -> String {
        let vpc = self
            .ec2
            .create_vpc()
            .cidr_block(vpc_cidr)
            .amazon_provided_ipv6_cidr_block(true)
            .send()
            .await
            .expect("dual-stack vpc")
            .vpc()
            .unwrap()
            .clone();
        let vpc_id = vpc.vpc_id().unwrap().to_string();
        let described = self
            .ec2
            .describe_vpcs()
            .vpc_ids(&vpc_id)
            .send()
            .await
            .expect("describe vpc");
        let v6 = described.vpcs()[0].ipv6_cidr_block_association_set()[0]
            .ipv6_cidr_block()
            .unwrap()
            .replace("/56", "/64");
        let id = self
            .ec2
            .create_subnet()
            .vpc_id(&vpc_id)
            .ipv6_cidr_block(v6)
            .ipv6_native(true)
            .tag_specifications(tagged(ResourceType::Subnet, &[(TAG_KEY, TAG_VALUE)]))
            .send()
            .await
            .expect("ipv6-only subnet")
            .subnet()
            .and_then(|s| s.subnet_id())
            .unwrap()
            .to_string();
        self.estate.vpcs.insert(
            (self.account.into(), self.region.into(), vpc_id.clone()),
            vec![parse(vpc_cidr)],
        );
        self.estate.subnets.push(Built {
            account: self.account.into(),
            region: self.region.into(),
            vpc_id,
            subnet_id: id.clone(),
            cidr: None,
            selected: true,
            eni_ips: vec![],
            explicit: vec![],
            prefix_reserved: 0,
        });
        id
    }

    /// Takes `n` addresses in the subnet with ENIs of up to ten addresses each.
    pub async fn fill(&mut self, subnet: &str, n: usize) {
        let mut left = n;
        while left > 0 {
            let take = left.min(10);
            self.eni(subnet, "", take - 1, &[]).await;
            left -= take;
        }
    }

    /// An ENI with `description`, `secondary` addresses besides its primary, and `tags`, as
    /// the services that create ENIs describe theirs (`ELB app/…`, `aws-K8S-i-…`). Detached
    /// until attached. Its addresses count as used.
    pub async fn eni(
        &mut self,
        subnet: &str,
        description: &str,
        secondary: usize,
        tags: &[(&str, &str)],
    ) -> String {
        let mut req = self.ec2.create_network_interface().subnet_id(subnet);
        if !description.is_empty() {
            req = req.description(description);
        }
        if secondary > 0 {
            req = req.secondary_private_ip_address_count(secondary as i32);
        }
        if !tags.is_empty() {
            req = req.tag_specifications(tagged(ResourceType::NetworkInterface, tags));
        }
        let out = req.send().await.expect("create eni");
        let eni = out.network_interface().unwrap();
        let ips: Vec<u32> = eni
            .private_ip_addresses()
            .iter()
            .map(|p| u32::from(p.private_ip_address().unwrap().parse::<Ipv4Addr>().unwrap()))
            .collect();
        assert_eq!(
            ips.len(),
            secondary + 1,
            "moto gave the addresses asked for"
        );
        self.built(subnet).eni_ips.extend(ips);
        eni.network_interface_id().unwrap().to_string()
    }

    /// An EC2 instance in the subnet; its primary ENI's address counts as used.
    pub async fn instance(&mut self, subnet: &str) -> String {
        self.node(subnet, "m1.small", &[]).await.0
    }

    /// An instance of `instance_type` with `tags` (an EKS node's cluster tags) in the subnet:
    /// its id and its primary ENI's. The primary ENI's address counts as used.
    pub async fn node(
        &mut self,
        subnet: &str,
        instance_type: &str,
        tags: &[(&str, &str)],
    ) -> (String, String) {
        let mut req = self
            .ec2
            .run_instances()
            .image_id("ami-12c6146b")
            .instance_type(instance_type.into())
            .min_count(1)
            .max_count(1)
            .subnet_id(subnet);
        if !tags.is_empty() {
            req = req.tag_specifications(tagged(ResourceType::Instance, tags));
        }
        let out = req.send().await.expect("run instance");
        let i = &out.instances()[0];
        let ip: Ipv4Addr = i.private_ip_address().unwrap().parse().unwrap();
        self.built(subnet).eni_ips.push(u32::from(ip));
        let eni = i.network_interfaces()[0]
            .network_interface_id()
            .unwrap()
            .to_string();
        (i.instance_id().unwrap().to_string(), eni)
    }

    /// `n` more secondary addresses on an ENI of `subnet` (the VPC CNI's warm pool on a node's
    /// primary ENI); they count as used.
    pub async fn assign(&mut self, eni: &str, subnet: &str, n: usize) {
        let before = self.addresses_of(eni).await;
        self.ec2
            .assign_private_ip_addresses()
            .network_interface_id(eni)
            .secondary_private_ip_address_count(n as i32)
            .send()
            .await
            .expect("assign addresses");
        let after = self.addresses_of(eni).await;
        let added: Vec<u32> = after.into_iter().filter(|a| !before.contains(a)).collect();
        assert_eq!(added.len(), n, "moto gave the addresses asked for");
        self.built(subnet).eni_ips.extend(added);
    }

    async fn addresses_of(&self, eni: &str) -> Vec<u32> {
        let out = self
            .ec2
            .describe_network_interfaces()
            .network_interface_ids(eni)
            .send()
            .await
            .expect("describe eni");
        out.network_interfaces()[0]
            .private_ip_addresses()
            .iter()
            .map(|p| u32::from(p.private_ip_address().unwrap().parse::<Ipv4Addr>().unwrap()))
            .collect()
    }

    pub async fn attach(&mut self, eni: &str, instance: &str, device_index: i32) {
        self.ec2
            .attach_network_interface()
            .network_interface_id(eni)
            .instance_id(instance)
            .device_index(device_index)
            .send()
            .await
            .expect("attach eni");
    }

    pub async fn reserve(&mut self, subnet: &str, cidr: &str, explicit: bool) {
        let kind = if explicit {
            SubnetCidrReservationType::Explicit
        } else {
            SubnetCidrReservationType::Prefix
        };
        self.ec2
            .create_subnet_cidr_reservation()
            .subnet_id(subnet)
            .cidr(cidr)
            .reservation_type(kind)
            .send()
            .await
            .expect("reservation");
        if explicit {
            self.built(subnet).explicit.push(parse(cidr));
        } else {
            self.built(subnet).prefix_reserved += size(parse(cidr));
        }
    }

    fn built(&mut self, subnet: &str) -> &mut Built {
        self.estate
            .subnets
            .iter_mut()
            .find(|s| s.subnet_id == subnet)
            .unwrap()
    }
}

/// The estate of the usage tests: several VPCs with secondary CIDRs, 35 selected subnets of
/// mixed sizes (and a few unselected), ENIs filling some, an explicit and a prefix
/// reservation, an IPv6-only subnet, a second region, and a second account.
pub async fn build(own: &SdkConfig, other: &SdkConfig) -> Estate {
    let mut estate = Estate::default();
    {
        let mut b = Builder::new(own, OWN, "us-east-1", &mut estate);
        let a1 = b
            .vpc(&["10.0.0.0/16", "10.1.0.0/16", "100.64.0.0/16"])
            .await;
        for c in [
            "10.0.0.0/20",
            "10.0.16.0/22",
            "10.0.20.0/24",
            "10.0.21.0/24",
            "10.0.22.0/24",
            "10.0.23.0/24",
            "10.1.0.0/24",
            "10.1.1.0/24",
            "100.64.0.0/18",
            "100.64.64.0/19",
        ] {
            b.subnet(&a1, c, true).await;
        }
        let half = b.subnet(&a1, "10.0.24.0/26", true).await;
        let full = b.subnet(&a1, "10.0.24.128/28", true).await;
        b.subnet(&a1, "10.0.30.0/24", false).await;
        b.subnet(&a1, "10.0.31.0/24", false).await;
        b.fill(&half, 40).await;
        b.fill(&full, 11).await;

        let a2 = b.vpc(&["10.2.0.0/16", "10.3.0.0/16"]).await;
        let mut a2_subnets = Vec::new();
        for i in 0..8 {
            a2_subnets.push(b.subnet(&a2, &format!("10.2.{i}.0/24"), true).await);
        }
        b.subnet(&a2, "10.3.0.0/25", true).await;
        b.subnet(&a2, "10.3.0.128/25", true).await;
        b.fill(&a2_subnets[0], 120).await;
        b.fill(&a2_subnets[1], 7).await;
        b.reserve(&a2_subnets[1], "10.2.1.64/26", true).await;
        b.reserve(&a2_subnets[1], "10.2.1.192/28", false).await;

        let a3 = b.vpc(&["10.9.0.0/16"]).await;
        b.subnet(&a3, "10.9.0.0/24", true).await;
        b.ipv6_only_subnet("10.10.0.0/16").await;
    }
    {
        let mut b = Builder::new(own, OWN, "eu-west-1", &mut estate);
        let e1 = b.vpc(&["10.20.0.0/16"]).await;
        let first = b.subnet(&e1, "10.20.0.0/24", true).await;
        for c in [
            "10.20.1.0/24",
            "10.20.2.0/24",
            "10.20.3.0/24",
            "10.20.4.0/26",
        ] {
            b.subnet(&e1, c, true).await;
        }
        b.fill(&first, 30).await;
    }
    {
        let mut b = Builder::new(other, OTHER, "us-east-1", &mut estate);
        let b1 = b.vpc(&["10.40.0.0/16", "10.41.0.0/16"]).await;
        let first = b.subnet(&b1, "10.40.0.0/24", true).await;
        for c in [
            "10.40.1.0/24",
            "10.40.2.0/24",
            "10.41.0.0/23",
            "10.40.8.0/28",
        ] {
            b.subnet(&b1, c, true).await;
        }
        b.fill(&first, 50).await;
    }
    estate
}

/// A VPC of six tagged subnets in the own account's us-east-1, three of them partly full,
/// and one untagged.
pub async fn small(sdk: &SdkConfig) -> Estate {
    let mut e = Estate::default();
    let mut b = Builder::new(sdk, OWN, "us-east-1", &mut e);
    let vpc = b.vpc(&["10.0.0.0/16"]).await;
    let mut ids = Vec::new();
    for c in [
        "10.0.0.0/24",
        "10.0.1.0/24",
        "10.0.2.0/26",
        "10.0.3.0/24",
        "10.0.4.0/28",
        "10.0.8.0/22",
    ] {
        ids.push(b.subnet(&vpc, c, true).await);
    }
    b.subnet(&vpc, "10.0.100.0/24", false).await;
    b.fill(&ids[0], 200).await;
    b.fill(&ids[2], 50).await;
    b.fill(&ids[4], 5).await;
    e
}

/// The SDK configuration acting in `account` through the member role, as cidrwatch would.
pub async fn assumed(sdk: &SdkConfig, account: &str) -> SdkConfig {
    let provider =
        aws_config::sts::AssumeRoleProvider::builder(format!("arn:aws:iam::{account}:role/{ROLE}"))
            .session_name("estate-builder")
            .configure(sdk)
            .build()
            .await;
    sdk.to_builder()
        .credentials_provider(aws_sdk_ec2::config::SharedCredentialsProvider::new(
            provider,
        ))
        .build()
}

/// A flat estate for scale (the floor test, `make bench`): `vpcs` VPCs of a /20 each and
/// `subnets` /26 subnets dealt round-robin across them (at most 64 a VPC), each tagged
/// `tag`. Made 8 requests at a time, with a line of progress every 1,000 subnets when
/// `progress`. Returns the subnet ids.
pub async fn flat(
    ec2: &Client,
    vpcs: usize,
    subnets: usize,
    tag: (&str, &str),
    progress: bool,
) -> Vec<String> {
    use futures::stream::{self, StreamExt};
    assert!(vpcs <= 4096 && subnets <= vpcs * 64, "a /20 holds 64 /26s");
    let vpc_ids: Vec<String> = stream::iter(0..vpcs)
        .map(|i| async move {
            let cidr = format!("10.{}.{}.0/20", i / 16, (i % 16) * 16);
            let made = ec2.create_vpc().cidr_block(cidr).send().await.expect("vpc");
            made.vpc().unwrap().vpc_id().unwrap().to_string()
        })
        .buffered(8)
        .collect()
        .await;
    let tag = tagged(ResourceType::Subnet, &[tag]);
    let made = std::sync::atomic::AtomicUsize::new(0);
    stream::iter(0..subnets)
        .map(|k| {
            let (tag, vpc_ids, made) = (tag.clone(), &vpc_ids, &made);
            async move {
                let (i, j) = (k % vpcs, k / vpcs);
                let cidr = format!(
                    "10.{}.{}.{}/26",
                    i / 16,
                    (i % 16) * 16 + j / 4,
                    (j % 4) * 64
                );
                let subnet = ec2
                    .create_subnet()
                    .vpc_id(&vpc_ids[i])
                    .cidr_block(cidr)
                    .tag_specifications(tag)
                    .send()
                    .await
                    .expect("subnet");
                let n = made.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
                if progress && n % 1000 == 0 {
                    eprintln!("  {n}/{subnets} subnets");
                }
                subnet.subnet().unwrap().subnet_id().unwrap().to_string()
            }
        })
        .buffer_unordered(8)
        .collect()
        .await
}

/// Every subnet of the client's region, the default VPC's included: what a tick reads.
pub async fn subnets_in_region(ec2: &Client) -> usize {
    ec2.describe_subnets()
        .into_paginator()
        .items()
        .send()
        .collect::<Vec<_>>()
        .await
        .len()
}

/// `per_subnet` ENIs of one address each in every one of `subnets`. Returns how many.
pub async fn enis(ec2: &Client, subnets: &[String], per_subnet: usize) -> usize {
    use futures::stream::{self, StreamExt};
    let made: Vec<()> = stream::iter(
        subnets
            .iter()
            .flat_map(|s| std::iter::repeat_n(s, per_subnet)),
    )
    .map(|subnet| async move {
        ec2.create_network_interface()
            .subnet_id(subnet)
            .send()
            .await
            .expect("eni");
    })
    .buffer_unordered(8)
    .collect()
    .await;
    made.len()
}
