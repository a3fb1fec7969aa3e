"""Least privilege, asserted on the SAM transform of template.yaml (what `sam deploy` would create).

* Every role's trust, managed policies and statements equal the reviewed expectation of its
  workflow, tests/hardening/iam/<slug>.json. A change to a role fails here until someone
  reviews it and refreshes the files: `.venv/bin/python -m tests.hardening.iam_policies --write`.
* No role gets a `*` resource or a wildcard action, except for the APIs listed below, each with
  the reason (mostly: the API has no resource-level permissions, so `*` is the only valid value).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.hardening import iam_policies
from tests.hardening.suite import workflows

NO_RESOURCE_LEVEL_PERMISSIONS: dict[str, str] = {
    # Service Authorization Reference: these actions accept no resource type, "*" is the only Resource.
    "rekognition:DetectLabels": "image analysis of bytes or an S3 object: no resource type",
    "rekognition:DescribeProjects": "lists projects (filtered by name in the request): no resource type",
    "textract:AnalyzeID": "identity document analysis: no resource type",
    "ec2:DescribeImages": "EC2 Describe* actions support no resource-level permissions",
    "ec2:DescribeInstances": "EC2 Describe* actions support no resource-level permissions",
    "ec2:DescribeVolumes": "EC2 Describe* actions support no resource-level permissions",
    # Step Functions log delivery to CloudWatch Logs (vended logs): the delivery APIs take no resource.
    "logs:CreateLogDelivery": "vended log delivery: no resource type",
    "logs:GetLogDelivery": "vended log delivery: no resource type",
    "logs:UpdateLogDelivery": "vended log delivery: no resource type",
    "logs:DeleteLogDelivery": "vended log delivery: no resource type",
    "logs:ListLogDeliveries": "vended log delivery: no resource type",
    "logs:PutResourcePolicy": "account-level resource policy for vended logs: no resource type",
    "logs:DescribeResourcePolicies": "account-level resource policies: no resource type",
    "logs:DescribeLogGroups": "Step Functions checks the destination exists; listing takes no resource",
}

WILDCARD_ACTIONS: dict[str, str] = {
    # Envelope encryption through SNS and DynamoDB calls GenerateDataKey or ...WithoutPlaintext;
    # every statement granting it names the suite key and a kms:ViaService condition (checked below).
    "kms:GenerateDataKey*": "GenerateDataKey and GenerateDataKeyWithoutPlaintext, on one key, through one service",
}

ACCOUNT_WIDE_RESOURCES: dict[tuple[str, str], str] = {
    # (role, Sid) -> why a whole resource type of the account is needed.
    ("ItProvisioningStackRole", "ManageCatalogueBuckets"):
        "requesters choose their bucket names; only CloudFormation can assume the role (aws:SourceAccount) and "
        "only the provisioning state machine may pass it, for stacks of catalogue resource types",
    ("ItProvisioningStackRole", "ManageCatalogueQueues"):
        "requesters choose their queue names; same trust and PassRole conditions as the buckets",
}

MANAGED_POLICIES: dict[str, str] = {
    "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess":
        "added by SAM with Tracing: X-Ray PutTraceSegments/PutTelemetryRecords/GetSampling* have no resource type",
    "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole":
        "added by SAM to every function: CreateLogStream/PutLogEvents to its own /aws/lambda log group",
}


def _roles() -> dict[str, tuple[str, dict[str, Any]]]:
    by_role = {}
    for slug, roles in iam_policies.by_workflow().items():
        for role, summary in roles.items():
            by_role[role] = (slug, summary)
    return by_role


ROLES = _roles()


def test_every_workflow_has_roles_on_file() -> None:
    """Each state machine's role is filed under its own workflow, and no file outlives its workflow."""
    grouped = iam_policies.by_workflow()
    assert {w.slug for w in workflows()} <= set(grouped), "a workflow has no role of its own"
    on_file = {path.stem for path in iam_policies.EXPECTATIONS.glob("*.json")}
    assert on_file == set(grouped), (
        f"expectation files {sorted(on_file)} != workflows with roles {sorted(grouped)}: "
        "review, then `.venv/bin/python -m tests.hardening.iam_policies --write`")


