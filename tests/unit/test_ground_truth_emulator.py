"""The emulated Ground Truth: validates CreateLabelingJob like the service, walks jobs to an outcome, writes output.

Requests here are written the way the notebook writes them, independently of the pipeline's request builder, so
the emulator is checked against the notebook and the facts file rather than against the code it will judge.
"""

from __future__ import annotations

import copy
import json
import zlib
from collections.abc import Iterator
from typing import Any
from unittest import mock

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from moto import mock_aws

from gt3d import demo_data, service_model
from gt3d.ground_truth_emulator import DEFAULT_FAILURE_REASON, GroundTruthEmulator
from gt3d.local_run import shared_botocore_loader
from gt3d_core.catalog import TASK_TYPES, TaskType, task_type

REGION = "us-east-1"
BUCKET = "labeling-bucket"
PREFIX = "gt3d-demo/input/"
ACCOUNT = "123456789012"
WORKTEAM = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:workteam/private-crowd/gt3d"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
EXECUTION_ROLE_STATEMENTS = [
    # The documentation's example for built-in task types (sms-security-permission-execution-role.html).
    {"Effect": "Allow", "Action": ["s3:GetBucketLocation", "s3:ListBucket"], "Resource": f"arn:aws:s3:::{BUCKET}"},
    {
        "Effect": "Allow",
        "Action": ["s3:AbortMultipartUpload", "s3:GetObject", "s3:PutObject"],
        "Resource": f"arn:aws:s3:::{BUCKET}/*",
    },
    {
        "Effect": "Allow",
        "Action": [
            "cloudwatch:PutMetricData",
            "logs:CreateLogStream",
            "logs:CreateLogGroup",
            "logs:DescribeLogStreams",
            "logs:PutLogEvents",
        ],
        "Resource": "*",
    },
]
CORS = {
    "CORSRules": [
        {
            "AllowedHeaders": ["*"],
            "AllowedMethods": ["GET", "HEAD", "PUT"],
            "AllowedOrigins": ["*"],
            "ExposeHeaders": ["Access-Control-Allow-Origin"],
            "MaxAgeSeconds": 3000,
        }
    ]
}


@pytest.fixture
def aws() -> Iterator[None]:
    with mock.patch("botocore.session.create_loader", shared_botocore_loader), mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=BUCKET)
        s3.put_bucket_cors(Bucket=BUCKET, CORSConfiguration=CORS)
        target = f"s3://{BUCKET}/{PREFIX}"
        for key, data in demo_data.render().items():
            if key.endswith((".json", ".manifest")):
                data = data.replace(demo_data.DEMO_URI.encode(), target.encode())
            s3.put_object(Bucket=BUCKET, Key=PREFIX + key, Body=data)
        iam = boto3.client("iam")
        iam.create_role(RoleName="gt-role", AssumeRolePolicyDocument=json.dumps(TRUST))
        iam.create_role(RoleName="gt-long-role", AssumeRolePolicyDocument=json.dumps(TRUST), MaxSessionDuration=43200)
        for role in ("gt-role", "gt-long-role"):
            iam.put_role_policy(
                RoleName=role,
                PolicyName="ground-truth",
                PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": EXECUTION_ROLE_STATEMENTS}),
            )
        iam.create_role(
            RoleName="lambda-role", AssumeRolePolicyDocument=json.dumps(TRUST).replace("sagemaker", "lambda")
        )
        yield


@pytest.fixture
def sagemaker() -> Any:
    return boto3.client("sagemaker", region_name=REGION)


