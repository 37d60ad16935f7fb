"""s3_objects.is_current_copy: when a re-run may skip a copy, decided from two listings alone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from s3_objects import SourceObject, Stat, is_current_copy, is_marked

UPLOADED = datetime(2026, 11, 30, 3, 0, 0, tzinfo=UTC)
SOURCE = SourceObject("frames/0.bin", etag="abc-2", size=100, last_modified=UPLOADED)
LATER = UPLOADED + timedelta(seconds=1)


@pytest.mark.parametrize(
    ("copy", "current"),
    [
        pytest.param(Stat("abc-2", 100, UPLOADED), True, id="same ETag: same bytes"),
        pytest.param(Stat("def", 100, LATER), True, id="same size, written after the source changed"),
        pytest.param(Stat("def", 100, UPLOADED), False, id="same listed second: the source may have changed after"),
        pytest.param(Stat("def", 100, UPLOADED - timedelta(days=1)), False, id="the source changed after the copy"),
        pytest.param(Stat("def", 99, LATER), False, id="another size"),
    ],
)
def test_given_an_unmarked_copy_when_compared_with_its_source_then_only_a_same_version_copy_is_current(
    copy: Stat, current: bool
) -> None:
    assert is_current_copy(SOURCE, copy, marked=False) is current


def test_given_a_marked_copy_with_another_etag_when_compared_then_only_its_marker_can_tell() -> None:
    assert is_current_copy(SOURCE, Stat("def", 100, LATER), marked=True) is None
    assert is_current_copy(SOURCE, Stat("abc-2", 100, LATER), marked=True) is True


def test_given_json_files_and_large_objects_then_their_copies_are_marked_and_small_data_objects_are_not() -> None:
    assert not is_marked(SOURCE)
    assert is_marked(SourceObject("m.json", "abc", 100, UPLOADED, attributes={"ContentType": "application/json"}))
    assert is_marked(SourceObject("frames/big.bin", "abc", 64 * 1024 * 1024, UPLOADED))
