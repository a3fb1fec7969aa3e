"""moto's response serializer, with each member's candidate names found once and structures held as dicts written
from the members they hold, answers byte for byte as moto does.

Every response of a spread of calls (JSON, REST-XML and query protocols; plain dicts and moto's
model objects; results and modeled errors; SNS's response transformers) is serialized twice: as
the sandbox does, and with moto's own member lookup put back. The work saved is counted, not timed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.core import serialize
from moto.core.responses import ActionContext, ActionResult, BaseResponse
from moto.core.utils import get_service_model
from moto.dynamodb.responses import DynamoHandler

from sandbox.moto_fixes import serializer_cache
from tests.sandbox.engine_helpers import ENGINE_CONFIG, REGION, ROLE_ARN

Compared = list[tuple[str, Any, Any]]
_SERIALIZE = ActionResult.execute_result
"""Where every result is serialized (a PaginatedResult pages its result, then comes here)."""


def _with_moto_lookup(result: ActionResult, context: ActionContext) -> Any:
    with serializer_cache.moto_own():
        return _SERIALIZE(result, context)


@pytest.fixture
def compared(monkeypatch: pytest.MonkeyPatch) -> Iterator[Compared]:
    """Every response serialized in the block: (operation, the sandbox's answer, moto's answer)."""
    serializer_cache.install()
    pairs: Compared = []

    def execute_result(self: ActionResult, context: ActionContext) -> Any:
        status, headers, body = answer = _SERIALIZE(self, context)
        # (a copy: moto adds its own headers to the dict afterwards)
        pairs.append((context.operation_model.name, (status, dict(headers), body), _with_moto_lookup(self, context)))
        return answer

    monkeypatch.setattr(ActionResult, "execute_result", execute_result)
    # DynamoDB's plain answers have their own writers (`dynamodb_responses`): moto's serializer is compared here.
    monkeypatch.setattr(DynamoHandler, "serialized", BaseResponse.serialized)
    with mock_aws(config=ENGINE_CONFIG):
        yield pairs


def _dynamodb_calls() -> None:
    ddb = boto3.client("dynamodb", region_name=REGION)
    ddb.create_table(TableName="t", BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                {"AttributeName": "sk", "KeyType": "RANGE"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                           {"AttributeName": "sk", "AttributeType": "S"}])
    item = {"pk": {"S": "OBJECT#a"}, "sk": {"S": "OBJECT"}, "status": {"S": "RESTORING"}, "days": {"N": "7"},
            "tags": {"SS": ["x", "y"]}, "sizes": {"NS": ["1", "2.5"]}, "blob": {"B": b"\x00\xff"},
            "nested": {"M": {"list": {"L": [{"S": "é"}, {"NULL": True}, {"BOOL": False}, {"M": {}}]}}}}
    ddb.put_item(TableName="t", Item=item)
    ddb.get_item(TableName="t", Key={"pk": {"S": "OBJECT#a"}, "sk": {"S": "OBJECT"}}, ConsistentRead=True)
    ddb.get_item(TableName="t", Key={"pk": {"S": "missing"}, "sk": {"S": "OBJECT"}})
    ddb.update_item(TableName="t", Key={"pk": {"S": "OBJECT#a"}, "sk": {"S": "OBJECT"}},
                    UpdateExpression="ADD #c :one SET #s = :done",
                    ExpressionAttributeNames={"#c": "count", "#s": "status"},
                    ExpressionAttributeValues={":one": {"N": "1"}, ":done": {"S": "DONE"}}, ReturnValues="ALL_NEW")
    with pytest.raises(ClientError):
        ddb.update_item(TableName="t", Key={"pk": {"S": "OBJECT#a"}, "sk": {"S": "OBJECT"}},
                        UpdateExpression="SET #s = :x", ConditionExpression="#s = :restoring",
                        ExpressionAttributeNames={"#s": "status"},
                        ExpressionAttributeValues={":x": {"S": "X"}, ":restoring": {"S": "RESTORING"}},
                        ReturnValuesOnConditionCheckFailure="ALL_OLD")
    ddb.query(TableName="t", KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": {"S": "OBJECT#a"}})
    ddb.scan(TableName="t", Limit=1)
    ddb.describe_table(TableName="t")
    ddb.list_tables()


def _s3_calls() -> None:
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="bucket")
    s3.put_object(Bucket="bucket", Key="archive/a.bin", Body=b"x", StorageClass="DEEP_ARCHIVE", Metadata={"k": "v"})
    s3.put_object(Bucket="bucket", Key="plain.txt", Body=b"hello")
    s3.copy_object(Bucket="bucket", Key="copy.txt", CopySource="bucket/plain.txt", StorageClass="STANDARD",
                   MetadataDirective="COPY")
    s3.head_object(Bucket="bucket", Key="copy.txt")
    s3.list_objects_v2(Bucket="bucket", Prefix="archive/")
    s3.list_buckets()
    s3.put_object_tagging(Bucket="bucket", Key="plain.txt", Tagging={"TagSet": [{"Key": "a", "Value": "b"}]})
    s3.get_object_tagging(Bucket="bucket", Key="plain.txt")
    with pytest.raises(ClientError):
        s3.head_object(Bucket="bucket", Key="absent")


def _sns_sqs_calls() -> None:
    sns = boto3.client("sns", region_name=REGION)
    topic = sns.create_topic(Name="topic")["TopicArn"]
    sns.publish(TopicArn=topic, Subject="s", Message="m",
                MessageAttributes={"requester": {"DataType": "String", "StringValue": "r"}})
    sns.get_topic_attributes(TopicArn=topic)
    sns.list_topics()
    sqs = boto3.client("sqs", region_name=REGION)
    queue = sqs.create_queue(QueueName="q")["QueueUrl"]
    sqs.send_message(QueueUrl=queue, MessageBody='{"a": "\\"quoted\\"\\r"}')
    sqs.receive_message(QueueUrl=queue, MessageAttributeNames=["All"])
    sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["All"])


def _sfn_calls() -> None:
    sfn = boto3.client("stepfunctions", region_name=REGION)
    definition = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
    machine = sfn.create_state_machine(name="m", definition=json.dumps(definition), roleArn=ROLE_ARN)["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=machine, input='{"a": 1}')["executionArn"]
    sfn.describe_state_machine(stateMachineArn=machine)
    sfn.describe_execution(executionArn=execution)
    sfn.list_executions(stateMachineArn=machine)
    sfn.list_state_machines()
    with pytest.raises(ClientError):
        sfn.describe_execution(executionArn=execution + "-absent")


def test_every_response_is_byte_for_byte_moto_own(compared: Compared) -> None:
    _dynamodb_calls()
    _s3_calls()
    _sns_sqs_calls()
    _sfn_calls()
    operations = {operation for operation, _, _ in compared}
    assert {"GetItem", "UpdateItem", "Query", "DescribeTable", "CopyObject", "ListObjectsV2", "Publish",
            "GetTopicAttributes", "ReceiveMessage", "DescribeExecution", "ListExecutions"} <= operations
    different = [operation for operation, ours, moto in compared if ours != moto]
    assert different == []


class _Record:
    """A model object as moto's backends hand them to the serializer (attributes, not keys)."""

    def __init__(self, **attributes: Any) -> None:
        self.__dict__.update(attributes)


