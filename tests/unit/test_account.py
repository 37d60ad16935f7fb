"""The pieces of the account commands that need no deployment: history paging, label counting, names and settings.

The commands themselves run against emulated AWS in ``tests/e2e/test_account_commands.py``.
"""

from __future__ import annotations

import datetime
import json
import zlib
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from gt3d.account import ApiHistory, console_url
from gt3d.account_deployment import Deployment, configured_prefix
from gt3d.label_summary import UnreadableObjectError, summarize

EXECUTION = "arn:aws:states:eu-west-1:111122223333:execution:gt3d-pipeline-Workflow-ABC:run-1"
MACHINE = "arn:aws:states:eu-west-1:111122223333:stateMachine:gt3d-pipeline-Workflow-ABC"
_MOMENT = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)


def _events(*ids: int) -> list[dict[str, Any]]:
    return [{"id": event_id, "timestamp": _MOMENT, "type": "PassStateEntered"} for event_id in ids]


def _history_call(stubber: Stubber, events: list[dict[str, Any]], *, token: str | None = None, more: bool) -> None:
    request: dict[str, Any] = {
        "executionArn": EXECUTION,
        "reverseOrder": True,
        "includeExecutionData": True,
        "maxResults": 1000,
    }
    if token is not None:
        request["nextToken"] = token
    response: dict[str, Any] = {"events": events, **({"nextToken": "older"} if more else {})}
    stubber.add_response("get_execution_history", response, request)


def test_given_a_growing_history_then_each_read_fetches_only_the_new_events_newest_first() -> None:
    sfn = boto3.client("stepfunctions", region_name="eu-west-1")
    history = ApiHistory(sfn)
    with Stubber(sfn) as stubber:
        _history_call(stubber, _events(3, 2, 1), more=False)
        # Two new events: the first page holds only new ones, so the next page is read until a known one shows.
        _history_call(stubber, _events(5), more=True)
        _history_call(stubber, _events(4, 3), token="older", more=True)

        first = history(EXECUTION)
        second = history(EXECUTION)

        stubber.assert_no_pending_responses()
    assert [event["id"] for event in first] == [1, 2, 3]
    assert [event["id"] for event in second] == [1, 2, 3, 4, 5]


def test_given_a_service_that_ignores_reverse_order_then_the_history_is_still_in_order_and_complete() -> None:
    sfn = boto3.client("stepfunctions", region_name="eu-west-1")
    history = ApiHistory(sfn)
    with Stubber(sfn) as stubber:
        _history_call(stubber, _events(1, 2), more=False)
        _history_call(stubber, _events(1, 2, 3, 4), more=False)

        history(EXECUTION)
        events = history(EXECUTION)

    assert [event["id"] for event in events] == [1, 2, 3, 4]


def test_given_a_deployment_then_executions_are_named_by_name_or_arn_and_shown_in_their_regions_console() -> None:
    deployment = Deployment("gt3d", {"gt3d-pipeline": {"StateMachineArn": MACHINE}})

    assert deployment.execution_arn("run-1") == EXECUTION
    assert deployment.execution_arn(EXECUTION) == EXECUTION
    assert deployment.portal_url is None
    assert console_url(EXECUTION) == (
        f"https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/{EXECUTION}"
    )


@pytest.mark.parametrize(
    ("text", "prefix"),
    [
        (json.dumps({"context": {"prefix": "team-a"}}), "team-a"),
        (json.dumps({"context": {"prefix": ""}}), "gt3d"),
        (json.dumps({"context": []}), "gt3d"),
        ("not json", "gt3d"),
        (None, "gt3d"),
    ],
)
def test_given_a_cdk_json_then_the_default_prefix_is_its_prefix_setting(
    tmp_path: Path, text: str | None, prefix: str
) -> None:
    cdk_json = tmp_path / "cdk.json"
    if text is not None:
        cdk_json.write_text(text)

    assert configured_prefix(cdk_json) == prefix


