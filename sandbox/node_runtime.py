"""Node.js Lambda functions (nodejs18.x-22.x), each run in warm `node` child processes.

A `NodeFunction` keeps a pool of execution environments: one `node` process running
`data/node_bootstrap.mjs`, which imports the handler once (INIT) and then answers one invocation
at a time, as a Lambda execution environment does; concurrent invocations get more environments.
Requests go to the child's stdin and answers come back on a separate pipe, so the handler's own
stdout/stderr (console lines in Lambda's `time<TAB>requestId<TAB>LEVEL<TAB>message` form) become the
function's log.

The AWS SDK for JavaScript v3 reaches the sandbox's moto backends: the child gets
`AWS_ENDPOINT_URL` of a moto server started on loopback inside this process (the same backends as
the in-process boto3 calls), fake credentials and the stack's region. The Lambda runtime ships
`@aws-sdk/client-*`; offline they come from the project's own `node_modules`, and a handler that
imports one that is missing fails with the `npm install` command that provides it.

Children end with their sandbox (`close`); a timed-out or crashed environment is replaced on the next
invocation, as Lambda does.
"""

from __future__ import annotations

import json
import logging
import os
import select
import shutil

# bandit B404: the sandbox starts `node` (the user's Node.js runtime) for its functions
import subprocess  # nosec B404
import threading
import time
import uuid
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import IO, Any

from sandbox.lambdas import FunctionError

BOOTSTRAP = "node_bootstrap.mjs"
END_OF_LOG = "\x1e"
LOG_FLUSH_SECONDS = 5.0
"""How long an answered invocation waits for the rest of its log lines (they are written before the answer)."""
SDK_PACKAGE = "@aws-sdk/"
_MOTO_CREDENTIAL = "testing"
"""Every credential variable's value: the SDK needs some, moto accepts any; never a secret."""
MAX_ENVIRONMENTS = 8
"""Concurrent invocations of one function beyond this wait for a free environment (as a reserved concurrency
of 8 would): a wide Map state must not start hundreds of node processes on a laptop."""
INIT_SECONDS = 10.0
"""Lambda gives INIT (starting the runtime, importing the handler module) 10 s, then the invocation's own timeout."""


class _LoopbackEndpoint:
    """moto's server on 127.0.0.1, started on the first Node.js invocation of the process's sandbox."""

    def __init__(self) -> None:
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def url(self) -> str:
        with self._lock:
            if self._server is None:
                from moto.moto_server.werkzeug_app import (
                    DomainDispatcherApplication,
                    MotoRequestHandler,
                    create_backend_app,
                )
                from werkzeug.serving import make_server

                from sandbox.moto_fixes import lambda_server
                from sandbox.serving_thread import serve_in_thread

                # Only this server reaches moto's Lambda responses; importing them costs ~0.7 s of every start.
                lambda_server.install()
                # werkzeug prints every request to stderr otherwise: the handler's calls are not the user's output.
                logging.getLogger("werkzeug").setLevel(logging.ERROR)
                # The server ThreadedMotoServer makes (its thread polls for shutdown every 0.5 s).
                server = make_server("127.0.0.1", 0, DomainDispatcherApplication(create_backend_app), threaded=True,
                                     request_handler=MotoRequestHandler)
                self._thread = serve_in_thread(server, "sandbox-node-endpoint")
                self._server = server
            host, port = self._server.server_address[:2]
            return f"http://{host}:{port}"

    def stop(self) -> None:
        with self._lock:
            if self._server is not None:
                self._server.shutdown()
                self._server.server_close()
                if self._thread is not None:
                    self._thread.join()
                self._server, self._thread = None, None


ENDPOINT = _LoopbackEndpoint()
"""One per process, as moto's mock is: every Node.js function of the running sandbox calls it."""


def node_executable() -> str | None:
    return shutil.which("node")


