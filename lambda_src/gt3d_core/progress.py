"""A labeling job's progress: read a DescribeLabelingJob response and decide how long to wait before the next poll.

Pure (no boto3): the monitor handler passes in the response and the clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

MIN_WAIT_SECONDS: Final = 30
MAX_WAIT_SECONDS: Final = 300
_WAIT_PER_AGE: Final = 10
"""Poll every age/10 seconds (between the bounds): a job of days is polled about every 5 minutes."""
TERMINAL_STATUSES: Final = frozenset({"Completed", "Failed", "Stopped"})
LABEL_COUNTER_NAMES: Final = ("TotalLabeled", "HumanLabeled", "MachineLabeled", "FailedNonRetryableError", "Unlabeled")


def wait_seconds_for(age: timedelta) -> int:
    """Return how long to wait before the next poll: 30 s for a new job, growing with its age to 5 minutes."""
    seconds = int(age.total_seconds()) // _WAIT_PER_AGE
    return max(MIN_WAIT_SECONDS, min(MAX_WAIT_SECONDS, seconds))


@dataclass(frozen=True, slots=True)
class JobProgress:
    """The monitor's verdict on one DescribeLabelingJob response (``$.monitor``)."""

    status: str
    done: bool
    succeeded: bool
    label_counters: Mapping[str, int]
    output_manifest_uri: str | None
    failure_reason: str | None
    wait_seconds: int

    def to_dict(self) -> dict[str, Any]:
        """Return the handler's JSON result."""
        return {
            "status": self.status,
            "done": self.done,
            "succeeded": self.succeeded,
            "label_counters": dict(self.label_counters),
            "output_manifest_uri": self.output_manifest_uri,
            "failure_reason": self.failure_reason,
            "wait_seconds": self.wait_seconds,
        }


def _failure_reason(description: Mapping[str, Any], status: str, counters: Mapping[str, int]) -> str | None:
    name = description.get("LabelingJobName", "?")
    if status == "Failed":
        reason = description.get("FailureReason") or "SageMaker gave no reason"
        return f"Labeling job {name!r} failed: {reason}"
    if status == "Stopped":
        return (
            f"Labeling job {name!r} was stopped (StopLabelingJob) before it completed; "
            f"{counters['TotalLabeled']} data object(s) were labeled. Start a new execution to label the data again."
        )
    if status == "Completed" and counters["TotalLabeled"] == 0:
        lifetime = description.get("HumanTaskConfig", {}).get("TaskAvailabilityLifetimeInSeconds")
        window = f" ({lifetime} s)" if lifetime else ""
        return (
            f"Labeling job {name!r} completed, but no worker labeled any data object within the task availability "
            f"lifetime{window}; {counters['Unlabeled']} object(s) are unlabeled. Add workers to the work team (and "
            "check they accepted their invitations and signed in to the labeling portal), or raise "
            "human_task.task_availability_lifetime_seconds, then start a new execution."
        )
    return None


def interpret_job_description(description: Mapping[str, Any], *, now: datetime) -> JobProgress:
    """Turn a DescribeLabelingJob response into done/succeeded, a failure reason, and the next wait.

    Success needs Completed *and* at least one labeled object: Ground Truth also reports Completed when the
    availability lifetime ran out with nothing labeled.
    """
    status = str(description["LabelingJobStatus"])
    raw_counters = description.get("LabelCounters", {})
    counters = {name: int(raw_counters.get(name, 0)) for name in LABEL_COUNTER_NAMES}
    now = now.replace(tzinfo=UTC) if now.tzinfo is None else now
    created = description.get("CreationTime")
    if isinstance(created, datetime):
        created_utc = created.replace(tzinfo=UTC) if created.tzinfo is None else created
        age = now - created_utc
    else:
        age = timedelta(0)
    output = description.get("LabelingJobOutput", {}).get("OutputDatasetS3Uri")
    return JobProgress(
        status=status,
        done=status in TERMINAL_STATUSES,
        succeeded=status == "Completed" and counters["TotalLabeled"] > 0,
        label_counters=counters,
        output_manifest_uri=output if isinstance(output, str) else None,
        failure_reason=_failure_reason(description, status, counters),
        wait_seconds=wait_seconds_for(age),
    )
