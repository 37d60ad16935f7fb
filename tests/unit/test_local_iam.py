"""gt3d.local_iam: calls are authorized as the principal that created the client, as S3 and IAM would answer them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from gt3d.iam import NamedPolicy
from gt3d.local_iam import LocalIam, acting_as

ACCOUNT = "123456789012"
REGION = "us-east-1"
BUCKET = "labeling"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/copy"
READ_OBJECTS = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{BUCKET}/input/*"}
LIST_INPUT = {
    "Effect": "Allow",
    "Action": "s3:ListBucket",
    "Resource": f"arn:aws:s3:::{BUCKET}",
    "Condition": {"StringLike": {"s3:prefix": ["input/*"]}},
}
LIST_BUCKET = {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": f"arn:aws:s3:::{BUCKET}"}


def _policy(*statements: dict[str, Any]) -> NamedPolicy:
    return NamedPolicy("copy-policy", {"Version": "2012-10-17", "Statement": list(statements)})


@pytest.fixture
def iam() -> Iterator[LocalIam]:
    with mock_aws(), LocalIam(account=ACCOUNT, region=REGION) as local_iam:
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=BUCKET)
        s3.put_object(Bucket=BUCKET, Key="input/present.json", Body=b"{}")
        yield local_iam


def _role_client(service: str = "s3") -> Any:
    with acting_as(ROLE):
        return boto3.client(service, region_name=REGION)


def _error(call: Any) -> tuple[int, str]:
    with pytest.raises(ClientError) as raised:
        call()
    response = raised.value.response
    return response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"]


def test_given_a_prefix_scoped_list_grant_when_a_missing_key_is_headed_then_s3_answers_403_not_404(
    iam: LocalIam,
) -> None:
    iam.add_identity_policy(ROLE, _policy(READ_OBJECTS, LIST_INPUT))
    s3 = _role_client()

    assert _error(lambda: s3.head_object(Bucket=BUCKET, Key="input/missing.json")) == (403, "403")
    assert _error(lambda: s3.get_object(Bucket=BUCKET, Key="input/missing.json")) == (403, "AccessDenied")
    assert "s3:ListBucket" in iam.denials[-1].reason
    # The prefix grant does cover a listing of the key as a prefix: that is how the copy checks existence.
    assert s3.list_objects_v2(Bucket=BUCKET, Prefix="input/missing.json").get("KeyCount") == 0


def test_given_an_unconditioned_list_grant_when_a_missing_key_is_headed_then_s3_answers_404(iam: LocalIam) -> None:
    iam.add_identity_policy(ROLE, _policy(READ_OBJECTS, LIST_BUCKET))

    assert _error(lambda: _role_client().head_object(Bucket=BUCKET, Key="input/missing.json")) == (404, "404")


def test_given_a_client_made_as_a_role_when_used_later_elsewhere_then_it_still_acts_as_that_role(
    iam: LocalIam,
) -> None:
    iam.add_identity_policy(ROLE, _policy(READ_OBJECTS))
    s3 = _role_client()

    assert s3.get_object(Bucket=BUCKET, Key="input/present.json")["Body"].read() == b"{}"
    assert _error(lambda: s3.put_object(Bucket=BUCKET, Key="input/new.json", Body=b"{}")) == (403, "AccessDenied")
    (denial,) = iam.denials
    assert (denial.principal, denial.operation) == (ROLE, "PutObject")
    assert "s3:PutObject" in denial.reason and "is not authorized to perform" in denial.reason


def test_given_a_client_made_outside_any_principal_when_used_then_it_is_not_checked(iam: LocalIam) -> None:
    s3 = boto3.client("s3", region_name=REGION)

    s3.put_object(Bucket=BUCKET, Key="input/by-the-deployer.json", Body=b"{}")

    assert iam.denials == [] and iam.authorized_calls == 0


def test_given_a_bucket_policy_deny_when_the_role_is_allowed_then_the_deny_wins(iam: LocalIam) -> None:
    iam.add_identity_policy(ROLE, _policy(READ_OBJECTS))
    deny = {"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{BUCKET}/*"}
    iam.add_resource_policy(f"arn:aws:s3:::{BUCKET}", NamedPolicy("bucket", {"Statement": [deny]}))

    assert _error(lambda: _role_client().get_object(Bucket=BUCKET, Key="input/present.json")) == (403, "AccessDenied")
    assert "explicit Deny" in iam.denials[-1].reason


def test_given_an_operation_without_an_authorization_rule_when_called_then_it_is_refused_not_allowed(
    iam: LocalIam,
) -> None:
    iam.add_identity_policy(ROLE, _policy({"Effect": "Allow", "Action": "s3:*", "Resource": "*"}))

    status, _ = _error(lambda: _role_client().get_bucket_lifecycle_configuration(Bucket=BUCKET))

    assert status == 403
    assert "GetBucketLifecycleConfiguration" in iam.denials[-1].reason


def test_given_a_state_machine_with_a_sync_integration_when_it_starts_an_execution_then_events_rights_are_needed(
    iam: LocalIam,
) -> None:
    machine = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:monitor"
    start = {"Effect": "Allow", "Action": "states:StartExecution", "Resource": machine}
    iam.add_identity_policy(ROLE, _policy(start))
    iam.add_sync_integration(ROLE)

    needed = {
        request.action
        for request in iam.required(ROLE, "stepfunctions", "StartExecution", {"stateMachineArn": machine})
    }
    decision = iam.authorize(
        ROLE, "stepfunctions", "StartExecution", {"stateMachineArn": machine, "input": json.dumps({})}
    )

    assert {"events:PutTargets", "events:PutRule", "events:DescribeRule"} <= needed
    assert decision is not None and decision.request.action.startswith("events:")
