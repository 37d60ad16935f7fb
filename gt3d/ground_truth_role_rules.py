"""The emulated Ground Truth's reading of what a labeling job's execution role must allow (a TEST DOUBLE's rules).

From "Create a SageMaker AI Execution Role for a Ground Truth Labeling Job"
(https://docs.aws.amazon.com/sagemaker/latest/dg/sms-security-permission-execution-role.html), for built-in task
types: read the input objects, write (and read back) the output objects, ``s3:GetBucketLocation`` and
``s3:ListBucket`` on the input and output buckets, ``cloudwatch:PutMetricData``, and ``logs:CreateLogGroup``,
``logs:CreateLogStream``, ``logs:DescribeLogStreams``, ``logs:PutLogEvents`` on the ``/aws/sagemaker/LabelingJobs``
log group. Written from the documentation, independently of the stacks that grant it: a role the stacks get wrong
is refused here. The role's policies are read from the emulated account's IAM and evaluated by :mod:`gt3d.iam`.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

import boto3
from botocore.exceptions import ClientError

from gt3d.iam import AuthorizationRequest, NamedPolicy, Principal, evaluate

EXECUTION_ROLE_DOC = "https://docs.aws.amazon.com/sagemaker/latest/dg/sms-security-permission-execution-role.html"
LOG_GROUP = "/aws/sagemaker/LabelingJobs"


def _split(uri: str) -> tuple[str, str]:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return bucket, key


def required_permissions(request: dict[str, Any], *, region: str, account: str) -> list[AuthorizationRequest]:
    """Return what the role of this CreateLabelingJob request must be allowed, per the documentation."""
    manifest_bucket, manifest_key = _split(request["InputConfig"]["DataSource"]["S3DataSource"]["ManifestS3Uri"])
    categories_bucket, categories_key = _split(request["LabelCategoryConfigS3Uri"])
    output_bucket, output_prefix = _split(request["OutputConfig"]["S3OutputPath"].rstrip("/") + "/")
    job = request["LabelingJobName"]
    output_manifest = f"arn:aws:s3:::{output_bucket}/{output_prefix}{job}/manifests/output/output.manifest"
    log_group = f"arn:aws:logs:{region}:{account}:log-group:{LOG_GROUP}"
    needed = [
        AuthorizationRequest("s3:GetObject", f"arn:aws:s3:::{manifest_bucket}/{manifest_key}", description="input"),
        AuthorizationRequest(
            "s3:GetObject", f"arn:aws:s3:::{categories_bucket}/{categories_key}", description="labels"
        ),
        AuthorizationRequest("s3:PutObject", output_manifest, description="output"),
        AuthorizationRequest("s3:GetObject", output_manifest, description="output read back"),
        AuthorizationRequest("cloudwatch:PutMetricData", "*", description="worker metrics"),
        AuthorizationRequest("logs:CreateLogGroup", log_group, description="job status log"),
        AuthorizationRequest("logs:DescribeLogStreams", log_group, description="job status log"),
    ]
    for action in ("logs:CreateLogStream", "logs:PutLogEvents"):
        needed.append(AuthorizationRequest(action, f"{log_group}:log-stream:{job}", description="job status log"))
    for bucket in sorted({manifest_bucket, categories_bucket, output_bucket}):
        for action in ("s3:GetBucketLocation", "s3:ListBucket"):
            needed.append(AuthorizationRequest(action, f"arn:aws:s3:::{bucket}", description="bucket"))
    return needed


def missing_permissions(request: dict[str, Any], *, region: str, account: str) -> list[str]:
    """Return ``action on resource`` for each documented permission the request's role lacks (empty: none)."""
    role_arn = request["RoleArn"]
    policies = _role_policies(role_arn.rsplit("/", 1)[-1])
    principal = Principal(arn=role_arn, account=account)
    missing = []
    for needed in required_permissions(request, region=region, account=account):
        bucket_policy = _bucket_policy(needed.resource)
        decision = evaluate(needed, principal=principal, identity_policies=policies, resource_policy=bucket_policy)
        if not decision.allowed:
            missing.append(f"{needed.action} on {needed.resource}")
    return missing


def _document(raw: Any) -> dict[str, Any]:
    return json.loads(unquote(raw)) if isinstance(raw, str) else dict(raw)


def _role_policies(role_name: str) -> list[NamedPolicy]:
    iam = boto3.client("iam")
    policies = [
        NamedPolicy(name, _document(iam.get_role_policy(RoleName=role_name, PolicyName=name)["PolicyDocument"]))
        for name in iam.list_role_policies(RoleName=role_name)["PolicyNames"]
    ]
    for attached in iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"]:
        version = iam.get_policy(PolicyArn=attached["PolicyArn"])["Policy"]["DefaultVersionId"]
        document = iam.get_policy_version(PolicyArn=attached["PolicyArn"], VersionId=version)["PolicyVersion"]
        policies.append(NamedPolicy(attached["PolicyName"], _document(document["Document"])))
    return policies


def _bucket_policy(resource: str) -> NamedPolicy | None:
    if not resource.startswith("arn:aws:s3:::"):
        return None
    bucket = resource.removeprefix("arn:aws:s3:::").split("/", 1)[0]
    try:
        text = boto3.client("s3").get_bucket_policy(Bucket=bucket)["Policy"]
    except ClientError:  # no bucket policy (or no bucket: the data checks report that)
        return None
    return NamedPolicy(f"bucket policy of {bucket}", json.loads(text))
