//! Discovery: a selection's subnets, the VPC CIDRs around them, and (with prefix accounting)
//! what occupies their /28 blocks — across accounts and regions.
//!
//! Per account-region: ⌈subnets/1000⌉ `DescribeSubnets` with server-side filters,
//! ⌈VPCs/1000⌉ `DescribeVpcs`, and with prefix accounting ⌈ENIs/1000⌉
//! `DescribeNetworkInterfaces`. Never a call per VPC or per subnet, with one opt-in exception:
//! `ExplicitReservations` adds one `GetSubnetCidrReservations` per subnet (EC2 has no bulk
//! form of that one). Account-regions are scanned concurrently, as many at once as the
//! scan's [`Pace`] chooses from the work and the time; one that fails is reported, the rest
//! still count.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};

use aws_config::SdkConfig;
use aws_sdk_ec2::types::Filter;
use futures::stream::StreamExt;
use tokio::time::Instant;

use super::once::{Gathered, once_each, vpcs_once};
use super::pace::Pace;
use super::{Aws, enis, network, nodes};
use crate::Error;
use crate::spec::{Accounting, AddressPlan, Depth, Selection};
use crate::usage::clusters::Cluster;
use crate::usage::supernet::Network;
use crate::usage::{Ipv4Cidr, ScanError, Snapshot, SubnetInfo, VpcInfo};

/// Items per page: the most EC2 returns.
pub(super) const PAGE: i32 = 1000;
/// Values EC2 accepts in one filter; beyond it, filter on our side instead.
pub(super) const FILTER_VALUES_MAX: usize = 200;
/// Reservation look-ups (`ExplicitReservations`) in flight at once, per account-region: one
/// call per subnet draws on the account's EC2 request quota, which the VPC CNI shares.
pub const CONCURRENCY: usize = 8;
/// Accounts expanded (each one AssumeRole) at once unless `SCAN_CONCURRENCY` says: they run
/// ahead of the scans that take their regions, and STS throttles the caller's account as a
/// whole, so more at once would only meet its rate sooner.
pub const EXPANDED_AT_ONCE: usize = 64;
/// The most `SCAN_CONCURRENCY` may ask for.
pub const SCAN_CONCURRENCY_MAX: usize = super::pace::CEILING;
/// The account a scan error names when the organization itself could not be listed.
pub const ORGANIZATION: &str = "organization";

/// `SCAN_CONCURRENCY` from the environment, up to [`SCAN_CONCURRENCY_MAX`]: a fixed number
/// of account-regions at once in place of the [`Pace`]'s choice. Unset, 0 (the template's
/// default) or not a number, the pace chooses.
pub fn concurrency_from_env() -> Option<usize> {
    std::env::var("SCAN_CONCURRENCY")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|&n| n > 0)
        .map(|n| n.min(SCAN_CONCURRENCY_MAX))
}

/// Called as each account-region finishes: (done, total, failed so far).
pub type Progress<'a> = &'a (dyn Fn(usize, usize, usize) + Send + Sync);

