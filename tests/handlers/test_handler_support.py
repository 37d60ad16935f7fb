"""handler_support.aws_error_policy: which AWS failures are retried and which are the user's to fix."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError
from handler_support import aws_error_policy
from moto import mock_aws

from gt3d_core.errors import AccessDeniedError, AwsTransientError, MissingObjectsError


def client_error(code: str, status: int, operation: str = "GetObject", **details: str) -> ClientError:
    response = {"Error": {"Code": code, "Message": f"{code} happened", **details}}
    return ClientError({**response, "ResponseMetadata": {"HTTPStatusCode": status}}, operation)


@pytest.mark.parametrize(
    "error",
    [
        client_error("SlowDown", 503),
        client_error("ThrottlingException", 400, "CreateLabelingJob"),
        client_error("InternalError", 500),
        EndpointConnectionError(endpoint_url="https://s3.us-east-1.amazonaws.com"),
        ReadTimeoutError(endpoint_url="https://s3.us-east-1.amazonaws.com"),
    ],
    ids=["slow-down", "throttling", "internal-error", "no-connection", "read-timeout"],
)
def test_given_a_transient_failure_when_raised_under_the_policy_then_it_becomes_retryable(error: Exception) -> None:
    with pytest.raises(AwsTransientError), aws_error_policy():
        raise error


@pytest.mark.parametrize("code", ["AccessDenied", "AccessDeniedException", "403"])
def test_given_a_denied_call_when_raised_under_the_policy_then_the_user_is_told_which_call_and_what_to_grant(
    code: str,
) -> None:
    denied = pytest.raises(AccessDeniedError, match=r"HeadObject was denied .*s3:GetObject and s3:ListBucket")
    with denied, aws_error_policy():
        raise client_error(code, 403, "HeadObject")


def test_given_a_missing_bucket_when_read_under_the_policy_then_the_error_names_it_and_the_setting() -> None:
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        missing = pytest.raises(MissingObjectsError, match=r"'no-such-source-bucket' does not exist.*source_uri")
        with missing, aws_error_policy():
            s3.get_object(Bucket="no-such-source-bucket", Key="manifests/m.json")


def test_given_any_other_client_error_when_raised_under_the_policy_then_it_passes_through_unchanged() -> None:
    original = client_error("ResourceInUse", 400, "CreateLabelingJob")

    with pytest.raises(ClientError) as raised, aws_error_policy():
        raise original

    assert raised.value is original
