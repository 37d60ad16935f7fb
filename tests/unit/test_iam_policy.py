"""IAM policy evaluation: precedence, Action/Resource matching, every condition operator family, principals, reasons."""

from __future__ import annotations

from typing import Any

import pytest

from gt3d.iam import AuthorizationRequest, Decision, NamedPolicy, PolicyError, Principal, evaluate

ACCOUNT = "123456789012"
OTHER_ACCOUNT = "210987654321"
ROLE = Principal(f"arn:aws:iam::{ACCOUNT}:role/worker", ACCOUNT)
OTHER_ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/someone-else"
SAGEMAKER = Principal("sagemaker.amazonaws.com", ACCOUNT)
BUCKET = "arn:aws:s3:::labeling-bucket"
OBJECT = f"{BUCKET}/input/frame.pcd"
TOPIC = f"arn:aws:sns:us-east-1:{ACCOUNT}:notifications"
WORKTEAM = f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:workteam/private-crowd/gt3d"


def statement(effect: str, action: Any, resource: Any = "*", condition: Any = None, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"Effect": effect, "Action": action, "Resource": resource, **extra}
    if condition is not None:
        body["Condition"] = condition
    return body


def allow(action: Any, resource: Any = "*", condition: Any = None, **extra: Any) -> dict[str, Any]:
    return statement("Allow", action, resource, condition, **extra)


def deny(action: Any, resource: Any = "*", condition: Any = None, **extra: Any) -> dict[str, Any]:
    return statement("Deny", action, resource, condition, **extra)


def policy(*statements: dict[str, Any], name: str = "RolePolicy", version: str = "2012-10-17") -> NamedPolicy:
    return NamedPolicy(name, {"Version": version, "Statement": list(statements)})


def request(action: str = "s3:GetObject", resource: str = OBJECT, **context: Any) -> AuthorizationRequest:
    return AuthorizationRequest(action, resource, context, description="")


def decide(
    req: AuthorizationRequest,
    *identity: NamedPolicy,
    resource_policy: NamedPolicy | None = None,
    principal: Principal = ROLE,
) -> Decision:
    return evaluate(req, principal=principal, identity_policies=identity, resource_policy=resource_policy)


def conditioned(condition: dict[str, Any], **context: Any) -> Decision:
    """Evaluate s3:GetObject on OBJECT against one Allow statement carrying ``condition``."""
    return decide(request(**context), policy(allow("s3:GetObject", OBJECT, condition)))


# --- precedence -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("identity", "resource_policy", "expected"),
    [
        pytest.param([policy(allow("s3:GetObject", OBJECT))], None, True, id="identity-allow"),
        pytest.param([policy()], None, False, id="no-statement"),
        pytest.param(
            [policy(allow("s3:GetObject", OBJECT), deny("s3:GetObject", OBJECT))], None, False, id="deny-wins"
        ),
        pytest.param(
            [policy(deny("s3:*")), policy(allow("s3:GetObject", OBJECT), name="Other")],
            None,
            False,
            id="deny-in-another-policy-wins",
        ),
        pytest.param(
            [policy(allow("s3:GetObject", OBJECT))],
            policy(deny("s3:GetObject", OBJECT, Principal="*"), name="BucketPolicy"),
            False,
            id="resource-policy-deny-wins",
        ),
        pytest.param(
            [],
            policy(allow("s3:GetObject", OBJECT, Principal={"AWS": ROLE.arn}), name="BucketPolicy"),
            True,
            id="resource-policy-allow-for-the-role",
        ),
    ],
)
def test_given_policies_when_evaluated_then_explicit_deny_beats_allow_beats_implicit_deny(
    identity: list[NamedPolicy], resource_policy: NamedPolicy | None, expected: bool
) -> None:
    assert decide(request(), *identity, resource_policy=resource_policy).allowed is expected


def test_given_an_allow_and_a_deny_when_denied_then_the_reason_names_the_deny_statement() -> None:
    decision = decide(request(), policy(allow("s3:*"), deny("s3:GetObject", OBJECT, Sid="NoFrames")))

    assert decision.reason.endswith("explicit Deny in RolePolicy statement 2 (Sid 'NoFrames')")


