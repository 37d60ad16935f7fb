"""Validate request and response values against botocore's service model, including the constraints it skips.

botocore's client-side validation checks types, required members and minimum lengths, but not maximum lengths,
value ranges above the minimum, enums or regular-expression patterns. The real service checks all of them and
answers with a ``ValidationException`` listing each violation; :func:`validate` does the same, with the same
wording, so the emulated Ground Truth rejects what SageMaker would.
"""

from __future__ import annotations

import datetime
import functools
import re
from collections.abc import Callable
from typing import Any

import botocore.session
from botocore.model import ListShape, MapShape, OperationModel, ServiceModel, Shape, StructureShape

try:  # the `regex` module understands Java's \p{...} classes; plain `re` gets an approximation below
    import regex as _regex_module  # type: ignore[import-untyped]
except ImportError:  # pragma: no cover - depends on the environment
    _regex_module = None

# Inside a character class: letters, marks and digits ~ \w; separators ~ \s; symbols and punctuation ~ \W.
_UNICODE_CLASSES = {"L": r"\w", "M": r"\w", "N": r"\w", "Z": r"\s", "S": r"\W", "P": r"\W"}


@functools.cache
def service_model(service_name: str) -> ServiceModel:
    """Return botocore's model of ``service_name`` (loaded once)."""
    session = botocore.session.get_session()
    return ServiceModel(session.get_service_data(service_name), service_name=service_name)


def operation_model(service_name: str, operation_name: str) -> OperationModel:
    """Return the model of one operation, e.g. ``("sagemaker", "CreateLabelingJob")``."""
    return service_model(service_name).operation_model(operation_name)


@functools.cache
def _compiled(pattern: str) -> Callable[[str], bool] | None:
    """Return a full-match predicate for an AWS (Java-flavoured) pattern, or None if it cannot be compiled."""
    if _regex_module is not None:
        try:
            compiled = _regex_module.compile(pattern)
            return lambda value: compiled.fullmatch(value) is not None
        except _regex_module.error:  # pragma: no cover - every SageMaker pattern compiles today
            return None
    translated = re.sub(r"\\p\{(\w)\w*\}", lambda match: _UNICODE_CLASSES.get(match.group(1), match.group(0)), pattern)
    try:  # pragma: no cover - only without the `regex` module
        compiled_re = re.compile(translated)
    except re.error:  # pragma: no cover
        return None
    return lambda value: compiled_re.fullmatch(value) is not None  # pragma: no cover


def _camel(name: str) -> str:
    return name[:1].lower() + name[1:]


def _show(value: Any) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


class _Validator:
    def __init__(self) -> None:
        self.errors: list[str] = []

    def fail(self, value: Any, path: str, constraint: str) -> None:
        shown = "null" if value is None else f"'{_show(value)}'"
        self.errors.append(f"Value {shown} at '{path}' failed to satisfy constraint: Member must {constraint}")

    def check(self, shape: Shape, value: Any, path: str) -> None:
        kind = shape.type_name
        checker = getattr(self, f"_check_{kind}", None)
        if checker is None:  # pragma: no cover - document/union shapes are not used by these operations
            return
        checker(shape, value, path)

    def _check_structure(self, shape: StructureShape, value: Any, path: str) -> None:
        if not isinstance(value, dict):
            self.fail(value, path, "be a structure")
            return
        for name in shape.required_members:
            if value.get(name) is None:
                self.fail(None, self._join(path, name), "not be null")
        for name, member_value in value.items():
            if name == "ResponseMetadata" and not path:
                continue
            member = shape.members.get(name)
            if member is None:
                self.errors.append(f"Unknown member '{self._join(path, name)}'")
                continue
            if member_value is not None:
                self.check(member, member_value, self._join(path, name))

    def _check_list(self, shape: ListShape, value: Any, path: str) -> None:
        if not isinstance(value, list):
            self.fail(value, path, "be a list")
            return
        self._length(shape, value, path)
        for index, item in enumerate(value, start=1):
            self.check(shape.member, item, f"{path}.{index}.member")

    def _check_map(self, shape: MapShape, value: Any, path: str) -> None:
        if not isinstance(value, dict):
            self.fail(value, path, "be a map")
            return
        self._length(shape, value, path)
        for key, item in value.items():
            self.check(shape.key, key, f"{path}.key")
            self.check(shape.value, item, f"{path}.{key}")

    def _check_string(self, shape: Shape, value: Any, path: str) -> None:
        if not isinstance(value, str):
            self.fail(value, path, "be a string")
            return
        self._length(shape, value, path)
        enum = shape.metadata.get("enum")
        if enum and value not in enum:
            self.fail(value, path, f"satisfy enum value set: [{', '.join(enum)}]")
        pattern = shape.metadata.get("pattern")
        if pattern:
            matches = _compiled(pattern)
            if matches is not None and not matches(value):
                self.fail(value, path, f"satisfy regular expression pattern: {pattern}")

    def _check_integer(self, shape: Shape, value: Any, path: str) -> None:
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(value, path, "be an integer")
            return
        self._range(shape, value, path)

    _check_long = _check_integer

    def _check_float(self, shape: Shape, value: Any, path: str) -> None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(value, path, "be a number")
            return
        self._range(shape, value, path)

    _check_double = _check_float

    def _check_boolean(self, shape: Shape, value: Any, path: str) -> None:
        if not isinstance(value, bool):
            self.fail(value, path, "be a boolean")

    def _check_timestamp(self, shape: Shape, value: Any, path: str) -> None:
        if not isinstance(value, datetime.datetime | int | float | str):
            self.fail(value, path, "be a timestamp")

    def _check_blob(self, shape: Shape, value: Any, path: str) -> None:
        if not isinstance(value, bytes | bytearray | str):
            self.fail(value, path, "be a blob")

    def _length(self, shape: Shape, value: Any, path: str) -> None:
        low, high = shape.metadata.get("min"), shape.metadata.get("max")
        if low is not None and len(value) < low:
            self.fail(value, path, f"have length greater than or equal to {low}")
        if high is not None and len(value) > high:
            self.fail(value, path, f"have length less than or equal to {high}")

    def _range(self, shape: Shape, value: float, path: str) -> None:
        low, high = shape.metadata.get("min"), shape.metadata.get("max")
        if low is not None and value < low:
            self.fail(value, path, f"have value greater than or equal to {low}")
        if high is not None and value > high:
            self.fail(value, path, f"have value less than or equal to {high}")

    @staticmethod
    def _join(path: str, name: str) -> str:
        return f"{path}.{_camel(name)}" if path else _camel(name)


def validate(shape: Shape | None, value: Any) -> list[str]:
    """Return every violation of ``shape`` by ``value``, worded as the service words them (empty when valid)."""
    if shape is None:
        return []
    validator = _Validator()
    validator.check(shape, value, "")
    return validator.errors


def validation_message(errors: list[str]) -> str:
    """Return the service's ``ValidationException`` message for a list of violations."""
    count = len(errors)
    return f"{count} validation error{'s' if count != 1 else ''} detected: " + "; ".join(errors)
