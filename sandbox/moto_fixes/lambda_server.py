"""Lambda Invoke through moto's HTTP server reaches the sandbox's functions.

A Node.js handler calls AWS through moto's server on loopback (`sandbox/node_runtime.py`). moto's
server answers Invoke from its own Lambda backend, which runs code in Docker and knows none of the
template's functions (the sandbox runs them itself), so every call would fail. Lambda answers it
from the function: here the active sandbox's runtime does, as it does for in-process boto3 calls
(`sandbox/lambdas.py`): RequestResponse returns the payload (with `X-Amz-Function-Error: Unhandled`
when the function failed), `Event` queues it (202, retried as Lambda retries), an unknown function
is a 404 `ResourceNotFoundException`.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

from botocore.exceptions import ClientError

_installed = False
_runtime: Any = None


def activate(runtime: Any) -> None:
    """The `LambdaRuntime` that answers from now on (None: moto's own behaviour)."""
    global _runtime
    _runtime = runtime


def install() -> None:
    """Answer Invoke requests to moto's server from the active runtime (idempotent)."""
    global _installed
    if _installed:
        return
    from moto.awslambda.responses import LambdaResponse

    original = LambdaResponse.invoke

    def invoke(self: Any) -> tuple[int, dict[str, str], str | bytes]:
        runtime = _runtime
        if runtime is None:
            return original(self)
        function_name = unquote(self.path.rsplit("/", 2)[-2])
        event = json.loads(self.body or b"null")
        try:
            if self.headers.get("X-Amz-Invocation-Type") == "Event":
                runtime.invoke_async(function_name, event)
                return 202, {"status": "202"}, b""
            status, payload, function_error = runtime.invoke(function_name, event)
        except ClientError as error:
            code = error.response["Error"]["Code"]
            body = json.dumps({"Type": "User", "Message": error.response["Error"]["Message"]})
            return 404, {"status": "404", "x-amzn-errortype": code, "content-type": "application/json"}, body
        headers = {"status": str(status), "content-type": "application/json", "x-amz-executed-version": "$LATEST"}
        if function_error:
            headers["x-amz-function-error"] = function_error
        return status, headers, json.dumps(payload)

    LambdaResponse.invoke = invoke
    _installed = True
