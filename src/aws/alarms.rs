//! A monitor's CloudWatch alarms: list, put, retag, delete.

use std::collections::BTreeMap;

use aws_sdk_cloudwatch::types::{
    AlarmType, ComparisonOperator, Dimension, Statistic as SdkStatistic, Tag,
};

use super::{Aws, deleted, sdk_error};
use crate::Error;
use crate::plan::{AlarmDef, AlarmKind, Comparison, MissingData, Statistic};

/// An alarm that exists now.
#[derive(Clone, Debug, PartialEq)]
pub struct ExistingAlarm {
    pub kind: AlarmKind,
    pub name: String,
    pub arn: String,
}

/// Our (key, value) tags as CloudWatch's, for alarms and metric streams alike.
pub(super) fn cloudwatch_tags(tags: &[(String, String)]) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

/// DeleteAlarms and EnableAlarmActions take at most 100 names a call.
const NAMES_PER_CALL: usize = 100;

/// Whether an alarm runs its actions from the moment it is put.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Actions {
    Enabled,
    /// Until [`Aws::enable_actions`]: the alarm's first state change runs nothing.
    Disabled,
}

impl Aws {
    /// The alarms of monitor `id` that exist: exactly its names, never those of a monitor
    /// whose id merely starts the same.
    pub async fn monitor_alarms(&self, id: &str) -> Result<Vec<ExistingAlarm>, Error> {
        let mut pages = self
            .cloudwatch
            .describe_alarms()
            .alarm_name_prefix(format!("{id}-"))
            .alarm_types(AlarmType::MetricAlarm)
            .into_paginator()
            .send();
        let mut out = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| sdk_error("cloudwatch:DescribeAlarms", e))?;
            for alarm in page.metric_alarms() {
                let (Some(name), Some(arn)) = (alarm.alarm_name(), alarm.alarm_arn()) else {
                    continue;
                };
                if let Some(kind) = AlarmKind::of(id, name) {
                    out.push(ExistingAlarm {
                        kind,
                        name: name.to_string(),
                        arn: arn.to_string(),
                    });
                }
            }
        }
        Ok(out)
    }

    /// Creates or overwrites an alarm. Tags given here apply only when it is created; see
    /// [`Aws::sync_tags`] for an existing one. An existing alarm keeps its state. A new one
    /// starts in INSUFFICIENT_DATA: put a healthy one with [`Actions::Disabled`], set it OK,
    /// then [`Aws::enable_actions`], so that its first evaluation is no message.
    pub async fn put_alarm(&self, a: &AlarmDef, actions: Actions) -> Result<(), Error> {
        let tags = cloudwatch_tags(&a.tags);
        self.cloudwatch
            .put_metric_alarm()
            .alarm_name(&a.name)
            .alarm_description(&a.description)
            .namespace(&a.namespace)
            .metric_name(a.metric_name)
            .dimensions(Dimension::builder().name("Pool").value(&a.pool).build())
            .statistic(match a.statistic {
                Statistic::Maximum => SdkStatistic::Maximum,
                Statistic::Minimum => SdkStatistic::Minimum,
                Statistic::Sum => SdkStatistic::Sum,
            })
            .period(a.period_seconds as i32)
            .evaluation_periods(a.evaluation_periods as i32)
            .datapoints_to_alarm(a.evaluation_periods as i32)
            .threshold(a.threshold)
            .comparison_operator(match a.comparison {
                Comparison::GreaterThanOrEqual => ComparisonOperator::GreaterThanOrEqualToThreshold,
                Comparison::GreaterThan => ComparisonOperator::GreaterThanThreshold,
                Comparison::LessThan => ComparisonOperator::LessThanThreshold,
            })
            .treat_missing_data(match a.missing_data {
                MissingData::Ignore => "ignore",
                MissingData::Breaching => "breaching",
            })
            .actions_enabled(actions == Actions::Enabled)
            .set_alarm_actions(Some(a.actions.clone()))
            .set_ok_actions(Some(a.actions.clone()))
            .set_tags(Some(tags))
            .send()
            .await
            .map_err(|e| sdk_error("cloudwatch:PutMetricAlarm", e))?;
        Ok(())
    }

    /// Makes a CloudWatch resource's tags exactly `desired`: PutMetricAlarm and PutMetricStream
    /// leave the tags of an existing resource as they were.
    pub async fn sync_tags(&self, arn: &str, desired: &[(String, String)]) -> Result<(), Error> {
        let current: BTreeMap<String, String> = self
            .cloudwatch
            .list_tags_for_resource()
            .resource_arn(arn)
            .send()
            .await
            .map_err(|e| sdk_error("cloudwatch:ListTagsForResource", e))?
            .tags()
            .iter()
            .filter_map(|t| Some((t.key()?.to_string(), t.value()?.to_string())))
            .collect();
        let desired_map: BTreeMap<&str, &str> = desired
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let removed: Vec<String> = current
            .keys()
            .filter(|k| !desired_map.contains_key(k.as_str()))
            .cloned()
            .collect();
        if !removed.is_empty() {
            self.cloudwatch
                .untag_resource()
                .resource_arn(arn)
                .set_tag_keys(Some(removed))
                .send()
                .await
                .map_err(|e| sdk_error("cloudwatch:UntagResource", e))?;
        }
        let changed = desired_map
            .iter()
            .any(|(k, v)| current.get(*k).map(String::as_str) != Some(*v));
        if changed {
            let tags = cloudwatch_tags(desired);
            self.cloudwatch
                .tag_resource()
                .resource_arn(arn)
                .set_tags(Some(tags))
                .send()
                .await
                .map_err(|e| sdk_error("cloudwatch:TagResource", e))?;
        }
        Ok(())
    }

    /// Sets a new alarm's state to OK, with the first scan's reason. CloudWatch runs an
    /// alarm's actions on every state change, INSUFFICIENT_DATA → OK included; an alarm put
    /// with its actions disabled and set to OK has no such change left to make when the pool
    /// is healthy, and goes OK → ALARM (a true message) when it is not.
    pub async fn set_ok(&self, name: &str, reason: &str) -> Result<(), Error> {
        self.cloudwatch
            .set_alarm_state()
            .alarm_name(name)
            .state_value(aws_sdk_cloudwatch::types::StateValue::Ok)
            .state_reason(reason)
            .send()
            .await
            .map_err(|e| sdk_error("cloudwatch:SetAlarmState", e))?;
        Ok(())
    }

    /// Turns the named alarms' actions on (one call per 100 names).
    pub async fn enable_actions(&self, names: &[String]) -> Result<(), Error> {
        for batch in names.chunks(NAMES_PER_CALL) {
            self.cloudwatch
                .enable_alarm_actions()
                .set_alarm_names(Some(batch.to_vec()))
                .send()
                .await
                .map_err(|e| sdk_error("cloudwatch:EnableAlarmActions", e))?;
        }
        Ok(())
    }

    /// The monitors whose alarms watch the `Pool=pool` series of `namespace`: their stale
    /// alarms, on `Heartbeat`, which every monitor has. One DescribeAlarmsForMetric.
    pub async fn monitors_on_series(
        &self,
        namespace: &str,
        pool: &str,
    ) -> Result<Vec<String>, Error> {
        let out = self
            .cloudwatch
            .describe_alarms_for_metric()
            .namespace(namespace)
            .metric_name(AlarmKind::Stale.meaning().metric)
            .dimensions(Dimension::builder().name("Pool").value(pool).build())
            .send()
            .await
            .map_err(|e| sdk_error("cloudwatch:DescribeAlarmsForMetric", e))?;
        let mut ids: Vec<String> = out
            .metric_alarms()
            .iter()
            .filter(|a| {
                a.namespace() == Some(namespace)
                    && a.dimensions()
                        .iter()
                        .map(|d| (d.name(), d.value()))
                        .eq([(Some("Pool"), Some(pool))])
            })
            .filter_map(|a| AlarmKind::monitor_of(a.alarm_name()?))
            .map(|(id, _)| id)
            .collect();
        ids.sort();
        ids.dedup();
        Ok(ids)
    }

    /// Deletes the named alarms; ones already gone count as deleted.
    pub async fn delete_alarms(&self, names: &[String]) -> Result<(), Error> {
        for batch in names.chunks(NAMES_PER_CALL) {
            let result = self
                .cloudwatch
                .delete_alarms()
                .set_alarm_names(Some(batch.to_vec()))
                .send()
                .await;
            deleted("cloudwatch:DeleteAlarms", result)?;
        }
        Ok(())
    }
}
