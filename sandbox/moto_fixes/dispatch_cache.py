"""moto's request dispatch without the work it repeats on every request.

Every service call of an offline execution goes botocore -> moto's stubber -> a backend. On each
request moto (5.2.5) rebuilds things that never change once the backends exist: the list of a
response class's methods (`inspect.getmembers`, to check that the action exists), a backend's URL
table (formatted from its URL patterns), on each backend lookup, a scan of every BackendDict
with Python-level `__eq__` to register the dict it already registered, and, five times per S3 request,
whether the bucket name is in the host name. A 10,000-object restore makes some 40,000 calls, so
these are computed once here. Behaviour is unchanged: the same
handler is found for the same request.
"""

from __future__ import annotations

import functools
from types import SimpleNamespace
from typing import Any

_installed = False
moto_subdomain_based_buckets: Any = None
"""moto's own `S3Response.subdomain_based_buckets` (what the tests compare the kept answers with)."""


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
    _cache_s3_addressing()
    _installed = True


def _cache_s3_addressing() -> None:
    """S3's "is the bucket in the host name" answer, kept per host (moto works it out with a dozen regular
    expressions five times per request); it also depends on two settings, which are part of the key."""
    from moto import settings
    from moto.s3.responses import S3Response

    global moto_subdomain_based_buckets
    original = moto_subdomain_based_buckets = S3Response.subdomain_based_buckets

    @functools.lru_cache(maxsize=1024)
    def by_host(host: str, ignore_subdomains: bool, custom_endpoints: tuple[str, ...]) -> bool:
        return bool(original(SimpleNamespace(headers={"host": host})))  # all it reads of a request

    def subdomain_based_buckets(request: Any) -> bool:
        host = request.headers.get("host", request.headers.get("Host"))
        if not host:
            return bool(original(request))  # moto reads the URL's host then
        return by_host(host, settings.S3_IGNORE_SUBDOMAIN_BUCKETNAME, tuple(settings.get_s3_custom_endpoints()))

    S3Response.subdomain_based_buckets = staticmethod(subdomain_based_buckets)
