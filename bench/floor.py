"""The framework floor of a cold start: the least a handler written with Powertools, as the functions are, does for
their first request. Its import builds what theirs builds (the resolver, a Logger and Metrics, the handler decorated
as theirs); its first request logs a line, adds a metric, and makes each call upstream and to DynamoDB that the
function's first answer makes, one after the other, with boto3, requests and tweepy, each imported where first
needed. A function's cold start against this one is what the project's own code costs."""

import os
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit

from bench import bare

ORGANISATIONS = "https://api.github.com/users/{}/orgs?per_page=100"
CALLER = "ip:127.0.0.1"
LEASE_USERS = 1000

logger = Logger()
metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "ConnectedDevelopers"))
app = APIGatewayHttpResolver()


@app.get("/connected/realtime/<dev1>/<dev2>")
def realtime(dev1: str, dev2: str) -> dict[str, Any]:
    import requests

    dynamodb = bare.new_dynamodb_client()
    x = bare.x_client()
    read_objections(dynamodb, dev1, dev2)
    github = requests.Session()
    headers = {"Accept": "application/vnd.github+json", "Authorization": f"Bearer {os.environ['GITHUB_TOKEN']}"}
    first, second = (
        {org["login"].lower() for org in github.get(ORGANISATIONS.format(login), headers=headers).json()}
        for login in (dev1, dev2)
    )
    if first & second:
        raise NotImplementedError("the floor answers pairs without a common organisation, as the cold start asks")
    add_x_users(dynamodb, LEASE_USERS, within_limits=True)
    bare.look_up_x_users(x, dev1, dev2)
    add_x_users(dynamodb, 2 - LEASE_USERS, within_limits=False)
    bare.record(dynamodb, dev1, dev2)
    logger.info("answered", extra={"connected": False})
    metrics.add_metric(name="Answers", unit=MetricUnit.Count, value=1)
    return {"connected": False}


@app.get("/connected/register/<dev1>/<dev2>")
def register(dev1: str, dev2: str) -> list[dict[str, Any]]:
    dynamodb = bare.new_dynamodb_client()
    read_objections(dynamodb, dev1, dev2)
    records = [
        {"recorded_at": item["recorded_at"]["S"], "connected": item["connected"]["BOOL"]}
        for item in bare.history(dynamodb, dev1, dev2)
    ]
    logger.info("register read", extra={"records": len(records)})
    metrics.add_metric(name="RegisterRecordsReturned", unit=MetricUnit.Count, value=len(records))
    return records


def read_objections(dynamodb: Any, dev1: str, dev2: str) -> None:
    """The objection list's entries of both handles, as connected/register.py keeps them."""
    keys = [{"pair": {"S": "_objections"}, "recorded_at": {"S": handle.lower()}} for handle in (dev1, dev2)]
    dynamodb.batch_get_item(RequestItems={os.environ["TABLE_NAME"]: {"Keys": keys}})


def add_x_users(dynamodb: Any, users: int, within_limits: bool) -> None:
    """Adds `users` to the day's service and caller counts, as connected/register.py does: a reservation within
    both limits (a condition), or a give-back (negative, no condition)."""
    from datetime import UTC, datetime  # loaded with boto3

    values = {":users": {"N": str(users)}}
    condition: dict[str, str] = {}
    if within_limits:
        values[":room"] = {"N": "1000000"}
        condition["ConditionExpression"] = (
            "(attribute_not_exists(#service) OR #service <= :room) AND "
            "(attribute_not_exists(#caller) OR #caller <= :room)"
        )
    dynamodb.update_item(
        TableName=os.environ["TABLE_NAME"],
        Key={"pair": {"S": "_x_users_billed"}, "recorded_at": {"S": datetime.now(UTC).date().isoformat()}},
        UpdateExpression="ADD #service :users, #caller :users",
        ExpressionAttributeNames={"#service": "x_users_billed", "#caller": f"caller {CALLER}"},
        ExpressionAttributeValues=values,
        ReturnValues="UPDATED_NEW",
        **condition,
    )


@metrics.log_metrics(capture_cold_start_metric=True)
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
