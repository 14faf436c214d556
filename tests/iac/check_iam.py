"""The IAM policies of the templates, read as AWS would read them, through parliament.

moto enforces no IAM, so a policy that names an action wrongly, pairs an action with a
resource type it does not take, or has a malformed condition would pass every other test and
fail in a real account. This extracts every policy document from cfn/*.yaml (intrinsic
functions resolved to sample values), runs parliament over each and fails on any finding not
in ALLOWED, where each accepted finding says why.

Usage: python tests/iac/check_iam.py  (make iac runs it)
"""

import json
import re
import sys
from pathlib import Path

from cfnlint.decode import cfn_yaml
import parliament

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ["cfn/provider.yaml", "cfn/member-role.yaml", "template.yaml"]
PSEUDO = {
    "AWS::Partition": "aws",
    "AWS::Region": "us-east-1",
    "AWS::AccountId": "111111111111",
    "AWS::StackName": "cidrwatch",
    "AWS::URLSuffix": "amazonaws.com",
}
# Findings accepted, by (template, issue, action), each with its reason.
ALLOWED = {
    # The metric streams' roles are the users' own (MetricStream.RoleArn), unknown to the
    # template; iam:PassedToService limits the grant to CloudWatch metric streams.
    ("cfn/provider.yaml", "RESOURCE_STAR", "iam:PassRole"): "limited by iam:PassedToService",
    ("template.yaml", "RESOURCE_STAR", "iam:PassRole"): "the same statement, in the SAM form",
}
# What Fn::GetAtt <resource>.Arn is, by the resource's type.
ARNS = {
    "AWS::Logs::LogGroup": "arn:aws:logs:us-east-1:111111111111:log-group:/aws/lambda/{name}:*",
    "AWS::IAM::Role": "arn:aws:iam::111111111111:role/{name}",
    "AWS::Lambda::Function": "arn:aws:lambda:us-east-1:111111111111:function:{name}",
    "AWS::Serverless::Function": "arn:aws:lambda:us-east-1:111111111111:function:{name}",
}


def sample(value, params, resources=None):
    """Resolves intrinsic functions to plain values, as a deployed template would hold."""
    if isinstance(value, dict) and len(value) == 1:
        (fn, arg), = value.items()
        if fn == "Ref":
            if arg in PSEUDO:
                return PSEUDO[arg]
            if arg == "AWS::NoValue":
                return None
            p = params.get(arg, {})
            if p.get("Type") == "CommaDelimitedList":
                default = p.get("Default", "")
                items = [v for v in str(default).split(",") if v]
                return items or [f"arn:aws:sns:us-east-1:111111111111:{arg.lower()}"]
            return p.get("Default", f"arn:aws:iam::111111111111:role/{arg.lower()}")
        if fn == "Fn::Sub":
            text = arg if isinstance(arg, str) else arg[0]
            return re.sub(r"\$\{([^}]+)\}", lambda m: str(sample({"Ref": m.group(1)}, params, resources)), text)
        if fn == "Fn::GetAtt":
            name = arg[0] if isinstance(arg, list) else arg.split(".")[0]
            kind = (resources or {}).get(name, {}).get("Type", "AWS::IAM::Role")
            return ARNS[kind].format(name=name.lower())
        if fn == "Fn::If":
            return sample(arg[1], params, resources)
        if fn == "Fn::Join":
            items = sample(arg[1], params, resources)
            return arg[0].join(str(i) for i in (items if isinstance(items, list) else [items]))
    if isinstance(value, dict):
        out = {k: sample(v, params, resources) for k, v in value.items()}
        return {k: v for k, v in out.items() if v is not None}
    if isinstance(value, list):
        out = [sample(v, params, resources) for v in value]
        return [v for v in out if v is not None]
    return value


def documents(template: str):
    """(label, policy document) for every IAM policy in a template."""
    doc = cfn_yaml.load(str(ROOT / template))
    params = doc.get("Parameters", {})
    for name, res in doc.get("Resources", {}).items():
        props = res.get("Properties", {})
        if res.get("Type") in ("AWS::IAM::Role", "AWS::Serverless::Function"):
            for policy in props.get("Policies", []):
                if isinstance(policy, dict) and "PolicyDocument" in policy:
                    resources = doc.get("Resources", {})
                    yield f"{name}/{policy.get('PolicyName')}", sample(policy["PolicyDocument"], params, resources)


def main() -> int:
    failures, checked = [], 0
    for template in TEMPLATES:
        for label, document in documents(template):
            checked += 1
            policy = parliament.analyze_policy_string(json.dumps(document))
            for finding in policy.findings:
                detail = finding.detail if isinstance(finding.detail, list) else [finding.detail]
                actions = [d.get("action") if isinstance(d, dict) else d for d in detail]
                unexplained = [a for a in actions if (template, finding.issue, a) not in ALLOWED]
                if unexplained:
                    failures.append(f"{template} {label}: {finding.issue} {unexplained} {finding.detail}")
    for f in failures:
        print(f)
    print(f"IAM: {checked} policy documents checked by parliament, {len(failures)} findings")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
