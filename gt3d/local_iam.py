"""IAM in the local run: every AWS call made for a deployed principal is authorized as AWS would authorize it.

moto does not evaluate policies, so without this a missing permission passes every offline test. While a
:class:`LocalIam` is active, each botocore call made by a *principal* is turned into the authorizations AWS evaluates
for it (:func:`gt3d.iam.authorizations`: the action, the resource ARN, the request's condition keys and the
dependent actions), each decided by :func:`gt3d.iam.evaluate` against the principal's synthesized identity policies
and the resource's policy (bucket and topic policies). A denied call is answered the way the service answers it (HTTP
403, ``AccessDenied``/``AccessDeniedException``/``AuthorizationError``, AWS's "is not authorized to perform" message
plus what the policies lack), and recorded in :attr:`LocalIam.denials`.

Who the principal is, is decided when a client is created, as credentials are in AWS:

- a client created while a Lambda handler runs (:func:`acting_as` the function's role, set by
  :mod:`gt3d.lambda_runtime`) acts as that role, whichever thread later uses it (the copy's transfer threads);
- the Step Functions engine's clients act as the state machine's role (:mod:`gt3d.sfn_engine` creates them
  :func:`acting_as` the role the engine hands over);
- the emulated Ground Truth reads and writes the job's data :func:`acting_as` the job's execution role;
- every other client (the runner's own deployment and polling, test set-up, the emulated service's own
  bookkeeping: ``acting_as(None)``) is not checked: it stands for the deployer and for AWS itself.

Also modeled: S3 answers a GetObject/HeadObject of a missing key with 403 unless the caller may ``s3:ListBucket``
the bucket without a prefix (https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html), and a state
machine with a ``.sync`` integration needs the EventBridge permissions on the rule Step Functions manages
(https://docs.aws.amazon.com/step-functions/latest/dg/stepfunctions-iam.html). Not modeled: cross-account access,
permission boundaries, SCPs, session policies, KMS key policies (the results topic uses the AWS managed key, whose
policy admits every principal of the account through SNS) and Lambda resource policies (every caller here is in the
function's account and allowed by its identity policy).
"""

from __future__ import annotations

import contextlib
import threading
import uuid
import weakref
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from unittest import mock

import botocore.session
from botocore.awsrequest import AWSResponse, HTTPHeaders
from botocore.handlers import BUILTIN_HANDLERS
from moto.s3.exceptions import MissingBucket
from moto.s3.models import s3_backends

from gt3d.active_slot import ActiveSlot
from gt3d.iam import AuthorizationRequest, Decision, NamedPolicy, Principal, UnmodeledOperationError, authorizations
from gt3d.iam import evaluate as evaluate_policies

SYNC_EVENTS_RULE = "StepFunctionsGetEventsForStepFunctionsExecutionRule"
"""The EventBridge rule Step Functions manages for ``.sync`` integrations: the state machine's role must manage it."""
SYNC_EVENTS_ACTIONS = ("events:PutTargets", "events:PutRule", "events:DescribeRule")

_DENIED_CODES = {"s3": "AccessDenied", "sns": "AuthorizationError"}
"""How each service names a denial; the rest say ``AccessDeniedException``."""
_PARAMS_KEY = "gt3d_iam_params"
_UNCHECKED = None


class _PrincipalScope(threading.local):
    arn: str | None = _UNCHECKED


_scope = _PrincipalScope()
_ACTIVE: ActiveSlot[LocalIam] = ActiveSlot("LocalIam")


@contextlib.contextmanager
def acting_as(principal_arn: str | None) -> Iterator[None]:
    """Make the clients created in this thread, inside the block, act as ``principal_arn`` (None: not checked)."""
    previous = _scope.arn
    _scope.arn = principal_arn
    try:
        yield
    finally:
        _scope.arn = previous


@dataclass(frozen=True, slots=True)
class Denial:
    """One call the local run refused: who made it, which operation, and why (what the policies lack)."""

    principal: str
    operation: str
    reason: str

    def __str__(self) -> str:
        return f"{self.operation} by {self.principal}: {self.reason}"


