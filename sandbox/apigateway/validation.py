"""API Gateway's request validator: required parameters, and the body against its model.

Models are JSON schema draft 4 (API Gateway's dialect). API Gateway validates with the
json-schema-validator Java library and puts its messages, in brackets and comma-separated, into
`$context.error.validationErrorString`; the messages here are worded as that library words them:

    object has missing required properties (["email","name"])
    instance type (integer) does not match any allowed primitive type (allowed: ["string"])
    object instance has properties which are not allowed by the schema: ["extra"]
    string "" is too short (length: 0, required minimum: 1)
    ECMA 262 regex "^[A-Z]{2}$" does not match input string "gb"
    array is too long: must have at most 1000 elements but instance has 1001 elements

A body that is not JSON at all (or nested deeper than a parser goes) fails validation too (API
Gateway answers BAD_REQUEST_BODY). A value longer than MAX_ECHO characters is cut in a message:
an answer never repeats a megabyte the client sent.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError

_JSON_TYPES = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null",
               int: "integer", float: "number"}
ROOT_URI = "urn:sandbox:openapi"
MAX_ECHO = 64
"""Characters of a client's value a message repeats at most."""


def _quoted(values: Any) -> str:
    if isinstance(values, (set, list, tuple)):
        return "[" + ",".join(_echo(v) for v in sorted(values)) + "]"
    return _echo(values)


def _echo(value: Any) -> str:
    """`value` as JSON, cut after MAX_ECHO characters."""
    text = json.dumps(value, separators=(",", ":"))
    return text if len(text) <= MAX_ECHO else text[:MAX_ECHO] + "..."


def _type_of(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return "integer"
    return _JSON_TYPES.get(type(value), "object")


_MESSAGES: dict[str, str] = {
    "minLength": "string {json} is too short (length: {length}, required minimum: {limit})",
    "maxLength": "string {json} is too long (length: {length}, maximum allowed: {limit})",
    "pattern": "ECMA 262 regex {limit_json} does not match input string {json}",
    "maxItems": "array is too long: must have at most {limit} elements but instance has {length} elements",
    "minItems": "array is too short: must have at least {limit} elements but instance has {length} elements",
    "uniqueItems": "array must not contain duplicate elements",
    "enum": "instance value ({json}) not found in enum (possible values: {limit_quoted})",
    "minimum": "numeric instance is lower than the required minimum (minimum: {limit}, found: {value})",
    "maximum": "numeric instance is greater than the required maximum (maximum: {limit}, found: {value})",
}
"""json-schema-validator's wording per keyword; `type` and `additionalProperties` need more than a template."""


def message(error: ValidationError) -> str:
    """One error in the json-schema-validator wording."""
    value: Any
    kind, value, limit = error.validator, error.instance, error.validator_value
    if kind == "type":
        allowed = limit if isinstance(limit, list) else [limit]
        return (f"instance type ({_type_of(value)}) does not match any allowed primitive type "
                f"(allowed: {_quoted(allowed)})")
    if kind == "additionalProperties":
        assert isinstance(error.schema, Mapping)  # the object schema that holds the keyword
        extra = sorted(set(value) - set(error.schema.get("properties", {})))
        return f"object instance has properties which are not allowed by the schema: {_quoted(extra)}"
    template = _MESSAGES.get(str(kind))
    if template is None:
        return error.message if len(error.message) <= 4 * MAX_ECHO else error.message[:4 * MAX_ECHO] + "..."
    return template.format(json=_echo(value), value=_echo(value), limit=limit, limit_json=json.dumps(limit),
                           limit_quoted=_quoted(limit) if kind == "enum" else "",
                           length=len(value) if hasattr(value, "__len__") else "")


def body_errors(body: str, schema: dict[str, Any], document: dict[str, Any]) -> list[str]:
    """Messages for a request body against `schema` (its `$ref`s resolve inside `document`)."""
    try:
        instance = json.loads(body) if body.strip() else None
    except json.JSONDecodeError as error:
        return [f"Invalid JSON in request body: {error.msg} (line {error.lineno}, column {error.colno})"]
    except RecursionError:
        return ["Invalid JSON in request body: nested too deeply"]
    if instance is None:
        instance = {}
    # Imported here: jsonschema takes a tenth of a second to import, and only `sandbox serve` validates bodies.
    from jsonschema import Draft4Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT4

    registry = Registry().with_resource(ROOT_URI, Resource.from_contents(document, default_specification=DRAFT4))
    validator = Draft4Validator(_rooted(schema), registry=registry)
    errors = sorted(validator.iter_errors(instance), key=lambda e: (list(map(str, e.absolute_path)), e.validator))
    # One "missing required properties" message per object, listing all its missing names.
    messages: list[str | list[str]] = []
    missing: dict[tuple[str, ...], list[str]] = {}
    for failure in errors:
        if failure.validator == "required":
            path = tuple(map(str, failure.absolute_path))
            if path not in missing:
                missing[path] = []
                messages.append(missing[path])
            missing[path].append(failure.message.split("'")[1])
        else:
            messages.append(message(failure))
    return [m if isinstance(m, str) else f"object has missing required properties ({_quoted(m)})" for m in messages]


def _rooted(schema: dict[str, Any]) -> dict[str, Any]:
    """Local `#/...` references of an OpenAPI schema point into the whole OpenAPI document."""
    if isinstance(schema, dict):
        return {k: (f"{ROOT_URI}{v}" if k == "$ref" and isinstance(v, str) and v.startswith("#") else _rooted(v))
                for k, v in schema.items()}
    if isinstance(schema, list):
        return [_rooted(item) for item in schema]
    return schema


def validation_error_string(messages: list[str]) -> str:
    """`$context.error.validationErrorString`: the messages in brackets, quotes escaped for a JSON string."""
    return json.dumps("[" + ", ".join(messages) + "]", ensure_ascii=False)[1:-1]


def missing_parameters(required: dict[str, list[str]], headers: dict[str, str], query: dict[str, str],
                       path: dict[str, str]) -> list[str]:
    """Names of required parameters the request lacks (headers case-insensitive), as API Gateway lists them."""
    lowered = {name.lower() for name in headers}
    missing = [f"{name}" for name in required.get("header", []) if name.lower() not in lowered]
    missing += [name for name in required.get("querystring", []) if name not in query]
    missing += [name for name in required.get("path", []) if name not in path]
    return missing
