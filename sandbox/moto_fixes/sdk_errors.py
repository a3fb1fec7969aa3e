"""Name aws-sdk integration errors the way Step Functions does: `S3.NoSuchKeyException`.

AWS builds the Error of an `arn:aws:states:::aws-sdk:<service>:<action>` failure
as `<ServiceName>.<ErrorName>`, both PascalCase, where ServiceName is the SDK's
client name (AcmPca, DynamoDb, S3, SecretsManager, ...) and ErrorName always
ends in `Exception`, even when the service's own code does not (S3
`NoSuchKey` -> `S3.NoSuchKeyException`). moto only knows DynamoDb and Sfn and
falls back to the lowercase ARN name (`s3.NoSuchKeyException`), so a
Retry/Catch written for AWS never matches offline; it also logs a warning on
every such error.

The exception part is left to moto (it already appends `Exception`, and uses
`<Service>Exception` for codes the SDK does not model, as the Java SDK does).
"""

from __future__ import annotations

from typing import Final

from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_aws_sdk import (
    StateTaskServiceAwsSdk,
)

_installed = False

# Lowercase ARN service name -> SDK client name, for names that simple
# capitalisation gets wrong. Single-word services (rekognition, textract,
# lambda, comprehend, ...) need no entry.
SERVICE_ERROR_PREFIXES: Final[dict[str, str]] = {
    "acm": "Acm",
    "acmpca": "AcmPca",
    "apigateway": "ApiGateway",
    "apigatewayv2": "ApiGatewayV2",
    "appconfig": "AppConfig",
    "applicationautoscaling": "ApplicationAutoScaling",
    "appsync": "AppSync",
    "autoscaling": "AutoScaling",
    "bedrockagent": "BedrockAgent",
    "bedrockagentruntime": "BedrockAgentRuntime",
    "bedrockruntime": "BedrockRuntime",
    "cloudformation": "CloudFormation",
    "cloudfront": "CloudFront",
    "cloudtrail": "CloudTrail",
    "cloudwatch": "CloudWatch",
    "cloudwatchevents": "CloudWatchEvents",
    "cloudwatchlogs": "CloudWatchLogs",
    "codebuild": "CodeBuild",
    "codecommit": "CodeCommit",
    "codepipeline": "CodePipeline",
    "cognitoidentity": "CognitoIdentity",
    "cognitoidentityprovider": "CognitoIdentityProvider",
    "comprehendmedical": "ComprehendMedical",
    "costexplorer": "CostExplorer",
    "databrew": "DataBrew",
    "datasync": "DataSync",
    "dynamodb": "DynamoDb",
    "dynamodbstreams": "DynamoDbStreams",
    "ec2": "Ec2",
    "ecr": "Ecr",
    "ecs": "Ecs",
    "efs": "Efs",
    "eks": "Eks",
    "elasticache": "ElastiCache",
    "elasticloadbalancingv2": "ElasticLoadBalancingV2",
    "emr": "Emr",
    "emrcontainers": "EmrContainers",
    "emrserverless": "EmrServerless",
    "eventbridge": "EventBridge",
    "iam": "Iam",
    "iot": "Iot",
    "iotdata": "IotData",
    "kms": "Kms",
    "mediaconvert": "MediaConvert",
    "opensearch": "OpenSearch",
    "rds": "Rds",
    "rdsdata": "RdsData",
    "redshiftdata": "RedshiftData",
    "route53": "Route53",
    "s3": "S3",
    "s3control": "S3Control",
    "sagemaker": "SageMaker",
    "sagemakerruntime": "SageMakerRuntime",
    "secretsmanager": "SecretsManager",
    "servicediscovery": "ServiceDiscovery",
    "ses": "Ses",
    "sesv2": "SesV2",
    "sfn": "Sfn",
    "sns": "Sns",
    "sqs": "Sqs",
    "ssm": "Ssm",
    "sts": "Sts",
    "timestreamquery": "TimestreamQuery",
    "timestreamwrite": "TimestreamWrite",
    "xray": "XRay",
}


def service_error_prefix(service_name: str) -> str:
    """The PascalCase service part of an aws-sdk error name, e.g. `s3` -> `S3`."""
    lower = service_name.lower()
    return SERVICE_ERROR_PREFIXES.get(lower) or lower[:1].upper() + lower[1:]


def install() -> None:
    """Make moto's aws-sdk task build error names with the AWS service prefix (idempotent)."""
    global _installed
    if _installed:
        return
    # moto calls it as self._normalise_service_error_name(...): keep it a staticmethod.
    StateTaskServiceAwsSdk._normalise_service_error_name = staticmethod(service_error_prefix)
    _installed = True
