"""The emulated Ground Truth: validates CreateLabelingJob like the service, walks jobs to an outcome, writes output.

Requests here are written the way the notebook writes them, independently of the pipeline's request builder, so
the emulator is checked against the notebook and the documentation rather than against the code it will judge.
The rules of ``docs/ground-truth-rules.md`` are tested by one parametrized test over the table's row ids (a valid
and an invalid example per row, each creating a job over the demo data in moto); two more tests tie the cases and
the emulator's rules to the table, parsed from the markdown, so the table and the tests cannot drift apart. Nothing
here imports the core's manifest or rules modules.
"""

from __future__ import annotations

import copy
import json
import re
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from unittest import mock

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from moto import mock_aws

from gt3d import demo_data, service_model
from gt3d.emulated_ground_truth import DEFAULT_FAILURE_REASON, GroundTruthEmulator
from gt3d.emulated_ground_truth.rules import ALL_RULES
from gt3d.local_run import shared_botocore_loader
from gt3d_core.catalog import TASK_TYPES, TaskType, task_type

REGION = "us-east-1"
BUCKET = "labeling-bucket"
PREFIX = "gt3d-demo/input/"
ACCOUNT = "123456789012"
RULES_TABLE = Path(__file__).parents[2] / "docs" / "ground-truth-rules.md"
DROP = object()
"""A value that removes the key it is set at."""
OD, OT, SS = "3DPointCloudObjectDetection", "3DPointCloudObjectTracking", "3DPointCloudSemanticSegmentation"
OD_ADJ, OT_ADJ = "Adjustment3DPointCloudObjectDetection", "Adjustment3DPointCloudObjectTracking"
SOURCE = f"s3://{BUCKET}/{PREFIX}"
FRAME_MANIFEST = f"{SOURCE}manifests/SingleFrame-manifest.json"
SEQUENCE = "sequences/seq1.json"
FRAME_CATEGORIES = "label-category-config/label-category.json"
LONG_ROLE = f"arn:aws:iam::{ACCOUNT}:role/gt-long-role"
OTHER_BUCKET = "other-bucket"
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


def _modified(change: str, value: Any) -> dict[str, Any]:
    request = notebook_request(task_type(OT))
    _set(change, value)(request)
    return request


@pytest.mark.parametrize(
    ("change", "value", "message"),
    [
        ("RoleArn", "arn:aws:iam::123:role/x" + "y" * 3, "Value 'arn:aws:iam::123"),
        (
            "HumanTaskConfig.WorkteamArn",
            f"arn:aws:sagemaker:{REGION}:394669845002:workteam/public-crowd/default",
            "private or vendor",
        ),
        ("RoleArn", f"arn:aws:iam::{ACCOUNT}:role/missing", "does not exist"),
        ("RoleArn", f"arn:aws:iam::{ACCOUNT}:role/lambda-role", "sagemaker.amazonaws"),
        ("LabelCategoryConfigS3Uri", DROP, "LabelCategoryConfigS3Uri`: is required"),
        (
            "InputConfig.DataSource.S3DataSource.ManifestS3Uri",
            f"s3://{BUCKET}/{PREFIX}manifests/missing.json",
            "Cannot read the input manifest",
        ),
        ("OutputConfig.S3OutputPath", "s3://no-such-bucket/out/", "output bucket"),
        (
            "InputConfig.DataSource",
            {"SnsDataSource": {"SnsTopicArn": f"arn:aws:sns:{REGION}:{ACCOUNT}:frames"}},
            "no streaming jobs",
        ),
    ],
)
def test_given_a_request_breaking_a_check_outside_the_rules_table_when_created_then_validation_exception_says_which(
    aws: None, sagemaker: Any, change: str, value: Any, message: str
) -> None:
    with GroundTruthEmulator() as emulator, pytest.raises(ClientError) as raised:
        sagemaker.create_labeling_job(**_modified(change, value))
    code, text = _error(raised)
    assert code == "ValidationException"
    assert message in text
    assert _cited(text) == set()
    assert emulator.jobs == {}


# --------------------------------------------------------------------------------------------------------------
# The rules table: one parametrized test over its row ids, a valid and an invalid example per row.

Edit = Callable[[Any], None]
"""A change to a JSON value in place (a manifest line, a sequence file, a label category file, the request)."""


def _rules_table() -> dict[str, str]:
    """Return the table's row ids and their source URLs, parsed from the markdown."""
    rows = re.findall(
        r"^\| `([A-Z0-9-]+)` \|.*?\| (https://docs\.aws\.amazon\.com/\S+) \|", RULES_TABLE.read_text(), re.M
    )
    return dict(rows)


def _cited(text: str) -> set[str]:
    """Return the row ids a message cites (``[IMAGE-FX]``; ``images[0]`` is a field, not a row)."""
    return set(re.findall(r"\[([A-Z][A-Z0-9]*(?:-[A-Z0-9]+)+)\]", text))


def _path(path: str) -> list[str | int]:
    return [int(index) if index else key for key, index in re.findall(r"([^.\[\]]+)|\[(\d+)\]", path)]


def _set(path: str, value: Any) -> Edit:
    """Return an edit that sets the value at a dotted path (``images[0].fx``), or removes it for DROP."""

    def edit(document: Any) -> None:
        *parents, last = _path(path)
        for part in parents:
            document = document[part]
        if value is DROP:
            del document[last]
        else:
            document[last] = copy.deepcopy(value)

    return edit


