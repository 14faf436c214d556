//! Resource properties → a validated [`MonitorSpec`]. Every input error lives here.
//!
//! CloudFormation sends every scalar as a string, so numbers and booleans are accepted either
//! way. Unknown keys are errors that name the nearest known key. Every problem found is
//! reported at once, each naming its property path and the value it got, so a user fixes
//! their template in one round trip. Nothing here performs I/O: Create and Update call
//! [`parse`] before touching AWS, which is how bad input creates nothing.
//!
//! The property schema only grows: a rollback can replay properties written for an older
//! version, so a key once accepted stays accepted.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::usage::Ipv4Cidr;

pub const DEFAULT_NAMESPACE: &str = "CidrWatch";
/// Pool utilization (%) of the `-warning` alarm when `Thresholds` does not say.
pub const DEFAULT_WARNING_PERCENT: f64 = 80.0;
/// Pool utilization (%) of the `-critical` alarm.
pub const DEFAULT_CRITICAL_PERCENT: f64 = 90.0;
/// The fullest subnet's utilization (%) of the `-subnet-critical` alarm.
pub const DEFAULT_SUBNET_CRITICAL_PERCENT: f64 = 90.0;
/// `Schedule` (and so the alarm period) when not given: `rate(5 minutes)`.
pub const DEFAULT_SCHEDULE_MINUTES: u32 = 5;

/// EventBridge Scheduler's limit on a target's `Input`, which carries the whole spec.
pub const SCHEDULE_INPUT_LIMIT: usize = 8192;
/// Room the tick envelope (`{"cidrwatch":"tick","v":1,"id":…}`) takes around the spec.
pub const TICK_ENVELOPE_BYTES: usize = 160;

/// Most alarm actions CloudWatch allows per alarm state.
const MAX_ALARM_ACTIONS: usize = 5;
/// CloudWatch allows 50 tags per resource; one is ours.
const MAX_USER_TAGS: usize = 49;

/// A validated monitor. It serializes back to the same property shape it was parsed from
/// (defaults filled in), which is what the schedule hands to each tick.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct MonitorSpec {
    pub pool_name: String,
    pub select: Selection,
    pub thresholds: Thresholds,
    pub schedule: Rate,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub alarm_topic_arns: Vec<String>,
    pub notify: Notify,
    pub namespace: String,
    pub subnet_metrics: bool,
    pub dashboard: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metric_stream: Option<MetricStream>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
    /// Also read each subnet's `explicit` CIDR reservations for `FreePrefixes`. Opt-in:
    /// EC2 answers that only per subnet, so it costs one call per subnet per tick.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub explicit_reservations: bool,
}

/// What a scan reads beyond subnets and VPCs, and so which calls a tick makes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Accounting {
    /// Addresses only: `DescribeSubnets` and `DescribeVpcs`.
    Addresses,
    /// Also /28 blocks: plus `DescribeNetworkInterfaces`, ⌈ENIs/1000⌉ pages.
    Prefixes,
    /// Also `explicit` reservations: plus one `GetSubnetCidrReservations` per subnet.
    PrefixesAndReservations,
}

impl MonitorSpec {
    pub fn accounting(&self) -> Accounting {
        match (
            self.thresholds.min_free_prefixes,
            self.explicit_reservations,
        ) {
            (None, _) => Accounting::Addresses,
            (Some(_), false) => Accounting::Prefixes,
            (Some(_), true) => Accounting::PrefixesAndReservations,
        }
    }
}

/// Which subnets form the pool: AND across keys, OR within a list; empty selects every subnet.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Selection {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub vpc_ids: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub subnet_ids: Vec<String>,
    /// Tag key → accepted values.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, Vec<String>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cidrs: Vec<Ipv4Cidr>,
    /// Empty: the provider's own region.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub regions: Vec<String>,
    /// Empty: the provider's own account.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub accounts: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role_name: Option<String>,
}

