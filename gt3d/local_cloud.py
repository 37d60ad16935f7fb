"""An emulated deployment of a cloud assembly in which executions of its state machine can be started.

:class:`LocalCloud` deploys every stack inside ``moto.mock_aws`` (:mod:`gt3d.local_deployment`: under the names
CloudFormation would give them, each state machine exactly as synthesized, IAM enforced by :mod:`gt3d.local_iam`),
takes the data, and runs executions. Executions start at the one state machine no other starts (the labeling
workflow); the ones it starts (the monitor, ``.sync:2``) run on the same engine. Lambda tasks run the real handlers
from the function's code asset (:mod:`gt3d.lambda_runtime`); SageMaker's labeling-job calls are answered by the
emulated Ground Truth (:mod:`gt3d.ground_truth_emulator`, a test double); Wait and Retry intervals are scaled down
(:mod:`gt3d.sfn_engine`). How an execution ended is a :class:`~gt3d.local_run_result.LocalRunResult`.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast
from unittest import mock

import boto3
import botocore.loaders
from moto import mock_aws
from moto.core.config import DefaultConfig
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.sns.models import sns_backends
from moto.stepfunctions.responses import get_backend as sfn_backend

from gt3d.cloud_assembly import CloudAssembly, TokenResolver
from gt3d.execution_progress import HistoryReporter, Progress, child_record, parse_json
from gt3d.ground_truth_emulator import GroundTruthEmulator, Outcome
from gt3d.lambda_runtime import InProcessLambda
from gt3d.local_deployment import LocalDeployer, LocalDeployment
from gt3d.local_errors import LocalRunError
from gt3d.local_events import Delivery, LocalEventBus
from gt3d.local_iam import LocalIam
from gt3d.local_run_result import LocalRunResult
from gt3d.s3_preconditions import copy_source_preconditions
from gt3d.sfn_engine import ENGINE_CONFIG, local_engine

DEFAULT_TIME_SCALE = 0.001
"""Wait and Retry intervals are multiplied by this: a 30 s poll takes 30 ms."""
DEFAULT_TIMEOUT_SECONDS = 300.0
"""Wall-clock limit of one local execution; a stuck run is stopped (ABORTED) after it."""

_POLL_INTERVAL_SECONDS = 0.02
_HISTORY_INTERVAL_SECONDS = 0.25
_STOP_GRACE_SECONDS = 10.0
"""How long a timed-out run waits for the executions it stopped to end."""
_HISTORY_COST_FACTOR = 4
"""Reading histories may take at most a fifth of a watched run's time (a monitor execution grows to 5,500 events)."""

_FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_EC2_METADATA_DISABLED": "true",
}
_STRIPPED_ENVIRONMENT = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL", "AWS_CONFIG_FILE")


