"""``gt3d start``, ``status``, ``stop`` and ``results``: operate a deployed pipeline in an AWS account, through boto3.

:class:`AccountCommands` runs the commands against a :class:`~gt3d.account_deployment.Deployment` (the pipeline found
from its stacks' outputs, :mod:`gt3d.account_deployment`):

- ``start`` first plans the input with the code the workflow's first state runs (the deployed plan function's handler
  module from ``lambda_src/``, with that function's environment), so an input the workflow would refuse fails here,
  before anything is started or copied; ``--follow`` then shows the progress display of ``gt3d local-run``
  (:class:`~gt3d.execution_progress.HistoryReporter`), read from the execution's history, until the execution ends;
- ``status`` tells where an execution is (its step, its labeling job's status and counters) or how it ended;
- ``stop`` stops an execution; the pipeline's EventBridge rule on aborted executions then stops its labeling job;
- ``results`` counts what the job's output manifest holds per label category (:mod:`gt3d.label_summary`), and can
  download everything the job wrote.
"""

from __future__ import annotations

import functools
import json
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from gt3d.account_deployment import AccountError, Deployment, PlanFunction, StateMachineDefinitions
from gt3d.execution_progress import HistoryReporter, describe_outcome, parse_json, size
from gt3d.label_summary import UnreadableObjectError, summarize
from gt3d_core.s3_location import S3Uri

DEFAULT_POLL_SECONDS = 5.0
"""How often ``--follow`` reads the execution and its history."""
INTERRUPTED = 130
"""Exit code when ``--follow`` is interrupted (Ctrl-C); the execution goes on."""
STOP_ERROR = "gt3d.Stopped"
_HISTORY_PAGE_SIZE = 1000
"""GetExecutionHistory's largest page."""


def console_url(execution_arn: str) -> str:
    """Return the Step Functions console page of an execution."""
    region = execution_arn.split(":")[3]
    return f"https://{region}.console.aws.amazon.com/states/home?region={region}#/v2/executions/details/{execution_arn}"


class ApiHistory:
    """Execution histories read with GetExecutionHistory, each event fetched once (a :data:`HistoryReader`)."""

    def __init__(self, sfn: Any) -> None:
        self._sfn = sfn
        self._events: dict[str, list[dict[str, Any]]] = {}

    def __call__(self, execution_arn: str) -> list[dict[str, Any]]:
        known = self._events.setdefault(execution_arn, [])
        last = known[-1]["id"] if known else 0
        fresh: list[dict[str, Any]] = []
        # Newest first, so following a long execution reads only what is new; sorting by id below keeps the result
        # right whatever order the pages arrive in.
        pages = self._sfn.get_paginator("get_execution_history").paginate(
            executionArn=execution_arn,
            reverseOrder=True,
            includeExecutionData=True,
            PaginationConfig={"PageSize": _HISTORY_PAGE_SIZE},
        )
        for page in pages:
            new = [event for event in page["events"] if event["id"] > last]
            fresh.extend(new)
            if len(new) < len(page["events"]):
                break
        known.extend(sorted(fresh, key=lambda event: int(event["id"])))
        return list(known)


@dataclass(frozen=True, slots=True)
class JobRecord:
    """The latest labeling job of an execution, from its latest state: the plan, the created job, its last poll."""

    plan: Mapping[str, Any]
    job: Mapping[str, Any] | None
    monitor: Mapping[str, Any] | None

    @classmethod
    def latest(cls, history: list[dict[str, Any]]) -> JobRecord | None:
        """Return the job of the last state an execution left that holds a plan (None before the plan exists)."""
        for event in reversed(history):
            details = event.get("stateExitedEventDetails")
            state = parse_json(details.get("output")) if details else None
            if isinstance(state, dict) and isinstance(state.get("plan"), dict):
                job, monitor = state.get("job"), state.get("monitor")
                return cls(
                    plan=state["plan"],
                    job=job if isinstance(job, dict) else None,
                    # Before the first poll, $.monitor only holds the first wait.
                    monitor=monitor if isinstance(monitor, dict) and "status" in monitor else None,
                )
        return None

    @property
    def name(self) -> str:
        """Return the labeling job's name."""
        return str((self.job or self.plan).get("job_name"))

    @property
    def output_manifest_uri(self) -> str | None:
        """Return where the job's output manifest is (the last poll's answer, else where the job writes it)."""
        for source in (self.monitor, self.job):
            uri = source.get("output_manifest_uri") if source else None
            if isinstance(uri, str):
                return uri
        return None


