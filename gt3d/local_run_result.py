"""How one local execution ended: its description plus what the runner observed (the labeling jobs requested, the
SNS notifications, the IAM denials, the EventBridge deliveries), as stdout's summary and ``--out``'s
``execution.json``.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any


@dataclass
class LocalRunResult:
    """The outcome of one local execution: the execution's description plus what the runner observed."""

    execution_arn: str
    status: str
    input: Any
    output: Any
    error: str | None
    cause: str | None
    states: list[str]
    labeling_job_request: dict[str, Any] | None
    """The first CreateLabelingJob request the emulated Ground Truth accepted in this run."""
    description: dict[str, Any]
    history: list[dict[str, Any]] = field(default_factory=list)
    child_executions: list[dict[str, Any]] = field(default_factory=list)
    notifications: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    iam_denials: list[str] = field(default_factory=list)
    event_deliveries: list[dict[str, Any]] = field(default_factory=list)
    labeling_job_requests: list[dict[str, Any]] = field(default_factory=list)
    """Every CreateLabelingJob request accepted in this run, in order (a chained adjustment job adds one)."""
    labeling_job_status: str | None = None
    duration_seconds: float = 0.0

    @property
    def exit_code(self) -> int:
        """Return the CLI's exit code: 0 when the execution SUCCEEDED, 1 otherwise."""
        return 0 if self.status == "SUCCEEDED" else 1

    def summary(self) -> dict[str, Any]:
        """Return the final execution description for stdout (``status``, ``output`` or ``error`` and ``cause``)."""
        keys = ("executionArn", "stateMachineArn", "name", "status", "startDate", "stopDate")
        summary = {key: _jsonable(self.description[key]) for key in keys if key in self.description}
        summary["input"] = self.input
        if self.status == "SUCCEEDED":
            summary["output"] = self.output
        else:
            summary["error"] = self.error
            summary["cause"] = self.cause
        return summary

    def execution_record(self) -> dict[str, Any]:
        """Return ``execution.json`` for ``--out``."""
        return {
            "status": self.status,
            "input": self.input,
            "output": self.output,
            "error": self.error,
            "cause": self.cause,
            "states": self.states,
            "child_executions": self.child_executions,
            "labeling_job_request": self.labeling_job_request,
            "labeling_job_requests": self.labeling_job_requests,
            "labeling_job_status": self.labeling_job_status,
            "iam_denials": self.iam_denials,
            "event_deliveries": self.event_deliveries,
        }


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime.datetime) else value
