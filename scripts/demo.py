"""`make demo`: cidrwatch on a laptop, no AWS account.

Starts a local AWS (moto behind the test bed's CBOR front) and a local endpoint standing in
for CloudFormation's ResponseURL, builds a small EKS-like estate, then drives the real binary:
a CloudFormation Create through `cidrwatch invoke`, ticks fed the schedule's own input while
ENIs fill a node subnet (metrics read back from the local CloudWatch), `cidrwatch report`, an
alarm event and the notification SNS delivered to a queue and a chat webhook, an in-place
Update, a bad Update, and Delete. After each step it prints what is there.

Usage: python scripts/demo.py PATH/TO/cidrwatch
"""

import json
import os
from datetime import datetime, timedelta, timezone
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
        self.posts: list[dict] = []  # SNS deliveries to the stand-in chat webhook
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_PUT(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                outer.bodies.append(json.loads(body))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                outer.posts.append(json.loads(body))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/response?X-Amz-Signature=demo"


def binary_env(endpoint: str) -> dict:
    return {
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


def run_event(binary: str, endpoint: str, event: dict) -> subprocess.CompletedProcess:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(event, f)
    run = subprocess.run([binary, "invoke", f.name], env=binary_env(endpoint), capture_output=True, text=True)
    os.unlink(f.name)
    return run


def invoke(binary: str, endpoint: str, event: dict, responses: Responses) -> dict:
    before = len(responses.bodies)
    run = run_event(binary, endpoint, event)
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
    ops = {"GreaterThanOrEqualToThreshold": ">=", "GreaterThanThreshold": ">", "LessThanThreshold": "<"}
    for a in alarms:
        rule = f"{a['Statistic']}({a['MetricName']}) {ops[a['ComparisonOperator']]} {a['Threshold']:g}"
        print(
            f"      {a['AlarmName'][len(monitor_id) + 1:]:<16} {rule:<36} period {a['Period']}s "
            f"x{a['EvaluationPeriods']}  missing={a.get('TreatMissingData', '-'):<9} {a['StateValue']:<17} "
            f"-> {', '.join(a['AlarmActions'])}"
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
    dashboards = [d["DashboardName"] for d in cw.list_dashboards(DashboardNamePrefix=monitor_id)["DashboardEntries"]]
    print(f"    dashboards: {', '.join(dashboards) if dashboards else 'none'}")


def clients(endpoint: str):
    kwargs = dict(region_name="us-east-1", endpoint_url=endpoint, aws_access_key_id="demo", aws_secret_access_key="demo")
    return tuple(boto3.client(name, **kwargs) for name in ["ec2", "cloudwatch", "scheduler", "sns", "sqs"])


TAG = {"Key": "kubernetes.io/cluster/prod", "Value": "shared"}


def build_estate(ec2) -> dict:
    """Two VPCs like an EKS cluster's: node subnets per AZ, pod subnets in 100.64/16."""
    subnets = {}

    def subnet(vpc: str, cidr: str, az: str, tagged: bool = True) -> None:
        tags = [TAG, {"Key": "Name", "Value": f"{'eks' if tagged else 'public'}-{cidr}"}]
        spec = [{"ResourceType": "subnet", "Tags": tags if tagged else tags[1:]}]
        s = ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=az, TagSpecifications=spec)["Subnet"]
        subnets[cidr] = s["SubnetId"]

    eks = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    ec2.associate_vpc_cidr_block(VpcId=eks, CidrBlock="100.64.0.0/16")
    for i, az in enumerate(["us-east-1a", "us-east-1b", "us-east-1c"]):
        subnet(eks, f"10.0.{i}.0/24", az)                 # nodes
        subnet(eks, f"100.64.{i * 32}.0/19", az)          # pods (custom networking)
    subnet(eks, "10.0.100.0/24", "us-east-1a", tagged=False)
    shared = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    subnet(shared, "10.1.0.0/22", "us-east-1a")
    subnet(shared, "10.1.4.0/26", "us-east-1b")
    print(f"    VPC {eks} 10.0.0.0/16 + 100.64.0.0/16: 3 node /24s, 3 pod /19s (tagged), 1 public /24 (not)")
    print(f"    VPC {shared} 10.1.0.0/16: a /22 and a /26 (tagged)")
    return subnets


CLUSTER = "prod"


class Node:
    """An EKS node of cluster prod (an m5.large: 3 ENIs of 10 addresses, 29 pods at most) as the
    VPC CNI keeps it with its default WARM_ENI_TARGET=1: 9 secondary addresses on its primary
    ENI and a whole spare aws-K8S- ENI of 10 more, whatever few pods run."""

    def __init__(self, ec2, subnet_id: str) -> None:
        tags = [{"ResourceType": "instance", "Tags": [{"Key": "eks:cluster-name", "Value": CLUSTER}]}]
        i = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1, SubnetId=subnet_id,
                              InstanceType="m5.large", TagSpecifications=tags)["Instances"][0]
        self.id = i["InstanceId"]
        ec2.assign_private_ip_addresses(NetworkInterfaceId=i["NetworkInterfaces"][0]["NetworkInterfaceId"],
                                        SecondaryPrivateIpAddressCount=9)
        eni = ec2.create_network_interface(
            SubnetId=subnet_id, SecondaryPrivateIpAddressCount=9, Description=f"aws-K8S-{self.id}",
            TagSpecifications=[{"ResourceType": "network-interface", "Tags": [
                {"Key": "cluster.k8s.amazonaws.com/name", "Value": CLUSTER},
                {"Key": "node.k8s.amazonaws.com/instance_id", "Value": self.id}]}])["NetworkInterface"]
        ec2.attach_network_interface(NetworkInterfaceId=eni["NetworkInterfaceId"], InstanceId=self.id, DeviceIndex=1)
        self.held = 18


def cni_metrics_helper(cw, nodes: list, pods_per_node: int) -> None:
    """What cni-metrics-helper publishes for the cluster: the addresses its CNI holds and the
    ones assigned to pods."""
    dims = [{"Name": "CLUSTER_ID", "Value": CLUSTER}]
    cw.put_metric_data(Namespace="Kubernetes", MetricData=[
        {"MetricName": "totalIPAddresses", "Dimensions": dims, "Value": sum(n.held for n in nodes)},
        {"MetricName": "assignIPAddresses", "Dimensions": dims, "Value": pods_per_node * len(nodes)}])


def services_and_leftovers(ec2, subnet_id: str) -> None:
    """A load balancer's and a NAT gateway's ENIs, as those services describe theirs, and a
    VPC CNI ENI a terminated node left behind: detached, still holding 8 addresses."""
    for description in ["ELB app/web/50dc6c495c0c9188", "ELB app/web/50dc6c495c0c9188", "Interface for NAT Gateway nat-0a1b2c3d4e5f60718"]:
        ec2.create_network_interface(SubnetId=subnet_id, Description=description)
    ec2.create_network_interface(SubnetId=subnet_id, SecondaryPrivateIpAddressCount=7, Description="aws-K8S-i-0f1e2d3c4b5a69788",
                                 TagSpecifications=[{"ResourceType": "network-interface", "Tags": [
                                     {"Key": "node.k8s.amazonaws.com/createdAt", "Value": "2026-10-02T07:14:00Z"}]}])


def address_plan(binary: str, endpoint: str, ec2, subnets: dict) -> None:
    """A team's new VPC reuses the shared VPC's 10.1.0.0/16 and joins the same transit
    gateway: the plan of supernet 10.0.0.0/14 names the overlap, and suggest --new-vpc where
    the next VPC goes."""
    step("The address plan: supernet 10.0.0.0/14; a team's new VPC reuses 10.1.0.0/16 and joins "
         "the shared VPC's transit gateway")
    shared = ec2.describe_subnets(SubnetIds=[subnets["10.1.0.0/22"]])["Subnets"][0]["VpcId"]
    team = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    team_subnet = ec2.create_subnet(VpcId=team, CidrBlock="10.1.0.0/24")["Subnet"]["SubnetId"]
    tgw = ec2.create_transit_gateway(Description="shared")["TransitGateway"]["TransitGatewayId"]
    for vpc, subnet in [(shared, subnets["10.1.0.0/22"]), (team, team_subnet)]:
        ec2.create_transit_gateway_vpc_attachment(TransitGatewayId=tgw, VpcId=vpc, SubnetIds=[subnet])
    print(f"    VPC {team} 10.1.0.0/16 attached to {tgw} beside {shared}")
    monitor = ROOT / "target/demo/plan-monitor.json"
    monitor.write_text(json.dumps({"PoolName": "plan", "Supernets": ["10.0.0.0/14"]}))
    run = subprocess.run([binary, "report", "--monitor", str(monitor)], env=binary_env(endpoint),
                         capture_output=True, text=True)
    plan = run.stdout[run.stdout.find("Address plan:"):]
    print("    $ cidrwatch report --monitor plan-monitor.json   (its address plan)")
    print("    " + plan.replace("\n", "\n    ").rstrip())
    run = subprocess.run([binary, "suggest", "--new-vpc", "--size", "16", "--count", "2", "--monitor", str(monitor)],
                         env=binary_env(endpoint), capture_output=True, text=True)
    print("    $ cidrwatch suggest --new-vpc --size 16 --count 2 --monitor plan-monitor.json")
    print("    " + (run.stdout or run.stderr).replace("\n", "\n    ").rstrip())
    page = ROOT / "target/demo/plan.html"
    run = subprocess.run([binary, "map", "--monitor", str(monitor), "--html", str(page)],
                         env=binary_env(endpoint), capture_output=True, text=True)
    print(f"    {run.stdout.strip() or run.stderr.strip()}: the supernet drawn, the overlap numbered")


def metric(cw, name: str, pool: str, stat: str) -> float | None:
    now = datetime.now(timezone.utc)
    out = cw.get_metric_data(
        MetricDataQueries=[{"Id": "m", "MetricStat": {"Metric": {"Namespace": "CidrWatch", "MetricName": name,
            "Dimensions": [{"Name": "Pool", "Value": pool}]}, "Period": 300, "Stat": stat}}],
        StartTime=now - timedelta(minutes=15), EndTime=now + timedelta(minutes=15))
    values = out["MetricDataResults"][0]["Values"]
    return values[0] if values else None


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
        ec2, cw, scheduler, sns, sqs = clients(endpoint)
        step("Building an EKS-like estate in the local EC2, and an SNS topic with two subscribers")
        subnets = build_estate(ec2)
        topic = sns.create_topic(Name="network-alerts")["TopicArn"]
        queue = sqs.create_queue(QueueName="network-alerts")["QueueUrl"]
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint="arn:aws:sqs:us-east-1:123456789012:network-alerts")
        webhook = responses.url.split("/response")[0] + "/chat-webhook"
        sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=webhook)
        print(f"    topic {topic}: an SQS queue and a chat webhook at {webhook}")

        create = json.loads((ROOT / "tests/fixtures/create.json").read_text())
        create["ResponseURL"] = responses.url
        props = create["ResourceProperties"]
        props["Select"] = {"Tags": {TAG["Key"]: TAG["Value"]}}
        props.update(Notify="detailed", AlarmTopicArns=[topic], Dashboard="true")
        props["Thresholds"]["SubnetCriticalPercent"] = "90"

        step(f"Create: a Custom::CidrMonitor for pool {props['PoolName']} ({props['Schedule']}, Notify {props['Notify']})")
        body = invoke(binary, endpoint, create, responses)
        monitor_id = body["PhysicalResourceId"]
        show(endpoint, monitor_id)
        read = {n: metric(cw, n, props["PoolName"], "Maximum") for n in ["UsedAddresses", "Utilization", "Heartbeat"]}
        print("    the first scan, published by the Create: " + ", ".join(f"{k} {v:g}" for k, v in read.items() if v is not None))
        queued = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
        print(f"    messages the Create sent: {len(queued) + len(responses.posts)} "
              "(healthy alarms start OK: no INSUFFICIENT_DATA -> OK message)")

        tick = json.loads(scheduler.get_schedule(GroupName="cidrwatch", Name=monitor_id)["Target"]["Input"])
        node_a = subnets["10.0.0.0/24"]
        nodes = []
        services_and_leftovers(ec2, node_a)
        for round_, joined in enumerate([3, 4, 4], start=1):
            step(f"Tick {round_}: cluster prod's autoscaler adds {joined} m5.large nodes to subnet "
                 "10.0.0.0/24 (4 pods a node), then the schedule's tick runs")
            nodes += [Node(ec2, node_a) for _ in range(joined)]
            cni_metrics_helper(cw, nodes, 4)
            run = run_event(binary, endpoint, tick)
            if run.returncode != 0:
                sys.exit(f"tick failed:\n{run.stderr}")
            report = json.loads(run.stdout)
            t, top = report["totals"], report["subnets"][0]
            print(f"    report: {t['subnet_count']} subnets, used {t['used']}/{t['usable']} ({t['utilization']:.2f}%), "
                  f"fullest {top['cidr']} at {top['utilization']:.1f}% ({top['free']} free), "
                  f"{t['detached_addresses']} held by detached ENIs")
            # The latest datapoint of each series: the max of a rising one, the min of a falling one.
            read = {n: metric(cw, n, props["PoolName"], stat) for n, stat in
                    [("Utilization", "Maximum"), ("MaxSubnetUtilization", "Maximum"), ("FreeAddresses", "Minimum"),
                     ("DetachedAddresses", "Maximum"), ("Heartbeat", "Maximum")]}
            print("    read back from CloudWatch: " + ", ".join(f"{k} {v:g}" for k, v in read.items() if v is not None))
            limit = float(props["Thresholds"]["SubnetCriticalPercent"])
            if top["utilization"] >= limit:
                print(f"    MaxSubnetUtilization >= {limit:g}: the -subnet-critical alarm fires on CloudWatch's next evaluation")

        step(f"CloudWatch moves {monitor_id}-subnet-critical to ALARM and invokes the function")
        alarm = json.loads((ROOT / "tests/fixtures/alarm.json").read_text())
        name = f"{monitor_id}-subnet-critical"
        alarm["alarmData"]["alarmName"] = name
        alarm["alarmArn"] = f"arn:aws:cloudwatch:us-east-1:123456789012:alarm:{name}"
        run = run_event(binary, endpoint, alarm)
        if run.returncode != 0:
            sys.exit(f"alarm handling failed:\n{run.stderr}")
        print(f"    published to {json.loads(run.stdout)['published']}")
        for m in sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", []):
            envelope = json.loads(m["Body"])
            attrs = {k: v["Value"] for k, v in envelope.get("MessageAttributes", {}).items()}
            payload = json.loads(envelope["Message"])
            t = payload["report"]["totals"]
            print(f"    SQS got the report JSON: attributes {attrs}; used {t['used']}/{t['usable']}, "
                  f"fullest {payload['report']['subnets'][0]['cidr']}")
        for post in responses.posts:
            q = json.loads(post["Message"])
            print(f"    the chat webhook got an Amazon Q notification: {q['content']['title']}")
            for line in q["content"]["description"].splitlines():
                print(f"      {line}")

        step("cidrwatch report: the same engine at the terminal")
        run = subprocess.run([binary, "report", "--tag", f"{TAG['Key']}={TAG['Value']}", "--pool", "eks-prod"],
                             env=binary_env(endpoint), capture_output=True, text=True)
        print("    " + run.stdout.replace("\n", "\n    ").rstrip())

        step("cidrwatch map: the same scan, drawn to scale as one self-contained page")
        page = ROOT / "target/demo/map.html"
        page.parent.mkdir(parents=True, exist_ok=True)
        run = subprocess.run([binary, "map", "--tag", f"{TAG['Key']}={TAG['Value']}", "--pool", "eks-prod",
                              "--html", str(page)], env=binary_env(endpoint), capture_output=True, text=True)
        if run.returncode != 0:
            sys.exit(f"map failed:\n{run.stderr}")
        print(f"    {run.stdout.strip()}")
        print(f"    open file://{page}")

        address_plan(binary, endpoint, ec2, subnets)

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