class Demo:
    """The demo data in the moto bucket, edited in place by a case before its CreateLabelingJob."""

    def __init__(self) -> None:
        self.s3 = boto3.client("s3")

    def read(self, key: str) -> bytes:
        body: bytes = self.s3.get_object(Bucket=BUCKET, Key=PREFIX + key)["Body"].read()
        return body

    def write(self, key: str, data: bytes) -> None:
        self.s3.put_object(Bucket=BUCKET, Key=PREFIX + key, Body=data)

    def edit_json(self, key: str, edit: Edit) -> None:
        document = json.loads(self.read(key))
        edit(document)
        self.write(key, json.dumps(document).encode())

    def edit_lines(self, key: str, edit: Callable[[list[dict[str, Any]]], None]) -> None:
        lines = [json.loads(line) for line in self.read(key).splitlines() if line.strip()]
        edit(lines)
        self.write(key, "".join(json.dumps(line) + "\n" for line in lines).encode())


DataEdit = Callable[[Demo], None]


def line(path: str, value: Any, task: str = OD) -> DataEdit:
    """Set a field of the first line of the task's demo manifest."""
    return lambda demo: demo.edit_lines(task_type(task).demo_manifest, lambda lines: _set(path, value)(lines[0]))


def meta(path: str, value: Any, task: str = OD) -> DataEdit:
    """Set a field of the first frame line's ``source-ref-metadata``."""
    return line(f"source-ref-metadata.{path}", value, task)


def image(field: str, value: Any) -> DataEdit:
    """Set a field of the first frame line's first image."""
    return meta(f"images[0].{field}", value)


def sequence(path: str, value: Any) -> DataEdit:
    """Set a field of the demo sequence file."""
    return lambda demo: demo.edit_json(SEQUENCE, _set(path, value))


def categories(path: str, value: Any, task: str = OD) -> DataEdit:
    """Set a field of the task's demo label category file."""
    return lambda demo: demo.edit_json(task_type(task).demo_label_category_config, _set(path, value))


def manifest_text(text: str, task: str = OD) -> DataEdit:
    """Replace the task's demo manifest with ``text`` (``{line}`` stands for its first line)."""

    def edit(demo: Demo) -> None:
        key = task_type(task).demo_manifest
        demo.write(key, text.replace("{line}", demo.read(key).decode().splitlines()[0]).encode())

    return edit


def put(key: str, data: bytes | str) -> DataEdit:
    return lambda demo: demo.write(key, data.encode() if isinstance(data, str) else data)


def copy_object(source: str, target: str) -> DataEdit:
    return lambda demo: demo.write(target, demo.read(source))


def delete(key: str) -> DataEdit:
    return lambda demo: demo.s3.delete_object(Bucket=BUCKET, Key=PREFIX + key)


def other_bucket_object(key: str, source: str) -> DataEdit:
    def edit(demo: Demo) -> None:
        demo.s3.create_bucket(Bucket=OTHER_BUCKET)
        demo.s3.put_object(Bucket=OTHER_BUCKET, Key=key, Body=demo.read(source))

    return edit


def attributes(count: int, *, free_text: bool = False) -> list[dict[str, Any]]:
    """Return ``count`` attributes with names, descriptions and (unless free text) an enum."""
    enum = {} if free_text else {"enum": ["a", "b"]}
    return [{"name": f"A{n}", "description": "d", "type": "string", **enum} for n in range(count)]


ATTRIBUTE = {"name": "Count", "description": "how many", "type": "number", "minimum": 0, "maximum": 10}
FRAMES_501 = [{"unix-timestamp": 1566861644.75, "frame": "0.txt"}] * 501


@dataclass(frozen=True)
class Case:
    """One example of a row: the data and request changes, and what the emulator must answer."""

    rule: str
    valid: bool
    """Whether the example follows the row (``False``: it breaks it, or tries to)."""
    outcome: Literal["accepted", "refused", "warned"]
    label: str
    task: str = OD
    data: tuple[DataEdit, ...] = ()
    request: tuple[Edit, ...] = ()
    mentions: str = ""
    """Text the refusal or warning must contain (the file, line or frame, field)."""

    def __str__(self) -> str:
        return f"{self.rule}:{'valid' if self.valid else 'invalid'}:{self.label}"


def ok(rule: str, label: str, *data: DataEdit, task: str = OD, request: tuple[Edit, ...] = ()) -> Case:
    return Case(rule, True, "accepted", label, task, data, request)


def refused(
    rule: str, label: str, *data: DataEdit, task: str = OD, request: tuple[Edit, ...] = (), mentions: str = ""
) -> Case:
    return Case(rule, False, "refused", label, task, data, request, mentions)


def warned(
    rule: str, label: str, *data: DataEdit, task: str = OD, request: tuple[Edit, ...] = (), mentions: str = ""
) -> Case:
    return Case(rule, False, "warned", label, task, data, request, mentions)


def req(path: str, value: Any) -> tuple[Edit, ...]:
    return (_set(path, value),)


