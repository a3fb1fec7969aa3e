"""`sandbox serve` under bad input and abuse: every request gets an answer, a 4xx, never a 5xx.

The suite's own routes (a Lambda proxy with IAM, the approval page without auth, an OpenAPI AWS
integration with a validator) take what a careless or hostile client sends: bodies that are not
UTF-8 or nest 100,000 deep, lone surrogates, broken Content-Length, a body that never arrives,
control characters, 9 MB values, more connections than the server serves at once.
"""

from __future__ import annotations

import http.client
import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sandbox.core import Sandbox
from sandbox.serve import LISTEN_BACKLOG, exposure_warning, serve, terminal_safe

ROOT = Path(__file__).resolve().parents[2]
READ_TIMEOUT = 0.5
"""The server's read timeout here (10 s by default): how long a stalled client keeps its connection."""
DEEP = b"[" * 100_000 + b"]" * 100_000
REQUEST = {"product": "sqs-queue", "justification": "Buffer for the order ingestion service.",
           "parameters": {"queueName": "orders-ingest", "expectedMillionRequestsPerMonth": 50, "retentionDays": 7},
           "requesterEmail": "bob@example.com"}
APPLICATION = json.loads((ROOT / "events" / "account-application" / "approved.json").read_text())["application"]
JSON = {"Content-Type": "application/json"}


@pytest.fixture(scope="module")
def server() -> Iterator[Any]:
    with Sandbox.from_template(ROOT / "template.yaml") as sb:
        sb.seed(ROOT / "events" / "account-application" / "objects.json")
        api, thread = serve(sb, read_timeout=READ_TIMEOUT)
        try:
            yield api
        finally:
            api.shutdown()
            api.server_close()
            thread.join(timeout=5)


def exchange(server: Any, raw: bytes, sock: socket.socket | None = None) -> tuple[int, dict[str, str], bytes]:
    """Send `raw` bytes as they are and read the one answer."""
    sock = sock or socket.create_connection(server.server_address[:2], timeout=10)
    with sock:
        sock.sendall(raw)
        response = http.client.HTTPResponse(sock)
        response.begin()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()


