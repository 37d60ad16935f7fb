"""``gt3d start / status / stop / results`` against emulated AWS: the synthesized app deployed to moto with the emulated
Ground Truth (:class:`~gt3d.local_cloud.LocalCloud`), its stacks answering DescribeStacks with the outputs the local
deployment resolved (:class:`~gt3d.local_stacks.LocalStacks`). Every command runs through ``gt3d.cli.main`` and boto3,
as it does against an account.
"""

from __future__ import annotations

import collections
import io
import json
import re
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest

from gt3d import cli, demo_data
from gt3d.cloud_assembly import CloudAssembly
from gt3d.local_cloud import LocalCloud
from gt3d.local_stacks import LocalStacks
from gt3d_core.errors import Gt3dError
from gt3d_core.labeling_job import Locations, plan_labeling_job
from gt3d_core.s3_location import S3Location

TIME_SCALE = 0.0002
MONITOR = "monitor_labeling_job.handler"
POLL = "0.01"
OD = "3DPointCloudObjectDetection"
OT = "3DPointCloudObjectTracking"
SS = "3DPointCloudSemanticSegmentation"


@pytest.fixture
def cloud(synthesized_app: Path) -> Iterator[LocalCloud]:
    """The synthesized app deployed to emulated AWS with the demo data, its stacks answering DescribeStacks; its
    waits scaled down, so an execution runs to its end in a second or two."""
    with LocalCloud(CloudAssembly.load(synthesized_app), time_scale=TIME_SCALE) as cloud:
        cloud.upload(demo_data.DEFAULT_DIR)
        with LocalStacks(cloud.stack_outputs(), region=cloud.region, account=cloud.account):
            yield cloud
        # Nothing may run on once moto is gone: stop what a test left running (and what it started), as a user would.
        sfn = boto3.client("stepfunctions", region_name=cloud.region)
        for execution in _executions(cloud):
            if execution["status"] == "RUNNING":
                sfn.stop_execution(executionArn=execution["executionArn"])
                cloud.settle(execution["executionArn"])


def _executions(cloud: LocalCloud) -> list[dict[str, Any]]:
    sfn = boto3.client("stepfunctions", region_name=cloud.region)
    return list(sfn.list_executions(stateMachineArn=cloud.deployment.state_machine_arn)["executions"])