CASES: tuple[Case, ...] = (
    # Manifests
    ok("MANIFEST-JSON-LINES", "blank lines skipped", manifest_text("{line}\n\n{line}\n")),
    refused(
        "MANIFEST-JSON-LINES",
        "a broken line",
        manifest_text("{line}\n{not json\n"),
        mentions=f"{FRAME_MANIFEST}, line 2",
    ),
    ok("MANIFEST-MAX-LINES", "one line"),
    refused("MANIFEST-MAX-LINES", "no line", manifest_text("\n")),
    ok("MANIFEST-KIND", "sequence manifest for tracking", task=OT),
    refused(
        "MANIFEST-KIND",
        "sequence manifest for detection",
        request=req(
            "InputConfig.DataSource.S3DataSource.ManifestS3Uri", f"{SOURCE}manifests/OT-manifest-10-frame.json"
        ),
    ),
    refused(
        "MANIFEST-KIND",
        "frame manifest for tracking",
        task=OT,
        request=req("InputConfig.DataSource.S3DataSource.ManifestS3Uri", FRAME_MANIFEST),
    ),
    ok("FRAME-SOURCE-REF", "an s3 object"),
    refused("FRAME-SOURCE-REF", "a relative path", line("source-ref", "frames/0.txt"), mentions="field `source-ref`"),
    refused("FRAME-SOURCE-REF", "a prefix", line("source-ref", f"{SOURCE}frames/")),
    ok("FRAME-METADATA", "an object"),
    refused("FRAME-METADATA", "a string", line("source-ref-metadata", "text/xyzi")),
    ok("FRAME-UNIX-TIMESTAMP", "an integer", meta("unix-timestamp", 1566861644)),
    refused("FRAME-UNIX-TIMESTAMP", "a string", meta("unix-timestamp", "1566861644.75")),
    ok("FRAME-PREFIX", "no prefix without images", meta("prefix", DROP), meta("images", DROP)),
    refused("FRAME-PREFIX", "no trailing slash", meta("prefix", f"{SOURCE}frames")),
    refused("FRAME-PREFIX", "images without prefix", meta("prefix", DROP)),
    ok("FRAME-IMAGES-MAX", "8 images", lambda demo: line_images(demo, 8)),
    refused("FRAME-IMAGES-MAX", "9 images", lambda demo: line_images(demo, 9)),
    ok(
        "FRAME-PASS-THROUGH",
        "undocumented key, missing object",
        line("calibration", f"{SOURCE}calibration/missing.json"),
    ),
    Case(
        "FRAME-PASS-THROUGH",
        False,
        "accepted",
        "undocumented metadata key, missing object in another bucket: neither required nor reported",
        data=(meta("lidar-extrinsics", f"s3://{OTHER_BUCKET}/missing.json"),),
    ),
    # Vehicle pose
    ok("POSE-POSITION", "no pose", meta("ego-vehicle-pose", DROP)),
    refused("POSE-POSITION", "no z", meta("ego-vehicle-pose.position.z", DROP)),
    refused(
        "POSE-POSITION",
        "a string z in a sequence frame",
        sequence("frames[0].ego-vehicle-pose.position.z", "0"),
        task=OT,
        mentions=f"{SOURCE}{SEQUENCE}, frames[0], field `ego-vehicle-pose.position`",
    ),
    ok("POSE-HEADING", "a quaternion"),
    refused("POSE-HEADING", "no qw", meta("ego-vehicle-pose.heading.qw", DROP)),
    # Images and calibration
    ok("IMAGE-PATH", "relative to the prefix"),
    refused("IMAGE-PATH", "an s3 URI", image("image-path", f"{SOURCE}frames/images/frame_0_camera_0.jpg")),
    ok("IMAGE-UNIX-TIMESTAMP", "a number"),
    refused("IMAGE-UNIX-TIMESTAMP", "missing", image("unix-timestamp", DROP)),
    ok("IMAGE-FX", "a number"),
    refused(
        "IMAGE-FX",
        "a string",
        image("fx", "80"),
        mentions=f"{FRAME_MANIFEST}, line 1, field `source-ref-metadata.images[0].fx`",
    ),
    refused(
        "IMAGE-FX",
        "missing in a sequence frame",
        sequence("frames[3].images[0].fx", DROP),
        task=OT,
        mentions=f"{SOURCE}{SEQUENCE}, frames[3], field `images[0].fx`",
    ),
    ok("IMAGE-FY", "a number"),
    refused("IMAGE-FY", "missing", image("fy", DROP)),
    ok("IMAGE-CX", "a number"),
    refused("IMAGE-CX", "null", image("cx", None)),
    ok("IMAGE-CY", "a number"),
    refused("IMAGE-CY", "a boolean", image("cy", True)),
    ok("IMAGE-POSITION", "x, y, z"),
    refused("IMAGE-POSITION", "no z", image("position.z", DROP)),
    ok("IMAGE-HEADING", "qx, qy, qz, qw"),
    refused("IMAGE-HEADING", "a string qx", image("heading.qx", "a")),
    ok("IMAGE-DISTORTION", "none given", *(image(name, DROP) for name in ("k1", "k2", "k3", "k4", "p1", "p2", "skew"))),
    refused("IMAGE-DISTORTION", "a string k1", image("k1", "0")),
    ok("IMAGE-CAMERA-MODEL", "fisheye", image("camera-model", "fisheye")),
    ok("IMAGE-CAMERA-MODEL", "default", image("camera-model", DROP)),
    refused("IMAGE-CAMERA-MODEL", "orthographic", image("camera-model", "orthographic")),
    # Sequence manifests and sequence files
    ok("SEQ-SOURCE-REF", "an s3 object", task=OT),
    refused("SEQ-SOURCE-REF", "a relative path", line("source-ref", SEQUENCE, task=OT), task=OT),
    ok("SEQ-FILE-JSON", "an object", task=OT),
    refused("SEQ-FILE-JSON", "a list", put(SEQUENCE, "[1, 2]"), task=OT),
    refused("SEQ-FILE-JSON", "not JSON", put(SEQUENCE, "seq-no: 1"), task=OT),
    ok("SEQ-NO", "zero", sequence("seq-no", 0), task=OT),
    refused("SEQ-NO", "a string", sequence("seq-no", "1"), task=OT),
    ok("SEQ-PREFIX", "ends in a slash", task=OT),
    refused("SEQ-PREFIX", "no trailing slash", sequence("prefix", f"{SOURCE}frames"), task=OT),
    refused("SEQ-PREFIX", "missing", sequence("prefix", DROP), task=OT),
    ok("SEQ-NUMBER-OF-FRAMES", "equal", task=OT),
    refused("SEQ-NUMBER-OF-FRAMES", "one short", sequence("number-of-frames", 9), task=OT),
    ok(
        "SEQ-FRAMES-MAX",
        "one frame",
        lambda demo: demo.edit_json(SEQUENCE, lambda s: s.update(frames=s["frames"][:1], **{"number-of-frames": 1})),
        task=OT,
    ),
    refused("SEQ-FRAMES-MAX", "no frame", sequence("frames", []), sequence("number-of-frames", 0), task=OT),
    refused("SEQ-FRAMES-MAX", "501 frames", sequence("frames", FRAMES_501), sequence("number-of-frames", 501), task=OT),
    ok("SEQ-FRAME-NO", "missing", sequence("frames[0].frame-no", DROP), task=OT),
    warned("SEQ-FRAME-NO", "a string", sequence("frames[0].frame-no", "zero"), task=OT, mentions="frames[0]"),
    ok("SEQ-FRAME-UNIX-TIMESTAMP", "numbers", task=OT),
    refused("SEQ-FRAME-UNIX-TIMESTAMP", "missing", sequence("frames[2].unix-timestamp", DROP), task=OT),
    ok("SEQ-FRAME-ORDER", "equal timestamps", sequence("frames[1].unix-timestamp", demo_data.timestamp(0)), task=OT),
    warned(
        "SEQ-FRAME-ORDER",
        "an earlier timestamp",
        sequence("frames[1].unix-timestamp", demo_data.timestamp(0) - 1),
        task=OT,
        mentions="frames[1], field `unix-timestamp`",
    ),
    ok("SEQ-FRAME-PATH", "relative to the prefix", task=OT),
    refused("SEQ-FRAME-PATH", "an s3 URI", sequence("frames[0].frame", f"{SOURCE}frames/0.txt"), task=OT),
    ok(
        "SEQ-FRAME-PREFIX",
        "images under the frame's prefix, the point cloud under the sequence's",
        sequence("frames[0].prefix", f"{SOURCE}frames/images/"),
        sequence("frames[0].images[0].image-path", "frame_0_camera_0.jpg"),
        task=OT,
    ),
    refused("SEQ-FRAME-PREFIX", "not an s3 URI", sequence("frames[0].prefix", "frames/images/"), task=OT),
    # Point cloud formats
    ok("POINT-CLOUD-FORMAT", "text/xyzi"),
    refused("POINT-CLOUD-FORMAT", "pcd", meta("format", "pcd")),
    ok("POINT-CLOUD-FORMAT-DEFAULT", ".txt without format", meta("format", DROP)),
    warned(
        "POINT-CLOUD-FORMAT-DEFAULT",
        ".pcd without format",
        copy_object("frames/0.txt", "frames/0.pcd"),
        line("source-ref", f"{SOURCE}frames/0.pcd"),
        meta("format", DROP),
    ),
    ok(
        "POINT-CLOUD-BINARY-SIZE",
        "two xyzi points",
        put("frames/0.bin", bytes(32)),
        line("source-ref", f"{SOURCE}frames/0.bin"),
        meta("format", "binary/xyzi"),
    ),
    refused(
        "POINT-CLOUD-BINARY-SIZE",
        "30 bytes of xyzi",
        put("frames/0.bin", bytes(30)),
        line("source-ref", f"{SOURCE}frames/0.bin"),
        meta("format", DROP),
    ),
    # Label category files
    ok("LCC-JSON", "an object"),
    refused("LCC-JSON", "not JSON", put(FRAME_CATEGORIES, "labels: Car")),
    refused("LCC-JSON", "a list", put(FRAME_CATEGORIES, "[]")),
    ok("LCC-DOCUMENT-VERSION", "missing", categories("documentVersion", DROP)),
    warned("LCC-DOCUMENT-VERSION", "another value", categories("documentVersion", "2021-01-01")),
    ok("LCC-LABELS-COUNT", "30 labels", categories("labels", [{"label": f"L{n}"} for n in range(30)])),
    refused("LCC-LABELS-COUNT", "no label", categories("labels", [])),
    refused("LCC-LABELS-COUNT", "31 labels", categories("labels", [{"label": f"L{n}"} for n in range(31)])),
    ok("LCC-LABEL-NAME", "16 characters", categories("labels[2].label", "x" * 16)),
    refused("LCC-LABEL-NAME", "17 characters", categories("labels[2].label", "x" * 17)),
    refused("LCC-LABEL-NAME", "missing", categories("labels[2].label", DROP)),
    ok("LCC-LABEL-UNIQUE", "distinct"),
    refused("LCC-LABEL-UNIQUE", "Car twice", categories("labels[2].label", "Car")),
    ok("LCC-EDITS-ALLOWED", "none", categories("labels[0].editsAllowed", "none")),
    refused("LCC-EDITS-ALLOWED", "some", categories("frameAttributes[0].editsAllowed", "some")),
    ok("LCC-ATTR-NAME-LENGTH", "16 characters", categories("categoryGlobalAttributes[0].name", "x" * 16)),
    refused("LCC-ATTR-NAME-LENGTH", "17 characters", categories("categoryGlobalAttributes[0].name", "x" * 17)),
    refused("LCC-ATTR-NAME-LENGTH", "empty", categories("labels[0].categoryAttributes[0].name", "")),
    ok("LCC-ATTR-NAME-UNIQUE", "distinct"),
    refused(
        "LCC-ATTR-NAME-UNIQUE",
        "a label attribute named like a global one",
        categories("labels[0].categoryAttributes[0].name", "Occlusion"),
    ),
    refused(
        "LCC-ATTR-NAME-UNIQUE",
        "twice in the frame attributes",
        categories("frameAttributes", [*attributes(1), *attributes(1)]),
    ),
    warned(
        "LCC-ATTR-NAME-UNIQUE",
        "two labels with an attribute of the same name",
        categories("labels[1].categoryAttributes", [{"name": "Type", "type": "string", "enum": ["Adult", "Child"]}]),
    ),
    ok("LCC-ATTR-TYPE", "number", categories("frameAttributes", [ATTRIBUTE])),
    refused("LCC-ATTR-TYPE", "boolean", categories("categoryGlobalAttributes[0].type", "boolean")),
    ok("LCC-ATTR-NUMBER-RANGE", "0 to 10", categories("frameAttributes", [ATTRIBUTE])),
    refused(
        "LCC-ATTR-NUMBER-RANGE",
        "no maximum",
        categories("frameAttributes", [{key: value for key, value in ATTRIBUTE.items() if key != "maximum"}]),
    ),
    refused(
        "LCC-ATTR-NUMBER-RANGE", "minimum above maximum", categories("frameAttributes", [{**ATTRIBUTE, "minimum": 11}])
    ),
    refused(
        "LCC-ATTR-NUMBER-RANGE", "a non-integer bound", categories("frameAttributes", [{**ATTRIBUTE, "minimum": 0.5}])
    ),
    ok("LCC-ATTR-ENUM", "a free-text string", categories("categoryGlobalAttributes[0].enum", DROP)),
    refused("LCC-ATTR-ENUM", "11 values", categories("categoryGlobalAttributes[0].enum", [f"v{n}" for n in range(11)])),
    refused("LCC-ATTR-ENUM", "on a number", categories("frameAttributes", [{**ATTRIBUTE, "enum": ["1"]}])),
    ok(
        "LCC-ATTR-DESCRIPTION",
        "none on a label attribute",
        categories("labels[0].categoryAttributes[0].description", DROP),
    ),
    refused("LCC-ATTR-DESCRIPTION", "129 characters", categories("categoryGlobalAttributes[0].description", "d" * 129)),
    ok("LCC-ATTR-IS-REQUIRED", "true", categories("frameAttributes[0].isRequired", True)),
    refused("LCC-ATTR-IS-REQUIRED", "a string", categories("frameAttributes[0].isRequired", "yes")),
    ok("LCC-ATTRS-PER-LABEL", "1 global and 9 own", categories("labels[0].categoryAttributes", attributes(9))),
    refused("LCC-ATTRS-PER-LABEL", "1 global and 10 own", categories("labels[0].categoryAttributes", attributes(10))),
    ok(
        "LCC-FREE-TEXT-PER-LABEL",
        "5 free-text",
        categories("labels[0].categoryAttributes", attributes(5, free_text=True)),
    ),
    refused(
        "LCC-FREE-TEXT-PER-LABEL",
        "6 free-text",
        categories("labels[0].categoryAttributes", attributes(6, free_text=True)),
    ),
    ok("LCC-FRAME-ATTRS-MAX", "10", categories("frameAttributes", attributes(10))),
    refused("LCC-FRAME-ATTRS-MAX", "11", categories("frameAttributes", attributes(11))),
    ok("LCC-FRAME-FREE-TEXT-MAX", "5 free-text", categories("frameAttributes", attributes(5, free_text=True))),
    refused("LCC-FRAME-FREE-TEXT-MAX", "6 free-text", categories("frameAttributes", attributes(6, free_text=True))),
    ok("LCC-FRAME-ATTR-FIELDS", "name, type, description"),
    refused("LCC-FRAME-ATTR-FIELDS", "no description", categories("frameAttributes[0].description", DROP)),
    ok("LCC-INSTRUCTIONS", "none", categories("instructions", DROP)),
    refused("LCC-INSTRUCTIONS", "no full instruction", categories("instructions.fullInstruction", DROP)),
    ok(
        "LCC-INSTRUCTIONS-LENGTH",
        "255 and 2048 characters",
        categories("instructions", {"shortInstruction": "s" * 255, "fullInstruction": "f" * 2048}),
    ),
    refused("LCC-INSTRUCTIONS-LENGTH", "256 characters", categories("instructions.shortInstruction", "s" * 256)),
    ok(
        "LCC-SS-NO-CATEGORY-ATTRS",
        "no label category attributes",
        categories("categoryGlobalAttributes", DROP, SS),
        categories("labels[0].categoryAttributes", DROP, SS),
        task=SS,
    ),
    warned("LCC-SS-NO-CATEGORY-ATTRS", "the detection file", task=SS),
    # Human task settings and the request
    ok("HT-TITLE", "128 characters", request=req("HumanTaskConfig.TaskTitle", "t" * 128)),
    refused("HT-TITLE", "129 characters", request=req("HumanTaskConfig.TaskTitle", "t" * 129)),
    ok("HT-DESCRIPTION", "255 characters", request=req("HumanTaskConfig.TaskDescription", "d" * 255)),
    refused("HT-DESCRIPTION", "two lines", request=req("HumanTaskConfig.TaskDescription", "one\ntwo")),
    ok("HT-KEYWORDS", "5 keywords", request=req("HumanTaskConfig.TaskKeywords", ["a", "b", "c", "d", "e f"])),
    refused("HT-KEYWORDS", "6 keywords", request=req("HumanTaskConfig.TaskKeywords", ["a", "b", "c", "d", "e", "f"])),
    refused("HT-KEYWORDS", "punctuation", request=req("HumanTaskConfig.TaskKeywords", ["lidar!"])),
    ok(
        "HT-TASK-TIME-LIMIT",
        "7 days",
        request=(*req("HumanTaskConfig.TaskTimeLimitInSeconds", 604_800), *req("RoleArn", LONG_ROLE)),
    ),
    refused(
        "HT-TASK-TIME-LIMIT",
        "7 days and a second",
        request=(*req("HumanTaskConfig.TaskTimeLimitInSeconds", 604_801), *req("RoleArn", LONG_ROLE)),
        mentions="604,800",
    ),
    ok("HT-ROLE-SESSION", "8 hours with a 1-hour role", request=req("HumanTaskConfig.TaskTimeLimitInSeconds", 28_800)),
    refused(
        "HT-ROLE-SESSION",
        "8 hours and a second with a 1-hour role",
        request=req("HumanTaskConfig.TaskTimeLimitInSeconds", 28_801),
    ),
    ok(
        "HT-AVAILABILITY-LIFETIME",
        "30 days",
        request=req("HumanTaskConfig.TaskAvailabilityLifetimeInSeconds", 2_592_000),
    ),
    refused(
        "HT-AVAILABILITY-LIFETIME",
        "30 days and a second",
        request=req("HumanTaskConfig.TaskAvailabilityLifetimeInSeconds", 2_592_001),
    ),
    ok("HT-MAX-CONCURRENT", "1000", request=req("HumanTaskConfig.MaxConcurrentTaskCount", 1000)),
    refused("HT-MAX-CONCURRENT", "1001", request=req("HumanTaskConfig.MaxConcurrentTaskCount", 1001)),
    refused("HT-MAX-CONCURRENT", "5001", request=req("HumanTaskConfig.MaxConcurrentTaskCount", 5001)),
    ok("HT-WORKERS-PER-OBJECT", "1"),
    refused("HT-WORKERS-PER-OBJECT", "2", request=req("HumanTaskConfig.NumberOfHumanWorkersPerDataObject", 2)),
    ok("HT-UI-ARN", "the task type's UI"),
    refused(
        "HT-UI-ARN",
        "named after the task type",
        request=req(
            "HumanTaskConfig.UiConfig.HumanTaskUiArn",
            f"arn:aws:sagemaker:{REGION}:394669845002:human-task-ui/3DPointCloudObjectDetection",
        ),
    ),
    refused(
        "HT-UI-ARN",
        "a template instead",
        request=req("HumanTaskConfig.UiConfig", {"UiTemplateS3Uri": f"{SOURCE}t.html"}),
    ),
    ok("HT-LAMBDAS", "PRE and ACS of the task type"),
    refused(
        "HT-LAMBDAS",
        "no PreHumanTaskLambdaArn",
        request=req("HumanTaskConfig.PreHumanTaskLambdaArn", DROP),
        mentions="HumanTaskConfig.PreHumanTaskLambdaArn`: is missing",
    ),
    refused(
        "HT-LAMBDAS",
        "no AnnotationConsolidationConfig",
        request=req("HumanTaskConfig.AnnotationConsolidationConfig", DROP),
    ),
    refused(
        "HT-LAMBDAS",
        "another region's account",
        request=req(
            "HumanTaskConfig.PreHumanTaskLambdaArn",
            "arn:aws:lambda:us-east-1:081040173940:function:PRE-3DPointCloudObjectDetection",
        ),
    ),
    refused(
        "HT-LAMBDAS",
        "another task type's consolidation",
        request=req(
            "HumanTaskConfig.AnnotationConsolidationConfig.AnnotationConsolidationLambdaArn",
            "arn:aws:lambda:us-east-1:432418664414:function:ACS-3DPointCloudObjectTracking",
        ),
    ),
    refused(
        "HT-LAMBDAS",
        "a 2D task type",
        request=(
            *req(
                "HumanTaskConfig.PreHumanTaskLambdaArn",
                "arn:aws:lambda:us-east-1:432418664414:function:PRE-BoundingBox",
            ),
            *req(
                "HumanTaskConfig.AnnotationConsolidationConfig.AnnotationConsolidationLambdaArn",
                "arn:aws:lambda:us-east-1:432418664414:function:ACS-BoundingBox",
            ),
        ),
    ),
    ok("HT-NO-AUTO-LABELING", "none"),
    refused(
        "HT-NO-AUTO-LABELING",
        "an algorithm",
        request=req(
            "LabelingJobAlgorithmsConfig",
            {"LabelingJobAlgorithmSpecificationArn": f"arn:aws:sagemaker:{REGION}:027400017018:algorithm/od"},
        ),
    ),
    # Adjustment jobs
    ok("ADJ-AUDIT-ATTRIBUTE", "given for an adjustment", task=OD_ADJ),
    refused(
        "ADJ-AUDIT-ATTRIBUTE",
        "missing for an adjustment",
        task=OD_ADJ,
        request=req("LabelCategoryConfigS3Uri", f"{SOURCE}{FRAME_CATEGORIES}"),
    ),
    warned("ADJ-AUDIT-ATTRIBUTE", "given for detection", categories("auditLabelAttributeName", "earlier-job")),
    ok("ADJ-LABEL-ATTRIBUTE-DIFFERENT", "different", task=OT_ADJ),
    refused(
        "ADJ-LABEL-ATTRIBUTE-DIFFERENT",
        "the audited one",
        task=OT_ADJ,
        request=req("LabelAttributeName", f"{demo_data.PRIOR_JOBS['ot']}-ref"),
    ),
    ok("ADJ-MANIFEST-LINES", "every line", task=OD_ADJ),
    warned(
        "ADJ-MANIFEST-LINES",
        "a line without it",
        manifest_text(
            '{line}\n{"source-ref": "' + SOURCE + 'frames/1.txt", "source-ref-metadata": '
            '{"unix-timestamp": 1566861644.86}}\n',
            OD_ADJ,
        ),
        task=OD_ADJ,
        mentions="line 2",
    ),
    refused("ADJ-MANIFEST-LINES", "no line", categories("auditLabelAttributeName", "nobody", OD_ADJ), task=OD_ADJ),
    ok("ADJ-AUDIT-REF", "the SeqLabel.json exists", task=OT_ADJ),
    refused(
        "ADJ-AUDIT-REF",
        "the SeqLabel.json is missing",
        delete(f"output/{demo_data.PRIOR_JOBS['ot']}/annotations/consolidated-annotation/output/0/SeqLabel.json"),
        task=OT_ADJ,
        mentions=f"line 1, field `{demo_data.PRIOR_JOBS['ot']}-ref`",
    ),
    ok("ADJ-SAME-LABELS", "the same labels", task=OD_ADJ),
    refused(
        "ADJ-SAME-LABELS",
        "Tree left out",
        categories("labels", [{"label": "Car"}, {"label": "Pedestrian"}], OD_ADJ),
        task=OD_ADJ,
        mentions="Tree",
    ),
    warned(
        "ADJ-SAME-LABELS",
        "Bicycle added",
        categories("labels", [{"label": name} for name in (*demo_data.LABELS, "Bicycle")], OD_ADJ),
        task=OD_ADJ,
        mentions="Bicycle",
    ),
    # Names, tags and request locations
    ok("NAME-JOB", "63 characters", request=(*req("LabelingJobName", "j" * 63), *req("LabelAttributeName", "label"))),
    refused("NAME-JOB", "an underscore", request=req("LabelingJobName", "demo_job")),
    refused("NAME-JOB", "64 characters", request=req("LabelingJobName", "j" * 64)),
    ok("NAME-LABEL-ATTRIBUTE", "-ref for tracking", task=OT),
    refused("NAME-LABEL-ATTRIBUTE", "-ref for detection", request=req("LabelAttributeName", "demo-job-ref")),
    refused("NAME-LABEL-ATTRIBUTE", "no -ref for segmentation", task=SS, request=req("LabelAttributeName", "demo-job")),
    refused("NAME-LABEL-ATTRIBUTE", "-metadata", request=req("LabelAttributeName", "demo-job-metadata")),
    refused("NAME-LABEL-ATTRIBUTE", "a space", request=req("LabelAttributeName", "demo job")),
    ok("NAME-S3-URI", "s3 URIs"),
    refused("NAME-S3-URI", "ftp", request=req("InputConfig.DataSource.S3DataSource.ManifestS3Uri", "ftp://b/m.json")),
    refused("NAME-S3-URI", "1025 characters", request=req("OutputConfig.S3OutputPath", f"s3://{BUCKET}/{'o' * 1010}/")),
    ok("TAG-KEY", "gt3d:execution", request=req("Tags", [{"Key": "gt3d:execution", "Value": "run-1"}])),
    refused("TAG-KEY", "aws: prefix", request=req("Tags", [{"Key": "aws:execution", "Value": "run-1"}])),
    refused("TAG-KEY", "an exclamation mark", request=req("Tags", [{"Key": "run!", "Value": "run-1"}])),
    ok("TAG-VALUE", "empty", request=req("Tags", [{"Key": "gt3d:execution", "Value": ""}])),
    refused("TAG-VALUE", "parentheses", request=req("Tags", [{"Key": "gt3d:execution", "Value": "run(1)"}])),
    # References and locations
    ok("REF-EXISTS", "every frame and image", task=OT),
    refused(
        "REF-EXISTS",
        "a missing sequence frame",
        delete("frames/7.txt"),
        task=OT,
        mentions=f"{SOURCE}{SEQUENCE}, frames[7], field `frame`: {SOURCE}frames/7.txt does not exist",
    ),
    refused("REF-EXISTS", "a missing image", delete("frames/images/frame_0_camera_0.jpg")),
    refused(
        "REF-EXISTS",
        "a frame's prefix is not where its point cloud is",
        sequence("frames[0].prefix", f"{SOURCE}frames/images/"),
        sequence("frames[0].images[0].image-path", "frame_0_camera_0.jpg"),
        copy_object("frames/0.txt", "frames/images/0.txt"),
        delete("frames/0.txt"),
        task=OT,
        mentions=f"{SOURCE}frames/0.txt does not exist",
    ),
    refused("REF-EXISTS", "a missing sequence file", delete(SEQUENCE), task=OT),
    ok("REF-OUTSIDE-SOURCE", "one bucket"),
    warned(
        "REF-OUTSIDE-SOURCE",
        "a point cloud in another bucket",
        other_bucket_object("frames/0.txt", "frames/0.txt"),
        line("source-ref", f"s3://{OTHER_BUCKET}/frames/0.txt"),
        mentions=OTHER_BUCKET,
    ),
)


