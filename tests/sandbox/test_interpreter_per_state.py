"""The interpreter's per-state work, cut where AWS semantics do not need it, changes no result.

Each cut is checked for what it keeps (moto's texts, errors, frames) and for the work it saves,
counted rather than timed.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from moto import mock_aws

from sandbox import history
from sandbox.faults import FaultPlan
from sandbox.moto_fixes import history_timestamps, inline_task, payload_quota
from sandbox.moto_fixes.registry import install_all
from tests.sandbox.engine_helpers import ENGINE_CONFIG, run

MAX = payload_quota.MAX_PAYLOAD_BYTES


@pytest.fixture
def engine() -> Iterator[None]:
    with mock_aws(config=ENGINE_CONFIG):
        install_all()
        yield


# -- timestamps: one text per instant --------------------------------------------------------------


def test_one_instant_in_two_zones_keeps_two_texts() -> None:
    """The kept text stands for the same instant in the same zone only: 12:00 UTC then 14:00 +02:00 (one
    instant, equal datetimes) are written as their own wall times, and a naive 12:00 is not the UTC one."""
    history_timestamps.install()
    utc = datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)
    plus_two = utc.astimezone(timezone(timedelta(hours=2)))
    naive = utc.replace(tzinfo=None)
    for moment in (utc, utc, plus_two, plus_two, naive, utc, naive + timedelta(microseconds=1)):
        assert history_timestamps.iso_8601_with_milliseconds(moment) == history_timestamps.moto_format(moment)


def test_the_clock_gives_one_datetime_per_instant() -> None:
    from sandbox.clock import VirtualClock

    start = datetime(2026, 3, 1, 12, 0, 0, 250000, tzinfo=UTC)
    clock = VirtualClock(start=start)
    first = clock.now()
    assert first == start and clock.now() is first
    clock.advance(seconds=1.5)
    assert clock.now() == start + timedelta(seconds=1.5)
    assert clock.now().tzinfo is UTC


def test_history_events_read_their_own_timestamps() -> None:
    stamps = ["2026-03-01T12:00:00.123Z", "2026-03-01T12:00:00.123Z", "2026-03-01T12:00:01.000Z"]
    read = [history.as_api_event({"id": 1, "type": "PassStateEntered", "timestamp": s})["timestamp"] for s in stamps]
    assert read == [datetime.fromisoformat(s) for s in stamps]
    assert read[0] is read[1]  # one datetime (immutable) for one text


# -- a state's output: encoded once ----------------------------------------------------------------

THREE_PASSES = {"StartAt": "A", "States": {
    "A": {"Type": "Pass", "Parameters": {"n": 1, "s.$": "$.s"}, "Next": "B"},
    "B": {"Type": "Pass", "Result": {"deep": [True, 1.5, None]}, "ResultPath": "$.b", "Next": "C"},
    "C": {"Type": "Pass", "End": True},
}}


def test_each_state_output_is_encoded_once_for_quota_exit_and_next_entry(
        engine: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """Three states: the first input and each state's output, four compact texts (moto: six, and 3 quota encodes)."""
    from moto.stepfunctions.parser.asl.component.state import state as state_module

    compact: list[str] = []
    measured: list[Any] = []
    encode, quota = state_module.to_json_str, payload_quota.is_within_size_quota

    def counting_encode(value: Any, separators: Any = None) -> str:
        text: str = encode(value, separators=separators)
        if separators == (",", ":"):
            compact.append(text)
        return text

    def counting_quota(value: Any) -> bool:
        measured.append(value)
        return quota(value)

    monkeypatch.setattr(state_module, "to_json_str", counting_encode)
    monkeypatch.setattr(payload_quota, "is_within_size_quota", counting_quota)
    description = run(THREE_PASSES, {"s": "x"})
    assert description["status"] == "SUCCEEDED"
    assert compact == ['{"s":"x"}', '{"n":1,"s":"x"}', '{"n":1,"s":"x","b":{"deep":[true,1.5,null]}}',
                       '{"n":1,"s":"x","b":{"deep":[true,1.5,null]}}']
    assert measured == []  # objects are measured from their text


