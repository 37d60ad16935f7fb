"""gt3d.sfn_engine: moto's Step Functions engine, as the local run patches it, runs what the service runs."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any, cast

import boto3
import pytest
from moto import mock_aws
from moto.core.config import DefaultConfig

from gt3d.sfn_engine import ENGINE_CONFIG, local_engine

BUCKET = "items-bucket"
ROLE = "arn:aws:iam::123456789012:role/map-role"
WAIT_LIMIT_SECONDS = 300
"""Only a safety net: the test waits for the execution to end."""


@pytest.fixture
def engine() -> Iterator[Any]:
    with mock_aws(config=cast(DefaultConfig, ENGINE_CONFIG)), local_engine(time_scale=0.001):
        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket=BUCKET)
        yield boto3.client("stepfunctions", region_name="us-east-1")


def _distributed_map(max_concurrency: int) -> dict[str, Any]:
    """A Distributed Map over a JSON array in S3, each item through a Pass state, as the copy's CopyBatches is."""
    return {
        "StartAt": "Items",
        "States": {
            "Items": {
                "Type": "Map",
                "ItemReader": {
                    "Resource": "arn:aws:states:::s3:getObject",
                    "ReaderConfig": {"InputType": "JSON"},
                    "Parameters": {"Bucket": BUCKET, "Key": "items.json"},
                },
                "MaxConcurrency": max_concurrency,
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                    "StartAt": "Item",
                    "States": {"Item": {"Type": "Pass", "End": True}},
                },
                "ResultPath": None,
                "End": True,
            }
        },
    }


def _run_to_end(sfn: Any, definition: dict[str, Any]) -> dict[str, Any]:
    arn = sfn.create_state_machine(name="map", definition=json.dumps(definition), roleArn=ROLE)["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=arn, input="{}")["executionArn"]
    deadline = time.monotonic() + WAIT_LIMIT_SECONDS
    while (description := sfn.describe_execution(executionArn=execution))["status"] == "RUNNING":
        assert time.monotonic() < deadline, "the execution never ended"
        time.sleep(0.05)
    return cast(dict[str, Any], description)


def test_given_more_items_per_worker_than_python_recursion_allows_then_the_distributed_map_succeeds(
    engine: Any,
) -> None:
    # moto's workers recurse once per item; a million-object copy gives each of its 10 workers 1,000 batches.
    items = [{"batch": index} for index in range(1_100)]
    boto3.client("s3", region_name="us-east-1").put_object(Bucket=BUCKET, Key="items.json", Body=json.dumps(items))

    description = _run_to_end(engine, _distributed_map(max_concurrency=1))

    assert description["status"] == "SUCCEEDED", description.get("cause")
