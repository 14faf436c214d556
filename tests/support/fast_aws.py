"""A fast local AWS for scale runs: exactly the calls a tick makes, from a generated
organization of any size, with a fixed latency added to every request at any concurrency.

moto answers about one request at a time and spends ~1 ms of Python on each of its larger
answers, so a 1,000-account tick through it measures moto. This serves, from memory and on
one asyncio loop (HTTP/1.1 with keep-alive, as AWS's endpoints speak it to the SDK):

- STS `AssumeRole` (the key it hands out names the account it acts in) and
  `GetCallerIdentity`;
- Organizations `ListChildren` and `ListAccountsForParent`, 20 a page as Organizations pages;
- EC2 `DescribeRegions`, `DescribeSubnets` (the `vpc-id` filter), `DescribeVpcs` and
  `DescribeNetworkInterfaces` (no ENIs: every estate here is addresses only), paged by
  MaxResults/NextToken as EC2 pages;
- CloudWatch `GetMetricData` (no history) and `PutMetricData`, in RPCv2 CBOR.

Each request waits `--latency` seconds before its answer, whatever else is in flight: AWS
answers requests in parallel. It counts requests per "<signing service>:<Operation>",
requests in flight (the most at once since the last reset, in all and per signing service) and connections opened (each a
TLS handshake on AWS): GET /__fake/counts, /__fake/in-flight, /__fake/connections,
/__fake/timeline (each operation's first and last answer, in seconds since the reset); POST
/__fake/reset clears them, POST /__fake/unthrottle turns `--throttle` off; GET /__fake/estate is the generated organization as JSON, so a
test can build the same estate in moto and compare reports.

The organization: the caller's account 123456789012 manages root r-fake (and sits beneath
it, with no VPC); `--accounts` member accounts dealt round-robin beneath `--ous` OUs. Two
shapes (`--shape`):
- `grid` (the default): the OUs' second half nested under the first; in each member account
  and each of `--regions`, one VPC 10.<n>.0.0/16 with `--subnets` /24 subnets tagged
  kubernetes.io/cluster/prod=shared, their free counts spread deterministically;
- `real`, shaped like an organization's accounts: four OUs beneath the root and the rest a
  tree beneath them, three to a parent (5 levels at 200 OUs); in every account-region the
  default VPC (172.31.0.0/16, one /20 a zone, as many zones as the region offers new
  accounts), and in about a fifth of them 1-3 more VPCs of 2-6 /24 subnets; a detached ENI
  or three in about one in seven. Generated as each account-region is asked for, so 10,000
  accounts x 17 regions cost no memory up front; GET /__fake/summary counts it (subnets,
  VPCs, detached ENIs, the floor of Organizations pages) without the whole estate.
Nothing here reaches beyond 127.0.0.1.

With `--throttle`, it throttles as AWS does, with token buckets (a bucket holds at most
CAPACITY tokens, refills RATE a second, and each request takes one or is refused):
- EC2, per account, region and operation: AWS documents 100 tokens and 20 a second for its
  non-mutating actions ("Request throttling for the Amazon EC2 API"); refused with 503
  `RequestLimitExceeded`;
- STS, per calling account: AWS publishes no rate and says it cannot be raised (re:Post,
  "IAM and STS throttling errors"); assumed here 100 tokens and 50 a second; refused with 400
  `Throttling`;
- Organizations, per organization: assumed 10 tokens and 5 a second; refused with 400
  `TooManyRequestsException`.
`--throttle aws` takes those figures; `--throttle ec2=C/R,sts=C/R,org=C/R` others (smaller,
so a test-sized organization meets them), and `C/R@S` a bucket that starts with S tokens. GET /__fake/throttled counts the refusals per
operation, GET /__fake/retries the requests the SDK marked as a retry (its
`amz-sdk-request: attempt=N` header, N > 1) per operation.

Usage: python fast_aws.py [--accounts N] [--regions a,b] [--subnets S] [--ous K]
         [--shape grid|real] [--latency SECONDS] [--throttle aws|ec2=C/R,sts=C/R,org=C/R]
         ->  prints "READY <port>" and serves until stdin closes.
"""

import argparse
import asyncio
import hashlib
import json
import re
import sys
import threading
import time
from urllib.parse import parse_qs

import cbor2