@dataclass
class NodeFunction:
    """One Node.js function of the template, with the interface of `InProcessFunction`."""

    logical_id: str
    name: str
    arn: str
    code_dir: Path
    handler: str
    environment: dict[str, str]
    runtime: str
    region: str
    memory_mb: int = 128
    timeout_seconds: float = 3
    layers: list[Path] = field(default_factory=list)
    """Its layers' node_modules folders (Lambda's /opt/nodejs/node_modules): on NODE_PATH, for `require`."""
    invocations: int = 0
    log: list[str] = field(default_factory=list)
    """Everything the handler printed, in order (its CloudWatch log stream)."""
    _idle: list[_Environment] = field(default_factory=list, repr=False)
    _all: list[_Environment] = field(default_factory=list, repr=False)
    _count: int = field(default=0, repr=False)
    """Environments running or starting (at most MAX_ENVIRONMENTS)."""
    _closed: bool = field(default=False, repr=False)
    _lock: threading.Condition = field(default_factory=threading.Condition, repr=False)

    @property
    def log_lines(self) -> list[str]:
        return "".join(self.log).splitlines()

    @property
    def initialised(self) -> bool:
        return bool(self._idle)

    def initialise(self) -> None:
        """Start one execution environment (INIT: node starts and imports the handler module)."""
        with self._lock:
            if self._idle:
                return
        self._release(self._acquire())

    def invoke(self, event: Any) -> Any:
        """Run the handler in an idle environment (or a new one); its error raises `FunctionError`."""
        with self._lock:
            self.invocations += 1
        environment = self._acquire()
        try:
            return environment.invoke(event, self._context(), self.timeout_seconds)
        finally:
            self._release(environment)

    def close(self) -> None:
        """Stop every environment (the sandbox stops): no `node` process outlives it."""
        with self._lock:
            environments, self._all, self._idle, self._count = list(self._all), [], [], 0
            self._closed = True
            self._lock.notify_all()
        for environment in environments:
            environment.stop()

    def _acquire(self) -> _Environment:
        """An idle environment, else a new one, else (MAX_ENVIRONMENTS busy) the next one freed."""
        with self._lock:
            for dead in [e for e in self._idle if not e.alive]:  # ended while idle: Lambda would start afresh
                self._idle.remove(dead)
                self._all.remove(dead)
                self._count -= 1
            self._lock.wait_for(lambda: self._idle or self._count < MAX_ENVIRONMENTS or self._closed)
            if self._closed:  # an invocation still arriving (a retry, an event) as the sandbox stops
                raise FunctionError.of("Sandbox.Stopped", f"{self.logical_id}: the sandbox has stopped")
            if self._idle:
                return self._idle.pop()
            self._count += 1
        try:
            return self._start()
        except BaseException:
            with self._lock:
                if not self._closed:
                    self._count -= 1
                self._lock.notify_all()
            raise

    def _release(self, environment: _Environment) -> None:
        with self._lock:
            if environment in self._all and environment.alive:
                self._idle.append(environment)
            elif environment in self._all:
                self._all.remove(environment)
                self._count -= 1
            self._lock.notify_all()  # (not in `_all`: `close` let it go and stopped it)

    @property
    def processes(self) -> list[int]:
        """Process ids of the running environments."""
        with self._lock:
            return [e.process.pid for e in self._all if e.alive]

    def _context(self) -> dict[str, Any]:
        return {"awsRequestId": str(uuid.uuid4()), "functionName": self.name, "functionVersion": "$LATEST",
                "invokedFunctionArn": self.arn, "memoryLimitInMB": str(self.memory_mb),
                "logGroupName": f"/aws/lambda/{self.name}", "logStreamName": "sandbox"}

    def _start(self) -> _Environment:
        node = node_executable()
        if node is None:
            raise FunctionError.of("Sandbox.RuntimeUnavailable", (
                f"{self.logical_id} ({self.runtime}): `node` is not on PATH; install Node.js "
                "(Debian/Ubuntu: apt-get install nodejs), or answer its Task with a MockConfigFile test case"))
        environment = _Environment(node, self.code_dir, self._variables(), self.log)
        with self._lock:
            self._all.append(environment)
        try:
            environment.wait_for_init(self.timeout_seconds + INIT_SECONDS)
        except FunctionError as error:
            environment.stop()
            with self._lock:
                if environment in self._all:  # else `close` has let it go already
                    self._all.remove(environment)
            raise FunctionError(_explained(error.payload, self.logical_id, self.code_dir)) from None
        return environment

    def _variables(self) -> dict[str, str]:
        """The Lambda runtime's environment: the template's variables, then the reserved ones."""
        inherited = {k: os.environ[k] for k in ("PATH", "HOME", "LANG", "SYSTEMROOT") if k in os.environ}
        return {
            **inherited,
            **self.environment,
            "AWS_LAMBDA_FUNCTION_NAME": self.name,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(self.memory_mb),
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{self.name}",
            "AWS_LAMBDA_LOG_STREAM_NAME": "sandbox",
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{self.runtime}",
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_ACCESS_KEY_ID": _MOTO_CREDENTIAL,
            "AWS_SECRET_ACCESS_KEY": _MOTO_CREDENTIAL,
            "AWS_SESSION_TOKEN": _MOTO_CREDENTIAL,
            "AWS_ENDPOINT_URL": ENDPOINT.url(),
            "LAMBDA_TASK_ROOT": str(self.code_dir),
            "NODE_PATH": os.pathsep.join(str(layer) for layer in self.layers),
            "_HANDLER": self.handler,
            "TZ": ":UTC",
        }


