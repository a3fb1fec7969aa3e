"""One boto3 session for every sandbox of the process, with per-sandbox handlers.

Creating a botocore client costs ~50 ms (it builds every operation model), and
`mock_aws` throws boto3's default session away on each start, so each sandbox
would rebuild a dozen clients. Instead the sandbox keeps one session and its
clients for the whole process, and that session forwards the botocore events
the sandbox hooks (`before-parameter-build`, `before-call`) to the emitter of the
sandbox that is active now. Handlers stay per sandbox; clients are shared.
"""

from __future__ import annotations

import functools
from typing import Any

import boto3
import botocore.loaders
from botocore.hooks import HierarchicalEmitter

from sandbox import data_files, endpoint_cache, param_calls

_FORWARDED = ("before-parameter-build", "before-call")
_active: HierarchicalEmitter | None = None


@functools.cache
def data_loader() -> botocore.loaders.Loader:
    """Service models and endpoints are the same for every sandbox: parse them once per process, from
    files parsed once ever (`sandbox.data_files`)."""
    loader = botocore.loaders.create_loader()
    loader.file_loader = data_files.file_loader()
    data_files.cache_listings(loader)
    return loader


@functools.cache
def shared_session(region: str) -> boto3.Session:
    session = boto3.Session(region_name=region)
    session._session.register_component("data_loader", data_loader())
    for event in _FORWARDED:
        session.events.register(event, _forward)
    session.events.register("creating-client-class", _add_sandbox_client)
    return session


@functools.cache
def shared_client(region: str, service: str) -> Any:
    return shared_session(region).client(service, region_name=region)


class _SandboxClient:
    """What every client of the shared session adds to botocore's: it keeps the endpoints it resolves
    (`sandbox.endpoint_cache`), and a call a fake answers from its parameters builds no request
    (`sandbox.param_calls`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        endpoint_cache.install(self)

    def _make_api_call(self, operation_name: str, api_params: dict[str, Any]) -> Any:
        answered = param_calls.answer(self, operation_name, api_params, _active)
        if answered is param_calls.BOTOCORE:
            return super()._make_api_call(operation_name, api_params)  # type: ignore[misc]
        return answered


def _add_sandbox_client(base_classes: list[type], **_: Any) -> None:
    base_classes.insert(0, _SandboxClient)


def activate(emitter: HierarchicalEmitter | None) -> None:
    """Send the forwarded events to `emitter` (the running sandbox's), or nowhere."""
    global _active
    _active = emitter


def forwards(handler: Any) -> bool:
    """Whether `handler` is the one the shared session's clients forward the sandbox's events with."""
    return handler is _forward


def _forward(event_name: str, **kwargs: Any) -> Any:
    if _active is None:
        return None
    _handler, response = _active.emit_until_response(event_name, **kwargs)
    return response
