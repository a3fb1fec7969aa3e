"""Price an order with the discount the template's Mappings chose for the environment."""

import os


def handler(event, _context):
    discount = int(os.environ["DISCOUNT"])
    total = sum(item["price"] * item["quantity"] for item in event["items"])
    return {"total": total * (100 - discount) // 100, "mode": os.environ["MODE"]}
