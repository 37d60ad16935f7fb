"""The real app (app.py), built and synthesized offline for tests, and the configurations the tests use."""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

ROOT = Path(__file__).resolve().parents[2]
SNAPSHOT_DIR = ROOT / "tests" / "snapshots"
REGION = "us-east-1"
STACK_IDS = ("Gt3dStorage", "Gt3dWorkforce", "Gt3dPipeline")

WORKER_EMAILS = ("worker.one@example.com", "worker.two@example.com")
NOTIFICATION_EMAIL = "labeling-ops@example.com"
IMPORTED_WORKTEAM_ARN = f"arn:aws:sagemaker:{REGION}:123456789012:workteam/private-crowd/existing-team"
IMPORTED_POOL_ID = f"{REGION}_AbCdEf123"
IMPORTED_CLIENT_ID = "1example23456789abcdefghij"

CONFIGURATIONS: Mapping[str, Mapping[str, Any]] = {
    "create": {"worker_emails": ",".join(WORKER_EMAILS), "notification_email": NOTIFICATION_EMAIL},
    "import-workteam": {"workteam_mode": "import-workteam", "workteam_arn": IMPORTED_WORKTEAM_ARN},
    "import-user-pool": {
        "workteam_mode": "import-user-pool",
        "user_pool_id": IMPORTED_POOL_ID,
        "user_pool_client_id": IMPORTED_CLIENT_ID,
        "worker_emails": json.dumps([WORKER_EMAILS[0]]),
    },
}


def load_app_module() -> ModuleType:
    """Import the repository's app.py (not a package module) so tests build exactly what `cdk synth` builds."""
    name = "gt3d_app"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, ROOT / "app.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def cdk_json_context(**overrides: Any) -> dict[str, Any]:
    """The context `cdk synth` would use: cdk.json's, the test region, then ``overrides``."""
    context: dict[str, Any] = json.loads((ROOT / "cdk.json").read_text())["context"]
    return {**context, "region": REGION, **overrides}


@dataclass(frozen=True)
class Synthesized:
    """One synthesized configuration: the app, its stacks, templates and the cloud assembly directory."""

    app: cdk.App
    stacks: Any  # app.Gt3dStacks
    outdir: Path
    templates: Mapping[str, dict[str, Any]]

    def template(self, stack_id: str) -> Template:
        """Return the stack's template for ``aws_cdk.assertions``."""
        return Template.from_json(self.templates[stack_id])


def synthesize(context: Mapping[str, Any], outdir: Path) -> Synthesized:
    """Build the real app with ``context`` and synthesize it (cdk-nag runs as a validation plugin)."""
    with pytest.MonkeyPatch.context() as env:
        # Environment-agnostic account and a fixed region, whatever the developer's shell has.
        env.delenv("CDK_DEFAULT_ACCOUNT", raising=False)
        env.delenv("CDK_DEFAULT_REGION", raising=False)
        app = cdk.App(context=dict(context), outdir=str(outdir))
        stacks = load_app_module().build(app)
        app.synth()
    templates = {stack_id: json.loads((outdir / f"{stack_id}.template.json").read_text()) for stack_id in STACK_IDS}
    return Synthesized(app=app, stacks=stacks, outdir=outdir, templates=templates)
