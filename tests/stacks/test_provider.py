"""The provider stack and the member-role stack, deployed through CloudFormation."""

from conftest import SCHEDULE_GROUP, client, deploy, delete, outputs, reasons, template


def test_the_provider_stack_deploys_with_its_outputs_and_export(provider):
    out = outputs(provider)
    fn = client("lambda").get_function(FunctionName="cidrwatch-provider")["Configuration"]
    assert out["ServiceToken"] == fn["FunctionArn"]
    assert fn["State"] == "Active"
    assert fn["Runtime"] == "provided.al2023"
    assert fn["Environment"]["Variables"]["SCHEDULE_GROUP"] == SCHEDULE_GROUP
    assert fn["Environment"]["Variables"]["SCHEDULER_ROLE_ARN"].startswith("arn:aws:iam::")
    assert out["FunctionRoleArn"] == fn["Role"]
    assert out["ScheduleGroup"] == SCHEDULE_GROUP
    assert client("scheduler").get_schedule_group(Name=SCHEDULE_GROUP)["State"] == "ACTIVE"
    exports = {e["Name"]: e["Value"] for e in client("cloudformation").list_exports()["Exports"]}
    assert exports["cidrwatch-ServiceToken"] == fn["FunctionArn"]
    resources = client("cloudformation").describe_stack_resources(StackName="cidrwatch")
    status = {r["LogicalResourceId"]: r["ResourceStatus"] for r in resources["StackResources"]}
    assert set(status) >= {
        "LogGroup", "ScheduleGroup", "SchedulerRole", "FunctionRole", "Function",
        "AlarmsMayInvoke", "FunctionErrors",
    }, status
    assert set(status.values()) == {"CREATE_COMPLETE"}, status
    assert client("cloudwatch").describe_alarms(AlarmNames=["cidrwatch-provider-errors"])["MetricAlarms"]


def test_the_member_role_stack_deploys_in_its_role_region_and_empty_elsewhere(provider):
    role_arn = outputs(provider)["FunctionRoleArn"]
    stack = deploy(
        "cidrwatch-member",
        template("cfn/member-role.yaml"),
        {"ProviderRoleArn": role_arn, "RoleName": "cidrwatch-reader-test"},
    )
    assert stack["StackStatus"] == "CREATE_COMPLETE", reasons("cidrwatch-member")
    role = client("iam").get_role(RoleName="cidrwatch-reader-test")["Role"]
    trusted = role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["AWS"]
    assert role_arn in (trusted if isinstance(trusted, list) else [trusted])
    delete("cidrwatch-member")
    names = [r["RoleName"] for r in client("iam").list_roles()["Roles"]]
    assert "cidrwatch-reader-test" not in names
