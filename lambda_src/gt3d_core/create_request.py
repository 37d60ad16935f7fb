"""The CreateLabelingJob request for a plan, its self-check against the table, and what the create step returns.

The request is built from a validated ``$.plan``; before it is sent it is checked against the table rows that
concern the request itself (one worker per object, the task UI, the built-in Lambdas, no automated labeling,
names, URIs and tags), so a regression in the builder fails here with the rule's id, not at SageMaker.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from gt3d_core import catalog
from gt3d_core.display import shorten
from gt3d_core.errors import ConfigurationError, InvalidRequestError, JobNameTakenError
from gt3d_core.labeling_job import LabelingJobPlan
from gt3d_core.names import (
    EXECUTION_TAG_KEY,
    validate_job_name,
    validate_label_attribute_name,
    validate_s3_uri,
    validate_tag,
)
from gt3d_core.rules import HT_LAMBDAS, HT_NO_AUTO_LABELING, HT_UI_ARN, HT_WORKERS_PER_OBJECT, Rule

CONTENT_CLASSIFIERS: Final = ("FreeOfPersonallyIdentifiableInformation", "FreeOfAdultContent")
NUMBER_OF_HUMAN_WORKERS_PER_DATA_OBJECT: Final = 1
"""Ground Truth 3D point cloud jobs accept exactly one worker per data object."""
_ROLE_ARN_RE = re.compile(r"arn:aws[a-z\-]*:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+")
_WORKTEAM_ARN_RE = re.compile(r"arn:aws[a-z\-]*:sagemaker:(?P<region>[a-z0-9\-]*):[0-9]{12}:workteam/.+")


def validate_job_settings(*, region: str, role_arn: str, workteam_arn: str) -> None:
    """Check the create function's environment: a supported region, a role ARN and a work team in that region."""
    catalog.require_supported_region(region)
    if not _ROLE_ARN_RE.fullmatch(role_arn):
        raise ConfigurationError(
            f"GROUND_TRUTH_ROLE_ARN {shorten(role_arn)} is not an IAM role ARN. Redeploy the pipeline stack."
        )
    match = _WORKTEAM_ARN_RE.fullmatch(workteam_arn)
    if not match:
        raise ConfigurationError(
            f"WORKTEAM_ARN {shorten(workteam_arn)} is not a SageMaker work team ARN. Redeploy the pipeline stack."
        )
    if match["region"] != region:
        raise ConfigurationError(
            f"WORKTEAM_ARN {shorten(workteam_arn)} is in {match['region']!r}, but the job runs in {region!r}: a "
            "labeling job needs a work team in its own region. Deploy the workforce stack to the same region."
        )


def build_create_labeling_job_request(
    plan: LabelingJobPlan, *, region: str, role_arn: str, workteam_arn: str
) -> dict[str, Any]:
    """Return the CreateLabelingJob request the notebook sends, for ``plan`` in ``region``."""
    validate_job_settings(region=region, role_arn=role_arn, workteam_arn=workteam_arn)
    task = catalog.task_type(plan.task_type)
    human = plan.human_task
    request: dict[str, Any] = {
        "LabelingJobName": plan.job_name,
        "LabelAttributeName": plan.label_attribute_name,
        "InputConfig": {
            "DataSource": {"S3DataSource": {"ManifestS3Uri": plan.manifest_uri}},
            "DataAttributes": {"ContentClassifiers": list(CONTENT_CLASSIFIERS)},
        },
        "OutputConfig": {"S3OutputPath": plan.output_uri},
        "RoleArn": role_arn,
        "LabelCategoryConfigS3Uri": plan.label_category_config_uri,
        "HumanTaskConfig": {
            "WorkteamArn": workteam_arn,
            "UiConfig": {"HumanTaskUiArn": task.human_task_ui_arn(region)},
            "PreHumanTaskLambdaArn": task.pre_human_task_lambda_arn(region),
            "AnnotationConsolidationConfig": {
                "AnnotationConsolidationLambdaArn": task.annotation_consolidation_lambda_arn(region)
            },
            "NumberOfHumanWorkersPerDataObject": NUMBER_OF_HUMAN_WORKERS_PER_DATA_OBJECT,
            "TaskTitle": human.title,
            "TaskDescription": human.description,
            "TaskKeywords": list(human.keywords),
            "TaskTimeLimitInSeconds": human.task_time_limit_seconds,
            "TaskAvailabilityLifetimeInSeconds": human.task_availability_lifetime_seconds,
            "MaxConcurrentTaskCount": human.max_concurrent_task_count,
        },
        "Tags": [{"Key": EXECUTION_TAG_KEY, "Value": plan.execution_name}],
    }
    check_create_request(request, task, region)
    return request


def _require(rule: Rule, ok: bool, what: str) -> None:
    if not ok:
        raise InvalidRequestError(f"The CreateLabelingJob request breaks a Ground Truth rule: {what}. {rule.cite()}")


