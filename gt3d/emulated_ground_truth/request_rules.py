"""CreateLabelingJob request checks of the emulated Ground Truth: the task type, the human task settings, names, tags.

The API model (botocore's, from which the API Reference pages are generated) already limits lengths, patterns and
ranges; its violations are answered first, each citing the row of the table that covers its member. The rows
below add what the 3D point cloud pages say on top of the model: the built-in Lambdas and worker UI of one task
type, one worker per object, no automated labeling, the 7-day task time limit, the default concurrency quota, the
label attribute suffixes and the reserved ``aws:`` tag prefix.
"""

from __future__ import annotations

import re
from typing import Any, Final

from gt3d.emulated_ground_truth import rules
from gt3d.emulated_ground_truth.rules import REQUEST, Findings, Rule
from gt3d_core.catalog import LAMBDA_ACCOUNTS, LONG_TASK_THRESHOLD_SECONDS, TASK_TYPES, TaskType

MAX_TASK_TIME_LIMIT_SECONDS: Final = 7 * 24 * 60 * 60
"""3D point cloud task types allow workers up to 7 days (604,800 s) per task, per the 3D task type pages (the API
Reference's "30 days" is not what those pages and the 3D overview say)."""
MAX_TASK_AVAILABILITY_SECONDS: Final = 30 * 24 * 60 * 60
"""A task stays available to a private or vendor work team for at most 30 days (2,592,000 s)."""
DEFAULT_MAX_CONCURRENT_TASKS: Final = 1000
"""The default quota of MaxConcurrentTaskCount; up to 5,000 only once AWS Support raised it for the account, which
the emulated account never did."""

_MODEL_MEMBER_RULES: Final[dict[str, Rule]] = {
    "labelingJobName": rules.NAME_JOB,
    "labelAttributeName": rules.NAME_LABEL_ATTRIBUTE,
    "inputConfig.dataSource.s3DataSource.manifestS3Uri": rules.NAME_S3_URI,
    "labelCategoryConfigS3Uri": rules.NAME_S3_URI,
    "outputConfig.s3OutputPath": rules.NAME_S3_URI,
    "tags.member.key": rules.TAG_KEY,
    "tags.member.value": rules.TAG_VALUE,
    "humanTaskConfig.taskTitle": rules.HT_TITLE,
    "humanTaskConfig.taskDescription": rules.HT_DESCRIPTION,
    "humanTaskConfig.taskKeywords": rules.HT_KEYWORDS,
    "humanTaskConfig.taskKeywords.member": rules.HT_KEYWORDS,
    "humanTaskConfig.taskTimeLimitInSeconds": rules.HT_TASK_TIME_LIMIT,
    "humanTaskConfig.taskAvailabilityLifetimeInSeconds": rules.HT_AVAILABILITY_LIFETIME,
    "humanTaskConfig.maxConcurrentTaskCount": rules.HT_MAX_CONCURRENT,
    "humanTaskConfig.numberOfHumanWorkersPerDataObject": rules.HT_WORKERS_PER_OBJECT,
    "humanTaskConfig.preHumanTaskLambdaArn": rules.HT_LAMBDAS,
    "humanTaskConfig.annotationConsolidationConfig.annotationConsolidationLambdaArn": rules.HT_LAMBDAS,
    "humanTaskConfig.uiConfig.humanTaskUiArn": rules.HT_UI_ARN,
}
"""Request members (as the model's messages spell their paths) whose constraints are rows of the table."""
_MODEL_PATH: Final = re.compile(r"at '([^']+)'")
_PRE: Final = "HumanTaskConfig.PreHumanTaskLambdaArn"
_ACS: Final = "HumanTaskConfig.AnnotationConsolidationConfig.AnnotationConsolidationLambdaArn"


def cite_model_violations(errors: list[str]) -> list[str]:
    """Return the API model's violations, each prefixed with the id of the row its member falls under (if any)."""
    cited = []
    for error in errors:
        match = _MODEL_PATH.search(error)
        path = re.sub(r"\.\d+\.member", ".member", match.group(1)) if match else ""
        rule = _MODEL_MEMBER_RULES.get(path)
        cited.append(f"[{rule.id}] {error} ({rule.page})" if rule else error)
    return cited


def _given(value: Any) -> str:
    return "missing" if value is None else repr(value)


