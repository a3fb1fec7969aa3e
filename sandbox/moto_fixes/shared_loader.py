"""botocore's data files read once per process, by moto as by the sandbox's clients.

* To list a service's regions moto builds a botocore session of its own, which parses botocore's
  endpoint data (a large JSON file) a second time. Here that session uses the sandbox's data
  loader (`sandbox.session.data_loader`), whose files are parsed once.
* moto loads each service model it serializes responses with through a new loader, and each new
  loader first lists every service botocore knows (some 30 ms of directory walking a service).
  Here moto keeps one loader, so the listing is made once.
* Both loaders read the files through one `sandbox.data_files` loader: each file parsed once ever,
  each load a copy of its own; their lists of services come from its cache too.

Same files, same data: only the repeated reading goes.
"""

from __future__ import annotations

import functools
from typing import Any

import botocore.session

from sandbox.data_files import cache_listings, file_loader
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
    import moto.core.utils
    from moto.core.base_backend import AccountSpecificBackend

    create_loader = moto.core.utils.create_loader

    @functools.cache
    def shared_loader() -> Any:
        loader = create_loader()
        loader.file_loader = file_loader()
        cache_listings(loader)
        return loader

    moto.core.utils.create_loader = shared_loader
    AccountSpecificBackend.get_session = classmethod(lambda _cls: _botocore_session())  # type: ignore[assignment]
    _installed = True