@pytest.mark.parametrize("slug", sorted(iam_policies.by_workflow()))
def test_roles_match_the_reviewed_expectation(slug: str) -> None:
    path = iam_policies.expectation_path(slug)
    actual = iam_policies.by_workflow()[slug]
    expected = json.loads(path.read_text()) if path.is_file() else {}
    if actual != expected:
        changed = sorted(role for role in actual.keys() | expected.keys() if actual.get(role) != expected.get(role))
        details = {role: {"expected": expected.get(role), "actual": actual.get(role)} for role in changed}
        pytest.fail(f"IAM of {slug} changed in roles {changed}: review, then "
                    f"`.venv/bin/python -m tests.hardening.iam_policies --write`\n"
                    f"{json.dumps(details, indent=1)[:6000]}")


def _account_wide(resource: str) -> bool:
    """`*`, or an ARN whose resource part is `*` (every bucket, every queue of the account)."""
    if resource == "*":
        return True
    parts = resource.split(":", 5)
    return len(parts) == 6 and parts[5] == "*"


@pytest.mark.parametrize("role", sorted(ROLES))
def test_no_wildcard_beyond_the_listed_apis(role: str) -> None:
    slug, summary = ROLES[role]
    problems = []
    for arn in summary["ManagedPolicyArns"]:
        if arn not in MANAGED_POLICIES:
            problems.append(f"managed policy {arn} is not reviewed (MANAGED_POLICIES)")
    for statement in summary["Statements"]:
        sid = statement.get("Sid", "?")
        if statement["Effect"] != "Allow":
            continue
        if "NotAction" in statement or "NotResource" in statement:
            problems.append(f"{sid}: NotAction/NotResource in an Allow grants everything else")
            continue
        actions, resources = statement.get("Action", []), statement.get("Resource", [])
        for action in actions:
            if "*" in action and action not in WILDCARD_ACTIONS:
                problems.append(f"{sid}: wildcard action {action}")
            if action in WILDCARD_ACTIONS and (any(_account_wide(r) for r in resources)
                                               or "Condition" not in statement):
                problems.append(f"{sid}: {action} must name its resources and carry a condition")
        if "*" in resources:
            unlisted = [a for a in actions if a not in NO_RESOURCE_LEVEL_PERMISSIONS]
            if unlisted:
                problems.append(f"{sid}: Resource * for {unlisted}, which support resource-level permissions")
        elif any(_account_wide(r) for r in resources) and (role, sid) not in ACCOUNT_WIDE_RESOURCES:
            problems.append(f"{sid}: account-wide resource {resources}")
    assert not problems, f"{role} ({slug}):\n  " + "\n  ".join(problems)


def test_allowlists_have_no_stale_entries() -> None:
    """An entry nobody uses any more is removed, so the lists stay the reviewed truth."""
    granted = {(role, s.get("Sid")): s for role, (_, summary) in ROLES.items() for s in summary["Statements"]}
    actions = {a for s in granted.values() for a in s.get("Action", [])}
    managed = {arn for _, summary in ROLES.values() for arn in summary["ManagedPolicyArns"]}
    assert set(NO_RESOURCE_LEVEL_PERMISSIONS) <= actions, set(NO_RESOURCE_LEVEL_PERMISSIONS) - actions
    assert set(WILDCARD_ACTIONS) <= actions, set(WILDCARD_ACTIONS) - actions
    assert set(ACCOUNT_WIDE_RESOURCES) <= set(granted), set(ACCOUNT_WIDE_RESOURCES) - set(granted)
    assert set(MANAGED_POLICIES) <= managed, set(MANAGED_POLICIES) - managed


def test_roles_trust_one_service_each() -> None:
    """A role assumed by several services (or by an account) is shared privilege: none is."""
    for role, (_, summary) in ROLES.items():
        assert len(summary["AssumedBy"]) == 1 and summary["AssumedBy"][0].endswith(".amazonaws.com"), (
            role, summary["AssumedBy"])