MANAGEMENT = "123456789012"
ROOT = "r-fake"
TAG = ("kubernetes.io/cluster/prod", "shared")
PAGE_ORG = 20
EC2_NS = "http://ec2.amazonaws.com/doc/2016-11-15/"
CREDENTIAL = re.compile(r"Credential=([^/]+)/[0-9]+/([^/]+)/([^/]+)/")
ROLE_ACCOUNT = re.compile(r"arn:aws[a-z-]*:iam::([0-9]{12}):role/")
AZ_IDS = {"us-east-1": "use1", "us-west-2": "usw2", "eu-west-1": "euw1", "ap-southeast-2": "apse2"}
# The zones a new account's default VPC has a subnet in, for the 17 regions enabled by
# default (the rest have three).
ZONES = {"us-east-1": 6, "us-west-2": 4, "ap-northeast-2": 4, "us-west-1": 2}
ATTEMPT = re.compile(r"attempt=([0-9]+)")
# (capacity, refill a second) per service: EC2's from AWS's documentation, the others assumed.
AWS_RATES = {"ec2": (100, 20), "sts": (100, 50), "org": (10, 5)}


class Bucket:
    """A token bucket: at most `capacity` tokens, `rate` more a second."""

    def __init__(self, capacity: float, rate: float, start: float | None = None):
        self.capacity, self.rate, self.at = capacity, rate, time.monotonic()
        self.tokens = capacity if start is None else start

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


def rates(spec: str | None) -> dict | None:
    if not spec:
        return None
    if spec == "aws":
        return dict(AWS_RATES)
    out = dict(AWS_RATES)
    for part in spec.split(","):
        name, _, figures = part.partition("=")
        capacity, _, rest = figures.partition("/")
        rate, _, start = rest.partition("@")
        out[name] = (float(capacity), float(rate)) + ((float(start),) if start else ())
    return out


