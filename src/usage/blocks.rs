//! Free aligned /28 blocks: what prefix delegation (ENI `/28` prefixes, as the VPC CNI's
//! prefix mode uses) can still take from a subnet.
//!
//! A block is free when none of its 16 addresses is reserved by AWS (the first four and the
//! last address of the subnet), an ENI private IP, inside an ENI prefix, or inside an
//! `explicit` CIDR reservation.

use super::{Ipv4Cidr, Occupancy};

const BLOCK: u64 = 16;

/// Aligned /28 blocks in the subnet, free or not.
pub fn total_blocks(subnet: Ipv4Cidr) -> u64 {
    if subnet.prefix() > 28 {
        0
    } else {
        subnet.size() / BLOCK
    }
}

/// Free aligned /28 blocks in `subnet` given what occupies it.
pub fn free_blocks(subnet: Ipv4Cidr, occupied: &Occupancy) -> u64 {
    let n = total_blocks(subnet);
    if n == 0 {
        return 0;
    }
    let base = u64::from(subnet.base());
    let end = base + subnet.size();
    let mut taken = vec![false; n as usize];
    // Reserved: .0–.3 sit in the first block, the broadcast-like last address in the last.
    taken[0] = true;
    taken[(n - 1) as usize] = true;
    let mut mark = |lo: u64, hi: u64| {
        // [lo, hi) clipped to the subnet
        let (lo, hi) = (lo.max(base), hi.min(end));
        if lo < hi {
            for b in (lo - base) / BLOCK..=(hi - 1 - base) / BLOCK {
                taken[b as usize] = true;
            }
        }
    };
    for &a in &occupied.addresses {
        mark(u64::from(a), u64::from(a) + 1);
    }
    for r in &occupied.ranges {
        mark(u64::from(r.base()), u64::from(r.base()) + r.size());
    }
    taken.iter().filter(|t| !**t).count() as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::net::Ipv4Addr;

    fn cidr(s: &str) -> Ipv4Cidr {
        s.parse().unwrap()
    }

    fn ip(s: &str) -> u32 {
        u32::from(s.parse::<Ipv4Addr>().unwrap())
    }

    #[test]
    fn empty_slash_24_has_14_free_of_16() {
        // 16 blocks; the first holds .0–.3, the last holds .255.
        assert_eq!(free_blocks(cidr("10.0.0.0/24"), &Occupancy::default()), 14);
    }

    #[test]
    fn slash_28_and_slash_27_have_no_free_block() {
        assert_eq!(free_blocks(cidr("10.0.0.0/28"), &Occupancy::default()), 0);
        assert_eq!(free_blocks(cidr("10.0.0.32/27"), &Occupancy::default()), 0);
        assert_eq!(free_blocks(cidr("10.0.0.0/26"), &Occupancy::default()), 2);
    }

    #[test]
    fn layout_scattered_eni_ips_each_take_their_block() {
        // /24: .20 and .21 share block 1; .100 is block 6; .4 sits in the reserved first block.
        let occ = Occupancy {
            addresses: vec![
                ip("10.0.0.20"),
                ip("10.0.0.21"),
                ip("10.0.0.100"),
                ip("10.0.0.4"),
            ],
            ranges: vec![],
        };
        assert_eq!(free_blocks(cidr("10.0.0.0/24"), &occ), 14 - 2);
    }

    #[test]
    fn layout_prefixes_and_an_explicit_reservation() {
        // ENI prefixes .32/28 and .48/28 (blocks 2, 3); explicit reservation .128/26 (blocks 8–11).
        let occ = Occupancy {
            addresses: vec![],
            ranges: vec![
                cidr("10.0.0.32/28"),
                cidr("10.0.0.48/28"),
                cidr("10.0.0.128/26"),
            ],
        };
        assert_eq!(free_blocks(cidr("10.0.0.0/24"), &occ), 14 - 2 - 4);
    }

    #[test]
    fn layout_ranges_outside_or_overlapping_the_edge() {
        // A reservation wider than the subnet marks everything; one elsewhere marks nothing.
        let wide = Occupancy {
            addresses: vec![],
            ranges: vec![cidr("10.0.0.0/16")],
        };
        assert_eq!(free_blocks(cidr("10.0.1.0/24"), &wide), 0);
        let elsewhere = Occupancy {
            addresses: vec![ip("10.9.9.9")],
            ranges: vec![cidr("10.0.2.0/28")],
        };
        assert_eq!(free_blocks(cidr("10.0.1.0/24"), &elsewhere), 14);
    }

    proptest! {
        /// Every /16…/28: an empty subnet has all blocks but the two edge ones.
        #[test]
        fn empty_subnets_lose_exactly_the_edge_blocks(prefix in 16u8..=28, index in 0u32..1024) {
            let size = 1u32 << (32 - prefix);
            let base = 0x0A00_0000u32.wrapping_add(index.wrapping_mul(size)) & !(size - 1);
            let subnet = Ipv4Cidr::new(base, prefix).unwrap();
            let total = total_blocks(subnet);
            prop_assert_eq!(total, u64::from(size / 16));
            let expected = total.saturating_sub(2);
            prop_assert_eq!(free_blocks(subnet, &Occupancy::default()), expected);
        }

        /// One address takes at most one block, and only a block it lies in.
        #[test]
        fn one_address_takes_at_most_one_block(prefix in 16u8..=28, offset in 0u32..65536) {
            let subnet = Ipv4Cidr::new(0x0A00_0000, prefix).unwrap();
            let size = subnet.size() as u32;
            let addr = 0x0A00_0000 + offset % size;
            let before = free_blocks(subnet, &Occupancy::default());
            let after = free_blocks(subnet, &Occupancy { addresses: vec![addr], ranges: vec![] });
            let block = u64::from(offset % size) / 16;
            let edge = block == 0 || block == total_blocks(subnet) - 1;
            prop_assert_eq!(before - after, if edge { 0 } else { 1 });
        }
    }
}
