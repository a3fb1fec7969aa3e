"""A template's sandbox served over loopback for the serve tests, shut down whatever the test did."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sandbox.core import Sandbox
from sandbox.serve import serve


@contextmanager
def serving(template: Path) -> Iterator[tuple[Sandbox, Any]]:
    with Sandbox.from_template(template) as sb:
        server, thread = serve(sb)
        try:
            yield sb, server
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)
