"""monitor_labeling_job.handler with a Stubber-wrapped SageMaker client and a fixed clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import monitor_labeling_job
import pytest
from botocore.stub import Stubber
from fake_context import lambda_context
from sagemaker_stub import CREATED, describe_response, minimal_request, stubbed_sagemaker

from gt3d_core.errors import AwsTransientError, InvalidRequestError

REGION = "us-east-1"
REQUEST = minimal_request("demo-job", REGION)
OUTPUT_MANIFEST = "s3://b/out/demo-job/manifests/output/output.manifest"
LABELED = {"TotalLabeled": 3, "HumanLabeled": 3, "MachineLabeled": 0, "FailedNonRetryableError": 0, "Unlabeled": 0}
NOTHING_LABELED = {
    "TotalLabeled": 0,
    "HumanLabeled": 0,
    "MachineLabeled": 0,
    "FailedNonRetryableError": 0,
    "Unlabeled": 3,
}


@pytest.fixture
def stubber(monkeypatch: pytest.MonkeyPatch) -> Iterator[Stubber]:
    with stubbed_sagemaker(REGION) as (client, stubber):
        monkeypatch.setattr(monitor_labeling_job, "_sagemaker_client", lambda: client)
        yield stubber


def age_job(monkeypatch: pytest.MonkeyPatch, age: timedelta) -> None:
    monkeypatch.setattr(monitor_labeling_job, "_utc_now", lambda: CREATED + age)


def reply(stubber: Stubber, status: str, **extra: Any) -> None:
    stubber.add_response(
        "describe_labeling_job",
        describe_response(REQUEST, region=REGION, status=status, **extra),
        {"LabelingJobName": "demo-job"},
    )


def invoke(event: dict[str, Any] | None = None) -> dict[str, Any]:
    result: dict[str, Any] = monitor_labeling_job.handler(
        {"job_name": "demo-job"} if event is None else event, lambda_context()
    )
    return result


@pytest.mark.parametrize(
    ("status", "age", "wait"),
    [
        ("Initializing", timedelta(seconds=20), 30),
        ("InProgress", timedelta(minutes=15), 90),
        ("InProgress", timedelta(days=4), 300),
        ("Stopping", timedelta(hours=2), 300),
    ],
)
def test_given_a_running_job_when_monitored_then_it_is_not_done_and_the_wait_grows_with_its_age(
    stubber: Stubber, monkeypatch: pytest.MonkeyPatch, status: str, age: timedelta, wait: int
) -> None:
    age_job(monkeypatch, age)
    reply(stubber, status)

    result = invoke()

    assert result == {
        "status": status,
        "done": False,
        "succeeded": False,
        "label_counters": {
            "TotalLabeled": 0,
            "HumanLabeled": 0,
            "MachineLabeled": 0,
            "FailedNonRetryableError": 0,
            "Unlabeled": 1,
        },
        "output_manifest_uri": None,
        "failure_reason": None,
        "wait_seconds": wait,
    }


def test_given_a_completed_job_with_labels_when_monitored_then_it_succeeded_with_the_output_manifest(
    stubber: Stubber, monkeypatch: pytest.MonkeyPatch
) -> None:
    age_job(monkeypatch, timedelta(hours=3))
    reply(stubber, "Completed", counters=LABELED, LabelingJobOutput={"OutputDatasetS3Uri": OUTPUT_MANIFEST})

    result = invoke()

    assert result["done"] is True
    assert result["succeeded"] is True
    assert result["label_counters"] == LABELED
    assert result["output_manifest_uri"] == OUTPUT_MANIFEST
    assert result["failure_reason"] is None


def test_given_a_completed_job_with_nothing_labeled_when_monitored_then_it_did_not_succeed_and_says_why(
    stubber: Stubber, monkeypatch: pytest.MonkeyPatch
) -> None:
    age_job(monkeypatch, timedelta(hours=5))
    reply(stubber, "Completed", counters=NOTHING_LABELED)

    result = invoke()

    assert (result["done"], result["succeeded"]) == (True, False)
    assert "no worker labeled" in result["failure_reason"]
    assert "availability lifetime (18000 s)" in result["failure_reason"]


def test_given_a_failed_job_when_monitored_then_the_failure_reason_is_sagemakers(
    stubber: Stubber, monkeypatch: pytest.MonkeyPatch
) -> None:
    age_job(monkeypatch, timedelta(minutes=3))
    reply(stubber, "Failed", FailureReason="ClientError: Access Denied reading s3://b/in/manifest.json")

    result = invoke()

    assert (result["done"], result["succeeded"]) == (True, False)
    assert "Access Denied reading s3://b/in/manifest.json" in result["failure_reason"]


def test_given_a_stopped_job_when_monitored_then_the_reason_says_it_was_stopped(
    stubber: Stubber, monkeypatch: pytest.MonkeyPatch
) -> None:
    age_job(monkeypatch, timedelta(hours=1))
    reply(stubber, "Stopped")

    result = invoke()

    assert (result["done"], result["succeeded"]) == (True, False)
    assert "stopped" in result["failure_reason"]


def test_given_the_job_does_not_exist_when_monitored_then_invalid_request_error_names_it(stubber: Stubber) -> None:
    stubber.add_client_error("describe_labeling_job", service_error_code="ResourceNotFound", http_status_code=400)

    with pytest.raises(InvalidRequestError, match="'demo-job'"):
        invoke()


def test_given_describe_is_throttled_when_monitored_then_aws_transient_error_is_raised(stubber: Stubber) -> None:
    stubber.add_client_error("describe_labeling_job", service_error_code="ThrottlingException", http_status_code=400)

    with pytest.raises(AwsTransientError):
        invoke()


@pytest.mark.parametrize("event", [{}, {"job_name": ""}, {"job_name": "bad_name"}, {"job_name": 7}])
def test_given_a_malformed_event_when_monitored_then_it_is_rejected_before_calling_sagemaker(
    stubber: Stubber, event: dict[str, Any]
) -> None:
    with pytest.raises(InvalidRequestError, match="job_name"):
        invoke(event)