def check_create_request(request: Mapping[str, Any], task: catalog.TaskType, region: str) -> None:
    """Raise ``InvalidRequestError`` citing the rule a CreateLabelingJob request for ``task`` in ``region`` breaks."""
    config = request["HumanTaskConfig"]
    _require(
        HT_WORKERS_PER_OBJECT,
        config.get("NumberOfHumanWorkersPerDataObject") == NUMBER_OF_HUMAN_WORKERS_PER_DATA_OBJECT,
        f"NumberOfHumanWorkersPerDataObject must be {NUMBER_OF_HUMAN_WORKERS_PER_DATA_OBJECT} for 3D point clouds",
    )
    _require(
        HT_UI_ARN,
        config.get("UiConfig") == {"HumanTaskUiArn": task.human_task_ui_arn(region)},
        f"UiConfig must be exactly HumanTaskUiArn {task.human_task_ui_arn(region)} (no UiTemplateS3Uri)",
    )
    consolidation = config.get("AnnotationConsolidationConfig", {}).get("AnnotationConsolidationLambdaArn")
    _require(
        HT_LAMBDAS,
        config.get("PreHumanTaskLambdaArn") == task.pre_human_task_lambda_arn(region)
        and consolidation == task.annotation_consolidation_lambda_arn(region),
        f"the Lambdas must be {task.pre_human_task_lambda_arn(region)} and "
        f"{task.annotation_consolidation_lambda_arn(region)}",
    )
    _require(
        HT_NO_AUTO_LABELING,
        "LabelingJobAlgorithmsConfig" not in request,
        "3D point cloud task types do not support automated data labeling (LabelingJobAlgorithmsConfig)",
    )
    validate_job_name(request["LabelingJobName"], "LabelingJobName")
    validate_label_attribute_name(
        task, request["LabelAttributeName"], "LabelAttributeName", "Plan the job again from the execution input."
    )
    validate_s3_uri("ManifestS3Uri", request["InputConfig"]["DataSource"]["S3DataSource"]["ManifestS3Uri"])
    validate_s3_uri("LabelCategoryConfigS3Uri", request["LabelCategoryConfigS3Uri"])
    validate_s3_uri("S3OutputPath", request["OutputConfig"]["S3OutputPath"])
    for tag in request.get("Tags", ()):
        validate_tag(tag["Key"], tag["Value"])


def output_manifest_uri(s3_output_path: str, job_name: str) -> str:
    """Return where Ground Truth writes the job's output manifest: ``<S3OutputPath><job>/manifests/output/...``."""
    return f"{s3_output_path.rstrip('/')}/{job_name}/manifests/output/output.manifest"


@dataclass(frozen=True, slots=True)
class CreatedJob:
    """What ``create_labeling_job`` returns to the state machine (``$.job``)."""

    job_name: str
    job_arn: str
    label_attribute_name: str
    output_manifest_uri: str

    @classmethod
    def from_request(cls, request: Mapping[str, Any], job_arn: str) -> CreatedJob:
        """Describe the job ``request`` created (or found already created) as ``job_arn``."""
        return cls(
            job_name=request["LabelingJobName"],
            job_arn=job_arn,
            label_attribute_name=request["LabelAttributeName"],
            output_manifest_uri=output_manifest_uri(
                request["OutputConfig"]["S3OutputPath"], request["LabelingJobName"]
            ),
        )

    def to_dict(self) -> dict[str, str]:
        """Return the handler's JSON result."""
        return {
            "job_name": self.job_name,
            "job_arn": self.job_arn,
            "label_attribute_name": self.label_attribute_name,
            "output_manifest_uri": self.output_manifest_uri,
        }


def _manifest_uri(job: Mapping[str, Any]) -> object:
    return job.get("InputConfig", {}).get("DataSource", {}).get("S3DataSource", {}).get("ManifestS3Uri")


def _execution_tag(job: Mapping[str, Any]) -> object:
    return next((tag.get("Value") for tag in job.get("Tags") or () if tag.get("Key") == EXECUTION_TAG_KEY), None)


def require_same_job(request: Mapping[str, Any], existing: Mapping[str, Any]) -> None:
    """Accept an existing job (DescribeLabelingJob) as ``request``'s own retry, or raise JobNameTakenError.

    Names are unique forever, so a name clash is either this execution's earlier attempt (tagged with its name,
    same manifest, label attribute and role) or another job, even one of an earlier run with the same input,
    which must not be adopted: its result is not this run's.
    """
    differences = [
        f"{label} is {shorten(found, 120)}, not {shorten(wanted, 120)}"
        for label, found, wanted in (
            ("creating execution", _execution_tag(existing), _execution_tag(request)),
            ("input manifest", _manifest_uri(existing), _manifest_uri(request)),
            ("label attribute name", existing.get("LabelAttributeName"), request["LabelAttributeName"]),
            ("role", existing.get("RoleArn"), request["RoleArn"]),
        )
        if found != wanted
    ]
    if differences:
        raise JobNameTakenError(
            f"A different labeling job is already named {request['LabelingJobName']!r} (its {'; '.join(differences)}). "
            "Job names are unique per account and region forever, ignoring case: set job_name in the execution "
            "input to a new name, or leave it out to derive one from the execution start time."
        )
