"""The structural rewrite: move every ``s3://`` string value under the source location to the input location.

The rewrite works on the JSON text, not on a re-serialization: only string *values* that are S3 URIs under the
source location are replaced, so numbers, key order, whitespace and line structure stay byte-for-byte the same.

It streams (:func:`rewrite_json_stream`): a JSON Lines file is read, validated and rewritten one input chunk of
whole lines at a time, so a 100,000-line manifest needs no more memory than a chunk and its longest line. A single
JSON document (a sequence file or label category file, at most a few hundred kilobytes) is held whole, because it
can only be validated whole. :func:`rewrite_json_text` is the same rewrite over a text held in memory.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from enum import Enum, auto
from typing import AnyStr, Final, Generic, NoReturn, cast

from gt3d_core.display import shorten
from gt3d_core.errors import InvalidRequestError, ManifestFormatError
from gt3d_core.json_text import (
    JSON_WHITESPACE,
    JSON_WHITESPACE_BYTES,
    UTF8_BOM,
    decode_json_bytes,
    line_blocks,
    load_json_document,
    load_json_lines,
)
from gt3d_core.s3_location import MAX_KEY_BYTES, S3Location, S3Uri

# A JSON string token, and whether it is an object key (followed by a colon). In valid JSON every '"' outside
# a string opens one, so scanning left to right with this pattern visits exactly the string tokens.
_STRING_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"(?P<colon>[ \t\n\r]*:)?')
# A line's shape: its digits reduced to zero and non-zero. JSON's grammar (and UTF-8) never tells 1 from 2, only 0
# from the rest (a leading zero), so a line is valid exactly when its shape is: one validation per shape suffices.
_SHAPE: Final = bytes.maketrans(b"23456789", b"11111111")
_SHAPES_MAX_BYTES: Final = 4 * 1024 * 1024
# Replacement tokens remembered per file, for values that repeat on every line (a frame manifest's "prefix").
_TOKENS_REMEMBERED: Final = 4096


class _NonStandardConstant(ValueError):
    """NaN or Infinity: Python's json accepts them, JSON (and Ground Truth) do not."""


def _reject_constant(name: str) -> NoReturn:
    raise _NonStandardConstant(name)


# Validation only: the value is thrown away, so numbers are not converted and objects are not kept. This is the
# same grammar as ``gt3d_core.json_text`` (strict strings, no NaN), at about half the cost of building the values.
_VALIDATOR: Final = json.JSONDecoder(
    object_pairs_hook=len, parse_float=len, parse_int=len, parse_constant=_reject_constant
)


def _is_one_value(line: str) -> bool:
    """True when the non-blank ``line`` is exactly one JSON value; NaN or Infinity raise ``_NonStandardConstant``."""
    start = len(line) - len(line.lstrip(JSON_WHITESPACE)) if line[0] in JSON_WHITESPACE else 0
    try:
        end = _VALIDATOR.raw_decode(line, start)[1]
    except json.JSONDecodeError:
        return False
    return end == len(line) or not line[end:].strip(JSON_WHITESPACE)


def _is_plain(text: str) -> bool:
    """True when ``text`` is written the same inside a JSON string, escaped or not (ASCII, no quote or backslash)."""
    return text.isascii() and text.isprintable() and '"' not in text and "\\" not in text


def rewrite_uri(value: str, source: S3Location, target: S3Location) -> str | None:
    """Return ``value`` moved to ``target`` when it is an S3 URI under ``source`` (same relative key), else None."""
    # Starting with "s3://<bucket>/<prefix>" is being in the bucket (whose name has no "/") under the prefix.
    location = str(source)
    if not value.startswith(location) or S3Uri.try_parse(value) is None:
        return None
    return str(target.uri(value[len(location) :]))


@dataclass(frozen=True, slots=True)
class RewriteResult:
    """The rewritten text of one file and how many URIs changed (0 means the text is unchanged)."""

    text: str
    uris: int


class _Format(Enum):
    """What the first non-blank line says the file is."""

    UNKNOWN = auto()
    JSON_LINES = auto()
    DOCUMENT = auto()


