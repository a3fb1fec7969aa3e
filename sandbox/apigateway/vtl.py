"""API Gateway mapping templates (Velocity Template Language), rendered with airspeed.

AWS's reference ("API Gateway mapping template and access logging variable reference") defines the
variables a template sees; this module implements them:

- `$input.body`, `$input.json(path)`, `$input.path(path)`, `$input.params()`, `$input.params(name)`
  (path, then query string, then header; header names case-insensitive; "" when absent);
- `$util.escapeJavaScript`, `$util.parseJson`, `$util.urlEncode`, `$util.urlDecode`,
  `$util.base64Encode`, `$util.base64Decode`;
- `$context` (a dict: `$context.requestId`, `$context.error.messageString`, ...) including
  `$context.responseOverride.status` / `.header.<name>`, which `#set` writes and the caller reads
  back after rendering;
- `$stageVariables`.

JSONPath follows Jayway (what API Gateway uses) for the paths templates use: `$`, `$.a.b`,
`$['a']`, `$.a[0]`, `$.a[*].b`; a path with no match is null (`json` renders it as `null`).
"""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import quote, unquote_plus

import airspeed
from jsonpath_ng.ext import parse as parse_jsonpath


class VtlError(ValueError):
    """The template could not be rendered (API Gateway answers 500 Internal server error)."""


def escape_javascript(text: Any) -> str:
    """Apache Commons Lang 2 `StringEscapeUtils.escapeJavaScript`, as `$util.escapeJavaScript` uses.

    Escapes `"`, `'`, `\\`, `/`, control characters and every non-ASCII character (`\\uXXXX`).
    `'` becomes `\\'`, which JSON does not allow: templates that embed the result in JSON undo
    it with `.replaceAll("\\\\'", "'")`, as AWS documents.
    """
    if text is None:
        return ""
    out = []
    for char in str(text):
        code = ord(char)
        if code > 0x7F:
            if code > 0xFFFF:  # Java strings are UTF-16: a surrogate pair, each escaped
                high, low = 0xD800 + ((code - 0x10000) >> 10), 0xDC00 + ((code - 0x10000) & 0x3FF)
                out.append(f"\\u{high:04X}\\u{low:04X}")
            else:
                out.append(f"\\u{code:04X}")
        elif code < 32:
            out.append({8: "\\b", 9: "\\t", 10: "\\n", 12: "\\f", 13: "\\r"}.get(code, f"\\u{code:04X}"))
        elif char in "\"'\\/":
            out.append("\\" + char)
        else:
            out.append(char)
    return "".join(out)


def jsonpath(document: Any, path: str) -> Any:
    """Evaluate a JSONPath on a document: one match -> the value, several -> a list, none -> None."""
    if path in ("$", "", None):
        return document
    try:
        matches = [m.value for m in parse_jsonpath(path).find(document)]
    except Exception as error:  # jsonpath_ng raises several types for a bad path
        raise VtlError(f"invalid JSONPath {path!r}: {error}") from None
    if not matches:
        return None
    wildcard = "*" in path or ".." in path or "?" in path
    return matches if wildcard or len(matches) > 1 else matches[0]


class VtlInput:
    """`$input`: the request (or integration response) body and the request parameters."""

    def __init__(self, body: str, params: dict[str, dict[str, str]]) -> None:
        self.body = body
        self._params = params
        self._parsed: Any = None
        self._was_parsed = False

    def _document(self) -> Any:
        if not self._was_parsed:
            try:
                self._parsed = json.loads(self.body) if self.body.strip() else {}
            except (json.JSONDecodeError, RecursionError) as error:
                raise VtlError(f"the body is not JSON: {error}") from None
            self._was_parsed = True
        return self._parsed

    def path(self, path: str) -> Any:
        return jsonpath(self._document(), path)

    def json(self, path: str) -> str:
        return json.dumps(jsonpath(self._document(), path), separators=(",", ":"), ensure_ascii=False)

    def params(self, name: str | None = None) -> Any:
        if name is None:
            return self._params
        for where in ("path", "querystring"):
            if name in self._params.get(where, {}):
                return self._params[where][name]
        for header, value in self._params.get("header", {}).items():
            if header.lower() == name.lower():
                return value
        return ""


class VtlUtil:
    """`$util`."""

    @staticmethod
    def escapeJavaScript(text: Any) -> str:  # the VTL names
        return escape_javascript(text)

    @staticmethod
    def parseJson(text: Any) -> Any:
        try:
            return json.loads(text)
        except (TypeError, json.JSONDecodeError, RecursionError) as error:
            raise VtlError(f"$util.parseJson: not JSON: {error}") from None

    @staticmethod
    def urlEncode(text: Any) -> str:
        return quote(str(text), safe="*-._").replace("%20", "+")

    @staticmethod
    def urlDecode(text: Any) -> str:
        return unquote_plus(str(text))

    @staticmethod
    def base64Encode(text: Any) -> str:
        return base64.b64encode(str(text).encode()).decode()

    @staticmethod
    def base64Decode(text: Any) -> str:
        return base64.b64decode(str(text)).decode()


def render(template: str, *, body: str, params: dict[str, dict[str, str]], context: dict[str, Any],
           stage_variables: dict[str, str] | None = None) -> str:
    """Render `template`; `context` is the `$context` dict, updated in place (`responseOverride`)."""
    context.setdefault("responseOverride", {}).setdefault("header", {})
    namespace = {"input": VtlInput(body, params), "util": VtlUtil(), "context": context,
                 "stageVariables": stage_variables or {}}
    try:
        return airspeed.Template(template).merge(namespace)
    except VtlError:
        raise
    except Exception as error:  # airspeed's own template errors
        raise VtlError(f"template error: {error}") from None
