//! What joins the VPCs, for the address plan (monitors with `Supernets`, and
//! `cidrwatch suggest --new-vpc`): per account-region one paged
//! `DescribeTransitGatewayAttachments` (VPC attachments) and one paged
//! `DescribeVpcPeeringConnections` (active ones); where it sees attachments, one paged
//! `DescribeTransitGatewayRouteTables` (EC2 lists the route tables of the gateways the account
//! owns) and one `SearchTransitGatewayRoutes` per table; and per scanned region one
//! `GetManagedPrefixListEntries` per list of `AvoidPrefixLists`, with the provider's own
//! credentials. Other monitors make none of these calls.

use aws_config::SdkConfig;
use aws_sdk_ec2::error::ProvideErrorMetadata;
use aws_sdk_ec2::types::Filter;

use super::discover::{PAGE, ec2_in, filter};
use super::sdk_error;
use crate::Error;
use crate::usage::Ipv4Cidr;
use crate::usage::supernet::{Network, TgwRoute};

/// Attachment states in which a VPC is joined to its gateway (or about to be).
const JOINED: [&str; 4] = ["available", "modifying", "pending", "pendingAcceptance"];
/// SearchTransitGatewayRoutes answers at most this many routes, unpaged.
const ROUTES_MAX: i32 = 1000;

fn values(name: &str, v: &[&str]) -> Filter {
    filter(name, &v.iter().map(|s| s.to_string()).collect::<Vec<_>>())
}

/// The gateways, peerings and gateway routes one account-region sees (its VPCs are read
/// with the subnets).
pub(super) async fn links(ec2: &aws_sdk_ec2::Client) -> Result<Network, Error> {
    let mut network = Network::default();
    let mut items = ec2
        .describe_transit_gateway_attachments()
        .filters(values("resource-type", &["vpc"]))
        .filters(values("state", &JOINED))
        .max_results(PAGE)
        .into_paginator()
        .items()
        .send();
    while let Some(a) = items.next().await {
        let a = a.map_err(|e| sdk_error("ec2:DescribeTransitGatewayAttachments", e))?;
        let vpc = a.resource_type().is_some_and(|t| t.as_str() == "vpc");
        let joined = a.state().is_some_and(|s| JOINED.contains(&s.as_str()));
        if let (true, true, Some(tgw), Some(id)) =
            (vpc, joined, a.transit_gateway_id(), a.resource_id())
        {
            network.attachments.push((tgw.to_string(), id.to_string()));
        }
    }
    let mut items = ec2
        .describe_vpc_peering_connections()
        .filters(values("status-code", &["active"]))
        .max_results(PAGE)
        .into_paginator()
        .items()
        .send();
    while let Some(p) = items.next().await {
        let p = p.map_err(|e| sdk_error("ec2:DescribeVpcPeeringConnections", e))?;
        let active = p
            .status()
            .and_then(|s| s.code())
            .is_some_and(|c| c.as_str() == "active");
        let requester = p.requester_vpc_info().and_then(|v| v.vpc_id());
        let accepter = p.accepter_vpc_info().and_then(|v| v.vpc_id());
        if let (true, Some(id), Some(a), Some(b)) =
            (active, p.vpc_peering_connection_id(), requester, accepter)
        {
            network
                .peerings
                .push((id.to_string(), a.to_string(), b.to_string()));
        }
    }
    if !network.attachments.is_empty() {
        network.routes = routes(ec2).await?;
    }
    Ok(network)
}