def _gt3d(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run ``gt3d``; return its exit code, stdout and stderr."""
    # Its own stdout: the in-process handlers of running executions redirect sys.stdout to their logs meanwhile.
    stdout = io.StringIO()
    code = cli.main(list(args), stdout=stdout)
    return code, stdout.getvalue(), capsys.readouterr().err


def _start(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str, str]:
    """Run ``gt3d start``; return its exit code, stdout, stderr and the execution's ARN."""
    code, out, err = _gt3d(capsys, "start", *args, "--poll-interval", POLL)
    (arn,) = re.findall(r"^(arn:aws:states:\S+)$", out, re.MULTILINE)
    return code, out, err, arn


def _planned_job(err: str) -> str:
    (job,) = re.findall(r"^\[gt3d\] started \S+: \S+, labeling job (\S+)$", err, re.MULTILINE)
    return job


def _name(execution_arn: str) -> str:
    return execution_arn.rsplit(":", 1)[1]


def test_given_a_valid_input_when_started_with_follow_then_it_shows_the_progress_and_exits_0(
    cloud: LocalCloud, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err, arn = _start(
        capsys,
        "--task-type",
        OD,
        "--set",
        "human_task.title=Label the cars",
        "--set",
        "human_task.task_time_limit_seconds=1800",
        "--follow",
    )

    assert code == 0, err
    name = _name(arn)
    (execution,) = _executions(cloud)
    assert (execution["executionArn"], execution["status"]) == (arn, "SUCCEEDED")
    assert out.splitlines() == [
        arn,
        f"console: https://us-east-1.console.aws.amazon.com/states/home?region=us-east-1#/v2/executions/details/{arn}",
    ]
    (request,) = cloud.emulator.requests
    job = request["LabelingJobName"]
    assert _planned_job(err) == job  # the name the plan derived before the start is the job's
    assert request["HumanTaskConfig"]["TaskTitle"] == "Label the cars"
    assert request["HumanTaskConfig"]["TaskTimeLimitInSeconds"] == 1800
    portal = cloud.stack_outputs()["gt3d-workforce"]["LabelingPortalUrl"]
    for line in (
        f"[gt3d] workers label at {portal}",
        "  > PlanLabelingJob",
        "  < CopyData: copied ",
        f"  < CreateLabelingJob: created labeling job {job}",
        "    > WaitForLabelingJob (30 s)",
        "    < MonitorLabelingJob: job Initializing -> InProgress, labeled 0, next poll in 30 s",
        "    < MonitorLabelingJob: job InProgress -> Completed, labeled 1",
        "  > NotifySuccess",
        f"labeling job {job} completed",
        f"  output manifest: s3://{cloud.labeling_bucket}/gt3d-demo/output/{job}/manifests/output/output.manifest",
        "  label counters: TotalLabeled 1, HumanLabeled 1, MachineLabeled 0, FailedNonRetryableError 0, Unlabeled 0",
        f"  results: gt3d results {name}",
    ):
        assert line in err


def _plan_refusal(execution_input: dict[str, Any]) -> str:
    """Return the message the plan code refuses ``execution_input`` with."""
    location = S3Location.parse("s3://bucket/prefix/")
    with pytest.raises(Gt3dError) as refusal:
        plan_labeling_job(
            execution_input,
            locations=Locations(source=location, target=location, output=location),
            resource_prefix="gt3d",
            execution_name="any",
            execution_start_time=datetime.now(UTC),
        )
    return str(refusal.value)


@pytest.mark.parametrize(
    ("options", "execution_input"),
    [
        (["--input", json.dumps({"task_type": OD, "human_tsk": {}})], {"task_type": OD, "human_tsk": {}}),
        (["--input", json.dumps({"task_type": f"{OD}x"})], {"task_type": f"{OD}x"}),
        (
            ["--task-type", OD, "--set", f"human_task.title={'x' * 129}"],
            {"task_type": OD, "human_task": {"title": "x" * 129}},
        ),
        (["--task-type", OT, "--set", "manifest=../OT.json"], {"task_type": OT, "manifest": "../OT.json"}),
        ([], {}),
    ],
    ids=["key-typo", "task-type-typo", "title-too-long", "path-escapes-source", "no-task-type"],
)
def test_given_an_input_the_plan_refuses_when_started_then_it_exits_1_with_the_plans_message_and_starts_nothing(
    cloud: LocalCloud, capsys: pytest.CaptureFixture[str], options: list[str], execution_input: dict[str, Any]
) -> None:
    code, out, err = _gt3d(capsys, "start", *options, "--follow")

    assert code == 1
    assert out == ""
    assert err == f"gt3d start: nothing was started, the plan refused the input: {_plan_refusal(execution_input)}\n"
    assert _executions(cloud) == []
    assert cloud.emulator.requests == []


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--task-type", OD, "--input", json.dumps({"task_type": OT})], f"--task-type {OD} contradicts"),
        (["--set", "human_task=1", "--set", "human_task.title=x"], "human_task is not a JSON object"),
    ],
    ids=["task-type-contradicts-input", "set-below-a-value"],
)
def test_given_options_that_make_no_input_when_started_then_it_exits_2_before_any_aws_call(
    capsys: pytest.CaptureFixture[str], options: list[str], message: str
) -> None:
    code, out, err = _gt3d(capsys, "start", *options)

    assert code == 2
    assert out == ""
    assert message in err


def test_given_a_setting_without_a_value_when_started_then_argparse_refuses_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["start", "--set", "human_task.title"])

    assert exit_info.value.code == 2
    assert "is not key=value" in capsys.readouterr().err


