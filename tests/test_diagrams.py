"""Diagrams and the ASL graph: docs pages in sync with the ASL files, and a small inline definition."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from sandbox.asl_graph import AslGraphError, parse
from suite_docs import diagrams as diagram
from suite_docs import generate

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template.yaml"

# Choice (one short and one long rule, a Default), Parallel with two branches, a Catch with two
# errors, a Map whose item processor reuses the name "A", Fail and Succeed states.
INLINE = {
    "StartAt": "Route",
    "States": {
        "Route": {"Type": "Choice", "Choices": [
            {"Variable": "$.n", "NumericGreaterThan": 1, "Next": "Fan"},
            {"And": [{"Variable": "$.items", "IsPresent": True},
                     {"Variable": "$.mode", "StringEquals": "each-item-separately"}], "Next": "Each"}],
            "Default": "Done"},
        "Fan": {"Type": "Parallel", "Branches": [
            {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}},
            {"StartAt": "B", "States": {"B": {"Type": "Fail", "Error": "B.Failed"}}}],
            "Catch": [{"ErrorEquals": ["B.Failed", "States.Timeout"], "Next": "Oops"}], "Next": "Each"},
        "Each": {"Type": "Map", "ItemsPath": "$.items", "ItemProcessor": {
            "ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "A", "States": {"A": {"Type": "Succeed"}}},
            "Next": "Done"},
        "Oops": {"Type": "Fail", "Error": "Oops"},
        "Done": {"Type": "Succeed"},
    },
}

EXPECTED = "\n".join([
    "flowchart TD",
    '    start_root(("Start"))',
    '    s_Route{"Route"}',
    '    subgraph s_Fan ["Fan (Parallel)"]',
    "        direction TB",
    '        subgraph branch_Fan_branch0 ["branch 1"]',
    "            direction TB",
    '            start_Fan_branch0(("Start"))',
    '            s_Fan_branch0_A["A"]',
    '            end_Fan_branch0((("End")))',
    "        end",
    '        subgraph branch_Fan_branch1 ["branch 2"]',
    "            direction TB",
    '            start_Fan_branch1(("Start"))',
    '            s_Fan_branch1_B(["B<br/>B.Failed"])',
    '            end_Fan_branch1((("End")))',
    "        end",
    "    end",
    '    subgraph s_Each ["Each (Map)"]',
    "        direction TB",
    '        start_Each_ItemProcessor(("Start"))',
    '        s_Each_ItemProcessor_A(["A"])',
    '        end_Each_ItemProcessor((("End")))',
    "    end",
    '    s_Oops(["Oops<br/>Oops"])',
    '    s_Done(["Done"])',
    '    end_root((("End")))',
    "    start_root --> s_Route",
    "    start_Fan_branch0 --> s_Fan_branch0_A",
    "    start_Fan_branch1 --> s_Fan_branch1_B",
    "    start_Each_ItemProcessor --> s_Each_ItemProcessor_A",
    '    s_Route -->|"$.n #gt; 1"| s_Fan',
    '    s_Route -->|"rule 2"| s_Each',
    '    s_Route -->|"default"| s_Done',
    "    s_Fan --> s_Each",
    '    s_Fan -.->|"B.Failed, States.Timeout"| s_Oops',
    "    s_Fan_branch0_A --> end_Fan_branch0",
    "    s_Fan_branch1_B --> end_Fan_branch1",
    "    s_Each --> s_Done",
    "    s_Each_ItemProcessor_A --> end_Each_ItemProcessor",
    "    s_Oops --> end_root",
    "    s_Done --> end_root",
    "    classDef choice fill:#fff3cd,stroke:#b8860b,color:#000",
    "    classDef fail fill:#f8d7da,stroke:#b02a37,color:#000",
    "    classDef succeed fill:#d1e7dd,stroke:#146c43,color:#000",
    "    classDef terminal fill:#e2e3e5,stroke:#41464b,color:#000",
    "    class s_Route choice",
    "    class s_Fan_branch1_B,s_Oops fail",
    "    class s_Fan_branch0_A,s_Each_ItemProcessor_A,s_Done succeed",
    '    class start_root,end_root,start_Fan_branch0,end_Fan_branch0'
    ',start_Fan_branch1,end_Fan_branch1,start_Each_ItemProcessor,end_Each_ItemProcessor terminal',
]) + "\n"


def test_every_workflow_page_is_in_sync_with_its_asl():
    assert generate.check(generate.Project(TEMPLATE), jobs=("diagrams",)) == [], "run `make docs`"


def test_every_state_machine_of_the_template_has_a_page():
    """One page per workflow, named after the ASL file, and the page exists."""
    from sandbox.provision import slug_of
    from sandbox.stack import Stack
    from sandbox.template_yaml import load_template

    stack = Stack(load_template(TEMPLATE), ROOT)
    machines = stack.of_type("AWS::Serverless::StateMachine")
    expected = sorted((slug_of(m), ROOT / "docs" / f"{slug_of(m)}.md", m.properties["DefinitionUri"]) for m in machines)
    pages = sorted((p.slug, p.path, p.source) for p in diagram.pages(TEMPLATE))
    assert pages == expected
    assert all(path.is_file() for _, path, _ in pages)


@pytest.fixture
def docs(tmp_path) -> Path:
    target = tmp_path / "docs"
    shutil.copytree(ROOT / "docs", target)
    return target


def _main(mode: str, docs: Path) -> int:
    return generate.main([mode, "--template", str(TEMPLATE), "--docs", str(docs), "--only", "diagrams"])


def test_check_shows_a_diff_of_a_stale_page_and_write_regenerates_only_the_block(docs, capsys):
    page = docs / "document-processing.md"
    original = page.read_text()
    stale = original.replace("s_DetectLabels -.->", "s_DetectLabels -->")
    assert stale != original
    page.write_text(stale + "\nHand-written text after the block stays.\n")
    assert _main("--check", docs) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0] == f"{page}: out of date (+1 -1 lines)"
    assert any(line.startswith("    -    s_DetectLabels -->") for line in err)
    assert any(line.startswith("    +    s_DetectLabels -.->") for line in err)
    assert err[-1] == "1 generated file(s) out of date: run `make docs` (python -m suite_docs --write)"
    assert _main("--write", docs) == 0
    assert capsys.readouterr().out == f"updated {page}\n"
    assert page.read_text() == original + "\nHand-written text after the block stays.\n"
    assert _main("--check", docs) == 0
    assert _main("--write", docs) == 0
    assert capsys.readouterr().out == ""


def test_missing_page_is_reported_then_created_with_its_block(docs, capsys):
    page = docs / "document-processing.md"
    page.unlink()
    project = generate.Project(TEMPLATE, docs)
    (line,) = generate.check(project, jobs=("diagrams",))
    assert line.startswith(f"{page}: missing (")
    assert _main("--write", docs) == 0
    text = page.read_text()
    assert text.startswith("# document-processing\n\n<!-- diagram:start -->\n")
    assert text.endswith("```\n<!-- diagram:end -->\n")
    assert generate.check(project, jobs=("diagrams",)) == []


def test_page_without_markers_is_an_error_in_both_modes(docs, capsys):
    page = docs / "document-processing.md"
    page.write_text("# Document processing\n")
    for mode in ("--check", "--write"):
        assert _main(mode, docs) == 1
        assert capsys.readouterr().err.startswith(
            f"python -m suite_docs: {page}: needs exactly one <!-- diagram:start --> line")
    assert page.read_text() == "# Document processing\n"


def test_usage_errors_exit_2(capsys):
    assert generate.main([]) == 2
    assert generate.main(["--check", "--template", "nope.yaml"]) == 2
    assert capsys.readouterr().err.endswith("python -m suite_docs: template not found: nope.yaml\n")
    assert generate.main(["--check", "--only", "nothing"]) == 2


# -- asl_graph ------------------------------------------------------------------------------------


def test_states_are_qualified_by_their_scope():
    graph = parse(INLINE)
    assert list(graph.states) == ["Route", "Fan", "Fan/branch0/A", "Fan/branch1/B", "Each", "Each/ItemProcessor/A",
                                  "Oops", "Done"]
    assert graph.ids_named("A") == ("Fan/branch0/A", "Each/ItemProcessor/A")
    assert {k: (s.parent, s.label, s.start_at, s.states, s.end) for k, s in graph.scopes.items()} == {
        "": (None, "state machine", "Route", ("Route", "Fan", "Each", "Oops", "Done"), "(end)"),
        "Fan/branch0": ("Fan", "branch 1", "Fan/branch0/A", ("Fan/branch0/A",), "Fan/branch0/(end)"),
        "Fan/branch1": ("Fan", "branch 2", "Fan/branch1/B", ("Fan/branch1/B",), "Fan/branch1/(end)"),
        "Each/ItemProcessor": ("Each", "item processor", "Each/ItemProcessor/A", ("Each/ItemProcessor/A",),
                               "Each/ItemProcessor/(end)"),
    }
    assert graph.states["Fan"].children == ("Fan/branch0", "Fan/branch1")
    assert graph.states["Fan/branch1/B"].error == "B.Failed"


def test_every_edge_has_its_kind_and_label():
    graph = parse(INLINE)
    assert [(e.source, e.kind, e.label, e.index, e.errors, e.target) for e in graph.edges] == [
        ("Route", "choice", "$.n > 1", 0, (), "Fan"),
        ("Route", "choice", "rule 2", 1, (), "Each"),
        ("Route", "default", "default", None, (), "Done"),
        ("Fan", "next", "", None, (), "Each"),
        ("Fan", "catch", "B.Failed, States.Timeout", 0, ("B.Failed", "States.Timeout"), "Oops"),
        ("Fan/branch0/A", "end", "", None, (), "Fan/branch0/(end)"),
        ("Fan/branch1/B", "end", "", None, (), "Fan/branch1/(end)"),
        ("Each", "next", "", None, (), "Done"),
        ("Each/ItemProcessor/A", "end", "", None, (), "Each/ItemProcessor/(end)"),
        ("Oops", "end", "", None, (), "(end)"),
        ("Done", "end", "", None, (), "(end)"),
    ]
    assert graph.edges[1].condition == '$.items present and $.mode == "each-item-separately"'


def test_document_processing_graph_size():
    graph = parse((ROOT / "statemachines" / "document-processing.asl.json").read_text())
    kinds = [e.kind for e in graph.edges]
    assert (len(graph.states), len(graph.edges)) == (21, 34)
    assert {k: kinds.count(k) for k in ("next", "choice", "default", "catch", "end")} == {
        "next": 7, "choice": 7, "default": 2, "catch": 6, "end": 12}


@pytest.mark.parametrize(("definition", "message"), [
    ({"StartAt": "X", "States": {}}, "the state machine has no States"),
    ({"StartAt": "Y", "States": {"X": {"Type": "Succeed"}}}, "StartAt 'Y' is not one of its states"),
    ({"StartAt": "X", "States": {"X": {"Type": "Pass", "Next": "Z"}}}, "X.Next 'Z' is not a state of the same scope"),
])
def test_malformed_definitions_are_refused_with_a_reason(definition, message):
    with pytest.raises(AslGraphError, match=message):
        parse(definition)


# -- diagram --------------------------------------------------------------------------------------


def test_inline_definition_renders_exactly():
    assert diagram.render(INLINE) == EXPECTED
    assert diagram.render(parse(INLINE)) == EXPECTED


def test_labels_escape_quotes_and_angle_brackets():
    definition = {"StartAt": 'Say "hi" <now>', "States": {'Say "hi" <now>': {"Type": "Pass", "End": True}}}
    text = diagram.render(definition)
    assert '    s_Say__hi___now_["Say #quot;hi#quot; #lt;now#gt;"]\n' in text
    assert "    s_Say__hi___now_ --> end_root\n" in text


def test_node_ids_stay_unique_when_names_sanitise_alike():
    definition = {"StartAt": "a-b", "States": {"a-b": {"Type": "Pass", "Next": "a_b"}, "a_b": {"Type": "Succeed"}}}
    text = diagram.render(definition)
    assert '    s_a_b["a-b"]\n    s_a_b_2(["a_b"])\n' in text
    assert "    s_a_b --> s_a_b_2\n" in text