impl Aws {
    /// Scans every account-region of the selection, paced to end by `by`. Never fails as a
    /// whole: failures are in [`Snapshot::errors`]. At [`Depth::Holders`] it describes every
    /// ENI of the pool's subnets (see [`scan_region`]); with an address plan it also reads
    /// what the plan needs ([`Snapshot::network`]).
    pub async fn discover(
        &self,
        sel: &Selection,
        accounting: Accounting,
        depth: Depth,
        plan: Option<AddressPlan<'_>>,
        by: Instant,
        progress: Progress<'_>,
    ) -> Snapshot {
        let pace = Pace::new(by, self.concurrency);
        let scopes = self.scopes(sel, &pace).await;
        // The total grows as accounts are expanded: progress says what is known so far.
        let (done, failed, total) = (
            AtomicUsize::new(0),
            AtomicUsize::new(0),
            AtomicUsize::new(0),
        );
        let work = scopes.map(|scope| {
            total.fetch_add(1, Ordering::SeqCst);
            let (done, failed, total) = (&done, &failed, &total);
            // Boxed where it is made: the scan's state (its SDK calls' futures) is kilobytes,
            // and unboxed it was copied again at each hand-off on the way into the pace.
            Box::pin(async move {
                let result = match scope.config {
                    Ok(config) => {
                        let ec2 = ec2_in(&config, &scope.account, &scope.region);
                        let found = scan_region(
                            &ec2,
                            &scope.region,
                            sel,
                            accounting,
                            depth,
                            plan.is_some(),
                        )
                        .await;
                        with_helper(found, &config, &scope.region).await
                    }
                    Err(e) => Err(e),
                };
                let failures = failed.fetch_add(usize::from(result.is_err()), Ordering::SeqCst)
                    + usize::from(result.is_err());
                let now = done.fetch_add(1, Ordering::SeqCst) + 1;
                progress(now, total.load(Ordering::SeqCst), failures);
                (scope.account, scope.region, result)
            })
        });
        let mut snapshot = Snapshot {
            prefix_accounting: accounting != Accounting::Addresses,
            ..Snapshot::default()
        };
        // Each account-region's subnets join the rest as it finishes: held apart until the
        // end, they and the merged list were two copies of the pool at once.
        let mut subnets = Gathered::new(|s: &SubnetInfo| (&s.account, &s.subnet_id));
        let mut views = Vec::new();
        let mut regions = BTreeSet::new();
        let paced = pace
            .run(work, |(account, region, result)| match result {
                Ok(mut found) => {
                    snapshot.clusters.append(&mut found.clusters);
                    subnets.add(&account, std::mem::take(&mut found.subnets));
                    regions.insert(region);
                    views.push((account, found));
                }
                Err(e) => {
                    tracing::warn!(account, region, error = %e, "scan failed");
                    snapshot.errors.push(ScanError::new(account, region, &e));
                }
            })
            .await;
        snapshot.scanned = paced.scanned;
        // Debug: a command line's stderr stays for its progress and its errors.
        tracing::debug!(
            account_regions = paced.scanned,
            at_once = paced.peak,
            mean_ms = paced.mean.as_millis() as u64,
            "scan paced"
        );
        if let Some(AddressPlan { avoid_prefix_lists }) = plan {
            let regions: Vec<String> = regions.into_iter().collect();
            snapshot.network = Some(
                self.network(&mut views, &regions, avoid_prefix_lists, &mut snapshot)
                    .await,
            );
        }
        (snapshot.subnets, snapshot.vpcs) = once_each(subnets, views);
        snapshot
            .errors
            .sort_by(|a, b| (&a.account, &a.region).cmp(&(&b.account, &b.region)));
        snapshot
    }

    /// The network the scans saw, each VPC, attachment, peering and route once, and the
    /// avoided prefix lists (read with the provider's credentials in the scanned regions; one
    /// that cannot be read is a scan error: the plan would miss space in use).
    async fn network(
        &self,
        views: &mut [(String, Found)],
        regions: &[String],
        avoid: &[String],
        snapshot: &mut Snapshot,
    ) -> Network {
        let mut parts = Vec::new();
        for (account, found) in views.iter_mut() {
            if let Some(n) = found.network.take() {
                parts.push((account.clone(), n));
            }
        }
        let mut network = Network::default();
        let mut vpcs = Vec::new();
        for (account, n) in parts {
            vpcs.push((account, n.vpcs));
            network.attachments.extend(n.attachments);
            network.peerings.extend(n.peerings);
            network.routes.extend(n.routes);
        }
        network.vpcs = vpcs_once(vpcs);
        network.attachments.sort();
        network.attachments.dedup();
        network.peerings.sort();
        network.peerings.dedup();
        network
            .routes
            .sort_by(|a, b| (&a.route_table_id, a.cidr).cmp(&(&b.route_table_id, b.cidr)));
        network.routes.dedup();
        if !avoid.is_empty() && !regions.is_empty() {
            match network::prefix_lists(&self.config, regions, avoid).await {
                Ok(lists) => network.prefix_lists = lists,
                Err(e) => {
                    // The provider's own account reads them: name it.
                    let own = self.own_account().await.unwrap_or_else(|_| "own".into());
                    let error = ScanError::new(own, regions.join(","), &e);
                    snapshot.errors.push(error);
                }
            }
        }
        network
    }
}

