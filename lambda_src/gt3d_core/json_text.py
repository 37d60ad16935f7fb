"""JSON and JSON Lines text as Ground Truth reads it: strict JSON (no NaN), UTF-8, every error with its line.

Pure Python: the handlers fetch the bytes and hand them in. The manifest rules cite ``MANIFEST-JSON-LINES``; the
sequence and label category files are single documents.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final

from gt3d_core.errors import ManifestFormatError
from gt3d_core.rules import MANIFEST_JSON_LINES, Rule
from gt3d_core.s3_location import S3Uri

JSON_WHITESPACE: Final = " \t\r"


@dataclass(frozen=True, slots=True)
class JsonRecord:
    """One parsed JSON value and the 1-based line it starts on."""

    line: int
    value: Any


class _NonStandardConstant(ValueError):
    """Python's json accepts NaN and Infinity; JSON (and Ground Truth) do not."""


def _reject_constant(name: str) -> Any:
    raise _NonStandardConstant(name)


_DECODER = json.JSONDecoder(parse_constant=_reject_constant)


def _loads(text: str) -> Any:
    return _DECODER.decode(text)


def _strip_bom(text: str) -> str:
    return text.removeprefix("\ufeff")


def _cited(rule: Rule | None) -> str:
    return f" {rule.cite()}" if rule is not None else ""


def decode_json_bytes(name: str, data: bytes, rule: Rule | None = None) -> str:
    """Return ``data`` as text, or raise ``ManifestFormatError`` naming ``name`` (and ``rule``) when not UTF-8."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ManifestFormatError(
            f"{name} is not UTF-8 text (invalid byte at offset {error.start}). Save the file as UTF-8.{_cited(rule)}"
        ) from None


def load_json_lines(name: str, text: str) -> tuple[JsonRecord, ...]:
    """Return every non-blank line of a JSON Lines file, or raise naming the first line that is not valid JSON."""
    records: list[JsonRecord] = []
    # Split on "\n" only: str.splitlines() would also split on U+2028 and friends, which may sit raw in strings.
    for number, line in enumerate(_strip_bom(text).split("\n"), start=1):
        if not line.strip(JSON_WHITESPACE):
            continue
        try:
            records.append(JsonRecord(number, _loads(line)))
        except json.JSONDecodeError as error:
            raise ManifestFormatError(
                f"{name} line {number}: not valid JSON ({error.msg} at column {error.colno}). Make every line "
                "one complete JSON object (JSON Lines); do not pretty-print a manifest over several lines. "
                f"{MANIFEST_JSON_LINES.cite()}"
            ) from None
        except _NonStandardConstant as error:
            raise ManifestFormatError(
                f"{name} line {number}: {error} is not valid JSON. Replace it with a number or null. "
                f"{MANIFEST_JSON_LINES.cite()}"
            ) from None
    return tuple(records)


def load_json_document(name: str, text: str, rule: Rule | None = None) -> Any:
    """Return the single JSON document in ``text``, or raise naming the line, column and ``rule`` where it breaks."""
    try:
        return _loads(_strip_bom(text))
    except json.JSONDecodeError as error:
        raise ManifestFormatError(
            f"{name} line {error.lineno}, column {error.colno}: not valid JSON ({error.msg}). "
            f"Fix the file so that it is one valid JSON document.{_cited(rule)}"
        ) from None
    except _NonStandardConstant as error:
        raise ManifestFormatError(
            f"{name}: {error} is not valid JSON. Replace it with a number or null.{_cited(rule)}"
        ) from None


def load_json_text(name: str, text: str) -> tuple[JsonRecord, ...]:
    """Return the records of either a single JSON document or a JSON Lines file, telling them apart by content.

    A file whose first non-blank line is a complete JSON value is treated as JSON Lines (so a bad later line is
    reported by its number); anything else must be one document (so a pretty-printed file's error has its line).
    """
    body = _strip_bom(text)
    try:
        return (JsonRecord(_first_content_line(body), _loads(body)),)
    except ValueError:  # JSONDecodeError, or NaN/Infinity: decide the format first, then report
        pass
    first = next((line for line in body.split("\n") if line.strip(JSON_WHITESPACE)), None)
    if first is not None and _parses(first):
        return load_json_lines(name, text)
    return (JsonRecord(1, load_json_document(name, text)),)


def _parses(text: str) -> bool:
    """True when ``text`` is one JSON value (NaN/Infinity count: the line is JSON Lines, reported as such)."""
    try:
        _loads(text)
    except _NonStandardConstant:
        return True
    except ValueError:
        return False
    return True


def _first_content_line(text: str) -> int:
    for number, line in enumerate(text.split("\n"), start=1):
        if line.strip(JSON_WHITESPACE):
            return number
    return 1


def iter_uri_values(value: Any) -> Iterator[S3Uri]:
    """Yield every string value (not object key) anywhere in ``value`` that is an ``s3://`` URI, in document order."""
    stack: list[Any] = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            uri = S3Uri.try_parse(item)
            if uri is not None:
                yield uri
        elif isinstance(item, dict):
            stack.extend(reversed(list(item.values())))
        elif isinstance(item, list):
            stack.extend(reversed(item))
