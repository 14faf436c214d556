"""The README's quick start, run as the README prints it: its commands, in order, with the
AWS CLI and a release's files, against LocalStack (AWS_ENDPOINT_URL), in a region of its own;
then the monitor's first datum is read back."""

import datetime
import os
import pathlib
import re
import shutil
import subprocess

from conftest import BINARY, ROOT, client, lambda_zip

REGION = "us-west-2"


def version():
    return re.search(r'^version = "([^"]+)"', (ROOT / "Cargo.toml").read_text(), re.M).group(1)


def quick_start_commands():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("\n## Quick start\n", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
    return [line for line in block.replace("\\\n", " ").splitlines() if line.strip() and not line.startswith("#")]


def release_files(into: pathlib.Path):
    """What a release's assets hold, for the commands to find in their working directory."""
    (into / f"cidrwatch-{version()}-x86_64.zip").write_bytes(lambda_zip(BINARY.read_bytes()))
    shutil.copy(ROOT / "cfn/provider.yaml", into / "provider.yaml")
    shutil.copy(ROOT / "cfn/examples/quickstart.yaml", into / "quickstart.yaml")
    (into / "bin").mkdir()
    (into / "bin/cidrwatch").symlink_to(BINARY)


def test_the_readmes_quick_start_runs_as_printed_and_the_monitor_publishes(tmp_path):
    commands = quick_start_commands()
    assert 1 <= len(commands) <= 5, commands
    release_files(tmp_path)
    topic = client("sns", REGION).create_topic(Name="quickstart-alerts")["TopicArn"]
    env = {
        **os.environ,
        "PATH": f"{tmp_path / 'bin'}:{ROOT / '.venv/bin'}:{os.environ['PATH']}",
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{os.environ['LOCALSTACK_PORT']}",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "BUCKET": "quickstart-code",
        "TOPIC": topic,
    }
    outputs = []
    for command in commands:
        run = subprocess.run(["bash", "-c", command], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
        assert run.returncode == 0, f"{command}\n{run.stdout}\n{run.stderr}"
        outputs.append(run.stdout)

    cfn = client("cloudformation", REGION)
    assert cfn.describe_stacks(StackName="my-pool")["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"
    now = datetime.datetime.now(datetime.timezone.utc)
    points = client("cloudwatch", REGION).get_metric_statistics(
        Namespace="CidrWatch", MetricName="UsableAddresses",
        Dimensions=[{"Name": "Pool", "Value": "my-pool"}],
        StartTime=now - datetime.timedelta(hours=1), EndTime=now + datetime.timedelta(minutes=1),
        Period=60, Statistics=["Maximum"],
    )["Datapoints"]
    assert points and points[0]["Maximum"] > 0, points
    # The last command reads the pool at the terminal: its subnets, every one in the report.
    subnets = client("ec2", REGION).describe_subnets()["Subnets"]
    assert subnets and all(s["SubnetId"] in outputs[-1] for s in subnets), outputs[-1]