# --- Action / NotAction -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "action", "expected"),
    [
        ("s3:GetObject", "s3:GetObject", True),
        ("s3:Get*", "s3:GetObject", True),
        ("s3:*Object", "s3:PutObject", True),
        ("s3:Get?bject", "s3:GetObject", True),
        ("S3:getobject", "s3:GetObject", True),
        ("*", "sagemaker:CreateLabelingJob", True),
        ("s3:List*", "s3:GetObject", False),
        ("s3:GetObject", "s3:GetObjectVersion", False),
        ("s3:Get?", "s3:GetObject", False),
    ],
)
def test_given_an_action_pattern_when_evaluated_then_wildcards_match_case_insensitively(
    pattern: str, action: str, expected: bool
) -> None:
    assert decide(request(action, "*"), policy(allow(pattern))).allowed is expected


@pytest.mark.parametrize(("action", "expected"), [("s3:GetObject", True), ("s3:DeleteObject", False)])
def test_given_an_allow_with_not_action_when_evaluated_then_every_other_action_is_allowed(
    action: str, expected: bool
) -> None:
    statement_ = {"Effect": "Allow", "NotAction": ["s3:Delete*"], "Resource": "*"}

    assert decide(request(action), policy(statement_)).allowed is expected


@pytest.mark.parametrize(("action", "expected"), [("s3:GetObject", True), ("s3:PutObject", False)])
def test_given_a_deny_with_not_action_when_evaluated_then_only_the_listed_action_escapes_it(
    action: str, expected: bool
) -> None:
    guard = {"Effect": "Deny", "NotAction": "s3:GetObject", "Resource": "*"}

    assert decide(request(action), policy(allow("s3:*"), guard)).allowed is expected


# --- Resource / NotResource -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "resource", "expected"),
    [
        (f"{BUCKET}/input/*", f"{BUCKET}/input/a/b.pcd", True),
        (f"{BUCKET}/input/?.pcd", f"{BUCKET}/input/a.pcd", True),
        (f"{BUCKET}/input/?.pcd", f"{BUCKET}/input/ab.pcd", False),
        ("arn:aws:s3:::LABELING-BUCKET/input/*", f"{BUCKET}/input/a.pcd", False),
        (f"{BUCKET}/output/*", f"{BUCKET}/input/a.pcd", False),
        ("*", "*", True),
        ("arn:aws:s3:::*", "*", False),
        (f"arn:aws:sns:*:{ACCOUNT}:notifications", TOPIC, True),
        (f"arn:aws:sns:us-east-1:{OTHER_ACCOUNT}:*", TOPIC, False),
        (
            f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:plan",
            f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:plan:1",
            False,
        ),
        (
            f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:plan:*",
            f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:plan:1",
            True,
        ),
    ],
)
def test_given_a_resource_pattern_when_evaluated_then_wildcards_match_case_sensitively(
    pattern: str, resource: str, expected: bool
) -> None:
    assert decide(request("s3:GetObject", resource), policy(allow("s3:GetObject", pattern))).allowed is expected


@pytest.mark.parametrize(("resource", "expected"), [(f"{BUCKET}/input/a", True), (f"{BUCKET}/secret/a", False)])
def test_given_an_allow_with_not_resource_when_evaluated_then_the_excluded_resources_are_denied(
    resource: str, expected: bool
) -> None:
    body = {"Effect": "Allow", "Action": "s3:GetObject", "NotResource": f"{BUCKET}/secret/*"}

    decision = decide(request(resource=resource), policy(body))

    assert decision.allowed is expected
    assert expected or f"its NotResource '{BUCKET}/secret/*' excludes {resource}" in decision.reason


