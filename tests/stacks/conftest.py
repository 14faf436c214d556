"""Stacks through CloudFormation itself: LocalStack's CloudFormation deploys the templates a
user deploys, and its Lambda runs our binary as a local process (the test bed's executor,
tests/support/localstack_bed), so every Custom::CidrMonitor request here is one CloudFormation
sent. `make e2e` starts LocalStack and runs these with LOCALSTACK_PORT and CIDRWATCH_BIN set.
"""

import io
import os
import pathlib
import time
import zipfile

import boto3
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
REGION = "us-east-1"
CODE_BUCKET = "cidrwatch-code"
# Not the e2e suite's group ("cidrwatch"), which runs beside these on the same LocalStack.
SCHEDULE_GROUP = "cidrwatch-stacks"


def client(service, region=REGION):
    port = os.environ.get("LOCALSTACK_PORT")
    if not port:
        pytest.skip("needs LocalStack: make e2e")
    return boto3.client(
        service,
        region_name=region,
        endpoint_url=f"http://127.0.0.1:{port}",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


def template(path):
    return (ROOT / path).read_text()


def wait(name, cfn=None):
    """The stack once it leaves *_IN_PROGRESS (LocalStack answers in seconds; bounded)."""
    cfn = cfn or client("cloudformation")
    for _ in range(600):
        stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
        if not stack["StackStatus"].endswith("_IN_PROGRESS"):
            return stack
        time.sleep(0.5)
    raise AssertionError(f"{name} still {stack['StackStatus']} after 300 s")


def deploy(name, body, params=None, update=False):
    cfn = client("cloudformation")
    call = cfn.update_stack if update else cfn.create_stack
    call(
        StackName=name,
        TemplateBody=body,
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"],
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in (params or {}).items()],
    )
    return wait(name, cfn)


def delete(name):
    cfn = client("cloudformation")
    cfn.delete_stack(StackName=name)
    for _ in range(600):
        stacks = cfn.describe_stacks()["Stacks"]
        live = [s for s in stacks if s["StackName"] == name and s["StackStatus"] != "DELETE_COMPLETE"]
        if not live or not live[0]["StackStatus"].endswith("_IN_PROGRESS"):
            return live[0] if live else None
        time.sleep(0.5)
    raise AssertionError(f"{name} not deleted after 300 s")


def outputs(stack):
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def reasons(name):
    events = client("cloudformation").describe_stack_events(StackName=name)["StackEvents"]
    return [(e["LogicalResourceId"], e["ResourceStatus"], e.get("ResourceStatusReason") or "") for e in events]


def function_log(group):
    """Every line of a function's log group in time order (each execution environment writes
    its own stream; the filter answers stream by stream)."""
    logs = client("logs")
    events, token = [], None
    while True:
        page = logs.filter_log_events(logGroupName=group, **({"nextToken": token} if token else {}))
        events += page["events"]
        token = page.get("nextToken")
        if not token:
            return [e["message"] for e in sorted(events, key=lambda e: e["timestamp"])]


def alarms(prefix):
    cw = client("cloudwatch")
    return sorted(a["AlarmName"] for a in cw.describe_alarms(AlarmNamePrefix=prefix)["MetricAlarms"])


def schedules(prefix, group=SCHEDULE_GROUP):
    sch = client("scheduler")
    return sorted(
        s["Name"] for s in sch.list_schedules(GroupName=group, NamePrefix=prefix)["Schedules"]
    )


# The binary `make test` built: what the function zips hold.
BINARY = pathlib.Path(os.environ.get("CIDRWATCH_BIN", ROOT / "target/debug/cidrwatch"))


def lambda_zip(bootstrap: bytes) -> bytes:
    """A function zip as Lambda's provided runtimes take it: one executable `bootstrap`."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        info = zipfile.ZipInfo("bootstrap")
        info.external_attr = 0o755 << 16
        z.writestr(info, bootstrap)
    return buf.getvalue()


@pytest.fixture(scope="session")
def code_key():
    """The function zip, our binary as `bootstrap`, in LocalStack's S3."""
    assert BINARY.exists(), f"{BINARY} missing: make test builds it with cargo test"
    s3 = client("s3")
    s3.create_bucket(Bucket=CODE_BUCKET)
    s3.put_object(Bucket=CODE_BUCKET, Key="cidrwatch/bootstrap.zip", Body=lambda_zip(BINARY.read_bytes()))
    return "cidrwatch/bootstrap.zip"


@pytest.fixture(scope="session")
def topic():
    """Where the monitors' alarm messages go (listed in the provider's AlarmTopicArns)."""
    return client("sns").create_topic(Name="cidrwatch-alerts")["TopicArn"]


@pytest.fixture(scope="session")
def provider(code_key, topic):
    """cfn/provider.yaml deployed as a user deploys it: its TimeoutSeconds is the template's
    default, so a Create that a busy machine slows is judged by the deadline users have."""
    stack = deploy(
        "cidrwatch",
        template("cfn/provider.yaml"),
        {"CodeBucket": CODE_BUCKET, "CodeKey": code_key, "AlarmTopicArns": topic,
         "ScheduleGroupName": SCHEDULE_GROUP},
    )
    assert stack["StackStatus"] == "CREATE_COMPLETE", reasons("cidrwatch")
    return stack
