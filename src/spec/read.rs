//! The readers of each part of a monitor's properties, and the keys each part knows.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::check::{Check, render};
use super::fields::*;
use super::*;

pub(super) const TOP_KEYS: &[&str] = &[
    "ServiceToken",
    "ServiceTimeout",
    "PoolName",
    "Select",
    "Thresholds",
    "Schedule",
    "AlarmTopicArns",
    "Notify",
    "Namespace",
    "SubnetMetrics",
    "Dashboard",
    "MetricStream",
    "Tags",
    "ExplicitReservations",
    "AzMetrics",
    "ClusterMetrics",
    "Supernets",
    "AvoidPrefixLists",
];
pub(super) const SELECT_KEYS: &[&str] = &[
    "VpcIds",
    "SubnetIds",
    "Tags",
    "Cidrs",
    "Regions",
    "Accounts",
    "RoleName",
    "OrganizationalUnits",
    "OrganizationRoleArn",
    "ExcludeAccounts",
];
pub(super) const THRESHOLD_KEYS: &[&str] = &[
    "WarningPercent",
    "CriticalPercent",
    "SubnetCriticalPercent",
    "MinFreeAddresses",
    "MinFreePrefixes",
    "MinFreeAddressesPerAz",
    "SupernetPercent",
];
pub(super) const STREAM_KEYS: &[&str] = &["FirehoseArn", "RoleArn", "OutputFormat"];

pub(super) fn read_spec(c: &mut Check, properties: &Value) -> Option<MonitorSpec> {
    let top = c.object("Properties", properties, TOP_KEYS)?;
    let get = |k: &str| top.get(k).filter(|v| !v.is_null());

    let pool_name = match get("PoolName") {
        None => c.fail(
            "PoolName",
            "required: the pool's name, [A-Za-z0-9_.-]{1,64}",
        ),
        Some(v) => c.text("PoolName", v, &POOL_NAME),
    };
    let select = match get("Select") {
        None => Some(Selection::default()),
        Some(v) => read_selection(c, v),
    };
    let supernets = get("Supernets").map_or(Some(Vec::new()), |v| read_supernets(c, v));
    let planned = supernets.as_ref().is_some_and(|s| !s.is_empty());
    let thresholds = read_thresholds(c, get("Thresholds"), planned);
    let avoid_prefix_lists = get("AvoidPrefixLists")
        .map(|v| c.texts("AvoidPrefixLists", v, &PREFIX_LIST_ID))
        .unwrap_or_default();
    if !avoid_prefix_lists.is_empty() && supernets.as_ref().is_some_and(Vec::is_empty) {
        c.report(
            "AvoidPrefixLists",
            "prefix lists are read for the address plan only: set Supernets too",
        );
    }
    let schedule = match get("Schedule") {
        None => Some(Rate {
            minutes: DEFAULT_SCHEDULE_MINUTES,
        }),
        Some(v) => match v.as_str() {
            Some(s) => match Rate::parse(s) {
                Ok(rate) => Some(rate),
                Err(m) => c.fail_got("Schedule", &m, v),
            },
            None => c.fail_got("Schedule", "expected a rate(...) expression", v),
        },
    };
    let alarm_topic_arns = get("AlarmTopicArns")
        .map(|v| c.texts("AlarmTopicArns", v, &SNS_TOPIC_ARN))
        .unwrap_or_default();
    let notify = match get("Notify") {
        None => Some(Notify::Detailed),
        Some(v) => match v.as_str().map(str::to_ascii_lowercase).as_deref() {
            Some("detailed") => Some(Notify::Detailed),
            Some("native") => Some(Notify::Native),
            _ => c.fail_got("Notify", "expected detailed or native", v),
        },
    };
    if notify == Some(Notify::Native) && alarm_topic_arns.len() > MAX_ALARM_ACTIONS {
        c.report(
            "AlarmTopicArns",
            format!(
                "at most {MAX_ALARM_ACTIONS} topics with Notify: native (CloudWatch's limit on \
                 alarm actions), got {}",
                alarm_topic_arns.len()
            ),
        );
    }
    let namespace = match get("Namespace") {
        None => Some(DEFAULT_NAMESPACE.to_string()),
        Some(v) => c.text("Namespace", v, &NAMESPACE),
    };
    let subnet_metrics =
        get("SubnetMetrics").map_or(Some(false), |v| c.boolean("SubnetMetrics", v));
    let az_metrics = get("AzMetrics").map_or(Some(false), |v| c.boolean("AzMetrics", v));
    let cluster_metrics =
        get("ClusterMetrics").map_or(Some(false), |v| c.boolean("ClusterMetrics", v));
    let dashboard = get("Dashboard").map_or(Some(false), |v| c.boolean("Dashboard", v));
    let metric_stream = match get("MetricStream") {
        None => Some(None),
        Some(v) => read_stream(c, v).map(Some),
    };
    let tags = get("Tags").map_or(Some(BTreeMap::new()), |v| read_tags(c, v));
    let explicit_reservations =
        get("ExplicitReservations").map_or(Some(false), |v| c.boolean("ExplicitReservations", v));
    if explicit_reservations == Some(true)
        && thresholds
            .as_ref()
            .is_some_and(|t| t.min_free_prefixes.is_none())
    {
        c.report(
            "ExplicitReservations",
            "reservations only change FreePrefixes: set Thresholds.MinFreePrefixes too",
        );
    }

    Some(MonitorSpec {
        pool_name: pool_name?,
        select: select?,
        thresholds: thresholds?,
        schedule: schedule?,
        alarm_topic_arns,
        notify: notify?,
        namespace: namespace?,
        subnet_metrics: subnet_metrics?,
        az_metrics: az_metrics?,
        dashboard: dashboard?,
        metric_stream: metric_stream?,
        tags: tags?,
        explicit_reservations: explicit_reservations?,
        cluster_metrics: cluster_metrics?,
        supernets: supernets?,
        avoid_prefix_lists,
    })
}

