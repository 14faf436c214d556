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
use aws_sdk_cloudwatch::types::{MetricStreamOutputFormat, Tag};
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

fn tags(pairs: &[(&str, &str)]) -> Vec<Tag> {
    pairs
        .iter()
        .map(|(k, v)| Tag::builder().key(*k).value(*v).build())
        .collect()
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

#[tokio::test]
async fn create_puts_the_stream_once_with_its_filter_and_tags() {
    let put = mock!(Client::put_metric_stream)
        .match_requests(|r| is_exact_put(r, MetricStreamOutputFormat::OpenTelemetry10, "net"))
        .then_output(|| PutMetricStreamOutput::builder().arn(ARN).build());
    let list = mock!(Client::list_tags_for_resource)
        .match_requests(|r| r.resource_arn() == Some(ARN))
        .then_output(|| {
            ListTagsForResourceOutput::builder()
                .set_tags(Some(tags(&[("team", "net"), ("cidrwatch:monitor", ID)])))
                .build()
        });
    let aws = aws_with(&[&put, &list]);
    aws.put_stream(&stream_def("opentelemetry1.0", "net"))
        .await
        .expect("created");
    assert_eq!(
        (put.num_calls(), list.num_calls()),
        (1, 1),
        "tags already right: no Tag/Untag"
    );
}

#[tokio::test]
async fn update_puts_again_and_moves_the_tags() {
    let put = mock!(Client::put_metric_stream)
        .match_requests(|r| is_exact_put(r, MetricStreamOutputFormat::Json, "platform"))
        .then_output(|| PutMetricStreamOutput::builder().arn(ARN).build());
    let list = mock!(Client::list_tags_for_resource).then_output(|| {
        ListTagsForResourceOutput::builder()
            .set_tags(Some(tags(&[
                ("team", "net"),
                ("old", "x"),
                ("cidrwatch:monitor", ID),
            ])))
            .build()
    });
    let untag = mock!(Client::untag_resource)
        .match_requests(|r| r.resource_arn() == Some(ARN) && r.tag_keys() == ["old"])
        .then_output(|| UntagResourceOutput::builder().build());
    let tag = mock!(Client::tag_resource)
        .match_requests(|r| {
            let mut t: Vec<(&str, &str)> = r
                .tags()
                .iter()
                .map(|t| (t.key().unwrap(), t.value().unwrap()))
                .collect();
            t.sort();
            r.resource_arn() == Some(ARN) && t == [("cidrwatch:monitor", ID), ("team", "platform")]
        })
        .then_output(|| TagResourceOutput::builder().build());
    let aws = aws_with(&[&put, &list, &untag, &tag]);
    aws.put_stream(&stream_def("json", "platform"))
        .await
        .expect("updated");
    assert_eq!(
        (put.num_calls(), untag.num_calls(), tag.num_calls()),
        (1, 1, 1)
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
