//! The address-plan world of `tests/plan.rs`, in moto: three accounts (ours, the management
//! account, and two members) in two regions; VPCs in and out of two supernets; two
//! overlapping VPCs attached to one transit gateway, an overlapping pair that is peered, an
//! isolated overlapping pair, a static route to an on-premises range over VPN, a prefix list,
//! and the default VPCs moto makes, as every account has them.

use std::collections::BTreeMap;

use aws_sdk_ec2::Client;
use aws_sdk_ec2::types::{AddPrefixListEntry, Filter};

use super::Bed;
use super::estate::{self, Builder, Estate, OWN};
use super::org::Organization;

pub const EAST: &str = "us-east-1";
pub const WEST: &str = "eu-west-1";
pub const SUPERNETS: [&str; 2] = ["10.0.0.0/13", "10.16.0.0/14"];
/// On-premises, over the gateway's VPN: inside the first supernet, so no VPC may go there.
pub const ON_PREMISES: &str = "10.1.0.0/16";
/// The prefix list's ranges: one inside the first supernet, one over an unplanned VPC.
pub const AVOIDED: [&str; 2] = ["10.3.0.0/16", "192.168.0.0/24"];

/// One VPC block as the test made it (or moto made it: the default VPCs).
#[derive(Clone, Debug)]
pub struct Block {
    pub account: String,
    pub region: String,
    pub vpc: String,
    pub cidr: String,
}

/// What the test built, and what joins it.
pub struct World {
    pub blocks: Vec<Block>,
    /// (gateway, VPC)
    pub attachments: Vec<(String, String)>,
    /// (peering, VPC, VPC)
    pub peerings: Vec<(String, String, String)>,
    pub tgw: String,
    pub prefix_list: String,
    /// The organization's root: the monitors select beneath it.
    pub root: String,
}

pub fn ec2(sdk: &aws_config::SdkConfig, region: &str) -> Client {
    Client::from_conf(
        aws_sdk_ec2::config::Builder::from(sdk)
            .region(aws_config::Region::new(region.to_string()))
            .build(),
    )
}

/// The default VPCs moto made in an account-region, as every AWS account has them.
pub async fn defaults(ec2: &Client, account: &str, region: &str) -> Vec<Block> {
    let out = ec2
        .describe_vpcs()
        .filters(Filter::builder().name("is-default").values("true").build())
        .send()
        .await
        .unwrap();
    out.vpcs()
        .iter()
        .map(|v| Block {
            account: account.into(),
            region: region.into(),
            vpc: v.vpc_id().unwrap().into(),
            cidr: v.cidr_block().unwrap().into(),
        })
        .collect()
}

