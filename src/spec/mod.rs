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
//!
//! - this module: the spec's types, its errors, [`parse`];
//! - `read`: the readers of each part of the properties (and the key lists);
//! - `check`: the error-collecting machinery and nearest-key hints;
//! - `fields`: what a valid account, region, ARN, id or name looks like;
//! - `limits`: what the provider's deployment allows ([`Limits`]);
//! - [`schema`]: the JSON Schema of the properties, built from the same definitions.

mod check;
mod fields;
mod limits;
mod read;
pub mod schema;

pub use fields::ALL_REGIONS;
pub use limits::Limits;

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;
use serde_json::Value;

use crate::usage::Ipv4Cidr;
use check::Check;
use read::read_spec;

pub const DEFAULT_NAMESPACE: &str = "CidrWatch";
/// Pool utilization (%) of the `-warning` alarm when `Thresholds` does not say.
pub const DEFAULT_WARNING_PERCENT: f64 = 80.0;
/// Pool utilization (%) of the `-critical` alarm.
pub const DEFAULT_CRITICAL_PERCENT: f64 = 90.0;
/// The fullest subnet's utilization (%) of the `-subnet-critical` alarm.
pub const DEFAULT_SUBNET_CRITICAL_PERCENT: f64 = 90.0;
/// The supernets' allocation (%) of the `-supernet` alarm, when `Supernets` is set.
pub const DEFAULT_SUPERNET_PERCENT: f64 = 80.0;
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
    /// Also publish `FreeAddresses` and `Utilization` per `Pool,AvailabilityZoneId`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub az_metrics: bool,
    pub dashboard: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metric_stream: Option<MetricStream>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
    /// Also read each subnet's `explicit` CIDR reservations for `FreePrefixes`. Opt-in:
    /// EC2 answers that only per subnet, so it costs one call per subnet per tick.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub explicit_reservations: bool,
    /// Also publish `ClusterHeldAddresses` and `ClusterIdleAddresses` per `Pool,Cluster`
    /// (EKS clusters in the pool): the tick then reads every ENI and the clusters' nodes.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub cluster_metrics: bool,
    /// The planned blocks new VPCs come from: set, ticks read every VPC of the scanned
    /// account-regions, their transit-gateway attachments, peerings and routes, and publish
    /// the address plan's figures (`SupernetAllocation`, …, `OverlappingVpcs`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub supernets: Vec<Ipv4Cidr>,
    /// Customer-managed prefix lists whose ranges (on-premises, say) are in use: they count
    /// for overlaps and for where new VPCs may go. Only with `supernets`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub avoid_prefix_lists: Vec<String>,
}

/// Whether a scan also learns who holds each address, or only the counts a tick publishes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Depth {
    /// The counts: the floor of calls, reading only the detached ENIs.
    Counts,
    /// Also every ENI of the pool's subnets and the EKS clusters' nodes: who holds the
    /// addresses (reports, notifications, the map, `ClusterMetrics`).
    Holders,
}

/// With `Supernets`: a scan also reads what the address plan needs (every VPC and what joins
/// them), and the ranges of the prefix lists it avoids.
#[derive(Clone, Copy, Debug)]
pub struct AddressPlan<'a> {
    pub avoid_prefix_lists: &'a [String],
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
    /// The optional series its ticks publish.
    pub fn series(&self) -> crate::usage::metrics::Series {
        crate::usage::metrics::Series {
            subnets: self.subnet_metrics,
            azs: self.az_metrics,
            clusters: self.cluster_metrics,
        }
    }

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
    /// As the properties say it: empty is the provider's own region, and `ALL` (see
    /// [`Selection::all_regions`]) every region enabled in each account. `ALL` stays in the
    /// list rather than becoming a field of its own, so the spec serializes back to the
    /// property the parser reads.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub regions: Vec<String>,
    /// Empty (and no `organizational_units`): the provider's own account.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub accounts: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role_name: Option<String>,
    /// Roots and OUs whose ACTIVE accounts, nested OUs included, join `accounts`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub organizational_units: Vec<String>,
    /// A role to assume for listing the organization; default: the provider's credentials.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization_role_arn: Option<String>,
    /// Accounts never scanned, whichever way they were selected.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub exclude_accounts: Vec<String>,
}

impl Selection {
    /// `Regions: [ALL]`: every region enabled in each account, read per account (a region
    /// listed beside `ALL` adds nothing).
    pub fn all_regions(&self) -> bool {
        self.regions.iter().any(|r| r == ALL_REGIONS)
    }

