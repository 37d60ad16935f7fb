"""WorkforceStack in its three modes: create the pool and team, import a team, import a pool and client."""

from __future__ import annotations

from typing import Any

from aws_cdk.assertions import Match
from infra_app import (
    IMPORTED_CLIENT_ID,
    IMPORTED_POOL_ID,
    IMPORTED_WORKTEAM_ARN,
    WORKER_EMAILS,
    Synthesized,
)
from infra_helpers import (
    actions_and_resources,
    function_statements,
    only_resource,
    resources_of_type,
)

PORTAL_HANDLER = "workforce_portal.handler"
COGNITO_POOL_TYPES = ("AWS::Cognito::UserPool", "AWS::Cognito::UserPoolClient", "AWS::Cognito::UserPoolDomain")


def _workforce(synth: Synthesized) -> dict[str, Any]:
    return dict(synth.templates["Gt3dWorkforce"])


def _portal_properties(synth: Synthesized) -> dict[str, Any]:
    _, portal = only_resource(_workforce(synth), "Custom::WorkteamPortal")
    return dict(portal["Properties"])


def _portal_permissions(synth: Synthesized) -> set[tuple[str, str]]:
    return actions_and_resources(function_statements(_workforce(synth), PORTAL_HANDLER))


# --- create ------------------------------------------------------------------------------------------------------


def test_given_create_mode_when_synthesized_then_the_user_pool_admits_only_invited_users_with_strong_passwords(
    created: Synthesized,
) -> None:
    created.template("Gt3dWorkforce").has_resource(
        "AWS::Cognito::UserPool",
        {
            "Properties": Match.object_like(
                {
                    "AdminCreateUserConfig": Match.object_like({"AllowAdminCreateUserOnly": True}),
                    "Policies": {
                        "PasswordPolicy": {
                            "MinimumLength": 12,
                            "RequireLowercase": True,
                            "RequireUppercase": True,
                            "RequireNumbers": True,
                            "RequireSymbols": True,
                            "TemporaryPasswordValidityDays": 7,
                        }
                    },
                    "UsernameAttributes": ["email"],
                    "DeletionProtection": "ACTIVE",
                }
            ),
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
        },
    )


def test_given_create_mode_when_synthesized_then_the_pool_has_a_domain_a_group_and_a_ground_truth_app_client(
    created: Synthesized,
) -> None:
    template = created.template("Gt3dWorkforce")
    pool_id, _ = only_resource(_workforce(created), "AWS::Cognito::UserPool")

    template.has_resource_properties("AWS::Cognito::UserPoolDomain", {"UserPoolId": {"Ref": pool_id}})
    template.has_resource_properties("AWS::Cognito::UserPoolGroup", {"UserPoolId": {"Ref": pool_id}})
    template.has_resource_properties(
        "AWS::Cognito::UserPoolClient",
        {
            "UserPoolId": {"Ref": pool_id},
            "GenerateSecret": True,
            "AllowedOAuthFlowsUserPoolClient": True,
            "AllowedOAuthFlows": Match.array_equals(["implicit", "code"]),
            "AllowedOAuthScopes": Match.array_equals(["email", "openid", "profile"]),
            "SupportedIdentityProviders": ["COGNITO"],
        },
    )


def test_given_create_mode_when_synthesized_then_the_workteam_is_a_cognito_team_of_that_pool_group_and_client(
    created: Synthesized,
) -> None:
    workforce = _workforce(created)
    pool_id, _ = only_resource(workforce, "AWS::Cognito::UserPool")
    client_id, _ = only_resource(workforce, "AWS::Cognito::UserPoolClient")
    group_id, _ = only_resource(workforce, "AWS::Cognito::UserPoolGroup")
    domain_id, _ = only_resource(workforce, "AWS::Cognito::UserPoolDomain")
    topic_id, _ = only_resource(workforce, "AWS::SNS::Topic")

    created.template("Gt3dWorkforce").has_resource(
        "AWS::SageMaker::Workteam",
        {
            "Properties": {
                "WorkteamName": "gt3d-workteam",
                "Description": Match.string_like_regexp(r"^.{1,200}$"),
                "MemberDefinitions": [
                    {
                        "CognitoMemberDefinition": {
                            "CognitoUserPool": {"Ref": pool_id},
                            "CognitoUserGroup": {"Ref": group_id},
                            "CognitoClientId": {"Ref": client_id},
                        }
                    }
                ],
                "NotificationConfiguration": {"NotificationTopicArn": {"Ref": topic_id}},
                "Tags": Match.any_value(),
            },
            "DependsOn": Match.array_with([domain_id]),
        },
    )


