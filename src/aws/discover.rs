//! Discovery: a selection's subnets, the VPC CIDRs around them, and (with prefix accounting)
//! what occupies their /28 blocks — across accounts and regions.
//!
//! Per account-region: ⌈subnets/1000⌉ `DescribeSubnets` with server-side filters,
//! ⌈VPCs/1000⌉ `DescribeVpcs`, and with prefix accounting ⌈ENIs/1000⌉
//! `DescribeNetworkInterfaces`. Never a call per VPC or per subnet, with one opt-in exception:
//! `ExplicitReservations` adds one `GetSubnetCidrReservations` per subnet (EC2 has no bulk
//! form of that one). Account-regions are scanned concurrently,
//! at most [`CONCURRENCY`] at once; one that fails is reported, the rest still count.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::Ipv4Addr;
use std::sync::atomic::{AtomicUsize, Ordering};

use aws_config::SdkConfig;
use aws_config::sts::AssumeRoleProvider;
use aws_sdk_ec2::types::{Filter, SubnetCidrReservationType};
use futures::stream::{self, StreamExt};

use super::{Aws, sdk_error};
use crate::Error;
use crate::spec::{Accounting, Selection};
use crate::usage::{Ipv4Cidr, Occupancy, ScanError, Snapshot, SubnetInfo, VpcInfo};

/// Items per page: the most EC2 returns.
const PAGE: i32 = 1000;
/// Values EC2 accepts in one filter; beyond it, filter on our side instead.
const FILTER_VALUES_MAX: usize = 200;
/// Account-regions (and, with `ExplicitReservations`, reservation look-ups) in flight at once.
pub const CONCURRENCY: usize = 8;

/// Called as each account-region finishes: (done, total).
pub type Progress<'a> = &'a (dyn Fn(usize, usize) + Send + Sync);

impl Aws {
    /// Scans every account-region of the selection. Never fails as a whole: failures are
    /// in [`Snapshot::errors`].
    pub async fn discover(
        &self,
        sel: &Selection,
        accounting: Accounting,
        progress: Progress<'_>,
    ) -> Snapshot {
        let regions: Vec<String> = if sel.regions.is_empty() {
            vec![self.region()]
        } else {
            sel.regions.clone()
        };
        // No Accounts: the provider's own credentials. Otherwise one credentials provider (one
        // STS session) per account, shared by its regions.
        let accounts: Vec<Option<&String>> = if sel.accounts.is_empty() {
            vec![None]
        } else {
            sel.accounts.iter().map(Some).collect()
        };
        let mut scopes = Vec::new();
        for account in accounts {
            let config = match account {
                None => self.config.clone(),
                Some(a) => self.assumed(a, sel.role_name.as_deref()).await,
            };
            for r in &regions {
                scopes.push((account.cloned(), r.clone(), config.clone()));
            }
        }
        let total = scopes.len();
        let done = AtomicUsize::new(0);
        let results: Vec<_> = stream::iter(scopes)
            .map(|(account, region, config)| {
                let done = &done;
                async move {
                    let ec2 = aws_sdk_ec2::Client::from_conf(
                        aws_sdk_ec2::config::Builder::from(&config)
                            .region(aws_config::Region::new(region.clone()))
                            .build(),
                    );
                    let result = scan_region(&ec2, &region, sel, accounting).await;
                    progress(done.fetch_add(1, Ordering::SeqCst) + 1, total);
                    (account, region, result)
                }
            })
            .buffer_unordered(CONCURRENCY)
            .collect()
            .await;

        let mut snapshot = Snapshot {
            prefix_accounting: accounting != Accounting::Addresses,
            scanned: total,
            ..Snapshot::default()
        };
        for (account, region, result) in results {
            match result {
                Ok((subnets, vpcs)) => {
                    snapshot.subnets.extend(subnets);
                    snapshot.vpcs.extend(vpcs);
                }
                Err(e) => {
                    tracing::warn!(account = account.as_deref().unwrap_or("own"), region, error = %e, "scan failed");
                    snapshot.errors.push(ScanError {
                        account: account.unwrap_or_else(|| "own".to_string()),
                        region,
                        error: e.to_string(),
                    });
                }
            }
        }
        // Deterministic order whatever finished first.
        snapshot.subnets.sort_by(|a, b| {
            (&a.account, &a.region, &a.subnet_id).cmp(&(&b.account, &b.region, &b.subnet_id))
        });
        snapshot.vpcs.sort_by(|a, b| {
            (&a.account, &a.region, &a.vpc_id).cmp(&(&b.account, &b.region, &b.vpc_id))
        });
        snapshot
            .errors
            .sort_by(|a, b| (&a.account, &a.region).cmp(&(&b.account, &b.region)));
        snapshot
    }