/// One VPC's address space (its CIDRs and subnets), and every VPC CIDR around it: what
/// `cidrwatch suggest` needs.
#[derive(Clone, Debug, PartialEq)]
pub struct VpcSpace {
    pub vpc: VpcInfo,
    /// Every VPC CIDR of the scanned account-regions (a secondary block must avoid them all).
    pub seen: Vec<Ipv4Cidr>,
}

impl Aws {
    /// Finds `vpc_id` in the selection's account-regions, with its subnets and every VPC CIDR
    /// seen there. Per account-region: ⌈VPCs/1000⌉ DescribeVpcs; where the VPC is, also
    /// ⌈subnets/1000⌉ DescribeSubnets filtered on it.
    pub async fn vpc_space(&self, sel: &Selection, vpc_id: &str) -> Result<VpcSpace, Error> {
        let mut seen = Vec::new();
        let mut found = None;
        // Scanned one at a time: no pace to choose (`more` is all it would hear).
        let unpaced = Pace::new(Instant::now(), Some(1));
        let scopes: Vec<_> = self.scopes(sel, &unpaced).await.collect().await;
        for scope in scopes {
            let ec2 = ec2_in(&scope.config?, &scope.account, &scope.region);
            for v in vpcs(&ec2, &scope.region, None).await? {
                seen.extend(v.cidrs.iter().copied());
                if v.vpc_id == vpc_id {
                    found = Some((v, ec2.clone()));
                }
            }
        }
        let Some((mut vpc, ec2)) = found else {
            return Err(Error::Input {
                path: vpc_id.to_string(),
                message: format!(
                    "not found in {} (account-regions scanned: {}); give --region and --account",
                    self.regions(sel).join(", "),
                    if sel.accounts.is_empty() {
                        "the caller's".to_string()
                    } else {
                        sel.accounts.join(", ")
                    }
                ),
            });
        };
        let on_vpc = vec![filter("vpc-id", std::slice::from_ref(&vpc.vpc_id))];
        each_subnet(&ec2, on_vpc, |s| {
            vpc.subnets
                .extend(s.cidr_block().and_then(|c| c.parse::<Ipv4Cidr>().ok()));
        })
        .await?;
        Ok(VpcSpace { vpc, seen })
    }
}

/// What one account-region's scan found: its subnets, the VPCs around them, and (when every
/// ENI was read for the holders) the EKS clusters whose nodes hold the subnets' addresses.
#[derive(Debug, Default)]
pub struct Found {
    pub subnets: Vec<SubnetInfo>,
    pub vpcs: Vec<VpcInfo>,
    pub clusters: Vec<Cluster>,
    /// With the address plan: every VPC of the account-region and what joins them.
    pub network: Option<Network>,
}

/// The member role's name when `Select.RoleName` does not say.
pub const DEFAULT_ROLE_NAME: &str = "cidrwatch-reader";

/// The found clusters with what cni-metrics-helper last published for them in that
/// account-region. An unreadable figure is not a failed scan (the addresses were counted):
/// each cluster says why it has none.
async fn with_helper(
    found: Result<Found, Error>,
    config: &SdkConfig,
    region: &str,
) -> Result<Found, Error> {
    let mut found = found?;
    if found.clusters.is_empty() {
        return Ok(found);
    }
    let names: Vec<String> = found.clusters.iter().map(|c| c.name.clone()).collect();
    match nodes::helper_figures(config, region, &names).await {
        Ok(mut figures) => {
            for c in &mut found.clusters {
                if let Some(h) = figures.remove(&c.name) {
                    *c = std::mem::take(c).with_helper(h);
                }
            }
        }
        Err(e) => {
            tracing::warn!(region, error = %e, "cni-metrics-helper figures unread");
            for c in &mut found.clusters {
                c.helper_error = Some(e.to_string());
            }
        }
    }
    Ok(found)
}

/// An EC2 client acting with `config` in `region`.
/// EC2 in `account`'s `region`, retrying throttled calls ([`super::patient`]) in a retry
/// partition of the account-region's own ([`super::own_partition`]), as EC2's throttle is
/// per account and region.
pub(crate) fn ec2_in(config: &SdkConfig, account: &str, region: &str) -> aws_sdk_ec2::Client {
    aws_sdk_ec2::Client::from_conf(
        aws_sdk_ec2::config::Builder::from(config)
            .region(aws_config::Region::new(region.to_string()))
            .retry_config(super::patient())
            .retry_partition(super::own_partition(format!("ec2-{account}-{region}")))
            .build(),
    )
}

