"""Lambda functions of the template, run in-process.

moto runs Lambda code in Docker, which this sandbox never has. Instead every
`AWS::Serverless::Function` becomes an `InProcessFunction`: its handler is
imported from its CodeUri and called with the event and a Lambda-like context,
inside the function's own environment variables. Invocations are intercepted at
botocore's `before-call.lambda.Invoke`, so Step Functions tasks (optimized
`lambda:invoke` or a plain function ARN), event targets and handler code calling
Lambda all reach the same functions.
"""

from __future__ import annotations

import importlib.util
import io
import json
import logging
import os
import sys
import threading
import traceback
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError
from botocore.response import StreamingBody

from sandbox.clock import VirtualClock
from sandbox.lambda_async import AsyncInvocations

if TYPE_CHECKING:
    from sandbox.runtimes import LambdaFunction

# Handlers share one process environment: invocations take turns so that each
# sees exactly its own function's variables.
_ENV_LOCK = threading.RLock()
_log = logging.getLogger(__name__)


class FunctionError(Exception):
    """An invocation that failed with the payload Lambda itself reports (its own errorType, e.g.
    `Runtime.ImportModuleError`, `Sandbox.Timedout`, or a Node.js handler's error), not a Python exception's."""

    def __init__(self, payload: dict[str, Any]) -> None:
        super().__init__(payload.get("errorMessage", ""))
        self.payload = payload

    @classmethod
    def of(cls, error_type: str, message: str) -> FunctionError:
        return cls({"errorType": error_type, "errorMessage": message, "trace": []})


class _HandlerOutput(threading.local):
    """The log a handler running on this thread writes to (None on every other thread)."""

    log: list[str] | None = None


_HANDLER_OUTPUT = _HandlerOutput()


class _ThreadAwareStream:
    """Stands in for sys.stdout/sys.stderr: a handler's writes go to its function's log, as in CloudWatch Logs.

    Only writes from a thread running a handler are taken; every other thread (the test, the CLI,
    the interpreter) writes through to the stream this one replaced, even while handlers run.
    Installed once and kept: Powertools' Logger keeps the stream it saw at import.
    """

    def __init__(self, through: Any) -> None:
        self._through = through

    def write(self, text: str) -> int:
        log = _HANDLER_OUTPUT.log
        if log is None:
            return self._through.write(text)
        log.append(text)
        return len(text)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        if _HANDLER_OUTPUT.log is None:
            self._through.flush()

    def writable(self) -> bool:
        return True

    def __getattr__(self, name: str) -> Any:  # encoding, isatty, fileno...: the replaced stream's
        return getattr(self._through, name)


def _install_thread_aware_streams() -> None:
    """Put the thread-aware stream in front of stdout and stderr, unless it is there already.

    Checked at every invocation: whoever replaced sys.stdout since (pytest's capture) is wrapped in turn.
    """
    for name in ("stdout", "stderr"):
        current = getattr(sys, name)
        if current is not None and not isinstance(current, _ThreadAwareStream):
            setattr(sys, name, _ThreadAwareStream(current))


@dataclass
class LambdaContext:
    """The attributes of the Lambda context object that handlers and Powertools read."""

    function_name: str
    invoked_function_arn: str
    memory_limit_in_mb: int = 128
    function_version: str = "$LATEST"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = ""
    log_stream_name: str = "sandbox"
    timeout_seconds: int = 3

    def get_remaining_time_in_millis(self) -> int:
        return self.timeout_seconds * 1000


@dataclass
class InProcessFunction:
    """One `AWS::Serverless::Function`, ready to run in this process."""

    logical_id: str
    name: str
    arn: str
    code_dir: Path
    handler: str
    environment: dict[str, str]
    memory_mb: int = 128
    timeout_seconds: int = 3
    layers: list[Path] = field(default_factory=list)
    """Folders of its layers' Python code (Lambda's /opt/python): importable by the handler, as code_dir is."""
    _callable: Callable[[Any, Any], Any] | None = None
    invocations: int = 0
    log: list[str] = field(default_factory=list)
    """Everything the handler printed or logged, in order (its CloudWatch log stream)."""

    @property
    def log_lines(self) -> list[str]:
        return "".join(self.log).splitlines()

    def invoke(self, event: Any) -> Any:
        """Call the handler as Lambda would; exceptions propagate to the caller."""
        with _ENV_LOCK, _environment(self.environment), _logging_to(self.log), _importable(self._paths):
            fn = self._load()
            self.invocations += 1
            context = LambdaContext(self.name, self.arn, self.memory_mb,
                                    log_group_name=f"/aws/lambda/{self.name}",
                                    timeout_seconds=self.timeout_seconds)
            return fn(event, context)

    @property
    def initialised(self) -> bool:
        """Whether the handler module is imported (Lambda's INIT phase has run)."""
        return self._callable is not None

    def initialise(self) -> None:
        """Import the handler module in the function's environment, as the INIT phase of a cold start.

        A module that fails to import raises here and again on the next `invoke`, as Lambda reports it.
        """
        with _ENV_LOCK, _environment(self.environment), _logging_to(self.log), _importable(self._paths):
            self._load()

    @property
    def _paths(self) -> list[Path]:
        return [self.code_dir, *self.layers]

    def _load(self) -> Callable[[Any, Any], Any]:
        if self._callable is None:
            module_path, _, attribute = self.handler.rpartition(".")
            module = _import_isolated(self.logical_id, self.code_dir, module_path)
            self._callable = getattr(module, attribute)
        return self._callable