def _task_named(arn: Any, kind: str) -> TaskType | None:
    if not isinstance(arn, str):
        return None
    return next((task for task in TASK_TYPES if arn.endswith(f":function:{kind}-{task.name}")), None)


def task_type(request: dict[str, Any], region: str, findings: Findings) -> TaskType | None:
    """Return the 3D task type whose built-in Lambdas the request names, or None after refusing [HT-LAMBDAS]."""
    config = request["HumanTaskConfig"]
    pre = config.get("PreHumanTaskLambdaArn")
    acs = (config.get("AnnotationConsolidationConfig") or {}).get("AnnotationConsolidationLambdaArn")
    # The pre-annotation Lambda names the task type; without one, the consolidation Lambda still does.
    task = _task_named(pre, "PRE") or _task_named(acs, "ACS")
    if task is None:
        findings.refuse(
            rules.HT_LAMBDAS,
            REQUEST.at(_PRE),
            f"is {_given(pre)} (AnnotationConsolidationLambdaArn {_given(acs)}), not the built-in "
            "arn:aws:lambda:<region>:<account>:function:PRE-<TaskType> of a task type; this emulator covers the "
            f"six 3D point cloud task types only: {', '.join(t.name for t in TASK_TYPES)}",
        )
        return None
    if region not in LAMBDA_ACCOUNTS:
        findings.refuse(
            rules.HT_LAMBDAS,
            REQUEST.at(_PRE),
            f"Ground Truth has no 3D point cloud task types in {region}; the regions with them: "
            f"{', '.join(LAMBDA_ACCOUNTS)}",
        )
        return None
    for member, found, wanted in (
        (_PRE, pre, task.pre_human_task_lambda_arn(region)),
        (_ACS, acs, task.annotation_consolidation_lambda_arn(region)),
    ):
        if found != wanted:
            needs = f"a {task.name} job in {region} needs {wanted!r}"
            findings.refuse(rules.HT_LAMBDAS, REQUEST.at(member), f"is {_given(found)}; {needs}")
    return task


def check_request(request: dict[str, Any], region: str, task: TaskType, findings: Findings) -> None:
    """Record what breaks the 3D task type pages' rules for the request's settings (after the API model's)."""
    config = request["HumanTaskConfig"]
    ui = config["UiConfig"]
    wanted_ui = task.human_task_ui_arn(region)
    if ui.get("HumanTaskUiArn") != wanted_ui:
        findings.refuse(
            rules.HT_UI_ARN,
            REQUEST.at("HumanTaskConfig.UiConfig.HumanTaskUiArn"),
            f"is {_given(ui.get('HumanTaskUiArn'))}; a {task.name} job in {region} needs {wanted_ui!r}",
        )
    if ui.get("UiTemplateS3Uri") is not None:
        findings.refuse(
            rules.HT_UI_ARN,
            REQUEST.at("HumanTaskConfig.UiConfig.UiTemplateS3Uri"),
            "must not be given for a 3D point cloud task type: the worker UI is the built-in HumanTaskUiArn",
        )
    _check_label_attribute(request["LabelAttributeName"], task, findings)
    workers = config["NumberOfHumanWorkersPerDataObject"]
    if workers != 1:
        findings.refuse(
            rules.HT_WORKERS_PER_OBJECT,
            REQUEST.at("HumanTaskConfig.NumberOfHumanWorkersPerDataObject"),
            f"is {workers}; 3D point cloud task types need exactly 1 worker per data object",
        )
    if request.get("LabelingJobAlgorithmsConfig") is not None:
        findings.refuse(
            rules.HT_NO_AUTO_LABELING,
            REQUEST.at("LabelingJobAlgorithmsConfig"),
            "must not be given: automated data labeling is not supported for 3D point cloud task types",
        )
    _check_at_most(
        config.get("TaskTimeLimitInSeconds"),
        MAX_TASK_TIME_LIMIT_SECONDS,
        rules.HT_TASK_TIME_LIMIT,
        "HumanTaskConfig.TaskTimeLimitInSeconds",
        "seconds (7 days) for 3D point cloud task types",
        findings,
    )
    _check_at_most(
        config.get("TaskAvailabilityLifetimeInSeconds"),
        MAX_TASK_AVAILABILITY_SECONDS,
        rules.HT_AVAILABILITY_LIFETIME,
        "HumanTaskConfig.TaskAvailabilityLifetimeInSeconds",
        "seconds (30 days) for a private or vendor work team",
        findings,
    )
    _check_at_most(
        config.get("MaxConcurrentTaskCount"),
        DEFAULT_MAX_CONCURRENT_TASKS,
        rules.HT_MAX_CONCURRENT,
        "HumanTaskConfig.MaxConcurrentTaskCount",
        "data objects, the default quota (more only after AWS Support raises it for the account)",
        findings,
    )
    for index, tag in enumerate(request.get("Tags") or []):
        if tag["Key"].lower().startswith("aws:"):
            findings.refuse(
                rules.TAG_KEY,
                REQUEST.at(f"Tags[{index}].Key"),
                f"{tag['Key']!r} starts with the reserved prefix 'aws:'",
            )
    _check_outside_table(request, region, findings)


