"""A sandbox stays sound under concurrency, crashes and abrupt stops.

Every execution ends (a crash is a FAILED execution, never a RUNNING one forever), a sandbox
always releases what it holds when it stops, and nothing of one sandbox (a Lambda's thread, its
output) reaches the caller's console or the next sandbox.
"""

from __future__ import annotations

import json
import subprocess  # nosec B404
import sys
import threading
import time
from pathlib import Path
from typing import Any

import boto3
import pytest

from benchmarks import concurrency
from sandbox.core import TERMINAL, Sandbox, SandboxError

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = Path(__file__).parent / "fixture" / "template.yaml"
EVENTS = ROOT / "events"


@pytest.mark.slow
def test_a_hundred_jsonata_and_jsonpath_executions_at_once_all_end_as_they_do_alone() -> None:
    """Account applications (JSONata, StartSyncExecution) among JSONPath workflows, all started at once:
    each ends with a well-formed history and the states it visits alone; one more runs alone afterwards."""
    with Sandbox.from_template(ROOT / "template.yaml") as sb:
        concurrency.prepare(sb)
        expected = concurrency.references(sb)
        figures = concurrency.load_round(sb, 100, expected)
    assert figures["problems"] == []
    assert figures["not_terminal"] == 0
    assert figures["by_workflow"]["account-application"] == 20
    assert figures["executions"] == 100 + figures["by_workflow"]["glacier-restore-complete"]


START_AND_LEAVE = """
import json, sys
from sandbox.core import Sandbox
event = json.load(open(sys.argv[1]))
for _ in range(3):
    with Sandbox.from_template(sys.argv[2]) as sb:
        sb.start("it-provisioning", event)
print("stopped cleanly")
"""


