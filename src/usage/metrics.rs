//! The metric datums a report publishes (pure). Dimension `Pool`; with `SubnetMetrics` also
//! `Pool,SubnetId` series for utilization, free addresses and free /28s.

use super::pool::Report;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    Count,
    Percent,
    /// Days have no CloudWatch unit.
    None,
}

/// Every pool-level metric a tick may publish: what a metric stream includes.
pub const POOL_METRICS: [&str; 12] = [
    "UsableAddresses",
    "UsedAddresses",
    "FreeAddresses",
    "Utilization",
    "MaxSubnetUtilization",
    "MinSubnetFreeAddresses",
    "SubnetCount",
    "VpcAllocation",
    "FreePrefixes",
    "DaysToExhaustion",
    "ScanErrors",
    "Heartbeat",
];

#[derive(Clone, Debug, PartialEq)]
pub struct Datum {
    pub name: &'static str,
    /// `Some`: a per-subnet series (`Pool,SubnetId`).
    pub subnet_id: Option<String>,
    pub value: f64,
    pub unit: Unit,
}

fn pool(name: &'static str, value: f64, unit: Unit) -> Datum {
    Datum {
        name,
        subnet_id: None,
        value,
        unit,
    }
}

/// Everything one tick publishes. When no account-region could be scanned there is nothing
/// true to say about the pool: only `ScanErrors` goes out, and the missing `Heartbeat` lets
/// the stale alarm speak.
pub fn datums(report: &Report, subnet_metrics: bool) -> Vec<Datum> {
    let t = &report.totals;
    let errors = report.errors.len() as f64;
    if report.scanned > 0 && report.errors.len() == report.scanned {
        return vec![pool("ScanErrors", errors, Unit::Count)];
    }
    let mut out = vec![
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
        pool("ScanErrors", errors, Unit::Count),
        pool("Heartbeat", 1.0, Unit::Count),
    ];
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
    if subnet_metrics {
        for s in &report.subnets {
            let series = |name, value, unit| Datum {
                name,
                subnet_id: Some(s.subnet_id.clone()),
                value,
                unit,
            };
            out.push(series("Utilization", s.utilization, Unit::Percent));
            out.push(series("FreeAddresses", s.free as f64, Unit::Count));
            if let Some(f) = s.free_prefixes {
                out.push(series("FreePrefixes", f as f64, Unit::Count));
            }
        }
    }
    out.retain(|d| d.value.is_finite());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::usage::{Snapshot, pool};

    #[test]
    fn every_published_pool_metric_is_in_the_stream_list() {
        let mut report = pool::compute(
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
        let names: Vec<&str> = datums(&report, false).iter().map(|d| d.name).collect();
        assert_eq!(names.len(), POOL_METRICS.len());
        assert!(names.iter().all(|n| POOL_METRICS.contains(n)), "{names:?}");
    }
}
