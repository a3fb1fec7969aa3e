"""boto3's default session, made lazily by one thread, never replaces the one a sandbox installed meanwhile.

`mock_aws` starts by setting `boto3.DEFAULT_SESSION` to None; the sandbox then installs its shared
session (the one whose `before-call` events reach its functions, fakes and routing). A thread left
running by a sandbox that could not stop its executions may call `boto3.client` in that window:
boto3 sees None, builds a plain session (milliseconds) and assigns it, after the sandbox installed
its own. Every client made afterwards, the interpreter's and the handlers', then lacked the
sandbox's events: a Lambda Invoke reached moto's empty Lambda backend (ResourceNotFoundException).

Here a lazily made session is assigned only if the default is still None, under the lock the
sandbox installs its session with (`use_as_default`); otherwise the installed one is used.
"""

from __future__ import annotations

import threading
from typing import Any

import boto3

_lock = threading.Lock()
_installed = False


def use_as_default(session: boto3.Session) -> None:
    """Make `session` boto3's default session (a thread making one lazily at the same time keeps it)."""
    with _lock:
        boto3.DEFAULT_SESSION = session


def _default_session() -> Any:
    """boto3's `_get_default_session`, whose lazily made session never replaces one installed meanwhile."""
    session = boto3.DEFAULT_SESSION
    if session is None:
        made = boto3.Session()  # outside the lock: it takes milliseconds, and the sandbox's start waits for none
        with _lock:
            if boto3.DEFAULT_SESSION is None:
                boto3.DEFAULT_SESSION = made
            session = boto3.DEFAULT_SESSION
    return session


def install() -> None:
    global _installed
    if _installed:
        return
    boto3._get_default_session = _default_session  # boto3.client and boto3.resource look it up at every call
    _installed = True
