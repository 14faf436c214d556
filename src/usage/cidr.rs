//! IPv4 CIDR blocks: parsing (strict: no host bits), display and containment.

use std::fmt;
use std::net::Ipv4Addr;
use std::str::FromStr;

/// An IPv4 network: `base` has no bits set below the prefix.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ipv4Cidr {
    base: u32,
    prefix: u8,
}

/// Why a string is not an IPv4 CIDR block; the message says what would be.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CidrError {
    #[error("expected an IPv4 CIDR like 10.0.0.0/16")]
    Syntax,
    #[error("the prefix length must be from 0 to 32")]
    Prefix,
    #[error("host bits are set; did you mean {0}?")]
    HostBits(Ipv4Cidr),
}

impl Ipv4Cidr {
    pub fn new(base: u32, prefix: u8) -> Result<Self, CidrError> {
        if prefix > 32 {
            return Err(CidrError::Prefix);
        }
        let network = base & Self::mask(prefix);
        if network != base {
            return Err(CidrError::HostBits(Ipv4Cidr {
                base: network,
                prefix,
            }));
        }
        Ok(Ipv4Cidr { base, prefix })
    }

    fn mask(prefix: u8) -> u32 {
        if prefix == 0 {
            0
        } else {
            u32::MAX << (32 - u32::from(prefix))
        }
    }

    pub fn base(&self) -> u32 {
        self.base
    }

    pub fn prefix(&self) -> u8 {
        self.prefix
    }

    /// Every address in the block, reserved or not.
    pub fn size(&self) -> u64 {
        1u64 << (32 - u32::from(self.prefix))
    }

    /// Whether `other` lies wholly inside this block.
    pub fn contains(&self, other: &Ipv4Cidr) -> bool {
        other.prefix >= self.prefix && (other.base & Self::mask(self.prefix)) == self.base
    }

    /// Whether the two share an address: aligned blocks either nest or are apart.
    pub fn overlaps(&self, other: &Ipv4Cidr) -> bool {
        self.contains(other) || other.contains(self)
    }
}

impl FromStr for Ipv4Cidr {
    type Err = CidrError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (addr, prefix) = s.split_once('/').ok_or(CidrError::Syntax)?;
        let addr = Ipv4Addr::from_str(addr).map_err(|_| CidrError::Syntax)?;
        if prefix.is_empty() || prefix.len() > 2 || !prefix.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CidrError::Syntax);
        }
        let prefix: u8 = prefix.parse().map_err(|_| CidrError::Syntax)?;
        Ipv4Cidr::new(u32::from(addr), prefix)
    }
}

impl fmt::Display for Ipv4Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", Ipv4Addr::from(self.base), self.prefix)
    }
}

impl serde::Serialize for Ipv4Cidr {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_displays_networks() {
        let c: Ipv4Cidr = "10.1.0.0/16".parse().unwrap();
        assert_eq!(c.to_string(), "10.1.0.0/16");
        assert_eq!(c.size(), 65_536);
        assert_eq!("0.0.0.0/0".parse::<Ipv4Cidr>().unwrap().size(), 1 << 32);
    }

    #[test]
    fn rejects_host_bits_with_the_network_it_meant() {
        let err = "10.0.0.1/8".parse::<Ipv4Cidr>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "host bits are set; did you mean 10.0.0.0/8?"
        );
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "10.0.0/8",
            "10.0.0.0",
            "10.0.0.0/33",
            "10.0.0.0/-1",
            "x/8",
            "10.0.0.0/ 8",
        ] {
            assert!(bad.parse::<Ipv4Cidr>().is_err(), "{bad} parsed");
        }
    }

    #[test]
    fn containment() {
        let outer: Ipv4Cidr = "10.0.0.0/8".parse().unwrap();
        assert!(outer.contains(&"10.200.3.0/24".parse().unwrap()));
        assert!(outer.contains(&outer));
        assert!(!outer.contains(&"11.0.0.0/24".parse().unwrap()));
        assert!(!"10.0.0.0/24".parse::<Ipv4Cidr>().unwrap().contains(&outer));
    }
}
