"""The labeling job itself: plan it from the execution input, build CreateLabelingJob, and read its progress.

Pure (no boto3): the handlers pass in the environment, the clock and DescribeLabelingJob responses, so every
Ground Truth rule the pipeline enforces is unit-tested without AWS. Limits come from the SageMaker API model
(botocore ``sagemaker`` service model) and ``shared/ground-truth-facts.md``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from gt3d_core import catalog
from gt3d_core.catalog import TaskType
from gt3d_core.errors import ConfigurationError, InvalidRequestError, JobNameTakenError
from gt3d_core.manifest import S3Location

# --- Limits from the SageMaker API model (CreateLabelingJob / HumanTaskConfig) ---------------------------------
JOB_NAME_MAX_LENGTH: Final = 63
LABEL_ATTRIBUTE_NAME_MAX_LENGTH: Final = 127
TITLE_MAX_LENGTH: Final = 128
DESCRIPTION_MAX_LENGTH: Final = 255
KEYWORDS_MAX_ITEMS: Final = 5
KEYWORD_MAX_LENGTH: Final = 30
S3_URI_MAX_LENGTH: Final = 1024
MIN_TASK_TIME_LIMIT_SECONDS: Final = 30
MIN_TASK_AVAILABILITY_LIFETIME_SECONDS: Final = 60
API_MAX_TASK_SECONDS: Final = 30 * 24 * 60 * 60
"""30 days: the API's ceiling for 3D point cloud task time limits and private-workforce availability lifetimes."""
MAX_TASK_TIME_LIMIT_SECONDS: Final = min(API_MAX_TASK_SECONDS, catalog.MAX_SESSION_DURATION_SECONDS)
"""A worker's task cannot outlive the execution role's session, and IAM caps sessions at 12 hours."""
MAX_TASK_AVAILABILITY_LIFETIME_SECONDS: Final = API_MAX_TASK_SECONDS
MAX_CONCURRENT_TASK_COUNT: Final = 5000

JOB_NAME_PATTERN: Final = r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}"
LABEL_ATTRIBUTE_NAME_PATTERN: Final = r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,126}"
TASK_KEYWORD_PATTERN: Final = r"[A-Za-z0-9]+( [A-Za-z0-9]+)*"
_JOB_NAME_RE = re.compile(JOB_NAME_PATTERN)
_LABEL_ATTRIBUTE_NAME_RE = re.compile(LABEL_ATTRIBUTE_NAME_PATTERN)
_TASK_KEYWORD_RE = re.compile(TASK_KEYWORD_PATTERN)
# The API's TaskTitle pattern: no control characters other than tab/newline, nothing outside the BMP (emoji).
_TASK_TITLE_RE = re.compile("[\t\n\r -\ud7ff\ue000-\ufffd]*")
# The API's TaskDescription pattern is ``.+`` (Java): a single line.
_LINE_TERMINATORS = frozenset("\n\r\u0085\u2028\u2029")
_ROLE_ARN_RE = re.compile(r"arn:aws[a-z\-]*:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+")
_WORKTEAM_ARN_RE = re.compile(r"arn:aws[a-z\-]*:sagemaker:(?P<region>[a-z0-9\-]*):[0-9]{12}:workteam/.+")

EXECUTION_TAG_KEY: Final = "gt3d:execution-name"
"""Tags each job with the execution that created it: a name clash is our own retry only if this tag matches."""
EXECUTION_NAME_MAX_LENGTH: Final = 80

CONTENT_CLASSIFIERS: Final = ("FreeOfPersonallyIdentifiableInformation", "FreeOfAdultContent")
NUMBER_OF_HUMAN_WORKERS_PER_DATA_OBJECT: Final = 1
"""Ground Truth 3D point cloud jobs accept exactly one worker per data object."""

INPUT_FIELDS: Final = ("task_type", "job_name", "manifest", "label_category_config", "human_task")
HUMAN_TASK_FIELDS: Final = (
    "title",
    "description",
    "keywords",
    "task_time_limit_seconds",
    "task_availability_lifetime_seconds",
    "max_concurrent_task_count",
)
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

# --- Monitoring -------------------------------------------------------------------------------------------------
MIN_WAIT_SECONDS: Final = 30
MAX_WAIT_SECONDS: Final = 300
_WAIT_PER_AGE: Final = 10
"""Poll every age/10 seconds (between the bounds): a job of days is polled about every 5 minutes."""
TERMINAL_STATUSES: Final = frozenset({"Completed", "Failed", "Stopped"})
LABEL_COUNTER_NAMES: Final = ("TotalLabeled", "HumanLabeled", "MachineLabeled", "FailedNonRetryableError", "Unlabeled")


