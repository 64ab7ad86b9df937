"""DynamoDB refusing chosen operations, as a throttled, failing or unreachable table would: the refusal is
raised where botocore would raise DynamoDB's own error, before any request is sent; and moto as a server."""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
from botocore.exceptions import ClientError


@contextmanager
def dynamodb_refusing(*operations: str, code: str = "InternalServerError") -> Iterator[list[str]]:
    """Every client made from boto3's default session while this lasts (a client copies the session's events
    when it is made) fails `operations` (PutItem, Scan...) with `code`; yields the operations refused, in order."""
    session = boto3._get_default_session()
    refused: list[str] = []

    def refuse(model: Any, **_kwargs: Any) -> None:
        refused.append(model.name)
        raise ClientError({"Error": {"Code": code, "Message": "refused by the test"}}, model.name)

    events = [f"before-call.dynamodb.{operation}" for operation in operations]
    for event in events:
        session.events.register(event, refuse)
    try:
        yield refused
    finally:
        for event in events:
            session.events.unregister(event, refuse)


@contextmanager
def moto_server() -> Iterator[str]:
    """moto's DynamoDB as a server on a free loopback port, for other processes: its endpoint, while this lasts."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        yield "http://{}:{}".format(*server.get_host_and_port())
    finally:
        server.stop()
