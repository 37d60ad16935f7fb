"""Compatibility module: the emulated Ground Truth lives in :mod:`gt3d.emulated_ground_truth`."""

from __future__ import annotations

from gt3d.emulated_ground_truth import (
    DEFAULT_FAILURE_REASON,
    EMULATED_OPERATIONS,
    OUTCOMES,
    TERMINAL_STATUSES,
    GroundTruthEmulator,
    Outcome,
    ServiceError,
)

__all__ = [
    "DEFAULT_FAILURE_REASON",
    "EMULATED_OPERATIONS",
    "OUTCOMES",
    "TERMINAL_STATUSES",
    "GroundTruthEmulator",
    "Outcome",
    "ServiceError",
]
