"""Create the template's resources in moto, the way `sam deploy` would in AWS.

Each supported type has one small creator. Types with no offline behaviour
(IAM, KMS, log groups, alarms) are left out on purpose: nothing reads them
offline, and their identities already answer `Ref`/`GetAtt`. Any other type is
skipped and named in `Provisioner.skipped` (the CLI warns with one line).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from botocore.exceptions import ClientError, ParamValidationError

from sandbox import asl_graph
from sandbox.intrinsics import TemplateError
from sandbox.moto_fixes.distributed_map import adapt_definition
from sandbox.runtimes import LambdaFunction, lambda_function, layer_folders, sam_properties
from sandbox.session import shared_client
from sandbox.stack import STATE_MACHINE_TYPES, Resource, Stack, slug_of
from sandbox.template_yaml import loads_yaml

_SUBSTITUTION = re.compile(r"\$\{([A-Za-z0-9_]+)\}")
# Types nothing reads offline (permissions, logs, alarms, deployment plumbing): created by no one, warned about by
# no one. `Ref`/`GetAtt` on them still answer with the identities the stack derives.
NO_OFFLINE_BEHAVIOUR = (
    "AWS::IAM::", "AWS::Logs::", "AWS::KMS::", "AWS::CloudWatch::", "AWS::Lambda::Permission",
    "AWS::SQS::QueuePolicy", "AWS::SNS::TopicPolicy", "AWS::SNS::Subscription", "AWS::Events::Archive",
    "AWS::Serverless::Api", "AWS::Serverless::HttpApi", "AWS::ApiGateway::", "AWS::ApiGatewayV2::",
    "AWS::Lambda::EventInvokeConfig", "AWS::Serverless::LayerVersion", "AWS::Lambda::LayerVersion",
    "AWS::Serverless::Connector", "AWS::CloudFormation::", "AWS::XRay::", "AWS::SSM::Parameter",
    "AWS::SecretsManager::Secret", "AWS::Lambda::EventSourceMapping", "AWS::Pipes::Pipe",
)


@dataclass
class StateMachine:
    """A deployed state machine and where its definition came from."""

    slug: str
    logical_id: str
    arn: str
    type: str
    definition: dict[str, Any]
    definition_path: Path | None


class Provisioner:
    """Builds the stack in moto with boto3 clients of the active mock."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.functions: dict[str, LambdaFunction] = {}
        self.state_machines: dict[str, StateMachine] = {}
        self.skipped: list[Resource] = []
        """Resources of a type the sandbox does not create (and that has behaviour offline)."""

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
            ("AWS::StepFunctions::Activity", self._create_activity),
            ("AWS::Serverless::StateMachine", self._create_state_machine),
            ("AWS::StepFunctions::StateMachine", self._create_state_machine),
            ("AWS::Events::Rule", self._create_rule),
            # Handlers read bucket policies (e.g. to check what a service is granted).
            ("AWS::S3::BucketPolicy", self._create_bucket_policy),
        ]
        for kind, create in order:
            for resource in self.stack.of_type(kind):
                try:
                    create(resource, self.stack.resolve(resource.properties))
                except (ClientError, ParamValidationError) as error:
                    # What CloudFormation would report as the resource's CREATE_FAILED reason.
                    message = error.response["Error"]["Message"] if isinstance(error, ClientError) else str(error)
                    message = message.split(" in definition '")[0]  # moto repeats the whole definition
                    raise TemplateError(f"{resource.logical_id} ({kind}) cannot be created: "
                                        f"{' '.join(message.split())[:400]}") from None
        created = {kind for kind, _ in order}
        self.skipped = [r for r in self.stack.resources.values()
                        if r.type not in created and not r.type.startswith(NO_OFFLINE_BEHAVIOUR)]

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
        # Parameters reach numeric properties as strings (Ref answers text); CreateTable wants integers.
        for holder in [args, *args.get("GlobalSecondaryIndexes", [])]:
            if "ProvisionedThroughput" in holder:
                holder["ProvisionedThroughput"] = {k: int(v) for k, v in holder["ProvisionedThroughput"].items()}
        stream = args.get("StreamSpecification")
        if stream is not None:
            # CloudFormation enables the stream by giving its view type alone; CreateTable needs both.
            args["StreamSpecification"] = {"StreamEnabled": "StreamViewType" in stream, **stream}
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

    def _create_activity(self, resource: Resource, props: dict[str, Any]) -> None:
        self.client("stepfunctions").create_activity(name=resource.name)

    def _create_state_machine(self, resource: Resource, props: dict[str, Any]) -> None:
        text, path = _definition_text(self.stack, resource, props)
        definition = _parse_asl(resource, text, path)
        kind = props.get("Type") or props.get("StateMachineType") or "STANDARD"
        self.client("stepfunctions").create_state_machine(
            name=resource.name, definition=_created_text(text, definition), type=kind,
            roleArn=self.stack.arn("iam", f"role/{resource.logical_id}Role", region=False),
        )
        slug = slug_of(resource)
        if slug in self.state_machines:  # two machines share an ASL file name: the second goes by its logical ID
            slug = resource.logical_id
        self.state_machines[slug] = StateMachine(slug, resource.logical_id, resource.ref, kind, definition, path)
        for event_id, event in (props.get("Events") or {}).items():
            self._create_event_source(resource, event_id, event, {"Arn": resource.ref})

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


