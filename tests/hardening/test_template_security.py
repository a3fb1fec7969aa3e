"""Security properties of template.yaml, asserted on every resource of each kind (none named here).

Encryption at rest (tables, buckets, topics, queues, state machine log groups), S3 public access
blocked, API routes authorised (or listed with the reason they are public), state machine
logging and X-Ray tracing, execution data kept out of the logs of workflows whose sample data
holds personal data, failure destinations for asynchronous invocations, no secrets in Lambda
environments. Several of these are the suite rules behind checkov skips in .checkov.yaml.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.hardening.suite import personal_data, resources, template, workflows

PUBLIC_ROUTES: dict[str, str] = {
    # "<Api logical ID> <METHOD> <path>" -> why the route has no authoriser.
    "ItProvisioningApi GET /approvals/{requestId}":
        "approval link opened from an e-mail by the approver: the single-use code in the link is the credential "
        "(only its SHA-256 is stored; it expires with the approval; see docs/security.md)",
    "ItProvisioningApi POST /approvals/{requestId}":
        "the approval form's answer: same single-use code, used up by a conditional write",
    "AccountApplicationApi POST /applications":
        "public sign-up: anyone may apply for an account; the API validates the body against its schema, "
        "throttles the stage and de-duplicates by Idempotency-Key",
}

ASYNC_EVENT_TYPES = {"S3", "SNS", "SQS", "EventBridgeRule", "CloudWatchEvent", "Schedule", "ScheduleV2",
                     "CloudWatchLogs", "IoTRule", "Kinesis", "DynamoDB", "MSK", "MQ", "SelfManagedKafka",
                     "DocumentDB"}
SECRET_NAME = re.compile(r"SECRET|PASSWORD|PASSWD|PRIVATE|API_?KEY|ACCESS_?KEY|TOKEN|CREDENTIAL", re.IGNORECASE)
SECRET_VALUE = re.compile(r"AKIA[0-9A-Z]{16}|-----BEGIN|[A-Za-z0-9/+]{40}")


def _props(spec: dict[str, Any]) -> dict[str, Any]:
    return spec.get("Properties") or {}


def _ids(kind: str) -> list[str]:
    return list(resources(kind))


# -- encryption at rest -------------------------------------------------------------------------


@pytest.mark.parametrize("bucket", _ids("AWS::S3::Bucket"))
def test_buckets_are_encrypted_and_private(bucket: str) -> None:
    props = _props(resources()[bucket])
    rules = props.get("BucketEncryption", {}).get("ServerSideEncryptionConfiguration", [])
    assert rules and all(r["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in ("AES256", "aws:kms", "aws:kms:dsse")
                         for r in rules), f"{bucket}: no default encryption"
    block = props.get("PublicAccessBlockConfiguration", {})
    flags = ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets")
    assert all(block.get(flag) is True for flag in flags), f"{bucket}: public access not blocked ({block})"
    ownership = props.get("OwnershipControls", {}).get("Rules", [{}])[0].get("ObjectOwnership")
    assert ownership == "BucketOwnerEnforced", f"{bucket}: ACLs still enabled ({ownership})"


@pytest.mark.parametrize("policy", _ids("AWS::S3::BucketPolicy"))
def test_bucket_policies_deny_insecure_transport_and_grant_no_public_access(policy: str) -> None:
    statements = _props(resources()[policy])["PolicyDocument"]["Statement"]
    denies_http = any(s["Effect"] == "Deny" and s.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport")
                      in ("false", False) for s in statements)
    assert denies_http, f"{policy}: no DenyInsecureTransport statement"
    for statement in statements:
        principal = statement.get("Principal")
        if statement["Effect"] == "Allow":
            assert principal not in ("*", {"AWS": "*"}), f"{policy}: {statement.get('Sid')} allows everyone"


@pytest.mark.parametrize("table", _ids("AWS::DynamoDB::Table") + _ids("AWS::Serverless::SimpleTable"))
def test_tables_are_encrypted(table: str) -> None:
    sse = _props(resources()[table]).get("SSESpecification", {})
    assert sse.get("SSEEnabled") is True, f"{table}: SSESpecification.SSEEnabled is not true"


@pytest.mark.parametrize("topic", _ids("AWS::SNS::Topic"))
def test_topics_are_encrypted(topic: str) -> None:
    assert _props(resources()[topic]).get("KmsMasterKeyId"), f"{topic}: no KmsMasterKeyId"


@pytest.mark.parametrize("queue", _ids("AWS::SQS::Queue"))
def test_queues_are_encrypted(queue: str) -> None:
    props = _props(resources()[queue])
    assert props.get("KmsMasterKeyId") or props.get("SqsManagedSseEnabled") is True, f"{queue}: not encrypted"


def test_encryption_at_rest_covers_every_data_store() -> None:
    """A data store of a kind no test above knows would go unchecked: fail instead."""
    known = {"AWS::S3::Bucket", "AWS::DynamoDB::Table", "AWS::Serverless::SimpleTable", "AWS::SNS::Topic",
             "AWS::SQS::Queue"}
    stores = re.compile(r"^AWS::(S3|DynamoDB|SNS|SQS|RDS|ElastiCache|EFS|Kinesis|OpenSearchService|"
                        r"Elasticsearch|DocDB|Neptune|Redshift|Timestream|Glue|SecretsManager)::")
    unknown = {lid: spec["Type"] for lid, spec in resources().items()
               if stores.match(spec["Type"]) and spec["Type"] not in known
               and not spec["Type"].endswith(("Policy", "Subscription", "QueuePolicy", "TopicPolicy"))}
    assert not unknown, f"add an encryption test for {unknown}"


# -- APIs -----------------------------------------------------------------------------------------


def _routes() -> dict[str, str | None]:
    """"<Api> <METHOD> <path>" -> authoriser (None when the route has none), from functions and OpenAPI bodies."""
    routes: dict[str, str | None] = {}
    apis = resources("AWS::Serverless::Api", "AWS::Serverless::HttpApi")
    for spec in resources("AWS::Serverless::Function").values():
        for event in (_props(spec).get("Events") or {}).values():
            if event.get("Type") not in ("Api", "HttpApi"):
                continue
            ep = event.get("Properties", {})
            api_id = (ep.get("RestApiId") or ep.get("ApiId") or {}).get("Ref", "ServerlessRestApi")
            default = _props(apis.get(api_id, {})).get("Auth", {}).get("DefaultAuthorizer")
            authorizer = ep.get("Auth", {}).get("Authorizer", default)
            routes[f"{api_id} {ep.get('Method', 'ANY').upper()} {ep.get('Path')}"] = (
                None if authorizer in (None, "NONE") else authorizer)
    for api_id, spec in apis.items():
        body = _props(spec).get("DefinitionBody") or {}
        top = body.get("security")
        for path, methods in (body.get("paths") or {}).items():
            for method, operation in methods.items():
                if method.startswith("x-") or not isinstance(operation, dict):
                    continue
                auth = operation.get("security", top) or operation.get("x-amazon-apigateway-auth")
                routes[f"{api_id} {method.upper()} {path}"] = str(auth) if auth else None
    return routes


def test_api_routes_are_authorised_or_listed_with_a_reason() -> None:
    routes = _routes()
    public = sorted(route for route, auth in routes.items() if auth is None)
    unexplained = [route for route in public if route not in PUBLIC_ROUTES]
    assert not unexplained, f"routes without an authoriser and without a reason in PUBLIC_ROUTES: {unexplained}"
    stale = sorted(set(PUBLIC_ROUTES) - set(public))
    assert not stale, f"PUBLIC_ROUTES lists routes that are gone or now authorised: {stale}"


def test_apis_are_throttled_traced_and_logged() -> None:
    for api_id, spec in resources("AWS::Serverless::Api").items():
        props = _props(spec)
        assert props.get("TracingEnabled") is True, f"{api_id}: X-Ray tracing off"
        assert props.get("AccessLogSetting", {}).get("DestinationArn"), f"{api_id}: no access log"
        settings = props.get("MethodSettings") or []
        assert any("ThrottlingRateLimit" in s for s in settings), f"{api_id}: no stage throttling"


# -- state machines -------------------------------------------------------------------------------


@pytest.mark.parametrize("slug", [w.slug for w in workflows()])
def test_state_machine_logging_and_tracing(slug: str) -> None:
    flow = next(w for w in workflows() if w.slug == slug)
    logging_config = flow.properties.get("Logging") or {}
    assert logging_config.get("Level") in ("ALL", "ERROR", "FATAL"), f"{slug}: logging off"
    destinations = logging_config.get("Destinations") or []
    assert destinations, f"{slug}: no log destination"
    assert (flow.properties.get("Tracing") or {}).get("Enabled") is True, f"{slug}: X-Ray tracing off"
    for destination in destinations:
        arn = destination["CloudWatchLogsLogGroup"]["LogGroupArn"]
        group = arn["Fn::GetAtt"][0] if isinstance(arn, dict) and "Fn::GetAtt" in arn else None
        assert group in resources("AWS::Logs::LogGroup"), f"{slug}: log group {arn} is not in the template"
        group_props = _props(resources()[group])
        assert group_props.get("KmsKeyId"), f"{slug}: log group {group} not encrypted with the suite key"
        assert group_props.get("RetentionInDays"), f"{slug}: log group {group} kept forever"


@pytest.mark.parametrize("slug", [w.slug for w in workflows()])
def test_execution_data_stays_out_of_logs_where_it_holds_personal_data(slug: str) -> None:
    """IncludeExecutionData is allowed only when the workflow's sample data shows no personal data.

    A workflow without samples of its own (started by another's events) cannot show it: excluded.
    """
    flow = next(w for w in workflows() if w.slug == slug)
    include = (flow.properties.get("Logging") or {}).get("IncludeExecutionData", False)
    if not include:
        return
    assert flow.events_dir.is_dir(), f"{slug}: logs execution data but has no sample data to show it is harmless"
    found = personal_data(flow.events_dir)
    assert not found, f"{slug}: logs execution data, and its samples hold personal data: {sorted(found)[:5]}"


def test_event_rules_to_state_machines_have_dead_letter_queues() -> None:
    for lid, spec in resources("AWS::Serverless::StateMachine").items():
        for name, event in (_props(spec).get("Events") or {}).items():
            if event.get("Type") in ("EventBridgeRule", "CloudWatchEvent", "Schedule", "ScheduleV2"):
                assert event.get("Properties", {}).get("DeadLetterConfig"), f"{lid}.{name}: no DeadLetterConfig"


# -- functions ------------------------------------------------------------------------------------


def _functions() -> dict[str, dict[str, Any]]:
    return resources("AWS::Serverless::Function", "AWS::Lambda::Function")


@pytest.mark.parametrize("function", list(_functions()))
def test_async_functions_have_a_failure_destination(function: str) -> None:
    """DLQs apply to asynchronous invocations: a function with an async event source needs one (CKV_AWS_116)."""
    props = _props(_functions()[function])
    asynchronous = [name for name, e in (props.get("Events") or {}).items() if e.get("Type") in ASYNC_EVENT_TYPES]
    if not asynchronous:
        return
    on_failure = props.get("EventInvokeConfig", {}).get("DestinationConfig", {}).get("OnFailure")
    assert props.get("DeadLetterQueue") or on_failure, f"{function}: async events {asynchronous} and no DLQ"


@pytest.mark.parametrize("function", list(_functions()))
def test_function_environments_hold_no_secrets(function: str) -> None:
    """Lambda encrypts environment variables with its service key (CKV_AWS_173): they must hold no secrets."""
    globals_env = (template().get("Globals", {}).get("Function", {}).get("Environment") or {}).get("Variables", {})
    variables = {**globals_env, **(_props(_functions()[function]).get("Environment") or {}).get("Variables", {})}
    for name, value in variables.items():
        assert not SECRET_NAME.search(name), f"{function}: {name} looks like a secret (use Secrets Manager)"
        if isinstance(value, str):
            assert not SECRET_VALUE.search(value), f"{function}: {name} holds what looks like a key"


@pytest.mark.parametrize("function", list(_functions()))
def test_functions_are_traced_with_bounded_logs(function: str) -> None:
    globals_fn = template().get("Globals", {}).get("Function", {})
    props = {**globals_fn, **_props(_functions()[function])}
    assert (props.get("Tracing") or (props.get("TracingConfig") or {}).get("Mode")) == "Active", f"{function}"
    groups = [_props(g).get("LogGroupName") for g in resources("AWS::Logs::LogGroup").values()]
    owned = [g for g in groups if isinstance(g, dict) and f"${{{function}}}" in str(g.get("Fn::Sub", ""))]
    assert owned, f"{function}: no log group with a retention (Lambda would create one kept forever)"
