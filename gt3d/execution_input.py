"""The execution input a command builds from its options: ``--input``, ``--set key=value`` and ``--task-type``."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any


class InputOptionError(ValueError):
    """The options cannot make one execution input: they contradict each other or do not fit the input's shape."""


@dataclass(frozen=True, slots=True)
class Setting:
    """One ``--set key=value``: a dotted path into the input and the value to put there."""

    path: tuple[str, ...]
    value: Any
    text: str

    @classmethod
    def parse(cls, text: str) -> Setting:
        """Parse ``a.b=value``; the value is JSON when it parses as JSON (numbers, true, lists...), else the text."""
        key, separator, raw = text.partition("=")
        path = tuple(key.split("."))
        if not separator or not all(part.strip() for part in path):
            raise InputOptionError(f"{text!r} is not key=value (a dotted key such as human_task.title=...)")
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            value = raw
        return cls(path=path, value=value, text=text)


def build_execution_input(
    base: Mapping[str, Any] | None, *, task_type: str | None = None, settings: Iterable[Setting] = ()
) -> dict[str, Any]:
    """Return ``base`` (``--input``) with each setting applied in order, then ``--task-type``, which must agree."""
    payload = copy.deepcopy(dict(base or {}))
    for setting in settings:
        target = payload
        for depth, part in enumerate(setting.path[:-1], start=1):
            target = target.setdefault(part, {})
            if not isinstance(target, dict):
                prefix = ".".join(setting.path[:depth])
                raise InputOptionError(f"--set {setting.text}: {prefix} is not a JSON object in the input.")
        target[setting.path[-1]] = setting.value
    if task_type is not None:
        if payload.get("task_type", task_type) != task_type:
            raise InputOptionError(
                f"--task-type {task_type} contradicts task_type {payload['task_type']!r} in --input."
            )
        payload["task_type"] = task_type
    return payload
