//! A monitor's CloudWatch metric stream: put and delete.

use aws_sdk_cloudwatch::types::{MetricStreamFilter, MetricStreamOutputFormat};

use super::alarms::cloudwatch_tags;
use super::{Aws, deleted, sdk_error};
use crate::Error;
use crate::plan::StreamDef;

impl Aws {
    /// Creates or updates the stream. Its tags apply when PutMetricStream creates it; they are
    /// not kept in step afterwards: TagResource, UntagResource and ListTagsForResource accept
    /// alarms and Contributor Insights rules, not metric streams (the API reference and the
    /// service authorization reference agree), so an IAM grant for them could never match.
    pub async fn put_stream(&self, s: &StreamDef) -> Result<(), Error> {
        let filter = MetricStreamFilter::builder()
            .namespace(&s.namespace)
            .set_metric_names(Some(s.metric_names.clone()))
            .build();
        let tags = cloudwatch_tags(&s.tags);
        let out = self
            .cloudwatch
            .put_metric_stream()
            .name(&s.name)
            .firehose_arn(&s.firehose_arn)
            .role_arn(&s.role_arn)
            .output_format(MetricStreamOutputFormat::from(s.output_format.as_str()))
            .include_filters(filter)
            .set_tags(Some(tags))
            .send()
            .await
            .map_err(|e| sdk_error("cloudwatch:PutMetricStream", e))?;
        match out.arn() {
            Some(_) => Ok(()),
            None => Err(Error::Aws {
                call: "cloudwatch:PutMetricStream",
                code: None,
                message: "no stream ARN in the answer".to_string(),
            }),
        }
    }

    /// Deletes the stream; one already gone counts as deleted.
    pub async fn delete_stream(&self, name: &str) -> Result<(), Error> {
        let result = self
            .cloudwatch
            .delete_metric_stream()
            .name(name)
            .send()
            .await;
        deleted("cloudwatch:DeleteMetricStream", result).map(drop)
    }
}