# --- condition operators ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("operator", "expected_values", "actual", "expected"),
    [
        ("StringEquals", "a/b", "a/b", True),
        ("StringEquals", "a/b", "A/B", False),
        ("StringEquals", ["x", "a/b"], "a/b", True),
        ("StringNotEquals", "a/b", "c", True),
        ("StringNotEquals", ["x", "a/b"], "a/b", False),
        ("StringEqualsIgnoreCase", "A/B", "a/b", True),
        ("StringEqualsIgnoreCase", "A/B", "a/c", False),
        ("StringNotEqualsIgnoreCase", "A/B", "a/b", False),
        ("StringNotEqualsIgnoreCase", "A/B", "x", True),
        ("StringLike", "a/*", "a/b/c", True),
        ("StringLike", "a?c", "abc", True),
        ("StringLike", "a/*", "b/a", False),
        ("StringNotLike", "a/*", "b/a", True),
        ("StringNotLike", "a/*", "a/b", False),
        ("ArnEquals", WORKTEAM, WORKTEAM, True),
        ("ArnEquals", WORKTEAM, WORKTEAM.replace(ACCOUNT, OTHER_ACCOUNT), False),
        ("ArnLike", f"arn:aws:sagemaker:*:{ACCOUNT}:workteam/private-crowd/*", WORKTEAM, True),
        ("ArnLike", f"arn:aws:sagemaker:*:{ACCOUNT}:workteam/public-crowd/*", WORKTEAM, False),
        ("ArnLike", "arn:aws:sagemaker:*:*:workteam/*", "not-an-arn", False),
        ("ArnNotEquals", WORKTEAM, WORKTEAM, False),
        ("ArnNotLike", "arn:aws:sagemaker:*:*:workteam/public-crowd/*", WORKTEAM, True),
        ("ArnNotLike", "arn:aws:sagemaker:*:*:workteam/*", WORKTEAM, False),
        ("NumericEquals", "100", 100, True),
        ("NumericEquals", 100, "99", False),
        ("NumericEquals", "100", "abc", False),
        ("NumericNotEquals", "100", 99, True),
        ("NumericNotEquals", "100", 100, False),
        ("NumericLessThan", "100", 99, True),
        ("NumericLessThan", "100", 100, False),
        ("NumericLessThanEquals", "100", 100, True),
        ("NumericLessThanEquals", "100", 101, False),
        ("NumericGreaterThan", "100", 101, True),
        ("NumericGreaterThan", "100", 100, False),
        ("NumericGreaterThanEquals", "100", 100, True),
        ("NumericGreaterThanEquals", "100", 99.5, False),
        ("Bool", "true", True, True),
        ("Bool", True, "true", True),
        ("Bool", "false", True, False),
    ],
)
def test_given_a_condition_operator_when_the_request_has_the_key_then_it_compares_as_aws_does(
    operator: str, expected_values: Any, actual: Any, expected: bool
) -> None:
    decision = conditioned({operator: {"test:key": expected_values}}, **{"test:key": actual})

    assert decision.allowed is expected


@pytest.mark.parametrize(
    ("operator", "expected"),
    [
        ("StringEquals", False),
        ("StringLike", False),
        ("ArnLike", False),
        ("NumericLessThan", False),
        ("Bool", False),
        ("StringNotEquals", True),
        ("StringNotLike", True),
        ("StringNotEqualsIgnoreCase", True),
        ("ArnNotLike", True),
        ("NumericNotEquals", True),
        ("StringEqualsIfExists", True),
        ("ArnLikeIfExists", True),
        ("BoolIfExists", True),
    ],
)
def test_given_a_condition_on_a_key_the_request_lacks_when_evaluated_then_only_negated_and_if_exists_hold(
    operator: str, expected: bool
) -> None:
    assert conditioned({operator: {"test:key": "1"}}).allowed is expected


@pytest.mark.parametrize(("actual", "expected"), [("v", True), ("other", False)])
def test_given_an_if_exists_condition_when_the_key_is_present_then_it_is_compared(actual: str, expected: bool) -> None:
    assert conditioned({"StringEqualsIfExists": {"test:key": "v"}}, **{"test:key": actual}).allowed is expected


@pytest.mark.parametrize(
    ("expected_value", "context", "expected"),
    [
        ("true", {}, True),
        ("true", {"test:key": "x"}, False),
        ("false", {"test:key": "x"}, True),
        ("false", {}, False),
        (True, {"test:key": []}, True),
    ],
)
def test_given_a_null_condition_when_evaluated_then_it_tests_whether_the_key_is_present(
    expected_value: Any, context: dict[str, Any], expected: bool
) -> None:
    assert conditioned({"Null": {"test:key": expected_value}}, **context).allowed is expected


