"""moto's request dispatch without the work it repeats on every request.

Every service call of an offline execution goes botocore -> moto's stubber -> a backend. On each
request moto (5.2.5) rebuilds things that never change once the backends exist: the list of a
response class's methods (`inspect.getmembers`, to check that the action exists), a backend's URL
table (formatted from its URL patterns), and, on each backend lookup, a scan of every BackendDict
with Python-level `__eq__` to register the dict it already registered. A 10,000-object restore
makes some 40,000 calls, so these are computed once here. Behaviour is unchanged: the same
handler is found for the same request.
"""

from __future__ import annotations

import functools
from typing import Any

_installed = False


def install() -> None:
    global _installed
    if _installed:
        return
    import moto.core.responses as responses
    from moto.core.base_backend import BackendDict, BaseBackend

    original_names = responses.method_names_from_class

    @functools.cache
    def method_names_from_class(clazz: object) -> frozenset[str]:
        return frozenset(original_names(clazz))

    responses.method_names_from_class = method_names_from_class  # type: ignore[assignment]

    urls_property = BaseBackend.urls

    def urls(self: Any) -> Any:
        # Per instance: url_bases are fixed at construction (region and partition).
        cached = self.__dict__.get("_sandbox_urls")
        if cached is None:
            cached = self.__dict__["_sandbox_urls"] = urls_property.fget(self)  # type: ignore[attr-defined]
        return cached

    BaseBackend.urls = property(urls)  # type: ignore[assignment]

    original_getitem = BackendDict.__getitem__

    def getitem(self: Any, account_id: str) -> Any:
        # The account's backend exists already: skip moto's create-if-missing (lock, key list
        # and registry scan); a new account goes through moto's own path.
        try:
            return dict.__getitem__(self, account_id)
        except KeyError:
            return original_getitem(self, account_id)

    BackendDict.__getitem__ = getitem
    _installed = True
