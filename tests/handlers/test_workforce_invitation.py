"""The Cognito CustomMessage trigger: every invitation carries the labeling portal URL (Stubber: DescribeWorkteam)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import workforce_invitation
from botocore.stub import Stubber
from fake_context import lambda_context
from sagemaker_stub import stubbed_client
from workforce_invitation import (
    ADMIN_CREATE_USER,
    InvitationEnvironment,
    PortalNotReadyError,
    read_portal_url,
    with_invitation,
)

from gt3d_core.errors import ConfigurationError
from gt3d_core.workforce import INVITATION_SUBJECT

REGION = "us-east-1"
TEAM = "gt3d-workteam"
SUB_DOMAIN = "abcd1234efgh.labeling.us-east-1.sagemaker.aws"
PORTAL = f"https://{SUB_DOMAIN}"


def _event(trigger_source: str = ADMIN_CREATE_USER) -> dict[str, Any]:
    """A CustomMessage trigger event as Cognito sends it (user pool Lambda trigger common parameters)."""
    return {
        "version": "1",
        "triggerSource": trigger_source,
        "region": REGION,
        "userPoolId": f"{REGION}_AbCdEf123",
        "userName": "worker.one@example.com",
        "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": "CLIENT_ID_NOT_APPLICABLE"},
        "request": {
            "userAttributes": {"email": "worker.one@example.com", "email_verified": "true"},
            "codeParameter": "{####}",
            "usernameParameter": "{username}",
            "linkParameter": "{##Click Here##}",
        },
        "response": {"smsMessage": None, "emailMessage": None, "emailSubject": None},
    }


def _workteam(sub_domain: str | None) -> dict[str, Any]:
    team: dict[str, Any] = {
        "WorkteamName": TEAM,
        "WorkteamArn": f"arn:aws:sagemaker:{REGION}:123456789012:workteam/private-crowd/{TEAM}",
        "Description": "team",
        "MemberDefinitions": [{"CognitoMemberDefinition": {"UserPool": "p", "UserGroup": "g", "ClientId": "c"}}],
    }
    if sub_domain:
        team["SubDomain"] = sub_domain
    return {"Workteam": team}


@pytest.fixture
def sagemaker() -> Iterator[tuple[Any, Stubber]]:
    with stubbed_client("sagemaker", REGION) as stubbed:
        yield stubbed


@pytest.fixture
def deployed(monkeypatch: pytest.MonkeyPatch, sagemaker: tuple[Any, Stubber]) -> Stubber:
    """The handler as deployed: its environment set, its SageMaker client the stubbed one, an empty cache."""
    client, stubber = sagemaker
    monkeypatch.setenv("WORKTEAM_NAME", TEAM)
    monkeypatch.setattr(workforce_invitation, "_sagemaker", lambda: client)
    workforce_invitation._cached_portal_url.cache_clear()
    yield stubber
    workforce_invitation._cached_portal_url.cache_clear()


def test_given_a_worker_invited_by_an_administrator_when_the_trigger_runs_then_the_invitation_carries_the_portal_url(
    deployed: Stubber,
) -> None:
    deployed.add_response("describe_workteam", _workteam(SUB_DOMAIN), {"WorkteamName": TEAM})
    event = _event()

    result = workforce_invitation.handler(event, lambda_context())

    response = result["response"]
    assert PORTAL in response["emailMessage"]
    # Cognito fills in the username and temporary password, and refuses an invitation without both placeholders.
    assert event["request"]["usernameParameter"] in response["emailMessage"]
    assert event["request"]["codeParameter"] in response["emailMessage"]
    assert response["emailSubject"] == INVITATION_SUBJECT
    assert response["smsMessage"] is None
    assert {key: value for key, value in result.items() if key != "response"} == {
        key: value for key, value in event.items() if key != "response"
    }


def test_given_several_invitations_when_the_trigger_runs_then_the_team_is_described_once_per_container(
    deployed: Stubber,
) -> None:
    deployed.add_response("describe_workteam", _workteam(SUB_DOMAIN), {"WorkteamName": TEAM})

    results = [workforce_invitation.handler(_event(), lambda_context()) for _ in range(3)]

    assert all(PORTAL in result["response"]["emailMessage"] for result in results)


@pytest.mark.parametrize(
    "trigger_source",
    [
        "CustomMessage_ForgotPassword",
        "CustomMessage_SignUp",
        "CustomMessage_ResendCode",
        "CustomMessage_Authentication",
    ],
)
def test_given_any_other_message_when_the_trigger_runs_then_the_event_comes_back_unchanged_without_aws_calls(
    deployed: Stubber, trigger_source: str
) -> None:
    event = _event(trigger_source)

    assert workforce_invitation.handler(event, lambda_context()) == event


def test_given_a_team_without_a_portal_yet_when_the_url_is_read_then_no_invitation_is_sent(
    sagemaker: tuple[Any, Stubber],
) -> None:
    client, stubber = sagemaker
    stubber.add_response("describe_workteam", _workteam(None), {"WorkteamName": TEAM})

    with pytest.raises(PortalNotReadyError, match=TEAM):
        read_portal_url(client, TEAM)


def test_given_an_event_when_the_invitation_is_set_then_the_input_event_is_not_modified() -> None:
    event = _event()

    result = with_invitation(event, portal_url=PORTAL)

    assert event["response"]["emailMessage"] is None
    assert PORTAL in result["response"]["emailMessage"]


def test_given_no_workteam_name_in_the_environment_when_read_then_it_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="WORKTEAM_NAME"):
        InvitationEnvironment.from_environ({})
