"""What the hardening tests enumerate: the template's workflows, their ASL, their sample events.

Nothing here names a workflow or a state: every list is read from template.yaml, the ASL files
it deploys and events/<slug>/, so a workflow added to the template is covered the day it lands.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from sandbox.asl_graph import Graph, parse
from sandbox.samples import ANSWER_FILE, SEED_FILE, sample_events
from sandbox.template_yaml import load_template
from sandbox.workflows import workflow_slug

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
EVENTS = ROOT / "events"


@cache
def template() -> dict[str, Any]:
    return load_template(TEMPLATE)


def resources(*types: str) -> dict[str, dict[str, Any]]:
    """Logical ID -> resource, of the given types (all when none given), in template order."""
    return {lid: spec for lid, spec in template()["Resources"].items() if not types or spec["Type"] in types}


@dataclass(frozen=True)
class Workflow:
    slug: str
    logical_id: str
    asl_path: Path
    properties: dict[str, Any]

    @property
    def definition(self) -> dict[str, Any]:
        return json.loads(self.asl_path.read_text())

    @property
    def graph(self) -> Graph:
        return parse(self.definition)

    @property
    def events_dir(self) -> Path:
        return EVENTS / self.slug

    @property
    def samples(self) -> list[Path]:
        return sample_events(self.events_dir) if self.events_dir.is_dir() else []


@cache
def workflows() -> tuple[Workflow, ...]:
    """Every AWS::Serverless::StateMachine of the template with a DefinitionUri (the slug is its file name)."""
    found = []
    for lid, spec in resources("AWS::Serverless::StateMachine").items():
        props = spec.get("Properties", {})
        uri = props.get("DefinitionUri")
        if isinstance(uri, str):
            path = ROOT / uri
            found.append(Workflow(workflow_slug(lid, props), lid, path, props))
    return tuple(found)


def workflow(slug: str) -> Workflow:
    return next(w for w in workflows() if w.slug == slug)


def seed_files() -> list[Path]:
    """Every objects.json of events/ (S3 objects and table items the samples expect)."""
    return sorted(EVENTS.glob(f"*/{SEED_FILE}"))


@contextmanager
def seeded_sandbox() -> Iterator[Any]:
    """A sandbox of the suite template with every sample's seed objects in place."""
    from sandbox.core import Sandbox

    with Sandbox.from_template(TEMPLATE) as sb:
        for seed in seed_files():
            sb.seed(seed)
        yield sb


def callback_answer_of(slug: str) -> Any:
    path = EVENTS / slug / ANSWER_FILE
    return json.loads(path.read_text()) if path.is_file() else None


# -- personal data in the fixtures ------------------------------------------------------------

EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
PERSONAL_KEYS = re.compile(r"birth|dob|licen[cs]e.?(number|no)|document.?number|passport|national.?id|ssn",
                           re.IGNORECASE)
"""Keys whose values are personal data (dates of birth, licence and document numbers)."""


def _walk(value: Any, key: str = "") -> Iterator[tuple[str, Any]]:
    """Every (key, scalar) of a JSON value; strings that are JSON documents are opened too."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _walk(v, str(k))
    elif isinstance(value, list):
        for v in value:
            yield from _walk(v, key)
    else:
        if isinstance(value, str) and value[:1] in "{[":
            try:
                yield from _walk(json.loads(value), key)
                return
            except ValueError:
                pass
        yield key, value


def _date_forms(text: str) -> set[str]:
    """A date as the fixtures write it and as services normalise it (MM/DD/YYYY -> YYYY-MM-DD...)."""
    forms = {text}
    match = re.fullmatch(r"(\d{2})/(\d{2})/(\d{4})", text)
    if match:
        month, day, year = match.groups()
        forms |= {f"{year}-{month}-{day}", f"{year}{month}{day}"}
    return forms


@cache
def personal_data(folder: Path = EVENTS) -> frozenset[str]:
    """E-mail addresses, licence/document numbers and dates of birth found in the JSON files under `folder`."""
    found: set[str] = set()
    for path in sorted(folder.rglob("*.json")):
        try:
            document = json.loads(path.read_text())
        except ValueError:
            continue
        for key, value in _walk(document):
            if not isinstance(value, str | int) or isinstance(value, bool):
                continue
            text = str(value)
            found.update(EMAIL.findall(text))
            if PERSONAL_KEYS.search(key) and len(text) >= 4:
                found |= _date_forms(text)
    return frozenset(found)