    pub fn region(&self) -> String {
        self.config
            .region()
            .map_or_else(|| "us-east-1".to_string(), ToString::to_string)
    }

    /// Configuration acting in `account` through its `RoleName` role.
    async fn assumed(&self, account: &str, role: Option<&str>) -> SdkConfig {
        let partition = partition(&self.region());
        let role = role.unwrap_or("cidrwatch-reader");
        let provider =
            AssumeRoleProvider::builder(format!("arn:{partition}:iam::{account}:role/{role}"))
                .session_name("cidrwatch")
                .configure(&self.config)
                .build()
                .await;
        self.config
            .to_builder()
            .credentials_provider(aws_sdk_ec2::config::SharedCredentialsProvider::new(
                provider,
            ))
            .build()
    }
}

fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

fn filter(name: &str, values: &[String]) -> Filter {
    Filter::builder()
        .name(name)
        .set_values(Some(values.to_vec()))
        .build()
}

/// Server-side filters for what EC2 can filter; [`Selection::matches`] re-checks everything.
fn subnet_filters(sel: &Selection) -> Vec<Filter> {
    let mut out = Vec::new();
    if !sel.vpc_ids.is_empty() && sel.vpc_ids.len() <= FILTER_VALUES_MAX {
        out.push(filter("vpc-id", &sel.vpc_ids));
    }
    if !sel.subnet_ids.is_empty() && sel.subnet_ids.len() <= FILTER_VALUES_MAX {
        out.push(filter("subnet-id", &sel.subnet_ids));
    }
    for (key, values) in &sel.tags {
        out.push(filter(&format!("tag:{key}"), values));
    }
    out
}

/// Scans one account-region with `ec2` (public so tests can drive it with a mocked client).
pub async fn scan_region(
    ec2: &aws_sdk_ec2::Client,
    region: &str,
    sel: &Selection,
    accounting: Accounting,
) -> Result<(Vec<SubnetInfo>, Vec<VpcInfo>), Error> {
    let mut items = ec2
        .describe_subnets()
        .set_filters(Some(subnet_filters(sel)))
        .max_results(PAGE)
        .into_paginator()
        .items()
        .send();
    let mut subnets = Vec::new();
    while let Some(s) = items.next().await {
        let s = s.map_err(|e| sdk_error("ec2:DescribeSubnets", e))?;
        let cidr = s.cidr_block().and_then(|c| c.parse::<Ipv4Cidr>().ok());
        let tags: BTreeMap<&str, &str> = s
            .tags()
            .iter()
            .filter_map(|t| Some((t.key()?, t.value()?)))
            .collect();
        let (Some(vpc_id), Some(subnet_id)) = (s.vpc_id(), s.subnet_id()) else {
            continue;
        };
        if !sel.matches(vpc_id, subnet_id, &tags, cidr) {
            continue;
        }
        subnets.push(SubnetInfo {
            account: s.owner_id().unwrap_or_default().to_string(),
            region: region.to_string(),
            vpc_id: vpc_id.to_string(),
            subnet_id: subnet_id.to_string(),
            availability_zone: s.availability_zone().unwrap_or_default().to_string(),
            cidr,
            available: s
                .available_ip_address_count()
                .map_or(0, |n| n.max(0) as u64),
            occupancy: None,
        });
    }
    if subnets.is_empty() {
        return Ok((subnets, Vec::new()));
    }
    let vpcs = vpcs(ec2, region, &subnets).await?;
    if accounting != Accounting::Addresses {
        let reservations = accounting == Accounting::PrefixesAndReservations;
        occupancy(ec2, &mut subnets, reservations).await?;
    }
    Ok((subnets, vpcs))
}

