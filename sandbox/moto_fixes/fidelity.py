"""Install every AWS-fidelity fix to moto's ASL interpreter, in a fixed order."""

from __future__ import annotations

from sandbox.moto_fixes import (
    api,
    dynamodb_atomic,
    errors,
    execution_record,
    jsonpath,
    payload_quota,
    sdk_errors,
    sdk_results,
    sync_execution,
    unimplemented,
)


def install_all() -> None:
    """Install the fidelity fixes; safe to call more than once."""
    errors.install()
    sdk_errors.install()
    sdk_results.install()
    jsonpath.install()
    payload_quota.install()
    api.install()
    execution_record.install()
    dynamodb_atomic.install()
    sync_execution.install()
    unimplemented.install()
