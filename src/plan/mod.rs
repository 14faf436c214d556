//! A validated spec → the monitor's id and the AWS resources it implies (pure).
//!
//! The id is the CloudFormation PhysicalResourceId and the stem of every resource name:
//! `cidrwatch-<pool>-<8 hex>`. Its function is part of the persisted contract: change it and
//! every later Update of an existing stack becomes a replacement.
//!
//! Two corrections to a literal reading of the product contract, both so that names stay valid and a
//! replacement never collides with the resource it replaces:
//! - the hash covers StackId, LogicalResourceId, PoolName *and* Namespace. A Namespace change
//!   is a replacement; were the id the same, the old id's Delete would remove the new alarms.
//! - the pool part is the PoolName with `.` turned into `-` and cut to 45 characters, because
//!   schedule names hold at most 64 characters and dashboard and metric-stream names no dots.
//!   The hash keeps ids distinct when two pool names map to the same part.

use sha2::{Digest, Sha256};

use serde_json::{Value, json};

mod meaning;

pub use meaning::*;

use crate::spec::{MonitorSpec, Notify};
use crate::usage::metrics::{CLUSTER_METRICS, Datum, PLAN_METRICS, POOL_METRICS};

const ID_PREFIX: &str = "cidrwatch-";
const POOL_PART_MAX: usize = 45;
/// The tag every resource of a monitor carries, valued with its id.
pub const MONITOR_TAG: &str = "cidrwatch:monitor";

/// The monitor id for a resource of a stack. Deterministic: a re-delivered Create, and a
/// FAILED Create's rollback Delete, name the same resources.
pub fn monitor_id(stack_id: &str, logical_id: &str, pool_name: &str, namespace: &str) -> String {
    let mut h = Sha256::new();
    for part in [stack_id, logical_id, pool_name, namespace] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    let digest = h.finalize();
    let hex: String = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
    let pool: String = pool_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '-'
            }
        })
        .take(POOL_PART_MAX)
        .collect();
    let pool = if pool.is_empty() {
        "pool".to_string()
    } else {
        pool
    };
    format!("{ID_PREFIX}{pool}-{hex}")
}

/// Whether `id` has the shape of a monitor id; Delete of anything else is a no-op.
pub fn is_monitor_id(id: &str) -> bool {
    let Some(rest) = id.strip_prefix(ID_PREFIX) else {
        return false;
    };
    let Some((pool, hex)) = rest.rsplit_once('-') else {
        return false;
    };
    id.len() <= 64
        && !pool.is_empty()
        && pool
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        && hex.len() == 8
        && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// One alarm, as it should exist.
#[derive(Clone, Debug, PartialEq)]
pub struct AlarmDef {
    pub kind: AlarmKind,
    pub name: String,
    pub description: String,
    pub namespace: String,
    pub metric_name: &'static str,
    /// `Pool = <PoolName>`.
    pub pool: String,
    pub statistic: Statistic,
    pub period_seconds: u32,
    pub evaluation_periods: u32,
    pub threshold: f64,
    pub comparison: Comparison,
    pub missing_data: MissingData,
    /// Alarm and OK actions alike: the topics (native) or the function (detailed).
    pub actions: Vec<String>,
    pub tags: Vec<(String, String)>,
}

/// The schedule that feeds the monitor's alarms.
#[derive(Clone, Debug, PartialEq)]
pub struct ScheduleDef {
    pub name: String,
    pub group: String,
    pub expression: String,
    pub period_seconds: u32,
    pub target_arn: String,
    pub role_arn: String,
    pub input: String,
    pub description: String,
}

/// Where the monitor's alarms and schedule point: this provider's deployment.
#[derive(Clone, Debug, PartialEq)]
pub struct Target {
    pub function_arn: String,
    pub scheduler_role_arn: String,
    pub schedule_group: String,
}

/// Everything one monitor consists of.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    pub id: String,
    pub alarms: Vec<AlarmDef>,
    pub schedule: ScheduleDef,
}

/// The monitor's dashboard.
#[derive(Clone, Debug, PartialEq)]
pub struct DashboardDef {
    pub name: String,
    pub body: String,
}

/// The monitor's metric stream: its namespace's pool metrics to a Firehose.
#[derive(Clone, Debug, PartialEq)]
pub struct StreamDef {
    pub name: String,
    pub firehose_arn: String,
    pub role_arn: String,
    pub output_format: String,
    pub namespace: String,
    pub metric_names: Vec<String>,
    pub tags: Vec<(String, String)>,
}