@pytest.mark.parametrize(
    ("operator", "values", "tag_keys", "expected"),
    [
        ("ForAllValues:StringEquals", ["team", "env"], ["team"], True),
        ("ForAllValues:StringEquals", ["team", "env"], ["team", "env"], True),
        ("ForAllValues:StringEquals", ["team", "env"], ["team", "owner"], False),
        ("ForAllValues:StringEquals", ["team"], None, True),
        ("ForAllValues:StringEquals", ["team"], [], True),
        ("ForAllValues:StringLike", ["gt3d:*"], ["gt3d:a", "gt3d:b"], True),
        ("ForAllValues:StringNotEquals", ["secret"], ["team", "env"], True),
        ("ForAllValues:StringNotEquals", ["secret"], ["team", "secret"], False),
        ("ForAnyValue:StringEquals", ["team"], ["env", "team"], True),
        ("ForAnyValue:StringEquals", ["team"], ["env"], False),
        ("ForAnyValue:StringEquals", ["team"], None, False),
        ("ForAnyValue:StringEquals", ["team"], [], False),
        ("ForAnyValue:StringNotEquals", ["team"], ["team", "env"], True),
        ("ForAnyValue:StringNotEquals", ["team"], ["team"], False),
        ("ForAnyValue:StringEqualsIfExists", ["team"], None, True),
    ],
)
def test_given_a_set_operator_on_aws_tag_keys_when_evaluated_then_all_or_any_request_value_must_match(
    operator: str, values: list[str], tag_keys: list[str] | None, expected: bool
) -> None:
    context = {} if tag_keys is None else {"aws:TagKeys": tag_keys}

    assert conditioned({operator: {"aws:TagKeys": values}}, **context).allowed is expected


@pytest.mark.parametrize(
    ("context", "expected"),
    [
        ({"test:a": "x", "test:b": "y"}, True),
        ({"test:a": "x", "test:b": "z"}, False),
        ({"test:a": "x"}, False),
        ({"test:a": "x", "test:b": "y", "test:c": "w"}, False),
    ],
)
def test_given_several_keys_and_operators_when_evaluated_then_all_must_hold(
    context: dict[str, str], expected: bool
) -> None:
    condition = {"StringEquals": {"test:a": "x", "test:b": ["y", "other"]}, "StringNotEquals": {"test:c": "w"}}

    assert conditioned(condition, **context).allowed is expected


def test_given_a_condition_key_in_other_case_when_evaluated_then_key_names_are_case_insensitive() -> None:
    assert conditioned({"StringLike": {"S3:Prefix": "input/*"}}, **{"s3:prefix": "input/a"}).allowed


def test_given_a_statement_conditioned_on_s3_prefix_when_head_object_then_denied() -> None:
    # HeadObject is authorized as s3:GetObject, whose request never carries s3:prefix.
    listing = allow(
        ["s3:GetObject", "s3:ListBucket"], [BUCKET, f"{BUCKET}/*"], {"StringLike": {"s3:prefix": "input/*"}}
    )

    decision = decide(request("s3:GetObject", OBJECT), policy(listing))

    assert not decision.allowed
    assert (
        "condition StringLike on s3:prefix expects 'input/*' while the request's s3:prefix is absent" in decision.reason
    )


@pytest.mark.parametrize(("prefix", "expected"), [("input/", True), ("output/", False)])
def test_given_list_bucket_conditioned_on_s3_prefix_when_listing_then_only_that_prefix_is_allowed(
    prefix: str, expected: bool
) -> None:
    listing = allow("s3:ListBucket", BUCKET, {"StringLike": {"s3:prefix": ["input/*"]}})

    assert decide(request("s3:ListBucket", BUCKET, **{"s3:prefix": prefix}), policy(listing)).allowed is expected


# --- unsupported elements fail closed ---------------------------------------------------------------------------------


@pytest.mark.parametrize("operator", ["DateLessThan", "IpAddress", "StringEqualz", "ForAnyValue:Null", "NullIfExists"])
def test_given_an_allow_with_an_unsupported_operator_when_evaluated_then_it_does_not_apply_and_says_why(
    operator: str,
) -> None:
    decision = conditioned({operator: {"test:key": "x"}}, **{"test:key": "x"})

    assert not decision.allowed
    assert f"unsupported condition operator '{operator}'" in decision.reason
    assert "fail closed" in decision.reason


