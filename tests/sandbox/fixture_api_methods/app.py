"""The handler behind the AWS_PROXY method of template.yaml."""

import json


def get_order(event, context):
    return {"statusCode": 200, "body": json.dumps({"orderId": event["pathParameters"]["orderId"],
                                                   "resource": event["resource"],
                                                   "stage": event["requestContext"]["stage"]})}
