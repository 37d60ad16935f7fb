"""End-to-end fixtures: the app synthesized once per session, offline, into a temporary cloud assembly."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _synthesize(out_dir: Path, region: str) -> Path:
    """Run ``cdk synth`` (the pinned CLI, as ``make synth`` does) for ``region`` into ``out_dir``; return it."""
    npx = shutil.which("npx")
    if npx is None:
        pytest.fail("npx not found: run `make setup` (Node and the pinned CDK CLI are needed to synthesize)")
    # No credentials: synthesis needs none, and the CLI would otherwise try to reach STS for the account.
    credentials = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE")
    environment = {
        **{name: value for name, value in os.environ.items() if name not in credentials},
        "AWS_REGION": region,
        "AWS_EC2_METADATA_DISABLED": "true",
        "CDK_DISABLE_CLI_TELEMETRY": "true",
        "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1",
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "1",
    }
    completed = subprocess.run(
        [npx, "--no-install", "cdk", "synth", "--quiet", "--output", str(out_dir), "-c", f"region={region}"],
        cwd=REPO,
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if completed.returncode != 0:
        pytest.fail(f"cdk synth failed ({completed.returncode}):\n{completed.stdout}\n{completed.stderr}")
    return out_dir


@pytest.fixture(scope="session")
def synthesized_app(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The app synthesized for the default region (``CDK_DEFAULT_REGION``, else us-east-1)."""
    return _synthesize(tmp_path_factory.mktemp("cdk-out"), os.environ.get("CDK_DEFAULT_REGION", "us-east-1"))


@pytest.fixture(scope="session")
def synthesized_app_eu_west_1(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The app synthesized for eu-west-1: another region's ARNs everywhere, as a deployment there has."""
    return _synthesize(tmp_path_factory.mktemp("cdk-out-eu-west-1"), "eu-west-1")