def _show(value: object, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 3]}..."


def _invalid(field: str, value: object, rule: str, fix: str) -> InvalidRequestError:
    return InvalidRequestError(f"{field} {_show(value)} is invalid: {rule}. {fix}")


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
class HumanTask:
    """The human-task overrides of the execution input, in the execution input's snake_case names."""

    title: str
    description: str
    keywords: tuple[str, ...]
    task_time_limit_seconds: int
    task_availability_lifetime_seconds: int
    max_concurrent_task_count: int

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form used in the execution input and in ``$.plan.human_task``."""
        return {
            "title": self.title,
            "description": self.description,
            "keywords": list(self.keywords),
            "task_time_limit_seconds": self.task_time_limit_seconds,
            "task_availability_lifetime_seconds": self.task_availability_lifetime_seconds,
            "max_concurrent_task_count": self.max_concurrent_task_count,
        }


DEFAULT_HUMAN_TASK: Final = HumanTask(
    title="Add a Task Title Here - This is Displayed to Workers",
    description="add a task description here",
    keywords=("lidar", "pointcloud"),
    task_time_limit_seconds=3600,
    task_availability_lifetime_seconds=18000,
    max_concurrent_task_count=200,
)
"""The notebook's human task configuration."""


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
        }

    @classmethod
    def from_dict(cls, data: object) -> LabelingJobPlan:
        """Parse and re-validate ``$.plan`` with the same rules the planner applied."""
        plan = _mapping("plan", data, PLAN_FIELDS, required=PLAN_FIELDS)
        task = catalog.task_type(_string("task_type", plan["task_type"]))
        job_name = validate_job_name(plan["job_name"])
        label_attribute_name = _string("label_attribute_name", plan["label_attribute_name"])
        problem = label_attribute_name_problem(task, label_attribute_name)
        if problem:
            raise _invalid(
                "label_attribute_name", label_attribute_name, problem, "Plan the job again from the execution input."
            )
        source = _location("source", plan["source"])
        target = _location("target", plan["target"])
        manifest = validate_relative_path("manifest", plan["manifest"], example=task.demo_manifest)
        categories = validate_relative_path(
            "label_category_config", plan["label_category_config"], example=task.demo_label_category_config
        )
        for name, key in (("manifest", manifest), ("label_category_config", categories)):
            expected = _within_uri_limit(name, f"{target}{key}")
            if plan[f"{name}_uri"] != expected:
                raise _invalid(
                    f"{name}_uri",
                    plan[f"{name}_uri"],
                    f"it must be {expected!r}, the {name} under the target location",
                    "Plan the job again from the execution input.",
                )
        output_uri = _string("output_uri", plan["output_uri"])
        try:
            S3Location.parse(output_uri)
        except ValueError as error:
            raise _invalid(
                "output_uri", output_uri, str(error), "Plan the job again from the execution input."
            ) from None
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
        )


# --- Field validation ---------------------------------------------------------------------------------------------
def _mapping(
    field: str, value: object, allowed: tuple[str, ...], *, required: tuple[str, ...] = ()
) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _invalid(field, value, "it must be a JSON object", f"Pass an object with the keys {', '.join(allowed)}.")
    unknown = sorted(str(key) for key in value if key not in allowed)
    if unknown:
        raise InvalidRequestError(
            f"{field} has unknown key(s) {', '.join(_show(key, 40) for key in unknown)}. "
            f"Allowed keys: {', '.join(allowed)}. Remove or rename the unknown keys."
        )
    missing = [key for key in required if key not in value]
    if missing:
        raise InvalidRequestError(f"{field} is missing {', '.join(missing)}. Add the missing key(s).")
    return value


def _string(field: str, value: object) -> str:
    if not isinstance(value, str):
        raise _invalid(field, value, "it must be a string", f"Give {field} as a JSON string.")
    return value


def _integer(field: str, value: object, minimum: int, maximum: int, why: str = "") -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _invalid(field, value, "it must be a whole number", f"Give {field} as an integer such as {minimum}.")
    if not minimum <= value <= maximum:
        raise _invalid(
            field, value, f"it must be between {minimum} and {maximum}{why}", "Choose a value in that range."
        )
    return value


def _location(field: str, value: object) -> S3Location:
    location = _mapping(field, value, ("bucket", "prefix"), required=("bucket", "prefix"))
    bucket = _string(f"{field}.bucket", location["bucket"])
    prefix = _string(f"{field}.prefix", location["prefix"])
    try:
        return S3Location(bucket, prefix)
    except ValueError as error:
        raise _invalid(field, location, str(error), "Plan the job again from the execution input.") from None


