"""GET /connected/register/{dev1}/{dev2}: every answer given for a pair, oldest first."""

import re
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from connected.factory import register_store
from connected.handles import register_pair
from connected.http import install_error_handlers, install_route_fallback, json_response, path_handle

logger = Logger()
app = APIGatewayHttpResolver()
install_error_handlers(app, logger)


@app.get("/connected/register/<dev1>/<dev2>")
def register(dev1: str, dev2: str) -> Response[str]:
    dev1, dev2 = path_handle(dev1), path_handle(dev2)
    logger.append_keys(dev1=dev1, dev2=dev2)
    records = register_store().history(register_pair(dev1, dev2))
    logger.info("register read", extra={"records": len(records)})
    return json_response([record.to_json() for record in records])


install_route_fallback(app, re.compile(r"/connected/register/([^/]+)/([^/]+)"), register)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
