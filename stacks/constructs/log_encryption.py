"""The one customer-managed key per stack that encrypts its CloudWatch Logs log groups.

CloudWatch Logs uses a KMS key only if the key policy lets the regional Logs service principal use it, for log
groups of this account and region (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html).
"""

from __future__ import annotations

from aws_cdk import ArnFormat, Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import IConstruct

_KEY_ID = "LogsKey"
LOGS_KEY_ACTIONS = (
    "kms:Encrypt",
    "kms:Decrypt",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:DescribeKey",
)
"""The documented ``kms:Encrypt*``, ``kms:Decrypt*``, ``kms:ReEncrypt*``, ``kms:GenerateDataKey*`` and
``kms:Describe*``, spelled out: no wildcard actions anywhere."""


def logs_key(scope: IConstruct) -> kms.IKey:
    """Return ``scope``'s stack's log encryption key, creating it on first use (rotated yearly)."""
    stack = Stack.of(scope)
    existing = stack.node.try_find_child(_KEY_ID)
    if isinstance(existing, kms.Key):
        return existing
    key = kms.Key(
        stack,
        _KEY_ID,
        description=f"Encrypts the CloudWatch Logs log groups of {stack.stack_name}",
        enable_key_rotation=True,
        # The log groups it encrypts go with their stack; so may the key (after KMS's shortest waiting period).
        removal_policy=RemovalPolicy.DESTROY,
        pending_window=Duration.days(7),
    )
    log_groups = stack.format_arn(
        service="logs", resource="log-group", resource_name="*", arn_format=ArnFormat.COLON_RESOURCE_NAME
    )
    key.add_to_resource_policy(
        iam.PolicyStatement(
            principals=[iam.ServicePrincipal(f"logs.{stack.region}.amazonaws.com")],
            actions=list(LOGS_KEY_ACTIONS),
            resources=["*"],  # in a key policy, "*" is the key itself
            conditions={"ArnLike": {"kms:EncryptionContext:aws:logs:arn": log_groups}},
        )
    )
    return key
