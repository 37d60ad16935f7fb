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
- a stopped execution ends ABORTED with the stop's error and cause, even when the task the stop interrupted then
  fails (moto's engine would report that spurious failure as FAILED);
- StartExecution without a name gets a UUID as its name, as the service (and moto's non-executing backend) does;
  moto's executing backend would name every such execution ``None`` and refuse the second one;
- a Distributed Map's workers take their items in a loop: moto's recurse once per item, so a worker with more items
  than Python's recursion limit (a million-object copy gives each of 10 workers 1,000 batches) dies with a
  ``RecursionError`` and leaves the execution running forever.

Two costs of moto's that a long local run (hundreds of polls) would otherwise pay on every state are cut, without
changing what is evaluated: JSONPath expressions are parsed once each (jsonpath-ng builds a new parser per call),
and the engine's service integrations reuse one boto3 client per region, service and role (moto builds a new one per
invocation). Those clients act as the state machine's role, so IAM is enforced on them (:mod:`gt3d.local_iam`).
"""

from __future__ import annotations

import contextlib
import datetime
import functools
import logging
import sys
import threading
import uuid
from collections.abc import Iterator
from typing import Any
from unittest import mock

import botocore.session
from jsonpath_ng.ext.parser import parse as jsonpath_parse
from moto.stepfunctions.parser.api import ExecutionStatus
from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.itemprocessor.distributed_item_processor_worker import (  # noqa: E501
    DistributedItemProcessorWorker,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.job import Job
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import state_task_service_callback
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_sfn import (
    StateTaskServiceSfn,
)
from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import WaitFunction
from moto.stepfunctions.parser.asl.eval.evaluation_details import ExecutionDetails
from moto.stepfunctions.parser.asl.utils import json_path
from moto.stepfunctions.parser.asl.utils.boto_client import boto_client_for
from moto.stepfunctions.parser.backend.execution import BaseExecutionWorkerCommunication, Execution
from moto.stepfunctions.parser.models import StepFunctionsParserBackend
from moto.stepfunctions.parser.utils import camel_to_snake_case

from gt3d.local_iam import acting_as

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
_moto_stop_execution = Execution.stop
_moto_reflect_status = BaseExecutionWorkerCommunication._reflect_execution_status
_STOP_REQUEST = "_gt3d_stop_request"


def _stop_execution(self: Execution, stop_date: datetime.datetime, error: str | None, cause: str | None) -> None:
    setattr(self, _STOP_REQUEST, (error, cause))
    _moto_stop_execution(self, stop_date, error, cause)


def _reflect_execution_status(self: BaseExecutionWorkerCommunication) -> None:
    # A task interrupted by the stop can end the program with a spurious error (moto's engine pops a shared value
    # stack the stop left in another state); the service ends a stopped execution ABORTED, with the stop's error.
    _moto_reflect_status(self)  # type: ignore[no-untyped-call]
    stop_request = getattr(self.execution, _STOP_REQUEST, None)
    if stop_request is not None and self.execution.exec_status == ExecutionStatus.FAILED:
        self.execution.exec_status = ExecutionStatus.ABORTED
        self.execution.error, self.execution.cause = stop_request


def _start_execution(
    self: StepFunctionsParserBackend,
    state_machine_arn: str,
    name: str | None = None,
    execution_input: Any = None,  # moto annotates these ``str`` with a ``None`` default
    trace_header: Any = None,
) -> Execution:
    return _moto_start_execution(self, state_machine_arn, name or str(uuid.uuid4()), execution_input, trace_header)


def _client_cache() -> Any:
    """Return a ``boto_client_for`` that builds each client once per (region, service, role), acting as the role.

    The engine hands over the state machine's role (``state_credentials``); its clients act as that role, so
    :mod:`gt3d.local_iam` authorizes the integrations (Lambda invoke, SNS publish, ``states:startExecution``) against
    the state machine role's policies, as Step Functions does.
    """
    clients: dict[tuple[str, str, str | None], Any] = {}
    lock = threading.Lock()

    def cached_client_for(region: str, service: str, state_credentials: Any = None) -> Any:
        role_arn = getattr(state_credentials, "role_arn", None)
        with lock:
            if (region, service, role_arn) not in clients:
                with acting_as(role_arn):
                    clients[region, service, role_arn] = boto_client_for(region, service, state_credentials)
            return clients[region, service, role_arn]

    return cached_client_for


def _engine_client_factories() -> list[Any]:
    """Return a patch of every engine module's ``boto_client_for`` (each imported it by name) with the cached one."""
    cached = _client_cache()
    return [
        mock.patch.object(module, "boto_client_for", cached)
        for name, module in list(sys.modules.items())
        if name.startswith("moto.stepfunctions.parser.") and getattr(module, "boto_client_for", None) is boto_client_for
    ]


def _eval_pool_in_a_loop(self: DistributedItemProcessorWorker, job: Job | None, worker_frame: Any) -> None:
    """moto's ``DistributedItemProcessorWorker._eval_pool``, step for step, with its tail call made a loop."""
    while job is not None:
        job_frame = worker_frame.open_inner_frame()
        self._eval_job(env=job_frame, job=job)
        worker_frame.delete_frame(job_frame)
        # The job failed or the worker was stopped: evaluation ends here.
        if isinstance(job.job_output, Exception) or self.stopped():  # type: ignore[no-untyped-call]
            break
        next_job = self._job_pool.next_job()
        if next_job is None:
            break  # the frame is deleted before the job is closed: map states await jobs, not workers
        self._job_pool.close_job(job)
        job = next_job
    self._env.delete_frame(worker_frame)
    if job is not None:
        self._job_pool.close_job(job)


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
            mock.patch.object(Execution, "stop", _stop_execution),
            mock.patch.object(BaseExecutionWorkerCommunication, "_reflect_execution_status", _reflect_execution_status),
            mock.patch.object(json_path, "parse", functools.cache(jsonpath_parse)),
            mock.patch.object(DistributedItemProcessorWorker, "_eval_pool", _eval_pool_in_a_loop),
            contextlib.ExitStack() as clients,
        ):
            for patch in _engine_client_factories():
                clients.enter_context(patch)
            yield
    finally:
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)
