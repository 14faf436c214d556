//! Create, Update and Delete of one monitor: validate, scan once, plan, apply through
//! [`crate::aws`].
//!
//! - Create and Update validate everything before touching AWS: bad input creates nothing.
//! - Then they refuse a monitor AWS will not let work, before making anything: a
//!   `PoolName`+`Namespace` another monitor already publishes, an account or region that
//!   refuses the first scan, a namespace where PutMetricData is refused.
//! - That first scan is published, so a new monitor has data from its first minute, and its
//!   alarms start in the state it shows (OK when healthy): a healthy pool's Create sends no
//!   message. A scan that cannot finish in its share of the time is left to the first tick.
//! - Create is idempotent: applying a plan converges on it (put overwrites, extras go).
//! - A change of PoolName or Namespace changes the id (see [`crate::plan::monitor_id`]): that
//!   is a replacement, answered with the new id; CloudFormation later deletes the old one.
//! - A Create or replacement that fails, times out or panics removes what it made before
//!   answering.
//! - Delete acts on the PhysicalResourceId alone — alarms, dashboard, metric stream, schedule;
//!   what is gone counts as deleted; an id that is not ours succeeds as a no-op.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio::time::Instant;

use crate::Error;
use crate::aws::Aws;
use crate::aws::alarms::Actions;
use crate::cfn::{self, Action, Answered, Coords, Deadline, Delivery, Request, Success};
use crate::plan::{self, AlarmKind, Target};
use crate::spec::{self, DEFAULT_NAMESPACE, Depth, Limits, MonitorSpec};
use crate::tick;
use crate::usage::metrics::{self, Datum, Series};
use crate::usage::pool::Report;

/// The call that reads `AvoidPrefixLists`: its refusal is about that property, not `Select`.
const PREFIX_LIST_CALL: &str = "ec2:GetManagedPrefixListEntries";

/// The most a Create or Update spends on its first scan; a slower estate gets its first
/// figures from the schedule's first tick instead.
pub const FIRST_SCAN_MAX: Duration = Duration::from_secs(120);
/// Refused account-regions named in a Reason; the rest are counted.
const REFUSALS_NAMED: usize = 3;

/// The provider's own deployment settings, from its environment.
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    /// The role schedules run as (`SCHEDULER_ROLE_ARN`).
    pub scheduler_role_arn: Option<String>,
    /// `SCHEDULE_GROUP`, default `cidrwatch`.
    pub schedule_group: String,
    /// What the template's IAM policy allows: monitors outside it are refused at validation.
    pub limits: Limits,
    /// Account-regions scanned at once when `SCAN_CONCURRENCY` fixes it; `None` lets each
    /// scan choose.
    pub scan_concurrency: Option<usize>,
}

/// The schedule group the provider template makes, when `SCHEDULE_GROUP` does not say.
pub const DEFAULT_SCHEDULE_GROUP: &str = "cidrwatch";

impl Default for Settings {
    fn default() -> Self {
        Settings {
            scheduler_role_arn: None,
            schedule_group: DEFAULT_SCHEDULE_GROUP.to_string(),
            limits: Limits::default(),
            scan_concurrency: None,
        }
    }
}

impl Settings {
    pub fn from_env() -> Self {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        Settings {
            scheduler_role_arn: var("SCHEDULER_ROLE_ARN"),
            schedule_group: var("SCHEDULE_GROUP")
                .unwrap_or_else(|| DEFAULT_SCHEDULE_GROUP.to_string()),
            limits: Limits::from_env(),
            scan_concurrency: crate::aws::discover::concurrency_from_env(),
        }
    }
}

/// What the provider needs to act: AWS, its settings, and who it is.
#[derive(Clone, Debug)]
pub struct Provider {
    pub aws: Aws,
    pub settings: Settings,
}

