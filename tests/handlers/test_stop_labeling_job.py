"""stop_labeling_job and abandoned_execution: an abandoned labeling job is stopped only if this execution made it.

SageMaker and Step Functions are botocore Stubbers (requests checked against the real API models); SNS is moto.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import abandoned_execution
import boto3
import pytest
import stop_labeling_job
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.stub import Stubber
from moto import mock_aws
from sagemaker_stub import describe_response, minimal_request, stubbed_sagemaker

from gt3d_core.errors import AwsTransientError, InvalidRequestError
from gt3d_core.names import EXECUTION_TAG_KEY

REGION = "us-east-1"
EXECUTION = "exec-1"
JOB = "gt3d-ot-20240517093005-ab12"
WORKFLOW_EXECUTION = f"arn:aws:states:{REGION}:123456789012:execution:gt3d-workflow:{EXECUTION}"


def _job(status: str, owner: str | None = EXECUTION) -> dict[str, Any]:
    request = minimal_request(JOB, REGION)
    if owner is not None:
        request["Tags"] = [{"Key": EXECUTION_TAG_KEY, "Value": owner}]
    return describe_response(request, region=REGION, status=status)


@pytest.fixture
def sagemaker(monkeypatch: pytest.MonkeyPatch) -> Iterator[Stubber]:
    with stubbed_sagemaker(REGION) as (client, stubber):
        monkeypatch.setattr(stop_labeling_job, "_sagemaker_client", lambda: client)
        yield stubber


def _stop(lambda_context: LambdaContext) -> dict[str, Any]:
    return stop_labeling_job.handler({"job_name": JOB, "execution_name": EXECUTION}, lambda_context)


def test_given_a_running_job_of_this_execution_when_stopped_then_ground_truth_is_asked_to_stop_it(
    sagemaker: Stubber, lambda_context: LambdaContext
) -> None:
    sagemaker.add_response("describe_labeling_job", _job("InProgress"), {"LabelingJobName": JOB})
    sagemaker.add_response("stop_labeling_job", {}, {"LabelingJobName": JOB})

    assert _stop(lambda_context) == {
        "job_name": JOB,
        "status": "Stopping",
        "stopped": True,
        "reason": "the execution ended without the job",
    }


@pytest.mark.parametrize("status", ["Completed", "Failed", "Stopping", "Stopped"])
def test_given_a_finished_job_when_stopped_then_nothing_is_sent(
    sagemaker: Stubber, lambda_context: LambdaContext, status: str
) -> None:
    sagemaker.add_response("describe_labeling_job", _job(status), {"LabelingJobName": JOB})

    result = _stop(lambda_context)

    assert (result["stopped"], result["status"]) == (False, status)


def test_given_a_job_of_another_execution_when_stopped_then_it_is_left_running(
    sagemaker: Stubber, lambda_context: LambdaContext
) -> None:
    # The name was taken by another run (JobNameTakenError): that job is not this execution's to stop.
    sagemaker.add_response("describe_labeling_job", _job("InProgress", owner="exec-0"), {"LabelingJobName": JOB})

    result = _stop(lambda_context)

    assert result["stopped"] is False and "exec-0" in result["reason"]


def test_given_no_job_when_stopped_then_it_says_none_was_created(
    sagemaker: Stubber, lambda_context: LambdaContext
) -> None:
    sagemaker.add_client_error("describe_labeling_job", "ResourceNotFound", http_status_code=400)

    assert _stop(lambda_context)["reason"] == "no labeling job was created"


def test_given_the_job_finishing_between_describe_and_stop_when_stopped_then_that_is_reported_not_raised(
    sagemaker: Stubber, lambda_context: LambdaContext
) -> None:
    sagemaker.add_response("describe_labeling_job", _job("InProgress"), {"LabelingJobName": JOB})
    sagemaker.add_client_error("stop_labeling_job", "ValidationException", http_status_code=400)

    assert _stop(lambda_context)["stopped"] is False


def test_given_throttling_when_stopped_then_it_is_retried_by_the_state_machine(
    sagemaker: Stubber, lambda_context: LambdaContext
) -> None:
    sagemaker.add_client_error("describe_labeling_job", "ThrottlingException", http_status_code=400)

    with pytest.raises(AwsTransientError):
        _stop(lambda_context)


def test_given_an_event_without_the_execution_when_stopped_then_it_is_refused_before_any_call(
    sagemaker: Stubber, lambda_context: LambdaContext
) -> None:
    with pytest.raises(InvalidRequestError, match="execution_name"):
        stop_labeling_job.handler({"job_name": JOB}, lambda_context)


# --- abandoned_execution (EventBridge target) ----------------------------------------------------------------------


def _status_change(status: str) -> dict[str, Any]:
    return {
        "version": "0",
        "id": "e1",
        "detail-type": "Step Functions Execution Status Change",
        "source": "aws.states",
        "account": "123456789012",
        "time": "2024-05-17T10:00:00Z",
        "region": REGION,
        "resources": [WORKFLOW_EXECUTION],
        "detail": {
            "executionArn": WORKFLOW_EXECUTION,
            "stateMachineArn": f"arn:aws:states:{REGION}:123456789012:stateMachine:gt3d-workflow",
            "name": EXECUTION,
            "status": status,
            "startDate": 1715938205123,
            "stopDate": 1715940000000,
            "input": "{}",
            "output": None,
            "error": "States.Runtime" if status == "FAILED" else None,
            "cause": "boom" if status == "FAILED" else None,
        },
    }


def _exited(event_id: int, state: str, output: dict[str, Any]) -> dict[str, Any]:
    return {
        "timestamp": "2024-05-17T09:31:00Z",
        "type": "TaskStateExited",
        "id": event_id,
        "previousEventId": event_id - 1,
        "stateExitedEventDetails": {"name": state, "output": json.dumps(output)},
    }


@pytest.fixture
def ended(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Stubber, Stubber, Any]]:
    """Stubbed Step Functions and SageMaker, a moto results topic; the handler uses them."""
    with mock_aws(), stubbed_sagemaker(REGION) as (sagemaker, sagemaker_stubber):
        sfn = boto3.client("stepfunctions", region_name=REGION)
        sns = boto3.client("sns", region_name=REGION)
        topic = sns.create_topic(Name="results")["TopicArn"]
        monkeypatch.setenv("RESULTS_TOPIC_ARN", topic)
        monkeypatch.setattr(abandoned_execution, "_clients", lambda: (sfn, sagemaker, sns))
        with Stubber(sfn) as sfn_stubber:
            yield sfn_stubber, sagemaker_stubber, topic
            sfn_stubber.assert_no_pending_responses()


def _history(*events: dict[str, Any]) -> dict[str, Any]:
    return {"events": list(events)}


def _published(topic: str) -> list[tuple[str, dict[str, Any]]]:
    from moto.sns.models import sns_backends

    backend = sns_backends["123456789012"][REGION]
    return [(subject, json.loads(message)) for _, message, subject, _, _ in backend.topics[topic].sent_notifications]


@pytest.mark.parametrize("status", ["ABORTED", "TIMED_OUT", "FAILED"])
def test_given_an_execution_ended_without_its_failure_path_when_handled_then_its_job_is_stopped_and_reported_once(
    ended: tuple[Stubber, Stubber, Any], lambda_context: LambdaContext, status: str
) -> None:
    sfn, sagemaker, topic = ended
    sfn.add_response(
        "get_execution_history",
        _history(_exited(5, "PlanLabelingJob", {"plan": {"job_name": JOB}})),
        {"executionArn": WORKFLOW_EXECUTION, "includeExecutionData": True},
    )
    sagemaker.add_response("describe_labeling_job", _job("InProgress"), {"LabelingJobName": JOB})
    sagemaker.add_response("stop_labeling_job", {}, {"LabelingJobName": JOB})

    result = abandoned_execution.handler(_status_change(status), lambda_context)

    assert result["labeling_job"]["stopped"] is True
    ((subject, message),) = _published(topic)
    assert status.lower().replace("_", " ") in subject
    assert message["Status"] == status and message["LabelingJob"]["job_name"] == JOB


def test_given_an_execution_that_already_reported_its_failure_when_handled_then_nothing_is_published_again(
    ended: tuple[Stubber, Stubber, Any], lambda_context: LambdaContext
) -> None:
    sfn, sagemaker, topic = ended
    sfn.add_response(
        "get_execution_history",
        _history(_exited(5, "PlanLabelingJob", {"plan": {"job_name": JOB}}), _exited(40, "NotifyFailure", {})),
        {"executionArn": WORKFLOW_EXECUTION, "includeExecutionData": True},
    )
    sagemaker.add_response("describe_labeling_job", _job("Stopped"), {"LabelingJobName": JOB})

    result = abandoned_execution.handler(_status_change("FAILED"), lambda_context)

    assert result["notified"] is False
    assert _published(topic) == []


def test_given_an_execution_stopped_before_its_plan_when_handled_then_no_job_is_looked_up_and_the_end_is_reported(
    ended: tuple[Stubber, Stubber, Any], lambda_context: LambdaContext
) -> None:
    sfn, _, topic = ended
    sfn.add_response(
        "get_execution_history", _history(), {"executionArn": WORKFLOW_EXECUTION, "includeExecutionData": True}
    )

    result = abandoned_execution.handler(_status_change("ABORTED"), lambda_context)

    assert result["labeling_job"] is None
    ((_, message),) = _published(topic)
    assert message["LabelingJob"] is None


def test_given_an_event_of_another_kind_when_handled_then_it_is_refused(
    ended: tuple[Stubber, Stubber, Any], lambda_context: LambdaContext
) -> None:
    with pytest.raises(InvalidRequestError, match="Step Functions Execution Status Change"):
        abandoned_execution.handler({"detail-type": "Scheduled Event", "detail": {}}, lambda_context)
