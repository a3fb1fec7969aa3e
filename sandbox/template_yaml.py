"""Load a CloudFormation / SAM template written in YAML, short-form intrinsic tags included.

`load_template(path)` returns plain dicts and lists in which every short form is replaced
by its long form, as CloudFormation itself reads them:

    !Ref X                      -> {"Ref": "X"}
    !GetAtt A.B  /  !GetAtt [A, B] -> {"Fn::GetAtt": ["A", "B"]}
    !Sub "..."  /  !Sub [s, {..}]  -> {"Fn::Sub": ...}
    !Condition C                -> {"Condition": "C"}
    !If / !Equals / !Join / ... -> {"Fn::If": [...]}, {"Fn::Equals": [...]}, ...

JSON templates load too (JSON is YAML). The loader never resolves anything.
"""

from __future__ import annotations

import functools

# bandit B403: only files written under the user's cache directory are read
import pickle  # nosec B403
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from sandbox.intrinsics import TemplateError
from sandbox.moto_fixes.json_copy import json_deepcopy

# libyaml's parser when present (it is in the PyYAML wheels): a suite template parses ~10x faster.
_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# Short tag -> long key. Ref and Condition have no "Fn::" prefix.
_FN_TAGS: dict[str, str] = {
    "Ref": "Ref",
    "Condition": "Condition",
    "GetAtt": "Fn::GetAtt",
    "Sub": "Fn::Sub",
    "If": "Fn::If",
    "Equals": "Fn::Equals",
    "Join": "Fn::Join",
    "Select": "Fn::Select",
    "Split": "Fn::Split",
    "FindInMap": "Fn::FindInMap",
    "Not": "Fn::Not",
    "And": "Fn::And",
    "Or": "Fn::Or",
    "Base64": "Fn::Base64",
    "Cidr": "Fn::Cidr",
    "ImportValue": "Fn::ImportValue",
    "GetAZs": "Fn::GetAZs",
    "Transform": "Fn::Transform",
    "Length": "Fn::Length",
    "ToJsonString": "Fn::ToJsonString",
}


class _TemplateLoader(_SafeLoader):  # type: ignore[misc,valid-type]
    """SafeLoader plus CloudFormation's short-form tags."""


def _node_value(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    assert isinstance(node, yaml.MappingNode)  # the third and last kind of YAML node
    return loader.construct_mapping(node, deep=True)


def _make_constructor(long_key: str) -> Callable[[yaml.SafeLoader, yaml.Node], dict[str, Any]]:
    def construct(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
        value = _node_value(loader, node)
        if long_key == "Fn::GetAtt" and isinstance(value, str):
            # "Resource.Attribute" (the attribute itself may contain dots, e.g. Endpoint.Address).
            resource, _, attribute = value.partition(".")
            value = [resource, attribute]
        if long_key == "Fn::GetAZs" and value is None:
            value = ""
        return {long_key: value}

    return construct


for _tag, _key in _FN_TAGS.items():
    _TemplateLoader.add_constructor(f"!{_tag}", _make_constructor(_key))


def _construct_timestamp_as_string(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> str:
    # CloudFormation keeps dates (e.g. AWSTemplateFormatVersion: 2010-09-09 unquoted) as strings.
    return loader.construct_scalar(node)


_TemplateLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp_as_string)


def loads_yaml(text: str) -> Any:
    """Parse YAML (or JSON) as CloudFormation reads it: short-form tags in long form, dates kept as text."""
    # bandit B506: _TemplateLoader is a SafeLoader subclass
    return yaml.load(text, Loader=_TemplateLoader)  # nosec B506


def loads_template(text: str) -> dict[str, Any]:
    """Parse template text (YAML or JSON) into long-form dicts."""
    data = loads_yaml(text)
    if not isinstance(data, dict):
        raise TemplateError("a CloudFormation template must be a mapping at top level")
    return data


def load_template(path: str | Path) -> dict[str, Any]:
    """Read and parse the template at `path` into long-form dicts (a fresh copy the caller may change)."""
    path = Path(path).resolve()
    try:
        return json_deepcopy(_parsed(path, path.stat().st_mtime_ns))  # plain data: no deepcopy memo needed
    except OSError as error:
        raise TemplateError(f"cannot read template {path}: {error.strerror}") from error
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise TemplateError(f"template {path} is not valid YAML: {getattr(error, 'problem', error)}{where}") from error


@functools.lru_cache(maxsize=32)
def _parsed(path: Path, mtime_ns: int) -> dict[str, Any]:
    # Every test builds a sandbox from the same file: parse it once per version of the file.
    return _parsed_text(path.read_text(encoding="utf-8"))


def _parsed_text(text: str) -> dict[str, Any]:
    """`loads_template(text)`, kept beside the cached programs: YAML construction is most of a CLI start's
    reading of the template. Keyed by the text and the sandbox's code (this loader included); only
    templates that parsed are kept."""
    from sandbox.moto_fixes import program_cache

    folder = program_cache.cache_dir()
    name = program_cache.cache_key("template\n" + text) + ".template.pickle"
    blob = None if folder is None else program_cache.read_file(folder, name)
    if blob is not None:
        try:
            # bandit B301: written below, under a key that names the text and this code
            data = pickle.loads(blob)  # nosec B301
        except Exception:  # a torn or foreign file: parse the text again
            data = None
        if isinstance(data, dict):
            return data
    data = loads_template(text)
    if folder is not None:
        program_cache.write_atomically(folder, name, pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL))
    return data