class LocalCloud:
    """An emulated deployment of a cloud assembly, in which executions of its state machine can be started."""

    def __init__(
        self,
        assembly: CloudAssembly,
        *,
        region: str | None = None,
        source: str | None = None,
        outcome: Outcome = "completed",
        time_scale: float = DEFAULT_TIME_SCALE,
        progress: Callable[[str], None] | None = None,
        echo_lambda_logs: bool = False,
    ) -> None:
        self.assembly = assembly
        self.pipeline = assembly.stack_with("AWS::StepFunctions::StateMachine")
        if region and self.pipeline.region and region != self.pipeline.region:
            # The templates name region-specific ARNs (policies, layers, log groups): a deployment in another region
            # is another synthesis.
            raise LocalRunError(
                f"The cloud assembly was synthesized for {self.pipeline.region}, not {region}: synthesize for "
                f"{region} first (`CDK_DEFAULT_REGION={region} make synth`, or `-c region={region}`)."
            )
        self.region = region or self.pipeline.region or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
        self.account = DEFAULT_ACCOUNT_ID
        self.source = source
        self.time_scale = time_scale
        self.progress = progress or Progress()
        self.resolver = TokenResolver(assembly, region=self.region, account=self.account)
        self.emulator = GroundTruthEmulator(outcome=outcome, account_id=self.account)
        self.iam = LocalIam(account=self.account, region=self.region)
        self.events = LocalEventBus(region=self.region, account=self.account, iam=self.iam)
        self.lambdas = InProcessLambda(
            region=self.region,
            account=self.account,
            echo_logs=_echo_to_stderr if echo_lambda_logs else None,
        )
        self._stack = contextlib.ExitStack()
        self._deployment: LocalDeployment | None = None

    # --- lifecycle ---------------------------------------------------------------------------------------------------
    def __enter__(self) -> LocalCloud:
        environment = {**_FAKE_CREDENTIALS, "AWS_DEFAULT_REGION": self.region}
        try:
            self._stack.enter_context(_environment(environment, _STRIPPED_ENVIRONMENT))
            self._stack.enter_context(mock.patch("botocore.session.create_loader", shared_botocore_loader))
            self._stack.enter_context(mock_aws(config=cast(DefaultConfig, ENGINE_CONFIG)))
            self._stack.enter_context(copy_source_preconditions())
            self._stack.enter_context(local_engine(time_scale=self.time_scale))
            self._stack.enter_context(self.iam)
            self._stack.enter_context(self.lambdas)
            self._stack.enter_context(self.emulator)
            self._deployment = LocalDeployer(
                assembly=self.assembly,
                pipeline=self.pipeline,
                resolver=self.resolver,
                iam=self.iam,
                lambdas=self.lambdas,
                events=self.events,
                region=self.region,
                account=self.account,
                source=self.source,
            ).deploy()
        except BaseException:
            self._stack.close()
            raise
        return self

    def __exit__(self, *_: object) -> None:
        self._stack.close()

    @property
    def deployment(self) -> LocalDeployment:
        if self._deployment is None:
            raise RuntimeError("LocalCloud is not active; use it as a context manager")
        return self._deployment

    @property
    def labeling_bucket(self) -> str:
        """Return the deployment's labeling bucket (input and output locations)."""
        return self.deployment.labeling_bucket

    def stack_outputs(self) -> dict[str, dict[str, str]]:
        """Return every stack's outputs as the emulated deployment resolved them: ``{stack name: {key: value}}``."""
        return {
            stack.stack_name: {
                key: str(self.resolver.resolve(stack, output["Value"]))
                for key, output in stack.template.get("Outputs", {}).items()
            }
            for stack in self.assembly.stacks
        }

    @property
    def source_uri(self) -> str:
        """Return the source location the data is uploaded to and copied from."""
        return f"s3://{self.deployment.source_bucket}/{self.deployment.source_prefix}"

    # --- data --------------------------------------------------------------------------------------------------------
    def upload(self, data_dir: Path) -> tuple[int, int]:
        """Upload every file under ``data_dir`` to the source location; return (objects, bytes)."""
        if not data_dir.is_dir():
            raise LocalRunError(f"--data {data_dir} is not a directory.")
        s3 = boto3.client("s3", region_name=self.region)
        count = total = 0
        for path in sorted(data_dir.rglob("*")):
            relative = path.relative_to(data_dir)
            if not path.is_file() or any(part.startswith(".") for part in relative.parts):
                continue
            body = path.read_bytes()
            key = self.deployment.source_prefix + relative.as_posix()
            s3.put_object(Bucket=self.deployment.source_bucket, Key=key, Body=body)
            count += 1
            total += len(body)
        if not count:
            raise LocalRunError(f"--data {data_dir} contains no files.")
        return count, total

    def bucket_objects(self, bucket: str | None = None) -> dict[str, bytes]:
        """Return every object of ``bucket`` (default: the labeling bucket) as ``key -> bytes``."""
        s3 = boto3.client("s3", region_name=self.region)
        bucket = bucket or self.labeling_bucket
        objects = {}
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for item in page.get("Contents", []):
                objects[item["Key"]] = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
        return objects

    def notifications(self) -> list[dict[str, Any]]:
        """Return every SNS message published so far (``topic``, ``subject``, ``message``), oldest first."""
        backend = sns_backends[self.account][self.region]
        return [
            {"topic": topic.arn, "subject": subject, "message": message}
            for topic in backend.topics.values()
            for _, message, subject, _, _ in topic.sent_notifications
        ]

    # --- executions --------------------------------------------------------------------------------------------------
    def run(
        self,
        execution_input: Mapping[str, Any],
        *,
        timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
        stop_when: Callable[[], bool] | None = None,
    ) -> LocalRunResult:
        """Start an execution with ``execution_input``, report its progress, and return how it ended.

        ``stop_when`` is asked between two looks at the execution: once it answers True the execution is stopped
        (ABORTED), as ``StopExecution`` would, so a stop can be tied to an event rather than to the clock.
        """
        sfn = boto3.client("stepfunctions", region_name=self.region)
        start = _RunStart(
            requests=len(self.emulator.requests),
            notifications=self.notifications(),
            warnings=len(self.emulator.warnings),
            denials=len(self.iam.denials),
            started=time.monotonic(),
        )
        name = f"local-{uuid.uuid4().hex[:12]}"
        execution_arn = sfn.start_execution(
            stateMachineArn=self.deployment.state_machine_arn, name=name, input=json.dumps(execution_input)
        )["executionArn"]
        self.progress(f"[gt3d] execution {name}: {json.dumps(execution_input)}")
        reporter = HistoryReporter(
            execution_arn,
            self.deployment.definition,
            definitions=self.deployment.definitions,
            read_history=moto_history,
            time_scale=self.time_scale,
            progress=self.progress,
        )
        description = self._wait_for_end(
            sfn, execution_arn, reporter, started=start.started, timeout_seconds=timeout_seconds, stop_when=stop_when
        )
        return self._result(sfn, description, reporter, start)

    def _wait_for_end(
        self,
        sfn: Any,
        execution_arn: str,
        reporter: HistoryReporter,
        *,
        started: float,
        timeout_seconds: float,
        stop_when: Callable[[], bool] | None,
    ) -> dict[str, Any]:
        """Report the execution's progress until it ends; return its final description.

        The execution is stopped once ``stop_when`` answers True, or ``timeout_seconds`` after ``started``
        (``time.monotonic()``).
        """
        # Reading a history copies all its events under the engine's lock, holding its threads back: when someone
        # watches, read them now and then, less often as they grow; otherwise once, at the end.
        watched = not (isinstance(self.progress, Progress) and self.progress.stream is None)
        next_report = 0.0
        while True:
            description: dict[str, Any] = sfn.describe_execution(executionArn=execution_arn)
            finished = description["status"] != "RUNNING"
            if finished or (watched and time.monotonic() >= next_report):
                reading = time.monotonic()
                reporter.report(sfn)
                cost = time.monotonic() - reading
                next_report = time.monotonic() + max(_HISTORY_INTERVAL_SECONDS, _HISTORY_COST_FACTOR * cost)
            if finished:
                return description
            if stop_when is not None and stop_when():
                stop_when = None
                self._stop(sfn, execution_arn, reporter, "gt3d.Stopped", "The local run was asked to stop.")
                continue
            if time.monotonic() - started > timeout_seconds:
                cause = f"The local run did not finish within {timeout_seconds:.0f} s."
                self._stop(sfn, execution_arn, reporter, "gt3d.LocalRunTimeout", cause)
                continue
            time.sleep(_POLL_INTERVAL_SECONDS)

    def _result(
        self, sfn: Any, description: dict[str, Any], reporter: HistoryReporter, start: _RunStart
    ) -> LocalRunResult:
        """Return how the run's execution ended, with what the emulated services recorded since ``start``.

        Its end and the ends of the executions it started go through the synthesized EventBridge rules first.
        """
        children = [child_record(sfn, child) for child in reporter.descendants()]
        execution_arn = reporter.execution_arn
        deliveries = self._deliver_ends(sfn, [execution_arn, *(child["execution_arn"] for child in children)])
        new_requests = self.emulator.requests[start.requests :]
        return LocalRunResult(
            execution_arn=execution_arn,
            status=description["status"],
            input=parse_json(description.get("input")),
            output=parse_json(description.get("output")),
            error=description.get("error"),
            cause=description.get("cause"),
            states=reporter.states,
            labeling_job_request=new_requests[0] if new_requests else None,
            labeling_job_requests=list(new_requests),
            description=dict(description),
            history=reporter.history,
            child_executions=children,
            notifications=[n for n in self.notifications() if n not in start.notifications],
            warnings=self.emulator.warnings[start.warnings :],
            iam_denials=[str(denial) for denial in self.iam.denials[start.denials :]],
            event_deliveries=[
                {"rule": d.rule, "target": d.target, "status": d.detail_status, "result": d.result} for d in deliveries
            ],
            labeling_job_status=(
                self.emulator.final_status(new_requests[-1]["LabelingJobName"], self.region) if new_requests else None
            ),
            duration_seconds=time.monotonic() - start.started,
        )

    def _deliver_ends(self, sfn: Any, execution_arns: list[str]) -> list[Delivery]:
        """Send each ended execution's status-change event through the synthesized EventBridge rules."""
        deliveries = []
        for arn in execution_arns:
            for delivery in self.events.execution_ended(sfn.describe_execution(executionArn=arn)):
                self.progress(f"[gt3d] EventBridge: {delivery.describe()}")
                deliveries.append(delivery)
        return deliveries

    def settle(self, execution_arn: str, *, timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS) -> list[Delivery]:
        """Wait for an execution started outside :meth:`run` (e.g. by ``gt3d start``) to end; return the deliveries.

        Once it has ended, this does what the service does: it stops the executions it started that still run (as
        for the ``.sync`` task of a stopped or timed-out execution) and sends each end through the synthesized
        EventBridge rules.
        """
        sfn = boto3.client("stepfunctions", region_name=self.region)
        deadline = time.monotonic() + timeout_seconds
        while sfn.describe_execution(executionArn=execution_arn)["status"] == "RUNNING":
            if time.monotonic() > deadline:
                raise LocalRunError(f"The execution {execution_arn} did not end within {timeout_seconds:.0f} s.")
            time.sleep(_POLL_INTERVAL_SECONDS)
        reporter = HistoryReporter(
            execution_arn,
            {},
            definitions={},
            read_history=moto_history,
            time_scale=self.time_scale,
            progress=Progress(),
        )
        reporter.report(sfn)
        started = [child.execution_arn for child in reporter.descendants()]
        _stop_running(sfn, started)
        return self._deliver_ends(sfn, [execution_arn, *started])

    @staticmethod
    def _stop(sfn: Any, execution_arn: str, reporter: HistoryReporter, error: str, cause: str) -> None:
        """Stop the execution and (as the service does for ``.sync`` tasks) the executions it started."""
        sfn.stop_execution(executionArn=execution_arn, error=error, cause=cause)
        reporter.report(sfn)  # learns of every execution started so far
        _stop_running(sfn, [child.execution_arn for child in reporter.descendants()], error=error, cause=cause)

    def write_out(self, out_dir: Path, result: LocalRunResult) -> int:
        """Write the labeling bucket as ``out_dir/bucket/<key>`` and ``out_dir/execution.json``; return objects."""
        objects = self.bucket_objects()
        for key, body in objects.items():
            path = out_dir / "bucket" / key
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(body)
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "execution.json").write_text(json.dumps(result.execution_record(), indent=2, default=str) + "\n")
        return len(objects)


