"""cdk-nag acknowledgments: each on one exact resource, with the finding id cdk-nag itself reports."""

from __future__ import annotations

import json
from typing import Any

from aws_cdk import Acknowledgment, Stack, Validations
from constructs import IConstruct


def acknowledge(resource: IConstruct, rule: str, reason: str) -> None:
    """Acknowledge one cdk-nag finding on one resource (never a stack), saying why it is acceptable."""
    Validations.of(resource).acknowledge(Acknowledgment(id=rule, reason=reason))


def wildcard_resource_finding(scope: IConstruct, resource: str) -> str | None:
    """Return the ``AwsSolutions-IAM5`` finding id cdk-nag reports for ``resource``, or None if it has no wildcard.

    The resource must already resolve to its final form in ``scope``'s stack (a local reference, a literal or an
    explicit cross-stack ``Fn::ImportValue``), which is the form cdk-nag sees after synthesis.
    """
    flat = _flatten(Stack.of(scope).resolve(resource))
    return f"AwsSolutions-IAM5[Resource::{flat}]" if "*" in flat else None


def _flatten(node: Any) -> str:
    """Mirror cdk-nag's ``flattenCfnReference`` so acknowledgment ids match its findings exactly."""
    if node is None:
        return ""
    if isinstance(node, str):
        return node.replace("${", "<").replace("}", ">")
    if isinstance(node, dict):
        if "Fn::Join" in node:
            delimiter, items = node["Fn::Join"]
            return str(delimiter).join(_flatten(item) for item in items)
        if "Fn::Sub" in node:
            return _flatten(node["Fn::Sub"])
        if "Fn::GetAtt" in node:
            logical_id, attribute = node["Fn::GetAtt"]
            return f"<{_flatten(logical_id)}.{_flatten(attribute)}>"
        if "Fn::ImportValue" in node:
            return _flatten(node["Fn::ImportValue"])
        if "Ref" in node:
            return f"<{_flatten(node['Ref'])}>"
    return json.dumps(node, separators=(",", ":"))
