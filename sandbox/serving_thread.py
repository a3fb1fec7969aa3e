"""A local HTTP server served on a daemon thread that stops within a twentieth of a second.

`shutdown()` waits for the serving loop's next poll, every 0.5 s by default: every sandbox that
served its API routes, or answered a Node.js function's SDK calls, paid it when it stopped.
"""

from __future__ import annotations

import socketserver
import threading
from typing import Final

POLL_SECONDS: Final[float] = 0.05


def serve_in_thread(server: socketserver.BaseServer, name: str) -> threading.Thread:
    """Start serving `server` on a daemon thread named `name`; stop it with `server.shutdown()`."""
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": POLL_SECONDS}, name=name,
                              daemon=True)
    thread.start()
    return thread