/// The tags every resource of monitor `id` carries: the user's, and ours.
pub fn tags(id: &str, spec: &MonitorSpec) -> Vec<(String, String)> {
    let mut tags: Vec<(String, String)> = spec
        .tags
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    tags.push((MONITOR_TAG.to_string(), id.to_string()));
    tags
}

pub fn stream(id: &str, spec: &MonitorSpec) -> Option<StreamDef> {
    let s = spec.metric_stream.as_ref()?;
    Some(StreamDef {
        name: id.to_string(),
        firehose_arn: s.firehose_arn.clone(),
        role_arn: s.role_arn.clone(),
        output_format: s.output_format.clone(),
        namespace: spec.namespace.clone(),
        metric_names: POOL_METRICS
            .iter()
            .chain(
                spec.cluster_metrics
                    .then_some(&CLUSTER_METRICS[..])
                    .into_iter()
                    .chain((!spec.supernets.is_empty()).then_some(&PLAN_METRICS[..]))
                    .flatten(),
            )
            .map(|m| m.to_string())
            .collect(),
        tags: tags(id, spec),
    })
}

/// The dashboard for monitor `id`: utilization against its thresholds, free addresses, free
/// /28s when counted, days to exhaustion, the ten fullest subnets (a Metrics Insights query
/// over the per-subnet series, when `SubnetMetrics` publishes them), and the alarms' status.
pub fn dashboard(
    id: &str,
    spec: &MonitorSpec,
    region: &str,
    alarm_arns: &[String],
    function_arn: &str,
) -> Option<DashboardDef> {
    if !spec.dashboard {
        return None;
    }
    let (ns, pool) = (&spec.namespace, &spec.pool_name);
    let period = spec.schedule.seconds();
    let series = |name: &str, label: &str| json!([ns, name, "Pool", pool, {"label": label}]);
    // The threshold of every alarm this monitor has on a graph's metrics, from the alarm's
    // own meaning: a new kind shows up on its graph without a change here.
    let lines = |metrics: &[&str]| -> Vec<Value> {
        AlarmKind::ALL
            .into_iter()
            .filter_map(|k| {
                let m = k.meaning();
                let value = (m.threshold)(&spec.thresholds)?;
                metrics.contains(&m.metric).then(
                    || json!({"label": m.suffix, "value": value, "color": m.severity.color()}),
                )
            })
            .collect()
    };
    let graph = |title: &str, stat: &str, metrics: Vec<Value>, lines: Vec<Value>, y: Value| {
        json!({"type": "metric", "properties": {
            "title": title, "view": "timeSeries", "region": region, "stat": stat, "period": period,
            "metrics": metrics, "annotations": {"horizontal": lines}, "yAxis": {"left": y}}})
    };
    let mut widgets = vec![graph(
        "Utilization (%)",
        "Maximum",
        vec![
            series("Utilization", "pool"),
            series("MaxSubnetUtilization", "fullest subnet"),
        ],
        lines(&["Utilization", "MaxSubnetUtilization"]),
        json!({"min": 0, "max": 100}),
    )];
    widgets.push(graph(
        "Free addresses",
        "Minimum",
        vec![
            series("FreeAddresses", "pool"),
            series("MinSubnetFreeAddresses", "emptiest subnet"),
            series("MinAzFreeAddresses", "smallest AZ"),
            series("DetachedAddresses", "held by detached ENIs (reclaimable)"),
        ],
        lines(&[
            "FreeAddresses",
            "MinSubnetFreeAddresses",
            "MinAzFreeAddresses",
        ]),
        json!({"min": 0}),
    ));
    if spec.thresholds.min_free_prefixes.is_some() {
        widgets.push(graph(
            "Free /28 blocks",
            "Minimum",
            vec![series("FreePrefixes", "pool")],
            lines(&["FreePrefixes"]),
            json!({"min": 0}),
        ));
    }
    if !spec.supernets.is_empty() {
        widgets.push(graph(
            "Address plan",
            "Maximum",
            vec![
                series("SupernetAllocation", "supernets allocated (%)"),
                // Counts beside a percentage: on the right axis.
                json!([ns, "OverlappingVpcs", "Pool", pool,
                    {"label": "VPCs in connected overlaps", "yAxis": "right"}]),
                json!([ns, "UnplannedVpcs", "Pool", pool,
                    {"label": "VPCs outside the supernets", "yAxis": "right"}]),
            ],
            lines(&["SupernetAllocation", "OverlappingVpcs"]),
            json!({"min": 0}),
        ));
    }
    widgets.push(json!({"type": "metric", "properties": {
        "title": "Days to exhaustion", "view": "singleValue", "region": region, "stat": "Minimum",
        "period": period, "metrics": [series("DaysToExhaustion", "days")]}}));
    if spec.subnet_metrics {
        let query = format!(
            "SELECT MAX(Utilization) FROM SCHEMA(\"{ns}\", Pool,SubnetId) WHERE Pool = '{pool}' \
             GROUP BY SubnetId ORDER BY MAX() DESC LIMIT 10"
        );
        widgets.push(json!({"type": "metric", "properties": {
            "title": "Ten fullest subnets (%)", "view": "timeSeries", "region": region, "period": period,
            "metrics": [[{"expression": query, "id": "fullest", "label": ""}]], "yAxis": {"left": {"min": 0, "max": 100}}}}));
    }
    widgets.push(json!({"type": "alarm", "properties": {"title": "Alarms", "alarms": alarm_arns}}));
    // Two widgets a row, 12 units wide and 6 high each.
    for (i, w) in widgets.iter_mut().enumerate() {
        w["x"] = json!((i % 2) * 12);
        w["y"] = json!((i / 2) * 6);
        w["width"] = json!(12);
        w["height"] = json!(6);
    }
    // The map of the pool's address space, a row of its own: a custom widget this function
    // answers (viewers need lambda:InvokeFunction on it). A fresh scan each time, so not on
    // every time-range change.
    widgets.push(
        json!({"type": "custom", "x": 0, "y": widgets.len().div_ceil(2) * 6,
        "width": 24, "height": 12, "properties": {
        "title": "Address space", "endpoint": function_arn, "params": {"monitor": id},
        "updateOn": {"refresh": true, "resize": false, "timeRange": false}}}),
    );
    Some(DashboardDef {
        name: id.to_string(),
        body: json!({"widgets": widgets}).to_string(),
    })
}

