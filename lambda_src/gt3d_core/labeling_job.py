"""The labeling job's plan (``$.plan``): validated from the execution input before anything is copied or created.

Pure (no boto3): the handler passes in the environment and the execution's name and start time, so every rule the
planner enforces (human task settings, names, tags; docs/ground-truth-rules.md) is unit-tested without AWS.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from gt3d_core import catalog
from gt3d_core.catalog import TaskType
from gt3d_core.display import shorten
from gt3d_core.errors import ConfigurationError, InvalidRequestError
from gt3d_core.human_task import HumanTask, parse_human_task
from gt3d_core.names import (
    JOB_NAME_MAX_LENGTH,
    label_attribute_name_problem,
    validate_execution_name,
    validate_job_name,
    validate_label_attribute_name,
    validate_s3_uri,
)
from gt3d_core.request_fields import invalid, mapping, string
from gt3d_core.rules import NAME_LABEL_ATTRIBUTE
from gt3d_core.s3_location import S3Location

INPUT_FIELDS: Final = ("task_type", "job_name", "manifest", "label_category_config", "human_task", "then")
FOLLOW_UP_FIELDS: Final = ("task_type", "job_name", "human_task")
FOLLOW_UP_DIRECTORY: Final = "adjustments"
"""Under the input location, ``adjustments/<job name>/`` holds a follow-up job's manifest (a copy of the first job's
output manifest) and its label category file (the first job's, plus ``auditLabelAttributeName``)."""
PLAN_FIELDS: Final = (
    "execution_name",
    "task_type",
    "job_name",
    "label_attribute_name",
    "source",
    "target",
    "manifest",
    "label_category_config",
    "manifest_uri",
    "label_category_config_uri",
    "output_uri",
    "human_task",
)
_REPLAN = "Plan the job again from the execution input."


def location_dict(location: S3Location) -> dict[str, str]:
    """Return the event form of a location, ``{"bucket", "prefix"}``."""
    return {"bucket": location.bucket, "prefix": location.prefix}


@dataclass(frozen=True, slots=True)
class Locations:
    """Where the demo data comes from, where the job reads it (input) and where Ground Truth writes (output)."""

    source: S3Location
    target: S3Location
    output: S3Location


@dataclass(frozen=True, slots=True)
class LabelingJobPlan:
    """Everything later states need to copy the data and create the job: the ``$.plan`` object."""

    execution_name: str
    task_type: str
    job_name: str
    label_attribute_name: str
    source: S3Location
    target: S3Location
    manifest: str
    label_category_config: str
    manifest_uri: str
    label_category_config_uri: str
    output_uri: str
    human_task: HumanTask
    then: LabelingJobPlan | None = None
    """The adjustment job to run on this job's output once it completes, planned up front."""

    def to_dict(self) -> dict[str, Any]:
        """Return ``$.plan`` exactly as docs/architecture.md specifies it."""
        return {
            "execution_name": self.execution_name,
            "task_type": self.task_type,
            "job_name": self.job_name,
            "label_attribute_name": self.label_attribute_name,
            "source": location_dict(self.source),
            "target": location_dict(self.target),
            "manifest": self.manifest,
            "label_category_config": self.label_category_config,
            "manifest_uri": self.manifest_uri,
            "label_category_config_uri": self.label_category_config_uri,
            "output_uri": self.output_uri,
            "human_task": self.human_task.to_dict(),
            "then": self.then.to_dict() if self.then is not None else None,
        }

    @classmethod
    def from_dict(cls, data: object) -> LabelingJobPlan:
        """Parse and re-validate ``$.plan`` with the same rules the planner applied."""
        plan = mapping("plan", data, (*PLAN_FIELDS, "then"), required=PLAN_FIELDS)
        task = catalog.task_type(string("task_type", plan["task_type"]))
        job_name = validate_job_name(plan["job_name"])
        label_attribute_name = validate_label_attribute_name(
            task, string("label_attribute_name", plan["label_attribute_name"]), "label_attribute_name", _REPLAN
        )
        source = _location("source", plan["source"])
        target = _location("target", plan["target"])
        manifest = validate_relative_path("manifest", plan["manifest"], example=task.demo_manifest)
        categories = validate_relative_path(
            "label_category_config", plan["label_category_config"], example=task.demo_label_category_config
        )
        for name, key in (("manifest", manifest), ("label_category_config", categories)):
            expected = validate_s3_uri(name, f"{target}{key}")
            if plan[f"{name}_uri"] != expected:
                raise invalid(
                    f"{name}_uri",
                    plan[f"{name}_uri"],
                    f"it must be {expected!r}, the {name} under the target location",
                    _REPLAN,
                )
        output_uri = validate_s3_uri("output_uri", string("output_uri", plan["output_uri"]))
        try:
            S3Location.parse(output_uri)
        except ValueError as error:
            raise invalid("output_uri", output_uri, str(error), _REPLAN) from None
        return cls(
            execution_name=validate_execution_name(plan["execution_name"]),
            task_type=task.name,
            job_name=job_name,
            label_attribute_name=label_attribute_name,
            source=source,
            target=target,
            manifest=manifest,
            label_category_config=categories,
            manifest_uri=plan["manifest_uri"],
            label_category_config_uri=plan["label_category_config_uri"],
            output_uri=output_uri,
            human_task=parse_human_task(plan["human_task"], defaults=None),
            then=_parse_follow_up_plan(plan.get("then")),
        )


def _parse_follow_up_plan(data: object) -> LabelingJobPlan | None:
    if data is None:
        return None
    follow_up = LabelingJobPlan.from_dict(data)
    if follow_up.then is not None:
        raise invalid("then.then", data, "a follow-up job cannot have a follow-up of its own", _REPLAN)
    return follow_up


def _location(field: str, value: object) -> S3Location:
    location = mapping(field, value, ("bucket", "prefix"), required=("bucket", "prefix"))
    bucket = string(f"{field}.bucket", location["bucket"])
    prefix = string(f"{field}.prefix", location["prefix"])
    try:
        return S3Location(bucket, prefix)
    except ValueError as error:
        raise invalid(field, location, str(error), _REPLAN) from None


def validate_relative_path(field: str, value: object, *, example: str) -> str:
    """Return ``value`` if it is a safe object key relative to a location; raise saying how to write it."""
    path = string(field, value)
    fix = f"Give the object's key relative to the source location, for example {example!r}."
    if not path:
        raise invalid(field, path, "it must not be empty", fix)
    if "://" in path or path.lower().startswith("s3:"):
        raise invalid(field, path, "it must be a path relative to the source location, not a URI", fix)
    if path.startswith("/"):
        raise invalid(field, path, "it must not start with '/'", fix)
    if any(segment in {"", ".", ".."} for segment in path.split("/")):
        raise invalid(field, path, "it must not contain '..', '.' or empty path segments, or end in '/'", fix)
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in path):
        raise invalid(field, path, "it must not contain control characters", fix)
    return path


