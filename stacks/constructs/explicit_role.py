"""ExplicitRole: an IAM role whose only permissions are the statements written here, one by one."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from aws_cdk import CfnResource, Duration
from aws_cdk import aws_iam as iam
from constructs import Construct, IConstruct

from stacks.constructs.nag import acknowledge, wildcard_resource_finding


class ExplicitRole(Construct):
    """An IAM role plus one inline policy; CDK's implicit grants to it are dropped, so every permission is explicit."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        assumed_by: iam.IPrincipal,
        description: str,
        max_session_duration: Duration | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.role = iam.Role(
            self, "Role", assumed_by=assumed_by, description=description, max_session_duration=max_session_duration
        )
        self.policy = iam.Policy(self, "Policy", roles=[self.role])
        # Handed to L2 constructs (functions, state machines): their automatic grants (function versions
        # `:*`, log delivery, X-Ray) would otherwise add statements nobody reviewed.
        self.grantable: iam.IRole = self.role.without_policy_updates()

    def required_by(self, dependent: IConstruct) -> None:
        """Make ``dependent``'s CloudFormation resource wait for this role's policy: it may act once it exists."""
        dependent_resource = dependent.node.default_child
        policy_resource = self.policy.node.default_child
        assert isinstance(dependent_resource, CfnResource) and isinstance(policy_resource, CfnResource)
        dependent_resource.add_resource_dependency(policy_resource)

    @property
    def role_arn(self) -> str:
        """Return the role's ARN."""
        return self.role.role_arn

    def allow(
        self,
        *,
        actions: Sequence[str],
        resources: Sequence[str],
        conditions: Mapping[str, Any] | None = None,
        wildcard_reason: str | None = None,
    ) -> None:
        """Add one Allow statement; a wildcard resource needs ``wildcard_reason``, recorded as its acknowledgment."""
        if any("*" in action for action in actions):
            raise ValueError(f"{self.node.path}: wildcard actions are not allowed: {list(actions)}")
        self.policy.add_statements(
            iam.PolicyStatement(
                actions=list(actions), resources=list(resources), conditions=dict(conditions) if conditions else None
            )
        )
        policy_resource = self.policy.node.default_child
        assert policy_resource is not None
        for resource in resources:
            finding = wildcard_resource_finding(policy_resource, resource)
            if finding is None:
                continue
            if not wildcard_reason:
                raise ValueError(f"{self.node.path}: {finding} needs a wildcard_reason")
            acknowledge(policy_resource, finding, wildcard_reason)
