"""The three functions the way the reference designs write them: a boto3
Table resource created at import (init), put_item per POST, and a GET that
Scans the whole table, sorts and returns everything."""

import json
import os
import time
import uuid
from decimal import Decimal

import boto3

TABLE = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])
REGION = os.environ["AWS_REGION"]


def _json(status, body):
    return {
        "statusCode": status,
        "headers": {"content-type": "application/json"},
        "body": json.dumps(body, default=lambda v: int(v) if isinstance(v, Decimal) else str(v)),
    }


def store_epoch_time(event, context):
    now = int(time.time() * 1000)
    item = {"id": str(uuid.uuid4()), "epoch": now // 1000, "epochMillis": now, "region": REGION}
    TABLE.put_item(Item=item)
    return _json(201, item)


def get_epoch_store(event, context):
    response = TABLE.scan()
    items = response["Items"]
    while "LastEvaluatedKey" in response:
        response = TABLE.scan(ExclusiveStartKey=response["LastEvaluatedKey"])
        items.extend(response["Items"])
    items.sort(key=lambda item: item["epochMillis"], reverse=True)
    return _json(200, {"items": items, "count": len(items), "region": REGION})


def health(event, context):
    return _json(200, {"status": "ok", "region": REGION})