def parse_execution_start_time(value: object) -> datetime:
    """Parse ``$$.Execution.StartTime`` (ISO 8601) as an aware UTC datetime; raise ConfigurationError if malformed."""
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    raise ConfigurationError(
        f"execution_start_time {shorten(value)} is not an ISO 8601 timestamp. The state machine must pass "
        '"execution_start_time.$": "$$.Execution.StartTime"; redeploy the pipeline stack.'
    )


def derive_job_name(resource_prefix: str, task: TaskType, execution_start_time: datetime, execution_name: str) -> str:
    """Return ``<prefix>-<abbrev>-<YYYYMMDDHHMMSS>-<4 hex>``, cleaned and shortened so it is always a valid job name.

    The same execution always yields the same name, so a retried create finds its own job; the 4 hex digits come
    from the execution's name, so two executions started in the same second get different names. Only the prefix
    is shortened: the rest is what tells jobs apart.
    """
    start = execution_start_time.replace(tzinfo=UTC) if execution_start_time.tzinfo is None else execution_start_time
    execution_digest = hashlib.sha256(execution_name.encode()).hexdigest()[:4]
    suffix = f"{task.abbreviation.lower()}-{start.astimezone(UTC):%Y%m%d%H%M%S}-{execution_digest}"
    room = JOB_NAME_MAX_LENGTH - len(suffix) - 1
    prefix = re.sub(r"[^a-zA-Z0-9]+", "-", resource_prefix).strip("-")[:room].rstrip("-")
    return f"{prefix}-{suffix}" if prefix else suffix


