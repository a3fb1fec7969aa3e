"""moto's request object is written straight from botocore's request, not built by werkzeug's test client.

moto 5.2.5 turns every intercepted request into its werkzeug `Request` with
`Request.from_primitives`, which goes through `EnvironBuilder`, werkzeug's helper for test clients:
it re-parses the URL, copies the headers twice and measures the body stream, about 0.2 ms of
each service call (a 10,000-object restore makes some 40,000). For a plain request (an ASCII URL
whose path holds only what botocore's percent-encoding leaves, header values without line
breaks, a body of bytes, text or a stream) the WSGI environ it produces is known key by key and
written here directly; any other request still goes through moto's own `from_primitives`.
"""

from __future__ import annotations

import io
import re
import sys
from typing import Any, Final
from urllib.parse import unquote, urlparse

_PLAIN_PATH: Final[re.Pattern[str]] = re.compile(r"(?!//)[A-Za-z0-9\-._~/%]*")
"""What botocore's encoding leaves in a path (werkzeug would re-quote nothing); `//` would read as a host."""
_PLAIN_HOST: Final[re.Pattern[str]] = re.compile(r"[A-Za-z0-9\-.]+(:[0-9]+)?")
_PLAIN_QUERY: Final[re.Pattern[str]] = re.compile(r"[\x21-\x7e]*")
_PLAIN_SCHEME: Final[frozenset[str]] = frozenset({"http", "https"})

_installed = False


def plain_request(method: str, url: str, headers: Any, body: Any) -> Any:
    """moto's `Request` for a plain request, or None when it is not plain (see the module's docstring)."""
    from moto.core.request import PRESERVED_HEADER_NAMES_ENVIRON_KEY, Request, should_preserve_original_header_name

    parsed = urlparse(url)
    if not (parsed.scheme in _PLAIN_SCHEME and _PLAIN_HOST.fullmatch(parsed.netloc)
            and _PLAIN_PATH.fullmatch(parsed.path) and _PLAIN_QUERY.fullmatch(parsed.query)):
        return None
    written: dict[str, str] = {}
    preserved: dict[str, str] = {}
    content_type = None
    for key, raw in headers.items():
        value = raw.decode("utf-8") if isinstance(raw, bytes) else str(raw)
        if "\n" in value or "\r" in value:
            return None  # werkzeug refuses it: moto's path says so
        lowered = key.lower()
        if lowered == "content-type":
            content_type = value
        elif lowered not in ("transfer-encoding", "content-length"):
            environ_key = f"HTTP_{key.upper().replace('-', '_')}"
            written[environ_key] = value
            if should_preserve_original_header_name(key):
                preserved[environ_key] = key
    if content_type is not None and content_type.lower().startswith("multipart/form-data"):
        return None  # werkzeug encodes an empty form of its own
    data = _body_bytes(body)  # last: a stream is read once
    if data is None:
        return None
    name, _, port = parsed.netloc.partition(":")
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": unquote(parsed.path).encode().decode("latin1"),
        "QUERY_STRING": parsed.query,
        "REQUEST_URI": parsed.path,
        "RAW_URI": parsed.path,
        "SERVER_NAME": name,
        "SERVER_PORT": port or ("443" if parsed.scheme == "https" else "80"),
        "HTTP_HOST": parsed.netloc,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": parsed.scheme,
        "wsgi.input": io.BytesIO(data),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "CONTENT_LENGTH": str(len(data)),
        **written,
    }
    if content_type is not None:
        environ["CONTENT_TYPE"] = content_type
    environ[PRESERVED_HEADER_NAMES_ENVIRON_KEY] = preserved
    return Request(environ)


def _body_bytes(body: Any) -> bytes | None:
    """The body as `EnvironBuilder` reads it (a stream read to its end, text encoded), or None if unusual."""
    from moto.core.request import AwsChunkedWrapper

    if isinstance(body, AwsChunkedWrapper) or hasattr(body, "read"):
        body = body.read()
    if body is None:
        return b""
    if isinstance(body, str):
        return body.encode()
    return body if isinstance(body, bytes) else None


def install() -> None:
    global _installed
    if _installed:
        return
    from botocore.awsrequest import AWSPreparedRequest
    from moto.core import botocore_stubber
    from moto.core import request as moto_request

    original = moto_request.normalize_request

    def normalize_request(request: Any) -> Any:
        if isinstance(request, AWSPreparedRequest):
            built = plain_request(request.method, request.url, request.headers, request.body)
            if built is not None:
                return built
        return original(request)

    botocore_stubber.normalize_request = normalize_request
    _installed = True
