"""The core and the emulated Ground Truth read the label category rules independently: they must agree.

Each side has its own examples (``test_ground_truth_rules.py``, ``test_ground_truth_emulator.py``), so a rule one side
refuses and the other lets through would pass both suites. Here one corpus of label category files goes through
both, and each must refuse exactly the files the other refuses, citing a rule of the table the other cites too.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from typing import Any

import pytest

from gt3d.emulated_ground_truth.label_category_rules import check_label_categories
from gt3d.emulated_ground_truth.objects import ObjectStore, S3Uri
from gt3d.emulated_ground_truth.rules import Findings
from gt3d_core.catalog import task_type
from gt3d_core.errors import Gt3dError
from gt3d_core.label_categories import parse_label_category_config

OD = task_type("3DPointCloudObjectDetection")
URI = S3Uri("bucket", "labels.json")
_RULE_ID = re.compile(r"\[([A-Z][A-Z0-9]*(?:-[A-Z0-9]+)+)\]")


def _document(**fields: Any) -> dict[str, Any]:
    return {"documentVersion": "2020-03-01", "labels": [{"label": "Car"}, {"label": "Pedestrian"}], **fields}


def _number(**bounds: Any) -> dict[str, Any]:
    return {"name": "Speed", "type": "number", "description": "km/h", **bounds}


def _text(**fields: Any) -> dict[str, Any]:
    return {"name": "Weather", "type": "string", "description": "weather", "enum": ["Sun", "Rain"], **fields}


CORPUS: dict[str, dict[str, Any]] = {
    "integer bounds": _document(frameAttributes=[_number(minimum=0, maximum=9)]),
    "equal bounds": _document(frameAttributes=[_number(minimum=3, maximum=3)]),
    "negative bounds": _document(frameAttributes=[_number(minimum=-5, maximum=-1)]),
    "bounds written 0.0 and 9.0": _document(frameAttributes=[_number(minimum=0.0, maximum=9.0)]),
    "fractional bounds": _document(frameAttributes=[_number(minimum=0.5, maximum=9)]),
    "no bounds": _document(frameAttributes=[_number()]),
    "one bound": _document(frameAttributes=[_number(minimum=0)]),
    "minimum above maximum": _document(frameAttributes=[_number(minimum=9, maximum=0)]),
    "bounds as strings": _document(frameAttributes=[_number(minimum="0", maximum="9")]),
    "bounds on a string attribute": _document(frameAttributes=[_text(minimum=0, maximum=9)]),
    "a label attribute with bounds": _document(categoryGlobalAttributes=[_number(minimum=0, maximum=120)]),
    "a label attribute with fractional bounds": _document(categoryGlobalAttributes=[_number(minimum=0.1, maximum=1)]),
    "enum on a number": _document(frameAttributes=[_number(minimum=0, maximum=9, enum=["1"])]),
    "free text": _document(frameAttributes=[_text(enum=None)]),
    "eleven enum values": _document(frameAttributes=[_text(enum=[str(i) for i in range(11)])]),
    "a 17-character enum value": _document(frameAttributes=[_text(enum=["x" * 17])]),
    "a boolean type": _document(frameAttributes=[_text(type="boolean")]),
    "no type": _document(frameAttributes=[{"name": "Weather", "description": "weather"}]),
    "a frame attribute without description": _document(frameAttributes=[{"name": "Weather", "type": "string"}]),
    "a 129-character description": _document(frameAttributes=[_text(description="d" * 129)]),
    "isRequired as a string": _document(frameAttributes=[_text(isRequired="yes")]),
    "isRequired true": _document(frameAttributes=[_text(isRequired=True)]),
    "a 17-character attribute name": _document(frameAttributes=[_text(name="n" * 17)]),
    "two global attributes of one name": _document(categoryGlobalAttributes=[_text(), _text()]),
    "eleven frame attributes": _document(frameAttributes=[_text(name=f"W{i}") for i in range(11)]),
}


def _without_nones(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _without_nones(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [_without_nones(item) for item in value]
    return value


def _core_refusals(text: str) -> set[str]:
    try:
        parse_label_category_config("labels.json", text)
    except Gt3dError as error:
        return set(_RULE_ID.findall(str(error)))
    return set()


class _Body:
    def __init__(self, data: bytes) -> None:
        self._stream = io.BytesIO(data)

    def read(self) -> bytes:
        return self._stream.read()


def _emulator_refusals(text: str) -> set[str]:
    class _Client:
        def get_object(self, **_: Any) -> dict[str, Any]:
            return {"Body": _Body(text.encode())}

    make_client: Callable[[], Any] = _Client
    findings = Findings()
    check_label_categories(ObjectStore(make_client), URI, OD, findings)
    return {rule for refusal in findings.refusals for rule in _RULE_ID.findall(refusal)}


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_given_a_label_category_file_then_the_core_and_the_emulator_refuse_it_under_the_same_rules(name: str) -> None:
    text = json.dumps(_without_nones(CORPUS[name]))

    core, emulator = _core_refusals(text), _emulator_refusals(text)

    assert bool(core) == bool(emulator), f"core refuses under {core or 'no rule'}, the emulator {emulator or 'none'}"
    assert not core or core & emulator, f"no rule in common: core {core}, emulator {emulator}"
