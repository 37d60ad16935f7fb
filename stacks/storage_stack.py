"""StorageStack [stateful]: the labeling bucket, its access-log bucket, and the role labeling jobs run as."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Duration, RemovalPolicy, Stack
from aws_cdk import aws_s3 as s3
from constructs import Construct

from stacks.config import Settings
from stacks.constructs.ground_truth_role import GroundTruthExecutionRole
from stacks.constructs.nag import acknowledge
from stacks.constructs.s3_access import BucketPrefix

GROUND_TRUTH_3D_CORS = (
    # What the Ground Truth 3D point cloud worker UI needs to load frames and images from the browser.
    s3.CorsRule(
        allowed_headers=["*"],
        allowed_methods=[s3.HttpMethods.GET, s3.HttpMethods.HEAD, s3.HttpMethods.PUT],
        allowed_origins=["*"],
        exposed_headers=["Access-Control-Allow-Origin"],
        max_age=3000,
    ),
    # The notebook's second rule: plain cross-origin GETs.
    s3.CorsRule(allowed_methods=[s3.HttpMethods.GET], allowed_origins=["*"]),
)


def _hardened_bucket(scope: Construct, construct_id: str, **props: Any) -> s3.Bucket:
    """A private, TLS-only, encrypted, versioned bucket that outlives the stack."""
    return s3.Bucket(
        scope,
        construct_id,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        encryption=s3.BucketEncryption.S3_MANAGED,
        enforce_ssl=True,
        minimum_tls_version=1.2,
        object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        versioned=True,
        removal_policy=RemovalPolicy.RETAIN,
        **props,
    )


class StorageStack(Stack):
    """The labeling bucket (3D CORS, hardened, access-logged, retained), its access-log bucket, and the Ground Truth
    execution role (retained: a labeling job uses it for as long as the job runs, across pipeline redeployments)."""

    def __init__(self, scope: Construct, construct_id: str, *, settings: Settings, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.access_log_bucket = _hardened_bucket(
            self,
            "AccessLogBucket",
            lifecycle_rules=[
                s3.LifecycleRule(expiration=Duration.days(365), noncurrent_version_expiration=Duration.days(30))
            ],
        )
        log_bucket_resource = self.access_log_bucket.node.default_child
        assert log_bucket_resource is not None
        acknowledge(
            log_bucket_resource,
            "AwsSolutions-S1",
            "This bucket is the server-access-log destination; logging it to itself would log every log delivery.",
        )
        self.labeling_bucket = _hardened_bucket(
            self,
            "LabelingBucket",
            cors=list(GROUND_TRUTH_3D_CORS),
            server_access_logs_bucket=self.access_log_bucket,
            server_access_logs_prefix="labeling-bucket/",
            lifecycle_rules=[
                s3.LifecycleRule(
                    abort_incomplete_multipart_upload_after=Duration.days(7),
                    noncurrent_version_expiration=Duration.days(30),
                )
            ],
        )
        bucket_name = self.labeling_bucket.bucket_name
        input_location = BucketPrefix(bucket_name, settings.input_prefix)
        output_location = BucketPrefix(bucket_name, settings.output_prefix)
        self.execution_role = GroundTruthExecutionRole(
            self, "GroundTruthExecutionRole", input_location=input_location, output_location=output_location
        )
        CfnOutput(self, "LabelingBucketName", value=bucket_name, description="The labeling bucket")
        CfnOutput(
            self,
            "InputUri",
            value=input_location.uri,
            description="Where the demo data is copied and Ground Truth reads its input",
        )
        CfnOutput(
            self,
            "OutputUri",
            value=output_location.uri,
            description="Where Ground Truth writes the labeling job output",
        )
        CfnOutput(
            self, "GroundTruthRoleArn", value=self.execution_role.role_arn, description="Labeling jobs' execution role"
        )
