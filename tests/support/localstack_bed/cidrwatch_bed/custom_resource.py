"""CloudFormation's half of the custom resource protocol, for LocalStack's CloudFormation.

LocalStack's free edition has no provider for `Custom::*` / `AWS::CloudFormation::CustomResource`:
it deploys a stub and never calls the function. This provider does what CloudFormation does,
each rule from AWS's documentation ("Custom resource request and response reference",
docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref.html, and the pages it links):

- The request carries RequestType, RequestId, ResponseURL, ResourceType, LogicalResourceId,
  StackId (the stack's ARN), ServiceToken and ResourceProperties (every property, ServiceToken
  included, verbatim); Update adds PhysicalResourceId and OldResourceProperties; Delete adds
  PhysicalResourceId ("crpg-ref-requesttypes-*").
- ResponseURL is a presigned S3 URL; the provider PUTs its answer there ("crpg-ref-responses").
  Here the bucket is LocalStack's S3, reached on loopback.
- A Lambda ServiceToken is invoked asynchronously ("How custom resources work"), and
  CloudFormation waits for the answer up to ServiceTimeout (1 to 3600 s, default 3600); no
  answer by then fails the operation.
- FAILED fails the resource with the answer's Reason, and the stack rolls back; in the
  rollback a Create that failed is sent Delete with the PhysicalResourceId its answer gave,
  and so is every custom resource the failed stack had created ("crpg-ref-requesttypes-delete").
- An Update whose answer carries a new PhysicalResourceId is a replacement: CloudFormation
  sends Delete for the old id, with the old properties, in the cleanup phase after the
  stack's update ("crpg-ref-requesttypes-update").
- `Fn::GetAtt` reads the answer's Data; `Ref` is the PhysicalResourceId.

Not done: a failed Update's rollback (CloudFormation sends another Update, back to the old
properties); LocalStack's engine rolls no update back either.

What LocalStack's engine decides itself (ordering, the stack's statuses, events) stays its own.
Its engine calls providers with the resource's last *answer* as the previous state, not the
properties it was created with, so this provider keeps what it sent per resource (SENT).
"""

import json
import time
import uuid

import boto3
from botocore.config import Config

from localstack import config
from localstack.services.cloudformation.resource_provider import (
    OperationStatus,
    ProgressEvent,
    ResourceProvider,
)

from . import engine

# CloudFormation's default when a template sets no ServiceTimeout.
SERVICE_TIMEOUT_DEFAULT = 3600
# (stack ARN, logical id) -> {"physical": id, "properties": what the last success was sent}
SENT = {}


def _client(service, region):
    # Path-style, on the loopback gateway: no DNS for bucket host names here.
    return boto3.client(
        service,
        region_name=region,
        endpoint_url=f"http://127.0.0.1:{config.GATEWAY_LISTEN[0].port}",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 2}),
    )


def _response_url(region, stack_id, logical_id, request_id):
    s3 = _client("s3", region)
    bucket = f"cloudformation-custom-resource-response-{region.replace('-', '')}"
    try:
        s3.create_bucket(
            Bucket=bucket,
            **(
                {}
                if region == "us-east-1"
                else {"CreateBucketConfiguration": {"LocationConstraint": region}}
            ),
        )
    except s3.exceptions.BucketAlreadyOwnedByYou:
        pass
    key = f"{stack_id}|{logical_id}|{request_id}"
    url = s3.generate_presigned_url(
        "put_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=7200
    )
    return s3, bucket, key, url


