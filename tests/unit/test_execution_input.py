"""The execution input the commands build from ``--input``, ``--set key=value`` and ``--task-type``."""

from __future__ import annotations

from typing import Any

import pytest

from gt3d.execution_input import InputOptionError, Setting, build_execution_input


@pytest.mark.parametrize(
    ("text", "path", "value"),
    [
        ("human_task.title=Label the cars", ("human_task", "title"), "Label the cars"),
        ("human_task.task_time_limit_seconds=1800", ("human_task", "task_time_limit_seconds"), 1800),
        ('human_task.keywords=["lidar", "cars"]', ("human_task", "keywords"), ["lidar", "cars"]),
        ('job_name="123"', ("job_name",), "123"),
        ("job_name=a=b", ("job_name",), "a=b"),
        ("human_task.title=", ("human_task", "title"), ""),
    ],
)
def test_given_key_value_text_when_parsed_then_the_value_is_json_if_it_parses_else_text(
    text: str, path: tuple[str, ...], value: Any
) -> None:
    setting = Setting.parse(text)

    assert (setting.path, setting.value) == (path, value)


@pytest.mark.parametrize("text", ["human_task.title", "=x", "human_task..title=x", "human_task.=x"])
def test_given_text_without_a_key_when_parsed_then_it_is_refused(text: str) -> None:
    with pytest.raises(InputOptionError, match="is not key=value"):
        Setting.parse(text)


def test_given_settings_then_they_apply_in_order_over_a_copy_of_the_input() -> None:
    base = {"task_type": "3DPointCloudObjectDetection", "human_task": {"title": "old", "description": "kept"}}
    settings = [Setting.parse(text) for text in ("human_task.title=first", "human_task.title=new", "then.job_name=x")]

    payload = build_execution_input(base, settings=settings)

    assert payload == {
        "task_type": "3DPointCloudObjectDetection",
        "human_task": {"title": "new", "description": "kept"},
        "then": {"job_name": "x"},
    }
    assert base["human_task"] == {"title": "old", "description": "kept"}


def test_given_a_setting_below_a_value_that_is_no_object_then_it_is_refused() -> None:
    with pytest.raises(InputOptionError, match=r"--set human_task\.title=x: human_task is not a JSON object"):
        build_execution_input({"human_task": 1}, settings=[Setting.parse("human_task.title=x")])


def test_given_a_task_type_then_it_fills_the_input_and_must_agree_with_it() -> None:
    assert build_execution_input(None, task_type="3DPointCloudObjectTracking") == {
        "task_type": "3DPointCloudObjectTracking"
    }
    with pytest.raises(InputOptionError, match="contradicts task_type '3DPointCloudObjectDetection'"):
        build_execution_input({"task_type": "3DPointCloudObjectDetection"}, task_type="3DPointCloudObjectTracking")
