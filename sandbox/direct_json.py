"""moto's answer to a JSON-protocol request, from its response class without the HTTP-shaped request.

For a request botocore has serialized (`awsJson1_0`/`1_1`: DynamoDB, SQS...), moto's stubber finds
the response class by URL, builds a werkzeug request (a WSGI environ, header views, a body stream),
and the response class's `setup_class` reads the URL, body, headers, region and account back out of
it before its parameter parser and handler method run. Here the same response class gets the same
values straight from botocore's request dict: the action from `X-Amz-Target`, the parameters from
moto's own JSON parser over the same body, the region from the URL, the account from the access key,
and then moto's own `call_action` (its authorization check, handler method, errors, serializer and
CRC32 header). Only response classes that parse their parameters from the protocol model take this
path (`automated_parameter_parsing`); a request that is unusual in any way (compressed, recorded by
moto's recorder, a URL moto passes through or routes elsewhere) goes moto's whole way. What depends on
the URL alone (the URL moto routes by, given the custom S3 endpoints set; the region the URL names) is
worked out once per URL.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
from collections import OrderedDict
from datetime import datetime
from types import SimpleNamespace
from typing import Any, Final
from urllib.parse import parse_qs, parse_qsl, urlparse

from moto.core.common_types import TYPE_RESPONSE
from moto.core.config import passthrough_service, passthrough_url, service_whitelisted
from moto.core.parse import PROTOCOL_PARSERS
from moto.core.request import determine_request_protocol
from moto.core.responses import BaseResponse, _decode_dict
from moto.core.utils import get_equivalent_url_in_aws_domain, get_service_model, utcnow
from moto.moto_api import recorder
from moto.utilities.utils import get_partition
from werkzeug.datastructures import Headers, MultiDict
from werkzeug.exceptions import HTTPException
from werkzeug.http import http_date

JSON_PROTOCOL: Final[str] = "json"
PARAMS_KEPT: Final[frozenset[tuple[str, str]]] = frozenset(
    ("dynamodb", operation) for operation in ("GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan"))
"""(botocore service id, operation) whose callers' parameters stand for moto's parse of the body (the hottest)."""
_DISPATCH: Final[Any] = BaseResponse.dispatch.__func__  # type: ignore[attr-defined]


def answer(method: str, url: str, headers: dict[str, Any], body: bytes,
           api_params: dict[str, Any] | None = None) -> TYPE_RESPONSE | None:
    """moto's (status, headers, body) for a JSON-protocol request, or None where moto's stubber must answer it.

    `api_params`: the parameters botocore serialized `body` from, when the caller kept them. moto's JSON parser
    reads the body back into exactly those (strings, numbers, maps, lists; blobs decoded to bytes): a copy of them
    stands for its parse.
    """
    if method != "POST" or recorder._user_enabled or not isinstance(body, bytes):
        return None
    response_class = _response_class(url)
    if response_class is None:
        return None
    handler = response_class()
    service = handler.service_name
    if service is None or passthrough_service(service) or not service_whitelisted(service):
        return None  # moto's stubber says why (passes it through, or refuses a service not allowed)
    if not handler.automated_parameter_parsing:
        return None
    request_headers = Headers([(key, value.decode("utf-8") if isinstance(value, bytes) else str(value))
                               for key, value in headers.items()])
    if request_headers.get("Content-Encoding") is not None:
        return None  # gzip and friends: moto's own decompression
    service_model = get_service_model(handler.boto3_service_name)
    if determine_request_protocol(service_model, request_headers.get("Content-Type")) != JSON_PROTOCOL:
        return None
    _set_up(handler, url, request_headers, body)
    action = handler._get_action()
    if not action or action not in service_model.operation_names:
        return None  # an unknown action: moto's own error path
    try:
        kept = None if api_params is None else plain_copy(api_params)
        if kept is not None:
            handler.params = kept
        else:
            parser = _parser(handler.boto3_service_name, action, handler.PROTOCOL_PARSER_MAP_TYPE)
            handler.params = parser.parse({"method": "POST", "values": MultiDict(), "headers": request_headers,
                                           "body": body, "url_path": handler.path, "url_params": {}})
        _visit(handler)
        status, response_headers, response_body = handler.call_action()
    except HTTPException as error:  # raised outside the handler method: moto's stubber answers it so
        return error.code or 500, dict(error.get_headers()), error.get_body()
    return status, response_headers, response_body


_PLAIN_LEAVES: Final[frozenset[type]] = frozenset({str, int, float, bool, type(None), bytes})


class _NotPlain(Exception):
    """A value moto's parser would not read back as it is (a tuple becomes a list, a bytearray bytes...)."""


def plain_copy(params: dict[str, Any]) -> dict[str, Any] | None:
    """A deep copy of the caller's parameters if they are what moto's parser makes of their body (dicts with text
    keys, lists, text, numbers, booleans, None, bytes for blobs), else None (moto's parser then reads the body)."""
    try:
        return _copy_plain(params)
    except _NotPlain:
        return None


def _copy_plain(value: Any) -> Any:
    kind = type(value)
    if kind in _PLAIN_LEAVES:
        return value
    if kind is dict:
        if not all(type(key) is str for key in value):
            raise _NotPlain
        return {key: _copy_plain(item) for key, item in value.items()}
    if kind is list:
        return [_copy_plain(item) for item in value]
    raise _NotPlain