impl Selection {
    /// Whether a subnet belongs to the pool: AND across keys, OR within a list. Discovery
    /// filters on EC2's side where it can and re-checks here; `Cidrs` is only checked here.
    pub fn matches(
        &self,
        vpc_id: &str,
        subnet_id: &str,
        tags: &BTreeMap<&str, &str>,
        cidr: Option<Ipv4Cidr>,
    ) -> bool {
        let any = |list: &[String], v: &str| list.is_empty() || list.iter().any(|x| x == v);
        any(&self.vpc_ids, vpc_id)
            && any(&self.subnet_ids, subnet_id)
            && self.tags.iter().all(|(k, values)| {
                tags.get(k.as_str())
                    .is_some_and(|v| values.iter().any(|x| x == v))
            })
            && (self.cidrs.is_empty()
                || cidr.is_some_and(|c| self.cidrs.iter().any(|outer| outer.contains(&c))))
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Thresholds {
    pub warning_percent: f64,
    pub critical_percent: f64,
    pub subnet_critical_percent: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_free_addresses: Option<u64>,
    /// Set: /28-prefix accounting is on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_free_prefixes: Option<u64>,
}

/// Who sends notifications: the function itself, enriched (`detailed`), or the alarm
/// straight to SNS (`native`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Notify {
    Detailed,
    Native,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct MetricStream {
    pub firehose_arn: String,
    pub role_arn: String,
    pub output_format: String,
}

/// A regular schedule, `rate(...)` from 1 minute to 6 hours. It is also the alarms' period,
/// which is why irregular `cron(...)` is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rate {
    minutes: u32,
}

impl Rate {
    pub const MIN_MINUTES: u32 = 1;
    pub const MAX_MINUTES: u32 = 6 * 60;

    pub fn minutes(self) -> u32 {
        self.minutes
    }

    pub fn seconds(self) -> u32 {
        self.minutes * 60
    }

    /// The canonical expression: hours when whole, singular unit for 1.
    pub fn expression(self) -> String {
        let (n, unit) = if self.minutes.is_multiple_of(60) {
            (self.minutes / 60, "hour")
        } else {
            (self.minutes, "minute")
        };
        format!("rate({n} {unit}{})", if n == 1 { "" } else { "s" })
    }

    fn parse(text: &str) -> Result<Rate, String> {
        const EXPECTED: &str = "rate(N minutes) or rate(N hours), from 1 minute to 6 hours";
        let t = text.trim();
        if t.starts_with("cron(") {
            return Err(format!(
                "cron(...) is not accepted: Schedule is also the alarms' period, which must be \
                 regular; use {EXPECTED}"
            ));
        }
        if t.starts_with("at(") {
            return Err(format!("at(...) runs only once; use {EXPECTED}"));
        }
        let inner = t
            .strip_prefix("rate(")
            .and_then(|r| r.strip_suffix(')'))
            .ok_or_else(|| format!("expected {EXPECTED}"))?;
        let mut parts = inner.split_whitespace();
        let (Some(n), Some(unit), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(format!("expected {EXPECTED}"));
        };
        let n: u32 = n
            .parse()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| format!("expected {EXPECTED}"))?;
        let per_unit = match unit {
            "minute" | "minutes" => 1,
            "hour" | "hours" => 60,
            "day" | "days" => 24 * 60,
            _ => return Err(format!("expected {EXPECTED}")),
        };
        let minutes = n.saturating_mul(per_unit);
        if !(Self::MIN_MINUTES..=Self::MAX_MINUTES).contains(&minutes) {
            return Err(format!("expected {EXPECTED}"));
        }
        Ok(Rate { minutes })
    }
}

impl Serialize for Rate {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.expression())
    }
}

/// One problem with the properties: where, and what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpecError {
    pub path: String,
    pub message: String,
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// Every problem found in one set of properties.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct SpecErrors(pub Vec<SpecError>);

impl fmt::Display for SpecErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

const TOP_KEYS: &[&str] = &[
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
];
const SELECT_KEYS: &[&str] = &[
    "VpcIds",
    "SubnetIds",
    "Tags",
    "Cidrs",
    "Regions",
    "Accounts",
    "RoleName",
];
const THRESHOLD_KEYS: &[&str] = &[
    "WarningPercent",
    "CriticalPercent",
    "SubnetCriticalPercent",
    "MinFreeAddresses",
    "MinFreePrefixes",
];
const STREAM_KEYS: &[&str] = &["FirehoseArn", "RoleArn", "OutputFormat"];
const STREAM_FORMATS: &[&str] = &["json", "opentelemetry0.7", "opentelemetry1.0"];

