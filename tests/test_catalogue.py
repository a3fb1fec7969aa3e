"""The suite as a patterns catalogue (suite_docs/): every workflow of template.yaml has its
page, catalogue entry, sample events, diagram and standalone template, and none of them is stale.

These tests read the template: a workflow added to it is checked the day it is added.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from sandbox import samples
from sandbox.samples import callback_answer, sample_events
from sandbox.template_yaml import load_template, loads_template
from suite_docs import catalogue, generate, metadata, patterns
from suite_docs.standalone import standalone_text
from suite_docs.tree import Tree

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template.yaml"

# Serverless Land `example-workflow.json` (aws-samples/step-functions-workflows-collection,
# _workflow_model/example-workflow.json): key -> type.
SERVERLESS_LAND_KEYS = {
    "title": str, "description": str, "language": str, "simplicity": str, "usecase": str, "type": str,
    "diagram": str, "videoId": str, "level": str, "framework": str, "services": list, "introBox": dict,
    "testing": dict, "cleanup": dict, "deploy": dict, "gitHub": dict, "resources": dict, "authors": list,
}
# The topics every pattern page covers, as heading patterns: what a reader deploying the pattern needs.
PAGE_SECTIONS = {
    "input contract": r"^## Input",
    "output contract": r"^## Outputs?\b",
    "named errors": r"^## Errors",
    "design choices (retry policy, Standard or Express)": r"^## (Retry policy|Why (Standard|Express)|Design)",
    "cost notes": r"^## Cost",
    "running it offline": r"^## Run it offline",
    "deploying it alone": r"^## Deploy this pattern alone",
}


@pytest.fixture(scope="module")
def cat() -> catalogue.Catalogue:
    return catalogue.load(TEMPLATE)


def machine_slugs() -> list[str]:
    return sorted(catalogue.state_machine_slugs(load_template(TEMPLATE)))


def pattern_slugs() -> list[str]:
    return sorted(catalogue.load(TEMPLATE).patterns)


# --- every workflow has its pieces ------------------------------------------------------------


@pytest.mark.parametrize("slug", pattern_slugs())
def test_every_workflow_has_a_catalogue_entry(cat: catalogue.Catalogue, slug: str) -> None:
    assert cat.patterns[slug].metadata is not None, (
        f"{slug} has no {catalogue.PATTERNS_DIR}/{slug}/{catalogue.METADATA_FILE}: write its catalogue entry "
        "(title, description, level...; `suite.stateMachines` to group it with another workflow), then `make docs`")


@pytest.mark.parametrize("slug", pattern_slugs())
def test_every_workflow_has_sample_events(slug: str) -> None:
    folder = ROOT / "events" / slug
    assert sample_events(folder), f"events/{slug}/ has no sample event"


@pytest.mark.parametrize("slug", machine_slugs())
def test_every_state_machine_has_a_page_with_its_diagram(slug: str) -> None:
    page = ROOT / "docs" / f"{slug}.md"
    assert page.is_file(), f"docs/{slug}.md is missing"
    stale = generate.check(generate.Project(TEMPLATE), jobs=("diagrams",))
    mine = [line for line in stale if line.startswith(f"docs/{slug}.md:")]
    assert not mine, mine


@pytest.mark.parametrize("slug", pattern_slugs())
def test_every_workflow_page_covers_every_topic(slug: str) -> None:
    page = ROOT / "docs" / f"{slug}.md"
    assert page.is_file(), f"docs/{slug}.md is missing"
    text = page.read_text()
    missing = [topic for topic, heading in PAGE_SECTIONS.items() if not re.search(heading, text, re.M)]
    assert not missing, f"docs/{slug}.md lacks: {', '.join(missing)}"
    assert "sandbox run" in text, f"docs/{slug}.md shows no `sandbox run` command"
    assert "sam delete" in text, f"docs/{slug}.md does not say how to clean up (`sam delete`)"


def _named_errors(definition: dict[str, Any]) -> set[str]:
    """Every Fail state's Error, and every custom name in Retry / Catch (not States.*, not a service's)."""
    services = set()
    for _, state in catalogue.all_states(definition):
        resource = state.get("Resource")
        if isinstance(resource, str):
            services.add(metadata._service_of_arn(resource) or "lambda")
    prefixes = {metadata.ERROR_PREFIXES.get(s, s).lower() for s in services} | {"lambda"}
    names = set()
    for _, state in catalogue.all_states(definition):
        error = state.get("Error")
        if state.get("Type") == "Fail" and isinstance(error, str) and not error.startswith("{%"):
            names.add(error)  # a JSONata expression ({% ... %}) names errors documented elsewhere
        for rule in [*state.get("Retry", []), *state.get("Catch", [])]:
            for name in rule.get("ErrorEquals", []):
                prefix = name.split(".", 1)[0].lower() if "." in name else None
                if not name.startswith("States.") and prefix not in prefixes:
                    names.add(name)
    return names


@pytest.mark.parametrize("slug", machine_slugs())
def test_every_named_error_is_on_the_page(cat: catalogue.Catalogue, slug: str) -> None:
    page = ROOT / "docs" / f"{slug}.md"
    assert page.is_file(), f"docs/{slug}.md is missing"
    # A state machine that is part of a larger pattern may document its errors on the pattern's page.
    pattern = next(p for p in cat.patterns.values() if slug in p.state_machines)
    text = page.read_text() + (ROOT / "docs" / f"{pattern.slug}.md").read_text()
    missing = sorted(name for name in _named_errors(cat.definition(slug)) if name not in text)
    assert not missing, f"docs/{slug}.md (or docs/{pattern.slug}.md) does not explain: {', '.join(missing)}"


def test_named_errors_include_fail_states_and_custom_names() -> None:
    definition = {"StartAt": "A", "States": {
        "A": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:headObject", "End": True,
              "Retry": [{"ErrorEquals": ["S3.SlowDownException", "States.Timeout"]}],
              "Catch": [{"ErrorEquals": ["NotFound", "Custom.Thing"], "Next": "F"}]},
        "F": {"Type": "Fail", "Error": "My.Failure"}, "G": {"Type": "Fail", "Error": "{% $x.error %}"}}}
    assert _named_errors(definition) == {"NotFound", "Custom.Thing", "My.Failure"}


# --- generated files --------------------------------------------------------------------------


def test_catalogue_is_complete_and_up_to_date(cat: catalogue.Catalogue) -> None:
    """Standalone templates, samconfigs, derived catalogue fields, README table and deploy blocks:
    `make docs` (python -m suite_docs --write) regenerates them."""
    assert patterns.problems(cat, Tree()) == []
    assert generate.check(generate.Project(TEMPLATE), jobs=("catalogue",)) == []


def test_every_resource_is_deployed_by_some_pattern(cat: catalogue.Catalogue) -> None:
    assert cat.unplaced == {}
    placed = set().union(*(p.resources for p in cat.patterns.values()))
    assert placed == set(cat.template["Resources"])


def test_each_state_machine_is_in_exactly_one_pattern(cat: catalogue.Catalogue) -> None:
    members = [m for p in cat.patterns.values() for m in p.state_machines]
    assert sorted(members) == machine_slugs()


@pytest.mark.parametrize("slug", pattern_slugs())
def test_standalone_template_is_the_suites_resources(cat: catalogue.Catalogue, slug: str) -> None:
    path = cat.pattern_dir(slug) / catalogue.TEMPLATE_FILE
    assert path.is_file(), f"{path} missing: run `make docs`"
    standalone = load_template(path)
    suite = cat.template
    machines = {catalogue.state_machine_slugs(standalone)[m] for m in cat.patterns[slug].state_machines}
    assert machines <= set(standalone["Resources"])
    for lid, spec in standalone["Resources"].items():
        assert spec["Type"] == suite["Resources"][lid]["Type"]
        for key in catalogue.LOCAL_PATH_PROPERTIES:  # local paths point at the suite's files
            value = (spec.get("Properties") or {}).get(key)
            if isinstance(value, str):
                assert (path.parent / value).exists(), f"{lid}.{key}: {value} does not exist"
                assert (path.parent / value).resolve() == (ROOT / suite["Resources"][lid]["Properties"][key]).resolve()
    # Everything referenced is defined: parameters, conditions, resources (or SAM-generated ones).
    graph = catalogue.reference_graph(standalone)
    assert set().union(*graph.values()) <= set(standalone["Resources"])
    names, _ = catalogue.references(standalone)
    defined = set(standalone["Resources"]) | set(standalone.get("Parameters", {}))
    assert all(n in defined or any(n.startswith(r) for r in standalone["Resources"]) for n in names)
    for param in standalone.get("Parameters", {}):  # and nothing unused is left behind
        assert param in names, f"parameter {param} is unused"


@pytest.mark.parametrize("slug", pattern_slugs())
def test_standalone_samconfig_names_its_own_stack(cat: catalogue.Catalogue, slug: str) -> None:
    import tomllib

    config = tomllib.loads((cat.pattern_dir(slug) / catalogue.SAMCONFIG_FILE).read_text())
    params = set(load_template(cat.pattern_dir(slug) / catalogue.TEMPLATE_FILE).get("Parameters", {}))
    for env, commands in config.items():
        if env == "version":
            continue
        deploy = commands["deploy"]["parameters"]
        assert deploy["stack_name"].startswith(f"sfn-{slug}")
        overrides = re.findall(r"(\w+)=", deploy.get("parameter_overrides", ""))
        assert set(overrides) <= params


# --- catalogue metadata against the real files --------------------------------------------------


@pytest.mark.parametrize("slug", pattern_slugs())
def test_metadata_matches_the_real_files(cat: catalogue.Catalogue, slug: str) -> None:
    meta = cat.patterns[slug].metadata
    if meta is None:
        pytest.fail(f"{slug} has no catalogue entry")
    for key, kind in SERVERLESS_LAND_KEYS.items():
        assert isinstance(meta.get(key), kind), f"{slug}: {key} missing or not a {kind.__name__}"
    assert meta["title"].strip() and meta["description"].strip()
    assert meta["level"] in ("100", "200", "300", "400")
    assert meta["framework"] == "SAM" and meta["language"] == "Python"
    template_dir = ROOT / meta["gitHub"]["template"]["templateDir"]
    standalone_path = template_dir / meta["gitHub"]["template"]["templateFile"]
    assert standalone_path.is_file()
    standalone = load_template(standalone_path)
    asl = (template_dir / meta["gitHub"]["template"]["ASL"]).resolve()
    assert asl.is_file()
    uris = {(template_dir / spec["Properties"]["DefinitionUri"]).resolve()
            for spec in standalone["Resources"].values() if spec["Type"] == "AWS::Serverless::StateMachine"}
    assert asl in uris
    # Type: every state machine's Type in the template.
    kinds = {str(spec["Properties"].get("Type", "STANDARD")).capitalize()
             for spec in standalone["Resources"].values() if spec["Type"] == "AWS::Serverless::StateMachine"}
    assert all(k in meta["type"] for k in kinds)
    # Services: at least every service a Task calls.
    for machine in meta["suite"]["stateMachines"]:
        assert metadata.machine_services(cat, machine) <= set(meta["services"])
    # Payloads: the sample events, which exist; the demo event is one of them.
    payloads = [ROOT / p["payloadURL"] for p in meta["gitHub"]["payloads"]]
    assert payloads and all(p.is_file() for p in payloads)
    assert sorted(payloads) == sample_events(ROOT / "events" / slug)
    assert (ROOT / "events" / slug / meta["suite"]["demoEvent"]) in payloads
    # Deploy, testing and cleanup commands name the real folder, tests and `sam delete`.
    assert meta["deploy"]["text"][0] == f"cd {meta['gitHub']['template']['templateDir']}"
    assert any("sam deploy" in line for line in meta["deploy"]["text"])
    assert any("sam delete" in line for line in meta["cleanup"]["text"])
    for line in meta["testing"]["text"]:
        for path in re.findall(r"(tests/\S+\.py|events/\S+\.json|patterns/\S+\.yaml)", line):
            assert (ROOT / path).is_file(), f"{slug}: testing mentions {path}, which does not exist"
    assert (ROOT / meta["diagram"].split("#")[0]).is_file()


def _demo_argv(cat: catalogue.Catalogue, slug: str, template: Path) -> list[str]:
    import shlex

    return ["--template", str(template), *shlex.split(metadata.demo_command(cat, slug))[1:], "--output", "json"]


@pytest.mark.parametrize("slug", pattern_slugs())
def test_demo_command_of_the_catalogue_succeeds(cat: catalogue.Catalogue, slug: str, monkeypatch: Any,
                                                capsys: Any) -> None:
    from sandbox import cli

    monkeypatch.chdir(ROOT)
    assert cli.main(_demo_argv(cat, slug, TEMPLATE)) == cli.EXIT_OK
    assert json.loads(capsys.readouterr().out)["status"] == "SUCCEEDED"


# --- the standalone template runs alone -------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("slug", pattern_slugs())
def test_standalone_template_runs_every_sample_event_like_the_suite(cat: catalogue.Catalogue, slug: str) -> None:
    """The sandbox loads the pattern's template alone and every sample event ends as in the suite:
    the standalone template is complete (no resource, parameter or permission of another pattern missing)."""
    from sandbox.core import Sandbox

    folder = ROOT / "events" / slug
    outcomes: dict[str, list[tuple[str, str | None, list[str]]]] = {}
    for template in (TEMPLATE, cat.pattern_dir(slug) / catalogue.TEMPLATE_FILE):
        # The sample events name the suite stack's resources: the pattern's own samconfig.toml names another stack.
        with Sandbox.from_template(template, stack_name="sfn-suite") as sb:
            if (folder / "objects.json").is_file():
                sb.seed(folder / "objects.json")
            results = []
            for case in sample_events(folder):
                run = sb.answer_callbacks(samples.start(sb, slug, case), approve=callback_answer(folder))
                triggered = sorted(f"{r.workflow}:{r.status}" for r in sb.settle() if r.execution_arn
                                   != run.execution_arn)
                results.append((run.status, run.error, triggered))
            outcomes[template.name if template == TEMPLATE else "standalone"] = results
    assert outcomes["standalone"] == outcomes[TEMPLATE.name]


# --- the selection rules on a small template ----------------------------------------------------

SMALL = """
Parameters:
  Used: {Type: String, Default: a}
  Unused: {Type: String, Default: b}
  Email: {Type: String, Default: ""}