def plan_labeling_job(
    execution_input: object,
    *,
    locations: Locations,
    resource_prefix: str,
    execution_name: str,
    execution_start_time: datetime,
) -> LabelingJobPlan:
    """Validate the execution input against every rule a user can break and return ``$.plan``.

    Runs before anything is copied or created, so a bad input costs nothing.
    """
    given = mapping("input", execution_input, INPUT_FIELDS)
    if "task_type" not in given:
        raise InvalidRequestError(
            f"input is missing task_type. Add it to the execution input: one of {', '.join(catalog.TASK_TYPE_NAMES)}."
        )
    task = catalog.task_type(string("task_type", given["task_type"]))
    if "job_name" in given:
        job_name = validate_job_name(given["job_name"])
    else:
        job_name = derive_job_name(resource_prefix, task, execution_start_time, execution_name)
    label_attribute_name = task.label_attribute_name(job_name)
    problem = label_attribute_name_problem(task, label_attribute_name)
    if problem:
        raise invalid(
            "job_name",
            job_name,
            f"the label attribute name {label_attribute_name!r} is derived from it, and {problem}",
            "Choose another job_name.",
            NAME_LABEL_ATTRIBUTE,
        )
    manifest = validate_relative_path("manifest", given.get("manifest", task.demo_manifest), example=task.demo_manifest)
    categories = validate_relative_path(
        "label_category_config",
        given.get("label_category_config", task.demo_label_category_config),
        example=task.demo_label_category_config,
    )
    execution_name = validate_execution_name(execution_name)
    plan = LabelingJobPlan(
        execution_name=execution_name,
        task_type=task.name,
        job_name=job_name,
        label_attribute_name=label_attribute_name,
        source=locations.source,
        target=locations.target,
        manifest=manifest,
        label_category_config=categories,
        manifest_uri=validate_s3_uri("manifest", f"{locations.target}{manifest}"),
        label_category_config_uri=validate_s3_uri("label_category_config", f"{locations.target}{categories}"),
        output_uri=validate_s3_uri("output_uri", str(locations.output)),
        human_task=parse_human_task(given.get("human_task", {})),
    )
    if "then" not in given:
        return plan
    follow_up = plan_follow_up_job(
        given["then"], first=plan, resource_prefix=resource_prefix, execution_start_time=execution_start_time
    )
    return dataclasses.replace(plan, then=follow_up)


def adjustment_of(task: TaskType) -> TaskType | None:
    """Return the adjustment task type that reviews ``task``'s labels (None for an adjustment task type)."""
    if task.is_adjustment:
        return None
    return catalog.task_type(f"Adjustment{task.name}")


def plan_follow_up_job(
    given: object, *, first: LabelingJobPlan, resource_prefix: str, execution_start_time: datetime
) -> LabelingJobPlan:
    """Plan ``then``: the adjustment of ``first``'s task type, on ``first``'s output, reviewing its label attribute.

    A completed job can be chained into an adjustment job
    (https://docs.aws.amazon.com/sagemaker/latest/dg/sms-data-verify-start-api.html); only object detection, object
    tracking and semantic segmentation have one, and anything else is refused here, before anything is copied.
    """
    spec = mapping("then", given, FOLLOW_UP_FIELDS, required=("task_type",))
    first_task = catalog.task_type(first.task_type)
    adjustment = adjustment_of(first_task)
    wanted = string("then.task_type", spec["task_type"])
    if adjustment is None or wanted != adjustment.name:
        allowed = f"{adjustment.name}, the adjustment of {first_task.name}" if adjustment else "none"
        raise invalid(
            "then.task_type",
            wanted,
            f"a follow-up job reviews the first job's labels, so its task type must be the adjustment of "
            f"{first_task.name} (allowed: {allowed})",
            "Set then.task_type to the adjustment task type, or remove then.",
        )
    if "job_name" in spec:
        job_name = validate_job_name(spec["job_name"], "then.job_name")
    else:
        job_name = derive_job_name(resource_prefix, adjustment, execution_start_time, first.execution_name)
    if job_name.lower() == first.job_name.lower():
        raise invalid("then.job_name", job_name, "it is the first job's name", "Choose another then.job_name.")
    label_attribute_name = adjustment.label_attribute_name(job_name)
    if label_attribute_name == first.label_attribute_name:
        raise invalid(
            "then.job_name",
            job_name,
            f"its label attribute {label_attribute_name!r} is the one being reviewed",
            "Choose another then.job_name.",
            NAME_LABEL_ATTRIBUTE,
        )
    directory = f"{FOLLOW_UP_DIRECTORY}/{job_name}/"
    manifest, categories = f"{directory}manifest.json", f"{directory}label-categories.json"
    return dataclasses.replace(
        first,
        task_type=adjustment.name,
        job_name=job_name,
        label_attribute_name=label_attribute_name,
        manifest=manifest,
        label_category_config=categories,
        manifest_uri=validate_s3_uri("then.manifest", f"{first.target}{manifest}"),
        label_category_config_uri=validate_s3_uri("then.label_category_config", f"{first.target}{categories}"),
        human_task=parse_human_task(spec.get("human_task", {})),
        then=None,
    )
