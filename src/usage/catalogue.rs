//! Every metric a tick may publish, what it means and when it goes out: the one table the
//! manual's Metrics page is generated from (`tests/book.rs`), held to what [`datums`]
//! publishes by the tests below.
//!
//! [`datums`]: super::metrics::datums

use super::metrics::Unit;

/// One metric name and the series it goes out as.
#[derive(Clone, Copy, Debug)]
pub struct Metric {
    pub name: &'static str,
    pub unit: Unit,
    /// Each dimension set it is published with, and what turns that series on.
    pub series: &'static [(&'static str, &'static str)],
    pub meaning: &'static str,
}

const POOL: (&str, &str) = ("Pool", "every whole tick");
const SUBNETS: (&str, &str) = ("Pool,SubnetId", "`SubnetMetrics: true`");
const AZS: (&str, &str) = ("Pool,AvailabilityZoneId", "`AzMetrics: true`");
const PLAN: (&str, &str) = ("Pool", "with `Supernets`, every whole tick");
const PREFIXES: (&str, &str) = ("Pool", "with `Thresholds.MinFreePrefixes`");

const fn metric(
    name: &'static str,
    unit: Unit,
    series: &'static [(&'static str, &'static str)],
    meaning: &'static str,
) -> Metric {
    Metric {
        name,
        unit,
        series,
        meaning,
    }
}

pub const METRICS: &[Metric] = &[
    metric(
        "UsableAddresses",
        Unit::Count,
        &[POOL],
        "Addresses the pool's IPv4 subnets hold: 2^(32−prefix) − 5 each (AWS reserves the \
         first four and the last).",
    ),
    metric(
        "UsedAddresses",
        Unit::Count,
        &[POOL],
        "Usable less EC2's `AvailableIpAddressCount`, which already counts stopped instances \
         and `prefix` CIDR reservations as used.",
    ),
    metric(
        "FreeAddresses",
        Unit::Count,
        &[POOL, SUBNETS, AZS],
        "Usable less used: of the pool, of each subnet, of each Availability Zone ID.",
    ),
    metric(
        "Utilization",
        Unit::Percent,
        &[POOL, SUBNETS, AZS],
        "Used / usable: of the pool, of each subnet, of each Availability Zone ID.",
    ),
    metric(
        "MaxSubnetUtilization",
        Unit::Percent,
        &[POOL],
        "The fullest subnet's utilization: the hot spot a pool-wide figure hides.",
    ),
    metric(
        "MinSubnetFreeAddresses",
        Unit::Count,
        &[POOL],
        "The fewest free addresses of any subnet.",
    ),
    metric(
        "SubnetCount",
        Unit::Count,
        &[POOL],
        "IPv4 subnets in the pool (IPv6-only ones are listed in the report, not summed).",
    ),
    metric(
        "VpcAllocation",
        Unit::Percent,
        &[POOL],
        "The selected VPCs' IPv4 space (every CIDR block, overlaps once) that pool subnets \
         cover: how much room is left for new subnets.",
    ),
    metric(
        "FreePrefixes",
        Unit::Count,
        &[
            PREFIXES,
            ("Pool,SubnetId", "`SubnetMetrics` with prefix accounting"),
        ],
        "Free aligned /28 blocks, what prefix delegation needs: ENI addresses and prefixes \
         occupy them, and with `ExplicitReservations` so do `explicit` CIDR reservations; a \
         block holding a reserved address never counts.",
    ),
    metric(
        "MinAzFreeAddresses",
        Unit::Count,
        &[POOL],
        "The free addresses of the pool's smallest Availability Zone, by AZ ID (`use1-az1`: \
         AZ names differ between accounts). Pods only use their node's AZ.",
    ),
    metric(
        "MinAzFreePrefixes",
        Unit::Count,
        &[PREFIXES],
        "The free /28 blocks of the pool's smallest Availability Zone.",
    ),
    metric(
        "DetachedAddresses",
        Unit::Count,
        &[POOL],
        "Addresses held by detached ENIs (status `available`) in the pool's subnets: space to \
         reclaim.",
    ),
    metric(
        "DaysToExhaustion",
        Unit::None,
        &[("Pool", "while usage grows")],
        "Days until today's free addresses are used up, at the slope of a least-squares line \
         through the last 7 days of `UsedAddresses`; no datum when usage is flat or shrinking.",
    ),
    metric(
        "ScanErrors",
        Unit::Count,
        &[("Pool", "every tick")],
        "Account-regions that failed this tick. When it is above 0 no other pool figure goes \
         out: the threshold alarms keep their state and `-scan-errors` speaks.",
    ),
    metric(
        "Heartbeat",
        Unit::Count,
        &[("Pool", "every tick")],
        "1 per tick: `-stale` fires when it goes missing.",
    ),
    metric(
        "SupernetAllocation",
        Unit::Percent,
        &[PLAN],
        "The supernets' addresses inside the IPv4 blocks of every scanned VPC, each address \
         once (IPAM's \"percent assigned\").",
    ),
    metric(
        "SupernetFreeAddresses",
        Unit::Count,
        &[PLAN],
        "The supernets' addresses in no VPC block.",
    ),
    metric(
        "UnplannedVpcs",
        Unit::Count,
        &[PLAN],
        "Scanned VPCs with a CIDR block in no supernet (IPAM's \"noncompliant\"; default VPCs \
         count).",
    ),
    metric(
        "OverlappingVpcs",
        Unit::Count,
        &[PLAN],
        "VPCs in at least one connected overlapping pair: both on one transit gateway, joined \
         by an active peering, or the overlapping range routed by the VPC's gateway.",
    ),
    metric(
        "ClusterHeldAddresses",
        Unit::Count,
        &[("Pool,Cluster", "`ClusterMetrics: true`")],
        "The addresses an EKS cluster's VPC CNI holds in the pool (secondary addresses, and 16 \
         per /28 prefix, on its nodes' ENIs).",
    ),
    metric(
        "ClusterIdleAddresses",
        Unit::Count,
        &[("Pool,Cluster", "`ClusterMetrics: true`")],
        "Of those, the idle ones: idle now where cni-metrics-helper publishes \
         `assignIPAddresses`, else those held beyond its nodes' max-pods.",
    ),
];

