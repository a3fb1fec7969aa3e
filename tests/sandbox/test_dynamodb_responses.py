"""DynamoDB's answers written by the per-shape writers (`sandbox.moto_fixes.dynamodb_responses`) are moto's own:
the same status, headers and body, byte for byte, for every operation and value type; what the writers don't know
takes moto's serializer."""

from __future__ import annotations

import enum
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.core.responses import ActionResult
from moto.core.utils import get_service_model
from moto.dynamodb.responses import DynamoHandler

from sandbox.moto_fixes import dynamodb_responses, serializer_cache
from tests.sandbox.engine_helpers import ENGINE_CONFIG, REGION

Compared = list[tuple[str, bool, Any, Any]]
"""(operation, written by the writers, the sandbox's answer, moto's answer)."""

KEY = {"pk": {"S": "OBJECT#a"}, "sk": {"S": "OBJECT"}}
ITEM = {**KEY, "status": {"S": "RESTORING"}, "days": {"N": "7"}, "tags": {"SS": ["x", "y"]},
        "sizes": {"NS": ["1", "2.5"]}, "blob": {"B": b"\x00\xff"}, "blobs": {"BS": [b"a", b"\x80"]},
        "nested": {"M": {"list": {"L": [{"S": "é"}, {"NULL": True}, {"BOOL": False}, {"M": {}}, {"L": []}]}}},
        "flag": {"BOOL": True}, "nothing": {"NULL": True}, "text": {"S": 'quote " and \\ and \u2028'}}


@pytest.fixture
def compared(monkeypatch: pytest.MonkeyPatch) -> Iterator[Compared]:
    """Every DynamoDB answer of the block: as the sandbox writes it, and as moto's own serializer writes it."""
    serializer_cache.install()
    dynamodb_responses.install()
    pairs: Compared = []
    sandbox_serialized = DynamoHandler.serialized
    write_body = dynamodb_responses.write_body
    written: list[bool] = []

    def counting_write_body(operation_model: Any, result: Any) -> str:
        body = write_body(operation_model, result)
        written.append(True)
        return body

    def serialized(self: Any, action_result: ActionResult) -> Any:
        written.clear()
        status, headers, body = sandbox_serialized(self, action_result)
        ours = (status, dict(headers), body)  # (a copy: moto adds its own headers to the dict afterwards)
        with serializer_cache.moto_own():
            assert dynamodb_responses.moto_serialized is not None
            moto = dynamodb_responses.moto_serialized(self, action_result)
        pairs.append((self._get_action(), bool(written), ours, moto))
        return status, headers, body

    monkeypatch.setattr(dynamodb_responses, "write_body", counting_write_body)
    monkeypatch.setattr(DynamoHandler, "serialized", serialized)
    with mock_aws(config=ENGINE_CONFIG):
        yield pairs


def _table(ddb: Any) -> None:
    ddb.create_table(TableName="t", BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                {"AttributeName": "sk", "KeyType": "RANGE"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                           {"AttributeName": "sk", "AttributeType": "S"}])


def _item_calls(ddb: Any) -> None:
    ddb.put_item(TableName="t", Item=ITEM, ReturnConsumedCapacity="TOTAL")
    ddb.put_item(TableName="t", Item=ITEM, ReturnValues="ALL_OLD", ReturnConsumedCapacity="INDEXES")
    ddb.put_item(TableName="t", Item={**KEY, "status": {"S": "RESTORING"}}, ReturnValues="ALL_OLD",
                 ConditionExpression="attribute_not_exists(pk) OR #s <> :r", ExpressionAttributeNames={"#s": "days"},
                 ExpressionAttributeValues={":r": {"S": "RESTORING"}})
    ddb.put_item(TableName="t", Item=ITEM)
    ddb.get_item(TableName="t", Key=KEY, ConsistentRead=True, ReturnConsumedCapacity="TOTAL")
    ddb.get_item(TableName="t", Key=KEY, ProjectionExpression="#n.#l, days", ExpressionAttributeNames={
        "#n": "nested", "#l": "list"})
    ddb.get_item(TableName="t", Key={"pk": {"S": "missing"}, "sk": {"S": "OBJECT"}})
    for return_values in ("NONE", "ALL_OLD", "ALL_NEW", "UPDATED_OLD", "UPDATED_NEW"):
        ddb.update_item(TableName="t", Key=KEY, UpdateExpression="ADD #c :one, tags :t SET #s = :done",
                        ExpressionAttributeNames={"#c": "count", "#s": "status"},
                        ExpressionAttributeValues={":one": {"N": "1"}, ":done": {"S": "DONE"}, ":t": {"SS": ["z"]}},
                        ReturnValues=return_values)
    ddb.update_item(TableName="t", Key={"pk": {"S": "new"}, "sk": {"S": "OBJECT"}}, UpdateExpression="ADD n :one",
                    ExpressionAttributeValues={":one": {"N": "1"}}, ReturnValues="ALL_NEW",
                    ReturnConsumedCapacity="INDEXES")
    ddb.query(TableName="t", KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": {"S": "OBJECT#a"}},
              ReturnConsumedCapacity="TOTAL")
    ddb.scan(TableName="t", Limit=1)
    ddb.scan(TableName="t", Select="COUNT")
    ddb.delete_item(TableName="t", Key={"pk": {"S": "new"}, "sk": {"S": "OBJECT"}}, ReturnValues="ALL_OLD")
    ddb.batch_get_item(RequestItems={"t": {"Keys": [KEY]}})
    ddb.describe_table(TableName="t")
    ddb.list_tables()