def line_images(demo: Demo, count: int) -> None:
    """Give the first frame line ``count`` copies of its image."""
    demo.edit_lines(
        task_type(OD).demo_manifest,
        lambda lines: _set("source-ref-metadata.images", lines[0]["source-ref-metadata"]["images"] * count)(lines[0]),
    )


@pytest.mark.parametrize("case", CASES, ids=str)
def test_given_an_example_of_a_rules_table_row_when_created_then_the_emulator_answers_as_the_row_says(
    aws: None, sagemaker: Any, case: Case
) -> None:
    demo = Demo()
    for edit in case.data:
        edit(demo)
    request = notebook_request(task_type(case.task))
    for change in case.request:
        change(request)

    with GroundTruthEmulator() as emulator:
        try:
            sagemaker.create_labeling_job(**request)
            error = None
        except ClientError as raised:
            error = raised.response["Error"]

    citation = rf"\[{re.escape(case.rule)}\] .*?\({re.escape(_rules_table()[case.rule])}\)"
    if case.outcome == "refused":
        assert error is not None, f"accepted; warnings: {emulator.warnings}"
        assert error["Code"] == "ValidationException"
        assert _cited(error["Message"]) == {case.rule}, error["Message"]
        assert re.search(citation, error["Message"], re.S), error["Message"]
        assert case.mentions in error["Message"]
        assert emulator.jobs == {}
        return
    assert error is None, error
    cited = {rule for warning in emulator.warnings for rule in _cited(warning)}
    if case.outcome == "warned":
        assert cited == {case.rule}, emulator.warnings
        assert any(re.search(citation, w, re.S) and case.mentions in w for w in emulator.warnings), emulator.warnings
    else:
        assert cited == set(), emulator.warnings
    assert len(emulator.jobs) == 1


