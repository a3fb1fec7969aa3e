"""Install every AWS-fidelity fix to moto's ASL interpreter, in a fixed order."""

from __future__ import annotations

from sandbox.moto_fixes import api, errors, jsonpath, sdk_errors, sdk_results


def install_all() -> None:
    """Install the fidelity fixes; safe to call more than once.

    The sandbox must still call `api.reset_client_cache()` after it registers
    botocore handlers on a fresh `mock_aws` session.
    """
    errors.install()
    sdk_errors.install()
    sdk_results.install()
    jsonpath.install()
    api.install()
