"""The labeling-job core: planning and its validation, the request, name clashes, status and backoff."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gt3d_core import catalog
from gt3d_core.create_request import (
    build_create_labeling_job_request,
    output_manifest_uri,
    require_same_job,
    validate_job_settings,
)
from gt3d_core.errors import (
    ConfigurationError,
    InvalidRequestError,
    JobNameTakenError,
    UnknownTaskTypeError,
    UnsupportedRegionError,
)
from gt3d_core.human_task import DEFAULT_HUMAN_TASK
from gt3d_core.labeling_job import (
    LabelingJobPlan,
    Locations,
    derive_job_name,
    parse_execution_start_time,
    plan_labeling_job,
)
from gt3d_core.progress import interpret_job_description, wait_seconds_for
from gt3d_core.s3_location import S3Location

LOCATIONS = Locations(
    source=S3Location("aws-ml-blog", "artifacts/gt-point-cloud-demos/"),
    target=S3Location("labeling-bucket", "exp/input/"),
    output=S3Location("labeling-bucket", "exp/output/"),
)
START = datetime(2024, 5, 17, 9, 30, 5, 123000, tzinfo=UTC)
JOB_NAME_RE = re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}")
ROLE = "arn:aws:iam::123456789012:role/gt3d-ground-truth"
WORKTEAM = "arn:aws:sagemaker:us-east-1:123456789012:workteam/private-crowd/gt3d"
EXECUTION = "run-1"


def plan(execution_input: object, prefix: str = "gt3d") -> LabelingJobPlan:
    return plan_labeling_job(
        execution_input,
        locations=LOCATIONS,
        resource_prefix=prefix,
        execution_name=EXECUTION,
        execution_start_time=START,
    )


def plan_error(execution_input: object) -> str:
    with pytest.raises(InvalidRequestError) as raised:
        plan(execution_input)
    return str(raised.value)


def with_human_task(**overrides: object) -> dict[str, Any]:
    return {"task_type": "3DPointCloudObjectTracking", "human_task": overrides}


# --- Planning: defaults ------------------------------------------------------------------------------------------
def test_given_only_a_task_type_when_planning_then_the_plan_is_the_documented_object_with_notebook_defaults() -> None:
    result = plan({"task_type": "3DPointCloudObjectTracking"}).to_dict()

    assert result == {
        "execution_name": "run-1",
        "task_type": "3DPointCloudObjectTracking",
        "job_name": "gt3d-ot-20240517093005-4e65",
        "label_attribute_name": "gt3d-ot-20240517093005-4e65-ref",
        "source": {"bucket": "aws-ml-blog", "prefix": "artifacts/gt-point-cloud-demos/"},
        "target": {"bucket": "labeling-bucket", "prefix": "exp/input/"},
        "manifest": "manifests/OT-manifest-10-frame.json",
        "label_category_config": "label-category-config/label-category.json",
        "manifest_uri": "s3://labeling-bucket/exp/input/manifests/OT-manifest-10-frame.json",
        "label_category_config_uri": "s3://labeling-bucket/exp/input/label-category-config/label-category.json",
        "output_uri": "s3://labeling-bucket/exp/output/",
        "human_task": {
            "title": "Add a Task Title Here - This is Displayed to Workers",
            "description": "add a task description here",
            "keywords": ["lidar", "pointcloud"],
            "task_time_limit_seconds": 3600,
            "task_availability_lifetime_seconds": 18000,
            "max_concurrent_task_count": 200,
        },
        "then": None,
    }


@pytest.mark.parametrize(
    ("task_type", "job_name", "label_attribute", "manifest", "categories"),
    [
        (
            "3DPointCloudObjectDetection",
            "gt3d-od-20240517093005-4e65",
            "gt3d-od-20240517093005-4e65",
            "manifests/SingleFrame-manifest.json",
            "label-category-config/label-category.json",
        ),
        (
            "3DPointCloudSemanticSegmentation",
            "gt3d-ss-20240517093005-4e65",
            "gt3d-ss-20240517093005-4e65-ref",
            "manifests/SS-manifest.json",
            "label-category-config/label-category.json",
        ),
        (
            "Adjustment3DPointCloudObjectDetection",
            "gt3d-od-adj-20240517093005-4e65",
            "gt3d-od-adj-20240517093005-4e65",
            "manifests/OD-adjustment-manifest.json",
            "label-category-config/od-adjustment-label-categories-file.json",
        ),
        (
            "Adjustment3DPointCloudObjectTracking",
            "gt3d-ot-adj-20240517093005-4e65",
            "gt3d-ot-adj-20240517093005-4e65-ref",
            "manifests/OT-adjustment-manifest.json",
            "label-category-config/ot-adjustment-label-categories-file.json",
        ),
        (
            "Adjustment3DPointCloudSemanticSegmentation",
            "gt3d-ss-adj-20240517093005-4e65",
            "gt3d-ss-adj-20240517093005-4e65-ref",
            "manifests/SS-audit-manifest-5-17.json",
            "label-category-config/SS-audit-5-17-updated-manually-created-label-categories-file.json",
        ),
    ],
)
def test_given_each_task_type_when_planning_with_defaults_then_names_and_demo_paths_follow_the_catalog(
    task_type: str, job_name: str, label_attribute: str, manifest: str, categories: str
) -> None:
    result = plan({"task_type": task_type})

    assert (result.job_name, result.label_attribute_name) == (job_name, label_attribute)
    assert (result.manifest, result.label_category_config) == (manifest, categories)
    assert result.manifest_uri == f"s3://labeling-bucket/exp/input/{manifest}"
    assert result.label_category_config_uri == f"s3://labeling-bucket/exp/input/{categories}"


def test_given_every_field_when_planning_then_the_given_values_are_used() -> None:
    result = plan(
        {
            "task_type": "3DPointCloudSemanticSegmentation",
            "job_name": "My-Job-7",
            "manifest": "custom/frames.jsonl",
            "label_category_config": "custom/categories.json",
            "human_task": {
                "title": "Paint the cars",
                "description": "Paint every car red",
                "keywords": ["cars", "lidar paint"],
                "task_time_limit_seconds": 43200,
                "task_availability_lifetime_seconds": 60,
                "max_concurrent_task_count": 1000,
            },
        }
    )

    assert result.job_name == "My-Job-7"
    assert result.label_attribute_name == "My-Job-7-ref"
    assert result.manifest_uri == "s3://labeling-bucket/exp/input/custom/frames.jsonl"
    assert result.label_category_config_uri == "s3://labeling-bucket/exp/input/custom/categories.json"
    assert result.human_task.to_dict() == {
        "title": "Paint the cars",
        "description": "Paint every car red",
        "keywords": ["cars", "lidar paint"],
        "task_time_limit_seconds": 43200,
        "task_availability_lifetime_seconds": 60,
        "max_concurrent_task_count": 1000,
    }


def test_given_some_human_task_fields_when_planning_then_the_rest_keep_the_notebook_defaults() -> None:
    result = plan(with_human_task(title="Track cars", max_concurrent_task_count=10))

    assert result.human_task.title == "Track cars"
    assert result.human_task.max_concurrent_task_count == 10
    assert result.human_task.description == DEFAULT_HUMAN_TASK.description
    assert result.human_task.keywords == ("lidar", "pointcloud")
    assert result.human_task.task_time_limit_seconds == 3600
    assert result.human_task.task_availability_lifetime_seconds == 18000


# --- Planning: input shape ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("execution_input", [None, [], "3DPointCloudObjectTracking", 7])
def test_given_an_input_that_is_not_an_object_when_planning_then_it_is_rejected(execution_input: object) -> None:
    assert "input" in plan_error(execution_input)


def test_given_no_task_type_when_planning_then_the_error_lists_the_six_types() -> None:
    message = plan_error({})

    assert "task_type" in message
    for name in catalog.TASK_TYPE_NAMES:
        assert name in message


def test_given_an_unknown_task_type_when_planning_then_unknown_task_type_error_is_raised() -> None:
    with pytest.raises(UnknownTaskTypeError, match="PointCloudObjectTracking"):
        plan({"task_type": "PointCloudObjectTracking"})


def test_given_an_unknown_input_key_when_planning_then_the_error_names_it_and_the_allowed_keys() -> None:
    message = plan_error({"task_type": "3DPointCloudObjectTracking", "jobname": "x"})

    assert "'jobname'" in message
    for key in ("task_type", "job_name", "manifest", "label_category_config", "human_task"):
        assert key in message


def test_given_an_unknown_human_task_key_when_planning_then_the_error_names_it_and_the_allowed_keys() -> None:
    message = plan_error(with_human_task(task_time_limit=3600))

    assert "'task_time_limit'" in message
    assert "task_time_limit_seconds" in message
    assert "max_concurrent_task_count" in message


def test_given_human_task_that_is_not_an_object_when_planning_then_it_is_rejected() -> None:
    assert "human_task" in plan_error({"task_type": "3DPointCloudObjectTracking", "human_task": ["title"]})


# --- Planning: job name -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "job_name", ["", "-job", "job-", "my_job", "my job", "jöb", "a" * 64, "job.1", 123, None, True]
)
def test_given_an_invalid_job_name_when_planning_then_the_error_names_the_field_value_and_pattern(
    job_name: object,
) -> None:
    message = plan_error({"task_type": "3DPointCloudObjectTracking", "job_name": job_name})

    assert message.startswith("job_name ")
    assert repr(job_name)[:20] in message


def test_given_a_bad_job_name_when_planning_then_the_message_states_the_rule_and_the_fix() -> None:
    message = plan_error({"task_type": "3DPointCloudObjectTracking", "job_name": "my_job"})

    assert "[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}" in message
    assert "Choose another job_name" in message


@pytest.mark.parametrize("job_name", ["a", "A--b", "a" * 63, "0-0"])
def test_given_a_valid_job_name_when_planning_then_it_is_used_unchanged(job_name: str) -> None:
    assert plan({"task_type": "3DPointCloudObjectTracking", "job_name": job_name}).job_name == job_name


@pytest.mark.parametrize("task_type", ["3DPointCloudObjectDetection", "Adjustment3DPointCloudObjectDetection"])
@pytest.mark.parametrize("job_name", ["cars-ref", "cars-metadata"])
def test_given_an_od_job_name_ending_in_ref_or_metadata_when_planning_then_it_is_rejected(
    task_type: str, job_name: str
) -> None:
    message = plan_error({"task_type": task_type, "job_name": job_name})

    assert message.startswith("job_name ")
    assert "label attribute" in message


def test_given_an_ot_job_name_ending_in_metadata_when_planning_then_the_ref_suffix_makes_it_valid() -> None:
    result = plan({"task_type": "3DPointCloudObjectTracking", "job_name": "cars-metadata"})

    assert result.label_attribute_name == "cars-metadata-ref"


# --- Planning: derived job name -----------------------------------------------------------------------------------
def test_given_a_long_prefix_when_deriving_the_name_then_only_the_prefix_is_shortened() -> None:
    name = derive_job_name("p" * 100, catalog.task_type("Adjustment3DPointCloudSemanticSegmentation"), START, EXECUTION)

    assert len(name) == 63
    assert name.endswith("-ss-adj-20240517093005-4e65")
    assert JOB_NAME_RE.fullmatch(name)


def test_given_a_prefix_with_invalid_characters_when_deriving_the_name_then_they_become_single_hyphens() -> None:
    name = derive_job_name("_Gt3d__Pipeline.dev_", catalog.task_type("3DPointCloudObjectDetection"), START, EXECUTION)

    assert name == "Gt3d-Pipeline-dev-od-20240517093005-4e65"


@pytest.mark.parametrize("prefix", ["", "---", "___", "äöü"])
def test_given_a_prefix_without_usable_characters_when_deriving_the_name_then_it_is_left_out(prefix: str) -> None:
    assert derive_job_name(prefix, catalog.task_type("3DPointCloudObjectTracking"), START, EXECUTION) == (
        "ot-20240517093005-4e65"
    )


def test_given_a_start_time_in_another_zone_when_deriving_the_name_then_the_stamp_is_utc() -> None:
    start = datetime(2024, 5, 17, 1, 0, 0, tzinfo=timezone(timedelta(hours=2)))

    assert derive_job_name("gt3d", catalog.task_type("3DPointCloudObjectTracking"), start, EXECUTION) == (
        "gt3d-ot-20240516230000-4e65"
    )


def test_given_two_executions_started_in_the_same_second_when_deriving_names_then_they_differ() -> None:
    task = catalog.task_type("3DPointCloudObjectTracking")

    assert derive_job_name("gt3d", task, START, "run-1") != derive_job_name("gt3d", task, START, "run-2")


def test_given_the_same_execution_when_planning_twice_then_the_derived_name_is_the_same() -> None:
    execution_input = {"task_type": "3DPointCloudObjectTracking"}

    assert plan(execution_input) == plan(execution_input)


@given(
    prefix=st.text(max_size=120),
    task_name=st.sampled_from(catalog.TASK_TYPE_NAMES),
    start=st.datetimes(timezones=st.just(UTC)),
)
def test_given_any_prefix_and_start_when_deriving_the_name_then_it_is_a_valid_job_and_label_name(
    prefix: str, task_name: str, start: datetime
) -> None:
    task = catalog.task_type(task_name)

    name = derive_job_name(prefix, task, start, EXECUTION)

    assert len(name) <= 63
    assert JOB_NAME_RE.fullmatch(name)
    assert name.endswith(f"{task.abbreviation.lower()}-{start:%Y%m%d%H%M%S}-4e65")
    result = plan_labeling_job(
        {"task_type": task_name},
        locations=LOCATIONS,
        resource_prefix=prefix,
        execution_name=EXECUTION,
        execution_start_time=start,
    )
    assert result.job_name == name


# --- Planning: paths ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("field", ["manifest", "label_category_config"])
@pytest.mark.parametrize(
    "path",
    [
        "",
        "/manifests/x.json",
        "s3://other-bucket/manifests/x.json",
        "S3://other-bucket/x.json",
        "https://example.com/x.json",
        "../secrets.json",
        "manifests/../../x.json",
        "manifests//x.json",
        "./x.json",
        "manifests/",
        "bad\nname.json",
        42,
    ],
)
def test_given_a_path_that_is_not_a_safe_relative_key_when_planning_then_it_is_rejected(
    field: str, path: object
) -> None:
    message = plan_error({"task_type": "3DPointCloudObjectTracking", field: path})

    assert message.startswith(f"{field} ")
    assert "relative" in message or "string" in message


def test_given_a_path_too_long_for_an_s3_uri_when_planning_then_it_is_rejected() -> None:
    message = plan_error({"task_type": "3DPointCloudObjectTracking", "manifest": "m/" + "x" * 1010})

    assert "at most 1,024 characters" in message


# --- Planning: human task -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "t" * 129}, "title"),
        ({"title": "Label cars \U0001f697"}, "title"),
        ({"title": "bell\x07"}, "title"),
        ({"title": 5}, "title"),
        ({"description": ""}, "description"),
        ({"description": "d" * 256}, "description"),
        ({"description": "two\nlines"}, "description"),
        ({"keywords": []}, "keywords"),
        ({"keywords": ["a", "b", "c", "d", "e", "f"]}, "keywords"),
        ({"keywords": "lidar"}, "keywords"),
        ({"keywords": ["k" * 31]}, "keywords[0]"),
        ({"keywords": ["lidar", "point-cloud"]}, "keywords[1]"),
        ({"keywords": ["two  spaces"]}, "keywords[0]"),
        ({"keywords": [" lidar"]}, "keywords[0]"),
        ({"keywords": [""]}, "keywords[0]"),
        ({"keywords": [7]}, "keywords[0]"),
        ({"task_time_limit_seconds": 29}, "task_time_limit_seconds"),
        ({"task_time_limit_seconds": 7 * 24 * 3600 + 1}, "task_time_limit_seconds"),
        ({"task_time_limit_seconds": True}, "task_time_limit_seconds"),
        ({"task_time_limit_seconds": 3600.0}, "task_time_limit_seconds"),
        ({"task_time_limit_seconds": "3600"}, "task_time_limit_seconds"),
        ({"task_availability_lifetime_seconds": 59}, "task_availability_lifetime_seconds"),
        ({"task_availability_lifetime_seconds": 2592001}, "task_availability_lifetime_seconds"),
        ({"task_availability_lifetime_seconds": None}, "task_availability_lifetime_seconds"),
        ({"max_concurrent_task_count": 0}, "max_concurrent_task_count"),
        ({"max_concurrent_task_count": 1001}, "max_concurrent_task_count"),
        ({"max_concurrent_task_count": False}, "max_concurrent_task_count"),
    ],
)
def test_given_an_invalid_human_task_value_when_planning_then_the_error_names_the_field(
    overrides: dict[str, object], field: str
) -> None:
    message = plan_error(with_human_task(**overrides))

    assert message.startswith(f"human_task.{field} ")


@pytest.mark.parametrize(
    "overrides",
    [
        {"title": "t" * 128},
        {"title": "Tabs\tand\nnewlines are allowed"},
        {"description": "d" * 255},
        {"keywords": ["k" * 30]},
        {"keywords": ["a", "b", "c", "d", "e"]},
        {"keywords": ["point cloud", "Lidar2"]},
        {"task_time_limit_seconds": 30},
        {"task_time_limit_seconds": 43200},
        {"task_time_limit_seconds": 7 * 24 * 3600},
        {"task_availability_lifetime_seconds": 60},
        {"task_availability_lifetime_seconds": 2592000},
        {"max_concurrent_task_count": 1},
        {"max_concurrent_task_count": 1000},
    ],
)
def test_given_a_human_task_value_at_a_limit_when_planning_then_it_is_accepted(overrides: dict[str, object]) -> None:
    result = plan(with_human_task(**overrides)).human_task.to_dict()

    for key, value in overrides.items():
        assert result[key] == value


def test_given_a_task_time_limit_above_the_role_session_when_planning_then_it_is_accepted() -> None:
    # The 8-hour rule is a minimum on the role's MaxSessionDuration (12 hours here), not a ceiling on the task.
    result = plan(with_human_task(task_time_limit_seconds=3 * 24 * 3600))

    assert result.human_task.task_time_limit_seconds == 3 * 24 * 3600


def test_given_a_task_time_limit_above_seven_days_when_planning_then_the_message_cites_the_3d_task_page() -> None:
    message = plan_error(with_human_task(task_time_limit_seconds=7 * 24 * 3600 + 1))

    assert "604,800" in message
    assert (
        "[HT-TASK-TIME-LIMIT] https://docs.aws.amazon.com/sagemaker/latest/dg/sms-point-cloud-object-detection.html"
        in message
    )


def test_given_a_very_long_bad_value_when_planning_then_the_message_shows_it_truncated() -> None:
    message = plan_error(with_human_task(title="x" * 5000))

    assert len(message) < 400
    assert "..." in message


# --- Execution start time -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-05-17T09:30:05.123Z", datetime(2024, 5, 17, 9, 30, 5, 123000, tzinfo=UTC)),
        ("2024-05-17T11:30:05+02:00", datetime(2024, 5, 17, 9, 30, 5, tzinfo=UTC)),
        ("2024-05-17T09:30:05", datetime(2024, 5, 17, 9, 30, 5, tzinfo=UTC)),
    ],
)
def test_given_an_iso_start_time_when_parsed_then_it_is_aware_utc(value: str, expected: datetime) -> None:
    parsed = parse_execution_start_time(value)

    assert parsed == expected
    assert parsed.utcoffset() == timedelta(0)


@pytest.mark.parametrize("value", ["yesterday", "", None, 1715938205])
def test_given_a_malformed_start_time_when_parsed_then_configuration_error_is_raised(value: object) -> None:
    with pytest.raises(ConfigurationError, match="execution_start_time"):
        parse_execution_start_time(value)


# --- The plan as the create function receives it --------------------------------------------------------------------
def test_given_a_plan_when_round_tripped_through_its_dict_then_it_is_unchanged() -> None:
    original = plan(with_human_task(title="Track cars"))

    assert LabelingJobPlan.from_dict(original.to_dict()) == original


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"job_name": "bad_name"}, "job_name"),
        ({"task_type": "Nope"}, None),
        ({"label_attribute_name": "gt3d-ot-20240517093005-4e65"}, "label_attribute_name"),
        ({"manifest_uri": "s3://elsewhere/manifest.json"}, "manifest_uri"),
        ({"label_category_config_uri": "s3://elsewhere/c.json"}, "label_category_config_uri"),
        ({"manifest": "../x.json"}, "manifest"),
        ({"output_uri": "s3://labeling-bucket/exp/output"}, "output_uri"),
        ({"target": {"bucket": "labeling-bucket", "prefix": "no-slash"}}, "target"),
        ({"source": {"bucket": "aws-ml-blog"}}, "source"),
        ({"human_task": {"title": "only a title"}}, "human_task"),
        ({"extra": 1}, "plan"),
    ],
)
def test_given_a_tampered_plan_when_revalidated_then_it_is_rejected(
    change: dict[str, object], field: str | None
) -> None:
    data = {**plan({"task_type": "3DPointCloudObjectTracking"}).to_dict(), **change}

    with pytest.raises((InvalidRequestError, UnknownTaskTypeError)) as raised:
        LabelingJobPlan.from_dict(data)

    if field is not None:
        assert str(raised.value).startswith(field)


def test_given_a_plan_missing_a_key_when_revalidated_then_the_error_names_it() -> None:
    data = plan({"task_type": "3DPointCloudObjectTracking"}).to_dict()
    del data["output_uri"]

    with pytest.raises(InvalidRequestError, match="output_uri"):
        LabelingJobPlan.from_dict(data)


# --- CreateLabelingJob request --------------------------------------------------------------------------------------
def test_given_a_plan_when_building_the_request_then_it_is_the_notebook_request() -> None:
    request = build_create_labeling_job_request(
        plan({"task_type": "3DPointCloudObjectDetection", "job_name": "cars"}),
        region="us-east-1",
        role_arn=ROLE,
        workteam_arn=WORKTEAM,
    )

    assert request == {
        "LabelingJobName": "cars",
        "LabelAttributeName": "cars",
        "InputConfig": {
            "DataSource": {
                "S3DataSource": {"ManifestS3Uri": "s3://labeling-bucket/exp/input/manifests/SingleFrame-manifest.json"}
            },
            "DataAttributes": {"ContentClassifiers": ["FreeOfPersonallyIdentifiableInformation", "FreeOfAdultContent"]},
        },
        "OutputConfig": {"S3OutputPath": "s3://labeling-bucket/exp/output/"},
        "RoleArn": ROLE,
        "LabelCategoryConfigS3Uri": "s3://labeling-bucket/exp/input/label-category-config/label-category.json",
        "HumanTaskConfig": {
            "WorkteamArn": WORKTEAM,
            "UiConfig": {
                "HumanTaskUiArn": "arn:aws:sagemaker:us-east-1:394669845002:human-task-ui/PointCloudObjectDetection"
            },
            "PreHumanTaskLambdaArn": "arn:aws:lambda:us-east-1:432418664414:function:PRE-3DPointCloudObjectDetection",
            "AnnotationConsolidationConfig": {
                "AnnotationConsolidationLambdaArn": (
                    "arn:aws:lambda:us-east-1:432418664414:function:ACS-3DPointCloudObjectDetection"
                )
            },
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


def test_given_an_unsupported_region_when_building_the_request_then_unsupported_region_error_is_raised() -> None:
    with pytest.raises(UnsupportedRegionError, match="sa-east-1"):
        validate_job_settings(
            region="sa-east-1", role_arn=ROLE, workteam_arn=WORKTEAM.replace("us-east-1", "sa-east-1")
        )


@pytest.mark.parametrize(
    ("role_arn", "workteam_arn", "named"),
    [
        ("not-an-arn", WORKTEAM, "GROUND_TRUTH_ROLE_ARN"),
        ("arn:aws:iam::123456789012:user/alice", WORKTEAM, "GROUND_TRUTH_ROLE_ARN"),
        (ROLE, "arn:aws:sagemaker:us-east-1:123456789012:workforce/default", "WORKTEAM_ARN"),
        (ROLE, WORKTEAM.replace("us-east-1", "eu-west-1"), "WORKTEAM_ARN"),
    ],
)
def test_given_a_bad_role_or_workteam_when_building_the_request_then_configuration_error_names_the_variable(
    role_arn: str, workteam_arn: str, named: str
) -> None:
    with pytest.raises(ConfigurationError, match=named):
        validate_job_settings(region="us-east-1", role_arn=role_arn, workteam_arn=workteam_arn)


@pytest.mark.parametrize("output", ["s3://b/exp/output/", "s3://b/exp/output"])
def test_given_an_output_path_when_locating_the_output_manifest_then_there_is_no_double_slash(output: str) -> None:
    assert output_manifest_uri(output, "job-1") == "s3://b/exp/output/job-1/manifests/output/output.manifest"


def test_given_a_bucket_root_output_path_when_locating_the_output_manifest_then_it_is_under_the_bucket() -> None:
    assert output_manifest_uri("s3://b/", "job-1") == "s3://b/job-1/manifests/output/output.manifest"


# --- Name clashes ---------------------------------------------------------------------------------------------------
def _request() -> dict[str, Any]:
    return build_create_labeling_job_request(
        plan({"task_type": "3DPointCloudObjectTracking", "job_name": "cars"}),
        region="us-east-1",
        role_arn=ROLE,
        workteam_arn=WORKTEAM,
    )


def test_given_an_existing_job_from_the_same_request_when_checked_then_it_is_accepted() -> None:
    request = _request()
    existing = {**request, "LabelingJobArn": "arn:aws:sagemaker:us-east-1:123456789012:labeling-job/cars"}

    require_same_job(request, existing)


@pytest.mark.parametrize(
    ("change", "mentioned"),
    [
        ({"LabelAttributeName": "other-ref"}, "label attribute name"),
        ({"RoleArn": "arn:aws:iam::123456789012:role/other"}, "role"),
        ({"InputConfig": {"DataSource": {"S3DataSource": {"ManifestS3Uri": "s3://x/m.json"}}}}, "input manifest"),
        ({"Tags": [{"Key": "gt3d:execution-name", "Value": "an-earlier-run"}]}, "creating execution"),
        ({"Tags": []}, "creating execution"),
    ],
)
def test_given_an_existing_job_that_differs_when_checked_then_job_name_taken_says_how_to_fix(
    change: dict[str, Any], mentioned: str
) -> None:
    request = _request()

    with pytest.raises(JobNameTakenError) as raised:
        require_same_job(request, {**request, **change})

    assert mentioned in str(raised.value)
    assert "'cars'" in str(raised.value)
    assert "job_name" in str(raised.value)


@pytest.mark.parametrize("name", ["", "run(1)", "x" * 257, 7])
def test_given_a_bad_execution_name_when_the_plan_is_reread_then_it_is_rejected(name: object) -> None:
    data = plan({"task_type": "3DPointCloudObjectTracking"}).to_dict()

    with pytest.raises(InvalidRequestError, match="execution_name"):
        LabelingJobPlan.from_dict({**data, "execution_name": name})


# --- Backoff --------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("age", "expected"),
    [
        (timedelta(seconds=-60), 30),
        (timedelta(0), 30),
        (timedelta(minutes=5), 30),
        (timedelta(minutes=10), 60),
        (timedelta(minutes=30), 180),
        (timedelta(minutes=50), 300),
        (timedelta(days=3), 300),
    ],
)
def test_given_a_job_age_when_computing_the_wait_then_it_grows_from_30_to_300_seconds(
    age: timedelta, expected: int
) -> None:
    assert wait_seconds_for(age) == expected


@given(st.integers(min_value=0, max_value=40 * 86400), st.integers(min_value=0, max_value=40 * 86400))
def test_given_two_ages_when_computing_waits_then_the_older_job_never_waits_less(first: int, second: int) -> None:
    younger, older = sorted((first, second))

    assert 30 <= wait_seconds_for(timedelta(seconds=younger)) <= wait_seconds_for(timedelta(seconds=older)) <= 300


def test_given_a_week_long_job_when_polling_by_the_backoff_then_it_costs_few_polls() -> None:
    age, polls = 0, 0
    while age < 7 * 86400:
        age += wait_seconds_for(timedelta(seconds=age))
        polls += 1

    assert polls < 7 * 86400 // 300 + 60


# --- Status interpretation --------------------------------------------------------------------------------------------
NOW = datetime(2024, 5, 17, 12, 0, tzinfo=UTC)


def description(status: str, **extra: Any) -> dict[str, Any]:
    return {
        "LabelingJobName": "cars",
        "LabelingJobStatus": status,
        "LabelCounters": {"TotalLabeled": 0, "HumanLabeled": 0, "MachineLabeled": 0, "FailedNonRetryableError": 0,
                          "Unlabeled": 10},
        "CreationTime": NOW - timedelta(minutes=20),
        "HumanTaskConfig": {"TaskAvailabilityLifetimeInSeconds": 18000},
        **extra,
    }  # fmt: skip


@pytest.mark.parametrize("status", ["Initializing", "InProgress", "Stopping"])
def test_given_a_running_job_when_interpreted_then_it_is_not_done_and_waits_by_its_age(status: str) -> None:
    progress = interpret_job_description(description(status), now=NOW)

    assert (progress.status, progress.done, progress.succeeded, progress.failure_reason) == (status, False, False, None)
    assert progress.wait_seconds == 120


def test_given_a_completed_job_with_labels_when_interpreted_then_it_succeeded_with_its_output() -> None:
    counters = {"TotalLabeled": 10, "HumanLabeled": 10, "MachineLabeled": 0, "FailedNonRetryableError": 0,
                "Unlabeled": 0}  # fmt: skip
    output = "s3://labeling-bucket/exp/output/cars/manifests/output/output.manifest"

    progress = interpret_job_description(
        description("Completed", LabelCounters=counters, LabelingJobOutput={"OutputDatasetS3Uri": output}), now=NOW
    )

    assert progress.to_dict() == {
        "status": "Completed",
        "done": True,
        "succeeded": True,
        "label_counters": counters,
        "output_manifest_uri": output,
        "failure_reason": None,
        "wait_seconds": 120,
    }


def test_given_a_completed_job_with_nothing_labeled_when_interpreted_then_it_failed_saying_what_to_do() -> None:
    progress = interpret_job_description(description("Completed"), now=NOW)

    assert (progress.done, progress.succeeded) == (True, False)
    assert progress.failure_reason is not None
    assert "no worker labeled" in progress.failure_reason
    assert "18000" in progress.failure_reason
    assert "task_availability_lifetime_seconds" in progress.failure_reason
    assert "workers" in progress.failure_reason


def test_given_a_failed_job_when_interpreted_then_the_reason_is_sagemakers() -> None:
    progress = interpret_job_description(
        description("Failed", FailureReason="ClientError: manifest unreadable"), now=NOW
    )

    assert (progress.done, progress.succeeded) == (True, False)
    assert progress.failure_reason is not None
    assert "ClientError: manifest unreadable" in progress.failure_reason


def test_given_a_failed_job_without_a_reason_when_interpreted_then_the_reason_says_so() -> None:
    progress = interpret_job_description(description("Failed"), now=NOW)

    assert progress.failure_reason is not None
    assert "no reason" in progress.failure_reason


def test_given_a_stopped_job_when_interpreted_then_it_is_done_and_the_reason_says_it_was_stopped() -> None:
    progress = interpret_job_description(description("Stopped"), now=NOW)

    assert (progress.done, progress.succeeded) == (True, False)
    assert progress.failure_reason is not None
    assert "stopped" in progress.failure_reason


def test_given_missing_counters_and_naive_times_when_interpreted_then_counters_default_to_zero() -> None:
    progress = interpret_job_description(
        {"LabelingJobStatus": "InProgress", "CreationTime": datetime(2024, 5, 17, 11, 0)}, now=NOW
    )

    assert progress.label_counters == dict.fromkeys(
        ("TotalLabeled", "HumanLabeled", "MachineLabeled", "FailedNonRetryableError", "Unlabeled"), 0
    )
    assert progress.wait_seconds == 300
    assert progress.output_manifest_uri is None


# --- a chained adjustment job (``then``) ---------------------------------------------------------------------------

CHAINS = [
    ("3DPointCloudObjectDetection", "Adjustment3DPointCloudObjectDetection"),
    ("3DPointCloudObjectTracking", "Adjustment3DPointCloudObjectTracking"),
    ("3DPointCloudSemanticSegmentation", "Adjustment3DPointCloudSemanticSegmentation"),
]


@pytest.mark.parametrize(("first", "then"), CHAINS)
def test_given_a_task_and_its_adjustment_as_then_when_planning_then_the_follow_up_reviews_the_first_jobs_labels(
    first: str, then: str
) -> None:
    chained = plan({"task_type": first, "then": {"task_type": then, "human_task": {"title": "Fix the labels"}}})

    follow_up = chained.then
    assert follow_up is not None and follow_up.then is None
    assert follow_up.task_type == then
    assert follow_up.job_name != chained.job_name and JOB_NAME_RE.fullmatch(follow_up.job_name)
    assert follow_up.label_attribute_name != chained.label_attribute_name
    assert follow_up.manifest == f"adjustments/{follow_up.job_name}/manifest.json"
    assert (
        follow_up.label_category_config_uri
        == f"{LOCATIONS.target}adjustments/{follow_up.job_name}/label-categories.json"
    )
    assert follow_up.human_task.title == "Fix the labels"
    assert follow_up.execution_name == chained.execution_name  # the job is tagged with the same execution
    assert LabelingJobPlan.from_dict(chained.to_dict()) == chained


@pytest.mark.parametrize(
    ("first", "then"),
    [
        ("3DPointCloudObjectDetection", "Adjustment3DPointCloudObjectTracking"),
        ("3DPointCloudObjectTracking", "3DPointCloudObjectTracking"),
        ("Adjustment3DPointCloudObjectDetection", "Adjustment3DPointCloudObjectDetection"),
    ],
)
def test_given_a_then_that_is_not_the_adjustment_of_the_first_task_when_planning_then_it_is_refused(
    first: str, then: str
) -> None:
    message = plan_error({"task_type": first, "then": {"task_type": then}})

    assert "then.task_type" in message and "adjustment" in message


def test_given_a_then_job_name_equal_to_the_first_when_planning_then_it_is_refused() -> None:
    message = plan_error(
        {
            "task_type": "3DPointCloudObjectDetection",
            "job_name": "cars-1",
            "then": {"task_type": "Adjustment3DPointCloudObjectDetection", "job_name": "CARS-1"},
        }
    )

    assert "then.job_name" in message


def test_given_a_then_with_an_unknown_key_when_planning_then_the_error_names_it() -> None:
    message = plan_error(
        {
            "task_type": "3DPointCloudObjectDetection",
            "then": {"task_type": "Adjustment3DPointCloudObjectDetection", "manifest": "m.json"},
        }
    )

    assert "manifest" in message and "then" in message
