//! Create, Update and Delete of one monitor: validate, plan, apply through [`crate::aws`].
//!
//! - Create and Update validate everything before touching AWS: bad input creates nothing.
//! - Create is idempotent: applying a plan converges on it (put overwrites, extras go).
//! - A change of PoolName or Namespace changes the id (see [`crate::plan::monitor_id`]): that
//!   is a replacement, answered with the new id; CloudFormation later deletes the old one.
//! - A Create or replacement that fails part-way removes what it made before answering.
//! - Delete acts on the PhysicalResourceId alone — alarms, dashboard, metric stream, schedule;
//!   what is gone counts as deleted; an id that is not ours succeeds as a no-op.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value;
use tokio::time::Instant;

use crate::Error;
use crate::aws::Aws;
use crate::cfn::{self, Action, Answered, Coords, Delivery, Request, Success};
use crate::plan::{self, AlarmKind, Target};
use crate::spec::{self, DEFAULT_NAMESPACE, MonitorSpec};

/// The provider's own deployment settings, from its environment.
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    /// The role schedules run as (`SCHEDULER_ROLE_ARN`).
    pub scheduler_role_arn: Option<String>,
    /// `SCHEDULE_GROUP`, default `cidrwatch`.
    pub schedule_group: String,
}

impl Settings {
    pub fn from_env() -> Self {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        Settings {
            scheduler_role_arn: var("SCHEDULER_ROLE_ARN"),
            schedule_group: var("SCHEDULE_GROUP").unwrap_or_else(|| "cidrwatch".to_string()),
        }
    }
}

/// What the provider needs to act: AWS, its settings, and who it is.
#[derive(Clone, Debug)]
pub struct Provider {
    pub aws: Aws,
    pub settings: Settings,
}

/// Handles one request and answers it exactly once.
pub async fn respond(
    provider: Arc<Provider>,
    request: Request,
    function_arn: Option<String>,
    deadline: Instant,
    delivery: &Delivery,
) -> Result<Answered, Error> {
    let coords = request.coords.clone();
    let failure_id = match &request.action {
        Action::Create { properties } => id_for(&coords, properties),
        Action::Update { physical_id, .. } | Action::Delete { physical_id } => physical_id.clone(),
    };
    let work = async move {
        match request.action {
            Action::Create { properties } => {
                create(&provider, &request.coords, &properties, function_arn).await
            }
            Action::Update {
                physical_id,
                properties,
                ..
            } => {
                update(
                    &provider,
                    &request.coords,
                    &physical_id,
                    &properties,
                    function_arn,
                )
                .await
            }
            Action::Delete { physical_id } => delete(&provider, &physical_id).await,
        }
    };
    cfn::answer(&coords, failure_id, deadline, delivery, work).await
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

/// Everything Create and Update check before any AWS call: the spec, where its alarms and
/// schedule point, and the id the properties give.
fn prepare(
    p: &Provider,
    coords: &Coords,
    properties: &Value,
    function_arn: Option<String>,
) -> Result<(MonitorSpec, Target, String), Error> {
    let spec = spec::parse(properties)?;
    let target = target(&p.settings, function_arn)?;
    Ok((spec, target, id_for(coords, properties)))
}

async fn create(
    p: &Provider,
    coords: &Coords,
    properties: &Value,
    function_arn: Option<String>,
) -> Result<Success, Error> {
    let (spec, target, id) = prepare(p, coords, properties, function_arn)?;
    apply_or_undo(p, &id, &spec, &target).await
}

async fn update(
    p: &Provider,
    coords: &Coords,
    physical_id: &str,
    properties: &Value,
    function_arn: Option<String>,
) -> Result<Success, Error> {
    let (spec, target, id) = prepare(p, coords, properties, function_arn)?;
    if id == physical_id {
        apply(p, &id, &spec, &target).await
    } else {
        tracing::info!(old = physical_id, new = %id, "PoolName or Namespace changed: replacing");
        apply_or_undo(p, &id, &spec, &target).await
    }
}

/// Applies a plan for a new id; if that fails, removes what it made, so the failure leaves
/// nothing behind.
async fn apply_or_undo(
    p: &Provider,
    id: &str,
    spec: &MonitorSpec,
    target: &Target,
) -> Result<Success, Error> {
    match apply(p, id, spec, target).await {
        Ok(done) => Ok(done),
        Err(e) => {
            if let Err(undo) = delete(p, id).await {
                tracing::error!(id, error = %undo, "could not remove a failed monitor's resources");
            }
            Err(e)
        }
    }
}

/// Makes monitor `id` exactly what the spec implies: puts every planned alarm, retags the
/// ones that existed, removes alarms no longer planned, upserts the schedule.
async fn apply(
    p: &Provider,
    id: &str,
    spec: &MonitorSpec,
    target: &Target,
) -> Result<Success, Error> {
    let plan = plan::plan(id, spec, target);
    let before = p.aws.monitor_alarms(id).await?;
    for alarm in &plan.alarms {
        p.aws.put_alarm(alarm).await?;
        if let Some(existing) = before.iter().find(|e| e.kind == alarm.kind) {
            p.aws.sync_tags(&existing.arn, &alarm.tags).await?;
        }
    }
    let unplanned: Vec<String> = before
        .iter()
        .filter(|e| !plan.alarms.iter().any(|a| a.kind == e.kind))
        .map(|e| e.name.clone())
        .collect();
    p.aws.delete_alarms(&unplanned).await?;
    p.aws.put_schedule(&plan.schedule).await?;

    let after = p.aws.monitor_alarms(id).await?;
    // The dashboard shows the alarms' status, so it follows them; both it and the stream
    // converge too: off in the spec means deleted (a no-op when there is none).
    let arns: Vec<String> = after.iter().map(|a| a.arn.clone()).collect();
    let dashboard_name = match plan::dashboard(id, spec, &p.aws.region(), &arns) {
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
    tracing::info!(id, alarms = names.len(), "monitor applied");
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
