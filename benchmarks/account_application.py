"""Account application offline: one application with N interests, published as N events.

    python -m benchmarks --account-application 1000

Runs the approved sample with N distinct interests through StartSyncExecution (as the API does):
identity, address and duplicate checks, the account, N/10 PutEvents batches, the notification and
the stored result. Reports the wall time, the events published, the state transitions and the
Lambda invocations of the execution.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from sandbox.core import Sandbox
from sandbox.cost import usage
from sandbox.session import shared_client

ROOT = Path(__file__).resolve().parent.parent
EVENTS = ROOT / "events" / "account-application"


def bench(n: int = 1000, *, direct_calls: bool | None = None) -> dict[str, Any]:
    body = json.loads((EVENTS / "approved.json").read_text())
    body["application"]["interests"] = [f"interest-{i:04}" for i in range(n)]
    with Sandbox.from_template(ROOT / "template.yaml", direct_calls=direct_calls) as sb:
        machine = sb.workflow("account-application")
        sfn = shared_client(sb.region, "stepfunctions")
        lambdas_before = sum(f.invocations for f in sb.lambdas.functions.values())
        started = time.perf_counter()
        answer = sfn.start_sync_execution(stateMachineArn=machine.arn, input=json.dumps(body))
        wall = time.perf_counter() - started
        run = sb.wait(answer["executionArn"])
        published = len(sb.published("SuiteEventBus", "AccountInterestRegistered"))
        lambdas = sum(f.invocations for f in sb.lambdas.functions.values()) - lambdas_before
        transitions = usage(run, sb, assumed_lambda_ms=100).state_transitions
    return {"interests": n, "status": answer["status"], "events_published": published,
            "state_transitions": transitions, "lambda_invocations": lambdas, "wall_s": round(wall, 2)}
