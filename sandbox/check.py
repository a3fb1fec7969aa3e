"""`sandbox check`: before any run, which Task of which state machine the sandbox can answer.

Read statically from the template and its ASL: each Task's resource is answered by moto (the
service action is implemented), by one of the sandbox's fakes, by a Lambda runtime (the function
is in the template with a runtime the sandbox runs), by the sandbox itself (nested executions,
callbacks through SQS/SNS...), or it needs a mock (a MockConfigFile test case, or a registered fake).
"""

from __future__ import annotations

import functools
import importlib
import re
from dataclasses import dataclass
from typing import Any

from sandbox import asl_graph
from sandbox.moto_fixes.unimplemented import CANNED, RUNTIME_CLIENTS, sdk_client_name
from sandbox.provision import state_machine_definition
from sandbox.stack import STATE_MACHINE_TYPES, Resource, Stack, slug_of

NEEDS_MOCK = "needs a mock"
PYTHON_RUNTIME = re.compile(r"python3\.\d+")
NODE_RUNTIME = re.compile(r"nodejs(18|20|22)\.x")
_INTEGRATION = re.compile(r"arn:aws[\w-]*:states:::(?P<service>[\w-]+):(?P<action>[\w:-]+?)"
                          r"(?P<pattern>\.sync(?::2)?|\.waitForTaskToken)?$")
_LAMBDA_ARN = re.compile(r"arn:aws[\w-]*:lambda:[^:]*:[^:]*:function:(?P<name>[^:]+)(?::.*)?$")
_SANDBOX_SERVICES = {"states"}  # nested executions run in the same sandbox


@dataclass(frozen=True)
class TaskCheck:
    """One Task state and who answers it offline."""

    workflow: str
    logical_id: str
    state: str
    resource: str
    answered_by: str

    @property
    def answered(self) -> bool:
        return not self.answered_by.startswith(NEEDS_MOCK)


def check(stack: Stack) -> list[TaskCheck]:
    """Every Task of every state machine of the stack, with who answers it."""
    functions = {r.logical_id: r for r in stack.of_type("AWS::Serverless::Function", "AWS::Lambda::Function")}
    found = []
    for resource in stack.of_type(*STATE_MACHINE_TYPES):
        definition, _path = state_machine_definition(stack, resource, stack.resolve(resource.properties))
        for state in asl_graph.parse(definition).states.values():
            if state.type != "Task":
                continue
            target = str(state.definition.get("Resource", ""))
            answer = _answer(stack, functions, target, state.definition.get("Parameters") or
                             state.definition.get("Arguments") or {})
            found.append(TaskCheck(slug_of(resource), resource.logical_id, state.name, target, answer))
    return found


def format_checks(checks: list[TaskCheck]) -> str:
    if not checks:
        return "No Task states: nothing to answer."
    widths = [max(len(getattr(c, field)) for c in checks) for field in ("logical_id", "state")]
    lines = [f"{c.logical_id:{widths[0]}}  {c.state:{widths[1]}}  {c.answered_by}  ({c.resource})" for c in checks]
    missing = sum(not c.answered for c in checks)
    lines.append(f"{len(checks) - missing} of {len(checks)} Task states answered offline"
                 + (f"; {missing} need a MockConfigFile test case or a registered fake" if missing else ""))
    return "\n".join(lines)


def _answer(stack: Stack, functions: dict[str, Resource], target: str, parameters: dict[str, Any]) -> str:
    lambda_arn = _LAMBDA_ARN.match(target)
    if lambda_arn:
        return _lambda_answer(stack, functions, lambda_arn["name"])
    if ":activity:" in target:
        return f"{NEEDS_MOCK} (an activity worker polls it on AWS)"
    integration = _INTEGRATION.match(target)
    if integration is None:
        return f"{NEEDS_MOCK} (resource not understood offline)"
    service, action = integration["service"], integration["action"]
    if service == "lambda" and action == "invoke":
        name = parameters.get("FunctionName")
        if not isinstance(name, str):
            return "Lambda runtime (function chosen at run time)"
        matched = _LAMBDA_ARN.match(name)
        return _lambda_answer(stack, functions, matched["name"] if matched else name.split(":")[0])
    if service in _SANDBOX_SERVICES:
        return "sandbox (Step Functions)"
    if service == "aws-sdk":
        sdk_service, _, action = action.partition(":")
        boto_service = sdk_client_name(sdk_service)
    else:
        boto_service = RUNTIME_CLIENTS.get((service, action), service)
    operation = action[:1].upper() + action[1:]
    if (boto_service, operation) in faked_operations():
        return "fake"
    if (boto_service, operation) in CANNED:
        return f"{NEEDS_MOCK} ({CANNED[boto_service, operation]})"
    if _moto_implements(boto_service, action):
        return "moto"
    return f"{NEEDS_MOCK} (moto does not implement {boto_service} {operation})"


def _lambda_answer(stack: Stack, functions: dict[str, Resource], name: str) -> str:
    function = next((f for f in functions.values() if name in (f.name, f.logical_id)), None)
    if function is None:
        return f"{NEEDS_MOCK} (function {name} is not in the template)"
    merged = {**(stack.template.get("Globals", {}).get("Function") or {}), **function.properties}
    if merged.get("PackageType") == "Image":
        return f"{NEEDS_MOCK} ({function.logical_id} is a container image)"
    runtime = str(merged.get("Runtime", ""))
    if PYTHON_RUNTIME.fullmatch(runtime):
        return "Lambda runtime (python)"
    if NODE_RUNTIME.fullmatch(runtime):
        return "Lambda runtime (node)"
    return f"{NEEDS_MOCK} ({function.logical_id} runs {runtime or 'an unknown runtime'})"


@functools.cache
def faked_operations() -> frozenset[tuple[str, str]]:
    """(service, Operation) pairs a sandbox fake answers, read from what the fakes register."""
    from sandbox.fakes.registry import install_fakes

    class _Recorder:
        def __init__(self) -> None:
            self.operations: set[tuple[str, str]] = set()

        def register(self, event: str, _handler: Any) -> None:
            kind, _, rest = event.partition(".")
            if kind == "before-parameter-build":
                service, _, operation = rest.partition(".")
                self.operations.add((service, operation))

    recorder = _Recorder()
    install_fakes(recorder, None)  # type: ignore[arg-type]  # registering records the operations; no fake runs
    return frozenset(recorder.operations)


@functools.cache
def _moto_implements(boto_service: str, action: str) -> bool:
    """Whether moto's responses for the service have a handler for the action (e.g. `dynamodb`, `putItem`)."""
    method = re.sub(r"(?<!^)(?=[A-Z])", "_", action).lower()
    for module_name in {boto_service.replace("-", ""), boto_service.replace("-", "_")}:
        try:
            module = importlib.import_module(f"moto.{module_name}.responses")
        except ImportError:
            continue
        if any(callable(getattr(cls, method, None)) for cls in vars(module).values() if isinstance(cls, type)
               and cls.__module__ == module.__name__):
            return True
    return False
