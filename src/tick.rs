//! The schedule tick: discover → usage → trend → metrics → report.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value;
use serde_json::value::RawValue;
use tokio::time::Instant;

use crate::Error;
use crate::aws::Aws;
use crate::aws::discover::Progress;
use crate::event::Tick;
use crate::spec::{self, AddressPlan, Depth, MonitorSpec};
use crate::usage::metrics;
use crate::usage::pool::{self, Report};
use crate::usage::supernet;
use crate::usage::trend::{self, WINDOW_DAYS};

/// Monitor `id`'s spec, from its schedule's input (the one place that holds it after
/// Create); `None` when it has no schedule.
pub async fn monitor_spec(
    aws: &Aws,
    schedule_group: &str,
    id: &str,
) -> Result<Option<MonitorSpec>, Error> {
    let Some(input) = aws.schedule_input(schedule_group, id).await? else {
        return Ok(None);
    };
    let tick: Value = serde_json::from_str(&input)
        .map_err(|e| Error::Event(format!("schedule {id}'s input is not JSON: {e}")))?;
    Ok(Some(spec::parse_tick(&tick["monitor"])?))
}

/// What a tick keeps of its period after the scan: the metrics still to publish, and room
/// before the next tick starts.
pub const PERIOD_MARGIN: Duration = Duration::from_secs(60);
/// What a tick keeps of its invocation after the scan, to publish and return.
pub const PUBLISH_MARGIN: Duration = Duration::from_secs(15);

/// When a scan of `spec` should end: a minute before its next tick (half its period when
/// that is a minute or less), and by the invocation's `deadline` less [`PUBLISH_MARGIN`]
/// when that comes first. The scan's pace is chosen from it.
pub fn scan_by(spec: &MonitorSpec, deadline: Option<Instant>) -> Instant {
    let period = Duration::from_secs(u64::from(spec.schedule.seconds()));
    let by = Instant::now() + period.saturating_sub(PERIOD_MARGIN).max(period / 2);
    match deadline {
        Some(d) => by.min(d.checked_sub(PUBLISH_MARGIN).unwrap_or(d)),
        None => by,
    }
}

/// Scans the monitor's selection and computes its usage, with the days to exhaustion from
/// the pool's published history (one GetMetricData). Shared by ticks, `cidrwatch report`
/// and notifications, at `depth` (a tick reads the holders only with `ClusterMetrics`:
/// otherwise it keeps to the floor of calls), paced to end `by` ([`scan_by`]).
pub async fn scan(
    aws: &Aws,
    spec: &MonitorSpec,
    depth: Depth,
    by: Instant,
    progress: Progress<'_>,
) -> Report {
    let depth = if spec.cluster_metrics {
        Depth::Holders
    } else {
        depth
    };
    let plan = (!spec.supernets.is_empty()).then_some(AddressPlan {
        avoid_prefix_lists: &spec.avoid_prefix_lists,
    });
    let mut snapshot = aws
        .discover(&spec.select, spec.accounting(), depth, plan, by, progress)
        .await;
    let network = snapshot.network.take();
    let mut report = pool::report(&spec.pool_name, snapshot);
    report.plan = network.as_ref().map(|n| supernet::plan(&spec.supernets, n));
    // A partial scan's totals would bend the trend: only a whole one gets an estimate.
    if report.errors.is_empty() && report.totals.subnet_count > 0 {
        report.totals.days_to_exhaustion = days_to_exhaustion(aws, spec, &report).await;
    }
    report
}

async fn days_to_exhaustion(aws: &Aws, spec: &MonitorSpec, report: &Report) -> Option<f64> {
    let history = aws
        .history(
            &spec.namespace,
            &spec.pool_name,
            "UsedAddresses",
            spec.schedule.seconds(),
            WINDOW_DAYS,
        )
        .await;
    match history {
        Ok(mut points) => {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default()
                .as_secs_f64();
            points.push((now, report.totals.used as f64));
            trend::days_to_exhaustion(&points, report.totals.free)
        }
        Err(e) => {
            tracing::warn!(error = %e, "no usage history: DaysToExhaustion skipped this tick");
            None
        }
    }
}