def test_given_two_running_executions_then_status_shows_the_latest_or_the_one_named(
    cloud: LocalCloud, capsys: pytest.CaptureFixture[str]
) -> None:
    # The commands run while both monitors wait for their first poll, held there: no handler runs meanwhile.
    with cloud.lambdas.holding(MONITOR) as first_polls:
        _, _, first_err, first = _start(capsys, "--task-type", OD)
        first_polls.wait_for(1)
        _, _, second_err, second = _start(capsys, "--task-type", OT)
        first_polls.wait_for(2)

        latest = _gt3d(capsys, "status")
        named = _gt3d(capsys, "status", _name(first))

    portal = cloud.stack_outputs()["gt3d-workforce"]["LabelingPortalUrl"]
    for (code, out, err), arn, job in (
        (latest, second, _planned_job(second_err)),
        (named, first, _planned_job(first_err)),
    ):
        assert code == 0, err
        assert out.splitlines()[:3] == [
            f"execution {_name(arn)}: RUNNING",
            f"  {arn}",
            f"  console: https://us-east-1.console.aws.amazon.com/states/home?region=us-east-1#/v2/executions/details/{arn}",
        ]
        assert re.fullmatch(
            r"  running since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC, in RunLabelingJobMonitor", out.splitlines()[3]
        )
        assert out.splitlines()[4:] == [
            f"  labeling job {job}: Initializing, labeled 0 of 1, failed 0",
            f"  workers label at {portal}",
        ]


def test_given_a_running_execution_when_stopped_then_it_ends_aborted_and_the_pipeline_stops_its_job(
    cloud: LocalCloud, capsys: pytest.CaptureFixture[str]
) -> None:
    with cloud.lambdas.holding(MONITOR) as first_polls:  # the command runs while no handler does
        _, _, err, arn = _start(capsys, "--task-type", OT)
        job, name = _planned_job(err), _name(arn)
        first_polls.wait_for(1)

        code, out, _ = _gt3d(capsys, "stop", name)
        deliveries = cloud.settle(arn)  # what the service does once it has ended, EventBridge included

    assert code == 0
    assert out.startswith(f"execution {name}: stop requested, now ")
    assert f"  labeling job {job}: the pipeline's EventBridge rule on aborted executions stops it" in out
    assert [execution["status"] for execution in _executions(cloud)] == ["ABORTED"]
    (delivery,) = [d for d in deliveries if d.detail_status == "ABORTED"]
    assert delivery.rule.split("/")[-1].startswith("gt3d-pipeline-AbandonedJobsRule")
    assert delivery.result["labeling_job"]["job_name"] == job and delivery.result["labeling_job"]["stopped"] is True
    assert cloud.emulator.final_status(job, cloud.region) == "Stopped"

    code, out, _ = _gt3d(capsys, "status", name)
    assert code == 1
    assert f"execution {name}: ABORTED" in out and "ABORTED in " in out
    assert re.search(r"^  labeling job: Stopp(ing|ed)$", out, re.MULTILINE)
    code, _, err = _gt3d(capsys, "stop", name)
    assert code == 1 and f"The execution {name} is not running (ABORTED): nothing to stop." in err


def _s3_text(uri: str) -> bytes:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return bytes(boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read())


def _expected_rows(manifest: bytes, attribute: str) -> dict[str, tuple[int, ...]]:
    """Count the emulated output independently: per category, (data objects, annotations[, objects])."""
    data_objects: collections.Counter[str] = collections.Counter()
    annotations: collections.Counter[str] = collections.Counter()
    objects: dict[str, set[str]] = collections.defaultdict(set)
    tracking = False
    for line in map(json.loads, manifest.decode().splitlines()):
        value, metadata = line[attribute], line[f"{attribute}-metadata"]
        names = metadata.get("class-map") or {k: v["class-name"] for k, v in metadata["color-map"].items()}
        for name in names.values():
            data_objects[name] += 0
        if metadata["type"].endswith("object_detection"):
            classes = [names[str(cuboid["class-id"])] for cuboid in value["annotations"]]
        elif metadata["type"].endswith("object_tracking"):
            tracking = True
            frames = json.loads(_s3_text(value))["tracking-annotations"]
            cuboids = [cuboid for frame in frames for cuboid in frame["annotations"]]
            classes = [names[str(cuboid["class-id"])] for cuboid in cuboids]
            for cuboid in cuboids:
                objects[names[str(cuboid["class-id"])]].add(cuboid["object-id"])
        else:
            classes = [names[str(index)] for index in zlib.decompress(_s3_text(value))]
        annotations.update(classes)
        data_objects.update(set(classes))
    return {
        name: (count, annotations[name], *([len(objects[name])] if tracking else []))
        for name, count in data_objects.items()
    }


