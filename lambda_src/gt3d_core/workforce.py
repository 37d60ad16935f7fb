"""What the work team stack and its portal custom resource must agree on."""

from __future__ import annotations

from typing import Final

PORTAL_URL_PLACEHOLDER: Final = "{portal_url}"
"""Replaced in the invite message by the portal URL; Cognito's own ``{username}`` and ``{####}`` stay as they are."""

SAGEMAKER_SERVICE_PRINCIPAL: Final = "sagemaker.amazonaws.com"
"""Ground Truth acts as this principal: it assumes the execution role and publishes to the workers' topic."""
