"""Cognito ``CustomMessage`` trigger: puts the labeling portal URL into every worker's invitation.

The portal URL exists only once the work team does, and the team needs the pool first, so the pool cannot be
created with the URL in its invitation template; rewriting the template afterwards needs ``UpdateUserPool``, which
resets every setting it is not sent. The trigger reads the URL from the work team (``DescribeWorkteam``) when
Cognito invites a worker. Only ``CustomMessage_AdminCreateUser`` messages change; an event returned unchanged
tells Cognito to send its own message (forgotten password, verification codes).
https://docs.aws.amazon.com/cognito/latest/developerguide/user-pool-lambda-custom-message.html

Cognito waits 5 seconds for a trigger and retries it at most three times
(https://docs.aws.amazon.com/cognito/latest/developerguide/cognito-user-pools-working-with-lambda-triggers.html),
hence short SDK timeouts, and a per-container cache: a team's portal domain never changes.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from handler_support import logger

from gt3d_core.errors import ConfigurationError
from gt3d_core.workforce import INVITATION_SUBJECT, invitation_message

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext
    from mypy_boto3_sagemaker import SageMakerClient

ADMIN_CREATE_USER = "CustomMessage_AdminCreateUser"
_WITHIN_COGNITO_WAIT = Config(connect_timeout=1, read_timeout=2, retries={"mode": "standard", "total_max_attempts": 2})


class PortalNotReadyError(RuntimeError):
    """The work team has no portal domain yet, so an invitation would not say where to sign in; none is sent."""


@dataclass(frozen=True, slots=True)
class InvitationEnvironment:
    """The work team whose portal the invitations point at."""

    workteam_name: str

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> InvitationEnvironment:
        """Read ``WORKTEAM_NAME``; raise if the stack did not set it."""
        name = environ.get("WORKTEAM_NAME", "").strip()
        if not name:
            raise ConfigurationError("WORKTEAM_NAME is not set; redeploy the workforce stack.")
        return cls(workteam_name=name)


@functools.cache
def _sagemaker() -> SageMakerClient:
    return boto3.client("sagemaker", config=_WITHIN_COGNITO_WAIT)


@functools.cache
def _cached_portal_url(workteam_name: str) -> str:
    return read_portal_url(_sagemaker(), workteam_name)


@logger.inject_lambda_context(log_event=False)  # the event carries the worker's e-mail address
def handler(event: Mapping[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Cognito trigger entry point: the event back, with the invitation set for admin-created users."""
    if event.get("triggerSource") != ADMIN_CREATE_USER:
        return dict(event)
    environment = InvitationEnvironment.from_environ(os.environ)
    url = _cached_portal_url(environment.workteam_name)
    logger.info("Invitation points at the labeling portal", extra={"workteam_name": environment.workteam_name})
    return with_invitation(event, portal_url=url)


def read_portal_url(sagemaker: SageMakerClient, workteam_name: str) -> str:
    """Return ``https://<SubDomain>`` of the work team, the address workers sign in at."""
    sub_domain = sagemaker.describe_workteam(WorkteamName=workteam_name)["Workteam"].get("SubDomain")
    if not sub_domain:
        raise PortalNotReadyError(f"Work team {workteam_name!r} has no portal SubDomain yet; invite the worker later.")
    return f"https://{sub_domain}"


def with_invitation(event: Mapping[str, Any], *, portal_url: str) -> dict[str, Any]:
    """Return the trigger event with the invitation's subject and body, keeping Cognito's username and code slots."""
    request = event["request"]
    response = dict(event.get("response") or {})
    response["emailSubject"] = INVITATION_SUBJECT
    response["emailMessage"] = invitation_message(
        portal_url=portal_url, username=request["usernameParameter"], code=request["codeParameter"]
    )
    return {**event, "response": response}
