"""WorkforceStack in its three modes: create the pool and team, import a team, import a pool and client."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Match
from infra_app import (
    IMPORTED_CLIENT_ID,
    IMPORTED_POOL_ID,
    IMPORTED_WORKTEAM_ARN,
    REGION,
    WORKER_EMAILS,
    Synthesized,
    cdk_json_context,
    load_app_module,
    synthesize,
)
from infra_helpers import (
    actions_and_resources,
    as_list,
    flatten,
    function_by_handler,
    function_statements,
    only_resource,
    resources_of_type,
)

from stacks.config import COGNITO_EMAILS_PER_DAY, InvalidSettingError

PORTAL_HANDLER = "workforce_portal.handler"
CHECK_HANDLER = "existing_workforce_check.handler"
INVITATION_HANDLER = "workforce_invitation.handler"
COGNITO_POOL_TYPES = ("AWS::Cognito::UserPool", "AWS::Cognito::UserPoolClient", "AWS::Cognito::UserPoolDomain")
SAGEMAKER = {"Service": "sagemaker.amazonaws.com"}
SES_SENDER = "labeling@example.com"

SNS_SENDS_WHEN_SAGEMAKER_PUBLISHES = ("kms:EncryptionContext:aws:sns:topicArn",)
"""The request context keys the KMS calls for a publish to the encrypted topic are documented to carry: SNS's
encryption context (https://docs.aws.amazon.com/gamelift/latest/flexmatchguide/queue-notification-sns-sse.html).
No Ground Truth or SNS page says SageMaker's publish carries aws:SourceAccount or aws:SourceArn."""


def _workforce(synth: Synthesized) -> dict[str, Any]:
    return dict(synth.templates["Gt3dWorkforce"])


def _portal_properties(synth: Synthesized) -> dict[str, Any]:
    _, portal = only_resource(_workforce(synth), "Custom::WorkteamPortal")
    return dict(portal["Properties"])


def _portal_permissions(synth: Synthesized) -> set[tuple[str, str]]:
    return actions_and_resources(function_statements(_workforce(synth), PORTAL_HANDLER))


def _references(value: Any) -> Iterator[str]:
    """Yield the logical ids a property value refers to (Ref, Fn::GetAtt)."""
    if isinstance(value, dict):
        if isinstance(value.get("Ref"), str):
            yield value["Ref"]
        if "Fn::GetAtt" in value:
            yield value["Fn::GetAtt"][0]
        for item in value.values():
            yield from _references(item)
    elif isinstance(value, list):
        for item in value:
            yield from _references(item)


def _waits_for(template: Mapping[str, Any], logical_id: str) -> set[str]:
    """Return every resource ``logical_id`` is created after, through DependsOn and references, transitively."""
    resources = template["Resources"]
    seen: set[str] = set()
    pending = [logical_id]
    while pending:
        resource = resources[pending.pop()]
        direct = set(as_list(resource.get("DependsOn", []))) | set(_references(resource.get("Properties", {})))
        for dependency in direct & set(resources) - seen:
            seen.add(dependency)
            pending.append(dependency)
    return seen


def _acknowledgments(synth: Synthesized, logical_id: str) -> list[tuple[str, str]]:
    """Return the cdk-nag acknowledgments (rule, reason) recorded on one resource of the workforce stack."""
    stack = synth.app.node.find_child("Gt3dWorkforce")
    (resource,) = [
        c for c in stack.node.find_all() if isinstance(c, cdk.CfnResource) and stack.resolve(c.logical_id) == logical_id
    ]
    key = cdk.Validations.ACKNOWLEDGED_RULES_METADATA_KEY
    return [
        (rule, reason) for entry in resource.node.metadata if entry.type == key for rule, reason in entry.data.items()
    ]


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
    key_id, _ = _topic_key(_workforce(created))

    template.has_resource_properties("AWS::SNS::Topic", {"KmsMasterKeyId": {"Fn::GetAtt": [key_id, "Arn"]}})
    template.has_resource_properties("AWS::KMS::Key", {"EnableKeyRotation": True})
    # Ground Truth's documented topic statement, without conditions on keys no page says it sends.
    template.has_resource_properties(
        "AWS::SNS::TopicPolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like({"Effect": "Deny", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}),
                        {
                            "Sid": Match.any_value(),
                            "Effect": "Allow",
                            "Action": "sns:Publish",
                            "Principal": SAGEMAKER,
                            "Resource": Match.any_value(),
                        },
                    ]
                )
            }
        },
    )


