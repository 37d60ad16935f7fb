"""Evaluate IAM policies for one request the way AWS's policy evaluation logic does, within a single account.

The offline runner authorizes every AWS call it emulates with :func:`evaluate`: an explicit ``Deny`` in any applicable
policy denies; otherwise an ``Allow`` in an identity-based policy, or in the resource-based policy for a principal it
names, allows; otherwise the request is implicitly denied. The :class:`Decision` says why, precisely enough to fix the
policy from the message alone.

Modeled: ``Effect``, ``Action``/``NotAction``, ``Resource``/``NotResource``, ``Principal``/``NotPrincipal``
(resource policies), ``Condition`` with the string, ARN, numeric, ``Bool`` and ``Null`` operators, their ``IfExists``
forms and the ``ForAllValues:``/``ForAnyValue:`` set operators.

Not modeled, on purpose:

* Cross-account access (a resource policy naming another account, or a principal of another account): every principal
  and resource is taken to be in one account.
* Permissions boundaries, session policies, service control and resource control policies.
* ``NotPrincipal`` is simplified: it excludes a principal it names by ARN or through its account.
* Date, IP address and binary condition operators, and policy variables (``${aws:username}``). A statement using one
  fails closed: an ``Allow`` does not apply and a ``Deny`` does, and the reason says which element was not understood.
  AWS rejects unknown operators when a policy is created, so failing closed can only make the offline run stricter.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final, TypeAlias

ContextScalar: TypeAlias = str | bool | int | float
ContextValue: TypeAlias = ContextScalar | Sequence[str]

SECURE_TRANSPORT: Final = "true"
"""``aws:SecureTransport`` of every emulated call: the SDK always speaks HTTPS."""

_VARIABLES_VERSION: Final = "2012-10-17"
"""Only this policy language version substitutes ``${...}``; under 2008-10-17 (or no Version) it is literal text."""

_ROOT_ARN = re.compile(r"arn:[^:]+:iam::(?P<account>\d{12}):root")


class PolicyError(ValueError):
    """A policy document is malformed in a way AWS would reject when the policy is created."""


@dataclass(frozen=True, slots=True)
class Principal:
    """Who makes the request: an IAM role or user ARN, or a service principal such as ``sagemaker.amazonaws.com``."""

    arn: str
    account: str
    """The principal's account; for a service acting on behalf of an account, that account."""

    @property
    def is_service(self) -> bool:
        """Return True for a service principal (``x.amazonaws.com``), which only resource-based policies authorize."""
        return not self.arn.startswith("arn:")


@dataclass(frozen=True, slots=True)
class NamedPolicy:
    """A policy document with the name used for it in messages (e.g. the role's inline policy or the bucket policy)."""

    name: str
    document: Mapping[str, Any]


def _freeze_context(context: Mapping[str, ContextValue]) -> Mapping[str, ContextValue]:
    frozen: dict[str, ContextValue] = {}
    for key, value in context.items():
        frozen[key] = value if isinstance(value, str | bool | int | float) else tuple(value)
    return MappingProxyType(frozen)