def _error_calls(ddb: Any) -> None:
    with pytest.raises(ClientError, match="ConditionalCheckFailed"):
        ddb.update_item(TableName="t", Key=KEY, UpdateExpression="SET #s = :x", ConditionExpression="#s = :restoring",
                        ExpressionAttributeNames={"#s": "status"},
                        ExpressionAttributeValues={":x": {"S": "X"}, ":restoring": {"S": "RESTORING"}},
                        ReturnValuesOnConditionCheckFailure="ALL_OLD")
    with pytest.raises(ClientError, match="ConditionalCheckFailed"):
        ddb.put_item(TableName="t", Item=KEY, ConditionExpression="attribute_not_exists(pk)")
    with pytest.raises(ClientError, match="ResourceNotFound"):
        ddb.get_item(TableName="absent", Key=KEY)
    with pytest.raises(ClientError, match="ValidationException"):
        ddb.update_item(TableName="t", Key=KEY, UpdateExpression="SET a = :unused_missing")


def test_every_dynamodb_answer_is_byte_for_byte_moto_own(compared: Compared) -> None:
    ddb = boto3.client("dynamodb", region_name=REGION)
    _table(ddb)
    _item_calls(ddb)
    _error_calls(ddb)
    assert [operation for operation, _, ours, moto in compared if ours != moto] == []
    written = {operation for operation, by_writers, _, _ in compared if by_writers}
    assert {"PutItem", "GetItem", "UpdateItem", "DeleteItem", "Query", "Scan", "BatchGetItem", "ListTables"} <= written
    assert "DescribeTable" not in written  # (its timestamps: moto's serializer)


class _Kind(enum.Enum):
    TABLE = "t"


def _output(operation: str) -> Any:
    return get_service_model("dynamodb").operation_model(operation)


@pytest.mark.parametrize(("operation", "result"), [
    ("GetItem", {"Item": {"a": {"L": [None]}}}),
    ("GetItem", {"Item": {"a": {"M": {"b": None}}}}),
    ("GetItem", {"Item": {"a": {"S": 7}}}),
    ("GetItem", {"Item": {"a": {"BOOL": "yes"}}}),
    ("GetItem", {"Item": {"a": {"B": bytearray(b"x")}}}),
    ("GetItem", {"Item": {"a": object()}}),
    ("GetItem", {"Item": [("a", {"S": "x"})]}),
    ("GetItem", {"ConsumedCapacity": {"TableName": _Kind.TABLE, "CapacityUnits": 1.0}}),
    ("GetItem", {"ConsumedCapacity": {"TableName": "t", "CapacityUnits": "1"}}),
    ("ListTables", {"TableNames": ("t",)}),
    ("GetItem", {"Item": {"m": {"M": {"": {"S": "x"}}}}}),
], ids=["None in a list", "None in a map", "number as text", "bool as text", "bytearray", "object", "pairs", "enum",
        "number text", "tuple", "empty map key"])
def test_what_the_writers_dont_know_is_left_to_moto(operation: str, result: dict[str, Any]) -> None:
    with pytest.raises(dynamodb_responses.Unwritten):
        dynamodb_responses.write_body(_output(operation), result)


def test_the_writers_skip_none_members_and_ignore_keys_no_member_is_read_by() -> None:
    result = {"Item": {"a": {"S": "x", "N": None}}, "ConsumedCapacityUnits": 0.5, "ConsumedCapacity": None}
    assert dynamodb_responses.write_body(_output("GetItem"), result) == '{"Item": {"a": {"S": "x"}}}'
    integer_capacity = {"ConsumedCapacity": {"TableName": "t", "CapacityUnits": 1}}
    assert dynamodb_responses.write_body(_output("GetItem"), integer_capacity) == (
        '{"ConsumedCapacity": {"TableName": "t", "CapacityUnits": 1.0}}')
