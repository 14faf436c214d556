"""A local AWS for the tests: moto, behind a small front that speaks what moto lacks.

moto 5.2.5 does not speak Smithy RPCv2 CBOR, the only protocol aws-sdk-cloudwatch has
spoken since Dec 2025. This front listens on a loopback port and:

- answers CloudWatch CBOR requests (POST /service/GraniteServiceVersion20100801/operation/<Op>)
  by decoding the CBOR body (gunzipped when Content-Encoding says gzip), making the same call
  on moto through boto3's CloudWatch client, and encoding the result as CBOR (timestamps as
  tag 1) with the `smithy-protocol: rpc-v2-cbor` header; errors carry `__type` and `message`;
- passes every other request through to moto unchanged;
- counts requests per operation ("<signing service>:<Operation>"), readable at
  GET /__front/counts and cleared by POST /__front/reset, so tests can assert API-call counts;
  GET /__front/gzipped counts the CloudWatch requests that came gzipped (Content-Encoding), as
  AWS accepts them, so a test can say which we compress;
- paginates EC2 Describe{Subnets,Vpcs,NetworkInterfaces} by MaxResults/NextToken as EC2 does
  (moto returns every item at once), so page counts are real;
- stands in for CloudWatch metric streams, which moto lacks entirely (every call is a 500):
  Put/Get/Delete/ListMetricStreams and tags on stream ARNs, kept in memory per account-region;
  the exact requests are pinned separately by aws-smithy-mocks tests;
- repairs two moto bugs: SearchTransitGatewayRoutes with MaxResults fails inside moto (it
  slices a dict), so the front drops MaxResults, under which EC2 answers every route of a
  small table too; and IPv6-only subnets report availableIpAddressCount as 2^64-5, which
  no SDK can read as EC2's 32-bit Integer; EC2 reports 0 for them, and so does the front;
- and one moto slowness: an EC2 resource's tags are found by scanning every tag in the
  region, once per resource listed or filtered, so DescribeSubnets over 10,000 tagged
  subnets took minutes (`make bench`); the front reads them by resource id instead;
- keeps alarm state as CloudWatch does: moto starts every put alarm in OK and resets the
  state when an alarm is put again; AWS starts a new alarm in INSUFFICIENT_DATA and leaves an
  existing one's state alone ("When you update an existing alarm, its state is left
  unchanged"). That is what makes "created OK, no message" something a test can see;
- shares VPCs as AWS RAM does: POST /__front/shares with [{"owner": "123456789012",
  "participant": "222222222222"}] makes the participant's DescribeSubnets and DescribeVpcs
  answer with the owner's subnets and VPCs (OwnerId the owner's) besides its own, as a
  participant sees subnets shared with it. (Whole-account sharing: enough to show double
  counting; RAM would share chosen subnets.) Accounts are known by the keys moto hands out
  in AssumeRole answers;
- shows service ENIs in use, as AWS does: moto leaves every ENI `available` until it is
  attached to an instance, but the ENIs that load balancers, NAT gateways, VPC endpoints,
  Lambda and the EKS control plane create are attached to their service (`in-use`,
  requester-managed) for as long as it lives. DescribeNetworkInterfaces answers such ENIs
  (known by the descriptions those services give them) as `in-use`, and the front applies
  a `status` filter itself, after that correction;
- adds AWS's latency and counts requests in flight: POST /__front/latency {"seconds": 0.1}
  delays every AWS request (AWS answers in tens of milliseconds, moto in microseconds), and
  GET /__front/in-flight says how many are being answered now and the most at once since the
  last reset, so parallelism is asserted on a count, never on a time;
- makes new data take a moment to become readable, as CloudWatch does: POST
  /__front/ingest-delay {"seconds": 2} and GetMetricData serves no datum younger than that
  (moto serves a datum the instant it is put, which hides the race between a Create's first
  PutMetricData and its new alarms' first evaluation);
- delegates /28 prefixes to ENIs, as EC2's AssignPrivateIpAddresses --ipv4-prefixes does for
  the VPC CNI in prefix-delegation mode (moto has no ENI prefixes): POST /__front/prefixes
  {"eni-…": {"subnet": "subnet-…", "prefixes": ["10.0.1.0/28", …]}} makes
  DescribeNetworkInterfaces list them in the ENI's ipv4PrefixSet, and DescribeSubnets count
  their 16 addresses each as used in the subnet's availableIpAddressCount, as EC2 does;
- injects faults: POST /__front/faults with a JSON list of
  {"op": "sts:AssumeRole", "contains": "222222222222", "region": "eu-west-1", "status": 403,
   "code": "AccessDenied", "times": null, "hang": 0} makes matching requests (op, and when
  given, body substring and signing region) fail, or hang for `hang` seconds first.

Usage: python aws_front.py  ->  prints "READY <port>" and serves until stdin closes.

With `--upstream PORT` it fronts another local AWS on that loopback port (LocalStack, for
`make e2e`) instead of starting moto: LocalStack speaks CBOR, pages EC2, keeps alarm state and
evaluates alarms itself, so there the front only counts requests, injects faults (an account or
region that refuses, as IAM would) and stands in for metric streams (LocalStack answers
DeleteMetricStream with InternalFailure); everything else passes through untouched.
"""

