"""`sandbox serve` under load: N requests from C concurrent clients over loopback, then an accounting.

    python -m benchmarks.serve_load                       # 2,000 requests from 50 clients
    python -m benchmarks.serve_load --requests 200 --clients 10 --deadline 120

Serves the suite's template on 127.0.0.1 (a free port) and sends a mix of its routes, each request
on a new connection (the worst case for the listen backlog):

- `POST /v1/requests`: an it-provisioning request below the approval threshold (each one distinct,
  so each starts its own Standard execution, which provisions a stack on the virtual clock);
- `GET /v1/requests/{id}`: the status of one of them (or of an unknown ID: 404);
- `POST /v1/applications`: an account application through the OpenAPI integration
  (StartSyncExecution: the answer waits for the Express execution);
- `GET /v1/approvals/{id}?code=...` with a wrong code (403) and `POST /v1/requests` with a body
  the request API refuses (400): answers that start nothing.

Reports requests/s, p50/p99 latency, connection resets, 5xx and other statuses; then lets the
sandbox settle and checks that every accepted request (202 from the request API; 201 or 422
from the application API) produced exactly one execution, and that each reached a terminal status.
Bounded: the clients stop at `--deadline` seconds, each request times out after `--timeout`.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import statistics
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sandbox.core import Sandbox, SandboxError
from sandbox.serve import serve

ROOT = Path(__file__).resolve().parent.parent
APPLICATIONS = ROOT / "events" / "account-application"
TERMINAL = {"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}
MIX = {"create_request": 3, "read_request": 3, "apply": 2, "wrong_code": 1, "refused": 1}
"""Relative weights of the routes in the load."""
RESETS = (ConnectionResetError, ConnectionRefusedError, BrokenPipeError, http.client.RemoteDisconnected)


@dataclass
class Outcome:
    kind: str
    status: int | None
    seconds: float
    key: str = ""
    """The request ID (create_request) or Idempotency-Key (apply) of an accepted request."""
    error: str = ""


@dataclass
class Load:
    """The requests to send, handed out to the clients one at a time."""

    total: int
    mix: dict[str, int]
    _next: Any = field(default_factory=itertools.count)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    created: list[str] = field(default_factory=list)

    def take(self) -> tuple[int, str] | None:
        with self._lock:
            index = next(self._next)
        if index >= self.total:
            return None
        kinds = [kind for kind, weight in self.mix.items() for _ in range(weight)]
        return index, kinds[index % len(kinds)]


def _request_body(index: int) -> dict[str, Any]:
    # Below AutoApproveBelowUsd: provisioned without an approver. A distinct name, a distinct request ID.
    return {"product": "sqs-queue", "parameters": {"queueName": f"load-{index}", "expectedMillionRequestsPerMonth": 1},
            "justification": "Load test of the sandbox's API server.", "requesterEmail": "load@example.com"}


def _application(index: int) -> dict[str, Any]:
    application = json.loads((APPLICATIONS / "approved.json").read_text())["application"]
    return {**application, "email": f"load-{index}@example.com"}


def _send(address: tuple[str, int], method: str, path: str, body: Any, headers: dict[str, str],
          timeout: float) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection(*address, timeout=timeout)
    try:
        raw = None if body is None else json.dumps(body).encode()
        connection.request(method, path, body=raw, headers={"Connection": "close", **headers})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def _one(address: tuple[str, int], load: Load, index: int, kind: str, timeout: float) -> Outcome:
    as_json = {"Content-Type": "application/json"}
    key = ""
    if kind == "create_request":
        call = ("POST", "/v1/requests", _request_body(index), as_json)
    elif kind == "read_request":
        known = load.created[index % len(load.created)] if load.created else "req-unknown"
        call = ("GET", f"/v1/requests/{known}", None, {})
    elif kind == "apply":
        key = f"load-{index}"
        call = ("POST", "/v1/applications", _application(index), {**as_json, "Idempotency-Key": key})
    elif kind == "wrong_code":
        call = ("GET", f"/v1/approvals/req-{index:024x}?code=wrong", None, {})
    else:
        call = ("POST", "/v1/requests", {"product": 42}, as_json)
    started = time.perf_counter()
    try:
        status, raw = _send(address, *call, timeout=timeout)
    except RESETS as error:
        return Outcome(kind, None, time.perf_counter() - started, error=f"reset: {type(error).__name__}")
    except OSError as error:  # TimeoutError included
        return Outcome(kind, None, time.perf_counter() - started, error=type(error).__name__)
    seconds = time.perf_counter() - started
    if kind == "create_request" and status == 202:
        key = json.loads(raw)["requestId"]
        load.created.append(key)
    elif kind == "create_request":
        key = ""
    if kind == "apply" and status not in (201, 422):
        key = ""  # refused before an execution (validator) or failed: not an accepted application
    return Outcome(kind, status, seconds, key)


def _client(address: tuple[str, int], load: Load, outcomes: list[Outcome], deadline: float, timeout: float) -> None:
    while time.monotonic() < deadline:
        job = load.take()
        if job is None:
            return
        outcomes.append(_one(address, load, *job, timeout=timeout))


def _accounting(sb: Sandbox, outcomes: list[Outcome], settle_timeout: float) -> dict[str, Any]:
    """Every accepted request: exactly one execution, terminal."""
    try:
        sb.settle(wall_timeout=settle_timeout, histories=False)
        settled = True
    except SandboxError:
        settled = False
    runs = sb.executions(histories=False)
    by_request = Counter(r.execution_arn.rsplit(":", 1)[-1] for r in runs if r.workflow == "it-provisioning")
    by_key = Counter((r.input or {}).get("idempotencyKey") for r in runs if r.workflow == "account-application")
    status_of = {r.execution_arn: r.status for r in runs}
    accepted_requests = {o.key for o in outcomes if o.kind == "create_request" and o.key}
    accepted_keys = {o.key for o in outcomes if o.kind == "apply" and o.key}
    statuses = Counter(f"{r.workflow} {r.status}" for r in runs)
    return {
        "settled": settled,
        "accepted": {"it-provisioning": len(accepted_requests), "account-application": len(accepted_keys)},
        "executions": dict(sorted(statuses.items())),
        "not_exactly_one_execution": sorted(
            [k for k in accepted_requests if by_request[k] != 1] + [k for k in accepted_keys if by_key[k] != 1]),
        "executions_without_an_accepted_request": sum(1 for k in by_request if k not in accepted_requests)
        + sum(1 for k in by_key if k not in accepted_keys),
        "not_terminal": sum(1 for status in status_of.values() if status not in TERMINAL),
    }


def bench(requests: int = 2000, clients: int = 50, *, deadline: float = 600, timeout: float = 60,
          settle_timeout: float = 300, mix: dict[str, int] | None = None) -> dict[str, Any]:
    report: dict[str, Any] = {}
    try:
        with Sandbox.from_template(ROOT / "template.yaml") as sb:
            sb.seed(APPLICATIONS / "objects.json")
            report = _load(sb, requests, clients, deadline=deadline, timeout=timeout, mix=mix or MIX)
            report["accounting"] = _accounting(sb, report.pop("outcomes"), settle_timeout)
    except Exception as error:  # stopping a sandbox whose executions crashed can fail: report it, keep the figures
        if "accounting" not in report:
            raise
        report["sandbox_stop_error"] = f"{type(error).__name__}: {error}"
    return report


def _load(sb: Sandbox, requests: int, clients: int, *, deadline: float, timeout: float,
          mix: dict[str, int]) -> dict[str, Any]:
    """Send the load through a server on 127.0.0.1 (a free port); the figures, and every outcome."""
    server, thread = serve(sb)
    try:
        load = Load(requests, mix)
        outcomes: list[Outcome] = []
        stop_at = time.monotonic() + deadline
        workers = [threading.Thread(target=_client, args=(server.server_address[:2], load, outcomes, stop_at, timeout),
                                    daemon=True) for _ in range(clients)]
        started = time.perf_counter()
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=max(0.0, stop_at - time.monotonic()) + timeout + 5)
        wall = time.perf_counter() - started
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
    outcomes = list(outcomes)
    latencies = sorted(o.seconds for o in outcomes if o.status is not None)
    statuses = Counter(str(o.status) for o in outcomes if o.status is not None)
    return {
        "requests": requests, "clients": clients, "sent": len(outcomes), "answered": len(latencies),
        "wall_s": round(wall, 2), "requests_per_s": round(len(latencies) / wall, 1) if wall else None,
        "latency_ms": {"p50": round(statistics.median(latencies) * 1000, 1) if latencies else None,
                       "p99": round(latencies[int(0.99 * (len(latencies) - 1))] * 1000, 1) if latencies else None},
        "statuses": dict(sorted(statuses.items())),
        "status_by_route": {kind: dict(sorted(Counter(str(o.status) for o in outcomes if o.kind == kind).items()))
                            for kind in mix},
        "resets": sum(1 for o in outcomes if o.error.startswith("reset")),
        "other_errors": dict(Counter(o.error for o in outcomes if o.error and not o.error.startswith("reset"))),
        "5xx": sum(n for status, n in statuses.items() if status.startswith("5")),
        "outcomes": outcomes,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--deadline", type=float, default=600, help="seconds after which clients stop sending")
    parser.add_argument("--timeout", type=float, default=60, help="seconds one request may take")
    parser.add_argument("--settle", type=float, default=300, help="seconds to let the executions finish")
    args = parser.parse_args()
    print(json.dumps(bench(args.requests, args.clients, deadline=args.deadline, timeout=args.timeout,
                           settle_timeout=args.settle), indent=2))


if __name__ == "__main__":
    main()