/// Handles one request and answers it exactly once, by the earlier of the Lambda deadline
/// and the request's `ServiceTimeout`.
pub async fn respond(
    provider: Arc<Provider>,
    request: Request,
    function_arn: Option<String>,
    lambda_deadline: Instant,
    delivery: &Delivery,
) -> Result<Answered, Error> {
    let received = Instant::now();
    let coords = request.coords.clone();
    // The id the properties give; on Delete, the one CloudFormation names (when it names
    // none, the one a Create of these properties made: never an empty id).
    let id = match &request.action {
        Action::Create { properties }
        | Action::Update { properties, .. }
        | Action::Delete {
            physical_id: None,
            properties,
        } => id_for(&coords, properties),
        Action::Delete {
            physical_id: Some(id),
            ..
        } => id.clone(),
    };
    let (failure_id, new_id) = match &request.action {
        Action::Create { .. } => (id.clone(), Some(id.clone())),
        Action::Update { physical_id, .. } => (
            physical_id.clone(),
            (id != *physical_id).then(|| id.clone()),
        ),
        Action::Delete { .. } => (id.clone(), None),
    };
    let deadline = Deadline::new(lambda_deadline, request.service_timeout, received);
    // A Create or a replacement that does not finish leaves nothing of its new id: the undo
    // runs after a timeout or panic (an error undoes inside the work: first_scan_then_apply).
    let undo = new_id.map(|id| {
        let provider = provider.clone();
        async move {
            if let Err(e) = delete(&provider, &id).await {
                tracing::error!(id, error = %e, "could not remove an unfinished monitor");
            }
        }
    });
    let work = async move {
        let p = &provider;
        match request.action {
            Action::Create { properties } => {
                let (spec, target) = prepare(p, &properties, function_arn)?;
                first_scan_then_apply(p, &id, &spec, &target, Vec::new(), deadline, OnError::Undo)
                    .await
            }
            Action::Update {
                physical_id,
                properties,
                ..
            } => {
                let (spec, target) = prepare(p, &properties, function_arn)?;
                let replacing = id != physical_id;
                if replacing {
                    tracing::info!(old = physical_id, new = %id, "PoolName or Namespace changed: replacing");
                }
                let others = vec![physical_id];
                // In place, a failed Update leaves the monitor for CloudFormation's rollback.
                let on_error = if replacing {
                    OnError::Undo
                } else {
                    OnError::Keep
                };
                first_scan_then_apply(p, &id, &spec, &target, others, deadline, on_error).await
            }
            Action::Delete { .. } => delete(p, &id).await,
        }
    };
    cfn::answer(&coords, failure_id, deadline, delivery, work, undo).await
}

/// The monitor id from the raw properties, so that even a FAILED Create answers with the
/// id its rollback Delete will be given. For valid properties it equals the spec's.
fn id_for(coords: &Coords, properties: &Value) -> String {
    let raw = |k: &str| match properties.get(k) {
        Some(Value::String(s)) => Some(s.clone()),
        Some(v) if !v.is_null() => Some(v.to_string()),
        _ => None,
    };
    plan::monitor_id(
        &coords.stack_id,
        &coords.logical_resource_id,
        &raw("PoolName").unwrap_or_default(),
        &raw("Namespace").unwrap_or_else(|| DEFAULT_NAMESPACE.to_string()),
    )
}

fn target(settings: &Settings, function_arn: Option<String>) -> Result<Target, Error> {
    let function_arn = function_arn.ok_or_else(|| {
        Error::Config(
            "the function's own ARN is unknown (outside Lambda, set FUNCTION_ARN): alarms and \
             the schedule target it"
                .to_string(),
        )
    })?;
    let scheduler_role_arn = settings.scheduler_role_arn.clone().ok_or_else(|| {
        Error::Config(
            "SCHEDULER_ROLE_ARN is not set: it names the role schedules run as \
             (cfn/provider.yaml sets it)"
                .to_string(),
        )
    })?;
    Ok(Target {
        function_arn,
        scheduler_role_arn,
        schedule_group: settings.schedule_group.clone(),
    })
}