import fnmatch
import gzip
import http.client
import time
import xml.etree.ElementTree as ET
import json
import logging
import os
import re
import socket
import sys
import threading
from collections import Counter
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import boto3
import cbor2
from botocore.config import Config
from botocore.exceptions import ClientError
from moto.ec2.models.core import TaggedEC2Resource
from moto.ec2.utils import EC2_PREFIX_TO_RESOURCE, get_prefix
from moto.moto_server.threaded_moto_server import ThreadedMotoServer

CBOR_PATH = re.compile(r"^/service/GraniteServiceVersion20100801/operation/([A-Za-z]+)$")
CREDENTIAL = re.compile(r"Credential=([^/]+)/[^/]+/([^/]+)/([^/]+)/aws4_request")

# Scheduler is REST-JSON: name its operations from method and path so they count too.
SCHEDULER_OPS = [
    ("POST", re.compile(r"^/schedules/[^/]+$"), "CreateSchedule"),
    ("PUT", re.compile(r"^/schedules/[^/]+$"), "UpdateSchedule"),
    ("GET", re.compile(r"^/schedules/[^/]+$"), "GetSchedule"),
    ("DELETE", re.compile(r"^/schedules/[^/]+$"), "DeleteSchedule"),
    ("GET", re.compile(r"^/schedules$"), "ListSchedules"),
    ("POST", re.compile(r"^/schedule-groups/[^/]+$"), "CreateScheduleGroup"),
    ("GET", re.compile(r"^/schedule-groups/[^/]+$"), "GetScheduleGroup"),
    ("DELETE", re.compile(r"^/schedule-groups/[^/]+$"), "DeleteScheduleGroup"),
    ("GET", re.compile(r"^/schedule-groups$"), "ListScheduleGroups"),
]

# EC2 list operations moto answers in one page, and the element holding their items.
EC2_PAGED = {
    "DescribeSubnets": "subnetSet",
    "DescribeVpcs": "vpcSet",
    "DescribeNetworkInterfaces": "networkInterfaceSet",
}

STREAM_OPS = {"PutMetricStream", "GetMetricStream", "DeleteMetricStream", "ListMetricStreams"}
TAG_OPS = {"ListTagsForResource", "TagResource", "UntagResource"}

OVERSIZED_COUNT = re.compile(rb"<availableIpAddressCount>(\d+)</availableIpAddressCount>")


def repair_ec2(data: bytes) -> bytes:
    def fix(m: re.Match) -> bytes:
        return m.group(0) if int(m.group(1)) < 2**31 else b"<availableIpAddressCount>0</availableIpAddressCount>"

    return OVERSIZED_COUNT.sub(fix, data)


def own_tags(self) -> list[dict[str, str]]:
    """moto's TaggedEC2Resource.get_tags with the same answer, by key rather than by a scan.

    moto asks describe_tags for an anchored resource-id pattern, which visits every tag in
    the backend: quadratic in the number of tagged resources."""
    if not getattr(self, "id", None):
        return []
    kind = EC2_PREFIX_TO_RESOURCE.get(get_prefix(self.id), "")
    tags = self.ec2_backend.tags.get(self.id, {})
    return [{"resource_id": self.id, "key": k, "value": v, "resource_type": kind} for k, v in tags.items()]


