"""The stacks users write, deployed through CloudFormation: the example monitors, the same
template as Terraform's aws_cloudformation_stack sends it, and the CDK example's synthesized
template. Each is created, read back, and deleted to nothing."""

import re

import pytest

from conftest import ROOT, alarms, client, delete, deploy, outputs, reasons, schedules, template

MONITORS = template("cfn/examples/monitors.yaml")


@pytest.fixture(scope="module")
def vpc():
    return client("ec2").create_vpc(CidrBlock="10.99.0.0/16")["Vpc"]["VpcId"]


def dashboards(prefix):
    return [d["DashboardName"] for d in client("cloudwatch").list_dashboards(DashboardNamePrefix=prefix)["DashboardEntries"]]


def monitor_ids(name):
    resources = client("cloudformation").describe_stack_resources(StackName=name)["StackResources"]
    return {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in resources if r["ResourceType"] == "Custom::CidrMonitor"}


def created_then_deleted(name, body, params):
    """Creates the stack, hands back its monitors' ids and outputs, and deletes it to nothing."""
    stack = deploy(name, body, params)
    try:
        assert stack["StackStatus"] == "CREATE_COMPLETE", reasons(name)
        ids = monitor_ids(name)
        for monitor_id in ids.values():
            assert alarms(monitor_id) and schedules(monitor_id) == [monitor_id], monitor_id
        return ids, outputs(stack)
    finally:
        left = delete(name)
        assert left is None or left["StackStatus"] == "DELETE_COMPLETE", left


def assert_gone(ids):
    for monitor_id in ids.values():
        assert alarms(monitor_id) == [] and schedules(monitor_id) == [] and dashboards(monitor_id) == [], monitor_id


def test_the_example_monitors_deploy_and_delete(provider, topic, vpc):
    ids, out = created_then_deleted("examples", MONITORS, {"AlertTopicArn": topic, "PrefixVpcId": vpc})
    assert set(ids) == {"EksPool", "PrefixPool", "SharedPool"}
    assert out["EksPoolDashboard"] == ids["EksPool"]
    assert out["EksPoolCriticalAlarm"].endswith(f":alarm:{ids['EksPool']}-critical")
    assert f"{ids['PrefixPool']}-free-prefixes" in out["PrefixPoolAlarms"].split(",")
    assert out["SharedPoolWarningAlarm"].endswith(f":alarm:{ids['SharedPool']}-warning")
    assert_gone(ids)


def terraform_parameters(values):
    """What terraform-example/main.tf's `parameters` block sends for these variable values:
    lists joined with commas, booleans as "true"/"false" (tostring)."""
    block = re.search(r"parameters = \{(.*?)\n  \}", (ROOT / "terraform-example/main.tf").read_text(), re.S)
    sent = {}
    for key, expr in re.findall(r"(\w+)\s*=\s*(.+)", block.group(1)):
        var = re.search(r"var\.(\w+)", expr).group(1)
        value = values[var]
        sent[key] = ",".join(value) if isinstance(value, list) else str(value).lower() if isinstance(value, bool) else value
    return sent


def test_the_terraform_examples_stack_deploys_as_terraform_sends_it(provider, topic, vpc):
    params = terraform_parameters({
        "provider_export_prefix": "cidrwatch", "alert_topic_arn": topic, "prefix_vpc_id": vpc,
        "member_accounts": [], "member_regions": ["us-east-1", "eu-west-1"],
        "member_role_name": "cidrwatch-reader", "cluster_metrics": False, "supernets": [],
        "avoid_prefix_lists": [],
    })
    assert params["MemberAccounts"] == "" and params["ClusterMetrics"] == "false"
    ids, _ = created_then_deleted("cidrwatch-monitors", MONITORS, params)
    assert len(ids) == 3
    assert_gone(ids)


def test_the_cdk_examples_synthesized_template_deploys(provider, topic):
    path = ROOT / "cdk-example/cdk.out/CidrwatchMonitors.template.json"
    assert path.exists(), f"{path} missing: `make cdk` synthesizes it"
    # What `cdk bootstrap` leaves in the account, which the template checks.
    client("ssm").put_parameter(Name="/cdk-bootstrap/hnb659fds/version", Value="30", Type="String", Overwrite=True)
    ids, out = created_then_deleted("CidrwatchMonitors", path.read_text(), {"AlertTopicArn": topic})
    assert len(ids) == 2
    assert out["EksDashboard"] in ids.values()
    assert_gone(ids)