def _within_uri_limit(field: str, uri: str) -> str:
    if len(uri) > S3_URI_MAX_LENGTH:
        raise _invalid(
            field,
            uri,
            f"its S3 URI is {len(uri)} characters, above the API limit of {S3_URI_MAX_LENGTH}",
            f"Use a shorter {field} path.",
        )
    return uri


def validate_execution_name(value: object) -> str:
    """Return the Step Functions execution name the plan belongs to; it tags the job, so it must be a tag value."""
    name = _string("execution_name", value)
    if not 1 <= len(name) <= EXECUTION_NAME_MAX_LENGTH or any(char.isspace() for char in name):
        raise _invalid(
            "execution_name",
            name,
            f"an execution name is 1-{EXECUTION_NAME_MAX_LENGTH} characters without whitespace",
            "Plan the job again from the execution input.",
        )
    return name


def validate_job_name(value: object, field: str = "job_name") -> str:
    """Return ``value`` if it is a valid labeling job name; raise naming the pattern otherwise."""
    name = _string(field, value)
    if len(name) > JOB_NAME_MAX_LENGTH or not _JOB_NAME_RE.fullmatch(name):
        raise _invalid(
            field,
            name,
            f"a labeling job name is 1-{JOB_NAME_MAX_LENGTH} letters, digits and hyphens, starting and ending with "
            f"a letter or digit (pattern {JOB_NAME_PATTERN})",
            "Choose another job_name, or leave it out to derive one from the execution start time.",
        )
    return name


def label_attribute_name_problem(task: TaskType, name: str) -> str | None:
    """Return the Ground Truth rule ``name`` breaks as a label attribute of ``task``, or None if it is valid."""
    if len(name) > LABEL_ATTRIBUTE_NAME_MAX_LENGTH or not _LABEL_ATTRIBUTE_NAME_RE.fullmatch(name):
        return f"a label attribute name must match {LABEL_ATTRIBUTE_NAME_PATTERN}"
    if name.endswith("-metadata"):
        return "a label attribute name must not end in -metadata"
    if task.label_attribute_needs_ref and not name.endswith("-ref"):
        return f"for {task.name} the label attribute name must end in -ref"
    if not task.label_attribute_needs_ref and name.endswith("-ref"):
        return f"for {task.name} the label attribute name must not end in -ref"
    return None


def validate_relative_path(field: str, value: object, *, example: str) -> str:
    """Return ``value`` if it is a safe object key relative to a location; raise saying how to write it."""
    path = _string(field, value)
    fix = f"Give the object's key relative to the source location, for example {example!r}."
    if not path:
        raise _invalid(field, path, "it must not be empty", fix)
    if "://" in path or path.lower().startswith("s3:"):
        raise _invalid(field, path, "it must be a path relative to the source location, not a URI", fix)
    if path.startswith("/"):
        raise _invalid(field, path, "it must not start with '/'", fix)
    if any(segment in {"", ".", ".."} for segment in path.split("/")):
        raise _invalid(field, path, "it must not contain '..', '.' or empty path segments, or end in '/'", fix)
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in path):
        raise _invalid(field, path, "it must not contain control characters", fix)
    return path


def _title(value: object) -> str:
    field = "human_task.title"
    title = _string(field, value)
    if not 1 <= len(title) <= TITLE_MAX_LENGTH:
        raise _invalid(
            field, title, f"it must be 1-{TITLE_MAX_LENGTH} characters, not {len(title)}", "Shorten or fill the title."
        )
    if not _TASK_TITLE_RE.fullmatch(title):
        raise _invalid(
            field,
            title,
            "the API accepts no control characters (other than tab and newline) and no emoji or other characters "
            "outside the Basic Multilingual Plane",
            "Remove those characters.",
        )
    return title


def _description(value: object) -> str:
    field = "human_task.description"
    description = _string(field, value)
    if not 1 <= len(description) <= DESCRIPTION_MAX_LENGTH:
        raise _invalid(
            field,
            description,
            f"it must be 1-{DESCRIPTION_MAX_LENGTH} characters, not {len(description)}",
            "Shorten or fill the description.",
        )
    if _LINE_TERMINATORS.intersection(description):
        raise _invalid(field, description, "the API accepts a single line only", "Remove the line breaks.")
    return description