TaggedEC2Resource.get_tags = own_tags

DEFAULT_ACCOUNT = "123456789012"
ROLE_ACCOUNT = re.compile(r"RoleArn=arn%3Aaws%3Aiam%3A%3A(\d{12})%3A")
ACCESS_KEY = re.compile(rb"<AccessKeyId>([^<]+)</AccessKeyId>")
SHARED_OPS = {"DescribeSubnets", "DescribeVpcs"}

# Descriptions AWS services give the ENIs they create and keep attached (see the docstring).
SERVICE_ENI = re.compile(r"^(ELB |Interface for NAT Gateway |VPC Endpoint Interface |AWS Lambda VPC ENI|Amazon EKS )")
FILTER_NAME = re.compile(r"^Filter\.(\d+)\.Name$")


def take_status_filter(form: dict) -> set[str] | None:
    """Removes a DescribeNetworkInterfaces `status` filter from the form; its values."""
    for key, value in list(form.items()):
        m = FILTER_NAME.match(key)
        if m and value == ["status"]:
            n = m.group(1)
            prefix = f"Filter.{n}."
            wanted = {v for k, vs in form.items() if k.startswith(prefix + "Value") for v in vs}
            for k in [k for k in form if k.startswith(prefix)]:
                del form[k]
            return wanted
    return None


HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "date", "server"}


class Front:
    def __init__(self, moto_port: int, upstream: bool = False):
        self.moto_port = moto_port
        # True: the port is another emulator's, which needs none of moto's repairs.
        self.upstream = upstream
        self.counts: Counter = Counter()
        self.gzipped: Counter = Counter()
        self.lock = threading.Lock()
        self.clients: dict = {}
        self.faults: list[dict] = []
        self.streams: dict = {}
        self.shares: list[dict] = []
        # ENI id -> {"subnet": id, "prefixes": [CIDR, ...]}: delegated /28 prefixes.
        self.prefixes: dict = {}
        # access key -> account, learnt from AssumeRole answers; moto's default otherwise.
        self.accounts: dict[str, str] = {}
        # Seconds every AWS request waits before it is answered: AWS's round trip.
        self.latency = 0.0
        # Seconds before a datum is readable through GetMetricData: CloudWatch's ingestion.
        self.ingest_delay = 0.0
        # Requests being answered now, and the most at once since the last reset.
        self.in_flight = 0
        self.peak = 0

    def account_of(self, access_key: str) -> str:
        with self.lock:
            return self.accounts.get(access_key, DEFAULT_ACCOUNT)

    def key_of(self, account: str) -> str | None:
        if account == DEFAULT_ACCOUNT:
            return "testing"
        with self.lock:
            return next((k for k, a in self.accounts.items() if a == account), None)

    def fault_for(self, op: str, body: bytes, region: str) -> dict | None:
        """The first scripted fault matching this request, used up by one if limited."""
        with self.lock:
            for f in self.faults:
                # "monitoring:*" stands for a whole service that stopped answering.
                if not fnmatch.fnmatchcase(op, f.get("op", "")) or f.get("contains", "").encode() not in body:
                    continue
                if f.get("region") not in (None, region):
                    continue
                if f.get("times") is not None:
                    if f["times"] <= 0:
                        continue
                    f["times"] -= 1
                return f
        return None

    def count(self, op: str) -> None:
        with self.lock:
            self.counts[op] += 1

    def cloudwatch(self, access_key: str, region: str, token: str | None):
        """A boto3 CloudWatch client on moto acting as the caller (moto maps keys to accounts)."""
        key = (access_key, region, token)
        with self.lock:
            client = self.clients.get(key)
            if client is None:
                client = boto3.client(
                    "cloudwatch",
                    region_name=region,
                    endpoint_url=f"http://127.0.0.1:{self.moto_port}",
                    aws_access_key_id=access_key,
                    aws_secret_access_key="front",
                    aws_session_token=token,
                    # moto decides what is valid, as AWS would; no client-side second opinion.
                    config=Config(parameter_validation=False, retries={"max_attempts": 1}),
                )
                self.clients[key] = client
            return client