/// Validates resource properties into a [`MonitorSpec`], reporting every problem at once.
/// What the provider's deployment allows, from the template's parameters (passed in the
/// function's environment): the IAM policy enforces these, so a monitor outside them would be
/// created and then denied on every tick. `None`: the variable is not set, nothing is limited
/// (off Lambda); an empty list allows nothing (a template with no `AlarmTopicArns`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Limits {
    /// `MEMBER_ROLE_NAME` (template parameter `MemberRoleName`): the only role the provider
    /// may assume in other accounts, and the default `Select.RoleName`.
    pub member_role_name: Option<String>,
    /// `METRIC_NAMESPACES` (`MetricNamespaces`): where PutMetricData is allowed.
    pub metric_namespaces: Option<Vec<String>>,
    /// `ALARM_TOPIC_ARNS` (`AlarmTopicArns`): where the function may publish.
    pub alarm_topic_arns: Option<Vec<String>>,
}

impl Limits {
    /// From the function's environment: comma-separated lists, blanks ignored.
    pub fn from_env() -> Self {
        let list = |k: &str| -> Option<Vec<String>> {
            let v = std::env::var(k).ok()?;
            Some(
                v.split(',')
                    .map(str::trim)
                    .filter(|v| !v.is_empty())
                    .map(str::to_string)
                    .collect(),
            )
        };
        Limits {
            member_role_name: list("MEMBER_ROLE_NAME").and_then(|l| l.into_iter().next()),
            metric_namespaces: list("METRIC_NAMESPACES"),
            alarm_topic_arns: list("ALARM_TOPIC_ARNS"),
        }
    }

    /// The refusals of a valid spec that the deployment would deny, each naming the property
    /// and the template parameter to change. Pure: no AWS call is needed to know.
    pub fn check(&self, spec: &MonitorSpec) -> Result<(), SpecErrors> {
        let mut errors = Vec::new();
        let mut refuse = |path: String, message: String| errors.push(SpecError { path, message });
        if let Some(allowed) = &self.metric_namespaces
            && !allowed.contains(&spec.namespace)
        {
            refuse(
                "Namespace".into(),
                format!(
                    "{} is not among the namespaces the provider may publish to ({}): add it to \
                     the provider template's MetricNamespaces parameter",
                    spec.namespace,
                    allowed.join(", ")
                ),
            );
        }
        if let (Some(allowed), Some(asked)) = (&self.member_role_name, &spec.select.role_name)
            && allowed != asked
        {
            refuse(
                "Select.RoleName".into(),
                format!(
                    "{asked} is not the member role the provider may assume ({allowed}): set the \
                     provider template's MemberRoleName parameter to it, or leave RoleName out"
                ),
            );
        }
        if let (Notify::Detailed, Some(allowed)) = (spec.notify, &self.alarm_topic_arns) {
            for (i, topic) in spec.alarm_topic_arns.iter().enumerate() {
                if !allowed.contains(topic) {
                    refuse(
                        format!("AlarmTopicArns[{i}]"),
                        format!(
                            "{topic} is not among the topics the provider may publish to: add it \
                             to the provider template's AlarmTopicArns parameter"
                        ),
                    );
                }
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(SpecErrors(errors))
        }
    }
}

pub fn parse(properties: &Value) -> Result<MonitorSpec, SpecErrors> {
    let mut c = Check::default();
    let spec = read_spec(&mut c, properties);
    match spec {
        Some(spec) if c.errors.is_empty() => {
            let bytes = serde_json::to_vec(&spec).map_or(usize::MAX, |v| v.len());
            if bytes + TICK_ENVELOPE_BYTES > SCHEDULE_INPUT_LIMIT {
                c.report(
                    "Select",
                    format!(
                        "the monitor takes {bytes} bytes in its schedule's input, which holds \
                         {SCHEDULE_INPUT_LIMIT}; select by VpcIds, Tags or Cidrs rather than \
                         listing many SubnetIds"
                    ),
                );
                return Err(SpecErrors(c.errors));
            }
            Ok(spec)
        }
        _ => Err(SpecErrors(c.errors)),
    }
}

fn read_spec(c: &mut Check, properties: &Value) -> Option<MonitorSpec> {
    let top = c.object("Properties", properties, TOP_KEYS)?;
    let get = |k: &str| top.get(k).filter(|v| !v.is_null());

    let pool_name = match get("PoolName") {
        None => c.fail(
            "PoolName",
            "required: the pool's name, [A-Za-z0-9_.-]{1,64}",
        ),
        Some(v) => c.string(
            "PoolName",
            v,
            "a name of 1 to 64 of [A-Za-z0-9_.-]",
            is_pool_name,
        ),
    };
    let select = match get("Select") {
        None => Some(Selection::default()),
        Some(v) => read_selection(c, v),
    };
    let thresholds = read_thresholds(c, get("Thresholds"));
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
        .map(|v| {
            c.strings(
                "AlarmTopicArns",
                v,
                "a standard SNS topic ARN (not .fifo: alarms cannot publish to FIFO topics)",
                is_sns_topic_arn,
            )
        })
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
        Some(v) => c.string(
            "Namespace",
            v,
            "a CloudWatch namespace of 1 to 255 of [A-Za-z0-9.-_/#:], not starting with AWS/",
            is_namespace,
        ),
    };
    let subnet_metrics =
        get("SubnetMetrics").map_or(Some(false), |v| c.boolean("SubnetMetrics", v));
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
        dashboard: dashboard?,
        metric_stream: metric_stream?,
        tags: tags?,
        explicit_reservations: explicit_reservations?,
    })
}

