"""The manual's Deploy page lists every parameter of the provider, member-role and quick-start
templates, as the templates declare them: each page region is this script's rendering of one
template's Parameters, and every parameter must carry a Description.

Exit status 1 with what differs; BLESS=1 writes the regions into docs/deploy.md instead.

Usage: python tests/iac/check_parameters.py
"""

import os
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs/deploy.md"
REGIONS = {
    "provider-parameters": "cfn/provider.yaml",
    "member-parameters": "cfn/member-role.yaml",
    "quickstart-parameters": "cfn/examples/quickstart.yaml",
}


class Template(yaml.SafeLoader):
    """YAML with CloudFormation's short-form tags (`!Ref`, `!Sub`, …) read as plain values."""


Template.add_multi_constructor("!", lambda loader, suffix, node: None)


def allowed(p: dict) -> str:
    parts = []
    if "AllowedValues" in p:
        parts.append("one of " + ", ".join(f"`{v}`" for v in p["AllowedValues"]))
    if "AllowedPattern" in p:
        parts.append(f"matching `{p['AllowedPattern']}`")
    if "MinValue" in p or "MaxValue" in p:
        parts.append(f"{p.get('MinValue', '')} to {p.get('MaxValue', '')}")
    return "; ".join(parts)


def render(template: str) -> tuple[str, list[str]]:
    doc = yaml.load((ROOT / template).read_text(), Loader=Template)
    problems = []
    lines = [f"`{template}`:", "", "| parameter | type | default | allowed | meaning |", "|---|---|---|---|---|"]
    for name, p in doc["Parameters"].items():
        if not p.get("Description"):
            problems.append(f"{template}: parameter {name} has no Description")
        default = p.get("Default")
        shown = "required" if default is None else ("empty" if default == "" else f"`{default}`")
        cells = [f"`{name}`", p["Type"], shown, allowed(p), p.get("Description", "")]
        # Escaped so that `<ExportPrefix>` reads as text, not as an HTML tag.
        lines.append("| " + " | ".join(str(c).replace("|", "\\|").replace("<", "&lt;") for c in cells) + " |")
    return "\n".join(lines) + "\n", problems


def main() -> int:
    text = PAGE.read_text()
    problems = []
    for region, template in REGIONS.items():
        want, missing = render(template)
        problems += missing
        begin, end = f"<!-- {region}:begin -->\n", f"<!-- {region}:end -->"
        if begin not in text or end not in text:
            problems.append(f"docs/deploy.md has no {begin.strip()} … {end}")
            continue
        start = text.index(begin) + len(begin)
        stop = text.index(end, start)
        if os.environ.get("BLESS"):
            text = text[:start] + want + text[stop:]
        elif text[start:stop] != want:
            problems.append(f"docs/deploy.md's {region} is stale: run BLESS=1 python {Path(__file__).relative_to(ROOT)}")
    if os.environ.get("BLESS"):
        PAGE.write_text(text)
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