def test_given_create_mode_when_synthesized_then_the_worker_topic_is_encrypted_ssl_only_and_publishable_by_sagemaker(
    created: Synthesized,
) -> None:
    template = created.template("Gt3dWorkforce")
    key_id, _ = only_resource(_workforce(created), "AWS::KMS::Key")

    template.has_resource_properties("AWS::SNS::Topic", {"KmsMasterKeyId": {"Fn::GetAtt": [key_id, "Arn"]}})
    template.has_resource_properties("AWS::KMS::Key", {"EnableKeyRotation": True})
    template.has_resource_properties(
        "AWS::SNS::TopicPolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like({"Effect": "Deny", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}),
                        Match.object_like(
                            {
                                "Effect": "Allow",
                                "Action": "sns:Publish",
                                "Principal": {"Service": "sagemaker.amazonaws.com"},
                                "Condition": Match.object_like(
                                    {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}
                                ),
                            }
                        ),
                    ]
                )
            }
        },
    )


def test_given_worker_emails_when_synthesized_then_each_is_invited_by_email_into_the_team_group_after_the_portal(
    created: Synthesized,
) -> None:
    workforce = _workforce(created)
    group_id, _ = only_resource(workforce, "AWS::Cognito::UserPoolGroup")
    portal_id, _ = only_resource(workforce, "Custom::WorkteamPortal")
    users = resources_of_type(workforce, "AWS::Cognito::UserPoolUser")
    memberships = resources_of_type(workforce, "AWS::Cognito::UserPoolUserToGroupAttachment")

    assert sorted(user["Properties"]["Username"] for user in users.values()) == sorted(WORKER_EMAILS)
    for user in users.values():
        assert user["Properties"]["DesiredDeliveryMediums"] == ["EMAIL"]
        assert {"Name": "email_verified", "Value": "true"} in user["Properties"]["UserAttributes"]
        assert portal_id in user["DependsOn"]  # the invitation must already carry the portal URL
    assert sorted(m["Properties"]["Username"] for m in memberships.values()) == sorted(WORKER_EMAILS)
    assert all(m["Properties"]["GroupName"] == {"Ref": group_id} for m in memberships.values())


def test_given_create_mode_when_synthesized_then_the_portal_resource_owns_the_client_urls_and_the_invitation(
    created: Synthesized,
) -> None:
    workforce = _workforce(created)
    pool_id, _ = only_resource(workforce, "AWS::Cognito::UserPool")
    client_id, _ = only_resource(workforce, "AWS::Cognito::UserPoolClient")
    workteam_id, _ = only_resource(workforce, "AWS::SageMaker::Workteam")
    properties = _portal_properties(created)

    assert properties["WorkteamName"] == {"Fn::GetAtt": [workteam_id, "WorkteamName"]}
    assert properties["UserPoolId"] == {"Ref": pool_id}
    assert properties["ClientId"] == {"Ref": client_id}
    assert properties["ReplaceUrls"] == "true"
    assert all(part in properties["InviteMessage"] for part in ("{portal_url}", "{username}", "{####}"))
    assert len(properties["PoolConfigDigest"]) == 64
    assert _portal_permissions(created) == {
        ("logs:CreateLogStream", f"<{_log_group_of(workforce)}.Arn>"),
        ("logs:PutLogEvents", f"<{_log_group_of(workforce)}.Arn>"),
        ("xray:PutTraceSegments", "*"),
        ("xray:PutTelemetryRecords", "*"),
        ("sagemaker:DescribeWorkteam", f"<{workteam_id}.WorkteamArn>"),
        ("cognito-idp:DescribeUserPool", f"<{pool_id}.Arn>"),
        ("cognito-idp:UpdateUserPool", f"<{pool_id}.Arn>"),
        ("cognito-idp:DescribeUserPoolClient", f"<{pool_id}.Arn>"),
        ("cognito-idp:UpdateUserPoolClient", f"<{pool_id}.Arn>"),
    }


def _log_group_of(workforce: dict[str, Any]) -> str:
    function = next(
        res
        for res in resources_of_type(workforce, "AWS::Lambda::Function").values()
        if res["Properties"].get("Handler") == PORTAL_HANDLER
    )
    return str(function["Properties"]["LoggingConfig"]["LogGroup"]["Ref"])


