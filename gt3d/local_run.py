"""``gt3d local-run``: run the synthesized labeling workflow once, offline, and say how it ended.

:func:`run_local` deploys the cloud assembly into a :class:`~gt3d.local_cloud.LocalCloud` (moto, in-process
handlers, emulated Ground Truth, IAM enforced), uploads the data, runs one execution with its progress on stderr,
and writes ``--out``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from gt3d import demo_data
from gt3d.cloud_assembly import CloudAssembly
from gt3d.execution_input import InputOptionError, build_execution_input
from gt3d.execution_progress import Progress, describe_outcome, size
from gt3d.ground_truth_emulator import OUTCOMES, Outcome
from gt3d.local_cloud import DEFAULT_TIME_SCALE, DEFAULT_TIMEOUT_SECONDS, LocalCloud, shared_botocore_loader
from gt3d.local_errors import DeploymentError, LocalRunError
from gt3d.local_run_result import LocalRunResult

__all__ = [
    "DEFAULT_TASK_TYPE",
    "DEFAULT_TIMEOUT_SECONDS",
    "DEFAULT_TIME_SCALE",
    "RUN_OUTCOMES",
    "DeploymentError",
    "LocalCloud",
    "LocalRunError",
    "LocalRunOptions",
    "LocalRunResult",
    "Progress",
    "describe_outcome",
    "run_local",
    "shared_botocore_loader",
]

DEFAULT_TASK_TYPE = "3DPointCloudObjectTracking"
RunOutcome = Literal["completed", "failed", "stopped", "unlabeled", "aborted"]
RUN_OUTCOMES: tuple[RunOutcome, ...] = (*OUTCOMES, "aborted")
"""How a local run ends: how the emulated Ground Truth ends the job, or ``aborted``: the execution is stopped
(StopExecution) while the job is InProgress, and the abandoned job must then be stopped by the pipeline."""


@dataclass(frozen=True, slots=True)
class LocalRunOptions:
    """What ``gt3d local-run`` was asked to do."""

    task_type: str | None = None
    data_dir: Path = demo_data.DEFAULT_DIR
    source: str | None = None
    outcome: RunOutcome = "completed"
    execution_input: Mapping[str, Any] | None = None
    out_dir: Path | None = None
    region: str | None = None
    cloud_assembly: Path = Path("cdk.out")
    time_scale: float = DEFAULT_TIME_SCALE
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS
    echo_lambda_logs: bool = False

    def execution_payload(self) -> dict[str, Any]:
        """Return the execution input: ``--input`` with ``--task-type`` (default: object tracking)."""
        try:
            payload = build_execution_input(self.execution_input, task_type=self.task_type)
        except InputOptionError as error:
            raise LocalRunError(str(error)) from error
        payload.setdefault("task_type", DEFAULT_TASK_TYPE)
        return payload


def run_local(options: LocalRunOptions, *, progress: Callable[[str], None] | None = None) -> LocalRunResult:
    """Run the synthesized workflow once, offline, as ``gt3d local-run`` does; return how the execution ended."""
    report = progress or Progress()
    payload = options.execution_payload()
    assembly = CloudAssembly.load(options.cloud_assembly)
    with LocalCloud(
        assembly,
        region=options.region,
        source=options.source,
        outcome=_job_outcome(options.outcome),
        time_scale=options.time_scale,
        progress=report,
        echo_lambda_logs=options.echo_lambda_logs,
    ) as cloud:
        count, total = cloud.upload(options.data_dir)
        deployment = cloud.deployment
        report(
            f"[gt3d] emulated deployment of {len(assembly.stacks)} stack(s) from {options.cloud_assembly} in "
            f"{cloud.region}: {deployment.function_count} function(s), labeling bucket {deployment.labeling_bucket}"
        )
        report(f"[gt3d] uploaded {count} object(s) ({size(total)}) from {options.data_dir} to {cloud.source_uri}")
        report(f"[gt3d] emulated Ground Truth outcome: {options.outcome}; waits scaled by {options.time_scale:g}")
        if options.outcome == "aborted":
            cloud.emulator.in_progress_polls = ABORTED_RUN_IN_PROGRESS_POLLS
        result = cloud.run(
            payload,
            timeout_seconds=options.timeout_seconds,
            stop_when=_job_in_progress(cloud) if options.outcome == "aborted" else None,
        )
        if options.out_dir is not None:
            written = cloud.write_out(options.out_dir, result)
            report(f"[gt3d] wrote {written} object(s) of the labeling bucket and execution.json to {options.out_dir}")
    for notification in result.notifications:
        report(f"[gt3d] SNS notification published: {notification['subject']}")
    for warning in result.warnings:
        report(f"[gt3d] warning: {warning}")
    for denial in result.iam_denials:
        report(f"[gt3d] IAM denied {denial}")
    report(describe_outcome(result))
    return result


ABORTED_RUN_IN_PROGRESS_POLLS = 1_000_000
"""With ``--outcome aborted`` the job stays InProgress until something stops it."""


def _job_outcome(outcome: RunOutcome) -> Outcome:
    return "completed" if outcome == "aborted" else outcome


def _job_in_progress(cloud: LocalCloud) -> Callable[[], bool]:
    """Return a ``stop_when`` that answers True once the run's labeling job is InProgress."""
    return lambda: any(job.status == "InProgress" for job in list(cloud.emulator.jobs.values()))
