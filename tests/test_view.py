"""The execution page's data: outcomes per state, the path, errors, the timeline; `run --html` and `view`."""

from __future__ import annotations

import json
from pathlib import Path

from sandbox import view
from sandbox.cli import main as sandbox

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template.yaml"
EVENTS = ROOT / "events"
SLUG = "document-processing"


def licence() -> dict:
    return json.loads((EVENTS / SLUG / "licence.json").read_text())


def data_of(sb, run) -> dict:
    return view.page_data(view.record(run, sb.workflow(run.workflow).definition))


def outcomes(data: dict) -> dict[str, str]:
    return {state["name"]: state["outcome"] for state in data["states"]}


def test_a_caught_failure_colours_the_task_caught_and_the_fail_state_failed(suite):
    suite.faults.fail("DetectLabels", "Rekognition.InvalidS3ObjectException", "No such object", times=1)
    run = suite.run(SLUG, licence())
    data = data_of(suite, run)
    found = outcomes(data)
    assert found["DetectLabels"] == "caught"
    assert found["LabelDetectionFailed"] == "failed"
    assert found["ValidateEvent"] == found["ExtractCustomerId"] == "succeeded"
    assert found["AnalyzeLicense"] == "not-reached"
    detect = next(s for s in data["states"] if s["name"] == "DetectLabels")
    assert detect["visits"][0]["errors"] == [{"type": "TaskFailed", "error": "Rekognition.InvalidS3ObjectException",
                                              "cause": "No such object"}]
    failed = next(s for s in data["states"] if s["name"] == "LabelDetectionFailed")
    assert failed["visits"][0]["errors"][0]["error"] == run.error
    taken = {(e["source"], e["target"], e["kind"]) for e in data["edges"] if e["taken"]}
    assert ("DetectLabels", "LabelDetectionFailed", "catch") in taken
    assert ("DetectLabels", "ClassifyDocument", "next") not in taken


def test_a_retried_task_is_retried_and_its_output_is_kept(suite):
    suite.faults.fail("DetectLabels", "Rekognition.ThrottlingException", "Rate exceeded", times=2)
    run = suite.run(SLUG, licence())
    data = data_of(suite, run)
    detect = next(s for s in data["states"] if s["name"] == "DetectLabels")
    assert (detect["outcome"], detect["retries"]) == ("retried", 2)
    assert [e["error"] for e in detect["visits"][0]["errors"]] == ["Rekognition.ThrottlingException"] * 2
    assert detect["visits"][0]["output"]["labels"]["count"] > 0
    assert outcomes(data)["LicenseProcessed"] == "succeeded"
    assert [row["id"] for row in data["history"]] == list(range(1, len(run.history) + 1))
    assert {row["step"] for row in data["history"]} >= {"DetectLabels", "LicenseProcessed"}


def test_a_long_wait_reads_as_virtual_hours_on_the_timeline():
    from sandbox.core import Sandbox

    folder = EVENTS / "custom-labels-training"
    with Sandbox.from_template(TEMPLATE) as sb:
        sb.seed(folder / "objects.json")
        event = json.loads((folder / "auto-stop.json").read_text())
        run = sb.answer_callbacks(sb.start("custom-labels-training", event))
        data = data_of(sb, run)
    assert data["run"]["duration"] > 3600
    assert data["run"]["durationText"].endswith("s") and "h" in data["run"]["durationText"]
    waits = [v for s in data["states"] if s["type"] == "Wait" for v in s["visits"]]
    assert max(v["end"] - v["start"] for v in waits) >= 3600


def test_the_page_is_one_file_with_everything_inline(suite, tmp_path):
    run = suite.run(SLUG, json.loads((EVENTS / SLUG / "no-labels.json").read_text()))
    page = view.write(run, suite.workflow(SLUG).definition, tmp_path / "page.html")
    text = page.read_text()
    assert text.startswith("<!DOCTYPE html>")
    assert "sourceMappingURL" not in text
    assert 'src="' not in text and "href=" not in text and "@import" not in text  # nothing to fetch
    assert "var dagre=" in text  # the vendored layout library, inline
    payload = text.split('<script id="run-data" type="application/json">')[1].split("</script>")[0]
    data = json.loads(payload)
    assert outcomes(data)["NoLabelsDetected"] == "failed"
    assert data["run"]["status"] == "FAILED"