def test_given_create_mode_when_synthesized_then_it_outputs_the_workteam_arn_and_the_portal_url(
    created: Synthesized,
) -> None:
    workforce = _workforce(created)
    workteam_id, _ = only_resource(workforce, "AWS::SageMaker::Workteam")
    portal_id, _ = only_resource(workforce, "Custom::WorkteamPortal")
    template = created.template("Gt3dWorkforce")

    template.has_output("WorkteamArn", {"Value": {"Fn::GetAtt": [workteam_id, "WorkteamArn"]}})
    template.has_output("LabelingPortalUrl", {"Value": {"Fn::GetAtt": [portal_id, "PortalUrl"]}})


# --- import-workteam ---------------------------------------------------------------------------------------------


def test_given_an_imported_workteam_when_synthesized_then_nothing_of_a_pool_or_team_is_created(
    imported_workteam: Synthesized,
) -> None:
    workforce = _workforce(imported_workteam)

    types = {res["Type"] for res in workforce["Resources"].values()}
    assert not any(t.startswith("AWS::Cognito::") for t in types)
    assert not {"AWS::SageMaker::Workteam", "AWS::SNS::Topic", "AWS::KMS::Key"} & types


def test_given_an_imported_workteam_when_synthesized_then_the_portal_resource_only_describes_it(
    imported_workteam: Synthesized,
) -> None:
    properties = _portal_properties(imported_workteam)

    assert properties["WorkteamName"] == "existing-team"
    assert not {"UserPoolId", "ClientId", "InviteMessage"} & set(properties)
    granted = {action for action, _ in _portal_permissions(imported_workteam)}
    assert granted == {
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
        "sagemaker:DescribeWorkteam",
    }
    assert ("sagemaker:DescribeWorkteam", IMPORTED_WORKTEAM_ARN) in _portal_permissions(imported_workteam)


def test_given_an_imported_workteam_when_synthesized_then_its_arn_is_output_and_used_by_the_pipeline(
    imported_workteam: Synthesized,
) -> None:
    imported_workteam.template("Gt3dWorkforce").has_output("WorkteamArn", {"Value": IMPORTED_WORKTEAM_ARN})
    imported_workteam.template("Gt3dPipeline").has_resource_properties(
        "AWS::Lambda::Function",
        {"Environment": {"Variables": Match.object_like({"WORKTEAM_ARN": IMPORTED_WORKTEAM_ARN})}},
    )


# --- import-user-pool --------------------------------------------------------------------------------------------


def test_given_an_imported_user_pool_when_synthesized_then_no_pool_client_or_domain_is_created(
    imported_user_pool: Synthesized,
) -> None:
    for resource_type in COGNITO_POOL_TYPES:
        imported_user_pool.template("Gt3dWorkforce").resource_count_is(resource_type, 0)


def test_given_an_imported_user_pool_when_synthesized_then_a_team_group_and_workteam_use_the_existing_pool(
    imported_user_pool: Synthesized,
) -> None:
    template = imported_user_pool.template("Gt3dWorkforce")
    group_id, _ = only_resource(_workforce(imported_user_pool), "AWS::Cognito::UserPoolGroup")

    template.has_resource_properties("AWS::Cognito::UserPoolGroup", {"UserPoolId": IMPORTED_POOL_ID})
    template.has_resource_properties(
        "AWS::SageMaker::Workteam",
        {
            "MemberDefinitions": [
                {
                    "CognitoMemberDefinition": {
                        "CognitoUserPool": IMPORTED_POOL_ID,
                        "CognitoUserGroup": {"Ref": group_id},
                        "CognitoClientId": IMPORTED_CLIENT_ID,
                    }
                }
            ]
        },
    )
    template.has_resource_properties(
        "AWS::Cognito::UserPoolUser", {"UserPoolId": IMPORTED_POOL_ID, "Username": WORKER_EMAILS[0]}
    )


def test_given_an_imported_user_pool_when_synthesized_then_its_client_urls_are_merged_and_its_invitation_untouched(
    imported_user_pool: Synthesized,
) -> None:
    properties = _portal_properties(imported_user_pool)

    assert properties["UserPoolId"] == IMPORTED_POOL_ID
    assert properties["ClientId"] == IMPORTED_CLIENT_ID
    assert properties["ReplaceUrls"] == "false"
    assert not {"InviteMessage", "InviteSubject", "PoolConfigDigest"} & set(properties)
    granted = {action for action, _ in _portal_permissions(imported_user_pool)}
    assert {"cognito-idp:DescribeUserPoolClient", "cognito-idp:UpdateUserPoolClient"} <= granted
    assert not {"cognito-idp:UpdateUserPool", "cognito-idp:DescribeUserPool"} & granted
