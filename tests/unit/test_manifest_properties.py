"""Property tests for the manifest rewrite: it moves exactly the source-location URIs and nothing else."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from gt3d_core.json_text import load_json_lines, load_json_text
from gt3d_core.rewrite import rewrite_json_text
from gt3d_core.s3_location import S3Location

PROPERTY_SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

SOURCE_BUCKET = "aws-ml-blog"
LOOKALIKE_BUCKETS = ("aws-ml-blog-archive", "my-aws-ml-blog", "aws-ml-blog2", "aws.ml-blog", "aws-ml-blo")

key_text = st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=12)
relative_keys = (
    st.lists(st.sampled_from(["a", "b/", "frames/", "0.txt", "images/", "x y", "ü", "..", "//"]), max_size=4).map(
        "".join
    )
    | key_text
)

sources = st.builds(
    S3Location, st.just(SOURCE_BUCKET), st.sampled_from(["", "artifacts/", "artifacts/gt-point-cloud-demos/"])
)
targets = st.builds(
    S3Location,
    st.sampled_from([SOURCE_BUCKET, "my-labeling-bucket", *LOOKALIKE_BUCKETS]),
    st.sampled_from(["", "exp/input/", "artifacts/gt-point-cloud-demos-copy/", "other/"]),
)


@st.composite
def source_and_target(draw: st.DrawFn) -> tuple[S3Location, S3Location]:
    source, target = draw(sources), draw(targets)
    assume(not source.overlaps(target))
    return source, target


def interesting_strings(source: S3Location) -> st.SearchStrategy[str]:
    """Strings a manifest may hold: source URIs, lookalikes of every kind, and arbitrary text."""
    inside = relative_keys.map(lambda rel: f"s3://{source.bucket}/{source.prefix}{rel}")
    lookalike_bucket = st.tuples(st.sampled_from(LOOKALIKE_BUCKETS), relative_keys).map(
        lambda parts: f"s3://{parts[0]}/{source.prefix}{parts[1]}"
    )
    outside_prefix = relative_keys.map(lambda rel: f"s3://{source.bucket}/elsewhere/{rel}")
    prose = inside.map(lambda uri: f"copied from {uri}") | inside.map(lambda uri: uri.upper())
    relative = relative_keys.map(lambda rel: f"{source.prefix}{rel}")
    return st.one_of(inside, lookalike_bucket, outside_prefix, prose, relative, st.text(max_size=10))


def json_values(strings: st.SearchStrategy[str]) -> st.SearchStrategy[Any]:
    leaves = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | strings
    return st.recursive(
        leaves,
        lambda children: st.lists(children, max_size=4) | st.dictionaries(strings, children, max_size=4),
        max_leaves=12,
    )


@st.composite
def json_files(draw: st.DrawFn) -> tuple[S3Location, S3Location, str]:
    """A source, a target and a JSON document or JSON Lines text over strings relevant to that source."""
    source, target = draw(source_and_target())
    strings = interesting_strings(source)
    ensure_ascii = draw(st.booleans())
    if draw(st.booleans()):
        value = draw(json_values(strings))
        text = json.dumps(value, indent=draw(st.sampled_from([None, 2])), ensure_ascii=ensure_ascii)
    else:
        records = draw(st.lists(st.dictionaries(strings, json_values(strings), max_size=4), min_size=1, max_size=3))
        text = "".join(json.dumps(record, ensure_ascii=ensure_ascii) + "\n" for record in records)
    return source, target, text


def parsed(text: str) -> list[Any]:
    return [record.value for record in load_json_text("f", text)]


def leaf_pairs(before: Any, after: Any) -> Iterator[tuple[Any, Any]]:
    """Walk two JSON values of the same shape in step, yielding leaves; keys must be identical and in order."""
    if isinstance(before, dict):
        assert isinstance(after, dict)
        assert list(before) == list(after)
        for key in before:
            yield from leaf_pairs(before[key], after[key])
    elif isinstance(before, list):
        assert isinstance(after, list)
        assert len(before) == len(after)
        for pair in zip(before, after, strict=True):
            yield from leaf_pairs(*pair)
    else:
        yield before, after


def moved_uri(value: Any, source: S3Location, target: S3Location) -> str | None:
    """The test's own oracle (independent of the code under test): where a source-location URI must move."""
    if not isinstance(value, str) or not value.startswith(f"s3://{source.bucket}/"):
        return None
    key = value[len(f"s3://{source.bucket}/") :]
    if not key.startswith(source.prefix) or any(ord(char) < 0x20 or char == "\x7f" for char in key):
        return None
    return f"s3://{target.bucket}/{target.prefix}{key[len(source.prefix) :]}"


