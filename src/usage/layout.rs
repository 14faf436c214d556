//! Address space to scale (pure): where each aligned block of a VPC CIDR is drawn. A block's
//! rectangle splits in two along its longer side, the lower half of the addresses left (or
//! on top), so every aligned block is one rectangle, its area proportional to its address
//! count, nested inside the rectangles of the blocks that hold it: a /16 is a square, a /17
//! half of it, a /18 a quarter square, … a /28 a small square. The map (`crate::map`) draws
//! these rectangles; nothing here knows HTML.

use super::Ipv4Cidr;

/// Square pixels per address: a /16 (65,536 addresses) is 512 × 512, a /24 32 × 32, a /28
/// 8 × 8.
pub const AREA_PER_ADDRESS: f64 = 4.0;
/// Between two CIDR blocks of one VPC, side by side.
pub const GAP: f64 = 16.0;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rect {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
}

impl Rect {
    pub fn area(&self) -> f64 {
        self.w * self.h
    }

    /// Whether `other` lies inside this one (edges may touch).
    pub fn holds(&self, other: &Rect) -> bool {
        const EPS: f64 = 1e-9;
        other.x >= self.x - EPS
            && other.y >= self.y - EPS
            && other.x + other.w <= self.x + self.w + EPS
            && other.y + other.h <= self.y + self.h + EPS
    }

    /// Whether the two share any area (touching edges do not).
    pub fn overlaps(&self, other: &Rect) -> bool {
        const EPS: f64 = 1e-9;
        self.x + EPS < other.x + other.w
            && other.x + EPS < self.x + self.w
            && self.y + EPS < other.y + other.h
            && other.y + EPS < self.y + self.h
    }
}

/// A block's rectangle at the origin: a square for an even prefix, two squares side by
/// side for an odd one.
pub fn extent(block: Ipv4Cidr) -> Rect {
    let even = block.prefix().is_multiple_of(2);
    let squares = if even { 1.0 } else { 2.0 };
    let side = (block.size() as f64 * AREA_PER_ADDRESS / squares).sqrt();
    if even {
        Rect {
            x: 0.0,
            y: 0.0,
            w: side,
            h: side,
        }
    } else {
        Rect {
            x: 0.0,
            y: 0.0,
            w: 2.0 * side,
            h: side,
        }
    }
}

/// Where `inner` lies when `outer` is drawn at `at`; `None` unless `outer` holds it.
pub fn place(outer: Ipv4Cidr, at: Rect, inner: Ipv4Cidr) -> Option<Rect> {
    if !outer.contains(&inner) {
        return None;
    }
    let mut r = at;
    for bit in outer.prefix()..inner.prefix() {
        let upper = inner.base() >> (31 - u32::from(bit)) & 1 == 1;
        if r.w >= r.h {
            r.w /= 2.0;
            if upper {
                r.x += r.w;
            }
        } else {
            r.h /= 2.0;
            if upper {
                r.y += r.h;
            }
        }
    }
    Some(r)
}

/// One VPC's CIDR blocks laid out side by side, tops aligned: each block's rectangle.
pub fn blocks(cidrs: &[Ipv4Cidr]) -> Vec<(Ipv4Cidr, Rect)> {
    let mut x = 0.0;
    cidrs
        .iter()
        .map(|c| {
            let e = extent(*c);
            let r = Rect { x, ..e };
            x += e.w + GAP;
            (*c, r)
        })
        .collect()
}

/// Where a block inside one of the VPC's CIDR blocks is drawn (the first that holds it).
pub fn locate(blocks: &[(Ipv4Cidr, Rect)], block: Ipv4Cidr) -> Option<Rect> {
    blocks.iter().find_map(|(c, r)| place(*c, *r, block))
}

