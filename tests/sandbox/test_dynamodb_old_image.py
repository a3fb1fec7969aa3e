"""UpdateItem copies the old item only for a table's stream (`sandbox.moto_fixes.dynamodb_old_image`): a table with
a stream still gets each change's old image, a table without one answers as before with one copy fewer."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.dynamo_type import Item

from sandbox.moto_fixes import dynamodb_atomic, dynamodb_old_image
from tests.sandbox.engine_helpers import REGION

KEY = {"pk": {"S": "a"}}


@pytest.fixture
def ddb() -> Iterator[Any]:
    dynamodb_atomic.install()
    dynamodb_old_image.install()
    with mock_aws():
        yield boto3.client("dynamodb", region_name=REGION)


def _table(ddb: Any, name: str, **stream: Any) -> Any:
    return ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST", **stream,
                            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])["TableDescription"]


def _count_item_copies(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    copies: list[int] = []
    deepcopy = Item.__deepcopy__

    def counting(self: Item, memo: dict[int, Any]) -> Item:
        copies.append(1)
        return deepcopy(self, memo)

    monkeypatch.setattr(Item, "__deepcopy__", counting)
    return copies


def test_a_table_with_a_stream_gets_each_changes_old_image(ddb: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    _table(ddb, "streamed", StreamSpecification={"StreamEnabled": True,
                                                          "StreamViewType": "NEW_AND_OLD_IMAGES"})
    ddb.put_item(TableName="streamed", Item={**KEY, "n": {"N": "1"}, "tags": {"SS": ["x"]}})
    copies = _count_item_copies(monkeypatch)
    ddb.update_item(TableName="streamed", Key=KEY, UpdateExpression="ADD n :one, tags :t",
                    ExpressionAttributeValues={":one": {"N": "1"}, ":t": {"SS": ["y"]}})
    assert len(copies) == 2  # the response class's and the stream's
    shard = dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION].get_table("streamed").stream_shard
    modify = [record.record for record in shard.items if record.record["eventName"] == "MODIFY"]
    assert modify[0]["dynamodb"]["OldImage"] == {**KEY, "n": {"N": "1"}, "tags": {"SS": ["x"]}}
    assert modify[0]["dynamodb"]["NewImage"] == {**KEY, "n": {"N": "2"}, "tags": {"SS": ["x", "y"]}}


def test_a_table_without_a_stream_answers_as_before_with_one_copy(ddb: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    _table(ddb, "plain")
    ddb.put_item(TableName="plain", Item={**KEY, "n": {"N": "1"}, "tags": {"SS": ["x"]}})
    copies = _count_item_copies(monkeypatch)
    answer = ddb.update_item(TableName="plain", Key=KEY, UpdateExpression="ADD n :one, tags :t",
                             ExpressionAttributeValues={":one": {"N": "1"}, ":t": {"SS": ["y"]}},
                             ReturnValues="UPDATED_OLD")
    assert answer["Attributes"] == {"n": {"N": "1"}, "tags": {"SS": ["x"]}}
    assert len(copies) == 1  # the response class's, for ReturnValues
    assert ddb.get_item(TableName="plain", Key=KEY)["Item"] == {**KEY, "n": {"N": "2"}, "tags": {"SS": ["x", "y"]}}


def test_other_copies_of_the_backend_module_stay_deep_copies() -> None:
    dynamodb_old_image.install()
    from moto.dynamodb import models

    held = {"list": [1, 2]}
    copied = models.copy.deepcopy(held)
    assert copied == held and copied["list"] is not held["list"]
