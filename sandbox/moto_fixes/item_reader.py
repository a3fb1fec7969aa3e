"""Distributed Map `ItemReader` forms AWS documents and moto refuses.

* `"InputType": "JSONL"` (one JSON value per line): moto knows CSV and JSON only.
* `"CSVDelimiter"` (`COMMA`, `PIPE`, `SEMICOLON`, `SPACE`, `TAB`): moto's grammar refuses the field.

The sandbox hands moto a definition it parses (JSONL read as JSON, no CSVDelimiter) and gives
the Map state's reader the form it asked for; its output transformers then read the text as AWS
does. https://docs.aws.amazon.com/step-functions/latest/dg/input-output-itemreader.html
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from typing import Any, Final

DELIMITERS: Final[dict[str, str]] = {"COMMA": ",", "PIPE": "|", "SEMICOLON": ";", "SPACE": " ", "TAB": "\t"}
FORM: Final[str] = "sandbox_reader_form"
"""Attribute of a ReaderConfig: {"JSONL": bool, "CSVDelimiter": str} as the definition declared it."""

_installed = False


def split_reader_forms(definition: str) -> tuple[str, dict[str, dict[str, Any]]]:
    """The text moto parses, and each Map state's reader form it would refuse, by state name."""
    if '"JSONL"' not in definition and '"CSVDelimiter"' not in definition:
        return definition, {}
    from sandbox.moto_fixes.distributed_map import all_states

    try:
        parsed = json.loads(definition)
        states = all_states(parsed)
    except (ValueError, AttributeError, TypeError):
        return definition, {}
    forms: dict[str, dict[str, Any]] = {}
    for name, state in states:
        config = (state.get("ItemReader") or {}).get("ReaderConfig") if state.get("Type") == "Map" else None
        if not isinstance(config, dict):
            continue
        form = {"JSONL": config.get("InputType") == "JSONL", "CSVDelimiter": config.pop("CSVDelimiter", "COMMA")}
        if form["JSONL"]:
            config["InputType"] = "JSON"
        forms[name] = form
    return json.dumps(parsed), forms


def json_lines(text: str) -> list[Any]:
    """Every non-blank line of `text` as a JSON value."""
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def csv_rows(text: str, delimiter: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text), delimiter=DELIMITERS.get(delimiter, ",")))


def _with_form(original: Callable[[Any, Any], None]) -> Callable[[Any, Any], None]:
    def eval_reader_config(self: Any, env: Any) -> None:
        original(self, env)
        form = getattr(self, FORM, None)
        if form is not None:
            env.stack[-1] = {**env.stack[-1], **form}

    return eval_reader_config


def _reading_json_lines(original: Callable[[Any, Any], None]) -> Callable[[Any, Any], None]:
    def eval_body(self: Any, env: Any) -> None:
        reader_config = env.stack[-1]
        if reader_config.get("JSONL"):
            env.stack[-2] = json.dumps(json_lines(env.stack[-2]))
        original(self, env)

    return eval_body


def _reading_delimited(original: Callable[[Any, Any], None]) -> Callable[[Any, Any], None]:
    def eval_body(self: Any, env: Any) -> None:
        delimiter = env.stack[-1].get("CSVDelimiter", "COMMA")
        if delimiter != "COMMA":
            # Re-written with commas, the rows go through moto's own CSV transformer.
            buffer = io.StringIO()
            csv.writer(buffer, lineterminator="\n").writerows(csv_rows(env.stack[-2], delimiter))
            env.stack[-2] = buffer.getvalue()
        original(self, env)

    return eval_body


def _attach(program: Any, forms: dict[str, dict[str, Any]]) -> None:
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.state_map import StateMap

    from sandbox.moto_fixes.program_tree import components

    for node, _ in components(program):
        reader = getattr(node, "item_reader", None) if isinstance(node, StateMap) else None
        if reader is not None and reader.reader_config is not None and node.name in forms:
            setattr(reader.reader_config, FORM, forms[node.name])


def install() -> None:
    """Accept JSONL and CSVDelimiter in ItemReader (idempotent)."""
    global _installed
    if _installed:
        return
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.item_reader.eval.resource_output_transformer import (  # noqa: E501
        transformer_csv,
        transformer_json,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.item_reader.reader_config import (
        reader_config_decl,
    )

    from sandbox.moto_fixes.program_tree import on_parse

    config = reader_config_decl.ReaderConfig
    config._eval_body = _with_form(config._eval_body)  # type: ignore[assignment]
    json_reader = transformer_json.ResourceOutputTransformerJson
    json_reader._eval_body = _reading_json_lines(json_reader._eval_body)  # type: ignore[assignment]
    csv_reader = transformer_csv.ResourceOutputTransformerCSV
    csv_reader._eval_body = _reading_delimited(csv_reader._eval_body)  # type: ignore[assignment]

    on_parse(split_reader_forms, _attach)
    _installed = True
