"""The template as a stack of named resources, the way CloudFormation would name them.

Physical names and ARNs are derived deterministically from logical IDs
(`<stack>-<logicalid>`), so every `Ref`/`GetAtt`/`Sub` can be answered before a
single resource exists, and event files can name the sandbox's buckets.
"""

from __future__ import annotations

import re
import shlex
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sandbox.intrinsics import Resolver, TemplateError

DEFAULT_STACK_NAME = "sfn-suite"
DEFAULT_REGION = "us-east-1"
DEFAULT_ACCOUNT = "123456789012"
SAMCONFIG_FILE = "samconfig.toml"
CDK_PROJECT = "this is a CDK project: run `cdk synth` and pass --template cdk.out/<Stack>.template.json"
STATE_MACHINE_TYPES = ("AWS::Serverless::StateMachine", "AWS::StepFunctions::StateMachine")
ASL_SUFFIXES = (".asl.json", ".asl.yaml", ".asl.yml", ".json", ".yaml", ".yml")
_LONG_OVERRIDE = re.compile(r"ParameterKey=(?P<key>[^,]+),ParameterValue=(?P<value>.*)", re.DOTALL)


def parse_parameter_overrides(overrides: str | list[str]) -> dict[str, str]:
    """SAM CLI's `--parameter-overrides`: `Key=Value Key2="a b"` or `ParameterKey=K,ParameterValue=V` items."""
    items = shlex.split(overrides) if isinstance(overrides, str) else [str(item) for item in overrides]
    values: dict[str, str] = {}
    for item in items:
        long_form = _LONG_OVERRIDE.fullmatch(item)
        if long_form:
            values[long_form["key"]] = long_form["value"]
            continue
        key, equals, value = item.partition("=")
        if not equals or not key:
            raise TemplateError(f"parameter override {item!r} is neither Key=Value nor "
                                "ParameterKey=Key,ParameterValue=Value")
        values[key] = value
    return values


@dataclass(frozen=True)
class DeploySettings:
    """What `sam deploy` would take from samconfig.toml's default environment."""

    stack_name: str | None = None
    parameters: dict[str, str] = field(default_factory=dict)


def deploy_settings(template_root: Path) -> DeploySettings:
    """`stack_name` and `parameter_overrides` of samconfig.toml beside the template (`[default.deploy.parameters]`,
    then `[default.global.parameters]`), as `sam deploy` reads them."""
    path = template_root / SAMCONFIG_FILE
    if not path.is_file():
        return DeploySettings()
    try:
        config = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise TemplateError(f"cannot read {path}: {error}") from None
    default = config.get("default") or {}
    merged = {**((default.get("global") or {}).get("parameters") or {}),
              **((default.get("deploy") or {}).get("parameters") or {})}
    overrides = merged.get("parameter_overrides")
    name = merged.get("stack_name")
    return DeploySettings(str(name) if name else None, parse_parameter_overrides(overrides) if overrides else {})


@dataclass
class Resource:
    logical_id: str
    type: str
    properties: dict[str, Any]
    name: str
    ref: str
    attributes: dict[str, str] = field(default_factory=dict)


def workflow_slug(logical_id: str, properties: dict[str, Any]) -> str:
    """The name a workflow goes by offline: its ASL file name without `.asl.json` / `.asl.yaml` (or its logical ID)."""
    uri = properties.get("DefinitionUri")
    if isinstance(uri, str) and "://" not in uri:
        name = Path(uri).name
        return next((name.removesuffix(suffix) for suffix in ASL_SUFFIXES if name.endswith(suffix)), name)
    return logical_id


def slug_of(resource: Resource) -> str:
    """The workflow slug of a state machine resource (`workflow_slug`)."""
    return workflow_slug(resource.logical_id, resource.properties)


