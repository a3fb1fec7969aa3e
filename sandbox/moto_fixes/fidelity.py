"""Install every AWS-fidelity fix to moto's ASL interpreter, in a fixed order."""

from __future__ import annotations

from sandbox.moto_fixes import (
    api,
    assign_scope,
    choice,
    concurrent_end,
    dynamodb_atomic,
    errors,
    execution_record,
    execution_worker,
    http_task,
    intrinsic_escapes,
    json_strings,
    jsonpath,
    map_items,
    payload_quota,
    preprocessor_scope,
    sdk_errors,
    sdk_results,
    sfl_history,
    sync_execution,
)


def install_all() -> None:
    """Install the fidelity fixes; safe to call more than once."""
    errors.install()
    json_strings.install()
    intrinsic_escapes.install()
    assign_scope.install()
    map_items.install()
    choice.install()
    sdk_errors.install()
    sdk_results.install()
    jsonpath.install()
    payload_quota.install()
    api.install()
    execution_record.install()
    dynamodb_atomic.install()
    sync_execution.install()
    preprocessor_scope.install()
    execution_worker.install()
    concurrent_end.install()
    http_task.install()
    sfl_history.install()