@dataclass(frozen=True, slots=True)
class AuthorizationRequest:
    """One authorization AWS evaluates for an API call: an action on a resource, with the request's condition keys."""

    action: str
    """``service:Action`` as IAM names it, e.g. ``s3:GetObject``."""
    resource: str
    """The full ARN, or ``*`` when the action supports no resource type."""
    context: Mapping[str, ContextValue] = field(default_factory=dict, hash=False)
    """The request's condition keys, e.g. ``{"s3:prefix": "a/"}``; a list value is a multivalued key (compared for
    equality, left out of the hash: a mapping has none)."""
    description: str = ""
    """The API call this authorization belongs to, for messages (e.g. ``HeadObject s3://bucket/key``)."""

    def __post_init__(self) -> None:
        """Freeze the context so that a request cannot change after it was evaluated."""
        object.__setattr__(self, "context", _freeze_context(self.context))


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome of :func:`evaluate`: allowed or not, and a reason a person can act on."""

    allowed: bool
    request: AuthorizationRequest
    principal: Principal
    reason: str


# --- matching primitives ----------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=4096)
def _glob(pattern: str, *, ignore_case: bool) -> re.Pattern[str]:
    """Compile an IAM wildcard pattern: ``*`` is any run of characters (``/`` and ``:`` included), ``?`` one."""
    body = "".join(".*" if char == "*" else "." if char == "?" else re.escape(char) for char in pattern)
    return re.compile(body, re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def _glob_match(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    return _glob(pattern, ignore_case=ignore_case).fullmatch(value) is not None


def _arn_match(pattern: str, value: str) -> bool:
    """Match an ARN pattern as IAM does: each of the six colon-separated parts on its own, wildcards within a part.

    The sixth part (the resource) keeps its own colons (``function:name:qualifier``). A pattern with fewer than six
    parts (``*``, ``arn:aws:*``) is matched against the whole string.
    """
    pattern_parts = pattern.split(":", 5)
    if len(pattern_parts) < 6:
        return _glob_match(pattern, value)
    value_parts = value.split(":", 5)
    if len(value_parts) < 6:
        return False
    return all(_glob_match(part, actual) for part, actual in zip(pattern_parts, value_parts, strict=True))


def _strings(raw: Any, *, where: str) -> list[str]:
    """Normalize a policy element that may be one value or a list of values into strings."""
    values = raw if isinstance(raw, list | tuple) else [raw]
    result: list[str] = []
    for value in values:
        if isinstance(value, bool):
            result.append("true" if value else "false")
        elif isinstance(value, str | int | float):
            result.append(str(value))
        else:
            raise PolicyError(f"{where}: {value!r} is not a string, number or boolean")
    return result


def _context_strings(value: ContextValue) -> tuple[str, ...]:
    if isinstance(value, bool):
        return ("true" if value else "false",)
    if isinstance(value, str | int | float):
        return (str(value),)
    return tuple(str(item) for item in value)


def _has_variable(text: str) -> bool:
    return "${" in text


@dataclass(frozen=True, slots=True)
class _Match:
    """A three-valued match: True, False, or None when the element uses something this evaluator does not model."""

    ok: bool | None
    why: str = ""


_MATCHED: Final = _Match(True)


# --- conditions -------------------------------------------------------------------------------------------------------


def _numeric(test: Callable[[float, float], bool]) -> Callable[[str, str], bool]:
    def compare(expected: str, actual: str) -> bool:
        try:
            return test(float(actual), float(expected))
        except ValueError:  # a value that is not a number matches nothing, as in AWS
            return False

    return compare


@dataclass(frozen=True, slots=True)
class _Operator:
    """A base condition operator: ``compare(policy value, request value)`` and whether the operator negates it."""

    name: str
    compare: Callable[[str, str], bool]
    negated: bool = False


def _equals(expected: str, actual: str) -> bool:
    return expected == actual


def _equals_ignore_case(expected: str, actual: str) -> bool:
    return expected.casefold() == actual.casefold()


def _like(expected: str, actual: str) -> bool:
    return _glob_match(expected, actual)


def _bool_equals(expected: str, actual: str) -> bool:
    # Policies spell booleans "true"/"True"/true; the request's value is normalized to "true"/"false".
    return expected.lower() == actual.lower()


def _operators() -> dict[str, _Operator]:
    table = [
        _Operator("StringEquals", _equals),
        _Operator("StringNotEquals", _equals, negated=True),
        _Operator("StringEqualsIgnoreCase", _equals_ignore_case),
        _Operator("StringNotEqualsIgnoreCase", _equals_ignore_case, negated=True),
        _Operator("StringLike", _like),
        _Operator("StringNotLike", _like, negated=True),
        # AWS documents ArnEquals and ArnLike as the same comparison (wildcards allowed in both).
        _Operator("ArnEquals", _arn_match),
        _Operator("ArnLike", _arn_match),
        _Operator("ArnNotEquals", _arn_match, negated=True),
        _Operator("ArnNotLike", _arn_match, negated=True),
        _Operator("NumericEquals", _numeric(float.__eq__)),
        _Operator("NumericNotEquals", _numeric(float.__eq__), negated=True),
        _Operator("NumericLessThan", _numeric(float.__lt__)),
        _Operator("NumericLessThanEquals", _numeric(float.__le__)),
        _Operator("NumericGreaterThan", _numeric(float.__gt__)),
        _Operator("NumericGreaterThanEquals", _numeric(float.__ge__)),
        _Operator("Bool", _bool_equals),
    ]
    return {operator.name.lower(): operator for operator in table}


_OPERATORS: Final = _operators()
_OPERATOR_NAME = re.compile(
    r"(?:(?P<qualifier>ForAllValues|ForAnyValue):)?(?P<base>[A-Za-z]+?)(?P<if_exists>IfExists)?"
)


@dataclass(frozen=True, slots=True)
class _ConditionOperator:
    """A parsed operator name such as ``ForAnyValue:StringLikeIfExists``; ``base`` None means ``Null``."""

    text: str
    base: _Operator | None
    qualifier: str
    if_exists: bool


def _parse_operator(text: str) -> _ConditionOperator | str:
    """Return the parsed operator, or why it is not supported."""
    match = _OPERATOR_NAME.fullmatch(text)
    if match is None:
        return f"unsupported condition operator {text!r}"
    base_name = match["base"].lower()
    qualifier = match["qualifier"] or ""
    if base_name == "null":
        if qualifier or match["if_exists"]:
            return f"unsupported condition operator {text!r} (Null takes no set operator or IfExists)"
        return _ConditionOperator(text, None, "", False)
    base = _OPERATORS.get(base_name)
    if base is None:
        return f"unsupported condition operator {text!r}"
    return _ConditionOperator(text, base, qualifier, match["if_exists"] is not None)


def _show(values: Sequence[str]) -> str:
    return repr(values[0]) if len(values) == 1 else repr(list(values))


def _value_matches(operator: _Operator, actual: str, expected: Sequence[str]) -> bool:
    # Several policy values for one key are ORed; a negated operator negates the OR (the value matches none of them).
    positive = any(operator.compare(value, actual) for value in expected)
    return not positive if operator.negated else positive


def _absent_result(operator: _ConditionOperator) -> bool:
    """What an operator evaluates to when the request lacks the key (AWS's documented rules)."""
    if operator.if_exists or operator.qualifier == "ForAllValues":
        return True
    if operator.qualifier == "ForAnyValue":
        return False
    assert operator.base is not None
    return operator.base.negated


def _null_matches(expected: Sequence[str], present: bool) -> bool:
    return any((value.lower() == "true") != present for value in expected)


def _key_match(
    operator: _ConditionOperator, key: str, expected: list[str], context: Mapping[str, ContextValue]
) -> bool:
    raw = context.get(key.lower())
    actual = _context_strings(raw) if raw is not None else ()
    if operator.base is None:
        return _null_matches(expected, present=bool(actual))
    if not actual:  # an empty multivalued key counts as absent, as in AWS
        return _absent_result(operator)
    results = [_value_matches(operator.base, value, expected) for value in actual]
    # Without a set operator a multivalued key is compared like ForAnyValue (AWS requires a set operator there).
    return all(results) if operator.qualifier == "ForAllValues" else any(results)


def _describe_actual(key: str, context: Mapping[str, ContextValue]) -> str:
    raw = context.get(key.lower())
    if raw is None:
        return f"the request's {key} is absent"
    actual = _context_strings(raw)
    return (
        f"the request's {key} is {actual[0]!r}"
        if isinstance(raw, str | bool | int | float)
        else f"the request's {key} is {list(actual)!r}"
    )


def _condition_block_match(block: Any, context: Mapping[str, ContextValue], *, variables: bool, where: str) -> _Match:
    """Evaluate a Condition element: every operator and every key in it must hold (AND); unknown parts fail closed."""
    if not isinstance(block, Mapping):
        raise PolicyError(f"{where}: Condition must be an object, not {block!r}")
    unsupported: _Match | None = None
    for operator_text, keys in block.items():
        if not isinstance(keys, Mapping):
            raise PolicyError(f"{where}: Condition operator {operator_text!r} must map keys to values")
        operator = _parse_operator(str(operator_text))
        for key, raw_values in keys.items():
            expected = _strings(raw_values, where=f"{where} Condition {operator_text} {key}")
            if isinstance(operator, str):
                unsupported = unsupported or _Match(None, operator)
                continue
            if variables and any(_has_variable(value) for value in expected):
                unsupported = unsupported or _Match(
                    None,
                    f"its condition {operator.text} on {key} uses a policy variable ({_show(expected)}), not supported",
                )
                continue
            if not _key_match(operator, key, expected, context):
                return _Match(
                    False,
                    f"its condition {operator.text} on {key} expects {_show(expected)} while "
                    f"{_describe_actual(key, context)}",
                )
    return unsupported or _MATCHED


# --- statements -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Statement:
    policy: str
    index: int
    """1-based position in the policy's Statement list."""
    body: Mapping[str, Any]
    variables: bool
    """Whether ``${...}`` is a policy variable here (policy Version 2012-10-17)."""
    in_resource_policy: bool

    @property
    def effect(self) -> str:
        effect = self.body.get("Effect")
        if effect not in ("Allow", "Deny"):
            raise PolicyError(f"{self.label}: Effect must be 'Allow' or 'Deny', not {effect!r}")
        return str(effect)

    @property
    def label(self) -> str:
        sid = self.body.get("Sid")
        return f"{self.policy} statement {self.index}" + (f" (Sid {sid!r})" if sid else "")

    def one_of(self, positive: str, negative: str) -> tuple[str, Any]:
        """Return which of two mutually exclusive elements the statement uses, and its value."""
        has_positive, has_negative = positive in self.body, negative in self.body
        if has_positive == has_negative:
            raise PolicyError(f"{self.label}: exactly one of {positive} and {negative} is required")
        name = positive if has_positive else negative
        return name, self.body[name]


def _statements(policy: NamedPolicy, *, in_resource_policy: bool) -> Iterator[_Statement]:
    document = policy.document
    if not isinstance(document, Mapping) or "Statement" not in document:
        raise PolicyError(f"{policy.name}: a policy document needs a Statement element")
    raw = document["Statement"]
    statements = raw if isinstance(raw, list) else [raw]
    variables = document.get("Version") == _VARIABLES_VERSION
    for index, body in enumerate(statements, start=1):
        if not isinstance(body, Mapping):
            raise PolicyError(f"{policy.name} statement {index}: a statement must be an object")
        yield _Statement(policy.name, index, body, variables, in_resource_policy)


def _action_match(statement: _Statement, action: str) -> _Match:
    name, raw = statement.one_of("Action", "NotAction")
    patterns = _strings(raw, where=f"{statement.label} {name}")
    # Action names are case-insensitive in IAM.
    listed = any(_glob_match(pattern, action, ignore_case=True) for pattern in patterns)
    if listed == (name == "Action"):
        return _MATCHED
    verb = "does not list" if name == "Action" else "excludes"
    return _Match(False, f"its {name} {_show(patterns)} {verb} {action}")


def _resource_pattern_match(statement: _Statement, pattern: str, resource: str) -> _Match:
    if statement.variables and _has_variable(pattern):
        return _Match(None, f"its Resource {pattern!r} uses a policy variable, not supported")
    return _Match(_arn_match(pattern, resource))


def _resource_match(statement: _Statement, resource: str) -> _Match:
    if statement.in_resource_policy and "Resource" not in statement.body and "NotResource" not in statement.body:
        return _MATCHED  # e.g. a role trust policy: the resource is the one the policy is attached to
    name, raw = statement.one_of("Resource", "NotResource")
    patterns = _strings(raw, where=f"{statement.label} {name}")
    results = [_resource_pattern_match(statement, pattern, resource) for pattern in patterns]
    unsupported = next((result for result in results if result.ok is None), None)
    if name == "Resource":
        if any(result.ok for result in results):
            return _MATCHED
        return unsupported or _Match(False, f"its Resource {_show(patterns)} does not match {resource}")
    if any(result.ok for result in results):
        return _Match(False, f"its NotResource {_show(patterns)} excludes {resource}")
    return unsupported or _MATCHED


_DIRECT, _ACCOUNT, _NONE = "direct", "account", "none"


def _names_account(value: str, account: str) -> bool:
    """Whether a Principal value is the account: its 12-digit id or ``arn:<partition>:iam::<id>:root``."""
    root = _ROOT_ARN.fullmatch(value)
    return value == account or (root is not None and root["account"] == account)


def _principal_kind(element: Any, principal: Principal, *, where: str) -> str:
    """How a Principal element names the principal: directly, through its account (delegation), or not at all."""
    if element == "*":
        return _DIRECT
    if not isinstance(element, Mapping):
        raise PolicyError(f"{where}: Principal must be '*' or an object, not {element!r}")
    kind = _NONE
    for value in _strings(element.get("AWS", []), where=f"{where} Principal AWS"):
        if value == "*" or (not principal.is_service and value == principal.arn):
            return _DIRECT
        if not principal.is_service and _names_account(value, principal.account):
            kind = _ACCOUNT
    services = _strings(element.get("Service", []), where=f"{where} Principal Service")
    if principal.is_service and principal.arn.lower() in (service.lower() for service in services):
        return _DIRECT
    return kind


def _principal_match(statement: _Statement, principal: Principal) -> _Match:
    if not statement.in_resource_policy:
        return _MATCHED  # identity-based policies apply to the identity they are attached to
    name, element = statement.one_of("Principal", "NotPrincipal")
    kind = _principal_kind(element, principal, where=statement.label)
    if name == "NotPrincipal":
        return _MATCHED if kind == _NONE else _Match(False, f"its NotPrincipal {element!r} excludes {principal.arn}")
    if kind == _DIRECT or (kind == _ACCOUNT and statement.effect == "Deny"):
        return _MATCHED
    if kind == _ACCOUNT:
        return _Match(
            False,
            f"its Principal {element!r} names account {principal.account}, which delegates to that account's "
            f"identity-based policies and grants {principal.arn} nothing by itself",
        )
    return _Match(False, f"its Principal {element!r} does not include {principal.arn}")


@dataclass(frozen=True, slots=True)
class _Result:
    statement: _Statement
    applies: bool
    stage: int
    """How far the statement matched: 0 Action, 1 Principal, 2 Resource, 3 Condition, 4 everything."""
    why: str


def _check(
    statement: _Statement, request: AuthorizationRequest, principal: Principal, context: Mapping[str, ContextValue]
) -> _Result:
    checks: tuple[Callable[[], _Match], ...] = (
        lambda: _action_match(statement, request.action),
        lambda: _principal_match(statement, principal),
        lambda: _resource_match(statement, request.resource),
        lambda: _condition_block_match(
            statement.body.get("Condition", {}), context, variables=statement.variables, where=statement.label
        ),
    )
    deny = statement.effect == "Deny"
    notes: list[str] = []
    for stage, check in enumerate(checks):
        match = check()
        if match.ok is None and deny:
            notes.append(f"{match.why}; the Deny is applied anyway (fail closed)")
            continue
        if match.ok is None:
            return _Result(statement, False, stage, f"{match.why}, so the Allow is not applied (fail closed)")
        if not match.ok:
            return _Result(statement, False, stage, match.why)
    return _Result(statement, True, len(checks), "; ".join(notes))


# --- evaluation -------------------------------------------------------------------------------------------------------


def _global_context(principal: Principal) -> dict[str, ContextValue]:
    """The condition keys AWS adds to every request by this principal (the request's own keys override them)."""
    context: dict[str, ContextValue] = {"aws:SecureTransport": SECURE_TRANSPORT}
    if principal.is_service:
        context["aws:PrincipalServiceName"] = principal.arn
        context["aws:PrincipalIsAWSService"] = "true"
        context["aws:SourceAccount"] = principal.account
    else:
        context["aws:PrincipalArn"] = principal.arn
        context["aws:PrincipalAccount"] = principal.account
        context["aws:PrincipalIsAWSService"] = "false"
    return context


def _lowercase_keys(context: Mapping[str, ContextValue]) -> dict[str, ContextValue]:
    # Condition key names are case-insensitive.
    return {key.lower(): value for key, value in context.items()}


def _describe_context(context: Mapping[str, ContextValue]) -> str:
    if not context:
        return "no request condition keys"
    shown = ", ".join(
        f"{key}={value!r}" if isinstance(value, str | bool | int | float) else f"{key}={list(value)!r}"
        for key, value in sorted(context.items())
    )
    return f"request condition keys {{{shown}}}"


def _subject(request: AuthorizationRequest, principal: Principal, *, allowed: bool) -> str:
    call = f" ({request.description})" if request.description else ""
    verdict = "is authorized" if allowed else "is not authorized"
    return f"{principal.arn} {verdict} to perform {request.action} on resource {request.resource}{call}"


def _near_miss(results: Sequence[_Result], action: str) -> str:
    """Describe the Allow statement that came closest to allowing the request: the furthest one its Action reached."""
    candidates = [result for result in results if result.statement.effect == "Allow" and result.stage > 0]
    if not candidates:
        return "no statement's Action covers it"
    best = max(candidates, key=lambda result: result.stage)  # max keeps the first of equals: policy order
    others = len(candidates) - 1
    more = (
        f" ({others} other Allow statement{'s' if others != 1 else ''} for this action also did not apply)"
        if others
        else ""
    )
    return f"closest: {best.statement.label} allows {action} but {best.why}{more}"


def evaluate(
    request: AuthorizationRequest,
    *,
    principal: Principal,
    identity_policies: Sequence[NamedPolicy] = (),
    resource_policy: NamedPolicy | None = None,
) -> Decision:
    """Decide one authorization: explicit Deny, else an applicable Allow, else implicit deny (single account).

    ``identity_policies`` are the policies attached to ``principal`` (a service principal has none: pass nothing);
    ``resource_policy`` is the policy of the resource acted on, if it has one (a bucket, topic or key policy).
    Raises :class:`PolicyError` for a malformed policy document.
    """
    if principal.is_service and identity_policies:
        raise ValueError(f"{principal.arn} is a service principal: it has no identity-based policies")
    context = _lowercase_keys({**_global_context(principal), **request.context})
    statements = [
        statement for policy in identity_policies for statement in _statements(policy, in_resource_policy=False)
    ]
    if resource_policy is not None:
        statements += _statements(resource_policy, in_resource_policy=True)
    results = [_check(statement, request, principal, context) for statement in statements]

    def decision(allowed: bool, why: str) -> Decision:
        subject = _subject(request, principal, allowed=allowed)
        reason = f"{subject} with {_describe_context(request.context)}: {why}"
        return Decision(allowed=allowed, request=request, principal=principal, reason=reason)

    deny = next((result for result in results if result.applies and result.statement.effect == "Deny"), None)
    if deny is not None:
        note = f" ({deny.why})" if deny.why else ""
        return decision(False, f"explicit Deny in {deny.statement.label}{note}")
    allow = next((result for result in results if result.applies), None)
    if allow is not None:
        return decision(True, f"allowed by {allow.statement.label}")
    checked = _checked_policies(identity_policies, resource_policy, principal)
    return decision(False, f"no statement allows it ({checked}); {_near_miss(results, request.action)}")


def _checked_policies(identity: Sequence[NamedPolicy], resource: NamedPolicy | None, principal: Principal) -> str:
    if principal.is_service:
        checked = "a service principal has no identity-based policies"
    else:
        checked = "identity-based policies: " + (", ".join(policy.name for policy in identity) or "none")
    return f"{checked}; resource-based policy: {resource.name if resource is not None else 'none'}"
