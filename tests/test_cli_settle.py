"""The CLI waits as long as the work moves, shows progress on long runs, and names what a hung run waits on."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from sandbox import progress
from sandbox.cli import EXIT_FAILED, EXIT_USAGE, main
from sandbox.core import Sandbox, SandboxError
from sandbox.progress import Patience, ProgressLine, Snapshot

FIXTURE = Path(__file__).parent / "sandbox" / "fixture" / "template.yaml"


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _snap(done: int = 3, total: int = 10, running: int = 1, ended: int = 0, events: int = 5) -> Snapshot:
    return Snapshot(running=running, ended=ended, events=events, items_done=done, items_total=total,
                    virtual_time=0.0, service_calls=0)


def test_a_short_run_shows_no_progress() -> None:
    clock, stream = _Clock(), _Terminal()
    line = ProgressLine(stream, clock=clock)
    clock.now += progress.SHOW_AFTER_SECONDS - 0.5
    line.update(_snap())
    line.close()
    assert stream.getvalue() == ""


def test_on_a_terminal_one_line_is_rewritten_in_place_then_wiped() -> None:
    clock, stream = _Clock(), _Terminal()
    line = ProgressLine(stream, clock=clock)
    clock.now += 3
    line.update(_snap(done=3))
    clock.now += 1
    line.update(_snap(done=7, ended=2))
    assert stream.getvalue() == (
        "\rsandbox: 3/10 items (30%), 1 running, 0 ended, 5 events [3 s]"
        "\rsandbox: 7/10 items (70%), 1 running, 2 ended, 5 events [4 s]")
    width = len("sandbox: 7/10 items (70%), 1 running, 2 ended, 5 events [4 s]")
    line.close()
    assert stream.getvalue().endswith("\r" + " " * width + "\r")


def test_off_a_terminal_a_line_every_few_seconds() -> None:
    clock, stream = _Clock(), io.StringIO()
    line = ProgressLine(stream, clock=clock)
    for _ in range(25):
        clock.now += 1
        line.update(_snap(done=1, total=0))
    line.close()
    assert stream.getvalue().splitlines() == [
        "sandbox: 1 running, 0 ended, 5 events [2 s]",
        "sandbox: 1 running, 0 ended, 5 events [12 s]",
        "sandbox: 1 running, 0 ended, 5 events [22 s]",
    ]


class _Still:
    """A sandbox whose work never moves (for Patience alone)."""

    def __init__(self) -> None:
        from sandbox.clock import VirtualClock

        self.clock = VirtualClock()
        self.state_machines: dict[str, object] = {}
        self.service_calls = 0

    def _backend(self) -> object:
        class _Backend:
            state_machines: list[object] = []

            def _get_executions(self, _status: object = None) -> list[object]:
                return []

        return _Backend()


def test_patience_gives_up_only_once_nothing_moved_for_the_stall_time() -> None:
    clock, sb = _Clock(), _Still()
    patience = Patience(sb, wall_timeout=None, stall_timeout=60, clock=clock)
    assert patience.check() is None
    for _ in range(10):  # work moves: ten minutes is fine
        clock.now += 59
        sb.service_calls += 1
        assert patience.check() is None
    clock.now += 59
    assert patience.check() is None
    clock.now += 2
    assert patience.check() == "nothing moved for 60 s of wall time"


def test_patience_with_a_wall_timeout_ignores_stalls() -> None:
    clock = _Clock()
    patience = Patience(_Still(), wall_timeout=5, stall_timeout=None, clock=clock)
    clock.now += 4.9
    assert patience.check() is None
    clock.now += 0.2
    assert patience.check() == "still running after 5 s of wall time"


def test_settle_of_a_hung_run_names_the_state_and_the_token_it_waits_for() -> None:
    with Sandbox.from_template(FIXTURE) as sb:
        arn = sb.start("edge", {"case": "callback-in-parallel"})
        with pytest.raises(SandboxError) as raised:
            sb.settle(wall_timeout=None, stall_timeout=0.3)
        message = str(raised.value)
        assert message.startswith("the sandbox did not settle: nothing moved for 0.3 s of wall time; pending: ")
        assert f"edge {arn.rsplit(':', 1)[1]} in ApproveInBranch > WaitForBranchApproval" in message
        assert "1 task token nobody answered (SendTaskSuccess/SendTaskFailure; --approve/--reject" in message


def test_settle_reports_progress_while_it_waits() -> None:
    seen: list[Snapshot] = []
    with Sandbox.from_template(FIXTURE) as sb:
        sb.start("flow", {"name": "Ada"})
        sb.settle(on_progress=seen.append)
    assert seen and seen[0].running + seen[0].ended >= 1


def test_the_cli_gives_up_at_its_timeout_and_says_what_is_pending(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    # The CLI lets an unanswered callback run into its timeout (moto's stand-in: three years): to hang for
    # real, nobody may advance the clock either, so the run waits without answering.
    monkeypatch.setattr(Sandbox, "answer_callbacks",
                        lambda self, arn, approve=None, reject=None, **patience: self.wait(arn, **patience))
    event = tmp_path / "hang.json"
    event.write_text(json.dumps({"case": "callback-in-parallel"}))
    code = main(["--template", str(FIXTURE), "run", "edge", "--event", str(event), "--timeout", "0.5"])
    err = capsys.readouterr().err
    assert code == EXIT_FAILED
    assert "did not end: still running after 0.5 s of wall time; pending: edge " in err
    assert "in ApproveInBranch > WaitForBranchApproval, waiting on 1 task token nobody answered" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("value, message", [("soon", "'soon' is not a number of seconds"),
                                            ("0", "must be more than 0 seconds")])
def test_a_bad_timeout_is_a_usage_error(value: str, message: str, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--template", str(FIXTURE), "run", "edge", "--event", "x.json", "--timeout", value])
    assert code == EXIT_USAGE
    assert message in capsys.readouterr().err


class _Status:
    def __init__(self, value: str) -> None:
        self.value = value


class _Execution:
    def __init__(self, status: str | None, events: int = 0) -> None:
        self.exec_status = _Status(status) if status else None
        manager = type("Manager", (), {"_history_event_list": [{}] * events})()
        self.exec_worker = type("Worker", (), {"env": type("Env", (), {"event_manager": manager})()})()


class _Machine:
    def __init__(self, arn: str, executions: list[_Execution]) -> None:
        self.arn, self.executions = arn, executions


class _FakeSandbox:
    def __init__(self, machines: list[_Machine]) -> None:
        self.state_machines = machines
        self.clock = type("Clock", (), {"time": lambda self: 7.0})()
        self.service_calls = 0

    def _backend(self) -> object:
        return self


def test_snapshots_that_keep_the_ended_prefix_count_as_a_fresh_snapshot_does() -> None:
    """Kept between snapshots: where the ended executions end; what ends, starts or is replaced later still counts."""
    first = _Machine("arn:one", [_Execution("SUCCEEDED"), _Execution("RUNNING", events=4), _Execution("FAILED"),
                                 _Execution(None, events=1)])
    second = _Machine("arn:two", [_Execution("SUCCEEDED")])
    sb = _FakeSandbox([first, second])
    ended: progress.EndedPrefixes = {}
    assert progress.snapshot(sb, ended) == progress.snapshot(sb)
    assert (progress.snapshot(sb, ended).running, progress.snapshot(sb, ended).events) == (2, 5)
    assert ended["arn:one"][1] == 1 and ended["arn:two"][1] == 1
    first.executions[1].exec_status = _Status("SUCCEEDED")  # ended
    first.executions[3].exec_status = _Status("RUNNING")  # started
    second.executions.append(_Execution("RUNNING", events=2))  # a new one
    kept = progress.snapshot(sb, ended)
    assert kept == progress.snapshot(sb) and (kept.running, kept.ended, kept.events) == (2, 4, 3)
    assert ended["arn:one"][1] == 3
    first.executions = [_Execution("RUNNING")]  # a machine's list replaced: read from its start again
    assert progress.snapshot(sb, ended) == progress.snapshot(sb)
    assert progress.snapshot(sb, ended).running == 2
