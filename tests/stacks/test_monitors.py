"""A monitor's whole life through CloudFormation: Create, Update in place, Update that
replaces, a refused Create rolled back, stack Delete; asserted from what exists afterwards."""

import json

from conftest import (
    SCHEDULE_GROUP, alarms, client, delete, deploy, function_log, outputs, reasons, schedules, template,
)

QUICKSTART = template("cfn/examples/quickstart.yaml")
LOG_GROUP = "/aws/lambda/cidrwatch-provider"


def requests_logged(lines):
    """(RequestType, PhysicalResourceId) of each "CloudFormation request" line."""
    seen = []
    for line in lines:
        fields = json.loads(line).get("fields", {}) if line.startswith("{") else {}
        if fields.get("message") == "CloudFormation request":
            seen.append((fields["request"], fields["physical_resource_id"]))
    return seen


def test_a_monitor_lives_create_update_replace_delete_through_cloudformation(provider, topic):
    name = "quick"
    stack = deploy(name, QUICKSTART, {"PoolName": "stacks-quick", "AlertTopicArn": topic})
    assert stack["StackStatus"] == "CREATE_COMPLETE", reasons(name)
    out = outputs(stack)
    first = out["MonitorId"]
    assert first.startswith("cidrwatch-stacks-quick-")
    # The stack's outputs are the provider's Data, through Ref and Fn::GetAtt.
    assert sorted(out["AlarmNames"].split(",")) == alarms(first)
    assert f"{first}-warning" in alarms(first)
    assert schedules(first) == [out["ScheduleName"]] == [first]
    assert out["Namespace"] == "CidrWatch"
    # The Create's first scan published: the pool's heartbeat is there to read.
    metrics = client("cloudwatch").list_metrics(
        Namespace="CidrWatch", Dimensions=[{"Name": "Pool", "Value": "stacks-quick"}]
    )["Metrics"]
    assert {"Heartbeat", "UsableAddresses"} <= {m["MetricName"] for m in metrics}
    # A tick as the schedule sends it: its input, invoked through Lambda, runs our binary,
    # whose report answers and whose log line reaches the function's log group.
    target = client("scheduler").get_schedule(Name=first, GroupName=SCHEDULE_GROUP)["Target"]
    assert target["Arn"] == client("lambda").get_function(FunctionName="cidrwatch-provider")["Configuration"]["FunctionArn"]
    out = client("lambda").invoke(FunctionName=target["Arn"], Payload=target["Input"].encode())
    assert "FunctionError" not in out
    report = json.loads(out["Payload"].read())
    assert report["pool"] == "stacks-quick" and len(report["subnets"]) > 0, report
    ticks = [json.loads(l)["fields"] for l in function_log(LOG_GROUP) if '"usage published"' in l]
    assert ticks[-1]["pool"] == "stacks-quick" and ticks[-1]["errors"] == 0, ticks
    assert ticks[-1]["subnets"] == len(report["subnets"])

    # In place: same id, the new threshold on the alarm.
    stack = deploy(name, QUICKSTART, {"PoolName": "stacks-quick", "AlertTopicArn": topic, "WarningPercent": "70"}, update=True)
    assert stack["StackStatus"] == "UPDATE_COMPLETE", reasons(name)
    assert outputs(stack)["MonitorId"] == first
    warning = client("cloudwatch").describe_alarms(AlarmNames=[f"{first}-warning"])["MetricAlarms"][0]
    assert warning["Threshold"] == 70

    # A new PoolName replaces: a new id, and the old one's Delete in the cleanup phase.
    stack = deploy(name, QUICKSTART, {"PoolName": "stacks-quick2", "AlertTopicArn": topic}, update=True)
    assert stack["StackStatus"] == "UPDATE_COMPLETE", reasons(name)
    second = outputs(stack)["MonitorId"]
    assert second.startswith("cidrwatch-stacks-quick2-") and second != first
    assert alarms(first) == [] and schedules(first) == []
    assert f"{second}-warning" in alarms(second) and schedules(second) == [second]

    delete(name)
    assert alarms(second) == [] and schedules(second) == []

    # The function's own log holds each request CloudFormation sent, in order.
    sent = [r for r in requests_logged(function_log(LOG_GROUP)) if r[1] in ("", first, second)]
    assert sent[-5:] == [
        ("Create", ""), ("Update", first), ("Update", first), ("Delete", first), ("Delete", second)
    ], sent


def test_a_refused_monitor_rolls_back_with_the_providers_reason_and_leaves_nothing(provider):
    name = "refused"
    body = QUICKSTART.replace("WarningPercent: !Ref WarningPercent", "WarningPercnt: !Ref WarningPercent")
    stack = deploy(name, body, {"PoolName": "stacks-refused"})
    events = reasons(name)
    failed = [r for (lid, status, r) in events if lid == "Pool" and status == "CREATE_FAILED"]
    assert len(failed) == 1, events
    # The provider's one line, as CloudFormation relays it.
    assert "Thresholds.WarningPercnt" in failed[0] and "WarningPercent" in failed[0], failed
    assert "\n" not in failed[0]
    assert any(s == "ROLLBACK_COMPLETE" for (lid, s, _) in events if lid == name), events
    assert stack["StackStatus"] in ("ROLLBACK_COMPLETE", "CREATE_FAILED")  # see test_departures
    # The rollback's Delete ran, and a refused Create made nothing anyway.
    deletes = [
        r[1] for r in requests_logged(function_log(LOG_GROUP))
        if r[0] == "Delete" and r[1].startswith("cidrwatch-stacks-refused-")
    ]
    assert len(deletes) == 1, deletes
    monitor_id = deletes[0]
    assert alarms(monitor_id) == [] and schedules(monitor_id) == []
    delete(name)
