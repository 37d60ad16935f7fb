"""Adjustments to moto's Step Functions engine for local runs: scaled time, AWS's behaviour where moto differs.

moto executes state machine definitions (``mock_aws(config={"stepfunctions": {"execute_state_machine": True}})``)
with an ASL interpreter that really sleeps in ``Wait`` states, between ``Retry`` attempts and between its checks of
a ``.sync`` child execution. A labeling job is polled every 30 s to 5 min, so local runs scale those intervals by a
factor; the definitions themselves are untouched.

Where moto's interpreter (a port of LocalStack's) falls short of the service, the service's behaviour is restored:

- ``$$.Execution.StartTime`` is formatted as Step Functions formats it (moto hands over a datetime);
- the ``states:startExecution`` integration maps the task's ``Parameters`` (``StateMachineArn``, ``Input``, ``Name``)
  onto the API's members (``stateMachineArn``, ...) and the API's response back (``ExecutionArn``, ``Output``, ...)
  with botocore's Step Functions model. moto keeps the helpers for this but stubs the two calls out, so without it
  every ``startExecution`` task fails with ``States.Runtime`` (``KeyError: 'StateMachineArn'``);
- StartExecution without a name gets a UUID as its name, as the service (and moto's non-executing backend) does;
  moto's executing backend would name every such execution ``None`` and refuse the second one.

Two costs of moto's that a long local run (hundreds of polls) would otherwise pay on every state are cut, without
changing what is evaluated: JSONPath expressions are parsed once each (jsonpath-ng builds a new parser per call),
and Lambda tasks reuse one boto3 client per region (moto builds a new one per invocation).
"""

from __future__ import annotations

import contextlib
import datetime
import functools
import logging
import threading
import uuid
from collections.abc import Iterator
from typing import Any
from unittest import mock

import botocore.session
from jsonpath_ng.ext.parser import parse as jsonpath_parse
from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import state_task_service_callback
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_sfn import (
    StateTaskServiceSfn,
)
from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import WaitFunction
from moto.stepfunctions.parser.asl.eval.evaluation_details import ExecutionDetails
from moto.stepfunctions.parser.asl.utils import json_path
from moto.stepfunctions.parser.asl.utils.boto_client import boto_client_for
from moto.stepfunctions.parser.backend.execution import Execution
from moto.stepfunctions.parser.models import StepFunctionsParserBackend
from moto.stepfunctions.parser.utils import camel_to_snake_case

ENGINE_CONFIG = {"stepfunctions": {"execute_state_machine": True}}
"""The moto configuration that makes StartExecution run the definition."""

_ENGINE_LOGGERS = ("moto.stepfunctions", "moto.stepfunctions.parser")

_SYNC_CHECK_SECONDS = state_task_service_callback._DELAY_SECONDS_SYNC_CONDITION_CHECK
"""How long moto waits between two DescribeExecution calls on a ``.sync`` child execution (0.5 s)."""
_MIN_SYNC_CHECK_SECONDS = 0.05
"""The scaled check interval's floor. Each check is a DescribeExecution through botocore and moto (a few ms of CPU):
checking every 0.1 ms (the tests' scale) would take the GIL from the child execution it waits for. The floor delays
noticing that a child ended by at most 50 ms, once per child execution."""


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


@functools.cache
def _stepfunctions_operations() -> tuple[Any, dict[str, str]]:
    """Return botocore's Step Functions service model and its operation names by snake_case name."""
    model = botocore.session.get_session().get_service_model("stepfunctions")
    return model, {camel_to_snake_case(name): name for name in model.operation_names}


def _operation_model(task: StateTaskServiceSfn, action: str | None) -> Any:
    model, operations = _stepfunctions_operations()
    return model.operation_model(operations[task._get_boto_service_action(action)])


_moto_sfn_normalise_parameters = StateTaskServiceSfn._normalise_parameters


def _sfn_normalise_parameters(
    self: StateTaskServiceSfn,
    parameters: dict[str, Any],
    boto_service_name: str | None = None,
    service_action_name: str | None = None,
) -> None:
    # moto's own step (Input as a JSON string), then the service model's member names, as LocalStack does.
    _moto_sfn_normalise_parameters(self, parameters, boto_service_name, service_action_name)
    self._to_boto_request(parameters, _operation_model(self, service_action_name).input_shape)


def _sfn_normalise_response(
    self: StateTaskServiceSfn,
    response: Any,
    boto_service_name: str | None = None,
    service_action_name: str | None = None,
) -> None:
    self._from_boto_response(response, _operation_model(self, service_action_name).output_shape)


_moto_start_execution = StepFunctionsParserBackend.start_execution


def _start_execution(
    self: StepFunctionsParserBackend,
    state_machine_arn: str,
    name: str | None = None,
    execution_input: Any = None,  # moto annotates these ``str`` with a ``None`` default
    trace_header: Any = None,
) -> Execution:
    return _moto_start_execution(self, state_machine_arn, name or str(uuid.uuid4()), execution_input, trace_header)


def _client_cache() -> Any:
    """Return a ``boto_client_for`` that builds each (region, service) client once (moto's credentials are fixed)."""
    clients: dict[tuple[str, str], Any] = {}
    lock = threading.Lock()

    def cached_client_for(region: str, service: str, state_credentials: Any = None) -> Any:
        with lock:
            if (region, service) not in clients:
                clients[region, service] = boto_client_for(region, service, state_credentials)
            return clients[region, service]

    return cached_client_for


@contextlib.contextmanager
def local_engine(*, time_scale: float) -> Iterator[None]:
    """Patch moto's engine for one local run: every wait times ``time_scale``, the service's behaviour restored."""

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
            mock.patch.object(
                state_task_service_callback,
                "_DELAY_SECONDS_SYNC_CONDITION_CHECK",
                max(_MIN_SYNC_CHECK_SECONDS, _SYNC_CHECK_SECONDS * time_scale),
            ),
            mock.patch.object(StateTaskServiceSfn, "_normalise_parameters", _sfn_normalise_parameters),
            # Inherited (a no-op) until now: patch.object removes it again on exit.
            mock.patch.object(StateTaskServiceSfn, "_normalise_response", _sfn_normalise_response),
            mock.patch.object(StepFunctionsParserBackend, "start_execution", _start_execution),
            mock.patch.object(json_path, "parse", functools.cache(jsonpath_parse)),
            mock.patch.object(lambda_eval_utils, "boto_client_for", _client_cache()),
        ):
            yield
    finally:
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)
