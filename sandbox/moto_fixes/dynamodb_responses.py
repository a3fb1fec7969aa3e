"""DynamoDB's JSON answers are written by a writer made once per output shape, not by a serializer per response.

moto (5.2.5) turns every DynamoDB result into its JSON body with its generic response serializer:
per response it builds a serializer, a value picker and its alias providers, and walks the output
shape member by member through `_serialize` (a method looked up by type name, a path pushed and
popped per value) before `json.dumps`. DynamoDB's handler answers with plain dicts (`DynamoResult`),
so the walk only ever reads dict keys. Here each shape gets a writer once, holding what moto's walk
decides per shape: its members in order, the names moto's picker looks each one up by (found with
moto's own picker, for a dict), the name each is written under, and the conversion moto applies to
its type (str for strings, int/float for numbers, base64 for blobs). The writer makes the same
document moto's walk makes, and `json.dumps` writes it as moto does: the body is byte for byte
moto's, with the same status and headers.

Anything the writer does not know takes moto's serializer unchanged: an error, a result that is no
plain dict, a value of another type than the shape's plain one (an Enum, a None inside a list or
map, a timestamp), a dotted or renamed member, a document type, an event stream, response
transformers, pretty-printed responses.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any, Final

_installed = False
moto_serialized: Callable[..., Any] | None = None
"""moto's own `BaseResponse.serialized` as DynamoDB's handler inherits it (what the tests compare with)."""

Writer = Callable[[Any], Any]
_writers: dict[int, tuple[Any, Writer]] = {}
"""By shape id: (the shape, its writer). The shape is held so that its id stays its own."""
_NUMBERS: Final[tuple[type, ...]] = (int, float)


class Unwritten(Exception):
    """A value the writers leave to moto's serializer."""


def writer_for(shape: Any) -> Writer:
    """The writer of values of `shape` (made on first use: botocore makes member shapes lazily, recursively)."""
    kept = _writers.get(id(shape))
    if kept is not None and kept[0] is shape:
        return kept[1]
    writer = _make_writer(shape)
    _writers[id(shape)] = (shape, writer)
    return writer


def _unwritten(_: Any) -> Any:
    raise Unwritten


def _make_writer(shape: Any) -> Writer:
    kind = shape.type_name
    if kind == "structure":
        return _structure_writer(shape)
    if kind == "map":
        return _map_writer(shape)
    if kind == "list":
        return _list_writer(shape)
    return _SCALAR_WRITERS.get(kind, _unwritten)


def _structure_writer(shape: Any) -> Writer:
    """moto's JSON `_serialize_type_structure` over a dict: each member in shape order, looked up by the first of
    its candidate names the dict holds, skipped when None, written under its serialization name."""
    if shape.is_document_type:
        return _unwritten
    from moto.core.serialize import AttributePickerContext, XFormedAttributePicker

    picker = XFormedAttributePicker()
    members: list[tuple[str, tuple[str, ...], Any]] = []
    for member_key, member_shape in shape.members.items():
        member_shape.parent = shape  # as moto sets it before reading the member (its aliases depend on it)
        names = tuple(picker.get_possible_keys(AttributePickerContext(obj={}, key=member_key, shape=member_shape)))
        if any("." in name for name in names):
            return _unwritten  # a dotted name is a path into the value: moto's lookup
        members.append((member_shape.serialization.get("name", member_key), names, member_shape))

    def write(value: Any) -> Any:
        if type(value) is not dict:
            raise Unwritten
        written: dict[str, Any] = {}
        for written_name, names, member_shape in members:
            for name in names:
                if name in value:
                    member = value[name]
                    if member is not None:
                        written[written_name] = writer_for(member_shape)(member)
                    break
        return written

    return write


def _map_writer(shape: Any) -> Writer:
    """moto's JSON `_serialize_type_map`: each entry under its own key, its value written as the value shape."""
    value_shape = shape.value
    if "name" in value_shape.serialization:
        return _unwritten  # moto would write every entry under that one name

    def write(value: Any) -> Any:
        if type(value) is not dict or "" in value:
            raise Unwritten  # (moto writes a structure under an empty key into the map itself)
        write_value = writer_for(value_shape)
        return {key: _written_item(write_value, item) for key, item in value.items()}

    return write


def _list_writer(shape: Any) -> Writer:
    """moto's JSON `_serialize_type_list`: each item written as the member shape."""
    member_shape = shape.member
    if member_shape.serialization.get("name", member_shape.name) != member_shape.name:
        return _unwritten  # moto would append the item unwritten

    def write(value: Any) -> Any:
        if type(value) is not list:
            raise Unwritten
        write_item = writer_for(member_shape)
        return [_written_item(write_item, item) for item in value]

    return write


