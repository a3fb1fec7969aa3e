"""API Gateway REST API features around a non-proxy integration, emulated for `sandbox serve`.

One concern per module:

- `openapi`: the routes of an `AWS::Serverless::Api` OpenAPI `DefinitionBody` whose integration is
  `type: aws` (an AWS service action, e.g. `states:action/StartSyncExecution`), with their request
  validator, body model, templates, integration responses and the API's gateway responses.
- `resources`: the same routes from plain CloudFormation (`AWS::ApiGateway::Resource` / `Method`),
  and its AWS_PROXY methods to the template's functions.
- `validation`: the request validator: required parameters, and the body against the model (JSON
  schema draft 4) with API Gateway's messages (`$context.error.validationErrorString`).
- `vtl`: mapping templates rendered with a real Velocity engine (airspeed), with the `$input`,
  `$util` and `$context` objects API Gateway documents.
- `integration`: one request through it all: validate, render the request template, call the AWS
  action on the sandbox's moto backends, select the integration response, render its template,
  apply `$context.responseOverride`; gateway responses for what API Gateway refuses itself.
"""
