"""Normalized template snapshots: infrastructure changes show up as a readable diff under tests/snapshots/."""

from __future__ import annotations

import difflib
import json
import re
from typing import Any

import pytest
from infra_app import SNAPSHOT_DIR, STACK_IDS, Synthesized
from infra_helpers import flatten

_HASH = re.compile(r"\b[0-9a-f]{64}\b")
"""Asset hashes (code bundles, the template digest the portal resource carries) change with any source edit."""


def normalize(template: dict[str, Any]) -> dict[str, Any]:
    """Mask volatile values and drop the bootstrap boilerplate every CDK template carries."""
    template = json.loads(json.dumps({key: value for key, value in template.items() if key != "Rules"}))
    parameters = {k: v for k, v in template.get("Parameters", {}).items() if k != "BootstrapVersion"}
    if parameters:
        template["Parameters"] = parameters
    else:
        template.pop("Parameters", None)
    resources = template.get("Resources", {})
    for logical_id, resource in resources.items():
        if resource.get("Type") == "AWS::StepFunctions::StateMachine":
            resources[logical_id] = _readable_state_machine(resource)
    return dict(_mask(template))


def _readable_state_machine(resource: dict[str, Any]) -> dict[str, Any]:
    """Show the definition as JSON (references as ``<Id.Attr>``) instead of one long Fn::Join string."""
    body = resource["Properties"]["DefinitionString"]
    text = body if isinstance(body, str) else "".join(flatten(part) for part in body["Fn::Join"][1])
    properties = {**resource["Properties"], "DefinitionString": {"(rendered)": json.loads(text)}}
    return {**resource, "Properties": properties}


def _mask(value: Any) -> Any:
    if isinstance(value, str):
        return _HASH.sub("<asset-hash>", value)
    if isinstance(value, list):
        return [_mask(item) for item in value]
    if isinstance(value, dict):
        return {key: _mask(item) for key, item in value.items()}
    return value


def render(template: dict[str, Any]) -> str:
    """Return the snapshot text: sorted keys, two-space indent, trailing newline."""
    return json.dumps(normalize(template), indent=2, sort_keys=True) + "\n"


@pytest.mark.parametrize("stack_id", STACK_IDS)
def test_given_the_default_configuration_when_synthesized_then_the_template_matches_its_snapshot(
    created: Synthesized, stack_id: str, update_snapshots: bool
) -> None:
    snapshot = SNAPSHOT_DIR / f"{stack_id}.json"
    current = render(created.templates[stack_id])

    if update_snapshots:
        snapshot.parent.mkdir(parents=True, exist_ok=True)
        snapshot.write_text(current)
        return
    assert snapshot.exists(), f"{snapshot} is missing: run `make snapshots` and commit it"
    expected = snapshot.read_text()
    if current != expected:
        diff = "".join(
            difflib.unified_diff(
                expected.splitlines(keepends=True),
                current.splitlines(keepends=True),
                f"{snapshot.name} (committed)",
                f"{snapshot.name} (synthesized)",
            )
        )
        pytest.fail(f"{stack_id} drifted from its snapshot; review, then run `make snapshots`:\n{diff[:6000]}")


def test_given_two_asset_hashes_when_normalized_then_both_are_masked_and_the_rest_is_kept() -> None:
    template = {
        "Resources": {"Fn": {"Properties": {"Code": {"S3Key": f"{'a' * 64}.zip"}, "Handler": "copy_data.handler"}}},
        "Parameters": {"BootstrapVersion": {"Type": "String"}},
        "Rules": {"CheckBootstrapVersion": {}},
    }

    assert normalize(template) == {
        "Resources": {"Fn": {"Properties": {"Code": {"S3Key": "<asset-hash>.zip"}, "Handler": "copy_data.handler"}}}
    }