@contextmanager
def _environment(variables: dict[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.update(variables)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@contextmanager
def _logging_to(log: list[str]) -> Iterator[None]:
    """What this thread prints, and logs through sys.stdout/stderr, goes to `log` until the block ends."""
    _install_thread_aware_streams()
    previous = _HANDLER_OUTPUT.log
    _HANDLER_OUTPUT.log = log
    try:
        yield
    finally:
        _HANDLER_OUTPUT.log = previous


def _import_isolated(logical_id: str, code_dir: Path, module_path: str) -> ModuleType:
    """Import a handler module under a name unique to its function.

    Several functions may each have an `app.py`; a unique module name keeps them
    apart. The caller puts the code dir on sys.path (`_importable`) so siblings resolve.
    """
    file = code_dir / (module_path.replace(".", "/") + ".py")
    if not file.is_file():
        raise FileNotFoundError(f"{logical_id}: handler module {file} not found")
    unique = f"_sandbox_fn_{logical_id}_{module_path.replace('.', '_')}"
    spec = importlib.util.spec_from_file_location(unique, file)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    try:
        sys.modules[unique] = module
        spec.loader.exec_module(module)
    except ModuleNotFoundError as error:
        sys.modules.pop(unique, None)
        raise FunctionError.of("Runtime.ImportModuleError", _missing_package_message(
            logical_id, code_dir, module_path, error)) from error
    return module


@contextmanager
def _importable(paths: list[Path]) -> Iterator[None]:
    """The function's code and layers on sys.path while it imports or runs (a handler may import lazily)."""
    added = [str(path) for path in paths]
    sys.path[:0] = added
    try:
        yield
    finally:
        for path in added:
            sys.path.remove(path)


def _missing_package_message(logical_id: str, code_dir: Path, module_path: str, error: ModuleNotFoundError) -> str:
    """Lambda's message, and how to install what is missing offline (the deployed package bundles it)."""
    missing = (error.name or str(error)).split(".")[0]
    requirements = code_dir / "requirements.txt"
    install = f"pip install -r {requirements}" if requirements.is_file() else f"pip install {missing}"
    return (f"Unable to import module '{module_path}': No module named '{missing}' "
            f"({logical_id}: install the function's packages into the sandbox's Python: {install})")


def stand_in(function: LambdaFunction, handler: Callable[[Any, Any], Any]) -> InProcessFunction:
    """`handler(event, context)` answering a function's invocations, with its name, ARN and environment."""
    return InProcessFunction(logical_id=function.logical_id, name=function.name, arn=function.arn,
                             code_dir=Path(getattr(function, "code_dir", ".")), handler="<stand-in>",
                             environment=dict(getattr(function, "environment", {})),
                             memory_mb=function.memory_mb, _callable=handler)


class LambdaRuntime:
    """Answers Lambda Invoke calls from the template's functions (in-process Python, Node.js children, stand-ins)."""

    def __init__(self, functions: dict[str, LambdaFunction], clock: VirtualClock, region: str, account_id: str) -> None:
        from sandbox.session import shared_client

        self.functions = functions
        self.clock = clock
        self.region = region
        self.account_id = account_id
        self.asynchronous = AsyncInvocations(self.invoke, clock, self._arn, self._name_of,
                                             lambda service: shared_client(region, service))
        """Event invocations: retried, then sent to the function's destination / dead-letter queue."""

    def replace(self, logical_id: str, handler: Callable[[Any, Any], Any]) -> None:
        """Answer `logical_id`'s invocations with a Python callable from now on."""
        previous = self.functions[logical_id]
        self.functions[logical_id] = stand_in(previous, handler)
        if hasattr(previous, "close"):
            previous.close()

    def stop(self, wall_timeout: float = 5.0) -> None:
        """Start no more invocations, wait for the asynchronous ones still running (wall time), then close.

        Their handlers call the sandbox's services: once the sandbox is gone they would reach the next one.
        """
        try:
            self.asynchronous.stop(wall_timeout)
        finally:
            self.close()

    def close(self) -> None:
        """Stop what runs outside this process (Node.js children, the loopback endpoint they call)."""
        from sandbox import node_runtime
        from sandbox.moto_fixes import lambda_server

        lambda_server.activate(None)
        for function in self.functions.values():
            if hasattr(function, "close"):
                function.close()
        node_runtime.ENDPOINT.stop()

    def register(self, events: Any) -> None:
        """Answer Invoke from boto3 in this process and, through moto's server, from Node.js handlers."""
        from sandbox.moto_fixes import lambda_server

        events.register("before-call.lambda.Invoke", self._on_invoke)
        lambda_server.activate(self)

    def find(self, function_name: str) -> LambdaFunction | None:
        """Resolve a name, full or partial ARN, with or without a qualifier."""
        name = function_name
        if name.startswith("arn:"):
            name = name.split(":")[6]
        elif ":" in name:
            name = name.split(":")[0]
        return next((f for f in self.functions.values() if f.name == name), None)

    def invoke(self, function_name: str, event: Any) -> tuple[int, Any, str | None]:
        """Run a function; returns (status, payload, function_error) as Lambda reports them."""
        function = self.find(function_name)
        if function is None:
            raise self._not_found(function_name)
        with self.clock.busy():
            try:
                return 200, function.invoke(event), None
            except Exception as error:
                return 200, _error_payload(error), "Unhandled"

    def invoke_async(self, function_name: str, event: Any) -> None:
        """Queue an event invocation (InvocationType=Event); an unknown function raises at once, as Lambda does."""
        if self.find(function_name) is None:
            raise self._not_found(function_name)
        self.asynchronous.submit(function_name, event)

    def _not_found(self, function_name: str) -> ClientError:
        return ClientError(
            {"Error": {"Code": "ResourceNotFoundException",
                       "Message": f"Function not found: {self._arn(function_name)}"},
             "ResponseMetadata": {"RequestId": str(uuid.uuid4()), "HTTPStatusCode": 404}},
            "Invoke",
        )

    def _name_of(self, function_name: str) -> str | None:
        function = self.find(function_name)
        return function.name if function else None

    def _arn(self, name: str) -> str:
        if name.startswith("arn:"):
            return name
        return f"arn:aws:lambda:{self.region}:{self.account_id}:function:{name}"

    def _on_invoke(self, params: dict[str, Any], model: Any = None, **_: Any) -> tuple[AWSResponse, dict]:
        function_name = _function_name_from_path(params["url_path"])
        body = params.get("body") or b"{}"
        raw = body.read() if hasattr(body, "read") else body
        event = json.loads(raw or b"null")
        invocation_type = params.get("headers", {}).get("X-Amz-Invocation-Type", "RequestResponse")
        if invocation_type == "Event":
            self.invoke_async(function_name, event)
            return _response(202, b"", None)
        status, payload, function_error = self.invoke(function_name, event)
        return _response(status, json.dumps(payload).encode(), function_error)


def _function_name_from_path(url_path: str) -> str:
    # /2015-03-31/functions/<name-or-arn>/invocations
    from urllib.parse import unquote

    return unquote(url_path.split("/functions/")[1].split("/")[0])


def _error_payload(error: Exception) -> dict[str, Any]:
    if isinstance(error, FunctionError):
        return error.payload
    return {
        "errorMessage": str(error),
        "errorType": type(error).__name__,
        "requestId": str(uuid.uuid4()),
        "stackTrace": traceback.format_exception(error)[1:],
    }


def _response(status: int, payload: bytes, function_error: str | None) -> tuple[AWSResponse, dict]:
    headers = {"x-amz-executed-version": "$LATEST"}
    parsed: dict[str, Any] = {
        "StatusCode": status,
        "ExecutedVersion": "$LATEST",
        "Payload": StreamingBody(io.BytesIO(payload), len(payload)),
        "ResponseMetadata": {"RequestId": str(uuid.uuid4()), "HTTPStatusCode": status, "HTTPHeaders": headers},
    }
    if function_error:
        parsed["FunctionError"] = function_error
        headers["x-amz-function-error"] = function_error
    return AWSResponse("https://lambda.sandbox", status, headers, None), parsed
