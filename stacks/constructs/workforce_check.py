"""PrivateWorkforceCheck: refuses, before anything retained exists, to create a second private workforce."""

from __future__ import annotations

from aws_cdk import Aws, CfnResource
from constructs import Construct

from stacks.constructs.custom_resource import HandlerCustomResource
from stacks.constructs.lambda_function import timeout_for_sdk_calls

_HANDLER_SDK_CALLS = 3
"""DescribeStackResource, then ListWorkforces (a page for the one private workforce, one more for vendor ones)."""


class PrivateWorkforceCheck(HandlerCustomResource):
    """Custom resource that fails, naming the existing workforce and the settings to use it, if the region has one.

    An account has one private workforce per region
    (https://docs.aws.amazon.com/sagemaker/latest/dg/sms-security-workforce-authentication.html). Make every
    resource of the pool and team depend on ``resource`` (``require_before``) so that a failed check leaves nothing
    retained behind. ``own_user_pool`` is the pool the stack creates: a workforce already bound to it is the
    stack's own (a stack deployed before this check existed).
    """

    def __init__(self, scope: Construct, construct_id: str, *, own_user_pool: CfnResource) -> None:
        super().__init__(
            scope,
            construct_id,
            handler="existing_workforce_check.handler",
            description="Fails a create-mode deployment in a region that already has a private workforce",
            resource_type="Custom::PrivateWorkforceCheck",
            # The logical id, not a reference: the pool must be free to depend on this resource.
            properties={"UserPoolLogicalId": own_user_pool.logical_id},
            timeout=timeout_for_sdk_calls(_HANDLER_SDK_CALLS),
        )
        self.handler.role.allow(
            actions=["sagemaker:ListWorkforces"],
            resources=["*"],
            wildcard_reason="sagemaker:ListWorkforces has no resource types in the Service Authorization Reference "
            "(https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsagemaker.html), so it "
            'only accepts Resource "*"; the check lists the region\'s workforces and changes nothing.',
        )
        self.handler.role.allow(actions=["cloudformation:DescribeStackResource"], resources=[Aws.STACK_ID])

    def require_before(self, *constructs: Construct) -> None:
        """Make every resource in ``constructs`` wait for the check, so none is created if it fails."""
        for construct in constructs:
            construct.node.add_dependency(self.resource)
