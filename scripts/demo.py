"""`make demo`: the cidrwatch provider on a laptop, no AWS account.

Starts a local AWS (moto behind the test bed's CBOR front) and a local endpoint standing in
for CloudFormation's ResponseURL, then drives the real binary through `cidrwatch invoke` with
real CloudFormation events: Create, an in-place Update, Delete. After each step it reads the
local AWS back and prints what is there.

Usage: python scripts/demo.py PATH/TO/cidrwatch
"""

import json
import os
import subprocess
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import boto3

ROOT = Path(__file__).resolve().parent.parent
FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:cidrwatch-provider"
ROLE_ARN = "arn:aws:iam::123456789012:role/cidrwatch-scheduler"


def step(text: str) -> None:
    print(f"\n==> {text}", flush=True)


def start_local_aws() -> tuple[subprocess.Popen, str]:
    front = subprocess.Popen(
        [sys.executable, str(ROOT / "tests/support/aws_front.py")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    line = front.stdout.readline()
    if not line.startswith("READY "):
        sys.exit(f"the local AWS did not start: {line!r}")
    return front, f"http://127.0.0.1:{int(line.split()[1])}"


class Responses:
    """Stands in for CloudFormation: records each response PUT to the ResponseURL."""

    def __init__(self) -> None:
        self.bodies: list[dict] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_PUT(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                outer.bodies.append(json.loads(body))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/response?X-Amz-Signature=demo"


def invoke(binary: str, endpoint: str, event: dict, responses: Responses) -> dict:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "demo",
        "AWS_SECRET_ACCESS_KEY": "demo",
        "AWS_EC2_METADATA_DISABLED": "true",
        "FUNCTION_ARN": FUNCTION_ARN,
        "SCHEDULER_ROLE_ARN": ROLE_ARN,
        "RUST_LOG": "warn",
    }
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(event, f)
    before = len(responses.bodies)
    run = subprocess.run([binary, "invoke", f.name], env=env, capture_output=True, text=True)
    os.unlink(f.name)
    if run.returncode != 0 or len(responses.bodies) != before + 1:
        sys.exit(f"cidrwatch invoke failed ({run.returncode}):\n{run.stderr}")
    body = responses.bodies[-1]
    print(f"    CloudFormation received: {body['Status']}  PhysicalResourceId={body['PhysicalResourceId']}")
    if body.get("Reason"):
        print(f"    Reason: {body['Reason']}")
    for key, value in sorted(body.get("Data", {}).items()):
        print(f"    Data.{key} = {value}")
    return body


def show(endpoint: str, monitor_id: str) -> None:
    kwargs = dict(region_name="us-east-1", endpoint_url=endpoint, aws_access_key_id="demo", aws_secret_access_key="demo")
    cw = boto3.client("cloudwatch", **kwargs)
    alarms = cw.describe_alarms(AlarmNamePrefix=f"{monitor_id}-")["MetricAlarms"]
    print(f"    {len(alarms)} alarms in the local CloudWatch:")
    ops = {"GreaterThanOrEqualToThreshold": ">=", "LessThanThreshold": "<"}
    for a in alarms:
        rule = f"{a['Statistic']}({a['MetricName']}) {ops[a['ComparisonOperator']]} {a['Threshold']:g}"
        print(
            f"      {a['AlarmName'][len(monitor_id) + 1:]:<16} {rule:<36} period {a['Period']}s "
            f"x{a['EvaluationPeriods']}  missing={a.get('TreatMissingData', '-'):<9} -> {', '.join(a['AlarmActions'])}"
        )
    scheduler = boto3.client("scheduler", **kwargs)
    schedules = scheduler.list_schedules(GroupName="cidrwatch")["Schedules"]
    for s in schedules:
        full = scheduler.get_schedule(GroupName="cidrwatch", Name=s["Name"])
        tick = json.loads(full["Target"]["Input"])
        print(f"    schedule {s['Name']}: {full['ScheduleExpression']} -> {full['Target']['Arn']}")
        print(f"      tick input: pool {tick['monitor']['PoolName']}, {len(full['Target']['Input'])} bytes")
    if not schedules:
        print("    no schedules")


def main() -> None:
    binary = sys.argv[1] if len(sys.argv) > 1 else str(ROOT / "target/debug/cidrwatch")
    step("Starting a local AWS (moto) and a stand-in for CloudFormation's ResponseURL")
    front, endpoint = start_local_aws()
    responses = Responses()
    print(f"    local AWS at {endpoint}; responses captured at {responses.url.split('?')[0]}")
    try:
        boto3.client(
            "scheduler", region_name="us-east-1", endpoint_url=endpoint, aws_access_key_id="demo", aws_secret_access_key="demo"
        ).create_schedule_group(Name="cidrwatch")
        create = json.loads((ROOT / "tests/fixtures/create.json").read_text())
        create["ResponseURL"] = responses.url
        props = create["ResourceProperties"]

        step(f"Create: a Custom::CidrMonitor for pool {props['PoolName']} ({props['Schedule']}, Notify {props['Notify']})")
        body = invoke(binary, endpoint, create, responses)
        monitor_id = body["PhysicalResourceId"]
        show(endpoint, monitor_id)

        step("Create again (CloudFormation re-delivery): still one set of resources")
        invoke(binary, endpoint, create, responses)
        show(endpoint, monitor_id)

        step("Update in place: WarningPercent 80 -> 75, MinFreeAddresses removed, rate(5 minutes)")
        update = json.loads((ROOT / "tests/fixtures/update.json").read_text())
        new_props = json.loads(json.dumps(props))
        new_props["Thresholds"] = {"WarningPercent": "75", "CriticalPercent": "90", "SubnetCriticalPercent": "95"}
        new_props["Schedule"] = "rate(5 minutes)"
        update.update(ResponseURL=responses.url, PhysicalResourceId=monitor_id,
                      ResourceProperties=new_props, OldResourceProperties=props)
        invoke(binary, endpoint, update, responses)
        show(endpoint, monitor_id)

        step("Update with a bad property: answered FAILED, nothing changes")
        bad = json.loads(json.dumps(update))
        bad["ResourceProperties"]["Thresholds"]["WarningPercent"] = "eighty"
        invoke(binary, endpoint, bad, responses)

        step("Delete")
        delete = json.loads((ROOT / "tests/fixtures/delete.json").read_text())
        delete.update(ResponseURL=responses.url, PhysicalResourceId=monitor_id)
        invoke(binary, endpoint, delete, responses)
        show(endpoint, monitor_id)
        step(f"Done: {len(responses.bodies)} requests, {len(responses.bodies)} answers; nothing left behind.")
    finally:
        front.kill()
        responses.server.shutdown()


if __name__ == "__main__":
    main()