/// The tick the schedule delivers: the envelope the event router recognises, around the
/// monitor's properties as [`crate::spec::parse`] has already read them back once.
pub fn tick_input(id: &str, spec: &MonitorSpec) -> String {
    serde_json::json!({"cidrwatch": "tick", "v": 1, "id": id, "monitor": spec.tick_properties()})
        .to_string()
}

/// The alarms monitor `id` has under `spec`: every kind whose threshold the spec sets.
pub fn alarms(id: &str, spec: &MonitorSpec, function_arn: &str) -> Vec<AlarmDef> {
    let tags = tags(id, spec);
    AlarmKind::ALL
        .into_iter()
        .filter_map(|kind| {
            let m = kind.meaning();
            let threshold = (m.threshold)(&spec.thresholds)?;
            let actions = match (m.route, spec.notify) {
                (Route::Topics, _) | (Route::Notify, Notify::Native) => {
                    spec.alarm_topic_arns.clone()
                }
                (Route::Notify, Notify::Detailed) => vec![function_arn.to_string()],
            };
            Some(AlarmDef {
                kind,
                name: kind.alarm_name(id),
                description: format!(
                    "cidrwatch pool {}: {}. Managed by the CloudFormation monitor {id}; edits \
                     are overwritten.",
                    spec.pool_name,
                    (m.what)(threshold)
                ),
                namespace: spec.namespace.clone(),
                metric_name: m.metric,
                pool: spec.pool_name.clone(),
                statistic: m.statistic,
                period_seconds: spec.schedule.seconds(),
                evaluation_periods: m.evaluation_periods,
                threshold,
                comparison: m.comparison,
                missing_data: m.missing_data,
                actions,
                tags: tags.clone(),
            })
        })
        .collect()
}

