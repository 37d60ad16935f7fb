"""WorkforceStack [stateful]: the private work team labeling jobs are sent to, created or imported."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, CfnResource, Stack
from aws_cdk import aws_cognito as cognito
from constructs import Construct

from gt3d_core.workforce import workteam_name
from stacks.config import Settings, WorkteamMode
from stacks.constructs.workforce_check import PrivateWorkforceCheck
from stacks.constructs.workforce_pool import CognitoWorkforce, WorkforcePool
from stacks.constructs.workteam import PrivateWorkteam
from stacks.constructs.workteam_portal import WorkteamPortal


class WorkforceStack(Stack):
    """The work team (with its pool, client and workers where this app owns them) and its labeling portal URL."""

    def __init__(self, scope: Construct, construct_id: str, *, settings: Settings, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.workforce: CognitoWorkforce | None = None
        self.workforce_check: PrivateWorkforceCheck | None = None
        self.team: PrivateWorkteam | None = None
        pool: WorkforcePool | None = None

        if settings.workteam_mode is WorkteamMode.IMPORT_WORKTEAM:
            assert settings.workteam_arn is not None and settings.imported_workteam_name is not None
            self.workteam_arn = settings.workteam_arn
            team_name = settings.imported_workteam_name
        else:
            if settings.workteam_mode is WorkteamMode.CREATE:
                self.workforce = CognitoWorkforce(
                    self,
                    "Workforce",
                    prefix=settings.prefix,
                    workteam_name=workteam_name(settings.prefix),
                    ses_sender=settings.ses_sender,
                )
                pool = self.workforce.as_pool()
                # Ground Truth requires the pool to have a domain when the team is created.
                depends_on: list[Construct] = [self.workforce.domain]
            else:
                assert settings.user_pool_id is not None and settings.user_pool_client_id is not None
                pool = WorkforcePool(
                    user_pool=cognito.UserPool.from_user_pool_id(self, "ImportedUserPool", settings.user_pool_id),
                    client_id=settings.user_pool_client_id,
                    owned=False,
                )
                depends_on = []
            self.team = PrivateWorkteam(self, "Team", prefix=settings.prefix, pool=pool, depends_on=depends_on)
            self.workteam_arn = self.team.workteam_arn
            team_name = self.team.workteam_name
            if self.workforce is not None:
                pool_resource = self.workforce.user_pool.node.default_child
                assert isinstance(pool_resource, CfnResource)
                self.workforce_check = PrivateWorkforceCheck(self, "PrivateWorkforceCheck", own_user_pool=pool_resource)
                self.workforce_check.require_before(self.workforce, self.team)

        self.portal = WorkteamPortal(self, "Portal", workteam_name=team_name, workteam_arn=self.workteam_arn, pool=pool)
        if self.team is not None and pool is not None:
            self.team.add_workers(pool, settings.worker_emails, invite_after=self.portal.resource)
        self.portal_url: str = self.portal.portal_url

        CfnOutput(self, "WorkteamArn", value=self.workteam_arn, description="Private work team labeling jobs use")
        CfnOutput(self, "LabelingPortalUrl", value=self.portal_url, description="Where workers sign in and label")
        if self.team is not None:
            CfnOutput(
                self,
                "WorkerNotificationTopicArn",
                value=self.team.notification_topic.topic_arn,
                description="Ground Truth tells the team's workers about new tasks here (e-mail subscriptions)",
            )
