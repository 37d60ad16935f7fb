"""A labeling job the emulated Ground Truth accepted, the outcomes it can be told to reach, and its statuses."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from gt3d.emulated_ground_truth.data_rules import ManifestLine
from gt3d_core.catalog import TaskType

Outcome = Literal["completed", "failed", "stopped", "unlabeled"]
OUTCOMES: tuple[Outcome, ...] = get_args(Outcome)
TERMINAL_STATUSES = ("Completed", "Failed", "Stopped")


@dataclass
class EmulatedJob:
    """One labeling job the emulator accepted, and where it is in its life."""

    name: str
    arn: str
    region: str
    request: dict[str, Any]
    task: TaskType
    outcome: Outcome
    lines: list[ManifestLine]
    label_names: list[str]
    created: datetime.datetime
    modified: datetime.datetime
    reference_code: str
    audited: str | None = None
    """The adjusted job's label attribute (``auditLabelAttributeName``), for adjustment jobs."""
    failing_lines: frozenset[int] = frozenset()
    """Numbers of the manifest lines whose data objects fail on their own (adjustment lines without ``audited``)."""
    polls: int = 0
    status: str = "Initializing"
    stop_requested: bool = False
    output_manifest_uri: str | None = None
    written_keys: list[str] = field(default_factory=list)

    @property
    def data_objects(self) -> int:
        """Return how many data objects (manifest lines: frames or sequences) the job labels."""
        return len(self.lines)

    def counters(self) -> dict[str, int]:
        """Return the job's LabelCounters as things stand."""
        completed = self.status == "Completed"
        failed = len(self.failing_lines) if completed else 0
        labeled = self.data_objects - failed if completed and self.outcome == "completed" else 0
        return {
            "TotalLabeled": labeled,
            "HumanLabeled": labeled,
            "MachineLabeled": 0,
            "FailedNonRetryableError": failed,
            "Unlabeled": self.data_objects - labeled - failed,
        }
