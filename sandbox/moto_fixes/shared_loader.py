"""moto's region lists read from the botocore data the sandbox's clients already loaded.

To list a service's regions moto builds a botocore session of its own, which parses botocore's
endpoint data (a large JSON file) a second time in every process. Here that session uses the
sandbox's data loader (`sandbox.session.data_loader`), whose files are parsed once. Same data,
same regions.
"""

from __future__ import annotations

import functools

import botocore.session

from sandbox.session import data_loader

_installed = False


@functools.cache
def _botocore_session() -> botocore.session.Session:
    session = botocore.session.Session()
    session.register_component("data_loader", data_loader())
    return session


def install() -> None:
    global _installed
    if _installed:
        return
    from moto.core.base_backend import AccountSpecificBackend

    AccountSpecificBackend.get_session = classmethod(lambda _cls: _botocore_session())  # type: ignore[method-assign,assignment]
    _installed = True
