"""Lambda: validate the execution input and return ``$.plan`` before anything is copied or created."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from handler_support import logger

from gt3d_core.errors import ConfigurationError
from gt3d_core.labeling_job import Locations, parse_execution_start_time, plan_labeling_job
from gt3d_core.s3_location import S3Location


@dataclass(frozen=True, slots=True)
class PlanEnvironment:
    """The planner's environment: the three locations and the prefix of derived job names."""

    locations: Locations
    resource_prefix: str

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> PlanEnvironment:
        """Read ``SOURCE_URI``, ``INPUT_URI``, ``OUTPUT_URI`` and ``RESOURCE_PREFIX``; raise ConfigurationError."""

        def location(name: str) -> S3Location:
            try:
                return S3Location.parse(environ[name])
            except KeyError:
                raise ConfigurationError(
                    f"Environment variable {name} is not set. Redeploy the pipeline stack."
                ) from None
            except ValueError as error:
                raise ConfigurationError(
                    f"Environment variable {name}: {error}. Redeploy the pipeline stack."
                ) from None

        if "RESOURCE_PREFIX" not in environ:
            raise ConfigurationError("Environment variable RESOURCE_PREFIX is not set. Redeploy the pipeline stack.")
        return cls(
            locations=Locations(
                source=location("SOURCE_URI"), target=location("INPUT_URI"), output=location("OUTPUT_URI")
            ),
            resource_prefix=environ["RESOURCE_PREFIX"],
        )


@dataclass(frozen=True, slots=True)
class PlanEvent:
    """The task payload: the execution input as given, plus the execution's name and start time."""

    execution_input: object
    execution_name: str
    execution_start_time: datetime

    @classmethod
    def from_event(cls, event: Mapping[str, Any]) -> PlanEvent:
        """Parse the payload the state machine builds; a malformed one is a wiring error, not the user's."""
        missing = [key for key in ("input", "execution_name", "execution_start_time") if key not in event]
        if missing or not isinstance(event["execution_name"], str):
            raise ConfigurationError(
                f"The PlanLabelingJob payload lacks {', '.join(missing) or 'a string execution_name'}; it must be "
                '{"input.$": "$", "execution_name.$": "$$.Execution.Name", '
                '"execution_start_time.$": "$$.Execution.StartTime"}. Redeploy the pipeline stack.'
            )
        return cls(
            execution_input=event["input"],
            execution_name=event["execution_name"],
            execution_start_time=parse_execution_start_time(event["execution_start_time"]),
        )


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Return ``$.plan`` for the execution input, or raise the user-fixable error it contains."""
    environment = PlanEnvironment.from_environ(os.environ)
    request = PlanEvent.from_event(event)
    plan = plan_labeling_job(
        request.execution_input,
        locations=environment.locations,
        resource_prefix=environment.resource_prefix,
        execution_name=request.execution_name,
        execution_start_time=request.execution_start_time,
    )
    logger.info(
        "Planned labeling job",
        extra={"job_name": plan.job_name, "task_type": plan.task_type, "execution_name": request.execution_name},
    )
    return plan.to_dict()
