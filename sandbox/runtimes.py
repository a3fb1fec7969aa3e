"""Which runner answers a function's invocations, by its `Runtime`.

- `python3.*` (and no Runtime, as this repo's own functions): the handler imported in-process
  (`lambdas.InProcessFunction`).
- `nodejs*`: warm `node` children (`node_runtime.NodeFunction`). A function built by esbuild
  (`Metadata: BuildMethod: esbuild`, TypeScript usually) runs its `sam build` output.
- A plain `AWS::Lambda::Function` runs the same way, its `Code` a local folder or inline `ZipFile`
  (as SAM's `InlineCode`).
- `Layers` of the template (`LayerVersion` with a local `ContentUri`) are importable, as under /opt.
- Anything else (java, dotnet, go, provided, ruby, container images, code in S3): `UnsupportedFunction`, whose
  invocation fails the Task with one line naming the function, its runtime and how to answer it
  instead: a MockConfigFile test case, or a Python stand-in (`Sandbox.register_function`, or the
  CLI's `--stand-in LogicalId=file.py:function`).
"""

from __future__ import annotations

import hashlib
import tempfile
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


def unsupported_reason(logical_id: str, props: dict[str, Any], root: Path,
                       metadata: dict[str, Any] | None = None) -> str | None:
    """Why the sandbox cannot run a function, in one line with the way out (None: it can run it).

    `props` are the function's resolved properties (Globals merged; a plain `AWS::Lambda::Function`'s
    through `sam_properties`), `root` the template's folder, `metadata` the resource's `Metadata`.
    """
    runtime = str(props.get("Runtime") or "")
    if props.get("PackageType") == "Image":
        return (f"{logical_id} (container image): the sandbox runs Python and Node.js functions from their code "
                f"folder, not images; {answer_instead(logical_id)}")
    if props.get("CodeUri") is None and "Code" in props:  # a plain function whose code is not local
        return (f"{logical_id} ({runtime or 'no runtime'}): its code is in S3; point Code at a local folder, or "
                f"{answer_instead(logical_id)}")
    if runtime.startswith("nodejs"):
        built = root / BUILD_DIR / logical_id
        if (metadata or {}).get("BuildMethod") == "esbuild" and not built.is_dir():
            return (f"{logical_id} ({runtime}, BuildMethod esbuild): its built code {built} does not exist; "
                    f"run `sam build` in {root} first")
        return None
    if runtime and not runtime.startswith("python"):
        return (f"{logical_id} ({runtime}): the sandbox runs Python and Node.js functions only; "
                f"{answer_instead(logical_id)}")
    return None


def lambda_function(logical_id: str, name: str, arn: str, props: dict[str, Any], root: Path, region: str,
                    metadata: dict[str, Any] | None = None, layers: list[Path] | None = None) -> LambdaFunction:
    """The runner for one function (arguments as for `unsupported_reason`; `layers`: from `layer_folders`)."""
    runtime = str(props.get("Runtime") or "")
    variables = {k: str(v) for k, v in ((props.get("Environment") or {}).get("Variables") or {}).items()}
    memory_mb = int(props.get("MemorySize", 128))
    timeout = int(props.get("Timeout", 3))
    handler = str(props.get("Handler", ""))
    reason = unsupported_reason(logical_id, props, root, metadata)
    if reason is not None:
        label = "container image" if props.get("PackageType") == "Image" else runtime
        return UnsupportedFunction(logical_id, name, arn, label, reason, memory_mb, variables)
    if "InlineCode" in props:
        code_dir = _inline_code(str(props["InlineCode"]), runtime)
    else:
        code_dir = (root / str(props.get("CodeUri", "."))).resolve()
    if runtime.startswith("nodejs"):
        if (metadata or {}).get("BuildMethod") == "esbuild":
            code_dir = (root / BUILD_DIR / logical_id).resolve()
        return NodeFunction(logical_id, name, arn, code_dir, handler, variables, runtime, region, memory_mb, timeout,
                            layers=_existing(layer / sub for layer in layers or []
                                             for sub in ("nodejs/node_modules", "node_modules")))
    return InProcessFunction(logical_id=logical_id, name=name, arn=arn, code_dir=code_dir, handler=handler,
                             environment=variables, memory_mb=memory_mb, timeout_seconds=timeout,
                             layers=[layer / "python" if (layer / "python").is_dir() else layer
                                     for layer in layers or []])


def layer_folders(stack: Any, props: dict[str, Any]) -> list[Path]:
    """The local folders of a function's `Layers` (the template's LayerVersions; a remote layer ARN has none).

    Lambda extracts each layer into /opt: Python imports from its `python/` folder, Node.js `require`s
    from `nodejs/node_modules`. A layer that `sam build` builds (BuildMethod) keeps its sources at the
    top of `ContentUri`, and those are used as they are.
    """
    folders = []
    layers = {layer.ref: layer for layer in stack.of_type("AWS::Serverless::LayerVersion", "AWS::Lambda::LayerVersion")}
    for ref in props.get("Layers") or []:
        layer = layers.get(str(ref))
        content = stack.resolve(layer.properties.get("ContentUri", layer.properties.get("Content"))) if layer else None
        if isinstance(content, str):
            folders.append((stack.root / content).resolve())
    return folders


def _existing(paths: Any) -> list[Path]:
    return [path for path in paths if path.is_dir()]


def sam_properties(props: dict[str, Any]) -> dict[str, Any]:
    """A plain `AWS::Lambda::Function`'s properties in SAM's terms: `Code` as `CodeUri`.

    `Code` may be a local folder (as `aws cloudformation package` takes it) or inline `ZipFile` source,
    which Lambda deploys as `index.py` / `index.js`: written once to a folder of its own, named by its
    content. Code in S3 (`S3Bucket`/`S3Key`) or an image stays unresolved (`unsupported_reason` says so).
    """
    code = props.get("Code")
    converted = {k: v for k, v in props.items() if k != "Code"}
    if isinstance(code, str):
        converted["CodeUri"] = code
    elif isinstance(code, dict) and "ZipFile" in code:
        converted["CodeUri"] = str(_inline_code(str(code["ZipFile"]), str(props.get("Runtime") or "")))
    elif isinstance(code, dict) and "ImageUri" in code:
        converted["PackageType"] = "Image"
    else:
        converted["Code"] = code
    return converted


def _inline_code(source: str, runtime: str) -> Path:
    file_name = "index.js" if runtime.startswith("nodejs") else "index.py"
    folder = Path(tempfile.gettempdir()) / "sandbox-inline-code" / hashlib.sha256(
        f"{file_name}\0{source}".encode()).hexdigest()[:16]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / file_name).write_text(source)
    return folder