SELECTING = {"StartAt": "Pick", "States": {
    "Pick": {"Type": "Pass", "Parameters": {"a": {"n.$": "$.n"}, "z": 0}, "OutputPath": "$.a", "Next": "Grow"},
    "Grow": {"Type": "Pass", "Result": 2, "ResultPath": "$.m", "Next": "Whole"},
    "Whole": {"Type": "Pass", "End": True},
}}


def test_a_selected_output_is_held_as_the_copy_its_path_made(engine: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """OutputPath hands over its own copy, held without another (moto copied it again through States.reset)."""
    import sys

    from moto.stepfunctions.parser.asl.eval.states import States

    callers: list[str] = []
    reset = States.reset

    def spying_reset(self: Any, input_value: Any) -> None:
        callers.append(sys._getframe(1).f_code.co_filename)
        reset(self, input_value)

    monkeypatch.setattr(States, "reset", spying_reset)
    description = run(SELECTING, {"n": 5})
    assert (description["status"], json.loads(description["output"])) == ("SUCCEEDED", {"n": 5, "m": 2})
    assert not [c for c in callers if c.endswith("output_path.py")]


def test_an_output_path_that_selects_nothing_fails_as_moto_fails_it(engine: None) -> None:
    definition = {"StartAt": "Pick", "States": {"Pick": {"Type": "Pass", "OutputPath": "$.missing", "End": True}}}
    description = run(definition, {"n": 5})
    assert (description["status"], description["error"]) == ("FAILED", "States.Runtime")
    assert description["cause"].endswith(" Invalid path '$.missing' : No results for path: $['missing']")


@pytest.mark.parametrize(("extra", "status"), [("", "SUCCEEDED"), ("x", "FAILED")])
def test_a_text_output_is_measured_as_its_bytes(engine: None, extra: str, status: str) -> None:
    """A string result of exactly 262,144 bytes fits (its JSON text, quoted, would not); one more byte fails."""
    definition = {"StartAt": "Grow", "States": {"Grow": {
        "Type": "Pass", "Parameters": {"pad.$": f"States.Format('{{}}{{}}{extra}', $.a, $.a)"},
        "OutputPath": "$.pad", "End": True}}}
    description = run(definition, {"a": "x" * (MAX // 2)})
    assert description["status"] == status
    if status == "FAILED":
        assert description["error"] == "States.DataLimitExceeded"


def test_text_measure_is_the_quota_rule() -> None:
    for value, text in (({"a": "é"}, '{"a":"\\u00e9"}'), ("é" * 3, '"\\u00e9\\u00e9\\u00e9"'), ([1], "[1]")):
        assert payload_quota.is_text_within_size_quota(value, text) == payload_quota.is_within_size_quota(value)
    assert not payload_quota.is_text_within_size_quota({"a": 1}, "x" * (MAX + 1))
    assert payload_quota.is_text_within_size_quota({"a": 1}, "x" * MAX)


# -- an inline Task's frame ------------------------------------------------------------------------


def _environment() -> Any:
    from moto.stepfunctions.parser.api import StateMachineType
    from moto.stepfunctions.parser.asl.eval.environment import Environment
    from moto.stepfunctions.parser.asl.eval.evaluation_details import AWSExecutionDetails
    from moto.stepfunctions.parser.asl.eval.event.event_manager import EventHistoryContext
    from moto.stepfunctions.parser.asl.eval.program_state import ProgramRunning

    context: Any = {"Execution": {"Id": "arn:execution", "Input": {"k": [1]}, "Name": "e"},
                    "StateMachine": {"Id": "arn:machine", "Name": "m"},
                    "State": {"Name": "Work", "EnteredTime": "2026-03-01T12:00:00Z", "RetryCount": 0}}
    env = Environment(aws_execution_details=AWSExecutionDetails("acct", "us-east-1", "arn:role"),
                      execution_type=StateMachineType.STANDARD, context=context,
                      event_history_context=EventHistoryContext.of_program_start(), cloud_watch_logging_session=None,
                      activity_store={})
    env._program_state = ProgramRunning()
    env.next_state_name = "Work"
    env.event_history_context.source_event_id = 7
    return env


def test_an_inline_task_frame_is_the_frame_moto_opens() -> None:
    install_all()
    env = _environment()
    moto_frame, ours = env.open_frame(), inline_task.open_task_frame(env)
    assert env._frames == [moto_frame, ours]
    assert sorted(vars(ours)) == sorted(vars(moto_frame))
    shared = ("event_manager", "callback_pool_manager", "map_run_record_pool_manager", "activity_store",
              "variable_store", "aws_execution_details", "cloud_watch_logging_session", "execution_type")
    for name in shared:
        assert getattr(ours, name) is getattr(env, name), name
    own = ("_state_mutex", "program_state_event", "event_history_context", "states", "_program_state", "_frames",
           "heap", "stack")
    for name in own:
        assert getattr(ours, name) is not getattr(env, name), name
    assert vars(ours._program_state) == vars(moto_frame._program_state)
    assert ours.event_history_context.source_event_id == moto_frame.event_history_context.source_event_id == 7
    assert ours.states._states_data == moto_frame.states._states_data
    ours_context = ours.states.context_object.context_object_data
    assert ours_context == moto_frame.states.context_object.context_object_data
    assert ours_context["State"] is not env.states.context_object.context_object_data["State"]
    assert ours.is_frame() and ours.is_running()
    env.set_ended()
    assert not ours.is_running()  # a frame ends with its execution


# -- aws-sdk results' timestamps ------------------------------------------------------------------


@pytest.mark.parametrize("moment", [
    datetime(2026, 12, 5, 21, 50, 59, tzinfo=UTC), datetime(2026, 12, 5, 21, 50, 59, 120000, tzinfo=UTC),
    datetime(2026, 12, 5, 23, 50, 59, 1, tzinfo=timezone(timedelta(hours=2))), datetime(2026, 1, 2, 3, 4, 5),
    datetime(999, 1, 2, 3, 4, 5, tzinfo=UTC),
], ids=["whole second", "milliseconds", "other zone", "naive", "year 999"])
def test_sdk_result_timestamps_read_as_strftime_writes_them(moment: datetime) -> None:
    from sandbox.moto_fixes.sdk_results import iso_timestamp

    utc = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)
    assert iso_timestamp(moment).startswith(utc.strftime("%Y-%m-%dT%H:%M:%S"))
    assert iso_timestamp(moment).endswith("Z")


# -- a Choice rule on a missing variable -----------------------------------------------------------


def test_a_missing_choice_variable_is_written_out_only_when_read(monkeypatch: pytest.MonkeyPatch) -> None:
    install_all()
    from moto.stepfunctions.parser.asl.component.common.string.string_expression import StringJsonPath
    from moto.stepfunctions.parser.asl.component.state.choice.comparison.variable import NoSuchVariable, Variable
    from moto.stepfunctions.parser.asl.utils import json_path

    written: list[Any] = []
    encode = json_path.to_json_str
    monkeypatch.setattr(json_path, "to_json_str", lambda value, *a, **k: written.append(value) or encode(value))
    env = _environment()
    env.stack.append({"head": {"StorageClass": "DEEP_ARCHIVE"}})
    Variable(StringJsonPath("$.head.Restore")).eval(env)
    missing = env.stack.pop()
    assert isinstance(missing, NoSuchVariable) and written == []
    assert missing.path == ("$.head.Restore, The JSONPath '$.head.Restore' could not be found in the input "
                            """'{"head": {"StorageClass": "DEEP_ARCHIVE"}}'""")


# -- field names -----------------------------------------------------------------------------------


def test_field_names_per_class_are_moto_own() -> None:
    """Every component class of moto's interpreter: the name kept for its class is the one its components give."""
    install_all()
    from moto.stepfunctions.parser.asl.component.common.payload.payloadvalue.payloadbinding.payload_binding import (
        PayloadBindingStringExpressionSimple,
    )
    from moto.stepfunctions.parser.asl.component.common.string.string_expression import StringJsonPath
    from moto.stepfunctions.parser.asl.component.eval_component import EvalComponent
    from moto.stepfunctions.parser.asl.component.state.choice.comparison.variable import Variable

    from sandbox.moto_fixes import eval_step
    from sandbox.moto_fixes.subclasses import with_subclasses

    for cls in with_subclasses(EvalComponent):
        if getattr(cls, "__abstractmethods__", None):
            continue  # never evaluated itself
        kept = eval_step._field_name_of_class(cls)
        component = object.__new__(cls)
        vars(component).update(field="f", identifier="i")
        assert kept is eval_step._ASK or kept == component._field_name(), cls
    path, variable = StringJsonPath("$.a"), Variable(StringJsonPath("$.a"))
    binding = PayloadBindingStringExpressionSimple("Key", path)
    assert [eval_step._field_name_of_class(type(c)) for c in (path, variable)] == [None, "Variable"]
    assert eval_step._field_name_of_class(type(binding)) is eval_step._ASK and binding._field_name() == "Key.$"


class _Timeout:
    def eval(self, env: Any) -> None:
        env.stack.append(10)


class _RecordingTask:
    """What `evaluate_inline` asks of a Task state: its timeout, its work (recorded here), its result handling."""

    timeout, assign_decl, result_selector, result_path = _Timeout(), None, None, None

    def __init__(self) -> None:
        self.seen: list[Any] = []

    def _is_language_query_jsonpath(self) -> bool:
        return True

    def _eval_execution(self, frame: Any) -> None:
        self.seen = list(frame.stack)
        frame.stack.append({"answer": frame.stack[-1]["key"]})


def test_an_inline_task_works_on_a_copy_of_its_input_alone() -> None:
    """A Map child's first Task found four values its Map left below its input; its frame gets the input only."""
    install_all()
    env, task = _environment(), _RecordingTask()
    left_over, task_input = {"item": 1}, {"key": "k"}
    env.stack.extend([left_over, dict(left_over), task_input])
    inline_task.evaluate_inline(task, env)
    assert task.seen == [task_input] and task.seen[0] is not task_input
    assert env.states.get_input() == {"answer": "k"} and env._frames == []


# -- fault plans and service names -----------------------------------------------------------------


def test_an_empty_fault_plan_answers_without_its_lock() -> None:
    plan = FaultPlan()
    answers: list[bool] = []
    asking = threading.Thread(target=lambda: answers.append(plan.may_hang("Work")))
    with plan._lock:  # held elsewhere (a rule being added): the empty plan still answers
        asking.start()
        asking.join(timeout=5)  # only a plan that waits for its lock would take that long
        answered_while_held = not asking.is_alive()
    asking.join()
    assert answered_while_held and answers == [False]
    plan.hang("Work")
    assert plan.may_hang("Work") and not plan.may_hang("Other")


def test_service_names_are_moto_snake_case_once_each() -> None:
    install_all()
    from moto.stepfunctions.parser import utils
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import state_task_service

    cached = state_task_service.camel_to_snake_case
    for name in ("headObject", "putItem", "DescribeDBInstances", "getObjectACL", "x"):
        assert cached(name) == utils.camel_to_snake_case(name)
    before = cached.cache_info().hits  # type: ignore[attr-defined]
    cached("headObject")
    assert cached.cache_info().hits == before + 1  # type: ignore[attr-defined]
