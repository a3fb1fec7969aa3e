"""A call a fake answers from its parameters (`sandbox.param_calls`) ends as botocore's whole way ends it.

The same RestoreObject calls (accepted, refused by the fake, left to moto, invalid parameters for a client that
validates and for the interpreter's client, which does not) run in a sandbox with direct calls and in one
without; the parsed answers, modeled errors and raised exceptions must be the same. Where the short path must
answer, it did; where it must not, botocore's way did.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from sandbox import param_calls
from sandbox.core import Sandbox
from sandbox.session import shared_client, shared_session
from tests.conftest import TEMPLATE
from tests.sandbox.test_direct_calls import _client, _comparable

BUCKET = "param-calls-bucket"
BULK = {"Days": 2, "GlacierJobParameters": {"Tier": "Bulk"}}

STEPS: list[tuple[str, str, dict[str, Any], bool]] = [
    # (label, client kind, RestoreObject params, answered without the request)
    ("accepted", "interpreter", {"Bucket": BUCKET, "Key": "a.bin", "RestoreRequest": BULK}, True),
    ("accepted, validating client", "boto3", {"Bucket": BUCKET, "Key": "b.bin", "RestoreRequest": BULK}, True),
    ("already in progress", "interpreter", {"Bucket": BUCKET, "Key": "a.bin", "RestoreRequest": BULK}, True),
    ("not archived", "interpreter", {"Bucket": BUCKET, "Key": "plain.txt", "RestoreRequest": BULK}, True),
    ("no days", "interpreter", {"Bucket": BUCKET, "Key": "c.bin", "RestoreRequest": {"Tier": "Bulk"}}, True),
    ("no expedited for deep archive", "boto3",
     {"Bucket": BUCKET, "Key": "c.bin", "RestoreRequest": {"Days": 1, "Tier": "Expedited"}}, True),
    ("missing key: moto answers", "interpreter", {"Bucket": BUCKET, "Key": "missing", "RestoreRequest": BULK}, False),
    ("missing bucket: moto answers", "boto3", {"Bucket": "param-calls-nowhere", "Key": "k", "RestoreRequest": BULK},
     False),
    ("no Key, validating client", "boto3", {"Bucket": BUCKET, "RestoreRequest": BULK}, False),
    ("days as text, validating client", "boto3", {"Bucket": BUCKET, "Key": "d.bin", "RestoreRequest": {"Days": "2"}},
     False),
    ("days as text, interpreter", "interpreter",
     {"Bucket": BUCKET, "Key": "d.bin", "RestoreRequest": {"Days": "2"}}, False),
    ("request not a structure, interpreter", "interpreter",
     {"Bucket": BUCKET, "Key": "e.bin", "RestoreRequest": "2 days"}, False),
    ("bucket name not valid", "boto3", {"Bucket": "bad/bucket", "Key": "k", "RestoreRequest": BULK}, False),
]


def _outcome(call: Any) -> Any:
    try:
        return ("answer", _comparable(call()))
    except ClientError as error:
        return ("error", type(error).__name__, error.response["Error"]["Code"], _comparable(error.response),
                str(error))
    except Exception as error:  # the raised exception is what is compared
        return ("raised", type(error).__name__, str(error))


@contextlib.contextmanager
def _short_answers() -> Iterator[list[bool]]:
    """Per call, whether `param_calls` answered it (True) or left it to botocore (False)."""
    answered: list[bool] = []
    original = param_calls._answer

    def spy(*args: Any, **kwargs: Any) -> Any:
        try:
            result = original(*args, **kwargs)
        except ClientError:
            answered.append(True)  # the fake's modeled error, raised as botocore raises it
            raise
        answered.append(result is not param_calls.BOTOCORE)
        return result

    param_calls._answer = spy  # type: ignore[assignment]
    try:
        yield answered
    finally:
        param_calls._answer = original  # type: ignore[assignment]


def _run(direct: bool) -> list[tuple[Any, bool]]:
    with Sandbox.from_template(TEMPLATE, direct_calls=direct) as sb:
        s3 = shared_client(sb.region, "s3")
        s3.create_bucket(Bucket=BUCKET)
        s3.put_bucket_notification_configuration(Bucket=BUCKET,
                                                 NotificationConfiguration={"EventBridgeConfiguration": {}})
        for key in ("a.bin", "b.bin", "c.bin", "d.bin", "e.bin"):
            s3.put_object(Bucket=BUCKET, Key=key, Body=b"x", StorageClass="DEEP_ARCHIVE")
        s3.put_object(Bucket=BUCKET, Key="plain.txt", Body=b"x")
        outcomes = []
        with _short_answers() as answered:
            for _, kind, params, _ in STEPS:
                answered.clear()
                call = functools.partial(_client(kind, sb, "s3").restore_object, **params)
                outcomes.append((_outcome(call), any(answered)))
        initiated = [event["detail"]["object"]["key"] for event in sb.published(None, "Object Restore Initiated")]
        outcomes.append((initiated, False))
        return outcomes


@pytest.fixture(scope="module")
def outcomes() -> dict[bool, list[tuple[Any, bool]]]:
    return {direct: _run(direct) for direct in (False, True)}


@pytest.mark.parametrize("index", range(len(STEPS)), ids=[label for label, _, _, _ in STEPS])
def test_each_call_ends_as_botocores_way_ends_it(outcomes: dict[bool, list[tuple[Any, bool]]], index: int) -> None:
    assert outcomes[True][index][0] == outcomes[False][index][0]


@pytest.mark.parametrize("index", range(len(STEPS)), ids=[label for label, _, _, _ in STEPS])
def test_only_calls_the_fake_answers_from_valid_parameters_skip_the_request(
        outcomes: dict[bool, list[tuple[Any, bool]]], index: int) -> None:
    assert outcomes[True][index][1] is STEPS[index][3]
    assert outcomes[False][index][1] is False  # direct calls off: botocore's whole way


def test_the_restores_send_the_same_events(outcomes: dict[bool, list[tuple[Any, bool]]]) -> None:
    assert outcomes[True][-1] == outcomes[False][-1]
    assert outcomes[True][-1][0] == ["a.bin", "b.bin", "d.bin"]


def test_the_outcomes_are_the_expected_ones(outcomes: dict[bool, list[tuple[Any, bool]]]) -> None:
    """The comparison above compares real answers: each step ends as S3 (or botocore) ends it. The interpreter's
    client does not validate: the fake reads text days as a number, and botocore's serializer fails on a request
    that is not a structure."""
    kinds = [outcome[0][:2] if outcome[0][0] != "answer" else ("answer", outcome[0][1]["ResponseMetadata"][
        "HTTPStatusCode"]) for outcome in outcomes[True][:len(STEPS)]]
    assert kinds == [
        ("answer", 202), ("answer", 202), ("error", "ClientError"), ("error", "InvalidObjectState"),
        ("error", "ClientError"), ("error", "ClientError"), ("error", "NoSuchKey"), ("error", "NoSuchBucket"),
        ("raised", "ParamValidationError"), ("raised", "ParamValidationError"), ("answer", 202),
        ("raised", "AttributeError"), ("raised", "ParamValidationError"),
    ]


def test_a_client_with_its_own_before_call_handler_takes_botocores_way() -> None:
    with Sandbox.from_template(TEMPLATE) as sb:
        s3 = shared_client(sb.region, "s3")
        s3.create_bucket(Bucket=BUCKET)
        s3.put_object(Bucket=BUCKET, Key="a.bin", Body=b"x", StorageClass="DEEP_ARCHIVE")
        custom = shared_session(sb.region).client("s3", region_name=sb.region)
        seen: list[str] = []
        custom.meta.events.register("before-call.s3.RestoreObject", lambda **_: seen.append("mine"))
        with _short_answers() as answered:
            response = custom.restore_object(Bucket=BUCKET, Key="a.bin", RestoreRequest=BULK)
        assert response["ResponseMetadata"]["HTTPStatusCode"] == 202
        assert (seen, answered) == (["mine"], [])


def test_a_call_left_to_moto_runs_the_parameter_handlers_once_on_the_callers_parameters() -> None:
    """A handler that changes the parameters in place (botocore's SSE-C one does) changes them once, also when the
    fake leaves the call to moto after the short path ran them."""
    with Sandbox.from_template(TEMPLATE) as sb:
        shared_client(sb.region, "s3").create_bucket(Bucket=BUCKET)
        client = shared_session(sb.region).client("s3", region_name=sb.region)

        seen: list[str] = []

        def suffixed(params: dict[str, Any], **_: Any) -> None:
            seen.append(params["Key"])
            params["Key"] += "-suffixed"

        client.meta.events.register("before-parameter-build.s3.RestoreObject", suffixed)
        with pytest.raises(ClientError, match="NoSuchKey"):
            client.restore_object(Bucket=BUCKET, Key="missing", RestoreRequest=BULK)
        assert seen == ["missing", "missing"]  # the short path's run, then botocore's, each on the caller's key
