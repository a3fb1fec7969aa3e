"""The IAM roles of the deployed stack, read from the SAM transform of template.yaml (offline).

samtranslator turns the template into the CloudFormation that `sam deploy` would create: every
generated role (state machines, functions, event rules) and every explicit AWS::IAM::Role, with
SAM policy templates expanded. Each role is summarised as its managed policy ARNs and its
statements (actions and resources sorted, intrinsics written as `${Logical.Attr}`), and filed
under the workflow it serves: tests/hardening/iam/<slug>.json is the reviewed expectation.

Refresh the expectations deliberately, after reviewing the change:

    .venv/bin/python -m tests.hardening.iam_policies --write     # rewrite tests/hardening/iam/*.json
    .venv/bin/python -m tests.hardening.iam_policies             # print the summary, write nothing
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import sys
from collections import deque
from functools import cache
from pathlib import Path
from typing import Any

from tests.hardening.suite import ROOT, template

EXPECTATIONS = Path(__file__).resolve().parent / "iam"
REGION = "us-east-1"
SHARED = "shared"
"""File for roles that serve no single workflow."""


class _ManagedPolicies(dict):
    """Managed policy name -> ARN without calling IAM (SAM asks for the ARNs of the names it uses)."""

    def __missing__(self, name: str) -> str:
        return f"arn:aws:iam::aws:policy/{name}"


class _Loader:
    def load(self) -> dict[str, str]:
        return _ManagedPolicies()


@cache
def transformed() -> dict[str, Any]:
    """The template after the SAM transform (local DefinitionUri inlined, local CodeUri as an S3 URI)."""
    from samtranslator.translator.transform import transform

    source = copy.deepcopy(template())
    for logical_id, spec in source["Resources"].items():
        props = spec.get("Properties") or {}
        if spec["Type"] == "AWS::Serverless::StateMachine" and isinstance(props.get("DefinitionUri"), str):
            props["Definition"] = json.loads((ROOT / props.pop("DefinitionUri")).read_text())
        if spec["Type"] == "AWS::Serverless::Function" and isinstance(props.get("CodeUri"), str):
            props["CodeUri"] = f"s3://sandbox-artifacts/{logical_id}.zip"
    os.environ.setdefault("AWS_DEFAULT_REGION", REGION)
    return transform(source, {}, _Loader())


# -- readable policies ------------------------------------------------------------------------


def render(value: Any) -> Any:
    """Intrinsics as text: {"Ref": "X"} -> "${X}", GetAtt -> "${X.Attr}", Sub/Join resolved to a string."""
    if isinstance(value, list):
        return [render(v) for v in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        (key, arg), = value.items()
        if key == "Ref":
            return f"${{{arg}}}"
        if key == "Fn::GetAtt":
            return "${" + ".".join(arg if isinstance(arg, list) else [arg]) + "}"
        if key == "Fn::Sub":
            if isinstance(arg, str):
                return arg
            text, variables = arg
            for name, v in variables.items():
                text = text.replace(f"${{{name}}}", str(render(v)))
            return text
        if key == "Fn::Join":
            return str(arg[0]).join(str(render(v)) for v in arg[1])
        if key == "Fn::If":
            return f"If({arg[0]}, {json.dumps(render(arg[1]))}, {json.dumps(render(arg[2]))})"
    return {k: render(v) for k, v in value.items()}


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def statements(role: dict[str, Any]) -> list[dict[str, Any]]:
    """The role's inline policy statements, normalised (sorted actions/resources, rendered intrinsics)."""
    found = []
    for policy in role["Properties"].get("Policies", []) or []:
        for statement in _as_list(policy["PolicyDocument"]["Statement"]):
            entry: dict[str, Any] = {"Effect": statement["Effect"]}
            if "Sid" in statement:
                entry["Sid"] = statement["Sid"]
            for key in ("Action", "NotAction", "Resource", "NotResource"):
                if key in statement:
                    entry[key] = sorted({str(render(v)) for v in _as_list(statement[key])})
            if "Condition" in statement:
                entry["Condition"] = render(statement["Condition"])
            found.append(entry)
    return sorted(found, key=lambda s: json.dumps(s, sort_keys=True))


def summary(role: dict[str, Any]) -> dict[str, Any]:
    props = role["Properties"]
    principals = sorted({str(render(p)) for statement in _as_list(props["AssumeRolePolicyDocument"]["Statement"])
                         for kind in statement.get("Principal", {}).values() for p in _as_list(kind)})
    return {
        "AssumedBy": principals,
        "ManagedPolicyArns": sorted(str(render(arn)) for arn in props.get("ManagedPolicyArns", []) or []),
        "Statements": statements(role),
    }


def roles() -> dict[str, dict[str, Any]]:
    return {lid: spec for lid, spec in transformed()["Resources"].items() if spec["Type"] == "AWS::IAM::Role"}


# -- which workflow a role serves -------------------------------------------------------------


