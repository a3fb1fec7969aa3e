"""What the CLI writes after a run, written in fewer passes: the saved runs and `--output json`, the same content."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from sandbox import cli, view
from sandbox.cli import indented_json
from sandbox.cli import main as sandbox
from sandbox.core import Run, Sandbox
from sandbox.history import json_default, jsonable

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template.yaml"
GLACIER = ROOT / "events" / "glacier-restore"
START = datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)


def _run(name: str, **fields: object) -> Run:
    history = [
        {"id": 1, "type": "ExecutionStarted", "timestamp": START,
         "executionStartedEventDetails": {"input": '{"clé": "überprüft ✓"}'}},
        {"id": 2, "type": "ExecutionFailed", "timestamp": START + timedelta(hours=48, microseconds=1500),
         "previousEventId": 1, "executionFailedEventDetails": {"error": "Bad.Thing", "cause": "naïve \"quoted\"\n"}},
    ]
    return Run(workflow="wf", execution_arn=f"arn:aws:states:us-east-1:123456789012:execution:wf:{name}",
               status="FAILED", input={"clé": "überprüft ✓"}, history=history, start_date=START,  # type: ignore[arg-type]
               stop_date=START + timedelta(hours=48), **fields)  # type: ignore[arg-type]


def _saved(records: list[dict], folder: Path) -> list[dict]:
    return [json.loads(path.read_text()) for path in view.save_runs(records, folder)]


def test_a_saved_raw_record_reads_back_as_the_record_with_errors_unicode_and_odd_values(tmp_path):
    definition = {"StartAt": "Go", "States": {"Go": {"Type": "Fail", "Error": "Bad.Thing"}}}
    run = _run("one", output={"when": START, "pair": ("a", 1), "amount": Decimal("1.50"), "ratio": math.inf,
                              7: "a number key", "emoji": "🧊"}, error="Bad.Thing", cause="naïve \"quoted\"\n")
    other = _run("two")
    kwargs = {"triggered": [other], "set_off_by": None}
    expected = view.record(run, definition, **kwargs)
    (saved,) = _saved([view.raw_record(run, definition, **kwargs)], tmp_path)
    assert saved == json.loads(json.dumps(expected))
    assert saved["output"]["when"] == "2026-01-02T03:04:05.678Z" and saved["output"]["7"] == "a number key"
    assert saved["output"]["pair"] == ["a", 1] and saved["output"]["amount"] == "1.50"
    assert saved["triggered"][0]["end"] == "2026-01-04T03:04:05.679Z"
    (lane_saved,) = _saved([view.raw_record(other, definition, set_off_by=run)], tmp_path / "lane")
    assert lane_saved == view.record(other, definition, set_off_by=run)


def test_a_saved_run_with_distributed_map_children_reads_back_as_its_record(tmp_path):
    """The request keeps its Map's child executions (one caught a failed HeadObject): saved in one encoding."""
    with Sandbox.from_template(TEMPLATE) as sb:
        sb.seed(GLACIER / "objects.json")
        run = sb.run("glacier-restore", json.loads((GLACIER / "missing-key.json").read_text()))
        definition = sb.workflow("glacier-restore").definition
        expected = view.record(run, definition)
        (saved,) = _saved([view.raw_record(run, definition)], tmp_path)
    assert saved == expected
    (children,) = saved["children"].values()
    assert len(children) == 2 and all(isinstance(e["timestamp"], str) for c in children for e in c["history"])
    assert any(e["type"] == "TaskFailed" for c in children for e in c["history"])


@pytest.mark.parametrize("value", [
    {},
    [],
    {"a": [], "b": {}, "c": [{}], "d": [[[]]]},
    {"text": "naïve \"quoted\" \\ back\nslash\t✓ 🧊 \u0000 </script>", "clé": "é"},
    [0, -1, 10**40, 1.5, -0.0, 1e300, 1e-7, 3.141592653589793, math.inf, -math.inf, True, False, None],
    {"nested": {"deeper": {"list": [1, {"x": [None, "y"]}, []]}}, "": ""},
    {"a": {"b": [{"scalars": 1, "only": "é✓", "nan": math.nan, "inf": -math.inf, "no": False}, [True, 2.5, None]]}},
])
def test_indented_json_is_json_dumps_indent_2(value):
    assert indented_json(value) == json.dumps(value, indent=2)


def test_indented_json_writes_nan_as_json_does():
    assert indented_json([math.nan]) == json.dumps([math.nan], indent=2) == "[\n  NaN\n]"


@pytest.mark.parametrize("value", [
    {"when": START, "naive": START.replace(tzinfo=None), "pair": ("a", (1, [])), "amount": Decimal("1.50"),
     "kinds": {"x"}, "path": Path("a/b")},
    {1: "a number key", 2.5: "a float key", False: "no", None: "nothing", "text": {3: [START]}},
    [{"inner": {7: ("t",)}}, ()],
])
def test_indented_json_writes_what_jsonable_converts_as_jsonable_does(value):
    assert indented_json(value) == json.dumps(jsonable(value), indent=2)


def test_run_output_json_is_jsons_indented_text_and_the_saved_runs_read_back(tmp_path, capsys, monkeypatch):
    """`--output json` prints what json.dumps(indent=2) would; the kept runs are records `sandbox view` reads."""
    monkeypatch.setattr(cli, "RUNS_DIR", tmp_path / "runs")  # this test's own: other workers save runs too
    assert sandbox(["--template", str(TEMPLATE), "run", "glacier-restore", "--event", str(GLACIER / "keys.json"),
                    "--output", "json"]) == 0
    out = capsys.readouterr().out
    story = json.loads(out)
    assert out == json.dumps(story, indent=2) + "\n"
    assert [r["workflow"] for r in story["triggered"]] == ["glacier-restore-complete"] * 2
    saved = [json.loads(path.read_text()) for path in view.saved_runs(tmp_path / "runs")]
    assert [s["workflow"] for s in saved] == ["glacier-restore"] + ["glacier-restore-complete"] * 2
    assert saved[0]["history"] == jsonable(story["history"]) and len(saved[0]["triggered"]) == 2
    assert all(isinstance(c["history"][0]["timestamp"], str) for c in next(iter(saved[0]["children"].values())))


@pytest.mark.parametrize("moment", [
    START, START.replace(microsecond=0), START.replace(microsecond=999999), START.replace(tzinfo=None),
    START.astimezone(timezone(timedelta(hours=-5))), datetime(999, 1, 2, 3, 4, 5, 6000), datetime(9999, 12, 31),
])
def test_timestamps_are_written_as_strftime_wrote_them(moment):
    assert json_default(moment) == moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def test_the_same_instant_in_two_zones_is_written_in_each_zones_fields():
    eastern = START.astimezone(timezone(timedelta(hours=-5)))
    assert eastern == START
    assert [json_default(START), json_default(eastern), json_default(START)] == [
        "2026-01-02T03:04:05.678Z", "2026-01-01T22:04:05.678Z", "2026-01-02T03:04:05.678Z"]