pub(super) fn filter<S: AsRef<str>>(name: &str, values: &[S]) -> Filter {
    let values = values.iter().map(|v| v.as_ref().to_string()).collect();
    Filter::builder()
        .name(name)
        .set_values(Some(values))
        .build()
}

/// The server-side filter of the subnets read: only the named VPCs, never the subnet ids,
/// tags or CIDRs of the selection. The room for new subnets in a pool's VPCs is what *all* of
/// their subnets leave, selected or not, so one read serves both; [`Selection::matches`]
/// picks the pool's subnets from it. (Most regions hold under 1,000 subnets: one page either
/// way.)
fn subnet_filters(sel: &Selection) -> Vec<Filter> {
    if !sel.vpc_ids.is_empty() && sel.vpc_ids.len() <= FILTER_VALUES_MAX {
        vec![filter("vpc-id", &sel.vpc_ids)]
    } else {
        Vec::new()
    }
}

/// Every subnet the filters select, paged as EC2 pages them (⌈subnets/1000⌉ calls).
async fn each_subnet(
    ec2: &aws_sdk_ec2::Client,
    filters: Vec<Filter>,
    mut each: impl FnMut(aws_sdk_ec2::types::Subnet),
) -> Result<(), Error> {
    let read = ec2
        .describe_subnets()
        .set_filters(Some(filters))
        .max_results(PAGE);
    super::each_page(
        "ec2:DescribeSubnets",
        |token| read.clone().set_next_token(token).send(),
        |page| page.next_token.take(),
        |page| {
            page.subnets
                .unwrap_or_default()
                .into_iter()
                .for_each(&mut each)
        },
    )
    .await
}

/// Scans one account-region with `ec2` (public so tests can drive it with a mocked client).
/// At [`Depth::Holders`] it describes every ENI of the pool's subnets, to say who holds their
/// addresses (prefix accounting does anyway), and the EKS clusters' nodes behind them;
/// otherwise only the detached ENIs. `plan`: also read every VPC of the account-region and
/// what joins them, for the address plan (one DescribeVpcs serves both).
pub async fn scan_region(
    ec2: &aws_sdk_ec2::Client,
    region: &str,
    sel: &Selection,
    accounting: Accounting,
    depth: Depth,
    plan: bool,
) -> Result<Found, Error> {
    let mut subnets = Vec::new();
    let mut carved: HashMap<String, Vec<Ipv4Cidr>> = HashMap::new();
    // Each subnet's strings move from EC2's answer into its record, not copied.
    each_subnet(ec2, subnet_filters(sel), |mut s| {
        let cidr = s.cidr_block().and_then(|c| c.parse::<Ipv4Cidr>().ok());
        let (Some(vpc_id), Some(subnet_id)) = (s.vpc_id.take(), s.subnet_id.take()) else {
            return;
        };
        if let Some(c) = cidr {
            // Per subnet, so no key is allocated for a VPC already seen.
            match carved.get_mut(&vpc_id) {
                Some(cidrs) => cidrs.push(c),
                None => {
                    carved.insert(vpc_id.clone(), vec![c]);
                }
            }
        }
        if !sel.matches(&vpc_id, &subnet_id, |key| super::tag(s.tags(), key), cidr) {
            return;
        }
        subnets.push(SubnetInfo {
            account: s.owner_id.take().unwrap_or_default(),
            region: region.to_string(),
            vpc_id,
            subnet_id,
            availability_zone: s.availability_zone.take().unwrap_or_default(),
            availability_zone_id: s.availability_zone_id.take().unwrap_or_default(),
            cidr,
            available: s.available_ip_address_count.map_or(0, |n| n.max(0) as u64),
            ..SubnetInfo::default()
        });
    })
    .await?;
    let network = match plan {
        true => {
            let mut n = network::links(ec2).await?;
            n.vpcs = vpcs(ec2, region, None).await?;
            Some(n)
        }
        false => None,
    };
    if subnets.is_empty() {
        return Ok(Found {
            network,
            ..Found::default()
        });
    }
    // Each VPC's id copied once, not once per subnet.
    let wanted: BTreeSet<String> = distinct_vpcs(subnets.iter())
        .into_iter()
        .map(str::to_string)
        .collect();
    // The VPCs and the ENIs each need only the subnets: asked at once, an account-region
    // takes two round trips after DescribeSubnets' rather than three.
    let pool_vpcs = async {
        match &network {
            Some(n) => Ok(n
                .vpcs
                .iter()
                .filter(|v| wanted.contains(&v.vpc_id))
                .cloned()
                .collect()),
            None => vpcs(ec2, region, Some(&wanted)).await,
        }
    };
    let every = depth == Depth::Holders || accounting != Accounting::Addresses;
    let (mut vpcs, enis) = futures::try_join!(
        pool_vpcs,
        enis::interfaces(ec2, &mut subnets, every, accounting)
    )?;
    for v in &mut vpcs {
        v.subnets = carved.remove(&v.vpc_id).unwrap_or_default();
    }
    let clusters = if depth == Depth::Holders {
        nodes::clusters(ec2, region, &enis).await?
    } else {
        Vec::new()
    };
    // Held until every account-region is done: grown by pushes, a handful of subnets sat in
    // room for eight (86 of a 2,000 x 17 tick's 166 MB of heap, heaptrack).
    subnets.shrink_to_fit();
    vpcs.shrink_to_fit();
    Ok(Found {
        subnets,
        vpcs,
        clusters,
        network,
    })
}