def send(request, request_type, properties, physical=None, old=None):
    """Sends one request to the ServiceToken's function and waits for its answer.
    Returns (status, reason, physical id, data)."""
    token = properties.get("ServiceToken", "")
    if not token.startswith("arn:aws:lambda:"):
        return "FAILED", f"the test bed serves Lambda ServiceTokens only, not {token!r}", physical, {}
    region = request.region_name
    request_id = str(uuid.uuid4())
    s3, bucket, key, url = _response_url(region, request.stack_id, request.logical_resource_id, request_id)
    event = {
        "RequestType": request_type,
        "ServiceToken": token,
        "ResponseURL": url,
        "StackId": request.stack_id,
        "RequestId": request_id,
        "LogicalResourceId": request.logical_resource_id,
        "ResourceType": request.resource_type,
        "ResourceProperties": properties,
    }
    if physical is not None:
        event["PhysicalResourceId"] = physical
    if old is not None:
        event["OldResourceProperties"] = old
    _client("lambda", region).invoke(
        FunctionName=token, InvocationType="Event", Payload=json.dumps(event).encode()
    )
    timeout = int(properties.get("ServiceTimeout") or SERVICE_TIMEOUT_DEFAULT)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
            break
        except s3.exceptions.NoSuchKey:
            time.sleep(0.25)
    else:
        return (
            "FAILED",
            "CloudFormation did not receive a response from your Custom Resource. Please check "
            f"your logs for requestId [{request_id}]. If you are using the Python cfn-response "
            "module, you may need to update your Lambda function code so that CloudFormation "
            "can attach the updated version.",
            physical,
            {},
        )
    answer = json.loads(body)
    if answer.get("RequestId") != request_id or answer.get("StackId") != request.stack_id:
        return "FAILED", "Invalid response: RequestId or StackId does not match the request", physical, {}
    reason = answer.get("Reason") or ""
    if answer.get("Status") == "FAILED":
        reason = f"Received response status [FAILED] from custom resource. Message returned: {reason} (RequestId: {request_id})"
    return answer.get("Status"), reason, answer.get("PhysicalResourceId") or physical, answer.get("Data") or {}


def _model(physical, data):
    return {**data, "PhysicalResourceId": physical}


class CustomResourceProvider(ResourceProvider):
    SCHEMA = {
        "typeName": "AWS::CloudFormation::CustomResource",
        "properties": {"PhysicalResourceId": {"type": "string"}},
        "additionalProperties": True,
        "primaryIdentifier": ["/properties/PhysicalResourceId"],
        "createOnlyProperties": [],
    }

    def create(self, request):
        props = request.desired_state
        status, reason, physical, data = send(request, "Create", props)
        key = (request.stack_id, request.logical_resource_id)
        if status != "SUCCESS":
            if physical:
                # The rollback deletes what the failed Create answered it had made.
                engine.defer(f"rollback-delete-{request.logical_resource_id}", lambda: self._delete(request, physical, props))
            return ProgressEvent(OperationStatus.FAILED, resource_model={}, message=reason)
        SENT[key] = {"physical": physical, "properties": props}
        engine.defer(
            f"rollback-delete-{request.logical_resource_id}",
            lambda: SENT.pop(key, None) and self._delete(request, physical, props),
            when=engine.rolling_back,
        )
        return ProgressEvent(OperationStatus.SUCCESS, resource_model=_model(physical, data))

    def update(self, request):
        key = (request.stack_id, request.logical_resource_id)
        before = SENT.get(key)
        if before is None:
            return ProgressEvent(OperationStatus.FAILED, resource_model={}, message="the test bed has no record of this custom resource's Create")
        props = request.desired_state
        status, reason, physical, data = send(request, "Update", props, before["physical"], before["properties"])
        if status != "SUCCESS":
            return ProgressEvent(OperationStatus.FAILED, resource_model={}, message=reason)
        SENT[key] = {"physical": physical, "properties": props}
        if physical != before["physical"]:
            engine.defer(
                f"replaced-delete-{request.logical_resource_id}",
                lambda: self._delete(request, before["physical"], before["properties"]),
                when=engine.not_rolling_back,
            )
        return ProgressEvent(OperationStatus.SUCCESS, resource_model=_model(physical, data))

    def delete(self, request):
        key = (request.stack_id, request.logical_resource_id)
        before = SENT.pop(key, None)
        if before is None:
            return ProgressEvent(OperationStatus.SUCCESS, resource_model={})
        status, reason, _, _ = self._delete(request, before["physical"], before["properties"])
        if status != "SUCCESS":
            return ProgressEvent(OperationStatus.FAILED, resource_model={}, message=reason)
        return ProgressEvent(OperationStatus.SUCCESS, resource_model={})

    def _delete(self, request, physical, properties):
        return send(request, "Delete", properties, physical)