def request(method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {len(body)}", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def with_surrogate(document: dict[str, Any], field: str) -> bytes:
    return json.dumps({**document, field: document[field] + "\ud800"}).encode()  # json escapes it as \ud800


BAD_REQUESTS: dict[str, tuple[bytes, int | None]] = {
    "lone surrogate, request API": (request("POST", "/v1/requests", with_surrogate(REQUEST, "justification"),
                                            JSON), 400),
    "lone surrogate, integration": (request("POST", "/v1/applications", with_surrogate(APPLICATION, "name"),
                                            {**JSON, "Idempotency-Key": "surrogate"}), 422),
    "lone surrogate, approval form": (request("POST", "/v1/approvals/req-1", b'{"code": "\\ud800", '
                                              b'"decision": "approve"}', JSON), 403),
    "invalid UTF-8, request API": (request("POST", "/v1/requests", b'{"product": "\xff"}', JSON), 400),
    "invalid UTF-8, integration": (request("POST", "/v1/applications", b'{"name": "\xff"}', JSON), 400),
    "invalid UTF-8, approval form": (request("POST", "/v1/approvals/req-1", b"code=\xff&decision=approve"), 400),
    "100k-deep JSON, request API": (request("POST", "/v1/requests", DEEP, JSON), 400),
    "deep JSON under the size limit": (request("POST", "/v1/requests", b"[" * 5000 + b"]" * 5000, JSON), 400),
    "100k-deep JSON, integration": (request("POST", "/v1/applications", DEEP, JSON), 400),
    "100k-deep JSON, approval form": (request("POST", "/v1/approvals/req-1", DEEP, JSON), 400),
    "NUL in a request ID": (request("GET", "/v1/requests/%00"), 404),
    "NUL in an approval ID": (request("GET", "/v1/approvals/%00?code=x"), 403),
    "escape sequence in a path": (request("GET", "/v1/requests/\x1b[2J\x1b[31mred"), 404),
    "text/plain to the request API": (request("POST", "/v1/requests", json.dumps(REQUEST).encode(),
                                              {"Content-Type": "text/plain"}), 415),
    "text/plain to the integration": (request("POST", "/v1/applications", json.dumps(APPLICATION).encode(),
                                              {"Content-Type": "text/plain"}), 415),
    "Content-Length abc": (b"POST /v1/requests HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n{}", 400),
    "Content-Length -5": (b"POST /v1/requests HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n{}", 400),
    "Content-Length 20 digits": (b"POST /v1/requests HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n", 400),
    "Content-Length over 10 MB": (b"POST /v1/requests HTTP/1.1\r\nContent-Length: 10485761\r\n\r\n{", 413),
    "over 10 MB, integration": (b"POST /v1/applications HTTP/1.1\r\nContent-Length: 10485761\r\n\r\n{", 413),
    "bad chunk size": (b"POST /v1/requests HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n", 400),
    "unknown method": (b"BREW /v1/requests HTTP/1.1\r\nHost: x\r\n\r\n", 403),
    "garbage request line": (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", 400),
    "header line over 64 KiB": (b"GET /v1/requests/x HTTP/1.1\r\nX-Big: " + b"a" * 70_000 + b"\r\n\r\n", 431),
}


@pytest.mark.parametrize("case", list(BAD_REQUESTS))
def test_bad_input_gets_a_4xx_never_a_5xx_or_silence(server, capsys, case):
    raw, expected = BAD_REQUESTS[case]
    status, headers, body = exchange(server, raw)
    assert 400 <= status < 500, (status, body[:200])
    assert status == expected, body[:200]
    if headers.get("content-type", "").startswith("application/json"):
        json.loads(body)
    assert "Traceback" not in capsys.readouterr().err


def test_a_chunked_body_is_read_like_any_other(server):
    body = json.dumps({**REQUEST, "product": "no-such-product"}).encode()
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in (body[:10], body[10:])) + b"0\r\n\r\n"
    raw = (b"POST /v1/requests HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Type: "
           b"application/json\r\nConnection: close\r\n\r\n" + chunked)
    status, _headers, answer = exchange(server, raw)
    assert status == 400 and "unknown product 'no-such-product'" in answer.decode()


def test_a_9_mb_value_gets_a_short_answer_that_does_not_repeat_it(server):
    huge = "x" * (9 * 1024 * 1024)
    for path, document in (("/v1/applications", {**APPLICATION, "name": huge}),
                           ("/v1/requests", {**REQUEST, "justification": huge})):
        status, _headers, body = exchange(server, request("POST", path, json.dumps(document).encode(), JSON))
        assert status == 400 and len(body) < 1024 and "x" * 100 not in body.decode(), path


def test_a_body_that_never_arrives_gets_a_408_after_the_read_timeout(server):
    raw = b"POST /v1/requests HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"product\": "
    status, headers, _body = exchange(server, raw)
    assert (status, headers["connection"]) == (408, "close")


def test_stalled_connections_cannot_take_every_thread(server):
    """More stalled clients than the server serves at once: the extra ones get 429 at once, the stalled ones
    are let go after the read timeout, and the server answers again."""
    busy, thread = serve(server.sandbox, read_timeout=READ_TIMEOUT, max_connections=4)  # no other client's slot
    address = busy.server_address[:2]
    stalled = [socket.create_connection(address, timeout=10) for _ in range(4)]
    try:
        for sock in stalled:
            sock.sendall(b"POST /v1/requests HTTP/1.1\r\nContent-Length: 50\r\n\r\n{")
        extra = [exchange(busy, request("GET", "/v1/requests/x")) for _ in range(3)]
        assert [status for status, _h, _b in extra] == [429, 429, 429]
        assert json.loads(extra[0][2]) == {"message": "Too Many Requests"}
        for sock in stalled:  # each is answered once its read timeout has passed, then let go
            response = http.client.HTTPResponse(sock)
            response.begin()
            assert (response.status, response.read(), sock.recv(1)) == (408, b'{"message": "Request Timeout"}', b"")
        assert exchange(busy, request("GET", "/v1/requests/req-none"))[0] == 404
    finally:
        for sock in stalled:
            sock.close()
        busy.shutdown()
        busy.server_close()
        thread.join(timeout=5)


def test_control_characters_never_reach_the_terminal_raw(server, capsys):
    server.quiet = False
    try:
        exchange(server, request("GET", "/v1/requests/\x1b]0;owned\x07\x1b[2J", headers={"User-Agent": "\x1b[31m"}))
    finally:
        server.quiet = True
    err = capsys.readouterr().err
    assert "/v1/requests/" in err and "\x1b" not in err and "\x07" not in err
    assert terminal_safe("line one\n\tline two \x1b[2J\x9b") == "line one\n\tline two \\x1b[2J\\x9b"


def test_the_listen_backlog_takes_a_burst():
    from sandbox.serve import ApiServer

    assert ApiServer.request_queue_size == LISTEN_BACKLOG >= 128


def test_listening_beyond_loopback_warns_that_authorisers_are_not_enforced(server):
    assert exposure_warning(server) is None  # 127.0.0.1
    exposed, thread = serve(server.sandbox, host="0.0.0.0")
    try:
        warning = exposure_warning(exposed)
    finally:
        exposed.shutdown()
        exposed.server_close()
        thread.join(timeout=5)
    assert warning is not None and "reachable from other machines" in warning
    assert "POST /v1/requests" in warning and "without authorisation" in warning