class JsonRewrite(Generic[AnyStr]):
    """One file's rewrite as it streams: iterate it once for the output chunks, then read ``records`` and ``uris``.

    Made by :func:`rewrite_json_stream`. Output chunks have the input's type (``bytes`` in, ``bytes`` out) and,
    joined, are the input with every moved URI replaced. An error is raised when the iteration reaches it, after
    the chunks before it were yielded: a consumer writing them somewhere must discard that output (abort the
    multipart upload).
    """

    def __init__(self, name: str, chunks: Iterable[AnyStr], source: S3Location, target: S3Location) -> None:
        if source.overlaps(target):
            raise InvalidRequestError(
                f"The target location {target} overlaps the source location {source}; use separate prefixes."
            )
        self._name = name
        self._chunks: Iterable[AnyStr] = chunks
        self._source = source
        self._target = target
        self._marker = f'"{source}'.encode()
        # A string token starting with the source location, and its value; not an object key (no colon follows).
        self._plain_pattern = re.compile(rb'"(' + re.escape(str(source).encode()) + rb'[^"]*)"(?![ \t\r]*:)')
        self._plain_target = _is_plain(str(target))
        self._direct = _direct_move(source, target) if self._plain_target and _is_plain(str(source)) else None
        self._binary = False
        self._started = False
        self._lines_before = 0
        self._records = 0
        self._uris = 0
        self._valid_shapes: set[bytes] = set()
        self._shapes_bytes = 0
        self._plain_tokens: dict[bytes, bytes | None] = {}

    @property
    def records(self) -> int:
        """JSON values read so far: the non-blank lines of a JSON Lines file, or 1 for a document."""
        return self._records

    @property
    def uris(self) -> int:
        """URIs moved so far; 0 after the whole iteration means the output equals the input."""
        return self._uris

    def __iter__(self) -> Iterator[AnyStr]:
        if self._started:
            raise RuntimeError(f"The rewrite of {self._name} was already iterated; start a new one.")
        self._started = True
        held: list[bytes] = []  # the blank lines before the first value, or the whole of a document
        bom = b""  # kept in the output, but no part of line 1's value
        file_format = _Format.UNKNOWN
        for index, block in enumerate(self._blocks()):
            if not index and block.startswith(UTF8_BOM):
                bom, block = UTF8_BOM, block[len(UTF8_BOM) :]
            if file_format is _Format.UNKNOWN:
                file_format = self._detect(block)
            if file_format is _Format.JSON_LINES:
                rewritten = self._rewrite_lines(block)
                output = block if rewritten is None else rewritten
                if bom or held:
                    output = b"".join([bom, *held, output])
                    bom, held = b"", []
                yield self._output(output)
            else:  # a document, or only blank lines so far
                held.append(block)
                self._lines_before += block.count(b"\n")
        if file_format is not _Format.JSON_LINES:  # a document, or nothing but blank lines (an error)
            yield self._output(bom + self._rewrite_document(b"".join(held)))

    def _blocks(self) -> Iterator[bytes]:
        """Yield the input as runs of whole lines (the last may lack its newline), as bytes."""
        return line_blocks(map(self._as_bytes, self._chunks))

    def _as_bytes(self, chunk: AnyStr) -> bytes:
        """Return ``chunk`` as UTF-8 bytes, noting when the input is bytes (the output then is too)."""
        if isinstance(chunk, bytes):
            self._binary = True
            return chunk
        return chunk.encode("utf-8")

    def _output(self, data: bytes) -> AnyStr:
        """Return ``data`` as the input's type: bytes, or text."""
        return cast(AnyStr, data if self._binary else data.decode("utf-8"))

    def _decode_line(self, line: bytes, number: int) -> str:
        """Return line ``number`` as text; raise ``ManifestFormatError`` naming it when it is not UTF-8."""
        try:
            return line.decode("utf-8")
        except UnicodeDecodeError:
            pass
        return decode_json_bytes(f"{self._name} line {number}", line)  # raises, naming the line and the offset in it

    def _detect(self, block: bytes) -> _Format:
        """Tell JSON Lines from a document by the first non-blank line, as ``load_json_text`` does."""
        for index, line in enumerate(block.split(b"\n")):
            if line.strip(JSON_WHITESPACE_BYTES):
                try:
                    one_value = _is_one_value(self._decode_line(line, self._lines_before + index + 1))
                except _NonStandardConstant:
                    return _Format.JSON_LINES  # a line of JSON Lines; rejected, with its number, when validated
                return _Format.JSON_LINES if one_value else _Format.DOCUMENT
        return _Format.UNKNOWN

    def _rewrite_lines(self, block: bytes) -> bytes | None:
        """Validate and rewrite the JSON Lines in ``block``; return the new bytes, or None when nothing moved.

        Each step works on the whole block where it can (one C call rather than one per line): a block holds
        hundreds of manifest lines.
        """
        shapes = block.translate(_SHAPE).split(b"\n")
        newlines = len(shapes) - 1
        if not shapes[-1]:
            shapes.pop()  # what follows the last newline is no line
        self._records += len(shapes) - self._validate_lines(block, shapes)
        rewritten, moved = None, 0
        if b"\\" in block:  # escapes may spell a source URI in any way: those lines have every token read
            rewritten, moved = self._rewrite_line_by_line(block)
        elif self._marker in block:
            rewritten, moved = self._rewrite_plain(block, self._lines_before + 1)
        self._uris += moved
        self._lines_before += newlines
        return rewritten if moved else None

    def _validate_lines(self, block: bytes, shapes: list[bytes]) -> int:
        """Validate the lines of ``block`` whose shape is new; raise for the first invalid one; return the blank ones.

        A line with a shape already seen is valid without being read again.
        """
        if self._valid_shapes.issuperset(shapes):
            return 0
        unknown = set(shapes).difference(self._valid_shapes)
        blank = 0
        lines = block.split(b"\n")
        for index, shape in enumerate(shapes):
            if shape not in unknown:
                continue
            line = lines[index]
            if not line.strip(JSON_WHITESPACE_BYTES):
                blank += 1
                continue
            self._validate_line(line, self._lines_before + index + 1)
            unknown.discard(shape)
            self._remember(shape)
        return blank

    def _validate_line(self, line: bytes, number: int) -> None:
        """Raise ``ManifestFormatError`` naming line ``number`` unless it is exactly one JSON value."""
        text = self._decode_line(line, number)
        try:
            valid = _is_one_value(text)
        except _NonStandardConstant:
            valid = False
        if not valid:
            # Blank lines are skipped, so the padding puts the line at its own number: one message, one place.
            load_json_lines(self._name, "\n" * (number - 1) + text)

    def _remember(self, shape: bytes) -> None:
        """Remember a valid line's ``shape``, within the memory the shapes may take."""
        if self._shapes_bytes + len(shape) <= _SHAPES_MAX_BYTES:
            self._valid_shapes.add(shape)
            self._shapes_bytes += len(shape)

    def _rewrite_line_by_line(self, block: bytes) -> tuple[bytes, int]:
        """Rewrite the valid lines of ``block`` one at a time: those with escapes token by token."""
        lines = block.split(b"\n")
        moved = 0
        for index, line in enumerate(lines):
            if b"\\" in line:
                rewritten, count = self._rewrite_escaped(line, self._lines_before + index + 1)
            elif self._marker in line:
                rewritten, count = self._rewrite_plain(line, self._lines_before + index + 1)
            else:
                continue
            lines[index] = rewritten
            moved += count
        return b"\n".join(lines), moved

    def _rewrite_document(self, data: bytes) -> bytes:
        """Validate ``data`` as one JSON document and rewrite it."""
        text = decode_json_bytes(self._name, data)
        load_json_document(self._name, text)
        self._records = 1
        rewritten, self._uris = self._rewrite_tokens(text, 1)
        return rewritten.encode("utf-8") if self._uris else data

    def _rewrite_plain(self, data: bytes, first_line: int) -> tuple[bytes, int]:
        """Rewrite valid JSON Lines without escapes (starting at line ``first_line``).

        Without escapes a quote always opens or closes a string, and after a closing quote comes no letter: so each
        marker opens a string token, and the next quote closes it.
        """
        if self._direct is not None:
            pattern, replacement = self._direct
            rewritten, count = pattern.subn(replacement, data)
            if self._marker not in rewritten:
                return rewritten, count
        count = 0

        def replace(match: re.Match[bytes]) -> bytes:
            nonlocal count
            raw = match.group(1)
            if raw in self._plain_tokens:
                token = self._plain_tokens[raw]
            else:
                token = self._plain_token(raw.decode("utf-8"), lambda: first_line + data.count(b"\n", 0, match.start()))
                if len(self._plain_tokens) < _TOKENS_REMEMBERED:
                    self._plain_tokens[raw] = token
            if token is None:
                return match.group(0)
            count += 1
            return token

        return self._plain_pattern.sub(replace, data), count

    def _plain_token(self, value: str, number: Callable[[], int]) -> bytes | None:
        """Return the token that replaces the unescaped string token of ``value`` (None: it stays), in its style."""
        moved = self._move(value, number)
        if moved is None:
            return None
        if self._plain_target:  # the moved value needs no escapes, as ``value`` needed none
            return f'"{moved}"'.encode()
        return json.dumps(moved, ensure_ascii=value.isascii()).encode()

    def _rewrite_escaped(self, line: bytes, number: int) -> tuple[bytes, int]:
        """Rewrite the valid line ``number``, which has escapes, token by token."""
        rewritten, count = self._rewrite_tokens(line.decode("utf-8"), number)
        return (rewritten.encode("utf-8") if count else line), count

    def _rewrite_tokens(self, text: str, first_line: int) -> tuple[str, int]:
        """Rewrite valid JSON ``text`` (starting at line ``first_line``) token by token, decoding escapes."""
        count = 0

        def replace(match: re.Match[str]) -> str:
            nonlocal count
            token = match.group(0)
            if match.group("colon") is not None or ("\\" not in token and not token.startswith('"s3://')):
                return token
            value = json.loads(token)
            moved = self._move(value, lambda: first_line + text.count("\n", 0, match.start()))
            if moved is None:
                return token
            count += 1
            # Keep the file's style: an all-ASCII token stays ASCII (\u escapes), raw UTF-8 stays raw.
            return json.dumps(moved, ensure_ascii=token.isascii())

        rewritten = _STRING_TOKEN.sub(replace, text)
        return (rewritten if count else text), count

    def _move(self, value: str, number: Callable[[], int]) -> str | None:
        """Return where ``value`` moves (None: it stays); ``number`` tells its line, for the error."""
        try:
            return rewrite_uri(value, self._source, self._target)
        except ValueError:  # the key grows past S3's 1024 bytes under the target prefix
            raise ManifestFormatError(
                f"{self._name} line {number()}: {shorten(value)} would be longer than S3 allows under {self._target}. "
                "Use a shorter target prefix."
            ) from None


