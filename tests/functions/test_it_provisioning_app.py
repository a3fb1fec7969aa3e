"""The it-provisioning functions against moto: catalogue, validation, approval codes, the two APIs' edge cases."""

from __future__ import annotations

import contextlib
import fnmatch
import functools
import importlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from sandbox.template_yaml import load_template
from tests.functions.handlers import FakeContext

ROOT = Path(__file__).resolve().parents[2]
CODE = ROOT / "functions" / "it_provisioning_app"
TEMPLATE = ROOT / "template.yaml"
EVENTS = ROOT / "events" / "it-provisioning"
APPROVALS, AUDIT, TOPIC = "approvals", "audit", "approval-topic"
ENV = {"POWERTOOLS_SERVICE_NAME": "test", "POWERTOOLS_METRICS_NAMESPACE": "Test", "POWERTOOLS_TRACE_DISABLED": "true",
       "AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
       "APPROVALS_TABLE": APPROVALS, "AUDIT_TABLE": AUDIT, "APPROVAL_BASE_URL": "https://api.example.com/v1",
       "APPROVER_EMAIL": "boss@example.com", "ESCALATION_APPROVER_EMAIL": "bigboss@example.com",
       "AUTO_APPROVE_BELOW_USD": "10", "STACK_NAME_PREFIX": "suite-itp-",
       "STATE_MACHINE_ARN": "arn:aws:states:us-east-1:123456789012:stateMachine:suite-it-provisioning"}


Context = functools.partial(FakeContext, "fn")


@pytest.fixture
def modules(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, ModuleType]]:
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.syspath_prepend(str(CODE))
    with mock_aws():
        dynamodb = boto3.client("dynamodb")
        dynamodb.create_table(TableName=APPROVALS, BillingMode="PAY_PER_REQUEST",
                              KeySchema=[{"AttributeName": "requestId", "KeyType": "HASH"}],
                              AttributeDefinitions=[{"AttributeName": "requestId", "AttributeType": "S"}])
        dynamodb.create_table(TableName=AUDIT, BillingMode="PAY_PER_REQUEST",
                              KeySchema=[{"AttributeName": "requestId", "KeyType": "HASH"},
                                         {"AttributeName": "at", "KeyType": "RANGE"}],
                              AttributeDefinitions=[{"AttributeName": "requestId", "AttributeType": "S"},
                                                    {"AttributeName": "at", "AttributeType": "S"}])
        monkeypatch.setenv("APPROVAL_TOPIC_ARN", boto3.client("sns").create_topic(Name=TOPIC)["TopicArn"])
        loaded = {}
        for name in ("itp_catalogue", "itp_common", "workflow_tasks", "approvals_api", "requests_api"):
            sys.modules.pop(name, None)
            loaded[name] = importlib.import_module(name)
        yield loaded
        for name in loaded:
            sys.modules.pop(name, None)


def sample(name: str = "needs-approval") -> dict[str, Any]:
    return json.loads((EVENTS / f"{name}.json").read_text())


# -- catalogue -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("product", "parameters", "cost"), [
    ("s3-bucket", {"bucketName": "b-1", "expectedStorageGiB": 100}, 2.3),
    ("s3-bucket", {"bucketName": "b-1", "expectedStorageGiB": 100, "versioning": True}, 4.6),
    ("sqs-queue", {"queueName": "q", "expectedMillionRequestsPerMonth": 1}, 0.0),
    ("sqs-queue", {"queueName": "q", "expectedMillionRequestsPerMonth": 50}, 19.6),
    ("ec2-instance", {"instanceType": "t4g.micro"}, 6.77),
    ("ec2-instance", {"instanceType": "t4g.small", "volumeGiB": 20}, 13.86),
])
def test_monthly_cost_estimates(modules, product, parameters, cost):
    request = {**sample(), "product": product, "parameters": parameters}
    assert modules["itp_common"].check(request).monthly_cost == cost


PREFIXED = "itp-123456789012-created-by-cfn"
"""The catalogue prefixes bucket and queue names with itp-<account ID>- (moto's account)."""