class LocalIam:
    """The emulated account's IAM: the deployed principals' policies and the resource policies, enforced on calls."""

    def __init__(self, *, account: str, region: str, partition: str = "aws") -> None:
        self.account = account
        self.region = region
        self.partition = partition
        self.identity_policies: dict[str, list[NamedPolicy]] = {}
        self.resource_policies: dict[str, list[NamedPolicy]] = {}
        self.sync_principals: set[str] = set()
        self.denials: list[Denial] = []
        self.authorized_calls = 0
        self._principals: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()
        self._patch = mock.patch.object(botocore.session.Session, "create_client", self._creating_client())

    # --- what is deployed ------------------------------------------------------------------------------------------
    def add_identity_policy(self, principal_arn: str, policy: NamedPolicy) -> None:
        """Attach ``policy`` to the role ``principal_arn`` (an inline or managed policy of the role)."""
        self.identity_policies.setdefault(principal_arn, []).append(policy)

    def add_resource_policy(self, resource_arn: str, policy: NamedPolicy) -> None:
        """Attach ``policy`` to a resource: a bucket (``arn:aws:s3:::name``, covering its objects) or a topic."""
        self.resource_policies.setdefault(resource_arn, []).append(policy)

    def add_sync_integration(self, principal_arn: str) -> None:
        """Record that the state machine run by ``principal_arn`` uses ``.sync`` integrations."""
        self.sync_principals.add(principal_arn)

    # --- decisions ---------------------------------------------------------------------------------------------------
    def evaluate(self, principal_arn: str, request: AuthorizationRequest) -> Decision:
        """Decide one authorization for ``principal_arn`` as AWS would (identity and resource policies)."""
        principal = Principal(arn=principal_arn, account=self.account)
        identity = [] if principal.is_service else self.identity_policies.get(principal_arn, [])
        resource_policy = _combined(self._resource_policies(request.resource))
        return evaluate_policies(
            request, principal=principal, identity_policies=identity, resource_policy=resource_policy
        )

    def _resource_policies(self, resource: str) -> list[NamedPolicy]:
        if resource.startswith("arn:") and ":s3:::" in resource:
            bucket = resource.split(":::", 1)[1].split("/", 1)[0]
            return self.resource_policies.get(f"arn:{self.partition}:s3:::{bucket}", [])
        return self.resource_policies.get(resource, [])

    def required(
        self, principal_arn: str, service: str, operation: str, params: Mapping[str, Any]
    ) -> list[AuthorizationRequest]:
        """Return every authorization a call needs, the ``.sync`` rule's for a state machine that starts executions."""
        needed = authorizations(
            service, operation, params, region=self.region, account=self.account, partition=self.partition
        )
        if service == "stepfunctions" and operation == "StartExecution" and principal_arn in self.sync_principals:
            rule = f"arn:{self.partition}:events:{self.region}:{self.account}:rule/{SYNC_EVENTS_RULE}"
            needed += [
                AuthorizationRequest(
                    action, rule, description=f"startExecution.sync of {params.get('stateMachineArn')}"
                )
                for action in SYNC_EVENTS_ACTIONS
            ]
        return needed

    def authorize(self, principal_arn: str, service: str, operation: str, params: Mapping[str, Any]) -> Decision | None:
        """Return the first denied authorization of a call (recorded in :attr:`denials`), or None when it is allowed."""
        try:
            needed = self.required(principal_arn, service, operation, params)
        except UnmodeledOperationError as error:
            return self._deny(principal_arn, operation, AuthorizationRequest(f"{service}:{operation}", "*"), str(error))
        for request in needed:
            decision = self.evaluate(principal_arn, request)
            if not decision.allowed:
                return self._deny(principal_arn, operation, request, decision.reason, decision)
        if service == "s3" and operation in ("GetObject", "HeadObject") and self._missing(params):
            listing = AuthorizationRequest(
                "s3:ListBucket",
                f"arn:{self.partition}:s3:::{params['Bucket']}",
                description=f"{operation} of a missing key",
            )
            decision = self.evaluate(principal_arn, listing)
            if not decision.allowed:
                reason = (
                    f"s3://{params['Bucket']}/{params['Key']} does not exist, and S3 answers a missing key with 403 "
                    f"unless the caller may s3:ListBucket the bucket without a prefix condition: {decision.reason}"
                )
                return self._deny(principal_arn, operation, listing, reason, decision)
        with self._lock:
            self.authorized_calls += 1
        return None

    def _deny(
        self,
        principal_arn: str,
        operation: str,
        request: AuthorizationRequest,
        reason: str,
        decision: Decision | None = None,
    ) -> Decision:
        denial = Denial(principal=principal_arn, operation=operation, reason=reason)
        with self._lock:
            self.denials.append(denial)
        return decision or Decision(
            allowed=False, request=request, principal=Principal(principal_arn, self.account), reason=reason
        )

    def _missing(self, params: Mapping[str, Any]) -> bool:
        try:
            bucket = s3_backends[self.account][self.partition].get_bucket(params["Bucket"])
        except MissingBucket:  # S3 (moto) answers NoSuchBucket itself
            return False
        return params["Key"] not in bucket.keys

    # --- activation --------------------------------------------------------------------------------------------------
    def __enter__(self) -> LocalIam:
        _ACTIVE.enter(self)
        self._patch.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._patch.stop()
        _ACTIVE.leave(self)

    def _creating_client(self) -> Any:
        original = botocore.session.Session.create_client
        principals = self._principals

        def create_client(session: botocore.session.Session, *args: Any, **kwargs: Any) -> Any:
            client = original(session, *args, **kwargs)
            if _scope.arn is not _UNCHECKED:
                principals[client._request_signer] = _scope.arn  # type: ignore[attr-defined]
            return client

        return create_client

    def principal_of(self, request_signer: Any) -> str | None:
        """Return the principal a client (known by its request signer) acts as, or None when it is not checked."""
        return self._principals.get(request_signer)


