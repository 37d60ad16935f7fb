"""create_labeling_job.handler with a Stubber-wrapped SageMaker client: the exact request, retries, errors."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import create_labeling_job
import plan_labeling_job
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber
from fake_context import lambda_context
from sagemaker_stub import (
    EXECUTION_START,
    PLAN_ENVIRONMENT,
    ROLE_ARN,
    describe_response,
    labeling_job_arn,
    stubbed_sagemaker,
    workteam_arn,
)

from gt3d_core.errors import (
    AwsTransientError,
    ConfigurationError,
    InvalidRequestError,
    JobNameTakenError,
    QuotaExceededError,
    UnsupportedRegionError,
)

# Written out from shared/ground-truth-facts.md, not computed by the catalog, so a wrong ARN fails the test.
# (task type, region) -> (HumanTaskUiArn, PreHumanTaskLambdaArn, AnnotationConsolidationLambdaArn)
EXPECTED_ARNS = {
    ("3DPointCloudObjectDetection", "us-east-1"): (
        "arn:aws:sagemaker:us-east-1:394669845002:human-task-ui/PointCloudObjectDetection",
        "arn:aws:lambda:us-east-1:432418664414:function:PRE-3DPointCloudObjectDetection",
        "arn:aws:lambda:us-east-1:432418664414:function:ACS-3DPointCloudObjectDetection",
    ),
    ("3DPointCloudObjectTracking", "us-east-1"): (
        "arn:aws:sagemaker:us-east-1:394669845002:human-task-ui/PointCloudObjectTracking",
        "arn:aws:lambda:us-east-1:432418664414:function:PRE-3DPointCloudObjectTracking",
        "arn:aws:lambda:us-east-1:432418664414:function:ACS-3DPointCloudObjectTracking",
    ),
    ("3DPointCloudSemanticSegmentation", "us-east-1"): (
        "arn:aws:sagemaker:us-east-1:394669845002:human-task-ui/PointCloudSemanticSegmentation",
        "arn:aws:lambda:us-east-1:432418664414:function:PRE-3DPointCloudSemanticSegmentation",
        "arn:aws:lambda:us-east-1:432418664414:function:ACS-3DPointCloudSemanticSegmentation",
    ),
    ("Adjustment3DPointCloudObjectDetection", "us-east-1"): (
        "arn:aws:sagemaker:us-east-1:394669845002:human-task-ui/PointCloudObjectDetection",
        "arn:aws:lambda:us-east-1:432418664414:function:PRE-Adjustment3DPointCloudObjectDetection",
        "arn:aws:lambda:us-east-1:432418664414:function:ACS-Adjustment3DPointCloudObjectDetection",
    ),
    ("Adjustment3DPointCloudObjectTracking", "us-east-1"): (
        "arn:aws:sagemaker:us-east-1:394669845002:human-task-ui/PointCloudObjectTracking",
        "arn:aws:lambda:us-east-1:432418664414:function:PRE-Adjustment3DPointCloudObjectTracking",
        "arn:aws:lambda:us-east-1:432418664414:function:ACS-Adjustment3DPointCloudObjectTracking",
    ),
    ("Adjustment3DPointCloudSemanticSegmentation", "us-east-1"): (
        "arn:aws:sagemaker:us-east-1:394669845002:human-task-ui/PointCloudSemanticSegmentation",
        "arn:aws:lambda:us-east-1:432418664414:function:PRE-Adjustment3DPointCloudSemanticSegmentation",
        "arn:aws:lambda:us-east-1:432418664414:function:ACS-Adjustment3DPointCloudSemanticSegmentation",
    ),
    ("3DPointCloudObjectDetection", "ap-southeast-2"): (
        "arn:aws:sagemaker:ap-southeast-2:394669845002:human-task-ui/PointCloudObjectDetection",
        "arn:aws:lambda:ap-southeast-2:454466003867:function:PRE-3DPointCloudObjectDetection",
        "arn:aws:lambda:ap-southeast-2:454466003867:function:ACS-3DPointCloudObjectDetection",
    ),
    ("3DPointCloudObjectTracking", "ap-southeast-2"): (
        "arn:aws:sagemaker:ap-southeast-2:394669845002:human-task-ui/PointCloudObjectTracking",
        "arn:aws:lambda:ap-southeast-2:454466003867:function:PRE-3DPointCloudObjectTracking",
        "arn:aws:lambda:ap-southeast-2:454466003867:function:ACS-3DPointCloudObjectTracking",
    ),
    ("3DPointCloudSemanticSegmentation", "ap-southeast-2"): (
        "arn:aws:sagemaker:ap-southeast-2:394669845002:human-task-ui/PointCloudSemanticSegmentation",
        "arn:aws:lambda:ap-southeast-2:454466003867:function:PRE-3DPointCloudSemanticSegmentation",
        "arn:aws:lambda:ap-southeast-2:454466003867:function:ACS-3DPointCloudSemanticSegmentation",
    ),
    ("Adjustment3DPointCloudObjectDetection", "ap-southeast-2"): (
        "arn:aws:sagemaker:ap-southeast-2:394669845002:human-task-ui/PointCloudObjectDetection",
        "arn:aws:lambda:ap-southeast-2:454466003867:function:PRE-Adjustment3DPointCloudObjectDetection",
        "arn:aws:lambda:ap-southeast-2:454466003867:function:ACS-Adjustment3DPointCloudObjectDetection",
    ),
    ("Adjustment3DPointCloudObjectTracking", "ap-southeast-2"): (
        "arn:aws:sagemaker:ap-southeast-2:394669845002:human-task-ui/PointCloudObjectTracking",
        "arn:aws:lambda:ap-southeast-2:454466003867:function:PRE-Adjustment3DPointCloudObjectTracking",
        "arn:aws:lambda:ap-southeast-2:454466003867:function:ACS-Adjustment3DPointCloudObjectTracking",
    ),
    ("Adjustment3DPointCloudSemanticSegmentation", "ap-southeast-2"): (
        "arn:aws:sagemaker:ap-southeast-2:394669845002:human-task-ui/PointCloudSemanticSegmentation",
        "arn:aws:lambda:ap-southeast-2:454466003867:function:PRE-Adjustment3DPointCloudSemanticSegmentation",
        "arn:aws:lambda:ap-southeast-2:454466003867:function:ACS-Adjustment3DPointCloudSemanticSegmentation",
    ),
}
# task type -> (label attribute for job "demo-job", manifest key, label category key), from the facts file.
EXPECTED_DATA = {
    "3DPointCloudObjectDetection": (
        "demo-job",
        "manifests/SingleFrame-manifest.json",
        "label-category-config/label-category.json",
    ),
    "3DPointCloudObjectTracking": (
        "demo-job-ref",
        "manifests/OT-manifest-10-frame.json",
        "label-category-config/label-category.json",
    ),
    "3DPointCloudSemanticSegmentation": (
        "demo-job-ref",
        "manifests/SS-manifest.json",
        "label-category-config/label-category.json",
    ),
    "Adjustment3DPointCloudObjectDetection": (
        "demo-job",
        "manifests/OD-adjustment-manifest.json",
        "label-category-config/od-adjustment-label-categories-file.json",
    ),
    "Adjustment3DPointCloudObjectTracking": (
        "demo-job-ref",
        "manifests/OT-adjustment-manifest.json",
        "label-category-config/ot-adjustment-label-categories-file.json",
    ),
    "Adjustment3DPointCloudSemanticSegmentation": (
        "demo-job-ref",
        "manifests/SS-audit-manifest-5-17.json",
        "label-category-config/SS-audit-5-17-updated-manually-created-label-categories-file.json",
    ),
}
INPUT = "s3://gt3d-labeling-bucket/gt3d-demo/input/"
OUTPUT = "s3://gt3d-labeling-bucket/gt3d-demo/output/"


def make_plan(monkeypatch: pytest.MonkeyPatch, execution_input: dict[str, Any]) -> dict[str, Any]:
    """Plan through the real plan handler, as the state machine does before CreateLabelingJob."""
    for name, value in PLAN_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    event = {"input": execution_input, "execution_name": "run-1", "execution_start_time": EXECUTION_START}
    plan: dict[str, Any] = plan_labeling_job.handler(event, lambda_context())
    return plan


def expected_request(task_type: str, region: str) -> dict[str, Any]:
    ui_arn, pre_arn, acs_arn = EXPECTED_ARNS[(task_type, region)]
    label_attribute, manifest, categories = EXPECTED_DATA[task_type]
    return {
        "LabelingJobName": "demo-job",
        "LabelAttributeName": label_attribute,
        "InputConfig": {
            "DataSource": {"S3DataSource": {"ManifestS3Uri": INPUT + manifest}},
            "DataAttributes": {"ContentClassifiers": ["FreeOfPersonallyIdentifiableInformation", "FreeOfAdultContent"]},
        },
        "OutputConfig": {"S3OutputPath": OUTPUT},
        "RoleArn": ROLE_ARN,
        "LabelCategoryConfigS3Uri": INPUT + categories,
        "HumanTaskConfig": {
            "WorkteamArn": workteam_arn(region),
            "UiConfig": {"HumanTaskUiArn": ui_arn},
            "PreHumanTaskLambdaArn": pre_arn,
            "AnnotationConsolidationConfig": {"AnnotationConsolidationLambdaArn": acs_arn},
            "NumberOfHumanWorkersPerDataObject": 1,
            "TaskTitle": "Add a Task Title Here - This is Displayed to Workers",
            "TaskDescription": "add a task description here",
            "TaskKeywords": ["lidar", "pointcloud"],
            "TaskTimeLimitInSeconds": 3600,
            "TaskAvailabilityLifetimeInSeconds": 18000,
            "MaxConcurrentTaskCount": 200,
        },
        "Tags": [{"Key": "gt3d:execution-name", "Value": "run-1"}],
    }


class Harness:
    """The create handler wired to a stubbed client in one region."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, region: str, stubber: Stubber) -> None:
        self.monkeypatch, self.region, self.stubber = monkeypatch, region, stubber

    def plan(self, execution_input: dict[str, Any]) -> dict[str, Any]:
        return make_plan(self.monkeypatch, execution_input)

    def invoke(self, plan: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = create_labeling_job.handler(plan, lambda_context())
        return result


@pytest.fixture
def harness(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[Harness]:
    region: str = getattr(request, "param", "us-east-1")
    monkeypatch.setenv("GROUND_TRUTH_ROLE_ARN", ROLE_ARN)
    monkeypatch.setenv("WORKTEAM_ARN", workteam_arn(region))
    monkeypatch.setenv("AWS_REGION", region)
    with stubbed_sagemaker(region) as (client, stubber):

        def client_for(client_region: str) -> Any:
            assert client_region == region
            return client

        monkeypatch.setattr(create_labeling_job, "_sagemaker_client", client_for)
        yield Harness(monkeypatch, region, stubber)


def demo_job_arn(region: str = "us-east-1") -> str:
    return labeling_job_arn(region, "demo-job")


# --- The request --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("task_type", "harness"), sorted(EXPECTED_ARNS), indirect=["harness"])
def test_given_a_plan_for_each_task_type_and_region_when_creating_then_the_exact_notebook_request_is_sent(
    task_type: str, harness: Harness
) -> None:
    plan = harness.plan({"task_type": task_type, "job_name": "demo-job"})
    job_arn = demo_job_arn(harness.region)
    harness.stubber.add_response(
        "create_labeling_job", {"LabelingJobArn": job_arn}, expected_request(task_type, harness.region)
    )

    result = harness.invoke(plan)

    assert result == {
        "job_name": "demo-job",
        "job_arn": job_arn,
        "label_attribute_name": EXPECTED_DATA[task_type][0],
        "output_manifest_uri": "s3://gt3d-labeling-bucket/gt3d-demo/output/demo-job/manifests/output/output.manifest",
    }


def test_given_human_task_overrides_when_creating_then_they_reach_the_request(harness: Harness) -> None:
    plan = harness.plan(
        {
            "task_type": "3DPointCloudObjectTracking",
            "job_name": "demo-job",
            "human_task": {
                "title": "Track every car",
                "description": "Draw a cuboid around each car in every frame",
                "keywords": ["cars", "tracking"],
                "task_time_limit_seconds": 43200,
                "task_availability_lifetime_seconds": 864000,
                "max_concurrent_task_count": 5,
            },
        }
    )
    expected = expected_request("3DPointCloudObjectTracking", "us-east-1")
    expected["HumanTaskConfig"].update(
        TaskTitle="Track every car",
        TaskDescription="Draw a cuboid around each car in every frame",
        TaskKeywords=["cars", "tracking"],
        TaskTimeLimitInSeconds=43200,
        TaskAvailabilityLifetimeInSeconds=864000,
        MaxConcurrentTaskCount=5,
    )
    harness.stubber.add_response("create_labeling_job", {"LabelingJobArn": demo_job_arn()}, expected)

    assert harness.invoke(plan)["job_name"] == "demo-job"


def test_given_a_derived_job_name_when_creating_then_the_request_uses_it(harness: Harness) -> None:
    plan = harness.plan({"task_type": "3DPointCloudSemanticSegmentation"})
    expected = expected_request("3DPointCloudSemanticSegmentation", "us-east-1")
    expected.update(LabelingJobName="gt3d-ss-20240517093005-4e65", LabelAttributeName="gt3d-ss-20240517093005-4e65-ref")
    arn = labeling_job_arn("us-east-1", "gt3d-ss-20240517093005-4e65")
    harness.stubber.add_response("create_labeling_job", {"LabelingJobArn": arn}, expected)

    result = harness.invoke(plan)

    assert result["output_manifest_uri"] == f"{OUTPUT}gt3d-ss-20240517093005-4e65/manifests/output/output.manifest"


# --- Retries and name clashes ---------------------------------------------------------------------------------------
def test_given_the_job_already_exists_from_this_plan_when_creating_then_the_existing_job_is_returned(
    harness: Harness,
) -> None:
    plan = harness.plan({"task_type": "3DPointCloudObjectTracking", "job_name": "demo-job"})
    request = expected_request("3DPointCloudObjectTracking", "us-east-1")
    harness.stubber.add_client_error(
        "create_labeling_job",
        service_error_code="ResourceInUse",
        service_message="Job name demo-job already exists",
        http_status_code=400,
        expected_params=request,
    )
    harness.stubber.add_response(
        "describe_labeling_job", describe_response(request, region="us-east-1"), {"LabelingJobName": "demo-job"}
    )

    result = harness.invoke(plan)

    assert result["job_arn"] == demo_job_arn()
    assert result["label_attribute_name"] == "demo-job-ref"


@pytest.mark.parametrize(
    ("change", "mentioned"),
    [
        ({"RoleArn": "arn:aws:iam::123456789012:role/someone-else"}, "role"),
        ({"LabelAttributeName": "older-job-ref"}, "label attribute name"),
        ({"InputConfig": {"DataSource": {"S3DataSource": {"ManifestS3Uri": "s3://other/m.json"}}}}, "input manifest"),
        # An earlier run of the same input with the same job_name: its result is not this run's.
        ({"Tags": [{"Key": "gt3d:execution-name", "Value": "an-earlier-run"}]}, "creating execution"),
    ],
)
def test_given_another_job_has_the_name_when_creating_then_job_name_taken_error_says_pick_another(
    harness: Harness, change: dict[str, Any], mentioned: str
) -> None:
    plan = harness.plan({"task_type": "3DPointCloudObjectTracking", "job_name": "demo-job"})
    request = expected_request("3DPointCloudObjectTracking", "us-east-1")
    harness.stubber.add_client_error(
        "create_labeling_job", service_error_code="ResourceInUse", http_status_code=400, expected_params=request
    )
    harness.stubber.add_response(
        "describe_labeling_job",
        {**describe_response(request, region="us-east-1"), **change},
        {"LabelingJobName": "demo-job"},
    )

    with pytest.raises(JobNameTakenError) as raised:
        harness.invoke(plan)

    assert mentioned in str(raised.value)
    assert "job_name" in str(raised.value)


# --- Service errors -------------------------------------------------------------------------------------------------
def test_given_sagemaker_rejects_the_request_when_creating_then_invalid_request_error_carries_its_message(
    harness: Harness,
) -> None:
    plan = harness.plan({"task_type": "3DPointCloudObjectTracking", "job_name": "demo-job"})
    harness.stubber.add_client_error(
        "create_labeling_job",
        service_error_code="ValidationException",
        service_message="Cannot access the input manifest s3://gt3d-labeling-bucket/...",
        http_status_code=400,
    )

    with pytest.raises(InvalidRequestError, match="Cannot access the input manifest") as raised:
        harness.invoke(plan)

    assert isinstance(raised.value.__cause__, ClientError)


@pytest.mark.parametrize(("code", "status"), [("ThrottlingException", 400), ("InternalFailure", 500)])
def test_given_sagemaker_throttles_when_creating_then_aws_transient_error_is_raised_for_a_retry(
    harness: Harness, code: str, status: int
) -> None:
    plan = harness.plan({"task_type": "3DPointCloudObjectTracking", "job_name": "demo-job"})
    harness.stubber.add_client_error("create_labeling_job", service_error_code=code, http_status_code=status)

    with pytest.raises(AwsTransientError):
        harness.invoke(plan)


def test_given_describe_is_throttled_after_a_name_clash_when_creating_then_aws_transient_error_is_raised(
    harness: Harness,
) -> None:
    plan = harness.plan({"task_type": "3DPointCloudObjectTracking", "job_name": "demo-job"})
    harness.stubber.add_client_error("create_labeling_job", service_error_code="ResourceInUse", http_status_code=400)
    harness.stubber.add_client_error(
        "describe_labeling_job", service_error_code="ThrottlingException", http_status_code=400
    )

    with pytest.raises(AwsTransientError):
        harness.invoke(plan)


def test_given_the_job_quota_is_reached_when_creating_then_a_quota_error_says_what_to_do(harness: Harness) -> None:
    plan = harness.plan({"task_type": "3DPointCloudObjectTracking", "job_name": "demo-job"})
    harness.stubber.add_client_error(
        "create_labeling_job",
        service_error_code="ResourceLimitExceeded",
        service_message="Too many active labeling jobs.",
        http_status_code=400,
    )

    with pytest.raises(QuotaExceededError, match=r"Too many active labeling jobs.*quota increase"):
        harness.invoke(plan)


# --- Before any call --------------------------------------------------------------------------------------------------
def test_given_a_tampered_plan_when_creating_then_it_is_rejected_before_calling_sagemaker(harness: Harness) -> None:
    plan = harness.plan({"task_type": "3DPointCloudObjectTracking", "job_name": "demo-job"})
    plan["human_task"]["task_time_limit_seconds"] = 7 * 86400 + 1

    with pytest.raises(InvalidRequestError, match="task_time_limit_seconds"):
        harness.invoke(plan)


@pytest.mark.parametrize("name", ["GROUND_TRUTH_ROLE_ARN", "WORKTEAM_ARN", "AWS_REGION"])
def test_given_a_missing_environment_variable_when_creating_then_configuration_error_names_it(
    harness: Harness, name: str
) -> None:
    plan = harness.plan({"task_type": "3DPointCloudObjectTracking", "job_name": "demo-job"})
    harness.monkeypatch.delenv(name)

    with pytest.raises(ConfigurationError, match=name):
        harness.invoke(plan)


@pytest.mark.parametrize("region", ["sa-east-1", "us-west-1", "eu-north-1"])
def test_given_a_region_without_ground_truth_3d_when_creating_then_unsupported_region_error_is_raised(
    harness: Harness, region: str
) -> None:
    plan = harness.plan({"task_type": "3DPointCloudObjectTracking", "job_name": "demo-job"})
    harness.monkeypatch.setenv("AWS_REGION", region)
    harness.monkeypatch.setenv("WORKTEAM_ARN", workteam_arn(region))

    with pytest.raises(UnsupportedRegionError, match=region):
        harness.invoke(plan)


def test_given_a_work_team_in_another_region_when_creating_then_configuration_error_explains_it(
    harness: Harness,
) -> None:
    plan = harness.plan({"task_type": "3DPointCloudObjectTracking", "job_name": "demo-job"})
    harness.monkeypatch.setenv("WORKTEAM_ARN", workteam_arn("eu-west-1"))

    with pytest.raises(ConfigurationError, match="eu-west-1"):
        harness.invoke(plan)
