"""Errors a user can cause and fix. Their class names are the error names the state machine's Catch sees.

Every user-fixable error derives from :class:`Gt3dError`; its message says what is wrong and what to do.
Throttling, service faults and network failures become :class:`AwsTransientError`, which is not user-fixable:
Step Functions retries it.
"""

from __future__ import annotations


class Gt3dError(Exception):
    """Base of every user-fixable error the pipeline raises."""


class UnknownTaskTypeError(Gt3dError):
    """The task type is not one of the six Ground Truth 3D point cloud task types."""


class UnsupportedRegionError(Gt3dError):
    """The region does not offer Ground Truth 3D point cloud labeling."""


class InvalidRequestError(Gt3dError):
    """The execution input (job name, paths, human-task overrides) breaks a Ground Truth rule."""


class ManifestFormatError(Gt3dError):
    """A manifest, sequence or label category file is not valid JSON / JSON Lines or breaks a documented limit."""


class MissingObjectsError(Gt3dError):
    """Objects the manifests reference do not exist at the source location."""


class JobNameTakenError(Gt3dError):
    """A different labeling job already uses the requested name (names are unique forever, case-insensitively)."""


class AccessDeniedError(Gt3dError):
    """An AWS call was denied: a role or resource policy does not allow what the settings ask for."""


class QuotaExceededError(Gt3dError):
    """An account quota (for example concurrent labeling jobs) is used up."""


class ConfigurationError(Gt3dError):
    """The function's environment (set by the CDK stack) is missing or malformed."""


def user_error_names() -> tuple[str, ...]:
    """Return the class names of every user-fixable error: errors the state machine must never retry."""
    return tuple(sorted(cls.__name__ for cls in Gt3dError.__subclasses__()))


class AwsTransientError(Exception):
    """An AWS call was throttled or hit a service fault; the state machine retries it. Not user-fixable."""
