"""Each pattern's catalogue entry, `patterns/<slug>/example-workflow.json`, and the facts it derives.

The entry is in the Serverless Land `example-workflow.json` format
(aws-samples/step-functions-workflows-collection) plus a `suite` object: the state machines of the
pattern (`stateMachines`, the first is the one users start) and the sample event of the offline
demo (`demoEvent`). Title, description, level, intro text... are written by hand; `type`,
`services`, `diagram`, `deploy`, `testing`, `cleanup` and `gitHub` are derived from the template and
the files, and rewritten by `python -m suite_docs --write`.
"""

from __future__ import annotations

import json
import os
import re
import shlex
from pathlib import Path
from typing import Any

from sandbox import workflows
from sandbox.samples import ANSWER_FILE, sample_events
from suite_docs.catalogue import PATTERNS_DIR, TEMPLATE_FILE, Catalogue, all_states, references

# Service ids (Serverless Land style) and how the catalogue and README name them.
SERVICE_NAMES = {
    "stepfunctions": "Step Functions", "lambda": "Lambda", "s3": "S3", "eventbridge": "EventBridge",
    "apigateway": "API Gateway", "sns": "SNS", "sqs": "SQS", "dynamodb": "DynamoDB",
    "rekognition": "Rekognition", "textract": "Textract", "cloudformation": "CloudFormation",
    "scheduler": "EventBridge Scheduler",
}
_ARN_SERVICE = {"events": "eventbridge", "states": "stepfunctions", "execute-api": "apigateway",
                "apigateway": "apigateway"}
# The error-name prefix Step Functions gives each service's errors ("Lambda.ServiceException").
ERROR_PREFIXES = {"lambda": "Lambda", "eventbridge": "EventBridge", "s3": "S3", "sns": "SNS", "sqs": "SQS",
                  "dynamodb": "DynamoDB", "rekognition": "Rekognition", "textract": "Textract",
                  "cloudformation": "CloudFormation", "stepfunctions": "Sfn", "apigateway": "ApiGateway"}


def _service_of_arn(arn: str) -> str | None:
    match = re.match(r"^arn:[^:]*:states:::(?:aws-sdk:)?([a-z0-9-]+):", arn)
    if match:
        return _ARN_SERVICE.get(match.group(1), match.group(1))
    match = re.match(r"^arn:[^:]*:([a-z0-9-]+):", arn)
    if match:
        return _ARN_SERVICE.get(match.group(1), match.group(1))
    return None


def machine_services(catalogue: Catalogue, machine: str) -> set[str]:
    """The services a state machine calls (its Task and ItemReader resources)."""
    spec = catalogue.template["Resources"][catalogue.machines[machine]]["Properties"]
    substitutions = spec.get("DefinitionSubstitutions") or {}
    resources = catalogue.template["Resources"]
    found = set()
    for _, state in all_states(catalogue.definition(machine)):
        arns = [state.get("Resource"), (state.get("ItemReader") or {}).get("Resource"),
                (state.get("ResultWriter") or {}).get("Resource")]
        for arn in arns:
            if not isinstance(arn, str):
                continue
            placeholder = re.fullmatch(r"\$\{(\w+)\}", arn)
            if placeholder:  # a plain function ARN from DefinitionSubstitutions
                names, _ = references(substitutions.get(placeholder.group(1)))
                kinds = {resources[n]["Type"] for n in names if n in resources}
                if kinds & {"AWS::Serverless::Function", "AWS::Lambda::Function"}:
                    found.add("lambda")
                continue
            service = _service_of_arn(arn)
            if service:
                found.add(service)
    return found


def machine_entry(catalogue: Catalogue, machine: str) -> str:
    """How executions of a state machine start (`sandbox.workflows.starts`), as the README and pages say it."""
    lid = catalogue.machines[machine]
    workflow = next(w for w in workflows.in_stack(catalogue.stack) if w.logical_id == lid)
    return "; ".join(_entry_text(start) for start in workflows.starts(catalogue.stack, workflow))