@dataclass(frozen=True, slots=True)
class _RunStart:
    """What the emulated services had recorded when a run started: its result holds only what came after."""

    requests: int
    notifications: list[dict[str, Any]]
    warnings: int
    denials: int
    started: float  # time.monotonic()


def _stop_running(sfn: Any, execution_arns: list[str], **reason: str) -> None:
    """Stop those of the executions that still run (with ``error`` and ``cause`` if given) and wait for them to end."""
    stopped = []
    for arn in execution_arns:
        if sfn.describe_execution(executionArn=arn)["status"] == "RUNNING":
            sfn.stop_execution(executionArn=arn, **reason)
            stopped.append(arn)
    # An execution ends once the state it is in returns (a Lambda invocation, a Wait): report it as it ended.
    deadline = time.monotonic() + _STOP_GRACE_SECONDS
    while stopped and time.monotonic() < deadline:
        stopped = [arn for arn in stopped if sfn.describe_execution(executionArn=arn)["status"] == "RUNNING"]
        time.sleep(_POLL_INTERVAL_SECONDS)


def _echo_to_stderr(text: str) -> None:
    sys.stderr.write(text)


_SHARED_LOADERS: dict[Any, Any] = {}


def shared_botocore_loader(data_path: Any = None) -> Any:
    """Return one botocore data loader per data path for the whole process.

    moto gives every mocked run a fresh default session, and each new session would parse the service models
    (SageMaker's is megabytes of JSON) again; the models are read-only, so runs share them.
    """
    if data_path not in _SHARED_LOADERS:
        _SHARED_LOADERS[data_path] = botocore.loaders.create_loader(data_path)
    return _SHARED_LOADERS[data_path]


@contextlib.contextmanager
def _environment(values: Mapping[str, str], stripped: tuple[str, ...]) -> Iterator[None]:
    with mock.patch.dict(os.environ, values):
        for name in stripped:
            os.environ.pop(name, None)
        yield


def moto_history(execution_arn: str) -> list[dict[str, Any]]:
    """Return an execution's history events as GetExecutionHistory returns them, read from moto's backend.

    The API round trip (moto's serializer, botocore's parser) takes seconds for a monitor execution's 5,500 events;
    the backend holds the same events, with the event type as an enum and the timestamp as text.
    """
    _, _, _, region, account, _ = execution_arn.split(":", 5)
    events = sfn_backend(account, region).get_execution_history(execution_arn)["events"]
    return [
        {
            **event,
            "type": str(getattr(event["type"], "value", event["type"])),
            "timestamp": datetime.datetime.fromisoformat(str(event["timestamp"])),
        }
        for event in events
    ]