def _keywords(value: object) -> tuple[str, ...]:
    field = "human_task.keywords"
    if not isinstance(value, list | tuple) or not 1 <= len(value) <= KEYWORDS_MAX_ITEMS:
        raise _invalid(
            field,
            value,
            f"it must be a list of 1-{KEYWORDS_MAX_ITEMS} keywords",
            'Give a JSON list such as ["lidar", "pointcloud"].',
        )
    for index, keyword in enumerate(value):
        item = _string(f"{field}[{index}]", keyword)
        if len(item) > KEYWORD_MAX_LENGTH or not _TASK_KEYWORD_RE.fullmatch(item):
            raise _invalid(
                f"{field}[{index}]",
                item,
                f"a keyword is 1-{KEYWORD_MAX_LENGTH} letters and digits, words separated by single spaces "
                f"(pattern {TASK_KEYWORD_PATTERN})",
                "Drop punctuation, hyphens and extra spaces from the keyword.",
            )
    return tuple(value)


def parse_human_task(value: object, *, defaults: HumanTask | None = DEFAULT_HUMAN_TASK) -> HumanTask:
    """Validate human-task settings, filling gaps from ``defaults`` (or requiring all six when it is None)."""
    field = "human_task"
    given = _mapping(field, value, HUMAN_TASK_FIELDS, required=HUMAN_TASK_FIELDS if defaults is None else ())
    merged = {**(defaults.to_dict() if defaults else {}), **given}
    return HumanTask(
        title=_title(merged["title"]),
        description=_description(merged["description"]),
        keywords=_keywords(merged["keywords"]),
        task_time_limit_seconds=_integer(
            f"{field}.task_time_limit_seconds",
            merged["task_time_limit_seconds"],
            MIN_TASK_TIME_LIMIT_SECONDS,
            MAX_TASK_TIME_LIMIT_SECONDS,
            " seconds: a worker's task cannot outlive the Ground Truth role's session, which IAM caps at 12 hours",
        ),
        task_availability_lifetime_seconds=_integer(
            f"{field}.task_availability_lifetime_seconds",
            merged["task_availability_lifetime_seconds"],
            MIN_TASK_AVAILABILITY_LIFETIME_SECONDS,
            MAX_TASK_AVAILABILITY_LIFETIME_SECONDS,
            " seconds (1 minute to 30 days)",
        ),
        max_concurrent_task_count=_integer(
            f"{field}.max_concurrent_task_count",
            merged["max_concurrent_task_count"],
            1,
            MAX_CONCURRENT_TASK_COUNT,
        ),
    )


# --- Planning -------------------------------------------------------------------------------------------------------
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
        f"execution_start_time {_show(value)} is not an ISO 8601 timestamp. The state machine must pass "
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
    given = _mapping("input", execution_input, INPUT_FIELDS)
    if "task_type" not in given:
        raise InvalidRequestError(
            f"input is missing task_type. Add it to the execution input: one of {', '.join(catalog.TASK_TYPE_NAMES)}."
        )
    task = catalog.task_type(_string("task_type", given["task_type"]))
    if "job_name" in given:
        job_name = validate_job_name(given["job_name"])
    else:
        job_name = derive_job_name(resource_prefix, task, execution_start_time, execution_name)
    label_attribute_name = task.label_attribute_name(job_name)
    problem = label_attribute_name_problem(task, label_attribute_name)
    if problem:
        raise _invalid(
            "job_name",
            job_name,
            f"the label attribute name {label_attribute_name!r} is derived from it, and {problem}",
            "Choose another job_name.",
        )
    manifest = validate_relative_path("manifest", given.get("manifest", task.demo_manifest), example=task.demo_manifest)
    categories = validate_relative_path(
        "label_category_config",
        given.get("label_category_config", task.demo_label_category_config),
        example=task.demo_label_category_config,
    )
    return LabelingJobPlan(
        execution_name=validate_execution_name(execution_name),
        task_type=task.name,
        job_name=job_name,
        label_attribute_name=label_attribute_name,
        source=locations.source,
        target=locations.target,
        manifest=manifest,
        label_category_config=categories,
        manifest_uri=_within_uri_limit("manifest", f"{locations.target}{manifest}"),
        label_category_config_uri=_within_uri_limit("label_category_config", f"{locations.target}{categories}"),
        output_uri=str(locations.output),
        human_task=parse_human_task(given.get("human_task", {})),
    )


# --- CreateLabelingJob -----------------------------------------------------------------------------------------------
def validate_job_settings(*, region: str, role_arn: str, workteam_arn: str) -> None:
    """Check the create function's environment: a supported region, a role ARN and a work team in that region."""
    catalog.require_supported_region(region)
    if not _ROLE_ARN_RE.fullmatch(role_arn):
        raise ConfigurationError(
            f"GROUND_TRUTH_ROLE_ARN {_show(role_arn)} is not an IAM role ARN. Redeploy the pipeline stack."
        )
    match = _WORKTEAM_ARN_RE.fullmatch(workteam_arn)
    if not match:
        raise ConfigurationError(
            f"WORKTEAM_ARN {_show(workteam_arn)} is not a SageMaker work team ARN. Redeploy the pipeline stack."
        )
    if match["region"] != region:
        raise ConfigurationError(
            f"WORKTEAM_ARN {_show(workteam_arn)} is in {match['region']!r}, but the job runs in {region!r}: a "
            "labeling job needs a work team in its own region. Deploy the workforce stack to the same region."
        )