def _entry_text(start: workflows.Start) -> str:
    if start.kind == "api":
        return f"`{start.method} {start.path}` (API Gateway)"
    if start.kind in ("s3", "eventbridge"):
        where = "S3" if start.kind == "s3" else ", ".join(start.sources) or "EventBridge"
        if start.detail_types:
            return f"{where} `{', '.join(start.detail_types)}` event (EventBridge)"
        return f"{where} event (EventBridge)"
    if start.kind == "schedule":
        return f"schedule `{start.schedule}`"
    return "direct `StartExecution`"


def pattern_type(catalogue: Catalogue, slug: str) -> str:
    """Standard / Express (from the template), with Express children of a Distributed Map."""
    kinds = []
    for machine in catalogue.patterns[slug].state_machines:
        if machine not in catalogue.machines:
            continue
        spec = catalogue.template["Resources"][catalogue.machines[machine]]["Properties"]
        kind = str(spec.get("Type", "STANDARD")).capitalize()
        children = {str(((s.get("ItemProcessor") or {}).get("ProcessorConfig") or {}).get("ExecutionType", ""))
                    for _, s in all_states(catalogue.definition(machine))
                    if ((s.get("ItemProcessor") or {}).get("ProcessorConfig") or {}).get("Mode") == "DISTRIBUTED"}
        if "EXPRESS" in children and kind == "Standard":
            kind += " (Express Map children)"
        kinds.append(kind)
    unique = sorted(set(kinds), key=kinds.index)
    if len(unique) == 1 and len(kinds) > 1:
        return f"{unique[0]} x{len(kinds)}"
    return " + ".join(unique)


def pattern_services(catalogue: Catalogue, slug: str) -> list[str]:
    """Service ids: Step Functions, what the state machines call, what starts them, their functions."""
    pattern = catalogue.patterns[slug]
    found = {"stepfunctions"}
    types = {catalogue.template["Resources"][lid]["Type"] for lid in pattern.resources}
    for machine in pattern.state_machines:
        if machine not in catalogue.machines:
            continue
        found |= machine_services(catalogue, machine)
        entry = machine_entry(catalogue, machine)
        if "(EventBridge)" in entry:
            found.add("eventbridge")
        if entry.startswith("S3") or "; S3" in entry:
            found.add("s3")
        if "(API Gateway)" in entry:
            found.add("apigateway")
    if types & {"AWS::Serverless::Function", "AWS::Lambda::Function"}:
        found.add("lambda")
    found.discard("stepfunctions")
    return ["stepfunctions", *sorted(found)]


def service_label(service: str) -> str:
    return SERVICE_NAMES.get(service, service)


def _events_dir(catalogue: Catalogue, slug: str) -> Path:
    return catalogue.root / "events" / slug


def demo_command(catalogue: Catalogue, slug: str) -> str:
    """`sandbox run <slug> --event events/<slug>/<demoEvent>` (answering callbacks as `demo` does)."""
    meta = catalogue.patterns[slug].metadata or {}
    events = _events_dir(catalogue, slug)
    demo = (meta.get("suite") or {}).get("demoEvent")
    samples = sample_events(events)
    if not demo and samples:
        demo = samples[0].name
    command = f"sandbox run {slug} --event events/{slug}/{demo or '<event>.json'}"
    answer = events / ANSWER_FILE
    if answer.is_file():
        compact = json.dumps(json.loads(answer.read_text()), separators=(", ", ": "))
        command += f" --approve {shlex.quote(compact)}"
    return command


def tests_file(catalogue: Catalogue, slug: str) -> str | None:
    path = catalogue.root / "tests" / "workflows" / f"test_{slug.replace('-', '_')}.py"
    return path.relative_to(catalogue.root).as_posix() if path.is_file() else None


def deploy_commands(slug: str) -> list[str]:
    return [f"cd {PATTERNS_DIR}/{slug}", "sam build", "sam deploy --guided"]