Conditions:
  HasEmail: !Not [!Equals [!Ref Email, ""]]
Resources:
  Key:
    Type: AWS::KMS::Key
  KeyAlias:
    Type: AWS::KMS::Alias
    Properties: {TargetKeyId: !Ref Key}
  Topic:
    Type: AWS::SNS::Topic
    Properties: {KmsMasterKeyId: !Ref Key}
  Subscription:
    Type: AWS::SNS::Subscription
    Condition: HasEmail
    Properties: {TopicArn: !Ref Topic, Endpoint: !Ref Email}
  ATable:
    Type: AWS::DynamoDB::Table
    Properties: {SSESpecification: {KMSMasterKeyId: !GetAtt Key.Arn}}
  AMachine:
    Type: AWS::Serverless::StateMachine
    Properties:
      Name: !Sub "${AWS::StackName}-a"
      DefinitionUri: statemachines/a.asl.json
      DefinitionSubstitutions: {Table: !Ref ATable, P: !Ref Used}
      Events:
        Upload: {Type: EventBridgeRule, Properties: {Pattern: {source: [aws.s3]}}}
  AFunction:
    Type: AWS::Serverless::Function
    Properties:
      Environment: {Variables: {ARN: !Sub "arn:${AWS::Partition}:states:::stateMachine:${AWS::StackName}-a"}}
  AQueuePolicy:
    Type: AWS::SQS::QueuePolicy
    Properties: {PolicyDocument: {Source: !GetAtt AMachineUpload.Arn}}
  AAlarm:
    Type: AWS::CloudWatch::Alarm
    Properties: {Dimensions: [{Value: !Ref AMachine}], AlarmActions: [!Ref Topic]}
  BMachine:
    Type: AWS::Serverless::StateMachine
    Properties:
      Name: !Sub "${AWS::StackName}-a-b"
      DefinitionUri: statemachines/b.asl.json
      DefinitionSubstitutions: {K: !GetAtt Key.Arn}
  BAlarm:
    Type: AWS::CloudWatch::Alarm
    Properties: {Dimensions: [{Value: !Sub "${AWS::StackName}-a-b"}], AlarmActions: [!Ref Topic]}
