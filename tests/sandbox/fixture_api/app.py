"""Handlers of the `sandbox serve` fixture: echo the proxy event, answer binary, fail, answer badly."""

from __future__ import annotations

import base64
import json
from typing import Any


def echo(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"statusCode": 201 if event["httpMethod"] == "POST" else 200,
            "headers": {"X-Echo": "yes"},
            "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]},
            "body": json.dumps(event)}


def binary(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"statusCode": 200, "headers": {"Content-Type": "image/png"}, "isBase64Encoded": True,
            "body": base64.b64encode(b"\x89PNG\r\n\x1a\n\x00\xff").decode()}


def broken(event: dict[str, Any], context: Any) -> dict[str, Any]:
    raise RuntimeError("the handler failed")


def malformed(event: dict[str, Any], context: Any) -> str:
    return "not a proxy response"
