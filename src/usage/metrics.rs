//! The metric datums a report publishes (pure). Dimension `Pool`; with `SubnetMetrics` also
//! `Pool,SubnetId` series for utilization, free addresses and free /28s; with `AzMetrics`
//! `Pool,AvailabilityZoneId`; with `ClusterMetrics` `Pool,Cluster`.

use std::borrow::Cow;

use super::pool::Report;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Unit {
    #[default]
    Count,
    Percent,
    /// Days have no CloudWatch unit.
    None,
}

/// Every pool-level metric a tick may publish: what a metric stream includes.
pub const POOL_METRICS: [&str; 15] = [
    "UsableAddresses",
    "UsedAddresses",
    "FreeAddresses",
    "Utilization",
    "MaxSubnetUtilization",
    "MinSubnetFreeAddresses",
    "SubnetCount",
    "VpcAllocation",
    "FreePrefixes",
    "MinAzFreeAddresses",
    "MinAzFreePrefixes",
    "DetachedAddresses",
    "DaysToExhaustion",
    "ScanErrors",
    "Heartbeat",
];

/// The address plan's metrics (`Supernets`), dimension `Pool`.
pub const PLAN_METRICS: [&str; 4] = [
    "SupernetAllocation",
    "SupernetFreeAddresses",
    "UnplannedVpcs",
    "OverlappingVpcs",
];

/// Per-cluster metrics (`ClusterMetrics`), dimensions `Pool,Cluster`.
pub const CLUSTER_METRICS: [&str; 2] = ["ClusterHeldAddresses", "ClusterIdleAddresses"];

/// Which optional series a tick publishes: the monitor's `SubnetMetrics`, `AzMetrics` and
/// `ClusterMetrics`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Series {
    pub subnets: bool,
    pub azs: bool,
    pub clusters: bool,
}

/// One value to publish. Its dimension values borrow the report's strings: a tick of 10,000
/// subnets publishes 20,000 per-subnet datums, and the SDK copies each value again.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Datum<'r> {
    pub name: &'static str,
    /// `Some`: a per-subnet series (`Pool,SubnetId`).
    pub subnet_id: Option<&'r str>,
    /// `Some`: a per-AZ series (`Pool,AvailabilityZoneId`).
    pub az: Option<&'r str>,
    /// `Some`: a per-cluster series (`Pool,Cluster`).
    pub cluster: Option<Cow<'r, str>>,
    pub value: f64,
    pub unit: Unit,
}

fn pool(name: &'static str, value: f64, unit: Unit) -> Datum<'static> {
    Datum {
        name,
        value,
        unit,
        ..Datum::default()
    }
}

/// Everything one tick publishes.
///
/// Only whole truths reach the alarms: when any account-region failed, a pool sum would be
/// short (firing a free-addresses alarm falsely) and a pool maximum low (clearing a
/// utilization alarm falsely), so no pool figure goes out but `ScanErrors` and `Heartbeat`;
/// the threshold alarms see missing data and keep their state, `-scan-errors` speaks, and the
/// trend never reads a partial tick. Per-subnet series are true for the subnets scanned.
pub fn datums(report: &Report, series: Series) -> Vec<Datum<'_>> {
    let t = &report.totals;
    let errors = report.errors.len() as f64;
    let mut out = vec![
        pool("ScanErrors", errors, Unit::Count),
        pool("Heartbeat", 1.0, Unit::Count),
    ];
    if report.errors.is_empty() {
        out.extend([
            pool("UsableAddresses", t.usable as f64, Unit::Count),
            pool("UsedAddresses", t.used as f64, Unit::Count),
            pool("FreeAddresses", t.free as f64, Unit::Count),
            pool("Utilization", t.utilization, Unit::Percent),
            pool(
                "MaxSubnetUtilization",
                t.max_subnet_utilization,
                Unit::Percent,
            ),
            pool("SubnetCount", t.subnet_count as f64, Unit::Count),
            pool(
                "DetachedAddresses",
                t.detached_addresses as f64,
                Unit::Count,
            ),
        ]);
        if let Some(min) = t.min_subnet_free {
            out.push(pool("MinSubnetFreeAddresses", min as f64, Unit::Count));
        }
        if let Some(a) = t.vpc_allocation {
            out.push(pool("VpcAllocation", a, Unit::Percent));
        }
        if let Some(f) = t.free_prefixes {
            out.push(pool("FreePrefixes", f as f64, Unit::Count));
        }
        if let Some(d) = t.days_to_exhaustion {
            out.push(pool("DaysToExhaustion", d, Unit::None));
        }
        if let Some(f) = t.min_az_free {
            out.push(pool("MinAzFreeAddresses", f as f64, Unit::Count));
        }
        if let Some(f) = t.min_az_free_prefixes {
            out.push(pool("MinAzFreePrefixes", f as f64, Unit::Count));
        }
        // An AZ's sum is a pool figure too: only whole scans publish it.
        if series.azs {
            for a in &report.azs {
                let datum = |name, value, unit| Datum {
                    name,
                    az: Some(a.availability_zone_id.as_str()),
                    value,
                    unit,
                    ..Datum::default()
                };
                out.push(datum("FreeAddresses", a.free as f64, Unit::Count));
                out.push(datum("Utilization", a.utilization, Unit::Percent));
            }
        }
        // The plan's figures cover every scanned VPC: a failed account-region would hide some.
        if let Some(p) = &report.plan {
            let [allocation, free, unplanned, overlapping] = PLAN_METRICS;
            out.extend([
                pool(allocation, p.allocation, Unit::Percent),
                pool(free, p.free as f64, Unit::Count),
                pool(unplanned, p.unplanned_vpcs as f64, Unit::Count),
                pool(overlapping, p.overlapping_vpcs as f64, Unit::Count),
            ]);
        }
        // A cluster's hold is a sum over the pool's subnets: whole scans only too.
        if series.clusters {
            out.extend(cluster_datums(report));
        }
    }
    if series.subnets {
        for s in &report.subnets {
            let datum = |name, value, unit| Datum {
                name,
                subnet_id: Some(s.subnet_id.as_str()),
                value,
                unit,
                ..Datum::default()
            };
            out.push(datum("Utilization", s.utilization, Unit::Percent));
            out.push(datum("FreeAddresses", s.free as f64, Unit::Count));
            if let Some(f) = s.free_prefixes {
                out.push(datum("FreePrefixes", f as f64, Unit::Count));
            }
        }
    }
    out.retain(|d| d.value.is_finite());
    out
}

