"""Cost estimates: the arithmetic on known usage, the counts taken from real histories, the CLI, the docs."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from sandbox import cost
from sandbox.cli import main as sandbox
from sandbox.cost import LambdaUsage, Usage
from suite_docs import cost_pages, generate

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
        assert entry["source"].startswith("https://aws.amazon.com/"), entry  # the AWS page, not a blog
        assert entry["checked"] >= PRICES["checked"] == "2026-11-26", entry  # ISO dates: read then or since
    assert PRICES["stepfunctions"]["standard"]["per_state_transition"] == 0.025 / 1000
    assert PRICES["lambda"]["arm64"]["per_gb_second"] == 0.0000133334


def _called_services() -> set[str]:
    """`<service>:<action>` of every Task of every state machine (as `requests_of` keys them)."""
    import re

    found = set()
    for path in (ROOT / "statemachines").glob("*.asl.json"):
        for resource in re.findall(r'"arn:aws:states:::([^"]+)"', path.read_text()):
            service, _, action = resource.removeprefix("aws-sdk:").partition(":")
            found.add(cost.request_key(service, action))
    return found - {"lambda:invoke"}


def test_every_service_a_workflow_calls_has_a_price_entry_and_unconfirmed_prices_say_so():
    called = _called_services()
    assert {"dynamodb:putItem", "s3:headObject", "s3:restoreObject", "s3:copyObject", "rekognition:detectLabels",
            "textract:analyzeID", "cloudformation:createStack"} <= called
    for key in sorted(called):
        entry = cost.request_price(key, PRICES)
        assert entry is not None, f"{key}: no entry in sandbox/data/prices.json"
        if entry["per_request"] is None and entry.get("billed_per") != "hour":
            assert "NOT CONFIRMED" in entry["note"], key  # explicit, and kept out of the totals
    dynamodb = PRICES["requests"]["dynamodb:*"]
    assert "no workflow" not in json.dumps(dynamodb) and "glacier-restore" in dynamodb["note"]
    assert PRICES["requests"]["rekognition:detectLabels"]["per_request"] == 0.001
    # DynamoDB on-demand: a write request unit per write ($0.625 / million), half a read unit per GetItem.
    assert cost.request_price("dynamodb:putItem", PRICES)["per_request"] == pytest.approx(0.625 / 1_000_000)
    assert cost.request_price("dynamodb:getItem", PRICES)["per_request"] == pytest.approx(0.125 / 2 / 1_000_000)
    query = cost.request_lines(usage(requests={"dynamodb:query": 1}), PRICES)
    assert query[0].usd is None and not query[0].billed_per  # named as unpriced, not guessed
    assert PRICES["requests"]["s3:headObject"]["per_request"] == pytest.approx(0.0004 / 1000)
    assert PRICES["requests"]["cloudformation:*"]["per_request"] == 0.0
    restore = cost.request_lines(usage(requests={"s3:restoreObject": 2}), PRICES)
    assert restore[0].usd is None and restore[0].billed_per  # out of the totals, said so


def test_standard_is_per_transition_and_lambda_per_request_and_gb_second():
    found = usage()
    assert cost.standard_usd(found, PRICES) == pytest.approx(40 * 0.000025)
    (line,) = cost.lambda_lines(found, PRICES)
    assert line.usd == pytest.approx(2 * 0.0000002 + 0.25 * 0.3 * 0.0000133334)
    assert line.quantity == "2 x, 300 ms"
    lines = {line.item: line.usd for line in cost.request_lines(found, PRICES)}  # textract: unconfirmed
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
    assert "Not in the totals (no price found): textract:analyzeID." in out
    standard = next(line for line in out.splitlines() if line.startswith("Total as Standard"))
    assert standard.split()[-1] == "$1.23"  # 9 x $0.000025 + 1 PutEvents + 1 DetectLabels ($0.001), x 1,000


def test_cost_command_refuses_bad_input(capsys):
    assert sandbox(["--template", str(TEMPLATE), "cost", "nope", "--event",
                    str(EVENTS / "document-processing" / "licence.json")]) == 2
    assert "unknown workflow 'nope'" in capsys.readouterr().err
    assert sandbox(["cost", "document-processing", "--event", "missing.json"]) == 2


@pytest.mark.slow
def test_docs_pages_show_each_workflows_current_cost():
    assert generate.check(generate.Project(TEMPLATE), jobs=("cost",)) == [], "run `make docs`"


def test_a_page_without_a_cost_block_gets_one_in_its_cost_notes_section(tmp_path):
    page = tmp_path / "p.md"
    text = "# W\n\n## Cost notes\n\nSome notes.\n\n## Run it offline\n\nText.\n"
    updated = cost_pages.updated_text(text, f"{cost_pages.START_MARKER}\nX\n{cost_pages.END_MARKER}", page)
    assert updated == ("# W\n\n## Cost notes\n\nSome notes.\n\n<!-- cost:start -->\nX\n<!-- cost:end -->\n\n"
                       "## Run it offline\n\nText.\n")
    replaced = cost_pages.updated_text(updated, f"{cost_pages.START_MARKER}\nY\n{cost_pages.END_MARKER}", page)
    assert replaced == updated.replace("\nX\n", "\nY\n")
    assert cost_pages.updated_text("# W\n", "B", page) == "# W\n\n## Cost\n\nB\n"
    with pytest.raises(ValueError, match="needs exactly one"):
        cost_pages.updated_text(f"{cost_pages.END_MARKER}\n{cost_pages.START_MARKER}\n", "B", page)


def test_distributed_map_children_are_counted(suite):
    """glacier-restore `keys`: two Express children, each HeadObject, PutItem, RestoreObject, UpdateItem x2."""
    suite.seed(EVENTS / "glacier-restore" / "objects.json")
    run = suite.run("glacier-restore", json.loads((EVENTS / "glacier-restore" / "keys.json").read_text()))
    found = cost.usage(run, suite, assumed_lambda_ms=100)
    assert [(c.map_state, c.type) for c in found.children] == [("RestoreKeys", "EXPRESS")] * 2
    assert found.requests["s3:headObject"] == 2 and found.requests["s3:restoreObject"] == 2
    assert found.requests["dynamodb:putItem"] == 3  # the request item + one object item per child
    (line,) = cost.child_lines(found, PRICES)
    assert line.item == "Express child executions of RestoreKeys" and line.usd > 2 * 0.000001
    parent_only = cost.estimate(replace(found, children=[], requests={"sns:publish": 1}), PRICES, 1_000_000)
    assert cost.estimate(found, PRICES, 1_000_000).standard_total > parent_only.standard_total + 2.0
    assert "Express child executions of RestoreKeys" in cost.format_estimate(found, PRICES, 1000)


def test_lambda_is_billed_warm_without_the_module_import(tmp_path):
    """A handler whose import takes 400 ms and whose call takes none: the import is not billed."""
    from types import SimpleNamespace

    from sandbox.lambdas import InProcessFunction

    (tmp_path / "app.py").write_text("import time\ntime.sleep(0.4)\n\ndef handler(event, context):\n"
                                     "    return event\n")
    function = InProcessFunction("SlowImportFunction", "slow", "arn:aws:lambda:us-east-1:1:function:slow", tmp_path,
                                 "app.handler", {})
    sb = SimpleNamespace(lambdas=SimpleNamespace(functions={"SlowImportFunction": function}))
    with cost.LambdaMeter(sb) as meter:
        assert function.invoke({"a": 1}) == {"a": 1}
        function.invoke({})
    billed = meter.billed_ms()
    assert len(billed["SlowImportFunction"]) == 2 and max(billed["SlowImportFunction"]) < 200
    assert billed.init_ms >= 400 and function.invocations == 2


def test_cli_prints_the_docs_figure_of_the_same_event(capsys):
    """account-application `approved`: the CLI's assumed-duration line is the docs table's row."""
    assert sandbox(["--template", str(TEMPLATE), "cost", "account-application", "--event",
                    str(EVENTS / "account-application" / "approved.json"), "--executions", "1000000"]) == 0
    out = capsys.readouterr().out
    assert "not billed per invocation" in out
    row = next(line for line in (ROOT / "docs" / "account-application.md").read_text().splitlines()
               if line.startswith("| `approved` |"))
    standard_1m, express_1m = [cell.strip() for cell in row.strip("|").split("|")][-2:]
    assert (f"Lambda assumed {cost.DOCS_LAMBDA_MS} ms per invocation: Total as Standard {standard_1m}, "
            f"Total as Express {express_1m} per month") in out
    measured = next(line for line in out.splitlines() if line.startswith("Total as Express")).split()[-1]
    assert float(measured.strip("$").replace(",", "")) < float(express_1m.strip("$").replace(",", ""))


def test_glacier_restore_complete_has_sample_events_and_a_cost_figure():
    figures = dict(cost_pages.docs_figures(TEMPLATE, "glacier-restore-complete", EVENTS))
    assert sorted(figures) == ["duplicate-event", "not-requested", "restored-last-object", "restored-more-pending"]
    assert {found.status for found in figures.values()} == {"SUCCEEDED"}
    last = figures["restored-last-object"]
    assert last.requests == {"dynamodb:getItem": 1, "dynamodb:updateItem": 2, "s3:copyObject": 1, "sns:publish": 1}
    block = cost_pages.docs_block("glacier-restore-complete", list(figures.items()), PRICES)
    assert "runs as Standard" in block and "| `restored-last-object` | SUCCEEDED | 11 |" in block