fn read_selection(c: &mut Check, v: &Value) -> Option<Selection> {
    let m = c.object("Select", v, SELECT_KEYS)?;
    let get = |k: &str| m.get(k).filter(|v| !v.is_null());
    let mut sel = Selection::default();
    if let Some(v) = get("VpcIds") {
        sel.vpc_ids = c.strings("Select.VpcIds", v, "a VPC id like vpc-0abc1234", |s| {
            is_resource_id(s, "vpc")
        });
    }
    if let Some(v) = get("SubnetIds") {
        sel.subnet_ids = c.strings(
            "Select.SubnetIds",
            v,
            "a subnet id like subnet-0abc1234",
            |s| is_resource_id(s, "subnet"),
        );
    }
    if let Some(v) = get("Tags")
        && let Some(tags) = c.object("Select.Tags", v, &[])
    {
        for (key, values) in tags {
            let path = format!("Select.Tags.{key}");
            if key.is_empty() || key.chars().count() > 128 {
                c.report(&path, "a tag key has 1 to 128 characters");
                continue;
            }
            let values = match values {
                Value::Array(_) => c.strings(&path, values, "a tag value", is_tag_value),
                _ => c
                    .string(
                        &path,
                        values,
                        "a tag value of up to 256 characters",
                        is_tag_value,
                    )
                    .into_iter()
                    .collect(),
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
        sel.regions = c.strings("Select.Regions", v, "a region like eu-west-1", is_region);
    }
    if let Some(v) = get("Accounts") {
        sel.accounts = c.strings("Select.Accounts", v, "a 12-digit account id", is_account);
    }
    if let Some(v) = get("RoleName") {
        sel.role_name = c.string(
            "Select.RoleName",
            v,
            "an IAM role name of 1 to 64 of [A-Za-z0-9+=,.@_-]",
            is_role_name,
        );
    }
    Some(sel)
}

fn read_thresholds(c: &mut Check, v: Option<&Value>) -> Option<Thresholds> {
    let empty = Map::new();
    let m = match v {
        None => &empty,
        Some(v) => c.object("Thresholds", v, THRESHOLD_KEYS)?,
    };
    let get = |k: &str| m.get(k).filter(|v| !v.is_null());
    let percent = |c: &mut Check, key: &str, default: f64| match get(key) {
        None => Some(default),
        Some(v) => c.number(&format!("Thresholds.{key}"), v, 0.0, 100.0),
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
            .integer("Thresholds.MinFreeAddresses", v, 1, 1 << 32)
            .map(Some),
    };
    let min_free_prefixes = match get("MinFreePrefixes") {
        None => Some(None),
        Some(v) => c
            .integer("Thresholds.MinFreePrefixes", v, 1, 1 << 28)
            .map(Some),
    };
    Some(Thresholds {
        warning_percent: warning?,
        critical_percent: critical?,
        subnet_critical_percent: subnet_critical?,
        min_free_addresses: min_free_addresses?,
        min_free_prefixes: min_free_prefixes?,
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
        Some(v) => c.string(
            "MetricStream.FirehoseArn",
            v,
            "a Firehose delivery stream ARN",
            |s| arn_matches(s, "firehose", true, |r| r.starts_with("deliverystream/")),
        ),
    };
    let role_arn = match get("RoleArn") {
        None => c.fail(
            "MetricStream.RoleArn",
            "required: the role CloudWatch streams as",
        ),
        Some(v) => c.string("MetricStream.RoleArn", v, "an IAM role ARN", |s| {
            arn_matches(s, "iam", false, |r| r.starts_with("role/"))
        }),
    };
    let output_format = match get("OutputFormat") {
        None => Some("opentelemetry1.0".to_string()),
        Some(v) => c.string(
            "MetricStream.OutputFormat",
            v,
            "json, opentelemetry0.7 or opentelemetry1.0",
            |s| STREAM_FORMATS.contains(&s),
        ),
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
        if key.is_empty() || key.chars().count() > 128 {
            c.report(&path, "a tag key has 1 to 128 characters");
        } else if key.starts_with("aws:") || key.starts_with("cidrwatch:") {
            c.report(&path, "the aws: and cidrwatch: prefixes are reserved");
        } else if let Some(value) = c.string(
            &path,
            value,
            "a tag value of up to 256 characters",
            is_tag_value,
        ) {
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

/// Collects errors while reading; each reader returns `None` when its value is unusable.
#[derive(Default)]
struct Check {
    errors: Vec<SpecError>,
}

impl Check {
    fn report(&mut self, path: &str, message: impl Into<String>) {
        self.errors.push(SpecError {
            path: path.to_string(),
            message: message.into(),
        });
    }

    fn fail<T>(&mut self, path: &str, message: impl Into<String>) -> Option<T> {
        self.report(path, message);
        None
    }

    fn fail_got<T>(&mut self, path: &str, expected: &str, got: &Value) -> Option<T> {
        self.fail(path, format!("{expected}, got {}", render(got)))
    }

    /// An object whose keys are all in `known` (any keys when `known` is empty).
    fn object<'v>(
        &mut self,
        path: &str,
        v: &'v Value,
        known: &[&str],
    ) -> Option<&'v Map<String, Value>> {
        let Some(m) = v.as_object() else {
            return self.fail_got(path, "expected an object", v);
        };
        if !known.is_empty() {
            for key in m.keys().filter(|k| !known.contains(&k.as_str())) {
                let key_path = if path == "Properties" {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                let hint = match nearest(key, known) {
                    Some(n) => format!("unknown property; did you mean {n}?"),
                    None => format!("unknown property; known here: {}", known.join(", ")),
                };
                self.report(&key_path, hint);
            }
        }
        Some(m)
    }

    fn list<'v>(&mut self, path: &str, v: &'v Value) -> Option<&'v Vec<Value>> {
        match v.as_array() {
            Some(items) => Some(items),
            None => self.fail_got(path, "expected a list", v),
        }
    }

    /// A list of strings, each passing `ok`; duplicates dropped, order kept.
    fn strings(
        &mut self,
        path: &str,
        v: &Value,
        what: &str,
        ok: impl Fn(&str) -> bool,
    ) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for (i, item) in self.list(path, v).into_iter().flatten().enumerate() {
            if let Some(s) = self.string(&format!("{path}[{i}]"), item, what, &ok)
                && !out.contains(&s)
            {
                out.push(s);
            }
        }
        out
    }

    /// A string passing `ok`. Numbers are taken as their decimal text (an account id
    /// written unquoted in YAML arrives as a number).
    fn string(
        &mut self,
        path: &str,
        v: &Value,
        what: &str,
        ok: impl Fn(&str) -> bool,
    ) -> Option<String> {
        let text = match v {
            Value::String(s) => s.clone(),
            Value::Number(n) if n.is_u64() => n.to_string(),
            _ => return self.fail_got(path, &format!("expected {what}"), v),
        };
        if ok(&text) {
            Some(text)
        } else {
            self.fail_got(path, &format!("expected {what}"), v)
        }
    }

    fn number(&mut self, path: &str, v: &Value, lo: f64, hi: f64) -> Option<f64> {
        let n = match v {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => s.trim().parse::<f64>().ok(),
            _ => None,
        };
        match n {
            Some(n) if n.is_finite() && (lo..=hi).contains(&n) => Some(n),
            _ => self.fail_got(path, &format!("expected a number from {lo} to {hi}"), v),
        }
    }

    fn integer(&mut self, path: &str, v: &Value, lo: u64, hi: u64) -> Option<u64> {
        let n = match v {
            Value::Number(n) => n.as_u64(),
            Value::String(s) => s.trim().parse::<u64>().ok(),
            _ => None,
        };
        match n {
            Some(n) if (lo..=hi).contains(&n) => Some(n),
            _ => self.fail_got(
                path,
                &format!("expected a whole number from {lo} to {hi}"),
                v,
            ),
        }
    }

    fn boolean(&mut self, path: &str, v: &Value) -> Option<bool> {
        match v {
            Value::Bool(b) => Some(*b),
            Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
            Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
            _ => self.fail_got(path, "expected true or false", v),
        }
    }
}

/// The value as the user wrote it, cut short: strings quoted, anything else as JSON.
fn render(v: &Value) -> String {
    let text = v.to_string();
    if text.chars().count() > 80 {
        format!("{}…", text.chars().take(80).collect::<String>())
    } else {
        text
    }
}

/// The known key closest to `key`, when it is close enough to be a likely typo.
fn nearest<'k>(key: &str, known: &[&'k str]) -> Option<&'k str> {
    let key = key.to_ascii_lowercase();
    known
        .iter()
        .map(|k| (edit_distance(&key, &k.to_ascii_lowercase()), *k))
        .min()
        .filter(|(d, k)| *d <= (k.len() / 3).max(2))
        .map(|(_, k)| k)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diag = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let next = (row[j + 1] + 1)
                .min(row[j] + 1)
                .min(diag + usize::from(ca != *cb));
            diag = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

