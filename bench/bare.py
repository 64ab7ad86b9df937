"""The bare baseline of a cold start: a handler that imports only the libraries and makes the core of a
function's first request with them, `import boto3, tweepy`, one X user lookup and one PutItem for the
realtime function, `import boto3` and one Query for the register. bench/child.py runs it in a fresh
interpreter, as it runs the functions; bench/floor.py makes these calls too.

It imports each library where it first needs it, as the functions do, and imports no module of the package
(a pair's key and a record are spelled here as connected/register.py spells them)."""

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


def look_up_x_users(x: Any, dev1: str, dev2: str) -> dict[str, Any]:
    """Both accounts in one lookup, as the realtime function's first stage asks X."""
    found: dict[str, Any] = x.get_users(usernames=sorted({dev1.lower(), dev2.lower()}), user_fields=X_USER_FIELDS)
    return found


def record(dynamodb: Any, dev1: str, dev2: str) -> None:
    """A not-connected answer, written as the register writes one."""
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


def history(dynamodb: Any, dev1: str, dev2: str) -> list[dict[str, Any]]:
    """The pair's records, oldest first, in one Query, as the register function reads them."""
    page = dynamodb.query(
        TableName=os.environ["TABLE_NAME"],
        KeyConditionExpression="#pair = :pair",
        ExpressionAttributeNames={"#pair": "pair"},
        ExpressionAttributeValues={":pair": {"S": pair_key(dev1, dev2)}},
        ScanIndexForward=True,
    )
    items: list[dict[str, Any]] = page["Items"]
    return items


def pair_key(dev1: str, dev2: str) -> str:
    return "#".join(sorted((dev1.lower(), dev2.lower())))
