"""The bare baseline of a cold start: a handler that imports only the libraries, each where first needed, and makes
the core of a function's first request with them: `import boto3, tweepy`, one X user lookup and one PutItem for the
realtime function; `import boto3` and one Query for the register (keys spelled as connected/register.py spells them)."""

import os
from typing import Any

X_USER_FIELDS = ["public_metrics", "protected"]


def lambda_handler(event: dict[str, Any], _context: object) -> dict[str, Any]:
    _, _, function, dev1, dev2 = event["rawPath"].split("/")
    if function == "realtime":
        dynamodb = new_dynamodb_client()  # first: the fake, set up once tweepy is imported, takes none of its modules
        look_up_x_users(x_client(), dev1, dev2)
        record(dynamodb, dev1, dev2)
    else:
        history(new_dynamodb_client(), dev1, dev2)
    return {"statusCode": 200}


def new_dynamodb_client() -> Any:
    import boto3

    return boto3.client("dynamodb")


def x_client() -> Any:
    import tweepy

    return tweepy.Client(bearer_token=os.environ["TWITTER_BEARER_TOKEN"], return_type=dict)


def look_up_x_users(x: Any, dev1: str, dev2: str) -> Any:
    return x.get_users(usernames=sorted({dev1.lower(), dev2.lower()}), user_fields=X_USER_FIELDS)


def record(dynamodb: Any, dev1: str, dev2: str) -> None:
    from datetime import UTC, datetime  # loaded with boto3

    dynamodb.put_item(
        TableName=os.environ["TABLE_NAME"],
        Item={
            "pair": {"S": pair_key(dev1, dev2)},
            "recorded_at": {"S": f"{datetime.now(UTC):%Y-%m-%dT%H:%M:%S.%f}Z#{os.urandom(6).hex()}"},
            "connected": {"BOOL": False},
        },
        ConditionExpression="attribute_not_exists(#pair)",
        ExpressionAttributeNames={"#pair": "pair"},
    )


def history(dynamodb: Any, dev1: str, dev2: str) -> Any:
    return dynamodb.query(
        TableName=os.environ["TABLE_NAME"],
        KeyConditionExpression="#pair = :pair",
        ExpressionAttributeNames={"#pair": "pair"},
        ExpressionAttributeValues={":pair": {"S": pair_key(dev1, dev2)}},
        ScanIndexForward=True,
    )["Items"]


def pair_key(dev1: str, dev2: str) -> str:
    return "#".join(sorted((dev1.lower(), dev2.lower())))