@pytest.mark.parametrize("task_type", [OD, OT, SS])
def test_given_a_completed_job_then_results_counts_its_labels_per_category_and_downloads_its_output(
    cloud: LocalCloud, capsys: pytest.CaptureFixture[str], tmp_path: Path, task_type: str
) -> None:
    code, _, err, arn = _start(capsys, "--task-type", task_type, "--follow")
    assert code == 0, err
    (request,) = cloud.emulator.requests
    job, attribute = request["LabelingJobName"], request["LabelAttributeName"]
    manifest_uri = f"s3://{cloud.labeling_bucket}/gt3d-demo/output/{job}/manifests/output/output.manifest"
    out_dir = tmp_path / "out"

    code, out, _ = _gt3d(capsys, "results", _name(arn), "--out", str(out_dir))

    assert code == 0
    lines = out.splitlines()
    assert lines[:3] == [
        f"labeling job {job} ({task_type}), label attribute {attribute}",
        f"  output manifest: {manifest_uri}",
        f"  1 of 1 {'sequences' if task_type == OT else 'frames'} labeled",
    ]
    rows = {row[0]: tuple(int(n) for n in row[1:]) for row in (line.split() for line in lines[4:-1])}
    assert rows == _expected_rows(_s3_text(manifest_uri), attribute)
    assert any(count[0] for count in rows.values())  # something was labeled
    prefix = f"gt3d-demo/output/{job}/"
    written = {key.removeprefix(prefix): data for key, data in cloud.bucket_objects().items() if key.startswith(prefix)}
    downloaded = {
        path.relative_to(out_dir).as_posix(): path.read_bytes() for path in out_dir.rglob("*") if path.is_file()
    }
    assert downloaded == written
    assert re.fullmatch(
        rf"downloaded {len(written)} object\(s\) \(\d+ (B|KiB)\) to {re.escape(str(out_dir))}", lines[-1]
    )


def test_given_a_job_that_fails_then_follow_exits_1_with_the_reason_and_there_are_no_results(
    cloud: LocalCloud, capsys: pytest.CaptureFixture[str]
) -> None:
    cloud.emulator.outcome = "failed"

    code, _, err, arn = _start(capsys, "--task-type", OD, "--follow")

    assert code == 1
    assert "FAILED in " in err and ": LabelingJobNotSucceeded" in err
    assert cloud.emulator.failure_reason in err
    assert "  labeling job: Failed" in err
    code, out, err = _gt3d(capsys, "results", arn)
    assert code == 1 and out == ""
    assert f"has no output manifest (s3://{cloud.labeling_bucket}/" in err and "NoSuchKey" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["status"], "has no executions yet: start one with gt3d start."),
        (["status", "--prefix", "other"], "There is no stack other-pipeline in us-east-1."),
        (["results", "no-such-execution"], "There is no execution arn:aws:states:us-east-1:"),
        (["stop", "no-such-execution"], "There is no execution arn:aws:states:us-east-1:"),
    ],
    ids=["no-executions", "no-deployment", "results-of-nothing", "stop-nothing"],
)
def test_given_nothing_to_act_on_then_the_command_exits_1_saying_so(
    cloud: LocalCloud, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, out, err = _gt3d(capsys, *args)

    assert code == 1
    assert out == ""
    assert err.startswith(f"gt3d {args[0]}: ") and message in err
