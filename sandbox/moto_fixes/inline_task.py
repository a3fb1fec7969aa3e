"""A Task state without TimeoutSeconds runs on its execution's own thread.

moto runs the work of every Task (and every state that can time out) on a new thread and waits
for it with the state's TimeoutSeconds. A state without TimeoutSeconds has no deadline on AWS
(moto waits 99999999 s for it), so that thread only costs a start and a hand-over per task: a
10,000-object restore started 40,000 of them, each kept in moto's thread list. Such a state's
work runs here on the thread that evaluates the state, with the same steps in the same order
(input frame, work, frame closed, result selected and placed); a state with a timeout keeps
moto's thread, which is what the timeout needs.
"""

from __future__ import annotations

from typing import Any

from sandbox.moto_fixes.json_copy import json_deepcopy


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