class Stack:
    """Template resources with their sandbox physical identities."""

    def __init__(self, template: dict[str, Any], root: Path, *, stack_name: str = DEFAULT_STACK_NAME,
                 region: str = DEFAULT_REGION, account_id: str = DEFAULT_ACCOUNT,
                 parameters: dict[str, str] | None = None) -> None:
        self.template = template
        self.root = root
        self.stack_name = stack_name
        self.region = region
        self.account_id = account_id
        resources = template.get("Resources")
        if not isinstance(resources, dict) or not resources:
            raise TemplateError("the template has no Resources: is it a CloudFormation / SAM template?")
        self.parameters = self._parameter_values(parameters or {})
        self.resolver = Resolver(self.ref, self.get_att, template.get("Conditions", {}), template.get("Mappings", {}))
        self.resources: dict[str, Resource] = {}
        for logical_id, spec in resources.items():
            if not isinstance(spec, dict) or not isinstance(spec.get("Type"), str):
                raise TemplateError(f"resource {logical_id} has no Type")
            if "Condition" in spec and not self.resolver.condition(spec["Condition"]):
                continue
            self.resources[logical_id] = self._identify(logical_id, spec)
        for logical_id, kind in _implicit_resources(self.resources).items():
            self.resources.setdefault(logical_id, self._identify_generic(logical_id, kind, {}))

    @classmethod
    def from_file(cls, template_path: Path, *, stack_name: str | None = None,
                  parameters: dict[str, str] | None = None) -> Stack:
        """The template's stack; `stack_name` and `parameters` (overrides) default to samconfig.toml's beside the
        template, as `sam deploy` reads them, and the stack is named `sfn-suite` when neither says."""
        from sandbox.template_yaml import load_template

        template = load_template(template_path)
        if not template.get("Resources") and (template_path.parent / "cdk.json").is_file():
            raise TemplateError(f"{template_path} has no Resources and {CDK_PROJECT}")
        settings = deploy_settings(template_path.parent)
        return cls(template, template_path.parent,
                   stack_name=stack_name or settings.stack_name or DEFAULT_STACK_NAME,
                   parameters={**settings.parameters, **(parameters or {})})

    # -- lookups -------------------------------------------------------------
    def ref(self, name: str) -> Any:
        pseudo = {
            "AWS::Region": self.region, "AWS::AccountId": self.account_id, "AWS::StackName": self.stack_name,
            "AWS::Partition": "aws", "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackId": f"arn:aws:cloudformation:{self.region}:{self.account_id}:stack/{self.stack_name}/sandbox",
        }
        if name in pseudo:
            return pseudo[name]
        if name in self.parameters:
            return self.parameters[name]
        if name in self.resources:
            return self.resources[name].ref
        raise TemplateError(f"Ref to unknown name {name}")

    def get_att(self, logical_id: str, attribute: str) -> str:
        resource = self.resources.get(logical_id)
        if resource is None:
            raise TemplateError(f"GetAtt to unknown resource {logical_id}")
        if attribute in resource.attributes:
            return resource.attributes[attribute]
        if attribute == "Arn":
            return self._generic_arn(resource)
        return f"{resource.name}-{attribute}"

    def of_type(self, *types: str) -> list[Resource]:
        return [r for r in self.resources.values() if r.type in types]

    def resolve(self, value: Any) -> Any:
        return self.resolver.resolve(value)

    def arn(self, service: str, resource: str, *, region: bool = True, account: bool = True) -> str:
        return f"arn:aws:{service}:{self.region if region else ''}:{self.account_id if account else ''}:{resource}"

    # -- identities ----------------------------------------------------------
    def _parameter_values(self, overrides: dict[str, str]) -> dict[str, Any]:
        values: dict[str, Any] = {}
        declared = self.template.get("Parameters") or {}
        missing = []
        for name, spec in declared.items():
            if name in overrides:
                value: Any = overrides[name]
            elif "Default" in spec:
                value = spec["Default"]
            else:
                missing.append(name)
                continue
            # As CloudFormation: a list parameter's Ref is a list, every other one a string.
            if str(spec.get("Type", "")).startswith(("CommaDelimitedList", "List<")) and isinstance(value, str):
                value = [item.strip() for item in value.split(",")]
            values[name] = value if isinstance(value, list) else str(value)
        if missing:
            given = " ".join(f"{name}=<value>" for name in missing)
            raise TemplateError(f"parameter {', '.join(missing)} has no Default: pass --parameter-overrides {given} "
                                "(or parameter_overrides in samconfig.toml)")
        return values

    def _default_name(self, logical_id: str, lower: bool = False) -> str:
        name = f"{self.stack_name}-{logical_id}"
        return name.lower() if lower else name

    def _named(self, properties: dict[str, Any], key: str, logical_id: str, lower: bool = False) -> str:
        if key in properties:
            return str(self.resolver.resolve(properties[key]))
        return self._default_name(logical_id, lower)

    def _identify(self, logical_id: str, spec: dict[str, Any]) -> Resource:
        kind = spec["Type"]
        props = spec.get("Properties", {}) or {}
        identify = _IDENTITIES.get(kind, Stack._identify_generic)
        return identify(self, logical_id, kind, props)

    def _identify_bucket(self, logical_id: str, kind: str, props: dict) -> Resource:
        name = self._named(props, "BucketName", logical_id, lower=True)
        arn = f"arn:aws:s3:::{name}"
        return Resource(logical_id, kind, props, name, name, {"Arn": arn, "DomainName": f"{name}.s3.amazonaws.com"})

    def _identify_table(self, logical_id: str, kind: str, props: dict) -> Resource:
        name = self._named(props, "TableName", logical_id)
        arn = self.arn("dynamodb", f"table/{name}")
        return Resource(logical_id, kind, props, name, name, {"Arn": arn, "StreamArn": f"{arn}/stream/sandbox"})

    def _identify_topic(self, logical_id: str, kind: str, props: dict) -> Resource:
        name = self._named(props, "TopicName", logical_id)
        arn = self.arn("sns", name)
        return Resource(logical_id, kind, props, name, arn, {"TopicName": name, "TopicArn": arn})

    def _identify_queue(self, logical_id: str, kind: str, props: dict) -> Resource:
        name = self._named(props, "QueueName", logical_id)
        url = f"https://sqs.{self.region}.amazonaws.com/{self.account_id}/{name}"
        return Resource(logical_id, kind, props, name, url,
                        {"Arn": self.arn("sqs", name), "QueueName": name, "QueueUrl": url})

    def _identify_bus(self, logical_id: str, kind: str, props: dict) -> Resource:
        name = self._named(props, "Name", logical_id)
        return Resource(logical_id, kind, props, name, name, {"Arn": self.arn("events", f"event-bus/{name}"),
                                                             "Name": name})

    def _identify_function(self, logical_id: str, kind: str, props: dict) -> Resource:
        name = self._named(props, "FunctionName", logical_id)
        return Resource(logical_id, kind, props, name, name, {"Arn": self.arn("lambda", f"function:{name}")})

    def _identify_state_machine(self, logical_id: str, kind: str, props: dict) -> Resource:
        key = "StateMachineName" if kind == "AWS::StepFunctions::StateMachine" else "Name"
        name = self._named(props, key, logical_id)
        arn = self.arn("states", f"stateMachine:{name}")
        return Resource(logical_id, kind, props, name, arn, {"Arn": arn, "Name": name})

    def _identify_activity(self, logical_id: str, kind: str, props: dict) -> Resource:
        name = self._named(props, "Name", logical_id)
        arn = self.arn("states", f"activity:{name}")
        return Resource(logical_id, kind, props, name, arn, {"Name": name})

    def _identify_generic(self, logical_id: str, kind: str, props: dict) -> Resource:
        name = self._default_name(logical_id)
        return Resource(logical_id, kind, props, name, name)

    def _generic_arn(self, resource: Resource) -> str:
        service = resource.type.split("::")[1].lower()
        return self.arn(service, resource.name)


