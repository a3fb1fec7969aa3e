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
"""

from __future__ import annotations

from typing import Any, Final

from sandbox.moto_fixes.json_copy import json_deepcopy

ANSWERING_AT_ONCE: Final[frozenset[str]] = frozenset({"s3", "dynamodb", "sns", "sqs", "events", "eventbridge"})
"""Services (optimized integration or aws-sdk name) whose calls never wait on the virtual clock."""


def cannot_time_out(state: Any, env: Any) -> bool:
    """A request-response Task on a service of ANSWERING_AT_ONCE that no fault plan may make hang."""
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service import (
        StateTaskService,
    )

    from sandbox.moto_fixes import task_outcome

    if not isinstance(state, StateTaskService):
        return False
    resource = state.resource
    return (resource.condition is None and resource.api_name in ANSWERING_AT_ONCE
            and not task_outcome.may_hang(state, env))


def evaluate_inline(state: Any, env: Any) -> None:
    """`ExecutionState._evaluate_with_timeout` for a state that cannot time out, without its thread."""
    state.timeout.eval(env=env)
    env.stack.pop()
    frame = env.open_frame()
    frame.states.reset(input_value=env.states.get_input())
    frame.stack = json_deepcopy(env.stack)
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