def _written_item(write: Writer, item: Any) -> Any:
    if item is None:
        raise Unwritten  # what moto makes of a None depends on the type: its own walk says
    return write(item)


def _string(value: Any) -> Any:
    if type(value) is not str:
        raise Unwritten
    return value


def _boolean(value: Any) -> Any:
    if type(value) is not bool:
        raise Unwritten
    return value


def _integer(value: Any) -> Any:
    if type(value) not in _NUMBERS:
        raise Unwritten
    return int(value)


def _float(value: Any) -> Any:
    if type(value) not in _NUMBERS:
        raise Unwritten
    return float(value)


def _blob(value: Any) -> Any:
    if type(value) is str:
        value = value.encode("utf-8")
    elif type(value) is not bytes:
        raise Unwritten
    return base64.b64encode(value).strip().decode("utf-8")


_SCALAR_WRITERS: Final[dict[str, Writer]] = {
    "string": _string, "boolean": _boolean, "integer": _integer, "long": _integer, "float": _float,
    "double": _float, "blob": _blob,
}


def write_body(operation_model: Any, result: Any) -> str:
    """The JSON body moto's serializer writes for `result` (raises Unwritten where the writers don't know it)."""
    output_shape = operation_model.output_shape
    return json.dumps({} if output_shape is None else writer_for(output_shape)(result))


def install() -> None:
    """Write DynamoDB's plain answers with the per-shape writers (idempotent)."""
    global _installed, moto_serialized
    if _installed:
        return
    from botocore.model import OperationNotFoundError
    from moto import settings
    from moto.core import serialize
    from moto.core.request import determine_request_protocol
    from moto.core.responses import ActionResult, BaseResponse
    from moto.core.utils import get_service_model
    from moto.dynamodb.responses import DynamoHandler

    original = moto_serialized = DynamoHandler.serialized
    moto_execute = ActionResult.execute_result
    moto_response_protocol = BaseResponse.determine_response_protocol
    operations: dict[tuple[int, str], tuple[Any, Any]] = {}
    """By (service model id, action): (the service model, its operation model). The model held: its id stays its."""
    json_requests: dict[tuple[int, str], tuple[Any, bool]] = {}
    """By (service model id, Content-Type): whether moto reads the request (and writes the answer) as JSON."""

    def operation_of(service_model: Any, action: str) -> Any:
        kept = operations.get((id(service_model), action))
        if kept is None or kept[0] is not service_model:
            kept = operations[(id(service_model), action)] = (service_model, service_model.operation_model(action))
        return kept[1]

    def answered_as_json(self: Any, service_model: Any) -> bool:
        """`determine_response_protocol(...) == "json"` (a JSON request is answered in JSON whatever else holds)."""
        if type(self).determine_response_protocol is not moto_response_protocol:
            return bool(self.determine_response_protocol(service_model) == "json")
        content_type = self.headers.get("Content-Type", "")
        kept = json_requests.get((id(service_model), content_type))
        if kept is None or kept[0] is not service_model:
            is_json = determine_request_protocol(service_model, content_type) == "json"
            kept = json_requests[(id(service_model), content_type)] = (service_model, is_json)
        return kept[1]

    def serialized(self: Any, action_result: Any) -> Any:
        result = action_result.result
        if (type(result) is not dict or type(action_result).execute_result is not moto_execute
                or settings.PRETTIFY_RESPONSES or getattr(self, "RESPONSE_KEY_PATH_TO_TRANSFORMER", None)):
            return original(self, action_result)
        service_model = get_service_model(self.boto3_service_name)
        try:
            operation_model = operation_of(service_model, self._get_action())
        except OperationNotFoundError:
            return original(self, action_result)
        if (not answered_as_json(self, service_model) or operation_model.has_event_stream_output
                or serialize.get_serializer_class(service_model.service_name, "json") is not serialize.JSONSerializer):
            return original(self, action_result)
        try:
            body = write_body(operation_model, result)
        except Unwritten:
            return original(self, action_result)
        content_type = serialize.JSONSerializer.CONTENT_TYPE
        if service_model.protocol == "json":
            content_type = serialize.JSONSerializer.APPLICATION_AMZ_JSON.format(
                version=service_model.metadata.get("jsonVersion", "1.0"))
        headers = {"Content-Type": content_type}
        headers.update(self.response_headers)
        return operation_model.http.get("responseCode", serialize.JSONSerializer.DEFAULT_RESPONSE_CODE), headers, body

    DynamoHandler.serialized = serialized
    _installed = True