@pytest.mark.parametrize(("product", "parameters", "check"), [
    ("s3-bucket", {"bucketName": "created-by-cfn"}, lambda: boto3.client("s3").head_bucket(Bucket=PREFIXED)),
    ("sqs-queue", {"queueName": "created-by-cfn"},
     lambda: boto3.client("sqs").get_queue_url(QueueName=PREFIXED)),
    ("ec2-instance", {"instanceType": "t4g.nano"},
     lambda: boto3.client("ec2").describe_instances()["Reservations"][0]["Instances"][0]),
])
def test_every_product_template_is_created_by_cloudformation(modules, product, parameters, check):
    """The exact CreateStack call the state machine makes, from ValidateRequest's output, in moto."""
    request = {**sample(), "product": product, "parameters": parameters}
    stack = modules["workflow_tasks"].validated({"request": request, "requestId": "req-1"}, 10, "suite-itp-")["stack"]
    cfn = boto3.client("cloudformation")
    cfn.create_stack(StackName=stack["name"], TemplateBody=stack["templateBody"], Parameters=stack["parameters"],
                     Tags=stack["tags"], ResourceTypes=stack["resourceTypes"],
                     ClientRequestToken=stack["clientRequestToken"], OnFailure="ROLLBACK")
    assert cfn.describe_stacks(StackName=stack["name"])["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"
    check()
    cfn.delete_stack(StackName=stack["name"])


def test_provisioning_permissions_allow_exactly_the_catalogues_resource_types(modules):
    section = load_template(TEMPLATE)
    statements = section["Resources"]["ItProvisioningStateMachine"]["Properties"]["Policies"][2]["Statement"]
    create = next(s for s in statements if s["Sid"] == "CreateCatalogueStacks")
    allowed = create["Condition"]["ForAllValues:StringEquals"]["cloudformation:ResourceTypes"]
    assert sorted(allowed) == modules["itp_catalogue"].RESOURCE_TYPES == ["AWS::EC2::Instance", "AWS::S3::Bucket",
                                                                        "AWS::SQS::Queue"]
    role = section["Resources"]["ItProvisioningStackRole"]["Properties"]["Policies"][0]["PolicyDocument"]
    services = {action.split(":")[0] for s in role["Statement"] for action in
                ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}
    assert services == {"s3", "sqs", "ec2", "ssm"}  # no iam:*, no cloudformation:*


def _policies(section: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    machine = section["Resources"]["ItProvisioningStateMachine"]["Properties"]["Policies"][2]["Statement"]
    role = section["Resources"]["ItProvisioningStackRole"]["Properties"]["Policies"][0]["PolicyDocument"]
    return machine, role["Statement"]


def _actions(statement: dict[str, Any]) -> list[str]:
    return [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]


def test_create_stack_request_satisfies_the_resource_types_condition(modules):
    """On AWS, cloudformation:ResourceTypes is the CreateStack request's ResourceTypes parameter: the role's
    Null-false condition denies a request without it, ForAllValues a type outside the list. The ASL must send
    it, from ValidateRequest's output, and every product's types must be allowed."""
    machine, _role = _policies(load_template(TEMPLATE))
    create = next(s for s in machine if s["Sid"] == "CreateCatalogueStacks")
    assert _actions(create) == ["cloudformation:CreateStack"]
    assert create["Condition"]["Null"] == {"cloudformation:ResourceTypes": "false"}
    allowed = set(create["Condition"]["ForAllValues:StringEquals"]["cloudformation:ResourceTypes"])
    asl = json.loads((ROOT / "statemachines" / "it-provisioning.asl.json").read_text())
    parameters = asl["States"]["CreateStack"]["Parameters"]
    assert parameters["ResourceTypes.$"] == "$.request.stack.resourceTypes"
    catalogue, tasks = modules["itp_catalogue"], modules["workflow_tasks"]
    for product_id, product in catalogue.CATALOGUE.items():
        events = [e for e in EVENTS.glob("*.json") if json.loads(e.read_text() or "null").__class__ is dict
                  and json.loads(e.read_text()).get("product") == product_id]
        request = json.loads(events[0].read_text()) if events else {**sample(), "product": product_id,
                                                                    "parameters": {}}
        sent = tasks.validated({"request": request, "requestId": "req-1"}, 10, "suite-itp-")["stack"]["resourceTypes"]
        declared = {r["Type"] for r in json.loads(product.template_body)["Resources"].values()}
        assert sent and set(sent) == declared, product_id  # what is sent is what the template creates
        assert set(sent) <= allowed, product_id


def test_stack_tags_are_authorised_apart_from_the_resource_types_condition(modules):
    """Tagging (CreateStack's Tags) is authorised as cloudformation:TagResource, whose request has no
    ResourceTypes key: in the ResourceTypes statement it would always be denied."""
    machine, _role = _policies(load_template(TEMPLATE))
    create = next(s for s in machine if s["Sid"] == "CreateCatalogueStacks")
    tag = next(s for s in machine if "cloudformation:TagResource" in _actions(s))
    assert tag["Sid"] == "TagCatalogueStacks" and "cloudformation:ResourceTypes" not in json.dumps(tag)
    assert tag["Resource"] == create["Resource"]
    pattern = tag["Condition"]["ForAllValues:StringLike"]["aws:TagKeys"]
    sent = modules["workflow_tasks"].validated({"request": sample(), "requestId": "req-1"}, 10, "p-")["stack"]["tags"]
    assert all(fnmatch.fnmatchcase(t["Key"], pattern) for t in sent)


def _arn_pattern(resource: Any) -> str:
    text = resource["Fn::Sub"] if isinstance(resource, dict) else resource
    return text.replace("${AWS::Partition}", "aws").replace("${AWS::Region}", "us-east-1").replace(
        "${AWS::AccountId}", "123456789012")


def test_stack_role_manages_only_the_catalogues_buckets_and_queues(modules):
    """The stack role cannot delete the account's other buckets and queues: its S3 and SQS statements are
    scoped to the catalogue's name prefix, and the catalogue's templates name every bucket and queue with it."""
    _machine, role = _policies(load_template(TEMPLATE))
    by_service: dict[str, list[str]] = {"s3": [], "sqs": []}
    for statement in role:
        services = {a.split(":")[0] for a in _actions(statement)}
        for service in services & set(by_service):
            resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            by_service[service] += [_arn_pattern(r) for r in resources]
    assert by_service == {"s3": ["arn:aws:s3:::itp-123456789012-*"],
                          "sqs": ["arn:aws:sqs:us-east-1:123456789012:itp-123456789012-*"]}
    catalogue = modules["itp_catalogue"]
    for product, key, arn in (("s3-bucket", "BucketName", "arn:aws:s3:::{}"),
                              ("sqs-queue", "QueueName", "arn:aws:sqs:us-east-1:123456789012:{}")):
        name = catalogue.CATALOGUE[product].template["Resources"]
        (resource,) = name.values()
        sub = resource["Properties"][key]["Fn::Sub"]
        longest = sub.replace("${AWS::AccountId}", "123456789012").replace(f"${{{key}}}", "x")
        assert fnmatch.fnmatchcase(arn.format(longest), by_service[arn.split(":")[2]][0]), product
    assert not fnmatch.fnmatchcase("arn:aws:s3:::someone-elses-bucket", by_service["s3"][0])
    assert not fnmatch.fnmatchcase("arn:aws:sqs:us-east-1:123456789012:orders", by_service["sqs"][0])


@pytest.mark.parametrize(("product", "field", "longest", "limit"), [
    ("s3-bucket", "bucketName", "b" * 46, 63),
    ("sqs-queue", "queueName", "q" * 63, 80),
])
def test_the_longest_accepted_name_still_fits_with_the_prefix(modules, product, field, longest, limit):
    common = modules["itp_common"]
    common.check({**sample(), "product": product, "parameters": {field: longest}})
    assert modules["itp_catalogue"].NAME_PREFIX_LENGTH + len(longest) == limit
    with pytest.raises(common.InvalidRequest):
        common.check({**sample(), "product": product, "parameters": {field: longest + "x"}})


def test_unknown_product_and_bad_fields_are_reported_together(modules):
    """An unknown product is reported with the model's field errors, not instead of them."""
    common = modules["itp_common"]
    with pytest.raises(common.InvalidRequest) as caught:
        common.check({**sample("unknown-product"), "justification": "short"})
    fields = {e["field"] for e in caught.value.errors}
    assert fields == {"product", "justification"}, caught.value.errors
    with pytest.raises(common.InvalidRequest) as caught:
        common.check({**sample(), "product": "", "justification": "short"})
    assert sorted(e["field"] for e in caught.value.errors) == ["justification", "product"]  # product once


# -- validation and request IDs ---------------------------------------------------------------------


def test_every_problem_is_named_by_field(modules):
    common = modules["itp_common"]
    with pytest.raises(common.InvalidRequest) as caught:
        common.check({"requester": {"id": "x", "email": "not-an-email"}, "product": "s3-bucket",
                      "parameters": {"bucketName": "UPPER", "expectedStorageGiB": "10"}, "justification": "short"})
    assert {e["field"] for e in caught.value.errors} == {"requester.email", "justification"}
    with pytest.raises(common.InvalidRequest) as caught:
        common.check({**sample(), "product": "s3-bucket",
                      "parameters": {"bucketName": "UPPER", "expectedStorageGiB": "10"}})
    assert {e["field"] for e in caught.value.errors} == {"parameters.bucketName", "parameters.expectedStorageGiB"}


def test_request_id_is_deterministic_per_requester_and_content(modules):
    common = modules["itp_common"]
    request = common.ProvisioningRequest.model_validate(sample())
    same = common.ProvisioningRequest.model_validate({**sample(), "requester": {**sample()["requester"],
                                                                                "email": "other@example.com"}})
    other = common.ProvisioningRequest.model_validate({**sample(), "requester": {"id": "arn:x", "email": "a@b.co"}})
    assert common.request_id(request) == common.request_id(same) != common.request_id(other)
    assert common.REQUEST_ID.match(common.request_id(request))


def test_validated_request_decides_the_approval_and_names_the_stack(modules):
    tasks = modules["workflow_tasks"]
    cheap = tasks.validated({"request": sample("auto-approve"), "requestId": "req-a_b"}, 10, "suite-itp-")
    assert cheap["approval"] == {"required": False, "thresholdUsd": 10}
    assert cheap["stack"]["name"] == "suite-itp-req-a-b"
    assert cheap["stack"]["parameters"] == [{"ParameterKey": "BucketName", "ParameterValue": "alice-team-reports-2025"},
                                            {"ParameterKey": "Versioning", "ParameterValue": "Suspended"}]
    at_threshold = tasks.validated({"request": sample("auto-approve"), "requestId": "r"}, 2.3, "p-")
    assert at_threshold["approval"]["required"] is True


# -- IssueApproval -------------------------------------------------------------------------------------


def issue(modules: dict[str, ModuleType], level: int = 1, code: str = "code-one") -> dict[str, Any]:
    request = modules["workflow_tasks"].validated({"request": sample(), "requestId": "req-1"}, 10, "suite-itp-")
    event = {"taskToken": f"token-{level}", "level": level, "request": request, "stateName": "RequestApproval",
             "enteredTime": "2025-01-15T10:00:00.000Z", "timeoutSeconds": 86400}
    return modules["workflow_tasks"].issue(event, dict(__import__("os").environ), code=code)


def approval_item() -> dict[str, Any]:
    return boto3.resource("dynamodb").Table(APPROVALS).get_item(Key={"requestId": "req-1"})["Item"]


def test_issue_stores_the_token_with_the_code_hash_only_and_sends_links(modules):
    assert issue(modules) == {"approver": "boss@example.com", "level": 1, "expiresAt": "2025-01-16T10:00:00Z"}
    item = approval_item()
    assert item["taskToken"] == "token-1" and item["status"] == "PENDING"
    assert item["codeHash"] == modules["itp_common"].code_hash("code-one") and "code-one" not in json.dumps(
        item, default=str)
    audit = boto3.resource("dynamodb").Table(AUDIT).scan()["Items"]
    assert [(a["event"], a["approver"], a["at"]) for a in audit] == [
        ("APPROVAL_REQUESTED", "boss@example.com", "2025-01-15T10:00:00.000Z#20-RequestApproval")]


def test_escalation_supersedes_the_first_code(modules):
    issue(modules, 1, "code-one")
    issue(modules, 2, "code-two")
    item = approval_item()
    common = modules["itp_common"]
    assert (item["approver"], int(item["level"]), item["taskToken"]) == ("bigboss@example.com", 2, "token-2")
    assert item["supersededCodeHashes"] == [common.code_hash("code-one")]
    answer = modules["approvals_api"].check_link("req-1", "code-one")
    assert (answer.status, answer.outcome) == (410, "superseded")


def test_issue_failures_are_named(modules, monkeypatch):
    monkeypatch.setenv("APPROVALS_TABLE", "missing-table")
    request = modules["workflow_tasks"].validated({"request": sample(), "requestId": "req-1"}, 10, "p-")
    with pytest.raises(modules["workflow_tasks"].ApprovalNotIssued, match="ResourceNotFoundException"):
        modules["workflow_tasks"].issue_approval_handler(
            {"taskToken": "t", "level": 1, "request": request, "stateName": "RequestApproval",
             "enteredTime": "2025-01-15T10:00:00.000Z", "timeoutSeconds": 60}, Context())


# -- the approval API's decisions ----------------------------------------------------------------------


SOURCE = {"sourceIp": "10.0.0.1", "userAgent": "test"}


def test_codes_are_checked_before_anything_else(modules):
    issue(modules)
    api = modules["approvals_api"]
    assert api.check_link("req-1", None).status == 400
    assert api.check_link("req-1", "wrong").status == 403
    assert api.check_link("req-2", "code-one").status == 403
    assert api.check_link("../etc", "code-one").status == 403
    assert api.check_link("req-1", "x" * 500).status == 403
    assert api.decide("req-1", "code-one", "approve", "x" * 501, SOURCE).status == 400
    assert api.decide("req-1", "code-one", "delete", "", SOURCE).status == 400
    assert approval_item()["status"] == "PENDING"


def _sfn_error(code: str) -> Any:
    def fail(**_: Any) -> None:
        raise ClientError({"Error": {"Code": code, "Message": code}}, "SendTaskSuccess")

    return fail


def test_dead_token_means_expired(modules, monkeypatch):
    issue(modules)
    api = modules["approvals_api"]
    client = boto3.client("stepfunctions")
    monkeypatch.setattr(client, "send_task_success", _sfn_error("TaskTimedOut"))
    monkeypatch.setattr(api.boto3, "client", lambda *_a, **_k: client)
    answer = api.decide("req-1", "code-one", "approve", "", SOURCE)
    assert (answer.status, answer.outcome) == (410, "expired")
    assert approval_item()["status"] == "EXPIRED"
    assert api.check_link("req-1", "code-one").status == 410


def test_transient_failure_gives_the_code_back(modules, monkeypatch):
    issue(modules)
    api = modules["approvals_api"]
    client = boto3.client("stepfunctions")
    monkeypatch.setattr(client, "send_task_success", _sfn_error("ThrottlingException"))
    monkeypatch.setattr(api.boto3, "client", lambda *_a, **_k: client)
    with pytest.raises(ClientError):
        api.decide("req-1", "code-one", "approve", "", SOURCE)
    item = approval_item()
    assert (item["status"], item["taskToken"]) == ("PENDING", "token-1")


def test_answer_is_sent_once_with_the_approver_identity(modules, monkeypatch):
    issue(modules)
    api = modules["approvals_api"]
    sent: list[dict[str, Any]] = []
    client = boto3.client("stepfunctions")
    monkeypatch.setattr(client, "send_task_failure", lambda **kw: sent.append(kw))
    monkeypatch.setattr(api.boto3, "client", lambda *_a, **_k: client)
    answer = api.decide("req-1", "code-one", "reject", "too expensive", SOURCE)
    assert (answer.status, answer.outcome) == (200, "rejected")
    assert sent[0]["taskToken"] == "token-1" and sent[0]["error"] == "ItProvisioning.Rejected"
    cause = json.loads(sent[0]["cause"])
    assert (cause["approver"], cause["comment"], cause["sourceIp"], cause["level"]) == (
        "boss@example.com", "too expensive", "10.0.0.1", 1)
    assert "taskToken" not in approval_item()  # the token does not outlive its use
    again = api.decide("req-1", "code-one", "approve", "", SOURCE)
    assert (again.status, again.outcome) == (409, "used") and len(sent) == 1


def proxy(method: str, path: str, body: str | None = None, caller: str | None = None,
          headers: dict[str, str] | None = None, query: dict[str, str] | None = None) -> dict[str, Any]:
    return {"resource": path, "path": path, "httpMethod": method, "headers": headers or {},
            "multiValueHeaders": {}, "queryStringParameters": query, "pathParameters": None, "body": body,
            "isBase64Encoded": False, "requestContext": {"stage": "v1", "requestId": "r", "path": f"/v1{path}",
                                                          "identity": {"userArn": caller, "sourceIp": "1.2.3.4"}}}


def test_request_api_needs_an_iam_caller(modules):
    response = modules["requests_api"].handler(proxy("POST", "/requests", json.dumps({})), Context())
    assert response["statusCode"] == 401


def test_unexpected_errors_are_503_never_500(modules, monkeypatch):
    api = modules["approvals_api"]
    monkeypatch.setenv("APPROVALS_TABLE", "missing-table")
    response = api.handler(proxy("GET", "/approvals/req-1", query={"code": "c"}), Context())
    assert response["statusCode"] == 503
    assert "your link still works" in response["body"]


def test_malformed_requests_are_4xx_never_5xx(modules):
    requests_api, approvals_api = modules["requests_api"], modules["approvals_api"]
    caller = "arn:aws:iam::123456789012:user/bob"
    as_json = {"content-type": "application/json"}
    not_utf8 = {**proxy("POST", "/requests", "/w==", caller, as_json), "isBase64Encoded": True}  # b"\xff"
    cases = [
        (requests_api, proxy("POST", "/requests", "{}", caller, {"content-type": "text/plain"}), 415),
        (requests_api, not_utf8, 400),
        (requests_api, proxy("POST", "/requests", "[" * 5000 + "]" * 5000, caller, as_json), 400),
        (requests_api, proxy("GET", "/requests/\x00", caller=caller), 404),
        (approvals_api, proxy("GET", "/approvals/\x00", query={"code": "c"}), 403),
        (approvals_api, {**proxy("POST", "/approvals/req-1", "/w=="), "isBase64Encoded": True}, 400),
        (approvals_api, proxy("POST", "/approvals/req-1", "[" * 5000 + "]" * 5000, headers=as_json), 400),
    ]
    for module, event, status in cases:
        assert module.handler(event, Context())["statusCode"] == status, event["path"]


# -- traces: what X-Ray would record ---------------------------------------------------------------


class RecordingTracer:
    """A tracing provider that keeps what the handlers' Tracer puts into subsegments."""

    def __init__(self) -> None:
        self.subsegments: list[str] = []
        self.recorded: list[tuple[str, Any]] = []

    @contextlib.contextmanager
    def in_subsegment(self, name: str | None = None, **_: Any) -> Iterator[RecordingTracer]:
        self.subsegments.append(str(name))
        yield self

    def put_metadata(self, key: str, value: Any, namespace: str = "default") -> None:
        self.recorded.append((key, value))

    def put_annotation(self, key: str, value: Any) -> None:
        self.recorded.append((key, value))


@pytest.fixture
def traced(modules, monkeypatch) -> RecordingTracer:
    recorder = RecordingTracer()
    for name in ("approvals_api", "requests_api", "workflow_tasks"):
        monkeypatch.setattr(modules[name].tracer, "provider", recorder)
    return recorder


def test_the_approval_code_and_the_requesters_identity_never_reach_a_trace(modules, traced):
    issue(modules, code="secret-code-1")
    api = modules["approvals_api"]
    page = api.handler(proxy("GET", "/approvals/req-1", query={"code": "secret-code-1"}), Context())
    assert page["statusCode"] == 200 and "secret-code-1" in page["body"]  # the response holds the code...
    requester = sample()["requester"]
    assert requester["email"] in page["body"] and requester["id"] in page["body"]
    decided = api.handler(proxy("POST", "/approvals/req-1", "code=secret-code-1&decision=reject",
                                headers={"content-type": "application/x-www-form-urlencoded"}), Context())
    assert decided["statusCode"] == 200
    traced_calls = {name.rsplit(".", 1)[-1] for name in traced.subsegments}
    assert {"## handler", "show", "answer"} <= traced_calls  # ...and the tracer saw every call
    recorded = repr(traced.recorded)
    for secret in ("secret-code-1", requester["email"], requester["id"], "boss@example.com"):
        assert secret not in recorded
    assert not [key for key, _value in traced.recorded if key.endswith((" response", " error"))]


def test_the_request_apis_answers_never_reach_a_trace(modules, traced):
    boto3.client("stepfunctions").create_state_machine(
        name=ENV["STATE_MACHINE_ARN"].rsplit(":", 1)[-1], roleArn="arn:aws:iam::123456789012:role/sfn",
        definition=json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}))
    caller = sample()["requester"]["id"]
    body = {k: v for k, v in sample().items() if k != "requester"} | {"requesterEmail": "bob@example.com"}
    created = modules["requests_api"].handler(proxy("POST", "/requests", json.dumps(body), caller), Context())
    assert created["statusCode"] == 202
    rid = json.loads(created["body"])["requestId"]
    read = modules["requests_api"].handler(proxy("GET", f"/requests/{rid}", caller=caller), Context())
    assert read["statusCode"] == 200
    validated = modules["workflow_tasks"].validate_handler({"request": sample(), "requestId": rid}, Context())
    assert sample()["requester"]["email"] in json.dumps(validated)
    traced_calls = {name.rsplit(".", 1)[-1] for name in traced.subsegments}
    assert {"## handler", "create_request", "get_request", "## validate_handler"} <= traced_calls
    assert not [key for key, _value in traced.recorded if key.endswith((" response", " error"))]
    assert "bob@example.com" not in repr(traced.recorded) and caller not in repr(traced.recorded)
