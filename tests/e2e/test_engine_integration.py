"""The runner's moto integration, on a small hand-written cloud assembly: what the real workflow relies on.

Handler errors must reach Step Functions under the exception's class name (so Retry and Catch match), Wait and
Retry intervals must be scaled, ``$$.Execution.StartTime`` must look like AWS's, functions must see their
template environment, and handler output must never reach stdout.
"""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from gt3d import cli
from gt3d.cloud_assembly import CloudAssembly
from gt3d.local_run import LocalCloud

PROBE = """
import os

CALLS = {"flaky": 0}


class FlakyError(Exception):
    pass


class InvalidRequestError(Exception):
    pass


def handler(event, context):
    print("probe log line: should never reach stdout")
    mode = event["mode"]
    if mode == "flaky":
        CALLS["flaky"] += 1  # module state survives between warm invocations
        if CALLS["flaky"] < 3:
            raise FlakyError(f"attempt {CALLS['flaky']} failed")
    if mode == "user":
        raise InvalidRequestError("Title too long: shorten human_task.title to 128 characters.")
    return {
        "bucket": os.environ["BUCKET"],
        "topic": os.environ["TOPIC"],
        "region": os.environ["AWS_REGION"],
        "function_name": context.function_name,
        "remaining_ms": context.get_remaining_time_in_millis(),
        "start": event["start"],
        "name": event["name"],
        "calls": CALLS["flaky"],
    }
"""


def _join(*parts: Any) -> dict[str, Any]:
    return {"Fn::Join": ["", list(parts)]}


def _definition() -> dict[str, Any]:
    head = '{"StartAt":"Probe","States":{"Probe":{"Type":"Task","Resource":"'
    middle = (
        '","Parameters":{"mode.$":"$.mode","start.$":"$$.Execution.StartTime","name.$":"$$.Execution.Name"},'
        '"ResultPath":"$.probe",'
        '"Retry":[{"ErrorEquals":["FlakyError"],"IntervalSeconds":60,"MaxAttempts":3,"BackoffRate":2}],'
        '"Catch":[{"ErrorEquals":["States.ALL"],"ResultPath":"$.error","Next":"Notify"}],"Next":"InitialWait"},'
        '"InitialWait":{"Type":"Pass","Result":{"wait_seconds":120},"ResultPath":"$.monitor","Next":"Wait"},'
        '"Wait":{"Type":"Wait","SecondsPath":"$.monitor.wait_seconds","Next":"Done"},'
        '"Done":{"Type":"Succeed"},'
        '"Notify":{"Type":"Task","Resource":"arn:'
    )
    tail = (
        '","Message.$":"States.JsonToString($.error)","Subject":"probe failed"},"ResultPath":null,"Next":"Failed"},'
        '"Failed":{"Type":"Fail","ErrorPath":"$.error.Error","CausePath":"$.error.Cause"}}}'
    )
    return _join(
        head,
        {"Fn::GetAtt": ["ProbeFunction", "Arn"]},
        middle,
        {"Ref": "AWS::Partition"},
        ':states:::sns:publish","Parameters":{"TopicArn":"',
        {"Ref": "Topic"},
        tail,
    )


def _trust(service: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}],
    }


