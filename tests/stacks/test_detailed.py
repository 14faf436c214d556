"""A detailed-mode monitor through CloudFormation and LocalStack's alarm evaluation: the alarm's
Lambda action runs our function, whose message reaches an SQS subscriber of the topic."""

import json
import time

from conftest import client, delete, deploy, outputs, reasons, template

# The quick start's monitor with a free-addresses floor no pool meets: its alarm fires on the
# Create's first datum. One-minute periods, so LocalStack evaluates it within minutes.
BODY = template("cfn/examples/quickstart.yaml").replace(
    "        WarningPercent: !Ref WarningPercent",
    "        WarningPercent: !Ref WarningPercent\n        MinFreeAddresses: 100000000\n      Schedule: rate(1 minute)",
)


def test_an_alarm_runs_the_function_whose_message_reaches_the_topics_subscriber(provider, topic):
    sqs, sns = client("sqs"), client("sns")
    queue = sqs.create_queue(QueueName="cidrwatch-detailed")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    stack = deploy("detailed", BODY, {"PoolName": "stacks-detailed", "AlertTopicArn": topic})
    try:
        assert stack["StackStatus"] == "CREATE_COMPLETE", reasons("detailed")
        monitor_id = outputs(stack)["MonitorId"]
        alarm = f"{monitor_id}-free-addresses"
        actions = client("cloudwatch").describe_alarms(AlarmNames=[alarm])["MetricAlarms"][0]["AlarmActions"]
        function_arn = client("lambda").get_function(FunctionName="cidrwatch-provider")["Configuration"]["FunctionArn"]
        assert actions == [function_arn]  # detailed: the alarm calls the function, not the topic
        envelope = wait_for_message(sqs, queue, alarm, seconds=300)
        assert envelope["Subject"].isascii() and len(envelope["Subject"]) < 100
        # The SQS protocol's message is the structured one: the alarm's facts and the report.
        message = json.loads(envelope["Message"])
        assert message["pool"] == "stacks-detailed"
        assert message["alarm"]["alarm_name"] == alarm
        assert (message["alarm"]["previous_state"], message["alarm"]["state"]) == ("INSUFFICIENT_DATA", "ALARM")
        totals = message["report"]["totals"]
        assert 0 < totals["free"] < 100000000
        assert totals["free"] == sum(s["free"] for s in message["report"]["subnets"])
    finally:
        delete("detailed")


def wait_for_message(sqs, queue, alarm, seconds):
    """The first SNS notification on the queue that names the alarm (bounded)."""
    deadline = time.monotonic() + seconds
    seen = []
    while time.monotonic() < deadline:
        for m in sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=5, MaxNumberOfMessages=10).get("Messages", []):
            envelope = json.loads(m["Body"])
            seen.append(envelope.get("Subject"))
            if alarm in envelope.get("Message", "") or alarm in (envelope.get("Subject") or ""):
                print(json.dumps(envelope)[:3000]); return envelope
    raise AssertionError(f"no message naming {alarm} in {seconds} s; saw {seen}")
