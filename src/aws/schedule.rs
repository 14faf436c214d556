//! A monitor's EventBridge Scheduler schedule: upsert and delete. (Scheduler tags only
//! schedule groups, not schedules, so a schedule is known by its name alone.)

use aws_sdk_scheduler::types::{
    FlexibleTimeWindow, FlexibleTimeWindowMode, RetryPolicy, ScheduleState, Target,
};

use super::{Aws, deleted, sdk_error};
use crate::Error;
use crate::plan::ScheduleDef;

impl Aws {
    /// Creates the schedule, or updates it in place when it exists (re-delivered Create,
    /// Update).
    pub async fn put_schedule(&self, s: &ScheduleDef) -> Result<(), Error> {
        let window = FlexibleTimeWindow::builder()
            .mode(FlexibleTimeWindowMode::Off)
            .build()
            .map_err(|e| Error::aws("scheduler:CreateSchedule", e))?;
        // No retries of a missed tick: the next one comes within a period anyway.
        let retry = RetryPolicy::builder()
            .maximum_retry_attempts(0)
            .maximum_event_age_in_seconds(s.period_seconds.clamp(60, 86_400) as i32)
            .build();
        let target = Target::builder()
            .arn(&s.target_arn)
            .role_arn(&s.role_arn)
            .input(&s.input)
            .retry_policy(retry)
            .build()
            .map_err(|e| Error::aws("scheduler:CreateSchedule", e))?;
        let created = self
            .scheduler
            .create_schedule()
            .name(&s.name)
            .group_name(&s.group)
            .schedule_expression(&s.expression)
            .description(&s.description)
            .state(ScheduleState::Enabled)
            .flexible_time_window(window.clone())
            .target(target.clone())
            .send()
            .await;
        let err = match created {
            Ok(_) => return Ok(()),
            Err(e) => e,
        };
        match err.as_service_error() {
            Some(e) if e.is_conflict_exception() => {}
            Some(e) if e.is_resource_not_found_exception() => {
                return Err(Error::Config(format!(
                    "the schedule group {} does not exist: deploy cfn/provider.yaml, which \
                     creates it, or set SCHEDULE_GROUP to an existing group",
                    s.group
                )));
            }
            _ => return Err(sdk_error("scheduler:CreateSchedule", err)),
        }
        self.scheduler
            .update_schedule()
            .name(&s.name)
            .group_name(&s.group)
            .schedule_expression(&s.expression)
            .description(&s.description)
            .state(ScheduleState::Enabled)
            .flexible_time_window(window)
            .target(target)
            .send()
            .await
            .map_err(|e| sdk_error("scheduler:UpdateSchedule", e))?;
        Ok(())
    }

    /// The schedule's target input (the tick, which carries the monitor's spec); `None` when
    /// the schedule does not exist.
    pub async fn schedule_input(&self, group: &str, name: &str) -> Result<Option<String>, Error> {
        match self
            .scheduler
            .get_schedule()
            .group_name(group)
            .name(name)
            .send()
            .await
        {
            Ok(out) => Ok(out.target().and_then(|t| t.input()).map(str::to_string)),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_resource_not_found_exception()) =>
            {
                Ok(None)
            }
            Err(e) => Err(sdk_error("scheduler:GetSchedule", e)),
        }
    }

    /// Deletes the schedule; returns false when it was already gone.
    pub async fn delete_schedule(&self, group: &str, name: &str) -> Result<bool, Error> {
        let result = self
            .scheduler
            .delete_schedule()
            .group_name(group)
            .name(name)
            .send()
            .await;
        deleted("scheduler:DeleteSchedule", result)
    }
}
