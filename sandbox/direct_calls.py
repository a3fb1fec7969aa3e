"""Service calls answered by moto in-process, without botocore's HTTP-shaped round trip.

Every call an execution makes (an optimized integration such as `dynamodb:putItem`, an
`aws-sdk:*` task, a handler's boto3 call) normally goes: botocore serializes the request,
signs it (SigV4), emits `before-send`, where moto's stubber scans every service's URL patterns
to find the backend, then botocore parses the answer. A 10,000-object restore makes some 40,000
such calls, and signing plus the URL scan are a large part of each.

Here, at `before-call` (after botocore validated and serialized the parameters, exactly as it
would before sending), the serialized request goes straight to moto's own request handling
(`BotocoreStubber.process_request`: the same dispatch, the same response classes and backends)
and the answer is parsed by botocore's own parser, retried by botocore's own retry handlers and
raised by the client as the modeled error. What is skipped is only what moto never looks at: the
signature's HMAC (moto reads the access key and region of the credential scope, which the
request still carries) and the event chain that carries the request to the stubber. A JSON-protocol
request (DynamoDB, SQS) skips the stubber too: `sandbox.direct_json` hands botocore's request dict to
the response class moto would route it to.

Only the operations of `OPERATIONS` take this path; everything else (and every call while moto's
IAM authorization is on, which checks signatures) takes botocore's. `SANDBOX_DIRECT_CALLS=0` or
`Sandbox(direct_calls=False)` turns it off, to compare the two.
"""

from __future__ import annotations

import functools
import math
import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, Final

from botocore import parsers
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest, AWSResponse, HeadersDict, create_request_object
from botocore.compress import maybe_compress_request
from botocore.endpoint import convert_to_response_dict
from botocore.hooks import first_non_none_response
from botocore.httpchecksum import apply_request_checksum, handle_checksum_body
from botocore.model import OperationModel
from botocore.utils import parse_timestamp as botocore_parse_timestamp
from moto import settings
from moto.core.botocore_stubber import MockRawResponse
from moto.core.models import botocore_stubber

from sandbox import direct_backend, direct_json
from sandbox.moto_fixes.serializer_timestamps import aware_utc

ENV_SWITCH: Final[str] = "SANDBOX_DIRECT_CALLS"

OPERATIONS: Final[dict[str, frozenset[str]]] = {
    "s3": frozenset({
        "HeadObject", "GetObject", "PutObject", "CopyObject", "DeleteObject", "ListObjectsV2", "ListObjects",
        "HeadBucket", "GetObjectTagging", "PutObjectTagging", "GetObjectAttributes",
    }),
    "dynamodb": frozenset({
        "GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan", "BatchGetItem", "BatchWriteItem",
        "TransactWriteItems", "TransactGetItems",
    }),
    "sns": frozenset({"Publish", "PublishBatch"}),
    "sqs": frozenset({
        "SendMessage", "SendMessageBatch", "ReceiveMessage", "DeleteMessage", "GetQueueUrl", "GetQueueAttributes",
    }),
    "events": frozenset({"PutEvents"}),
    "sfn": frozenset({
        "StartExecution", "StartSyncExecution", "DescribeExecution", "StopExecution", "SendTaskSuccess",
        "SendTaskFailure", "SendTaskHeartbeat", "ListExecutions", "GetExecutionHistory",
    }),
}
"""By botocore service id (hyphenized). Lambda Invoke is absent: the sandbox runs functions
in-process already (`lambdas.py` answers it at `before-call` before this does), as the fakes do
for the APIs moto lacks."""

def parse_timestamp(value: Any) -> datetime:
    """botocore's timestamp parser, without dateutil's general parser for the two forms moto sends.

    An HTTP date (`Sat, 05 Dec 2026 14:46:38 GMT`: Last-Modified, Date) and ISO 8601 in UTC
    (`2026-12-05T14:46:38.000Z`: XML and JSON bodies), read as moto's serializer reads them
    (`serializer_timestamps.aware_utc`), become the datetime botocore's `parse_timestamp` returns,
    time zone object included; anything else goes to botocore's.
    """
    moment = aware_utc(value) if isinstance(value, str) else None
    if moment is None:
        return botocore_parse_timestamp(value)
    sample = "Sat, 01 Jan 2000 00:00:00 GMT" if value.endswith(" GMT") else "2000-01-01T00:00:00Z"
    return moment.replace(tzinfo=_zone_of(sample))


@functools.cache
def _zone_of(sample: str) -> Any:
    """The tzinfo botocore gives that form: dateutil's tzutc, or tzlocal for `Z` where the machine's zone is UTC."""
    return botocore_parse_timestamp(sample).tzinfo


