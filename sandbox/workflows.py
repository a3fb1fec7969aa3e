"""The template's state machines as it declares them, read without provisioning anything.

What `sandbox list` shows (logical ID, name, type, how each starts) and what the ASL coverage of a
pytest session measures (each definition as written). A state machine starts by:

* its own events (`Events` of an AWS::Serverless::StateMachine): an API route, an EventBridge rule
  (an S3 notification when the rule matches `aws.s3` events), a schedule;
* another resource that targets it: an AWS::Events::Rule, an AWS::Scheduler::Schedule, an API whose
  OpenAPI body integrates `states:action/StartExecution` (or `StartSyncExecution`), a function with
  an API route whose properties grant `states:StartExecution` on it;
* otherwise `StartExecution` called directly.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from sandbox.intrinsics import TemplateError
from sandbox.stack import Resource, Stack, workflow_slug

STATE_MACHINE_TYPES = ("AWS::Serverless::StateMachine", "AWS::StepFunctions::StateMachine")
API_TYPES = ("AWS::Serverless::Api", "AWS::Serverless::HttpApi", "AWS::ApiGateway::RestApi")
_RULE_EVENTS = ("EventBridgeRule", "CloudWatchEvent")
_SCHEDULE_EVENTS = ("Schedule", "ScheduleV2")
_API_EVENTS = ("Api", "HttpApi")
_START_INTEGRATION = re.compile(r"states:action/Start(Sync)?Execution")


@dataclass(frozen=True)
class Start:
    """One way executions of a state machine start."""

    kind: str
    """`api`, `s3` (an S3 notification through EventBridge), `eventbridge`, `schedule` or `direct`."""
    method: str = ""
    path: str = ""
    sources: tuple[str, ...] = ()
    detail_types: tuple[str, ...] = ()
    schedule: str = ""
    via: str = ""
    """The logical ID of the resource that starts it, when it is not one of the state machine's own events."""

    def describe(self) -> str:
        """One line for `sandbox list`."""
        via = f" (via {self.via})" if self.via else ""
        if self.kind == "api":
            return f"API {self.method} {self.path}{via}"
        if self.kind == "s3":
            return f"S3 notification {', '.join(self.detail_types) or 'any event'} (EventBridge rule){via}"
        if self.kind == "eventbridge":
            what = ", ".join(self.detail_types) or "any detail-type"
            return f"EventBridge rule {', '.join(self.sources) or 'any source'}: {what}{via}"
        if self.kind == "schedule":
            return f"schedule {self.schedule}{via}"
        return "direct (StartExecution)"


DIRECT = Start("direct")


@dataclass(frozen=True)
class Workflow:
    """One state machine of the template."""

    slug: str
    logical_id: str
    name: str
    """Its physical name in the sandbox (`<stack>-<LogicalId>` unless the template names it)."""
    type: str
    """STANDARD or EXPRESS."""
    resource: Resource
    root: Path

    @property
    def source(self) -> str:
        """Where the definition comes from: the ASL path relative to the template, or `<LogicalId>.Definition`."""
        uri = self.resource.properties.get("DefinitionUri")
        return uri if isinstance(uri, str) else f"{self.logical_id}.Definition"

    def definition(self) -> dict[str, Any]:
        """The definition as written (DefinitionSubstitutions placeholders left in place)."""
        props = self.resource.properties
        uri = props.get("DefinitionUri")
        if isinstance(uri, str):
            path = self.root / uri
            try:
                text = path.read_text()
            except OSError as error:
                raise TemplateError(f"{self.logical_id}: cannot read DefinitionUri {uri}: {error.strerror}") from None
            try:
                loaded = yaml.safe_load(text) if path.suffix in (".yaml", ".yml") else json.loads(text)
            except (ValueError, yaml.YAMLError) as error:
                raise TemplateError(f"{self.logical_id}: DefinitionUri {uri} is not valid ASL: {error}") from None
        else:
            loaded = props.get("Definition")
            if isinstance(loaded, str):
                loaded = json.loads(loaded)
        if not isinstance(loaded, dict):
            raise TemplateError(f"{self.logical_id}: no DefinitionUri file or inline Definition to read")
        return loaded


def load(template: Path, *, stack_name: str | None = None,
         parameters: dict[str, str] | None = None) -> tuple[Stack, list[Workflow]]:
    """The stack of a template file (`Stack.from_file`: samconfig.toml beside it, then the overrides) and its
    state machines, sorted by slug."""
    stack = Stack.from_file(template.resolve(), stack_name=stack_name, parameters=parameters)
    return stack, sorted(in_stack(stack), key=lambda w: w.slug)


def in_stack(stack: Stack) -> Iterator[Workflow]:
    """The state machines of a stack, in template order."""
    for resource in stack.of_type(*STATE_MACHINE_TYPES):
        props = resource.properties
        kind = props.get("Type") if resource.type == "AWS::Serverless::StateMachine" else props.get("StateMachineType")
        yield Workflow(workflow_slug(resource.logical_id, props), resource.logical_id, resource.name,
                       str(kind or "STANDARD").upper(), resource, stack.root)


# -- how each starts ----------------------------------------------------------------------------