def build_create_labeling_job_request(
    plan: LabelingJobPlan, *, region: str, role_arn: str, workteam_arn: str
) -> dict[str, Any]:
    """Return the CreateLabelingJob request the notebook sends, for ``plan`` in ``region``."""
    validate_job_settings(region=region, role_arn=role_arn, workteam_arn=workteam_arn)
    task = catalog.task_type(plan.task_type)
    human = plan.human_task
    return {
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
        f"{label} is {_show(found, 120)}, not {_show(wanted, 120)}"
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


# --- DescribeLabelingJob ---------------------------------------------------------------------------------------------
def wait_seconds_for(age: timedelta) -> int:
    """Return how long to wait before the next poll: 30 s for a new job, growing with its age to 5 minutes."""
    seconds = int(age.total_seconds()) // _WAIT_PER_AGE
    return max(MIN_WAIT_SECONDS, min(MAX_WAIT_SECONDS, seconds))


@dataclass(frozen=True, slots=True)
class JobProgress:
    """The monitor's verdict on one DescribeLabelingJob response (``$.monitor``)."""

    status: str
    done: bool
    succeeded: bool
    label_counters: Mapping[str, int]
    output_manifest_uri: str | None
    failure_reason: str | None
    wait_seconds: int

    def to_dict(self) -> dict[str, Any]:
        """Return the handler's JSON result."""
        return {
            "status": self.status,
            "done": self.done,
            "succeeded": self.succeeded,
            "label_counters": dict(self.label_counters),
            "output_manifest_uri": self.output_manifest_uri,
            "failure_reason": self.failure_reason,
            "wait_seconds": self.wait_seconds,
        }


def _failure_reason(description: Mapping[str, Any], status: str, counters: Mapping[str, int]) -> str | None:
    name = description.get("LabelingJobName", "?")
    if status == "Failed":
        reason = description.get("FailureReason") or "SageMaker gave no reason"
        return f"Labeling job {name!r} failed: {reason}"
    if status == "Stopped":
        return (
            f"Labeling job {name!r} was stopped (StopLabelingJob) before it completed; "
            f"{counters['TotalLabeled']} data object(s) were labeled. Start a new execution to label the data again."
        )
    if status == "Completed" and counters["TotalLabeled"] == 0:
        lifetime = description.get("HumanTaskConfig", {}).get("TaskAvailabilityLifetimeInSeconds")
        window = f" ({lifetime} s)" if lifetime else ""
        return (
            f"Labeling job {name!r} completed, but no worker labeled any data object within the task availability "
            f"lifetime{window}; {counters['Unlabeled']} object(s) are unlabeled. Add workers to the work team (and "
            "check they accepted their invitations and signed in to the labeling portal), or raise "
            "human_task.task_availability_lifetime_seconds, then start a new execution."
        )
    return None


def interpret_job_description(description: Mapping[str, Any], *, now: datetime) -> JobProgress:
    """Turn a DescribeLabelingJob response into done/succeeded, a failure reason, and the next wait.

    Success needs Completed *and* at least one labeled object: Ground Truth also reports Completed when the
    availability lifetime ran out with nothing labeled.
    """
    status = str(description["LabelingJobStatus"])
    raw_counters = description.get("LabelCounters", {})
    counters = {name: int(raw_counters.get(name, 0)) for name in LABEL_COUNTER_NAMES}
    now = now.replace(tzinfo=UTC) if now.tzinfo is None else now
    created = description.get("CreationTime")
    if isinstance(created, datetime):
        created_utc = created.replace(tzinfo=UTC) if created.tzinfo is None else created
        age = now - created_utc
    else:
        age = timedelta(0)
    output = description.get("LabelingJobOutput", {}).get("OutputDatasetS3Uri")
    return JobProgress(
        status=status,
        done=status in TERMINAL_STATUSES,
        succeeded=status == "Completed" and counters["TotalLabeled"] > 0,
        label_counters=counters,
        output_manifest_uri=output if isinstance(output, str) else None,
        failure_reason=_failure_reason(description, status, counters),
        wait_seconds=wait_seconds_for(age),
    )