pub async fn build(bed: &Bed) -> World {
    let sdk = bed.sdk().await;
    let org = Organization::create(&sdk).await;
    let a1 = org.account("a1", None).await;
    let a2 = org.account("a2", None).await;
    let cfg = BTreeMap::from([
        (OWN.to_string(), sdk.clone()),
        (a1.clone(), estate::assumed(&sdk, &a1).await),
        (a2.clone(), estate::assumed(&sdk, &a2).await),
    ]);
    let mut estate = Estate::default();
    let mut vpc = async |account: &str, region: &str, cidr: &str, subnet: &str| {
        let mut b = Builder::new(&cfg[account], account, region, &mut estate);
        let id = b.vpc(&[cidr]).await;
        let subnet = b.subnet(&id, subnet, true).await;
        (id, subnet)
    };
    let (a, a_subnet) = vpc(OWN, EAST, "10.0.0.0/16", "10.0.128.0/24").await;
    let (b, b_subnet) = vpc(&a1, EAST, "10.0.0.0/17", "10.0.0.0/24").await;
    let (p1, _) = vpc(OWN, EAST, "10.2.0.0/16", "10.2.0.0/24").await;
    let (p2, _) = vpc(&a2, EAST, "10.2.0.0/16", "10.2.0.0/24").await;
    let (u, _) = vpc(&a1, EAST, "192.168.0.0/20", "192.168.0.0/24").await;
    let (i1, _) = vpc(&a2, WEST, "10.16.0.0/16", "10.16.0.0/24").await;
    let (i2, _) = vpc(&a1, WEST, "10.16.0.0/18", "10.16.0.0/24").await;
    let (c, _) = vpc(&a2, WEST, "10.17.0.0/16", "10.17.0.0/24").await;
    let made = [
        (OWN, EAST, &a, "10.0.0.0/16"),
        (&a1, EAST, &b, "10.0.0.0/17"),
        (OWN, EAST, &p1, "10.2.0.0/16"),
        (&a2, EAST, &p2, "10.2.0.0/16"),
        (&a1, EAST, &u, "192.168.0.0/20"),
        (&a2, WEST, &i1, "10.16.0.0/16"),
        (&a1, WEST, &i2, "10.16.0.0/18"),
        (&a2, WEST, &c, "10.17.0.0/16"),
    ];
    let mut blocks: Vec<Block> = made
        .iter()
        .map(|(account, region, vpc, cidr)| Block {
            account: account.to_string(),
            region: region.to_string(),
            vpc: vpc.to_string(),
            cidr: cidr.to_string(),
        })
        .collect();
    for (account, sdk) in &cfg {
        for region in [EAST, WEST] {
            blocks.extend(defaults(&ec2(sdk, region), account, region).await);
        }
    }

    // The gateway is ours; a1 attaches to it through RAM. moto keeps an attachment in the
    // gateway's account only, so a1's is made there: the owner's view lists a participant's
    // attachment as AWS's does, and cidrwatch reads every scanned account's view.
    let own = ec2(&sdk, EAST);
    let tgw = own
        .create_transit_gateway()
        .send()
        .await
        .unwrap()
        .transit_gateway()
        .unwrap()
        .transit_gateway_id()
        .unwrap()
        .to_string();
    let mut attachments = Vec::new();
    for (v, s) in [(&a, &a_subnet), (&b, &b_subnet)] {
        own.create_transit_gateway_vpc_attachment()
            .transit_gateway_id(&tgw)
            .vpc_id(v)
            .subnet_ids(s)
            .send()
            .await
            .expect("attach");
        attachments.push((tgw.clone(), v.clone()));
    }
    // On-premises over a site-to-site VPN on the gateway, with its static route.
    let cgw = own
        .create_customer_gateway()
        .r#type(aws_sdk_ec2::types::GatewayType::Ipsec1)
        .ip_address("203.0.113.10")
        .bgp_asn(65000)
        .send()
        .await
        .unwrap()
        .customer_gateway()
        .unwrap()
        .customer_gateway_id()
        .unwrap()
        .to_string();
    own.create_vpn_connection()
        .r#type("ipsec.1")
        .customer_gateway_id(cgw)
        .transit_gateway_id(&tgw)
        .send()
        .await
        .expect("vpn");
    let vpn = own
        .describe_transit_gateway_attachments()
        .filters(
            Filter::builder()
                .name("resource-type")
                .values("vpn")
                .build(),
        )
        .send()
        .await
        .unwrap()
        .transit_gateway_attachments()[0]
        .transit_gateway_attachment_id()
        .unwrap()
        .to_string();
    let table = own
        .describe_transit_gateway_route_tables()
        .send()
        .await
        .unwrap()
        .transit_gateway_route_tables()[0]
        .transit_gateway_route_table_id()
        .unwrap()
        .to_string();
    own.create_transit_gateway_route()
        .transit_gateway_route_table_id(&table)
        .destination_cidr_block(ON_PREMISES)
        .transit_gateway_attachment_id(&vpn)
        .send()
        .await
        .expect("static route");

    // Ours peers with a2's, whose block is the same: accepted by a2.
    let pcx = own
        .create_vpc_peering_connection()
        .vpc_id(&p1)
        .peer_vpc_id(&p2)
        .peer_owner_id(&a2)
        .send()
        .await
        .unwrap()
        .vpc_peering_connection()
        .unwrap()
        .vpc_peering_connection_id()
        .unwrap()
        .to_string();
    ec2(&cfg[&a2], EAST)
        .accept_vpc_peering_connection()
        .vpc_peering_connection_id(&pcx)
        .send()
        .await
        .expect("accept");

    let mut list = own
        .create_managed_prefix_list()
        .prefix_list_name("on-premises")
        .address_family("IPv4")
        .max_entries(10);
    for cidr in AVOIDED {
        list = list.entries(AddPrefixListEntry::builder().cidr(cidr).build());
    }
    let prefix_list = list
        .send()
        .await
        .unwrap()
        .prefix_list()
        .unwrap()
        .prefix_list_id()
        .unwrap()
        .to_string();
    World {
        blocks,
        attachments,
        peerings: vec![(pcx, p1, p2)],
        tgw,
        prefix_list,
        root: org.root.clone(),
    }
}
