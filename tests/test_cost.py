"""Cost estimates: the arithmetic on known usage, the counts taken from real histories, the CLI, the docs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sandbox import cost
from sandbox.cli import main as sandbox
from sandbox.cost import LambdaUsage, Usage

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template.yaml"
EVENTS = ROOT / "events"
PRICES = cost.load_prices()


def usage(**overrides) -> Usage:
    values = {"workflow": "w", "type": "STANDARD", "status": "SUCCEEDED", "state_transitions": 40,
              "duration_seconds": 1.25, "express_memory_mb": 64,
              "lambdas": [LambdaUsage("Fn", 256, "arm64", invocations=2, billed_ms=300)],
              "requests": {"events:putEvents": 3, "textract:analyzeID": 1}}
    values.update(overrides)
    return Usage(**values)


def test_every_price_names_its_source_and_date():
    assert PRICES["region"] == "us-east-1" and PRICES["checked"]
    entries = [PRICES["stepfunctions"]["standard"], PRICES["stepfunctions"]["express"],
               *PRICES["lambda"].values(), *PRICES["requests"].values()]
    for entry in entries:
        assert entry["source"].startswith("https://") and entry["checked"] == PRICES["checked"], entry
    assert PRICES["stepfunctions"]["standard"]["per_state_transition"] == 0.025 / 1000
    assert PRICES["lambda"]["arm64"]["per_gb_second"] == 0.0000133334


def test_standard_is_per_transition_and_lambda_per_request_and_gb_second():
    found = usage()
    assert cost.standard_usd(found, PRICES) == pytest.approx(40 * 0.000025)
    (line,) = cost.lambda_lines(found, PRICES)
    assert line.usd == pytest.approx(2 * 0.0000002 + 0.25 * 0.3 * 0.0000133334)
    assert line.quantity == "2 x, 300 ms"
    lines = {line.item: line.usd for line in cost.request_lines(found, PRICES)}
    assert lines == {"events:putEvents": pytest.approx(3 * 0.000001), "textract:analyzeID": None}
    one = cost.estimate(found, PRICES)
    assert one.unpriced == ["textract:analyzeID"]
    assert one.standard_total == pytest.approx(40 * 0.000025 + lines["events:putEvents"] + cost.lambda_lines(
        found, PRICES)[0].usd)


def test_express_rounds_duration_up_to_100_ms_and_applies_the_gb_hour_tiers():
    found = usage(duration_seconds=1.201)
    assert cost.express_billed_seconds(found, PRICES) == pytest.approx(1.3)
    assert cost.express_billed_seconds(usage(duration_seconds=0.0), PRICES) == pytest.approx(0.1)
    assert cost.express_usd(found, PRICES) == pytest.approx(0.000001 + 1.3 * 0.0625 / 3600 * 0.06)
    # 100M executions of 10 s at 64 MB: AWS's own pricing example (17,361.11 GB-hours, $382.97 of duration).
    example = usage(duration_seconds=10.0)
    total = cost.express_usd(example, PRICES, executions=100_000_000)
    assert total == pytest.approx(100.0 + 382.97, abs=0.01)


def test_no_express_figure_past_the_five_minute_limit():
    found = usage(duration_seconds=301)
    assert cost.express_usd(found, PRICES) is None
    assert cost.estimate(found, PRICES).express_total is None
    assert "over Express's 5-minute limit" in cost.format_estimate(found, PRICES, 10)


def test_counts_from_a_history():
    history = [
        {"type": "TaskStateEntered", "stateEnteredEventDetails": {"name": "Detect"}},
        {"type": "TaskScheduled", "taskScheduledEventDetails": {"resourceType": "aws-sdk:rekognition",
                                                                "resource": "detectLabels"}},
        {"type": "TaskFailed", "taskFailedEventDetails": {}},
        {"type": "TaskScheduled", "taskScheduledEventDetails": {"resourceType": "aws-sdk:rekognition",
                                                                "resource": "detectLabels"}},
        {"type": "TaskStateExited", "stateExitedEventDetails": {"name": "Detect"}},
        {"type": "TaskStateEntered", "stateEnteredEventDetails": {"name": "Publish"}},
        {"type": "TaskScheduled", "taskScheduledEventDetails": {"resourceType": "events",
                                                                "resource": "putEvents.waitForTaskToken"}},
    ]
    assert cost.requests_of(history) == {"rekognition:detectLabels": 2, "events:putEvents": 1}
    assert cost.state_transitions(history) == 3  # two states entered, one retry


def test_express_memory_is_billed_in_64_mb_chunks():
    small = cost.express_memory_mb({"StartAt": "A"}, [], PRICES)
    assert small == 64
    big_payload = json.dumps({"x": "y" * (15 * 1024 * 1024)})
    history = [{"type": "PassStateEntered", "stateEnteredEventDetails": {"name": "A", "input": big_payload}}]
    assert cost.express_memory_mb({"StartAt": "A"}, history, PRICES) == 128


@pytest.mark.parametrize(("value", "text"), [(None, "n/a"), (0, "$0"), (1234.5, "$1,234.50"), (2.1, "$2.10"),
                                             (0.000201, "$0.000201"), (0.0000021, "$0.00000210")])
def test_dollars_are_readable(value, text):
    assert cost.usd(value) == text


def test_usage_of_a_real_run_measures_lambda_and_counts_requests(suite):
    """A custom-labels validation failure: one Lambda call measured in-process, one SNS publish."""
    event = json.loads((EVENTS / "custom-labels-training" / "out-of-range.json").read_text())
    with cost.LambdaMeter(suite) as meter:
        run = suite.run("custom-labels-training", event)
    found = cost.usage(run, suite, meter.billed_ms())
    (fn,) = found.lambdas
    assert (fn.function, fn.memory_mb, fn.architecture, fn.invocations) == (
        "CheckBucketPermissionsFunction", 256, "arm64", 1)
    assert fn.billed_ms >= 1 and fn.billed_ms == meter.billed_ms()["CheckBucketPermissionsFunction"][0]
    assert found.requests == {"sns:publish": 1}
    assert found.state_transitions == len(run.path)
    assumed = cost.usage(run, suite, assumed_lambda_ms=100)
    assert assumed.lambdas[0].billed_ms == 100
    assert "invoke" not in json.dumps(found.requests)
    assert suite.lambdas.functions["CheckBucketPermissionsFunction"].__dict__.get("invoke") is None  # unwrapped


def test_cost_command_prints_a_monthly_estimate(capsys):
    assert sandbox(["--template", str(TEMPLATE), "cost", "document-processing", "--event",
                    str(EVENTS / "document-processing" / "licence.json"), "--executions", "1000"]) == 0
    out = capsys.readouterr().out
    assert "USD / month (1,000 executions)" in out
    assert "Step Functions Express (this workflow)  1 request, 0.1 s x 64 MB" in out
    assert "9 state transitions" in out
    assert "events:putEvents" in out and "textract:analyzeID" in out
    assert "Not in the totals (no price found): dynamodb:putItem, rekognition:detectLabels, textract:analyzeID." in out
    standard = next(line for line in out.splitlines() if line.startswith("Total as Standard"))
    assert standard.split()[-1] == "$0.226"  # 9 x $0.000025 + 1 PutEvents, x 1,000


def test_cost_command_refuses_bad_input(capsys):
    assert sandbox(["--template", str(TEMPLATE), "cost", "nope", "--event",
                    str(EVENTS / "document-processing" / "licence.json")]) == 2
    assert "unknown workflow 'nope'" in capsys.readouterr().err
    assert sandbox(["cost", "document-processing", "--event", "missing.json"]) == 2


def test_docs_pages_show_each_workflows_current_cost():
    assert cost.check(TEMPLATE) == [], "run `make docs`"


def test_a_page_without_a_cost_block_gets_one_in_its_cost_notes_section(tmp_path):
    page = tmp_path / "p.md"
    text = "# W\n\n## Cost notes\n\nSome notes.\n\n## Run it offline\n\nText.\n"
    updated = cost.updated_text(text, f"{cost.START_MARKER}\nX\n{cost.END_MARKER}", page)
    assert updated == ("# W\n\n## Cost notes\n\nSome notes.\n\n<!-- cost:start -->\nX\n<!-- cost:end -->\n\n"
                       "## Run it offline\n\nText.\n")
    assert cost.updated_text(updated, f"{cost.START_MARKER}\nY\n{cost.END_MARKER}", page) == updated.replace(
        "\nX\n", "\nY\n")
    assert cost.updated_text("# W\n", "B", page) == "# W\n\n## Cost\n\nB\n"
    with pytest.raises(ValueError, match="needs exactly one"):
        cost.updated_text(f"{cost.END_MARKER}\n{cost.START_MARKER}\n", "B", page)
