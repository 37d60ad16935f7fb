"""PipelineStack: the Ground Truth role, one least-privilege function per step, the state machine, the results topic."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from aws_cdk.assertions import Match
from infra_app import NOTIFICATION_EMAIL, Synthesized
from infra_helpers import (
    actions_and_resources,
    as_list,
    every_statement,
    flatten,
    function_by_handler,
    function_statements,
    only_resource,
    resources_of_type,
    role_statements,
    state_machine_definition,
)

from gt3d_core.catalog import MAX_SESSION_DURATION_SECONDS
from gt3d_core.errors import AwsTransientError, user_error_names
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
)
STATES = {
    "PlanLabelingJob": "Task",
    "CopyData": "Task",
    "RewriteManifests": "Task",
    "CreateLabelingJob": "Task",
    "InitialWait": "Pass",
    "WaitForLabelingJob": "Wait",
    "MonitorLabelingJob": "Task",
    "IsLabelingJobDone?": "Choice",
    "NotifySuccess": "Task",
    "Succeeded": "Succeed",
    "LabelingJobNotSucceeded": "Pass",
    "NotifyFailure": "Task",
    "Failed": "Fail",
}
LAMBDA_TASKS = {
    "PlanLabelingJob": ("plan_labeling_job.handler", "$.plan"),
    "CopyData": ("copy_data.handler", "$.copy"),
    "RewriteManifests": ("rewrite_manifests.handler", "$.rewrite"),
    "CreateLabelingJob": ("create_labeling_job.handler", "$.job"),
    "MonitorLabelingJob": ("monitor_labeling_job.handler", "$.monitor"),
}


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
def states(pipeline: dict[str, Any]) -> dict[str, Any]:
    return dict(state_machine_definition(pipeline)["States"])


def _ground_truth_role(pipeline: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    (item,) = [
        (lid, res)
        for lid, res in resources_of_type(pipeline, "AWS::IAM::Role").items()
        if res["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]
        == {"Service": "sagemaker.amazonaws.com"}
    ]
    return item


def _function_logical_id(pipeline: dict[str, Any], handler: str) -> str:
    (logical_id,) = [
        lid
        for lid, res in resources_of_type(pipeline, "AWS::Lambda::Function").items()
        if res["Properties"]["Handler"] == handler
    ]
    return logical_id


# --- Ground Truth execution role ---------------------------------------------------------------------------------


def test_given_the_ground_truth_role_when_synthesized_then_only_sagemaker_of_this_account_assumes_it_for_12_hours(
    pipeline: dict[str, Any],
) -> None:
    _, role = _ground_truth_role(pipeline)

    assert role["Properties"]["MaxSessionDuration"] == MAX_SESSION_DURATION_SECONDS == 43200
    assert role["Properties"]["AssumeRolePolicyDocument"]["Statement"] == [
        {
            "Action": "sts:AssumeRole",
            "Effect": "Allow",
            "Principal": {"Service": "sagemaker.amazonaws.com"},
            "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}},
        }
    ]
    assert "ManagedPolicyArns" not in role["Properties"]


def test_given_the_ground_truth_role_when_synthesized_then_it_reads_the_input_prefix_and_writes_the_output_prefix_only(
    pipeline: dict[str, Any], labeling: Locations
) -> None:
    role_id, _ = _ground_truth_role(pipeline)
    statements = role_statements(pipeline, role_id)

    assert actions_and_resources(statements) == {
        ("s3:GetObject", labeling.input_objects),
        ("s3:ListBucket", labeling.bucket_arn),
        ("s3:GetObject", labeling.output_objects),
        ("s3:PutObject", labeling.output_objects),
        ("s3:AbortMultipartUpload", labeling.output_objects),
    }
    (listing,) = [s for s in statements if "s3:ListBucket" in as_list(s["Action"])]
    assert listing["Condition"] == {"StringLike": {"s3:prefix": ["gt3d-demo/input/*"]}}


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
    pipeline: dict[str, Any], labeling: Locations
) -> None:
    def environment(handler: str) -> dict[str, str]:
        variables = function_by_handler(pipeline, handler)["Properties"].get("Environment", {}).get("Variables", {})
        return {key: flatten(value) for key, value in variables.items()}

    role_id, _ = _ground_truth_role(pipeline)
    assert environment("plan_labeling_job.handler") == {
        "SOURCE_URI": "s3://aws-ml-blog/artifacts/gt-point-cloud-demos/",
        "INPUT_URI": f"s3://{labeling.bucket}/gt3d-demo/input/",
        "OUTPUT_URI": f"s3://{labeling.bucket}/gt3d-demo/output/",
        "RESOURCE_PREFIX": "gt3d",
    }
    create = environment("create_labeling_job.handler")
    assert set(create) == {"GROUND_TRUTH_ROLE_ARN", "WORKTEAM_ARN"}
    assert create["GROUND_TRUTH_ROLE_ARN"] == f"<{role_id}.Arn>"
    assert create["WORKTEAM_ARN"].startswith("import(gt3d-workforce:")
    for handler in ("copy_data.handler", "rewrite_manifests.handler", "monitor_labeling_job.handler"):
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


def test_given_the_create_function_when_synthesized_then_it_creates_jobs_for_the_team_and_passes_only_the_gt_role(
    pipeline: dict[str, Any],
) -> None:
    role_id, _ = _ground_truth_role(pipeline)
    statements = function_statements(pipeline, "create_labeling_job.handler")

    assert _step_permissions(pipeline, "create_labeling_job.handler") == {
        ("sagemaker:CreateLabelingJob", LABELING_JOBS),
        ("sagemaker:DescribeLabelingJob", LABELING_JOBS),
        ("iam:PassRole", f"<{role_id}.Arn>"),
    }
    (create,) = [s for s in statements if "sagemaker:CreateLabelingJob" in as_list(s["Action"])]
    assert flatten(create["Condition"]["ArnEquals"]["sagemaker:WorkteamArn"]).startswith("import(gt3d-workforce:")
    (pass_role,) = [s for s in statements if "iam:PassRole" in as_list(s["Action"])]
    assert pass_role["Condition"] == {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}


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
        writes = S3_WRITE_ACTIONS & set(as_list(statement["Action"]))
        resources = [flatten(resource) for resource in as_list(statement.get("Resource", []))]
        assert not (writes and any("aws-ml-blog" in resource for resource in resources)), (stack, lid, statement)


def test_given_every_list_bucket_grant_when_synthesized_then_it_is_limited_to_a_prefix(
    every_configuration: Synthesized,
) -> None:
    for _, _, statement in every_statement(every_configuration.templates):
        if statement["Effect"] == "Allow" and "s3:ListBucket" in as_list(statement["Action"]):
            assert set(statement["Condition"]) == {"StringLike"}
            assert all(prefix.endswith("/*") for prefix in statement["Condition"]["StringLike"]["s3:prefix"])


# --- state machine -----------------------------------------------------------------------------------------------


def test_given_the_state_machine_when_synthesized_then_it_is_standard_jsonpath_logged_and_traced(
    created: Synthesized, pipeline: dict[str, Any]
) -> None:
    created.template("Gt3dPipeline").has_resource_properties(
        "AWS::StepFunctions::StateMachine",
        {
            "StateMachineType": "STANDARD",
            "TracingConfiguration": {"Enabled": True},
            "LoggingConfiguration": {
                "Level": "ALL",
                "IncludeExecutionData": True,
                "Destinations": [
                    {"CloudWatchLogsLogGroup": {"LogGroupArn": {"Fn::GetAtt": [Match.any_value(), "Arn"]}}}
                ],
            },
        },
    )
    definition = state_machine_definition(pipeline)
    assert definition["QueryLanguage"] == "JSONPath"
    assert definition["StartAt"] == "PlanLabelingJob"
    assert definition["TimeoutSeconds"] >= 30 * 24 * 3600


def test_given_the_state_machine_when_synthesized_then_it_has_exactly_the_documented_states(
    states: dict[str, Any],
) -> None:
    assert {name: state["Type"] for name, state in states.items()} == STATES


def test_given_the_happy_path_when_synthesized_then_the_states_follow_copy_rewrite_create_wait_monitor(
    states: dict[str, Any],
) -> None:
    assert [
        states[name]["Next"] for name in ("PlanLabelingJob", "CopyData", "RewriteManifests", "CreateLabelingJob")
    ] == [
        "CopyData",
        "RewriteManifests",
        "CreateLabelingJob",
        "InitialWait",
    ]
    assert states["InitialWait"] == {
        "Type": "Pass",
        "Result": {"wait_seconds": 30},
        "ResultPath": "$.monitor",
        "Next": "WaitForLabelingJob",
    }
    assert states["WaitForLabelingJob"] == {
        "Type": "Wait",
        "SecondsPath": "$.monitor.wait_seconds",
        "Next": "MonitorLabelingJob",
    }
    assert states["MonitorLabelingJob"]["Next"] == "IsLabelingJobDone?"
    assert states["IsLabelingJobDone?"] == {
        "Type": "Choice",
        "Choices": [
            {"Variable": "$.monitor.done", "BooleanEquals": False, "Next": "WaitForLabelingJob"},
            {"Variable": "$.monitor.succeeded", "BooleanEquals": True, "Next": "NotifySuccess"},
        ],
        "Default": "LabelingJobNotSucceeded",
    }
    assert states["NotifySuccess"]["Next"] == "Succeeded"


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
    assert states["MonitorLabelingJob"]["Parameters"] == {"job_name.$": "$.job.job_name"}


@pytest.mark.parametrize("name", sorted(LAMBDA_TASKS))
def test_given_each_lambda_task_when_synthesized_then_it_retries_service_and_transient_errors_and_catches_the_rest(
    states: dict[str, Any], name: str
) -> None:
    retried = {error for retrier in states[name]["Retry"] for error in retrier["ErrorEquals"]}

    assert {"Lambda.ServiceException", "Lambda.TooManyRequestsException", AwsTransientError.__name__} <= retried
    assert not retried & set(user_error_names())  # a user's mistake is reported, never retried
    assert all(retrier["BackoffRate"] > 1 and retrier["MaxAttempts"] > 1 for retrier in states[name]["Retry"])
    assert states[name]["Catch"] == [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "NotifyFailure"}]


def test_given_the_failure_path_when_synthesized_then_it_notifies_and_fails_with_the_error_and_cause(
    pipeline: dict[str, Any], states: dict[str, Any]
) -> None:
    topic_id, _ = only_resource(pipeline, "AWS::SNS::Topic")

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


def test_given_the_workflow_role_when_synthesized_then_it_invokes_exactly_the_five_functions_and_publishes_results(
    pipeline: dict[str, Any],
) -> None:
    _, machine = only_resource(pipeline, "AWS::StepFunctions::StateMachine")
    topic_id, _ = only_resource(pipeline, "AWS::SNS::Topic")
    granted = actions_and_resources(role_statements(pipeline, machine["Properties"]["RoleArn"]["Fn::GetAtt"][0]))

    invoked = {resource for action, resource in granted if action == "lambda:InvokeFunction"}
    assert invoked == {f"<{_function_logical_id(pipeline, handler)}.Arn>" for handler in HANDLERS}
    assert ("sns:Publish", f"<{topic_id}>") in granted
    assert {resource for _, resource in granted} - invoked - {f"<{topic_id}>"} == {"*"}
    assert {action for action, resource in granted if resource == "*"} <= {
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


# --- results topic and outputs -----------------------------------------------------------------------------------


def test_given_the_results_topic_when_synthesized_then_it_is_encrypted_ssl_only_and_mails_the_notification_address(
    created: Synthesized, imported_workteam: Synthesized
) -> None:
    template = created.template("Gt3dPipeline")
    topic_id, _ = only_resource(created.templates["Gt3dPipeline"], "AWS::SNS::Topic")

    _, topic = only_resource(created.templates["Gt3dPipeline"], "AWS::SNS::Topic")
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
    imported_workteam.template("Gt3dPipeline").resource_count_is("AWS::SNS::Subscription", 0)


def test_given_the_pipeline_stack_when_synthesized_then_it_outputs_the_state_machine_role_and_topic(
    created: Synthesized, pipeline: dict[str, Any]
) -> None:
    template = created.template("Gt3dPipeline")
    machine_id, _ = only_resource(pipeline, "AWS::StepFunctions::StateMachine")
    topic_id, _ = only_resource(pipeline, "AWS::SNS::Topic")
    role_id, _ = _ground_truth_role(pipeline)

    template.has_output("StateMachineArn", {"Value": {"Ref": machine_id}})
    template.has_output("GroundTruthRoleArn", {"Value": {"Fn::GetAtt": [role_id, "Arn"]}})
    template.has_output("ResultsTopicArn", {"Value": {"Ref": topic_id}})
