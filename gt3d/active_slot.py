"""The one active instance of a process-wide emulation, for the botocore hooks that consult it.

The emulations (IAM, the Ground Truth service, CloudFormation's DescribeStacks) answer through hooks registered once
per process, since clients keep the hooks their session had when they were made; each hook asks its slot which
instance, if any, is active, and does nothing while none is.
"""

from __future__ import annotations

import threading
from typing import Generic, TypeVar

_T = TypeVar("_T")


class ActiveSlot(Generic[_T]):
    """Holds at most one active instance of ``kind``; activating a second one while the first is active fails."""

    def __init__(self, kind: str) -> None:
        self._kind = kind
        self._lock = threading.Lock()
        self.current: _T | None = None

    def enter(self, instance: _T) -> None:
        """Make ``instance`` the active one; raise ``RuntimeError`` when another one is."""
        with self._lock:
            if self.current is not None:
                raise RuntimeError(f"another {self._kind} is already active")
            self.current = instance

    def leave(self, instance: _T) -> None:
        """Deactivate ``instance`` (nothing happens when it is not the active one)."""
        with self._lock:
            if self.current is instance:
                self.current = None
