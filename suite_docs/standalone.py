"""Each pattern's standalone SAM template and samconfig.toml, cut out of the suite's.

- `patterns/<slug>/template.yaml`: the resources of the pattern (`suite_docs.catalogue`), with the
  shared pieces it uses (the suite's KMS key, notification topic, event bus...) copied in, so that
  they exist once when the suite is deployed and on their own when the pattern is. `CodeUri` /
  `DefinitionUri` point to the suite's `functions/` and `statemachines/` (`../../...`). Parameters,
  conditions, globals and outputs are pruned to what the selected resources use. Each resource keeps
  its text and its comments as written in `template.yaml`.
- `patterns/<slug>/samconfig.toml`: its own stack names (`sfn-<slug>`, `-dev`, `-prod`), from the
  suite's `samconfig.toml`.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from pathlib import Path
from typing import Any

from sandbox.template_yaml import loads_template
from suite_docs.catalogue import (
    GENERATED,
    LOCAL_PATH_PROPERTIES,
    PATTERNS_DIR,
    SAMCONFIG_FILE,
    Catalogue,
    CatalogueError,
    _conditions_used,
    _sub_names,
    references,
)

GLOBALS_TYPES = {"Function": "AWS::Serverless::Function", "StateMachine": "AWS::Serverless::StateMachine",
                 "Api": "AWS::Serverless::Api", "HttpApi": "AWS::Serverless::HttpApi",
                 "SimpleTable": "AWS::Serverless::SimpleTable", "LayerVersion": "AWS::Serverless::LayerVersion"}


# -- the template's text, block by block ---------------------------------------------------------

_BANNER = re.compile(r"^\s*#\s*(---|===)")


def _sections(text: str) -> dict[str, tuple[int, int]]:
    """Top-level key -> (first line index, end line index) of its body."""
    lines = text.splitlines()
    tops = [(i, m.group(1)) for i, line in enumerate(lines) if (m := re.match(r"^([A-Za-z][\w]*):", line))]
    spans = {}
    for n, (i, key) in enumerate(tops):
        spans[key] = (i, tops[n + 1][0] if n + 1 < len(tops) else len(lines))
    return spans


def entry_blocks(text: str, section: str) -> dict[str, str]:
    """Each entry of a top-level section (`Resources`, `Parameters`...) as written, with the comment
    lines right above it (section banners excepted)."""
    lines = text.splitlines()
    span = _sections(text).get(section)
    if span is None:
        return {}
    start, end = span
    keys = [(i, m.group(1)) for i in range(start + 1, end)
            if (m := re.match(r"^  ([A-Za-z0-9]+):", lines[i]))]
    blocks = {}
    for n, (i, key) in enumerate(keys):
        stop = keys[n + 1][0] if n + 1 < len(keys) else end
        body = lines[i:stop]
        # Comments and blank lines at the entry's indentation belong to the next entry.
        while body and (not body[-1].strip() or re.match(r"^ {0,2}#", body[-1])):
            body.pop()
        head = []
        j = i - 1
        while j > start and re.match(r"^  #", lines[j]) and not _BANNER.match(lines[j]):
            head.insert(0, lines[j])
            j -= 1
        blocks[key] = "\n".join(head + body)
    return blocks


def _rewrite_paths(block: str, template_dir: Path, target_dir: Path) -> str:
    def fix(match: re.Match[str]) -> str:
        indent, key, quote, value = match.group(1), match.group(2), match.group(3) or "", match.group(4)
        if "://" in value or value.startswith(("/", "$", "!")):
            return match.group(0)
        moved = os.path.relpath(template_dir / value, target_dir).replace(os.sep, "/")
        if value.endswith("/") and not moved.endswith("/"):
            moved += "/"
        return f"{indent}{key}: {quote}{moved}{quote}"

    keys = "|".join(LOCAL_PATH_PROPERTIES)
    return re.sub(rf"^(\s+)({keys}):[ \t]+(['\"]?)([^'\"\s#]+)\3[ \t]*$", fix, block, flags=re.M)


# -- the standalone templates -------------------------------------------------------------------


def _parameters_of(value: Any, parameters: dict[str, Any]) -> set[str]:
    names, _ = references(value)
    return {n for n in names if n in parameters}


def standalone_text(catalogue: Catalogue, slug: str) -> str:
    """The standalone template of a pattern, as text."""
    pattern = catalogue.patterns[slug]
    template, text = catalogue.template, catalogue.template_path.read_text()
    target = catalogue.pattern_dir(slug)
    parameters = template.get("Parameters", {})
    conditions = template.get("Conditions", {})
    resources = {lid: spec for lid, spec in template.get("Resources", {}).items() if lid in pattern.resources}
    kept_types = {spec["Type"] for spec in resources.values()}
    globals_ = {k: v for k, v in (template.get("Globals") or {}).items() if GLOBALS_TYPES.get(k) in kept_types}
    outputs = {}
    for name, spec in (template.get("Outputs") or {}).items():
        refs, _ = references(spec)
        refs -= set(parameters)
        graph_refs = {r for r in refs}
        if graph_refs and graph_refs <= set(resources) and _conditions_used(spec) <= set(conditions):
            cond = spec.get("Condition")
            if cond is None or cond in conditions:
                outputs[name] = spec
    # Conditions used by what is kept (and by the conditions themselves), then parameters.
    used_conditions = set()
    for spec in [*resources.values(), *outputs.values(), globals_]:
        used_conditions |= _conditions_used(spec)
        if isinstance(spec, dict) and isinstance(spec.get("Condition"), str):
            used_conditions.add(spec["Condition"])
    todo = list(used_conditions)
    while todo:
        for more in _conditions_used(conditions.get(todo.pop(), {})):
            if more not in used_conditions:
                used_conditions.add(more)
                todo.append(more)
    used_parameters = set()
    for spec in [*resources.values(), *outputs.values(), globals_,
                 *(conditions[c] for c in used_conditions if c in conditions)]:
        used_parameters |= _parameters_of(spec, parameters)
        for _, subs in [references(spec)]:
            for sub in subs:
                used_parameters |= {n for n in _sub_names(sub, set()) if n in parameters}

    def section(name: str, keep: set[str] | dict[str, Any], order_from: dict[str, Any]) -> str:
        blocks = entry_blocks(text, name)
        chosen = [key for key in order_from if key in keep]
        missing = [key for key in chosen if key not in blocks]
        if missing:
            raise CatalogueError(f"{catalogue.template_path.name}: cannot find the text of {name}.{missing[0]} "
                                 "(entries must start at two spaces of indentation)")
        body = "\n\n".join(_rewrite_paths(blocks[key], catalogue.root, target) for key in chosen)
        return f"{name}:\n{body}\n"

    meta = pattern.metadata or {}
    title = meta.get("title") or slug
    description = meta.get("description") or f"The {slug} workflow of the suite."
    rel_root = os.path.relpath(catalogue.root, target).replace(os.sep, "/")
    parts = [
        f"# {GENERATED} from {rel_root}/{catalogue.template_path.name}: do not edit.\n"
        f"# The {slug} pattern of the Step Functions reference suite, deployable alone:\n"
        f"#   cd {PATTERNS_DIR}/{slug} && sam build && sam deploy --guided      (then: sam delete)\n"
        f"# Its resources, and the shared ones it uses, are copied from {rel_root}/{catalogue.template_path.name};\n"
        f"# code and definitions stay in {rel_root}/functions/ and {rel_root}/statemachines/.\n",
        'AWSTemplateFormatVersion: "2010-09-09"\n'
        "Transform: AWS::Serverless-2016-10-31\n"
        f"Description: >-\n  {title}: {_yaml_folded(description)} (standalone pattern of the AWS Step Functions "
        "reference suite)\n",
    ]
    if used_parameters:
        parts.append(section("Parameters", used_parameters, parameters))
    if used_conditions:
        parts.append(section("Conditions", used_conditions, conditions))
    if globals_:
        parts.append(section("Globals", set(globals_), template.get("Globals") or {}))
    parts.append(section("Resources", set(resources), template.get("Resources", {})))
    if outputs:
        parts.append(section("Outputs", set(outputs), template.get("Outputs") or {}))
    result = "\n".join(parts)
    _verify(catalogue, slug, result, resources, target)
    return result


def _yaml_folded(text: str) -> str:
    return " ".join(text.split())


def _verify(catalogue: Catalogue, slug: str, text: str, resources: dict[str, Any], target: Path) -> None:
    """The generated text must load to the very resources of the suite (local paths moved)."""
    generated = loads_template(text)
    if set(generated.get("Resources", {})) != set(resources):
        raise CatalogueError(f"{slug}: the standalone template's resources differ from the selection")
    for lid, spec in resources.items():
        expected = json.loads(json.dumps(spec))
        for key in LOCAL_PATH_PROPERTIES:
            value = (expected.get("Properties") or {}).get(key)
            if isinstance(value, str) and "://" not in value:
                moved = os.path.relpath(catalogue.root / value, target).replace(os.sep, "/")
                expected["Properties"][key] = moved + ("/" if value.endswith("/") and not moved.endswith("/") else "")
        if generated["Resources"][lid] != expected:
            raise CatalogueError(f"{slug}: {lid} in the standalone template differs from "
                                 f"{catalogue.template_path.name}")


def samconfig_text(catalogue: Catalogue, slug: str, standalone: str) -> str:
    """The suite's samconfig.toml with the pattern's own stack names and only its parameters."""
    source = catalogue.root / SAMCONFIG_FILE
    kept = set(loads_template(standalone).get("Parameters", {}))
    suite_stack = "sfn-suite"
    out = [f"# {GENERATED} from ../../{SAMCONFIG_FILE}: do not edit.",
           f"# Deploy the {slug} pattern alone, from this folder: sam build && sam deploy --guided"
           " [--config-env dev|prod]."]
    if not source.is_file():
        out += ["version = 0.1", "", "[default.deploy.parameters]", f'stack_name = "sfn-{slug}"',
                'capabilities = "CAPABILITY_IAM"', "resolve_s3 = true", f's3_prefix = "sfn-{slug}"']
        return "\n".join(out) + "\n"
    for line in source.read_text().splitlines():
        if line.startswith("#"):
            continue  # the suite file's comments describe the suite's stacks
        line = line.replace(f'"{suite_stack}', f'"sfn-{slug}')
        match = re.match(r'^parameter_overrides = "(.*)"$', line)
        if match:
            pairs = re.findall(r'(\w+)=(\\"[^"\\]*\\"|\S+)', match.group(1))
            line = 'parameter_overrides = "' + " ".join(f"{k}={v}" for k, v in pairs if k in kept) + '"'
        out.append(line)
    result = "\n".join(out).rstrip() + "\n"
    tomllib.loads(result)
    return result