impl Unit {
    /// CloudWatch's name for it.
    pub fn as_str(self) -> &'static str {
        match self {
            Unit::Count => "Count",
            Unit::Percent => "Percent",
            Unit::None => "None",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::usage::metrics::{CLUSTER_METRICS, PLAN_METRICS, POOL_METRICS, Series, datums};

    fn find(name: &str) -> &'static Metric {
        METRICS
            .iter()
            .find(|m| m.name == name)
            .unwrap_or_else(|| panic!("{name} is not in the catalogue"))
    }

    #[test]
    fn the_catalogue_names_exactly_the_metrics_published() {
        let mut named: Vec<&str> = POOL_METRICS
            .iter()
            .chain(&PLAN_METRICS)
            .chain(&CLUSTER_METRICS)
            .copied()
            .collect();
        let mut listed: Vec<&str> = METRICS.iter().map(|m| m.name).collect();
        named.sort_unstable();
        listed.sort_unstable();
        assert_eq!(named, listed);
    }

    #[test]
    fn every_datum_a_tick_publishes_has_its_unit_and_dimensions_here() {
        let mut report = crate::usage::report_of(3);
        report.totals.days_to_exhaustion = Some(12.0);
        report.totals.free_prefixes = Some(40);
        report.subnets[0].free_prefixes = Some(4);
        let all = Series {
            subnets: true,
            azs: true,
            clusters: true,
        };
        let published = datums(&report, all);
        assert!(published.len() > 15, "{}", published.len());
        for d in published {
            let m = find(d.name);
            assert_eq!(m.unit, d.unit, "{}", d.name);
            let dims = match (d.subnet_id, d.az, &d.cluster) {
                (Some(_), _, _) => "Pool,SubnetId",
                (_, Some(_), _) => "Pool,AvailabilityZoneId",
                (_, _, Some(_)) => "Pool,Cluster",
                _ => "Pool",
            };
            assert!(
                m.series.iter().any(|(set, _)| *set == dims),
                "{} goes out on {dims}",
                d.name
            );
        }
    }
}
