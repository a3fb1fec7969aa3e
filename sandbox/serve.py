"""`sandbox serve`: the template's REST API events, served on 127.0.0.1 through the in-process handlers.

Every `AWS::Serverless::Function` event of Type `Api` becomes a route (method + path, `{name}`
and `{proxy+}` path parameters). A request is translated into the API Gateway REST proxy event
(payload format 1.0: resource, path, httpMethod, headers, multiValueHeaders,
queryStringParameters, multiValueQueryStringParameters, pathParameters, stageVariables, body,
isBase64Encoded, requestContext) and the handler's proxy response back into HTTP, as
`sam local start-api` does, but with the sandbox's moto backends, virtual clock and state
machines behind the handlers.

    server, thread = serve(sb)                       # port 0: any free port
    urllib.request.urlopen(server.url + "/requests/abc")
    server.localize(text)                            # deployed API URLs in `text` -> local ones
    server.shutdown()

Paths are served with or without the stage prefix (`/v1/approvals/x` and `/approvals/x`), so a
link the workflow built for the deployed API works once its origin is swapped (`localize`).

Offline, authorisers are NOT enforced:
  * `AWS_IAM`: no SigV4 check. `requestContext.identity` carries the caller the server was started
    with (`caller=`, default the sandbox user ARN below), or the `X-Sandbox-Caller` header's ARN.
  * Cognito and Lambda authorisers: not called; `requestContext.authorizer` is empty.
  * `NONE`: no identity, as API Gateway does for unauthenticated routes.
Served on another address than loopback (`--host 0.0.0.0`), anyone who reaches the port acts as
that caller: `serve` warns on stderr, since the user asked for it explicitly.
Events of Type `HttpApi` (payload format 2.0) are not served; the banner lists them as skipped.
API Gateway features around the proxy (usage plans, throttling, binary media types, CORS
preflights) are not emulated.

REST APIs written as plain CloudFormation (`AWS::ApiGateway::RestApi`, `Resource`, `Method`) are
served too: AWS_PROXY methods to a function as above, AWS integrations as below
(`sandbox.apigateway.resources`).

REST APIs defined by an OpenAPI `DefinitionBody` are served too for their AWS service integrations
(`x-amazon-apigateway-integration` of `type: aws`, e.g. `states:action/StartSyncExecution`, no
Lambda in front): request validator (JSON schema model), gateway responses, and VTL request and
response templates rendered by a real Velocity engine, through `sandbox.apigateway`.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import re
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlsplit

from sandbox.apigateway import integration
from sandbox.apigateway.openapi import IntegrationRoute, integration_routes, match_route
from sandbox.apigateway.resources import method_routes
from sandbox.serve_command import DEFAULT_CALLER
from sandbox.serving_thread import serve_in_thread
from sandbox.session import shared_client

if TYPE_CHECKING:
    from sandbox.core import Sandbox

CALLER_HEADER = "X-Sandbox-Caller"
IMPLICIT_API = "ServerlessRestApi"
IMPLICIT_STAGE = "Prod"
_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")


@dataclass(frozen=True)
class Route:
    """One Api event of one function."""

    function: str
    """Logical ID of the function."""
    event: str
    method: str
    """Upper case; ANY matches every method."""
    resource: str
    """The path template, e.g. /approvals/{requestId}."""
    api: str
    """Logical ID of the AWS::Serverless::Api (ServerlessRestApi for the implicit API)."""
    stage: str
    auth: str
    """AWS_IAM, NONE, or the name of a Cognito/Lambda authoriser (not enforced offline)."""
    pattern: re.Pattern[str] = field(compare=False, repr=False)
    params: tuple[str, ...] = ()

    def match(self, method: str, path: str) -> dict[str, str] | None:
        return match_route(self.method, self.pattern, method, path)

    @property
    def specificity(self) -> tuple[int, int]:
        """Static routes before parameterised ones, greedy ones last (API Gateway's order)."""
        return ("+}" in self.resource, len(self.params))


def _compile(resource: str) -> tuple[re.Pattern[str], tuple[str, ...]]:
    names: list[str] = []
    regex = ""
    for part in re.split(r"(\{[^}]+\})", resource):
        if part.startswith("{") and part.endswith("}"):
            name = part[1:-1]
            greedy = name.endswith("+")
            name = name.rstrip("+")
            names.append(name)
            regex += f"(?P<{name}>.+)" if greedy else f"(?P<{name}>[^/]+)"
        else:
            regex += re.escape(part)
    return re.compile(regex), tuple(names)


@dataclass
class Skipped:
    function: str
    event: str
    reason: str


def api_routes(stack: Any) -> tuple[list[Route], list[Skipped]]:
    """The routes of a sandbox `Stack` (`sb.stack`), most specific first, and the events not served."""
    routes: list[Route] = []
    skipped: list[Skipped] = []
    globals_api = stack.template.get("Globals", {}).get("Api", {}) or {}
    for function in stack.of_type("AWS::Serverless::Function"):
        for event_id, event in (function.properties.get("Events") or {}).items():
            kind = event.get("Type")
            if kind == "HttpApi":
                skipped.append(Skipped(function.logical_id, event_id, "HttpApi (payload 2.0) is not served"))
                continue
            if kind != "Api":
                continue
            props = event.get("Properties", {})
            api_ref = props.get("RestApiId")
            api_id = api_ref.get("Ref") if isinstance(api_ref, dict) else api_ref
            api_props = {**globals_api, **(stack.resources[api_id].properties if api_id in stack.resources else {})}
            stage = str(stack.resolve(api_props.get("StageName", IMPLICIT_STAGE)))
            default_auth = (api_props.get("Auth") or {}).get("DefaultAuthorizer", "NONE")
            auth = (props.get("Auth") or {}).get("Authorizer", default_auth)
            pattern, params = _compile(props["Path"])
            method = str(props.get("Method", "ANY")).upper()
            routes.append(Route(function.logical_id, event_id, "ANY" if method == "ANY" else method, props["Path"],
                                api_id or IMPLICIT_API, stage, str(auth), pattern, params))
    for proxy in method_routes(stack)[0]:  # plain CloudFormation: AWS::ApiGateway::Method, AWS_PROXY
        pattern, params = _compile(proxy.resource)
        routes.append(Route(proxy.function, proxy.method_id, proxy.method, proxy.resource, proxy.api, proxy.stage,
                            proxy.auth, pattern, params))
    return sorted(routes, key=lambda r: r.specificity), skipped


# -- HTTP <-> proxy event ------------------------------------------------------------------------


def proxy_event(route: Route, path_params: dict[str, str], *, method: str, path: str, query: str,
                headers: list[tuple[str, str]], body: bytes, source_ip: str, caller: str | None,
                api_id: str, account_id: str, domain: str, now: float) -> dict[str, Any]:
    """The REST API proxy event (payload 1.0) API Gateway would send for this request."""
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for name, value in headers:
        single[name] = value  # API Gateway keeps the last value of a repeated header
        multi.setdefault(name, []).append(value)
    query_multi = parse_qs(query, keep_blank_values=True) if query else {}
    text: str | None
    encoded = False
    if not body:
        text = None
    else:
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            text, encoded = base64.b64encode(body).decode(), True
    user_agent = single.get("User-Agent") or next((v for k, v in single.items() if k.lower() == "user-agent"), None)
    identity: dict[str, Any] = {
        "cognitoIdentityPoolId": None, "accountId": None, "cognitoIdentityId": None, "caller": None,
        "accessKey": None, "sourceIp": source_ip, "cognitoAuthenticationType": None,
        "cognitoAuthenticationProvider": None, "userArn": None, "userAgent": user_agent, "user": None,
    }
    if route.auth == "AWS_IAM" and caller:
        principal = caller.rsplit("/", 1)[-1]
        identity.update({"accountId": caller.split(":")[4] if caller.count(":") >= 5 else account_id,
                         "caller": principal, "user": principal, "userArn": caller, "accessKey": "ASIASANDBOX"})
    request_id = str(uuid.uuid4())
    return {
        "resource": route.resource,
        "path": path,
        "httpMethod": method,
        "headers": single or None,
        "multiValueHeaders": multi or None,
        "queryStringParameters": {k: v[-1] for k, v in query_multi.items()} or None,
        "multiValueQueryStringParameters": query_multi or None,
        "pathParameters": path_params or None,
        "stageVariables": None,
        "body": text,
        "isBase64Encoded": encoded,
        "requestContext": {
            "accountId": account_id,
            "apiId": api_id,
            "resourceId": uuid.uuid5(uuid.NAMESPACE_URL, route.resource).hex[:6],
            "stage": route.stage,
            "requestId": request_id,
            "extendedRequestId": request_id,
            "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "requestTimeEpoch": int(now * 1000),
            "identity": identity,
            "authorizer": {} if route.auth not in ("NONE", "AWS_IAM") else None,
            "path": f"/{route.stage}{path}",
            "resourcePath": route.resource,
            "httpMethod": method,
            "protocol": "HTTP/1.1",
            "domainName": domain,
        },
    }


_HttpAnswer = tuple[int, list[tuple[str, str]], bytes]


def http_response(payload: Any) -> _HttpAnswer:
    """A Lambda proxy response as (status, headers, body); 502 for a malformed one, as API Gateway does."""
    if not isinstance(payload, dict) or not isinstance(payload.get("statusCode"), int):
        return _bad_gateway()
    headers: list[tuple[str, str]] = []
    for name, value in (payload.get("headers") or {}).items():
        headers.append((name, str(value)))
    for name, values in (payload.get("multiValueHeaders") or {}).items():
        headers += [(name, str(v)) for v in values if (name, str(v)) not in headers]
    body = payload.get("body")
    if body is None:
        raw = b""
    elif payload.get("isBase64Encoded"):
        try:
            raw = base64.b64decode(body)
        except (ValueError, TypeError):
            return _bad_gateway()
    else:
        raw = integration.wire_bytes(str(body))
    if not any(name.lower() == "content-type" for name, _ in headers):
        headers.append(("Content-Type", "application/json"))
    return payload["statusCode"], headers, raw


def _bad_gateway() -> _HttpAnswer:
    return 502, [("Content-Type", "application/json")], b'{"message": "Internal server error"}'


def _json(status: int, message: str) -> _HttpAnswer:
    return status, [("Content-Type", "application/json")], json.dumps({"message": message}).encode()


# -- the server -------------------------------------------------------------------------------------

LISTEN_BACKLOG = 128
"""Connections the kernel queues before `accept` (the default of 5 resets clients under a burst)."""
MAX_CONNECTIONS = 128
"""Connections served at once, one thread each; more get API Gateway's throttling answer, 429."""
READ_TIMEOUT_SECONDS = 10.0
"""A client silent this long mid-request gets 408 and is disconnected, so a stalled one frees its thread."""
MAX_PAYLOAD_BYTES = integration.MAX_PAYLOAD_BYTES
"""API Gateway's payload limit (10 MB): a longer body is refused with 413 before it is read."""
_CONTENT_LENGTH = re.compile(r"[0-9]{1,19}")
_CHUNK_SIZE = re.compile(rb"[0-9A-Fa-f]{1,16}")
_CONTROL_CHARACTERS = str.maketrans({c: f"\\x{c:02x}" for c in [*range(0x20), *range(0x7F, 0xA0)]
                                     if chr(c) not in "\n\t"})


def terminal_safe(text: str) -> str:
    """`text` with control characters escaped (\\x1b...): what a client sent must not drive the terminal."""
    return text.translate(_CONTROL_CHARACTERS)


class ApiServer(ThreadingHTTPServer):
    """Serves the sandbox's API routes; `url` is its base URL (http://127.0.0.1:<port>)."""

    daemon_threads = True
    request_queue_size = LISTEN_BACKLOG
    server_address: tuple[str, int]

    def __init__(self, sandbox: Sandbox, host: str, port: int, caller: str | None, quiet: bool = True, *,
                 read_timeout: float = READ_TIMEOUT_SECONDS, max_connections: int = MAX_CONNECTIONS) -> None:
        self.sandbox = sandbox
        self.routes, self.skipped = api_routes(sandbox.stack)
        self.caller = caller
        self.quiet = quiet
        self.read_timeout = read_timeout
        self.integrations, self.integrations_skipped = integration_routes(sandbox.stack)
        _proxies, method_integrations, methods_skipped = method_routes(sandbox.stack)
        self.integrations = sorted(self.integrations + method_integrations, key=lambda r: r.specificity)
        self.integrations_skipped += methods_skipped
        self.stages = {r.stage for r in self.routes} | {r.stage for r in self.integrations}
        self._slots = threading.BoundedSemaphore(max_connections)
        super().__init__((host, port), _Handler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def api_url(self, api: str) -> str:
        """The URL the deployed API would have, as the template's own `!Sub` builds it offline."""
        stack = self.sandbox.stack
        ref = stack.resources[api].ref if api in stack.resources else api
        return f"https://{ref}.execute-api.{stack.region}.amazonaws.com"

    def localize(self, text: str) -> str:
        """Replace every deployed API origin in `text` by this server's (links in notifications)."""
        for api in {r.api for r in self.routes} | {r.api for r in self.integrations}:
            text = text.replace(self.api_url(api), self.url)
        return text

    # Connections: at most MAX_CONNECTIONS threads; a thread's slot is freed when its connection ends.

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(blocking=False):
            _refuse_busy(request)
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        # ThreadingMixIn's, with the slot freed before the connection closes: a client that saw it close can
        # connect again at once.
        try:
            self.finish_request(request, client_address)
        except Exception:
            self.handle_error(request, client_address)
        finally:
            self._slots.release()
            self.shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away is no error of the server's; anything else is one line, no traceback."""
        error = sys.exc_info()[1]
        if isinstance(error, (ConnectionError, TimeoutError)):
            return
        print(terminal_safe(f"sandbox serve: {type(error).__name__}: {error}"), file=sys.stderr)

    # Requests.

    def _route_for(self, method: str, path: str) -> tuple[Route | IntegrationRoute, dict[str, str], str] | None:
        """The route taking this request, its path parameters and the path without the stage prefix."""
        first = path.split("/")[1] if path.count("/") >= 2 else None
        candidates = [path] + ([path[len(first) + 1:]] if first in self.stages else [])
        routes: list[Route | IntegrationRoute] = [*self.integrations, *self.routes]
        for candidate in candidates:
            for route in routes:
                params = route.match(method, candidate)
                if params is not None and (candidate == path or route.stage == first):
                    return route, params, candidate
        return None

    def handle_request_for(self, method: str, target: str, headers: list[tuple[str, str]], body: bytes,
                           source_ip: str, *, too_large: bool = False) -> _HttpAnswer:
        """The answer to one request; `too_large`: its body was over API Gateway's payload limit, not read."""
        parts = urlsplit(target)
        found = self._route_for(method, unquote(parts.path) or "/")
        if found is None:
            return _json(403, "Missing Authentication Token")
        route, params, path = found
        if isinstance(route, IntegrationRoute):
            return self._integrate(route, params, method, path, parts.query, headers, body, source_ip, too_large)
        if too_large:
            return _json(413, integration.GATEWAY_DEFAULTS["REQUEST_TOO_LARGE"][1])
        return self._invoke(route, params, method, path, parts.query, headers, body, source_ip)

    def _invoke(self, route: Route, params: dict[str, str], method: str, path: str, query: str,
                headers: list[tuple[str, str]], body: bytes, source_ip: str) -> _HttpAnswer:
        sb = self.sandbox
        caller = next((v for k, v in headers if k.lower() == CALLER_HEADER.lower()), None) or self.caller
        host = next((v for k, v in headers if k.lower() == "host"), f"{self.server_address[0]}")
        api_id = sb.stack.resources[route.api].ref if route.api in sb.stack.resources else route.api
        event = proxy_event(route, params, method=method, path=path, query=query,
                            headers=[(k, v) for k, v in headers if k.lower() != CALLER_HEADER.lower()],
                            body=body, source_ip=source_ip, caller=caller, api_id=api_id,
                            account_id=sb.account_id, domain=host, now=sb.clock.time())
        assert sb.lambdas is not None  # served from a started sandbox
        function = sb.lambdas.functions[route.function]
        _status, payload, error = sb.lambdas.invoke(function.name, event)
        if error:
            if not self.quiet:
                print(terminal_safe(f"sandbox serve: {route.function} raised {payload.get('errorType')}: "
                                    f"{payload.get('errorMessage')}"), file=sys.stderr)
            return _bad_gateway()
        return http_response(payload)

    def _integrate(self, route: IntegrationRoute, params: dict[str, str], method: str, path: str, query: str,
                   headers: list[tuple[str, str]], body: bytes, source_ip: str, too_large: bool) -> _HttpAnswer:
        """An AWS service integration (OpenAPI DefinitionBody): see `sandbox.apigateway.integration`."""
        sb = self.sandbox
        request = integration.Request(method, path, params, {k: v[-1] for k, v in parse_qs(query).items()},
                                      headers, body, source_ip, too_large)
        api_id = sb.stack.resources[route.api].ref if route.api in sb.stack.resources else route.api
        return integration.handle(route, request, api_id=api_id, account_id=sb.account_id, region=sb.region,
                                  now=sb.clock.time(), client_for=lambda service: shared_client(sb.region, service))


def _refuse_busy(request: Any) -> None:
    """429 on a connection no thread is left for, written by the accepting thread (it never blocks it)."""
    body = b'{"message":"Too Many Requests"}'
    head = (f"HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
    try:
        request.settimeout(1.0)
        request.sendall(head + body)
    except OSError:
        pass


class _BadRequest(Exception):
    """The request cannot be read: answered with this status and message, then the connection is closed."""

    def __init__(self, answer: _HttpAnswer) -> None:
        super().__init__(answer[0])
        self.answer = answer


class _Handler(BaseHTTPRequestHandler):
    server: ApiServer
    protocol_version = "HTTP/1.1"
    # A request line too broken to name its version is answered with a status line (HTTP/0.9 has none).
    default_request_version = "HTTP/1.1"

    def setup(self) -> None:
        # The socket timeout of every read and write on this connection (a class attribute in the standard library).
        self.timeout = self.server.read_timeout  # type: ignore[misc]
        super().setup()

    def _handle(self) -> None:
        try:
            body = self._body()
        except _BadRequest as refused:
            self.close_connection = True  # what is left of the body must not be read as the next request
            self._answer(*refused.answer)
            return
        if body is None:
            self.close_connection = True  # the unread body must not be read as the next request
        try:
            answer = self.server.handle_request_for(self.command, self.path, list(self.headers.items()), body or b"",
                                                    self.client_address[0], too_large=body is None)
        except Exception as error:  # the server must answer, whatever happened
            print(terminal_safe(f"sandbox serve: {type(error).__name__}: {error}"), file=sys.stderr)
            answer = _bad_gateway()
        self._answer(*answer)
        if body is None:
            self._discard_body()

    def _discard_body(self) -> None:
        """Read and drop what the client still sends of a refused body (for one read timeout at most), so that
        a client writing all of it before reading gets the answer rather than a reset connection."""
        self.wfile.flush()
        deadline = time.monotonic() + self.server.read_timeout
        try:
            while time.monotonic() < deadline and self.rfile.read1(65536):
                pass
        except OSError:
            pass

    def _body(self) -> bytes | None:
        """The request body (Content-Length or chunked) read within the timeout; None: over API Gateway's 10 MB,
        left unread."""
        try:
            if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
                return self._chunked_body()
            declared = (self.headers.get("Content-Length") or "0").strip()
            if not _CONTENT_LENGTH.fullmatch(declared):
                raise _BadRequest(_json(400, "Invalid Content-Length header"))
            length = int(declared)
            if length > MAX_PAYLOAD_BYTES:
                return None
            body = self.rfile.read(length) if length else b""
        except TimeoutError:
            raise _BadRequest(_json(408, "Request Timeout")) from None
        if len(body) < length:  # the client closed the connection before sending what it declared
            raise _BadRequest(_json(400, "Request body shorter than its Content-Length"))
        return body

    def _chunked_body(self) -> bytes | None:
        body = bytearray()
        while True:
            size_line = self.rfile.readline(1024).split(b";")[0].strip()
            if not _CHUNK_SIZE.fullmatch(size_line):
                raise _BadRequest(_json(400, "Invalid chunked request body"))
            size = int(size_line, 16)
            if size == 0:
                while self.rfile.readline(65537).strip():  # trailer fields, ignored
                    pass
                return bytes(body)
            if len(body) + size > MAX_PAYLOAD_BYTES:
                return None
            chunk = self.rfile.read(size)
            if len(chunk) < size or self.rfile.readline(3).strip():
                raise _BadRequest(_json(400, "Invalid chunked request body"))
            body += chunk

    def _answer(self, status: int, headers: list[tuple[str, str]], raw: bytes) -> None:
        self.send_response(status)
        for name, value in headers:
            if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(raw)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(raw)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """The HTTP layer's own refusals (bad request line, header too long...) as JSON, like API Gateway's."""
        self.close_connection = True
        text = message or self.responses.get(code, ("Error",))[0]
        self._answer(code, [("Content-Type", "application/json")], json.dumps({"message": text}).encode())

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle

    def __getattr__(self, name: str) -> Any:
        # Any other method (FOO, TRACE...) reaches the routes too: none takes it, so it is API Gateway's
        # 403 "Missing Authentication Token" rather than http.server's 501.
        if name.startswith("do_"):
            return self._handle
        raise AttributeError(name)

    def log_message(self, format: str, *args: Any) -> None:
        if not self.server.quiet:
            super().log_message(format, *args)  # escapes control characters itself


def serve(sandbox: Any, host: str = "127.0.0.1", port: int = 0, *, caller: str | None = DEFAULT_CALLER,
          quiet: bool = True, read_timeout: float = READ_TIMEOUT_SECONDS,
          max_connections: int = MAX_CONNECTIONS) -> tuple[ApiServer, threading.Thread]:
    """Start serving the sandbox's API routes in a daemon thread; stop with `server.shutdown()`."""
    server = ApiServer(sandbox, host, port, caller, quiet, read_timeout=read_timeout, max_connections=max_connections)
    return server, serve_in_thread(server, "sandbox-serve")


def banner(server: ApiServer) -> str:
    lines = [f"Serving the template's API routes on {server.url} (Ctrl-C to stop)"]
    for route in server.routes:
        auth = {"AWS_IAM": f"IAM NOT ENFORCED offline, caller {server.caller}", "NONE": "no auth"}.get(
            route.auth, f"authoriser {route.auth} NOT ENFORCED offline")
        lines.append(f"  {route.method:7} {server.url}/{route.stage}{route.resource}  -> {route.function}  [{auth}]")
    for target in server.integrations:
        service, action = target.action
        lines.append(f"  {target.method:7} {server.url}/{target.stage}{target.resource}"
                     f"  -> {service}:{action} ({target.api}, AWS integration, VTL templates)")
    lines += [f"  skipped {s.function}.{s.event}: {s.reason}" for s in server.skipped]
    lines += [f"  skipped {reason}" for reason in server.integrations_skipped]
    if not server.routes and not server.integrations:
        lines.append("  (the template has no Api events)")
    lines.append(f"Authorisers are not enforced offline; send {CALLER_HEADER}: <IAM ARN> to act as another caller.")
    return "\n".join(lines)


def exposure_warning(server: ApiServer) -> str | None:
    """The warning for a server reachable from other machines (authorisers are not enforced), else None."""
    try:
        loopback = ipaddress.ip_address(server.server_address[0]).is_loopback
    except ValueError:
        loopback = False
    if loopback:
        return None
    guarded = sorted({f"{r.method} /{r.stage}{r.resource}" for r in server.routes if r.auth != "NONE"})
    what = f"{len(guarded)} route(s) with an authoriser ({', '.join(guarded[:3])}{', ...' if len(guarded) > 3 else ''})"
    return (f"sandbox serve: WARNING: listening on {server.server_address[0]}, reachable from other machines; "
            f"{what} answer without authorisation, every caller acting as {server.caller}. "
            "Use --host 127.0.0.1 unless that is what you want.")