@pytest.fixture(scope="module")
def mini_assembly(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A one-stack assembly: bucket, topic, roles, one Lambda function with a code asset, one state machine."""
    directory = tmp_path_factory.mktemp("mini-cdk-out")
    (directory / "asset.probe").mkdir()
    (directory / "asset.probe" / "probe.py").write_text(PROBE)
    template = {
        "Resources": {
            "Bucket": {"Type": "AWS::S3::Bucket", "Properties": {}},
            "Topic": {"Type": "AWS::SNS::Topic", "Properties": {}},
            "FunctionRole": {
                "Type": "AWS::IAM::Role",
                "Properties": {"AssumeRolePolicyDocument": _trust("lambda.amazonaws.com")},
            },
            "WorkflowRole": {
                "Type": "AWS::IAM::Role",
                "Properties": {"AssumeRolePolicyDocument": _trust("states.amazonaws.com")},
            },
            "WorkflowPolicy": {
                # Without it the local run's IAM refuses the state machine's invoke and publish.
                "Type": "AWS::IAM::Policy",
                "Properties": {
                    "PolicyName": "workflow",
                    "Roles": [{"Ref": "WorkflowRole"}],
                    "PolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Action": "lambda:InvokeFunction",
                                "Resource": {"Fn::GetAtt": ["ProbeFunction", "Arn"]},
                            },
                            {"Effect": "Allow", "Action": "sns:Publish", "Resource": {"Ref": "Topic"}},
                        ],
                    },
                },
            },
            "ProbeFunction": {
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "Code": {"S3Bucket": "assets", "S3Key": "probe.zip"},
                    "Handler": "probe.handler",
                    "Runtime": "python3.13",
                    "Role": {"Fn::GetAtt": ["FunctionRole", "Arn"]},
                    "Timeout": 30,
                    "Environment": {
                        "Variables": {
                            "BUCKET": {"Ref": "Bucket"},
                            "TOPIC": {"Fn::Sub": "${Topic}"},
                            "SOURCE_URI": "s3://mini-source/data/",
                            "INPUT_URI": {"Fn::Join": ["", ["s3://", {"Ref": "Bucket"}, "/input/"]]},
                        }
                    },
                },
                "Metadata": {"aws:asset:path": "asset.probe", "aws:asset:property": "Code"},
            },
            "Workflow": {
                "Type": "AWS::StepFunctions::StateMachine",
                "Properties": {
                    "DefinitionString": _definition(),
                    "RoleArn": {"Fn::GetAtt": ["WorkflowRole", "Arn"]},
                    "StateMachineType": "STANDARD",
                },
            },
        }
    }
    (directory / "Mini.template.json").write_text(json.dumps(template))
    manifest = {
        "version": "48.0.0",
        "artifacts": {
            "Mini": {
                "type": "aws:cloudformation:stack",
                "environment": "aws://unknown-account/us-east-1",
                "properties": {"templateFile": "Mini.template.json", "stackName": "mini"},
            }
        },
    }
    (directory / "manifest.json").write_text(json.dumps(manifest))
    data = directory / "data"
    data.mkdir()
    (data / "hello.txt").write_text("hello\n")
    return directory


@pytest.fixture
def cloud(mini_assembly: Path) -> Any:
    with LocalCloud(CloudAssembly.load(mini_assembly), time_scale=0.0001) as cloud:
        cloud.upload(mini_assembly / "data")
        yield cloud


def test_given_a_handler_that_succeeds_then_it_sees_its_environment_context_and_aws_start_time(cloud: Any) -> None:
    started = time.monotonic()
    result = cloud.run({"mode": "ok"})
    assert result.status == "SUCCEEDED"
    probe = result.output["probe"]
    assert probe["bucket"] == cloud.labeling_bucket
    assert probe["topic"].startswith("arn:aws:sns:us-east-1:123456789012:mini-Topic-")
    assert probe["region"] == "us-east-1"
    assert probe["function_name"].startswith("mini-ProbeFunction-")
    assert 0 < probe["remaining_ms"] <= 30_000
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", probe["start"])
    assert probe["name"] == result.description["name"]
    assert result.states == ["Probe", "InitialWait", "Wait", "Done"]
    assert time.monotonic() - started < 5, "the 120 s Wait must be scaled down"


def test_given_a_retried_error_then_retry_matches_the_exception_class_name(cloud: Any) -> None:
    result = cloud.run({"mode": "flaky"})
    assert result.status == "SUCCEEDED"
    assert result.output["probe"]["calls"] == 3
    failures = [event for event in result.history if event["type"] == "LambdaFunctionFailed"]
    assert [event["lambdaFunctionFailedEventDetails"]["error"] for event in failures] == ["FlakyError"] * 2
    assert [invocation.error_type for invocation in cloud.lambdas.invocations] == ["FlakyError", "FlakyError", None]


def test_given_a_user_error_then_catch_notifies_and_fail_reports_its_name_and_message(cloud: Any) -> None:
    result = cloud.run({"mode": "user"})
    assert result.status == "FAILED"
    assert result.error == "InvalidRequestError"
    cause = json.loads(result.cause or "")
    assert cause["errorType"] == "InvalidRequestError"
    assert cause["errorMessage"] == "Title too long: shorten human_task.title to 128 characters."
    assert all("lambda_runtime.py" not in frame for frame in cause["stackTrace"])
    assert result.states == ["Probe", "Notify", "Failed"]


def test_given_handlers_that_print_then_nothing_reaches_stdout_and_modules_are_restored(
    cloud: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    cloud.run({"mode": "ok"})
    assert "probe log line" not in capsys.readouterr().out
    assert "probe log line" in cloud.lambdas.invocations[-1].logs
    assert "probe" not in sys.modules


def test_given_the_configured_source_then_data_is_uploaded_there(cloud: Any) -> None:
    assert cloud.source_uri == "s3://mini-source/data/"
    assert cloud.bucket_objects("mini-source") == {"data/hello.txt": b"hello\n"}


def test_given_the_cli_on_the_assembly_then_stdout_is_one_json_object_and_the_exit_code_follows_the_status(
    mini_assembly: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    common = ["local-run", "--cloud-assembly", str(mini_assembly), "--data", str(mini_assembly / "data")]
    assert cli.main([*common, "--input", '{"mode": "ok"}', "--out", str(tmp_path)]) == 0
    captured = capsys.readouterr()
    summary = json.loads(captured.out)
    assert summary["status"] == "SUCCEEDED" and summary["output"]["probe"]["calls"] >= 0
    assert "> Probe" in captured.err and "probe log line" not in captured.out + captured.err
    record = json.loads((tmp_path / "execution.json").read_text())
    assert record["states"] == ["Probe", "InitialWait", "Wait", "Done"]
    assert record["labeling_job_request"] is None

    assert cli.main([*common, "--input", '{"mode": "user"}']) == 1
    captured = capsys.readouterr()
    assert json.loads(captured.out)["error"] == "InvalidRequestError"
    assert "shorten human_task.title" in captured.err


@pytest.mark.parametrize(
    "arguments",
    [
        ["local-run", "--outcome", "maybe"],
        ["local-run", "--input", "{not json"],
        ["local-run", "--input", "[1, 2]"],
        ["local-run", "--time-scale", "0"],
        ["local-run", "--cloud-assembly", "/nonexistent/cdk.out"],
        ["local-run", "--task-type", "3DPointCloudObjectTracking", "--input", '{"task_type": "Other"}'],
        [],
    ],
)
def test_given_bad_command_line_use_then_the_exit_code_is_2(arguments: list[str]) -> None:
    try:
        code = cli.main(arguments)
    except SystemExit as exit_:
        code = exit_.code  # type: ignore[assignment]
    assert code == 2
