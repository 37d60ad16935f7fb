"""Stopping a labeling job that its execution abandoned: shared by the workflow's failure path and the EventBridge
target that handles executions ending without it (stopped, timed out, failed outside every Catch).

Only a job that carries the execution's own tag is stopped: a job name the execution could not claim (another run's
job, ``JobNameTakenError``) belongs to someone else. Stopping is idempotent: a missing or already finished job is
reported, never an error.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError
from handler_support import aws_error_policy, logger

from gt3d_core.names import EXECUTION_TAG_KEY

if TYPE_CHECKING:
    from mypy_boto3_sagemaker import SageMakerClient

FINISHED_STATUSES = frozenset({"Completed", "Failed", "Stopping", "Stopped"})


@dataclass(frozen=True, slots=True)
class StopOutcome:
    """What became of the job: ``stopped`` when this call asked Ground Truth to stop it."""

    job_name: str
    status: str | None
    stopped: bool
    reason: str

    def as_dict(self) -> dict[str, Any]:
        """Return the handler's JSON result."""
        return {"job_name": self.job_name, "status": self.status, "stopped": self.stopped, "reason": self.reason}


def stop_own_job(client: SageMakerClient, job_name: str, execution_name: str) -> StopOutcome:
    """Stop ``job_name`` if it exists, is still running and was created by ``execution_name``."""
    try:
        with aws_error_policy():
            job = client.describe_labeling_job(LabelingJobName=job_name)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "ResourceNotFound":
            raise
        return StopOutcome(job_name, None, stopped=False, reason="no labeling job was created")
    status = job["LabelingJobStatus"]
    owner = next((tag["Value"] for tag in job.get("Tags") or () if tag.get("Key") == EXECUTION_TAG_KEY), None)
    if owner != execution_name:
        return StopOutcome(job_name, status, stopped=False, reason=f"the job belongs to execution {owner!r}")
    if status in FINISHED_STATUSES:
        return StopOutcome(job_name, status, stopped=False, reason=f"the job is already {status}")
    try:
        with aws_error_policy():
            client.stop_labeling_job(LabelingJobName=job_name)
    except ClientError as error:
        # The job finished between the two calls: nothing is left to stop.
        if error.response.get("Error", {}).get("Code") != "ValidationException":
            raise
        return StopOutcome(job_name, status, stopped=False, reason="the job finished before it could be stopped")
    logger.info("Stopped the abandoned labeling job", extra={"job_name": job_name, "execution": execution_name})
    return StopOutcome(job_name, "Stopping", stopped=True, reason="the execution ended without the job")