_PARSERS = parsers.ResponseParserFactory()
_PARSERS.set_parser_defaults(timestamp_parser=parse_timestamp)


@functools.cache
def _parser(protocol: str) -> Any:
    """botocore's response parser for `protocol`, one for every call: a parser sets its attributes in its
    constructor only and keeps nothing of a response it parsed."""
    return _PARSERS.create_parser(protocol)


def enabled_by_default() -> bool:
    """The process-wide default: on, unless SANDBOX_DIRECT_CALLS is 0/false/no/off."""
    return os.environ.get(ENV_SWITCH, "1").strip().lower() not in ("0", "false", "no", "off")


_API_PARAMS: Final[str] = "sandbox.direct_calls.api_params"
"""Where the caller's parameters (as botocore validated and serialized them) wait in the request context."""


def register(events: Any) -> None:
    """Answer the covered operations on `events`, after every more specific `before-call` handler."""
    for service_id, operation in direct_backend.OPERATIONS | direct_json.PARAMS_KEPT:
        events.register_last(f"before-parameter-build.{service_id}.{operation}", _keep_api_params)
    events.register_last("before-call", answer)


def _keep_api_params(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
    context[_API_PARAMS] = params


def in_process_allowed() -> bool:
    """Whether moto may answer without a signed request: its mock is on and its IAM authorization (which
    verifies signatures) is off."""
    return bool(botocore_stubber.enabled) and math.isinf(settings.INITIAL_NO_AUTH_ACTION_COUNT)


def covers(service_id: str, operation: str) -> bool:
    return operation in OPERATIONS.get(service_id, ())


def answer(model: OperationModel, params: dict[str, Any], request_signer: Any, context: dict[str, Any],
           **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
    """botocore's `before-call`: moto's answer to the serialized request, or None to let botocore send it."""
    service_id = model.service_model.service_id.hyphenize()
    if not covers(service_id, model.name) or not in_process_allowed():
        return None
    # What botocore does to the request between `before-call` and sending it, on a copy: if moto
    # does not answer the URL (a client with its own endpoint_url), botocore sends the original.
    sent = {**params, "headers": dict(params["headers"])}
    maybe_compress_request(context["client_config"], sent, model)
    apply_request_checksum(sent)
    emitter = request_signer._event_emitter
    attempts = 1
    while True:
        exchanged = _exchange(sent, model, request_signer, context, emitter, service_id)
        if exchanged is None:
            return None  # (attempt 1 only: a retry is the same URL)
        if not _needs_retry(emitter, service_id, model, sent, exchanged, attempts):
            break
        attempts += 1
        if hasattr(sent["body"], "seek"):
            sent["body"].seek(0)  # a streamed body is sent again from its start, as botocore does
    metadata = exchanged[1].get("ResponseMetadata")
    if metadata is not None:
        metadata["RetryAttempts"] = attempts - 1
    return exchanged


def _exchange(params: dict[str, Any], model: OperationModel, request_signer: Any, context: dict[str, Any],
              emitter: Any, service_id: str) -> tuple[AWSResponse, dict[str, Any]] | None:
    """One request to moto and its parsed answer, as botocore's endpoint would produce them."""
    url = params["url"]
    answered = direct_backend.answer(service_id, model.name, context.get(_API_PARAMS), url,
                                     _access_key(request_signer), _signing_scope(request_signer, context)[0])
    json_request = model.service_model.resolved_protocol == direct_json.JSON_PROTOCOL and not params["query_string"]
    if answered is None and json_request:
        # The request botocore would prepare is its request dict as it stands (a URL without a query, a body of
        # bytes): moto's response class reads it from there, with the headers signing adds.
        headers = dict(params["headers"])
        _add_authorization(headers, request_signer, context)
        answered = direct_json.answer(params["method"], url, headers, params["body"], context.get(_API_PARAMS))
    if answered is None:
        request = create_request_object(params)
        request.stream_output = model.has_streaming_output or model.has_event_stream_output
        _add_signature_headers(request, request_signer, context)
        prepared = request.prepare()
        url, answered = prepared.url, botocore_stubber.process_request(prepared)
    if answered is None:
        return None
    status, headers, body = answered
    http = AWSResponse(url, status, {}, MockRawResponse(body))
    http.headers = ResponseHeaders(headers)
    response_dict = convert_to_response_dict(http, model)
    handle_checksum_body(http, response_dict, context, model)
    customized: dict[str, Any] = {}
    emitter.emit(f"before-parse.{service_id}.{model.name}", operation_model=model, response_dict=response_dict,
                 customized_response_dict=customized)
    parser = _parser(model.service_model.resolved_protocol)
    parsed = parser.parse(response_dict, model.output_shape)
    parsed.update(customized)
    if status >= 300:
        _add_modeled_error_fields(response_dict, parsed, model, parser)
    emitter.emit(f"response-received.{service_id}.{model.name}", response_dict=response_dict,
                 parsed_response=parsed, context=context, exception=None)
    return http, parsed


class ResponseHeaders(HeadersDict):
    """botocore's case-insensitive headers, held by lower-cased name.

    botocore's parser asks a REST response's headers for every header its output shape may carry
    (some 50 for HeadObject), and `HeadersDict` builds a key object for each question and for each
    header it holds. Here a name is lower-cased once; as in `HeadersDict`, a header keeps the spelling
    of its name first set, and iterating gives the names in the order they were first set.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._lowered: dict[str, Any] = {}
        self._names: dict[str, str] = {}
        for key, value in dict(*args, **kwargs).items():
            self[key] = value

    def __setitem__(self, key: str, value: Any) -> None:
        lowered = key.lower()
        self._lowered[lowered] = value
        self._names.setdefault(lowered, key)

    def __getitem__(self, key: str) -> Any:
        return self._lowered[key.lower()]

    def __delitem__(self, key: str) -> None:
        lowered = key.lower()
        del self._lowered[lowered]
        del self._names[lowered]

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._names.values()))

    def __len__(self) -> int:
        return len(self._lowered)

    def __repr__(self) -> str:
        return repr({self._names[lowered]: value for lowered, value in self._lowered.items()})

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key.lower() in self._lowered

    def get(self, key: str, default: Any = None) -> Any:
        return self._lowered.get(key.lower(), default)

    def copy(self) -> ResponseHeaders:
        return ResponseHeaders(self.items())


def _add_signature_headers(request: AWSRequest, request_signer: Any, context: dict[str, Any]) -> None:
    """The headers SigV4 adds that moto reads, without the HMAC (moto never verifies it).

    Authorization's credential scope gives moto the access key (the account) and the region;
    S3's X-Amz-Content-SHA256 tells it how the body is encoded (aws-chunked with a trailing
    checksum, or plain).
    """
    region, service = _signing_scope(request_signer, context)
    if service == "s3":
        request.headers["X-Amz-Content-SHA256"] = S3SigV4Auth(request_signer._credentials, service,
                                                               region).payload(request)
    _add_authorization(request.headers, request_signer, context)


def _signing_scope(request_signer: Any, context: dict[str, Any]) -> tuple[str, str]:
    signing = context.get("signing", {})
    return (signing.get("region") or request_signer.region_name,
            signing.get("signing_name") or request_signer.signing_name)


def _access_key(request_signer: Any) -> str | None:
    credentials = request_signer._credentials
    return None if credentials is None else credentials.access_key


def _add_authorization(headers: Any, request_signer: Any, context: dict[str, Any]) -> None:
    """SigV4's Authorization header as moto reads it (access key and scope), without the signature."""
    credentials = request_signer._credentials
    if credentials is None:
        return  # an unsigned client sends no Authorization either
    region, service = _signing_scope(request_signer, context)
    day = datetime.now(UTC).strftime("%Y%m%d")
    headers["Authorization"] = (
        f"AWS4-HMAC-SHA256 Credential={credentials.access_key}/{day}/{region}/{service}/aws4_request, "
        "SignedHeaders=host, Signature=not-computed-in-process")


def _add_modeled_error_fields(response_dict: dict[str, Any], parsed: dict[str, Any], model: OperationModel,
                              parser: Any) -> None:
    """The modeled error's own fields beside `Error` (e.g. DynamoDB's CancellationReasons), as botocore adds them."""
    code = parsed.get("Error", {}).get("Code")
    shape = model.service_model.shape_for_error_code(code) if code is not None else None
    if shape is not None:
        parsed.update(parser.parse(response_dict, shape))


def _needs_retry(emitter: Any, service_id: str, model: OperationModel, params: dict[str, Any],
                 exchanged: tuple[AWSResponse, dict[str, Any]], attempts: int) -> bool:
    """botocore's retry decision for this answer (its handlers, its back-off sleep)."""
    params["context"].setdefault("retries", {})["attempt"] = attempts
    responses = emitter.emit(f"needs-retry.{service_id}.{model.name}", response=exchanged, endpoint=None,
                             operation=model, attempts=attempts, caught_exception=None, request_dict=params)
    delay = first_non_none_response(responses)
    if delay is None or delay is False:
        return False
    time.sleep(delay)  # botocore sleeps the same back-off between attempts of the HTTP path
    return True