"""


def test_partition_follows_references_names_and_generated_ids(tmp_path: Path) -> None:
    (tmp_path / "template.yaml").write_text(SMALL)
    cat = catalogue.load(tmp_path / "template.yaml")
    a, b = cat.patterns["a"], cat.patterns["b"]
    # Forward references, resources that reference the pattern's (by Ref, by a SAM-generated ID, by
    # name), and the shared pieces with what depends on them alone.
    assert a.own == {"AMachine", "ATable", "AFunction", "AQueuePolicy", "AAlarm"}
    assert b.own == {"BMachine", "BAlarm"}  # "${AWS::StackName}-a-b" is not a mention of "-a"
    shared = {"Key", "KeyAlias", "Topic", "Subscription"}
    assert a.resources == a.own | shared and b.resources == b.own | shared
    assert cat.unplaced == {}
    text = standalone_text(cat, "a")
    standalone = loads_template(text)
    assert set(standalone["Parameters"]) == {"Used", "Email"}
    assert set(standalone["Conditions"]) == {"HasEmail"}
    assert standalone["Resources"]["AMachine"]["Properties"]["DefinitionUri"] == "../../statemachines/a.asl.json"
    assert "Unused" not in text


def test_a_resource_of_two_patterns_is_reported(tmp_path: Path) -> None:
    (tmp_path / "template.yaml").write_text(SMALL + """
  Dashboard:
    Type: AWS::CloudWatch::Dashboard
    Properties: {DashboardBody: !Sub "${AMachine} ${BMachine}"}
""")
    cat = catalogue.load(tmp_path / "template.yaml")
    assert "Dashboard" in cat.unplaced
    assert any("Dashboard is in no pattern" in line for line in patterns.problems(cat, Tree()))


def test_a_state_machine_without_catalogue_entry_is_reported(tmp_path: Path) -> None:
    (tmp_path / "template.yaml").write_text(SMALL)
    problems = patterns.problems(catalogue.load(tmp_path / "template.yaml"), Tree())
    assert f"{catalogue.PATTERNS_DIR}/a/{catalogue.METADATA_FILE}: missing (the catalogue entry of a)" in problems
    assert "docs/b.md: missing (the page of b)" in problems
