"""Unit tests for the streaming rewrite (gt3d_core.rewrite.rewrite_json_stream): same result as the whole-text
rewrite for any chunking, errors that name the line, and output that streams."""

from __future__ import annotations

import io
import itertools
import json
import re
from typing import Any

import pytest
from fixtures import DEMO_BUCKET, DEMO_PREFIX, SEQUENCE_KEY, demo_text
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gt3d_core.errors import InvalidRequestError, ManifestFormatError
from gt3d_core.json_text import load_json_text
from gt3d_core.rewrite import RewriteResult, rewrite_json_stream, rewrite_json_text, rewrite_uri
from gt3d_core.s3_location import S3Location

PROPERTY_SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

SOURCE = S3Location(DEMO_BUCKET, DEMO_PREFIX)
TARGET = S3Location("my-labeling-bucket", "exp1/input/")
# Targets whose text needs escaping inside a JSON string (or \u escapes in an ASCII file), and a plain one.
TARGETS = (TARGET, S3Location("my-labeling-bucket", 'in "quotes"/'), S3Location("dest-bucket", "zürich/"))
MOVED = "s3://my-labeling-bucket/exp1/input/"

_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"(?P<colon>[ \t\n\r]*:)?')


def reference_rewrite(name: str, text: str, source: S3Location, target: S3Location) -> tuple[str, int]:
    """The whole-text rewrite as it was before it streamed: validate everything, then visit every string token."""
    load_json_text(name, text)
    count = 0

    def replace(match: re.Match[str]) -> str:
        nonlocal count
        token = match.group(0)
        moved = None if match.group("colon") else rewrite_uri(json.loads(token), source, target)
        if moved is None:
            return token
        count += 1
        return json.dumps(moved, ensure_ascii=token.isascii())

    rewritten = _TOKEN.sub(replace, text)
    return (rewritten if count else text), count


def streamed(data: bytes, cuts: list[int], target: S3Location = TARGET) -> tuple[bytes, int, int]:
    """Rewrite ``data`` fed in pieces split at ``cuts``; return the output, records and URIs moved."""
    bounds = [0, *sorted(cut % (len(data) + 1) for cut in cuts), len(data)]
    rewrite = rewrite_json_stream("f", (data[a:b] for a, b in itertools.pairwise(bounds)), SOURCE, target)
    output = b"".join(rewrite)
    return output, rewrite.records, rewrite.uris


# ------------------------------------------------------------------------------------------------ strategies

relative_keys = st.text(st.sampled_from("ab/ü. 0123456789-_"), max_size=12)
strings = st.one_of(
    relative_keys.map(lambda rel: f"s3://{DEMO_BUCKET}/{DEMO_PREFIX}{rel}"),
    relative_keys.map(lambda rel: f"s3://{DEMO_BUCKET}-archive/{DEMO_PREFIX}{rel}"),
    relative_keys.map(lambda rel: f"see s3://{DEMO_BUCKET}/{DEMO_PREFIX}{rel}"),
    relative_keys,
    st.text(max_size=8),
    st.sampled_from(['"quoted"', "back\\slash", "tab\there", "line\u2028sep"]),
)
scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(10**20), 10**20)
    | st.floats(allow_nan=False, allow_infinity=False)
    | strings
)
values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(strings, inner, max_size=3), max_leaves=10
)


@st.composite
def json_files(draw: st.DrawFn) -> str:
    """JSON Lines (blank lines, CRLF, escaped slashes, ASCII or raw UTF-8, a byte order mark) or one document."""
    ensure_ascii = draw(st.booleans())
    if draw(st.integers(0, 3)) == 0:
        text = json.dumps(draw(values), indent=draw(st.sampled_from([None, 2])), ensure_ascii=ensure_ascii)
    else:
        separators = draw(st.sampled_from([(",", ":"), (", ", ": ")]))
        lines = [
            json.dumps(record, ensure_ascii=ensure_ascii, separators=separators)
            for record in draw(st.lists(st.dictionaries(strings, values, max_size=4), min_size=1, max_size=5))
        ]
        if draw(st.booleans()):
            lines = [line.replace("/", "\\/") for line in lines]
        for _ in range(draw(st.integers(0, 2))):
            lines.insert(draw(st.integers(0, len(lines))), draw(st.sampled_from(["", "  ", "\t", " \r"])))
        text = draw(st.sampled_from(["\n", "\r\n"])).join(lines) + draw(st.sampled_from(["", "\n"]))
    return ("\ufeff" if draw(st.booleans()) else "") + text


cut_points = st.lists(st.integers(0, 10**6), max_size=6)


# ------------------------------------------------------------------------------------------------ properties


