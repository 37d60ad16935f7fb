"""plan_labeling_job.handler: the state machine's first step, from execution input to ``$.plan``."""

from __future__ import annotations

from typing import Any

import plan_labeling_job
import pytest
from fake_context import lambda_context
from sagemaker_stub import EXECUTION_START, PLAN_ENVIRONMENT

from gt3d_core.errors import ConfigurationError, InvalidRequestError, UnknownTaskTypeError


@pytest.fixture(autouse=True)
def plan_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in PLAN_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)


def invoke(execution_input: object, start: object = EXECUTION_START, execution_name: str = "run-1") -> dict[str, Any]:
    event = {"input": execution_input, "execution_name": execution_name, "execution_start_time": start}
    result: dict[str, Any] = plan_labeling_job.handler(event, lambda_context())
    return result


def test_given_the_state_machine_payload_when_planning_then_the_plan_is_returned() -> None:
    plan = invoke({"task_type": "3DPointCloudObjectTracking"})

    assert plan == {
        "execution_name": "run-1",
        "task_type": "3DPointCloudObjectTracking",
        "job_name": "gt3d-ot-20240517093005-4e65",
        "label_attribute_name": "gt3d-ot-20240517093005-4e65-ref",
        "source": {"bucket": "aws-ml-blog", "prefix": "artifacts/gt-point-cloud-demos/"},
        "target": {"bucket": "gt3d-labeling-bucket", "prefix": "gt3d-demo/input/"},
        "manifest": "manifests/OT-manifest-10-frame.json",
        "label_category_config": "label-category-config/label-category.json",
        "manifest_uri": "s3://gt3d-labeling-bucket/gt3d-demo/input/manifests/OT-manifest-10-frame.json",
        "label_category_config_uri": "s3://gt3d-labeling-bucket/gt3d-demo/input/label-category-config/label-category.json",
        "output_uri": "s3://gt3d-labeling-bucket/gt3d-demo/output/",
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


def test_given_a_retried_execution_when_planning_again_then_the_job_name_is_the_same() -> None:
    first = invoke({"task_type": "3DPointCloudSemanticSegmentation"})
    second = invoke({"task_type": "3DPointCloudSemanticSegmentation"})

    assert first["job_name"] == second["job_name"] == "gt3d-ss-20240517093005-4e65"


def test_given_a_long_resource_prefix_when_planning_then_the_derived_name_still_fits(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RESOURCE_PREFIX", "Gt3d_Pipeline_" + "x" * 80)

    plan = invoke({"task_type": "Adjustment3DPointCloudObjectTracking"})

    assert len(plan["job_name"]) == 63
    assert plan["job_name"].startswith("Gt3d-Pipeline-x")
    assert plan["job_name"].endswith("-ot-adj-20240517093005-4e65")


def test_given_a_user_error_when_planning_then_invalid_request_error_reaches_the_state_machine() -> None:
    with pytest.raises(InvalidRequestError, match=r"human_task\.max_concurrent_task_count"):
        invoke({"task_type": "3DPointCloudObjectTracking", "human_task": {"max_concurrent_task_count": 0}})


def test_given_an_execution_name_that_is_not_a_tag_value_when_planning_then_it_is_refused_before_any_copy() -> None:
    with pytest.raises(InvalidRequestError, match=r"execution_name 'run\(1\)' is invalid: .*\[TAG-VALUE\]"):
        invoke({"task_type": "3DPointCloudObjectTracking"}, execution_name="run(1)")


def test_given_a_task_time_limit_of_days_when_planning_then_it_is_accepted() -> None:
    plan = invoke({"task_type": "3DPointCloudObjectTracking", "human_task": {"task_time_limit_seconds": 604_800}})

    assert plan["human_task"]["task_time_limit_seconds"] == 604_800


def test_given_an_unknown_task_type_when_planning_then_unknown_task_type_error_is_raised() -> None:
    with pytest.raises(UnknownTaskTypeError):
        invoke({"task_type": "2DBoundingBox"})


@pytest.mark.parametrize("name", ["SOURCE_URI", "INPUT_URI", "OUTPUT_URI", "RESOURCE_PREFIX"])
def test_given_a_missing_environment_variable_when_planning_then_configuration_error_names_it(
    monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    monkeypatch.delenv(name)

    with pytest.raises(ConfigurationError, match=name):
        invoke({"task_type": "3DPointCloudObjectTracking"})


@pytest.mark.parametrize("value", ["s3://gt3d-labeling-bucket/gt3d-demo/input", "gt3d-labeling-bucket/input/"])
def test_given_a_malformed_location_variable_when_planning_then_configuration_error_names_it(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("INPUT_URI", value)

    with pytest.raises(ConfigurationError, match="INPUT_URI"):
        invoke({"task_type": "3DPointCloudObjectTracking"})


def test_given_a_payload_without_the_start_time_when_planning_then_configuration_error_shows_the_wiring() -> None:
    with pytest.raises(ConfigurationError, match=r"\$\$\.Execution\.StartTime"):
        plan_labeling_job.handler({"input": {}, "execution_name": "run-1"}, lambda_context())


def test_given_a_malformed_start_time_when_planning_then_configuration_error_is_raised() -> None:
    with pytest.raises(ConfigurationError, match="execution_start_time"):
        invoke({"task_type": "3DPointCloudObjectTracking"}, start="not a time")