/// `Supernets`: canonical IPv4 CIDRs, none overlapping another (a shared address would count
/// twice in the allocation).
fn read_supernets(c: &mut Check, v: &Value) -> Option<Vec<Ipv4Cidr>> {
    let mut out: Vec<Ipv4Cidr> = Vec::new();
    for (i, item) in c.list("Supernets", v)?.iter().enumerate() {
        let path = format!("Supernets[{i}]");
        match item.as_str().map(str::parse::<Ipv4Cidr>) {
            Some(Ok(cidr)) if out.contains(&cidr) => {}
            Some(Ok(cidr)) => match out.iter().find(|o| o.overlaps(&cidr)) {
                Some(o) => c.report(
                    &path,
                    format!("{cidr} overlaps {o}, listed before it: name each planned block once"),
                ),
                None => out.push(cidr),
            },
            Some(Err(e)) => c.report(&path, format!("{e}, got {}", render(item))),
            None => c.report(
                &path,
                format!(
                    "expected an IPv4 CIDR like 10.0.0.0/12, got {}",
                    render(item)
                ),
            ),
        }
    }
    Some(out)
}

fn read_selection(c: &mut Check, v: &Value) -> Option<Selection> {
    let m = c.object("Select", v, SELECT_KEYS)?;
    let get = |k: &str| m.get(k).filter(|v| !v.is_null());
    let mut sel = Selection::default();
    if let Some(v) = get("VpcIds") {
        sel.vpc_ids = c.texts("Select.VpcIds", v, &VPC_ID);
    }
    if let Some(v) = get("SubnetIds") {
        sel.subnet_ids = c.texts("Select.SubnetIds", v, &SUBNET_ID);
    }
    if let Some(v) = get("Tags")
        && let Some(tags) = c.object("Select.Tags", v, &[])
    {
        for (key, values) in tags {
            let path = format!("Select.Tags.{key}");
            if key.is_empty() || key.chars().count() > TAG_KEY_MAX {
                c.report(
                    &path,
                    format!("a tag key has 1 to {TAG_KEY_MAX} characters"),
                );
                continue;
            }
            let values = match values {
                Value::Array(_) => c.texts(&path, values, &TAG_VALUE),
                _ => c.text(&path, values, &TAG_VALUE).into_iter().collect(),
            };
            if !values.is_empty() {
                sel.tags.insert(key.clone(), values);
            }
        }
    }
    if let Some(v) = get("Cidrs")
        && let Some(items) = c.list("Select.Cidrs", v)
    {
        for (i, item) in items.iter().enumerate() {
            let path = format!("Select.Cidrs[{i}]");
            match item.as_str().map(str::parse::<Ipv4Cidr>) {
                Some(Ok(cidr)) if !sel.cidrs.contains(&cidr) => sel.cidrs.push(cidr),
                Some(Ok(_)) => {}
                Some(Err(e)) => c.report(&path, format!("{e}, got {}", render(item))),
                None => c.report(
                    &path,
                    format!(
                        "expected an IPv4 CIDR like 10.0.0.0/16, got {}",
                        render(item)
                    ),
                ),
            }
        }
    }
    if let Some(v) = get("Regions") {
        sel.regions = c.texts("Select.Regions", v, &REGION_OR_ALL);
    }
    if let Some(v) = get("Accounts") {
        sel.accounts = c.texts("Select.Accounts", v, &ACCOUNT);
    }
    if let Some(v) = get("RoleName") {
        sel.role_name = c.text("Select.RoleName", v, &ROLE_NAME);
    }
    if let Some(v) = get("OrganizationalUnits") {
        sel.organizational_units = c.texts("Select.OrganizationalUnits", v, &OU_ID);
    }
    if let Some(v) = get("OrganizationRoleArn") {
        sel.organization_role_arn = c.text("Select.OrganizationRoleArn", v, &ROLE_ARN);
    }
    if let Some(v) = get("ExcludeAccounts") {
        sel.exclude_accounts = c.texts("Select.ExcludeAccounts", v, &ACCOUNT);
    }
    Some(sel)
}

