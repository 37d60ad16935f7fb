"""Bundled demo data: reproducible from its generator, in the documented formats, complete for the six task types."""

from __future__ import annotations

import json
import re
import struct
import zlib
from pathlib import Path
from typing import Any

import pytest

from gt3d import demo_data, jpeg
from gt3d_core.adjustment import check_task_fit
from gt3d_core.catalog import TASK_TYPES, TaskType
from gt3d_core.label_categories import parse_label_category_config
from gt3d_core.manifest import parse_manifest
from gt3d_core.references import missing_objects
from gt3d_core.s3_location import S3Uri
from gt3d_core.sequence_file import parse_sequence_file

DATA_DIR = demo_data.DEFAULT_DIR


@pytest.fixture(scope="module")
def files() -> dict[str, bytes]:
    return demo_data.render()


def _committed() -> dict[str, bytes]:
    return {path.relative_to(DATA_DIR).as_posix(): path.read_bytes() for path in DATA_DIR.rglob("*") if path.is_file()}


def _json_lines(data: bytes) -> list[dict[str, Any]]:
    return [json.loads(line) for line in data.decode().splitlines() if line.strip()]


def _uris(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value] if value.startswith("s3://") else []
    if isinstance(value, dict):
        return [uri for item in value.values() for uri in _uris(item)]
    if isinstance(value, list):
        return [uri for item in value for uri in _uris(item)]
    return []


def _referenced_keys(document: dict[str, Any]) -> set[str]:
    """Return every demo key a manifest line or sequence file references, prefixes joined with relative paths."""
    uris = set(_uris(document))
    for holder in [document, document.get("source-ref-metadata", {}), *document.get("frames", [])]:
        prefix = holder.get("prefix") or document.get("prefix") or document.get("source-ref-metadata", {}).get("prefix")
        if "frame" in holder:
            uris.add(prefix + holder["frame"])
        for image in holder.get("images", []):
            uris.add(prefix + image["image-path"])
    uris = {uri for uri in uris if not uri.endswith("/")}
    assert all(uri.startswith(demo_data.DEMO_URI) for uri in uris), uris
    return {uri.removeprefix(demo_data.DEMO_URI) for uri in uris}


def test_given_the_generator_when_rendered_again_then_the_committed_files_are_byte_identical(
    files: dict[str, bytes],
) -> None:
    committed = _committed()
    assert sorted(committed) == sorted(files), "demo_data/ differs from the generator: run python -m gt3d.demo_data"
    changed = [key for key in files if committed[key] != files[key]]
    assert not changed, f"regenerate demo_data/ (python -m gt3d.demo_data); changed: {changed}"
    assert demo_data.render() == files


def test_given_the_dataset_then_it_stays_small(files: dict[str, bytes]) -> None:
    assert sum(len(data) for data in files.values()) < 300_000


@pytest.mark.parametrize("task", TASK_TYPES, ids=lambda task: task.name)
def test_given_a_task_type_then_its_demo_manifest_and_label_categories_exist_with_every_reference(
    files: dict[str, bytes], task: TaskType
) -> None:
    lines = _json_lines(files[task.demo_manifest])
    assert lines
    categories = json.loads(files[task.demo_label_category_config])
    assert categories["documentVersion"] == "2020-03-01"
    assert 1 <= len(categories["labels"]) <= 30
    assert all(len(label["label"]) <= 16 for label in categories["labels"])

    for line in lines:
        referenced = _referenced_keys(line)
        if task.uses_sequences:
            for key in list(referenced):
                if key.startswith("sequences/"):
                    referenced |= _referenced_keys(json.loads(files[key]))
        missing = referenced - set(files)
        assert not missing

    if task.is_adjustment:
        audited = categories["auditLabelAttributeName"]
        assert all(audited in line and f"{audited}-metadata" in line for line in lines)
        assert audited.endswith("-ref") == task.label_attribute_needs_ref
    else:
        assert "auditLabelAttributeName" not in categories


