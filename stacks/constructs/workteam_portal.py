"""WorkteamPortal: the custom resource that reads the team's portal domain and points the app client at it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

import jsii
from aws_cdk import CfnResource, Duration, IStableStringProducer, Lazy, Stack
from aws_cdk import aws_cognito as cognito
from constructs import Construct, IConstruct

from stacks.constructs.custom_resource import HandlerCustomResource
from stacks.constructs.workforce_pool import WorkforcePool


@jsii.implements(IStableStringProducer)
class _PropertiesDigest:
    """Produces, at synthesis, a digest of resources' CloudFormation properties."""

    def __init__(self, resources: Sequence[CfnResource]) -> None:
        self._resources = resources

    def produce(self) -> str:
        resolved = [Stack.of(r).resolve(r._cfn_properties) for r in self._resources]
        return hashlib.sha256(json.dumps(resolved, sort_keys=True, default=str).encode()).hexdigest()


class WorkteamPortal(HandlerCustomResource):
    """Custom resource that reads the team's portal domain, sets the app client's URLs and returns the portal URL.

    It changes the app client only (``UpdateUserPoolClient`` with the complete described configuration), never the
    user pool: the invitation gets the URL from the pool's ``CustomMessage`` trigger in ``create`` mode, and an
    imported pool is not this app's to change (its invitations say nothing of the portal; the URL is the stack's
    ``LabelingPortalUrl`` output).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        workteam_name: str,
        workteam_arn: str,
        pool: WorkforcePool | None,
    ) -> None:
        properties: dict[str, str] = {"WorkteamName": workteam_name}
        if pool is not None:
            properties |= {
                "UserPoolId": pool.user_pool.user_pool_id,
                "ClientId": pool.client_id,
                "ReplaceUrls": str(pool.owned).lower(),
            }
            if pool.owned:
                # A CloudFormation update of the client resets the URLs this resource set; re-run it then.
                properties["ClientConfigDigest"] = Lazy.string(
                    _PropertiesDigest(_cfn_children(pool.user_pool, cognito.CfnUserPoolClient))
                )
        super().__init__(
            scope,
            construct_id,
            handler="workforce_portal.handler",
            description="Closes the work team portal loop: the app client's callback and logout URLs",
            resource_type="Custom::WorkteamPortal",
            properties=properties,
            timeout=Duration.minutes(2),
        )
        self.handler.role.allow(actions=["sagemaker:DescribeWorkteam"], resources=[workteam_arn])
        if pool is not None:
            self.handler.role.allow(
                actions=["cognito-idp:DescribeUserPoolClient", "cognito-idp:UpdateUserPoolClient"],
                resources=[pool.user_pool.user_pool_arn],
            )
        self.portal_url = self.resource.get_att_string("PortalUrl")


def _cfn_children(construct: IConstruct, kind: type[CfnResource]) -> list[CfnResource]:
    return [child for child in construct.node.find_all() if isinstance(child, kind)]
