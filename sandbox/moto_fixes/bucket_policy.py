"""Bucket policies with conditions, evaluated as S3 would for an SDK call.

moto applies a bucket policy's statements but ignores their `Condition` blocks,
so the standard "deny unless TLS" statement (`Deny *` when `aws:SecureTransport`
is false) denies every request. S3 evaluates the condition: SDK calls travel over
HTTPS, so that statement never applies to them. Here a statement applies only
when its conditions hold for the request context the sandbox knows (TLS on);
a condition on anything else (source ARN, VPC endpoint...) cannot be known
offline, so its statement is left out rather than guessed.
"""

from __future__ import annotations

import functools
import json
from typing import Any

_installed = False
_REQUEST_CONTEXT = {"aws:securetransport": "true"}


def _condition_holds(condition: dict[str, dict[str, Any]]) -> bool:
    for operator, checks in condition.items():
        for key, expected in checks.items():
            actual = _REQUEST_CONTEXT.get(key.lower())
            values = expected if isinstance(expected, list) else [expected]
            if actual is None or operator not in ("Bool", "StringEquals", "StringEqualsIgnoreCase"):
                return False
            if actual.lower() not in [str(v).lower() for v in values]:
                return False
    return True


def applicable_policy(policy: dict[str, Any]) -> dict[str, Any]:
    """The policy without the statements whose conditions do not hold for an SDK request."""
    statements = policy.get("Statement", [])
    if isinstance(statements, dict):
        statements = [statements]
    kept = [s for s in statements if "Condition" not in s or _condition_holds(s["Condition"])]
    return {**policy, "Statement": kept}


@functools.lru_cache(maxsize=64)
def _applicable_iam_policy(policy_text: str | bytes) -> Any:
    """moto's reader of the policy's applicable statements, built once per policy text (it keeps no state
    between questions): every S3 call on a bucket with a policy asks it."""
    from moto.iam.access_control import IAMPolicy

    return IAMPolicy(json.dumps(applicable_policy(json.loads(policy_text))))


def install() -> None:
    """Evaluate bucket-policy conditions against an HTTPS SDK request (idempotent)."""
    global _installed
    if _installed:
        return
    from moto.iam.access_control import PermissionResult
    from moto.s3.models import FakeBucket

    def get_permission(self: Any, action: str, resource: str) -> Any:
        if self.policy is None:
            return PermissionResult.NEUTRAL
        text = self.policy if isinstance(self.policy, (str, bytes)) else json.dumps(self.policy)
        return _applicable_iam_policy(text).is_action_permitted(action, resource)

    FakeBucket.get_permission = get_permission
    _installed = True
