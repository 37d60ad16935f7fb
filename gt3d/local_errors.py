"""The local run's errors other than a failed execution: ``gt3d local-run`` exits 2 for a :class:`LocalRunError` (a
usage error) and 1 for a :class:`DeploymentError`.
"""

from __future__ import annotations


class LocalRunError(Exception):
    """The local run could not start (bad options, unusable cloud assembly or data)."""


class DeploymentError(Exception):
    """The synthesized app cannot be deployed to the emulated account (e.g. an invalid state machine definition)."""