def _combined(policies: list[NamedPolicy]) -> NamedPolicy | None:
    """Return a resource's policies as one (a resource has one policy in AWS; stacks may attach it in parts)."""
    if len(policies) <= 1:
        return policies[0] if policies else None
    statements = [
        statement
        for policy in policies
        for statement in (
            policy.document["Statement"]
            if isinstance(policy.document["Statement"], list)
            else [policy.document["Statement"]]
        )
    ]
    return NamedPolicy(
        " + ".join(policy.name for policy in policies), {"Version": "2012-10-17", "Statement": statements}
    )


def _keep_params(params: Mapping[str, Any], context: dict[str, Any], **_: Any) -> None:
    """Keep the caller's parameters (before serialization): authorizations are derived from them."""
    if _ACTIVE.current is not None:
        # Not a deep copy: a Body may be a stream (with a lock); authorizations only read the request's members.
        context[_PARAMS_KEY] = dict(params)


def _authorize(
    model: Any, context: dict[str, Any], request_signer: Any = None, **_: Any
) -> tuple[AWSResponse, dict[str, Any]] | None:
    """Answer a denied call with the service's 403; let an allowed or unchecked one through (``None``)."""
    iam = _ACTIVE.current
    params = context.pop(_PARAMS_KEY, None)
    if iam is None or params is None or request_signer is None:
        return None
    principal = iam.principal_of(request_signer)
    if principal is None:
        return None
    service = model.service_model.service_name
    decision = iam.authorize(principal, service, model.name, params)
    if decision is None:
        return None
    return _denied_response(service, model.name, decision)


def _denied_response(service: str, operation: str, decision: Decision) -> tuple[AWSResponse, dict[str, Any]]:
    code = "403" if operation == "HeadObject" else _DENIED_CODES.get(service, "AccessDeniedException")
    # AWS's wording ("User: <principal> is not authorized to perform <action> on resource <arn>"), then what the
    # policies lack.
    message = f"User: {decision.reason}"
    request_id = str(uuid.uuid4())
    parsed = {
        "Error": {"Code": code, "Message": "Forbidden" if code == "403" else message},
        "message": message,
        "ResponseMetadata": {"RequestId": request_id, "HTTPStatusCode": 403, "HTTPHeaders": {}},
    }
    return AWSResponse("", 403, HTTPHeaders(), None), parsed


# Registered once for every botocore session created from now on; inert while no LocalIam is active. The
# ``*.*`` depth makes these run before service-specific handlers (the emulated Ground Truth answers
# ``before-call.sagemaker``): a denied call never reaches the emulated service.
BUILTIN_HANDLERS.append(("before-parameter-build.*.*", _keep_params))
BUILTIN_HANDLERS.append(("before-call.*.*", _authorize))