def notebook_request(task: TaskType, job_name: str = "demo-job", region: str = REGION) -> dict[str, Any]:
    """Return the notebook's CreateLabelingJob request for ``task`` over the copied demo data."""
    account = {"us-east-1": "432418664414", "us-west-2": "081040173940"}[region]
    return {
        "InputConfig": {
            "DataSource": {"S3DataSource": {"ManifestS3Uri": f"s3://{BUCKET}/{PREFIX}{task.demo_manifest}"}},
            "DataAttributes": {"ContentClassifiers": ["FreeOfPersonallyIdentifiableInformation", "FreeOfAdultContent"]},
        },
        "OutputConfig": {"S3OutputPath": f"s3://{BUCKET}/gt3d-demo/output/"},
        "HumanTaskConfig": {
            "AnnotationConsolidationConfig": {
                "AnnotationConsolidationLambdaArn": f"arn:aws:lambda:{region}:{account}:function:ACS-{task.name}"
            },
            "WorkteamArn": WORKTEAM.replace(REGION, region),
            "PreHumanTaskLambdaArn": f"arn:aws:lambda:{region}:{account}:function:PRE-{task.name}",
            "MaxConcurrentTaskCount": 200,
            "NumberOfHumanWorkersPerDataObject": 1,
            "TaskAvailabilityLifetimeInSeconds": 18000,
            "TaskDescription": "add a task description here",
            "TaskKeywords": ["lidar", "pointcloud"],
            "TaskTimeLimitInSeconds": 3600,
            "TaskTitle": "Add a Task Title Here - This is Displayed to Workers",
            "UiConfig": {"HumanTaskUiArn": f"arn:aws:sagemaker:{region}:394669845002:human-task-ui/{task.ui_name}"},
        },
        "LabelingJobName": job_name,
        "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/gt-role",
        "LabelAttributeName": f"{job_name}-ref" if task.label_attribute_needs_ref else job_name,
        "LabelCategoryConfigS3Uri": f"s3://{BUCKET}/{PREFIX}{task.demo_label_category_config}",
    }


def _read(uri: str) -> bytes:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    body: bytes = boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    return body


def _statuses(sagemaker: Any, name: str, polls: int) -> list[dict[str, Any]]:
    return [sagemaker.describe_labeling_job(LabelingJobName=name) for _ in range(polls)]


