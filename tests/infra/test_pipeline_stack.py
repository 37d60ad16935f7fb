"""PipelineStack: one least-privilege function per step, the state machines, the results topic."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Match
from handler_support import sdk_config
from infra_app import NOTIFICATION_EMAIL, Synthesized
from infra_helpers import (
    actions_and_resources,
    as_list,
    every_statement,
    flatten,
    function_by_handler,
    function_statements,
    resources_of_type,
    role_statements,
    state_machine_definitions,
)

from gt3d_core.copy_layout import DEFAULT_INLINE_COPY_LIMIT
from gt3d_core.errors import AwsTransientError, user_error_names
from gt3d_core.names import EXECUTION_TAG_KEY
from gt3d_core.progress import MAX_WAIT_SECONDS
from gt3d_core.sdk_budget import SDK_CALL_BUDGET
from stacks.constructs.lambda_function import POWERTOOLS_LAYER_VERSION

SOURCE_OBJECTS = "arn:<AWS::Partition>:s3:::aws-ml-blog/artifacts/gt-point-cloud-demos/*"
SOURCE_BUCKET = "arn:<AWS::Partition>:s3:::aws-ml-blog"
LABELING_JOBS = "arn:aws:sagemaker:us-east-1:<AWS::AccountId>:labeling-job/*"
S3_WRITE_ACTIONS = {"s3:PutObject", "s3:AbortMultipartUpload", "s3:DeleteObject", "s3:DeleteObjectVersion", "s3:*"}

HANDLERS = (
    "plan_labeling_job.handler",
    "copy_data.handler",
    "rewrite_manifests.handler",
    "create_labeling_job.handler",
    "monitor_labeling_job.handler",
    "stop_labeling_job.handler",
    "abandoned_execution.handler",
    "prepare_follow_up_job.handler",
    "copy_batch.handler",
)
STATES = {
    "PlanLabelingJob": "Task",
    "CopyData": "Task",
    "RewriteManifests": "Task",
    "CreateLabelingJob": "Task",
    "InitialWait": "Pass",
    "RunLabelingJobMonitor": "Task",
    "ReadMonitorResult": "Pass",
    "IsLabelingJobDone?": "Choice",
    "NotifySuccess": "Task",
    "Succeeded": "Succeed",
    "LabelingJobNotSucceeded": "Pass",
    "LabelingJobMonitorFailed": "Pass",
    "StopLabelingJob": "Task",
    "CopyInBatches?": "Choice",
    "CopyBatches": "Map",
    "HasFollowUpJob?": "Choice",
    "PrepareFollowUpJob": "Task",
    "NotifyFailure": "Task",
    "Failed": "Fail",
}
MONITOR_STATES = {
    "StartPolling": "Pass",
    "WaitForLabelingJob": "Wait",
    "MonitorLabelingJob": "Task",
    "CountPoll": "Pass",
    "KeepPolling?": "Choice",
    "LabelingJobFinished": "Succeed",
    "PollBudgetUsed": "Succeed",
}
LAMBDA_TASKS = {
    "PlanLabelingJob": ("plan_labeling_job.handler", "$.plan"),
    "CopyData": ("copy_data.handler", "$.copy"),
    "RewriteManifests": ("rewrite_manifests.handler", "$.rewrite"),
    "CreateLabelingJob": ("create_labeling_job.handler", "$.job"),
}
"""The workflow's Lambda tasks; the monitor's one (MonitorLabelingJob) runs in the monitor state machine."""

SYNC_EVENTS_RULE = "arn:aws:events:us-east-1:<AWS::AccountId>:rule/StepFunctionsGetEventsForStepFunctionsExecutionRule"
"""The EventBridge rule Step Functions manages to learn that a ``.sync`` child execution ended."""

HISTORY_EVENT_LIMIT = 25_000
"""Step Functions ends a STANDARD execution that reaches this many history events."""
EVENTS_PER_STATE = {"Pass": 2, "Wait": 2, "Choice": 2, "Succeed": 2, "Fail": 1, "Task": 5}
"""History events of one pass through a state: Entered and Exited; a Task adds Scheduled, Started and Succeeded
(LambdaFunction* for a Lambda task); a Fail state ends the execution without an Exited event."""
EVENTS_PER_RETRY = 3
"""Another attempt of a Task: the Failed event of the attempt before, then Scheduled and Started again."""
EXECUTION_EVENTS = 2
"""ExecutionStarted and ExecutionSucceeded (or Failed)."""


@pytest.fixture(scope="module")
def pipeline(created: Synthesized) -> dict[str, Any]:
    return dict(created.templates["Gt3dPipeline"])


@dataclass(frozen=True)
class Locations:
    """The labeling bucket as the pipeline sees it (an import of the storage stack's export), flattened."""

    bucket: str

    @property
    def bucket_arn(self) -> str:
        return f"arn:<AWS::Partition>:s3:::{self.bucket}"

    @property
    def input_objects(self) -> str:
        return f"{self.bucket_arn}/gt3d-demo/input/*"

    @property
    def output_objects(self) -> str:
        return f"{self.bucket_arn}/gt3d-demo/output/*"


@pytest.fixture(scope="module")
def labeling(created: Synthesized) -> Locations:
    storage = created.templates["Gt3dStorage"]
    (bucket_id,) = [
        lid
        for lid, res in resources_of_type(storage, "AWS::S3::Bucket").items()
        if "CorsConfiguration" in res["Properties"]
    ]
    (export,) = [
        output["Export"]["Name"]
        for output in storage["Outputs"].values()
        if "Export" in output and output["Value"] == {"Ref": bucket_id}
    ]
    return Locations(bucket=f"import({export})")


@pytest.fixture(scope="module")
def ground_truth_role_arn(created: Synthesized) -> str:
    """The Ground Truth execution role's ARN as the pipeline sees it: an import of the storage stack's export."""
    storage = created.templates["Gt3dStorage"]
    (role_id,) = [
        lid
        for lid, res in resources_of_type(storage, "AWS::IAM::Role").items()
        if res["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]
        == {"Service": "sagemaker.amazonaws.com"}
    ]
    (export,) = [
        output["Export"]["Name"]
        for output in storage["Outputs"].values()
        if "Export" in output and output["Value"] == {"Fn::GetAtt": [role_id, "Arn"]}
    ]
    return f"import({export})"


def _results_topic_id(pipeline: dict[str, Any]) -> str:
    return str(pipeline["Outputs"]["ResultsTopicArn"]["Value"]["Ref"])


@pytest.fixture(scope="module")
def results_topic_id(pipeline: dict[str, Any]) -> str:
    """The results topic (the stack's other topic is the operations topic the alarms publish to)."""
    return _results_topic_id(pipeline)


@pytest.fixture(scope="module")
def workflow_id(pipeline: dict[str, Any]) -> str:
    """The labeling workflow: the state machine the stack's StateMachineArn output names (executions start there)."""
    return str(pipeline["Outputs"]["StateMachineArn"]["Value"]["Ref"])


@pytest.fixture(scope="module")
def monitor_id(pipeline: dict[str, Any], workflow_id: str) -> str:
    """The monitor: the other state machine, the one the workflow starts."""
    (other,) = [lid for lid in resources_of_type(pipeline, "AWS::StepFunctions::StateMachine") if lid != workflow_id]
    return other


@pytest.fixture(scope="module")
def definitions(pipeline: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return state_machine_definitions(pipeline)


@pytest.fixture(scope="module")
def states(definitions: dict[str, dict[str, Any]], workflow_id: str) -> dict[str, Any]:
    return dict(definitions[workflow_id]["States"])


@pytest.fixture(scope="module")
def monitor_states(definitions: dict[str, dict[str, Any]], monitor_id: str) -> dict[str, Any]:
    return dict(definitions[monitor_id]["States"])


def _function_logical_id(pipeline: dict[str, Any], handler: str) -> str:
    (logical_id,) = [
        lid
        for lid, res in resources_of_type(pipeline, "AWS::Lambda::Function").items()
        if res["Properties"]["Handler"] == handler
    ]
    return logical_id


# --- functions ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("handler", HANDLERS)
def test_given_each_step_function_when_synthesized_then_it_uses_the_project_runtime_logging_and_tracing(
    pipeline: dict[str, Any], handler: str
) -> None:
    props = function_by_handler(pipeline, handler)["Properties"]

    assert props["Runtime"] == "python3.13"
    assert props["Architectures"] == ["x86_64"]
    assert props["TracingConfig"] == {"Mode": "Active"}
    assert props["LoggingConfig"]["LogFormat"] == "JSON"
    log_group_id = props["LoggingConfig"]["LogGroup"]["Ref"]
    assert pipeline["Resources"][log_group_id]["Properties"]["RetentionInDays"] == 90
    assert props["Layers"] == [
        "arn:aws:lambda:us-east-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python313-x86_64:"
        f"{POWERTOOLS_LAYER_VERSION}"
    ]
    assert props["Code"]["S3Key"].endswith(".zip")


def test_given_the_functions_when_synthesized_then_each_has_exactly_the_environment_the_contract_names(
    pipeline: dict[str, Any], labeling: Locations, ground_truth_role_arn: str
) -> None:
    def environment(handler: str) -> dict[str, str]:
        variables = function_by_handler(pipeline, handler)["Properties"].get("Environment", {}).get("Variables", {})
        return {key: flatten(value) for key, value in variables.items()}

    assert environment("plan_labeling_job.handler") == {
        "SOURCE_URI": "s3://aws-ml-blog/artifacts/gt-point-cloud-demos/",
        "INPUT_URI": f"s3://{labeling.bucket}/gt3d-demo/input/",
        "OUTPUT_URI": f"s3://{labeling.bucket}/gt3d-demo/output/",
        "RESOURCE_PREFIX": "gt3d",
    }
    create = environment("create_labeling_job.handler")
    assert set(create) == {"GROUND_TRUTH_ROLE_ARN", "WORKTEAM_ARN"}
    assert create["GROUND_TRUTH_ROLE_ARN"] == ground_truth_role_arn
    assert create["WORKTEAM_ARN"].startswith("import(gt3d-workforce:")
    # Above this many objects the copy hands the copying to the CopyBatches Distributed Map.
    assert environment("copy_data.handler") == {"INLINE_COPY_LIMIT": str(DEFAULT_INLINE_COPY_LIMIT)}
    for handler in ("rewrite_manifests.handler", "monitor_labeling_job.handler", "copy_batch.handler"):
        assert environment(handler) == {}


def _step_permissions(pipeline: dict[str, Any], handler: str) -> set[tuple[str, str]]:
    granted = actions_and_resources(function_statements(pipeline, handler))
    log_group = function_by_handler(pipeline, handler)["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
    baseline = {
        ("logs:CreateLogStream", f"<{log_group}.Arn>"),
        ("logs:PutLogEvents", f"<{log_group}.Arn>"),
        ("xray:PutTraceSegments", "*"),
        ("xray:PutTelemetryRecords", "*"),
    }
    assert baseline <= granted
    return granted - baseline


def test_given_the_plan_function_when_synthesized_then_it_may_call_nothing(pipeline: dict[str, Any]) -> None:
    assert _step_permissions(pipeline, "plan_labeling_job.handler") == set()


def test_given_the_copy_function_when_synthesized_then_it_reads_the_source_and_writes_only_the_input_prefix(
    pipeline: dict[str, Any], labeling: Locations
) -> None:
    assert _step_permissions(pipeline, "copy_data.handler") == {
        ("s3:GetObject", SOURCE_OBJECTS),
        ("s3:ListBucket", SOURCE_BUCKET),
        ("s3:GetObject", labeling.input_objects),
        ("s3:ListBucket", labeling.bucket_arn),
        ("s3:PutObject", labeling.input_objects),
        ("s3:AbortMultipartUpload", labeling.input_objects),
    }
    listings = {
        flatten(s["Resource"]): s["Condition"]
        for s in function_statements(pipeline, "copy_data.handler")
        if "s3:ListBucket" in as_list(s["Action"])
    }
    assert listings == {
        SOURCE_BUCKET: {"StringLike": {"s3:prefix": ["artifacts/gt-point-cloud-demos/*"]}},
        labeling.bucket_arn: {"StringLike": {"s3:prefix": ["gt3d-demo/input/*"]}},
    }


def test_given_the_rewrite_function_when_synthesized_then_it_reads_and_writes_only_the_input_prefix(
    pipeline: dict[str, Any], labeling: Locations
) -> None:
    assert _step_permissions(pipeline, "rewrite_manifests.handler") == {
        ("s3:GetObject", labeling.input_objects),
        ("s3:PutObject", labeling.input_objects),
        ("s3:AbortMultipartUpload", labeling.input_objects),
    }


def test_given_the_create_function_when_synthesized_then_it_creates_tagged_team_jobs_and_passes_only_the_gt_role(
    pipeline: dict[str, Any], ground_truth_role_arn: str
) -> None:
    statements = function_statements(pipeline, "create_labeling_job.handler")

    assert _step_permissions(pipeline, "create_labeling_job.handler") == {
        ("sagemaker:CreateLabelingJob", LABELING_JOBS),
        # A dependent action of CreateLabelingJob when the request carries Tags (Service Authorization Reference).
        ("sagemaker:AddTags", LABELING_JOBS),
        ("sagemaker:DescribeLabelingJob", LABELING_JOBS),
        ("iam:PassRole", ground_truth_role_arn),
    }
    (create,) = [s for s in statements if "sagemaker:CreateLabelingJob" in as_list(s["Action"])]
    assert flatten(create["Condition"]["ArnEquals"]["sagemaker:WorkteamArn"]).startswith("import(gt3d-workforce:")
    (add_tags,) = [s for s in statements if "sagemaker:AddTags" in as_list(s["Action"])]
    assert add_tags["Condition"] == {"ForAllValues:StringEquals": {"aws:TagKeys": [EXECUTION_TAG_KEY]}}
    (pass_role,) = [s for s in statements if "iam:PassRole" in as_list(s["Action"])]
    assert pass_role["Condition"] == {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}


@pytest.mark.parametrize(
    ("handler", "sdk_calls"), [("create_labeling_job.handler", 2), ("monitor_labeling_job.handler", 1)]
)
def test_given_the_sagemaker_functions_when_synthesized_then_their_timeout_outlasts_their_sdk_calls_at_their_slowest(
    pipeline: dict[str, Any], handler: str, sdk_calls: int
) -> None:
    timeout = function_by_handler(pipeline, handler)["Properties"]["Timeout"]

    # Every attempt of every call timing out, with the longest backoffs: a Lambda timeout would cut a call short.
    assert timeout >= sdk_calls * SDK_CALL_BUDGET.worst_case_seconds()
    assert sdk_config().connect_timeout + sdk_config().read_timeout < timeout


def test_given_the_monitor_function_when_synthesized_then_it_may_only_describe_labeling_jobs(
    pipeline: dict[str, Any],
) -> None:
    assert _step_permissions(pipeline, "monitor_labeling_job.handler") == {
        ("sagemaker:DescribeLabelingJob", LABELING_JOBS)
    }


def test_given_every_template_when_synthesized_then_no_statement_uses_a_wildcard_action_or_passes_another_role(
    every_configuration: Synthesized,
) -> None:
    for stack, lid, statement in every_statement(every_configuration.templates):
        if (
            statement["Effect"] != "Allow"
            or "KeyPolicy" in every_configuration.templates[stack]["Resources"][lid]["Properties"]
        ):
            continue  # a key policy's kms:* for the account root is how KMS delegates to IAM
        for action in as_list(statement["Action"]):
            assert "*" not in action, (stack, lid, action)
        if "iam:PassRole" in as_list(statement["Action"]):
            assert statement["Condition"] == {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}


def test_given_every_template_when_synthesized_then_nothing_may_write_to_the_source_location(
    every_configuration: Synthesized,
) -> None:
    for stack, lid, statement in every_statement(every_configuration.templates):
        if statement["Effect"] != "Allow":
            continue
        writes = [action for action in as_list(statement["Action"]) if _may_write_s3(action)]
        resources = [flatten(resource) for resource in as_list(statement.get("Resource", []))]
        assert not (writes and any(_may_cover_bucket(resource, "aws-ml-blog") for resource in resources)), (
            stack,
            lid,
            statement,
        )


def _may_write_s3(action: str) -> bool:
    """True for any action that can create, change or delete S3 objects, wildcards included."""
    return (
        action in S3_WRITE_ACTIONS
        or action == "*"
        or re.match(r"s3:(Put|Delete|Restore|Replicate|Abort)", action) is not None
    )


def _may_cover_bucket(resource: str, bucket: str) -> bool:
    """True when an IAM resource could match objects of ``bucket``: ``*``, a bucket wildcard, or the bucket itself."""
    if resource == "*":
        return True
    if ":::" not in resource:
        return False  # a token-built ARN of one of the app's own buckets
    resource_bucket = resource.split(":::", 1)[1].split("/", 1)[0]
    return resource_bucket == bucket or "*" in resource_bucket or "?" in resource_bucket


@pytest.mark.parametrize(
    ("action", "resource", "flagged"),
    [
        ("s3:PutObject", "arn:<AWS::Partition>:s3:::aws-ml-blog/artifacts/*", True),
        ("s3:PutObjectTagging", "*", True),
        ("s3:*", "arn:<AWS::Partition>:s3:::*", True),
        ("s3:DeleteObject", "arn:<AWS::Partition>:s3:::aws-ml-*/x", True),
        ("s3:GetObject", "arn:<AWS::Partition>:s3:::aws-ml-blog/artifacts/*", False),
        ("s3:PutObject", "arn:<AWS::Partition>:s3:::aws-ml-blog-archive/*", False),
        ("s3:PutObject", "<Gt3dStorage.LabelingBucketArn>/gt3d-demo/input/*", False),
    ],
)
def test_given_a_statement_when_checked_for_source_writes_then_the_check_flags_exactly_the_risky_ones(
    action: str, resource: str, flagged: bool
) -> None:
    assert (_may_write_s3(action) and _may_cover_bucket(resource, "aws-ml-blog")) is flagged


def test_given_every_function_list_bucket_grant_when_synthesized_then_it_is_limited_to_a_prefix(
    every_configuration: Synthesized,
) -> None:
    for stack, _, statement in every_statement(every_configuration.templates):
        if stack == "Gt3dStorage":
            continue  # the Ground Truth role: its documented minimum is s3:ListBucket on the bucket
        if statement["Effect"] == "Allow" and "s3:ListBucket" in as_list(statement["Action"]):
            assert set(statement["Condition"]) == {"StringLike"}
            assert all(prefix.endswith("/*") for prefix in statement["Condition"]["StringLike"]["s3:prefix"])


# --- state machines ----------------------------------------------------------------------------------------------


def test_given_the_stack_when_synthesized_then_it_has_the_workflow_and_the_monitor_it_starts(
    pipeline: dict[str, Any], workflow_id: str, monitor_id: str, states: dict[str, Any]
) -> None:
    assert set(resources_of_type(pipeline, "AWS::StepFunctions::StateMachine")) == {workflow_id, monitor_id}
    assert states["RunLabelingJobMonitor"]["Parameters"]["StateMachineArn"] == f"<{monitor_id}>"


@pytest.mark.parametrize("machine", ["workflow", "monitor"])
def test_given_each_state_machine_when_synthesized_then_it_is_standard_jsonpath_logged_and_traced(
    pipeline: dict[str, Any], definitions: dict[str, dict[str, Any]], workflow_id: str, monitor_id: str, machine: str
) -> None:
    logical_id = workflow_id if machine == "workflow" else monitor_id
    props = pipeline["Resources"][logical_id]["Properties"]

    assert props["StateMachineType"] == "STANDARD"
    assert props["TracingConfiguration"] == {"Enabled": True}
    logging = props["LoggingConfiguration"]
    assert (logging["Level"], logging["IncludeExecutionData"]) == ("ALL", True)
    ((log_group_id, attribute),) = [
        destination["CloudWatchLogsLogGroup"]["LogGroupArn"]["Fn::GetAtt"] for destination in logging["Destinations"]
    ]
    assert attribute == "Arn"
    log_group = pipeline["Resources"][log_group_id]["Properties"]
    assert log_group["RetentionInDays"] == 90
    assert log_group["LogGroupName"].startswith("/aws/vendedlogs/states/gt3d-pipeline-")
    assert definitions[logical_id]["QueryLanguage"] == "JSONPath"


def test_given_the_state_machines_when_synthesized_then_each_logs_to_its_own_group(
    pipeline: dict[str, Any], workflow_id: str, monitor_id: str
) -> None:
    groups = {
        pipeline["Resources"][lid]["Properties"]["LoggingConfiguration"]["Destinations"][0]["CloudWatchLogsLogGroup"][
            "LogGroupArn"
        ]["Fn::GetAtt"][0]
        for lid in (workflow_id, monitor_id)
    }
    assert len(groups) == 2


def test_given_the_timeouts_when_synthesized_then_the_workflow_outlives_a_job_and_a_monitor_outlives_its_budget(
    definitions: dict[str, dict[str, Any]], workflow_id: str, monitor_id: str, monitor_states: dict[str, Any]
) -> None:
    workflow = definitions[workflow_id]
    monitor = definitions[monitor_id]
    budget = _poll_budget(monitor_states)

    assert workflow["StartAt"] == "PlanLabelingJob"
    assert workflow["TimeoutSeconds"] >= 31 * 24 * 3600  # Ground Truth ends a job after 30 days
    assert budget * MAX_WAIT_SECONDS < monitor["TimeoutSeconds"] < workflow["TimeoutSeconds"]


def test_given_the_workflow_when_synthesized_then_it_has_exactly_the_documented_states(
    states: dict[str, Any],
) -> None:
    assert {name: state["Type"] for name, state in states.items()} == STATES


def test_given_the_monitor_when_synthesized_then_it_has_exactly_the_documented_states(
    monitor_states: dict[str, Any],
) -> None:
    assert {name: state["Type"] for name, state in monitor_states.items()} == MONITOR_STATES


def test_given_the_happy_path_when_synthesized_then_the_states_follow_copy_rewrite_create_wait_monitor(
    states: dict[str, Any],
) -> None:
    assert [states[name]["Next"] for name in ("PlanLabelingJob", "CopyData", "CopyBatches", "RewriteManifests")] == [
        "CopyData",
        "CopyInBatches?",
        "RewriteManifests",
        "CreateLabelingJob",
    ]
    assert states["CopyInBatches?"] == {
        "Type": "Choice",
        "Choices": [{"Variable": "$.copy.batches.count", "NumericGreaterThan": 0, "Next": "CopyBatches"}],
        "Default": "RewriteManifests",
    }
    assert states["CreateLabelingJob"]["Next"] == "InitialWait"
    assert states["InitialWait"] == {
        "Type": "Pass",
        "Result": {"wait_seconds": 30},
        "ResultPath": "$.monitor",
        "Next": "RunLabelingJobMonitor",
    }
    assert states["RunLabelingJobMonitor"]["Next"] == "ReadMonitorResult"
    assert states["ReadMonitorResult"] == {
        "Type": "Pass",
        "InputPath": "$.monitor.last",
        "ResultPath": "$.monitor",
        "Next": "IsLabelingJobDone?",
    }
    assert states["IsLabelingJobDone?"] == {
        "Type": "Choice",
        "Choices": [
            {"Variable": "$.monitor.done", "BooleanEquals": False, "Next": "RunLabelingJobMonitor"},
            {"Variable": "$.monitor.succeeded", "BooleanEquals": True, "Next": "HasFollowUpJob?"},
        ],
        "Default": "LabelingJobNotSucceeded",
    }
    assert states["NotifySuccess"]["Next"] == "Succeeded"


def test_given_the_workflow_when_synthesized_then_it_runs_the_monitor_to_completion_and_keeps_its_last_result(
    states: dict[str, Any], monitor_id: str
) -> None:
    run = states["RunLabelingJobMonitor"]

    # .sync:2: wait for the monitor execution to end; its Output arrives as JSON, not as a string.
    assert run["Resource"] == "arn:<AWS::Partition>:states:::states:startExecution.sync:2"
    assert run["Parameters"] == {
        "StateMachineArn": f"<{monitor_id}>",
        "Input": {
            "job_name.$": "$.job.job_name",
            "monitor.$": "$.monitor",
            "AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$": "$$.Execution.Id",  # links it to this execution
        },
    }
    assert run["ResultSelector"] == {"last.$": "$.Output"}
    assert run["ResultPath"] == "$.monitor"  # ReadMonitorResult then moves $.monitor.last to $.monitor


def test_given_the_monitor_run_fails_when_synthesized_then_service_errors_are_retried_and_failures_reported(
    states: dict[str, Any],
) -> None:
    run = states["RunLabelingJobMonitor"]

    (retrier,) = run["Retry"]
    assert set(retrier["ErrorEquals"]) == {
        "StepFunctions.ExecutionLimitExceededException",
        "StepFunctions.AWSStepFunctionsException",
        "StepFunctions.SdkClientException",
    }
    assert retrier["MaxAttempts"] > 1 and retrier["BackoffRate"] > 1
    assert run["Catch"] == [
        {"ErrorEquals": ["States.TaskFailed"], "ResultPath": "$.error", "Next": "LabelingJobMonitorFailed"},
        {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "StopLabelingJob"},
    ]
    # A failed monitor execution is reported under one name; its DescribeExecution output (with the monitor's
    # own Error and Cause) is the cause.
    assert states["LabelingJobMonitorFailed"] == {
        "Type": "Pass",
        "Parameters": {"Error": "LabelingJobMonitorFailed", "Cause.$": "$.error.Cause"},
        "ResultPath": "$.error",
        "Next": "StopLabelingJob",
    }


def test_given_the_monitor_when_synthesized_then_it_waits_polls_counts_and_returns_the_last_result(
    pipeline: dict[str, Any], monitor_states: dict[str, Any]
) -> None:
    budget = _poll_budget(monitor_states)

    assert monitor_states["StartPolling"] == {
        "Type": "Pass",
        "Parameters": {"job_name.$": "$.job_name", "monitor.$": "$.monitor", "polls": 0},
        "Next": "WaitForLabelingJob",
    }
    assert monitor_states["WaitForLabelingJob"] == {
        "Type": "Wait",
        "SecondsPath": "$.monitor.wait_seconds",
        "Next": "MonitorLabelingJob",
    }
    poll = monitor_states["MonitorLabelingJob"]
    assert poll["Resource"] == f"<{_function_logical_id(pipeline, 'monitor_labeling_job.handler')}.Arn>"
    assert poll["Parameters"] == {"job_name.$": "$.job_name"}
    assert (poll["ResultPath"], poll["Next"]) == ("$.monitor", "CountPoll")
    assert monitor_states["CountPoll"] == {
        "Type": "Pass",
        "Parameters": {"job_name.$": "$.job_name", "monitor.$": "$.monitor", "polls.$": "States.MathAdd($.polls, 1)"},
        "Next": "KeepPolling?",
    }
    assert monitor_states["KeepPolling?"] == {
        "Type": "Choice",
        "Choices": [
            {"Variable": "$.monitor.done", "BooleanEquals": True, "Next": "LabelingJobFinished"},
            {"Variable": "$.polls", "NumericGreaterThanEquals": budget, "Next": "PollBudgetUsed"},
        ],
        "Default": "WaitForLabelingJob",
    }
    # Either way the monitor's output is the last $.monitor, which the workflow's IsLabelingJobDone? reads.
    for end in ("LabelingJobFinished", "PollBudgetUsed"):
        assert monitor_states[end] == {"Type": "Succeed", "OutputPath": "$.monitor"}


def test_given_the_monitor_when_synthesized_then_a_full_poll_budget_stays_well_below_the_history_limit(
    monitor_states: dict[str, Any],
) -> None:
    budget = _poll_budget(monitor_states)
    loop = _poll_loop(monitor_states)
    outside = [name for name in monitor_states if name not in loop]

    nominal = sum(EVENTS_PER_STATE[monitor_states[name]["Type"]] for name in loop)
    retries = sum(retrier["MaxAttempts"] for name in loop for retrier in monitor_states[name].get("Retry", []))
    worst = nominal + EVENTS_PER_RETRY * retries  # every retrier of every poll used up, every time
    # StartPolling before the loop, one Succeed after it (or the failing poll's last events instead).
    overhead = EXECUTION_EVENTS + max(EVENTS_PER_STATE[monitor_states[name]["Type"]] for name in outside) * 2

    assert sorted(monitor_states[name]["Type"] for name in loop) == ["Choice", "Pass", "Task", "Wait"]
    assert [name for name in loop if monitor_states[name]["Type"] == "Task"] == ["MonitorLabelingJob"]
    assert budget * nominal + overhead <= HISTORY_EVENT_LIMIT // 4, (budget, nominal)
    assert budget * worst + overhead < HISTORY_EVENT_LIMIT, (budget, worst)


def test_given_the_success_notice_fails_when_synthesized_then_the_finished_job_still_succeeds(
    states: dict[str, Any],
) -> None:
    notify = states["NotifySuccess"]

    assert notify["Catch"] == [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.notify_error", "Next": "Succeeded"}]


@pytest.mark.parametrize("name", ["NotifySuccess", "NotifyFailure"])
def test_given_a_notification_when_synthesized_then_its_publish_is_retried_with_backoff(
    states: dict[str, Any], name: str
) -> None:
    (retrier,) = states[name]["Retry"]

    assert retrier["ErrorEquals"] == ["States.ALL"]
    assert retrier["MaxAttempts"] > 1 and retrier["BackoffRate"] > 1


def test_given_the_lambda_tasks_when_synthesized_then_payloads_and_result_paths_follow_the_contract(
    pipeline: dict[str, Any], states: dict[str, Any]
) -> None:
    for name, (handler, result_path) in LAMBDA_TASKS.items():
        assert states[name]["Resource"] == f"<{_function_logical_id(pipeline, handler)}.Arn>", name
        assert states[name]["ResultPath"] == result_path, name
    assert states["PlanLabelingJob"]["Parameters"] == {
        "input.$": "$",
        "execution_name.$": "$$.Execution.Name",
        "execution_start_time.$": "$$.Execution.StartTime",
    }
    assert states["CopyData"]["Parameters"] == {
        "task_type.$": "$.plan.task_type",
        "label_attribute_name.$": "$.plan.label_attribute_name",
        "execution_name.$": "$.plan.execution_name",
        "source.$": "$.plan.source",
        "target.$": "$.plan.target",
        "manifest.$": "$.plan.manifest",
        "label_category_config.$": "$.plan.label_category_config",
    }
    assert states["RewriteManifests"]["Parameters"] == {
        "source.$": "$.plan.source",
        "target.$": "$.plan.target",
        "keys.$": "$.copy.json_keys",
    }
    assert states["CreateLabelingJob"]["InputPath"] == "$.plan"
    assert "Parameters" not in states["CreateLabelingJob"]


def _assert_retries_service_and_transient_errors_only(task: dict[str, Any]) -> None:
    retried = {error for retrier in task["Retry"] for error in retrier["ErrorEquals"]}

    assert {"Lambda.ServiceException", "Lambda.TooManyRequestsException", AwsTransientError.__name__} <= retried
    assert not retried & set(user_error_names())  # a user's mistake is reported, never retried
    assert all(retrier["BackoffRate"] > 1 and retrier["MaxAttempts"] > 1 for retrier in task["Retry"])


FAILURE_NEXT = {
    "PlanLabelingJob": "NotifyFailure",
    "CopyData": "NotifyFailure",
    "RewriteManifests": "NotifyFailure",
    # A create that failed after Ground Truth accepted it (a lost response, a timeout) may have left a job.
    "CreateLabelingJob": "StopLabelingJob",
}


@pytest.mark.parametrize("name", sorted(LAMBDA_TASKS))
def test_given_each_lambda_task_when_synthesized_then_it_retries_service_and_transient_errors_and_catches_the_rest(
    states: dict[str, Any], name: str
) -> None:
    _assert_retries_service_and_transient_errors_only(states[name])
    retried = {error for retrier in states[name]["Retry"] for error in retrier["ErrorEquals"]}
    assert {"Sandbox.Timedout", "States.Timeout"} <= retried  # every handler is idempotent
    assert states[name]["Catch"] == [
        {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": FAILURE_NEXT[name]}
    ]


def test_given_a_failure_once_the_job_may_exist_when_synthesized_then_the_job_is_stopped_before_it_is_reported(
    pipeline: dict[str, Any], states: dict[str, Any]
) -> None:
    stop = states["StopLabelingJob"]

    assert stop["Resource"] == f"<{_function_logical_id(pipeline, 'stop_labeling_job.handler')}.Arn>"
    assert stop["Parameters"] == {"job_name.$": "$.plan.job_name", "execution_name.$": "$$.Execution.Name"}
    assert stop["Next"] == "NotifyFailure"
    # A stop that fails must not replace the error being reported.
    assert stop["Catch"] == [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.stop_error", "Next": "NotifyFailure"}]


def test_given_the_monitors_lambda_task_when_synthesized_then_it_retries_the_same_and_lets_the_rest_fail_the_monitor(
    monitor_states: dict[str, Any],
) -> None:
    # The monitor execution fails with the handler's own error and cause; the workflow catches and reports that.
    _assert_retries_service_and_transient_errors_only(monitor_states["MonitorLabelingJob"])
    assert "Catch" not in monitor_states["MonitorLabelingJob"]


def test_given_the_failure_path_when_synthesized_then_it_notifies_and_fails_with_the_error_and_cause(
    states: dict[str, Any], results_topic_id: str
) -> None:
    topic_id = results_topic_id

    assert states["LabelingJobNotSucceeded"]["Parameters"] == {
        "Error": "LabelingJobNotSucceeded",
        "Cause.$": "$.monitor.failure_reason",
    }
    assert states["LabelingJobNotSucceeded"]["ResultPath"] == "$.error"
    assert states["LabelingJobNotSucceeded"]["Next"] == "NotifyFailure"
    notify = states["NotifyFailure"]
    assert notify["Resource"] == "arn:<AWS::Partition>:states:::sns:publish"
    assert notify["Parameters"]["TopicArn"] == f"<{topic_id}>"
    assert notify["Parameters"]["Message.$"] == "States.JsonToString($.error)"
    assert notify["ResultPath"] is None  # keeps $.error for Failed
    assert notify["Next"] == "Failed"
    assert notify["Catch"] == [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.notify_error", "Next": "Failed"}]
    assert states["Failed"] == {"Type": "Fail", "ErrorPath": "$.error.Error", "CausePath": "$.error.Cause"}


LOGGING_AND_TRACING = {
    "logs:CreateLogDelivery",
    "logs:GetLogDelivery",
    "logs:UpdateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:DescribeResourcePolicies",
    "logs:DescribeLogGroups",
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "xray:GetSamplingRules",
    "xray:GetSamplingTargets",
}


def _machine_permissions(pipeline: dict[str, Any], machine_id: str) -> set[tuple[str, str]]:
    """Return what a state machine's role grants beyond logging and tracing (which need Resource "*")."""
    machine = pipeline["Resources"][machine_id]
    granted = actions_and_resources(role_statements(pipeline, machine["Properties"]["RoleArn"]["Fn::GetAtt"][0]))
    wildcard = {(action, resource) for action, resource in granted if resource == "*"}
    assert {action for action, _ in wildcard} == LOGGING_AND_TRACING
    return granted - wildcard


def test_given_the_workflow_role_when_synthesized_then_it_invokes_its_functions_publishes_and_runs_the_monitor(
    pipeline: dict[str, Any], workflow_id: str, monitor_id: str, results_topic_id: str, labeling: Locations
) -> None:
    topic_id = results_topic_id
    invoked = (*HANDLERS[:4], "stop_labeling_job.handler", "prepare_follow_up_job.handler", "copy_batch.handler")
    own_arn = "arn:aws:states:us-east-1:<AWS::AccountId>:stateMachine:gt3d-pipeline-LabelingWorkflow"

    assert _machine_permissions(pipeline, workflow_id) == {
        *{("lambda:InvokeFunction", f"<{_function_logical_id(pipeline, handler)}.Arn>") for handler in invoked},
        ("sns:Publish", f"<{topic_id}>"),
        # startExecution.sync:2, as documented for the Step Functions integration: start the monitor, watch and
        # stop its executions, and the managed rule through which Step Functions learns that one ended.
        ("states:StartExecution", f"<{monitor_id}>"),
        # The CopyBatches Distributed Map: its item file, and its child executions of this state machine.
        ("s3:GetObject", f"{labeling.input_objects.removesuffix('*')}_gt3d-work/*"),
        ("states:StartExecution", own_arn),
        ("states:DescribeExecution", own_arn.replace(":stateMachine:", ":execution:") + "/*"),
        ("states:StopExecution", own_arn.replace(":stateMachine:", ":execution:") + "/*"),
        ("states:DescribeExecution", f"arn:aws:states:us-east-1:<AWS::AccountId>:execution:<{monitor_id}.Name>:*"),
        ("states:StopExecution", f"arn:aws:states:us-east-1:<AWS::AccountId>:execution:<{monitor_id}.Name>:*"),
        *{
            (
                action,
                "arn:aws:events:us-east-1:<AWS::AccountId>:rule/StepFunctionsGetEventsForStepFunctionsExecutionRule",
            )
            for action in ("events:PutTargets", "events:PutRule", "events:DescribeRule")
        },
    }


def test_given_the_monitor_role_when_synthesized_then_it_only_invokes_the_monitor_function(
    pipeline: dict[str, Any], monitor_id: str
) -> None:
    assert _machine_permissions(pipeline, monitor_id) == {
        ("lambda:InvokeFunction", f"<{_function_logical_id(pipeline, 'monitor_labeling_job.handler')}.Arn>")
    }


def test_given_the_monitor_executions_grant_when_synthesized_then_its_wildcard_is_acknowledged_on_that_policy(
    created: Synthesized, pipeline: dict[str, Any], workflow_id: str, monitor_id: str
) -> None:
    role_id = pipeline["Resources"][workflow_id]["Properties"]["RoleArn"]["Fn::GetAtt"][0]
    (policy_id,) = [
        lid
        for lid, res in resources_of_type(pipeline, "AWS::IAM::Policy").items()
        if {"Ref": role_id} in res["Properties"]["Roles"]
    ]
    finding = f"AwsSolutions-IAM5[Resource::arn:aws:states:us-east-1:<AWS::AccountId>:execution:<{monitor_id}.Name>:*]"
    key = cdk.Validations.ACKNOWLEDGED_RULES_METADATA_KEY
    acknowledged = {
        rule.removeprefix("Annotation::"): reason
        for construct in created.stacks.pipeline.node.find_all()
        if isinstance(construct, cdk.CfnResource) and created.stacks.pipeline.get_logical_id(construct) == policy_id
        for entry in construct.node.metadata
        if entry.type == key
        for rule, reason in entry.data.items()
    }

    assert "executions of that one state machine" in acknowledged[finding]


def _poll_budget(monitor_states: dict[str, Any]) -> int:
    """Return the number of polls after which KeepPolling? ends the monitor (its NumericGreaterThanEquals)."""
    (budget,) = [
        choice["NumericGreaterThanEquals"]
        for choice in monitor_states["KeepPolling?"]["Choices"]
        if choice.get("Variable") == "$.polls"
    ]
    return int(budget)


def _poll_loop(monitor_states: dict[str, Any]) -> list[str]:
    """Return the states of one poll: from the loop's Choice round to it again (by Default and Next, as synthesized)."""
    choice = "KeepPolling?"
    loop = [choice]
    name = monitor_states[choice]["Default"]
    while name != choice:
        assert name not in loop, f"{name} is on a second loop"
        loop.append(name)
        name = monitor_states[name]["Next"]
    return loop


# --- results topic and outputs -----------------------------------------------------------------------------------


def test_given_the_results_topic_when_synthesized_then_it_is_encrypted_ssl_only_and_mails_the_notification_address(
    created: Synthesized, imported_workteam: Synthesized
) -> None:
    template = created.template("Gt3dPipeline")
    topic_id = _results_topic_id(created.templates["Gt3dPipeline"])

    topic = created.templates["Gt3dPipeline"]["Resources"][topic_id]
    assert flatten(topic["Properties"]["KmsMasterKeyId"]).endswith(":alias/aws/sns")
    template.has_resource_properties(
        "AWS::SNS::TopicPolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [Match.object_like({"Effect": "Deny", "Condition": {"Bool": {"aws:SecureTransport": "false"}}})]
                )
            }
        },
    )
    template.has_resource_properties(
        "AWS::SNS::Subscription",
        {"Protocol": "email", "Endpoint": NOTIFICATION_EMAIL, "TopicArn": {"Ref": topic_id}},
    )
    template.resource_count_is("AWS::SNS::Subscription", 2)  # the results and the operations topic
    imported_workteam.template("Gt3dPipeline").resource_count_is("AWS::SNS::Subscription", 0)


def test_given_the_pipeline_stack_when_synthesized_then_it_outputs_the_state_machine_and_topics(
    created: Synthesized, pipeline: dict[str, Any], results_topic_id: str
) -> None:
    template = created.template("Gt3dPipeline")
    topic_id = results_topic_id

    # The workflow, where executions start (the monitor is started by it and is not an output).
    (machine_id,) = [
        lid
        for lid, definition in state_machine_definitions(pipeline).items()
        if definition["StartAt"] == "PlanLabelingJob"
    ]
    template.has_output("StateMachineArn", {"Value": {"Ref": machine_id}})
    template.has_output("ResultsTopicArn", {"Value": {"Ref": topic_id}})
    template.has_output("OperationsTopicArn", {"Value": {"Ref": Match.string_like_regexp("OperationsTopic")}})


# --- abandoned jobs, alarms, log encryption -----------------------------------------------------------------------


def test_given_an_execution_that_ends_without_success_when_synthesized_then_a_rule_sends_it_to_the_stopping_function(
    pipeline: dict[str, Any], workflow_id: str
) -> None:
    (rule_id, rule), *others = resources_of_type(pipeline, "AWS::Events::Rule").items()
    function_id = _function_logical_id(pipeline, "abandoned_execution.handler")

    assert others == []
    assert rule["Properties"]["EventPattern"] == {
        "source": ["aws.states"],
        "detail-type": ["Step Functions Execution Status Change"],
        "detail": {"status": ["ABORTED", "TIMED_OUT", "FAILED"], "stateMachineArn": [{"Ref": workflow_id}]},
    }
    (target,) = rule["Properties"]["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": [function_id, "Arn"]}
    assert target["RetryPolicy"]["MaximumRetryAttempts"] > 0
    (permission,) = resources_of_type(pipeline, "AWS::Lambda::Permission").values()
    assert permission["Properties"] == {
        "Action": "lambda:InvokeFunction",
        "FunctionName": {"Fn::GetAtt": [function_id, "Arn"]},
        "Principal": "events.amazonaws.com",
        "SourceArn": {"Fn::GetAtt": [rule_id, "Arn"]},
    }


def test_given_the_abandoned_execution_function_when_synthesized_then_it_reads_histories_stops_jobs_and_reports(
    pipeline: dict[str, Any], workflow_id: str, results_topic_id: str
) -> None:
    assert _step_permissions(pipeline, "abandoned_execution.handler") == {
        ("states:GetExecutionHistory", f"arn:aws:states:us-east-1:<AWS::AccountId>:execution:<{workflow_id}.Name>:*"),
        ("sagemaker:DescribeLabelingJob", LABELING_JOBS),
        ("sagemaker:StopLabelingJob", LABELING_JOBS),
        ("sns:Publish", f"<{results_topic_id}>"),
    }
    assert _step_permissions(pipeline, "stop_labeling_job.handler") == {
        ("sagemaker:DescribeLabelingJob", LABELING_JOBS),
        ("sagemaker:StopLabelingJob", LABELING_JOBS),
    }


def test_given_the_pipeline_when_synthesized_then_every_unattended_failure_raises_an_alarm_on_the_operations_topic(
    pipeline: dict[str, Any], workflow_id: str, monitor_id: str
) -> None:
    operations_topic = pipeline["Outputs"]["OperationsTopicArn"]["Value"]["Ref"]
    alarms = list(resources_of_type(pipeline, "AWS::CloudWatch::Alarm").values())
    watched = {
        (
            alarm["Properties"]["Namespace"],
            alarm["Properties"]["MetricName"],
            flatten(alarm["Properties"]["Dimensions"]),
        )
        for alarm in alarms
    }

    for machine in (workflow_id, monitor_id):
        for metric in ("ExecutionsFailed", "ExecutionsTimedOut", "ExecutionsAborted"):
            assert any(ns == "AWS/States" and name == metric and machine in dims for ns, name, dims in watched)
    for handler in HANDLERS:
        function_id = _function_logical_id(pipeline, handler)
        assert any(ns == "AWS/Lambda" and name == "Errors" and function_id in dims for ns, name, dims in watched)
    assert all(alarm["Properties"]["AlarmActions"] == [{"Ref": operations_topic}] for alarm in alarms)


def test_given_the_operations_topic_when_synthesized_then_its_own_key_lets_cloudwatch_and_eventbridge_publish(
    pipeline: dict[str, Any],
) -> None:
    operations_topic = pipeline["Outputs"]["OperationsTopicArn"]["Value"]["Ref"]
    key_id = pipeline["Resources"][operations_topic]["Properties"]["KmsMasterKeyId"]["Fn::GetAtt"][0]
    key = pipeline["Resources"][key_id]["Properties"]

    services = [s for s in key["KeyPolicy"]["Statement"] if "Service" in s.get("Principal", {})]
    assert {service for s in services for service in as_list(s["Principal"]["Service"])} == {
        "cloudwatch.amazonaws.com",
        "events.amazonaws.com",
    }
    assert {action for s in services for action in as_list(s["Action"])} == {"kms:Decrypt", "kms:GenerateDataKey"}
    assert key["EnableKeyRotation"] is True


def test_given_every_stack_when_synthesized_then_every_log_group_is_encrypted_with_the_stacks_logs_key(
    created: Synthesized,
) -> None:
    for stack, template in created.templates.items():
        groups = resources_of_type(template, "AWS::Logs::LogGroup")
        keys = {
            lid: res
            for lid, res in resources_of_type(template, "AWS::KMS::Key").items()
            if "CloudWatch Logs" in res["Properties"]["Description"]
        }
        if not groups:
            continue
        ((key_id, key),) = keys.items()
        assert all(g["Properties"]["KmsKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]} for g in groups.values()), stack
        (logs_statement,) = [
            s for s in key["Properties"]["KeyPolicy"]["Statement"] if "Service" in s.get("Principal", {})
        ]
        assert logs_statement["Principal"] == {"Service": "logs.us-east-1.amazonaws.com"}
        assert flatten(logs_statement["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"]) == (
            "arn:aws:logs:us-east-1:<AWS::AccountId>:log-group:*"
        )


def test_given_a_completed_job_with_a_follow_up_when_synthesized_then_its_adjustment_runs_through_the_same_create(
    pipeline: dict[str, Any], states: dict[str, Any], labeling: Locations
) -> None:
    (succeeded_branch,) = [c for c in states["IsLabelingJobDone?"]["Choices"] if c.get("BooleanEquals") is True]
    assert succeeded_branch["Next"] == "HasFollowUpJob?"
    has_follow_up = states["HasFollowUpJob?"]
    assert has_follow_up["Choices"] == [
        {
            "And": [{"Variable": "$.plan.then", "IsPresent": True}, {"Variable": "$.plan.then", "IsNull": False}],
            "Next": "PrepareFollowUpJob",
        }
    ]
    assert has_follow_up["Default"] == "NotifySuccess"
    prepare = states["PrepareFollowUpJob"]
    assert prepare["Parameters"] == {"plan.$": "$.plan", "job.$": "$.job", "monitor.$": "$.monitor"}
    assert (prepare["ResultPath"], prepare["Next"]) == ("$", "CreateLabelingJob")
    # It copies the first job's output manifest and writes the adjustment's label categories, under the input.
    assert _step_permissions(pipeline, "prepare_follow_up_job.handler") == {
        ("s3:GetObject", labeling.output_objects),
        ("s3:GetObject", labeling.input_objects),
        ("s3:PutObject", labeling.input_objects),
        ("s3:AbortMultipartUpload", labeling.input_objects),
    }


def test_given_a_large_copy_when_synthesized_then_a_distributed_map_reads_the_batches_the_copy_wrote(
    pipeline: dict[str, Any], states: dict[str, Any], labeling: Locations
) -> None:
    batches = states["CopyBatches"]

    assert batches["ItemReader"] == {
        "Resource": "arn:<AWS::Partition>:states:::s3:getObject",
        "ReaderConfig": {"InputType": "JSON"},
        "Parameters": {"Bucket.$": "$.copy.batches.bucket", "Key.$": "$.copy.batches.key"},
    }
    assert batches["ItemSelector"] == {
        "source.$": "$.plan.source",
        "target.$": "$.plan.target",
        "objects.$": "$$.Map.Item.Value.objects",
    }
    assert batches["ItemProcessor"]["ProcessorConfig"] == {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}
    (task,) = batches["ItemProcessor"]["States"].values()
    assert task["Resource"] == f"<{_function_logical_id(pipeline, 'copy_batch.handler')}.Arn>"
    _assert_retries_service_and_transient_errors_only(task)
    assert "ToleratedFailurePercentage" not in batches and "ToleratedFailureCount" not in batches  # none tolerated
    assert batches["ResultPath"] is None
    assert batches["Catch"] == [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "NotifyFailure"}]
    assert _step_permissions(pipeline, "copy_batch.handler") == {
        ("s3:GetObject", SOURCE_OBJECTS),
        ("s3:PutObject", labeling.input_objects),
        ("s3:AbortMultipartUpload", labeling.input_objects),
    }
