"""Custom resource handler: closes the work team's portal loop once the team exists.

A new work team only learns its portal domain (``SubDomain``) after it is created, but the Cognito app client
must list ``https://<SubDomain>/oauth2/idpresponse`` and ``https://<SubDomain>/logout``. This handler reads the
team, updates the client and returns the portal URL. ``UpdateUserPoolClient`` resets every field it is not given,
so the update starts from ``DescribeUserPoolClient`` and sends the complete configuration back.

It never calls ``UpdateUserPool``, which resets what it omits ("If you don't provide a value for an attribute,
Amazon Cognito sets it to its default value",
https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_UpdateUserPool.html); requests that
re-send ``MfaConfiguration`` OPTIONAL or ON for a pool with authenticator-app MFA and no SMS configuration have been
rejected ("SMS configuration and Auto verification for phone_number are required when MFA is required/optional",
https://github.com/aws/aws-cdk/issues/12075). Invitations get the portal URL from the pool's ``CustomMessage``
trigger instead (``workforce_invitation``), which reads it from the work team when a worker is invited.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from handler_support import logger

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient
    from mypy_boto3_sagemaker import SageMakerClient


OAUTH_FLOWS = ("code", "implicit")
OAUTH_SCOPES = ("email", "openid", "profile")
IDENTITY_PROVIDERS = ("COGNITO",)

_SUB_DOMAIN_ATTEMPTS = 12
_SUB_DOMAIN_DELAY_SECONDS = 5.0
_RETRIES = Config(retries={"mode": "standard", "max_attempts": 8})


class WorkteamNotReadyError(RuntimeError):
    """The work team still has no portal domain after waiting; the deployment fails and can be retried."""


@dataclass(frozen=True, slots=True)
class PortalRequest:
    """The custom resource's properties, typed."""

    request_type: str
    workteam_name: str
    user_pool_id: str | None
    client_id: str | None
    replace_urls: bool

    @classmethod
    def from_event(cls, event: Mapping[str, Any]) -> PortalRequest:
        """Parse a CloudFormation custom resource event (property values arrive as strings)."""
        props = event["ResourceProperties"]
        request = cls(
            request_type=event["RequestType"],
            workteam_name=props["WorkteamName"],
            user_pool_id=props.get("UserPoolId") or None,
            client_id=props.get("ClientId") or None,
            replace_urls=str(props.get("ReplaceUrls", "false")).lower() == "true",
        )
        if (request.user_pool_id is None) != (request.client_id is None):
            raise ValueError("UserPoolId and ClientId must be given together")
        return request


@functools.cache
def _sagemaker() -> SageMakerClient:
    return boto3.client("sagemaker", config=_RETRIES)


@functools.cache
def _cognito() -> CognitoIdentityProviderClient:
    return boto3.client("cognito-idp", config=_RETRIES)


@logger.inject_lambda_context(log_event=False)
def handler(event: Mapping[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Custom resource entry point (``custom_resources.Provider`` onEvent)."""
    request = PortalRequest.from_event(event)
    if request.request_type == "Delete":
        # Nothing to undo: CloudFormation deletes (or retains) the pool, client and team itself.
        return {"PhysicalResourceId": event["PhysicalResourceId"]}
    return close_portal_loop(request, sagemaker=_sagemaker(), cognito=_cognito())


def close_portal_loop(
    request: PortalRequest,
    *,
    sagemaker: SageMakerClient,
    cognito: CognitoIdentityProviderClient,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    """Read the team's portal domain, point the app client at it, and return the portal URL."""
    sub_domain = wait_for_sub_domain(sagemaker, request.workteam_name, sleep=sleep)
    portal_url = f"https://{sub_domain}"
    if request.user_pool_id is not None and request.client_id is not None:
        update_app_client(
            cognito, request.user_pool_id, request.client_id, portal_url=portal_url, replace_urls=request.replace_urls
        )
    logger.info("Work team portal ready", extra={"workteam_name": request.workteam_name, "sub_domain": sub_domain})
    return {
        "PhysicalResourceId": request.workteam_name,
        "Data": {"SubDomain": sub_domain, "PortalUrl": portal_url},
    }


def wait_for_sub_domain(
    sagemaker: SageMakerClient,
    workteam_name: str,
    *,
    sleep: Callable[[float], None],
    attempts: int = _SUB_DOMAIN_ATTEMPTS,
    delay_seconds: float = _SUB_DOMAIN_DELAY_SECONDS,
) -> str:
    """Return the team's ``SubDomain``, polling briefly while a just-created team has none yet."""
    for attempt in range(attempts):
        sub_domain = sagemaker.describe_workteam(WorkteamName=workteam_name)["Workteam"].get("SubDomain")
        if sub_domain:
            return sub_domain
        if attempt + 1 < attempts:
            sleep(delay_seconds)
    raise WorkteamNotReadyError(
        f"Work team {workteam_name!r} has no portal SubDomain after {attempts} attempts; retry the deployment."
    )


def update_app_client(
    cognito: CognitoIdentityProviderClient, user_pool_id: str, client_id: str, *, portal_url: str, replace_urls: bool
) -> None:
    """Give the app client the portal's callback and logout URLs and the OAuth settings Ground Truth signs in with.

    ``replace_urls`` (a client this stack owns) sets the URLs exactly; otherwise (an imported client, possibly
    shared by other work teams of the workforce) they are added to the existing ones.
    """
    current = cognito.describe_user_pool_client(UserPoolId=user_pool_id, ClientId=client_id)["UserPoolClient"]
    request = _updatable_fields(cognito, "UpdateUserPoolClient", current)
    callback_urls = [f"{portal_url}/oauth2/idpresponse"]
    logout_urls = [f"{portal_url}/logout"]
    if not replace_urls:
        callback_urls = _union(current.get("CallbackURLs", []), callback_urls)
        logout_urls = _union(current.get("LogoutURLs", []), logout_urls)
    request.update(
        UserPoolId=user_pool_id,
        ClientId=client_id,
        CallbackURLs=callback_urls,
        LogoutURLs=logout_urls,
        AllowedOAuthFlows=_union(current.get("AllowedOAuthFlows", []), OAUTH_FLOWS),
        AllowedOAuthScopes=_union(current.get("AllowedOAuthScopes", []), OAUTH_SCOPES),
        SupportedIdentityProviders=_union(current.get("SupportedIdentityProviders", []), IDENTITY_PROVIDERS),
        AllowedOAuthFlowsUserPoolClient=True,
    )
    if request.get("DefaultRedirectURI") not in callback_urls:
        request.pop("DefaultRedirectURI", None)  # must be one of the callback URLs
    cognito.update_user_pool_client(**request)


def _updatable_fields(client: Any, operation: str, described: Mapping[str, Any]) -> dict[str, Any]:
    """Keep the described fields the update operation accepts (read from the API model, not a hand-kept list)."""
    accepted = client.meta.service_model.operation_model(operation).input_shape.members
    return {key: value for key, value in described.items() if key in accepted}


def _union(existing: Iterable[str], required: Iterable[str]) -> list[str]:
    return list(dict.fromkeys([*existing, *required]))
