//! Metric-stream calls, which moto lacks: the exact requests for Create, Update, Delete and a
//! Delete whose stream is already gone, with `aws-smithy-mocks`.

use aws_config::{BehaviorVersion, Region};
use aws_sdk_cloudwatch::Client;
use aws_sdk_cloudwatch::error::ErrorMetadata;
use aws_sdk_cloudwatch::operation::delete_metric_stream::{
    DeleteMetricStreamError, DeleteMetricStreamOutput,
};
use aws_sdk_cloudwatch::operation::list_tags_for_resource::ListTagsForResourceOutput;
use aws_sdk_cloudwatch::operation::put_metric_stream::{
    PutMetricStreamInput, PutMetricStreamOutput,
};
use aws_sdk_cloudwatch::operation::tag_resource::TagResourceOutput;
use aws_sdk_cloudwatch::operation::untag_resource::UntagResourceOutput;
use aws_sdk_cloudwatch::types::MetricStreamOutputFormat;
use aws_smithy_mocks::{MockResponseInterceptor, Rule, RuleMode, create_mock_http_client, mock};
use cidrwatch::aws::Aws;
use cidrwatch::usage::metrics::POOL_METRICS;
use cidrwatch::{plan, spec};
use serde_json::json;

const ID: &str = "cidrwatch-eks-prod-0a1b2c3d";
const ARN: &str =
    "arn:aws:cloudwatch:us-east-1:123456789012:metric-stream/cidrwatch-eks-prod-0a1b2c3d";
const FIREHOSE: &str = "arn:aws:firehose:us-east-1:123456789012:deliverystream/metrics";
const ROLE: &str = "arn:aws:iam::123456789012:role/metric-stream";

fn aws_with(rules: &[&Rule]) -> Aws {
    let mut interceptor = MockResponseInterceptor::new().rule_mode(RuleMode::MatchAny);
    for r in rules {
        interceptor = interceptor.with_rule(r);
    }
    let conf = aws_sdk_cloudwatch::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(aws_sdk_cloudwatch::config::Credentials::new(
            "a", "b", None, None, "mock",
        ))
        .http_client(create_mock_http_client())
        .interceptor(interceptor)
        .build();
    let sdk = aws_config::SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .build();
    Aws::new(&sdk).with_cloudwatch(Client::from_conf(conf))
}

fn stream_def(format: &str, team: &str) -> plan::StreamDef {
    let s = spec::parse(&json!({"PoolName": "eks-prod", "Tags": {"team": team},
        "MetricStream": {"FirehoseArn": FIREHOSE, "RoleArn": ROLE, "OutputFormat": format}}))
    .unwrap();
    plan::stream(ID, &s).unwrap()
}

fn is_exact_put(r: &PutMetricStreamInput, format: MetricStreamOutputFormat, team: &str) -> bool {
    let filter = &r.include_filters()[0];
    let names: Vec<&str> = filter.metric_names().iter().map(String::as_str).collect();
    let mut sent: Vec<(&str, &str)> = r
        .tags()
        .iter()
        .map(|t| (t.key().unwrap(), t.value().unwrap()))
        .collect();
    sent.sort();
    r.name() == Some(ID)
        && r.firehose_arn() == Some(FIREHOSE)
        && r.role_arn() == Some(ROLE)
        && r.output_format() == Some(&format)
        && r.include_filters().len() == 1
        && filter.namespace() == Some("CidrWatch")
        && names == POOL_METRICS
        && r.exclude_filters().is_empty()
        && sent == [("cidrwatch:monitor", ID), ("team", team)]
}

/// Any tagging call on the stream, which IAM cannot grant for metric streams.
fn tagging_rules() -> [Rule; 3] {
    [
        mock!(Client::list_tags_for_resource)
            .then_output(|| ListTagsForResourceOutput::builder().build()),
        mock!(Client::tag_resource).then_output(|| TagResourceOutput::builder().build()),
        mock!(Client::untag_resource).then_output(|| UntagResourceOutput::builder().build()),
    ]
}

#[tokio::test]
async fn create_puts_the_stream_once_with_its_filter_and_tags() {
    let put = mock!(Client::put_metric_stream)
        .match_requests(|r| is_exact_put(r, MetricStreamOutputFormat::OpenTelemetry10, "net"))
        .then_output(|| PutMetricStreamOutput::builder().arn(ARN).build());
    let [list, tag, untag] = tagging_rules();
    let aws = aws_with(&[&put, &list, &tag, &untag]);
    aws.put_stream(&stream_def("opentelemetry1.0", "net"))
        .await
        .expect("created");
    assert_eq!(put.num_calls(), 1);
    assert_eq!(
        (list.num_calls(), tag.num_calls(), untag.num_calls()),
        (0, 0, 0),
        "no tagging call on a metric stream: IAM has no grant that could allow it"
    );
}

#[tokio::test]
async fn update_puts_again_with_the_tags_and_no_tagging_call() {
    let put = mock!(Client::put_metric_stream)
        .match_requests(|r| is_exact_put(r, MetricStreamOutputFormat::Json, "platform"))
        .then_output(|| PutMetricStreamOutput::builder().arn(ARN).build());
    let [list, tag, untag] = tagging_rules();
    let aws = aws_with(&[&put, &list, &tag, &untag]);
    aws.put_stream(&stream_def("json", "platform"))
        .await
        .expect("updated");
    assert_eq!(
        (
            put.num_calls(),
            list.num_calls(),
            tag.num_calls(),
            untag.num_calls()
        ),
        (1, 0, 0, 0)
    );
}

#[tokio::test]
async fn delete_deletes_by_name_and_a_gone_stream_counts_as_deleted() {
    let delete = mock!(Client::delete_metric_stream)
        .match_requests(|r| r.name() == Some(ID))
        .then_output(|| DeleteMetricStreamOutput::builder().build());
    let aws = aws_with(&[&delete]);
    aws.delete_stream(ID).await.expect("deleted");
    assert_eq!(delete.num_calls(), 1);

    let gone = mock!(Client::delete_metric_stream)
        .match_requests(|r| r.name() == Some(ID))
        .then_error(|| {
            DeleteMetricStreamError::generic(
                ErrorMetadata::builder()
                    .code("ResourceNotFoundException")
                    .message("no such stream")
                    .build(),
            )
        });
    let aws = aws_with(&[&gone]);
    aws.delete_stream(ID)
        .await
        .expect("already gone is deleted");
    assert_eq!(gone.num_calls(), 1);

    let broken = mock!(Client::delete_metric_stream).then_error(|| {
        DeleteMetricStreamError::generic(
            ErrorMetadata::builder()
                .code("InternalServiceFault")
                .message("boom")
                .build(),
        )
    });
    let aws = aws_with(&[&broken]);
    let err = aws.delete_stream(ID).await.unwrap_err().to_string();
    assert_eq!(
        err,
        "cloudwatch:DeleteMetricStream failed: InternalServiceFault: boom"
    );
}
