"""The SAM template (template.yaml) is the provider template (cfn/provider.yaml) in SAM form.

Checks that template.yaml is exactly what scripts/sam.py makes of cfn/provider.yaml, and,
reading both as CloudFormation does, that they declare the same IAM statements, the same
function environment and the same outputs; the function in template.yaml is built by SAM with
cargo-lambda. Exit status 1 with one line per problem.
"""

import subprocess
import sys
from pathlib import Path

from cfnlint.decode import cfn_yaml

ROOT = Path(__file__).resolve().parents[2]
problems = []

fresh = subprocess.run([sys.executable, str(ROOT / "scripts/sam.py"), "--check"], capture_output=True, text=True)
if fresh.returncode != 0:
    problems.append(fresh.stdout.strip() or fresh.stderr.strip())

cfn = cfn_yaml.load(str(ROOT / "cfn/provider.yaml"))
sam = cfn_yaml.load(str(ROOT / "template.yaml"))


def statements(template):
    out = []
    for name, res in template["Resources"].items():
        if res["Type"] == "AWS::IAM::Role":
            out.append((name, res["Properties"].get("AssumeRolePolicyDocument")))
            for policy in res["Properties"].get("Policies", []):
                out.append((name, policy))
    return out


def function(template):
    return template["Resources"]["Function"]


if statements(cfn) != statements(sam):
    problems.append("IAM statements differ between cfn/provider.yaml and template.yaml")
if function(cfn)["Properties"]["Environment"] != function(sam)["Properties"]["Environment"]:
    problems.append("the function's environment differs")
if cfn.get("Outputs") != sam.get("Outputs"):
    problems.append("outputs differ")
if sam.get("Transform") != "AWS::Serverless-2016-10-31":
    problems.append("template.yaml is not a SAM template")
fn = function(sam)
if fn["Type"] != "AWS::Serverless::Function" or fn["Metadata"].get("BuildMethod") != "rust-cargolambda":
    problems.append("template.yaml's function is not built by SAM with cargo-lambda")
same = [k for k in cfn["Resources"] if k != "Function" and cfn["Resources"][k] != sam["Resources"].get(k)]
if same:
    problems.append(f"resources differ besides the function: {same}")

for p in problems:
    print(p)
print(f"SAM: template.yaml matches cfn/provider.yaml ({len(statements(cfn))} policy documents, "
      f"{len(cfn.get('Outputs', {}))} outputs)" if not problems else "SAM: template.yaml differs")
sys.exit(1 if problems else 0)
