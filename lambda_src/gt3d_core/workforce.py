"""What the workforce stack and its handlers must agree on: names, the invitation text and the one-workforce rule."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

SAGEMAKER_SERVICE_PRINCIPAL: Final = "sagemaker.amazonaws.com"
"""Ground Truth acts as this principal: it assumes the execution role and publishes to the workers' topic."""

INVITATION_SUBJECT: Final = "You are invited to label 3D point clouds"

DOCS_ONE_WORKFORCE: Final = "https://docs.aws.amazon.com/sagemaker/latest/dg/sms-security-workforce-authentication.html"
"""Where the SageMaker Developer Guide says: "Ground Truth only allows one workforce per account per AWS Region"."""


def workteam_name(prefix: str) -> str:
    """Return the name of the work team this app creates (the invitation trigger looks the team up by it)."""
    return f"{prefix}-workteam"


def invitation_message(*, portal_url: str, username: str, code: str) -> str:
    """Return the invitation e-mail body: the portal to sign in at, the username and the temporary password.

    ``username`` and ``code`` are Cognito's placeholders from the trigger event (``{username}``, ``{####}``):
    Cognito replaces them after the trigger returns, and refuses an AdminCreateUser message without both.
    """
    return (
        "You have been invited to a Ground Truth 3D point cloud labeling team. "
        f"Sign in to the labeling portal at {portal_url} with username {username} and temporary password {code}; "
        "you will be asked to choose a new password."
    )


@dataclass(frozen=True, slots=True)
class PrivateWorkforce:
    """The account's private workforce in a region, as ListWorkforces describes it."""

    name: str
    arn: str
    status: str | None
    cognito_user_pool: str | None
    cognito_client_id: str | None
    oidc_issuer: str | None
    oidc_client_id: str | None

    @classmethod
    def from_description(cls, workforce: Mapping[str, Any]) -> PrivateWorkforce | None:
        """Return the workforce if it is private (Cognito or OIDC sign-in); None for a vendor workforce."""
        cognito = workforce.get("CognitoConfig") or {}
        oidc = workforce.get("OidcConfig") or {}
        if not cognito and not oidc:
            return None
        return cls(
            name=str(workforce["WorkforceName"]),
            arn=str(workforce["WorkforceArn"]),
            status=workforce.get("Status"),
            cognito_user_pool=cognito.get("UserPool"),
            cognito_client_id=cognito.get("ClientId"),
            oidc_issuer=oidc.get("Issuer"),
            oidc_client_id=oidc.get("ClientId"),
        )


def private_workforces(workforces: Iterable[Mapping[str, Any]]) -> list[PrivateWorkforce]:
    """Return the private workforces among ListWorkforces entries (the operation also lists vendor workforces)."""
    found = (PrivateWorkforce.from_description(workforce) for workforce in workforces)
    return [workforce for workforce in found if workforce is not None]


def existing_workforce_message(workforce: PrivateWorkforce, *, region: str) -> str:
    """Explain that ``workforce`` already exists in ``region`` and which settings let a redeploy use it instead."""
    status = f", status {workforce.status}" if workforce.status and workforce.status != "Active" else ""
    # arn:<partition>:sagemaker:<region>:<account>:workforce/<name> -> the same account's work team ARN
    arn_base = workforce.arn.split(":workforce/", 1)[0]
    team_option = (
        f"-c workteam_mode=import-workteam -c workteam_arn={arn_base}:workteam/private-crowd/<team name> to use "
        "one of its work teams (aws sagemaker list-workteams lists them)"
    )
    intro = (
        f"This account already has a private workforce in {region}, and Ground Truth allows only one per account "
        f"and region ({DOCS_ONE_WORKFORCE}): workforce '{workforce.name}'{status}"
    )
    if workforce.cognito_user_pool and workforce.cognito_client_id:
        return (
            f"{intro}, signing workers in with Amazon Cognito user pool {workforce.cognito_user_pool} and app "
            f"client {workforce.cognito_client_id}. This app cannot create another one; no user pool or work team "
            f"was created. Redeploy with -c workteam_mode=import-user-pool "
            f"-c user_pool_id={workforce.cognito_user_pool} -c user_pool_client_id={workforce.cognito_client_id} "
            f"to add this app's work team to that workforce, or with {team_option}."
        )
    issuer = f" (issuer {workforce.oidc_issuer}, client id {workforce.oidc_client_id})" if workforce.oidc_issuer else ""
    return (
        f"{intro}, signing workers in with an OIDC identity provider{issuer}. This app cannot create another "
        "workforce, and its import-user-pool mode needs an Amazon Cognito workforce; no user pool or work team was "
        f"created. Redeploy with {team_option}."
    )
