"""Emulated SageMaker Ground Truth: a TEST DOUBLE for the labeling-job API, used by ``gt3d local-run`` and tests.

This is not Ground Truth and never talks to AWS. moto has no labeling-job APIs, so this module answers the three
SageMaker calls the pipeline makes (CreateLabelingJob, DescribeLabelingJob, StopLabelingJob) in-process, by
hooking botocore's event system: every boto3 client created while an emulator is active gets its
``before-call.sagemaker.<Operation>`` answered here, as a real ``ClientError`` when the call is refused. S3 and
IAM reads go through ordinary boto3 clients, i.e. to moto when run inside ``moto.mock_aws``.

CreateLabelingJob is checked the way the service checks it, and stricter where the service would only fail the
job later:

- against botocore's service model: types, required members, lengths, ranges, enums and regex patterns (botocore's
  own client-side validation skips most of these); every violation is listed in one ``ValidationException``;
- against the Ground Truth 3D rules in ``shared/ground-truth-facts.md``: PRE/ACS Lambda ARNs of one 3D task type in
  the caller's region and that region's AWS account; the worker UI ARN of that task type; the ``-ref`` rule and no
  ``-metadata`` suffix; one worker per data object; no automated labeling or public workforce; an execution role
  that exists, trusts ``sagemaker.amazonaws.com`` and, for a task time limit above 8 hours, has a
  MaxSessionDuration of at least 8 hours;
- against the data: the input manifest, the label category file, sequence files, point cloud frames, camera
  images and prior-job outputs exist and parse in the documented formats; adjustment jobs name the audited label
  attribute, which every manifest line carries; the output bucket exists;
- a name already used in the account and region, ignoring case, is ``ResourceInUse``.

DescribeLabelingJob then walks Initializing -> InProgress -> the outcome chosen for the emulator:
``completed`` (writes the output manifest at ``<S3OutputPath>/<job>/manifests/output/output.manifest``: the input
lines plus the label attribute and its ``-metadata`` in the task type's output shape), ``failed`` (with a
FailureReason), ``stopped`` (Stopping -> Stopped), or ``unlabeled`` (Completed with TotalLabeled 0).
StopLabelingJob moves a running job to Stopping -> Stopped.
"""

from __future__ import annotations

import copy
import datetime
import hashlib
import json
import struct
import threading
import uuid
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, get_args
from urllib.parse import unquote

import boto3
from botocore.awsrequest import AWSResponse, HTTPHeaders
from botocore.exceptions import ClientError
from botocore.handlers import BUILTIN_HANDLERS

from gt3d import ground_truth_role_rules, service_model
from gt3d.local_iam import acting_as
from gt3d_core.catalog import LAMBDA_ACCOUNTS, LONG_TASK_THRESHOLD_SECONDS, TASK_TYPES, TaskType

Outcome = Literal["completed", "failed", "stopped", "unlabeled"]
OUTCOMES: tuple[Outcome, ...] = get_args(Outcome)

DEFAULT_ACCOUNT_ID = "123456789012"
DEFAULT_FAILURE_REASON = (
    "ClientError: The emulated Ground Truth failed this labeling job because the run asked for outcome 'failed'. "
    "A real job fails like this when, for example, workers cannot load the data objects."
)
EMULATED_OPERATIONS = ("CreateLabelingJob", "DescribeLabelingJob", "StopLabelingJob")
TERMINAL_STATUSES = ("Completed", "Failed", "Stopped")

MAX_TASK_TIME_LIMIT_SECONDS = 30 * 24 * 60 * 60
"""3D task types allow a task time limit of up to 30 days (current API text)."""

