"""The baseline of benchmark 4: a CDK app of one hardened bucket, synthesized with cdk-nag as ``app.py`` does.

Its synthesis costs what every app pays (the interpreter, the jsii kernel, aws-cdk-lib, cdk-nag's rules), so the
full app's synthesis time divided by this one's is what the project's own constructs add.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_s3 as s3
from cdk_nag import AwsSolutionsChecks

from stacks.constructs.nag import acknowledge


def build(app: cdk.App) -> s3.Bucket:
    """Add one stack with one bucket (SSL only, encrypted, private) and cdk-nag to ``app``; return the bucket."""
    stack = cdk.Stack(app, "OneBucket")
    bucket = s3.Bucket(
        stack,
        "Bucket",
        enforce_ssl=True,
        encryption=s3.BucketEncryption.S3_MANAGED,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
    )
    acknowledge(bucket, "AwsSolutions-S1", "A benchmark baseline: nothing is stored, so there is nothing to log.")
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return bucket


if __name__ == "__main__":
    one_bucket = cdk.App()
    build(one_bucket)
    one_bucket.synth()