/// Everything Create and Update check before any AWS call: the spec, within the template's
/// limits, and where its alarms and schedule point.
fn prepare(
    p: &Provider,
    properties: &Value,
    function_arn: Option<String>,
) -> Result<(MonitorSpec, Target), Error> {
    let spec = spec::parse(properties)?;
    p.settings.limits.check(&spec)?;
    let target = target(&p.settings, function_arn)?;
    Ok((spec, target))
}

/// The refusals before anything is made, the first scan published, then the plan applied.
/// `others` are ids this monitor may share its series with (the one it replaces). A new id
/// (`undo_on_error`) is removed again when applying fails.
/// What a failed Create or Update does with what it made: a new id's resources go (nothing is
/// left half-created); an existing monitor's stay for CloudFormation's rollback to restore.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum OnError {
    Undo,
    Keep,
}

async fn first_scan_then_apply(
    p: &Provider,
    id: &str,
    spec: &MonitorSpec,
    target: &Target,
    others: Vec<String>,
    deadline: Deadline,
    on_error: OnError,
) -> Result<Success, Error> {
    one_monitor_per_series(p, id, spec, &others).await?;
    let published = first_scan(p, spec, deadline).await?;
    // The alarms watch pool series only: those datums say which start OK.
    let pool_data = published
        .as_ref()
        .map(|report| metrics::datums(report, Series::default()));
    let applied = apply(p, id, spec, target, pool_data.as_deref()).await;
    match applied {
        Err(e) if on_error == OnError::Undo => {
            if let Err(undo) = delete(p, id).await {
                tracing::error!(id, error = %undo, "could not remove a failed monitor's resources");
            }
            Err(e)
        }
        done => done,
    }
}

/// Two monitors publishing the same `Pool` series in one namespace would mix their figures
/// and fire each other's alarms.
async fn one_monitor_per_series(
    p: &Provider,
    id: &str,
    spec: &MonitorSpec,
    others: &[String],
) -> Result<(), Error> {
    let on_series = p
        .aws
        .monitors_on_series(&spec.namespace, &spec.pool_name)
        .await?;
    match on_series.iter().find(|m| *m != id && !others.contains(m)) {
        Some(other) => Err(Error::Refused(format!(
            "PoolName: monitor {other} already publishes pool {:?} in namespace {}; two \
             monitors on one series mix their figures. Give this monitor another PoolName (or \
             Namespace), or delete the other one's stack",
            spec.pool_name, spec.namespace
        ))),
        None => Ok(()),
    }
}

/// Scans and publishes within a share of the time left, and refuses what AWS refuses.
/// `Ok(Some(report))`: what was published; `Ok(None)`: nothing (the scan did not finish in
/// time, or a transient fault stopped it), so the first tick will publish.
async fn first_scan(
    p: &Provider,
    spec: &MonitorSpec,
    deadline: Deadline,
) -> Result<Option<Report>, Error> {
    let left = deadline.work.saturating_duration_since(Instant::now());
    let budget = FIRST_SCAN_MAX.min(left / 2);
    let scanned = tokio::time::timeout(
        budget,
        tick::scan(
            &p.aws,
            spec,
            Depth::Counts,
            Instant::now() + budget,
            &|_, _, _| {},
        ),
    )
    .await;
    let Ok(report) = scanned else {
        tracing::warn!(
            seconds = budget.as_secs(),
            "first scan did not finish in its share of the time: the first tick will publish"
        );
        return Ok(None);
    };
    // An avoided prefix list no scanned region has: its own line says what to change.
    if let Some(e) = report
        .errors
        .iter()
        .find(|e| e.refused && e.call == PREFIX_LIST_CALL)
    {
        return Err(Error::Refused(format!("AvoidPrefixLists: {}", e.error)));
    }
    let refused: Vec<String> = report
        .errors
        .iter()
        .filter(|e| e.refused)
        .map(|e| e.line())
        .collect();
    if !refused.is_empty() {
        let more = refused.len().saturating_sub(REFUSALS_NAMED);
        return Err(Error::Refused(format!(
            "Select: AWS refuses the scan of {} account-region(s): {}{}. Deploy (or update) \
             the member role there (cfn/member-role.yaml) with the name in Select.RoleName, \
             enable the region, or remove it from Select",
            refused.len(),
            refused[..refused.len().min(REFUSALS_NAMED)].join("; "),
            if more > 0 {
                format!("; and {more} more")
            } else {
                String::new()
            }
        )));
    }
    for e in &report.errors {
        tracing::warn!(error = %e.line(), "first scan: transient failure; ticks will retry");
    }
    match tick::publish(&p.aws, spec, &report).await {
        Ok(()) => {
            await_heartbeat(p, spec, deadline).await;
            Ok(Some(report))
        }
        Err(e) if e.is_refusal() => Err(Error::Refused(format!(
            "Namespace: the function may not publish metrics in namespace {} ({e}); allow it \
             in the provider template's MetricNamespaces parameter, or choose a Namespace \
             it lists",
            spec.namespace
        ))),
        Err(e) => {
            tracing::warn!(error = %e, "first scan not published: the first tick will publish");
            Ok(None)
        }
    }
}

