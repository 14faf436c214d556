//! The plan's arithmetic against counting address by address, and the new-VPC best fit
//! against a brute-force search.

use super::*;
use proptest::prelude::*;

fn vpc(id: &str, cidrs: &[Ipv4Cidr]) -> VpcInfo {
    VpcInfo {
        account: "111111111111".into(),
        region: "us-east-1".into(),
        vpc_id: id.into(),
        cidrs: cidrs.to_vec(),
        subnets: vec![],
    }
}

/// A block of 10.0.0.0/16 from small numbers: at most /16, at least /28.
fn block(i: u32, p: u8) -> Ipv4Cidr {
    let size = 1u32 << (32 - p);
    Ipv4Cidr::new((0x0A00_0000 + i * 256) & !(size - 1), p).unwrap()
}

/// The largest free aligned block that holds `c`: grown one bit at a time while it stays
/// inside a `within` block and clear of `taken`.
fn maximal(c: Ipv4Cidr, within: &[Ipv4Cidr], taken: &[Ipv4Cidr]) -> Ipv4Cidr {
    let mut best = c;
    for p in (0..c.prefix()).rev() {
        let size = 1u64 << (32 - p);
        let bigger = Ipv4Cidr::new(c.base() & !((size - 1) as u32), p).unwrap();
        let inside = within.iter().any(|w| w.contains(&bigger));
        if !inside || taken.iter().any(|t| t.overlaps(&bigger)) {
            break;
        }
        best = bigger;
    }
    best
}

/// Best fit by brute force: every aligned /size in `within`, free of `taken` and of what was
/// already placed; the one whose maximal free block is smallest, lowest address among equals.
fn brute_force(within: &[Ipv4Cidr], taken: &[Ipv4Cidr], size: u8, count: usize) -> Vec<Ipv4Cidr> {
    let mut taken = taken.to_vec();
    let mut out = Vec::new();
    for _ in 0..count {
        let mut candidates = Vec::new();
        for w in within.iter().filter(|w| w.prefix() <= size) {
            let step = 1u64 << (32 - size);
            let mut at = u64::from(w.base());
            while at < u64::from(w.base()) + w.size() {
                let c = Ipv4Cidr::new(at as u32, size).unwrap();
                if !taken.iter().any(|t| t.overlaps(&c)) {
                    let m = maximal(c, within, &taken);
                    candidates.push((std::cmp::Reverse(m.prefix()), m.base(), c));
                }
                at += step;
            }
        }
        // Smallest maximal block first; within it, its start.
        candidates.sort();
        let Some(&(_, _, c)) = candidates.iter().find(|(_, m, c)| {
            // The block's first free /size is at the maximal block's start.
            *m == c.base()
        }) else {
            break;
        };
        taken.push(c);
        out.push(c);
    }
    out
}

#[test]
fn a_plan_counts_vpcs_once_and_names_what_is_outside() {
    let s: Vec<Ipv4Cidr> = vec![
        "10.0.0.0/16".parse().unwrap(),
        "10.1.0.0/16".parse().unwrap(),
    ];
    let network = Network {
        vpcs: vec![
            vpc("vpc-a", &["10.0.0.0/17".parse().unwrap()]),
            vpc("vpc-b", &["10.0.0.0/18".parse().unwrap()]),
            vpc("vpc-c", &["192.168.0.0/24".parse().unwrap()]),
        ],
        attachments: vec![
            ("tgw-1".into(), "vpc-a".into()),
            ("tgw-1".into(), "vpc-b".into()),
        ],
        routes: vec![TgwRoute {
            transit_gateway_id: "tgw-1".into(),
            route_table_id: "tgw-rtb-1".into(),
            cidr: "10.1.0.0/20".parse().unwrap(),
            target: "vpn".into(),
            vpc_id: None,
        }],
        ..Network::default()
    };
    let p = plan(&s, &network);
    assert_eq!((p.size, p.allocated, p.free), (131_072, 32_768, 98_304));
    assert_eq!(p.unplanned_vpcs, 1);
    assert_eq!(p.overlapping_vpcs, 2, "{:?}", p.overlaps);
    assert_eq!(p.overlaps.len(), 1);
    assert_eq!(p.supernets[0].free_blocks[0].to_string(), "10.0.128.0/17");
    assert_eq!(
        p.supernets[1].free_blocks[0].to_string(),
        "10.1.128.0/17",
        "the route's /20 is in use"
    );
    let text = p.lines(true).join("\n");
    assert!(text.contains("2 VPCs in connected overlaps"), "{text}");
    assert!(text.contains("through tgw-1"), "{text}");
}

proptest! {
    /// Allocation and free addresses equal a count of addresses one by one.
    #[test]
    fn allocation_counts_each_address_once(
        supernets in proptest::collection::vec((0u32..256, 20u8..=24), 1..4),
        vpcs in proptest::collection::vec((0u32..256, 20u8..=28), 0..10),
    ) {
        let mut planned: Vec<Ipv4Cidr> = Vec::new();
        for (i, p) in supernets {
            let b = block(i, p);
            if !planned.iter().any(|o| o.overlaps(&b)) {
                planned.push(b);
            }
        }
        let network = Network {
            vpcs: vpcs.iter().enumerate().map(|(n, (i, p))| vpc(&format!("vpc-{n}"), &[block(*i, *p)])).collect(),
            ..Network::default()
        };
        let p = plan(&planned, &network);
        let mut allocated = 0u64;
        for s in &planned {
            for a in u64::from(s.base())..u64::from(s.base()) + s.size() {
                let held = network.vpcs.iter().flat_map(|v| &v.cidrs)
                    .any(|c| u64::from(c.base()) <= a && a < u64::from(c.base()) + c.size());
                allocated += u64::from(held);
            }
        }
        prop_assert_eq!(p.allocated, allocated);
        prop_assert_eq!(p.free + p.allocated, p.size);
        let unplanned = network.vpcs.iter()
            .filter(|v| v.cidrs.iter().any(|c| !planned.iter().any(|s| s.contains(c)))).count();
        prop_assert_eq!(p.unplanned_vpcs as usize, unplanned);
    }

    /// The new VPCs are exactly what a brute-force best-fit search places.
    #[test]
    fn new_vpcs_are_the_brute_force_best_fit(
        within in proptest::collection::vec((0u32..256, 18u8..=22), 1..3),
        taken in proptest::collection::vec((0u32..256, 20u8..=28), 0..12),
        size in 22u8..=26,
        count in 1usize..4,
    ) {
        let mut w: Vec<Ipv4Cidr> = Vec::new();
        for (i, p) in within {
            let b = block(i, p);
            if !w.iter().any(|o| o.overlaps(&b)) {
                w.push(b);
            }
        }
        let taken: Vec<Ipv4Cidr> = taken.iter().map(|(i, p)| block(*i, *p)).collect();
        let got = new_vpcs(&w, &taken, size, count);
        prop_assert_eq!(&got, &brute_force(&w, &taken, size, count));
        for (i, c) in got.iter().enumerate() {
            prop_assert!(!taken.iter().any(|t| t.overlaps(c)));
            prop_assert!(w.iter().any(|x| x.contains(c)));
            prop_assert!(!got[..i].iter().any(|o| o.overlaps(c)));
        }
    }
}