@dataclass(frozen=True, slots=True)
class EndedExecution:
    """How a deployed execution ended (DescribeExecution), with its labeling job's status when it did not succeed."""

    status: str
    output: Any
    error: str | None
    cause: str | None
    labeling_job_status: str | None
    duration_seconds: float

    @property
    def exit_code(self) -> int:
        """Return the CLI's exit code: 0 when the execution SUCCEEDED, 1 otherwise."""
        return 0 if self.status == "SUCCEEDED" else 1


class AccountCommands:
    """``gt3d start``, ``status``, ``stop`` and ``results`` against one deployment, with one boto3 session.

    ``out`` receives each command's result lines (stdout), ``progress`` what ``--follow`` reports (stderr, as for
    ``gt3d local-run``). Each command returns its exit code.
    """

    def __init__(
        self,
        deployment: Deployment,
        session: Any,
        *,
        out: Callable[[str], None],
        progress: Callable[[str], None],
        poll_seconds: float = DEFAULT_POLL_SECONDS,
    ) -> None:
        self.deployment = deployment
        self.session = session
        self.out = out
        self.progress = progress
        self.poll_seconds = poll_seconds
        self.sfn = session.client("stepfunctions")
        self.definitions = StateMachineDefinitions(self.sfn)
        self.history = ApiHistory(self.sfn)

    # --- start ---------------------------------------------------------------------------------------------------
    def start(self, execution_input: Mapping[str, Any], *, follow: bool = False) -> int:
        """Plan the input as the workflow will, start an execution with it, and follow it to its end if asked.

        An input the workflow would refuse raises the plan's :class:`~gt3d_core.errors.Gt3dError`; nothing is started.
        """
        function = PlanFunction.discover(
            self.definitions[self.deployment.state_machine_arn], self.session.client("lambda")
        )
        now = datetime.now(UTC)
        name = f"{self.deployment.prefix}-{now:%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"
        function.plan(execution_input, execution_name=name, start=now)
        started = self.sfn.start_execution(
            stateMachineArn=self.deployment.state_machine_arn, name=name, input=json.dumps(execution_input)
        )
        arn = started["executionArn"]
        self.out(arn)
        self.out(f"console: {console_url(arn)}")
        # A derived job name carries the execution's start time: plan again with the one Step Functions recorded.
        plan = function.plan(execution_input, execution_name=name, start=started["startDate"])
        self.progress(f"[gt3d] started {name}: {plan.task_type}, labeling job {plan.job_name}")
        self.progress(f"[gt3d] manifest {plan.manifest_uri}, output under {plan.output_uri}")
        if self.deployment.portal_url:
            self.progress(f"[gt3d] workers label at {self.deployment.portal_url}")
        if not follow:
            self.progress(f"[gt3d] see how it goes: gt3d status {name}")
            return 0
        return self.follow(arn)

    def follow(self, execution_arn: str) -> int:
        """Report an execution's progress from its history until it ends; return the exit code of its end."""
        description = self.sfn.describe_execution(executionArn=execution_arn)
        reporter = HistoryReporter(
            execution_arn,
            self.definitions[description["stateMachineArn"]],
            definitions=self.definitions,
            read_history=self.history,
            time_scale=1.0,
            progress=self.progress,
        )
        try:
            reporter.report(self.sfn)
            while description["status"] == "RUNNING":
                time.sleep(self.poll_seconds)
                description = self.sfn.describe_execution(executionArn=execution_arn)
                reporter.report(self.sfn)
        except KeyboardInterrupt:
            name = description["name"]
            self.progress(f"[gt3d] stopped following {name}, which goes on: gt3d status {name}; gt3d stop {name}")
            return INTERRUPTED
        return self._report_end(description, reporter.history, self.progress)

    # --- status / stop ---------------------------------------------------------------------------------------------
    def status(self, execution: str | None = None) -> int:
        """Say where an execution (default: the latest) is, or how it ended; exit code 1 if it ended without success."""
        arn = self.deployment.execution_arn(execution) if execution else self.latest_execution()
        description = self._describe(arn)
        history = self.history(arn)
        self.out(f"execution {description['name']}: {description['status']}")
        self.out(f"  {arn}")
        self.out(f"  console: {console_url(arn)}")
        if description["status"] != "RUNNING":
            return self._report_end(description, history, self.out)
        entered = [
            event["stateEnteredEventDetails"]["name"] for event in history if "stateEnteredEventDetails" in event
        ]
        step = f", in {entered[-1]}" if entered else ""
        self.out(f"  running since {description['startDate'].astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC{step}")
        self.out(f"  {self._job_line(JobRecord.latest(history))}")
        if self.deployment.portal_url:
            self.out(f"  workers label at {self.deployment.portal_url}")
        return 0

    def latest_execution(self) -> str:
        """Return the ARN of the workflow's most recently started execution."""
        machine = self.deployment.state_machine_arn
        executions = self.sfn.list_executions(stateMachineArn=machine, maxResults=100)["executions"]
        if not executions:
            raise AccountError(f"{machine} has no executions yet: start one with gt3d start.")
        # The service lists the most recent first; the latest start is the answer whatever the order.
        return str(max(executions, key=lambda execution: execution["startDate"])["executionArn"])

    def stop(self, execution: str) -> int:
        """Stop a running execution (StopExecution); the pipeline then stops its labeling job."""
        arn = self.deployment.execution_arn(execution)
        description = self._describe(arn)
        name = description["name"]
        if description["status"] != "RUNNING":
            raise AccountError(f"The execution {name} is not running ({description['status']}): nothing to stop.")
        self.sfn.stop_execution(executionArn=arn, error=STOP_ERROR, cause="Stopped with gt3d stop.")
        self.out(f"execution {name}: stop requested, now {self.sfn.describe_execution(executionArn=arn)['status']}")
        job = JobRecord.latest(self.history(arn))
        if job is None:
            self.out("  no labeling job was planned yet")
        else:
            self.out(
                f"  labeling job {job.name}: the pipeline's EventBridge rule on aborted executions stops it if it "
                f"runs; gt3d status {name} shows it"
            )
        return 0

    # --- results ---------------------------------------------------------------------------------------------------
    def results(self, execution: str, out_dir: Path | None = None) -> int:
        """Count the labels of the execution's latest labeling job per category; download its output to ``out_dir``."""
        arn = self.deployment.execution_arn(execution)
        description = self._describe(arn)
        job = JobRecord.latest(self.history(arn))
        uri = job.output_manifest_uri if job is not None and job.job is not None else None
        if job is None or uri is None:
            raise AccountError(
                f"The execution {description['name']} ({description['status']}) created no labeling job."
            )
        try:
            manifest = self._read(uri).decode()
        except UnreadableObjectError as error:
            raise AccountError(
                f"The labeling job {job.name} has no output manifest ({error}); the execution is "
                f"{description['status']}: gt3d status {description['name']} says why."
            ) from error
        summary = summarize(manifest, str(job.plan["label_attribute_name"]), self._read)
        self.out(f"labeling job {job.name} ({job.plan.get('task_type')}), label attribute {summary.label_attribute}")
        self.out(f"  output manifest: {uri}")
        self.out("\n".join(f"  {line}" for line in summary.lines()))
        if out_dir is not None:
            count, total = self._download(S3Uri.parse(f"{job.plan['output_uri']}{job.name}/"), out_dir)
            self.out(f"downloaded {count} object(s) ({size(total)}) to {out_dir}")
        return 0

    # --- helpers ---------------------------------------------------------------------------------------------------
    @functools.cached_property
    def _s3(self) -> Any:
        return self.session.client("s3")

    @functools.cached_property
    def _sagemaker(self) -> Any:
        return self.session.client("sagemaker")

    def _describe(self, execution_arn: str) -> dict[str, Any]:
        try:
            return dict(self.sfn.describe_execution(executionArn=execution_arn))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("ExecutionDoesNotExist", "InvalidArn"):
                raise AccountError(
                    f"There is no execution {execution_arn}: give the name or ARN of an execution of "
                    f"{self.deployment.state_machine_arn} (gt3d status shows the latest)."
                ) from error
            raise

    def _report_end(
        self, description: Mapping[str, Any], history: list[dict[str, Any]], write: Callable[[str], None]
    ) -> int:
        """Write the closing lines of an ended execution (as ``gt3d local-run`` does); return its exit code."""
        status = description["status"]
        job = JobRecord.latest(history)
        job_status = None
        if status != "SUCCEEDED" and job is not None and job.job is not None:
            job_status = str(self._labeling_job(job.name).get("LabelingJobStatus", "unknown"))
        stopped = description.get("stopDate") or datetime.now(UTC)
        end = EndedExecution(
            status=status,
            output=parse_json(description.get("output")),
            error=description.get("error"),
            cause=description.get("cause"),
            labeling_job_status=job_status,
            duration_seconds=(stopped - description["startDate"]).total_seconds(),
        )
        write(describe_outcome(end))
        if end.status == "SUCCEEDED":
            write(f"  results: gt3d results {description['name']}")
        return end.exit_code

    def _labeling_job(self, name: str) -> dict[str, Any]:
        """Return DescribeLabelingJob's answer, or ``{"LabelingJobStatus": "unknown (<error code>)"}``."""
        try:
            return dict(self._sagemaker.describe_labeling_job(LabelingJobName=name))
        except ClientError as error:
            return {"LabelingJobStatus": f"unknown ({error.response.get('Error', {}).get('Code')})"}

    def _job_line(self, job: JobRecord | None) -> str:
        if job is None:
            return "labeling job: not planned yet"
        if job.job is None:
            return f"labeling job {job.name}: not created yet"
        description = self._labeling_job(job.name)
        counters = description.get("LabelCounters") or {}
        labeled = counters.get("TotalLabeled", 0)
        failed = counters.get("FailedNonRetryableError", 0)
        total = labeled + failed + counters.get("Unlabeled", 0)
        progress = f", labeled {labeled} of {total}, failed {failed}" if counters else ""
        return f"labeling job {job.name}: {description['LabelingJobStatus']}{progress}"

    def _read(self, uri: str) -> bytes:
        """Return an S3 object's bytes; raise UnreadableObjectError saying why it cannot be read."""
        try:
            location = S3Uri.parse(uri)
            return bytes(self._s3.get_object(Bucket=location.bucket, Key=location.key)["Body"].read())
        except ValueError as error:
            raise UnreadableObjectError(str(error)) from error
        except ClientError as error:
            details = error.response.get("Error", {})
            raise UnreadableObjectError(f"{uri}: {details.get('Code')}: {details.get('Message')}") from error

    def _download(self, prefix: S3Uri, out_dir: Path) -> tuple[int, int]:
        """Download every object under ``prefix`` to its relative path under ``out_dir``; return (objects, bytes)."""
        s3 = self._s3
        root = out_dir.resolve()
        count = total = 0
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=prefix.bucket, Prefix=prefix.key):
            for item in page.get("Contents", []):
                target = (root / item["Key"][len(prefix.key) :]).resolve()
                if item["Key"].endswith("/") or not target.is_relative_to(root):  # folder markers; keys with '..'
                    self.progress(f"[gt3d] not downloaded: s3://{prefix.bucket}/{item['Key']}")
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                s3.download_file(prefix.bucket, item["Key"], str(target))
                count += 1
                total += int(item["Size"])
        return count, total