@functools.lru_cache(maxsize=256)
def _parser(service_name: str, action: str, map_type: Any) -> Any:
    """moto's JSON request parser for one operation (it keeps no state between requests)."""
    return PROTOCOL_PARSERS[JSON_PROTOCOL](get_service_model(service_name).operation_model(action), map_type=map_type)


@functools.lru_cache(maxsize=64)
def _routed_class(clean_url: str) -> type[BaseResponse] | None:
    """The response class moto's stubber dispatches `clean_url` to (its same two scans), if it is a plain one."""
    import moto.backends as backends
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.core.base_backend import BackendDict
    from moto.core.botocore_stubber import backend_index

    for service, pattern in backend_index.backend_url_patterns:
        if not pattern.match(clean_url):
            continue
        backend_dict = backends.get_backend(service)  # type: ignore[call-overload]
        if not isinstance(backend_dict, BackendDict):
            return None
        regions = backend_dict[DEFAULT_ACCOUNT_ID]
        backend = regions["us-east-1"] if "us-east-1" in regions else regions["aws"]
        for url, method_to_execute in backend.urls.items():
            if re.compile(url).match(clean_url):
                owner = getattr(method_to_execute, "__self__", None)
                return owner if getattr(method_to_execute, "__func__", None) is _DISPATCH and _plain(owner) else None
        return None
    return None


def _plain(owner: Any) -> bool:
    """A response class that reads its request as `BaseResponse` does (S3's, for one, reads it its own way)."""
    return (isinstance(owner, type) and issubclass(owner, BaseResponse)
            and owner.setup_class is BaseResponse.setup_class and owner._dispatch is BaseResponse._dispatch)


def _response_class(url: str) -> type[BaseResponse] | None:
    clean_url = clean_url_of(url)
    return None if passthrough_url(clean_url) else _routed_class(clean_url)


S3_CUSTOM_ENDPOINTS: Final[str] = "MOTO_S3_CUSTOM_ENDPOINTS"
"""The one setting moto's URL translation reads (custom S3 endpoints), read per request as moto does."""


def clean_url_of(url: str) -> str:
    """The URL moto's stubber matches for `url`: scheme, host in AWS's domain (by the setting as it is now), path."""
    return _clean_url(url, os.environ.get(S3_CUSTOM_ENDPOINTS))


@functools.lru_cache(maxsize=256)
def _clean_url(url: str, _custom_endpoints: str | None) -> str:
    parsed_url, _ = get_equivalent_url_in_aws_domain(url)
    return f"{parsed_url.scheme}://{parsed_url.netloc}{parsed_url.path}"


@functools.lru_cache(maxsize=256)
def _region_in_url(region_regex: re.Pattern[str], url: str) -> str | None:
    """The region `BaseResponse.get_region_from_url` reads from the URL first, if the URL names one."""
    match = region_regex.search(url)
    return None if match is None else match.group(1)


def _set_up(handler: Any, url: str, headers: Headers, body: bytes) -> None:
    """What `BaseResponse.setup_class` reads from a werkzeug request, read from botocore's request dict."""
    parsed_url = urlparse(url)
    text = body.decode("utf-8")
    handler.is_werkzeug_request = False
    handler.normalized_request = None
    handler.parsed_url = parsed_url
    handler.raw_body = body
    handler.body = text
    handler.form_data = {}
    querystring: dict[str, Any] = OrderedDict(parse_qs(parsed_url.query, keep_blank_values=True)
                                              if parsed_url.query else ())
    if not querystring and text:
        with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError, AttributeError):  # not a query string
            querystring.update((key, [value]) for key, value in parse_qsl(text, keep_blank_values=True))
    if not querystring:
        querystring.update(headers)
    with contextlib.suppress(UnicodeDecodeError):
        querystring = _decode_dict(querystring)
    handler.uri = url
    handler.path = parsed_url.path
    handler.raw_path = parsed_url.path
    handler.querystring = handler.data = querystring
    handler.method = "POST"
    region = _region_in_url(handler.region_regex, url)
    if region is None:  # the User-Agent's region, or the credential scope's
        region = handler.get_region_from_url(SimpleNamespace(headers=headers), url)  # all it reads of a request
    handler.region = region
    handler.partition = get_partition(handler.region)
    handler.uri_match = {}
    if "host" not in headers:
        headers["Host"] = parsed_url.netloc
    handler.headers = headers
    handler.response_headers = {"server": "amazon.com", "date": _http_date_now()}


_last_date: tuple[datetime, str] = (datetime.min, "")


def _http_date_now() -> str:
    """`http_date(utcnow())`, formatted once per second of moto's clock (the header has no finer resolution)."""
    global _last_date
    second = utcnow().replace(microsecond=0)
    kept = _last_date
    if kept[0] != second:
        kept = _last_date = (second, http_date(second))
    return kept[1]


def _visit(handler: Any) -> None:
    from moto.iam.models import mark_account_as_visited

    handler.access_key = handler.get_access_key()
    handler.current_account = handler.get_current_account()
    mark_account_as_visited(account_id=handler.current_account, access_key=handler.access_key,
                            service=handler.service_name, region=handler.region)