/// `ClusterHeldAddresses` and `ClusterIdleAddresses` (idle now where cni-metrics-helper gives
/// it, else certainly idle) per cluster. The `Cluster` dimension is the cluster's name, or
/// `account/region/name` when two clusters of the pool share a name.
fn cluster_datums(report: &Report) -> Vec<Datum<'_>> {
    let mut out = Vec::new();
    for c in &report.clusters {
        let shared = report.clusters.iter().filter(|o| o.name == c.name).count() > 1;
        let key: Cow<'_, str> = if shared {
            format!("{}/{}/{}", c.account, c.region, c.name).into()
        } else {
            c.name.as_str().into()
        };
        for (name, value) in [(CLUSTER_METRICS[0], c.held), (CLUSTER_METRICS[1], c.idle())] {
            out.push(Datum {
                name,
                cluster: Some(key.clone()),
                value: value as f64,
                unit: Unit::Count,
                ..Datum::default()
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::usage::{Snapshot, pool};

    #[test]
    fn every_published_pool_metric_is_in_the_stream_list() {
        let mut report = pool::report_of_copy(
            "p",
            &Snapshot {
                scanned: 1,
                prefix_accounting: true,
                ..Snapshot::default()
            },
        );
        report.totals.min_subnet_free = Some(1);
        report.totals.vpc_allocation = Some(1.0);
        report.totals.days_to_exhaustion = Some(1.0);
        report.totals.min_az_free = Some(1);
        report.totals.min_az_free_prefixes = Some(1);
        let names: Vec<&str> = datums(&report, Series::default())
            .iter()
            .map(|d| d.name)
            .collect();
        assert_eq!(names.len(), POOL_METRICS.len());
        assert!(names.iter().all(|n| POOL_METRICS.contains(n)), "{names:?}");
        report.plan = Some(crate::usage::supernet::plan(
            &["10.0.0.0/8".parse().unwrap()],
            &Default::default(),
        ));
        let planned: Vec<&str> = datums(&report, Series::default())
            .iter()
            .map(|d| d.name)
            .filter(|n| !POOL_METRICS.contains(n))
            .collect();
        assert_eq!(planned, PLAN_METRICS);
    }

    #[test]
    fn a_partial_scan_withholds_every_pool_figure_but_errors_and_heartbeat() {
        let mut subnet = crate::usage::SubnetInfo {
            account: "111111111111".into(),
            region: "us-east-1".into(),
            vpc_id: "vpc-1".into(),
            subnet_id: "subnet-1".into(),
            availability_zone: "us-east-1a".into(),
            availability_zone_id: "use1-az1".into(),
            cidr: Some("10.0.0.0/24".parse().unwrap()),
            available: 200,
            occupancy: None,
            ..Default::default()
        };
        subnet.available = 100;
        let mut report = pool::report_of_copy(
            "p",
            &Snapshot {
                subnets: vec![subnet],
                scanned: 2,
                errors: vec![crate::usage::ScanError::new(
                    "222222222222".into(),
                    "us-east-1".into(),
                    &crate::Error::aws("sts:AssumeRole", "AccessDenied"),
                )],
                ..Snapshot::default()
            },
        );
        // The address plan's figures cover every scanned VPC: withheld too.
        report.plan = Some(crate::usage::supernet::plan(
            &["10.0.0.0/8".parse().unwrap()],
            &Default::default(),
        ));
        let data = datums(
            &report,
            Series {
                subnets: true,
                azs: true,
                clusters: true,
            },
        );
        let pool_level: Vec<(&str, f64)> = data
            .iter()
            .filter(|d| d.subnet_id.is_none())
            .map(|d| (d.name, d.value))
            .collect();
        assert_eq!(pool_level, [("ScanErrors", 1.0), ("Heartbeat", 1.0)]);
        let per_subnet: Vec<(&str, f64)> = data
            .iter()
            .filter(|d| d.subnet_id.is_some())
            .map(|d| (d.name, d.value))
            .collect();
        assert_eq!(
            per_subnet,
            [
                ("Utilization", 151.0 * 100.0 / 251.0),
                ("FreeAddresses", 100.0)
            ]
        );
    }
}
