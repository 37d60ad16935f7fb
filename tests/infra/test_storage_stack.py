"""StorageStack: the labeling bucket (3D CORS, hardened, access-logged, retained) and the Ground Truth role."""

from __future__ import annotations

from typing import Any

from aws_cdk.assertions import Match, Template
from infra_app import Synthesized
from infra_helpers import actions_and_resources, resources_of_type, role_statements

from gt3d_core.catalog import MAX_SESSION_DURATION_SECONDS

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


# --- Ground Truth execution role ---------------------------------------------------------------------------------


LOG_ACTIONS = ("logs:CreateLogGroup", "logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents")


def _ground_truth_role(storage: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    (item,) = [
        (lid, res)
        for lid, res in resources_of_type(storage, "AWS::IAM::Role").items()
        if res["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]
        == {"Service": "sagemaker.amazonaws.com"}
    ]
    return item


def test_given_the_ground_truth_role_when_synthesized_then_only_sagemaker_of_this_account_assumes_it_for_12_hours(
    created: Synthesized,
) -> None:
    _, role = _ground_truth_role(created.templates["Gt3dStorage"])

    assert role["Properties"]["MaxSessionDuration"] == MAX_SESSION_DURATION_SECONDS == 43200
    assert role["Properties"]["AssumeRolePolicyDocument"]["Statement"] == [
        {
            "Action": "sts:AssumeRole",
            "Effect": "Allow",
            "Principal": {"Service": "sagemaker.amazonaws.com"},
            "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}},
        }
    ]
    assert "ManagedPolicyArns" not in role["Properties"]


def test_given_the_ground_truth_role_when_synthesized_then_it_has_the_documented_minimum_and_nothing_more(
    created: Synthesized,
) -> None:
    storage = created.templates["Gt3dStorage"]
    role_id, _ = _ground_truth_role(storage)
    bucket = f"arn:<AWS::Partition>:s3:::<{_labeling_bucket_id(storage)}>"
    log_group = "arn:aws:logs:us-east-1:<AWS::AccountId>:log-group:/aws/sagemaker/LabelingJobs"

    # https://docs.aws.amazon.com/sagemaker/latest/dg/sms-security-permission-execution-role.html
    assert actions_and_resources(role_statements(storage, role_id)) == {
        ("s3:GetObject", f"{bucket}/gt3d-demo/input/*"),
        ("s3:GetObject", f"{bucket}/gt3d-demo/output/*"),
        ("s3:PutObject", f"{bucket}/gt3d-demo/output/*"),
        ("s3:AbortMultipartUpload", f"{bucket}/gt3d-demo/output/*"),
        ("s3:GetBucketLocation", bucket),
        ("s3:ListBucket", bucket),
        ("cloudwatch:PutMetricData", "*"),
        *(
            (action, resource)
            for action in (
                "logs:CreateLogGroup",
                "logs:CreateLogStream",
                "logs:DescribeLogStreams",
                "logs:PutLogEvents",
            )
            for resource in (log_group, f"{log_group}:*")
        ),
    }


def test_given_the_ground_truth_role_when_synthesized_then_it_and_its_policy_outlive_the_stack(
    created: Synthesized,
) -> None:
    storage = created.templates["Gt3dStorage"]
    role_id, role = _ground_truth_role(storage)
    (policy,) = [
        res
        for res in resources_of_type(storage, "AWS::IAM::Policy").values()
        if res["Properties"]["Roles"] == [{"Ref": role_id}]
    ]

    # A labeling job uses its role for days: no stack update or deletion may take it away.
    assert (role["DeletionPolicy"], role["UpdateReplacePolicy"]) == ("Retain", "Retain")
    assert (policy["DeletionPolicy"], policy["UpdateReplacePolicy"]) == ("Retain", "Retain")
    assert not [res for res in created.templates["Gt3dPipeline"]["Resources"].values() if _trusts_sagemaker(res)]
    created.template("Gt3dStorage").has_output("GroundTruthRoleArn", {"Value": {"Fn::GetAtt": [role_id, "Arn"]}})


def _trusts_sagemaker(resource: dict[str, Any]) -> bool:
    document = resource.get("Properties", {}).get("AssumeRolePolicyDocument", {})
    return any(s.get("Principal") == {"Service": "sagemaker.amazonaws.com"} for s in document.get("Statement", []))


def _labeling_bucket_id(storage: dict[str, Any]) -> str:
    (bucket_id,) = [
        lid
        for lid, res in resources_of_type(storage, "AWS::S3::Bucket").items()
        if "CorsConfiguration" in res["Properties"]
    ]
    return bucket_id
