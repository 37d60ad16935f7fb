"""The deployed pipeline that ``gt3d start``, ``status``, ``stop`` and ``results`` (:mod:`gt3d.account`) operate.

A :class:`Deployment` is found from the outputs of its stacks (CloudFormation DescribeStacks of ``<prefix>-pipeline``,
``<prefix>-storage`` and ``<prefix>-workforce``), with the usual AWS credentials, profile and region.
:class:`StateMachineDefinitions` reads its state machines' definitions, and :class:`PlanFunction` is the function of
the workflow's first state: its handler module from ``lambda_src/`` with its deployed environment, so that ``start``
plans an input with the very code the workflow runs.
"""

from __future__ import annotations

import functools
import importlib
import json
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import Any

from botocore.exceptions import ClientError

from gt3d_core.labeling_job import LabelingJobPlan, plan_labeling_job

DEFAULT_PREFIX = "gt3d"
LAMBDA_SRC = Path(__file__).resolve().parents[1] / "lambda_src"
"""The code asset the pipeline's functions are deployed from."""
_STACKS = ("pipeline", "storage", "workforce")


class AccountError(Exception):
    """The deployment, an execution or its output cannot be found; the message says what to do."""


def configured_prefix(cdk_json: Path = Path("cdk.json")) -> str:
    """Return the ``prefix`` setting of ``cdk_json`` (the settings ``make deploy`` read), else the default."""
    try:
        settings = json.loads(cdk_json.read_text())
    except (OSError, ValueError):
        return DEFAULT_PREFIX
    context = settings.get("context") if isinstance(settings, dict) else None
    prefix = context.get("prefix") if isinstance(context, dict) else None
    return prefix if isinstance(prefix, str) and prefix else DEFAULT_PREFIX


@dataclass(frozen=True, slots=True)
class Deployment:
    """A deployed pipeline as its stack outputs describe it: ``{stack name: {output key: value}}``."""

    prefix: str
    outputs: Mapping[str, Mapping[str, str]]

    @classmethod
    def discover(cls, cloudformation: Any, *, prefix: str) -> Deployment:
        """Read the outputs of the ``<prefix>-pipeline``, ``-storage`` and ``-workforce`` stacks (DescribeStacks)."""
        outputs: dict[str, dict[str, str]] = {}
        for suffix in _STACKS:
            name = f"{prefix}-{suffix}"
            try:
                stacks = cloudformation.describe_stacks(StackName=name)["Stacks"]
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") == "ValidationError":  # no such stack
                    continue
                raise
            outputs[name] = {output["OutputKey"]: output["OutputValue"] for output in stacks[0].get("Outputs", [])}
        region = cloudformation.meta.region_name
        if f"{prefix}-pipeline" not in outputs:
            raise AccountError(
                f"There is no stack {prefix}-pipeline in {region}. Deploy the pipeline (make deploy), or pass the "
                "--prefix and --region (or --profile) it was deployed with."
            )
        return cls(prefix, outputs)

    def output(self, stack: str, key: str) -> str | None:
        """Return an output of the ``<prefix>-<stack>`` stack, None when the stack or the output is missing."""
        return self.outputs.get(f"{self.prefix}-{stack}", {}).get(key)

    @property
    def state_machine_arn(self) -> str:
        """Return the labeling workflow (the pipeline stack's ``StateMachineArn`` output)."""
        arn = self.output("pipeline", "StateMachineArn")
        if arn is None:
            raise AccountError(f"The stack {self.prefix}-pipeline has no StateMachineArn output: redeploy it.")
        return arn

    @property
    def portal_url(self) -> str | None:
        """Return where workers sign in to label (the workforce stack's ``LabelingPortalUrl`` output)."""
        return self.output("workforce", "LabelingPortalUrl")

    def execution_arn(self, execution: str) -> str:
        """Return the ARN of a workflow execution given by its ARN or its name."""
        if execution.startswith("arn:"):
            return execution
        return f"{self.state_machine_arn.replace(':stateMachine:', ':execution:', 1)}:{execution}"


class StateMachineDefinitions(Mapping[str, Mapping[str, Any]]):
    """State machine definitions by ARN, each read (DescribeStateMachine) when first asked for."""

    def __init__(self, sfn: Any) -> None:
        self._sfn = sfn
        self._definitions: dict[str, Mapping[str, Any]] = {}

    def __getitem__(self, arn: str) -> Mapping[str, Any]:
        if arn not in self._definitions:
            try:
                description = self._sfn.describe_state_machine(stateMachineArn=arn)
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") == "StateMachineDoesNotExist":
                    raise KeyError(arn) from error
                raise
            self._definitions[arn] = json.loads(description["definition"])
        return self._definitions[arn]

    def __iter__(self) -> Iterator[str]:
        return iter(self._definitions)

    def __len__(self) -> int:
        return len(self._definitions)


@functools.cache
def handler_module(name: str) -> ModuleType:
    """Import a handler module from ``lambda_src/``, as the Lambda runtime imports it from the function's code."""
    if not (LAMBDA_SRC / f"{name}.py").is_file():
        raise AccountError(
            f"The deployed plan function's handler module {name!r} is not in {LAMBDA_SRC}: use a checkout of the "
            "deployed version to start executions."
        )
    # The handler imports its sibling modules (handler_support) from the asset's top level.
    sys.path.insert(0, str(LAMBDA_SRC))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(LAMBDA_SRC))


@dataclass(frozen=True, slots=True)
class PlanFunction:
    """The deployed function of the workflow's first state (PlanLabelingJob): its handler and environment."""

    handler: str
    environment: Mapping[str, str]

    @classmethod
    def discover(cls, definition: Mapping[str, Any], lambda_client: Any) -> PlanFunction:
        """Return the function of a workflow's first state (PlanLabelingJob), with its deployed configuration."""
        first = definition["States"][definition["StartAt"]]
        resource = str(first.get("Resource", ""))
        # A Lambda task names its function as its Resource, or in its Parameters through the lambda:invoke integration.
        function = first["Parameters"]["FunctionName"] if ":states:::lambda:invoke" in resource else resource
        configuration = lambda_client.get_function_configuration(FunctionName=function)
        return cls(
            handler=configuration["Handler"], environment=configuration.get("Environment", {}).get("Variables", {})
        )

    def plan(self, execution_input: Any, *, execution_name: str, start: datetime) -> LabelingJobPlan:
        """Return the plan this function returns for an execution; raise the Gt3dError it would fail with."""
        module = handler_module(self.handler.rpartition(".")[0])
        environment = module.PlanEnvironment.from_environ(self.environment)
        event = module.PlanEvent.from_event(
            {"input": execution_input, "execution_name": execution_name, "execution_start_time": start.isoformat()}
        )
        return plan_labeling_job(
            event.execution_input,
            locations=environment.locations,
            resource_prefix=environment.resource_prefix,
            execution_name=event.execution_name,
            execution_start_time=event.execution_start_time,
        )