@PROPERTY_SETTINGS
@given(json_files(), cut_points, st.sampled_from(TARGETS))
def test_given_any_json_file_in_any_chunks_when_streamed_then_output_is_the_whole_text_rewrite(
    text: str, cuts: list[int], target: S3Location
) -> None:
    expected, uris = reference_rewrite("f", text, SOURCE, target)

    output, records, moved = streamed(text.encode(), cuts, target)

    assert output.decode() == expected
    assert moved == uris
    assert records == len(load_json_text("f", text))
    assert rewrite_json_text("f", text, SOURCE, target) == RewriteResult(expected, uris)


@PROPERTY_SETTINGS
@given(json_files(), cut_points)
def test_given_text_chunks_when_streamed_then_output_is_text_and_equals_the_bytes_rewrite(
    text: str, cuts: list[int]
) -> None:
    bounds = [0, *sorted(cut % (len(text) + 1) for cut in cuts), len(text)]
    chunks = [text[a:b] for a, b in itertools.pairwise(bounds)]

    output = list(rewrite_json_stream("f", chunks, SOURCE, TARGET))

    assert all(isinstance(chunk, str) for chunk in output)
    assert "".join(output).encode() == streamed(text.encode(), [])[0]


@PROPERTY_SETTINGS
@given(
    st.lists(st.dictionaries(strings, values, min_size=1, max_size=3), min_size=2, max_size=6),
    st.data(),
    st.sampled_from(['{"a": ', '{"a": 01}', '{"a": NaN}', "[1,]", '{"a": "x"} {}', '"tab\there"', "s3://x"]),
)
def test_given_one_broken_line_when_streamed_then_error_is_the_whole_text_error_with_that_line(
    records: list[dict[str, Any]], data: st.DataObject, broken: str
) -> None:
    lines = [json.dumps(record) for record in records]
    number = data.draw(st.integers(2, len(lines)))
    lines[number - 1] = broken
    text = "\n".join(lines) + "\n"
    with pytest.raises(ManifestFormatError) as whole:
        reference_rewrite("input/m.json", text, SOURCE, TARGET)

    with pytest.raises(ManifestFormatError) as streaming:
        b"".join(rewrite_json_stream("input/m.json", io.BytesIO(text.encode()), SOURCE, TARGET))

    assert str(streaming.value) == str(whole.value)
    assert str(streaming.value).startswith(f"input/m.json line {number}: ")


# ------------------------------------------------------------------------------------------------ examples


def frame_line(index: int) -> str:
    return json.dumps(
        {
            "source-ref": f"s3://{DEMO_BUCKET}/{DEMO_PREFIX}frames/{index}.txt",
            "source-ref-metadata": {"unix-timestamp": 1566861644.759115 + index, "prefix": "s3://x-bucket/frames/"},
        }
    )


def test_given_a_manifest_read_line_by_line_when_streamed_then_lines_come_out_as_they_go_in() -> None:
    source = io.BytesIO("".join(frame_line(index) + "\n" for index in range(3)).encode())

    rewrite = rewrite_json_stream("m", source, SOURCE, TARGET)
    chunks = list(rewrite)

    assert [json.loads(chunk)["source-ref"] for chunk in chunks] == [f"{MOVED}frames/{i}.txt" for i in range(3)]
    assert (rewrite.records, rewrite.uris) == (3, 3)


def test_given_a_broken_line_when_streamed_then_lines_before_it_are_yielded_and_the_error_names_it() -> None:
    source = io.BytesIO(f"{frame_line(0)}\n\n{frame_line(1)}\n{{oops\n{frame_line(2)}\n".encode())
    chunks = iter(rewrite_json_stream("input/m.json", source, SOURCE, TARGET))

    first, blank, third = next(chunks), next(chunks), next(chunks)
    assert [json.loads(first)["source-ref"], blank, json.loads(third)["source-ref"]] == [
        f"{MOVED}frames/0.txt",
        b"\n",
        f"{MOVED}frames/1.txt",
    ]
    with pytest.raises(ManifestFormatError, match=r"^input/m\.json line 4: not valid JSON .* \[MANIFEST-JSON-LINES"):
        next(chunks)


def test_given_lines_that_differ_only_in_digits_when_one_has_a_leading_zero_then_that_line_is_rejected() -> None:
    text = '{"n": 10, "u": "\\u0041"}\n{"n": 99, "u": "\\u0942"}\n{"n": 01, "u": "\\u0041"}\n'
    with pytest.raises(ManifestFormatError, match=r"^m line 3: not valid JSON"):
        rewrite_json_text("m", text, SOURCE, TARGET)


