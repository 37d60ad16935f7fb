"""JSON and JSON Lines text as Ground Truth reads it: strict JSON (no NaN), UTF-8, every error with its line.

Pure Python: the handlers fetch the bytes and hand them in, whole or (:func:`iter_json_lines`) as a stream of
chunks. The manifest rules cite ``MANIFEST-JSON-LINES``; the sequence and label category files are single documents.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Final

from gt3d_core.errors import ManifestFormatError
from gt3d_core.rules import MANIFEST_JSON_LINES, Rule
from gt3d_core.s3_location import S3Uri

STREAM_CHUNK_BYTES: Final = 1024 * 1024
"""Manifests are read (and written) a piece of this size at a time as they stream: they may be hundreds of MiB."""
JSON_WHITESPACE: Final = " \t\r"
JSON_WHITESPACE_BYTES: Final = JSON_WHITESPACE.encode()
UTF8_BOM: Final = "\ufeff".encode()


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


def decode_json_bytes(name: str, data: bytes, rule: Rule | None = None, *, offset: int = 0) -> str:
    """Return ``data`` as text, or raise ``ManifestFormatError`` naming ``name`` (and ``rule``) when not UTF-8.

    ``offset`` is where ``data`` starts in the file, so that a piece of a streamed file reports the file's offset.
    """
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ManifestFormatError(
            f"{name} is not UTF-8 text (invalid byte at offset {offset + error.start}). Save the file as UTF-8."
            f"{_cited(rule)}"
        ) from None


def load_json_lines(name: str, text: str) -> tuple[JsonRecord, ...]:
    """Return every non-blank line of a JSON Lines file, or raise naming the first line that is not valid JSON."""
    # Split on "\n" only: str.splitlines() would also split on U+2028 and friends, which may sit raw in strings.
    lines = enumerate(_strip_bom(text).split("\n"), start=1)
    return tuple(_json_line(name, number, line) for number, line in lines if line.strip(JSON_WHITESPACE))


def iter_json_lines(name: str, chunks: Iterable[bytes], rule: Rule | None = None) -> Iterator[JsonRecord]:
    """Yield the non-blank lines of a JSON Lines file that arrives as UTF-8 ``chunks`` of any size, as they come.

    The streamed :func:`load_json_lines`: the same records and errors, but only one run of whole lines is held at a
    time, never the file. Bytes that are not UTF-8 fail as :func:`decode_json_bytes` reports them for the whole file
    (with ``rule``), once their line is reached.
    """
    number = offset = 0
    for block in line_blocks(chunks):
        for line in _block_lines(block):
            number += 1
            bom = len(UTF8_BOM) if number == 1 and line.startswith(UTF8_BOM) else 0
            content = line[bom:]
            if content.strip(JSON_WHITESPACE_BYTES):
                yield _json_line(name, number, decode_json_bytes(name, content, rule, offset=offset + bom))
            offset += len(line) + 1


def line_blocks(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Yield ``chunks`` regrouped as runs of whole lines (the last may lack its newline).

    A download's chunks cut lines anywhere; a run of whole lines can be validated a line at a time, and it is no
    bigger than a chunk and its longest line.
    """
    pending: list[bytes] = []
    for data in chunks:
        cut = data.rfind(b"\n") + 1
        if not cut:
            pending.append(data)  # joined once its line ends: a long line in small chunks costs no copies
            continue
        if pending:  # one copy: the view is joined, not sliced first
            block = b"".join([*pending, memoryview(data)[:cut]])
            pending = []
        else:
            block = data[:cut]
        if cut < len(data):
            pending.append(data[cut:])
        yield block
    if pending:
        yield b"".join(pending)


def _block_lines(block: bytes) -> Iterator[bytes]:
    """Yield the lines of a run of whole lines, copying one at a time; a final newline ends a line, starts none."""
    start = 0
    while start < len(block):
        end = block.find(b"\n", start)
        end = len(block) if end < 0 else end
        yield block[start:end]
        start = end + 1


def _json_line(name: str, number: int, line: str) -> JsonRecord:
    """Return the record of line ``number``, or raise naming it when it is not one valid JSON value."""
    try:
        return JsonRecord(number, _loads(line))
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
