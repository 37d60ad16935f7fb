"""Settings: the one typed, validated object every stack is built from (CDK context, defaults in cdk.json)."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any, Protocol

from gt3d_core.catalog import SUPPORTED_REGIONS, require_supported_region
from gt3d_core.errors import UnsupportedRegionError
from gt3d_core.s3_location import S3Location

DEFAULT_REGION = "us-east-1"
"""The region used when neither context ``region`` nor ``CDK_DEFAULT_REGION`` names one."""

DEFAULT_SOURCE_URI = "s3://aws-ml-blog/artifacts/gt-point-cloud-demos/"

COGNITO_EMAILS_PER_DAY = 50
"""E-mail messages Cognito's built-in sender delivers a day, per account, not adjustable ("Email messages sent daily
per AWS account", https://docs.aws.amazon.com/cognito/latest/developerguide/quotas.html); each invited worker is one."""

_PREFIX = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
_PREFIX_MAX = 24  # leaves room for "-<abbrev>-<14-digit timestamp>" inside the 63-character job name limit
_PREFIX_RESERVED = ("aws", "amazon", "cognito")  # Cognito refuses domain prefixes containing these
_EXPERIMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)*$")
_EXPERIMENT_MAX = 200
_EMAIL = re.compile(r"^[^@\s,;\"'<>]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
_USER_POOL_ID = re.compile(r"^(?P<region>[a-z]{2}(-[a-z]+)+-\d)_[0-9A-Za-z]+$")
_CLIENT_ID = re.compile(r"^[0-9a-z]{1,128}$")
_WORKTEAM_ARN = re.compile(
    r"^arn:aws[a-z-]*:sagemaker:(?P<region>[a-z0-9-]+):\d{12}:workteam/private-crowd/"
    r"(?P<name>[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62})$"
)


class InvalidSettingError(ValueError):
    """A context setting is invalid; the message names the key, the bad value and what is allowed."""

    def __init__(self, key: str, value: object, allowed: str) -> None:
        super().__init__(f"Invalid setting {key}={value!r}: allowed values are {allowed}.")
        self.key = key
        self.value = value
        self.allowed = allowed


class WorkteamMode(Enum):
    """Where the Ground Truth work team comes from."""

    CREATE = "create"
    IMPORT_WORKTEAM = "import-workteam"
    IMPORT_USER_POOL = "import-user-pool"


@dataclass(frozen=True, slots=True)
class SesSender:
    """The Amazon SES identity a created user pool sends its e-mail with, instead of Cognito's built-in sender."""

    from_email: str
    verified_domain: str | None
    """The verified SES domain identity ``from_email`` belongs to; None when the address itself is verified."""


class _ContextNode(Protocol):
    def try_get_context(self, key: str) -> Any: ...


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the app is configured with; built once from CDK context by ``from_context``."""

    region: str
    account: str | None
    prefix: str
    source: S3Location
    experiment: str
    workteam_mode: WorkteamMode
    workteam_arn: str | None
    user_pool_id: str | None
    user_pool_client_id: str | None
    worker_emails: tuple[str, ...]
    notification_email: str | None
    ses_sender: SesSender | None

    @property
    def imported_workteam_name(self) -> str | None:
        """Return the name part of an imported work team ARN (DescribeWorkteam takes the name)."""
        if self.workteam_arn is None:
            return None
        match = _WORKTEAM_ARN.match(self.workteam_arn)
        return match["name"] if match else None

    @property
    def input_prefix(self) -> str:
        """Return the key prefix the demo data is copied to and the Ground Truth role reads."""
        return f"{self.experiment}/input/"

    @property
    def output_prefix(self) -> str:
        """Return the key prefix Ground Truth writes its output to."""
        return f"{self.experiment}/output/"

    @classmethod
    def from_context(cls, node: _ContextNode, environ: Mapping[str, str] | None = None) -> Settings:
        """Read and validate every setting; raise ``InvalidSettingError`` on the first bad one."""
        env = os.environ if environ is None else environ
        region = _region(_text(node, "region") or env.get("CDK_DEFAULT_REGION", "").strip() or DEFAULT_REGION)
        mode = _workteam_mode(_text(node, "workteam_mode") or WorkteamMode.CREATE.value)
        workteam_arn = _optional(node, "workteam_arn")
        user_pool_id = _optional(node, "user_pool_id")
        client_id = _optional(node, "user_pool_client_id")
        worker_emails = _emails(node.try_get_context("worker_emails"))
        _check_mode_settings(mode, region, workteam_arn, user_pool_id, client_id, worker_emails)
        ses_sender = _ses_sender(mode, _optional(node, "ses_from_email"), _optional(node, "ses_verified_domain"))
        _check_invitation_volume(mode, worker_emails, ses_sender)
        notification_email = _optional(node, "notification_email")
        if notification_email is not None and not _EMAIL.match(notification_email):
            raise InvalidSettingError("notification_email", notification_email, "one e-mail address, or empty")
        return cls(
            region=region,
            account=env.get("CDK_DEFAULT_ACCOUNT") or None,
            prefix=_prefix(_text(node, "prefix") or "gt3d"),
            source=_source(_text(node, "source_uri") or DEFAULT_SOURCE_URI),
            experiment=_experiment(_text(node, "experiment") or "gt3d-demo"),
            workteam_mode=mode,
            workteam_arn=workteam_arn,
            user_pool_id=user_pool_id,
            user_pool_client_id=client_id,
            worker_emails=worker_emails,
            notification_email=notification_email,
            ses_sender=ses_sender,
        )


def _text(node: _ContextNode, key: str) -> str:
    value = node.try_get_context(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidSettingError(key, value, "a string")
    return value.strip()


def _optional(node: _ContextNode, key: str) -> str | None:
    return _text(node, key) or None


def _region(region: str) -> str:
    try:
        require_supported_region(region)
    except UnsupportedRegionError as error:
        raise InvalidSettingError(
            "region", region, f"the Ground Truth 3D point cloud regions: {', '.join(SUPPORTED_REGIONS)}"
        ) from error
    return region


def _workteam_mode(value: str) -> WorkteamMode:
    try:
        return WorkteamMode(value)
    except ValueError:
        raise InvalidSettingError("workteam_mode", value, " | ".join(m.value for m in WorkteamMode)) from None


def _prefix(value: str) -> str:
    if len(value) > _PREFIX_MAX or not _PREFIX.match(value) or any(word in value for word in _PREFIX_RESERVED):
        raise InvalidSettingError(
            "prefix",
            value,
            f"at most {_PREFIX_MAX} lowercase letters, digits and single hyphens, starting with a letter, "
            f"without {', '.join(_PREFIX_RESERVED)} (the prefix names the Cognito domain)",
        )
    return value


def _source(value: str) -> S3Location:
    allowed = "an s3://bucket/prefix/ URI with a valid bucket name"
    if not value.startswith("s3://") or "*" in value or "//" in value.removeprefix("s3://"):
        raise InvalidSettingError("source_uri", value, allowed)
    if not value.endswith("/") and "/" in value.removeprefix("s3://"):
        value += "/"  # a prefix names a folder here: "demos" must not also match "demos-old/"
    try:
        return S3Location.parse(value)
    except ValueError:
        raise InvalidSettingError("source_uri", value, allowed) from None


def _experiment(value: str) -> str:
    if len(value) > _EXPERIMENT_MAX or not _EXPERIMENT.match(value):
        raise InvalidSettingError(
            "experiment",
            value,
            "an S3 key prefix of letters, digits, '.', '_', '-' and inner '/', without leading or trailing '/'",
        )
    return value


def _emails(raw: object) -> tuple[str, ...]:
    allowed = "e-mail addresses, comma-separated or a JSON list"
    if raw is None or raw == "":
        return ()
    if isinstance(raw, str):
        text = raw.strip()
        if text.startswith("["):
            try:
                raw = json.loads(text)
            except json.JSONDecodeError:
                raise InvalidSettingError("worker_emails", raw, allowed) from None
        else:
            raw = text.split(",")
    if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
        raise InvalidSettingError("worker_emails", raw, allowed)
    emails: dict[str, str] = {}
    for item in (entry.strip() for entry in raw):
        if not item:
            continue
        if not _EMAIL.match(item):
            raise InvalidSettingError("worker_emails", item, allowed)
        emails.setdefault(item.lower(), item)
    return tuple(emails.values())


def _check_mode_settings(
    mode: WorkteamMode,
    region: str,
    workteam_arn: str | None,
    user_pool_id: str | None,
    client_id: str | None,
    worker_emails: tuple[str, ...],
) -> None:
    """Require exactly the settings the work team mode uses, so nothing configured is silently ignored."""
    needs_arn = mode is WorkteamMode.IMPORT_WORKTEAM
    needs_pool = mode is WorkteamMode.IMPORT_USER_POOL
    if needs_arn:
        match = _WORKTEAM_ARN.match(workteam_arn or "")
        if match is None or match["region"] != region:
            raise InvalidSettingError(
                "workteam_arn",
                workteam_arn,
                f"a work team ARN arn:aws:sagemaker:{region}:<account>:workteam/private-crowd/<name>",
            )
        if worker_emails:
            raise InvalidSettingError(
                "worker_emails",
                ",".join(worker_emails),
                "empty with workteam_mode=import-workteam (this app does not manage that team's pool)",
            )
    elif workteam_arn is not None:
        raise InvalidSettingError("workteam_arn", workteam_arn, "empty unless workteam_mode=import-workteam")
    if needs_pool:
        match = _USER_POOL_ID.match(user_pool_id or "")
        if match is None or match["region"] != region:
            raise InvalidSettingError(
                "user_pool_id", user_pool_id, f"a Cognito user pool id in {region} ({region}_<id>)"
            )
        if client_id is None or not _CLIENT_ID.match(client_id):
            raise InvalidSettingError(
                "user_pool_client_id", client_id, "the pool's app client id (lowercase letters and digits)"
            )
    else:
        for key, value in (("user_pool_id", user_pool_id), ("user_pool_client_id", client_id)):
            if value is not None:
                raise InvalidSettingError(key, value, "empty unless workteam_mode=import-user-pool")


def _ses_sender(mode: WorkteamMode, from_email: str | None, verified_domain: str | None) -> SesSender | None:
    """Return the SES sender of a pool this app creates; only ``create`` mode has such a pool to configure."""
    if from_email is None:
        if verified_domain is not None:
            raise InvalidSettingError("ses_verified_domain", verified_domain, "empty unless ses_from_email is set")
        return None
    if mode is not WorkteamMode.CREATE:
        raise InvalidSettingError(
            "ses_from_email",
            from_email,
            f"empty with workteam_mode={mode.value} (this app configures only a user pool it creates)",
        )
    if not _EMAIL.match(from_email):
        raise InvalidSettingError("ses_from_email", from_email, "one e-mail address verified in Amazon SES, or empty")
    sender_domain = from_email.rsplit("@", 1)[1]
    if verified_domain is not None and verified_domain.lower() != sender_domain.lower():
        raise InvalidSettingError(
            "ses_verified_domain", verified_domain, f"the domain of ses_from_email ({sender_domain}), or empty"
        )
    # Spelled as in the address: CDK compares the two literally when it builds the identity ARN.
    return SesSender(from_email=from_email, verified_domain=sender_domain if verified_domain is not None else None)


def _check_invitation_volume(mode: WorkteamMode, worker_emails: tuple[str, ...], ses_sender: SesSender | None) -> None:
    """Refuse more invitations than Cognito's built-in e-mail sends in a day; an SES sender lifts that limit."""
    if mode is WorkteamMode.CREATE and ses_sender is None and len(worker_emails) > COGNITO_EMAILS_PER_DAY:
        raise InvalidSettingError(
            "worker_emails",
            f"{len(worker_emails)} addresses",
            f"at most {COGNITO_EMAILS_PER_DAY} addresses while the user pool sends with Cognito's built-in e-mail "
            f"({COGNITO_EMAILS_PER_DAY} messages a day per account, "
            "https://docs.aws.amazon.com/cognito/latest/developerguide/quotas.html); to invite more, set "
            "ses_from_email to an address verified in Amazon SES (and ses_verified_domain if its domain is the "
            "verified identity)",
        )
