"""The Cognito side of the private workforce: the user pool and app client Ground Truth signs workers in with."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Aws, Duration, RemovalPolicy, Stack
from aws_cdk import aws_cognito as cognito
from constructs import Construct

from stacks.config import SesSender
from stacks.constructs.lambda_function import PipelineFunction
from stacks.constructs.nag import acknowledge

# Cognito requires a callback URL on an OAuth client before the portal exists; the portal custom resource
# replaces both URLs with the team's own as soon as the team has been created, before any worker is invited.
_URL_BEFORE_PORTAL_EXISTS = "https://localhost"

# Cognito waits 5 seconds for a trigger, whatever the function's own timeout:
# https://docs.aws.amazon.com/cognito/latest/developerguide/cognito-user-pools-working-with-lambda-triggers.html
_COGNITO_TRIGGER_WAIT = Duration.seconds(5)


@dataclass(frozen=True, slots=True)
class WorkforcePool:
    """A Cognito user pool and app client Ground Truth signs workers in with (created here or imported)."""

    user_pool: cognito.IUserPool
    client_id: str
    owned: bool
    """True when this app created the pool and client, so it may set the client's URLs outright."""


class CognitoWorkforce(Construct):
    """A Cognito user pool for admin-invited workers, its hosted-UI domain and an app client set up for Ground Truth.

    Invitations carry the labeling portal URL through a ``CustomMessage`` trigger that looks the team up by name,
    so nothing ever rewrites the pool's settings after creation (``UpdateUserPool`` resets what it is not sent).
    The pool has no invitation template of its own: Cognito lets a configured template override the body a custom
    message function sets (https://docs.aws.amazon.com/cognito/latest/developerguide/user-pool-lambda-custom-message.html).
    """

    def __init__(
        self, scope: Construct, construct_id: str, *, prefix: str, workteam_name: str, ses_sender: SesSender | None
    ) -> None:
        super().__init__(scope, construct_id)
        self.invitation_trigger = PipelineFunction(
            self,
            "InvitationTrigger",
            handler="workforce_invitation.handler",
            description="Cognito CustomMessage trigger: puts the labeling portal URL into worker invitations",
            environment={"WORKTEAM_NAME": workteam_name},
            timeout=_COGNITO_TRIGGER_WAIT,
        )
        # By name, not by reference: the team is created after (and from) this pool.
        self.invitation_trigger.role.allow(
            actions=["sagemaker:DescribeWorkteam"],
            resources=[
                Stack.of(self).format_arn(
                    service="sagemaker", resource="workteam", resource_name=f"private-crowd/{workteam_name}"
                )
            ],
        )
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
            lambda_triggers=cognito.UserPoolTriggers(custom_message=self.invitation_trigger.function),
            email=_email(ses_sender),
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


def _email(ses_sender: SesSender | None) -> cognito.UserPoolEmail | None:
    """Return the pool's sender: Amazon SES when configured, else Cognito's built-in e-mail (the default).

    https://docs.aws.amazon.com/cognito/latest/developerguide/user-pool-email.html
    """
    if ses_sender is None:
        return None
    return cognito.UserPoolEmail.with_ses(
        from_email=ses_sender.from_email, ses_verified_domain=ses_sender.verified_domain
    )