def test_given_the_rules_table_then_every_row_has_a_valid_and_an_invalid_emulator_case() -> None:
    table = _rules_table()
    assert len(table) > 70  # the table parsed
    assert {case.rule for case in CASES} <= set(table)
    for rule in table:
        assert {case.valid for case in CASES if case.rule == rule} == {True, False}, rule


def test_given_the_rules_table_then_the_emulator_enforces_each_row_citing_the_same_page() -> None:
    assert {rule.id: rule.page for rule in ALL_RULES} == _rules_table()


def test_given_an_adjustment_of_a_job_the_emulator_ran_then_the_original_labels_are_that_jobs(
    aws: None, sagemaker: Any
) -> None:
    # The original job labelled with the detection file (Car, Pedestrian, Tree) under attribute "first-pass".
    original = notebook_request(task_type(OD), "first-pass")
    demo = Demo()
    demo.edit_lines(
        task_type(OD_ADJ).demo_manifest,
        lambda lines: lines[0].update({"first-pass": lines[0].pop(demo_data.PRIOR_JOBS["od"])}),
    )
    demo.edit_json(
        task_type(OD_ADJ).demo_label_category_config,
        _set("auditLabelAttributeName", "first-pass"),
    )
    demo.edit_json(task_type(OD_ADJ).demo_label_category_config, _set("labels", [{"label": "Car"}]))

    with GroundTruthEmulator() as emulator:
        sagemaker.create_labeling_job(**original)
        with pytest.raises(ClientError) as raised:
            sagemaker.create_labeling_job(**notebook_request(task_type(OD_ADJ), "adjust"))

    assert _cited(_error(raised)[1]) == {"ADJ-SAME-LABELS"}
    assert "lacks Pedestrian, Tree" in _error(raised)[1]
    assert len(emulator.jobs) == 1


