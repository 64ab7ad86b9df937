"""GET /connected/realtime/{dev1}/{dev2}: are the two developers fully connected right now? And
GET /connected/team/{handles}: which pairs of a team are."""

import gc
import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.logging import correlation_paths

from connected.callers import caller_of
from connected.contract import REALTIME_RESPONSES, TEAM_RESPONSES
from connected.deadline import Deadline
from connected.factory import connection_service, spending
from connected.freshness import max_age_from
from connected.handles import team_handles
from connected.http import install_error_handlers, install_route_fallback, json_response, path_handle
from connected.settings import metrics_namespace
from connected.spending import spending_of
from connected.telemetry import Telemetry

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger()
metrics = Metrics(namespace=metrics_namespace())
telemetry = Telemetry(logger, metrics)
app = APIGatewayHttpResolver()
install_error_handlers(app, logger, on_refusal=telemetry.refused)


@app.get(
    "/connected/realtime/<dev1>/<dev2>",
    summary="Are two developers fully connected?",
    description="They follow each other on X and share a public GitHub organisation. Every fresh answer is "
    "recorded; with `max_age`, the pair's latest record is given instead when it is young enough. A developer "
    "who asked not to be looked up is not (451).",
    responses=REALTIME_RESPONSES,
    tags=["connected"],
)
def realtime(dev1: str, dev2: str) -> Response[str]:
    dev1, dev2 = path_handle(dev1), path_handle(dev2)
    logger.append_keys(dev1=dev1, dev2=dev2)
    max_age = max_age_from(app.current_event.query_string_parameters)
    deadline = Deadline.for_invocation(app.lambda_context)
    answer = connection_service(telemetry).answer(dev1, dev2, deadline, max_age)
    telemetry.answered(answer)
    age = {"Age": str(answer.age_seconds(datetime.now(UTC)))} if answer.from_register else {}
    return json_response(answer.verdict.to_json(), headers=age)


@app.get(
    "/connected/team/<handles>",
    summary="Every connected pair of a team",
    description="2 to 20 comma-separated handles; every pair once, in the order the handles were given. Each "
    "follow list is read at most once for the whole team. Every fresh pair answer is recorded, as for a pair. "
    "A pair naming a developer who asked not to be looked up is undecided, and that developer is not looked up.",
    responses=TEAM_RESPONSES,
    tags=["connected"],
)
def team(handles: str) -> Response[str]:
    members = team_handles(path_handle(handles))
    logger.append_keys(team=members)
    max_age = max_age_from(app.current_event.query_string_parameters)
    deadline = Deadline.for_invocation(app.lambda_context)
    answer = connection_service(telemetry).team(members, deadline, max_age)
    telemetry.team_answered(answer)
    return json_response(answer.to_json())


install_route_fallback(
    app,
    {
        re.compile(r"/connected/realtime/([^/]+)/([^/]+)"): realtime,
        re.compile(r"/connected/team/([^/]+)"): team,
    },
)


@metrics.log_metrics(capture_cold_start_metric=True)
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
def lambda_handler(event: dict[str, Any], context: "LambdaContext") -> dict[str, Any]:
    """Every answer spends on behalf of its caller, and tells the caller where it stands, whatever its status."""
    caller = caller_of(event)
    logger.append_keys(caller=caller)
    with spending_of(spending(caller, telemetry)) as spent:
        response = app.resolve(event, context)
    response.setdefault("headers", {}).update(spent.rate_limit_headers())
    return response


# What the import built lives as long as the container: the collections of the first answer (and of every
# later one) need not walk it again. `make bench` shows the cold start with it.
gc.freeze()
