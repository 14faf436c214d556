//! What each alarm means: its kind, metric, statistic, comparison, threshold source,
//! evaluation periods, missing-data rule, severity and route, in one table
//! ([`AlarmKind::meaning`]) that the plan, the first-scan state, the notifications and the
//! dashboard all read.

use super::is_monitor_id;
use crate::spec::Thresholds;

/// The alarms a monitor may have. Their names are `<id>-<suffix>`; what each means lives in
/// [`AlarmKind::meaning`], the one place the plan, the notifications and the first-scan
/// state read it from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AlarmKind {
    Warning,
    Critical,
    SubnetCritical,
    FreeAddresses,
    FreePrefixes,
    AzFreeAddresses,
    Supernet,
    Overlaps,
    Stale,
    ScanErrors,
}

/// How loud an alarm is: the `severity` attribute subscribers filter on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    Warning,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }

    /// The colour of its threshold line on the dashboard.
    pub fn color(self) -> &'static str {
        match self {
            Severity::Warning => "#ff7f0e",
            Severity::Critical => "#d62728",
        }
    }
}

/// Where an alarm's actions point.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    /// As `Notify` says: the topics (native) or the function (detailed).
    Notify,
    /// The topics directly, whatever `Notify` says: an alarm about the monitor itself must
    /// not depend on the function that may be what is broken.
    Topics,
}

/// Everything an alarm kind means, in one place.
#[derive(Clone, Copy, Debug)]
pub struct Meaning {
    pub suffix: &'static str,
    /// The pool metric it watches (dimension `Pool`).
    pub metric: &'static str,
    pub statistic: Statistic,
    pub comparison: Comparison,
    /// Consecutive periods that must breach.
    pub evaluation_periods: u32,
    pub missing_data: MissingData,
    pub severity: Severity,
    pub route: Route,
    /// Its threshold under these settings; `None`: the monitor has no alarm of this kind.
    pub threshold: fn(&Thresholds) -> Option<f64>,
    /// The property that sets the threshold and makes the alarm, or what fixes it.
    pub set_by: &'static str,
    /// What a person should do when it fires: the chat message's next step and the manual's.
    pub action: &'static str,
    /// What breaching means, given the threshold, for the alarm's description.
    pub what: fn(f64) -> String,
}

/// Consecutive periods without a heartbeat, or with scan errors, before the alarms about the
/// monitor itself fire: one missed tick is the schedule's jitter, three are a pattern.
pub const MONITOR_ALARM_PERIODS: u32 = 3;

impl AlarmKind {
    pub const ALL: [AlarmKind; 10] = [
        AlarmKind::Warning,
        AlarmKind::Critical,
        AlarmKind::SubnetCritical,
        AlarmKind::FreeAddresses,
        AlarmKind::FreePrefixes,
        AlarmKind::AzFreeAddresses,
        AlarmKind::Supernet,
        AlarmKind::Overlaps,
        AlarmKind::Stale,
        AlarmKind::ScanErrors,
    ];

