"""CloudFormation's DescribeStacks for an emulated deployment: its stacks, with the outputs it resolved.

The commands that operate a deployment (``gt3d start``, ``status``, ...) find it from its stack outputs. moto's
CloudFormation would deploy the templates itself (and needs packages this project does not install), so while a
:class:`LocalStacks` is active every boto3 client's ``cloudformation:DescribeStacks`` is answered here, from
``{stack name: {output key: value}}`` (:meth:`gt3d.local_cloud.LocalCloud.stack_outputs`), the way the service answers
it: one stack by name or ARN (a ``ValidationError`` when there is none), or every stack.
"""

from __future__ import annotations

import copy
import datetime
import uuid
from collections.abc import Mapping
from typing import Any

from botocore.awsrequest import AWSResponse, HTTPHeaders
from botocore.handlers import BUILTIN_HANDLERS

from gt3d.active_slot import ActiveSlot

_ACTIVE: ActiveSlot[LocalStacks] = ActiveSlot("LocalStacks")
_PARAMS_KEY = "gt3d_stacks_params"


class LocalStacks:
    """The stacks of an emulated deployment, answering DescribeStacks while active (``with``)."""

    def __init__(self, outputs: Mapping[str, Mapping[str, str]], *, region: str, account: str) -> None:
        created = datetime.datetime.now(datetime.UTC)
        stack_ids = f"arn:aws:cloudformation:{region}:{account}:stack"
        self.stacks = {
            name: {
                "StackId": f"{stack_ids}/{name}/{uuid.uuid5(uuid.NAMESPACE_URL, name)}",
                "StackName": name,
                "CreationTime": created,
                "StackStatus": "CREATE_COMPLETE",
                "Outputs": [{"OutputKey": key, "OutputValue": value} for key, value in values.items()],
            }
            for name, values in outputs.items()
        }

    def __enter__(self) -> LocalStacks:
        _ACTIVE.enter(self)
        return self

    def __exit__(self, *_: object) -> None:
        _ACTIVE.leave(self)

    def describe_stacks(self, params: Mapping[str, Any]) -> tuple[int, dict[str, Any]]:
        """Return the HTTP status and the parsed DescribeStacks response for ``params``."""
        wanted = params.get("StackName")
        if wanted is None:
            return 200, {"Stacks": copy.deepcopy(list(self.stacks.values()))}
        for stack in self.stacks.values():
            if wanted in (stack["StackName"], stack["StackId"]):
                return 200, {"Stacks": [copy.deepcopy(stack)]}
        message = f"Stack with id {wanted} does not exist"
        return 400, {"Error": {"Code": "ValidationError", "Message": message, "Type": "Sender"}}


def _capture_params(params: Mapping[str, Any], context: dict[str, Any], **_: Any) -> None:
    """Keep the caller's parameters (before serialization) for the before-call hook."""
    if _ACTIVE.current is not None:
        context[_PARAMS_KEY] = dict(params)


def _answer(context: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
    """Answer DescribeStacks while a LocalStacks is active (``None`` lets the call through otherwise)."""
    stacks = _ACTIVE.current
    params = context.pop(_PARAMS_KEY, None)
    if stacks is None or params is None:
        return None
    status, body = stacks.describe_stacks(params)
    body["ResponseMetadata"] = {"RequestId": str(uuid.uuid4()), "HTTPStatusCode": status, "HTTPHeaders": {}}
    return AWSResponse("", status, HTTPHeaders(), None), body


# Registered once for every botocore session created from now on; inert while no LocalStacks is active.
BUILTIN_HANDLERS.append(("before-parameter-build.cloudformation.DescribeStacks", _capture_params))
BUILTIN_HANDLERS.append(("before-call.cloudformation.DescribeStacks", _answer))