def test_given_a_deny_with_an_unsupported_operator_when_evaluated_then_it_applies() -> None:
    guard = deny("s3:GetObject", OBJECT, {"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}})

    decision = decide(request(), policy(allow("s3:GetObject", OBJECT), guard))

    assert not decision.allowed
    assert (
        "explicit Deny in RolePolicy statement 2 (unsupported condition operator 'DateGreaterThan'" in decision.reason
    )


def test_given_a_deny_whose_supported_condition_fails_when_another_is_unsupported_then_it_does_not_apply() -> None:
    condition = {"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}, "StringEquals": {"test:key": "y"}}
    guard = deny("s3:GetObject", OBJECT, condition)

    assert decide(request(**{"test:key": "x"}), policy(allow("s3:GetObject", OBJECT), guard)).allowed


@pytest.mark.parametrize(
    ("statement_", "why"),
    [
        (allow("s3:GetObject", f"{BUCKET}/${{aws:username}}/*"), f"its Resource '{BUCKET}/${{aws:username}}/*' uses"),
        (
            allow("s3:GetObject", f"{BUCKET}/*", {"StringEquals": {"aws:PrincipalArn": "${aws:PrincipalArn}"}}),
            "its condition StringEquals on aws:PrincipalArn uses",
        ),
    ],
)
def test_given_a_policy_variable_when_evaluated_then_the_allow_does_not_apply_and_says_why(
    statement_: dict[str, Any], why: str
) -> None:
    decision = decide(request(resource=f"{BUCKET}/worker/frame.pcd"), policy(statement_))

    assert not decision.allowed
    assert f"{why} a policy variable" in decision.reason
    assert "fail closed" in decision.reason


def test_given_a_2008_policy_when_resource_contains_a_dollar_brace_then_it_is_literal_text() -> None:
    literal = f"{BUCKET}/${{aws:username}}/frame.pcd"

    assert decide(request(resource=literal), policy(allow("s3:GetObject", literal), version="2008-10-17")).allowed


# --- principals and resource-based policies ---------------------------------------------------------------------------


def topic_policy(condition: dict[str, Any] | None = None, principal: Any = None) -> NamedPolicy:
    grantee = principal if principal is not None else {"Service": "sagemaker.amazonaws.com"}
    return policy(allow("sns:Publish", TOPIC, condition, Principal=grantee), name="TopicPolicy")


@pytest.mark.parametrize(
    ("resource_policy", "context", "expected"),
    [
        (topic_policy({"StringEquals": {"aws:SourceAccount": ACCOUNT}}), {}, True),
        (topic_policy({"StringEquals": {"aws:SourceAccount": OTHER_ACCOUNT}}), {}, False),
        (topic_policy({"ArnLike": {"aws:SourceArn": f"arn:aws:sagemaker:*:{ACCOUNT}:workteam/*"}}), {}, False),
        (
            topic_policy({"ArnLike": {"aws:SourceArn": f"arn:aws:sagemaker:*:{ACCOUNT}:workteam/*"}}),
            {"aws:SourceArn": WORKTEAM},
            True,
        ),
        (topic_policy(principal={"Service": ["lambda.amazonaws.com"]}), {}, False),
        (topic_policy(principal="*"), {}, True),
        (topic_policy(principal={"AWS": ACCOUNT}), {}, False),
        (None, {}, False),
    ],
)
def test_given_a_service_principal_when_a_resource_policy_names_it_then_only_that_policy_can_allow(
    resource_policy: NamedPolicy | None, context: dict[str, str], expected: bool
) -> None:
    decision = decide(request("sns:Publish", TOPIC, **context), resource_policy=resource_policy, principal=SAGEMAKER)

    assert decision.allowed is expected


def test_given_a_service_principal_when_its_source_account_differs_then_the_reason_shows_both_values() -> None:
    resource_policy = topic_policy({"StringEquals": {"aws:SourceAccount": OTHER_ACCOUNT}})

    decision = decide(request("sns:Publish", TOPIC), resource_policy=resource_policy, principal=SAGEMAKER)

    assert (
        f"its condition StringEquals on aws:SourceAccount expects '{OTHER_ACCOUNT}' "
        f"while the request's aws:SourceAccount is '{ACCOUNT}'"
    ) in decision.reason


def test_given_a_service_principal_without_a_resource_policy_when_denied_then_the_reason_says_why() -> None:
    decision = decide(request("sns:Publish", TOPIC), principal=SAGEMAKER)

    assert "a service principal has no identity-based policies; resource-based policy: none" in decision.reason


def test_given_a_service_principal_when_identity_policies_are_given_then_it_is_a_usage_error() -> None:
    with pytest.raises(ValueError, match="service principal"):
        decide(request(), policy(allow("*")), principal=SAGEMAKER)


@pytest.mark.parametrize(
    ("effect", "grantee", "identity_allows", "expected"),
    [
        ("Allow", {"AWS": ROLE.arn}, False, True),
        ("Allow", {"AWS": [OTHER_ROLE_ARN, ROLE.arn]}, False, True),
        ("Allow", {"AWS": "*"}, False, True),
        ("Allow", {"AWS": OTHER_ROLE_ARN}, False, False),
        ("Allow", {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, False, False),
        ("Allow", {"AWS": ACCOUNT}, False, False),
        ("Allow", {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, True, True),
        ("Deny", {"AWS": ACCOUNT}, True, False),
        ("Deny", {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, True, False),
        ("Deny", {"AWS": OTHER_ROLE_ARN}, True, True),
        ("Deny", {"Service": "sagemaker.amazonaws.com"}, True, True),
    ],
)
def test_given_a_bucket_policy_principal_when_a_role_acts_then_account_principals_delegate_and_arns_grant(
    effect: str, grantee: dict[str, Any], identity_allows: bool, expected: bool
) -> None:
    bucket_policy = policy(statement(effect, "s3:GetObject", OBJECT, Principal=grantee), name="BucketPolicy")
    identity = [policy(allow("s3:GetObject", OBJECT))] if identity_allows else []

    assert decide(request(), *identity, resource_policy=bucket_policy).allowed is expected


def test_given_an_account_principal_when_it_alone_allows_then_the_reason_explains_delegation() -> None:
    bucket_policy = policy(allow("s3:GetObject", OBJECT, Principal={"AWS": ACCOUNT}), name="BucketPolicy")

    decision = decide(request(), resource_policy=bucket_policy)

    assert f"names account {ACCOUNT}, which delegates to that account's identity-based policies" in decision.reason


@pytest.mark.parametrize(("excluded", "expected"), [(ROLE.arn, True), (OTHER_ROLE_ARN, False)])
def test_given_a_deny_with_not_principal_when_the_role_is_excluded_then_it_is_not_denied(
    excluded: str, expected: bool
) -> None:
    guard = {"Effect": "Deny", "Action": "s3:*", "Resource": f"{BUCKET}/*", "NotPrincipal": {"AWS": excluded}}

    decision = decide(request(), policy(allow("s3:GetObject", OBJECT)), resource_policy=policy(guard, name="Bucket"))

    assert decision.allowed is expected


@pytest.mark.parametrize(("secure_transport", "expected"), [(None, True), ("false", False)])
def test_given_a_bucket_policy_denying_insecure_transport_when_the_call_uses_https_then_it_does_not_deny(
    secure_transport: str | None, expected: bool
) -> None:
    # What CDK's enforceSSL adds to a bucket policy; every emulated SDK call is HTTPS unless the request says otherwise.
    enforce_ssl = deny(
        "s3:*", [BUCKET, f"{BUCKET}/*"], {"Bool": {"aws:SecureTransport": "false"}}, Principal={"AWS": "*"}
    )
    context = {} if secure_transport is None else {"aws:SecureTransport": secure_transport}

    decision = decide(
        request(**context),
        policy(allow("s3:GetObject", OBJECT)),
        resource_policy=policy(enforce_ssl, name="BucketPolicy"),
    )

    assert decision.allowed is expected


@pytest.mark.parametrize(("secure_transport", "expected"), [(None, True), (False, False)])
def test_given_an_allow_requiring_secure_transport_when_the_request_does_not_say_otherwise_then_https_is_assumed(
    secure_transport: bool | None, expected: bool
) -> None:
    context = {} if secure_transport is None else {"aws:SecureTransport": secure_transport}

    assert conditioned({"Bool": {"aws:SecureTransport": "true"}}, **context).allowed is expected


@pytest.mark.parametrize(
    ("key", "expected"),
    [("aws:PrincipalArn", ROLE.arn), ("aws:PrincipalAccount", ACCOUNT), ("aws:PrincipalIsAWSService", "false")],
)
def test_given_a_role_when_evaluated_then_the_global_principal_keys_are_in_the_context(key: str, expected: str) -> None:
    assert conditioned({"StringEquals": {key: expected}}).allowed
    assert not conditioned({"StringEquals": {key: "something-else"}}).allowed


def test_given_a_service_principal_when_evaluated_then_its_service_name_is_in_the_context() -> None:
    grant = topic_policy({"StringEquals": {"aws:PrincipalServiceName": "sagemaker.amazonaws.com"}}, principal="*")

    assert decide(request("sns:Publish", TOPIC), resource_policy=grant, principal=SAGEMAKER).allowed


# --- reasons ----------------------------------------------------------------------------------------------------------


def test_given_no_statement_for_the_action_when_denied_then_the_reason_names_principal_action_resource_and_call() -> (
    None
):
    req = AuthorizationRequest("s3:PutObject", OBJECT, {"s3:x-amz-acl": "private"}, "PutObject s3://labeling-bucket/x")

    decision = decide(req, policy(allow("s3:GetObject", OBJECT)))

    assert decision.reason == (
        f"{ROLE.arn} is not authorized to perform s3:PutObject on resource {OBJECT} (PutObject s3://labeling-bucket/x) "
        "with request condition keys {s3:x-amz-acl='private'}: no statement allows it (identity-based policies: "
        "RolePolicy; resource-based policy: none); no statement's Action covers it"
    )


def test_given_an_allow_for_another_resource_when_denied_then_the_near_miss_names_its_resource() -> None:
    decision = decide(request(), policy(allow("s3:GetObject", f"{BUCKET}/output/*", Sid="ReadOutput")))

    assert decision.reason.endswith(
        f"closest: RolePolicy statement 1 (Sid 'ReadOutput') allows s3:GetObject but its Resource "
        f"'{BUCKET}/output/*' does not match {OBJECT}"
    )


def test_given_two_near_misses_when_denied_then_the_condition_miss_is_closer_than_the_resource_miss() -> None:
    elsewhere = allow("s3:ListBucket", "arn:aws:s3:::other-bucket")
    wrong_prefix = allow("s3:ListBucket", BUCKET, {"StringLike": {"s3:prefix": ["input/*", "manifests/*"]}})

    decision = decide(request("s3:ListBucket", BUCKET, **{"s3:prefix": "output/"}), policy(elsewhere, wrong_prefix))

    assert decision.reason.endswith(
        "closest: RolePolicy statement 2 allows s3:ListBucket but its condition StringLike on s3:prefix expects "
        "['input/*', 'manifests/*'] while the request's s3:prefix is 'output/' "
        "(1 other Allow statement for this action also did not apply)"
    )


def test_given_a_multivalued_context_when_denied_then_the_reason_lists_its_values() -> None:
    decision = conditioned({"ForAllValues:StringEquals": {"aws:TagKeys": "team"}}, **{"aws:TagKeys": ["team", "x"]})

    assert "request condition keys {aws:TagKeys=['team', 'x']}" in decision.reason
    assert "the request's aws:TagKeys is ['team', 'x']" in decision.reason


def test_given_an_allowed_request_when_decided_then_the_reason_names_the_allowing_statement() -> None:
    decision = decide(request(), policy(allow("s3:PutObject"), allow("s3:GetObject", OBJECT)))

    assert decision.allowed
    assert decision.reason.endswith("allowed by RolePolicy statement 2")


def test_given_a_request_when_its_context_is_changed_afterwards_then_the_request_is_unaffected() -> None:
    context: dict[str, Any] = {"aws:TagKeys": ["team"]}
    req = AuthorizationRequest("s3:GetObject", OBJECT, context)

    context["aws:TagKeys"].append("secret")
    context["s3:prefix"] = "x"

    assert dict(req.context) == {"aws:TagKeys": ("team",)}


def test_given_equal_requests_when_put_in_a_set_then_they_are_one_and_differing_contexts_are_two() -> None:
    first = AuthorizationRequest("s3:ListBucket", BUCKET, {"s3:prefix": "a/"})

    requests = {first, AuthorizationRequest("s3:ListBucket", BUCKET, {"s3:prefix": "a/"})}
    requests.add(AuthorizationRequest("s3:ListBucket", BUCKET, {"s3:prefix": "b/"}))

    assert len(requests) == 2


# --- malformed policies -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "document",
    [
        {"Version": "2012-10-17"},
        {"Statement": [{"Action": "s3:*", "Resource": "*"}]},
        {"Statement": [{"Effect": "Permit", "Action": "s3:*", "Resource": "*"}]},
        {"Statement": [{"Effect": "Allow", "Action": "s3:*", "NotAction": "s3:Get*", "Resource": "*"}]},
        {"Statement": [{"Effect": "Allow", "Resource": "*"}]},
        {"Statement": [{"Effect": "Allow", "Action": "s3:GetObject"}]},
        {"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": ["x"]}]},
        {"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": {"Bool": "x"}}]},
        {"Statement": [{"Effect": "Allow", "Action": {"s3": "GetObject"}, "Resource": "*"}]},
        {"Statement": ["Allow"]},
    ],
)
def test_given_a_malformed_identity_policy_when_evaluated_then_policy_error(document: dict[str, Any]) -> None:
    with pytest.raises(PolicyError):
        decide(request(), NamedPolicy("Broken", document))


def test_given_a_resource_policy_statement_without_principal_when_evaluated_then_policy_error() -> None:
    with pytest.raises(PolicyError, match="Principal"):
        decide(request(), resource_policy=policy(allow("s3:GetObject", OBJECT), name="BucketPolicy"))


# --- a synthesized policy ---------------------------------------------------------------------------------------------

GROUND_TRUTH_ROLE = f"arn:aws:iam::{ACCOUNT}:role/gt3d-pipeline-GroundTruthExecutionRole-1A2B3C"
JOBS = f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:labeling-job/*"
CREATE_FUNCTION_POLICY = NamedPolicy(
    "CreateLabelingJobRolePolicy0B6B1D3C",
    {
        # The shape CDK synthesizes for an iam.Policy (tokens resolved): single actions as strings, lists otherwise.
        "Version": "2012-10-17",
        "Statement": [
            {
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Effect": "Allow",
                "Resource": f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/lambda/gt3d-create:*",
            },
            {
                "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
                "Effect": "Allow",
                "Resource": "*",
            },
            {
                "Action": "sagemaker:CreateLabelingJob",
                "Condition": {"ArnEquals": {"sagemaker:WorkteamArn": WORKTEAM}},
                "Effect": "Allow",
                "Resource": JOBS,
            },
            {"Action": "sagemaker:DescribeLabelingJob", "Effect": "Allow", "Resource": JOBS},
            {
                "Action": "iam:PassRole",
                "Condition": {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
                "Effect": "Allow",
                "Resource": GROUND_TRUTH_ROLE,
            },
            {
                "Action": "s3:GetObject",
                "Effect": "Allow",
                "Resource": [f"{BUCKET}/gt3d/input/*", f"{BUCKET}/gt3d/output/*"],
            },
            {
                "Action": "s3:ListBucket",
                "Condition": {"StringLike": {"s3:prefix": ["gt3d/input/*"]}},
                "Effect": "Allow",
                "Resource": BUCKET,
            },
        ],
    },
)
JOB = f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:labeling-job/gt3d-od-20240517093005-ab12"


@pytest.mark.parametrize(
    ("req", "expected"),
    [
        (AuthorizationRequest("sagemaker:CreateLabelingJob", JOB, {"sagemaker:WorkteamArn": WORKTEAM}), True),
        (AuthorizationRequest("sagemaker:CreateLabelingJob", JOB, {"sagemaker:WorkteamArn": WORKTEAM + "x"}), False),
        (AuthorizationRequest("sagemaker:CreateLabelingJob", JOB), False),
        (AuthorizationRequest("sagemaker:DescribeLabelingJob", JOB), True),
        (AuthorizationRequest("sagemaker:StopLabelingJob", JOB), False),
        (
            AuthorizationRequest("iam:PassRole", GROUND_TRUTH_ROLE, {"iam:PassedToService": "sagemaker.amazonaws.com"}),
            True,
        ),
        (
            AuthorizationRequest("iam:PassRole", GROUND_TRUTH_ROLE, {"iam:PassedToService": "lambda.amazonaws.com"}),
            False,
        ),
        (
            AuthorizationRequest("iam:PassRole", OTHER_ROLE_ARN, {"iam:PassedToService": "sagemaker.amazonaws.com"}),
            False,
        ),
        (AuthorizationRequest("sagemaker:AddTags", JOB), False),
        (AuthorizationRequest("s3:GetObject", f"{BUCKET}/gt3d/output/job/manifest"), True),
        (AuthorizationRequest("s3:GetObject", f"{BUCKET}/gt3d/other/x"), False),
        (AuthorizationRequest("s3:ListBucket", BUCKET, {"s3:prefix": "gt3d/input/seq1/"}), True),
        (AuthorizationRequest("s3:ListBucket", BUCKET, {"s3:prefix": "gt3d/output/"}), False),
        (AuthorizationRequest("s3:ListBucket", BUCKET), False),
        (AuthorizationRequest("xray:PutTraceSegments", "*"), True),
        (
            AuthorizationRequest(
                "logs:PutLogEvents", f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/lambda/gt3d-create:log-stream:x"
            ),
            True,
        ),
    ],
)
def test_given_a_synthesized_role_policy_when_the_function_acts_then_only_what_it_grants_is_allowed(
    req: AuthorizationRequest, expected: bool
) -> None:
    create_role = Principal(f"arn:aws:iam::{ACCOUNT}:role/gt3d-pipeline-CreateLabelingJobRole-9Z8Y", ACCOUNT)

    assert evaluate(req, principal=create_role, identity_policies=[CREATE_FUNCTION_POLICY]).allowed is expected
