"""GET /connected/register/{dev1}/{dev2}: every answer given for a pair, oldest first, a page at a time.
GET /connected/usage: the caller's X spending today. Also the API's own pages: /_health, /openapi.json and
/docs."""

import gc
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.logging import correlation_paths

from connected.callers import caller_of
from connected.contract import HEALTH_RESPONSES, REGISTER_RESPONSES, USAGE_RESPONSES
from connected.factory import caller_usage, objections, register_store
from connected.handles import register_pair
from connected.history import HistoryRequest, next_page_link, read_history
from connected.http import errors_response, install_error_handlers, install_route_fallback, json_response, path_handle
from connected.settings import metrics_namespace
from connected.telemetry import Telemetry

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

HERE = Path(__file__).resolve().parent
DAY_OF_CACHE = "public, max-age=86400"

logger = Logger()
metrics = Metrics(namespace=metrics_namespace())
telemetry = Telemetry(logger, metrics)
app = APIGatewayHttpResolver()
install_error_handlers(app, logger)


@app.get(
    "/connected/register/<dev1>/<dev2>",
    summary="Every answer given for a pair",
    description="Oldest first; `bob/alice` and any letter case give the same records. None are given for a "
    "developer who asked not to be looked up (451).",
    responses=REGISTER_RESPONSES,
    tags=["connected"],
)
def register(dev1: str, dev2: str) -> Response[str]:
    dev1, dev2 = path_handle(dev1), path_handle(dev2)
    logger.append_keys(dev1=dev1, dev2=dev2)
    pair = register_pair(dev1, dev2)
    request = HistoryRequest.from_query(app.current_event.query_string_parameters)
    objections().refuse([dev1, dev2])
    page = read_history(register_store(), pair, request)
    telemetry.register_read(len(page.records))
    link = {"Link": next_page_link(app.current_event.path, request, page.next_cursor)} if page.next_cursor else {}
    return json_response([record.to_json() for record in page.records], headers=link)


install_route_fallback(app, {re.compile(r"/connected/register/([^/]+)/([^/]+)"): register})


@app.get(
    "/connected/usage",
    summary="The caller's X spending today",
    description="X users billed today (UTC) for the caller's answers, and what is left of its daily budget "
    "(`null` without a per-caller budget). Free: nothing is asked of GitHub or X, nothing recorded.",
    responses=USAGE_RESPONSES,
    tags=["connected"],
)
def usage() -> Response[str]:
    return json_response(caller_usage(caller_of(app.current_event.raw_event)))


@app.get("/_health", summary="Can the API reach its register?", responses=HEALTH_RESPONSES, tags=["operations"])
def health() -> Response[str]:
    register_store().check()
    return json_response({"status": "ok"})


@app.get("/openapi.json", include_in_schema=False, cache_control="public, max-age=300")
def openapi() -> Response[str]:
    from connected.docs import openapi_document

    return json_response(openapi_document(HERE / "openapi.json"))


@app.get("/docs", include_in_schema=False)
def docs() -> Response[str]:
    from connected.docs import DOCS_PAGE

    return Response(status_code=200, content_type="text/html; charset=utf-8", body=DOCS_PAGE)


@app.get("/docs/<asset>", include_in_schema=False, compress=True, cache_control=DAY_OF_CACHE)
def docs_assets(asset: str) -> Response[str]:
    from connected.docs import docs_asset

    found = docs_asset(HERE / "swagger_ui", asset)
    if found is None:
        return errors_response(404, [f"no documentation asset {asset}"])
    body, content_type = found
    return Response(status_code=200, content_type=content_type, body=body)


@metrics.log_metrics(capture_cold_start_metric=True)
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
def lambda_handler(event: dict[str, Any], context: "LambdaContext") -> dict[str, Any]:
    return app.resolve(event, context)


# What the import built lives as long as the container: the collections of the first answer (and of every
# later one) need not walk it again. `make bench` shows the cold start with it.
gc.freeze()