def _topic_key(workforce: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """The key the worker notification topic is encrypted with (the stack's other key encrypts its log groups)."""
    _, topic = only_resource(workforce, "AWS::SNS::Topic")
    key_id = topic["Properties"]["KmsMasterKeyId"]["Fn::GetAtt"][0]
    return key_id, workforce["Resources"][key_id]


def _sagemaker_key_statement(workforce: Mapping[str, Any]) -> dict[str, Any]:
    _, key = _topic_key(workforce)
    (statement,) = [s for s in key["Properties"]["KeyPolicy"]["Statement"] if s.get("Principal") == SAGEMAKER]
    return dict(statement)


def _allows(statement: Mapping[str, Any], request_context: Mapping[str, str]) -> bool:
    """Evaluate the statement's conditions (StringEquals only) against a request context; a missing key fails."""
    conditions = statement.get("Condition", {})
    assert set(conditions) <= {"StringEquals"}, conditions
    expected = conditions.get("StringEquals", {})
    return all(request_context.get(key) == flatten(value) for key, value in expected.items())


def test_given_the_worker_topic_key_when_sagemaker_publishes_then_its_policy_admits_exactly_what_sns_sends(
    created: Synthesized,
) -> None:
    workforce = _workforce(created)
    _, topic = only_resource(workforce, "AWS::SNS::Topic")
    topic_arn = f"arn:aws:sns:{REGION}:<AWS::AccountId>:{topic['Properties']['TopicName']}"
    statement = _sagemaker_key_statement(workforce)

    assert statement["Effect"] == "Allow"
    assert sorted(as_list(statement["Action"])) == ["kms:Decrypt", "kms:GenerateDataKey*"]
    assert statement["Resource"] == "*"
    assert set(statement.get("Condition", {}).get("StringEquals", {})) <= set(SNS_SENDS_WHEN_SAGEMAKER_PUBLISHES)
    # What the KMS calls carry when SageMaker publishes to the team's topic: SNS's encryption context, nothing else.
    assert _allows(statement, {"kms:EncryptionContext:aws:sns:topicArn": topic_arn})
    assert not _allows(statement, {"kms:EncryptionContext:aws:sns:topicArn": f"{topic_arn}-other"})


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


@pytest.mark.parametrize("mode", ["create", "import-user-pool"])
def test_given_worker_emails_when_synthesized_then_each_is_subscribed_by_email_to_the_team_notification_topic(
    mode: str, created: Synthesized, imported_user_pool: Synthesized
) -> None:
    # Ground Truth subscribes workers itself only for teams made in the console.
    synth = {"create": created, "import-user-pool": imported_user_pool}[mode]
    workforce = _workforce(synth)
    topic_id, _ = only_resource(workforce, "AWS::SNS::Topic")
    users = resources_of_type(workforce, "AWS::Cognito::UserPoolUser")
    subscriptions = resources_of_type(workforce, "AWS::SNS::Subscription").values()

    assert sorted(sub["Properties"]["Endpoint"] for sub in subscriptions) == sorted(
        user["Properties"]["Username"] for user in users.values()
    )
    assert all(sub["Properties"]["Protocol"] == "email" for sub in subscriptions)
    assert all(sub["Properties"]["TopicArn"] == {"Ref": topic_id} for sub in subscriptions)
    synth.template("Gt3dWorkforce").has_output("WorkerNotificationTopicArn", {"Value": {"Ref": topic_id}})


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
    assert len(properties["ClientConfigDigest"]) == 64
    # The app client only: the pool's settings (MFA included) are never rewritten after creation.
    assert _portal_permissions(created) == {
        ("logs:CreateLogStream", f"<{_log_group_of(workforce, PORTAL_HANDLER)}.Arn>"),
        ("logs:PutLogEvents", f"<{_log_group_of(workforce, PORTAL_HANDLER)}.Arn>"),
        ("xray:PutTraceSegments", "*"),
        ("xray:PutTelemetryRecords", "*"),
        ("sagemaker:DescribeWorkteam", f"<{workteam_id}.WorkteamArn>"),
        ("cognito-idp:DescribeUserPoolClient", f"<{pool_id}.Arn>"),
        ("cognito-idp:UpdateUserPoolClient", f"<{pool_id}.Arn>"),
    }


def _log_group_of(workforce: dict[str, Any], handler: str) -> str:
    function = function_by_handler(workforce, handler)
    return str(function["Properties"]["LoggingConfig"]["LogGroup"]["Ref"])


def test_given_create_mode_when_synthesized_then_invitations_get_the_portal_url_from_a_custom_message_trigger(
    created: Synthesized,
) -> None:
    workforce = _workforce(created)
    pool_id, pool = only_resource(workforce, "AWS::Cognito::UserPool")
    _, workteam = only_resource(workforce, "AWS::SageMaker::Workteam")
    trigger = function_by_handler(workforce, INVITATION_HANDLER)
    trigger_id = next(lid for lid, res in workforce["Resources"].items() if res is trigger)
    team_name = workteam["Properties"]["WorkteamName"]

    assert pool["Properties"]["LambdaConfig"] == {"CustomMessage": {"Fn::GetAtt": [trigger_id, "Arn"]}}
    # No invitation template of the pool's own: Cognito may let it override the trigger's message body.
    assert "InviteMessageTemplate" not in pool["Properties"]["AdminCreateUserConfig"]
    assert trigger["Properties"]["Environment"]["Variables"] == {"WORKTEAM_NAME": team_name}
    assert trigger["Properties"]["Timeout"] <= 5  # Cognito waits 5 seconds for a trigger
    created.template("Gt3dWorkforce").has_resource_properties(
        "AWS::Lambda::Permission",
        {
            "Action": "lambda:InvokeFunction",
            "FunctionName": {"Fn::GetAtt": [trigger_id, "Arn"]},
            "Principal": "cognito-idp.amazonaws.com",
            "SourceArn": {"Fn::GetAtt": [pool_id, "Arn"]},
        },
    )
    assert actions_and_resources(function_statements(workforce, INVITATION_HANDLER)) == {
        ("logs:CreateLogStream", f"<{_log_group_of(workforce, INVITATION_HANDLER)}.Arn>"),
        ("logs:PutLogEvents", f"<{_log_group_of(workforce, INVITATION_HANDLER)}.Arn>"),
        ("xray:PutTraceSegments", "*"),
        ("xray:PutTelemetryRecords", "*"),
        (
            "sagemaker:DescribeWorkteam",
            f"arn:aws:sagemaker:{REGION}:<AWS::AccountId>:workteam/private-crowd/{team_name}",
        ),
    }


def test_given_create_mode_when_synthesized_then_the_workforce_check_runs_before_anything_retained_is_created(
    created: Synthesized,
) -> None:
    workforce = _workforce(created)
    check_id, check = only_resource(workforce, "Custom::PrivateWorkforceCheck")
    pool_id, _ = only_resource(workforce, "AWS::Cognito::UserPool")
    workteam_id, _ = only_resource(workforce, "AWS::SageMaker::Workteam")
    retained = [lid for lid, res in workforce["Resources"].items() if res.get("DeletionPolicy") == "Retain"]

    assert check["Properties"]["UserPoolLogicalId"] == pool_id
    assert check_id in _waits_for(workforce, pool_id)
    assert check_id in _waits_for(workforce, workteam_id)
    assert pool_id in retained
    assert all(check_id in _waits_for(workforce, lid) for lid in retained)
    assert not set(retained) & _waits_for(workforce, check_id)


def test_given_create_mode_when_synthesized_then_the_workforce_check_may_only_list_workforces_and_find_its_pool(
    created: Synthesized,
) -> None:
    workforce = _workforce(created)
    (policy_id,) = [
        lid
        for lid, res in resources_of_type(workforce, "AWS::IAM::Policy").items()
        if ("sagemaker:ListWorkforces", "*") in actions_and_resources(res["Properties"]["PolicyDocument"]["Statement"])
    ]

    assert actions_and_resources(function_statements(workforce, CHECK_HANDLER)) == {
        ("logs:CreateLogStream", f"<{_log_group_of(workforce, CHECK_HANDLER)}.Arn>"),
        ("logs:PutLogEvents", f"<{_log_group_of(workforce, CHECK_HANDLER)}.Arn>"),
        ("xray:PutTraceSegments", "*"),
        ("xray:PutTelemetryRecords", "*"),
        ("sagemaker:ListWorkforces", "*"),
        ("cloudformation:DescribeStackResource", "<AWS::StackId>"),
    }
    # ListWorkforces has no resource types, so "*" is the only resource it takes: acknowledged on that policy.
    assert any(
        rule.removeprefix("Annotation::") == "AwsSolutions-IAM5[Resource::*]" and "sagemaker:ListWorkforces" in reason
        for rule, reason in _acknowledgments(created, policy_id)
    )


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
    assert not {"AWS::SageMaker::Workteam", "AWS::SNS::Topic"} & types
    # The one key left encrypts the portal custom resource's log groups.
    (key,) = resources_of_type(workforce, "AWS::KMS::Key").values()
    assert key["Properties"]["Description"].startswith("Encrypts the CloudWatch Logs log groups")


def test_given_an_imported_workteam_when_synthesized_then_the_portal_resource_only_describes_it(
    imported_workteam: Synthesized,
) -> None:
    properties = _portal_properties(imported_workteam)

    assert properties["WorkteamName"] == "existing-team"
    assert not {"UserPoolId", "ClientId"} & set(properties)
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
    assert "ClientConfigDigest" not in properties
    granted = {action for action, _ in _portal_permissions(imported_user_pool)}
    assert {"cognito-idp:DescribeUserPoolClient", "cognito-idp:UpdateUserPoolClient"} <= granted
    assert not {"cognito-idp:UpdateUserPool", "cognito-idp:DescribeUserPool"} & granted


@pytest.mark.parametrize("mode", ["import-workteam", "import-user-pool"])
def test_given_an_import_mode_when_synthesized_then_there_is_no_workforce_check_and_no_invitation_trigger(
    mode: str, imported_workteam: Synthesized, imported_user_pool: Synthesized
) -> None:
    # The workforce already exists (that is why it is imported), and an imported pool's settings are not ours.
    synth = {"import-workteam": imported_workteam, "import-user-pool": imported_user_pool}[mode]
    workforce = _workforce(synth)
    handlers = {
        res["Properties"].get("Handler") for res in resources_of_type(workforce, "AWS::Lambda::Function").values()
    }

    assert resources_of_type(workforce, "Custom::PrivateWorkforceCheck") == {}
    assert not {CHECK_HANDLER, INVITATION_HANDLER} & handlers


def test_given_an_imported_workteam_when_synthesized_then_it_has_no_worker_topic_to_output(
    imported_workteam: Synthesized,
) -> None:
    assert "WorkerNotificationTopicArn" not in _workforce(imported_workteam).get("Outputs", {})


# --- invitation volume and the SES sender ----------------------------------------------------------------------------


def _worker_emails(count: int) -> str:
    return ",".join(f"worker{n}@example.com" for n in range(count))


def test_given_more_workers_than_cognito_emails_a_day_when_the_app_is_built_then_it_is_refused_before_any_stack(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("CDK_DEFAULT_REGION", raising=False)
    app = cdk.App(context=cdk_json_context(worker_emails=_worker_emails(COGNITO_EMAILS_PER_DAY + 1)))

    with pytest.raises(InvalidSettingError) as caught:
        load_app_module().build(app)

    assert caught.value.key == "worker_emails"
    assert f"'{COGNITO_EMAILS_PER_DAY + 1} addresses'" in str(caught.value)
    assert "ses_from_email" in str(caught.value)
    assert app.node.children == []


@pytest.fixture(scope="module")
def ses_sender(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    """Create mode with more workers than Cognito's built-in e-mail sends a day, and an SES sender."""
    context = cdk_json_context(worker_emails=_worker_emails(COGNITO_EMAILS_PER_DAY + 1), ses_from_email=SES_SENDER)
    return synthesize(context, tmp_path_factory.mktemp("ses-sender"))


def test_given_an_ses_sender_when_synthesized_then_the_pool_sends_with_it_and_every_worker_is_invited(
    ses_sender: Synthesized,
) -> None:
    workforce = _workforce(ses_sender)
    _, pool = only_resource(workforce, "AWS::Cognito::UserPool")

    assert pool["Properties"]["EmailConfiguration"]["EmailSendingAccount"] == "DEVELOPER"
    assert pool["Properties"]["EmailConfiguration"]["From"] == SES_SENDER
    assert flatten(pool["Properties"]["EmailConfiguration"]["SourceArn"]) == (
        f"arn:aws:ses:{REGION}:<AWS::AccountId>:identity/{SES_SENDER}"
    )
    assert len(resources_of_type(workforce, "AWS::Cognito::UserPoolUser")) == COGNITO_EMAILS_PER_DAY + 1
    assert len(resources_of_type(workforce, "AWS::SNS::Subscription")) == COGNITO_EMAILS_PER_DAY + 1


def test_given_no_ses_sender_when_synthesized_then_the_pool_uses_cognitos_built_in_email(created: Synthesized) -> None:
    _, pool = only_resource(_workforce(created), "AWS::Cognito::UserPool")

    assert "EmailConfiguration" not in pool["Properties"]
