"""botocore's endpoint for a call, resolved once per client, operation and the parameters the rules read.

Before every call botocore resolves the endpoint from the service's rule set: it copies the client's
builtins (region, FIPS, dual-stack...), lets `before-endpoint-resolution` handlers adjust them, reads the
operation's context parameters from the call's parameters (S3's `Bucket`, DynamoDB's `TableName` as
`ResourceArn`) and evaluates the rules (some 60-90 µs a call, four times per object of a restore request).
The rules are a pure function of those inputs, so the result is kept per client, keyed by everything it
was computed from:

- the operation (its static context parameters come with it);
- the value of each context parameter the rules read, from the call's parameters (not S3's `Key`, which
  botocore's provider drops before evaluating them);
- the value of each builtin given as a callable (the credentials' account id);
- the state the registered `before-endpoint-resolution` handlers read: botocore's own two S3 handlers
  read the bucket name (in the key already), the operation (idem), `use_global_endpoint` of the request
  context (a presigned URL: never kept) and the S3 region redirector's cache (a bucket redirected before:
  never kept).

Anything else is resolved by botocore as before, uncached: an operation with JMESPath context parameters,
a parameter value that cannot be a key, any other handler registered for `before-endpoint-resolution`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, Final

from botocore.handlers import customize_endpoint_resolver_builtins
from botocore.model import OperationModel
from botocore.regions import EndpointRulesetResolver
from botocore.utils import S3RegionRedirectorv2

MAX_ENTRIES: Final[int] = 4096
"""Per client: a restore request reads one bucket; a bound keeps a test run over many buckets from growing."""

_UNCACHEABLE: Final[object] = object()


@dataclass(frozen=True)
class _Plan:
    """What the rules read of one operation's call."""

    members: tuple[str, ...]
    """The call's parameters that feed the rule set's context parameters."""
    cacheable: bool
    """False for an operation whose context parameters are JMESPath expressions over the call."""


class CachedEndpoints:
    """The endpoint cache of one client's ruleset resolver (`install` puts it in front of `construct_endpoint`)."""

    def __init__(self, resolver: EndpointRulesetResolver) -> None:
        self._resolver = resolver
        self._construct: Callable[..., Any] = resolver.construct_endpoint
        self._plans: dict[str, _Plan] = {}
        self._results: dict[Hashable, tuple[Any, tuple[tuple[str, Any], ...]]] = {}
        self._lock = threading.Lock()
        self._checked_handlers: tuple[Any, bool, tuple[S3RegionRedirectorv2, ...]] | None = None
        """(the emitter's handler lookup table when checked, whether its handlers allow keeping results, the S3
        region redirectors among them)."""
        service_id = resolver._service_model.service_id.hyphenize()
        self._event = f"before-endpoint-resolution.{service_id}"
        self.hits = 0

    def construct_endpoint(self, operation_model: OperationModel, call_args: dict[str, Any] | None,
                           request_context: dict[str, Any] | None) -> Any:
        key = self._key(operation_model, call_args or {}, request_context or {})
        if key is _UNCACHEABLE:
            return self._construct(operation_model, call_args, request_context)
        kept = self._results.get(key)
        if kept is None:
            result = self._construct(operation_model, call_args, request_context)
            kept = (result, self._feature_params(operation_model, call_args or {}))
            with self._lock:
                if len(self._results) >= MAX_ENTRIES:
                    self._results.clear()
                self._results[key] = kept
            return result
        self.hits += 1
        result, feature_params = kept
        for name, value in feature_params:
            # The user-agent features botocore records while resolving (the account-id mode), recorded again.
            self._resolver._register_endpoint_feature_ids(name, value)
        return result._replace(headers=dict(result.headers))

    def _key(self, model: OperationModel, call_args: dict[str, Any], request_context: dict[str, Any]) -> Any:
        if request_context.get("use_global_endpoint") or not self._handlers_allow(call_args):
            return _UNCACHEABLE
        plan = self._plan(model)
        if not plan.cacheable:
            return _UNCACHEABLE
        values = tuple(call_args.get(member) for member in plan.members)
        builtins = tuple(value() for value in self._resolver._builtins.values() if callable(value))
        key = (model.name, values, builtins)
        try:
            hash(key)
        except TypeError:
            return _UNCACHEABLE
        return key

    def _plan(self, model: OperationModel) -> _Plan:
        plan = self._plans.get(model.name)
        if plan is None:
            # The rule set's parameters, less those botocore's provider drops before evaluating (S3's Key).
            defined = self._resolver._param_definitions.keys() - self._resolver._provider._excluded_params
            members = tuple(param.member_name for param in model.context_parameters if param.name in defined)
            cacheable = not any(name in defined for name in model.operation_context_parameters)
            plan = self._plans[model.name] = _Plan(members, cacheable)
        return plan

    def _feature_params(self, model: OperationModel, call_args: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
        """The provider parameters botocore registers user-agent features for (those of the account id)."""
        params = self._resolver._get_provider_params(model, call_args, {})
        return tuple((name, value) for name, value in params.items() if name in ("AccountId", "AccountIdEndpointMode"))

    def _handlers_allow(self, call_args: dict[str, Any]) -> bool:
        """Whether every `before-endpoint-resolution` handler's input is in the key (botocore's own S3 handlers,
        with no redirect remembered for this bucket)."""
        checked = self._checked_handlers
        table = _lookup_table(self._resolver._event_emitter)
        if table is None:
            return False
        if checked is None or checked[0] is not table:
            found = _handlers_of(self._resolver._event_emitter, self._event)
            redirectors = tuple(handler.__self__ for handler in found if _is_redirector(handler))
            allowed = all(handler is customize_endpoint_resolver_builtins or _is_redirector(handler)
                          for handler in found)
            checked = self._checked_handlers = (table, allowed, redirectors)
        _, allowed, redirectors = checked
        bucket = call_args.get("Bucket")
        return allowed and not any(bucket in redirector._cache for redirector in redirectors)


def _lookup_table(emitter: Any) -> Any:
    """The emitter's handler lookup table: botocore replaces it with a new one at every (un)registration."""
    return getattr(getattr(emitter, "_emitter", emitter), "_lookup_cache", None)


def _handlers_of(emitter: Any, event: str) -> list[Any]:
    return list(getattr(emitter, "_emitter", emitter)._handlers.prefix_search(event))


def _is_redirector(handler: Any) -> bool:
    return (isinstance(getattr(handler, "__self__", None), S3RegionRedirectorv2)
            and getattr(handler, "__func__", None) is S3RegionRedirectorv2.redirect_from_cache)


def install(client: Any) -> None:
    """Put an endpoint cache in front of `client`'s ruleset resolver (a client without one is left as it is)."""
    resolver = getattr(client, "_ruleset_resolver", None)
    if isinstance(resolver, EndpointRulesetResolver) and not isinstance(
            getattr(resolver, "construct_endpoint", None), _BoundCache):
        resolver.construct_endpoint = _BoundCache(CachedEndpoints(resolver))


class _BoundCache:
    """`construct_endpoint` as an instance attribute of the resolver, with its cache reachable (tests, stats)."""

    def __init__(self, cache: CachedEndpoints) -> None:
        self.cache = cache

    def __call__(self, operation_model: OperationModel, call_args: dict[str, Any] | None,
                 request_context: dict[str, Any] | None) -> Any:
        return self.cache.construct_endpoint(operation_model, call_args, request_context)