@pytest.mark.slow
def test_a_sandbox_left_right_after_a_start_stops_cleanly_in_a_fresh_process() -> None:
    """Leaving the sandbox while the execution is still being started released nothing (AttributeError in
    StopExecution), so every later sandbox of the process failed with "another Sandbox is running"."""
    done = subprocess.run(  # nosec B603
        [
            sys.executable,
            "-c",
            START_AND_LEAVE,
            str(EVENTS / "it-provisioning" / "auto-approve.json"),
            str(ROOT / "template.yaml"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert (done.returncode, done.stdout.strip()) == (0, "stopped cleanly"), done.stderr[-2000:]
    assert "Traceback" not in done.stderr


def test_a_failure_while_stopping_still_releases_the_sandbox(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_abort(self: Sandbox, wall_timeout: float = 5) -> None:
        raise RuntimeError("stop failed")

    monkeypatch.setattr(Sandbox, "_abort_running", broken_abort)
    with pytest.raises(RuntimeError, match="stop failed"), Sandbox.from_template(FIXTURE) as sb:
        sb.start("edge", {"case": "callback"})
    monkeypatch.undo()
    with Sandbox.from_template(FIXTURE) as sb:  # not "another Sandbox is running"
        assert sb.run("flow", {"name": "Ada"}).succeeded


def test_a_default_session_a_leftover_thread_makes_never_replaces_the_next_sandboxs(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A thread of a sandbox that could not stop calls boto3.client as the next sandbox starts: boto3 built a plain
    default session and assigned it after the sandbox had installed its own, so the sandbox's functions were never
    reached (Lambda.ResourceNotFoundException). Restored sandboxes start fast enough to meet it often."""
    from sandbox import engine

    engine.install()
    building, installed = threading.Event(), threading.Event()
    session_class = boto3.Session

    def slow_session(*args: Any, **kwargs: Any) -> boto3.Session:
        if threading.current_thread() is leftover:
            building.set()
            installed.wait(10)
        return session_class(*args, **kwargs)

    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)  # as after a sandbox stopped
    monkeypatch.setattr(boto3, "Session", slow_session)
    leftover = threading.Thread(target=lambda: boto3.client("sqs", region_name="us-east-1"))
    leftover.start()
    assert building.wait(10)
    with Sandbox.from_template(FIXTURE) as sb:  # installs its session while the leftover thread builds one
        installed.set()
        leftover.join(10)
        assert sb.run("flow", {"name": "Ada"}).succeeded


def test_a_crashed_synchronous_execution_answers_at_once_with_states_runtime(monkeypatch: pytest.MonkeyPatch) -> None:
    """The caller of StartSyncExecution got no answer for 300 s when the execution's thread crashed."""
    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

    def crash(self: Any) -> Any:
        raise RuntimeError("interpreter crashed")

    with Sandbox.from_template(ROOT / "template.yaml") as sb:
        body = json.loads((EVENTS / "account-application" / "approved.json").read_text())
        arn = sb.workflow("account-application").arn
        monkeypatch.setattr(ExecutionWorker, "_get_evaluation_entrypoint", crash)
        answer = sb.sfn.start_sync_execution(stateMachineArn=arn, input=json.dumps(body))
        monkeypatch.undo()
        assert (answer["status"], answer["error"]) == ("FAILED", "States.Runtime")
        assert "interpreter crashed" in answer["cause"]
        run = sb.wait(answer["executionArn"])
        assert [e["type"] for e in run.history] == ["ExecutionStarted", "ExecutionFailed"]
        again = sb.sfn.start_sync_execution(stateMachineArn=arn, input=json.dumps(body))
        assert again["status"] == "SUCCEEDED"


def test_main_thread_output_never_lands_in_a_lambda_log_while_handlers_run(capsys: pytest.CaptureFixture) -> None:
    """Handlers' output was captured by swapping sys.stdout for the whole process: whatever the test (or the
    CLI) printed while a handler ran went into that function's log."""
    running, release = threading.Event(), threading.Event()
    with Sandbox.from_template(FIXTURE) as sb:
        function = sb.lambdas.functions["GreeterFunction"]
        function.initialise()
        handler = function._callable
        assert handler is not None

        def held_handler(event: Any, context: Any) -> Any:
            result = handler(event, context)
            running.set()
            release.wait(10)
            return result

        function._callable = held_handler
        arns = [sb.start("flow", {"name": f"n{i}"}) for i in range(5)]
        assert running.wait(10)
        for i in range(300):
            print(f"main-thread line {i}")
        release.set()
        runs = [sb.wait(arn) for arn in arns]
        log = "".join(function.log)
    assert all(run.succeeded for run in runs)
    assert "main-thread line" not in log
    assert log.count("greeting request") == 5
    printed = capsys.readouterr().out
    assert printed.count("main-thread line") == 300
    assert "greeting request" not in printed


def test_asynchronous_lambda_runs_do_not_outlive_their_sandbox(monkeypatch: pytest.MonkeyPatch) -> None:
    """An Event invocation ran on a thread nobody owned: it went on into the next sandbox."""
    release, entered = threading.Event(), threading.Event()
    with Sandbox.from_template(FIXTURE) as sb:
        function = sb.lambdas.functions["GreeterFunction"]
        invoke = function.invoke

        def slow_invoke(event: Any) -> Any:
            entered.set()
            release.wait(10)
            return invoke(event)

        monkeypatch.setattr(function, "invoke", slow_invoke)
        sb.lambdas.invoke_async(function.name, {"name": "late"})
        assert entered.wait(10)
        threads = [t for t in threading.enumerate() if t.name.startswith("sandbox-lambda-")]
        assert threads
        release.set()
    assert [t for t in threads if t.is_alive()] == []
    assert function.invocations == 1
    sb.lambdas.invoke_async(function.name, {"name": "after"})  # a stopped runtime starts nothing
    assert function.invocations == 1


def test_a_callback_is_not_timed_out_while_its_token_is_still_being_handed_out(monkeypatch: pytest.MonkeyPatch) -> None:
    """answer_callbacks moved the clock to the task's 24-hour timeout while the waitForTaskToken Lambda was
    still sending the approval notice: the request expired before the approver was told."""
    with Sandbox.from_template(ROOT / "template.yaml") as sb:
        body = json.loads((EVENTS / "it-provisioning" / "needs-approval.json").read_text())
        functions = sb.lambdas.functions.values()
        function = next(f for f in functions if f.logical_id == "ItProvisioningIssueApprovalFunction")
        invoke, waiting_tokens = function.invoke, Sandbox._waiting_task_tokens
        issuing, polled, polls, seen = threading.Event(), threading.Event(), [], []

        def counted(self: Sandbox, arn: str) -> list[str]:
            if issuing.is_set():
                polls.append(arn)
                if len(polls) >= 20:
                    polled.set()
            return waiting_tokens(self, arn)

        def slow_issue(event: Any) -> Any:
            if not issuing.is_set():  # the first notice: answer_callbacks looks many times while it is sent
                seen.append(sb.clock.time())
                issuing.set()
                polled.wait(10)
                seen.append(sb.clock.time())
            return invoke(event)

        monkeypatch.setattr(Sandbox, "_waiting_task_tokens", counted)
        monkeypatch.setattr(function, "invoke", slow_issue)
        run = sb.answer_callbacks(sb.start("it-provisioning", body))
        polled.set()
        # Both readings taken, and equal: the clock did not move (nor the execution end) while the notice went out.
        assert seen == [seen[0], seen[0]]
        assert "TaskTimedOut" in [e["type"] for e in run.history]  # then, unanswered, the timeout came
        assert run.status in TERMINAL


def test_settle_names_the_execution_and_the_callback_it_waits_for() -> None:
    with Sandbox.from_template(FIXTURE) as sb:
        arn = sb.start("edge", {"case": "callback"})
        deadline = time.monotonic() + 10
        while not sb._waiting_task_tokens(arn) and time.monotonic() < deadline:
            time.sleep(0.005)
        with pytest.raises(SandboxError) as raised:
            sb.settle(wall_timeout=0.1)
    message = str(raised.value)
    assert f"edge {arn.rsplit(':', 1)[1]} in WaitForApproval, waiting on 1 task token nobody answered" in message
    assert "SendTaskSuccess" in message


def test_approval_that_is_not_json_is_refused_before_the_execution_starts(
    capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--approve '{bad'` started the execution, then failed while stopping it: an 87-line traceback."""
    from sandbox.cli import main

    started: list[str] = []
    start = Sandbox.start
    monkeypatch.setattr(
        Sandbox, "start", lambda self, slug, *a, **k: started.append(slug) or start(self, slug, *a, **k)
    )
    event = EVENTS / "it-provisioning" / "needs-approval.json"
    code = main(
        [
            "--template",
            str(ROOT / "template.yaml"),
            "run",
            "it-provisioning",
            "--event",
            str(event),
            "--approve",
            "{bad",
        ]
    )
    err = capsys.readouterr().err
    assert (code, started) == (2, [])
    assert err.startswith("sandbox: --approve takes JSON:") and err.count("\n") == 1