def starts(stack: Stack, workflow: Workflow) -> list[Start]:
    """How executions of `workflow` start, in template order (`[DIRECT]` when nothing starts it)."""
    found = list(_own_events(workflow.resource))
    for other in stack.resources.values():
        if other.logical_id == workflow.logical_id:
            continue
        if other.type == "AWS::Serverless::Function":
            found.extend(_function_routes(stack, other, workflow))
    for other in stack.resources.values():
        if other.type in API_TYPES and _mentions(stack, other.properties, workflow):
            found.extend(_integrated_routes(other))
        elif other.type == "AWS::Events::Rule":
            found.extend(_rule_targets(stack, other, workflow))
        elif other.type == "AWS::Scheduler::Schedule" and _mentions(stack, other.properties.get("Target"), workflow):
            found.append(Start("schedule", schedule=str(other.properties.get("ScheduleExpression")),
                               via=other.logical_id))
    return found or [DIRECT]


def _own_events(resource: Resource) -> Iterator[Start]:
    for event in (resource.properties.get("Events") or {}).values():
        kind, props = event.get("Type"), event.get("Properties") or {}
        if kind in _RULE_EVENTS:
            yield _pattern_start(props.get("Pattern") or {})
        elif kind in _SCHEDULE_EVENTS:
            yield Start("schedule", schedule=str(props.get("Schedule") or props.get("ScheduleExpression")))
        elif kind in _API_EVENTS:
            yield Start("api", method=str(props.get("Method", "")).upper(), path=str(props.get("Path")))


def _pattern_start(pattern: dict[str, Any], via: str = "") -> Start:
    sources = tuple(map(str, pattern.get("source") or []))
    types = tuple(map(str, pattern.get("detail-type") or []))
    return Start("s3" if sources == ("aws.s3",) else "eventbridge", sources=sources, detail_types=types, via=via)


def _function_routes(stack: Stack, function: Resource, workflow: Workflow) -> Iterator[Start]:
    """The API routes (POST or PUT) of a function allowed to start the workflow."""
    props = function.properties
    if "states:StartExecution" not in json.dumps(props) or not _mentions(stack, props, workflow):
        return
    for event in (props.get("Events") or {}).values():
        route = event.get("Properties") or {}
        method = str(route.get("Method", "")).upper()
        if event.get("Type") in _API_EVENTS and method in ("POST", "PUT"):
            yield Start("api", method=method, path=str(route.get("Path")), via=function.logical_id)


def _integrated_routes(api: Resource) -> Iterator[Start]:
    """The routes of an OpenAPI body that start an execution themselves (AWS integration)."""
    body = api.properties.get("DefinitionBody") or {}
    paths = body.get("paths") if isinstance(body, dict) else None
    for route, methods in (paths or {}).items():
        for method, operation in (methods or {}).items():
            integration = (operation or {}).get("x-amazon-apigateway-integration") or {}
            if _START_INTEGRATION.search(json.dumps(integration.get("uri"))):
                yield Start("api", method=method.upper(), path=route, via=api.logical_id)


def _rule_targets(stack: Stack, rule: Resource, workflow: Workflow) -> Iterator[Start]:
    props = rule.properties
    if not any(_mentions(stack, target.get("Arn"), workflow) for target in props.get("Targets") or []):
        return
    if props.get("ScheduleExpression"):
        yield Start("schedule", schedule=str(props["ScheduleExpression"]), via=rule.logical_id)
    if props.get("EventPattern"):
        yield _pattern_start(props["EventPattern"], via=rule.logical_id)


def _mentions(stack: Stack, value: Any, workflow: Workflow) -> bool:
    """`value` refers to the workflow: Ref / GetAtt / Sub of its logical ID, or its ARN or name once resolved."""
    if _refers_to(value, workflow.logical_id):
        return True
    named = re.compile(rf":stateMachine:{re.escape(workflow.name)}(?![A-Za-z0-9_-])")
    return any(named.search(text) for text in _resolved_texts(stack, value))


def _resolved_texts(stack: Stack, value: Any) -> Iterator[str]:
    """Every string inside `value`, each intrinsic function resolved on its own (one that cannot be is skipped)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for child in value:
            yield from _resolved_texts(stack, child)
    elif isinstance(value, dict):
        if len(value) == 1 and next(iter(value)) in ("Ref", "Fn::Sub", "Fn::GetAtt", "Fn::Join"):
            try:
                yield json.dumps(stack.resolve(value), default=str)
            except (TemplateError, TypeError, ValueError, KeyError, IndexError, AttributeError):
                return
        else:
            for child in value.values():
                yield from _resolved_texts(stack, child)


def _refers_to(value: Any, logical_id: str) -> bool:
    if isinstance(value, dict):
        if value.get("Ref") == logical_id:
            return True
        get_att = value.get("Fn::GetAtt")
        if get_att is not None and (get_att[0] if isinstance(get_att, list) and get_att
                                    else str(get_att).split(".", 1)[0]) == logical_id:
            return True
        sub = value.get("Fn::Sub")
        text = sub if isinstance(sub, str) else sub[0] if isinstance(sub, list) and sub else None
        if isinstance(text, str) and re.search(rf"\$\{{{re.escape(logical_id)}(\.[A-Za-z]+)?\}}", text):
            return True
        return any(_refers_to(child, logical_id) for child in value.values())
    if isinstance(value, list):
        return any(_refers_to(child, logical_id) for child in value)
    return False