_MANIFEST_MAX_LINES = 100_000
_SEQUENCE_MAX_FRAMES = 500
_MAX_IMAGES = 8
_POINT_DIMENSIONS = {"xyz": 3, "xyzi": 4, "xyzrgb": 6, "xyzirgb": 7}
_OUTPUT_TYPES = {
    "PointCloudObjectDetection": "groundtruth/point_cloud_object_detection",
    "PointCloudObjectTracking": "groundtruth/point_cloud_object_tracking",
    "PointCloudSemanticSegmentation": "groundtruth/point_cloud_single_frame_semantic_segmentation",
}
_PALETTE = ("#ffffff", "#2ca02c", "#1f77b4", "#ff7f0e", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f")


class ServiceError(Exception):
    """A refusal the emulator sends back as the service's error response (botocore raises it as ClientError)."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


def _validation(message: str) -> ServiceError:
    return ServiceError("ValidationException", message)


@dataclass
class EmulatedJob:
    """One labeling job the emulator accepted, and where it is in its life."""

    name: str
    arn: str
    region: str
    request: dict[str, Any]
    task: TaskType
    outcome: Outcome
    lines: list[dict[str, Any]]
    label_names: list[str]
    created: datetime.datetime
    modified: datetime.datetime
    reference_code: str
    polls: int = 0
    status: str = "Initializing"
    stop_requested: bool = False
    output_manifest_uri: str | None = None
    written_keys: list[str] = field(default_factory=list)

    @property
    def data_objects(self) -> int:
        """Return how many data objects (manifest lines: frames or sequences) the job labels."""
        return len(self.lines)


@dataclass(frozen=True, slots=True)
class _S3Uri:
    bucket: str
    key: str

    @classmethod
    def parse(cls, uri: str) -> _S3Uri:
        if not uri.startswith("s3://") or "/" not in uri[5:]:
            raise _validation(f"{uri!r} is not an s3://bucket/key URI.")
        bucket, _, key = uri[5:].partition("/")
        return cls(bucket, key)

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


_active: GroundTruthEmulator | None = None
_active_lock = threading.Lock()
_PARAMS_KEY = "gt3d_emulator_params"


def _capture_params(params: Mapping[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
    """Keep the caller's parameters (before serialization) for the before-call hook."""
    if _active is not None and model.name in EMULATED_OPERATIONS:
        context[_PARAMS_KEY] = copy.deepcopy(dict(params))


def _answer(model: Any, context: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
    """Answer an emulated SageMaker call (``None`` lets every other call through to moto or AWS)."""
    emulator = _active
    if emulator is None or model.name not in EMULATED_OPERATIONS:
        return None
    params = context.pop(_PARAMS_KEY, {})
    region = context.get("client_region") or "us-east-1"
    request_id = str(uuid.uuid4())
    try:
        body = emulator.handle(model.name, params, region)
    except ServiceError as error:
        parsed: dict[str, Any] = {
            "Error": {"Code": error.code, "Message": error.message},
            "message": error.message,
            "ResponseMetadata": {"RequestId": request_id, "HTTPStatusCode": error.status, "HTTPHeaders": {}},
        }
        return AWSResponse("", error.status, HTTPHeaders(), None), parsed
    body["ResponseMetadata"] = {"RequestId": request_id, "HTTPStatusCode": 200, "HTTPHeaders": {}, "RetryAttempts": 0}
    return AWSResponse("", 200, HTTPHeaders(), None), body


# Registered once for every botocore session created from now on; inert while no emulator is active.
BUILTIN_HANDLERS.append(("before-parameter-build.sagemaker", _capture_params))
BUILTIN_HANDLERS.append(("before-call.sagemaker", _answer))


def _utc_now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


class GroundTruthEmulator:
    """Test double for the Ground Truth labeling-job API (see the module docstring); active inside ``with``.

    ``outcome`` decides how every job it accepts ends; ``in_progress_polls`` is how many DescribeLabelingJob calls
    see InProgress before that. ``requests`` lists the CreateLabelingJob requests it accepted, ``events`` what
    happened (for progress displays), ``warnings`` what a real job would stumble over without failing.
    """

    def __init__(
        self,
        *,
        outcome: Outcome = "completed",
        in_progress_polls: int = 1,
        account_id: str = DEFAULT_ACCOUNT_ID,
        failure_reason: str = DEFAULT_FAILURE_REASON,
        clock: Callable[[], datetime.datetime] = _utc_now,
        on_event: Callable[[str], None] | None = None,
    ) -> None:
        if outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {', '.join(OUTCOMES)}, not {outcome!r}")
        self.outcome: Outcome = outcome
        self.in_progress_polls = max(0, in_progress_polls)
        self.account_id = account_id
        self.failure_reason = failure_reason
        self.clock = clock
        self.on_event = on_event
        self.jobs: dict[str, EmulatedJob] = {}
        self.calls: list[str] = []
        self.requests: list[dict[str, Any]] = []
        self._faults: dict[str, list[tuple[ServiceError, bool]]] = {}
        self.events: list[str] = []
        self.warnings: list[str] = []
        self._lock = threading.RLock()
        self._data_role: str | None = None

    # --- activation ------------------------------------------------------------------------------------------------
    def __enter__(self) -> GroundTruthEmulator:
        global _active
        with _active_lock:
            if _active is not None:
                raise RuntimeError("another GroundTruthEmulator is already active")
            _active = self
        return self

    def __exit__(self, *_: object) -> None:
        global _active
        with _active_lock:
            if _active is self:
                _active = None

    def final_status(self, name: str, region: str) -> str | None:
        """Return how the job ends as things stand: its terminal status, Stopped once a stop was asked, else its
        current status (None for no such job). Does not advance the job, unlike DescribeLabelingJob."""
        with self._lock:
            job = self.jobs.get(self._key(name, region))
            if job is None:
                return None
            if job.stop_requested and job.status not in TERMINAL_STATUSES:
                return "Stopped"
            return job.status

    # --- fault injection ---------------------------------------------------------------------------------------------
    def inject_fault(
        self,
        operation: str,
        code: str,
        *,
        status: int = 400,
        message: str = "Rate exceeded",
        after_success: bool = False,
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` calls of ``operation`` with an error, before or after doing the work.

        ``after_success`` models a response lost after the service acted (e.g. a 500 once the job exists), the
        case that makes a retried CreateLabelingJob meet its own job.
        """
        if operation not in EMULATED_OPERATIONS:
            raise ValueError(f"operation must be one of {', '.join(EMULATED_OPERATIONS)}")
        faults = self._faults.setdefault(operation, [])
        faults.extend([(ServiceError(code, message, status), after_success)] * times)

    # --- dispatch --------------------------------------------------------------------------------------------------
    def handle(self, operation: str, params: dict[str, Any], region: str) -> dict[str, Any]:
        """Answer one emulated operation, or raise ServiceError as the service would refuse it."""
        with self._lock:
            self.calls.append(operation)
            faults = self._faults.get(operation)
            fault, after_success = faults.pop(0) if faults else (None, False)
            if fault is not None and not after_success:
                raise fault
            errors = service_model.validate(service_model.operation_model("sagemaker", operation).input_shape, params)
            if errors:
                raise _validation(service_model.validation_message(errors))
            # The service's own lookups are not the caller's calls; the job's data is read as its execution role.
            with acting_as(None):
                if operation == "CreateLabelingJob":
                    response = self._create(params, region)
                elif operation == "DescribeLabelingJob":
                    response = self._describe(self._job(params["LabelingJobName"], region))
                else:
                    response = self._stop(self._job(params["LabelingJobName"], region))
            if fault is not None:
                raise fault
            return response

    def _event(self, message: str) -> None:
        self.events.append(message)
        if self.on_event is not None:
            self.on_event(message)

    def _job(self, name: str, region: str) -> EmulatedJob:
        job = self.jobs.get(self._key(name, region))
        if job is None:
            raise ServiceError("ResourceNotFound", f"Could not find labeling job {name!r} in {region}.")
        return job

    @staticmethod
    def _key(name: str, region: str) -> str:
        return f"{region}/{name.lower()}"

    # --- CreateLabelingJob -----------------------------------------------------------------------------------------
    def _create(self, request: dict[str, Any], region: str) -> dict[str, Any]:
        name = request["LabelingJobName"]
        existing = self.jobs.get(self._key(name, region))
        if existing is not None:
            raise ServiceError(
                "ResourceInUse",
                "Job name must be unique within an AWS account and region, and a job with this name already "
                f"exists ({existing.arn})",
            )
        task = self._check_task_configuration(request, region)
        self._check_role(request)
        self._data_role = request["RoleArn"]
        self._check_output(request)
        self._check_role_permissions(request, region)
        lines = self._check_manifest(request, task)
        label_names = self._check_label_categories(request, task, lines)
        now = self.clock()
        arn = f"arn:aws:sagemaker:{region}:{self.account_id}:labeling-job/{name.lower()}"
        job = EmulatedJob(
            name=name,
            arn=arn,
            region=region,
            request=copy.deepcopy(request),
            task=task,
            outcome=self.outcome,
            lines=lines,
            label_names=label_names,
            created=now,
            modified=now,
            reference_code=hashlib.sha256(arn.encode()).hexdigest()[:32],
        )
        self.jobs[self._key(name, region)] = job
        self.requests.append(copy.deepcopy(request))
        self._event(f"CreateLabelingJob accepted {name} ({task.name}, {job.data_objects} data object(s))")
        return {"LabelingJobArn": arn}

    def _check_task_configuration(self, request: dict[str, Any], region: str) -> TaskType:
        config = request["HumanTaskConfig"]
        pre_arn = config["PreHumanTaskLambdaArn"]
        task = next((t for t in TASK_TYPES if pre_arn.endswith(f":function:PRE-{t.name}")), None)
        if task is None:
            raise _validation(
                f"PreHumanTaskLambdaArn {pre_arn} is not a Ground Truth 3D point cloud pre-annotation Lambda "
                "(arn:aws:lambda:<region>:<account>:function:PRE-<TaskType>); this emulator covers the six 3D "
                "point cloud task types only."
            )
        if region not in LAMBDA_ACCOUNTS:
            raise _validation(f"Ground Truth 3D point cloud task types are not available in {region}.")
        expected = {
            "HumanTaskConfig.PreHumanTaskLambdaArn": (pre_arn, task.pre_human_task_lambda_arn(region)),
            "HumanTaskConfig.AnnotationConsolidationConfig.AnnotationConsolidationLambdaArn": (
                config["AnnotationConsolidationConfig"]["AnnotationConsolidationLambdaArn"],
                task.annotation_consolidation_lambda_arn(region),
            ),
            "HumanTaskConfig.UiConfig.HumanTaskUiArn": (
                config["UiConfig"].get("HumanTaskUiArn"),
                task.human_task_ui_arn(region),
            ),
        }
        for member, (found, wanted) in expected.items():
            if found != wanted:
                raise _validation(f"{member} is {found!r}; a {task.name} job in {region} needs {wanted!r}.")
        if config["UiConfig"].get("UiTemplateS3Uri"):
            raise _validation("UiTemplateS3Uri cannot be used with 3D point cloud task types; set HumanTaskUiArn.")
        attribute = request["LabelAttributeName"]
        if attribute.endswith("-metadata"):
            raise _validation(f"LabelAttributeName {attribute!r} must not end with '-metadata'.")
        if task.label_attribute_needs_ref and not attribute.endswith("-ref"):
            raise _validation(f"LabelAttributeName {attribute!r} must end with '-ref' for {task.name}.")
        if not task.label_attribute_needs_ref and attribute.endswith("-ref"):
            raise _validation(f"LabelAttributeName {attribute!r} must not end with '-ref' for {task.name}.")
        if config["NumberOfHumanWorkersPerDataObject"] != 1:
            raise _validation("NumberOfHumanWorkersPerDataObject must be 1 for 3D point cloud task types.")
        if request.get("LabelingJobAlgorithmsConfig"):
            raise _validation("Automated data labeling is not supported for 3D point cloud task types.")
        if config.get("PublicWorkforceTaskPrice") or ":workteam/public-crowd/" in config["WorkteamArn"]:
            raise _validation("3D point cloud task types need a private or vendor work team, not the public one.")
        if f":sagemaker:{region}:" not in config["WorkteamArn"]:
            raise _validation(f"WorkteamArn {config['WorkteamArn']} is not a work team in {region}.")
        if config["TaskTimeLimitInSeconds"] > MAX_TASK_TIME_LIMIT_SECONDS:
            raise _validation(
                f"TaskTimeLimitInSeconds {config['TaskTimeLimitInSeconds']} exceeds "
                f"{MAX_TASK_TIME_LIMIT_SECONDS} seconds (30 days)."
            )
        if "S3DataSource" not in request["InputConfig"]["DataSource"]:
            raise _validation("InputConfig.DataSource.S3DataSource.ManifestS3Uri is required for this task type.")
        if not request.get("LabelCategoryConfigS3Uri"):
            raise _validation("LabelCategoryConfigS3Uri is required for 3D point cloud task types.")
        return task

    def _check_role(self, request: dict[str, Any]) -> None:
        role_arn = request["RoleArn"]
        role_name = role_arn.rsplit("/", 1)[-1]
        try:
            role = boto3.client("iam").get_role(RoleName=role_name)["Role"]
        except ClientError as error:
            raise _validation(f"Could not assume role {role_arn}: the role does not exist.") from error
        if role.get("Arn") != role_arn:
            raise _validation(f"Could not assume role {role_arn}: no role has this ARN (found {role.get('Arn')}).")
        trust = role.get("AssumeRolePolicyDocument") or {}
        if isinstance(trust, str):
            trust = json.loads(unquote(trust))
        if not _trusts_service(trust, "sagemaker.amazonaws.com"):
            raise _validation(
                f"Could not assume role {role_arn}. Ensure that the role exists and allows principal "
                "sagemaker.amazonaws.com to assume the role."
            )
        limit = request["HumanTaskConfig"]["TaskTimeLimitInSeconds"]
        session = int(role.get("MaxSessionDuration", 3600))
        if limit > LONG_TASK_THRESHOLD_SECONDS and session < LONG_TASK_THRESHOLD_SECONDS:
            raise _validation(
                f"TaskTimeLimitInSeconds is {limit} (more than 8 hours), so the execution role's MaxSessionDuration "
                f"must be at least {LONG_TASK_THRESHOLD_SECONDS} seconds; role {role_name} allows {session}."
            )

    def _check_role_permissions(self, request: dict[str, Any], region: str) -> None:
        missing = ground_truth_role_rules.missing_permissions(request, region=region, account=self.account_id)
        if missing:
            raise _validation(
                f"The execution role {request['RoleArn']} does not allow what Ground Truth needs for this job: "
                f"{'; '.join(missing)}. See {ground_truth_role_rules.EXECUTION_ROLE_DOC}."
            )

    def _s3(self) -> Any:
        """Return an S3 client acting as the execution role of the job at hand, as Ground Truth reads and writes."""
        with acting_as(self._data_role):
            return boto3.client("s3")

    def _read(self, uri: _S3Uri, what: str) -> bytes:
        try:
            body = self._s3().get_object(Bucket=uri.bucket, Key=uri.key)["Body"]
            data: bytes = body.read()
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            raise _validation(f"Cannot read the {what} {uri} ({code}).") from error
        return data

    def _read_json(self, uri: _S3Uri, what: str) -> Any:
        try:
            return json.loads(self._read(uri, what))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise _validation(f"The {what} {uri} is not valid JSON: {error}.") from error

    def _check_manifest(self, request: dict[str, Any], task: TaskType) -> list[dict[str, Any]]:
        uri = _S3Uri.parse(request["InputConfig"]["DataSource"]["S3DataSource"]["ManifestS3Uri"])
        try:
            text = self._read(uri, "input manifest").decode("utf-8")
        except UnicodeDecodeError as error:
            raise _validation(f"The input manifest {uri} is not UTF-8.") from error
        lines: list[dict[str, Any]] = []
        for number, raw in enumerate(text.splitlines(), start=1):
            if not raw.strip():
                continue
            try:
                line = json.loads(raw)
            except json.JSONDecodeError as error:
                raise _validation(
                    f"Line {number} of the input manifest {uri} is not a JSON object: {error}."
                ) from error
            if not isinstance(line, dict) or not isinstance(line.get("source-ref"), str):
                raise _validation(f"Line {number} of the input manifest {uri} has no 'source-ref' string.")
            lines.append(line)
        if not lines or len(lines) > _MANIFEST_MAX_LINES:
            raise _validation(
                f"The input manifest {uri} must have 1 to {_MANIFEST_MAX_LINES} lines; it has {len(lines)}."
            )
        referenced: dict[str, str] = {}
        point_clouds: dict[str, str] = {}
        for number, line in enumerate(lines, start=1):
            where = f"line {number} of the input manifest"
            for found in _s3_strings(line):
                referenced.setdefault(found, where)
            if task.uses_sequences:
                sequence_uri = _S3Uri.parse(line["source-ref"])
                sequence = self._read_json(sequence_uri, f"sequence file (from {where})")
                for frame_uri, frame_format in self._check_sequence(sequence, sequence_uri):
                    point_clouds.setdefault(frame_uri, frame_format)
                for found in _s3_strings(sequence):
                    referenced.setdefault(found, f"sequence file {sequence_uri}")
                for found, _ in _sequence_references(sequence):
                    referenced.setdefault(found, f"sequence file {sequence_uri}")
            else:
                metadata = line.get("source-ref-metadata")
                if not isinstance(metadata, dict) or not isinstance(metadata.get("unix-timestamp"), int | float):
                    raise _validation(f"{where.capitalize()} needs source-ref-metadata with a numeric unix-timestamp.")
                point_clouds.setdefault(line["source-ref"], _point_format(metadata.get("format"), line["source-ref"]))
                for found in _image_references(metadata, metadata.get("prefix"), where):
                    referenced.setdefault(found, where)
        missing = [uri for uri in referenced if uri not in point_clouds and not self._exists(_S3Uri.parse(uri))]
        missing += [uri for uri in point_clouds if not self._exists(_S3Uri.parse(uri))]
        if missing:
            shown = ", ".join(missing[:5])
            raise _validation(
                f"{len(missing)} object(s) referenced by the input manifest {uri} do not exist: {shown}"
                + (" ..." if len(missing) > 5 else "")
            )
        for cloud, cloud_format in point_clouds.items():
            self._check_point_cloud(_S3Uri.parse(cloud), cloud_format)
        return lines

    def _check_sequence(self, sequence: Any, uri: _S3Uri) -> Iterator[tuple[str, str]]:
        if not isinstance(sequence, dict) or not isinstance(sequence.get("frames"), list):
            raise _validation(f"The sequence file {uri} has no 'frames' list.")
        frames = sequence["frames"]
        if not 1 <= len(frames) <= _SEQUENCE_MAX_FRAMES:
            raise _validation(f"The sequence file {uri} must have 1 to {_SEQUENCE_MAX_FRAMES} frames.")
        if sequence.get("number-of-frames") != len(frames):
            raise _validation(f"In the sequence file {uri}, number-of-frames does not equal the number of frames.")
        if not isinstance(sequence.get("seq-no"), int):
            raise _validation(f"The sequence file {uri} needs an integer 'seq-no'.")
        previous = None
        for index, frame in enumerate(frames):
            stamp = frame.get("unix-timestamp") if isinstance(frame, dict) else None
            if not isinstance(stamp, int | float) or not isinstance(frame.get("frame"), str):
                raise _validation(f"Frame {index} of the sequence file {uri} needs 'frame' and 'unix-timestamp'.")
            if previous is not None and stamp <= previous:
                raise _validation(f"In the sequence file {uri}, unix-timestamps must increase (frame {index}).")
            previous = stamp
        for found, frame_format in _sequence_references(sequence):
            if frame_format is not None:
                yield found, frame_format

    def _check_point_cloud(self, uri: _S3Uri, cloud_format: str) -> int:
        encoding, _, fields = cloud_format.partition("/")
        dimensions = _POINT_DIMENSIONS[fields]
        data = self._read(uri, "point cloud")
        if encoding == "binary":
            if len(data) % (4 * dimensions):
                raise _validation(f"The point cloud {uri} is not packed {cloud_format} (size {len(data)} bytes).")
            return len(data) // (4 * dimensions)
        count = 0
        for number, row in enumerate(data.decode("utf-8", errors="replace").splitlines(), start=1):
            values = row.split()
            if not values:
                continue
            try:
                parsed = [float(value) for value in values]
            except ValueError:
                parsed = []
            if len(parsed) != dimensions:
                raise _validation(f"Line {number} of the point cloud {uri} is not {cloud_format}: {row[:60]!r}.")
            count += 1
        return count

    def _exists(self, uri: _S3Uri) -> bool:
        try:
            self._s3().head_object(Bucket=uri.bucket, Key=uri.key)
        except ClientError:
            return False
        return True

    def _check_label_categories(
        self, request: dict[str, Any], task: TaskType, lines: list[dict[str, Any]]
    ) -> list[str]:
        uri = _S3Uri.parse(request["LabelCategoryConfigS3Uri"])
        document = self._read_json(uri, "label category file")
        labels = document.get("labels") if isinstance(document, dict) else None
        if not isinstance(labels, list) or not 1 <= len(labels) <= 30:
            raise _validation(f"The label category file {uri} needs 1 to 30 'labels'.")
        names = [label.get("label") if isinstance(label, dict) else None for label in labels]
        if not all(isinstance(name, str) and 1 <= len(name) <= 16 for name in names) or len(set(names)) != len(names):
            raise _validation(f"The labels in {uri} must be unique strings of 1 to 16 characters.")
        if len(document.get("frameAttributes", [])) > 10:
            raise _validation(f"The label category file {uri} has more than 10 frameAttributes.")
        audited = document.get("auditLabelAttributeName")
        if task.is_adjustment:
            if not isinstance(audited, str) or not audited:
                raise _validation(f"{task.name} needs auditLabelAttributeName in the label category file {uri}.")
            if audited == request["LabelAttributeName"]:
                raise _validation(
                    f"LabelAttributeName {audited!r} must differ from the audited job's label attribute name."
                )
            without = [number for number, line in enumerate(lines, start=1) if audited not in line]
            if without:
                raise _validation(
                    f"auditLabelAttributeName is {audited!r}, but line(s) {without[:10]} of the input manifest "
                    "carry no such label attribute."
                )
        return [str(name) for name in names]

    def _check_output(self, request: dict[str, Any]) -> None:
        output = request["OutputConfig"]["S3OutputPath"]
        if not output.startswith("s3://"):
            raise _validation(f"S3OutputPath {output!r} must be an s3:// URI.")
        bucket = output[5:].split("/", 1)[0]
        try:
            self._s3().head_bucket(Bucket=bucket)
        except ClientError as error:
            raise _validation(f"The output bucket {bucket} does not exist or cannot be accessed.") from error
        try:
            rules = boto3.client("s3").get_bucket_cors(Bucket=bucket).get("CORSRules", [])
        except ClientError:
            rules = []
        if not any("GET" in rule.get("AllowedMethods", []) for rule in rules):
            self.warnings.append(
                f"Bucket {bucket} has no CORS rule allowing GET: the 3D worker UI would not render its data."
            )

    # --- DescribeLabelingJob / StopLabelingJob -----------------------------------------------------------------------
    def _plan(self, job: EmulatedJob) -> list[str]:
        tail = {"completed": ["Completed"], "unlabeled": ["Completed"], "failed": ["Failed"]}
        return (
            ["Initializing"] + ["InProgress"] * self.in_progress_polls + tail.get(job.outcome, ["Stopping", "Stopped"])
        )

    def _advance(self, job: EmulatedJob) -> None:
        if job.status in TERMINAL_STATUSES:
            return
        job.polls += 1
        if job.stop_requested:
            status = "Stopped" if job.status == "Stopping" else "Stopping"
        else:
            plan = self._plan(job)
            status = plan[min(job.polls - 1, len(plan) - 1)]
        if status != job.status:
            self._event(f"labeling job {job.name}: {job.status} -> {status}")
            job.status = status
            job.modified = self.clock()
            if status == "Completed":
                self._write_output(job)

    def _counters(self, job: EmulatedJob) -> dict[str, int]:
        labeled = job.data_objects if job.status == "Completed" and job.outcome == "completed" else 0
        return {
            "TotalLabeled": labeled,
            "HumanLabeled": labeled,
            "MachineLabeled": 0,
            "FailedNonRetryableError": 0,
            "Unlabeled": job.data_objects - labeled,
        }

    def _describe(self, job: EmulatedJob) -> dict[str, Any]:
        self._advance(job)
        request = job.request
        description: dict[str, Any] = {
            "LabelingJobStatus": job.status,
            "LabelCounters": self._counters(job),
            "CreationTime": job.created,
            "LastModifiedTime": job.modified,
            "JobReferenceCode": job.reference_code,
            "LabelingJobName": job.name,
            "LabelingJobArn": job.arn,
            "LabelAttributeName": request["LabelAttributeName"],
            "InputConfig": copy.deepcopy(request["InputConfig"]),
            "OutputConfig": copy.deepcopy(request["OutputConfig"]),
            "RoleArn": request["RoleArn"],
            "HumanTaskConfig": copy.deepcopy(request["HumanTaskConfig"]),
        }
        for optional in ("LabelCategoryConfigS3Uri", "StoppingConditions", "Tags"):
            if optional in request:
                description[optional] = copy.deepcopy(request[optional])
        if job.status == "Failed":
            description["FailureReason"] = self.failure_reason
        if job.status == "Completed" and job.output_manifest_uri:
            description["LabelingJobOutput"] = {"OutputDatasetS3Uri": job.output_manifest_uri}
        return description

    def _stop(self, job: EmulatedJob) -> dict[str, Any]:
        if job.status in TERMINAL_STATUSES:
            raise _validation(f"Labeling job {job.name} is {job.status} and cannot be stopped.")
        if not job.stop_requested:
            job.stop_requested = True
            self._event(f"StopLabelingJob requested for {job.name}")
        return {}

    # --- output ------------------------------------------------------------------------------------------------------
    def _output_prefix(self, job: EmulatedJob) -> _S3Uri:
        path = job.request["OutputConfig"]["S3OutputPath"].rstrip("/")
        bucket, _, prefix = path[5:].partition("/")
        return _S3Uri(bucket, f"{prefix}/{job.name}/" if prefix else f"{job.name}/")

    def _put(self, job: EmulatedJob, uri: _S3Uri, data: bytes) -> str:
        self._data_role = job.request["RoleArn"]
        self._s3().put_object(Bucket=uri.bucket, Key=uri.key, Body=data)
        job.written_keys.append(uri.key)
        return str(uri)

    def _write_output(self, job: EmulatedJob) -> None:
        base = self._output_prefix(job)
        attribute = job.request["LabelAttributeName"]
        audited = self._audited_attribute(job)
        out_lines = []
        for index, line in enumerate(job.lines):
            labeled = dict(line)
            if job.outcome == "completed":
                value, metadata = self._label(job, index, line, base, audited)
                labeled[attribute] = value
                labeled[f"{attribute}-metadata"] = metadata
            out_lines.append(json.dumps(labeled, separators=(",", ":")))
        manifest = _S3Uri(base.bucket, f"{base.key}manifests/output/output.manifest")
        job.output_manifest_uri = self._put(job, manifest, ("\n".join(out_lines) + "\n").encode())
        self._event(f"labeling job {job.name}: wrote {manifest}")

    def _audited_attribute(self, job: EmulatedJob) -> str | None:
        if not job.task.is_adjustment:
            return None
        document = self._read_json(_S3Uri.parse(job.request["LabelCategoryConfigS3Uri"]), "label category file")
        audited = document.get("auditLabelAttributeName")
        return audited if isinstance(audited, str) else None

    def _metadata(self, job: EmulatedJob, **extra: Any) -> dict[str, Any]:
        metadata = {
            **extra,
            "type": _OUTPUT_TYPES[job.task.ui_name],
            "human-annotated": "yes",
            "creation-date": job.modified.strftime("%Y-%m-%dT%H:%M:%S.%f"),
            "job-name": f"labeling-job/{job.name.lower()}",
        }
        if job.task.is_adjustment:
            metadata["adjustment-status"] = "unadjusted"
        return metadata

    def _label(
        self, job: EmulatedJob, index: int, line: dict[str, Any], base: _S3Uri, audited: str | None
    ) -> tuple[Any, dict[str, Any]]:
        class_map = {str(number): name for number, name in enumerate(job.label_names)}
        annotations_prefix = f"{base.key}annotations/consolidated-annotation/output/{index}/"
        prior = line.get(audited) if audited else None
        if job.task.ui_name == "PointCloudObjectDetection":
            if isinstance(prior, dict) and isinstance(prior.get("annotations"), list):
                annotations = copy.deepcopy(prior["annotations"])
            else:
                annotations = [self._cuboid(job, self._centroid(line["source-ref"], line), tracking=False)]
            value = {"annotations": annotations}
            return value, self._metadata(
                job, objects=[{"confidence": 0} for _ in annotations], **{"class-map": class_map}
            )
        if job.task.ui_name == "PointCloudObjectTracking":
            sequence = self._read_json(_S3Uri.parse(line["source-ref"]), "sequence file")
            if isinstance(prior, str):
                labels = self._read_json(_S3Uri.parse(prior), "prior SeqLabel.json")
            else:
                labels = {"tracking-annotations": [self._tracked_frame(job, frame) for frame in sequence["frames"]]}
            uri = self._put(job, _S3Uri(base.bucket, f"{annotations_prefix}SeqLabel.json"), json.dumps(labels).encode())
            objects = [
                {"frame-no": frame.get("frame-no", n), "confidence": []} for n, frame in enumerate(sequence["frames"])
            ]
            return uri, self._metadata(job, objects=objects, **{"class-map": class_map})
        # Semantic segmentation: one class byte per point, zlib-compressed; 0 is the unpainted background.
        if isinstance(prior, str):
            mask = zlib.decompress(self._read(_S3Uri.parse(prior), "prior segmentation mask"))
        else:
            mask = self._segment(line["source-ref"], line)
        uri = self._put(job, _S3Uri(base.bucket, f"{annotations_prefix}{index}.zlib"), zlib.compress(mask))
        color_map = {"0": {"class-name": "Background", "hex-color": _PALETTE[0], "confidence": 0}}
        for number, name in enumerate(job.label_names, start=1):
            color_map[str(number)] = {
                "class-name": name,
                "hex-color": _PALETTE[number % len(_PALETTE)],
                "confidence": 0,
            }
        return uri, self._metadata(job, **{"color-map": color_map})

    def _points(self, source_ref: str, metadata: Mapping[str, Any] | None) -> list[tuple[float, ...]]:
        cloud_format = _point_format((metadata or {}).get("format"), source_ref)
        encoding, _, fields = cloud_format.partition("/")
        dimensions = _POINT_DIMENSIONS[fields]
        data = self._read(_S3Uri.parse(source_ref), "point cloud")
        if encoding == "binary":
            count = len(data) // (4 * dimensions)
            values = struct.unpack(f"<{count * dimensions}f", data[: count * dimensions * 4])
            return [tuple(values[i : i + dimensions]) for i in range(0, len(values), dimensions)]
        return [tuple(float(v) for v in row.split()) for row in data.decode().splitlines() if row.strip()]

    def _centroid(self, source_ref: str, line: Mapping[str, Any]) -> tuple[float, float, float]:
        points = self._points(source_ref, line.get("source-ref-metadata"))
        raised = [p for p in points if p[2] > 0.3] or points or [(0.0, 0.0, 0.0)]
        return tuple(round(sum(p[axis] for p in raised) / len(raised), 3) for axis in range(3))  # type: ignore[return-value]

    def _segment(self, source_ref: str, line: Mapping[str, Any]) -> bytes:
        return bytes(1 if point[2] > 0.3 else 0 for point in self._points(source_ref, line.get("source-ref-metadata")))

    def _cuboid(self, job: EmulatedJob, center: tuple[float, float, float], *, tracking: bool) -> dict[str, Any]:
        cuboid: dict[str, Any] = {
            "label-category-attributes": {},
            "object-name": f"{job.label_names[0]}:1",
            "class-id": 0,
            "center-x": center[0],
            "center-y": center[1],
            "center-z": center[2],
            "length": 4,
            "width": 2,
            "height": 1.6,
            "roll": 0,
            "pitch": 0,
            "yaw": 0,
        }
        if tracking:
            cuboid["object-id"] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{job.arn}/{job.label_names[0]}:1"))
        return cuboid

    def _tracked_frame(self, job: EmulatedJob, frame: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "frame-number": frame.get("frame-no"),
            "frame-name": frame.get("frame"),
            "frame-attributes": {},
            "annotations": [self._cuboid(job, (0.0, 0.0, 0.0), tracking=True)],
        }


def _trusts_service(policy: Mapping[str, Any], service: str) -> bool:
    statements = policy.get("Statement", [])
    for statement in statements if isinstance(statements, list) else [statements]:
        actions = statement.get("Action", [])
        actions = [actions] if isinstance(actions, str) else actions
        principal = statement.get("Principal", {})
        services = principal.get("Service", []) if isinstance(principal, dict) else []
        services = [services] if isinstance(services, str) else services
        if statement.get("Effect") == "Allow" and "sts:AssumeRole" in actions and service in services:
            return True
    return False


def _s3_strings(value: Any) -> Iterator[str]:
    """Yield every ``s3://`` string in a JSON value that names an object (not a prefix ending in ``/``)."""
    if isinstance(value, str):
        if value.startswith("s3://") and not value.endswith("/"):
            yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _s3_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _s3_strings(item)


def _point_format(declared: Any, source: str) -> str:
    if declared is None:
        return "text/xyzi" if source.endswith(".txt") else "binary/xyzi"
    encoding, _, fields = str(declared).partition("/")
    if encoding not in ("binary", "text") or fields not in _POINT_DIMENSIONS:
        raise _validation(
            f"Point cloud format {declared!r} of {source} is not one of binary|text/xyz|xyzi|xyzrgb|xyzirgb."
        )
    return str(declared)


def _image_references(holder: Mapping[str, Any], prefix: Any, where: str) -> Iterator[str]:
    images = holder.get("images", [])
    if not isinstance(images, list) or len(images) > _MAX_IMAGES:
        raise _validation(f"{where.capitalize()} has more than {_MAX_IMAGES} images.")
    for image in images:
        path = image.get("image-path") if isinstance(image, dict) else None
        if not isinstance(path, str):
            raise _validation(f"An image in {where} has no 'image-path'.")
        if path.startswith("s3://"):
            yield path
            continue
        if not isinstance(prefix, str) or not prefix.endswith("/"):
            raise _validation(f"{where.capitalize()} has relative image paths but no 'prefix' ending in '/'.")
        yield prefix + path


def _sequence_references(sequence: Mapping[str, Any]) -> Iterator[tuple[str, str | None]]:
    """Yield ``(uri, point cloud format or None)`` for every frame and image a sequence file references."""
    for index, frame in enumerate(sequence["frames"]):
        prefix = frame.get("prefix") or sequence.get("prefix")
        if not isinstance(prefix, str) or not prefix.endswith("/"):
            raise _validation(f"Frame {index} of sequence {sequence.get('seq-no')} has no 'prefix' ending in '/'.")
        frame_uri = frame["frame"] if frame["frame"].startswith("s3://") else prefix + frame["frame"]
        yield frame_uri, _point_format(frame.get("format"), frame_uri)
        for image in _image_references(frame, prefix, f"frame {index} of sequence {sequence.get('seq-no')}"):
            yield image, None