    pub fn meaning(self) -> Meaning {
        use Comparison::*;
        let threshold =
            |suffix, metric, statistic, comparison, severity, (threshold, set_by), what, action| {
                Meaning {
                    suffix,
                    metric,
                    statistic,
                    comparison,
                    evaluation_periods: 1,
                    // Keep the current state: a tick that withholds pool figures (a partial scan)
                    // must neither fire nor clear a threshold alarm, nor leave it INSUFFICIENT_DATA
                    // to recover from; the stale alarm speaks for silence.
                    missing_data: MissingData::Ignore,
                    severity,
                    route: Route::Notify,
                    threshold,
                    set_by,
                    what,
                    action,
                }
            };
        match self {
            AlarmKind::Warning => threshold(
                "warning",
                "Utilization",
                Statistic::Maximum,
                GreaterThanOrEqual,
                Severity::Warning,
                (
                    |t| Some(t.warning_percent),
                    "Thresholds.WarningPercent (default 80)",
                ),
                |v| format!("utilization at or above {v}%"),
                "Free what the next-move lines name (the VPC CNI's idle addresses, detached ENIs), \
             or add subnets or a secondary VPC CIDR block before the pool runs dry \
             (cidrwatch suggest); for EKS, prefix delegation or custom networking in \
             100.64.0.0/10.",
            ),
            AlarmKind::Critical => threshold(
                "critical",
                "Utilization",
                Statistic::Maximum,
                GreaterThanOrEqual,
                Severity::Critical,
                (
                    |t| Some(t.critical_percent),
                    "Thresholds.CriticalPercent (default 90)",
                ),
                |v| format!("utilization at or above {v}%"),
                "Free what the next-move lines name (the VPC CNI's idle addresses, detached ENIs), \
             or add subnets or a secondary VPC CIDR block before the pool runs dry \
             (cidrwatch suggest); for EKS, prefix delegation or custom networking in \
             100.64.0.0/10.",
            ),
            AlarmKind::SubnetCritical => threshold(
                "subnet-critical",
                "MaxSubnetUtilization",
                Statistic::Maximum,
                GreaterThanOrEqual,
                Severity::Critical,
                (
                    |t| Some(t.subnet_critical_percent),
                    "Thresholds.SubnetCriticalPercent (default 90)",
                ),
                |v| format!("a subnet at or above {v}%"),
                "Free what the next-move lines name (the VPC CNI's idle addresses, detached ENIs), \
             or add subnets or a secondary VPC CIDR block before the pool runs dry \
             (cidrwatch suggest); for EKS, prefix delegation or custom networking in \
             100.64.0.0/10.",
            ),
            AlarmKind::FreeAddresses => threshold(
                "free-addresses",
                "FreeAddresses",
                Statistic::Minimum,
                LessThan,
                Severity::Critical,
                (
                    |t| t.min_free_addresses.map(|m| m as f64),
                    "Thresholds.MinFreeAddresses (no alarm unless set)",
                ),
                |v| format!("fewer than {v} free addresses"),
                "Free what the next-move lines name (the VPC CNI's idle addresses, detached ENIs), \
             or add subnets or a secondary VPC CIDR block before the pool runs dry \
             (cidrwatch suggest); for EKS, prefix delegation or custom networking in \
             100.64.0.0/10.",
            ),
            AlarmKind::FreePrefixes => threshold(
                "free-prefixes",
                "FreePrefixes",
                Statistic::Minimum,
                LessThan,
                Severity::Critical,
                (
                    |t| t.min_free_prefixes.map(|m| m as f64),
                    "Thresholds.MinFreePrefixes (no alarm unless set)",
                ),
                |v| format!("fewer than {v} free /28 prefixes"),
                "Free /28 blocks (scattered secondary addresses fragment them), or add subnets \
                 for prefix delegation; a prefix-type subnet CIDR reservation keeps a range \
                 whole for /28 prefixes.",
            ),
            AlarmKind::AzFreeAddresses => threshold(
                "az-free-addresses",
                "MinAzFreeAddresses",
                Statistic::Minimum,
                LessThan,
                Severity::Critical,
                (
                    |t| t.min_free_addresses_per_az.map(|m| m as f64),
                    "Thresholds.MinFreeAddressesPerAz (no alarm unless set)",
                ),
                |v| format!("fewer than {v} free addresses in its smallest Availability Zone"),
                "Add a subnet in that Availability Zone (pods only use their node's AZ), or free \
                 the addresses the next-move lines name there.",
            ),
            // The address plan (`Supernets`): the planned blocks filling up, and VPCs whose
            // blocks overlap where they are connected (they cannot route to each other).
            AlarmKind::Supernet => threshold(
                "supernet",
                "SupernetAllocation",
                Statistic::Maximum,
                GreaterThanOrEqual,
                Severity::Warning,
                (
                    |t| t.supernet_percent,
                    "Thresholds.SupernetPercent (default 80, with Supernets)",
                ),
                |v| format!("its supernets at or above {v}% allocated to VPCs"),
                "Place the next VPCs in the largest free blocks (cidrwatch suggest --new-vpc), or \
                 add a planned block to Supernets.",
            ),
            AlarmKind::Overlaps => threshold(
                "overlaps",
                "OverlappingVpcs",
                Statistic::Maximum,
                GreaterThan,
                Severity::Critical,
                // With the plan: `supernet_percent` is set exactly when `Supernets` is.
                (
                    |t| t.supernet_percent.map(|_| 0.0),
                    "Supernets (fixed at 0)",
                ),
                |_| "VPCs whose CIDR blocks overlap where they are connected".to_string(),
                "Renumber one VPC of each connected overlapping pair (a new VPC from cidrwatch \
                 suggest --new-vpc), or take it off the shared gateway or peering.",
            ),
            // A monitor that stops monitoring is itself an alarm: no heartbeat for 3 periods,
            // missing data counting as breaching.
            AlarmKind::Stale => Meaning {
                suffix: "stale",
                metric: "Heartbeat",
                statistic: Statistic::Sum,
                comparison: LessThan,
                evaluation_periods: MONITOR_ALARM_PERIODS,
                missing_data: MissingData::Breaching,
                severity: Severity::Warning,
                route: Route::Topics,
                threshold: |_| Some(1.0),
                set_by: "every monitor (fixed)",
                action: "Check the function's log group (/aws/lambda/<provider stack>-provider) \
                         and its Errors alarm, and that the monitor's schedule exists and is \
                         enabled: without ticks nothing else is watched.",
                what: |_| {
                    format!("no usage published for {MONITOR_ALARM_PERIODS} schedule periods")
                },
            },
            // Ticks that could not scan some account-region. Its data comes from ticks, so
            // when it fires the function is running: in detailed mode the function's message
            // names the failing account-regions. When ticks stop, the stale alarm speaks.
            AlarmKind::ScanErrors => Meaning {
                suffix: "scan-errors",
                metric: "ScanErrors",
                statistic: Statistic::Maximum,
                comparison: GreaterThan,
                evaluation_periods: MONITOR_ALARM_PERIODS,
                // When ticks stop, keep the state: -stale speaks, and a resumed tick's 0 is no
                // recovery to announce.
                missing_data: MissingData::Ignore,
                severity: Severity::Warning,
                route: Route::Notify,
                threshold: |_| Some(0.0),
                set_by: "every monitor (fixed)",
                action: "Fix what the message names for each failing account-region (a role to \
                         deploy or trust, a region to enable, a permission to grant); pool \
                         figures return with the first whole scan.",
                what: |_| {
                    format!(
                        "account-regions failed to scan in {MONITOR_ALARM_PERIODS} consecutive \
                         ticks; pool figures are withheld until every one answers"
                    )
                },
            },
        }
    }

