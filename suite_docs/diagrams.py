"""Mermaid diagrams of the template's workflows, kept in sync with their docs pages (`python -m suite_docs`).

Each state machine of the template has a page `docs/<slug>.md` (slug: the
ASL file name without `.asl.json`). The diagram lives between these two lines of the page,
and nothing else of the page is touched:

    <!-- diagram:start -->
    <!-- diagram:end -->

The drawing (`flowchart TD`): one Start and one End node per scope; Choice states are
rhombuses and their rules label their edges (`rule <n>` when the condition is long);
Fail states are red stadiums showing their error name, Succeed states green stadiums
(states with `End: true` are green too, and every ending state has an edge to End);
Catch edges are dashed and labelled with their ErrorEquals; Map and Parallel states are
subgraphs holding their item processor or one subgraph per branch. The output depends on
the definition only, so `--check` is a plain text comparison.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sandbox import workflows
from sandbox.asl_graph import Edge, Graph, Scope, State, parse
from suite_docs.blocks import replace_block
from suite_docs.tree import Tree

START_MARKER = "<!-- diagram:start -->"
END_MARKER = "<!-- diagram:end -->"

_ARROWS = {"next": "-->", "choice": "-->", "default": "-->", "catch": "-.->", "end": "-->"}
_CLASS_DEFS = (
    "classDef choice fill:#fff3cd,stroke:#b8860b,color:#000",
    "classDef fail fill:#f8d7da,stroke:#b02a37,color:#000",
    "classDef succeed fill:#d1e7dd,stroke:#146c43,color:#000",
    "classDef terminal fill:#e2e3e5,stroke:#41464b,color:#000",
)


# -- rendering ---------------------------------------------------------------------------------


def render(definition: Graph | dict[str, Any] | str) -> str:
    """The Mermaid flowchart of a definition (a parsed `Graph`, an ASL dict or its JSON text)."""
    graph = definition if isinstance(definition, Graph) else parse(definition)
    ids = _node_ids(graph)
    lines = ["flowchart TD"]
    _render_scope(graph, graph.root, ids, lines, depth=1)
    for scope in graph.scopes.values():
        lines.append(f"    {ids[_start_key(scope)]} --> {ids[scope.start_at]}")
    for edge in graph.edges:
        lines.append("    " + _edge_line(edge, ids))
    lines.extend("    " + class_def for class_def in _CLASS_DEFS)
    for css_class in ("choice", "fail", "succeed", "terminal"):
        members = [ids[key] for key in _class_members(graph, css_class)]
        if members:
            lines.append(f"    class {','.join(members)} {css_class}")
    return "\n".join(lines) + "\n"


def _start_key(scope: Scope) -> str:
    return f"{scope.id}/(start)" if scope.id else "(start)"


def _node_ids(graph: Graph) -> dict[str, str]:
    """Mermaid ids for every state, start and end node: readable, unique, never a keyword."""
    ids: dict[str, str] = {}
    taken: set[str] = set()

    def assign(key: str, base: str) -> None:
        candidate, n = base, 2
        while candidate in taken:
            candidate, n = f"{base}_{n}", n + 1
        taken.add(candidate)
        ids[key] = candidate

    for scope in graph.scopes.values():
        suffix = _sanitise(scope.id) if scope.id else "root"
        assign(_start_key(scope), f"start_{suffix}")
        assign(scope.end, f"end_{suffix}")
        if scope.id and graph.states[scope.parent or ""].type == "Parallel":
            assign(f"{scope.id}/(scope)", f"branch_{suffix}")
    for state in graph.states.values():
        assign(state.id, f"s_{_sanitise(state.id)}")
    return ids


def _sanitise(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", text)


def _text(text: str) -> str:
    """Text inside a quoted Mermaid label: quotes and angle brackets as entity codes."""
    return (text.replace("#", "#35;").replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;"))


def _render_scope(graph: Graph, scope: Scope, ids: dict[str, str], lines: list[str], depth: int) -> None:
    pad = "    " * depth
    start, end = ("Start", "End")
    lines.append(f'{pad}{ids[_start_key(scope)]}(("{start}"))')
    for state_id in scope.states:
        state = graph.states[state_id]
        if state.children:
            _render_container(graph, state, ids, lines, depth)
        else:
            lines.append(pad + _node(state, ids[state.id]))
    lines.append(f'{pad}{ids[scope.end]}((("{end}")))')


def _render_container(graph: Graph, state: State, ids: dict[str, str], lines: list[str], depth: int) -> None:
    pad = "    " * depth
    lines.append(f'{pad}subgraph {ids[state.id]} ["{_text(state.name)} ({state.type})"]')
    lines.append(f"{pad}    direction TB")
    for child_id in state.children:
        child = graph.scopes[child_id]
        if state.type == "Parallel":
            lines.append(f'{pad}    subgraph {ids[f"{child.id}/(scope)"]} ["{_text(child.label)}"]')
            lines.append(f"{pad}        direction TB")
            _render_scope(graph, child, ids, lines, depth + 2)
            lines.append(f"{pad}    end")
        else:
            _render_scope(graph, child, ids, lines, depth + 1)
    lines.append(f"{pad}end")


def _node(state: State, node_id: str) -> str:
    name = _text(state.name)
    if state.type == "Choice":
        return f'{node_id}{{"{name}"}}'
    if state.type == "Fail":
        error = f"<br/>{_text(state.error)}" if state.error else ""
        return f'{node_id}(["{name}{error}"])'
    if state.type == "Succeed":
        return f'{node_id}(["{name}"])'
    return f'{node_id}["{name}"]'


def _edge_line(edge: Edge, ids: dict[str, str]) -> str:
    label = f'|"{_text(edge.label)}"|' if edge.label else ""
    return f"{ids[edge.source]} {_ARROWS[edge.kind]}{label} {ids[edge.target]}"


def _class_members(graph: Graph, css_class: str) -> list[str]:
    if css_class == "terminal":
        return [key for scope in graph.scopes.values() for key in (_start_key(scope), scope.end)]
    if css_class == "succeed":  # Succeed states, and the (non-container) states with End: true
        return [state.id for state in graph.states.values()
                if state.type == "Succeed" or (state.end and not state.children)]
    wanted = {"choice": "Choice", "fail": "Fail"}[css_class]
    return [state.id for state in graph.states.values() if state.type == wanted]


# -- docs pages ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    slug: str
    path: Path
    """docs/<slug>.md"""
    source: str
    """Where the definition comes from (the ASL path relative to the template, or the logical ID)."""
    definition: dict[str, Any]


def block(page: Page) -> str:
    """The whole marker block for a page, markers included."""
    return (
        f"{START_MARKER}\n"
        f"<!-- Generated from {page.source} by `make docs` (python -m suite_docs --write): do not edit. -->\n"
        f"```mermaid\n{render(page.definition)}```\n"
        f"{END_MARKER}"
    )


def pages(template: Path, docs_dir: Path | None = None) -> list[Page]:
    """One page per state machine of the template, sorted by slug."""
    docs_dir = docs_dir or template.parent / "docs"
    _, found = workflows.load(template)
    return [Page(w.slug, docs_dir / f"{w.slug}.md", w.source, w.definition()) for w in found]


def updated_text(page: Page, current: str | None) -> str:
    """The page text with its diagram block regenerated (a stub page when it does not exist yet)."""
    if current is None:
        return f"# {page.slug}\n\n{block(page)}\n"
    return replace_block(current, block(page), START_MARKER, END_MARKER, page.path)


def generate(tree: Tree, template: Path, docs_dir: Path | None = None) -> None:
    """Regenerate the diagram block of every page (creating the pages that do not exist yet)."""
    for page in pages(template, docs_dir):
        tree.put(page.path, updated_text(page, tree.read(page.path)))