@PROPERTY_SETTINGS
@given(json_files())
def test_given_any_json_file_when_rewritten_twice_then_the_second_pass_changes_nothing(
    case: tuple[S3Location, S3Location, str],
) -> None:
    source, target, text = case
    first = rewrite_json_text("f", text, source, target)
    second = rewrite_json_text("f", first.text, source, target)
    assert second.uris == 0
    assert second.text == first.text


@PROPERTY_SETTINGS
@given(json_files())
def test_given_any_json_file_when_rewritten_then_only_exact_source_uris_move_to_target_and_lines_are_kept(
    case: tuple[S3Location, S3Location, str],
) -> None:
    source, target, text = case
    result = rewrite_json_text("f", text, source, target)
    changed = 0
    for before, after in leaf_pairs(parsed(text), parsed(result.text)):
        expected = moved_uri(before, source, target)
        if expected is not None:
            assert after == expected
            changed += 1
        else:
            assert after == before
            assert type(after) is type(before)
    assert result.uris == changed
    assert (result.text == text) is (changed == 0)
    # JSON Lines stay one object per line; a document stays one document
    assert result.text.count("\n") == text.count("\n")
    assert len(load_json_text("f", result.text)) == len(load_json_text("f", text))


@PROPERTY_SETTINGS
@given(json_files())
def test_given_a_source_nothing_points_into_when_rewriting_then_the_text_is_byte_identical(
    case: tuple[S3Location, S3Location, str],
) -> None:
    _, target, text = case
    unrelated = S3Location("bucket-nobody-mentions", "nothing/here/")
    assert rewrite_json_text("f", text, unrelated, target).text == text


@PROPERTY_SETTINGS
@given(st.data())
def test_given_uris_in_buckets_that_merely_contain_the_source_name_when_rewritten_then_untouched(
    data: st.DataObject,
) -> None:
    source, target = data.draw(source_and_target())
    bucket = data.draw(st.sampled_from(LOOKALIKE_BUCKETS))
    uris = data.draw(st.lists(relative_keys.map(lambda rel: f"s3://{bucket}/{source.prefix}{rel}"), min_size=1))
    text = json.dumps({"refs": uris, "source-ref": uris[0]})
    result = rewrite_json_text("f", text, source, target)
    assert (result.uris, result.text) == (0, text)


@PROPERTY_SETTINGS
@given(
    st.lists(
        st.dictionaries(st.text(max_size=8), json_values(st.text(max_size=12)), max_size=5), min_size=1, max_size=6
    ),
    source_and_target(),
)
def test_given_json_lines_when_rewritten_and_parsed_back_then_every_value_is_kept(
    records: list[dict[str, Any]], locations: tuple[S3Location, S3Location]
) -> None:
    source, target = locations
    assume(not any(str(source) in json.dumps(record) for record in records))
    text = "".join(json.dumps(record) + "\n" for record in records)

    result = rewrite_json_text("f.manifest", text, source, target)

    assert [record.value for record in load_json_lines("f.manifest", result.text)] == records
    assert result.text.count("\n") == len(records)
