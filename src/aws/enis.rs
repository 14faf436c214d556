//! The ENIs of a pool's subnets: one `DescribeNetworkInterfaces` read (⌈ENIs/1000⌉ pages,
//! or only the detached ones), what holds each subnet's addresses, and with prefix accounting
//! what occupies its /28 blocks (plus, with `ExplicitReservations`, one
//! `GetSubnetCidrReservations` per subnet: EC2 has no bulk form).

use std::collections::HashMap;
use std::net::Ipv4Addr;

use aws_sdk_ec2::types::{Filter, NetworkInterfaceStatus, SubnetCidrReservationType};
use futures::stream::{self, StreamExt};

use super::discover::{CONCURRENCY, FILTER_VALUES_MAX, PAGE, distinct_vpcs, filter};
use super::sdk_error;
use crate::Error;
use crate::spec::Accounting;
use crate::usage::holders;
use crate::usage::{Ipv4Cidr, Occupancy, SubnetInfo};

/// Describes the ENIs of the pool's IPv4 subnets — every one (`every`), or only the
/// detached ones (status `available`) — in ⌈ENIs/1000⌉ calls, and fills each subnet's
/// detached ENIs; having seen every ENI, its holders and (with prefix accounting) the
/// occupancy of its /28 blocks; with `PrefixesAndReservations`, its explicit reservations.
pub(super) async fn interfaces(
    ec2: &aws_sdk_ec2::Client,
    subnets: &mut [SubnetInfo],
    every: bool,
    accounting: Accounting,
) -> Result<Vec<holders::Eni>, Error> {
    let prefixes = accounting != Accounting::Addresses;
    // IPv6-only subnets have no IPv4 addresses to hold.
    if subnets.iter().all(|s| s.cidr.is_none()) {
        return Ok(Vec::new());
    }
    // Built at the first ENI: a tick that finds no detached ENI indexes nothing.
    let mut place = None;
    let filters = eni_filters(subnets, every);
    let mut occupancy = vec![Occupancy::default(); if prefixes { subnets.len() } else { 0 }];
    let mut enis = Vec::new();
    let read = ec2
        .describe_network_interfaces()
        .set_filters(Some(filters).filter(|f| !f.is_empty()))
        .max_results(PAGE);
    super::each_page(
        "ec2:DescribeNetworkInterfaces",
        |token| read.clone().set_next_token(token).send(),
        |page| page.next_token.take(),
        |page| {
            for eni in page.network_interfaces() {
                let place = place.get_or_insert_with(|| index(subnets));
                let Some(&i) = eni.subnet_id().and_then(|id| place.get(id)) else {
                    continue;
                };
                if prefixes {
                    occupy(&mut occupancy[i], eni);
                }
                enis.push(read_eni(eni));
            }
        },
    )
    .await?;
    if accounting == Accounting::PrefixesAndReservations {
        let place = place.get_or_insert_with(|| index(subnets));
        add_reservations(ec2, place, &mut occupancy).await?;
    }
    drop(place);
    let mut held = holders::tally(&enis);
    for (i, s) in subnets.iter_mut().enumerate() {
        if s.cidr.is_none() {
            continue;
        }
        s.occupancy = prefixes.then(|| std::mem::take(&mut occupancy[i]));
        let h = held.remove(&s.subnet_id).unwrap_or_default();
        s.detached = h.detached;
        s.holders = every.then_some(h.by);
    }
    Ok(enis)
}

/// Each subnet's explicit CIDR reservations into its occupancy: one call a subnet.
async fn add_reservations(
    ec2: &aws_sdk_ec2::Client,
    place: &HashMap<&str, usize>,
    occupancy: &mut [Occupancy],
) -> Result<(), Error> {
    // Owned ids (one call a subnet dwarfs the copies): futures borrowing them through the
    // stream fail rustc's "implementation of `Send` is not general enough".
    let wanted: Vec<(String, usize)> = place.iter().map(|(&id, &i)| (id.to_string(), i)).collect();
    let found: Vec<Result<(usize, Vec<Ipv4Cidr>), Error>> = stream::iter(wanted)
        .map(|(id, i)| async move { explicit_reservations(ec2, &id).await.map(|r| (i, r)) })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    for r in found {
        let (i, ranges) = r?;
        occupancy[i].ranges.extend(ranges);
    }
    Ok(())
}

/// Each IPv4 subnet's place in `subnets`, by its id (borrowed: no id is copied).
fn index(subnets: &[SubnetInfo]) -> HashMap<&str, usize> {
    subnets
        .iter()
        .enumerate()
        .filter(|(_, s)| s.cidr.is_some())
        .map(|(i, s)| (s.subnet_id.as_str(), i))
        .collect()
}

/// The server-side filter of the ENIs read: the subnets' ids when few, else their VPCs'
/// when few, else none (and the answer is matched to the subnets); only the detached ENIs
/// unless `every`.
fn eni_filters(subnets: &[SubnetInfo], every: bool) -> Vec<Filter> {
    let v4 = || subnets.iter().filter(|s| s.cidr.is_some());
    let mut filters = Vec::new();
    if v4().count() <= FILTER_VALUES_MAX {
        let ids: Vec<&str> = v4().map(|s| s.subnet_id.as_str()).collect();
        filters.push(filter("subnet-id", &ids));
    } else {
        let vpc_ids = distinct_vpcs(v4());
        if vpc_ids.len() <= FILTER_VALUES_MAX {
            filters.push(filter("vpc-id", &vpc_ids));
        }
    }
    if !every {
        filters.push(filter("status", &["available"]));
    }
    filters
}

/// The addresses and /28 prefixes an ENI holds in its subnet.
fn occupy(occ: &mut Occupancy, eni: &aws_sdk_ec2::types::NetworkInterface) {
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

/// What holder classification needs of an ENI.
fn read_eni(eni: &aws_sdk_ec2::types::NetworkInterface) -> holders::Eni {
    let tag = |key: &str| super::tag(eni.tag_set(), key).map(str::to_string);
    let addresses = eni.private_ip_addresses();
    holders::Eni {
        id: eni.network_interface_id().unwrap_or_default().to_string(),
        subnet_id: eni.subnet_id().unwrap_or_default().to_string(),
        detached: eni.status() == Some(&NetworkInterfaceStatus::Available),
        interface_type: eni
            .interface_type()
            .map(|t| t.as_str().to_string())
            .unwrap_or_default(),
        description: eni.description().unwrap_or_default().to_string(),
        instance_id: eni
            .attachment()
            .and_then(|a| a.instance_id())
            .map(str::to_string),
        account: eni.owner_id().unwrap_or_default().to_string(),
        cni_instance: tag(holders::CNI_INSTANCE_TAG),
        cni_cluster: tag(holders::CNI_CLUSTER_TAG),
        // One of them is the primary: every IPv4 ENI has exactly one.
        primary: !addresses.is_empty(),
        secondary: addresses.len().saturating_sub(1) as u64,
        prefixes: eni.ipv4_prefixes().len() as u64,
        created: tag(holders::CNI_CREATED_TAG),
    }
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
