"""Create the template's resources in moto, the way `sam deploy` would in AWS.

Each supported type has one small creator. Types with no offline behaviour
(IAM, KMS, log groups, alarms) are left out on purpose: nothing reads them
offline, and their identities already answer `Ref`/`GetAtt`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sandbox.intrinsics import TemplateError
from sandbox.moto_fixes.distributed_map import adapt_definition
from sandbox.runtimes import LambdaFunction, lambda_function, layer_folders, sam_properties
from sandbox.session import shared_client
from sandbox.stack import Resource, Stack
from sandbox.workflows import workflow_slug

_SUBSTITUTION = re.compile(r"\$\{([A-Za-z0-9_]+)\}")


@dataclass
class StateMachine:
    """A deployed state machine and where its definition came from."""

    slug: str
    logical_id: str
    arn: str
    type: str
    definition: dict[str, Any]
    definition_path: Path | None


def slug_of(resource: Resource) -> str:
    """The workflow slug (`sandbox.workflows.workflow_slug`)."""
    return workflow_slug(resource.logical_id, resource.properties)


class Provisioner:
    """Builds the stack in moto with boto3 clients of the active mock."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.functions: dict[str, LambdaFunction] = {}
        self.state_machines: dict[str, StateMachine] = {}

    def client(self, service: str) -> Any:
        return shared_client(self.stack.region, service)

    def provision(self) -> None:
        order = [
            ("AWS::S3::Bucket", self._create_bucket),
            ("AWS::DynamoDB::Table", self._create_table),
            ("AWS::Serverless::SimpleTable", self._create_simple_table),
            ("AWS::SNS::Topic", self._create_topic),
            ("AWS::SQS::Queue", self._create_queue),
            ("AWS::Events::EventBus", self._create_bus),
            ("AWS::Serverless::Function", self._create_function),
            ("AWS::Lambda::Function", self._create_plain_function),
            ("AWS::Serverless::StateMachine", self._create_state_machine),
            ("AWS::Events::Rule", self._create_rule),
            # Handlers read bucket policies (e.g. to check what a service is granted).
            ("AWS::S3::BucketPolicy", self._create_bucket_policy),
        ]
        for kind, create in order:
            for resource in self.stack.of_type(kind):
                create(resource, self.stack.resolve(resource.properties))

    # -- storage and messaging -------------------------------------------------
    def _create_bucket(self, resource: Resource, props: dict[str, Any]) -> None:
        s3 = self.client("s3")
        s3.create_bucket(Bucket=resource.name)
        if props.get("VersioningConfiguration", {}).get("Status") == "Enabled":
            s3.put_bucket_versioning(Bucket=resource.name, VersioningConfiguration={"Status": "Enabled"})
        notifications = props.get("NotificationConfiguration", {})
        if notifications.get("EventBridgeConfiguration", {}).get("EventBridgeEnabled"):
            s3.put_bucket_notification_configuration(
                Bucket=resource.name, NotificationConfiguration={"EventBridgeConfiguration": {}})

    def _create_bucket_policy(self, resource: Resource, props: dict[str, Any]) -> None:
        self.client("s3").put_bucket_policy(Bucket=props["Bucket"], Policy=json.dumps(props["PolicyDocument"]))

    def _create_table(self, resource: Resource, props: dict[str, Any]) -> None:
        keep = ("KeySchema", "AttributeDefinitions", "GlobalSecondaryIndexes", "LocalSecondaryIndexes",
                "StreamSpecification", "ProvisionedThroughput")
        args = {k: props[k] for k in keep if k in props}
        args["BillingMode"] = props.get("BillingMode", "PAY_PER_REQUEST" if "ProvisionedThroughput" not in props
                                        else "PROVISIONED")
        dynamodb = self.client("dynamodb")
        dynamodb.create_table(TableName=resource.name, **args)
        ttl = props.get("TimeToLiveSpecification")
        if ttl and ttl.get("Enabled"):
            dynamodb.update_time_to_live(TableName=resource.name, TimeToLiveSpecification=ttl)

    def _create_simple_table(self, resource: Resource, props: dict[str, Any]) -> None:
        key = props.get("PrimaryKey", {"Name": "id", "Type": "String"})
        attribute_type = {"String": "S", "Number": "N", "Binary": "B"}[key["Type"]]
        self._create_table(resource, {
            "KeySchema": [{"AttributeName": key["Name"], "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": key["Name"], "AttributeType": attribute_type}],
        })

    def _create_topic(self, resource: Resource, props: dict[str, Any]) -> None:
        attributes = {"FifoTopic": "true"} if props.get("FifoTopic") else {}
        self.client("sns").create_topic(Name=resource.name, Attributes=attributes)

    def _create_queue(self, resource: Resource, props: dict[str, Any]) -> None:
        attributes = {}
        if props.get("FifoQueue"):
            attributes["FifoQueue"] = "true"
        if "VisibilityTimeout" in props:
            attributes["VisibilityTimeout"] = str(props["VisibilityTimeout"])
        self.client("sqs").create_queue(QueueName=resource.name, Attributes=attributes)

    def _create_bus(self, resource: Resource, props: dict[str, Any]) -> None:
        self.client("events").create_event_bus(Name=resource.name)

    # -- compute -----------------------------------------------------------------
    def _create_function(self, resource: Resource, props: dict[str, Any]) -> None:
        merged = self._with_globals("Function", props)
        code_uri = merged.get("CodeUri")
        if not isinstance(code_uri, str) and merged.get("PackageType") != "Image" and "InlineCode" not in merged:
            raise TemplateError(f"{resource.logical_id}: CodeUri must be a local folder offline")
        metadata = self.stack.template["Resources"][resource.logical_id].get("Metadata")
        self.functions[resource.logical_id] = lambda_function(
            resource.logical_id, resource.name, resource.attributes["Arn"], merged, self.stack.root,
            self.stack.region, metadata, layer_folders(self.stack, merged))
        for event_id, event in (props.get("Events") or {}).items():
            self._create_event_source(resource, event_id, event, {"Arn": resource.attributes["Arn"]})

    def _create_plain_function(self, resource: Resource, props: dict[str, Any]) -> None:
        """`AWS::Lambda::Function`: as a SAM function, its code from `Code` (a local folder or inline source)."""
        self.functions[resource.logical_id] = lambda_function(
            resource.logical_id, resource.name, resource.attributes["Arn"], sam_properties(props), self.stack.root,
            self.stack.region, layers=layer_folders(self.stack, props))

    def _create_state_machine(self, resource: Resource, props: dict[str, Any]) -> None:
        definition, path = self._definition(resource, props)
        kind = props.get("Type", "STANDARD")
        self.client("stepfunctions").create_state_machine(
            name=resource.name, definition=json.dumps(adapt_definition(definition)), type=kind,
            roleArn=self.stack.arn("iam", f"role/{resource.logical_id}Role", region=False),
        )
        self.state_machines[slug_of(resource)] = StateMachine(
            slug_of(resource), resource.logical_id, resource.ref, kind, definition, path)
        for event_id, event in (props.get("Events") or {}).items():
            self._create_event_source(resource, event_id, event, {"Arn": resource.ref})

    def _definition(self, resource: Resource, props: dict[str, Any]) -> tuple[dict[str, Any], Path | None]:
        if "Definition" in props:
            text, path = json.dumps(props["Definition"]), None
        else:
            path = (self.stack.root / props["DefinitionUri"]).resolve()
            try:
                text = path.read_text()
            except OSError as error:
                raise TemplateError(
                    f"{resource.logical_id}: cannot read DefinitionUri {path}: {error.strerror}") from error
        substitutions = props.get("DefinitionSubstitutions", {})

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in substitutions:
                raise TemplateError(f"{resource.logical_id}: ${{{name}}} has no DefinitionSubstitutions entry")
            return str(substitutions[name])

        try:
            return json.loads(_SUBSTITUTION.sub(substitute, text)), path
        except json.JSONDecodeError as error:
            raise TemplateError(f"{resource.logical_id}: {path or 'Definition'} is not valid JSON: {error.msg} "
                                f"at line {error.lineno}") from None

    def _with_globals(self, section: str, props: dict[str, Any]) -> dict[str, Any]:
        defaults = self.stack.resolve(self.stack.template.get("Globals", {}).get(section, {}))
        merged = {**defaults, **props}
        if "Environment" in defaults and "Environment" in props:
            merged["Environment"] = {"Variables": {**defaults["Environment"].get("Variables", {}),
                                                   **props["Environment"].get("Variables", {})}}
        return merged

    # -- events --------------------------------------------------------------------
    def _create_event_source(self, resource: Resource, event_id: str, event: dict[str, Any],
                             target: dict[str, Any]) -> None:
        if event.get("Type") not in ("EventBridgeRule", "CloudWatchEvent"):
            return  # Api, Schedule and others are served elsewhere or have no offline trigger.
        props = event.get("Properties", {})
        target = {"Id": props.get("Target", {}).get("Id", f"{resource.logical_id}{event_id}Target"), **target}
        for key in ("Input", "InputPath", "InputTransformer"):
            if key in props:
                target[key] = props[key]
        rule = {"EventPattern": props.get("Pattern", {}), "Targets": [target],
                "EventBusName": props.get("EventBusName", "default"),
                "Name": props.get("RuleName", f"{self.stack.stack_name}-{resource.logical_id}{event_id}")}
        if props.get("State"):
            rule["State"] = props["State"]
        self._put_rule(rule)

    def _create_rule(self, resource: Resource, props: dict[str, Any]) -> None:
        self._put_rule({**props, "Name": props.get("Name", resource.name)})

    def _put_rule(self, props: dict[str, Any]) -> None:
        events = self.client("events")
        bus = props.get("EventBusName", "default")
        if isinstance(bus, str) and bus.startswith("arn:"):
            bus = bus.split("/")[-1]
        events.put_rule(Name=props["Name"], EventPattern=json.dumps(props.get("EventPattern", {})),
                        EventBusName=bus, State=props.get("State", "ENABLED"))
        targets = []
        for target in props.get("Targets", []):
            entry = {k: target[k] for k in ("Id", "Arn", "Input", "InputPath") if k in target}
            if "InputTransformer" in target:
                entry["InputTransformer"] = target["InputTransformer"]
            if isinstance(entry.get("Input"), dict):
                entry["Input"] = json.dumps(entry["Input"])
            targets.append(entry)
        if targets:
            events.put_targets(Rule=props["Name"], EventBusName=bus, Targets=targets)
