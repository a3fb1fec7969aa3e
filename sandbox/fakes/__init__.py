"""Faithful fakes for AWS APIs that moto lacks, with the documented response shapes.

A fake registers `before-call.<service>.<Operation>` handlers on the boto3 session
used inside the sandbox; a handler returns the parsed response (or raises a
botocore `ClientError`) and botocore skips the HTTP call.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sandbox.clock import VirtualClock


@dataclass
class FakeContext:
    """What a fake may use: virtual time and a way to emit the events the real service emits."""

    clock: VirtualClock
    region: str
    account_id: str
    emit: Callable[[dict[str, Any]], None]
    """Put an EventBridge event (real shape) on the default bus, as the AWS service would."""
