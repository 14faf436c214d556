"""Where LocalStack's CloudFormation (2026.3.0, engine v2) departs from AWS's, pinned as the
e2e suite pins CloudWatch's: each test asserts LocalStack's behaviour and says AWS's, so an
upgrade that fixes one fails here and is noticed. The other tests work around these."""

import botocore.exceptions
import pytest

from conftest import client, deploy, reasons, template

LIST_JOIN = """
Parameters:
  Topics: {Type: CommaDelimitedList, Default: "a,b"}
Resources:
  Joined:
    Type: AWS::SSM::Parameter
    Properties: {Type: String, Value: !Join [",", !Ref Topics]}
"""


def test_a_stack_that_joins_a_list_parameter_can_be_neither_updated_nor_deleted():
    # AWS: UpdateStack and DeleteStack work. LocalStack re-resolves the deployed template with
    # the list parameter's stored value and fails on Fn::Join over it, so cfn/provider.yaml
    # (METRIC_NAMESPACES and ALARM_TOPIC_ARNS are such joins) can be neither upgraded to a new
    # CodeKey nor deleted there: the README's upgrade rests on tests/upgrade.rs instead.
    stack = deploy("departure-join", LIST_JOIN)
    assert stack["StackStatus"] == "CREATE_COMPLETE", reasons("departure-join")
    assert client("ssm").get_parameter(Name=physical("departure-join", "Joined"))["Parameter"]["Value"] == "a,b"
    for call in (
        lambda cfn: cfn.update_stack(StackName="departure-join", TemplateBody=LIST_JOIN,
                                     Parameters=[{"ParameterKey": "Topics", "ParameterValue": "a,b,c"}]),
        lambda cfn: cfn.delete_stack(StackName="departure-join"),
    ):
        with pytest.raises(botocore.exceptions.ClientError) as refused:
            call(client("cloudformation"))
        assert "Invalid arguments list definition for Fn::Join" in str(refused.value)


def physical(stack, logical):
    resources = client("cloudformation").describe_stack_resources(StackName=stack)["StackResources"]
    return next(r["PhysicalResourceId"] for r in resources if r["LogicalResourceId"] == logical)


def test_a_failed_create_says_create_failed_and_keeps_what_it_made(provider):
    # AWS: the stack ends ROLLBACK_COMPLETE, and the rollback deletes every resource the
    # Create made. LocalStack records ROLLBACK_COMPLETE among the events but answers
    # CREATE_FAILED, and runs only the actions deferred to the end (so the bed's custom
    # resource provider sends the rollback's Deletes itself); other resources stay.
    body = template("cfn/examples/quickstart.yaml").replace(
        "Resources:\n",
        "Resources:\n  Made:\n    Type: AWS::SSM::Parameter\n    Properties: {Type: String, Value: made}\n",
    ).replace(
        "    Type: Custom::CidrMonitor\n",
        "    Type: Custom::CidrMonitor\n    DependsOn: Made\n",
    ).replace("WarningPercent: !Ref WarningPercent", "WarningPercent: 101")
    stack = deploy("departure-rollback", body, {"PoolName": "departure-rollback"})
    events = reasons("departure-rollback")
    assert ("departure-rollback", "ROLLBACK_COMPLETE", "") in events, events
    assert stack["StackStatus"] == "CREATE_FAILED"
    assert client("ssm").get_parameter(Name=physical("departure-rollback", "Made"))["Parameter"]["Value"] == "made"