def state_machine_definitions(stack: Stack) -> dict[str, dict[str, Any]]:
    """Every state machine's ASL by logical ID (a TemplateError names the first that cannot be read)."""
    return {resource.logical_id: state_machine_definition(stack, resource, stack.resolve(resource.properties))[0]
            for resource in stack.of_type(*STATE_MACHINE_TYPES)}


def state_machine_definition(stack: Stack, resource: Resource, props: dict[str, Any]
                             ) -> tuple[dict[str, Any], Path | None]:
    """The ASL of a SAM or CloudFormation state machine (`props` resolved), in any of the forms they accept."""
    text, path = _definition_text(stack, resource, props)
    return _parse_asl(resource, text, path), path


def _definition_text(stack: Stack, resource: Resource, props: dict[str, Any]) -> tuple[str, Path | None]:
    """The ASL text of a state machine (its substitutions made), and the file it was read from (None: inline)."""
    path = None
    if "Definition" in props:
        text = json.dumps(props["Definition"])
    elif "DefinitionString" in props:
        text = props["DefinitionString"]
        if not isinstance(text, str):
            raise TemplateError(f"{resource.logical_id}: DefinitionString must be a string")
    else:
        location = props.get("DefinitionUri", props.get("DefinitionS3Location"))
        if location is None:
            raise TemplateError(f"{resource.logical_id}: no Definition, DefinitionString, DefinitionUri "
                                "or DefinitionS3Location")
        path = _local_definition_file(stack, resource, location)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as error:
            raise TemplateError(
                f"{resource.logical_id}: cannot read the ASL file {path}: {error.strerror}") from error
    substitutions = props.get("DefinitionSubstitutions", {})

    def substitute(match: re.Match[str]) -> str:
        # As SAM and CloudFormation: only the keys given are replaced, any other ${...} stays as written.
        name = match.group(1)
        return str(substitutions[name]) if name in substitutions else match.group(0)

    return _SUBSTITUTION.sub(substitute, text), path


def _local_definition_file(stack: Stack, resource: Resource, location: Any) -> Path:
    """A DefinitionUri / DefinitionS3Location that names a local file (as `sam build` and `aws cloudformation
    package` read it); an S3 object is not local: the sandbox cannot read it."""
    if isinstance(location, dict):
        where = f"s3://{location.get('Bucket', '?')}/{location.get('Key', '?')}"
    elif isinstance(location, str) and location.startswith("s3://"):
        where = location
    elif isinstance(location, str):
        return (stack.root / location).resolve()
    else:
        raise TemplateError(f"{resource.logical_id}: the definition location must be a path or an S3 location")
    local = sorted(str(p.relative_to(stack.root)) for p in stack.root.glob("**/*.asl.*") if ".aws-sam" not in p.parts)
    hint = f" (beside the template: {', '.join(local[:3])})" if local else ""
    raise TemplateError(f"{resource.logical_id}: the ASL is the S3 object {where}, which is not local: "
                        f"point DefinitionUri at the local ASL file{hint} (sam build uploads it) or inline Definition")


def _parse_asl(resource: Resource, text: str, path: Path | None) -> dict[str, Any]:
    """ASL text as JSON or YAML (SAM reads `*.asl.yaml` files): a one-line error when it is neither."""
    try:
        definition = json.loads(text)
    except json.JSONDecodeError as json_error:
        try:
            definition = loads_yaml(text)
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            where = f" at line {mark.line + 1}" if mark else f" (JSON: {json_error.msg} at line {json_error.lineno})"
            raise TemplateError(f"{resource.logical_id}: the ASL {path or 'definition'} is neither JSON nor YAML"
                                f"{where}") from None
    if not isinstance(definition, dict) or not isinstance(definition.get("States"), dict):
        raise TemplateError(f"{resource.logical_id}: the ASL {path or 'definition'} has no States")
    not_states = [name for name, state in definition["States"].items() if not isinstance(state, dict)]
    if not_states:
        raise TemplateError(f"{resource.logical_id}: the ASL {path or 'definition'} is invalid: "
                            f"{', '.join(not_states)} under States is no state (a state is an object)")
    if text in _VALID_TEXTS:  # parsed before in this process (a sandbox started again): valid again
        return definition
    try:  # CreateStateMachine's InvalidDefinition on AWS; moto accepts such a definition and fails each run
        asl_graph.parse(definition)
    except (asl_graph.AslGraphError, AttributeError, TypeError, KeyError) as error:
        raise TemplateError(f"{resource.logical_id}: the ASL {path or 'definition'} is invalid: {error}") from None
    if len(_VALID_TEXTS) < _VALID_TEXTS_KEPT:
        _VALID_TEXTS.add(text)
    return definition


def _created_text(text: str, definition: dict[str, Any]) -> str:
    """What CreateStateMachine is sent for an ASL text (`definition`, parsed from it): moto's adaptation of it, as
    JSON. Made once per text: every sandbox start provisions (or notes, to find its snapshot) the same machines."""
    created = _CREATED_TEXTS.get(text)
    if created is None:
        created = json.dumps(adapt_definition(definition))
        if len(_CREATED_TEXTS) < _VALID_TEXTS_KEPT:
            _CREATED_TEXTS[text] = created
    return created


_CREATED_TEXTS: dict[str, str] = {}
"""CreateStateMachine's definition by ASL text (a dict only grows: thread-safe enough)."""
_VALID_TEXTS: set[str] = set()
"""Definition texts whose graph parsed: the same text parses the same way (sets only grow: thread-safe enough)."""
_VALID_TEXTS_KEPT = 512