_IDENTITIES = {
    "AWS::S3::Bucket": Stack._identify_bucket,
    "AWS::DynamoDB::Table": Stack._identify_table,
    "AWS::Serverless::SimpleTable": Stack._identify_table,
    "AWS::SNS::Topic": Stack._identify_topic,
    "AWS::SQS::Queue": Stack._identify_queue,
    "AWS::Events::EventBus": Stack._identify_bus,
    "AWS::Serverless::Function": Stack._identify_function,
    "AWS::Lambda::Function": Stack._identify_function,
    "AWS::Serverless::StateMachine": Stack._identify_state_machine,
    "AWS::StepFunctions::StateMachine": Stack._identify_state_machine,
    "AWS::StepFunctions::Activity": Stack._identify_activity,
}


def _implicit_resources(resources: dict[str, Resource]) -> dict[str, str]:
    """The resources SAM's transform adds that a template may reference: logical ID -> type.

    `ServerlessRestApi` / `ServerlessHttpApi` for Api / HttpApi events without their own API,
    `<Function>Role` and `<StateMachine>Role` for functions and state machines without a Role.
    """
    implicit: dict[str, str] = {}
    for resource in resources.values():
        if resource.type not in ("AWS::Serverless::Function", "AWS::Serverless::StateMachine"):
            continue
        if "Role" not in resource.properties:
            implicit[f"{resource.logical_id}Role"] = "AWS::IAM::Role"
        for event in (resource.properties.get("Events") or {}).values():
            if not isinstance(event, dict):
                continue
            api_props = event.get("Properties") or {}
            if event.get("Type") == "Api" and "RestApiId" not in api_props:
                implicit["ServerlessRestApi"] = "AWS::ApiGateway::RestApi"
            elif event.get("Type") == "HttpApi" and "ApiId" not in api_props:
                implicit["ServerlessHttpApi"] = "AWS::ApiGatewayV2::Api"
    return implicit