/// The longest a Create waits for CloudWatch to serve its first scan's Heartbeat.
pub const HEARTBEAT_WAIT_MAX: Duration = Duration::from_secs(20);

/// Waits, bounded, until CloudWatch serves the first scan's Heartbeat over the `-stale`
/// alarm's evaluation range. A new alarm is evaluated as soon as it is put, and CloudWatch
/// takes a moment to make new data readable: a `-stale` alarm that finds none counts the
/// missing periods as breaching, and would announce ALARM (its actions on by then) for a
/// healthy Create, then OK a few periods later. (Seen in LocalStack, `tests/e2e.rs`; AWS
/// documents the same delay between PutMetricData and the data's availability.)
async fn await_heartbeat(p: &Provider, spec: &MonitorSpec, deadline: Deadline) {
    let stale = AlarmKind::Stale.meaning();
    let period = spec.schedule.seconds();
    let range = Duration::from_secs(u64::from(period) * u64::from(stale.evaluation_periods));
    let left = deadline.work.saturating_duration_since(Instant::now());
    let until = Instant::now() + HEARTBEAT_WAIT_MAX.min(left / 4);
    let failed = loop {
        // A failed or slow read is no answer: read again until the bound, as when the
        // Heartbeat is not readable yet.
        let read = p.aws.readable(
            &spec.namespace,
            &spec.pool_name,
            stale.metric,
            period,
            range,
        );
        let failed = match tokio::time::timeout_at(until, read).await {
            Ok(Ok(true)) => return,
            Ok(Err(e)) => Some(e),
            Ok(Ok(false)) | Err(_) => None,
        };
        if Instant::now() + Duration::from_secs(1) >= until {
            break failed;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    };
    match failed {
        Some(e) => {
            tracing::warn!(error = %e, "could not read the first Heartbeat back: -stale may fire once")
        }
        None => tracing::warn!("the first Heartbeat is not readable yet: -stale may fire once"),
    }
}

/// Makes monitor `id` exactly what the spec implies: upserts the schedule, puts every planned
/// alarm, retags the ones that existed, removes alarms no longer planned. New alarms start in
/// the state the first scan shows (`published`) where it shows them healthy.
async fn apply(
    p: &Provider,
    id: &str,
    spec: &MonitorSpec,
    target: &Target,
    published: Option<&[Datum<'_>]>,
) -> Result<Success, Error> {
    let plan = plan::plan(id, spec, target);
    // The schedule first: an alarm's action finds the monitor's topics in its schedule, and
    // a new alarm may fire as soon as it is put (one the first scan found breached does).
    p.aws.put_schedule(&plan.schedule).await?;
    let before = p.aws.monitor_alarms(id).await?;
    let mut new = Vec::new();
    for alarm in &plan.alarms {
        match before.iter().find(|e| e.kind == alarm.kind) {
            Some(existing) => {
                p.aws.put_alarm(alarm, Actions::Enabled).await?;
                p.aws.sync_tags(&existing.arn, &alarm.tags).await?;
            }
            None => {
                // A new alarm the first scan shows breached runs its actions from the start:
                // its INSUFFICIENT_DATA -> ALARM is a true message, and CloudWatch may make
                // that change before the actions would be enabled below (LocalStack does, at
                // the put), leaving the alarm in ALARM with no message ever sent.
                let breached = published.and_then(|d| alarm.breached_by(d));
                let actions = match breached {
                    Some(true) => Actions::Enabled,
                    _ => Actions::Disabled,
                };
                p.aws.put_alarm(alarm, actions).await?;
                if breached == Some(false) {
                    p.aws
                        .set_ok(
                            &alarm.name,
                            "cidrwatch: created from a first scan that found it healthy",
                        )
                        .await?;
                }
                new.push(alarm.name.clone());
            }
        }
    }
    p.aws.enable_actions(&new).await?;
    let unplanned: Vec<String> = before
        .iter()
        .filter(|e| !plan.alarms.iter().any(|a| a.kind == e.kind))
        .map(|e| e.name.clone())
        .collect();
    p.aws.delete_alarms(&unplanned).await?;

    let after = p.aws.monitor_alarms(id).await?;
    // The dashboard shows the alarms' status, so it follows them; both it and the stream
    // converge too: off in the spec means deleted (a no-op when there is none).
    let arns: Vec<String> = after.iter().map(|a| a.arn.clone()).collect();
    let dashboard_name =
        match plan::dashboard(id, spec, &p.aws.region(), &arns, &target.function_arn) {
            Some(d) => {
                p.aws.put_dashboard(&d).await?;
                d.name
            }
            None => {
                p.aws.delete_dashboard(id).await?;
                String::new()
            }
        };
    match plan::stream(id, spec) {
        Some(s) => p.aws.put_stream(&s).await?,
        None => p.aws.delete_stream(id).await?,
    }
    let arn = |kind: AlarmKind| {
        after
            .iter()
            .find(|a| a.kind == kind)
            .map(|a| a.arn.clone())
            .ok_or_else(|| Error::Aws {
                call: "cloudwatch:DescribeAlarms",
                code: None,
                message: format!(
                    "alarm {} missing right after it was put",
                    kind.alarm_name(id)
                ),
            })
    };
    let names: Vec<&str> = plan.alarms.iter().map(|a| a.name.as_str()).collect();
    let data = BTreeMap::from([
        ("PoolName".to_string(), spec.pool_name.clone()),
        ("Namespace".to_string(), spec.namespace.clone()),
        ("ScheduleName".to_string(), plan.schedule.name.clone()),
        ("DashboardName".to_string(), dashboard_name),
        ("AlarmNames".to_string(), names.join(",")),
        ("WarningAlarmArn".to_string(), arn(AlarmKind::Warning)?),
        ("CriticalAlarmArn".to_string(), arn(AlarmKind::Critical)?),
    ]);
    tracing::info!(id, alarms = names.len(), new = new.len(), "monitor applied");
    Ok(Success {
        physical_resource_id: id.to_string(),
        data,
    })
}

async fn delete(p: &Provider, id: &str) -> Result<Success, Error> {
    let done = Success {
        physical_resource_id: id.to_string(),
        data: BTreeMap::new(),
    };
    if !plan::is_monitor_id(id) {
        tracing::info!(id, "not a cidrwatch monitor id: nothing to delete");
        return Ok(done);
    }
    let names: Vec<String> = p
        .aws
        .monitor_alarms(id)
        .await?
        .into_iter()
        .map(|a| a.name)
        .collect();
    p.aws.delete_alarms(&names).await?;
    p.aws.delete_dashboard(id).await?;
    p.aws.delete_stream(id).await?;
    let schedule = p
        .aws
        .delete_schedule(&p.settings.schedule_group, id)
        .await?;
    tracing::info!(id, alarms = names.len(), schedule, "monitor deleted");
    Ok(done)
}