def estate(accounts: int, regions: list[str], subnets: int, ous: int, shape: str = "grid") -> dict:
    """The generated organization: OUs, accounts beneath them, and (grid) their networks."""
    ou_ids = [f"ou-fake-{i:08d}" for i in range(ous)]
    if shape == "real":
        ou_parent = {ou: (ROOT if i < 4 else ou_ids[(i - 4) // 3]) for i, ou in enumerate(ou_ids)}
    else:
        half = max(1, ous // 2)
        ou_parent = {ou: (ROOT if i < half else ou_ids[i - half]) for i, ou in enumerate(ou_ids)}
    members = [f"{200000000000 + i}" for i in range(accounts)]
    account_parent = {a: ou_ids[i % ous] if ous else ROOT for i, a in enumerate(members)}
    # The management account is the organization's too, beneath its root (its own network
    # is left out: a scan of it finds nothing).
    account_parent[MANAGEMENT] = ROOT
    networks = {}
    for i, account in enumerate(members if shape == "grid" else []):
        for r, region in enumerate(regions):
            n = (i * len(regions) + r)
            base = f"10.{n % 250}"
            vpc = f"vpc-{n:017x}"
            az = AZ_IDS.get(region, region.replace("-", "")[:6])
            networks[(account, region)] = [{
                "vpc": vpc,
                "cidr": f"{base}.0.0/16",
                "tagged": True,
                "subnets": [
                    {
                        "id": f"subnet-{n * 64 + k:017x}",
                        "cidr": f"{base}.{k}.0/24",
                        "az": f"{region}{'abc'[k % 3]}",
                        "az_id": f"{az}-az{k % 3 + 1}",
                        # Free addresses spread over 0..250 of the 251 a /24 has.
                        "available": (n * 37 + k * 101) % 251,
                    }
                    for k in range(subnets)
                ],
            }]
    return {
        "ous": ou_parent,
        "accounts": account_parent,
        "regions": regions,
        "networks": networks,
        "shape": shape,
    }


def draw(*key) -> int:
    """A number fixed by `key`: the real shape's dice, the same on every run."""
    return int.from_bytes(hashlib.blake2b(repr(key).encode(), digest_size=8).digest(), "big")


def real_network(account: str, region: str) -> tuple[list[dict], list[dict]]:
    """One account-region of the real shape: its VPCs (the default one first) and its
    detached ENIs."""
    n = draw(account, region)
    az = AZ_IDS.get(region, region.replace("-", "")[:6])
    zones = ZONES.get(region, 3)
    tag = f"{int(account) % 100000:05d}{region}"
    default = {
        "vpc": f"vpc-d{n % 16**16:016x}",
        "cidr": "172.31.0.0/16",
        "tagged": False,
        "subnets": [
            {"id": f"subnet-d{(n + k) % 16**16:016x}", "cidr": f"172.31.{16 * k}.0/20",
             "az": f"{region}{'abcdef'[k]}", "az_id": f"{az}-az{k + 1}",
             # A default VPC's zone is mostly empty: 4,091 usable, a few hundred in use.
             "available": 4091 - draw(n, k) % 300}
            for k in range(zones)
        ],
    }
    vpcs = [default]
    if n % 5 == 0:
        for j in range(1 + (n >> 8) % 3):
            m = draw(n, "vpc", j)
            second = (n >> 16) % 250
            vpcs.append({
                "vpc": f"vpc-{m % 16**17:017x}",
                "cidr": f"10.{second}.{j * 16}.0/20",
                "tagged": True,
                "subnets": [
                    {"id": f"subnet-{(m + k) % 16**17:017x}", "cidr": f"10.{second}.{j * 16 + k}.0/24",
                     "az": f"{region}{'abc'[k % 3]}", "az_id": f"{az}-az{k % 3 + 1}",
                     "available": draw(m, k) % 251}
                    for k in range(2 + m % 5)
                ],
            })
    enis = []
    if n % 7 == 3:
        first = default["subnets"][0]
        enis = [{"id": f"eni-{draw(n, 'eni', e) % 16**17:017x}", "subnet": first["id"],
                 "vpc": default["vpc"], "az": first["az"], "ip": f"172.31.0.{10 + e}"}
                for e in range(1 + (n >> 4) % 3)]
    return vpcs, enis


class Fake:
    def __init__(self, args):
        self.latency = args.latency
        self.estate = estate(args.accounts, args.regions.split(","), args.subnets, args.ous, args.shape)
        self.counts: dict[str, int] = {}
        self.in_flight = 0
        self.peak = 0
        # Per signing service ("ec2", "sts", …): in flight now, and the most since the reset.
        self.in_flight_by: dict[str, int] = {}
        self.peak_by: dict[str, int] = {}
        self.connections = 0
        self.t0 = time.monotonic()
        self.spans: dict[str, list[float]] = {}
        self.rates = rates(args.throttle)
        self.buckets: dict[tuple, Bucket] = {}
        self.throttled: dict[str, int] = {}
        self.retries: dict[str, int] = {}

    def network(self, account: str, region: str) -> tuple[list[dict], list[dict]]:
        """An account-region's VPCs and detached ENIs."""
        if self.estate["shape"] == "real":
            if self.estate["accounts"].get(account) is None or account == MANAGEMENT:
                return [], []
            return real_network(account, region)
        return self.estate["networks"].get((account, region), []), []

    def summary(self) -> dict:
        """What the estate holds, counted: a scale run's expected totals."""
        e = self.estate
        members = [a for a in e["accounts"] if a != MANAGEMENT]
        subnets = vpcs = enis = 0
        for a in members:
            for r in e["regions"]:
                v, d = self.network(a, r)
                vpcs += len(v)
                subnets += sum(len(x["subnets"]) for x in v)
                enis += len(d)
        parents = [ROOT, *e["ous"]]
        pages = lambda of: sum(max(1, -(-sum(1 for p in e[of].values() if p == q) // PAGE_ORG)) for q in parents)
        return {"accounts": len(members), "regions": len(e["regions"]), "ous": len(e["ous"]),
                "subnets": subnets, "vpcs": vpcs, "detached_enis": enis,
                "pages": {"organizations:ListAccountsForParent": pages("accounts"),
                          "organizations:ListChildren": pages("ous")}}

    def reset(self) -> None:
        self.counts.clear()
        self.throttled.clear()
        self.retries.clear()
        self.peak = self.in_flight
        self.peak_by = dict(self.in_flight_by)
        self.connections = 0
        self.t0 = time.monotonic()
        self.spans.clear()

    # --- answers -------------------------------------------------------------------------

    def answer(self, method: str, path: str, headers: dict, body: bytes) -> tuple[int, dict, bytes]:
        if path.startswith("/__fake/"):
            return self.control(method, path)
        cred = CREDENTIAL.search(headers.get("authorization", ""))
        key, region, service = cred.groups() if cred else ("testing", "us-east-1", "?")
        account = key[4:] if key.startswith("FAKE") else MANAGEMENT
        if path.startswith("/service/GraniteServiceVersion20100801/operation/"):
            op = path.rsplit("/", 1)[1]
            self.count(f"{service}:{op}", headers)
            payload = {"MetricDataResults": [], "Messages": []} if op == "GetMetricData" else {}
            return 200, {"smithy-protocol": "rpc-v2-cbor", "Content-Type": "application/cbor"}, cbor2.dumps(payload)
        target = headers.get("x-amz-target", "")
        if target:
            op = target.rsplit(".", 1)[1]
            self.count(f"{service}:{op}", headers)
            if self.refused("org", ("org",), f"{service}:{op}"):
                return 400, {"Content-Type": "application/x-amz-json-1.1"}, json.dumps({
                    "__type": "TooManyRequestsException",
                    "Message": "AWS Organizations can't complete your request because another request is already in progress. Try again later.",
                }).encode()
            return self.organizations(op, json.loads(body or b"{}"))
        form = {k: v[0] for k, v in parse_qs(body.decode(), keep_blank_values=True).items()}
        op = form.get("Action", "?")
        self.count(f"{service}:{op}", headers)
        if service == "sts":
            if self.refused("sts", ("sts", account), f"{service}:{op}"):
                xml = ('<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>'
                       "<Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>fake</RequestId></ErrorResponse>")
                return 400, {"Content-Type": "text/xml"}, xml.encode()
            return self.sts(op, form, account)
        if self.refused("ec2", ("ec2", account, region, op), f"{service}:{op}"):
            xml = ("<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded."
                   "</Message></Error></Errors><RequestID>fake</RequestID></Response>")
            return 503, {"Content-Type": "text/xml"}, xml.encode()
        return self.ec2(op, form, account, region)

    def refused(self, service: str, key: tuple, op: str) -> bool:
        """Whether `key`'s bucket is empty: a throttled request, counted as such."""
        if self.rates is None:
            return False
        bucket = self.buckets.get(key)
        if bucket is None:
            bucket = self.buckets[key] = Bucket(*self.rates[service])
        if bucket.take():
            return False
        self.throttled[op] = self.throttled.get(op, 0) + 1
        return True

    def count(self, op: str, headers: dict) -> None:
        self.counts[op] = self.counts.get(op, 0) + 1
        attempt = ATTEMPT.search(headers.get("amz-sdk-request", ""))
        if attempt and int(attempt.group(1)) > 1:
            self.retries[op] = self.retries.get(op, 0) + 1
        # When each operation was first and last answered, in seconds since the reset: where
        # a tick's wall goes (the walk, the scans, the metrics).
        now = time.monotonic() - self.t0
        span = self.spans.setdefault(op, [now, now])
        span[1] = now

    def control(self, method: str, path: str) -> tuple[int, dict, bytes]:
        what = path.removeprefix("/__fake/")
        if method == "POST" and what == "reset":
            self.reset()
            value = {}
        elif what == "counts":
            value = self.counts
        elif what == "throttled":
            value = self.throttled
        elif what == "retries":
            value = self.retries
        elif method == "POST" and what == "unthrottle":
            # A leg that measures CPU, not throttling (the bare SDK's), runs unthrottled.
            self.rates = None
            value = {}
        elif what == "summary":
            value = self.summary()
        elif what == "in-flight":
            value = {"now": self.in_flight, "peak": self.peak, "peak_by_service": self.peak_by}
        elif what == "connections":
            value = {"opened": self.connections}
        elif what == "timeline":
            value = {op: {"first": round(a, 3), "last": round(b, 3)} for op, (a, b) in self.spans.items()}
        elif what == "estate":
            e = self.estate
            value = {**e, "networks": [{"account": a, "region": r, **n[0]} for (a, r), n in e["networks"].items()]}
        else:
            return 404, {}, b"{}"
        return 200, {"Content-Type": "application/json"}, json.dumps(value).encode()

    def sts(self, op: str, form: dict, account: str) -> tuple[int, dict, bytes]:
        ns = "https://sts.amazonaws.com/doc/2011-06-15/"
        if op == "AssumeRole":
            target = ROLE_ACCOUNT.search(form.get("RoleArn", ""))
            acct = target.group(1) if target else account
            expires = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3600))
            inner = (f"<AssumeRoleResult><Credentials><AccessKeyId>FAKE{acct}</AccessKeyId>"
                     f"<SecretAccessKey>fake</SecretAccessKey><SessionToken>fake</SessionToken>"
                     f"<Expiration>{expires}</Expiration></Credentials><AssumedRoleUser>"
                     f"<AssumedRoleId>AROAFAKE:cidrwatch</AssumedRoleId><Arn>{form.get('RoleArn', '')}"
                     f"</Arn></AssumedRoleUser></AssumeRoleResult>")
        elif op == "GetCallerIdentity":
            inner = (f"<GetCallerIdentityResult><Account>{account}</Account>"
                     f"<Arn>arn:aws:iam::{account}:root</Arn><UserId>fake</UserId></GetCallerIdentityResult>")
        else:
            return self.unknown(op)
        xml = f'<{op}Response xmlns="{ns}">{inner}<ResponseMetadata><RequestId>fake</RequestId></ResponseMetadata></{op}Response>'
        return 200, {"Content-Type": "text/xml"}, xml.encode()

    def organizations(self, op: str, params: dict) -> tuple[int, dict, bytes]:
        parent = params.get("ParentId", "")
        if op == "ListChildren":
            items = [{"Id": ou, "Type": "ORGANIZATIONAL_UNIT"} for ou, p in self.estate["ous"].items() if p == parent]
            key = "Children"
        elif op == "ListAccountsForParent":
            items = [{"Id": a, "Arn": f"arn:aws:organizations::{MANAGEMENT}:account/o-fake/{a}",
                      "Email": f"{a}@example.com", "Name": a, "Status": "ACTIVE", "State": "ACTIVE"}
                     for a, p in self.estate["accounts"].items() if p == parent]
            key = "Accounts"
        else:
            return self.unknown(op)
        at = int(params.get("NextToken") or 0)
        size = min(int(params.get("MaxResults") or PAGE_ORG), PAGE_ORG)
        out = {key: items[at:at + size]}
        if at + size < len(items):
            out["NextToken"] = str(at + size)
        return 200, {"Content-Type": "application/x-amz-json-1.1"}, json.dumps(out).encode()

    def ec2(self, op: str, form: dict, account: str, region: str) -> tuple[int, dict, bytes]:
        vpcs, enis = self.network(account, region)
        wanted = {v for k, v in form.items() if k.startswith("Filter.") and ".Value." in k}
        by_vpc = any(v == "vpc-id" for k, v in form.items() if k.endswith(".Name"))
        if by_vpc:
            vpcs = [v for v in vpcs if v["vpc"] in wanted]
        if any(v == "subnet-id" for k, v in form.items() if k.endswith(".Name")):
            enis = [e for e in enis if e["subnet"] in wanted]
        if op == "DescribeRegions":
            items = [f"<item><regionName>{r}</regionName><regionEndpoint>ec2.{r}.amazonaws.com</regionEndpoint>"
                     f"<optInStatus>opt-in-not-required</optInStatus></item>" for r in self.estate["regions"]]
            return self.ec2_xml(op, "regionInfo", items, None)
        if op == "DescribeSubnets":
            tags = lambda v: (f"<tagSet><item><key>{TAG[0]}</key><value>{TAG[1]}</value></item></tagSet>"
                              if v["tagged"] else "<tagSet/>")
            items = [
                f"<item><subnetId>{s['id']}</subnetId><state>available</state><ownerId>{account}</ownerId>"
                f"<vpcId>{v['vpc']}</vpcId><cidrBlock>{s['cidr']}</cidrBlock>"
                f"<availableIpAddressCount>{s['available']}</availableIpAddressCount>"
                f"<availabilityZone>{s['az']}</availabilityZone><availabilityZoneId>{s['az_id']}</availabilityZoneId>"
                f"{tags(v)}</item>"
                for v in vpcs for s in v["subnets"]
            ]
            return self.paged(op, "subnetSet", items, form)
        if op == "DescribeVpcs":
            items = [
                f"<item><vpcId>{v['vpc']}</vpcId><ownerId>{account}</ownerId><state>available</state>"
                f"<cidrBlock>{v['cidr']}</cidrBlock><cidrBlockAssociationSet><item>"
                f"<associationId>vpc-cidr-assoc-{v['vpc'][4:]}</associationId><cidrBlock>{v['cidr']}</cidrBlock>"
                f"<cidrBlockState><state>associated</state></cidrBlockState></item></cidrBlockAssociationSet></item>"
                for v in vpcs
            ]
            return self.paged(op, "vpcSet", items, form)
        if op == "DescribeNetworkInterfaces":
            # Every ENI here is detached (status available), so any status filter keeps them.
            ids = {v["vpc"] for v in vpcs} | {s["id"] for v in vpcs for s in v["subnets"]}
            items = [
                f"<item><networkInterfaceId>{e['id']}</networkInterfaceId><subnetId>{e['subnet']}</subnetId>"
                f"<vpcId>{e['vpc']}</vpcId><availabilityZone>{e['az']}</availabilityZone>"
                f"<description>detached</description><ownerId>{account}</ownerId><requesterManaged>false</requesterManaged>"
                f"<status>available</status><interfaceType>interface</interfaceType>"
                f"<privateIpAddress>{e['ip']}</privateIpAddress><privateIpAddressesSet><item>"
                f"<privateIpAddress>{e['ip']}</privateIpAddress><primary>true</primary></item>"
                f"</privateIpAddressesSet><tagSet/></item>"
                for e in enis if e["vpc"] in ids or e["subnet"] in ids
            ]
            return self.paged(op, "networkInterfaceSet", items, form)
        return self.unknown(op)

    def paged(self, op: str, tag: str, items: list[str], form: dict) -> tuple[int, dict, bytes]:
        at = int((form.get("NextToken") or "0").removeprefix("fake-"))
        size = int(form.get("MaxResults") or 1000)
        token = f"fake-{at + size}" if at + size < len(items) else None
        return self.ec2_xml(op, tag, items[at:at + size], token)

    @staticmethod
    def ec2_xml(op: str, tag: str, items: list[str], token: str | None) -> tuple[int, dict, bytes]:
        next_token = f"<nextToken>{token}</nextToken>" if token else ""
        xml = (f'<{op}Response xmlns="{EC2_NS}"><requestId>fake</requestId><{tag}>{"".join(items)}'
               f"</{tag}>{next_token}</{op}Response>")
        return 200, {"Content-Type": "text/xml;charset=UTF-8"}, xml.encode()

    @staticmethod
    def unknown(op: str) -> tuple[int, dict, bytes]:
        xml = (f"<Response><Errors><Error><Code>InvalidAction</Code><Message>the fast fake does not "
               f"serve {op}</Message></Error></Errors><RequestID>fake</RequestID></Response>")
        return 400, {"Content-Type": "text/xml"}, xml.encode()

    # --- HTTP/1.1 ------------------------------------------------------------------------

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                line = await reader.readline()
                if not line:
                    return
                method, target, _ = line.decode("latin-1").split(" ", 2)
                headers = {}
                while (h := await reader.readline()) not in (b"\r\n", b"\n", b""):
                    k, _, v = h.decode("latin-1").partition(":")
                    headers[k.strip().lower()] = v.strip()
                body = await reader.readexactly(int(headers.get("content-length") or 0))
                control = target.startswith("/__fake/")
                cred = CREDENTIAL.search(headers.get("authorization", ""))
                service = cred.group(3) if cred else "?"
                if not control:
                    self.in_flight += 1
                    self.peak = max(self.peak, self.in_flight)
                    now = self.in_flight_by[service] = self.in_flight_by.get(service, 0) + 1
                    self.peak_by[service] = max(self.peak_by.get(service, 0), now)
                    await asyncio.sleep(self.latency)
                try:
                    status, out_headers, payload = self.answer(method, target.split("?")[0], headers, body)
                finally:
                    if not control:
                        self.in_flight -= 1
                        self.in_flight_by[service] -= 1
                head = f"HTTP/1.1 {status} {'OK' if status == 200 else 'Error'}\r\n"
                for k, v in {**out_headers, "Content-Length": str(len(payload)),
                             "x-amzn-requestid": "fake"}.items():
                    head += f"{k}: {v}\r\n"
                writer.write(head.encode() + b"\r\n" + payload)
                await writer.drain()
                if headers.get("connection", "").lower() == "close":
                    return
        except (ConnectionError, asyncio.IncompleteReadError, ValueError):
            return
        finally:
            writer.close()


async def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--accounts", type=int, default=3)
    p.add_argument("--regions", default="us-east-1,eu-west-1")
    p.add_argument("--subnets", type=int, default=3)
    p.add_argument("--ous", type=int, default=4)
    p.add_argument("--latency", type=float, default=0.0)
    p.add_argument("--throttle", default=None)
    p.add_argument("--shape", choices=["grid", "real"], default="grid")
    fake = Fake(p.parse_args())
    server = await asyncio.start_server(fake.serve, "127.0.0.1", 0, backlog=1024)
    port = server.sockets[0].getsockname()[1]
    print(f"READY {port}", flush=True)
    loop = asyncio.get_running_loop()
    done = asyncio.Event()
    # Serves until stdin closes: the test (or bench) that started it is gone.
    threading.Thread(target=lambda: (sys.stdin.read(), loop.call_soon_threadsafe(done.set)), daemon=True).start()
    async with server:
        await done.wait()


if __name__ == "__main__":
    asyncio.run(main())
