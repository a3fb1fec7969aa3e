"""Calls a fake answers from their parameters alone, without building the HTTP request nobody sends.

A fake (`sandbox.fakes._api.intercept`: S3 RestoreObject, Textract, Rekognition, TestState) answers at
botocore's `before-call` from the caller's parameters. Before that, botocore serializes the request (S3's XML
body, its URL, headers, user agent and checksum context), and its own `before-call` handlers shape that request
further: all of it is thrown away when the fake answers. Here, for a client of the shared session
(`sandbox.session`), such a call goes the way botocore's `_make_api_call` goes, less the request:

- the same request context, the same `provide-client-params` and `before-parameter-build` events (the fake's
  stash of the parameters among them), the same endpoint resolution (its errors, its signing context);
- botocore's parameter validation: a client that validates raises botocore's `ParamValidationError`; a
  client that does not (the interpreter's) takes botocore's whole way with parameters that fail it, so what
  its serializer does with them stays what happens;
- the fake's answer, then `after-call` and the modeled error raised exactly as botocore raises it.

Anything else takes botocore's whole way: a sandbox without direct calls (`Sandbox(direct_calls=False)`,
`SANDBOX_DIRECT_CALLS=0`), moto's IAM authorization on, a client with a `before-call` handler that is not
botocore's own, a sandbox handler that would run before the fake's, and a call the fake leaves to moto
(its answer None: botocore's way then, from the start).
"""

from __future__ import annotations

import weakref
from typing import Any, Final

from botocore.context import start_as_current_context
from botocore.exceptions import ParamValidationError
from botocore.history import get_global_history_recorder
from botocore.validate import ParamValidationDecorator, ParamValidator

from sandbox import direct_calls
from sandbox.direct_json import plain_copy
from sandbox.fakes import _api

BOTOCORE: Final[object] = object()
"""`answer`'s result when the call must take botocore's whole way."""

_enabled: weakref.WeakSet[Any] = weakref.WeakSet()
_VALIDATOR: Final[ParamValidator] = ParamValidator()


def enable(events: Any) -> None:
    """Let the fakes registered on `events` (a sandbox's emitter) answer from parameters."""
    _enabled.add(events)


def answer(client: Any, operation_name: str, api_params: dict[str, Any], events: Any) -> Any:
    """The call's result (or its modeled error raised) when a fake on `events` answers it from its parameters;
    BOTOCORE when botocore's `_make_api_call` must make the call."""
    if events is None:
        return BOTOCORE
    service_id = client.meta.service_model.service_id.hyphenize()
    fake = _api.answerer(events, service_id, operation_name)
    if fake is None or events not in _enabled or not direct_calls.in_process_allowed():
        return BOTOCORE
    if not _first_sandbox_handler(events, service_id, operation_name, fake):
        return BOTOCORE
    if not _only_botocores_before_call(client, service_id, operation_name):
        return BOTOCORE
    own = plain_copy(api_params)
    if own is None:
        return BOTOCORE
    with start_as_current_context():  # as botocore's `_make_api_call`: the call's own user-agent features
        # On a copy: when botocore's way makes the call after all, its parameter handlers (some of which change
        # the parameters in place) see the caller's parameters as they were, once.
        return _answer(client, operation_name, own, service_id, fake)


def _answer(client: Any, operation_name: str, api_params: dict[str, Any], service_id: str, fake: Any) -> Any:
    model = client._service_model.operation_model(operation_name)
    get_global_history_recorder().record(
        "API_CALL", {"service": client._service_model.service_name, "operation": operation_name,
                     "params": api_params})
    context = _request_context(client, model)
    params = client._emit_api_params(api_params=api_params, operation_model=model, context=context)
    _url, _headers, properties = client._resolve_endpoint_ruleset(model, params, context)
    if properties:
        context["endpoint_properties"] = properties
    if model.input_shape is not None:
        report = _VALIDATOR.validate(params, model.input_shape)
        if report.has_errors():
            if isinstance(client._serializer, ParamValidationDecorator):  # the client validates (the config's
                # `parameter_validation` as botocore read it when it built the client)
                raise ParamValidationError(report=report.generate_report())
            return BOTOCORE  # unvalidated: what botocore's serializer makes of them is the behaviour
    answered = fake(context=context)
    if answered is None:
        return BOTOCORE  # moto answers: botocore's whole way
    http, parsed = answered
    client.meta.events.emit(f"after-call.{service_id}.{operation_name}", http_response=http, parsed=parsed,
                            model=model, context=context)
    if http.status_code >= 300:
        code = context.get("error_code_override") or parsed.get("Error", {}).get("Code")
        raise client.exceptions.from_code(code)(parsed, operation_name)
    return parsed


def _request_context(client: Any, model: Any) -> dict[str, Any]:
    """The request context botocore's `_make_api_call` starts a call with."""
    config = client.meta.config
    if model.auth and config.auth_scheme_preference:
        from botocore.auth import resolve_auth_scheme_preference

        auth_type = resolve_auth_scheme_preference(config.auth_scheme_preference.split(","), model.auth)
    else:
        auth_type = model.resolved_auth_type
    return {
        "client_region": client.meta.region_name,
        "client_config": config,
        "has_streaming_input": model.has_streaming_input,
        "auth_type": auth_type,
        "unsigned_payload": model.unsigned_payload,
        "auth_options": client._service_model.metadata.get("auth"),
    }


def _first_sandbox_handler(events: Any, service_id: str, operation_name: str, fake: Any) -> bool:
    """Whether the fake's answer is the first `before-call` handler the sandbox runs for the call (so answering
    with it skips none)."""
    handlers = _handlers(events, f"before-call.{service_id}.{operation_name}")
    return bool(handlers) and handlers[0] is fake


def _only_botocores_before_call(client: Any, service_id: str, operation_name: str) -> bool:
    """Whether the client's `before-call` handlers are botocore's own (they shape the HTTP request only) and the
    one forwarding to the sandbox."""
    from sandbox.session import forwards

    handlers = _handlers(getattr(client.meta.events, "_emitter", client.meta.events),
                         f"before-call.{service_id}.{operation_name}")
    key = id(handlers)
    verdict = _verdicts.get(key)
    if verdict is None or verdict[0]() is not handlers:
        allowed = all(forwards(handler) or _botocores(handler) for handler in handlers)
        verdict = _verdicts[key] = (weakref.ref(handlers, lambda _: _verdicts.pop(key, None)), allowed)
    return verdict[1]


_verdicts: dict[int, tuple[weakref.ref[Any], bool]] = {}
"""Per handler list (botocore builds a new one after any registration), whether it is botocore's own; an entry
goes with its list (a client's handlers are not kept alive by this)."""


def _handlers(emitter: Any, event: str) -> Any:
    """The handlers `emitter` runs for `event`, most specific first, from its lookup table as its `_emit` reads
    them (filled the same way on a miss)."""
    table = emitter._lookup_cache
    handlers = table.get(event)
    if handlers is None:
        handlers = table[event] = emitter._handlers.prefix_search(event)
    return handlers


def _botocores(handler: Any) -> bool:
    module = getattr(getattr(handler, "__func__", handler), "__module__", None) or ""
    return module == "botocore" or module.startswith("botocore.")
