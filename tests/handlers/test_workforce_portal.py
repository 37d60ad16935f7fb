"""The work team portal custom resource: moto and Stubber for Cognito, botocore Stubber for SageMaker DescribeWorkteam.

The resource changes the app client only: a pool with authenticator-app MFA and no SMS configuration keeps every
setting, because no ``UpdateUserPool`` (which resets what it omits) is ever sent.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, cast

import boto3
import pytest
import workforce_portal
from botocore.stub import Stubber
from fake_context import lambda_context
from moto import mock_aws
from sagemaker_stub import stubbed_client
from workforce_portal import PortalRequest, WorkteamNotReadyError, close_portal_loop

REGION = "us-east-1"
TEAM = "gt3d-workteam"
SUB_DOMAIN = "abcd1234efgh.labeling.us-east-1.sagemaker.aws"
PORTAL = f"https://{SUB_DOMAIN}"
POOL_CHANGING_OPERATIONS = ("UpdateUserPool", "SetUserPoolMfaConfig")


@pytest.fixture
def cognito() -> Iterator[Any]:
    with mock_aws():
        yield boto3.client("cognito-idp", region_name=REGION)


@pytest.fixture
def pool_id(cognito: Any) -> str:
    """A pool configured like the created one: optional authenticator-app (TOTP) MFA, no SMS configuration."""
    pool = cognito.create_user_pool(
        PoolName="gt3d-workforce",
        Policies={"PasswordPolicy": {"MinimumLength": 12, "RequireSymbols": True, "TemporaryPasswordValidityDays": 7}},
        MfaConfiguration="OPTIONAL",
        AutoVerifiedAttributes=["email"],
        UsernameAttributes=["email"],
        AdminCreateUserConfig={"AllowAdminCreateUserOnly": True},
    )
    pool_id = cast(str, pool["UserPool"]["Id"])
    cognito.set_user_pool_mfa_config(
        UserPoolId=pool_id, SoftwareTokenMfaConfiguration={"Enabled": True}, MfaConfiguration="OPTIONAL"
    )
    return pool_id


@pytest.fixture
def client_id(cognito: Any, pool_id: str) -> str:
    client = cognito.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="gt3d-app-client",
        GenerateSecret=True,
        ExplicitAuthFlows=["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        RefreshTokenValidity=10,
        AllowedOAuthFlows=["code"],
        AllowedOAuthScopes=["openid"],
        AllowedOAuthFlowsUserPoolClient=True,
        SupportedIdentityProviders=["COGNITO"],
        CallbackURLs=["https://localhost/oauth2/idpresponse"],
        LogoutURLs=["https://localhost/logout"],
        DefaultRedirectURI="https://localhost/oauth2/idpresponse",
    )
    return cast(str, client["UserPoolClient"]["ClientId"])


def _workteam(sub_domain: str | None) -> dict[str, Any]:
    team: dict[str, Any] = {
        "WorkteamName": TEAM,
        "WorkteamArn": f"arn:aws:sagemaker:{REGION}:123456789012:workteam/private-crowd/{TEAM}",
        "Description": "team",
        "MemberDefinitions": [
            {"CognitoMemberDefinition": {"UserPool": "p", "UserGroup": "g", "ClientId": "c"}},
        ],
    }
    if sub_domain:
        team["SubDomain"] = sub_domain
    return {"Workteam": team}


@pytest.fixture
def sagemaker() -> Iterator[tuple[Any, Stubber]]:
    with stubbed_client("sagemaker", REGION) as stubbed:
        yield stubbed


def _request(**overrides: Any) -> PortalRequest:
    values: dict[str, Any] = {
        "request_type": "Create",
        "workteam_name": TEAM,
        "user_pool_id": None,
        "client_id": None,
        "replace_urls": False,
    } | overrides
    return PortalRequest(**values)


def _capture(client: Any, operation: str) -> list[dict[str, Any]]:
    """Record the parameters of every ``operation`` request the client sends."""
    calls: list[dict[str, Any]] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        calls.append(dict(params))

    client.meta.events.register(f"provide-client-params.cognito-idp.{operation}", record)
    return calls


def _pool_state(cognito: Any, pool_id: str) -> dict[str, Any]:
    """Return every setting Cognito reports for the pool, MFA configuration included."""
    pool = cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"]
    mfa = cognito.get_user_pool_mfa_config(UserPoolId=pool_id)
    mfa.pop("ResponseMetadata", None)
    return {"pool": pool, "mfa": mfa}


def _never_sleep(_: float) -> None:
    raise AssertionError("did not expect to wait")


def test_given_a_team_with_a_portal_when_the_loop_is_closed_for_an_owned_client_then_its_urls_are_the_portals(
    cognito: Any, pool_id: str, client_id: str, sagemaker: tuple[Any, Stubber]
) -> None:
    client, stubber = sagemaker
    stubber.add_response("describe_workteam", _workteam(SUB_DOMAIN), {"WorkteamName": TEAM})

    result = close_portal_loop(
        _request(user_pool_id=pool_id, client_id=client_id, replace_urls=True),
        sagemaker=client,
        cognito=cognito,
        sleep=_never_sleep,
    )

    assert result == {"PhysicalResourceId": TEAM, "Data": {"SubDomain": SUB_DOMAIN, "PortalUrl": PORTAL}}
    updated = cognito.describe_user_pool_client(UserPoolId=pool_id, ClientId=client_id)["UserPoolClient"]
    assert updated["CallbackURLs"] == [f"{PORTAL}/oauth2/idpresponse"]
    assert updated["LogoutURLs"] == [f"{PORTAL}/logout"]
    assert set(updated["AllowedOAuthFlows"]) == {"code", "implicit"}
    assert set(updated["AllowedOAuthScopes"]) >= {"email", "openid", "profile"}
    assert updated["SupportedIdentityProviders"] == ["COGNITO"]
    assert updated["AllowedOAuthFlowsUserPoolClient"] is True


def test_given_an_owned_client_when_it_is_updated_then_the_request_resends_every_setting_it_had(
    cognito: Any, pool_id: str, client_id: str, sagemaker: tuple[Any, Stubber]
) -> None:
    # UpdateUserPoolClient resets every field it is not sent; moto does not, so check the request itself.
    client, stubber = sagemaker
    stubber.add_response("describe_workteam", _workteam(SUB_DOMAIN), {"WorkteamName": TEAM})
    before = cognito.describe_user_pool_client(UserPoolId=pool_id, ClientId=client_id)["UserPoolClient"]
    updates = _capture(cognito, "UpdateUserPoolClient")

    close_portal_loop(
        _request(user_pool_id=pool_id, client_id=client_id, replace_urls=True),
        sagemaker=client,
        cognito=cognito,
        sleep=_never_sleep,
    )

    (sent,) = updates
    accepted = cognito.meta.service_model.operation_model("UpdateUserPoolClient").input_shape.members
    preserved = {key for key in before if key in accepted} - {"DefaultRedirectURI"}
    assert preserved <= set(sent)
    assert sent["ExplicitAuthFlows"] == before["ExplicitAuthFlows"]
    assert sent["RefreshTokenValidity"] == before["RefreshTokenValidity"]
    assert sent["ClientName"] == "gt3d-app-client"
    # The old default redirect is no longer a callback URL, so it must not be sent back.
    assert "DefaultRedirectURI" not in sent


def test_given_an_imported_client_when_the_loop_is_closed_then_the_portal_urls_are_added_to_its_own(
    cognito: Any, pool_id: str, client_id: str, sagemaker: tuple[Any, Stubber]
) -> None:
    client, stubber = sagemaker
    stubber.add_response("describe_workteam", _workteam(SUB_DOMAIN), {"WorkteamName": TEAM})
    pool_updates = _capture(cognito, "UpdateUserPool")

    close_portal_loop(
        _request(user_pool_id=pool_id, client_id=client_id, replace_urls=False),
        sagemaker=client,
        cognito=cognito,
        sleep=_never_sleep,
    )

    updated = cognito.describe_user_pool_client(UserPoolId=pool_id, ClientId=client_id)["UserPoolClient"]
    assert updated["CallbackURLs"] == ["https://localhost/oauth2/idpresponse", f"{PORTAL}/oauth2/idpresponse"]
    assert updated["LogoutURLs"] == ["https://localhost/logout", f"{PORTAL}/logout"]
    assert updated["DefaultRedirectURI"] == "https://localhost/oauth2/idpresponse"
    assert pool_updates == []  # an imported pool's invitation is not ours to change


def test_given_a_pool_with_authenticator_app_mfa_when_the_loop_is_closed_then_every_pool_setting_is_unchanged(
    cognito: Any, pool_id: str, client_id: str, sagemaker: tuple[Any, Stubber]
) -> None:
    client, stubber = sagemaker
    stubber.add_response("describe_workteam", _workteam(SUB_DOMAIN), {"WorkteamName": TEAM})
    before = _pool_state(cognito, pool_id)
    pool_changes = {operation: _capture(cognito, operation) for operation in POOL_CHANGING_OPERATIONS}

    close_portal_loop(
        _request(user_pool_id=pool_id, client_id=client_id, replace_urls=True),
        sagemaker=client,
        cognito=cognito,
        sleep=_never_sleep,
    )

    assert pool_changes == {operation: [] for operation in POOL_CHANGING_OPERATIONS}
    assert _pool_state(cognito, pool_id) == before
    assert before["pool"]["MfaConfiguration"] == "OPTIONAL"
    assert before["mfa"]["SoftwareTokenMfaConfiguration"] == {"Enabled": True}


def test_given_an_owned_client_when_the_loop_is_closed_then_only_the_client_is_described_and_updated(
    sagemaker: tuple[Any, Stubber],
) -> None:
    # A Stubber-backed Cognito client: every request is checked against the real API model, and any call not
    # queued here (UpdateUserPool, SetUserPoolMfaConfig, ...) fails the test.
    client, sagemaker_stubber = sagemaker
    sagemaker_stubber.add_response("describe_workteam", _workteam(SUB_DOMAIN), {"WorkteamName": TEAM})
    cognito = boto3.client("cognito-idp", region_name=REGION)
    described = {
        "UserPoolId": "us-east-1_AbCdEf123",
        "ClientId": "1example23456789abcdefghij",
        "ClientName": "gt3d-app-client",
        "ExplicitAuthFlows": ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        "SupportedIdentityProviders": ["COGNITO"],
        "CallbackURLs": ["https://localhost/oauth2/idpresponse"],
        "LogoutURLs": ["https://localhost/logout"],
        "AllowedOAuthFlows": ["code", "implicit"],
        "AllowedOAuthScopes": ["email", "openid", "profile"],
        "AllowedOAuthFlowsUserPoolClient": True,
        "PreventUserExistenceErrors": "ENABLED",
    }
    ids = {"UserPoolId": described["UserPoolId"], "ClientId": described["ClientId"]}
    with Stubber(cognito) as cognito_stubber:
        cognito_stubber.add_response("describe_user_pool_client", {"UserPoolClient": described}, ids)
        cognito_stubber.add_response(
            "update_user_pool_client",
            {"UserPoolClient": described},
            described | {"CallbackURLs": [f"{PORTAL}/oauth2/idpresponse"], "LogoutURLs": [f"{PORTAL}/logout"]},
        )

        close_portal_loop(
            _request(replace_urls=True, user_pool_id=ids["UserPoolId"], client_id=ids["ClientId"]),
            sagemaker=client,
            cognito=cognito,
            sleep=_never_sleep,
        )

        cognito_stubber.assert_no_pending_responses()


def test_given_a_team_without_a_portal_yet_when_the_loop_is_closed_then_it_waits_for_the_sub_domain(
    cognito: Any, sagemaker: tuple[Any, Stubber]
) -> None:
    client, stubber = sagemaker
    for reply in (_workteam(None), _workteam(None), _workteam(SUB_DOMAIN)):
        stubber.add_response("describe_workteam", reply, {"WorkteamName": TEAM})
    waits: list[float] = []

    result = close_portal_loop(_request(), sagemaker=client, cognito=cognito, sleep=waits.append)

    assert result["Data"]["PortalUrl"] == PORTAL
    assert len(waits) == 2


def test_given_a_team_that_never_gets_a_portal_when_the_loop_is_closed_then_it_fails_after_bounded_waiting(
    sagemaker: tuple[Any, Stubber],
) -> None:
    client, stubber = sagemaker
    for _ in range(3):
        stubber.add_response("describe_workteam", _workteam(None), {"WorkteamName": TEAM})
    waits: list[float] = []

    with pytest.raises(WorkteamNotReadyError, match=TEAM):
        workforce_portal.wait_for_sub_domain(client, TEAM, sleep=waits.append, attempts=3, delay_seconds=1.0)

    assert waits == [1.0, 1.0]


def test_given_a_create_event_when_the_handler_runs_then_it_returns_the_portal_url(
    monkeypatch: pytest.MonkeyPatch,
    cognito: Any,
    pool_id: str,
    client_id: str,
    sagemaker: tuple[Any, Stubber],
) -> None:
    client, stubber = sagemaker
    stubber.add_response("describe_workteam", _workteam(SUB_DOMAIN), {"WorkteamName": TEAM})
    monkeypatch.setattr(workforce_portal, "_sagemaker", lambda: client)
    monkeypatch.setattr(workforce_portal, "_cognito", lambda: cognito)
    event = {
        "RequestType": "Create",
        "ResourceProperties": {
            "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:framework",
            "WorkteamName": TEAM,
            "UserPoolId": pool_id,
            "ClientId": client_id,
            "ReplaceUrls": "true",
        },
    }

    result = workforce_portal.handler(event, lambda_context())

    assert result["PhysicalResourceId"] == TEAM
    assert result["Data"]["PortalUrl"] == PORTAL


def test_given_a_delete_event_when_the_handler_runs_then_it_calls_no_aws_api(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_client() -> Any:
        raise AssertionError("Delete must not call AWS")

    monkeypatch.setattr(workforce_portal, "_sagemaker", no_client)
    monkeypatch.setattr(workforce_portal, "_cognito", no_client)
    event = {"RequestType": "Delete", "PhysicalResourceId": TEAM, "ResourceProperties": {"WorkteamName": TEAM}}

    assert workforce_portal.handler(event, lambda_context()) == {"PhysicalResourceId": TEAM}


@pytest.mark.parametrize("properties", [{"UserPoolId": "us-east-1_abc"}, {"ClientId": "c"}])
def test_given_a_pool_without_its_client_or_the_reverse_when_the_event_is_parsed_then_it_is_rejected(
    properties: dict[str, str],
) -> None:
    event = {"RequestType": "Create", "ResourceProperties": {"WorkteamName": TEAM, **properties}}

    with pytest.raises(ValueError, match="together"):
        PortalRequest.from_event(event)