def _explained(payload: dict[str, Any], logical_id: str, code_dir: Path) -> dict[str, Any]:
    """An import error for the AWS SDK, with what to do about it.

    `@aws-sdk/*` (v3): the Lambda runtime has it, offline the project must. `aws-sdk` (v2): not in the
    nodejs18.x and later runtimes, on Lambda either.
    """
    message = str(payload.get("errorMessage", ""))
    if payload.get("errorType") != "Runtime.ImportModuleError":
        return payload
    if f"'{SDK_PACKAGE}" in message:
        package = message.split(f"'{SDK_PACKAGE}", 1)[1].split("'", 1)[0]
        package = SDK_PACKAGE + "/".join(package.split("/")[:1])
        message += (f" ({logical_id}: the Lambda runtime provides the AWS SDK; offline, install it beside the "
                    f"function: cd {code_dir} && npm install {package})")
    elif "'aws-sdk'" in message:
        message += (f" ({logical_id}: the AWS SDK for JavaScript v2 is not in the nodejs18.x and later runtimes, "
                    "on Lambda either: bundle it with the function, or use the v3 clients, @aws-sdk/client-*)")
    return {**payload, "errorMessage": message}


class _Environment:
    """One `node` process running the bootstrap; one invocation at a time."""

    def __init__(self, node: str, code_dir: Path, variables: dict[str, str], log: list[str]) -> None:
        read_end, write_end = os.pipe()
        bootstrap = resources.files("sandbox") / "data" / BOOTSTRAP
        try:
            # bandit B603: `node` found on PATH runs the sandbox's own bootstrap file; no shell, no user string
            self.process = subprocess.Popen(  # nosec B603
                [node, str(bootstrap)], cwd=code_dir, env={**variables, "SANDBOX_PROTOCOL_FD": str(write_end)},
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, pass_fds=(write_end,),
                start_new_session=True)
        except BaseException:
            os.close(read_end)
            raise
        finally:
            os.close(write_end)
        self._answers = read_end
        self._answers_lock = threading.Lock()
        self._in_call = False
        """An invocation reads the answer pipe: `stop` from another thread leaves closing it to that invocation."""
        self._buffer = b""
        self._ended_early = False
        """The answer pipe closed: the process ended (it may not be reaped yet)."""
        self._log = log
        self._ended: dict[str, int] = {}
        self._streams_closed = 0
        """Output streams at their end: once both are, no more log lines can come (the process has ended)."""
        self._ended_changed = threading.Condition()
        self._readers = [threading.Thread(target=self._read_log, args=(stream,), daemon=True,
                                          name=f"node-log-{self.process.pid}")
                         for stream in (self.process.stdout, self.process.stderr)]
        for reader in self._readers:
            reader.start()

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def wait_for_init(self, wall_timeout: float) -> None:
        answer = self._answer_within(time.monotonic() + wall_timeout)
        if answer is None and not self._ended_early:  # the module's top level never finished
            self.stop()
            raise FunctionError.of("Sandbox.Timedout", f"INIT did not finish within {wall_timeout:.2f} seconds")
        self._wait_for_log("init")
        if answer is None:
            raise FunctionError.of("Runtime.ExitError", f"Runtime exited with error: {self._exit_status()}")
        if answer.get("init") != "ok":
            raise FunctionError(answer["error"])

    def invoke(self, event: Any, context: dict[str, Any], timeout_seconds: float) -> Any:
        request_id = context["awsRequestId"]
        started = time.time()
        request = {"id": request_id, "event": event, "context": context,
                   "deadlineMs": int((started + timeout_seconds) * 1000)}
        assert self.process.stdin is not None
        try:
            self.process.stdin.write(json.dumps(request).encode() + b"\n")
            self.process.stdin.flush()
        except (OSError, ValueError):
            pass  # the process died (or was stopped): reported below as the runtime's exit
        answer = self._answer_within(time.monotonic() + timeout_seconds)
        if answer is None:
            if not self._ended_early:  # still running at its deadline: Lambda stops the environment
                self.stop()
                raise FunctionError.of("Sandbox.Timedout", f"RequestId: {request_id} Error: Task timed out after "
                                       f"{timeout_seconds:.2f} seconds")
            self.stop()
            raise FunctionError.of("Runtime.ExitError",
                                   f"RequestId: {request_id} Error: Runtime exited with error: {self._exit_status()}")
        self._wait_for_log(request_id)
        if not answer.get("ok"):
            raise FunctionError(answer["error"])
        return answer.get("result")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        for reader in self._readers:
            reader.join(LOG_FLUSH_SECONDS)
        for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()
        with self._answers_lock:
            if not self._in_call:
                self._close_answers()

    def _answer_within(self, deadline: float) -> dict[str, Any] | None:
        """`_next_answer`, while a `stop` from another thread (the sandbox stopping) ends it as the process's exit."""
        with self._answers_lock:
            if self._answers < 0:
                self._ended_early = True
                return None
            self._in_call = True
        try:
            return self._next_answer(deadline)
        finally:
            with self._answers_lock:
                self._in_call = False
                if not self.alive:
                    self._close_answers()

    def _close_answers(self) -> None:
        if self._answers >= 0:
            os.close(self._answers)
            self._answers = -1

    def _exit_status(self) -> str:
        code = self.process.wait()
        return f"signal: {-code}" if code < 0 else f"exit status {code}"

    def _next_answer(self, deadline: float) -> dict[str, Any] | None:
        """The next protocol line, or None at the deadline or when the process ended."""
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self._answers < 0:
                return None
            ready, _, _ = select.select([self._answers], [], [], remaining)
            if not ready:
                return None
            chunk = os.read(self._answers, 65536)
            if not chunk:
                self._ended_early = True
                return None
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return json.loads(line)

    def _read_log(self, stream: IO[bytes]) -> None:
        for raw in iter(stream.readline, b""):
            line = raw.decode("utf-8", errors="replace")
            text, found, marker = line.partition(END_OF_LOG)  # the handler's last write may lack its newline
            if text.strip("\n"):
                self._log.append(text if text.endswith("\n") else text + "\n")
            if found:
                with self._ended_changed:
                    self._ended[marker.strip()] = self._ended.get(marker.strip(), 0) + 1
                    self._ended_changed.notify_all()
        with self._ended_changed:
            self._streams_closed += 1
            self._ended_changed.notify_all()

    def _wait_for_log(self, marker: str) -> None:
        """Both streams have passed the invocation's end marker, or ended with the process: its log lines are in."""
        with self._ended_changed:
            self._ended_changed.wait_for(lambda: self._ended.get(marker, 0) >= 2 or self._streams_closed >= 2,
                                         LOG_FLUSH_SECONDS)
            self._ended.pop(marker, None)