def test_given_adjustment_lines_without_the_audited_attribute_then_they_fail_on_their_own(
    aws: None, sagemaker: Any
) -> None:
    task = task_type(OD_ADJ)
    demo = Demo()
    demo.edit_lines(
        task.demo_manifest,
        lambda lines: lines.append(
            {"source-ref": lines[0]["source-ref"], "source-ref-metadata": {"unix-timestamp": 1}}
        ),
    )

    with GroundTruthEmulator() as emulator:
        sagemaker.create_labeling_job(**notebook_request(task))
        final = _statuses(sagemaker, "demo-job", 3)[-1]

    assert final["LabelingJobStatus"] == "Completed"
    assert final["LabelCounters"]["TotalLabeled"] == 1
    assert final["LabelCounters"]["FailedNonRetryableError"] == 1
    outputs = [json.loads(text) for text in _read(final["LabelingJobOutput"]["OutputDatasetS3Uri"]).splitlines()]
    assert ["demo-job" in output for output in outputs] == [True, False]
    assert [_cited(warning) for warning in emulator.warnings] == [{"ADJ-MANIFEST-LINES"}]


def test_given_a_sequence_frame_with_its_own_prefix_then_only_its_images_are_read_from_it(
    aws: None, sagemaker: Any
) -> None:
    demo = Demo()
    sequence("frames[0].prefix", f"{SOURCE}frames/images/")(demo)
    sequence("frames[0].images[0].image-path", "frame_0_camera_0.jpg")(demo)
    demo.write("frames/images/0.txt", b"not a point cloud\n")  # would be refused if read as the frame

    with GroundTruthEmulator() as emulator:
        sagemaker.create_labeling_job(**notebook_request(task_type(OT)))
        final = _statuses(sagemaker, "demo-job", 3)[-1]

    assert final["LabelCounters"]["TotalLabeled"] == 1
    assert emulator.warnings == []


