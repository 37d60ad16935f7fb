"""Helpers for SageMaker handler tests: Stubber-wrapped clients, a Lambda context, DescribeLabelingJob replies.

``botocore.stub.Stubber`` checks every request against the real SageMaker API model, so a request that would
fail the service's parameter validation fails the test too. Plain helpers (not fixtures) so the test modules
own their fixtures and this module does not depend on anyone else's ``conftest.py``.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.stub import Stubber

ACCOUNT = "123456789012"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/gt3d-ground-truth-execution"
CREATED = datetime(2024, 5, 17, 9, 31, 0, tzinfo=UTC)

PLAN_ENVIRONMENT = {
    "SOURCE_URI": "s3://aws-ml-blog/artifacts/gt-point-cloud-demos/",
    "INPUT_URI": "s3://gt3d-labeling-bucket/gt3d-demo/input/",
    "OUTPUT_URI": "s3://gt3d-labeling-bucket/gt3d-demo/output/",
    "RESOURCE_PREFIX": "gt3d",
}
EXECUTION_START = "2024-05-17T09:30:05.123Z"


def workteam_arn(region: str) -> str:
    """Return a private work team ARN in ``region`` (work teams are regional)."""
    return f"arn:aws:sagemaker:{region}:{ACCOUNT}:workteam/private-crowd/gt3d-team"


def labeling_job_arn(region: str, job_name: str) -> str:
    """Return the ARN SageMaker gives ``job_name``; names are stored lower-case in ARNs."""
    return f"arn:aws:sagemaker:{region}:{ACCOUNT}:labeling-job/{job_name.lower()}"


@functools.cache
def _session() -> boto3.Session:
    # One session: its loader caches the (large) SageMaker service model across the tests' clients.
    return boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", aws_session_token="testing")


@contextmanager
def stubbed_client(service: str, region: str) -> Iterator[tuple[Any, Stubber]]:
    """Yield a ``service`` client in ``region`` and its active Stubber; fail if a queued reply was not used."""
    client = _session().client(service, region_name=region)  # type: ignore[call-overload]
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def stubbed_sagemaker(region: str) -> contextlib.AbstractContextManager[tuple[Any, Stubber]]:
    """Yield a SageMaker client in ``region`` and its active Stubber (see ``stubbed_client``)."""
    return stubbed_client("sagemaker", region)


def describe_response(
    request: dict[str, Any],
    *,
    region: str,
    status: str = "InProgress",
    counters: dict[str, int] | None = None,
    created: datetime = CREATED,
    **extra: Any,
) -> dict[str, Any]:
    """Return a DescribeLabelingJob reply for the job ``request`` (a CreateLabelingJob request) created."""
    return {
        "LabelingJobStatus": status,
        "LabelCounters": counters
        or {"TotalLabeled": 0, "HumanLabeled": 0, "MachineLabeled": 0, "FailedNonRetryableError": 0, "Unlabeled": 1},
        "CreationTime": created,
        "LastModifiedTime": created,
        "JobReferenceCode": "a1b2c3d4",
        "LabelingJobName": request["LabelingJobName"],
        "LabelingJobArn": labeling_job_arn(region, request["LabelingJobName"]),
        "LabelAttributeName": request["LabelAttributeName"],
        "InputConfig": request["InputConfig"],
        "OutputConfig": request["OutputConfig"],
        "RoleArn": request["RoleArn"],
        "LabelCategoryConfigS3Uri": request["LabelCategoryConfigS3Uri"],
        "HumanTaskConfig": request["HumanTaskConfig"],
        **({"Tags": request["Tags"]} if "Tags" in request else {}),
        **extra,
    }


def minimal_request(job_name: str, region: str) -> dict[str, Any]:
    """Return a small, model-valid CreateLabelingJob request, as a base for DescribeLabelingJob replies."""
    return {
        "LabelingJobName": job_name,
        "LabelAttributeName": f"{job_name}-ref",
        "InputConfig": {"DataSource": {"S3DataSource": {"ManifestS3Uri": "s3://b/in/manifest.json"}}},
        "OutputConfig": {"S3OutputPath": "s3://b/out/"},
        "RoleArn": ROLE_ARN,
        "LabelCategoryConfigS3Uri": "s3://b/in/categories.json",
        "HumanTaskConfig": {
            "WorkteamArn": workteam_arn(region),
            "UiConfig": {
                "HumanTaskUiArn": f"arn:aws:sagemaker:{region}:394669845002:human-task-ui/PointCloudObjectTracking"
            },
            "TaskTitle": "t",
            "TaskDescription": "d",
            "NumberOfHumanWorkersPerDataObject": 1,
            "TaskTimeLimitInSeconds": 3600,
            "TaskAvailabilityLifetimeInSeconds": 18000,
        },
    }
