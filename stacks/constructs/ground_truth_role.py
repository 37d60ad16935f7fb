"""GroundTruthExecutionRole: the role Ground Truth assumes to run labeling jobs, at the documented minimum.

What a built-in task type's execution role needs is listed on "Create a SageMaker AI Execution Role for a Ground
Truth Labeling Job" (https://docs.aws.amazon.com/sagemaker/latest/dg/sms-security-permission-execution-role.html):
read the input objects, write the output objects, ``s3:GetBucketLocation`` and ``s3:ListBucket`` on the buckets,
``cloudwatch:PutMetricData`` for worker metrics, and CloudWatch Logs on ``/aws/sagemaker/LabelingJobs`` for the
labeling job's status messages (3D pre-processing reports there) and worker logs.
"""

from __future__ import annotations

from aws_cdk import ArnFormat, Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from constructs import Construct

from gt3d_core.catalog import MAX_SESSION_DURATION_SECONDS
from gt3d_core.workforce import SAGEMAKER_SERVICE_PRINCIPAL
from stacks.constructs.explicit_role import ExplicitRole
from stacks.constructs.s3_access import BucketPrefix, allow_read, allow_write

LABELING_JOB_LOG_GROUP = "/aws/sagemaker/LabelingJobs"
"""The log group Ground Truth writes labeling job status messages and worker logs to."""


class GroundTruthExecutionRole(Construct):
    """The execution role of every labeling job: the input and output locations, metrics and logs, nothing else.

    Stateful: a running labeling job uses the role for days, so it is retained and lives with the bucket, never in
    a stack that is redeployed or destroyed freely.
    """

    def __init__(
        self, scope: Construct, construct_id: str, *, input_location: BucketPrefix, output_location: BucketPrefix
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.role = ExplicitRole(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal(SAGEMAKER_SERVICE_PRINCIPAL).with_conditions(
                {"StringEquals": {"aws:SourceAccount": stack.account}}
            ),
            description="Assumed by SageMaker Ground Truth for 3D point cloud labeling jobs",
            # Ground Truth needs the session to last as long as a task may (above 8 hours it requires >= 8 hours).
            max_session_duration=Duration.seconds(MAX_SESSION_DURATION_SECONDS),
        )
        allow_read(self.role, input_location, list_keys=False)
        # Ground Truth reads back what it writes under the output prefix (worker responses it consolidates).
        allow_read(self.role, output_location, list_keys=False)
        allow_write(self.role, output_location)
        buckets = sorted({input_location.bucket_arn, output_location.bucket_arn})
        self.role.allow(actions=["s3:GetBucketLocation", "s3:ListBucket"], resources=buckets)
        self.role.allow(
            actions=["cloudwatch:PutMetricData"],
            resources=["*"],
            wildcard_reason="cloudwatch:PutMetricData has no resource-level permissions; Ground Truth publishes "
            "worker metrics with it (documented minimum of a labeling job's execution role).",
        )
        log_group = stack.format_arn(
            service="logs",
            resource="log-group",
            resource_name=LABELING_JOB_LOG_GROUP,
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        self.role.allow(
            actions=["logs:CreateLogGroup", "logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
            # The group itself, and its streams (log-group:NAME:log-stream:STREAM), which Ground Truth names per job.
            resources=[log_group, f"{log_group}:*"],
            wildcard_reason=f"Ground Truth names the log streams of {LABELING_JOB_LOG_GROUP} per labeling job; access "
            "is limited to that one log group.",
        )
        for resource in (self.role.role, self.role.policy):
            resource.apply_removal_policy(RemovalPolicy.RETAIN)

    @property
    def role_arn(self) -> str:
        """Return the role's ARN (passed to CreateLabelingJob as ``RoleArn``)."""
        return self.role.role_arn
