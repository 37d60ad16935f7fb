"""A chained adjustment job: once the first job completes, the workflow runs its adjustment on the first job's output
through the same create and monitor steps; an impossible chain is refused before anything is copied."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gt3d import demo_data
from gt3d.cloud_assembly import CloudAssembly
from gt3d.local_run import LocalCloud

TIME_SCALE = 0.0002
CHAINS = [
    ("3DPointCloudObjectDetection", "Adjustment3DPointCloudObjectDetection"),
    ("3DPointCloudObjectTracking", "Adjustment3DPointCloudObjectTracking"),
    ("3DPointCloudSemanticSegmentation", "Adjustment3DPointCloudSemanticSegmentation"),
]


def _key(uri: str) -> str:
    return uri.removeprefix("s3://").partition("/")[2]


@pytest.mark.parametrize(("first", "then"), CHAINS)
def test_given_a_job_with_its_adjustment_as_then_when_run_then_the_adjustment_reviews_the_first_jobs_output(
    synthesized_app: Path, first: str, then: str
) -> None:
    execution_input = {"task_type": first, "then": {"task_type": then, "human_task": {"title": "Fix the labels"}}}
    with LocalCloud(CloudAssembly.load(synthesized_app), time_scale=TIME_SCALE) as cloud:
        cloud.upload(demo_data.DEFAULT_DIR)
        result = cloud.run(execution_input)
        objects = cloud.bucket_objects()

    assert result.status == "SUCCEEDED", result.cause
    first_request, second_request = result.labeling_job_requests
    assert result.labeling_job_request == first_request
    assert second_request["HumanTaskConfig"]["PreHumanTaskLambdaArn"].endswith(f":function:PRE-{then}")
    assert second_request["HumanTaskConfig"]["TaskTitle"] == "Fix the labels"
    categories = json.loads(objects[_key(second_request["LabelCategoryConfigS3Uri"])])
    assert categories["auditLabelAttributeName"] == first_request["LabelAttributeName"]
    first_output = result.output["previous"]["monitor"]["output_manifest_uri"]
    manifest = second_request["InputConfig"]["DataSource"]["S3DataSource"]["ManifestS3Uri"]
    assert objects[_key(manifest)] == objects[_key(first_output)]
    assert result.states.count("CreateLabelingJob") == 2 and result.states.count("PrepareFollowUpJob") == 1
    assert result.output["monitor"]["succeeded"] is True and result.iam_denials == []


def test_given_a_then_that_does_not_adjust_the_first_task_when_run_then_it_fails_at_the_plan_with_nothing_copied(
    synthesized_app: Path,
) -> None:
    execution_input = {
        "task_type": "3DPointCloudObjectDetection",
        "then": {"task_type": "Adjustment3DPointCloudObjectTracking"},
    }
    with LocalCloud(CloudAssembly.load(synthesized_app), time_scale=TIME_SCALE) as cloud:
        cloud.upload(demo_data.DEFAULT_DIR)
        result = cloud.run(execution_input)
        objects = cloud.bucket_objects()

    assert (result.status, result.error) == ("FAILED", "InvalidRequestError")
    assert "then.task_type" in (result.cause or "")
    assert result.states[:2] == ["PlanLabelingJob", "NotifyFailure"]
    assert objects == {} and result.labeling_job_requests == []
