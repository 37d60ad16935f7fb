"""Private workforce constructs: the Cognito pool and client, the work team with its workers, the portal resource."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass

import jsii
from aws_cdk import Aws, CfnResource, CustomResource, Duration, IStableStringProducer, Lazy, RemovalPolicy, Stack
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sagemaker as sagemaker
from aws_cdk import aws_sns as sns
from aws_cdk import custom_resources as cr
from constructs import Construct, IConstruct

from gt3d_core.workforce import PORTAL_URL_PLACEHOLDER, SAGEMAKER_SERVICE_PRINCIPAL
from stacks.constructs.explicit_role import ExplicitRole
from stacks.constructs.lambda_function import LOG_RETENTION, PipelineFunction
from stacks.constructs.nag import acknowledge

# Cognito requires a callback URL on an OAuth client before the portal exists; the portal custom resource
# replaces both URLs with the team's own as soon as the team has been created, before any worker is invited.
_URL_BEFORE_PORTAL_EXISTS = "https://localhost"

INVITE_SUBJECT = "You are invited to label 3D point clouds"
INITIAL_INVITE_MESSAGE = (
    "You have been invited to a Ground Truth 3D point cloud labeling team. "
    "Your username is {username} and your temporary password is {####}."
)
INVITE_MESSAGE = (
    "You have been invited to a Ground Truth 3D point cloud labeling team. Sign in to the labeling portal at "
    f"{PORTAL_URL_PLACEHOLDER} with username {{username}} and temporary password {{####}}; you will be asked to "
    "choose a new password."
)


@dataclass(frozen=True, slots=True)
class WorkforcePool:
    """A Cognito user pool and app client Ground Truth signs workers in with (created here or imported)."""

    user_pool: cognito.IUserPool
    client_id: str
    owned: bool
    """True when this app created the pool and client, so it may set their URLs and invite message outright."""


class CognitoWorkforce(Construct):
    """A Cognito user pool for admin-invited workers, its hosted-UI domain and an app client set up for Ground Truth."""

    def __init__(self, scope: Construct, construct_id: str, *, prefix: str) -> None:
        super().__init__(scope, construct_id)
        self.user_pool = cognito.UserPool(
            self,
            "UserPool",
            user_pool_name=f"{prefix}-workforce",
            self_sign_up_enabled=False,
            sign_in_aliases=cognito.SignInAliases(email=True),
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            standard_attributes=cognito.StandardAttributes(
                email=cognito.StandardAttribute(required=True, mutable=True)
            ),
            password_policy=cognito.PasswordPolicy(
                min_length=12,
                require_lowercase=True,
                require_uppercase=True,
                require_digits=True,
                require_symbols=True,
                temp_password_validity=Duration.days(7),
            ),
            mfa=cognito.Mfa.OPTIONAL,
            mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            feature_plan=cognito.FeaturePlan.ESSENTIALS,
            user_invitation=cognito.UserInvitationConfig(
                email_subject=INVITE_SUBJECT, email_body=INITIAL_INVITE_MESSAGE
            ),
            deletion_protection=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        pool_resource = self.user_pool.node.default_child
        assert pool_resource is not None
        acknowledge(
            pool_resource,
            "AwsSolutions-COG2",
            "TOTP MFA is offered (optional), not required: workers are invited by an administrator and first sign in "
            "through the Ground Truth portal, and Cognito only lets a pool require MFA if it did so from creation, "
            "so requiring it would be irreversible for a demo workforce. Set Mfa.REQUIRED for a production pool.",
        )
        acknowledge(
            pool_resource,
            "AwsSolutions-COG8",
            "The Plus feature plan (threat protection) is billed per monthly active user; this pool admits only "
            "administrator-invited users, with a 12-character, four-character-class password policy.",
        )
        self.domain = self.user_pool.add_domain(
            "Domain",
            cognito_domain=cognito.CognitoDomainOptions(domain_prefix=f"{prefix}-workforce-{Aws.ACCOUNT_ID}"),
        )
        self.client = self.user_pool.add_client(
            "AppClient",
            generate_secret=True,
            auth_flows=cognito.AuthFlow(user_srp=True),
            o_auth=cognito.OAuthSettings(
                flows=cognito.OAuthFlows(authorization_code_grant=True, implicit_code_grant=True),
                scopes=[cognito.OAuthScope.EMAIL, cognito.OAuthScope.OPENID, cognito.OAuthScope.PROFILE],
                callback_urls=[f"{_URL_BEFORE_PORTAL_EXISTS}/oauth2/idpresponse"],
                logout_urls=[f"{_URL_BEFORE_PORTAL_EXISTS}/logout"],
            ),
            supported_identity_providers=[cognito.UserPoolClientIdentityProvider.COGNITO],
            prevent_user_existence_errors=True,
        )

    def as_pool(self) -> WorkforcePool:
        """Return the pool and client as the work team uses them."""
        return WorkforcePool(user_pool=self.user_pool, client_id=self.client.user_pool_client_id, owned=True)


class PrivateWorkteam(Construct):
    """A Cognito group, the ``AWS::SageMaker::Workteam`` on it, its worker notification topic and its workers."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        prefix: str,
        pool: WorkforcePool,
        depends_on: Sequence[Construct] = (),
    ) -> None:
        super().__init__(scope, construct_id)
        self.group = cognito.UserPoolGroup(
            self,
            "Group",
            user_pool=pool.user_pool,
            description=f"Workers of the {prefix} Ground Truth 3D labeling team",
        )
        self.notification_topic = self._notification_topic()
        self.workteam = sagemaker.CfnWorkteam(
            self,
            "Workteam",
            workteam_name=f"{prefix}-workteam",
            description=f"{prefix}: private team labeling 3D point clouds (Ground Truth)",
            member_definitions=[
                sagemaker.CfnWorkteam.MemberDefinitionProperty(
                    cognito_member_definition=sagemaker.CfnWorkteam.CognitoMemberDefinitionProperty(
                        cognito_user_pool=pool.user_pool.user_pool_id,
                        cognito_user_group=self.group.group_name,
                        cognito_client_id=pool.client_id,
                    )
                )
            ],
            notification_configuration=sagemaker.CfnWorkteam.NotificationConfigurationProperty(
                notification_topic_arn=self.notification_topic.topic_arn
            ),
        )
        for dependency in depends_on:
            self.workteam.node.add_dependency(dependency)

    def _notification_topic(self) -> sns.Topic:
        # Ground Truth publishes as the SageMaker service: it needs the topic policy and this key's policy, which
        # an AWS managed key cannot grant.
        key = kms.Key(
            self,
            "NotificationKey",
            description="Encrypts the work team's task notifications",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        key.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[iam.ServicePrincipal(SAGEMAKER_SERVICE_PRINCIPAL)],
                actions=["kms:GenerateDataKey", "kms:Decrypt"],
                resources=["*"],  # in a key policy, "*" is this key
                conditions={"StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID}},
            )
        )
        topic = sns.Topic(
            self, "NotificationTopic", display_name="Ground Truth labeling tasks", master_key=key, enforce_ssl=True
        )
        topic.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[iam.ServicePrincipal(SAGEMAKER_SERVICE_PRINCIPAL)],
                actions=["sns:Publish"],
                resources=[topic.topic_arn],
                conditions={
                    "ArnLike": {"aws:SourceArn": Stack.of(self).format_arn(service="sagemaker", resource="workteam/*")},
                    "StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID},
                },
            )
        )
        return topic

    @property
    def workteam_arn(self) -> str:
        """Return the work team's ARN."""
        return self.workteam.attr_workteam_arn

    @property
    def workteam_name(self) -> str:
        """Return the work team's name."""
        return self.workteam.attr_workteam_name

    def add_workers(self, pool: WorkforcePool, emails: Sequence[str], *, invite_after: Construct) -> None:
        """Invite each e-mail address as a Cognito user in the team's group, once ``invite_after`` has run."""
        for email in emails:
            # Keyed by a digest: stable when the list changes, and no address in logical ids or paths.
            worker_id = "Worker" + hashlib.sha256(email.lower().encode()).hexdigest()[:12]
            user = cognito.CfnUserPoolUser(
                self,
                worker_id,
                user_pool_id=pool.user_pool.user_pool_id,
                username=email,
                desired_delivery_mediums=["EMAIL"],
                user_attributes=[
                    cognito.CfnUserPoolUser.AttributeTypeProperty(name="email", value=email),
                    cognito.CfnUserPoolUser.AttributeTypeProperty(name="email_verified", value="true"),
                ],
            )
            # The invitation must carry the portal URL, which exists only once the portal resource has run.
            user.node.add_dependency(invite_after)
            membership = cognito.CfnUserPoolUserToGroupAttachment(
                self,
                f"{worker_id}Membership",
                user_pool_id=pool.user_pool.user_pool_id,
                group_name=self.group.group_name,
                username=email,
            )
            membership.add_resource_dependency(user)