/// The VPC ids of `subnets`, each once, in order. Deduplicated by hash first, then sorted:
/// thousands of subnets share a few hundred VPCs, and an ordered set would pay a tree insertion
/// for each subnet.
pub(super) fn distinct_vpcs<'a>(subnets: impl Iterator<Item = &'a SubnetInfo>) -> Vec<&'a str> {
    let mut ids: Vec<&str> = subnets
        .map(|s| s.vpc_id.as_str())
        .collect::<HashSet<&str>>()
        .into_iter()
        .collect();
    ids.sort_unstable();
    ids
}

/// The IPv4 CIDRs (primary first, then the associated secondary ones) of the `wanted` VPCs,
/// or of every VPC of the account-region.
async fn vpcs(
    ec2: &aws_sdk_ec2::Client,
    region: &str,
    wanted: Option<&BTreeSet<String>>,
) -> Result<Vec<VpcInfo>, Error> {
    let ids: Vec<&String> = wanted.into_iter().flatten().collect();
    let filters =
        (!ids.is_empty() && ids.len() <= FILTER_VALUES_MAX).then(|| vec![filter("vpc-id", &ids)]);
    let read = ec2.describe_vpcs().set_filters(filters).max_results(PAGE);
    let mut out = Vec::new();
    super::each_page(
        "ec2:DescribeVpcs",
        |token| read.clone().set_next_token(token).send(),
        |page| page.next_token.take(),
        |page| {
            let wanted = |id: &&str| wanted.is_none_or(|w| w.contains(*id));
            out.extend(page.vpcs().iter().filter_map(|v| {
                let vpc_id = v.vpc_id().filter(wanted)?;
                Some(vpc_info(v, vpc_id, region))
            }))
        },
    )
    .await?;
    Ok(out)
}

/// One VPC's record: its IPv4 CIDRs, the primary first, then the secondary ones associated.
fn vpc_info(v: &aws_sdk_ec2::types::Vpc, vpc_id: &str, region: &str) -> VpcInfo {
    let mut cidrs: Vec<Ipv4Cidr> = v
        .cidr_block()
        .and_then(|c| c.parse().ok())
        .into_iter()
        .collect();
    for c in v
        .cidr_block_association_set()
        .iter()
        .filter(|a| {
            a.cidr_block_state()
                .and_then(|s| s.state())
                .is_none_or(|s| s.as_str() == "associated")
        })
        .filter_map(|a| a.cidr_block()?.parse::<Ipv4Cidr>().ok())
    {
        if !cidrs.contains(&c) {
            cidrs.push(c);
        }
    }
    VpcInfo {
        account: v.owner_id().unwrap_or_default().to_string(),
        region: region.to_string(),
        vpc_id: vpc_id.to_string(),
        cidrs,
        subnets: Vec::new(),
    }
}
