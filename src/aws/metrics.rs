//! Publishing metric datums: ⌈datums/1000⌉ `PutMetricData` calls, each under 1 MB.

use std::time::SystemTime;

use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types::{
    Dimension, Metric, MetricDataQuery, MetricDatum, MetricStat, ScanBy, StandardUnit,
};

use super::{Aws, sdk_error};
use crate::Error;
use crate::usage::metrics::{Datum, Unit};

/// CloudWatch's limits per PutMetricData call, with room to spare on size.
const MAX_DATUMS: usize = 1000;
const MAX_BYTES: usize = 900_000;

/// Splits datums into batches within both limits (pure; exposed for tests).
pub fn batches(data: &[Datum<'_>], pool: &str) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (i, d) in data.iter().enumerate() {
        // A generous upper bound on one datum's encoded size.
        let size = 96
            + d.name.len()
            + pool.len()
            + d.subnet_id.map_or(0, str::len)
            + d.az.map_or(0, |a| a.len() + 24)
            + d.cluster.as_ref().map_or(0, |c| c.len() + 16);
        if i > start && (i - start == MAX_DATUMS || bytes + size > MAX_BYTES) {
            out.push(start..i);
            start = i;
            bytes = 0;
        }
        bytes += size;
    }
    if start < data.len() {
        out.push(start..data.len());
    }
    out
}

impl Aws {
    /// Puts the datums under `namespace`, dimension `Pool=pool`, all stamped now. Returns
    /// the number of calls made.
    pub async fn put_metrics(
        &self,
        namespace: &str,
        pool: &str,
        data: &[Datum<'_>],
    ) -> Result<usize, Error> {
        let now = DateTime::from(SystemTime::now());
        let pool_dim = Dimension::builder().name("Pool").value(pool).build();
        let ranges = batches(data, pool);
        for range in &ranges {
            let datums = data[range.clone()]
                .iter()
                .map(|d| {
                    let mut b = MetricDatum::builder()
                        .metric_name(d.name)
                        .dimensions(pool_dim.clone())
                        .value(d.value)
                        .timestamp(now)
                        .unit(match d.unit {
                            Unit::Count => StandardUnit::Count,
                            Unit::Percent => StandardUnit::Percent,
                            Unit::None => StandardUnit::None,
                        });
                    if let Some(id) = d.subnet_id {
                        b = b.dimensions(Dimension::builder().name("SubnetId").value(id).build());
                    }
                    if let Some(c) = &d.cluster {
                        b = b.dimensions(Dimension::builder().name("Cluster").value(&**c).build());
                    }
                    if let Some(az) = d.az {
                        b = b.dimensions(
                            Dimension::builder()
                                .name("AvailabilityZoneId")
                                .value(az)
                                .build(),
                        );
                    }
                    b.build()
                })
                .collect();
            self.cloudwatch
                .put_metric_data()
                .namespace(namespace)
                .set_metric_data(Some(datums))
                .send()
                .await
                .map_err(|e| sdk_error("cloudwatch:PutMetricData", e))?;
        }
        Ok(ranges.len())
    }
}

/// One series (`namespace`, `metric`, one dimension) at `period_seconds` (at least a
/// minute), as a GetMetricData query.
pub(super) fn metric_query(
    id: &str,
    (namespace, metric): (&str, &str),
    (dimension, value): (&str, &str),
    period_seconds: u32,
    stat: &str,
) -> MetricDataQuery {
    MetricDataQuery::builder()
        .id(id)
        .metric_stat(
            MetricStat::builder()
                .metric(
                    Metric::builder()
                        .namespace(namespace)
                        .metric_name(metric)
                        .dimensions(Dimension::builder().name(dimension).value(value).build())
                        .build(),
                )
                .period(period_seconds.max(60) as i32)
                .stat(stat)
                .build(),
        )
        .build()
}

/// One pool series (dimension `Pool`), as a GetMetricData query.
fn pool_query(
    id: &str,
    namespace: &str,
    pool: &str,
    metric: &str,
    period_seconds: u32,
    stat: &str,
) -> MetricDataQuery {
    metric_query(
        id,
        (namespace, metric),
        ("Pool", pool),
        period_seconds,
        stat,
    )
}

impl Aws {
    /// Whether CloudWatch serves any datum of a pool series within the last `range`, read
    /// as an alarm on it reads (`period_seconds` buckets ending now): one GetMetricData.
    pub async fn readable(
        &self,
        namespace: &str,
        pool: &str,
        metric: &str,
        period_seconds: u32,
        range: std::time::Duration,
    ) -> Result<bool, Error> {
        let now = SystemTime::now();
        let query = pool_query(
            "readable",
            namespace,
            pool,
            metric,
            period_seconds,
            "SampleCount",
        );
        let out = self
            .cloudwatch
            .get_metric_data()
            .metric_data_queries(query)
            .start_time(DateTime::from(now - range))
            .end_time(DateTime::from(now))
            .send()
            .await
            .map_err(|e| sdk_error("cloudwatch:GetMetricData", e))?;
        Ok(out
            .metric_data_results()
            .iter()
            .any(|r| !r.values().is_empty()))
    }

    /// A pool metric's values over the last `days`, oldest first, as (unix seconds, value):
    /// one GetMetricData.
    pub async fn history(
        &self,
        namespace: &str,
        pool: &str,
        metric: &str,
        period_seconds: u32,
        days: u64,
    ) -> Result<Vec<(f64, f64)>, Error> {
        let now = SystemTime::now();
        let start = now - std::time::Duration::from_secs(days * 86_400);
        let query = pool_query(
            "history",
            namespace,
            pool,
            metric,
            period_seconds,
            "Maximum",
        );
        let mut pages = self
            .cloudwatch
            .get_metric_data()
            .metric_data_queries(query)
            .start_time(DateTime::from(start))
            .end_time(DateTime::from(now))
            .scan_by(ScanBy::TimestampAscending)
            .into_paginator()
            .send();
        let mut points = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| sdk_error("cloudwatch:GetMetricData", e))?;
            for result in page.metric_data_results() {
                for (t, v) in result.timestamps().iter().zip(result.values()) {
                    points.push((t.as_secs_f64(), *v));
                }
            }
        }
        points.sort_by(|a, b| a.0.total_cmp(&b.0));
        Ok(points)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn datum(id: &str) -> Datum<'_> {
        Datum {
            name: "Utilization",
            subnet_id: Some(id),
            value: 1.0,
            unit: Unit::Percent,
            ..Datum::default()
        }
    }

    #[test]
    fn batches_hold_at_most_1000_and_cover_everything_once() {
        for n in [0usize, 1, 999, 1000, 1001, 2500] {
            let ids: Vec<String> = (0..n).map(|i| format!("subnet-{i:017x}")).collect();
            let data: Vec<Datum> = ids.iter().map(|id| datum(id)).collect();
            let b = batches(&data, "pool");
            assert_eq!(b.len(), n.div_ceil(1000), "{n}");
            assert!(b.iter().all(|r| r.len() <= 1000));
            assert_eq!(b.iter().map(|r| r.len()).sum::<usize>(), n);
        }
    }
}
