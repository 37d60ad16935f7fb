"""PipelineStack [stateless]: the Ground Truth execution role, one Lambda per step, the state machine, results topic."""

from __future__ import annotations

from typing import Any

from aws_cdk import Aws, CfnOutput, Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from gt3d_core.catalog import MAX_SESSION_DURATION_SECONDS
from gt3d_core.workforce import SAGEMAKER_SERVICE_PRINCIPAL
from stacks.config import Settings
from stacks.constructs.explicit_role import ExplicitRole
from stacks.constructs.labeling_workflow import LabelingWorkflow, WorkflowFunctions
from stacks.constructs.lambda_function import PipelineFunction
from stacks.constructs.s3_access import BucketPrefix, allow_read, allow_write


class PipelineStack(Stack):
    """Everything that runs a labeling job; holds no data, so it can be destroyed and redeployed at will."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: Settings,
        labeling_bucket: s3.IBucket,
        workteam_arn: str,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        # An explicit export gives the bucket name its final Fn::ImportValue form now, so IAM resources built
        # from it (and the cdk-nag acknowledgments that name them) are exactly what synthesis emits.
        bucket_name = Stack.of(labeling_bucket).export_value(labeling_bucket.bucket_name)
        self.add_stack_dependency(Stack.of(labeling_bucket))
        source = BucketPrefix(settings.source.bucket, settings.source.prefix)
        self.input_location = BucketPrefix(bucket_name, settings.input_prefix)
        self.output_location = BucketPrefix(bucket_name, settings.output_prefix)

        self.execution_role = self._ground_truth_role()
        self.functions = self._functions(settings, source, workteam_arn)
        self.results_topic = sns.Topic(
            self,
            "ResultsTopic",
            display_name=f"{settings.prefix} labeling results",
            enforce_ssl=True,
            # The AWS managed key: only this account's principals (the workflow role) publish here.
            master_key=kms.Alias.from_alias_name(self, "SnsManagedKey", "alias/aws/sns"),
        )
        if settings.notification_email:
            self.results_topic.add_subscription(subscriptions.EmailSubscription(settings.notification_email))
        self.workflow = LabelingWorkflow(
            self,
            "LabelingWorkflow",
            functions=WorkflowFunctions(**{step: fn.function for step, fn in self.functions.items()}),
            results_topic=self.results_topic,
        )
        self.state_machine = self.workflow.state_machine

        CfnOutput(
            self, "StateMachineArn", value=self.state_machine.state_machine_arn, description="Start executions here"
        )
        CfnOutput(
            self, "GroundTruthRoleArn", value=self.execution_role.role_arn, description="Labeling jobs' execution role"
        )
        CfnOutput(self, "ResultsTopicArn", value=self.results_topic.topic_arn, description="Job outcome notifications")

    def _ground_truth_role(self) -> ExplicitRole:
        """The role Ground Truth assumes for the job: the input prefix, the output prefix, nothing else."""
        role = ExplicitRole(
            self,
            "GroundTruthExecutionRole",
            assumed_by=iam.ServicePrincipal(SAGEMAKER_SERVICE_PRINCIPAL).with_conditions(
                {"StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID}}
            ),
            description="Assumed by SageMaker Ground Truth for 3D point cloud labeling jobs",
            # Ground Truth needs the session to last as long as a task may (above 8 hours it requires >= 8 hours).
            max_session_duration=Duration.seconds(MAX_SESSION_DURATION_SECONDS),
        )
        allow_read(role, self.input_location, list_keys=True)
        # Ground Truth reads back what it writes under the output prefix (worker responses it consolidates).
        allow_read(role, self.output_location, list_keys=False)
        allow_write(role, self.output_location)
        return role

    def _functions(self, settings: Settings, source: BucketPrefix, workteam_arn: str) -> dict[str, PipelineFunction]:
        plan = PipelineFunction(
            self,
            "PlanLabelingJob",
            handler="plan_labeling_job.handler",
            description="Validates the execution input and plans the labeling job",
            environment={
                "SOURCE_URI": source.uri,
                "INPUT_URI": self.input_location.uri,
                "OUTPUT_URI": self.output_location.uri,
                "RESOURCE_PREFIX": settings.prefix,
            },
        )
        copy = PipelineFunction(
            self,
            "CopyData",
            handler="copy_data.handler",
            description="Copies the manifest, label categories and referenced objects to the input location",
            timeout=Duration.minutes(15),
            memory_size=1024,
        )
        allow_read(copy.role, source, list_keys=True)
        # Reading the input prefix too lets a re-run find (HeadObject/ListObjectsV2) what it already copied.
        allow_read(copy.role, self.input_location, list_keys=True)
        allow_write(copy.role, self.input_location)

        rewrite = PipelineFunction(
            self,
            "RewriteManifests",
            handler="rewrite_manifests.handler",
            description="Points the copied manifests and sequence files at the input location",
            timeout=Duration.minutes(5),
            memory_size=512,
        )
        allow_read(rewrite.role, self.input_location, list_keys=False)
        allow_write(rewrite.role, self.input_location)

        labeling_jobs = self.format_arn(service="sagemaker", resource="labeling-job", resource_name="*")
        job_reason = (
            "Labeling job names are chosen per execution; access is limited to labeling jobs of this account "
            "and region."
        )
        create = PipelineFunction(
            self,
            "CreateLabelingJob",
            handler="create_labeling_job.handler",
            description="Creates the Ground Truth labeling job",
            environment={"GROUND_TRUTH_ROLE_ARN": self.execution_role.role_arn, "WORKTEAM_ARN": workteam_arn},
        )
        create.role.allow(
            actions=["sagemaker:CreateLabelingJob"],
            resources=[labeling_jobs],
            conditions={"ArnEquals": {"sagemaker:WorkteamArn": workteam_arn}},
            wildcard_reason=job_reason,
        )
        create.role.allow(
            actions=["sagemaker:DescribeLabelingJob"], resources=[labeling_jobs], wildcard_reason=job_reason
        )
        create.role.allow(
            actions=["iam:PassRole"],
            resources=[self.execution_role.role_arn],
            conditions={"StringEquals": {"iam:PassedToService": SAGEMAKER_SERVICE_PRINCIPAL}},
        )

        monitor = PipelineFunction(
            self,
            "MonitorLabelingJob",
            handler="monitor_labeling_job.handler",
            description="Reports the labeling job's status and when to look again",
        )
        monitor.role.allow(
            actions=["sagemaker:DescribeLabelingJob"], resources=[labeling_jobs], wildcard_reason=job_reason
        )
        return {"plan": plan, "copy": copy, "rewrite": rewrite, "create": create, "monitor": monitor}
