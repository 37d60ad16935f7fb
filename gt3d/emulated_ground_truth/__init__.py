"""Emulated SageMaker Ground Truth: a TEST DOUBLE for the labeling-job API, used by ``gt3d local-run`` and tests.

This is not Ground Truth and never talks to AWS. moto has no labeling-job APIs, so this package answers the three
SageMaker calls the pipeline makes (CreateLabelingJob, DescribeLabelingJob, StopLabelingJob) in-process, by
hooking botocore's event system: every boto3 client created while an emulator is active gets its
``before-call.sagemaker.<Operation>`` answered here, as a real ``ClientError`` when the call is refused. S3 and
IAM reads go through ordinary boto3 clients, i.e. to moto when run inside ``moto.mock_aws``.

CreateLabelingJob is checked the way the service checks it, and stricter where the service would only fail the
job later, in this order (each stage refuses with one ``ValidationException`` listing all it found):

1. botocore's service model: types, required members, lengths, ranges, enums and regex patterns (botocore's own
   client-side validation skips most of these); a violation of a member the rules table covers cites its row;
2. the request rows of ``docs/ground-truth-rules.md`` (:mod:`.request_rules`): the task type's built-in Lambdas and
   worker UI, human task settings, label attribute suffixes, tags; then the execution role (it exists, trusts
   ``sagemaker.amazonaws.com``, allows 8-hour sessions for long tasks and what the documentation says it needs);
3. the data rows (:mod:`.data_rules`, :mod:`.label_category_rules`, :mod:`.adjustment_rules`), read as the job's
   execution role: the manifest, sequence files, poses, images, point clouds, the label category file and, for
   adjustment jobs, the audited labels.

Each refusal and each warning names its row (``[IMAGE-FX]``), where (the file and line, or the sequence file and
frame, and the field), the limit and the page it comes from. Warnings of an accepted job land in ``warnings``.
A name already used in the account and region, ignoring case, is ``ResourceInUse``.

DescribeLabelingJob then walks Initializing -> InProgress -> the outcome chosen for the emulator:
``completed`` (writes the output manifest, :mod:`.outputs`), ``failed`` (with a FailureReason), ``stopped``
(Stopping -> Stopped), or ``unlabeled`` (Completed with TotalLabeled 0). StopLabelingJob moves a running job to
Stopping -> Stopped.
"""

from __future__ import annotations

import copy
import datetime
import hashlib
import json
import threading
import uuid
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import unquote

import boto3
from botocore.awsrequest import AWSResponse, HTTPHeaders
from botocore.exceptions import ClientError
from botocore.handlers import BUILTIN_HANDLERS

from gt3d import ground_truth_role_rules, service_model
from gt3d.active_slot import ActiveSlot
from gt3d.emulated_ground_truth import adjustment_rules, data_rules, label_category_rules, request_rules
from gt3d.emulated_ground_truth.errors import ServiceError, validation
from gt3d.emulated_ground_truth.job import OUTCOMES, TERMINAL_STATUSES, EmulatedJob, Outcome
from gt3d.emulated_ground_truth.objects import ObjectStore, S3Uri
from gt3d.emulated_ground_truth.outputs import OutputWriter
from gt3d.emulated_ground_truth.rules import ALL_RULES, Findings, Rule
from gt3d.local_iam import acting_as
from gt3d_core.catalog import TaskType

__all__ = [
    "ALL_RULES",
    "DEFAULT_FAILURE_REASON",
    "EMULATED_OPERATIONS",
    "OUTCOMES",
    "TERMINAL_STATUSES",
    "EmulatedJob",
    "GroundTruthEmulator",
    "Outcome",
    "Rule",
    "ServiceError",
]

DEFAULT_ACCOUNT_ID = "123456789012"
DEFAULT_FAILURE_REASON = (
    "ClientError: The emulated Ground Truth failed this labeling job because the run asked for outcome 'failed'. "
    "A real job fails like this when, for example, workers cannot load the data objects."
)
EMULATED_OPERATIONS = ("CreateLabelingJob", "DescribeLabelingJob", "StopLabelingJob")

_ACTIVE: ActiveSlot[GroundTruthEmulator] = ActiveSlot("GroundTruthEmulator")
_PARAMS_KEY = "gt3d_emulator_params"