/// The active static and propagated routes of every route table the account's gateways have.
async fn routes(ec2: &aws_sdk_ec2::Client) -> Result<Vec<TgwRoute>, Error> {
    let mut tables = Vec::new();
    let mut items = ec2
        .describe_transit_gateway_route_tables()
        .filters(values("state", &["available"]))
        .max_results(PAGE)
        .into_paginator()
        .items()
        .send();
    while let Some(t) = items.next().await {
        let t = t.map_err(|e| sdk_error("ec2:DescribeTransitGatewayRouteTables", e))?;
        let available = t.state().is_none_or(|s| s.as_str() == "available");
        if let (true, Some(table), Some(tgw)) = (
            available,
            t.transit_gateway_route_table_id(),
            t.transit_gateway_id(),
        ) {
            tables.push((table.to_string(), tgw.to_string()));
        }
    }
    let mut out = Vec::new();
    for (table, tgw) in tables {
        let found = ec2
            .search_transit_gateway_routes()
            .transit_gateway_route_table_id(&table)
            .filters(values("type", &["static", "propagated"]))
            .filters(values("state", &["active"]))
            .max_results(ROUTES_MAX)
            .send()
            .await
            .map_err(|e| sdk_error("ec2:SearchTransitGatewayRoutes", e))?;
        if found.additional_routes_available() == Some(true) {
            tracing::warn!(
                table,
                "more than {ROUTES_MAX} routes: the first {ROUTES_MAX} count"
            );
        }
        out.extend(
            found
                .routes()
                .iter()
                .filter_map(|r| tgw_route(r, &tgw, &table)),
        );
    }
    Ok(out)
}

/// An active route to an IPv4 CIDR (not a prefix list) as the plan's record of it.
fn tgw_route(
    r: &aws_sdk_ec2::types::TransitGatewayRoute,
    tgw: &str,
    table: &str,
) -> Option<TgwRoute> {
    let active = r.state().is_none_or(|s| s.as_str() == "active");
    let cidr = r
        .destination_cidr_block()
        .and_then(|c| c.parse::<Ipv4Cidr>().ok())
        .filter(|_| active)?;
    let attachment = r.transit_gateway_attachments().first();
    let kind = attachment.and_then(|a| a.resource_type());
    Some(TgwRoute {
        transit_gateway_id: tgw.to_string(),
        route_table_id: table.to_string(),
        cidr,
        target: kind.map_or("unknown", |t| t.as_str()).to_string(),
        vpc_id: attachment
            .filter(|_| kind.is_some_and(|t| t.as_str() == "vpc"))
            .and_then(|a| a.resource_id())
            .map(str::to_string),
    })
}

/// The ranges of the prefix lists `ids`, read with `config` in each of `regions` (a list is
/// regional, and EC2 answers `InvalidPrefixListID.NotFound` where it is not). A list found in
/// no region is an error that says how to make it readable.
pub(super) async fn prefix_lists(
    config: &SdkConfig,
    regions: &[String],
    ids: &[String],
) -> Result<Vec<(String, Vec<Ipv4Cidr>)>, Error> {
    let mut out = Vec::new();
    for id in ids {
        let mut found: Option<Vec<Ipv4Cidr>> = None;
        for region in regions {
            let ec2 = ec2_in(config, "provider", region);
            let mut entries = ec2
                .get_managed_prefix_list_entries()
                .prefix_list_id(id)
                .max_results(100)
                .into_paginator()
                .items()
                .send();
            let mut cidrs = Vec::new();
            let mut here = true;
            while let Some(e) = entries.next().await {
                match e {
                    Ok(e) => cidrs.extend(e.cidr().and_then(|c| c.parse::<Ipv4Cidr>().ok())),
                    Err(e) if not_found(&e) => {
                        here = false;
                        break;
                    }
                    Err(e) => return Err(sdk_error("ec2:GetManagedPrefixListEntries", e)),
                }
            }
            if here {
                found.get_or_insert_with(Vec::new).extend(cidrs);
            }
        }
        match found {
            Some(cidrs) => out.push((id.clone(), cidrs)),
            None => {
                return Err(Error::Aws {
                    call: "ec2:GetManagedPrefixListEntries",
                    code: Some(PREFIX_LIST_NOT_FOUND.to_string()),
                    message: format!(
                        "{PREFIX_LIST_NOT_FOUND}: AvoidPrefixLists {id} is in none of {} as the \
                         provider's account sees them; share it with that account through RAM, \
                         or remove it",
                        regions.join(", ")
                    ),
                });
            }
        }
    }
    Ok(out)
}

/// EC2's answer for a prefix list that is not in the region.
pub const PREFIX_LIST_NOT_FOUND: &str = "InvalidPrefixListID.NotFound";

fn not_found<E: ProvideErrorMetadata, R>(e: &aws_sdk_ec2::error::SdkError<E, R>) -> bool {
    e.code() == Some(PREFIX_LIST_NOT_FOUND)
}
