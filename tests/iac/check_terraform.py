"""Checks the Terraform example against the CloudFormation template it deploys.

Terraform cannot be downloaded here, so this parses the .tf files with python-hcl2 and the
template with cfn-lint's loader (which understands !Ref and friends), then checks that:
- every aws_cloudformation_stack's template file exists;
- every `parameters` key is a parameter of that template;
- every template parameter without a Default is given;
- every stack output the .tf files read exists in the template's Outputs.
Exit status 1 with one line per problem.
"""

import re
import sys
from pathlib import Path

import hcl2
from cfnlint.decode import decode

root = Path(__file__).resolve().parents[2]


def first(value):
    """python-hcl2 wraps attribute values in one-element lists."""
    return value[0] if isinstance(value, list) and value else value


tf_dir = root / "terraform-example"
problems: list[str] = []
stacks = {}
texts = ""
for tf in sorted(tf_dir.glob("*.tf")):
    text = tf.read_text()
    texts += text
    parsed = hcl2.loads(text)
    for block in parsed.get("resource", []):
        for name, body in block.get('"aws_cloudformation_stack"', block.get("aws_cloudformation_stack", {})).items():
            stacks[name.strip('"')] = (tf.name, body)

if not stacks:
    problems.append("no aws_cloudformation_stack in terraform-example/")

for name, (file, body) in stacks.items():
    template_expr = first(body.get("template_body", ""))
    m = re.search(r'\$\{path\.module\}/([^"\)]+)', str(template_expr))
    if not m:
        problems.append(f"{file}: stack {name}: template_body is not file(\"${{path.module}}/...\")")
        continue
    template = (tf_dir / m.group(1)).resolve()
    if not template.exists():
        problems.append(f"{file}: stack {name}: {template} does not exist")
        continue
    loaded, errors = decode(str(template))
    if errors:
        problems.append(f"{template}: does not load: {errors[0]}")
        continue
    params = loaded.get("Parameters", {})
    given = {k.strip('"') for k in (first(body.get("parameters")) or {})}
    for key in sorted(given - params.keys()):
        problems.append(f"{file}: stack {name}: parameter {key} is not in {template.name}")
    for key, spec in params.items():
        if "Default" not in spec and key not in given:
            problems.append(f"{file}: stack {name}: {template.name} needs parameter {key}")
    outputs = loaded.get("Outputs", {})
    for out in re.findall(rf'aws_cloudformation_stack\.{name}\.outputs\["([^"]+)"\]', texts):
        if out not in outputs:
            problems.append(f"stack {name}: output {out} is not in {template.name}")
    print(f"terraform-example: stack {name} -> {template.relative_to(root)}: "
          f"{len(given)} parameters, {len(outputs)} outputs checked")

# The variables users type by hand carry validation blocks, and their regexes accept the
# defaults and samples and refuse what the provider would refuse.
VALIDATED = {
    "alert_topic_arn": (["arn:aws:sns:us-east-1:111111111111:alerts"],
                        ["arn:aws:sns:us-east-1:111111111111:alerts.fifo", "alerts"]),
    "prefix_vpc_id": (["vpc-0abc1234def567890", "vpc-0abc1234"], ["vpc-xyz", "subnet-0abc1234"]),
    "member_accounts": (["111111111111"], ["", "1111"]),
    "member_regions": (["eu-west-1", "us-gov-west-1"], ["", "mars"]),
    "member_role_name": (["cidrwatch-reader"], ["", "a b"]),
}
variables = {}
for tf in sorted(tf_dir.glob("*.tf")):
    for block in hcl2.loads(tf.read_text()).get("variable", []):
        for vname, vbody in block.items():
            variables[vname.strip('"')] = vbody
for vname, (good, bad) in VALIDATED.items():
    body = variables.get(vname)
    validation = first((body or {}).get("validation"))
    condition = str(first((validation or {}).get("condition", "")))
    m = re.search(r'regex\("(.+?)",', condition)
    if not m:
        problems.append(f"variables.tf: {vname} has no validation regex")
        continue
    pattern = m.group(1)
    for v in good:
        if not re.search(pattern, v):
            problems.append(f"variables.tf: {vname} refuses {v!r}")
    for v in bad:
        if re.search(pattern, v):
            problems.append(f"variables.tf: {vname} accepts {v!r}")
empty = first(variables.get("member_accounts", {}).get("default"))
if empty != []:
    problems.append("variables.tf: member_accounts should default to [] (the own account)")
print(f"terraform-example: {len(VALIDATED)} validated variables checked")

for p in problems:
    print(p)
sys.exit(1 if problems else 0)
