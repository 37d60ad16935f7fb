#!/usr/bin/env python3
"""CDK entry point: read the settings, build the three stacks, register cdk-nag. Nothing else happens here."""

from __future__ import annotations

import sys
from dataclasses import dataclass

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from stacks.config import InvalidSettingError, Settings
from stacks.pipeline_stack import PipelineStack
from stacks.storage_stack import StorageStack
from stacks.workforce_stack import WorkforceStack


@dataclass(frozen=True, slots=True)
class Gt3dStacks:
    """The app's stacks, for tests and tooling."""

    storage: StorageStack
    workforce: WorkforceStack
    pipeline: PipelineStack


def build(app: cdk.App) -> Gt3dStacks:
    """Validate the settings (before any construct exists), then add the three stacks and cdk-nag to ``app``."""
    settings = Settings.from_context(app.node)
    env = cdk.Environment(account=settings.account, region=settings.region)
    description = "SageMaker Ground Truth 3D point cloud labeling (gt3d-pipeline)"
    storage = StorageStack(
        app,
        "Gt3dStorage",
        settings=settings,
        env=env,
        stack_name=f"{settings.prefix}-storage",
        description=f"{description}: storage",
    )
    workforce = WorkforceStack(
        app,
        "Gt3dWorkforce",
        settings=settings,
        env=env,
        stack_name=f"{settings.prefix}-workforce",
        description=f"{description}: private workforce",
    )
    pipeline = PipelineStack(
        app,
        "Gt3dPipeline",
        settings=settings,
        labeling_bucket=storage.labeling_bucket,
        execution_role=storage.execution_role.role.role,
        workteam_arn=workforce.workteam_arn,
        env=env,
        stack_name=f"{settings.prefix}-pipeline",
        description=f"{description}: labeling pipeline",
    )
    cdk.Tags.of(app).add("gt3d:prefix", settings.prefix)
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return Gt3dStacks(storage=storage, workforce=workforce, pipeline=pipeline)


def main() -> None:
    """Synthesize the app; an invalid setting stops synthesis with a one-line message instead of a traceback."""
    app = cdk.App()
    try:
        build(app)
    except InvalidSettingError as error:
        sys.exit(f"gt3d: {error}")
    app.synth()


if __name__ == "__main__":
    main()
