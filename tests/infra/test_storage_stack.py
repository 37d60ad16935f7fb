"""StorageStack: the labeling bucket has both 3D CORS rules, is hardened, access-logged and retained."""

from __future__ import annotations

from aws_cdk.assertions import Match, Template
from infra_app import Synthesized
from infra_helpers import resources_of_type

_ENCRYPTED = {
    "ServerSideEncryptionConfiguration": [{"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}],
}
_PRIVATE = {
    "BlockPublicAcls": True,
    "BlockPublicPolicy": True,
    "IgnorePublicAcls": True,
    "RestrictPublicBuckets": True,
}


def test_given_the_labeling_bucket_when_synthesized_then_it_has_both_ground_truth_3d_cors_rules(
    created: Synthesized,
) -> None:
    created.template("Gt3dStorage").has_resource_properties(
        "AWS::S3::Bucket",
        {
            "CorsConfiguration": {
                "CorsRules": [
                    {
                        "AllowedHeaders": ["*"],
                        "AllowedMethods": ["GET", "HEAD", "PUT"],
                        "AllowedOrigins": ["*"],
                        "ExposedHeaders": ["Access-Control-Allow-Origin"],
                        "MaxAge": 3000,
                    },
                    {"AllowedMethods": ["GET"], "AllowedOrigins": ["*"]},
                ]
            }
        },
    )


def test_given_the_labeling_bucket_when_synthesized_then_it_is_private_encrypted_versioned_logged_and_retained(
    created: Synthesized,
) -> None:
    template = created.template("Gt3dStorage")

    template.has_resource(
        "AWS::S3::Bucket",
        {
            "Properties": Match.object_like(
                {
                    "CorsConfiguration": Match.any_value(),
                    "BucketEncryption": _ENCRYPTED,
                    "PublicAccessBlockConfiguration": _PRIVATE,
                    "VersioningConfiguration": {"Status": "Enabled"},
                    "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
                    "LoggingConfiguration": {
                        "DestinationBucketName": {"Ref": Match.any_value()},
                        "LogFilePrefix": "labeling-bucket/",
                    },
                }
            ),
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
        },
    )


def test_given_both_buckets_when_synthesized_then_each_is_hardened_and_refuses_plain_http(created: Synthesized) -> None:
    template = created.template("Gt3dStorage")
    buckets = resources_of_type(created.templates["Gt3dStorage"], "AWS::S3::Bucket")

    assert len(buckets) == 2
    for bucket in buckets.values():
        assert bucket["DeletionPolicy"] == "Retain"
        assert bucket["Properties"]["BucketEncryption"] == _ENCRYPTED
        assert bucket["Properties"]["PublicAccessBlockConfiguration"] == _PRIVATE
    for logical_id in buckets:
        template.has_resource_properties(
            "AWS::S3::BucketPolicy",
            {
                "Bucket": {"Ref": logical_id},
                "PolicyDocument": {
                    "Statement": Match.array_with(
                        [
                            Match.object_like(
                                {
                                    "Effect": "Deny",
                                    "Action": "s3:*",
                                    "Principal": {"AWS": "*"},
                                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                                }
                            ),
                            Match.object_like(
                                {
                                    "Effect": "Deny",
                                    "Action": "s3:*",
                                    "Condition": {"NumericLessThan": {"s3:TlsVersion": 1.2}},
                                }
                            ),
                        ]
                    )
                },
            },
        )


def test_given_the_access_log_bucket_when_synthesized_then_only_the_s3_logging_service_may_write_to_it(
    created: Synthesized,
) -> None:
    created.template("Gt3dStorage").has_resource_properties(
        "AWS::S3::BucketPolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Effect": "Allow",
                                "Action": "s3:PutObject",
                                "Principal": {"Service": "logging.s3.amazonaws.com"},
                            }
                        )
                    ]
                )
            }
        },
    )


def test_given_the_storage_stack_when_synthesized_then_it_outputs_the_bucket_and_the_job_locations(
    created: Synthesized,
) -> None:
    template: Template = created.template("Gt3dStorage")

    template.has_output("LabelingBucketName", {"Value": {"Ref": Match.any_value()}})
    template.has_output(
        "InputUri", {"Value": {"Fn::Join": ["", ["s3://", {"Ref": Match.any_value()}, "/gt3d-demo/input/"]]}}
    )
    template.has_output(
        "OutputUri", {"Value": {"Fn::Join": ["", ["s3://", {"Ref": Match.any_value()}, "/gt3d-demo/output/"]]}}
    )
