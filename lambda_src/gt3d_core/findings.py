"""Refusals and warnings about one input file, each citing its rule, the place in the file and the field.

Validation collects every problem of a file before it raises, so one run reports many (up to
:data:`MAX_REPORTED_PROBLEMS`, then the count), each as ``<file> line 3, field `x`: <what and the limit> [ID] URL``.
Warnings are data that Ground Truth accepts but that probably will not do what the user wants; they travel with
the result instead of failing the run.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Final

from gt3d_core.errors import Gt3dError, ManifestFormatError
from gt3d_core.rules import Rule

MAX_REPORTED_PROBLEMS: Final = 20
"""A file with thousands of bad lines reports this many and the total count, not a message of megabytes."""
MAX_WARNINGS: Final = 20
"""The execution output lists at most this many warnings, then how many more there are."""


@dataclass(frozen=True, slots=True)
class Place:
    """Where a value sits: a manifest line or a sequence frame, and the field path of the object that holds it."""

    line: int | None = None
    frame: int | None = None
    path: str = ""

    def child(self, field: str) -> Place:
        """Return the place of the object in ``field`` of this one (``images[0]`` under ``source-ref-metadata``)."""
        return replace(self, path=self.field_path(field))

    def field_path(self, field: str) -> str:
        """Return the full path of ``field`` in this object, as messages name it."""
        return f"{self.path}.{field}" if self.path and field else self.path or field

    def at(self, field: str = "") -> str:
        """Return ``line 3, field `a.b``` (or ``frame 2, ...``) for ``field`` of this object."""
        parts = [f"line {self.line}"] if self.line is not None else []
        if self.frame is not None:
            parts.append(f"frame {self.frame}")
        path = self.field_path(field)
        if path:
            parts.append(f"field `{path}`")
        return ", ".join(parts)


class Findings:
    """Collects the refusals and warnings of one file, then raises once with all refusals."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._refusals: list[str] = []
        self._refusal_count = 0
        self._warnings: list[str] = []

    def refuse(self, rule: Rule, where: str, message: str) -> None:
        """Record that ``where`` breaks ``rule``; ``message`` says what is wrong, the limit and the fix."""
        self._refusal_count += 1
        if len(self._refusals) < MAX_REPORTED_PROBLEMS:
            self._refusals.append(_line(where, message, rule))

    def warn(self, rule: Rule, where: str, message: str) -> None:
        """Record data that is accepted but probably not what the user wants."""
        self._warnings.append(f"{self.name} {_line(where, message, rule)}")

    @property
    def warnings(self) -> tuple[str, ...]:
        """Return every warning, each naming the file."""
        return tuple(self._warnings)

    def raise_if_refused(self, error: type[Gt3dError] = ManifestFormatError) -> None:
        """Raise ``error`` listing the refusals (the first :data:`MAX_REPORTED_PROBLEMS` and the count), if any."""
        if not self._refusal_count:
            return
        if self._refusal_count == 1:
            raise error(f"{self.name} {self._refusals[0]}")
        more = f"; the first {len(self._refusals)} are" if self._refusal_count > len(self._refusals) else ""
        listed = "\n".join(f"  - {line}" for line in self._refusals)
        raise error(f"{self.name} has {self._refusal_count} problems{more}:\n{listed}")


def _line(where: str, message: str, rule: Rule) -> str:
    return f"{where}: {message} {rule.cite()}" if where else f"{message} {rule.cite()}"


def cap_warnings(warnings: Iterable[str], limit: int = MAX_WARNINGS) -> tuple[str, ...]:
    """Return the first ``limit`` warnings, plus one line saying how many more there are."""
    listed = list(warnings)
    if len(listed) <= limit:
        return tuple(listed)
    return (*listed[:limit], f"... and {len(listed) - limit} more warnings.")