def test_run_html_and_view_write_pages(tmp_path, capsys):
    page = tmp_path / "licence.html"
    assert sandbox(["--template", str(TEMPLATE), "run", SLUG, "--event", str(EVENTS / SLUG / "licence.json"),
                    "--html", str(page)]) == 0
    assert f"Page:   {page}" in capsys.readouterr().out
    assert page.is_file() and "LicenseProcessed" in page.read_text()
    out_dir = tmp_path / "pages"
    assert sandbox(["--template", str(TEMPLATE), "view", "--out", str(out_dir)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1 and lines[0].endswith(f"{SLUG} SUCCEEDED")
    (written,) = out_dir.glob("*.html")
    assert written.name.startswith(f"01-{SLUG}-")


def test_view_without_kept_runs_is_a_usage_error(tmp_path, capsys):
    template = tmp_path / "template.yaml"
    template.write_text("Resources: {}\n")
    assert sandbox(["--template", str(template), "view"]) == 2
    assert "no runs kept" in capsys.readouterr().err


GLACIER = "glacier-restore"
INNER = "RestoreKeys/ItemProcessor/"


def payload(page: Path) -> dict:
    return json.loads(page.read_text().split('<script id="run-data" type="application/json">')[1].split("</script>")[0])


def test_distributed_map_children_colour_the_item_processor_with_counts(tmp_path):
    """The Map's items run as child executions: the page folds them into the parent's graph."""
    from sandbox.core import Sandbox

    folder = EVENTS / GLACIER
    with Sandbox.from_template(TEMPLATE) as sb:
        sb.seed(folder / "objects.json")
        run = sb.run(GLACIER, json.loads((folder / "missing-key.json").read_text()))
        data = view.record(run, sb.workflow(GLACIER).definition)
    data = view.page_data(json.loads(json.dumps(data)))  # as `sandbox view` reads it back
    states = {s["id"]: s for s in data["states"]}
    assert states["RestoreKeys"]["childRuns"] == {"total": 2, "statuses": {"SUCCEEDED": 2}}
    # One key is missing: its child's HeadObject failed and was caught; the other's succeeded.
    head = states[INNER + "Keys.HeadObject"]
    assert head["outcome"] == "caught"
    assert head["childExecutions"]["counts"] == {"caught": 1, "succeeded": 1}
    assert (head["childExecutions"]["entered"], head["childExecutions"]["total"]) == (2, 2)
    # The representative child is one with that outcome: its input and error are what a click shows.
    (visit,) = head["visits"]
    assert visit["input"]["key"] == "archive/2019/no-such-report.pdf"
    assert [e["type"] for e in visit["errors"]] == ["TaskFailed"] and visit["errors"][0]["error"].startswith("S3.")
    rows = data["childRows"][head["childExecutions"]["representative"]["rows"]]
    assert any(r["step"] == "Keys.HeadObject" and r["type"] == "TaskFailed" for r in rows)
    counted = states[INNER + "Keys.CountOutcome"]
    assert (counted["outcome"], counted["childExecutions"]["counts"]) == ("succeeded", {"succeeded": 2})
    assert states[INNER + "Keys.RestoreStarted"]["childExecutions"]["entered"] == 1
    assert states[INNER + "Keys.NotArchived"]["outcome"] == "not-reached"
    assert states["RestorePrefix/ItemProcessor/Prefix.HeadObject"]["outcome"] == "not-reached"
    taken = {(e["source"], e["target"]) for e in data["edges"] if e["taken"]}
    assert (INNER + "Keys.HeadObject", INNER + "Keys.ObjectUnavailable") in taken
    assert (INNER + "Keys.HeadObject", INNER + "Keys.ClassifyObject") in taken
    assert (INNER + "Keys.NotArchived", INNER + "Keys.CountOutcome") not in taken


def test_run_html_and_view_show_the_runs_set_off_on_the_timeline(tmp_path, capsys):
    """glacier-restore requests restores; S3 completes them 48 virtual hours later and another workflow runs."""
    page = tmp_path / "g.html"
    assert sandbox(["--template", str(TEMPLATE), "run", GLACIER, "--event", str(EVENTS / GLACIER / "keys.json"),
                    "--html", str(page)]) == 0
    capsys.readouterr()
    data = payload(page)
    lanes = data["lanes"]
    assert [(lane["workflow"], lane["self"]) for lane in lanes] == [
        (GLACIER, True), ("glacier-restore-complete", False), ("glacier-restore-complete", False)]
    assert lanes[0]["start"] == 0
    assert all(47 * 3600 <= lane["start"] <= 49 * 3600 for lane in lanes[1:])
    assert "(48 h)" in lanes[1]["startText"] and "48 h" in data["run"]["spanText"]
    assert data["run"]["durationText"].endswith("s")  # the run itself is still its own duration
    states = {s["id"]: s for s in data["states"]}
    assert states[INNER + "Keys.RestoreStarted"]["childExecutions"]["counts"] == {"succeeded": 2}

    out_dir = tmp_path / "pages"
    assert sandbox(["--template", str(TEMPLATE), "view", "--out", str(out_dir)]) == 0
    capsys.readouterr()
    first, *others = sorted(out_dir.glob("*.html"))
    assert payload(first)["lanes"] == lanes
    assert payload(first)["states"] == data["states"]  # the children were kept with the run
    assert len(others) == 2
    for other in others:
        seen = payload(other)["lanes"]
        assert [(lane["workflow"], lane["role"]) for lane in seen] == [
            (GLACIER, "set this run off"), ("glacier-restore-complete", "this run")]
        assert seen[1]["start"] >= 47 * 3600
