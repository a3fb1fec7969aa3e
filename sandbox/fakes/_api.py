"""Plumbing shared by the fakes: answer a botocore operation without sending it.

botocore emits `before-parameter-build.<service>.<Op>` with the caller's API params
and later `before-call.<service>.<Op>`; a `before-call` handler that returns
`(http_response, parsed)` makes botocore skip the HTTP request (and so moto).
The serialized request is awkward to read back (Textract speaks CBOR, S3 XML), so
the raw API params are stashed in the per-request `context` dict, which both events
share. Errors are returned as a parsed error with an HTTP status >= 300, exactly as
botocore's parser would produce them, so botocore raises the *modeled* exception
class (`client.exceptions.InvalidS3ObjectException`), which callers catch.
"""

from __future__ import annotations

import copy
import uuid
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.awsrequest import AWSResponse

from sandbox.direct_json import plain_copy


class AwsError(Exception):
    """An error the real service returns: its code, message and HTTP status."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


@dataclass(frozen=True)
class Call:
    """One intercepted API call."""

    operation: str
    params: dict[str, Any]
    region: str | None
    """The client's region (ARNs built from it look like the real ones)."""


Handler = Callable[[Call], dict[str, Any] | None]
"""Returns the parsed response, raises AwsError, or returns None to let moto answer."""


class _NoBody:
    """Raw stream stand-in: some after-call handlers read `http_response.content`."""

    def stream(self, **_: Any) -> Any:
        return iter([b""])


def _metadata(status: int) -> dict[str, Any]:
    request_id = uuid.uuid4().hex.upper()[:16]
    return {
        "RequestId": request_id,
        "HTTPStatusCode": status,
        "HTTPHeaders": {"x-amzn-requestid": request_id},
        "RetryAttempts": 0,
    }


def respond(parsed: dict[str, Any], status: int = 200) -> tuple[AWSResponse, dict[str, Any]]:
    """What a `before-call` handler returns for a successful call."""
    parsed = dict(parsed)
    status = int(parsed.pop("_status", status))
    parsed["ResponseMetadata"] = _metadata(status)
    return AWSResponse("https://sandbox.invalid/", status, {}, _NoBody()), parsed


def respond_error(error: AwsError) -> tuple[AWSResponse, dict[str, Any]]:
    """What a `before-call` handler returns so botocore raises the modeled exception."""
    parsed = {
        "Error": {"Code": error.code, "Message": error.message},
        "Message": error.message,
        "ResponseMetadata": _metadata(error.status),
    }
    return AWSResponse("https://sandbox.invalid/", error.status, {}, _NoBody()), parsed


_answerers: weakref.WeakKeyDictionary[Any, dict[tuple[str, str], Callable[..., Any]]] = weakref.WeakKeyDictionary()
"""Per emitter, the `before-call` answer `intercept` registered for each (service, operation)."""


def answerer(events: Any, service: str, operation: str) -> Callable[..., Any] | None:
    """The `before-call` handler `intercept` registered on `events` for `service.operation`, if any: it answers
    from the parameters stashed in the request context (`sandbox.param_calls` calls it without the request)."""
    answerers = _answerers.get(events)
    return None if answerers is None else answerers.get((service, operation))


def intercept(events: Any, service: str, operation: str, handler: Handler) -> None:
    """Answer `service.operation` with `handler` on every client built from `events`' session.

    Clients copy the session's emitter when they are created: register before
    creating the clients that should see the fake.
    """
    stash_key = f"sandbox.fakes.params.{service}.{operation}"

    def stash(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        kept = plain_copy(params)  # plain data (what callers pass) copied without deepcopy's memo
        context[stash_key] = kept if kept is not None else copy.deepcopy(params)

    def answer(context: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        if stash_key not in context:
            return None
        call = Call(operation, context[stash_key], context.get("client_region"))
        try:
            result = handler(call)
        except AwsError as error:
            return respond_error(error)
        return None if result is None else respond(result)

    events.register(f"before-parameter-build.{service}.{operation}", stash)
    events.register(f"before-call.{service}.{operation}", answer)
    _answerers.setdefault(events, {})[(service, operation)] = answer
