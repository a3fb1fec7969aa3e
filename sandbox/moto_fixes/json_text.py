"""The interpreter's JSON texts written by encoders built once (speed only).

moto writes a state's input and output into its history events as JSON text, twice a state,
through `to_json_str`, which builds a new encoder for every call. Here one encoder per separator
style is built once and reused: the same text (encoders keep no state between calls).
"""

from __future__ import annotations

import threading
from typing import Any

from moto.stepfunctions.parser.asl.utils import encoding

from sandbox.moto_fixes.rebind import rebind

_original = encoding.to_json_str
_encoders: dict[tuple[str, str] | None, encoding._DateTimeEncoder] = {}
_lock = threading.Lock()
_installed = False


def _encoder(separators: tuple[str, str] | None) -> encoding._DateTimeEncoder:
    encoder = _encoders.get(separators)
    if encoder is None:
        with _lock:
            encoder = _encoders.setdefault(separators, encoding._DateTimeEncoder(separators=separators))
    return encoder


def to_json_str(obj: Any, separators: tuple[str, str] | None = None) -> str:
    """As moto's: `json.dumps(obj, cls=_DateTimeEncoder, separators=separators)`."""
    return _encoder(separators).encode(obj)


def install() -> None:
    """Every loaded module of the interpreter, and any imported later, writes JSON through `to_json_str`."""
    global _installed
    if _installed:
        return
    import moto.stepfunctions.parser.models  # noqa: F401  (loads the interpreter's modules)

    encoding.to_json_str = to_json_str
    rebind("to_json_str", _original, to_json_str)
    _installed = True