def _error(raised: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    error = raised.value.response["Error"]
    return error["Code"], error["Message"]


@pytest.mark.parametrize("task", TASK_TYPES, ids=lambda task: task.name)
def test_given_the_notebook_request_when_the_job_completes_then_the_output_manifest_has_labels_in_the_task_shape(
    aws: None, sagemaker: Any, task: TaskType
) -> None:
    with GroundTruthEmulator(outcome="completed") as emulator:
        arn = sagemaker.create_labeling_job(**notebook_request(task))["LabelingJobArn"]
        descriptions = _statuses(sagemaker, "demo-job", 4)

    assert arn == f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:labeling-job/demo-job"
    assert [d["LabelingJobStatus"] for d in descriptions] == ["Initializing", "InProgress", "Completed", "Completed"]
    final = descriptions[-1]
    assert final["LabelCounters"]["TotalLabeled"] == final["LabelCounters"]["HumanLabeled"] == 1
    output_uri = final["LabelingJobOutput"]["OutputDatasetS3Uri"]
    assert output_uri == f"s3://{BUCKET}/gt3d-demo/output/demo-job/manifests/output/output.manifest"
    assert emulator.requests == [notebook_request(task)]

    attribute = notebook_request(task)["LabelAttributeName"]
    inputs = _read(f"s3://{BUCKET}/{PREFIX}{task.demo_manifest}").decode().splitlines()
    outputs = [json.loads(line) for line in _read(output_uri).decode().splitlines()]
    assert len(outputs) == len(inputs)
    for raw, line in zip(inputs, outputs, strict=True):
        assert {key: line[key] for key in json.loads(raw)} == json.loads(raw)
        metadata = line[f"{attribute}-metadata"]
        assert metadata["job-name"] == "labeling-job/demo-job"
        assert metadata["human-annotated"] == "yes"
        assert ("adjustment-status" in metadata) == task.is_adjustment
        value = line[attribute]
        if task.ui_name == "PointCloudObjectDetection":
            assert metadata["type"] == "groundtruth/point_cloud_object_detection"
            assert value["annotations"] and metadata["class-map"]["0"] == "Car"
        elif task.ui_name == "PointCloudObjectTracking":
            assert metadata["type"] == "groundtruth/point_cloud_object_tracking"
            assert value.endswith("/SeqLabel.json")
            frames = json.loads(_read(value))["tracking-annotations"]
            assert len(frames) == len(metadata["objects"]) == demo_data.FRAME_COUNT
        else:
            assert metadata["type"] == "groundtruth/point_cloud_single_frame_semantic_segmentation"
            mask = zlib.decompress(_read(value))
            assert len(mask) == len(_read(f"s3://{BUCKET}/{PREFIX}frames/0.txt").splitlines())
            assert metadata["color-map"]["0"]["class-name"] == "Background"


def test_given_a_description_then_it_satisfies_the_describe_output_model(aws: None, sagemaker: Any) -> None:
    with GroundTruthEmulator() as emulator:
        sagemaker.create_labeling_job(**notebook_request(task_type("3DPointCloudObjectTracking")))
        for _ in range(3):
            description = emulator.handle("DescribeLabelingJob", {"LabelingJobName": "demo-job"}, REGION)
            shape = service_model.operation_model("sagemaker", "DescribeLabelingJob").output_shape
            assert service_model.validate(shape, description) == []


@pytest.mark.parametrize(
    ("outcome", "statuses", "labeled", "reason"),
    [
        ("failed", ["Initializing", "InProgress", "Failed"], 0, DEFAULT_FAILURE_REASON),
        ("stopped", ["Initializing", "InProgress", "Stopping", "Stopped"], 0, None),
        ("unlabeled", ["Initializing", "InProgress", "Completed"], 0, None),
    ],
)
def test_given_an_outcome_when_polled_then_the_job_walks_to_it(
    aws: None, sagemaker: Any, outcome: Any, statuses: list[str], labeled: int, reason: str | None
) -> None:
    with GroundTruthEmulator(outcome=outcome):
        sagemaker.create_labeling_job(**notebook_request(task_type("3DPointCloudSemanticSegmentation")))
        descriptions = _statuses(sagemaker, "demo-job", len(statuses))

    assert [d["LabelingJobStatus"] for d in descriptions] == statuses
    assert descriptions[-1]["LabelCounters"]["TotalLabeled"] == labeled
    assert descriptions[-1].get("FailureReason") == reason
    if outcome == "unlabeled":
        output = _read(descriptions[-1]["LabelingJobOutput"]["OutputDatasetS3Uri"]).decode()
        assert "demo-job-ref" not in output


def test_given_a_running_job_when_stopped_then_it_goes_through_stopping_to_stopped(aws: None, sagemaker: Any) -> None:
    with GroundTruthEmulator(in_progress_polls=5):
        sagemaker.create_labeling_job(**notebook_request(task_type("3DPointCloudObjectDetection")))
        sagemaker.describe_labeling_job(LabelingJobName="demo-job")
        sagemaker.stop_labeling_job(LabelingJobName="demo-job")
        statuses = [d["LabelingJobStatus"] for d in _statuses(sagemaker, "demo-job", 3)]
        with pytest.raises(ClientError) as raised:
            sagemaker.stop_labeling_job(LabelingJobName="demo-job")

    assert statuses == ["Stopping", "Stopped", "Stopped"]
    assert _error(raised)[0] == "ValidationException"


def test_given_an_unknown_job_when_described_then_resource_not_found(aws: None, sagemaker: Any) -> None:
    with GroundTruthEmulator(), pytest.raises(sagemaker.exceptions.ResourceNotFound):
        sagemaker.describe_labeling_job(LabelingJobName="nobody")


def test_given_a_used_name_in_other_case_when_created_then_resource_in_use(aws: None, sagemaker: Any) -> None:
    task = task_type("3DPointCloudObjectTracking")
    with GroundTruthEmulator() as emulator:
        sagemaker.create_labeling_job(**notebook_request(task, "Demo-Job"))
        with pytest.raises(sagemaker.exceptions.ResourceInUse):
            sagemaker.create_labeling_job(**notebook_request(task, "demo-JOB"))
    assert len(emulator.requests) == 1


def _modified(task_name: str, change: str, value: Any) -> dict[str, Any]:
    request = copy.deepcopy(notebook_request(task_type(task_name)))
    *path, last = change.split(".")
    holder = request
    for part in path:
        holder = holder[part]
    if value is None:
        del holder[last]
    else:
        holder[last] = value
    return request


@pytest.mark.parametrize(
    ("change", "value", "message"),
    [
        ("LabelingJobName", "demo_job", "Member must satisfy regular expression pattern: [a-zA-Z0-9](-*[a-zA-Z0-9])"),
        ("LabelAttributeName", "bad attr-ref", "at 'labelAttributeName' failed to satisfy constraint"),
        (
            "HumanTaskConfig.TaskTitle",
            "x" * 129,
            "'humanTaskConfig.taskTitle' failed to satisfy constraint: Member must "
            "have length less than or equal to 128",
        ),
        ("HumanTaskConfig.TaskDescription", "d" * 256, "have length less than or equal to 255"),
        ("HumanTaskConfig.MaxConcurrentTaskCount", 5001, "have value less than or equal to 5000"),
        ("HumanTaskConfig.TaskKeywords", ["lidar!"], "humanTaskConfig.taskKeywords.1.member"),
        ("RoleArn", "arn:aws:iam::123:role/x" + "y" * 3, "at 'roleArn'"),
    ],
)
def test_given_a_request_breaking_the_api_model_when_created_then_validation_exception_names_the_member(
    aws: None, sagemaker: Any, change: str, value: Any, message: str
) -> None:
    with GroundTruthEmulator() as emulator, pytest.raises(ClientError) as raised:
        sagemaker.create_labeling_job(**_modified("3DPointCloudObjectTracking", change, value))
    code, text = _error(raised)
    assert code == "ValidationException"
    assert text.startswith("1 validation error detected: Value ")
    assert message in text
    assert emulator.requests == [] and emulator.jobs == {}


@pytest.mark.parametrize(
    ("task_name", "change", "value", "message"),
    [
        (
            "3DPointCloudObjectDetection",
            "HumanTaskConfig.UiConfig.HumanTaskUiArn",
            f"arn:aws:sagemaker:{REGION}:394669845002:human-task-ui/3DPointCloudObjectDetection",
            "human-task-ui/PointCloudObjectDetection",
        ),
        (
            "3DPointCloudObjectTracking",
            "HumanTaskConfig.PreHumanTaskLambdaArn",
            "arn:aws:lambda:us-east-1:432418664414:function:PRE-3DPointCloudObjectDetection",
            "AnnotationConsolidationLambdaArn is",
        ),
        (
            "3DPointCloudObjectDetection",
            "HumanTaskConfig.PreHumanTaskLambdaArn",
            "arn:aws:lambda:us-east-1:081040173940:function:PRE-3DPointCloudObjectDetection",
            "function:PRE-3DPointCloudObjectDetection'",
        ),
        (
            "3DPointCloudObjectDetection",
            "HumanTaskConfig.PreHumanTaskLambdaArn",
            "arn:aws:lambda:us-east-1:432418664414:function:PRE-BoundingBox",
            "six 3D point cloud task types",
        ),
        ("3DPointCloudObjectDetection", "LabelAttributeName", "demo-job-ref", "must not end with '-ref'"),
        ("3DPointCloudSemanticSegmentation", "LabelAttributeName", "demo-job", "must end with '-ref'"),
        ("3DPointCloudObjectDetection", "LabelAttributeName", "demo-job-metadata", "must not end with '-metadata'"),
        ("3DPointCloudObjectTracking", "HumanTaskConfig.NumberOfHumanWorkersPerDataObject", 3, "must be 1"),
        ("3DPointCloudObjectTracking", "HumanTaskConfig.TaskTimeLimitInSeconds", 8 * 3600 + 1, "MaxSessionDuration"),
        ("3DPointCloudObjectTracking", "HumanTaskConfig.UiConfig.UiTemplateS3Uri", "s3://b/t.html", "UiTemplateS3Uri"),
        (
            "3DPointCloudObjectTracking",
            "HumanTaskConfig.WorkteamArn",
            f"arn:aws:sagemaker:{REGION}:394669845002:workteam/public-crowd/default",
            "private or vendor",
        ),
        ("3DPointCloudObjectTracking", "RoleArn", f"arn:aws:iam::{ACCOUNT}:role/missing", "does not exist"),
        (
            "3DPointCloudObjectTracking",
            "RoleArn",
            f"arn:aws:iam::{ACCOUNT}:role/lambda-role",
            "sagemaker.amazonaws.com",
        ),
        ("3DPointCloudObjectTracking", "LabelCategoryConfigS3Uri", None, "LabelCategoryConfigS3Uri is required"),
        (
            "3DPointCloudObjectTracking",
            "InputConfig.DataSource.S3DataSource.ManifestS3Uri",
            f"s3://{BUCKET}/{PREFIX}manifests/missing.json",
            "Cannot read the input manifest",
        ),
        (
            "3DPointCloudObjectTracking",
            "LabelCategoryConfigS3Uri",
            f"s3://{BUCKET}/{PREFIX}frames/0.txt",
            "not valid JSON",
        ),
        ("3DPointCloudObjectTracking", "OutputConfig.S3OutputPath", "s3://no-such-bucket/out/", "output bucket"),
        (
            "Adjustment3DPointCloudObjectDetection",
            "LabelCategoryConfigS3Uri",
            f"s3://{BUCKET}/{PREFIX}label-category-config/label-category.json",
            "needs auditLabelAttributeName",
        ),
        (
            "Adjustment3DPointCloudObjectTracking",
            "LabelAttributeName",
            f"{demo_data.PRIOR_JOBS['ot']}-ref",
            "must differ from the audited job's label attribute name",
        ),
    ],
)
def test_given_a_request_breaking_a_ground_truth_rule_when_created_then_validation_exception_says_which(
    aws: None, sagemaker: Any, task_name: str, change: str, value: Any, message: str
) -> None:
    with GroundTruthEmulator() as emulator, pytest.raises(ClientError) as raised:
        sagemaker.create_labeling_job(**_modified(task_name, change, value))
    code, text = _error(raised)
    assert code == "ValidationException"
    assert message in text
    assert emulator.jobs == {}


def test_given_a_long_task_time_limit_when_the_role_allows_12_hours_then_the_job_is_accepted(
    aws: None, sagemaker: Any
) -> None:
    request = _modified("3DPointCloudObjectTracking", "HumanTaskConfig.TaskTimeLimitInSeconds", 12 * 3600)
    request["RoleArn"] = f"arn:aws:iam::{ACCOUNT}:role/gt-long-role"
    with GroundTruthEmulator() as emulator:
        sagemaker.create_labeling_job(**request)
    assert len(emulator.jobs) == 1


def test_given_another_region_when_created_there_then_arns_of_that_region_are_required(aws: None) -> None:
    client = boto3.client("sagemaker", region_name="us-west-2")
    task = task_type("3DPointCloudObjectTracking")
    with GroundTruthEmulator() as emulator:
        with pytest.raises(ClientError, match="needs 'arn:aws:lambda:us-west-2:081040173940"):
            client.create_labeling_job(**notebook_request(task))
        client.create_labeling_job(**notebook_request(task, region="us-west-2"))
    assert next(iter(emulator.jobs.values())).arn.startswith("arn:aws:sagemaker:us-west-2:")


def test_given_a_manifest_referencing_a_missing_frame_when_created_then_it_lists_the_missing_object(
    aws: None, sagemaker: Any
) -> None:
    boto3.client("s3").delete_object(Bucket=BUCKET, Key=f"{PREFIX}frames/7.txt")
    with GroundTruthEmulator(), pytest.raises(ClientError) as raised:
        sagemaker.create_labeling_job(**notebook_request(task_type("3DPointCloudObjectTracking")))
    assert f"s3://{BUCKET}/{PREFIX}frames/7.txt" in _error(raised)[1]


def test_given_a_point_cloud_not_in_its_format_when_created_then_it_is_refused(aws: None, sagemaker: Any) -> None:
    boto3.client("s3").put_object(Bucket=BUCKET, Key=f"{PREFIX}frames/0.txt", Body=b"1 2 3\n")
    with GroundTruthEmulator(), pytest.raises(ClientError, match="is not text/xyzi"):
        sagemaker.create_labeling_job(**notebook_request(task_type("3DPointCloudObjectDetection")))


def test_given_a_bucket_without_cors_when_created_then_a_warning_is_recorded(aws: None, sagemaker: Any) -> None:
    boto3.client("s3").delete_bucket_cors(Bucket=BUCKET)
    with GroundTruthEmulator() as emulator:
        sagemaker.create_labeling_job(**notebook_request(task_type("3DPointCloudObjectDetection")))
    assert any("CORS" in warning for warning in emulator.warnings)


def test_given_no_active_emulator_then_sagemaker_calls_are_not_answered_by_it(aws: None, sagemaker: Any) -> None:
    with GroundTruthEmulator() as emulator:
        sagemaker.create_labeling_job(**notebook_request(task_type("3DPointCloudObjectDetection")))
    with pytest.raises((ClientError, NotImplementedError)):  # moto's SageMaker has no labeling jobs
        sagemaker.describe_labeling_job(LabelingJobName="demo-job")
    assert len(emulator.events) == 1


def test_given_two_emulators_then_only_one_can_be_active() -> None:
    with GroundTruthEmulator(), pytest.raises(RuntimeError), GroundTruthEmulator():
        pass


def test_given_an_unknown_outcome_then_the_emulator_refuses_it() -> None:
    with pytest.raises(ValueError, match="outcome must be one of"):
        GroundTruthEmulator(outcome="maybe")  # type: ignore[arg-type]


def test_given_an_injected_throttle_then_the_next_call_fails_and_the_one_after_succeeds(
    aws: None, sagemaker: Any
) -> None:
    with GroundTruthEmulator() as emulator:
        emulator.inject_fault("CreateLabelingJob", "ThrottlingException")
        with pytest.raises(ClientError) as raised:
            sagemaker.create_labeling_job(**notebook_request(task_type("3DPointCloudObjectTracking")))
        assert _error(raised)[0] == "ThrottlingException" and emulator.jobs == {}
        sagemaker.create_labeling_job(**notebook_request(task_type("3DPointCloudObjectTracking")))
    assert emulator.calls == ["CreateLabelingJob", "CreateLabelingJob"]


def test_given_a_fault_after_success_then_the_job_exists_although_the_call_failed(aws: None) -> None:
    client = boto3.client("sagemaker", region_name=REGION, config=Config(retries={"max_attempts": 0}))
    with GroundTruthEmulator() as emulator:
        emulator.inject_fault("CreateLabelingJob", "InternalFailure", status=500, after_success=True)
        with pytest.raises(ClientError) as raised:
            client.create_labeling_job(**notebook_request(task_type("3DPointCloudObjectTracking")))
        assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
        with pytest.raises(client.exceptions.ResourceInUse):
            client.create_labeling_job(**notebook_request(task_type("3DPointCloudObjectTracking")))
    assert len(emulator.jobs) == 1


def test_given_an_unknown_operation_then_no_fault_can_be_injected() -> None:
    with pytest.raises(ValueError, match="operation must be one of"):
        GroundTruthEmulator().inject_fault("CreateWorkteam", "ThrottlingException")


@pytest.mark.parametrize(
    "action",
    [
        "s3:GetObject",
        "s3:PutObject",
        "s3:ListBucket",
        "s3:GetBucketLocation",
        "cloudwatch:PutMetricData",
        "logs:CreateLogGroup",
        "logs:CreateLogStream",
        "logs:DescribeLogStreams",
        "logs:PutLogEvents",
    ],
)
def test_given_an_execution_role_without_a_documented_permission_when_created_then_refused_naming_it(
    aws: None, sagemaker: Any, action: str
) -> None:
    statements = [
        {**statement, "Action": [name for name in statement["Action"] if name != action]}
        for statement in EXECUTION_ROLE_STATEMENTS
    ]
    boto3.client("iam").put_role_policy(
        RoleName="gt-role",
        PolicyName="ground-truth",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements}),
    )

    with GroundTruthEmulator(), pytest.raises(ClientError) as raised:
        sagemaker.create_labeling_job(**notebook_request(TASK_TYPES[0]))

    assert raised.value.response["Error"]["Code"] == "ValidationException"
    assert action in raised.value.response["Error"]["Message"]
    assert "sms-security-permission-execution-role" in raised.value.response["Error"]["Message"]


def test_given_a_bucket_policy_denying_the_role_when_created_then_refused_naming_the_denied_read(
    aws: None, sagemaker: Any
) -> None:
    deny = {
        "Effect": "Deny",
        "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/gt-role"},
        "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{BUCKET}/*",
    }
    boto3.client("s3").put_bucket_policy(
        Bucket=BUCKET, Policy=json.dumps({"Version": "2012-10-17", "Statement": [deny]})
    )

    with GroundTruthEmulator(), pytest.raises(ClientError, match="s3:GetObject"):
        sagemaker.create_labeling_job(**notebook_request(TASK_TYPES[0]))
