"""The local run's DynamoDB set-up: the register table from template.yaml, and an identity boto3 can sign
with when the user has no AWS account (moto stands in for the server here)."""

import boto3
import pytest

from connected.register import RegisterAdmin
from local.dynamodb import DUMMY_CREDENTIAL, LocalDynamoDBError, ensure_register_table, provide_dummy_identity
from local.template import table_definition

MOTO_ENDPOINT = "https://dynamodb.eu-west-1.amazonaws.com"
"""Regional DynamoDB's own address, which moto answers in these tests."""


def test_the_register_table_is_created_from_the_template_once() -> None:
    assert ensure_register_table(MOTO_ENDPOINT, "local-register") is True
    assert ensure_register_table(MOTO_ENDPOINT, "local-register") is False

    table = boto3.client("dynamodb").describe_table(TableName="local-register")["Table"]
    assert table["KeySchema"] == table_definition()["KeySchema"]


def test_a_new_table_is_marked_as_holding_no_record_without_its_handles() -> None:
    ensure_register_table(MOTO_ENDPOINT, "local-register")

    assert RegisterAdmin(boto3.client("dynamodb"), "local-register").index_complete() is True


def test_a_table_of_an_earlier_version_without_the_handle_indexes_is_refused_with_what_to_do() -> None:
    # Given a local register made before the handle indexes, holding a record
    client = boto3.client("dynamodb")
    definition = table_definition()
    client.create_table(
        TableName="older-register",
        KeySchema=definition["KeySchema"],
        AttributeDefinitions=definition["AttributeDefinitions"][:2],
        BillingMode="PAY_PER_REQUEST",
    )
    record = {"pair": {"S": "ada#bob"}, "recorded_at": {"S": "2026-01-01T00:00:00.000000Z#a"}}
    client.put_item(TableName="older-register", Item=record)

    # When the local run starts on it, then it says what to do, and leaves the table as it was
    with pytest.raises(LocalDynamoDBError, match=r"template.yaml says .*make clean"):
        ensure_register_table(MOTO_ENDPOINT, "older-register")
    assert not client.describe_table(TableName="older-register")["Table"].get("GlobalSecondaryIndexes")
    assert client.scan(TableName="older-register")["Items"] == [record]


def test_a_table_with_another_key_schema_is_refused_with_what_to_do() -> None:
    boto3.client("dynamodb").create_table(
        TableName="old-register",
        KeySchema=[{"AttributeName": "pair", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pair", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )

    with pytest.raises(LocalDynamoDBError, match="make clean"):
        ensure_register_table(MOTO_ENDPOINT, "old-register")


def test_a_server_of_our_own_gets_dummy_keys_and_ignores_the_users_profile() -> None:
    environ = {"AWS_PROFILE": "expired-sso", "AWS_REGION": "eu-west-1"}

    provide_dummy_identity(environ, keep_user_profile=False)

    assert environ == {
        "AWS_REGION": "eu-west-1",
        "AWS_ACCESS_KEY_ID": DUMMY_CREDENTIAL,
        "AWS_SECRET_ACCESS_KEY": DUMMY_CREDENTIAL,
    }


def test_the_users_own_server_keeps_their_profile_or_keys() -> None:
    with_profile = {"AWS_PROFILE": "local-dynamodb", "AWS_REGION": "eu-west-1"}
    with_keys = {"AWS_ACCESS_KEY_ID": "key", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_DEFAULT_REGION": "eu-west-1"}

    provide_dummy_identity(with_profile, keep_user_profile=True)
    provide_dummy_identity(with_keys, keep_user_profile=True)

    assert with_profile == {"AWS_PROFILE": "local-dynamodb", "AWS_REGION": "eu-west-1"}
    assert with_keys == {
        "AWS_ACCESS_KEY_ID": "key",
        "AWS_SECRET_ACCESS_KEY": "secret",
        "AWS_DEFAULT_REGION": "eu-west-1",
    }