def _capture_params(params: Mapping[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
    """Keep the caller's parameters (before serialization) for the before-call hook."""
    if _ACTIVE.current is not None and model.name in EMULATED_OPERATIONS:
        context[_PARAMS_KEY] = copy.deepcopy(dict(params))


def _answer(model: Any, context: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
    """Answer an emulated SageMaker call (``None`` lets every other call through to moto or AWS)."""
    emulator = _ACTIVE.current
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
    """Test double for the Ground Truth labeling-job API (see the package docstring); active inside ``with``.

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
        _ACTIVE.enter(self)
        return self

    def __exit__(self, *_: object) -> None:
        _ACTIVE.leave(self)

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
                raise validation(service_model.validation_message(request_rules.cite_model_violations(errors)))
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
        findings = Findings()
        task = request_rules.task_type(request, region, findings)
        if task is not None:
            request_rules.check_request(request, region, task, findings)
        if task is None:
            raise findings.error()
        findings.raise_refusals()
        role_name, session = self._check_role(request)
        request_rules.check_role_session(request, role_name, session, findings)
        findings.raise_refusals()
        self._data_role = request["RoleArn"]
        warnings = self._check_output(request)
        self._check_role_permissions(request, region)
        job = self._check_data(request, region, task, findings)
        findings.raise_refusals()
        self.jobs[self._key(name, region)] = job
        self.requests.append(copy.deepcopy(request))
        self.warnings.extend([*warnings, *findings.warnings])
        self._event(f"CreateLabelingJob accepted {name} ({task.name}, {job.data_objects} data object(s))")
        return {"LabelingJobArn": job.arn}

    def _check_data(self, request: dict[str, Any], region: str, task: TaskType, findings: Findings) -> EmulatedJob:
        """Return the job the request describes, recording what breaks the data rules in ``findings``."""
        store = ObjectStore(self._s3)
        manifest = _s3_object(request["InputConfig"]["DataSource"]["S3DataSource"]["ManifestS3Uri"])
        lines = data_rules.read_manifest(store, manifest, findings)
        references = data_rules.check_manifest_lines(store, manifest, lines, task, findings)
        categories = label_category_rules.check_label_categories(
            store, _s3_object(request["LabelCategoryConfigS3Uri"]), task, findings
        )
        failing: frozenset[int] = frozenset()
        if task.is_adjustment:
            original = self._labels_of(categories.audited, region)
            failing = adjustment_rules.check_adjustment(
                request, task, manifest, lines, categories, original, references, findings
            )
        references.check(findings)
        now = self.clock()
        arn = f"arn:aws:sagemaker:{region}:{self.account_id}:labeling-job/{request['LabelingJobName'].lower()}"
        return EmulatedJob(
            name=request["LabelingJobName"],
            arn=arn,
            region=region,
            request=copy.deepcopy(request),
            task=task,
            outcome=self.outcome,
            lines=lines,
            label_names=categories.labels,
            created=now,
            modified=now,
            reference_code=hashlib.sha256(arn.encode()).hexdigest()[:32],
            audited=categories.audited,
            failing_lines=failing,
        )

    def _labels_of(self, attribute: str | None, region: str) -> list[str] | None:
        """Return the labels of the latest job this emulator ran with ``attribute`` as its label attribute."""
        jobs = [
            job for job in self.jobs.values() if job.region == region and job.request["LabelAttributeName"] == attribute
        ]
        return max(jobs, key=lambda job: job.created).label_names if jobs else None

    def _check_role(self, request: dict[str, Any]) -> tuple[str, int]:
        """Return the execution role's name and MaxSessionDuration, refusing a role Ground Truth cannot assume."""
        role_arn = request["RoleArn"]
        role_name = role_arn.rsplit("/", 1)[-1]
        try:
            role = boto3.client("iam").get_role(RoleName=role_name)["Role"]
        except ClientError as error:
            raise validation(f"Could not assume role {role_arn}: the role does not exist.") from error
        if role.get("Arn") != role_arn:
            raise validation(f"Could not assume role {role_arn}: no role has this ARN (found {role.get('Arn')}).")
        trust = role.get("AssumeRolePolicyDocument") or {}
        if isinstance(trust, str):
            trust = json.loads(unquote(trust))
        if not _trusts_service(trust, "sagemaker.amazonaws.com"):
            raise validation(
                f"Could not assume role {role_arn}. Ensure that the role exists and allows principal "
                "sagemaker.amazonaws.com to assume the role."
            )
        return role_name, int(role.get("MaxSessionDuration", 3600))

    def _check_role_permissions(self, request: dict[str, Any], region: str) -> None:
        missing = ground_truth_role_rules.missing_permissions(request, region=region, account=self.account_id)
        if missing:
            raise validation(
                f"The execution role {request['RoleArn']} does not allow what Ground Truth needs for this job: "
                f"{'; '.join(missing)}. See {ground_truth_role_rules.EXECUTION_ROLE_DOC}."
            )

    def _s3(self) -> Any:
        """Return an S3 client acting as the execution role of the job at hand, as Ground Truth reads and writes."""
        with acting_as(self._data_role):
            return boto3.client("s3")

    def _check_output(self, request: dict[str, Any]) -> list[str]:
        """Refuse an output bucket the role cannot reach; return a warning when its CORS would break the worker UI."""
        output = S3Uri.parse(request["OutputConfig"]["S3OutputPath"])
        if output is None:
            raise validation(f"S3OutputPath {request['OutputConfig']['S3OutputPath']!r} must be an s3:// URI.")
        try:
            self._s3().head_bucket(Bucket=output.bucket)
        except ClientError as error:
            raise validation(f"The output bucket {output.bucket} does not exist or cannot be accessed.") from error
        try:
            rules = boto3.client("s3").get_bucket_cors(Bucket=output.bucket).get("CORSRules", [])
        except ClientError:
            rules = []
        if any("GET" in rule.get("AllowedMethods", []) for rule in rules):
            return []
        return [f"Bucket {output.bucket} has no CORS rule allowing GET: the 3D worker UI would not render its data."]

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
                self._data_role = job.request["RoleArn"]
                manifest = OutputWriter(job, ObjectStore(self._s3)).write()
                job.output_manifest_uri = str(manifest)
                self._event(f"labeling job {job.name}: wrote {manifest}")

    def _describe(self, job: EmulatedJob) -> dict[str, Any]:
        self._advance(job)
        request = job.request
        description: dict[str, Any] = {
            "LabelingJobStatus": job.status,
            "LabelCounters": job.counters(),
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
            raise validation(f"Labeling job {job.name} is {job.status} and cannot be stopped.")
        if not job.stop_requested:
            job.stop_requested = True
            self._event(f"StopLabelingJob requested for {job.name}")
        return {}


def _s3_object(uri: str) -> S3Uri:
    """Return the object a request's S3 URI names, refusing what this emulator cannot read (e.g. an https:// URI)."""
    parsed = S3Uri.of_object(uri)
    if parsed is None:
        raise validation(f"{uri!r} is not an s3://bucket/key URI.")
    return parsed


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