def _line(attribute: str, value: Any, metadata: dict[str, Any]) -> str:
    return json.dumps({"source-ref": "s3://bucket/frame.txt", attribute: value, f"{attribute}-metadata": metadata})


def test_given_object_detection_output_then_frames_and_cuboids_are_counted_per_category() -> None:
    metadata = {"type": "groundtruth/point_cloud_object_detection", "class-map": {"0": "Car", "1": "Tree"}}
    manifest = "\n".join(
        [
            _line("job", {"annotations": [{"class-id": 0}, {"class-id": 0}, {"class-id": 1}]}, metadata),
            _line("job", {"annotations": [{"class-id": 0}]}, metadata),
            json.dumps({"source-ref": "s3://bucket/unlabeled.txt"}),
            _line("job", None, {"failure-reason": "ClientError: the frame could not be loaded"}),
        ]
    )

    summary = summarize(manifest, "job", lambda uri: b"")

    assert (summary.data_objects, summary.labeled, summary.failed) == (4, 2, 1)
    assert {name: (c.data_objects, c.annotations) for name, c in summary.categories.items()} == {
        "Car": (2, 3),
        "Tree": (1, 1),
    }
    assert summary.lines() == [
        "2 of 4 frames labeled, 1 failed",
        "  category  frames  cuboids",
        "  Car            2        3",
        "  Tree           1        1",
    ]


def test_given_tracking_and_segmentation_output_then_their_referenced_labels_are_read_and_counted() -> None:
    objects = {
        "s3://out/SeqLabel.json": json.dumps(
            {
                "tracking-annotations": [
                    {"annotations": [{"class-id": 0, "object-id": "a"}, {"class-id": 1, "object-id": "b"}]},
                    {"annotations": [{"class-id": 0, "object-id": "a"}]},
                ]
            }
        ).encode(),
        "s3://out/0.zlib": zlib.compress(bytes([0, 0, 2, 2, 2])),
    }
    tracking = _line(
        "job-ref",
        "s3://out/SeqLabel.json",
        {"type": "groundtruth/point_cloud_object_tracking", "class-map": {"0": "Car", "1": "Pedestrian"}},
    )
    colors = {"0": {"class-name": "Background"}, "1": {"class-name": "Car"}, "2": {"class-name": "Road"}}
    segmentation = _line(
        "job-ref",
        "s3://out/0.zlib",
        {"type": "groundtruth/point_cloud_single_frame_semantic_segmentation", "color-map": colors},
    )

    tracked = summarize(tracking, "job-ref", objects.__getitem__)
    painted = summarize(segmentation, "job-ref", objects.__getitem__)

    assert {n: (c.data_objects, c.annotations, len(c.objects)) for n, c in tracked.categories.items()} == {
        "Car": (1, 2, 1),
        "Pedestrian": (1, 1, 1),
    }
    assert tracked.lines()[1].split() == ["category", "sequences", "cuboids", "objects"]
    assert {n: (c.data_objects, c.annotations) for n, c in painted.categories.items()} == {
        "Background": (1, 2),
        "Car": (0, 0),
        "Road": (1, 3),
    }


def test_given_labels_that_cannot_be_read_then_they_are_reported_and_the_rest_still_counted() -> None:
    def unreadable(uri: str) -> bytes:
        raise UnreadableObjectError(f"{uri}: NoSuchKey")

    metadata = {"type": "groundtruth/point_cloud_single_frame_semantic_segmentation", "color-map": {}}
    manifest = "\n".join([_line("a-ref", "s3://out/0.zlib", metadata), _line("a-ref", "x", {"type": "other"})])

    summary = summarize(manifest, "a-ref", unreadable)

    assert summary.labeled == 2
    assert summary.problems == [
        "line 1: the label 's3://out/0.zlib' cannot be read: s3://out/0.zlib: NoSuchKey",
        "line 2: output type 'other' is not a 3D point cloud type",
    ]