def _direct_move(source: S3Location, target: S3Location) -> tuple[re.Pattern[bytes], bytes]:
    """Return a pattern and replacement that move, in one pass of the regex engine, the string values under
    ``source`` of a block without escapes, when both locations are written the same in JSON and in UTF-8.

    Only values whose key stays within S3's limits under ``target`` match; object keys never do. When a source
    value is left over (a key too long, an object key), the block is rewritten value by value instead, which
    leaves object keys alone and refuses a key that would grow too long.
    """
    room = MAX_KEY_BYTES - len(target.prefix.encode())
    # Only the location is replaced, by a literal (no group to copy): the regex engine does it all in C.
    pattern = re.compile(rb'"' + re.escape(str(source).encode()) + rb'(?=[^"\n]{0,%d}"(?![ \t\r]*:))' % room)
    return pattern, b'"' + str(target).encode()


def rewrite_json_stream(
    name: str, chunks: Iterable[AnyStr], source: S3Location, target: S3Location
) -> JsonRewrite[AnyStr]:
    """Return the streamed rewrite of file ``name``: its string values under ``source`` move to ``target``.

    ``chunks`` are the file in pieces of any size, as ``bytes`` (UTF-8) or as text: the lines a file object yields,
    or the fixed-size chunks of a download (``StreamingBody.iter_chunks``). Iterate the result for the output
    chunks, of the same type, then read its ``records`` and ``uris``. JSON Lines are validated and rewritten a
    chunk of whole lines at a time, and an invalid line fails with the name and its 1-based line number, as
    :func:`gt3d_core.json_text.load_json_lines` reports it (or, for bytes that are not UTF-8, as
    :func:`gt3d_core.json_text.decode_json_bytes` does for that line); a document (the first non-blank line is not
    a complete value) is held, validated and rewritten whole. Only exact URIs move: not object keys, not prose that
    mentions a URI, not buckets whose names merely contain the source bucket's name, not keys outside the source
    prefix; nothing else changes, byte for byte. Idempotent, because ``source`` and ``target`` may not overlap
    (``InvalidRequestError`` here, before anything is read).
    """
    return JsonRewrite(name, chunks, source, target)


def rewrite_json_text(name: str, text: str, source: S3Location, target: S3Location) -> RewriteResult:
    """Return ``text`` with every string value under ``source`` moved to ``target``; nothing else changes.

    The whole-text form of :func:`rewrite_json_stream`: a broken file fails with its line number and nothing is
    returned.
    """
    rewrite = rewrite_json_stream(name, (text,), source, target)
    rewritten = "".join(rewrite)
    return RewriteResult(text=rewritten if rewrite.uris else text, uris=rewrite.uris)