    /// The named regions, `ALL` aside.
    pub fn named_regions(&self) -> impl Iterator<Item = &String> {
        self.regions.iter().filter(|r| *r != ALL_REGIONS)
    }

    /// Whether a subnet belongs to the pool: AND across keys, OR within a list. Discovery
    /// filters on EC2's side where it can and re-checks here; `Cidrs` is only checked here.
    /// `tag` gives the subnet's value of a tag key (looked up, not collected into a map: this
    /// runs for every subnet of every region read).
    pub fn matches<'a>(
        &self,
        vpc_id: &str,
        subnet_id: &str,
        tag: impl Fn(&str) -> Option<&'a str>,
        cidr: Option<Ipv4Cidr>,
    ) -> bool {
        let any = |list: &[String], v: &str| list.is_empty() || list.iter().any(|x| x == v);
        any(&self.vpc_ids, vpc_id)
            && any(&self.subnet_ids, subnet_id)
            && self
                .tags
                .iter()
                .all(|(k, values)| tag(k).is_some_and(|v| values.iter().any(|x| x == v)))
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
    /// The `-az-free-addresses` alarm: the smallest AZ's free addresses below this.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_free_addresses_per_az: Option<u64>,
    /// The `-supernet` alarm (and `-overlaps` beside it): `Some` exactly when the monitor has
    /// `Supernets`, [`DEFAULT_SUPERNET_PERCENT`] unless it says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub supernet_percent: Option<f64>,
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

/// Validates resource properties into a [`MonitorSpec`], reporting every problem at once.
///
/// A spec is returned only when its own serialization — what the schedule hands each tick
/// ([`MonitorSpec::tick_properties`]) — fits the schedule's input and reads back as the same
/// spec, so a monitor a Create accepts is one its ticks can read.
pub fn parse(properties: &Value) -> Result<MonitorSpec, SpecErrors> {
    let mut c = Check::default();
    let spec = read_spec(&mut c, properties);
    let spec = match spec {
        Some(spec) if c.errors.is_empty() => spec,
        _ => return Err(SpecErrors(c.errors)),
    };
    let tick = spec.tick_properties();
    let bytes = tick.to_string().len();
    if bytes + TICK_ENVELOPE_BYTES > SCHEDULE_INPUT_LIMIT {
        c.report(
            "Select",
            format!(
                "the monitor takes {bytes} bytes in its schedule's input, which holds \
                 {SCHEDULE_INPUT_LIMIT}; select by VpcIds, Tags or Cidrs rather than listing \
                 many SubnetIds"
            ),
        );
        return Err(SpecErrors(c.errors));
    }
    let mut again = Check::default();
    if read_spec(&mut again, &tick).as_ref() != Some(&spec) || !again.errors.is_empty() {
        c.report(
            "Properties",
            format!(
                "cidrwatch cannot carry this monitor to its ticks (its schedule input {tick} \
                 reads back differently{}); this is a cidrwatch defect: please report it with \
                 these properties",
                again
                    .errors
                    .first()
                    .map(|e| format!(": {e}"))
                    .unwrap_or_default()
            ),
        );
        return Err(SpecErrors(c.errors));
    }
    Ok(spec)
}

/// Reads the monitor a schedule's input carries. Inputs written by releases before the tick
/// input was the properties' own form said `Select.AllRegions: true` for `Regions: [ALL]`;
/// read so, such a monitor ticks again without waiting for a stack update.
pub fn parse_tick(monitor: &Value) -> Result<MonitorSpec, SpecErrors> {
    let Some(all) = monitor.pointer("/Select/AllRegions") else {
        return parse(monitor);
    };
    let mut monitor = monitor.clone();
    let all = all.as_bool() == Some(true);
    if let Some(select) = monitor.get_mut("Select").and_then(Value::as_object_mut) {
        select.remove("AllRegions");
        if all {
            let regions = select
                .entry("Regions")
                .or_insert_with(|| Value::Array(Vec::new()));
            if let Value::Array(list) = regions {
                list.push(Value::String(ALL_REGIONS.to_string()));
            }
        }
    }
    parse(&monitor)
}

impl MonitorSpec {
    /// The monitor as the schedule's input carries it to each tick: its properties with the
    /// defaults filled in, in the one form [`parse`] reads.
    pub fn tick_properties(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

#[cfg(test)]
mod tests;