@jsii.implements(IStableStringProducer)
class _PropertiesDigest:
    """Produces, at synthesis, a digest of resources' CloudFormation properties."""

    def __init__(self, resources: Sequence[CfnResource]) -> None:
        self._resources = resources

    def produce(self) -> str:
        resolved = [Stack.of(r).resolve(r._cfn_properties) for r in self._resources]
        return hashlib.sha256(json.dumps(resolved, sort_keys=True, default=str).encode()).hexdigest()


class WorkteamPortal(Construct):
    """Custom resource that reads the team's portal domain and points the app client and invitations at it."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        workteam_name: str,
        workteam_arn: str,
        pool: WorkforcePool | None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.handler = PipelineFunction(
            self,
            "Handler",
            handler="workforce_portal.handler",
            description="Closes the work team portal loop: app client URLs and invite message",
            timeout=Duration.minutes(2),
        )
        self.handler.role.allow(actions=["sagemaker:DescribeWorkteam"], resources=[workteam_arn])
        properties: dict[str, str] = {"WorkteamName": workteam_name}
        if pool is not None:
            client_actions = ["cognito-idp:DescribeUserPoolClient", "cognito-idp:UpdateUserPoolClient"]
            pool_actions = ["cognito-idp:DescribeUserPool", "cognito-idp:UpdateUserPool"] if pool.owned else []
            self.handler.role.allow(actions=client_actions + pool_actions, resources=[pool.user_pool.user_pool_arn])
            properties |= {
                "UserPoolId": pool.user_pool.user_pool_id,
                "ClientId": pool.client_id,
                "ReplaceUrls": str(pool.owned).lower(),
            }
            if pool.owned:
                properties |= {"InviteSubject": INVITE_SUBJECT, "InviteMessage": INVITE_MESSAGE}
                # A CloudFormation update of the pool or client resets what this resource set; re-run it then.
                properties["PoolConfigDigest"] = Lazy.string(
                    _PropertiesDigest([_cfn(pool.user_pool), *_cfn_children(pool.user_pool, cognito.CfnUserPoolClient)])
                )
        framework_log_group = logs.LogGroup(
            self, "ProviderLogGroup", retention=LOG_RETENTION, removal_policy=RemovalPolicy.DESTROY
        )
        framework_role = ExplicitRole(
            self,
            "ProviderRole",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Runs the CDK provider framework for the work team portal resource",
        )
        framework_role.allow(
            actions=["logs:CreateLogStream", "logs:PutLogEvents"], resources=[framework_log_group.log_group_arn]
        )
        framework_role.allow(
            actions=["lambda:InvokeFunction", "lambda:GetFunction"], resources=[self.handler.function_arn]
        )
        provider = cr.Provider(
            self,
            "Provider",
            on_event_handler=self.handler.function,
            framework_on_event_role=framework_role.grantable,
            log_group=framework_log_group,
        )
        framework_role.required_by(provider.node.find_child("framework-onEvent"))
        self.resource = CustomResource(
            self,
            "Resource",
            service_token=provider.service_token,
            properties=properties,
            resource_type="Custom::WorkteamPortal",
        )
        self.portal_url = self.resource.get_att_string("PortalUrl")


def _cfn(construct: IConstruct) -> CfnResource:
    resource = construct.node.default_child
    assert isinstance(resource, CfnResource)
    return resource


def _cfn_children(construct: IConstruct, kind: type[CfnResource]) -> list[CfnResource]:
    return [child for child in construct.node.find_all() if isinstance(child, kind)]
