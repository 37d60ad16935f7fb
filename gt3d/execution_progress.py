"""Progress of a Step Functions execution, read from its history: states entered and left, results, errors.

Shared by ``gt3d local-run`` (histories read from moto's backend) and any command that follows an execution: the
reporter takes the function that reads a history. A task that starts another execution (``states:startExecution``,
e.g. ``.sync:2``) gets a reporter for that child: its events are reported, indented, where the parent waits for it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, TextIO

HistoryReader = Callable[[str], list[dict[str, Any]]]
"""Return an execution's history events as GetExecutionHistory returns them."""


class Progress:
    """Where a local run reports what it does (stderr for the CLI; silent in tests unless asked)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream

    def __call__(self, message: str) -> None:
        if self.stream is not None:
            print(message, file=self.stream, flush=True)


def parse_json(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def error_message(cause: str | None) -> str:
    """Return the readable part of a cause: a Lambda error payload's errorMessage, a failed child execution's error
    and its readable cause (a ``.sync`` task's cause is the child's DescribeExecution output), else the cause."""
    parsed = parse_json(cause)
    if isinstance(parsed, dict) and "errorMessage" in parsed:
        return str(parsed["errorMessage"])
    if isinstance(parsed, dict) and {"ExecutionArn", "Status"} <= parsed.keys():
        child = f"execution {parsed.get('Name', parsed['ExecutionArn'])} {str(parsed['Status']).lower()}"
        error = parsed.get("Error")
        return f"{child}: {error}: {error_message(parsed.get('Cause'))}" if error else child
    return "" if cause is None else str(cause)


def size(count: int) -> str:
    return f"{count / 1024:.0f} KiB" if count >= 1024 else f"{count} B"


_TASK_ENDED = (
    "TaskSucceeded",
    "TaskFailed",
    "TaskTimedOut",
    "ExecutionFailed",
    "ExecutionAborted",
    "ExecutionTimedOut",
)
"""Events after which a ``.sync`` child execution has ended (or is no longer waited for)."""


@dataclass
class JobStatus:
    """The labeling job status last reported, shared by an execution's reporter and its children's."""

    status: str | None = None


class HistoryReporter:
    """Turn new execution-history events into progress lines: states entered and left, results, errors.

    A task that starts another execution (``states:startExecution``, e.g. ``.sync:2``) gets a reporter for that
    child execution: its events are reported, indented, where the parent waits for it.
    """

    def __init__(
        self,
        execution_arn: str,
        definition: Mapping[str, Any],
        *,
        definitions: Mapping[str, Mapping[str, Any]],
        read_history: HistoryReader,
        time_scale: float,
        progress: Callable[[str], None],
        depth: int = 0,
        job: JobStatus | None = None,
    ) -> None:
        self.execution_arn = execution_arn
        self.read_history = read_history
        self.states_definition: Mapping[str, Any] = definition.get("States", {})
        self.definitions = definitions
        self.time_scale = time_scale
        self.progress = progress
        self.depth = depth
        self.indent = "  " * (depth + 1)
        self.job = job or JobStatus()
        self.states: list[str] = []
        self.history: list[dict[str, Any]] = []
        self.children: list[HistoryReporter] = []
        self._waiting_for: HistoryReporter | None = None
        self._seen = 0

    def descendants(self) -> list[HistoryReporter]:
        """Return the reporters of every execution this one started, directly or not, in start order."""
        return [reporter for child in self.children for reporter in (child, *child.descendants())]

    def report(self, sfn: Any) -> None:
        """Read the execution's history and report what is new, the running child execution's included."""
        self.history = self.read_history(self.execution_arn)
        for event in self.history[self._seen :]:
            if self._waiting_for is not None and event["type"] in _TASK_ENDED:
                self._waiting_for.report(sfn)  # the child has ended: the rest of its history comes first
                self._waiting_for = None
            self._report(event)
            child_arn = started_execution(event)
            if child_arn is not None:
                self._waiting_for = self._start_child(sfn, child_arn)
        self._seen = len(self.history)
        if self._waiting_for is not None:
            self._waiting_for.report(sfn)

    def _start_child(self, sfn: Any, execution_arn: str) -> HistoryReporter:
        description = sfn.describe_execution(executionArn=execution_arn)
        machine = description["stateMachineArn"]
        self.progress(f"{self.indent}~ started {machine.rsplit(':', 1)[-1]} execution {description['name']}")
        child = HistoryReporter(
            execution_arn,
            self.definitions.get(machine, {}),
            definitions=self.definitions,
            read_history=self.read_history,
            time_scale=self.time_scale,
            progress=self.progress,
            depth=self.depth + 1,
            job=self.job,
        )
        self.children.append(child)
        return child

    def _report(self, event: dict[str, Any]) -> None:
        kind = event["type"]
        if kind.endswith("StateEntered"):
            details = event["stateEnteredEventDetails"]
            self.states.append(details["name"])
            self.progress(f"{self.indent}> {details['name']}{self._wait_note(details)}")
        elif kind.endswith("StateExited"):
            details = event["stateExitedEventDetails"]
            note = self._result_note(details["name"], parse_json(details.get("output")))
            self.progress(f"{self.indent}< {details['name']}{': ' + note if note else ''}")
        elif kind in ("LambdaFunctionFailed", "TaskFailed", "ExecutionFailed", "LambdaFunctionTimedOut"):
            failure: dict[str, Any] = next((value for key, value in event.items() if key.endswith("EventDetails")), {})
            if kind != "ExecutionFailed":  # the execution's own failure is reported at the end, a child's by its task
                self.progress(f"{self.indent}! {failure.get('error', '')}: {error_message(failure.get('cause'))}")

    def _wait_note(self, details: Mapping[str, Any]) -> str:
        state = self.states_definition.get(details["name"], {})
        if state.get("Type") != "Wait":
            return ""
        seconds = state.get("Seconds")
        path = state.get("SecondsPath")
        if path is not None:
            seconds = json_path(parse_json(details.get("input")), path)
        if not isinstance(seconds, int | float):
            return ""
        if self.time_scale == 1:  # a deployed execution waits as long as its definition says
            return f" ({seconds} s)"
        return f" ({seconds} s, scaled to {seconds * self.time_scale:.3g} s)"

    def _result_note(self, name: str, output: Any) -> str:
        state = self.states_definition.get(name, {})
        if state.get("Type") != "Task" or not isinstance(output, dict):
            return ""
        result = json_path(output, state.get("ResultPath", "$")) if state.get("ResultPath") else None
        if not isinstance(result, dict):
            return ""
        if {"copied", "skipped"} <= result.keys():
            warnings = [str(warning) for warning in result.get("warnings") or []]
            # Data Ground Truth accepts but that probably will not do what the user wants: shown where it is found.
            shown = "".join(f"\n{self.indent}  ! warning: {warning}" for warning in warnings)
            return (
                f"copied {result['copied']} object(s) ({size(int(result.get('bytes', 0)))}), "
                f"skipped {result['skipped']} already there{shown}"
            )
        if "rewritten" in result:
            return f"rewrote {result['rewritten']} file(s), {result.get('uris', 0)} URI(s) moved"
        if "job_arn" in result:
            return f"created labeling job {result.get('job_name')}"
        if {"status", "done"} <= result.keys():
            status = result["status"]
            previous = self.job.status
            change = f"{previous} -> {status}" if previous and previous != status else status
            self.job.status = status
            counters = result.get("label_counters") or {}
            labeled = f", labeled {counters.get('TotalLabeled', 0)}" if counters else ""
            nxt = "" if result.get("done") else f", next poll in {result.get('wait_seconds')} s"
            return f"job {change}{labeled}{nxt}"
        if "job_name" in result and "label_attribute_name" in result:
            return f"job {result['job_name']}, label attribute {result['label_attribute_name']}"
        return ""


class ExecutionEnd(Protocol):
    """How an execution ended, as far as its closing progress lines tell it."""

    @property
    def status(self) -> str: ...
    @property
    def output(self) -> Any: ...
    @property
    def error(self) -> str | None: ...
    @property
    def cause(self) -> str | None: ...
    @property
    def labeling_job_status(self) -> str | None: ...
    @property
    def duration_seconds(self) -> float: ...


def describe_outcome(result: ExecutionEnd) -> str:
    """Return the closing progress line(s): the output manifest and counters, or the error and what to do."""
    if result.status == "SUCCEEDED":
        output = result.output if isinstance(result.output, dict) else {}
        monitor = output.get("monitor", {}) if isinstance(output.get("monitor"), dict) else {}
        job = output.get("job", {}) if isinstance(output.get("job"), dict) else {}
        counters = ", ".join(f"{key} {value}" for key, value in (monitor.get("label_counters") or {}).items())
        return (
            f"SUCCEEDED in {result.duration_seconds:.1f} s: labeling job {job.get('job_name')} "
            f"{monitor.get('status', '').lower()}\n"
            f"  output manifest: {monitor.get('output_manifest_uri')}\n"
            f"  label counters: {counters}"
        )
    message = error_message(result.cause)
    lines = [f"{result.status} in {result.duration_seconds:.1f} s: {result.error or 'stopped'}"]
    if message:  # a stopped execution may have no cause
        lines.append(f"  {message}")
    if result.labeling_job_status is not None:
        lines.append(f"  labeling job: {result.labeling_job_status}")
    if result.error and result.error.startswith("States."):
        lines.append("  This is an error of the workflow definition or engine, not of the input: see the states above.")
    return "\n".join(lines)


def started_execution(event: Mapping[str, Any]) -> str | None:
    """Return the ARN of the execution a ``states:startExecution`` task started, if ``event`` reports one."""
    details = event.get("taskSubmittedEventDetails") if event["type"] == "TaskSubmitted" else None
    if not details or details.get("resourceType") != "states":
        return None
    output = parse_json(details.get("output"))
    arn = output.get("ExecutionArn") if isinstance(output, dict) else None
    return arn if isinstance(arn, str) else None


def json_path(document: Any, path: str) -> Any:
    """Evaluate a plain dotted JSONPath (``$.a.b``) against ``document``; None when it does not apply."""
    if not path.startswith("$"):
        return None
    value = document
    for part in [part for part in path[1:].split(".") if part]:
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def child_record(sfn: Any, child: HistoryReporter) -> dict[str, Any]:
    """Return what ``execution.json`` says about one execution the run started from a task."""
    description = sfn.describe_execution(executionArn=child.execution_arn)
    return {
        "execution_arn": child.execution_arn,
        "state_machine_arn": description["stateMachineArn"],
        "status": description["status"],
        "states": child.states,
    }
