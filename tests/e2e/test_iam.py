"""IAM in the local run: the synthesized policies are what authorizes every call, so a missing statement fails the run.

Negative controls: each test removes one statement a run needs from a copy of the synthesized ``cdk.out`` and
checks that the run fails naming the missing action, while the unmodified assembly succeeds.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from gt3d import demo_data
from gt3d.cloud_assembly import CloudAssembly
from gt3d.local_run import LocalCloud, LocalRunResult

TIME_SCALE = 0.0002
TASK_INPUT = {"task_type": "3DPointCloudObjectTracking"}
Statement = dict[str, Any]


def _run(app: Path) -> tuple[LocalRunResult, LocalCloud]:
    with LocalCloud(CloudAssembly.load(app), time_scale=TIME_SCALE) as cloud:
        cloud.upload(demo_data.DEFAULT_DIR)
        return cloud.run(TASK_INPUT), cloud


def _actions(statement: Statement) -> list[str]:
    action = statement.get("Action", [])
    return [action] if isinstance(action, str) else list(action)


def _without_action(app: Path, copy_dir: Path, role_marker: str, action: str, *, containing: str = "") -> Path:
    """Copy ``app`` and take ``action`` out of the one statement granting it (whose text has ``containing``) in the
    policy of the one role whose logical id contains ``role_marker``; return the copy."""
    shutil.copytree(app, copy_dir, symlinks=True)
    changed = []
    for template_path in copy_dir.glob("*.template.json"):
        template = json.loads(template_path.read_text())
        for resource in template["Resources"].values():
            if resource["Type"] != "AWS::IAM::Policy" or role_marker not in json.dumps(resource["Properties"]["Roles"]):
                continue
            document = resource["Properties"]["PolicyDocument"]
            for statement in document["Statement"]:
                if action in _actions(statement) and containing in json.dumps(statement):
                    statement["Action"] = [other for other in _actions(statement) if other != action]
                    changed.append(statement)
            document["Statement"] = [statement for statement in document["Statement"] if statement["Action"]]
        template_path.write_text(json.dumps(template))
    assert len(changed) == 1, f"expected one statement of {role_marker} granting {action}, found {changed}"
    return copy_dir


def _all_states(result: LocalRunResult) -> list[str]:
    return result.states + [state for child in result.child_executions for state in child["states"]]


def test_given_the_unmodified_assembly_when_run_then_every_call_is_authorized_and_it_succeeds(
    synthesized_app: Path,
) -> None:
    result, cloud = _run(synthesized_app)

    assert result.status == "SUCCEEDED", result.cause
    assert result.iam_denials == []
    assert cloud.iam.authorized_calls > 20


@pytest.mark.parametrize(
    ("role_marker", "action", "containing", "failed_state"),
    [
        pytest.param("CopyData", "s3:GetObject", "gt-point-cloud-demos", "CopyData", id="copy-read-source"),
        pytest.param("CopyData", "s3:PutObject", "", "CopyData", id="copy-write-input"),
        pytest.param("RewriteManifests", "s3:PutObject", "", "RewriteManifests", id="rewrite-write"),
        pytest.param("CreateLabelingJob", "sagemaker:AddTags", "", "CreateLabelingJob", id="create-add-tags"),
        pytest.param("CreateLabelingJob", "iam:PassRole", "", "CreateLabelingJob", id="create-pass-role"),
        pytest.param("CreateLabelingJob", "sagemaker:CreateLabelingJob", "", "CreateLabelingJob", id="create"),
        pytest.param("MonitorLabelingJob", "sagemaker:DescribeLabelingJob", "", "MonitorLabelingJob", id="monitor"),
        pytest.param("LabelingWorkflowExecutionRole", "lambda:InvokeFunction", "", "PlanLabelingJob", id="sfn-invoke"),
        pytest.param(
            "LabelingWorkflowExecutionRole", "states:StartExecution", "", "RunLabelingJobMonitor", id="sfn-start"
        ),
        pytest.param(
            "LabelingWorkflowExecutionRole", "events:PutRule", "", "RunLabelingJobMonitor", id="sfn-sync-rule"
        ),
        pytest.param("LabelingJobMonitorExe", "lambda:InvokeFunction", "", "MonitorLabelingJob", id="monitor-invoke"),
    ],
)
def test_given_a_policy_without_a_needed_statement_when_run_then_the_run_fails_naming_the_principal_and_action(
    synthesized_app: Path, tmp_path: Path, role_marker: str, action: str, containing: str, failed_state: str
) -> None:
    app = _without_action(synthesized_app, tmp_path / "cdk.out", role_marker, action, containing=containing)

    result, _ = _run(app)

    assert result.status == "FAILED"
    assert failed_state in _all_states(result)
    (denial, *_) = result.iam_denials
    assert role_marker in denial.split(": ", 1)[0]  # "<operation> by <the role's ARN>: ..."
    assert action in denial or _sync_action(action, denial)
    assert "is not authorized to perform" in denial


def _sync_action(action: str, denial: str) -> bool:
    """The three EventBridge actions of a ``.sync`` integration share one statement: any of them names the gap."""
    return action.startswith("events:") and any(f"events:{name}" in denial for name in ("PutTargets", "DescribeRule"))


@pytest.mark.parametrize(
    "action", ["cloudwatch:PutMetricData", "s3:GetBucketLocation", "logs:PutLogEvents", "s3:PutObject"]
)
def test_given_an_execution_role_below_the_documented_minimum_when_run_then_ground_truth_refuses_the_job_naming_it(
    synthesized_app: Path, tmp_path: Path, action: str
) -> None:
    app = _without_action(synthesized_app, tmp_path / "cdk.out", "GroundTruthExecutionRole", action)

    result, cloud = _run(app)

    assert result.status == "FAILED"
    assert result.error == "InvalidRequestError"
    assert action in (result.cause or "")
    assert "sms-security-permission-execution-role" in (result.cause or "")
    assert cloud.emulator.jobs == {}