def test_given_many_broken_lines_then_the_refusal_lists_the_first_ones_and_counts_the_rest(
    aws: None, sagemaker: Any
) -> None:
    broken = {"source-ref": f"{SOURCE}frames/0.txt", "source-ref-metadata": {"unix-timestamp": "now"}}
    Demo().write(task_type(OD).demo_manifest, "".join(json.dumps(broken) + "\n" for _ in range(25)).encode())

    with GroundTruthEmulator(), pytest.raises(ClientError) as raised:
        sagemaker.create_labeling_job(**notebook_request(task_type(OD)))

    text = _error(raised)[1]
    assert text.startswith("25 validation errors detected: [FRAME-UNIX-TIMESTAMP]")
    assert text.count("[FRAME-UNIX-TIMESTAMP]") == 20
    assert text.endswith("; ... and 5 more")


def test_given_another_region_when_created_there_then_arns_of_that_region_are_required(aws: None) -> None:
    client = boto3.client("sagemaker", region_name="us-west-2")
    task = task_type("3DPointCloudObjectTracking")
    with GroundTruthEmulator() as emulator:
        with pytest.raises(ClientError, match="needs 'arn:aws:lambda:us-west-2:081040173940"):
            client.create_labeling_job(**notebook_request(task))
        client.create_labeling_job(**notebook_request(task, region="us-west-2"))
    assert next(iter(emulator.jobs.values())).arn.startswith("arn:aws:sagemaker:us-west-2:")


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