def _check_label_attribute(attribute: str, task: TaskType, findings: Findings) -> None:
    place = REQUEST.at("LabelAttributeName")
    if attribute.endswith("-metadata"):
        findings.refuse(rules.NAME_LABEL_ATTRIBUTE, place, f"{attribute!r} must not end with '-metadata'")
    elif task.label_attribute_needs_ref and not attribute.endswith("-ref"):
        findings.refuse(rules.NAME_LABEL_ATTRIBUTE, place, f"{attribute!r} must end with '-ref' for {task.name}")
    elif not task.label_attribute_needs_ref and attribute.endswith("-ref"):
        findings.refuse(rules.NAME_LABEL_ATTRIBUTE, place, f"{attribute!r} must not end with '-ref' for {task.name}")


def _check_at_most(value: Any, limit: int, rule: Rule, member: str, unit: str, findings: Findings) -> None:
    if isinstance(value, int) and value > limit:
        findings.refuse(rule, REQUEST.at(member), f"{value} is above the limit of {limit:,} {unit}")


def _check_outside_table(request: dict[str, Any], region: str, findings: Findings) -> None:
    """Record what the 3D task type page asks for that the table has no row for (the emulator is strict here)."""
    config = request["HumanTaskConfig"]
    workteam = config["WorkteamArn"]
    if config.get("PublicWorkforceTaskPrice") is not None or ":workteam/public-crowd/" in workteam:
        findings.refuse_unlisted(
            REQUEST.at("HumanTaskConfig.WorkteamArn"),
            "3D point cloud task types need a private or vendor work team, not the public one",
            rules.TASK_TYPE_PAGE,
        )
    if f":sagemaker:{region}:" not in workteam:
        findings.refuse_unlisted(
            REQUEST.at("HumanTaskConfig.WorkteamArn"),
            f"{workteam} is not a work team in {region}",
            rules.TASK_TYPE_PAGE,
        )
    if "S3DataSource" not in request["InputConfig"]["DataSource"]:
        findings.refuse_unlisted(
            REQUEST.at("InputConfig.DataSource.S3DataSource.ManifestS3Uri"),
            "is required: this emulator reads the input manifest from S3 (no streaming jobs)",
            rules.TASK_TYPE_PAGE,
        )
    if request.get("LabelCategoryConfigS3Uri") is None:
        findings.refuse_unlisted(
            REQUEST.at("LabelCategoryConfigS3Uri"),
            "is required: 3D point cloud task types take their labels from a label category configuration file",
            rules.TASK_TYPE_PAGE,
        )


def check_role_session(request: dict[str, Any], role_name: str, session_seconds: int, findings: Findings) -> None:
    """Record [HT-ROLE-SESSION] when a task time limit over 8 hours meets a role whose sessions are shorter."""
    limit = request["HumanTaskConfig"]["TaskTimeLimitInSeconds"]
    if limit > LONG_TASK_THRESHOLD_SECONDS and session_seconds < LONG_TASK_THRESHOLD_SECONDS:
        findings.refuse(
            rules.HT_ROLE_SESSION,
            REQUEST.at("RoleArn"),
            f"TaskTimeLimitInSeconds is {limit} (more than 8 hours), so the execution role's MaxSessionDuration must "
            f"be at least {LONG_TASK_THRESHOLD_SECONDS} seconds; role {role_name} allows {session_seconds}",
        )
