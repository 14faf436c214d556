//! The schedule tick: discover → usage → metrics → report.

use serde_json::Value;

use crate::Error;
use crate::aws::Aws;
use crate::aws::discover::Progress;
use crate::event::Tick;
use crate::spec::{self, MonitorSpec};
use crate::usage::metrics;
use crate::usage::pool::{self, Report};

/// Scans the monitor's selection and computes its usage.
pub async fn scan(aws: &Aws, spec: &MonitorSpec, progress: Progress<'_>) -> Report {
    let prefix_accounting = spec.thresholds.min_free_prefixes.is_some();
    let snapshot = aws
        .discover(&spec.select, prefix_accounting, progress)
        .await;
    pool::compute(&spec.pool_name, &snapshot)
}

/// One tick: scan, publish the pool's metrics, return the report (for Lambda destinations).
pub async fn run(aws: &Aws, tick: &Tick) -> Result<Value, Error> {
    let spec = spec::parse(&tick.monitor)?;
    let report = scan(aws, &spec, &|_, _| {}).await;
    let data = metrics::datums(&report, spec.subnet_metrics);
    let calls = aws
        .put_metrics(&spec.namespace, &spec.pool_name, &data)
        .await?;
    tracing::info!(
        pool = %spec.pool_name,
        subnets = report.totals.subnet_count,
        utilization = report.totals.utilization,
        errors = report.errors.len(),
        datums = data.len(),
        calls,
        "tick published"
    );
    // Strings and numbers only: serializing cannot fail.
    Ok(serde_json::to_value(&report).unwrap_or_default())
}