impl AlarmDef {
    /// Whether this alarm's condition holds for one period's pool datums (a first scan's);
    /// `None` when they do not include its metric (a partial scan withholds pool figures).
    pub fn breached_by(&self, data: &[Datum<'_>]) -> Option<bool> {
        let d = data
            .iter()
            .find(|d| d.name == self.metric_name && d.subnet_id.is_none() && d.az.is_none())?;
        Some(self.comparison.holds(d.value, self.threshold))
    }
}

pub fn plan(id: &str, spec: &MonitorSpec, target: &Target) -> Plan {
    Plan {
        id: id.to_string(),
        alarms: alarms(id, spec, &target.function_arn),
        schedule: ScheduleDef {
            name: id.to_string(),
            group: target.schedule_group.clone(),
            expression: spec.schedule.expression(),
            period_seconds: spec.schedule.seconds(),
            target_arn: target.function_arn.clone(),
            role_arn: target.scheduler_role_arn.clone(),
            input: tick_input(id, spec),
            description: format!("cidrwatch pool {} (monitor {id})", spec.pool_name),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec;
    use serde_json::json;

    const STACK: &str = "arn:aws:cloudformation:us-east-1:111111111111:stack/s/abc";

    fn target() -> Target {
        Target {
            function_arn: "arn:aws:lambda:us-east-1:111111111111:function:cidrwatch".into(),
            scheduler_role_arn: "arn:aws:iam::111111111111:role/sched".into(),
            schedule_group: "cidrwatch".into(),
        }
    }

    #[test]
    fn ids_are_deterministic_valid_and_change_on_replacement() {
        let id = monitor_id(STACK, "EksPool", "eks-prod", "CidrWatch");
        assert_eq!(id, monitor_id(STACK, "EksPool", "eks-prod", "CidrWatch"));
        assert!(
            id.starts_with("cidrwatch-eks-prod-") && is_monitor_id(&id),
            "{id}"
        );
        assert_ne!(id, monitor_id(STACK, "Other", "eks-prod", "CidrWatch"));
        assert_ne!(id, monitor_id(STACK, "EksPool", "eks-prod", "Other"));
        assert_ne!(id, monitor_id(STACK, "EksPool", "eks.prod", "CidrWatch"));
        let long = monitor_id(STACK, "L", &"a.b".repeat(30), "CidrWatch");
        assert_eq!(long.len(), 64);
        assert!(is_monitor_id(&long) && !long.contains('.'));
    }

    #[test]
    fn foreign_ids_are_not_ours() {
        for id in [
            "",
            "cidrwatch-",
            "cidrwatch-x-1234567",
            "other-x-12345678",
            "cidrwatch-x-1234567G",
            "cidrwatch-a.b-12345678",
        ] {
            assert!(!is_monitor_id(id), "{id}");
        }
    }

    #[test]
    fn alarm_names_match_exactly() {
        let id = "cidrwatch-a-12345678";
        assert_eq!(
            AlarmKind::of(id, "cidrwatch-a-12345678-stale"),
            Some(AlarmKind::Stale)
        );
        assert_eq!(
            AlarmKind::of(id, "cidrwatch-a-12345678-abcdef01-stale"),
            None
        );
        assert_eq!(AlarmKind::of(id, "cidrwatch-a-12345678-unknown"), None);
        assert_eq!(
            AlarmKind::monitor_of("cidrwatch-a-12345678-subnet-critical"),
            Some((id.to_string(), AlarmKind::SubnetCritical))
        );
        assert_eq!(
            AlarmKind::monitor_of("cidrwatch-a-12345678-critical"),
            Some((id.to_string(), AlarmKind::Critical))
        );
        assert_eq!(AlarmKind::monitor_of("someone-elses-alarm"), None);
    }

    #[test]
    fn default_spec_plans_five_alarms_and_the_stale_one_skips_the_function() {
        let topic = "arn:aws:sns:us-east-1:111111111111:alerts";
        let s = spec::parse(
            &json!({"PoolName": "p", "Schedule": "rate(10 minutes)", "AlarmTopicArns": [topic]}),
        )
        .unwrap();
        let p = plan("cidrwatch-p-00000000", &s, &target());
        let kinds: Vec<AlarmKind> = p.alarms.iter().map(|a| a.kind).collect();
        assert_eq!(
            kinds,
            [
                AlarmKind::Warning,
                AlarmKind::Critical,
                AlarmKind::SubnetCritical,
                AlarmKind::Stale,
                AlarmKind::ScanErrors,
            ]
        );
        assert!(p.alarms.iter().all(|a| a.period_seconds == 600));
        let stale = &p.alarms[3];
        assert_eq!(
            (stale.evaluation_periods, stale.missing_data),
            (3, MissingData::Breaching)
        );
        assert_eq!(
            stale.actions,
            [topic],
            "detailed mode, yet straight to the topic"
        );
        let errors = &p.alarms[4];
        assert_eq!(
            (
                errors.metric_name,
                errors.comparison,
                errors.threshold,
                errors.evaluation_periods
            ),
            ("ScanErrors", Comparison::GreaterThan, 0.0, 3)
        );
        assert_eq!(
            errors.actions,
            [target().function_arn],
            "names the failures"
        );
        assert_eq!(p.alarms[0].actions, [target().function_arn]);
        assert_eq!(p.schedule.expression, "rate(10 minutes)");
    }

    #[test]
    fn a_first_scan_decides_which_alarms_start_ok() {
        use crate::usage::metrics::{Datum, Unit};
        let s = spec::parse(&json!({"PoolName": "p", "Thresholds": {"MinFreeAddresses": 100}}))
            .unwrap();
        let p = plan("cidrwatch-p-00000000", &s, &target());
        let datum = |name, value| Datum {
            name,
            value,
            unit: Unit::Count,
            ..Datum::default()
        };
        let data = [
            datum("Utilization", 85.0),
            datum("MaxSubnetUtilization", 50.0),
            datum("FreeAddresses", 40.0),
            datum("Heartbeat", 1.0),
            datum("ScanErrors", 0.0),
        ];
        let verdicts: Vec<(AlarmKind, Option<bool>)> = p
            .alarms
            .iter()
            .map(|a| (a.kind, a.breached_by(&data)))
            .collect();
        assert_eq!(
            verdicts,
            [
                (AlarmKind::Warning, Some(true)),
                (AlarmKind::Critical, Some(false)),
                (AlarmKind::SubnetCritical, Some(false)),
                (AlarmKind::FreeAddresses, Some(true)),
                (AlarmKind::Stale, Some(false)),
                (AlarmKind::ScanErrors, Some(false)),
            ]
        );
        let partial = [datum("Heartbeat", 1.0), datum("ScanErrors", 2.0)];
        assert_eq!(p.alarms[0].breached_by(&partial), None, "withheld: unknown");
        assert_eq!(p.alarms[5].breached_by(&partial), Some(true));
    }

    #[test]
    fn optional_alarms_and_native_actions() {
        let topic = "arn:aws:sns:us-east-1:111111111111:alerts";
        let s = spec::parse(&json!({"PoolName": "p", "Notify": "native", "AlarmTopicArns": [topic],
            "Thresholds": {"MinFreeAddresses": 256, "MinFreePrefixes": "8"}, "Tags": {"team": "net"}}))
        .unwrap();
        let p = plan("cidrwatch-p-00000000", &s, &target());
        let free = p
            .alarms
            .iter()
            .find(|a| a.kind == AlarmKind::FreeAddresses)
            .unwrap();
        assert_eq!(
            (free.threshold, free.comparison),
            (256.0, Comparison::LessThan)
        );
        assert!(p.alarms.iter().any(|a| a.kind == AlarmKind::FreePrefixes));
        assert!(p.alarms.iter().all(|a| a.actions == [topic]));
        assert_eq!(
            AlarmKind::monitor_of("cidrwatch-p-00000000-scan-errors"),
            Some(("cidrwatch-p-00000000".to_string(), AlarmKind::ScanErrors))
        );
        assert!(free.tags.contains(&("team".into(), "net".into())));
        assert!(
            free.tags
                .contains(&(MONITOR_TAG.into(), "cidrwatch-p-00000000".into()))
        );
    }

    #[test]
    fn tick_input_fits_the_envelope_allowance() {
        let s = spec::parse(&json!({"PoolName": "p".repeat(64)})).unwrap();
        let id = monitor_id(STACK, "L", &s.pool_name, &s.namespace);
        let input = tick_input(&id, &s);
        let spec_len = serde_json::to_string(&s).unwrap().len();
        assert!(
            input.len() <= spec_len + spec::TICK_ENVELOPE_BYTES,
            "{}",
            input.len() - spec_len
        );
        let v: serde_json::Value = serde_json::from_str(&input).unwrap();
        assert_eq!(spec::parse(&v["monitor"]).unwrap(), s);
    }
}
