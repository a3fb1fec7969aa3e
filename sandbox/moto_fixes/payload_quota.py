"""The 256 KiB payload quota, measured as Step Functions measures it.

AWS: the input or result of a state may be up to 262,144 bytes of UTF-8 JSON, and StartExecution
accepts an input of exactly that size. moto (5.2.5) measures `json.dumps` with its default
separators (", " and ": ", a space more per key and item than the payload) and requires
`< 262,144`, so an input StartExecution accepted fails its first state with
States.DataLimitExceeded. Here the payload is measured compact, and the limit is inclusive.
"""

from __future__ import annotations

from typing import Any

from moto.stepfunctions.parser.asl.utils.encoding import _DateTimeEncoder

from sandbox.moto_fixes.rebind import rebind

MAX_PAYLOAD_BYTES = 256 * 1024

_IMPORTERS = (
    "moto.stepfunctions.parser.asl.component.state.state",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.state_task_lambda",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service",
)
"""The interpreter's modules that check a payload against the quota (each binds the check by name)."""

_installed = False


_COMPACT = _DateTimeEncoder(separators=(",", ":"))
"""`json.dumps(value, cls=_DateTimeEncoder, separators=(",", ":"))`, without building an encoder per state."""


def is_within_size_quota(value: Any) -> bool:
    if not isinstance(value, str):
        return len(_COMPACT.encode(value)) <= MAX_PAYLOAD_BYTES  # ASCII (escaped): one byte a character
    # A lone surrogate (a "\ud800" escape in the JSON a client sent) counts the 3 bytes it takes instead of
    # raising UnicodeEncodeError out of the interpreter.
    return len(value.encode("utf-8", "surrogatepass")) <= MAX_PAYLOAD_BYTES


def is_text_within_size_quota(value: Any, compact_text: str) -> bool:
    """`is_within_size_quota(value)`, given `compact_text`: the value's compact JSON text (`to_json_str(value,
    separators=(",", ":"))`, what the quota encodes: the same encoder class, separators and ASCII escapes)."""
    if isinstance(value, str):
        return is_within_size_quota(value)
    return len(compact_text) <= MAX_PAYLOAD_BYTES


def install() -> None:
    global _installed
    if _installed:
        return
    from moto.stepfunctions.parser import quotas

    rebind("is_within_size_quota", quotas.is_within_size_quota, is_within_size_quota, _IMPORTERS)
    _installed = True