    pub fn suffix(self) -> &'static str {
        self.meaning().suffix
    }

    /// Whether it watches the address space (rather than the monitor itself).
    pub fn watches_space(self) -> bool {
        !matches!(self, AlarmKind::Stale | AlarmKind::ScanErrors)
    }

    /// Whether it watches the pool's subnets: its message names the next move for them.
    pub fn watches_subnets(self) -> bool {
        self.watches_space() && !self.watches_plan()
    }

    /// Whether it watches the address plan (`Supernets`): its message carries the plan.
    pub fn watches_plan(self) -> bool {
        matches!(self, AlarmKind::Supernet | AlarmKind::Overlaps)
    }

    pub fn severity(self) -> Severity {
        self.meaning().severity
    }

    pub fn alarm_name(self, id: &str) -> String {
        format!("{id}-{}", self.suffix())
    }

    /// The monitor and kind an alarm name belongs to, if it is a cidrwatch alarm's.
    pub fn monitor_of(name: &str) -> Option<(String, AlarmKind)> {
        Self::ALL.into_iter().find_map(|k| {
            let id = name.strip_suffix(k.suffix())?.strip_suffix('-')?;
            is_monitor_id(id).then(|| (id.to_string(), k))
        })
    }

    /// Which kind `name` is for monitor `id`, if it is one of that monitor's alarm names.
    /// Exact: another monitor whose pool name extends this one's never matches.
    pub fn of(id: &str, name: &str) -> Option<AlarmKind> {
        let suffix = name.strip_prefix(id)?.strip_prefix('-')?;
        Self::ALL.into_iter().find(|k| k.suffix() == suffix)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Statistic {
    Maximum,
    Minimum,
    Sum,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Comparison {
    GreaterThanOrEqual,
    GreaterThan,
    LessThan,
}

impl Comparison {
    pub fn holds(self, value: f64, threshold: f64) -> bool {
        match self {
            Comparison::GreaterThanOrEqual => value >= threshold,
            Comparison::GreaterThan => value > threshold,
            Comparison::LessThan => value < threshold,
        }
    }
}

/// What an alarm does when a period has no data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MissingData {
    /// `ignore`: keep the current state through missing data (the stale alarm speaks for
    /// silence). Not `missing`: CloudWatch turns an alarm whose whole evaluation range is
    /// missing INSUFFICIENT_DATA ("Configuring how CloudWatch alarms treat missing data"), so
    /// a partial scan of a few periods would drop it there, and the recovery would announce a
    /// false OK (native mode runs OK actions from INSUFFICIENT_DATA) or a second ALARM for a
    /// breach already announced.
    Ignore,
    Breaching,
}