fn is_pool_name(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

fn is_namespace(s: &str) -> bool {
    (1..=255).contains(&s.len())
        && !s.starts_with("AWS/")
        && s.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'/' | b'#' | b':')
        })
}

/// `vpc-` or `subnet-` followed by 8 or 17 lowercase hex digits.
fn is_resource_id(s: &str, kind: &str) -> bool {
    s.strip_prefix(kind)
        .and_then(|r| r.strip_prefix('-'))
        .is_some_and(|hex| {
            matches!(hex.len(), 8 | 17)
                && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        })
}

fn is_region(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() >= 3
        && parts[0].len() == 2
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts
            .last()
            .is_some_and(|n| (1..=2).contains(&n.len()) && n.bytes().all(|b| b.is_ascii_digit()))
}

fn is_account(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

fn is_role_name(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-".contains(&b))
}

fn is_tag_value(s: &str) -> bool {
    s.chars().count() <= 256
}

/// `arn:<partition>:<service>:<region>:<account>:<resource>`, with a region exactly when
/// `regional`.
fn arn_matches(s: &str, service: &str, regional: bool, resource: impl Fn(&str) -> bool) -> bool {
    let parts: Vec<&str> = s.splitn(6, ':').collect();
    let [arn, partition, svc, region, account, rest] = parts[..] else {
        return false;
    };
    arn == "arn"
        && (partition == "aws" || partition.starts_with("aws-"))
        && svc == service
        && (if regional {
            is_region(region)
        } else {
            region.is_empty()
        })
        && is_account(account)
        && resource(rest)
}

/// A standard topic's ARN. FIFO topics (`.fifo`) are refused: CloudWatch alarm actions
/// cannot publish to them, and a notification published without a MessageGroupId is refused.
fn is_sns_topic_arn(s: &str) -> bool {
    arn_matches(s, "sns", true, |name| {
        (1..=256).contains(&name.len())
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn errors(props: Value) -> Vec<String> {
        parse(&props)
            .unwrap_err()
            .0
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn minimal_properties_take_the_defaults() {
        let spec = parse(&json!({"ServiceToken": "arn:x", "PoolName": "eks-prod"})).unwrap();
        assert_eq!(spec.pool_name, "eks-prod");
        assert_eq!(spec.namespace, "CidrWatch");
        assert_eq!(spec.schedule.expression(), "rate(5 minutes)");
        assert_eq!(spec.thresholds.warning_percent, 80.0);
        assert_eq!(spec.thresholds.critical_percent, 90.0);
        assert_eq!(spec.thresholds.subnet_critical_percent, 90.0);
        assert_eq!(spec.notify, Notify::Detailed);
        assert!(!spec.dashboard && !spec.subnet_metrics);
    }

    #[test]
    fn strings_for_numbers_and_booleans() {
        let spec = parse(&json!({
            "PoolName": "p", "ServiceTimeout": "300",
            "Thresholds": {"WarningPercent": "70.5", "CriticalPercent": 95, "MinFreeAddresses": "256"},
            "SubnetMetrics": "true", "Dashboard": "False",
        }))
        .unwrap();
        assert_eq!(spec.thresholds.warning_percent, 70.5);
        assert_eq!(spec.thresholds.critical_percent, 95.0);
        assert_eq!(spec.thresholds.min_free_addresses, Some(256));
        assert!(spec.subnet_metrics);
        assert!(!spec.dashboard);
    }

    #[test]
    fn the_issue_example_message() {
        assert_eq!(
            errors(json!({"PoolName": "p", "Thresholds": {"WarningPercent": "eighty"}})),
            [r#"Thresholds.WarningPercent: expected a number from 0 to 100, got "eighty""#]
        );
    }

    #[test]
    fn unknown_keys_name_the_nearest() {
        assert_eq!(
            errors(json!({"PoolName": "p", "Thresholds": {"WarnPercent": 50}, "poolname": "x"})),
            [
                "poolname: unknown property; did you mean PoolName?",
                "Thresholds.WarnPercent: unknown property; did you mean WarningPercent?",
            ]
        );
        let far = errors(json!({"PoolName": "p", "Select": {"Zebra": 1}}));
        assert!(
            far[0].starts_with("Select.Zebra: unknown property; known here: VpcIds"),
            "{far:?}"
        );
    }

    #[test]
    fn every_problem_at_once() {
        let errs = errors(json!({
            "PoolName": "bad name!",
            "Select": {"VpcIds": ["vpc-123"], "Cidrs": ["10.0.0.1/8", "nope"], "Regions": ["mars"]},
            "Thresholds": {"WarningPercent": 95, "CriticalPercent": 90, "MinFreePrefixes": "2.5"},
            "Schedule": "cron(0 * * * ? *)",
            "AlarmTopicArns": ["arn:aws:sqs:us-east-1:111111111111:q"],
            "Notify": "loud",
        }));
        let paths: Vec<&str> = errs.iter().map(|e| e.split(':').next().unwrap()).collect();
        assert_eq!(
            paths,
            [
                "PoolName",
                "Select.VpcIds[0]",
                "Select.Cidrs[0]",
                "Select.Cidrs[1]",
                "Select.Regions[0]",
                "Thresholds.WarningPercent",
                "Thresholds.MinFreePrefixes",
                "Schedule",
                "AlarmTopicArns[0]",
                "Notify",
            ]
        );
        assert!(errs[2].contains("did you mean 10.0.0.0/8?"), "{}", errs[2]);
        assert!(errs[5].contains("must be below Thresholds.CriticalPercent (90), got 95"));
        assert!(errs[7].contains("cron(...) is not accepted"), "{}", errs[7]);
    }

    #[test]
    fn a_template_without_topics_allows_no_detailed_topic() {
        let limits = Limits {
            alarm_topic_arns: Some(vec![]),
            ..Limits::default()
        };
        let topic = "arn:aws:sns:us-east-1:111111111111:alerts";
        let detailed = parse(&json!({"PoolName": "p", "AlarmTopicArns": [topic]})).unwrap();
        let refused = limits.check(&detailed).unwrap_err().to_string();
        assert!(refused.starts_with("AlarmTopicArns[0]: "), "{refused}");
        let native =
            parse(&json!({"PoolName": "p", "Notify": "native", "AlarmTopicArns": [topic]}))
                .unwrap();
        assert_eq!(
            limits.check(&native),
            Ok(()),
            "CloudWatch publishes, not the function"
        );
        assert_eq!(
            Limits::default().check(&detailed),
            Ok(()),
            "unset: not limited"
        );
    }

    #[test]
    fn fifo_topics_are_refused_at_validation() {
        let errs = errors(json!({"PoolName": "p",
            "AlarmTopicArns": ["arn:aws:sns:us-east-1:111111111111:alerts.fifo"]}));
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert!(
            errs[0].starts_with("AlarmTopicArns[0]: expected a standard SNS topic ARN (not .fifo"),
            "{}",
            errs[0]
        );
    }

    #[test]
    fn rates_from_one_minute_to_six_hours() {
        for (text, minutes, canonical) in [
            ("rate(1 minute)", 1, "rate(1 minute)"),
            ("rate(1 minutes)", 1, "rate(1 minute)"),
            ("rate(90 minutes)", 90, "rate(90 minutes)"),
            ("rate(120 minutes)", 120, "rate(2 hours)"),
            (" rate(6 hours) ", 360, "rate(6 hours)"),
        ] {
            let r = Rate::parse(text).unwrap();
            assert_eq!((r.minutes(), r.expression().as_str()), (minutes, canonical));
        }
        for bad in [
            "rate(0 minutes)",
            "rate(7 hours)",
            "rate(1 day)",
            "rate(5 secs)",
            "rate(5)",
            "5m",
        ] {
            assert!(Rate::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn reserved_and_invalid_tags() {
        let errs = errors(
            json!({"PoolName": "p", "Tags": {"aws:x": "1", "cidrwatch:monitor": "y", "ok": {"nested": 1}}}),
        );
        assert_eq!(errs.len(), 3, "{errs:?}");
    }

    #[test]
    fn metric_stream_requires_arns() {
        let errs = errors(json!({"PoolName": "p", "MetricStream": {"OutputFormat": "csv"}}));
        assert_eq!(
            errs.iter()
                .map(|e| e.split(':').next().unwrap())
                .collect::<Vec<_>>(),
            [
                "MetricStream.FirehoseArn",
                "MetricStream.RoleArn",
                "MetricStream.OutputFormat"
            ]
        );
        let ok = parse(&json!({"PoolName": "p", "MetricStream": {
            "FirehoseArn": "arn:aws:firehose:us-east-1:111111111111:deliverystream/s",
            "RoleArn": "arn:aws:iam::111111111111:role/r"}}))
        .unwrap();
        assert_eq!(ok.metric_stream.unwrap().output_format, "opentelemetry1.0");
    }

    #[test]
    fn round_trips_through_its_own_serialization() {
        let spec = parse(&json!({
            "PoolName": "eks.prod", "Namespace": "Net/Ips",
            "Select": {"VpcIds": ["vpc-0abc1234"], "Tags": {"team": "a", "env": ["x", "y"]},
                       "Cidrs": ["10.0.0.0/8"], "Accounts": [111111111111u64], "RoleName": "reader"},
            "Thresholds": {"MinFreePrefixes": 8}, "Schedule": "rate(60 minutes)",
            "AlarmTopicArns": ["arn:aws:sns:us-east-1:111111111111:alerts"], "Notify": "Native",
            "Tags": {"team": "network"}, "ExplicitReservations": "true"
        }))
        .unwrap();
        let again = parse(&serde_json::to_value(&spec).unwrap()).unwrap();
        assert_eq!(spec, again);
        assert_eq!(again.accounting(), Accounting::PrefixesAndReservations);
        assert_eq!(again.schedule.expression(), "rate(1 hour)");
        assert_eq!(again.select.accounts, ["111111111111"]);
    }

    #[test]
    fn explicit_reservations_are_opt_in_and_need_prefix_accounting() {
        let with = |extra: Value| {
            let mut props = json!({"PoolName": "p"});
            props
                .as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            parse(&props)
        };
        assert_eq!(with(json!({})).unwrap().accounting(), Accounting::Addresses);
        let prefixes = json!({"Thresholds": {"MinFreePrefixes": 2}});
        assert_eq!(with(prefixes).unwrap().accounting(), Accounting::Prefixes);
        assert_eq!(
            errors(json!({"PoolName": "p", "ExplicitReservations": true})),
            [
                "ExplicitReservations: reservations only change FreePrefixes: set \
              Thresholds.MinFreePrefixes too"
            ]
        );
        // Off is the default, so it stays out of the schedule's input.
        let off = with(json!({"ExplicitReservations": false})).unwrap();
        assert!(
            serde_json::to_value(&off)
                .unwrap()
                .get("ExplicitReservations")
                .is_none()
        );
    }

    #[test]
    fn too_many_subnets_for_the_schedule_input() {
        let ids: Vec<String> = (0..600).map(|i| format!("subnet-{i:017x}")).collect();
        let errs = errors(json!({"PoolName": "p", "Select": {"SubnetIds": ids}}));
        assert!(errs[0].starts_with("Select: the monitor takes"), "{errs:?}");
    }
}
