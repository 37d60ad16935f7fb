"""Adjustments to moto's Step Functions engine for local runs: scaled time, AWS's StartTime format, quiet logs.

moto executes state machine definitions (``mock_aws(config={"stepfunctions": {"execute_state_machine": True}})``)
with an ASL interpreter that really sleeps in ``Wait`` states and between ``Retry`` attempts. A labeling job is
polled every 30 s to 5 min, so local runs scale those intervals by a factor; the definition itself is untouched.
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import threading
from collections.abc import Iterator
from typing import Any
from unittest import mock

from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import WaitFunction
from moto.stepfunctions.parser.asl.eval.evaluation_details import ExecutionDetails
from moto.stepfunctions.parser.backend.execution import Execution

ENGINE_CONFIG = {"stepfunctions": {"execute_state_machine": True}}
"""The moto configuration that makes StartExecution run the definition."""

_ENGINE_LOGGERS = ("moto.stepfunctions", "moto.stepfunctions.parser")


class _ScaledTime:
    """Stands in for the ``time`` module inside moto's retrier: ``sleep`` is scaled, the rest is unchanged."""

    def __init__(self, scale: float) -> None:
        self.scale = scale

    def sleep(self, seconds: float) -> None:
        threading.Event().wait(max(0.0, seconds * self.scale))

    def __getattr__(self, name: str) -> Any:
        import time

        return getattr(time, name)


def aws_timestamp(moment: datetime.datetime) -> str:
    """Format ``moment`` as Step Functions formats ``$$.Execution.StartTime``: ``2024-01-31T12:34:56.789Z``."""
    utc = moment.astimezone(datetime.UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


@contextlib.contextmanager
def local_engine(*, time_scale: float) -> Iterator[None]:
    """Patch moto's engine for one local run: waits and retry intervals times ``time_scale``, AWS-style StartTime."""

    def wait_interval(self: WaitFunction, env: Any, wait_seconds: int) -> None:
        if wait_seconds > 0:
            env.program_state_event.wait(wait_seconds * time_scale)

    def start_execution_details(self: Execution) -> ExecutionDetails:
        # moto hands the context object a datetime, which reaches handlers as "...+00:00" with microseconds.
        return ExecutionDetails(
            arn=self.exec_arn,
            name=self.name,
            role_arn=self.role_arn,
            inpt=self.input_data,
            start_time=aws_timestamp(self.start_date),
        )

    levels = {name: logging.getLogger(name).level for name in _ENGINE_LOGGERS}
    for name in _ENGINE_LOGGERS:
        # The engine logs every failed state at ERROR with its full internals; the runner reports failures itself.
        logging.getLogger(name).setLevel(logging.CRITICAL)
    try:
        with (
            mock.patch.object(WaitFunction, "_wait_interval", wait_interval),
            mock.patch.object(retrier_decl, "time", _ScaledTime(time_scale)),
            mock.patch.object(Execution, "get_start_execution_details", start_execution_details),
        ):
            yield
    finally:
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)