def _serializer(service: str, operation: str, picker: Any = None) -> serialize.ResponseSerializer:
    service_model = get_service_model(service)
    protocol = service_model.protocol
    return serialize.get_serializer_class(service, protocol)(
        operation_model=service_model.operation_model(operation),
        value_picker=picker if picker is not None else serialize.XFormedAttributePicker(response_transformers={}))


def _moto_body(service: str, operation: str, result: Any) -> Any:
    with serializer_cache.moto_own():
        return _serializer(service, operation).serialize(result)


def test_an_object_with_its_own_meta_aliases_is_read_as_moto_reads_it() -> None:
    serializer_cache.install()
    table = _Record(table_name="t", TableStatus="ACTIVE", item_count=3)
    aliased = _Record(table_name="t", TableStatus="ACTIVE", item_count=3, count_of_items=9)
    aliased.Meta = type("Meta", (), {"serialization_aliases": {"ItemCount": "count_of_items"}})
    for record in (table, aliased, table):
        result = {"Table": record}
        assert _serializer("dynamodb", "DescribeTable").serialize(result) == _moto_body("dynamodb", "DescribeTable",
                                                                                         result)
    assert json.loads(_serializer("dynamodb", "DescribeTable").serialize({"Table": aliased})["body"])["Table"][
        "ItemCount"] == 9


def test_each_members_candidate_names_are_found_once_not_per_value(monkeypatch: pytest.MonkeyPatch) -> None:
    serializer_cache.install()
    looked_up: list[str] = []
    find = serialize.XFormedAttributePicker.get_possible_keys

    def counting(self: Any, context: Any) -> Any:
        looked_up.append(context.key)
        return find(self, context)

    monkeypatch.setattr(serialize.XFormedAttributePicker, "get_possible_keys", counting)
    item = {f"attribute{i}": {"S": str(i)} for i in range(50)}
    first = _serializer("dynamodb", "GetItem").serialize({"Item": item})
    lookups_once = len(looked_up)
    again = _serializer("dynamodb", "GetItem").serialize({"Item": item})
    assert again == first
    assert json.loads(first["body"])["Item"]["attribute49"] == {"S": "49"}
    assert len(looked_up) == lookups_once  # nothing looked up again
    assert lookups_once < 50  # the ten AttributeValue members once, not once per value


def test_another_picker_takes_moto_own_way(monkeypatch: pytest.MonkeyPatch) -> None:
    serializer_cache.install()

    class Upper(serialize.XFormedAttributePicker):
        def __call__(self, context: Any) -> Any:
            value = super().__call__(context)
            return value.upper() if isinstance(value, str) else value

    body = _serializer("dynamodb", "GetItem", Upper(response_transformers={})).serialize({"Item": {"a": {"S": "x"}}})
    assert json.loads(body["body"]) == {"Item": {"a": {"S": "X"}}}


def test_an_attribute_value_held_as_a_dict_is_read_for_the_member_it_holds() -> None:
    serializer_cache.install()
    item = {f"attribute{i}": {"S": str(i)} if i % 2 else {"M": {"n": {"N": str(i)}, "l": {"L": [{"NULL": True}]}}}
            for i in range(50)}
    serializer = _serializer("dynamodb", "GetItem")
    asked: list[str] = []
    lookup = serializer.get_value

    def counting(value: Any, key: str, shape: Any) -> Any:
        asked.append(key)
        return lookup(value, key, shape)

    serializer.get_value = counting  # type: ignore[method-assign]  # this instance only: the class keeps the fast path
    body = serializer.serialize({"Item": item})
    assert body == _moto_body("dynamodb", "GetItem", {"Item": item})
    assert json.loads(body["body"])["Item"]["attribute0"] == {"M": {"n": {"N": "0"}, "l": {"L": [{"NULL": True}]}}}
    assert len(asked) < 10  # the output's own members; none of the ten per AttributeValue (moto: 1,000 and more)