/// Publishes a report's datums (see [`metrics::datums`]).
pub async fn publish(aws: &Aws, spec: &MonitorSpec, report: &Report) -> Result<(), Error> {
    let data = metrics::datums(report, spec.series());
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
        "usage published"
    );
    Ok(())
}

/// A tick's result goes on through Lambda destinations, in an invocation record beside the
/// request: SNS and EventBridge take at most 256 KiB a message, and Lambda drops the payload
/// of a record past its destination's limit. So the result keeps to that, less the record's
/// own fields and the request ([`result_budget`]): a large pool's whole report would reach
/// no destination at all. Lambda's own response limit, 6 MB (past it an asynchronous
/// invocation errors and is retried, publishing twice), is then far off.
pub const RESULT_BYTES_MAX: usize = 262_144 - RECORD_FIELDS_BYTES;

/// The invocation record's fields besides the request and the result (version, timestamp,
/// requestContext with the function's ARN, responseContext), with room to spare.
const RECORD_FIELDS_BYTES: usize = 2_048;

/// [`RESULT_BYTES_MAX`] less the request (the schedule's input) that the record carries too.
pub fn result_budget(tick: &Tick) -> usize {
    // The tick's own fields beside its monitor: `cidrwatch`, `v` and its id.
    let fields = 64 + tick.id.as_ref().map_or(0, String::len);
    let monitor = serde_json::to_string(&tick.monitor).map_or(0, |m| m.len());
    RESULT_BYTES_MAX.saturating_sub(fields + monitor)
}

/// One tick, by the invocation's `deadline`: scan, publish the pool's metrics, return the
/// report as JSON text (for Lambda destinations): whole when it fits [`result_budget`], else
/// the totals, the fullest subnets and counts of what was left out.
pub async fn run(aws: &Aws, tick: &Tick, deadline: Instant) -> Result<Box<RawValue>, Error> {
    let spec = spec::parse_tick(&tick.monitor)?;
    let by = scan_by(&spec, Some(deadline));
    let report = scan(aws, &spec, Depth::Counts, by, &|_, _, _| {}).await;
    publish(aws, &spec, &report).await?;
    // Straight to text, whole or bounded: as a tree of values the report was the largest
    // thing a tick of 10,000 subnets held.
    let (result, omitted) = report.bounded_text(result_budget(tick));
    if omitted.any() {
        tracing::warn!(?omitted, "the tick's result keeps the fullest subnets only");
    }
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A large monitor's request and a 10,000-subnet pool's answer go on together in one
    /// destination record, within SNS's and EventBridge's 256 KiB, keeping the fullest subnets.
    #[test]
    fn a_large_pools_answer_fits_a_destination_record_with_its_request() {
        let vpcs: Vec<String> = (0..2_000).map(|i| format!("vpc-{i:017x}")).collect();
        let tick = Tick {
            id: Some("cidrwatch-big-0123456789abcdef".into()),
            monitor: serde_json::json!({"PoolName": "big", "Select": {"VpcIds": vpcs}}),
        };
        let request = serde_json::json!({"cidrwatch": "tick", "v": 1, "id": tick.id, "monitor": tick.monitor});
        let request = serde_json::to_string(&request).unwrap().len();
        assert!(request > 40_000, "{request} bytes");

        let report = crate::usage::report_of(10_000);
        let (text, omitted) = report.bounded_text(result_budget(&tick));
        let record = RECORD_FIELDS_BYTES + request + text.get().len();
        assert!(record <= 262_144, "{record} bytes");
        assert!(omitted.subnets > 8_000, "{omitted:?}");
        let v: Value = serde_json::from_str(text.get()).unwrap();
        assert_eq!(v["subnets"][0]["subnet_id"], report.subnets[0].subnet_id);
        assert_eq!(v["totals"]["subnet_count"], 10_000);

        // A small pool's answer is whole.
        let (text, omitted) = crate::usage::report_of(300).bounded_text(result_budget(&tick));
        assert!(!omitted.any());
        assert_eq!(
            serde_json::from_str::<Value>(text.get()).unwrap()["subnets"]
                .as_array()
                .unwrap()
                .len(),
            300
        );
    }
}
