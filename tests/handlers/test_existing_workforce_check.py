"""The private workforce check: botocore Stubber for SageMaker ListWorkforces (moto lacks it) and CloudFormation."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import existing_workforce_check
import pytest
from botocore.stub import Stubber
from existing_workforce_check import (
    PHYSICAL_RESOURCE_ID,
    ExistingWorkforceError,
    own_user_pool_id,
    require_no_other_workforce,
)
from fake_context import lambda_context
from sagemaker_stub import stubbed_client

REGION = "us-east-1"
ACCOUNT = "123456789012"
STACK_ID = f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/gt3d-workforce/0a1b2c3d-0000-4000-8000-000000000000"
POOL_LOGICAL_ID = "WorkforceUserPool861D9C0F"
OTHER_POOL = f"{REGION}_OtherPool1"
OTHER_CLIENT = "7otherclient0123456789abcd"
OWN_POOL = f"{REGION}_OwnPool99"
LIST_REQUEST: dict[str, Any] = {}


def _cognito_workforce(pool: str = OTHER_POOL, client: str = OTHER_CLIENT, **extra: Any) -> dict[str, Any]:
    return {
        "WorkforceName": "default",
        "WorkforceArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:workforce/default",
        "CognitoConfig": {"UserPool": pool, "ClientId": client},
        "SubDomain": "abcd1234.labeling.us-east-1.sagemaker.aws",
        "Status": "Active",
        **extra,
    }


def _oidc_workforce() -> dict[str, Any]:
    return {
        "WorkforceName": "corporate-idp",
        "WorkforceArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:workforce/corporate-idp",
        "OidcConfig": {"ClientId": "oidc-client", "Issuer": "https://idp.example.com"},
        "Status": "Active",
    }


def _vendor_workforce() -> dict[str, Any]:
    return {"WorkforceName": "vendor", "WorkforceArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:workforce/vendor"}


@pytest.fixture
def sagemaker() -> Iterator[tuple[Any, Stubber]]:
    with stubbed_client("sagemaker", REGION) as stubbed:
        yield stubbed


@pytest.fixture
def cloudformation() -> Iterator[tuple[Any, Stubber]]:
    with stubbed_client("cloudformation", REGION) as stubbed:
        yield stubbed


@pytest.fixture
def deployed(
    monkeypatch: pytest.MonkeyPatch, sagemaker: tuple[Any, Stubber], cloudformation: tuple[Any, Stubber]
) -> tuple[Stubber, Stubber]:
    """The handler with stubbed clients; returns the SageMaker and CloudFormation stubbers."""
    monkeypatch.setattr(existing_workforce_check, "_sagemaker", lambda: sagemaker[0])
    monkeypatch.setattr(existing_workforce_check, "_cloudformation", lambda: cloudformation[0])
    return sagemaker[1], cloudformation[1]


def _event(request_type: str = "Create", **extra: Any) -> dict[str, Any]:
    return {
        "RequestType": request_type,
        "StackId": STACK_ID,
        "LogicalResourceId": "PrivateWorkforceCheckF3E67F43",
        "ResourceType": "Custom::PrivateWorkforceCheck",
        "ResourceProperties": {"ServiceToken": "arn:aws:lambda:...", "UserPoolLogicalId": POOL_LOGICAL_ID},
        **extra,
    }


def _pool_not_created_yet(stubber: Stubber) -> None:
    stubber.add_client_error(
        "describe_stack_resource",
        service_error_code="ValidationError",
        service_message=f"Resource {POOL_LOGICAL_ID} does not exist for stack gt3d-workforce",
        http_status_code=400,
        expected_params={"StackName": STACK_ID, "LogicalResourceId": POOL_LOGICAL_ID},
    )


def _pool_created(stubber: Stubber, physical_id: str) -> None:
    stubber.add_response(
        "describe_stack_resource",
        {
            "StackResourceDetail": {
                "StackName": "gt3d-workforce",
                "StackId": STACK_ID,
                "LogicalResourceId": POOL_LOGICAL_ID,
                "PhysicalResourceId": physical_id,
                "ResourceType": "AWS::Cognito::UserPool",
                "LastUpdatedTimestamp": "2025-01-01T00:00:00Z",
                "ResourceStatus": "CREATE_COMPLETE",
            }
        },
        {"StackName": STACK_ID, "LogicalResourceId": POOL_LOGICAL_ID},
    )


def test_given_a_region_without_a_private_workforce_when_the_stack_is_created_then_the_check_succeeds(
    deployed: tuple[Stubber, Stubber],
) -> None:
    sagemaker, cloudformation = deployed
    _pool_not_created_yet(cloudformation)
    sagemaker.add_response("list_workforces", {"Workforces": []}, LIST_REQUEST)

    assert existing_workforce_check.handler(_event(), lambda_context()) == {"PhysicalResourceId": PHYSICAL_RESOURCE_ID}


def test_given_a_cognito_workforce_when_the_stack_is_created_then_it_fails_naming_the_pool_client_and_settings(
    deployed: tuple[Stubber, Stubber],
) -> None:
    sagemaker, cloudformation = deployed
    _pool_not_created_yet(cloudformation)
    sagemaker.add_response("list_workforces", {"Workforces": [_cognito_workforce()]}, LIST_REQUEST)

    with pytest.raises(ExistingWorkforceError) as caught:
        existing_workforce_check.handler(_event(), lambda_context())

    message = str(caught.value)
    assert "'default'" in message
    assert f"Amazon Cognito user pool {OTHER_POOL} and app client {OTHER_CLIENT}" in message
    assert (
        f"-c workteam_mode=import-user-pool -c user_pool_id={OTHER_POOL} -c user_pool_client_id={OTHER_CLIENT}"
        in message
    )
    assert (
        f"-c workteam_mode=import-workteam -c workteam_arn=arn:aws:sagemaker:{REGION}:{ACCOUNT}:workteam/private-crowd/"
        in message
    )
    assert "one per account and region" in message


def test_given_an_oidc_workforce_when_the_stack_is_created_then_it_fails_naming_it_and_the_import_workteam_setting(
    deployed: tuple[Stubber, Stubber],
) -> None:
    sagemaker, cloudformation = deployed
    _pool_not_created_yet(cloudformation)
    sagemaker.add_response("list_workforces", {"Workforces": [_oidc_workforce()]}, LIST_REQUEST)

    with pytest.raises(ExistingWorkforceError) as caught:
        existing_workforce_check.handler(_event(), lambda_context())

    message = str(caught.value)
    assert "'corporate-idp'" in message
    assert "OIDC identity provider (issuer https://idp.example.com, client id oidc-client)" in message
    assert f"-c workteam_mode=import-workteam -c workteam_arn=arn:aws:sagemaker:{REGION}:{ACCOUNT}:workteam/" in message
    assert "user_pool_id=" not in message  # an OIDC workforce has no Cognito pool to import


def test_given_a_workforce_still_being_deleted_when_the_stack_is_created_then_the_message_gives_its_status(
    sagemaker: tuple[Any, Stubber],
) -> None:
    client, stubber = sagemaker
    stubber.add_response("list_workforces", {"Workforces": [_cognito_workforce(Status="Deleting")]}, LIST_REQUEST)

    with pytest.raises(ExistingWorkforceError, match="status Deleting"):
        require_no_other_workforce(client, own_user_pool_id=None)


def test_given_only_a_vendor_workforce_when_the_stack_is_created_then_the_check_succeeds(
    sagemaker: tuple[Any, Stubber],
) -> None:
    client, stubber = sagemaker
    stubber.add_response("list_workforces", {"Workforces": [_vendor_workforce()]}, LIST_REQUEST)

    require_no_other_workforce(client, own_user_pool_id=None)


def test_given_workforces_on_a_second_page_when_listed_then_the_private_one_there_is_found(
    sagemaker: tuple[Any, Stubber],
) -> None:
    client, stubber = sagemaker
    stubber.add_response("list_workforces", {"Workforces": [_vendor_workforce()], "NextToken": "page-2"}, {})
    stubber.add_response("list_workforces", {"Workforces": [_cognito_workforce()]}, {"NextToken": "page-2"})

    with pytest.raises(ExistingWorkforceError, match=OTHER_POOL):
        require_no_other_workforce(client, own_user_pool_id=None)


def test_given_the_workforce_of_this_stacks_own_pool_when_the_check_is_added_on_update_then_it_succeeds(
    deployed: tuple[Stubber, Stubber],
) -> None:
    # A stack deployed before the check existed gains it on update: its workforce is bound to its own pool.
    sagemaker, cloudformation = deployed
    _pool_created(cloudformation, OWN_POOL)
    sagemaker.add_response("list_workforces", {"Workforces": [_cognito_workforce(pool=OWN_POOL)]}, LIST_REQUEST)

    assert existing_workforce_check.handler(_event(), lambda_context()) == {"PhysicalResourceId": PHYSICAL_RESOURCE_ID}


def test_given_an_unrelated_cloudformation_error_when_the_own_pool_is_looked_up_then_it_propagates(
    cloudformation: tuple[Any, Stubber],
) -> None:
    client, stubber = cloudformation
    stubber.add_client_error("describe_stack_resource", service_error_code="AccessDenied", http_status_code=403)

    with pytest.raises(client.exceptions.ClientError, match="AccessDenied"):
        own_user_pool_id(client, STACK_ID, POOL_LOGICAL_ID)


@pytest.mark.parametrize("request_type", ["Update", "Delete"])
def test_given_an_update_or_delete_when_the_handler_runs_then_it_calls_no_aws_api(
    deployed: tuple[Stubber, Stubber], request_type: str
) -> None:
    # Any AWS call would find no queued response and fail the test.
    event = _event(request_type, PhysicalResourceId=PHYSICAL_RESOURCE_ID)

    assert existing_workforce_check.handler(event, lambda_context()) == {"PhysicalResourceId": PHYSICAL_RESOURCE_ID}
