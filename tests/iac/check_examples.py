"""Every example monitor in the repository passes both the schema and the provider's validator.

The examples are the monitors of cfn/examples/monitors.yaml (also what the Terraform example
deploys) and the manual's resource example (docs/monitors.md). Their intrinsic functions are resolved to sample
values, as CloudFormation would resolve them before the provider sees the properties; then
schema/cidr-monitor.schema.json (with Python's jsonschema) and `cidrwatch validate` (the
provider's own rules) must both accept each. The CDK example is validated at synth by the
construct itself (cdk-example/test). Exit status 1 with one line per problem.

Usage: python tests/iac/check_examples.py [path to the cidrwatch binary]
"""

import json
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
from cfnlint.decode import cfn_yaml

ROOT = Path(__file__).resolve().parents[2]
BINARY = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "target/debug/cidrwatch"
# What the examples' parameters stand for in a real deployment.
SAMPLES = {
    "AlertTopicArn": "arn:aws:sns:us-east-1:111111111111:network-alerts",
    "PrefixVpcId": "vpc-0abc1234def567890",
    "MemberAccounts": ["222222222222", "333333333333"],
}


def resolve(value, params):
    if isinstance(value, dict) and len(value) == 1:
        (fn, arg), = value.items()
        if fn == "Ref":
            if arg in SAMPLES:
                return SAMPLES[arg]
            p = params.get(arg, {})
            default = p.get("Default", "")
            return [v for v in str(default).split(",") if v] if p.get("Type") == "CommaDelimitedList" else default
        if fn == "Fn::ImportValue":
            return "arn:aws:lambda:us-east-1:111111111111:function:cidrwatch-provider"
        if fn == "Fn::If":
            return resolve(arg[1], params)
        if fn == "Fn::Sub":
            return re.sub(r"\$\{([^}]+)\}", lambda m: str(resolve({"Ref": m.group(1)}, params)), arg)
    if isinstance(value, dict):
        return {str(k): resolve(v, params) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, params) for v in value]
    return value if not isinstance(value, str) else str(value)


def examples():
    doc = cfn_yaml.load(str(ROOT / "cfn/examples/monitors.yaml"))
    for name, res in doc["Resources"].items():
        if res.get("Type") == "Custom::CidrMonitor":
            yield f"cfn/examples/monitors.yaml {name}", resolve(res["Properties"], doc.get("Parameters", {}))
    page = (ROOT / "docs/monitors.md").read_text()
    section = page[page.index("## The resource"):]
    block = section[section.index("```yaml\n") + 8:section.index("```", section.index("```yaml\n") + 8)]
    for name, res in cfn_yaml.loads(block).items():
        yield f"docs/monitors.md {name}", resolve(res["Properties"], {})


def main() -> int:
    schema = json.loads((ROOT / "schema/cidr-monitor.schema.json").read_text())
    checker = jsonschema.Draft202012Validator(schema)
    problems, count = [], 0
    for where, props in examples():
        count += 1
        for e in checker.iter_errors(props):
            problems.append(f"{where}: schema: {'.'.join(map(str, e.path)) or 'Properties'}: {e.message}")
        run = subprocess.run([str(BINARY), "validate", "-"], input=json.dumps(props), capture_output=True, text=True)
        if run.returncode != 0:
            problems.append(f"{where}: provider: {(run.stdout + run.stderr).strip()}")
    for p in problems:
        print(p)
    print(f"examples: {count} monitors checked against the schema and the provider's validator")
    return 1 if problems or count < 4 else 0


if __name__ == "__main__":
    sys.exit(main())
