"""Which runner answers a function's invocations, by its `Runtime`.

- `python3.*` (and no Runtime, as this repo's own functions): the handler imported in-process
  (`lambdas.InProcessFunction`).
- `nodejs*`: warm `node` children (`node_runtime.NodeFunction`). A function built by esbuild
  (`Metadata: BuildMethod: esbuild`, TypeScript usually) runs its `sam build` output.
- Anything else (java, dotnet, go, provided, ruby, container images): `UnsupportedFunction`, whose
  invocation fails the Task with one line naming the function, its runtime and how to answer it
  instead: a MockConfigFile test case, or a Python stand-in (`Sandbox.register_function`, or the
  CLI's `--stand-in LogicalId=file.py:function`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sandbox.lambdas import FunctionError, InProcessFunction
from sandbox.node_runtime import NodeFunction

BUILD_DIR = Path(".aws-sam") / "build"


def answer_instead(logical_id: str) -> str:
    """How to answer a function's Task without running its code (one rule for every message that says so)."""
    return (f"answer its Task with a MockConfigFile test case (--mock-config/--test-case), or register a Python "
            f"stand-in: sb.register_function('{logical_id}', handler) or sandbox --stand-in "
            f"{logical_id}=stand_in.py:handler")


@dataclass
class UnsupportedFunction:
    """A function the sandbox cannot run: every invocation fails with `reason` (Sandbox.UnsupportedRuntime)."""

    logical_id: str
    name: str
    arn: str
    runtime: str
    reason: str
    memory_mb: int = 128
    environment: dict[str, str] = field(default_factory=dict)
    """The template's variables: a stand-in registered for the function runs with them."""
    invocations: int = 0
    log: list[str] = field(default_factory=list)
    initialised: bool = True

    @property
    def log_lines(self) -> list[str]:
        return []

    def initialise(self) -> None:
        """Nothing to import."""

    def invoke(self, event: Any) -> Any:
        self.invocations += 1
        raise FunctionError.of("Sandbox.UnsupportedRuntime", self.reason)


LambdaFunction = InProcessFunction | NodeFunction | UnsupportedFunction


def lambda_function(logical_id: str, name: str, arn: str, props: dict[str, Any], root: Path, region: str,
                    metadata: dict[str, Any] | None = None) -> LambdaFunction:
    """The runner for one function: `props` are its resolved properties (Globals merged), `root` the template folder."""
    runtime = str(props.get("Runtime") or "")
    variables = {k: str(v) for k, v in ((props.get("Environment") or {}).get("Variables") or {}).items()}
    memory_mb = int(props.get("MemorySize", 128))
    timeout = int(props.get("Timeout", 3))
    handler = str(props.get("Handler", ""))
    if props.get("PackageType") == "Image":
        return UnsupportedFunction(logical_id, name, arn, "container image", (
            f"{logical_id} (container image): the sandbox runs Python and Node.js functions from their code "
            f"folder, not images; {answer_instead(logical_id)}"), memory_mb, variables)
    code_dir = (root / str(props.get("CodeUri", "."))).resolve()
    if runtime.startswith("nodejs"):
        if (metadata or {}).get("BuildMethod") == "esbuild":
            built = root / BUILD_DIR / logical_id
            if not built.is_dir():
                return UnsupportedFunction(logical_id, name, arn, runtime, (
                    f"{logical_id} ({runtime}, BuildMethod esbuild): its built code {built} does not exist; "
                    f"run `sam build` in {root} first"), memory_mb, variables)
            code_dir = built.resolve()
        return NodeFunction(logical_id, name, arn, code_dir, handler, variables, runtime, region, memory_mb, timeout)
    if runtime and not runtime.startswith("python"):
        return UnsupportedFunction(logical_id, name, arn, runtime, (
            f"{logical_id} ({runtime}): the sandbox runs Python and Node.js functions only; "
            f"{answer_instead(logical_id)}"), memory_mb, variables)
    return InProcessFunction(logical_id=logical_id, name=name, arn=arn, code_dir=code_dir, handler=handler,
                             environment=variables, memory_mb=memory_mb, timeout_seconds=timeout)