def _references(value: Any) -> set[str]:
    """Logical IDs a value refers to (Ref, GetAtt, ${X} / ${X.Attr} in Sub strings)."""
    import re

    found: set[str] = set()
    if isinstance(value, dict):
        for key, arg in value.items():
            if key == "Ref" and isinstance(arg, str):
                found.add(arg)
            elif key == "Fn::GetAtt":
                found.add((arg if isinstance(arg, list) else arg.split("."))[0])
            elif key == "Fn::Sub":
                text = arg if isinstance(arg, str) else arg[0]
                found |= {m.split(".")[0] for m in re.findall(r"\$\{([^}!]+)\}", text)}
                if not isinstance(arg, str):
                    found |= _references(arg[1])
            else:
                found |= _references(arg)
    elif isinstance(value, list):
        for v in value:
            found |= _references(v)
    return found


def _workflow_tag(spec: dict[str, Any]) -> str | None:
    tags = (spec.get("Properties") or {}).get("Tags")
    if isinstance(tags, list):
        return next((t.get("Value") for t in tags if isinstance(t, dict) and t.get("Key") == "workflow"), None)
    if isinstance(tags, dict):
        return tags.get("workflow")
    return None


@cache
def workflow_of_roles() -> dict[str, str]:
    """Role logical ID -> slug of the workflow it serves (or `shared`).

    The stack's resources form a graph (a resource refers to another by Ref/GetAtt/Sub). Resources
    tagged `workflow: <slug>` (the state machines and what inherits their tags) are anchors. A
    role is filed under the nearest anchor, walking the graph without crossing a hub: a resource
    whose neighbours carry two or more different workflow tags (the suite key, the shared bus...).
    """
    stack = transformed()["Resources"]
    tags = {lid: _workflow_tag(spec) for lid, spec in stack.items()}
    edges: dict[str, set[str]] = {lid: set() for lid in stack}
    for lid, spec in stack.items():
        for other in _references(spec.get("Properties") or {}) & stack.keys():
            edges[lid].add(other)
            edges[other].add(lid)
    hubs = {lid for lid, near in edges.items() if len({tags[n] for n in near if tags[n]}) > 1 and not tags[lid]}
    found = {}
    for role in roles():
        if tags[role]:
            found[role] = tags[role]
            continue
        seen, queue, hits = {role}, deque([(role, 0)]), []
        limit = None
        while queue:
            node, distance = queue.popleft()
            if limit is not None and distance > limit:
                break
            if node != role and tags[node]:
                hits.append(tags[node])
                limit = distance
                continue
            if node in hubs:
                continue
            for near in sorted(edges[node] - seen):
                seen.add(near)
                queue.append((near, distance + 1))
        found[role] = max(sorted(set(hits)), key=hits.count) if hits else SHARED
    return found


def by_workflow() -> dict[str, dict[str, Any]]:
    """Slug -> {role logical ID -> summary}: the content of tests/hardening/iam/<slug>.json."""
    grouped: dict[str, dict[str, Any]] = {}
    owners = workflow_of_roles()
    for lid, role in sorted(roles().items()):
        grouped.setdefault(owners[lid], {})[lid] = summary(role)
    return grouped


def expectation_path(slug: str) -> Path:
    return EXPECTATIONS / f"{slug}.json"


def dumps(content: Any) -> str:
    return json.dumps(content, indent=2, sort_keys=True) + "\n"


SECURITY_DOC = ROOT / "docs" / "security.md"
BEGIN, END = "<!-- iam-summary:begin (python -m tests.hardening.iam_policies --write) -->", "<!-- iam-summary:end -->"


def doc_block() -> str:
    """The IAM summary of docs/security.md: per workflow, each role with its actions and resources."""
    lines = [BEGIN, ""]
    for slug, roles in by_workflow().items():
        lines += [f"### {slug}", "", "| Role | Assumed by | Allowed actions | On |", "|---|---|---|---|"]
        for role, content in roles.items():
            principal = ", ".join(content["AssumedBy"])
            managed = [arn.rsplit("/", 1)[-1] for arn in content["ManagedPolicyArns"]]
            rows = [(", ".join(s["Action"]), ", ".join(f"`{r}`" for r in s["Resource"]))
                    for s in content["Statements"] if s["Effect"] == "Allow" and "Action" in s]
            if managed:
                rows.append(("managed: " + ", ".join(managed), "(AWS managed policy)"))
            for index, (actions, on) in enumerate(rows):
                lines.append(f"| {role if index == 0 else ''} | {principal if index == 0 else ''} | {actions} | {on} |")
        lines.append("")
    lines.append(END)
    return "\n".join(lines)


def write_doc_block() -> None:
    text = SECURITY_DOC.read_text()
    start, end = text.index(BEGIN), text.index(END) + len(END)
    SECURITY_DOC.write_text(text[:start] + doc_block() + text[end:])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--write", action="store_true", help="rewrite tests/hardening/iam/<slug>.json")
    args = parser.parse_args(argv)
    grouped = by_workflow()
    if not args.write:
        sys.stdout.write(dumps(grouped))
        return 0
    EXPECTATIONS.mkdir(exist_ok=True)
    for stale in EXPECTATIONS.glob("*.json"):
        if stale.stem not in grouped:
            stale.unlink()
    for slug, content in grouped.items():
        expectation_path(slug).write_text(dumps(content))
        print(f"wrote {expectation_path(slug).relative_to(ROOT)} ({len(content)} roles)")
    write_doc_block()
    print(f"wrote the IAM summary of {SECURITY_DOC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
