"""Which authorizations AWS evaluates for one API call: the action, the resource ARN and the request's condition keys.

:func:`authorizations` maps a botocore call (service name, operation name, the caller's keyword arguments) to the
:class:`~gt3d.iam.policy.AuthorizationRequest` list AWS checks for it, dependent actions included (``CreateLabelingJob``
also needs ``iam:PassRole`` on the role it passes, and ``sagemaker:AddTags`` when it tags the job). The rules are small
per-service tables; an operation without a rule raises :class:`UnmodeledOperationError` instead of being allowed.

Which dependent actions apply is checked against AWS's Service Authorization Reference (:mod:`gt3d.iam.reference`) by
``tests/unit/test_iam_requests.py``: every dependent action it lists for a modeled operation's action is produced here
for a request that needs it, or is in :data:`INAPPLICABLE_DEPENDENT_ACTIONS` with the reason it never applies here.

Simplifications (single account, no access points): resources are in the caller's account and region unless the
request names a full ARN; S3 access point and Outposts ARNs are refused; an IAM role named without its path is taken to
be at path ``/``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import parse_qsl, unquote

from gt3d.iam.policy import AuthorizationRequest, ContextValue

SAGEMAKER_SERVICE_PRINCIPAL: Final = "sagemaker.amazonaws.com"
SNS_SERVICE_PRINCIPAL: Final = "sns.amazonaws.com"

SAGEMAKER_ARN_NAMES_LOWERCASED: Final = False
"""Whether SageMaker authorizes on a lowercased resource name. AWS documents neither way; its API returns some ARNs
lowercased, but AccessDenied messages reported since 2023 show the resource name as the request spelled it (e.g.
``notebook-instance-lifecycle-config/BasicNotebookInstanceLifecycleConfig-...``), so the name is kept as given. A policy
written only for lowercased names then fails offline for a mixed-case name, the conservative side."""

INAPPLICABLE_DEPENDENT_ACTIONS: Final[Mapping[str, Mapping[str, str]]] = {}
"""Per primary action, dependent actions the reference lists that no call modeled here needs, with the reason why."""


class UnmodeledOperationError(LookupError):
    """An API call that :func:`authorizations` has no rule for: the offline run refuses it rather than allow it."""

    def __init__(self, service: str, operation: str, detail: str = "") -> None:
        self.service = service
        self.operation = operation
        what = f" ({detail})" if detail else ""
        super().__init__(
            f"{service}.{operation}{what}: the offline run refuses AWS calls it cannot authorize, and "
            f"gt3d/iam/requests.py has no rule for this one. Add a rule for {service} {operation} there (the IAM "
            f"actions, resource ARNs and condition keys AWS evaluates for it) before using it."
        )


@dataclass(frozen=True, slots=True)
class _Call:
    """One API call being mapped: its operation, parameters and where it runs."""

    service: str
    operation: str
    params: Mapping[str, Any]
    region: str
    account: str
    partition: str

    def arn(self, service: str, resource: str, *, region: str | None = None, account: str | None = None) -> str:
        """Return ``arn:<partition>:<service>:<region>:<account>:<resource>``; pass ``""`` for a global part."""
        region = self.region if region is None else region
        account = self.account if account is None else account
        return f"arn:{self.partition}:{service}:{region}:{account}:{resource}"

    def authorize(
        self, action: str, resource: str, subject: str, context: Mapping[str, ContextValue] | None = None
    ) -> AuthorizationRequest:
        """Return one authorization, described as ``<operation> <subject>``."""
        return AuthorizationRequest(action, resource, dict(context or {}), f"{self.operation} {subject}".rstrip())

    def refuse(self, detail: str) -> UnmodeledOperationError:
        """Return the error for a form of this call the rules do not model."""
        return UnmodeledOperationError(self.service, self.operation, detail)

    def required(self, name: str) -> Any:
        """Return a required parameter (botocore's validation would reject the call without it)."""
        if name not in self.params:
            raise ValueError(f"{self.service}.{self.operation}: missing required parameter {name}")
        return self.params[name]


_Build = Callable[[_Call], list[AuthorizationRequest]]


@dataclass(frozen=True, slots=True)
class OperationRule:
    """How one operation is authorized: its primary IAM action and the function listing every authorization."""

    action: str
    """The action the Service Authorization Reference lists the operation under (its dependent actions apply)."""
    build: _Build


def _single(action: str, resource: Callable[[_Call], str], subject: Callable[[_Call], str]) -> OperationRule:
    """A rule for an operation that needs one action on one resource, without condition keys."""
    return OperationRule(action, lambda call: [call.authorize(action, resource(call), subject(call))])


def _tag_context(tags: Mapping[str, str]) -> dict[str, ContextValue]:
    """``aws:RequestTag/<key>`` per tag and ``aws:TagKeys``, when a request creates tags."""
    context: dict[str, ContextValue] = {f"aws:RequestTag/{key}": value for key, value in tags.items()}
    if tags:
        context["aws:TagKeys"] = list(tags)
    return context


def _tag_list(raw: Any) -> dict[str, str]:
    """``[{"Key": k, "Value": v}, ...]`` (SageMaker, SNS) as a mapping."""
    return {str(tag["Key"]): str(tag.get("Value", "")) for tag in raw or []}


def _present(params: Mapping[str, Any], names: Mapping[str, str]) -> dict[str, ContextValue]:
    """Context keys for the parameters the request carries: ``names`` maps parameter name to condition key."""
    return {key: params[name] for name, key in names.items() if params.get(name) is not None}


# --- S3 ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _S3Object:
    bucket: str
    key: str
    version_id: str | None = None

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


def _bucket(call: _Call, bucket: Any) -> str:
    name = str(bucket)
    if name.startswith("arn:"):
        raise call.refuse(f"bucket {name!r} is an access point or Outposts ARN, which is not modeled")
    return name


def _bucket_arn(call: _Call, bucket: str) -> str:
    return f"arn:{call.partition}:s3:::{bucket}"


def _object_arn(call: _Call, obj: _S3Object) -> str:
    return f"arn:{call.partition}:s3:::{obj.bucket}/{obj.key}"


def _target(call: _Call) -> _S3Object:
    version = call.params.get("VersionId")
    return _S3Object(_bucket(call, call.required("Bucket")), str(call.required("Key")), version)


def _copy_source(call: _Call) -> _S3Object:
    """Parse ``CopySource``: ``{"Bucket", "Key", "VersionId"}`` or ``"bucket/key?versionId=v"`` (URL-encoded, as
    botocore sends it and S3 decodes it)."""
    source = call.required("CopySource")
    if isinstance(source, Mapping):
        return _S3Object(_bucket(call, source["Bucket"]), str(source["Key"]), source.get("VersionId"))
    path, _, query = str(source).lstrip("/").partition("?")
    bucket, slash, key = unquote(path).partition("/")
    if not slash or not key:
        raise ValueError(f"s3.{call.operation}: CopySource {source!r} is not 'bucket/key'")
    version = dict(parse_qsl(query)).get("versionId")
    return _S3Object(_bucket(call, bucket), key, version)


def _object_tag_context(tags: Mapping[str, str]) -> dict[str, ContextValue]:
    """S3's own tag keys for a request that sets object tags (S3 uses these, not ``aws:RequestTag``)."""
    context: dict[str, ContextValue] = {f"s3:RequestObjectTag/{key}": value for key, value in tags.items()}
    if tags:
        context["s3:RequestObjectTagKeys"] = list(tags)
    return context


def _query_tags(call: _Call) -> dict[str, str]:
    """``Tagging="k1=v1&k2=v2"`` (PutObject, CopyObject, CreateMultipartUpload) as a mapping."""
    tagging = call.params.get("Tagging")
    return dict(parse_qsl(str(tagging), keep_blank_values=True)) if tagging else {}


_PUT_OBJECT_KEYS: Final = {
    "ACL": "s3:x-amz-acl",
    "ServerSideEncryption": "s3:x-amz-server-side-encryption",
    "SSEKMSKeyId": "s3:x-amz-server-side-encryption-aws-kms-key-id",
    "StorageClass": "s3:x-amz-storage-class",
    "MetadataDirective": "s3:x-amz-metadata-directive",
}


def _read_object(call: _Call, obj: _S3Object, *, tagging: bool = False) -> AuthorizationRequest:
    """s3:GetObject, or s3:GetObjectVersion when the request names a version (likewise for the tagging actions)."""
    base = "s3:GetObjectTagging" if tagging else "s3:GetObject"
    if obj.version_id is None:
        return call.authorize(base, _object_arn(call, obj), obj.uri)
    action = "s3:GetObjectVersionTagging" if tagging else "s3:GetObjectVersion"
    return call.authorize(
        action, _object_arn(call, obj), f"{obj.uri}?versionId={obj.version_id}", {"s3:versionid": obj.version_id}
    )


def _write_object(
    call: _Call, obj: _S3Object, tags: Mapping[str, str], extra: Mapping[str, ContextValue]
) -> list[AuthorizationRequest]:
    """s3:PutObject with the request's header keys, plus s3:PutObjectTagging when the request sets tags."""
    tag_context = _object_tag_context(tags)
    context = {**_present(call.params, _PUT_OBJECT_KEYS), **extra, **tag_context}
    requests = [call.authorize("s3:PutObject", _object_arn(call, obj), obj.uri, context)]
    if tags:  # S3 requires s3:PutObjectTagging too when an upload sets tags (x-amz-tagging)
        requests.append(call.authorize("s3:PutObjectTagging", _object_arn(call, obj), obj.uri, tag_context))
    return requests


def _s3_get_object(call: _Call) -> list[AuthorizationRequest]:
    return [_read_object(call, _target(call))]


def _s3_get_object_tagging(call: _Call) -> list[AuthorizationRequest]:
    return [_read_object(call, _target(call), tagging=True)]


def _s3_put_object(call: _Call) -> list[AuthorizationRequest]:
    return _write_object(call, _target(call), _query_tags(call), {})


def _s3_put_object_tagging(call: _Call) -> list[AuthorizationRequest]:
    obj = _target(call)
    tags = {str(tag["Key"]): str(tag["Value"]) for tag in call.required("Tagging").get("TagSet", [])}
    action = "s3:PutObjectTagging" if obj.version_id is None else "s3:PutObjectVersionTagging"
    context = _object_tag_context(tags)
    if obj.version_id is not None:
        context["s3:versionid"] = obj.version_id
    return [call.authorize(action, _object_arn(call, obj), obj.uri, context)]


def _s3_upload_part(call: _Call) -> list[AuthorizationRequest]:
    # Every multipart call but the abort is authorized as s3:PutObject on the object being assembled.
    obj = _target(call)
    return [call.authorize("s3:PutObject", _object_arn(call, obj), obj.uri)]


def _copy_source_context(source: _S3Object) -> dict[str, ContextValue]:
    header = f"{source.bucket}/{source.key}"
    return {"s3:x-amz-copy-source": header if source.version_id is None else f"{header}?versionId={source.version_id}"}


def _s3_copy_object(call: _Call) -> list[AuthorizationRequest]:
    source, target = _copy_source(call), _target(call)
    replace_tags = str(call.params.get("TaggingDirective", "COPY")).upper() == "REPLACE"
    tags = _query_tags(call) if replace_tags else {}
    return [_read_object(call, source), *_write_object(call, target, tags, _copy_source_context(source))]


def _s3_upload_part_copy(call: _Call) -> list[AuthorizationRequest]:
    source, target = _copy_source(call), _target(call)
    write = call.authorize("s3:PutObject", _object_arn(call, target), target.uri, _copy_source_context(source))
    return [_read_object(call, source), write]


def _s3_delete_object(call: _Call) -> list[AuthorizationRequest]:
    return [_delete(call, _target(call))]


def _delete(call: _Call, obj: _S3Object) -> AuthorizationRequest:
    if obj.version_id is None:
        return call.authorize("s3:DeleteObject", _object_arn(call, obj), obj.uri)
    return call.authorize(
        "s3:DeleteObjectVersion",
        _object_arn(call, obj),
        f"{obj.uri}?versionId={obj.version_id}",
        {"s3:versionid": obj.version_id},
    )


def _s3_delete_objects(call: _Call) -> list[AuthorizationRequest]:
    # DeleteObjects is authorized per key, as if each were deleted on its own.
    bucket = _bucket(call, call.required("Bucket"))
    entries = call.required("Delete").get("Objects", [])
    return [_delete(call, _S3Object(bucket, str(entry["Key"]), entry.get("VersionId"))) for entry in entries]


_LIST_KEYS: Final = {"Prefix": "s3:prefix", "Delimiter": "s3:delimiter", "MaxKeys": "s3:max-keys"}


def _list_bucket(action: str) -> OperationRule:
    """A listing: the action on the bucket, with s3:prefix, s3:delimiter, s3:max-keys when the request sets them."""

    def build(call: _Call) -> list[AuthorizationRequest]:
        bucket = _bucket(call, call.required("Bucket"))
        prefix = call.params.get("Prefix")
        subject = f"s3://{bucket}/{prefix or ''}"
        return [call.authorize(action, _bucket_arn(call, bucket), subject, _present(call.params, _LIST_KEYS))]

    return OperationRule(action, build)


def _bucket_rule(action: str) -> OperationRule:
    """An operation that needs ``action`` on the bucket alone."""

    def resource(call: _Call) -> str:
        return _bucket_arn(call, _bucket(call, call.required("Bucket")))

    return _single(action, resource, lambda call: f"s3://{call.params.get('Bucket')}")


def _object_rule(action: str) -> OperationRule:
    """An operation that needs ``action`` on the object alone (no version variant)."""

    def resource(call: _Call) -> str:
        return _object_arn(call, _target(call))

    return _single(action, resource, lambda call: _target(call).uri)


def _s3_create_bucket(call: _Call) -> list[AuthorizationRequest]:
    bucket = _bucket(call, call.required("Bucket"))
    location = (call.params.get("CreateBucketConfiguration") or {}).get("LocationConstraint")
    context = _present(call.params, {"ACL": "s3:x-amz-acl", "ObjectOwnership": "s3:x-amz-object-ownership"})
    if location is not None:
        context["s3:locationconstraint"] = location
    return [call.authorize("s3:CreateBucket", _bucket_arn(call, bucket), f"s3://{bucket}", context)]


_S3: Final[Mapping[str, OperationRule]] = {
    "GetObject": OperationRule("s3:GetObject", _s3_get_object),
    "HeadObject": OperationRule("s3:GetObject", _s3_get_object),
    "GetObjectTagging": OperationRule("s3:GetObjectTagging", _s3_get_object_tagging),
    "PutObject": OperationRule("s3:PutObject", _s3_put_object),
    "PutObjectTagging": OperationRule("s3:PutObjectTagging", _s3_put_object_tagging),
    "CopyObject": OperationRule("s3:PutObject", _s3_copy_object),
    "CreateMultipartUpload": OperationRule("s3:PutObject", _s3_put_object),
    "UploadPart": OperationRule("s3:PutObject", _s3_upload_part),
    "CompleteMultipartUpload": OperationRule("s3:PutObject", _s3_upload_part),
    "UploadPartCopy": OperationRule("s3:PutObject", _s3_upload_part_copy),
    "AbortMultipartUpload": _object_rule("s3:AbortMultipartUpload"),
    "ListParts": _object_rule("s3:ListMultipartUploadParts"),
    "DeleteObject": OperationRule("s3:DeleteObject", _s3_delete_object),
    "DeleteObjects": OperationRule("s3:DeleteObject", _s3_delete_objects),
    "ListObjects": _list_bucket("s3:ListBucket"),
    "ListObjectsV2": _list_bucket("s3:ListBucket"),
    "ListObjectVersions": _list_bucket("s3:ListBucketVersions"),
    "HeadBucket": _bucket_rule("s3:ListBucket"),
    "ListMultipartUploads": _bucket_rule("s3:ListBucketMultipartUploads"),
    "GetBucketLocation": _bucket_rule("s3:GetBucketLocation"),
    "GetBucketCors": _bucket_rule("s3:GetBucketCORS"),
    "PutBucketCors": _bucket_rule("s3:PutBucketCORS"),
    "GetBucketVersioning": _bucket_rule("s3:GetBucketVersioning"),
    "PutBucketVersioning": _bucket_rule("s3:PutBucketVersioning"),
    "CreateBucket": OperationRule("s3:CreateBucket", _s3_create_bucket),
}


# --- SageMaker --------------------------------------------------------------------------------------------------------


def _sagemaker_arn(call: _Call, resource_type: str, name: Any) -> str:
    text = str(name).lower() if SAGEMAKER_ARN_NAMES_LOWERCASED else str(name)
    return call.arn("sagemaker", f"{resource_type}/{text}")


def _workteam_type(workteam_arn: str) -> str | None:
    """``public-crowd``, ``private-crowd`` or ``vendor-crowd`` from a work team ARN (``workteam/<type>/<name>``)."""
    match = re.search(r":workteam/(public-crowd|private-crowd|vendor-crowd)/", workteam_arn)
    return match.group(1) if match else None


def _labeling_job_context(params: Mapping[str, Any]) -> dict[str, ContextValue]:
    context: dict[str, ContextValue] = {}
    workteam = (params.get("HumanTaskConfig") or {}).get("WorkteamArn")
    if workteam:
        context["sagemaker:WorkteamArn"] = workteam
        workteam_type = _workteam_type(workteam)
        if workteam_type:
            context["sagemaker:WorkteamType"] = workteam_type
    volume_key = ((params.get("LabelingJobAlgorithmsConfig") or {}).get("LabelingJobResourceConfig") or {}).get(
        "VolumeKmsKeyId"
    )
    if volume_key:
        context["sagemaker:VolumeKmsKey"] = volume_key
    output_key = (params.get("OutputConfig") or {}).get("KmsKeyId")
    if output_key:
        context["sagemaker:OutputKmsKey"] = output_key
    return context


def _pass_role(call: _Call, role_arn: str, service: str, associated: str | None, subject: str) -> AuthorizationRequest:
    """iam:PassRole, as IAM evaluates it when a call hands ``role_arn`` to ``service``."""
    context: dict[str, ContextValue] = {"iam:PassedToService": service}
    if associated:
        context["iam:AssociatedResourceArn"] = associated
    return call.authorize("iam:PassRole", role_arn, f"{subject} passes {role_arn} to {service}", context)


def _sagemaker_create_labeling_job(call: _Call) -> list[AuthorizationRequest]:
    name = call.required("LabelingJobName")
    job_arn = _sagemaker_arn(call, "labeling-job", name)
    tags = _tag_list(call.params.get("Tags"))
    tag_context = _tag_context(tags)
    create_context = {**_labeling_job_context(call.params), **tag_context}
    requests = [
        call.authorize("sagemaker:CreateLabelingJob", job_arn, str(name), create_context),
        _pass_role(call, str(call.required("RoleArn")), SAGEMAKER_SERVICE_PRINCIPAL, job_arn, str(name)),
    ]
    if tags:  # tags given at creation are added through sagemaker:AddTags, authorized separately
        add_tags_context = {**tag_context, "sagemaker:TaggingAction": call.operation}
        requests.append(call.authorize("sagemaker:AddTags", job_arn, f"{name} tags", add_tags_context))
    return requests


def _sagemaker_named(action: str, resource_type: str, parameter: str) -> OperationRule:
    """An operation on one named SageMaker resource (``DescribeLabelingJob(LabelingJobName=...)``)."""
    return _single(
        action,
        lambda call: _sagemaker_arn(call, resource_type, call.required(parameter)),
        lambda call: str(call.params.get(parameter)),
    )


def _global(action: str) -> OperationRule:
    """An operation whose action supports no resource type: authorized on ``*``."""
    return _single(action, lambda call: "*", lambda call: "")


def _sagemaker_add_tags(call: _Call) -> list[AuthorizationRequest]:
    resource = str(call.required("ResourceArn"))
    tags = _tag_list(call.required("Tags"))
    return [call.authorize("sagemaker:AddTags", resource, resource, _tag_context(tags))]


_SAGEMAKER: Final[Mapping[str, OperationRule]] = {
    "CreateLabelingJob": OperationRule("sagemaker:CreateLabelingJob", _sagemaker_create_labeling_job),
    "DescribeLabelingJob": _sagemaker_named("sagemaker:DescribeLabelingJob", "labeling-job", "LabelingJobName"),
    "StopLabelingJob": _sagemaker_named("sagemaker:StopLabelingJob", "labeling-job", "LabelingJobName"),
    "ListLabelingJobs": _global("sagemaker:ListLabelingJobs"),
    "DescribeWorkteam": _sagemaker_named("sagemaker:DescribeWorkteam", "workteam", "WorkteamName"),
    "ListWorkteams": _global("sagemaker:ListWorkteams"),
    "DescribeWorkforce": _sagemaker_named("sagemaker:DescribeWorkforce", "workforce", "WorkforceName"),
    "ListWorkforces": _global("sagemaker:ListWorkforces"),
    "AddTags": OperationRule("sagemaker:AddTags", _sagemaker_add_tags),
    "ListTags": _single(
        "sagemaker:ListTags",
        lambda call: str(call.required("ResourceArn")),
        lambda call: str(call.params.get("ResourceArn")),
    ),
}


# --- Lambda -----------------------------------------------------------------------------------------------------------

_FUNCTION = re.compile(
    r"(?:arn:(?P<partition>[^:]+):lambda:(?P<region>[^:]+):(?P<arn_account>\d{12}):function:"
    r"|(?P<account>\d{12}):function:)?(?P<name>[^:]+)(?::(?P<qualifier>[^:]+))?"
)


def _function_arn(call: _Call) -> str:
    """The ARN Lambda authorizes: qualified when the call names a version or alias, as policies must then match it."""
    reference = str(call.required("FunctionName"))
    match = _FUNCTION.fullmatch(reference)
    if match is None:
        raise ValueError(f"lambda.{call.operation}: FunctionName {reference!r} is not a name, partial ARN or ARN")
    qualifier = call.params.get("Qualifier")
    if qualifier and match["qualifier"] and qualifier != match["qualifier"]:
        raise ValueError(f"lambda.{call.operation}: Qualifier {qualifier!r} conflicts with {reference!r}")
    qualifier = qualifier or match["qualifier"]
    region = match["region"] or call.region
    account = match["arn_account"] or match["account"] or call.account
    arn = f"arn:{match['partition'] or call.partition}:lambda:{region}:{account}:function:{match['name']}"
    return f"{arn}:{qualifier}" if qualifier else arn


def _lambda_function(action: str) -> OperationRule:
    return _single(action, _function_arn, lambda call: str(call.params.get("FunctionName")))


_LAMBDA: Final[Mapping[str, OperationRule]] = {
    "Invoke": _lambda_function("lambda:InvokeFunction"),
    "GetFunction": _lambda_function("lambda:GetFunction"),
}


# --- SNS --------------------------------------------------------------------------------------------------------------


def _sns_publish(call: _Call) -> list[AuthorizationRequest]:
    target = call.params.get("TopicArn") or call.params.get("TargetArn")
    if not target:
        raise call.refuse("publishing to a phone number (no TopicArn or TargetArn) is not modeled")
    return [call.authorize("sns:Publish", str(target), str(target))]


def _sns_subscribe(call: _Call) -> list[AuthorizationRequest]:
    topic = str(call.required("TopicArn"))
    context = _present(call.params, {"Protocol": "sns:Protocol", "Endpoint": "sns:Endpoint"})
    return [call.authorize("sns:Subscribe", topic, topic, context)]


def _sns_create_topic(call: _Call) -> list[AuthorizationRequest]:
    name = str(call.required("Name"))
    topic_arn = call.arn("sns", name)
    tags = _tag_list(call.params.get("Tags"))
    requests = [call.authorize("sns:CreateTopic", topic_arn, name, _tag_context(tags))]
    # Delivery status logging attributes (e.g. LambdaSuccessFeedbackRoleArn) hand a role to SNS.
    attributes = call.params.get("Attributes") or {}
    roles = sorted({str(value) for key, value in attributes.items() if key.endswith("FeedbackRoleArn")})
    requests += [_pass_role(call, role, SNS_SERVICE_PRINCIPAL, None, name) for role in roles]
    return requests


_SNS: Final[Mapping[str, OperationRule]] = {
    "Publish": OperationRule("sns:Publish", _sns_publish),
    "Subscribe": OperationRule("sns:Subscribe", _sns_subscribe),
    "CreateTopic": OperationRule("sns:CreateTopic", _sns_create_topic),
}


# --- Step Functions ---------------------------------------------------------------------------------------------------


def _by_arn(action: str, parameter: str) -> OperationRule:
    """An operation on the resource whose ARN is the request's ``parameter``."""
    return _single(action, lambda call: str(call.required(parameter)), lambda call: str(call.params.get(parameter)))


_STEPFUNCTIONS: Final[Mapping[str, OperationRule]] = {
    "StartExecution": _by_arn("states:StartExecution", "stateMachineArn"),
    "DescribeStateMachine": _by_arn("states:DescribeStateMachine", "stateMachineArn"),
    "ListExecutions": _by_arn("states:ListExecutions", "stateMachineArn"),
    "DescribeExecution": _by_arn("states:DescribeExecution", "executionArn"),
    "StopExecution": _by_arn("states:StopExecution", "executionArn"),
    "GetExecutionHistory": _by_arn("states:GetExecutionHistory", "executionArn"),
}


# --- Cognito user pools -----------------------------------------------------------------------------------------------


def _user_pool(action: str) -> OperationRule:
    return _single(
        action,
        lambda call: call.arn("cognito-idp", f"userpool/{call.required('UserPoolId')}"),
        lambda call: str(call.params.get("UserPoolId")),
    )


_COGNITO_USER_POOL_OPERATIONS: Final = (
    "AdminCreateUser",
    "AdminAddUserToGroup",
    "AdminGetUser",
    "DescribeUserPool",
    "UpdateUserPool",
    "SetUserPoolMfaConfig",
    "GetUserPoolMfaConfig",
    "DescribeUserPoolClient",
    "UpdateUserPoolClient",
)
_COGNITO: Final[Mapping[str, OperationRule]] = {
    **{operation: _user_pool(f"cognito-idp:{operation}") for operation in _COGNITO_USER_POOL_OPERATIONS},
    "ListUserPools": _global("cognito-idp:ListUserPools"),
}


# --- IAM, STS, EventBridge --------------------------------------------------------------------------------------------


def _role_arn(call: _Call) -> str:
    # The request names the role without its path; roles here live at path "/".
    return call.arn("iam", f"role/{call.required('RoleName')}", region="")


def _no_authorization(action: str) -> OperationRule:
    """An operation AWS performs without any permission (sts:GetCallerIdentity)."""
    return OperationRule(action, lambda call: [])


def _rule_arn(call: _Call, parameter: str) -> str:
    name = call.required(parameter)
    bus = str(call.params.get("EventBusName") or "default").rpartition("event-bus/")[2]
    return call.arn("events", f"rule/{name}" if bus == "default" else f"rule/{bus}/{name}")


def _events_rule(action: str, parameter: str) -> OperationRule:
    return _single(action, lambda call: _rule_arn(call, parameter), lambda call: str(call.params.get(parameter)))


_IAM: Final[Mapping[str, OperationRule]] = {
    "GetRole": _single("iam:GetRole", _role_arn, lambda call: str(call.params.get("RoleName"))),
}
_STS: Final[Mapping[str, OperationRule]] = {"GetCallerIdentity": _no_authorization("sts:GetCallerIdentity")}
_EVENTS: Final[Mapping[str, OperationRule]] = {
    "PutRule": _events_rule("events:PutRule", "Name"),
    "DescribeRule": _events_rule("events:DescribeRule", "Name"),
    "PutTargets": _events_rule("events:PutTargets", "Rule"),
}


_RULES: Final[Mapping[str, Mapping[str, OperationRule]]] = {
    "s3": _S3,
    "sagemaker": _SAGEMAKER,
    "lambda": _LAMBDA,
    "sns": _SNS,
    "stepfunctions": _STEPFUNCTIONS,
    "cognito-idp": _COGNITO,
    "iam": _IAM,
    "sts": _STS,
    "events": _EVENTS,
}


def _rule(service: str, operation: str) -> OperationRule:
    rule = _RULES.get(service, {}).get(operation)
    if rule is None:
        raise UnmodeledOperationError(service, operation)
    return rule


def modeled_operations() -> frozenset[tuple[str, str]]:
    """Return every ``(botocore service name, operation name)`` that :func:`authorizations` has a rule for."""
    return frozenset((service, operation) for service, rules in _RULES.items() for operation in rules)


def primary_action(service: str, operation: str) -> str:
    """Return the IAM action an operation is authorized as, e.g. ``s3:GetObject`` for ``("s3", "HeadObject")``."""
    return _rule(service, operation).action


def authorizations(
    service: str,
    operation: str,
    params: Mapping[str, Any],
    *,
    region: str,
    account: str,
    partition: str = "aws",
) -> list[AuthorizationRequest]:
    """Return every authorization AWS evaluates for one API call; all of them must be allowed for the call to proceed.

    ``service`` and ``operation`` are botocore's names (``"s3"``, ``"HeadObject"``), ``params`` the caller's keyword
    arguments before serialization. An empty list means the operation needs no permission. Raises
    :class:`UnmodeledOperationError` for a call without a rule here.
    """
    call = _Call(service, operation, params, region, account, partition)
    return _rule(service, operation).build(call)
