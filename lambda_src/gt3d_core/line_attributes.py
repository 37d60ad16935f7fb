"""What the top-level attributes of a manifest's lines hold, summarized line by line for the adjustment checks.

An adjustment job's audited attribute is named by the label category file (``auditLabelAttributeName``), and the
manifest streams by before that is known (or is parsed without it). So every attribute is summarized as the lines
go: how many lines have it and the first lines that lack it, the ``s3://`` objects it names, and the class names
its ``<attribute>-metadata`` lists. Memory grows with the distinct attribute names and what they name, not with the
lines.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import chain
from typing import Any, Final

from gt3d_core.s3_location import S3Uri

MAX_LISTED_LINES: Final = 10
"""Lines that lack an attribute are listed up to this many, then counted."""
DATA_OBJECT_ATTRIBUTE: Final = "source-ref"
"""Names the line's own data object (a point cloud or a sequence file): a documented reference, never labels."""
METADATA_SUFFIX: Final = "-metadata"


@dataclass(frozen=True, slots=True)
class Lacking:
    """The lines without an attribute: how many, and the first :data:`MAX_LISTED_LINES` of them."""

    count: int
    first_lines: tuple[int, ...]


@dataclass(slots=True)
class _Attribute:
    """One attribute so far: the lines that have it, the first lines that lack it, the objects it names."""

    present: int = 0
    lacking: list[int] = field(default_factory=list)
    uris: set[S3Uri] = field(default_factory=set)


class LineAttributes:
    """The summary of the top-level attributes of the lines added so far (JSON objects, in line order).

    The manifest parse adds the lines; once it returns, the summary is only read.
    """

    def __init__(self) -> None:
        self._lines = 0
        self._first_lines: list[int] = []
        self._attributes: dict[str, _Attribute] = {}
        self._listing: set[str] = set()  # the attributes that have fewer lacking lines listed than are shown
        self._labels: dict[str, set[str]] = {}

    @property
    def lines(self) -> int:
        """How many lines were added."""
        return self._lines

    def add(self, line: int, value: Mapping[str, Any]) -> None:
        """Summarize the JSON object on line ``line``; it comes after every line added before."""
        for name in self._listing.difference(value):
            self._list_lacking(name, line)
        for name, item in value.items():
            attribute = self._attributes.get(name)
            if attribute is None:
                attribute = self._new_attribute(name)
            attribute.present += 1
            uri = S3Uri.try_parse(item) if isinstance(item, str) and name != DATA_OBJECT_ATTRIBUTE else None
            if uri is not None and not uri.is_prefix:
                attribute.uris.add(uri)
            if name.endswith(METADATA_SUFFIX):
                self._add_labels(name.removesuffix(METADATA_SUFFIX), item)
        if len(self._first_lines) < MAX_LISTED_LINES:
            self._first_lines.append(line)
        self._lines += 1

    def lacking(self, attribute: str) -> Lacking:
        """Return the lines without ``attribute``."""
        summary = self._attributes.get(attribute)
        if summary is None:
            return Lacking(self._lines, tuple(self._first_lines))
        return Lacking(self._lines - summary.present, tuple(summary.lacking))

    def uris(self, attribute: str) -> frozenset[S3Uri]:
        """Return the ``s3://`` objects (not prefixes) that are the value of ``attribute`` on some line."""
        summary = self._attributes.get(attribute)
        return frozenset(summary.uris) if summary is not None else frozenset()

    def all_uris(self) -> Iterator[S3Uri]:
        """Yield the ``s3://`` objects that are the value of any attribute but ``source-ref`` (repeats possible)."""
        return chain.from_iterable(summary.uris for summary in self._attributes.values())

    def labels(self, attribute: str) -> frozenset[str]:
        """Return the class names ``<attribute>-metadata`` lists: the labels of the job that wrote ``attribute``."""
        return frozenset(self._labels.get(attribute, ()))

    def _new_attribute(self, name: str) -> _Attribute:
        attribute = self._attributes[name] = _Attribute(lacking=self._first_lines.copy())  # every line so far
        if len(attribute.lacking) < MAX_LISTED_LINES:
            self._listing.add(name)
        return attribute

    def _list_lacking(self, name: str, line: int) -> None:
        lacking = self._attributes[name].lacking
        lacking.append(line)
        if len(lacking) == MAX_LISTED_LINES:
            self._listing.discard(name)

    def _add_labels(self, attribute: str, metadata: object) -> None:
        names = set(_class_names(metadata))
        if names:
            self._labels.setdefault(attribute, set()).update(names)


def _class_names(metadata: object) -> Iterable[str]:
    """Yield the class names of a line's ``<attribute>-metadata``: ``class-map`` values or ``color-map`` names."""
    if not isinstance(metadata, Mapping):
        return
    class_map = metadata.get("class-map")
    if isinstance(class_map, Mapping):
        yield from (name for name in class_map.values() if isinstance(name, str))
    color_map = metadata.get("color-map")
    if isinstance(color_map, Mapping):
        for entry in color_map.values():
            name = entry.get("class-name") if isinstance(entry, Mapping) else None
            if isinstance(name, str):
                yield name