def operation_name(method: str, path: str, headers, body: bytes, service: str) -> str:
    target = headers.get("X-Amz-Target")
    if target:
        return target.rsplit(".", 1)[-1]
    if service == "scheduler":
        for m, pattern, op in SCHEDULER_OPS:
            if m == method and pattern.match(path):
                return op
    query = parse_qs(urlsplit(path).query)
    if "Action" in query:
        return query["Action"][0]
    if body and headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
        form = parse_qs(body.decode("utf-8", "replace"))
        if "Action" in form:
            return form["Action"][0]
    return f"{method} {urlsplit(path).path}"


def make_handler(front: Front):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format, *args):  # noqa: A002 - quiet: tests read stdout
            pass

        def _body(self) -> bytes:
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def _send(self, status: int, headers: dict, body: bytes) -> None:
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _handle(self) -> None:
            body = self._body()
            path = self.path
            if path == "/__front/counts":
                with front.lock:
                    data = json.dumps(dict(front.counts)).encode()
                return self._send(200, {"Content-Type": "application/json"}, data)
            if path == "/__front/gzipped":
                with front.lock:
                    data = json.dumps(dict(front.gzipped)).encode()
                return self._send(200, {"Content-Type": "application/json"}, data)
            if path == "/__front/reset":
                with front.lock:
                    front.counts.clear()
                    front.gzipped.clear()
                    front.peak = front.in_flight
                return self._send(200, {"Content-Type": "application/json"}, b"{}")
            if path == "/__front/latency":
                with front.lock:
                    front.latency = float(json.loads(body or b"{}").get("seconds", 0))
                return self._send(200, {"Content-Type": "application/json"}, b"{}")
            if path == "/__front/ingest-delay":
                with front.lock:
                    front.ingest_delay = float(json.loads(body or b"{}").get("seconds", 0))
                return self._send(200, {"Content-Type": "application/json"}, b"{}")
            if path == "/__front/in-flight":
                with front.lock:
                    data = json.dumps({"now": front.in_flight, "peak": front.peak}).encode()
                return self._send(200, {"Content-Type": "application/json"}, data)
            if path == "/__front/shares":
                with front.lock:
                    front.shares = json.loads(body or b"[]")
                return self._send(200, {"Content-Type": "application/json"}, b"{}")
            if path == "/__front/prefixes":
                with front.lock:
                    front.prefixes.update(json.loads(body or b"{}"))
                return self._send(200, {"Content-Type": "application/json"}, b"{}")
            if path == "/__front/faults":
                with front.lock:
                    front.faults = json.loads(body or b"[]")
                return self._send(200, {"Content-Type": "application/json"}, b"{}")

            with front.lock:
                front.in_flight += 1
                front.peak = max(front.peak, front.in_flight)
                latency = front.latency
            try:
                if latency:
                    time.sleep(latency)
                return self._aws(body, path)
            finally:
                with front.lock:
                    front.in_flight -= 1

        def _aws(self, body: bytes, path: str) -> None:
            cred = CREDENTIAL.search(self.headers.get("Authorization", ""))
            access_key, region, service = cred.groups() if cred else ("testing", "us-east-1", "?")
            cbor_op = CBOR_PATH.match(path) if self.command == "POST" else None
            op = cbor_op.group(1) if cbor_op else operation_name(self.command, path, self.headers, body, service)
            front.count(f"{service}:{op}")
            fault = front.fault_for(f"{service}:{op}", body, region)
            if fault:
                return self._fault(fault, service, bool(cbor_op))
            if cbor_op and (op in STREAM_OPS or (op in TAG_OPS and b":metric-stream/" in body)):
                return self._stream(op, body, access_key, region)
            if front.upstream:
                return self._pass_through(body)
            if cbor_op:
                return self._cbor(op, body, access_key, region)
            if service == "ec2" and op in EC2_PAGED:
                return self._ec2_page(op, body, access_key)
            if service == "sts" and op == "AssumeRole":
                return self._assume_role(body)
            if service == "ec2" and op == "SearchTransitGatewayRoutes":
                # moto slices its dict of routes by MaxResults and fails (TypeError); EC2
                # answers up to MaxResults routes, and moto's tables hold fewer than any
                # MaxResults asked: without it moto answers them all, as EC2 would.
                form = parse_qs(body.decode(), keep_blank_values=True)
                form.pop("MaxResults", None)
                return self._pass_through(urlencode(form, doseq=True).encode())
            return self._pass_through(body)

        def _assume_role(self, body: bytes) -> None:
            """Passes through, remembering which account the handed-out key acts in."""
            status, headers, data = self._forward(body)
            role = ROLE_ACCOUNT.search(body.decode("utf-8", "replace"))
            key = ACCESS_KEY.search(data)
            if status == 200 and role and key:
                with front.lock:
                    front.accounts[key.group(1).decode()] = role.group(1)
            return self._send(status, headers, data)

        def _shared_items(self, op: str, form_body: bytes, access_key: str) -> list:
            """What owners share with the caller's account: their items for this request."""
            if op not in SHARED_OPS:
                return []
            me = front.account_of(access_key)
            with front.lock:
                owners = [s["owner"] for s in front.shares if s.get("participant") == me]
            items = []
            for owner in owners:
                key = front.key_of(owner)
                if key is None:
                    continue
                auth = CREDENTIAL.sub(lambda m: m.group(0).replace(m.group(1), key, 1),
                                      self.headers.get("Authorization", ""), count=1)
                status, _, data = self._forward(form_body, {"Authorization": auth, "X-Amz-Security-Token": None})
                if status == 200:
                    root = ET.fromstring(data)
                    ns = root.tag[1:].split("}")[0] if root.tag.startswith("{") else ""
                    found = root.find(f"{{{ns}}}{EC2_PAGED[op]}" if ns else EC2_PAGED[op])
                    items.extend(list(found) if found is not None else [])
            return items

        def _fault(self, fault: dict, service: str, cbor: bool) -> None:
            if fault.get("hang"):
                time.sleep(float(fault["hang"]))
            status = int(fault.get("status", 500))
            code = fault.get("code", "InternalFailure")
            message = fault.get("message", f"injected by the test front: {code}")
            if cbor:
                payload = cbor2.dumps({"__type": f"com.amazonaws.cloudwatch#{code}", "message": message})
                headers = {"smithy-protocol": "rpc-v2-cbor", "Content-Type": "application/cbor"}
                return self._send(status, headers, payload)
            if service == "ec2":
                xml = (f"<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message>"
                       "</Error></Errors><RequestID>front</RequestID></Response>")
            else:
                xml = (f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}"
                       "</Message></Error><RequestId>front</RequestId></ErrorResponse>")
            return self._send(status, {"Content-Type": "text/xml"}, xml.encode())

        def _ec2_page(self, op: str, body: bytes, access_key: str) -> None:
            """Forwards without MaxResults/NextToken, adds what owners share with the caller,
            then cuts the full answer into the page the caller asked for."""
            form = parse_qs(body.decode(), keep_blank_values=True)
            max_results = int(form.pop("MaxResults", ["0"])[0])
            offset = int(form.pop("NextToken", ["front-0"])[0].removeprefix("front-"))
            enis = op == "DescribeNetworkInterfaces"
            wanted_status = take_status_filter(form) if enis else None
            form_body = urlencode(form, doseq=True).encode()
            status, headers, data = self._forward(form_body)
            shared = self._shared_items(op, form_body, access_key) if status == 200 else []
            if status != 200 or (max_results <= 0 and not shared and not enis and not front.prefixes):
                return self._send(status, headers, data)
            root = ET.fromstring(data)
            ns = root.tag[1:].split("}")[0] if root.tag.startswith("{") else ""
            q = (lambda t: f"{{{ns}}}{t}") if ns else (lambda t: t)
            items_el = root.find(q(EC2_PAGED[op]))
            if items_el is None:
                items_el = ET.SubElement(root, q(EC2_PAGED[op]))
            for item in shared:
                items_el.append(item)
            self._delegate_prefixes(op, items_el, q)
            if enis:
                for item in list(items_el):
                    description = item.findtext(q("description")) or ""
                    status_el = item.find(q("status"))
                    if status_el is not None and SERVICE_ENI.match(description):
                        status_el.text = "in-use"
                    if wanted_status is not None and (status_el is None or status_el.text not in wanted_status):
                        items_el.remove(item)
            items = list(items_el)
            if max_results <= 0:
                max_results = len(items) or 1
            for item in items[:offset] + items[offset + max_results:]:
                items_el.remove(item)
            for old in root.findall(q("nextToken")):
                root.remove(old)
            if offset + max_results < len(items):
                token = ET.SubElement(root, q("nextToken"))
                token.text = f"front-{offset + max_results}"
            ET.register_namespace("", ns)
            return self._send(200, headers, ET.tostring(root, encoding="utf-8"))

        def _delegate_prefixes(self, op: str, items_el, q) -> None:
            """The /28 prefixes delegated through the front, on their ENIs and subnets."""
            with front.lock:
                delegated = dict(front.prefixes)
            if not delegated:
                return
            if op == "DescribeNetworkInterfaces":
                for item in items_el:
                    d = delegated.get(item.findtext(q("networkInterfaceId")) or "")
                    if d:
                        prefix_set = ET.SubElement(item, q("ipv4PrefixSet"))
                        for cidr in d["prefixes"]:
                            ET.SubElement(ET.SubElement(prefix_set, q("item")), q("ipv4Prefix")).text = cidr
            elif op == "DescribeSubnets":
                for item in items_el:
                    taken = 16 * sum(len(d["prefixes"]) for d in delegated.values()
                                     if d["subnet"] == item.findtext(q("subnetId")))
                    count = item.find(q("availableIpAddressCount"))
                    if taken and count is not None:
                        count.text = str(max(0, int(count.text) - taken))

        def _stream(self, op: str, body: bytes, access_key: str, region: str) -> None:
            """The metric-stream stand-in: same wire format as _cbor, state in memory."""
            params = cbor2.loads(body) if body else {}
            key = (access_key, region)
            with front.lock:
                streams = front.streams.setdefault(key, {})
                name = params.get("Name") or params.get("ResourceARN", "").rsplit("/", 1)[-1]
                arn = f"arn:aws:cloudwatch:{region}:123456789012:metric-stream/{name}"
                result: dict = {}
                if op == "PutMetricStream":
                    tags = {t["Key"]: t["Value"] for t in params.get("Tags", [])}
                    old = streams.get(name)
                    streams[name] = {**params, "Arn": arn, "Tags": old["Tags"] if old else tags}
                    result = {"Arn": arn}
                elif op == "DeleteMetricStream":
                    streams.pop(name, None)
                elif op == "ListMetricStreams":
                    result = {"Entries": [{"Name": n, "Arn": v["Arn"]} for n, v in streams.items()]}
                elif name not in streams:
                    payload = {"__type": "com.amazonaws.cloudwatch#ResourceNotFoundException", "message": name}
                    headers = {"smithy-protocol": "rpc-v2-cbor", "Content-Type": "application/cbor"}
                    return self._send(400, headers, cbor2.dumps(payload))
                elif op == "GetMetricStream":
                    st = streams[name]
                    result = {k: st[k] for k in ("Arn", "Name", "FirehoseArn", "RoleArn", "OutputFormat") if k in st}
                    result["IncludeFilters"] = st.get("IncludeFilters", [])
                elif op == "ListTagsForResource":
                    result = {"Tags": [{"Key": k, "Value": v} for k, v in streams[name]["Tags"].items()]}
                elif op == "TagResource":
                    streams[name]["Tags"].update({t["Key"]: t["Value"] for t in params.get("Tags", [])})
                elif op == "UntagResource":
                    for k in params.get("TagKeys", []):
                        streams[name]["Tags"].pop(k, None)
            headers = {"smithy-protocol": "rpc-v2-cbor", "Content-Type": "application/cbor"}
            return self._send(200, headers, cbor2.dumps(result))

        def _cbor(self, op: str, body: bytes, access_key: str, region: str) -> None:
            if "gzip" in self.headers.get("Content-Encoding", ""):
                body = gzip.decompress(body)
                with front.lock:
                    front.gzipped[f"monitoring:{op}"] += 1
            params = cbor2.loads(body) if body else {}
            client = front.cloudwatch(access_key, region, self.headers.get("X-Amz-Security-Token"))
            headers = {"smithy-protocol": "rpc-v2-cbor", "Content-Type": "application/cbor"}
            if op == "GetMetricData" and front.ingest_delay and params.get("EndTime"):
                readable = datetime.now(timezone.utc) - timedelta(seconds=front.ingest_delay)
                params["EndTime"] = min(params["EndTime"], readable)
            try:
                prior = None
                if op == "PutMetricAlarm":
                    found = client.describe_alarms(AlarmNames=[params.get("AlarmName", "")])["MetricAlarms"]
                    prior = found[0]["StateValue"] if found else "INSUFFICIENT_DATA"
                result = client._make_api_call(op, params or {})
                if prior is not None:
                    client.set_alarm_state(AlarmName=params["AlarmName"], StateValue=prior,
                                           StateReason="as CloudWatch keeps it (test front)")
            except ClientError as err:
                error = err.response.get("Error", {})
                code = error.get("Code", "InternalFailure")
                status = err.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 400)
                headers["x-amzn-query-error"] = f"{code};{'Sender' if status < 500 else 'Receiver'}"
                payload = {"__type": f"com.amazonaws.cloudwatch#{code}", "message": error.get("Message", "")}
                return self._send(status, headers, cbor2.dumps(payload))
            result.pop("ResponseMetadata", None)
            encoded = cbor2.dumps(result, datetime_as_timestamp=True, timezone=timezone.utc)
            return self._send(200, headers, encoded)

        def _forward(self, body: bytes, override: dict | None = None) -> tuple[int, dict, bytes]:
            conn = http.client.HTTPConnection("127.0.0.1", front.moto_port, timeout=120)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            for k, v in (override or {}).items():
                headers = {hk: hv for hk, hv in headers.items() if hk.lower() != k.lower()}
                if v is not None:
                    headers[k] = v
            headers["Content-Length"] = str(len(body))
            conn.request(self.command, self.path, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            out = {k: v for k, v in resp.getheaders() if k.lower() not in HOP_BY_HOP}
            conn.close()
            if "/ec2/" in self.headers.get("Authorization", ""):
                data = repair_ec2(data)
            return resp.status, out, data

        def _pass_through(self, body: bytes) -> None:
            return self._send(*self._forward(body))

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _handle

    return Handler


class Server(ThreadingHTTPServer):
    # A backlog for a scan's worth of parallel connections (socketserver's default is 5).
    request_queue_size = 512
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        # A client that gives up on a slow answer (the SDK's attempt timeout) closes its connection,
        # as it would with AWS: one line that says so, not a traceback.
        error = sys.exc_info()[1]
        if isinstance(error, (BrokenPipeError, ConnectionResetError)):
            print(f"front: a client closed its connection before its answer ({type(error).__name__})",
                  file=sys.stderr, flush=True)
        else:
            super().handle_error(request, client_address)


def main() -> None:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request drowns test output
    args = sys.argv[1:]
    upstream = None
    if args[:1] == ["--upstream"]:
        upstream, args = int(args[1]), args[2:]
    if upstream is None:
        moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        moto.start()
        _, moto_port = moto.get_host_and_port()
    else:
        moto_port = upstream
    port = int(args[0]) if args else 0
    server = Server(("127.0.0.1", port), make_handler(Front(moto_port, upstream is not None)))
    print(f"READY {server.server_address[1]}", flush=True)

    def watch_stdin() -> None:
        # The test that started us owns our lifetime: when its end of the pipe closes, stop.
        try:
            while sys.stdin.read(1):
                pass
        finally:
            os._exit(0)

    if not sys.stdin.isatty() and os.environ.get("FRONT_KEEP_RUNNING") != "1":
        threading.Thread(target=watch_stdin, daemon=True).start()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    socket.setdefaulttimeout(120)
    main()
