//! Pure address arithmetic: CIDR blocks now; pool usage from a snapshot comes with the usage
//! engine. Nothing here performs I/O.

pub mod cidr;

pub use cidr::Ipv4Cidr;
