"""EventBridge in the local run: the synthesized rules, matched against the events the emulated services emit.

Step Functions sends "Step Functions Execution Status Change" to the default event bus when an execution's status
changes (https://docs.aws.amazon.com/step-functions/latest/dg/cw-events.html). :class:`LocalEventBus` builds that
event as the service does for every execution that ends, matches it against each enabled ``AWS::Events::Rule`` of the
cloud assembly with its real ``EventPattern`` (moto's pattern matcher), and invokes each Lambda target the way
EventBridge does: as ``events.amazonaws.com``, authorized by the function's resource policy (the template's
``AWS::Lambda::Permission``, with its ``SourceArn``), asynchronously in the service but here in order, before the run
reports its result.
"""

from __future__ import annotations

import datetime
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, cast

import boto3
from moto.events.models import EventPattern

from gt3d.iam import AuthorizationRequest
from gt3d.local_iam import LocalIam

EVENTS_PRINCIPAL = "events.amazonaws.com"
STATUS_CHANGE = "Step Functions Execution Status Change"


@dataclass(frozen=True, slots=True)
class LocalRule:
    """One enabled rule: its ARN, event pattern and the ARNs of its targets."""

    arn: str
    pattern: Mapping[str, Any]
    targets: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Delivery:
    """One event delivered to one target, and what the target returned (or why it was not invoked)."""

    rule: str
    target: str
    detail_status: str
    result: Any

    def describe(self) -> str:
        """Return a progress line."""
        return f"{self.detail_status} event matched {self.rule.rsplit('/', 1)[-1]} -> {self.target.rsplit(':', 1)[-1]}"


@dataclass
class LocalEventBus:
    """The default event bus of the emulated account: rules and where they deliver."""

    region: str
    account: str
    iam: LocalIam
    rules: list[LocalRule] = field(default_factory=list)

    def add_rule(self, arn: str, properties: Mapping[str, Any]) -> None:
        """Register an ``AWS::Events::Rule`` (resolved properties); disabled or scheduled rules are left out."""
        if properties.get("State", "ENABLED") != "ENABLED" or "EventPattern" not in properties:
            return
        targets = tuple(str(target["Arn"]) for target in properties.get("Targets", []))
        self.rules.append(LocalRule(arn=arn, pattern=properties["EventPattern"], targets=targets))

    def execution_ended(self, description: Mapping[str, Any]) -> list[Delivery]:
        """Emit the status-change event of an ended execution (a DescribeExecution result); return the deliveries."""
        return self.emit(self.status_change_event(description))

    def status_change_event(self, description: Mapping[str, Any]) -> dict[str, Any]:
        """Return the event Step Functions sends when an execution reaches ``description``'s status."""
        return {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": STATUS_CHANGE,
            "source": "aws.states",
            "account": self.account,
            "time": _iso(description.get("stopDate") or datetime.datetime.now(datetime.UTC)),
            "region": self.region,
            "resources": [description["executionArn"]],
            "detail": {
                "executionArn": description["executionArn"],
                "stateMachineArn": description["stateMachineArn"],
                "name": description["name"],
                "status": description["status"],
                "startDate": _epoch_ms(description.get("startDate")),
                "stopDate": _epoch_ms(description.get("stopDate")),
                "input": description.get("input"),
                "output": description.get("output"),
                "inputDetails": {"included": True},
                "outputDetails": {"included": True} if description.get("output") is not None else None,
                "error": description.get("error"),
                "cause": description.get("cause"),
            },
        }

    def emit(self, event: Mapping[str, Any]) -> list[Delivery]:
        """Deliver ``event`` to the targets of every rule whose pattern matches it."""
        deliveries = []
        for rule in self.rules:
            if not EventPattern.load(json.dumps(rule.pattern)).matches_event(cast(Any, event)):
                continue
            for target in rule.targets:
                deliveries.append(self._deliver(rule, target, event))
        return deliveries

    def _deliver(self, rule: LocalRule, target: str, event: Mapping[str, Any]) -> Delivery:
        status = str(event.get("detail", {}).get("status", event.get("detail-type")))
        if ":lambda:" not in target:
            return Delivery(rule.arn, target, status, {"not_delivered": "only Lambda targets are emulated"})
        permission = AuthorizationRequest(
            "lambda:InvokeFunction",
            target,
            context={"aws:SourceArn": rule.arn, "aws:SourceAccount": self.account},
            description=f"EventBridge rule {rule.arn}",
        )
        decision = self.iam.evaluate(EVENTS_PRINCIPAL, permission)
        if not decision.allowed:
            return Delivery(rule.arn, target, status, {"not_delivered": decision.reason})
        response = boto3.client("lambda", region_name=self.region).invoke(
            FunctionName=target, Payload=json.dumps(event).encode()
        )
        payload = json.loads(response["Payload"].read() or b"null")
        return Delivery(rule.arn, target, status, payload)


def _epoch_ms(moment: Any) -> int | None:
    return int(moment.timestamp() * 1000) if isinstance(moment, datetime.datetime) else None


def _iso(moment: Any) -> str:
    if isinstance(moment, datetime.datetime):
        return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(moment)