def cleanup_steps(catalogue: Catalogue, slug: str) -> list[str]:
    """What to do before and after `sam delete`, from the resources of the standalone template."""
    resources = catalogue.template["Resources"]
    steps = []
    for lid in sorted(catalogue.patterns[slug].resources):
        spec = resources[lid]
        if spec["Type"] == "AWS::S3::Bucket":
            versioned = ((spec.get("Properties") or {}).get("VersioningConfiguration") or {}).get("Status") == "Enabled"
            output = next((name for name, out in (catalogue.template.get("Outputs") or {}).items()
                           if out.get("Value") == {"Ref": lid}), None)
            where = f" (stack output `{output}`)" if output else ""
            every = " (every object version and delete marker: it is versioned)" if versioned else ""
            steps.append(f"Empty the bucket `{lid}`{where}{every}.")
    steps.append(f"Delete the stack, from `{PATTERNS_DIR}/{slug}`: <code>sam delete</code>.")
    for lid in sorted(catalogue.patterns[slug].resources):
        spec = resources[lid]
        if spec.get("DeletionPolicy") == "Retain":
            steps.append(f"`{lid}` ({spec['Type']}) is kept by `sam delete` (DeletionPolicy: Retain): "
                         "delete it yourself when you no longer need it.")
        if spec["Type"] == "AWS::KMS::Key":
            steps.append(f"`{lid}` (KMS key) is scheduled for deletion after its pending window, not deleted at once.")
    return steps


def derived_metadata(catalogue: Catalogue, slug: str) -> dict[str, Any]:
    """The fields of example-workflow.json that the template and the files decide."""
    pattern = catalogue.patterns[slug]
    first = pattern.state_machines[0]
    asl = None
    if first in catalogue.machines:
        uri = catalogue.template["Resources"][catalogue.machines[first]]["Properties"].get("DefinitionUri")
        if isinstance(uri, str):
            asl = os.path.relpath(catalogue.root / uri, catalogue.pattern_dir(slug)).replace(os.sep, "/")
    testing = [f"Offline, no AWS account: <code>make install && .venv/bin/{demo_command(catalogue, slug)}</code>"]
    tests = tests_file(catalogue, slug)
    if tests:
        testing.append(f"Tests: <code>.venv/bin/python -m pytest {tests}</code>")
    testing.append(f"The same workflow alone offline: <code>.venv/bin/sandbox --template "
                   f"{PATTERNS_DIR}/{slug}/{TEMPLATE_FILE} run {demo_command(catalogue, slug).split(' ', 2)[2]}</code>")
    return {
        "type": pattern_type(catalogue, slug),
        "services": pattern_services(catalogue, slug),
        "diagram": f"docs/{slug}.md#workflow",
        "testing": {"headline": "Testing", "text": testing},
        "cleanup": {"headline": "Cleanup", "text": [f"{n}. {step}" for n, step in
                                                    enumerate(cleanup_steps(catalogue, slug), start=1)]},
        "deploy": {"text": deploy_commands(slug)},
        "gitHub": {
            "template": {
                "templateDir": f"{PATTERNS_DIR}/{slug}",
                "templateFile": TEMPLATE_FILE,
                "ASL": asl,
                "stateMachines": {m: os.path.relpath(
                    catalogue.root / catalogue.template["Resources"][catalogue.machines[m]]["Properties"]
                    ["DefinitionUri"], catalogue.pattern_dir(slug)).replace(os.sep, "/")
                    for m in pattern.state_machines if m in catalogue.machines
                    and isinstance(catalogue.template["Resources"][catalogue.machines[m]]["Properties"]
                                   .get("DefinitionUri"), str)},
            },
            "payloads": [{"headline": p.stem, "payloadURL": p.relative_to(catalogue.root).as_posix()}
                         for p in sample_events(_events_dir(catalogue, slug))],
        },
    }


AUTHORED_KEYS = ("title", "description", "language", "simplicity", "usecase", "videoId", "level", "framework",
                 "introBox", "resources", "authors", "suite")
DERIVED_KEYS = ("type", "services", "diagram", "testing", "cleanup", "deploy", "gitHub")
KEY_ORDER = ("title", "description", "language", "simplicity", "usecase", "type", "diagram", "videoId", "level",
             "framework", "services", "introBox", "testing", "cleanup", "deploy", "gitHub", "resources", "authors",
             "suite")


def metadata_text(catalogue: Catalogue, slug: str) -> str | None:
    """example-workflow.json with its derived fields regenerated (None when the pattern has none)."""
    meta = catalogue.patterns[slug].metadata
    if meta is None:
        return None
    merged = {**meta, **derived_metadata(catalogue, slug)}
    ordered = {k: merged[k] for k in KEY_ORDER if k in merged}
    ordered.update({k: v for k, v in merged.items() if k not in ordered})
    return json.dumps(ordered, indent=2, ensure_ascii=False) + "\n"
