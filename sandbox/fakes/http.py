"""Answers for HTTP Tasks (`arn:aws:states:::http:invoke`): the sandbox has no internet.

    sb.fakes.http.respond("GET", "https://api.example.com/orders", {"StatusCode": 200, "ResponseBody": {...}})
    sb.fakes.http.respond("POST", "https://api.example.com/", lambda request: {...})

The longest matching URL prefix for the method wins (`"*"` matches any method); a response is
a dict with `StatusCode` (default 200), `ResponseBody`, `Headers` and `StatusText`, or a
function of the request (`{"ApiEndpoint", "Method", "Headers", "QueryParameters",
"RequestBody", ...}`, the Task's arguments). Every request is kept in `requests`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sandbox.fakes import FakeContext
from sandbox.moto_fixes import http_task

Response = dict[str, Any] | Callable[[dict[str, Any]], dict[str, Any]]


@dataclass
class HttpFake:
    responders: dict[tuple[str, str], Response] = field(default_factory=dict)
    requests: list[dict[str, Any]] = field(default_factory=list)

    def register(self, events: Any, ctx: FakeContext) -> None:
        """Answer this process's HTTP Tasks (no botocore call is involved)."""
        http_task.set_endpoint(self)

    def respond(self, method: str, url_prefix: str, response: Response) -> None:
        """Answer `method` requests to URLs starting with `url_prefix` with `response`."""
        self.responders[(method.upper(), url_prefix)] = response

    def answer(self, request: dict[str, Any]) -> dict[str, Any] | None:
        self.requests.append(request)
        method, url = str(request.get("Method", "GET")).upper(), str(request.get("ApiEndpoint", ""))
        matches = [(len(prefix), response) for (wanted, prefix), response in self.responders.items()
                   if wanted in (method, "*") and url.startswith(prefix)]
        if not matches:
            return None
        response = max(matches, key=lambda match: match[0])[1]
        return response(request) if callable(response) else response