@pytest.mark.parametrize("task", TASK_TYPES, ids=lambda task: task.name)
def test_given_a_task_type_then_the_core_accepts_its_demo_inputs_under_every_rule(
    files: dict[str, bytes], task: TaskType
) -> None:
    manifest = parse_manifest(task.demo_manifest, files[task.demo_manifest].decode(), task)
    categories = parse_label_category_config(
        task.demo_label_category_config, files[task.demo_label_category_config].decode()
    )
    warnings = [
        *manifest.warnings,
        *categories.warnings,
        *check_task_fit(task, manifest, categories, label_attribute_name=task.label_attribute_name("demo-run")),
    ]
    references = manifest.references(categories.audit_label_attribute_name) | categories.references()
    for uri in references.sequence_files:
        sequence = parse_sequence_file(str(uri), files[str(uri).removeprefix(demo_data.DEMO_URI)].decode())
        references = references | sequence.references()
        warnings.extend(sequence.warnings)
    bundled = {S3Uri.parse(demo_data.DEMO_URI + key) for key in files}

    assert not missing_objects(references, bundled)
    # The catalog gives semantic segmentation the shared label file, whose category attributes it ignores.
    assert all("[LCC-SS-NO-CATEGORY-ATTRS]" in warning for warning in warnings)
    assert bool(warnings) is (task.name == "3DPointCloudSemanticSegmentation")


def test_given_the_frames_then_each_is_ascii_xyzi(files: dict[str, bytes]) -> None:
    for frame in range(demo_data.FRAME_COUNT):
        rows = files[f"frames/{frame}.txt"].decode().splitlines()
        assert len(rows) > 300
        assert all(len([float(value) for value in row.split()]) == 4 for row in rows)


def test_given_the_sequence_then_it_has_ten_frames_with_increasing_timestamps(files: dict[str, bytes]) -> None:
    sequence = json.loads(files["sequences/seq1.json"])
    frames = sequence["frames"]
    assert sequence["number-of-frames"] == len(frames) == 10
    assert sequence["prefix"].endswith("/")
    stamps = [frame["unix-timestamp"] for frame in frames]
    assert stamps == sorted(set(stamps))


def _jpeg_segments(data: bytes) -> dict[int, bytes]:
    assert data[:2] == b"\xff\xd8" and data[-2:] == b"\xff\xd9"
    segments: dict[int, bytes] = {}
    position = 2
    while True:
        marker, length = struct.unpack(">HH", data[position : position + 4])
        segments[marker] = data[position + 4 : position + 2 + length]
        position += 2 + length
        if marker == 0xFFDA:
            return segments


def test_given_the_camera_images_then_they_are_baseline_jpegs_of_the_declared_size(files: dict[str, bytes]) -> None:
    for frame in range(demo_data.FRAME_COUNT):
        segments = _jpeg_segments(files[f"frames/images/frame_{frame}_camera_0.jpg"])
        precision, height, width, components = struct.unpack(">BHHB", segments[0xFFC0][:6])
        assert (precision, width, height, components) == (8, demo_data.IMAGE_WIDTH, demo_data.IMAGE_HEIGHT, 3)
        assert segments[0xFFE0].startswith(b"JFIF\x00")


def test_given_the_prior_segmentation_mask_then_it_has_one_class_per_point(files: dict[str, bytes]) -> None:
    line = _json_lines(files["manifests/SS-audit-manifest-5-17.json"])[0]
    mask_key = line[f"{demo_data.PRIOR_JOBS['ss']}-ref"].removeprefix(demo_data.DEMO_URI)
    classes = zlib.decompress(files[mask_key])
    assert len(classes) == len(files["frames/0.txt"].splitlines())
    color_map = line[f"{demo_data.PRIOR_JOBS['ss']}-ref-metadata"]["color-map"]
    assert set(classes) <= {int(index) for index in color_map}


def test_given_the_prior_outputs_then_label_attribute_names_are_valid(files: dict[str, bytes]) -> None:
    pattern = re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,126}")
    for job in demo_data.PRIOR_JOBS.values():
        for line in _json_lines(files[f"output/{job}/manifests/output/output.manifest"]):
            attributes = [key for key in line if key.startswith(job) and not key.endswith("-metadata")]
            assert len(attributes) == 1 and pattern.fullmatch(attributes[0])


def test_given_the_encoder_when_a_size_is_not_a_multiple_of_8_then_it_refuses() -> None:
    with pytest.raises(ValueError, match="multiples of 8"):
        jpeg.encode_jpeg(10, 8, [[(0, 0, 0)]])


def test_given_the_cli_when_run_into_a_folder_then_it_writes_the_dataset(tmp_path: Path) -> None:
    assert demo_data.main(["--out", str(tmp_path)]) == 0
    assert (tmp_path / "sequences" / "seq1.json").read_bytes() == demo_data.render()["sequences/seq1.json"]