/// `planned`: the monitor has `Supernets`, which is what `SupernetPercent` needs.
fn read_thresholds(c: &mut Check, v: Option<&Value>, planned: bool) -> Option<Thresholds> {
    let empty = Map::new();
    let m = match v {
        None => &empty,
        Some(v) => c.object("Thresholds", v, THRESHOLD_KEYS)?,
    };
    let get = |k: &str| m.get(k).filter(|v| !v.is_null());
    let percent = |c: &mut Check, key: &str, default: f64| match get(key) {
        None => Some(default),
        Some(v) => c.number(&format!("Thresholds.{key}"), v, PERCENT),
    };
    let warning = percent(c, "WarningPercent", DEFAULT_WARNING_PERCENT);
    let critical = percent(c, "CriticalPercent", DEFAULT_CRITICAL_PERCENT);
    let subnet_critical = percent(c, "SubnetCriticalPercent", DEFAULT_SUBNET_CRITICAL_PERCENT);
    if let (Some(w), Some(cr)) = (warning, critical)
        && w >= cr
    {
        c.report(
            "Thresholds.WarningPercent",
            format!("must be below Thresholds.CriticalPercent ({cr}), got {w}"),
        );
    }
    let min_free_addresses = match get("MinFreeAddresses") {
        None => Some(None),
        Some(v) => c
            .integer("Thresholds.MinFreeAddresses", v, MIN_FREE_ADDRESSES)
            .map(Some),
    };
    let min_free_prefixes = match get("MinFreePrefixes") {
        None => Some(None),
        Some(v) => c
            .integer("Thresholds.MinFreePrefixes", v, MIN_FREE_PREFIXES)
            .map(Some),
    };
    let min_free_addresses_per_az = match get("MinFreeAddressesPerAz") {
        None => Some(None),
        Some(v) => c
            .integer("Thresholds.MinFreeAddressesPerAz", v, MIN_FREE_ADDRESSES)
            .map(Some),
    };
    let supernet_percent = match get("SupernetPercent") {
        Some(_) if !planned => c.fail(
            "Thresholds.SupernetPercent",
            "the -supernet alarm watches Supernets: set Supernets too",
        ),
        Some(v) => c.number("Thresholds.SupernetPercent", v, PERCENT).map(Some),
        None => Some(planned.then_some(DEFAULT_SUPERNET_PERCENT)),
    };
    Some(Thresholds {
        supernet_percent: supernet_percent?,
        warning_percent: warning?,
        critical_percent: critical?,
        subnet_critical_percent: subnet_critical?,
        min_free_addresses: min_free_addresses?,
        min_free_prefixes: min_free_prefixes?,
        min_free_addresses_per_az: min_free_addresses_per_az?,
    })
}

fn read_stream(c: &mut Check, v: &Value) -> Option<MetricStream> {
    let m = c.object("MetricStream", v, STREAM_KEYS)?;
    let get = |k: &str| m.get(k).filter(|v| !v.is_null());
    let firehose_arn = match get("FirehoseArn") {
        None => c.fail(
            "MetricStream.FirehoseArn",
            "required: the Firehose delivery stream's ARN",
        ),
        Some(v) => c.text("MetricStream.FirehoseArn", v, &FIREHOSE_ARN),
    };
    let role_arn = match get("RoleArn") {
        None => c.fail(
            "MetricStream.RoleArn",
            "required: the role CloudWatch streams as",
        ),
        Some(v) => c.text("MetricStream.RoleArn", v, &ROLE_ARN),
    };
    let output_format = match get("OutputFormat") {
        None => Some("opentelemetry1.0".to_string()),
        Some(v) => c.text("MetricStream.OutputFormat", v, &STREAM_FORMAT),
    };
    Some(MetricStream {
        firehose_arn: firehose_arn?,
        role_arn: role_arn?,
        output_format: output_format?,
    })
}

fn read_tags(c: &mut Check, v: &Value) -> Option<BTreeMap<String, String>> {
    let m = c.object("Tags", v, &[])?;
    let mut tags = BTreeMap::new();
    for (key, value) in m {
        let path = format!("Tags.{key}");
        if key.is_empty() || key.chars().count() > TAG_KEY_MAX {
            c.report(
                &path,
                format!("a tag key has 1 to {TAG_KEY_MAX} characters"),
            );
        } else if RESERVED_TAG_PREFIXES.iter().any(|p| key.starts_with(p)) {
            c.report(&path, "the aws: and cidrwatch: prefixes are reserved");
        } else if let Some(value) = c.text(&path, value, &TAG_VALUE) {
            tags.insert(key.clone(), value);
        }
    }
    if tags.len() > MAX_USER_TAGS {
        c.report(
            "Tags",
            format!(
                "at most {MAX_USER_TAGS} tags (one of CloudWatch's 50 is cidrwatch's own), got {}",
                tags.len()
            ),
        );
    }
    Some(tags)
}
