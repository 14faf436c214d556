//! Address space by brute force, straight from the definitions, for tests to hold
//! cidrwatch's block arithmetic to: blocks as (base, prefix).

pub fn parse(c: &str) -> (u64, u8) {
    let (a, p) = c.split_once('/').unwrap();
    let a: std::net::Ipv4Addr = a.parse().unwrap();
    (u64::from(u32::from(a)), p.parse().unwrap())
}

pub fn overlaps((a, p): (u64, u8), (b, q): (u64, u8)) -> bool {
    let (ae, be) = (a + (1 << (32 - p)), b + (1 << (32 - q)));
    a < be && b < ae
}

pub fn inside((a, p): (u64, u8), (b, q): (u64, u8)) -> bool {
    p >= q && a >= b && a + (1 << (32 - p)) <= b + (1 << (32 - q))
}

/// Every aligned /`n` block inside a VPC CIDR that overlaps no subnet: by definition, block
/// by block.
pub fn free_of_size(vpc: &[(u64, u8)], subnets: &[(u64, u8)], n: u8) -> Vec<(u64, u8)> {
    let step = 1u64 << (32 - n);
    let mut out = Vec::new();
    for &(base, p) in vpc {
        if p > n {
            continue;
        }
        let mut at = base;
        while at < base + (1 << (32 - p)) {
            if subnets.iter().all(|s| !overlaps(*s, (at, n))) {
                out.push((at, n));
            }
            at += step;
        }
    }
    out
}

pub fn show((a, p): (u64, u8)) -> String {
    format!("{}/{p}", std::net::Ipv4Addr::from(a as u32))
}

/// The unallocated blocks of `space` around `taken`: the free aligned blocks no larger free
/// aligned block holds, largest first, then by address.
pub fn maximal_free(space: &[(u64, u8)], taken: &[(u64, u8)]) -> Vec<String> {
    let all_free: Vec<(u64, u8)> = (0..=28u8)
        .flat_map(|n| free_of_size(space, taken, n))
        .collect();
    let mut maximal: Vec<(u64, u8)> = all_free
        .iter()
        .filter(|b| !all_free.iter().any(|o| o != *b && inside(**b, *o)))
        .copied()
        .collect();
    maximal.sort_by_key(|&(a, p)| (p, a));
    maximal.into_iter().map(show).collect()
}
