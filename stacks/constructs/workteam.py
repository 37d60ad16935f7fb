"""The private work team: its Cognito group, the ``AWS::SageMaker::Workteam``, its notification topic and workers."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from aws_cdk import RemovalPolicy, Stack
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sagemaker as sagemaker
from aws_cdk import aws_sns as sns
from constructs import Construct

from gt3d_core.workforce import SAGEMAKER_SERVICE_PRINCIPAL, workteam_name
from stacks.constructs.workforce_pool import WorkforcePool

SNS_TOPIC_ENCRYPTION_CONTEXT_KEY = "kms:EncryptionContext:aws:sns:topicArn"
"""The KMS condition key for the encryption context SNS itself sends (the topic's ARN), whoever publishes."""


class PrivateWorkteam(Construct):
    """A Cognito group, the ``AWS::SageMaker::Workteam`` on it, its worker notification topic and its workers.

    Ground Truth subscribes workers to a team's topic itself only when their Cognito group is created or imported as
    the team is created with its topic (the console's flow), never members added later
    (https://docs.aws.amazon.com/sagemaker/latest/dg/sms-workforce-management-private-sns.html, "Manage worker
    subscriptions"). Workers join this team after it exists, so each gets an e-mail subscription here.
    """

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
        self.notification_topic = self._notification_topic(f"{prefix}-workteam-notifications")
        self.workteam = sagemaker.CfnWorkteam(
            self,
            "Workteam",
            workteam_name=workteam_name(prefix),
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

    def _notification_topic(self, topic_name: str) -> sns.Topic:
        # A customer managed key: Ground Truth publishes as the SageMaker service, which an AWS managed key's
        # policy cannot admit. The topic is named so that the key policy can name it without a circular reference.
        topic_arn = Stack.of(self).format_arn(service="sns", resource=topic_name)
        key = kms.Key(
            self,
            "NotificationKey",
            description="Encrypts the work team's task notifications",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        # An AWS service publishing to an encrypted topic needs kms:GenerateDataKey* and kms:Decrypt in the key
        # policy (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services).
        # The condition is on the encryption context SNS adds to those calls, which AWS documents as a key policy
        # condition for a service publishing to an encrypted topic
        # (https://docs.aws.amazon.com/gamelift/latest/flexmatchguide/queue-notification-sns-sse.html). Not on
        # aws:SourceAccount or aws:SourceArn: no Ground Truth or SNS page says SageMaker sends them, and a condition
        # on a key the request lacks would silently drop every notification.
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="GroundTruthPublishesToTheWorkteamTopic",
                principals=[iam.ServicePrincipal(SAGEMAKER_SERVICE_PRINCIPAL)],
                actions=["kms:GenerateDataKey*", "kms:Decrypt"],
                resources=["*"],  # in a key policy, "*" is this key
                conditions={"StringEquals": {SNS_TOPIC_ENCRYPTION_CONTEXT_KEY: topic_arn}},
            )
        )
        topic = sns.Topic(
            self,
            "NotificationTopic",
            topic_name=topic_name,
            display_name="Ground Truth labeling tasks",
            master_key=key,
            enforce_ssl=True,
        )
        # Ground Truth's own instructions for a work team topic: sagemaker.amazonaws.com may sns:Publish, with no
        # condition (https://docs.aws.amazon.com/sagemaker/latest/dg/sms-workforce-management-private-sns.html);
        # undocumented condition keys are left out for the reason above.
        topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="GroundTruthPublishes",
                principals=[iam.ServicePrincipal(SAGEMAKER_SERVICE_PRINCIPAL)],
                actions=["sns:Publish"],
                resources=[topic.topic_arn],
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
        """Invite each address into the team's group once ``invite_after`` has run, and subscribe it to the topic."""
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
            # SNS e-mails the address a confirmation link; notifications start once the worker confirms.
            sns.Subscription(
                self,
                f"{worker_id}Notifications",
                topic=self.notification_topic,
                protocol=sns.SubscriptionProtocol.EMAIL,
                endpoint=email,
            )
