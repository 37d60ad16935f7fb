"""The synthesized workflow, run offline through the same code path as ``gt3d local-run``.

Every test synthesizes nothing itself (the session fixture did, into a temporary ``cdk.out``) and runs the state
machine from that assembly on moto's engine with the real handlers and the emulated Ground Truth.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3
import pytest

from gt3d import cli, demo_data
from gt3d.cloud_assembly import CloudAssembly
from gt3d.ground_truth_emulator import DEFAULT_FAILURE_REASON, OUTCOMES
from gt3d.local_run import LocalCloud, LocalRunError, LocalRunOptions, LocalRunResult, run_local
from gt3d_core.catalog import TASK_TYPES, TaskType, task_type
from stacks.constructs.labeling_job_monitor import MONITOR_POLL_BUDGET

TIME_SCALE = 0.0002
REGION = "us-east-1"
WORKFLOW_START = [
    "PlanLabelingJob",
    "CopyData",
    "CopyInBatches?",
    "RewriteManifests",
    "CreateLabelingJob",
    "InitialWait",
    "RunLabelingJobMonitor",
    "ReadMonitorResult",
    "IsLabelingJobDone?",
]
MONITOR_POLL = ["WaitForLabelingJob", "MonitorLabelingJob", "CountPoll", "KeepPolling?"]
EXPECTED_CAUSE = {
    "failed": DEFAULT_FAILURE_REASON,
    "stopped": "stopped",
    "unlabeled": "availability",
}


def _run(app: Path, out_dir: Path, **options: Any) -> LocalRunResult:
    return run_local(LocalRunOptions(cloud_assembly=app, time_scale=TIME_SCALE, out_dir=out_dir, **options))


def _bucket_files(out_dir: Path) -> dict[str, bytes]:
    root = out_dir / "bucket"
    return {path.relative_to(root).as_posix(): path.read_bytes() for path in root.rglob("*") if path.is_file()}


def _key(uri: str) -> str:
    return uri.removeprefix("s3://").partition("/")[2]


def _assert_request_matches_task(request: dict[str, Any], task: TaskType, region: str) -> None:
    config = request["HumanTaskConfig"]
    assert config["UiConfig"] == {"HumanTaskUiArn": task.human_task_ui_arn(region)}
    assert config["PreHumanTaskLambdaArn"] == task.pre_human_task_lambda_arn(region)
    assert config["AnnotationConsolidationConfig"] == {
        "AnnotationConsolidationLambdaArn": task.annotation_consolidation_lambda_arn(region)
    }
    assert config["NumberOfHumanWorkersPerDataObject"] == 1
    assert request["LabelAttributeName"].endswith("-ref") == task.label_attribute_needs_ref


@pytest.mark.parametrize("outcome", OUTCOMES)
@pytest.mark.parametrize("task", TASK_TYPES, ids=lambda task: task.name)
def test_given_a_task_type_and_a_job_outcome_when_the_workflow_runs_then_it_ends_accordingly(
    synthesized_app: Path, tmp_path: Path, task: TaskType, outcome: Any
) -> None:
    result = _run(synthesized_app, tmp_path, task_type=task.name, outcome=outcome)

    request = result.labeling_job_request
    assert request is not None, f"no labeling job was created: {result.error}: {result.cause}"
    _assert_request_matches_task(request, task, REGION)
    assert result.states[: len(WORKFLOW_START)] == WORKFLOW_START

    files = _bucket_files(tmp_path)
    manifest = files[_key(request["InputConfig"]["DataSource"]["S3DataSource"]["ManifestS3Uri"])].decode()
    input_prefix = request["InputConfig"]["DataSource"]["S3DataSource"]["ManifestS3Uri"].split("manifests/")[0]
    copied_json = [data.decode() for key, data in files.items() if key.endswith(".json") and "/input/" in key]
    assert demo_data.DEMO_URI not in manifest and all(demo_data.DEMO_URI not in text for text in copied_json)
    assert input_prefix in manifest

    record = json.loads((tmp_path / "execution.json").read_text())
    assert record["states"] == result.states and record["labeling_job_request"] == request
    assert record["status"] == result.status
    # One monitor execution polls the job from Initializing through InProgress to its end (Stopping: one more).
    (monitor,) = record["child_executions"]
    polls = 4 if outcome == "stopped" else 3
    assert monitor["status"] == "SUCCEEDED"
    assert monitor["states"] == ["StartPolling", *MONITOR_POLL * polls, "LabelingJobFinished"]

    if outcome == "completed":
        assert result.status == "SUCCEEDED", f"{result.error}: {result.cause}"
        assert result.exit_code == 0
        monitor = result.output["monitor"]
        assert monitor["status"] == "Completed" and monitor["succeeded"] is True
        assert monitor["label_counters"]["TotalLabeled"] == 1
        job_name = request["LabelingJobName"]
        expected_uri = f"{request['OutputConfig']['S3OutputPath']}{job_name}/manifests/output/output.manifest"
        assert monitor["output_manifest_uri"] == expected_uri.replace(f"output//{job_name}", f"output/{job_name}")
        attribute = request["LabelAttributeName"]
        lines = [json.loads(line) for line in files[_key(monitor["output_manifest_uri"])].decode().splitlines()]
        assert lines and all(attribute in line and f"{attribute}-metadata" in line for line in lines)
        assert result.states[-2:] == ["NotifySuccess", "Succeeded"]
        assert [json.loads(n["message"])["status"] for n in result.notifications] == ["Completed"]
    else:
        assert result.status == "FAILED"
        assert result.exit_code == 1
        assert result.error == "LabelingJobNotSucceeded"
        assert EXPECTED_CAUSE[outcome] in (result.cause or "").lower() or EXPECTED_CAUSE[outcome] in (
            result.cause or ""
        )
        assert result.states[-3:] == ["LabelingJobNotSucceeded", "NotifyFailure", "Failed"]
        (notification,) = result.notifications
        assert json.loads(notification["message"]) == {"Error": result.error, "Cause": result.cause}


def test_given_a_finished_run_when_the_same_input_runs_again_then_it_succeeds_and_copies_nothing(
    synthesized_app: Path,
) -> None:
    execution_input = {"task_type": "3DPointCloudObjectTracking"}
    with LocalCloud(CloudAssembly.load(synthesized_app), time_scale=TIME_SCALE) as cloud:
        cloud.upload(demo_data.DEFAULT_DIR)
        first = cloud.run(execution_input)
        second = cloud.run(execution_input)

    assert first.status == second.status == "SUCCEEDED", f"{second.error}: {second.cause}"
    assert first.output["copy"]["copied"] > 0
    assert second.output["copy"]["copied"] == 0
    assert second.output["copy"]["skipped"] == first.output["copy"]["copied"] + first.output["copy"]["skipped"]


def test_given_a_finished_run_when_the_same_job_name_is_given_again_then_the_old_job_is_not_adopted(
    synthesized_app: Path,
) -> None:
    execution_input = {"task_type": "3DPointCloudObjectDetection", "job_name": "weekly-od"}
    with LocalCloud(CloudAssembly.load(synthesized_app), time_scale=TIME_SCALE) as cloud:
        cloud.upload(demo_data.DEFAULT_DIR)
        first = cloud.run(execution_input)
        second = cloud.run(execution_input)

    assert first.status == "SUCCEEDED", f"{first.error}: {first.cause}"
    assert second.status == "FAILED"
    assert second.error == "JobNameTakenError"
    assert "weekly-od" in (second.cause or "") and "job_name" in (second.cause or "")
    assert "MonitorLabelingJob" not in str(second.states)


def test_given_an_adjustment_named_like_the_audited_job_when_the_workflow_runs_then_nothing_is_copied_or_created(
    synthesized_app: Path, tmp_path: Path
) -> None:
    audited = json.loads(
        (demo_data.DEFAULT_DIR / "label-category-config" / "od-adjustment-label-categories-file.json").read_text()
    )["auditLabelAttributeName"]

    result = _run(
        synthesized_app,
        tmp_path,
        task_type="Adjustment3DPointCloudObjectDetection",
        execution_input={"job_name": audited},
    )

    assert result.status == "FAILED"
    assert result.error == "InvalidRequestError"
    assert "auditLabelAttributeName" in (result.cause or "")
    assert result.labeling_job_request is None
    assert not any("/input/" in key for key in _bucket_files(tmp_path)), "nothing may be copied"


def test_given_a_referenced_object_missing_when_the_workflow_runs_then_it_fails_before_any_labeling_job(
    synthesized_app: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    shutil.copytree(demo_data.DEFAULT_DIR, data)
    (data / "frames" / "7.txt").unlink()

    result = _run(synthesized_app, tmp_path / "out", data_dir=data, task_type="3DPointCloudObjectTracking")

    assert result.status == "FAILED"
    assert result.error == "MissingObjectsError"
    assert f"{demo_data.DEMO_URI}frames/7.txt" in (result.cause or "")
    assert result.labeling_job_request is None
    assert "CreateLabelingJob" not in result.states
    assert not any("/input/" in key for key in _bucket_files(tmp_path / "out")), "nothing may be copied"


def test_given_input_overrides_when_the_workflow_runs_then_the_labeling_job_uses_them(
    synthesized_app: Path, tmp_path: Path
) -> None:
    overrides = {
        "job_name": "my-first-demo-job",
        "human_task": {"title": "Label the cars", "keywords": ["lidar", "cars"], "task_time_limit_seconds": 7200},
    }
    result = _run(
        synthesized_app, tmp_path, task_type="Adjustment3DPointCloudSemanticSegmentation", execution_input=overrides
    )

    assert result.status == "SUCCEEDED", f"{result.error}: {result.cause}"
    request = result.labeling_job_request
    assert request is not None
    assert request["LabelingJobName"] == "my-first-demo-job"
    assert request["LabelAttributeName"] == "my-first-demo-job-ref"
    assert request["HumanTaskConfig"]["TaskTitle"] == "Label the cars"
    assert request["HumanTaskConfig"]["TaskKeywords"] == ["lidar", "cars"]
    assert request["HumanTaskConfig"]["TaskTimeLimitInSeconds"] == 7200


def test_given_an_invalid_override_when_the_workflow_runs_then_it_fails_with_a_user_error_and_no_job(
    synthesized_app: Path, tmp_path: Path
) -> None:
    result = _run(synthesized_app, tmp_path, execution_input={"human_task": {"task_time_limit_seconds": 10}})

    assert result.status == "FAILED"
    assert result.error == "InvalidRequestError"
    assert result.labeling_job_request is None


def test_given_an_app_synthesized_for_another_region_when_the_workflow_runs_then_the_job_uses_that_regions_arns(
    synthesized_app_eu_west_1: Path, tmp_path: Path
) -> None:
    result = _run(synthesized_app_eu_west_1, tmp_path, task_type="3DPointCloudObjectDetection")

    assert result.status == "SUCCEEDED", f"{result.error}: {result.cause}"
    assert result.iam_denials == []
    assert result.labeling_job_request is not None
    _assert_request_matches_task(result.labeling_job_request, task_type("3DPointCloudObjectDetection"), "eu-west-1")


def test_given_a_region_the_app_was_not_synthesized_for_when_run_then_it_is_refused_saying_to_synthesize_for_it(
    synthesized_app: Path, tmp_path: Path
) -> None:
    with pytest.raises(LocalRunError, match=r"synthesized for us-east-1, not eu-west-1.*region=eu-west-1"):
        _run(synthesized_app, tmp_path, region="eu-west-1")


def test_given_the_cli_with_a_failing_segmentation_job_then_it_exits_1_with_the_failure_reason(
    synthesized_app: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli.main(
        [
            "local-run",
            "--cloud-assembly",
            str(synthesized_app),
            "--task-type",
            "3DPointCloudSemanticSegmentation",
            "--outcome",
            "failed",
            "--time-scale",
            str(TIME_SCALE),
        ]
    )

    captured = capsys.readouterr()
    assert code == 1
    summary = json.loads(captured.out)
    assert summary["status"] == "FAILED" and summary["error"] == "LabelingJobNotSucceeded"
    assert DEFAULT_FAILURE_REASON in summary["cause"]
    assert DEFAULT_FAILURE_REASON in captured.err
    assert "> MonitorLabelingJob" in captured.err


def test_given_the_installed_command_with_defaults_then_it_completes_the_demo_and_prints_one_json_object(
    synthesized_app: Path, tmp_path: Path
) -> None:
    command = shutil.which("gt3d", path=str(Path(sys.executable).parent))
    assert command is not None, "the gt3d console script is not installed: run `make setup`"
    completed = subprocess.run(
        [command, "local-run", "--cloud-assembly", str(synthesized_app), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert completed.returncode == 0, completed.stderr
    summary = json.loads(completed.stdout)
    assert summary["status"] == "SUCCEEDED"
    assert summary["input"] == {"task_type": "3DPointCloudObjectTracking"}
    assert summary["output"]["monitor"]["output_manifest_uri"] in completed.stderr
    assert "SUCCEEDED" in completed.stderr and "label counters" in completed.stderr
    assert (tmp_path / "execution.json").is_file()


def _failed_errors(result: LocalRunResult) -> list[str]:
    return [
        event["lambdaFunctionFailedEventDetails"]["error"]
        for event in result.history
        if event["type"] == "LambdaFunctionFailed"
    ]


def test_given_sagemaker_throttles_the_create_then_the_workflow_retries_it_and_succeeds(
    synthesized_app: Path,
) -> None:
    with LocalCloud(CloudAssembly.load(synthesized_app), time_scale=TIME_SCALE) as cloud:
        cloud.upload(demo_data.DEFAULT_DIR)
        cloud.emulator.inject_fault("CreateLabelingJob", "ThrottlingException", times=2)
        result = cloud.run({"task_type": "3DPointCloudObjectDetection"})

    assert result.status == "SUCCEEDED", f"{result.error}: {result.cause}"
    assert _failed_errors(result) == ["AwsTransientError", "AwsTransientError"]
    assert cloud.emulator.calls.count("CreateLabelingJob") == 3
    assert len(cloud.emulator.jobs) == 1


def test_given_a_create_whose_response_is_lost_then_the_retry_adopts_the_job_it_created(
    synthesized_app: Path,
) -> None:
    with LocalCloud(CloudAssembly.load(synthesized_app), time_scale=TIME_SCALE) as cloud:
        cloud.upload(demo_data.DEFAULT_DIR)
        cloud.emulator.inject_fault("CreateLabelingJob", "InternalFailure", status=500, after_success=True)
        result = cloud.run({"task_type": "3DPointCloudObjectTracking"})

    assert result.status == "SUCCEEDED", f"{result.error}: {result.cause}"
    assert _failed_errors(result) == ["AwsTransientError"]
    assert cloud.emulator.calls.count("CreateLabelingJob") == 2
    assert len(cloud.emulator.jobs) == 1
    assert result.output["job"]["job_arn"] == next(iter(cloud.emulator.jobs.values())).arn


def test_given_a_job_name_already_used_by_another_job_then_the_workflow_fails_with_a_user_error(
    synthesized_app: Path,
) -> None:
    with LocalCloud(CloudAssembly.load(synthesized_app), time_scale=TIME_SCALE) as cloud:
        cloud.upload(demo_data.DEFAULT_DIR)
        first = cloud.run({"task_type": "3DPointCloudObjectTracking", "job_name": "shared-name"})
        second = cloud.run({"task_type": "3DPointCloudSemanticSegmentation", "job_name": "Shared-Name"})

    assert first.status == "SUCCEEDED"
    assert second.status == "FAILED"
    assert second.error == "JobNameTakenError"
    assert len(cloud.emulator.jobs) == 1


def test_given_the_emulated_deployment_then_every_state_machine_runs_its_synthesized_definition_verbatim(
    synthesized_app: Path,
) -> None:
    assembly = CloudAssembly.load(synthesized_app)
    stack = assembly.stack_with("AWS::StepFunctions::StateMachine")
    with LocalCloud(assembly, time_scale=TIME_SCALE) as cloud:
        client = boto3.client("stepfunctions", region_name=cloud.region)
        deployed = {
            logical_id: client.describe_state_machine(stateMachineArn=cloud.resolver.physical(stack, logical_id).ref)
            for logical_id, _ in stack.of_type("AWS::StepFunctions::StateMachine")
        }
        entry = cloud.deployment.state_machine_arn

    assert len(deployed) == 2  # the labeling workflow and the monitor it starts
    for logical_id, resource in stack.of_type("AWS::StepFunctions::StateMachine"):
        definition = deployed[logical_id]["definition"]
        body = resource["Properties"]["DefinitionString"]
        fragments = body["Fn::Join"][1] if isinstance(body, dict) else [body]
        position = 0
        for fragment in fragments:
            if isinstance(fragment, str):  # every literal piece, in order; only the tokens between them differ
                found = definition.find(fragment, position)
                assert found >= position, f"{logical_id}: definition fragment not found verbatim: {fragment[:80]}"
                position = found + len(fragment)
        assert "Fn::" not in definition and "JSONata" not in definition  # moto executes JSONPath definitions only
    (started,) = [machine for machine in deployed.values() if machine["stateMachineArn"] == entry]
    assert json.loads(started["definition"])["StartAt"] == "PlanLabelingJob"


def test_given_a_job_that_outlasts_one_monitor_execution_then_the_workflow_starts_another_and_succeeds(
    synthesized_app: Path,
) -> None:
    # The poll budget is synthesized into the monitor; the emulated job keeps InProgress for longer than that.
    with LocalCloud(CloudAssembly.load(synthesized_app), time_scale=TIME_SCALE / 20) as cloud:
        cloud.upload(demo_data.DEFAULT_DIR)
        cloud.emulator.in_progress_polls = MONITOR_POLL_BUDGET
        result = cloud.run({"task_type": "3DPointCloudObjectDetection"})

    assert result.status == "SUCCEEDED", f"{result.error}: {result.cause}"
    assert result.output["monitor"]["status"] == "Completed"
    # Initializing + MONITOR_POLL_BUDGET x InProgress + Completed.
    assert cloud.emulator.calls.count("DescribeLabelingJob") == MONITOR_POLL_BUDGET + 2
    first, second = result.child_executions
    assert first["status"] == second["status"] == "SUCCEEDED"
    assert first["states"] == ["StartPolling", *MONITOR_POLL * MONITOR_POLL_BUDGET, "PollBudgetUsed"]
    assert second["states"] == ["StartPolling", *MONITOR_POLL * 2, "LabelingJobFinished"]
    round_trip = ["RunLabelingJobMonitor", "ReadMonitorResult", "IsLabelingJobDone?"]
    assert result.states == [*WORKFLOW_START, *round_trip, "HasFollowUpJob?", "NotifySuccess", "Succeeded"]
    assert [json.loads(n["message"])["status"] for n in result.notifications] == ["Completed"]


def test_given_the_monitor_fails_while_the_job_runs_then_the_workflow_stops_the_job_and_reports_the_error_once(
    synthesized_app: Path,
) -> None:
    with LocalCloud(CloudAssembly.load(synthesized_app), time_scale=TIME_SCALE) as cloud:
        cloud.upload(demo_data.DEFAULT_DIR)
        cloud.emulator.inject_fault("DescribeLabelingJob", "ResourceNotFound", message="Job not found")
        result = cloud.run({"task_type": "3DPointCloudObjectDetection"})

    assert result.status == "FAILED"
    assert result.error == "LabelingJobMonitorFailed"
    monitor = json.loads(result.cause or "")  # the monitor execution, as DescribeExecution reports it
    assert monitor["Status"] == "FAILED" and monitor["Error"] == "InvalidRequestError"
    assert "No labeling job named" in json.loads(monitor["Cause"])["errorMessage"]
    assert result.states[-4:] == ["LabelingJobMonitorFailed", "StopLabelingJob", "NotifyFailure", "Failed"]
    (failed,) = result.child_executions
    assert failed["status"] == "FAILED" and failed["states"][-1] == "MonitorLabelingJob"
    # The job was still there (the monitor's one call failed): workers must get no more of its tasks.
    assert result.labeling_job_status == "Stopped"
    # One notice: the workflow's own; the EventBridge target sees NotifyFailure in the history and adds none.
    (notification,) = result.notifications
    assert json.loads(notification["message"]) == {"Error": result.error, "Cause": result.cause}
    (delivery,) = result.event_deliveries
    assert delivery["status"] == "FAILED" and delivery["result"]["notified"] is False


def test_given_a_run_stopped_while_the_job_is_watched_then_the_workflow_and_its_monitor_execution_are_aborted(
    synthesized_app: Path,
) -> None:
    with LocalCloud(CloudAssembly.load(synthesized_app), time_scale=TIME_SCALE) as cloud:
        cloud.upload(demo_data.DEFAULT_DIR)
        cloud.emulator.in_progress_polls = 100 * MONITOR_POLL_BUDGET  # the job never ends by itself
        result = cloud.run(
            {"task_type": "3DPointCloudObjectDetection"},
            stop_when=lambda: cloud.emulator.calls.count("DescribeLabelingJob") >= 3,
        )
        polls = cloud.emulator.calls.count("DescribeLabelingJob")

    assert result.status == "ABORTED"
    assert result.exit_code == 1
    (monitor,) = result.child_executions
    assert monitor["status"] == "ABORTED"  # as the service stops a .sync child when its parent stops
    assert polls >= 3  # stopped once the job had been polled three times, not after some time