/// The whole drawing's size.
pub fn bounds(blocks: &[(Ipv4Cidr, Rect)]) -> (f64, f64) {
    blocks.iter().fold((0.0, 0.0), |(w, h), (_, r)| {
        (f64::max(w, r.x + r.w), f64::max(h, r.y + r.h))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::usage::room;
    use proptest::prelude::*;

    fn c(s: &str) -> Ipv4Cidr {
        s.parse().unwrap()
    }

    #[test]
    fn a_slash_16_is_a_square_and_its_halves_split_it() {
        let at = extent(c("10.0.0.0/16"));
        assert_eq!((at.w, at.h), (512.0, 512.0));
        let upper = place(c("10.0.0.0/16"), at, c("10.0.128.0/17")).unwrap();
        assert_eq!(
            upper,
            Rect {
                x: 256.0,
                y: 0.0,
                w: 256.0,
                h: 512.0
            }
        );
        let q = place(c("10.0.0.0/16"), at, c("10.0.64.0/18")).unwrap();
        assert_eq!(
            q,
            Rect {
                x: 0.0,
                y: 256.0,
                w: 256.0,
                h: 256.0
            }
        );
        let tiny = place(c("10.0.0.0/16"), at, c("10.0.0.0/28")).unwrap();
        assert_eq!((tiny.w, tiny.h), (8.0, 8.0));
        assert_eq!(place(c("10.0.0.0/16"), at, c("10.1.0.0/24")), None);
    }

    /// A VPC of one or two CIDR blocks with random subnets inside, as in room.rs's tests.
    fn layout() -> impl Strategy<Value = (Vec<Ipv4Cidr>, Vec<Ipv4Cidr>)> {
        (
            16u8..=24,
            proptest::collection::vec((0u32..4096, 0u8..=12), 0..40),
            any::<bool>(),
        )
            .prop_map(|(p, picks, second)| {
                let mut cidrs = vec![Ipv4Cidr::new(0x0A00_0000, p).unwrap()];
                if second {
                    cidrs.push(Ipv4Cidr::new(0x6440_0000, p).unwrap());
                }
                let mut subnets: Vec<Ipv4Cidr> = Vec::new();
                for (k, (at, extra)) in picks.into_iter().enumerate() {
                    let vpc = cidrs[k % cidrs.len()];
                    let size = (p + 4 + extra % 5).min(28);
                    let room = 1u32 << (size - p);
                    let s =
                        Ipv4Cidr::new(vpc.base() + (at % room) * (1 << (32 - size)), size).unwrap();
                    let clash = subnets.iter().any(|t| t.contains(&s) || s.contains(t));
                    if !clash {
                        subnets.push(s);
                    }
                }
                (cidrs, subnets)
            })
    }

    proptest! {
        #[test]
        fn subnets_and_free_blocks_tile_their_vpc_to_scale((cidrs, subnets) in layout()) {
            let placed = blocks(&cidrs);
            let free = room::free_blocks(&cidrs, &subnets);
            let mut drawn: Vec<(Ipv4Cidr, Rect)> = Vec::new();
            for b in subnets.iter().chain(free.iter()) {
                let r = locate(&placed, *b).expect("every block is drawn");
                // Area proportional to addresses.
                prop_assert!((r.area() - b.size() as f64 * AREA_PER_ADDRESS).abs() < 1e-6);
                // Inside its VPC block's rectangle.
                let (_, home) = placed.iter().find(|(c, _)| c.contains(b)).unwrap();
                prop_assert!(home.holds(&r));
                drawn.push((*b, r));
            }
            // Never overlapping; together they cover every VPC block exactly.
            for (i, (a, ra)) in drawn.iter().enumerate() {
                for (b, rb) in &drawn[i + 1..] {
                    prop_assert!(!ra.overlaps(rb), "{a} and {b} overlap");
                }
            }
            let total: f64 = drawn.iter().map(|(_, r)| r.area()).sum();
            let space: f64 = placed.iter().map(|(_, r)| r.area()).sum();
            prop_assert!((total - space).abs() < 1e-6);
            // The VPC's blocks side by side never overlap either.
            for (i, (_, a)) in placed.iter().enumerate() {
                for (_, b) in &placed[i + 1..] {
                    prop_assert!(!a.overlaps(b));
                }
            }
        }
    }
}