@pytest.mark.parametrize(
    ("third_line", "problem"),
    [
        pytest.param('{"n": 3, "u": "s3://b/9f86d08"}', None, id="another name: valid"),
        pytest.param('{"n": 3, "u": "s3://b/9f\t86d08"}', "not valid JSON", id="a tab inside a string"),
        pytest.param('{"n": 3, "u": "s3://b/9f86d08}', "not valid JSON", id="an unpaired quote"),
        pytest.param('{"n": 3, "u": "s3://b/9f86d08"} "x"', "not valid JSON", id="a second value"),
        pytest.param('{"n": 03, "u": "s3://b/9f86d08"}', "not valid JSON", id="a leading zero"),
    ],
)
def test_given_lines_that_differ_only_in_their_strings_when_one_is_broken_then_that_line_is_rejected(
    third_line: str, problem: str | None
) -> None:
    text = f'{{"n": 1, "u": "s3://b/2c26b46"}}\n{{"n": 2, "u": "s3://b/fcde2b2"}}\n{third_line}\n'
    if problem is None:
        assert rewrite_json_text("m", text, SOURCE, TARGET).text == text
        return
    with pytest.raises(ManifestFormatError, match=rf"^m line 3: {problem}"):
        rewrite_json_text("m", text, SOURCE, TARGET)


def test_given_bytes_that_are_not_utf8_when_streamed_then_error_names_the_line_and_offset() -> None:
    data = f"{frame_line(0)}\n".encode() + b'{"a": "\xff"}\n'
    with pytest.raises(ManifestFormatError, match=r"^k\.json line 2 is not UTF-8 text \(invalid byte at offset 7\)"):
        b"".join(rewrite_json_stream("k.json", [data], SOURCE, TARGET))


def test_given_a_byte_order_mark_when_streamed_then_it_is_kept_and_line_one_still_moves() -> None:
    line = f"{frame_line(0)}\r\n"
    output, records, uris = streamed(f"\ufeff{line}".encode(), [1, 2])
    assert output.decode() == "\ufeff" + line.replace(f"s3://{DEMO_BUCKET}/{DEMO_PREFIX}", MOVED)
    assert (records, uris) == (1, 1)


def test_given_a_pretty_printed_sequence_file_in_small_chunks_when_streamed_then_it_is_rewritten_whole() -> None:
    data = demo_text(SEQUENCE_KEY).encode()
    output, records, uris = streamed(data, list(range(0, len(data), 7)))
    assert output.decode() == demo_text(SEQUENCE_KEY).replace(f"s3://{DEMO_BUCKET}/{DEMO_PREFIX}", MOVED)
    assert (records, uris) == (1, 1)


def test_given_a_broken_document_when_streamed_then_error_names_line_and_column() -> None:
    with pytest.raises(ManifestFormatError, match=r"^seq line 3, column 2: not valid JSON \(Extra data\)"):
        b"".join(rewrite_json_stream("seq", [b'{\n  "a": 1\n}}\n'], SOURCE, TARGET))


def test_given_a_key_that_would_outgrow_s3s_limit_when_streamed_then_error_names_the_line() -> None:
    long_key = DEMO_PREFIX + "k" * (1024 - len(DEMO_PREFIX))
    text = f"{frame_line(0)}\n{json.dumps({'a': f's3://{DEMO_BUCKET}/{long_key}'})}\n"
    with pytest.raises(ManifestFormatError, match=r"^m line 2: .* would be longer than S3 allows"):
        rewrite_json_text("m", text, SOURCE, S3Location("dest-bucket", "x" * 40 + "/"))


def test_given_a_source_uri_as_an_object_key_beside_values_when_streamed_then_only_the_values_move() -> None:
    uri = f"s3://{DEMO_BUCKET}/{DEMO_PREFIX}frames/0.txt"
    text = f"{json.dumps({'source-ref': uri})}\n{json.dumps({uri: 'a key', 'b': uri})}\n"

    output, records, uris = streamed(text.encode(), [len(text)])

    moved = uri.replace(f"s3://{DEMO_BUCKET}/{DEMO_PREFIX}", MOVED)
    assert output.decode() == f"{json.dumps({'source-ref': moved})}\n{json.dumps({uri: 'a key', 'b': moved})}\n"
    assert (records, uris) == (2, 2)


def test_given_a_file_that_needs_no_change_when_streamed_then_chunks_pass_through_untouched() -> None:
    chunks = [b'{"a": "s3://other-bucket/x"}\n', b'{"b": 1}\n']
    rewrite = rewrite_json_stream("m", chunks, SOURCE, TARGET)
    assert [chunk is original for chunk, original in zip(rewrite, chunks, strict=True)] == [True, True]
    assert (rewrite.records, rewrite.uris) == (2, 0)


def test_given_a_rewrite_when_iterated_twice_then_it_refuses() -> None:
    rewrite = rewrite_json_stream("m", [b"{}\n"], SOURCE, TARGET)
    list(rewrite)
    with pytest.raises(RuntimeError, match="already iterated"):
        list(rewrite)


def test_given_overlapping_locations_when_stream_is_made_then_invalid_request_before_it_is_iterated() -> None:
    with pytest.raises(InvalidRequestError, match="overlaps the source location"):
        rewrite_json_stream("m", [b"{}\n"], SOURCE, S3Location(DEMO_BUCKET, DEMO_PREFIX + "input/"))