/// The IPv4 CIDRs (primary and secondary) of the VPCs the subnets lie in.
async fn vpcs(
    ec2: &aws_sdk_ec2::Client,
    region: &str,
    subnets: &[SubnetInfo],
) -> Result<Vec<VpcInfo>, Error> {
    let wanted: BTreeSet<String> = subnets.iter().map(|s| s.vpc_id.clone()).collect();
    let ids: Vec<String> = wanted.iter().cloned().collect();
    let filters = (ids.len() <= FILTER_VALUES_MAX).then(|| vec![filter("vpc-id", &ids)]);
    let mut items = ec2
        .describe_vpcs()
        .set_filters(filters)
        .max_results(PAGE)
        .into_paginator()
        .items()
        .send();
    let mut out = Vec::new();
    while let Some(v) = items.next().await {
        let v = v.map_err(|e| sdk_error("ec2:DescribeVpcs", e))?;
        let Some(vpc_id) = v.vpc_id().filter(|id| wanted.contains(*id)) else {
            continue;
        };
        let mut cidrs: Vec<Ipv4Cidr> = v
            .cidr_block_association_set()
            .iter()
            .filter(|a| {
                a.cidr_block_state()
                    .and_then(|s| s.state())
                    .is_none_or(|s| s.as_str() == "associated")
            })
            .filter_map(|a| a.cidr_block()?.parse().ok())
            .collect();
        if let Some(primary) = v.cidr_block().and_then(|c| c.parse().ok())
            && !cidrs.contains(&primary)
        {
            cidrs.push(primary);
        }
        out.push(VpcInfo {
            account: v.owner_id().unwrap_or_default().to_string(),
            region: region.to_string(),
            vpc_id: vpc_id.to_string(),
            cidrs,
        });
    }
    Ok(out)
}

/// Fills each subnet's occupancy: ENI private IPs and /28 prefixes, and with `reservations`
/// its explicit CIDR reservations.
async fn occupancy(
    ec2: &aws_sdk_ec2::Client,
    subnets: &mut [SubnetInfo],
    reservations: bool,
) -> Result<(), Error> {
    // IPv6-only subnets have no IPv4 blocks to occupy.
    let v4 = || subnets.iter().filter(|s| s.cidr.is_some());
    let ids: Vec<String> = v4().map(|s| s.subnet_id.clone()).collect();
    if ids.is_empty() {
        return Ok(());
    }
    let vpc_ids: Vec<String> = v4()
        .map(|s| s.vpc_id.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let filters = if ids.len() <= FILTER_VALUES_MAX {
        Some(vec![filter("subnet-id", &ids)])
    } else if vpc_ids.len() <= FILTER_VALUES_MAX {
        Some(vec![filter("vpc-id", &vpc_ids)])
    } else {
        None
    };
    let mut by_subnet: HashMap<String, Occupancy> = ids
        .iter()
        .map(|id| (id.clone(), Occupancy::default()))
        .collect();
    let mut items = ec2
        .describe_network_interfaces()
        .set_filters(filters)
        .max_results(PAGE)
        .into_paginator()
        .items()
        .send();
    while let Some(eni) = items.next().await {
        let eni = eni.map_err(|e| sdk_error("ec2:DescribeNetworkInterfaces", e))?;
        let Some(occ) = eni.subnet_id().and_then(|id| by_subnet.get_mut(id)) else {
            continue;
        };
        occ.addresses.extend(
            eni.private_ip_addresses()
                .iter()
                .filter_map(|p| p.private_ip_address()?.parse::<Ipv4Addr>().ok())
                .map(u32::from),
        );
        occ.ranges.extend(
            eni.ipv4_prefixes()
                .iter()
                .filter_map(|p| p.ipv4_prefix()?.parse::<Ipv4Cidr>().ok()),
        );
    }
    if reservations {
        let found: Vec<Result<(String, Vec<Ipv4Cidr>), Error>> = stream::iter(ids)
            .map(|id| async move { explicit_reservations(ec2, &id).await.map(|r| (id, r)) })
            .buffer_unordered(CONCURRENCY)
            .collect()
            .await;
        for r in found {
            let (id, ranges) = r?;
            if let Some(occ) = by_subnet.get_mut(&id) {
                occ.ranges.extend(ranges);
            }
        }
    }
    for s in subnets.iter_mut() {
        s.occupancy = by_subnet.remove(&s.subnet_id);
    }
    Ok(())
}

/// A subnet's `explicit` CIDR reservations. (`prefix` ones stay available to prefixes.)
async fn explicit_reservations(
    ec2: &aws_sdk_ec2::Client,
    subnet_id: &str,
) -> Result<Vec<Ipv4Cidr>, Error> {
    // One page holds 1000 reservations, far above any subnet's; the SDK has no paginator here.
    let out = ec2
        .get_subnet_cidr_reservations()
        .subnet_id(subnet_id)
        .max_results(PAGE)
        .send()
        .await
        .map_err(|e| sdk_error("ec2:GetSubnetCidrReservations", e))?;
    Ok(out
        .subnet_ipv4_cidr_reservations()
        .iter()
        .filter(|r| r.reservation_type() == Some(&SubnetCidrReservationType::Explicit))
        .filter_map(|r| r.cidr()?.parse().ok())
        .collect())
}
