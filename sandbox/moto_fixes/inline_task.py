"""A Task state that cannot time out runs on its execution's own thread.

moto runs the work of every Task (and every state that can time out) on a new thread and waits
for it with the state's TimeoutSeconds. That thread only costs a start and a hand-over per task
(a 10,000-object restore started 40,000 of them) when the timeout cannot fire:

* a state without TimeoutSeconds has no deadline on AWS (moto waits 99999999 s for it);
* a request-response call to a service that answers without running anyone's code never waits
  on the virtual clock: S3, DynamoDB, SNS, SQS and EventBridge (what they deliver in the sandbox,
  it delivers through its router or an asynchronous invoke, after the answer). The task's thread
  holds the clock while it works, and the clock only moves when every holder waits, so its
  TimeoutSeconds could never fire before the answer: timed or inline, the outcome is the same.
  A Lambda invoke, a `.sync` or `.waitForTaskToken` task, and any state a fault plan may make
  hang do wait on the clock and keep moto's thread, which their timeout needs.

Such a state's work runs here on the thread that evaluates the state, with the same steps in the
same order (input frame, work, frame closed, result selected and placed).

The task's frame is the one `Environment.open_frame` makes, built without the objects moto makes
for it and then replaces at once by the execution's own (an event manager, a callback pool, a
Map Run record pool: a lock and two dictionaries each, at every Task of every Map child).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any, Final, NamedTuple

from sandbox.moto_fixes.json_copy import copy_attributes, json_deepcopy

ANSWERING_AT_ONCE: Final[frozenset[str]] = frozenset({"s3", "dynamodb", "sns", "sqs", "events", "eventbridge"})
"""Services (optimized integration or aws-sdk name) whose calls never wait on the virtual clock."""


class _Moto(NamedTuple):
    """What these functions use of moto (and of the fault plans), imported on first use, not at every Task."""

    task_service: type[Any]
    environment: type[Any]
    history_context: type[Any]
    states: type[Any]
    may_hang: Callable[[Any, Any], bool]


@functools.cache
def _moto() -> _Moto:
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service import (
        StateTaskService,
    )
    from moto.stepfunctions.parser.asl.eval.environment import Environment
    from moto.stepfunctions.parser.asl.eval.event.event_manager import EventHistoryContext
    from moto.stepfunctions.parser.asl.eval.states import States

    from sandbox.moto_fixes import task_outcome

    return _Moto(StateTaskService, Environment, EventHistoryContext, States, task_outcome.may_hang)


def cannot_time_out(state: Any, env: Any) -> bool:
    """A request-response Task on a service of ANSWERING_AT_ONCE that no fault plan may make hang."""
    moto = _moto()
    if not isinstance(state, moto.task_service):
        return False
    resource = state.resource
    return (resource.condition is None and resource.api_name in ANSWERING_AT_ONCE
            and not moto.may_hang(state, env))


def evaluate_inline(state: Any, env: Any) -> None:
    """`ExecutionState._evaluate_with_timeout` for a state that cannot time out, without its thread."""
    state.timeout.eval(env=env)
    env.stack.pop()
    frame = open_task_frame(env)
    frame.states.reset(input_value=env.states._states_data["input"])  # reset stores a copy (moto copied twice)
    # The task reads only its input, the top of the stack (moto copied all of it: a Map child's first Task
    # carried four values its Map had left there).
    frame.stack = [json_deepcopy(env.stack[-1])] if env.stack else []
    try:
        state._eval_execution(frame)
        output = frame.stack[-1]
    finally:
        frame.set_ended()
        env.close_frame(frame)
    env.stack.append(output)
    if not state._is_language_query_jsonpath():
        env.states.set_result(output)
    if state.assign_decl:
        state.assign_decl.eval(env=env)
    if state.result_selector:
        state.result_selector.eval(env=env)
    if state.result_path:
        state.result_path.eval(env)
    else:
        env.states.reset(input_value=env.stack.pop())


def open_task_frame(env: Any) -> Any:
    """`env.open_frame()`: a frame of the same attributes, sharing what moto's frame shares with `env`."""
    moto = _moto()
    data = env.states.context_object.context_object_data
    context = {"Execution": data["Execution"], "StateMachine": data["StateMachine"]}
    if "Task" in data:
        context["Task"] = data["Task"]
    if "State" in data:
        context["State"] = json_deepcopy(data["State"])
    frame: Any = object.__new__(moto.environment)
    vars(frame).update(
        _state_mutex=threading.RLock(),
        program_state_event=threading.Event(),
        cloud_watch_logging_session=env.cloud_watch_logging_session,
        event_manager=env.event_manager,
        event_history_context=moto.history_context(previous_event_id=env.event_history_context.source_event_id),
        aws_execution_details=env.aws_execution_details,
        execution_type=env.execution_type,
        callback_pool_manager=env.callback_pool_manager,
        map_run_record_pool_manager=env.map_run_record_pool_manager,
        activity_store=env.activity_store,
        mock_test_case=env.mock_test_case,
        _frames=[],
        _is_frame=True,
        heap={},
        stack=[],
        states=moto.states(context=context),
        variable_store=env.variable_store,
    )
    with env._state_mutex:  # as moto: a stop of `env` either came before (copied) or reaches the listed frame
        frame._program_state = None if env._program_state is None else copy_attributes(env._program_state, {})
        env._frames.append(frame)
    return frame
