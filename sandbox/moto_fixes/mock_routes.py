"""moto's mock routes are built once per process, not at every start of the mock.

Every `mock_aws` start registers, with the `responses` library, one route per HTTP method and backend
URL pattern (about 1,300 route objects), all of them built again: ~3 ms of a sandbox start that costs
~15 ms, paid at each of the hundreds of starts of a test suite. The routes are the same every time
(the same methods, the same patterns of moto's backend index, the same two callbacks), so they are built
at the first start and the same ones registered at every later start, in moto's order.
"""

from __future__ import annotations

import re
import threading
from typing import Any

_installed = False
_lock = threading.Lock()
_routes: list[Any] = []


def _built_routes() -> list[Any]:
    """The routes moto's `_enable_patching` registers, in its order (built on first use)."""
    from moto.core import models
    from moto.core.custom_responses_mock import CallbackResponse, not_implemented_callback

    with _lock:
        if not _routes:
            for method in models.RESPONSES_METHODS:
                for _, pattern in models.backend_index.backend_url_patterns:
                    _routes.append(
                        CallbackResponse(
                            method=method, url=pattern, callback=models.botocore_stubber.process_prepared_request
                        )
                    )
                _routes.append(
                    CallbackResponse(
                        method=method,
                        url=re.compile(r"https?://.+\.amazonaws.com/.*"),
                        callback=not_implemented_callback,
                    )
                )
        return _routes


def _enable_patching(self: Any, reset: bool = True) -> None:
    """moto's `MockAWS._enable_patching`, registering the routes built once."""
    from moto.core import models

    models.botocore_stubber.enabled = True
    if reset:
        self.reset()
    models.responses_mock.start()
    for route in _built_routes():
        models.responses_mock.add(route)


def install() -> None:
    """Register the routes built once at every mock start (idempotent)."""
    global _installed
    if _installed:
        return
    from moto.core.models import MockAWS

    MockAWS._enable_patching = _enable_patching
    _installed = True
