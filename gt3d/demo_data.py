"""Generate the bundled synthetic demo data in ``demo_data/``: the notebook's demo layout in the documented formats.

The real demo data (``s3://aws-ml-blog/artifacts/gt-point-cloud-demos/``, one KITTI scene) has no public copy, so
this module draws a small street scene instead (a car driving past, a pedestrian crossing, a tree) and writes it
under the same keys the notebook and :mod:`gt3d_core.catalog` use:

- ``frames/<n>.txt``: ten ASCII ``x y z i`` point cloud frames (world coordinates, 10 Hz);
- ``frames/images/frame_<n>_camera_0.jpg``: a tiny front-camera JPEG per frame, rendered from the same scene;
- ``manifests/``: the frame manifests (object detection, semantic segmentation), the sequence manifest
  (object tracking) and the three adjustment manifests, whose lines carry a prior job's labels;
- ``sequences/seq1.json``: the ten-frame sequence;
- ``label-category-config/``: the label category files for the six task types;
- ``output/``: the prior jobs' outputs that the adjustment manifests reference.

Every URI points into ``s3://aws-ml-blog/artifacts/gt-point-cloud-demos/`` exactly as the real demo's do. The
output is deterministic (seeded random numbers, arithmetic without libm, a hand-written JPEG and zlib writer),
so ``python -m gt3d.demo_data`` reproduces the committed files byte for byte.
"""

from __future__ import annotations

import argparse
import json
import random
import struct
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gt3d.jpeg import encode_jpeg

DEMO_URI = "s3://aws-ml-blog/artifacts/gt-point-cloud-demos/"
"""Where the notebook's demo data lives; every URI in the bundled data points below it."""

DEFAULT_DIR = Path(__file__).resolve().parent.parent / "demo_data"
"""The committed copy of the generated data, uploaded by ``gt3d local-run`` unless ``--data`` says otherwise."""

FRAME_COUNT = 10
FRAME_INTERVAL_SECONDS = 0.1
FIRST_TIMESTAMP = 1566861644.759115
IMAGE_WIDTH = 128
IMAGE_HEIGHT = 96

PRIOR_JOBS = {
    "od": "gt-demo-od-5-17",
    "ot": "gt-demo-ot-5-17",
    "ss": "gt-demo-ss-5-17",
}
"""The earlier labeling jobs whose outputs the adjustment manifests carry (their output lives under ``output/``)."""

LABELS = ("Car", "Pedestrian", "Tree")

# The camera sits 1.6 m above the ego vehicle and looks along +y (camera axes: x right, y down, z forward).
_CAMERA_POSITION = (0.0, 0.0, 1.6)
_CAMERA_HEADING = {"qx": -0.7071068, "qy": 0.0, "qz": 0.0, "qw": 0.7071068}
_FX = _FY = 80.0
_CX, _CY = IMAGE_WIDTH / 2, IMAGE_HEIGHT / 2


@dataclass(frozen=True, slots=True)
class Box:
    """An axis-aligned object in world coordinates (metres): the ground truth the demo labels are drawn from."""

    label: str
    center: tuple[float, float, float]
    size: tuple[float, float, float]  # along x, y, z
    color: tuple[int, int, int]


def scene(frame: int) -> list[Box]:
    """Return the objects of ``frame``: a car driving along +y, a pedestrian crossing, a static tree."""
    return [
        Box("Car", (-2.0, 8.0 + 1.0 * frame, 0.8), (1.8, 4.2, 1.6), (200, 30, 30)),
        Box("Pedestrian", (4.0 - 0.15 * frame, 12.0, 0.9), (0.6, 0.6, 1.8), (40, 60, 220)),
        Box("Tree", (-6.0, 15.0, 2.0), (2.4, 2.4, 4.0), (30, 140, 40)),
    ]


def timestamp(frame: int) -> float:
    """Return the capture time of ``frame`` (seconds since the epoch, 10 Hz)."""
    return round(FIRST_TIMESTAMP + FRAME_INTERVAL_SECONDS * frame, 6)


# ---------------------------------------------------------------------------------------------------------------
# Point clouds


def _surface_points(rng: random.Random, box: Box, count: int) -> Iterator[tuple[float, float, float]]:
    """Yield ``count`` points on the faces of ``box`` (no top/bottom bias; the ground hides nothing here)."""
    cx, cy, cz = box.center
    sx, sy, sz = box.size
    for _ in range(count):
        u, v = rng.uniform(-0.5, 0.5), rng.uniform(-0.5, 0.5)
        face = rng.randrange(6)
        sign = 0.5 if face % 2 else -0.5
        if face < 2:
            yield cx + sign * sx, cy + u * sy, cz + v * sz
        elif face < 4:
            yield cx + u * sx, cy + sign * sy, cz + v * sz
        else:
            yield cx + u * sx, cy + v * sy, cz + sign * sz


def _tree_points(rng: random.Random, box: Box, count: int) -> Iterator[tuple[float, float, float]]:
    """Yield a trunk and a round crown inside the tree's box, by rejection sampling (no libm: reproducible)."""
    cx, cy, _ = box.center
    for index in range(count):
        if index % 4 == 0:  # trunk: a thin column
            yield cx + rng.uniform(-0.15, 0.15), cy + rng.uniform(-0.15, 0.15), rng.uniform(0.0, 2.2)
            continue
        while True:
            dx, dy, dz = rng.uniform(-1, 1), rng.uniform(-1, 1), rng.uniform(-1, 1)
            r2 = dx * dx + dy * dy + dz * dz
            if 0.6 < r2 <= 1.0:
                break
        yield cx + 1.2 * dx, cy + 1.2 * dy, 2.8 + 1.0 * dz


def point_cloud(frame: int) -> list[tuple[float, float, float, float, int]]:
    """Return the points of ``frame`` as ``(x, y, z, intensity, class index)``; class 0 is unlabeled ground."""
    rng = random.Random(1000 + frame)
    points: list[tuple[float, float, float, float, int]] = []
    for gx in range(-10, 11, 2):
        for gy in range(2, 41, 2):
            x, y = gx + rng.uniform(-0.4, 0.4), gy + rng.uniform(-0.4, 0.4)
            points.append((x, y, rng.uniform(-0.03, 0.03), rng.uniform(0.05, 0.25), 0))
    car, pedestrian, tree = scene(frame)
    for box, generated in (
        (car, _surface_points(rng, car, 90)),
        (pedestrian, _surface_points(rng, pedestrian, 30)),
        (tree, _tree_points(rng, tree, 60)),
    ):
        class_index = LABELS.index(box.label) + 1
        points.extend((x, y, z, rng.uniform(0.4, 0.95), class_index) for x, y, z in generated)
    return [(round(x, 3), round(y, 3), round(z, 3), round(i, 2), c) for x, y, z, i, c in points]


def frame_text(frame: int) -> bytes:
    """Return ``frame`` in the ASCII ``text/xyzi`` format: one ``x y z i`` point per line."""
    return "".join(f"{x:.3f} {y:.3f} {z:.3f} {i:.2f}\n" for x, y, z, i, _ in point_cloud(frame)).encode()


# ---------------------------------------------------------------------------------------------------------------
# Camera images


def _project(x: float, y: float, z: float) -> tuple[float, float] | None:
    """Project a world point into the front camera (pinhole), or None when it is behind the camera."""
    depth = y - _CAMERA_POSITION[1]
    if depth <= 0.5:
        return None
    return _CX + _FX * (x - _CAMERA_POSITION[0]) / depth, _CY - _FY * (z - _CAMERA_POSITION[2]) / depth


def camera_image(frame: int) -> bytes:
    """Render ``frame`` from the front camera: sky, road, and each object's projected box, farthest first."""
    columns, rows = IMAGE_WIDTH // 8, IMAGE_HEIGHT // 8
    blocks = [[(135, 185, 235) if (r * 8 + 4) < _CY else (110, 110, 110) for _ in range(columns)] for r in range(rows)]
    for box in sorted(scene(frame), key=lambda b: -b.center[1]):
        corners = [
            _project(box.center[0] + dx * box.size[0] / 2, box.center[1] + dy * box.size[1] / 2, zc)
            for dx in (-1, 1)
            for dy in (-1, 1)
            for zc in (box.center[2] - box.size[2] / 2, box.center[2] + box.size[2] / 2)
        ]
        visible = [c for c in corners if c is not None]
        if not visible:
            continue
        u0, u1 = min(u for u, _ in visible), max(u for u, _ in visible)
        v0, v1 = min(v for _, v in visible), max(v for _, v in visible)
        for r in range(rows):
            for c in range(columns):
                if u0 <= c * 8 + 4 <= u1 and v0 <= r * 8 + 4 <= v1:
                    blocks[r][c] = box.color
    return encode_jpeg(IMAGE_WIDTH, IMAGE_HEIGHT, blocks)


# ---------------------------------------------------------------------------------------------------------------
# Manifests, sequences, label categories and prior outputs


def _ego_pose() -> dict[str, Any]:
    return {
        "position": {"x": 0.0, "y": 0.0, "z": 0.0},
        "heading": {"qx": 0.0, "qy": 0.0, "qz": 0.0, "qw": 1.0},
    }


def _image(frame: int) -> dict[str, Any]:
    return {
        "image-path": f"images/frame_{frame}_camera_0.jpg",
        "unix-timestamp": timestamp(frame),
        "fx": _FX,
        "fy": _FY,
        "cx": _CX,
        "cy": _CY,
        "k1": 0,
        "k2": 0,
        "k3": 0,
        "k4": 0,
        "p1": 0,
        "p2": 0,
        "skew": 0,
        "position": dict(zip("xyz", _CAMERA_POSITION, strict=True)),
        "heading": dict(_CAMERA_HEADING),
        "camera-model": "pinhole",
    }


def frame_manifest_line(frame: int) -> dict[str, Any]:
    """Return the frame-manifest line for ``frame``: the point cloud plus one camera image for sensor fusion."""
    return {
        "source-ref": f"{DEMO_URI}frames/{frame}.txt",
        "source-ref-metadata": {
            "format": "text/xyzi",
            "unix-timestamp": timestamp(frame),
            "ego-vehicle-pose": _ego_pose(),
            "prefix": f"{DEMO_URI}frames/",
            "images": [_image(frame)],
        },
    }


def sequence_file() -> dict[str, Any]:
    """Return ``sequences/seq1.json``: the ten frames in order, each with its camera image."""
    return {
        "seq-no": 1,
        "prefix": f"{DEMO_URI}frames/",
        "number-of-frames": FRAME_COUNT,
        "frames": [
            {
                "frame-no": frame,
                "unix-timestamp": timestamp(frame),
                "frame": f"{frame}.txt",
                "format": "text/xyzi",
                "ego-vehicle-pose": _ego_pose(),
                "images": [_image(frame)],
            }
            for frame in range(FRAME_COUNT)
        ],
    }


def label_category_file(audit_label_attribute_name: str | None = None, *, cuboids: bool = True) -> dict[str, Any]:
    """Return a label category file; adjustment files name the prior job's label attribute to audit."""
    labels: list[dict[str, Any]] = []
    for label in LABELS:
        entry: dict[str, Any] = {"label": label}
        if cuboids and label == "Car":
            entry["categoryAttributes"] = [
                {"name": "Type", "description": "body style", "type": "string", "enum": ["Sedan", "SUV", "Van"]}
            ]
        if audit_label_attribute_name is not None:
            entry["editsAllowed"] = "any"
        labels.append(entry)
    document: dict[str, Any] = {"documentVersion": "2020-03-01"}
    if cuboids:
        document["categoryGlobalAttributes"] = [
            {
                "name": "Occlusion",
                "description": "how much of the object is hidden",
                "type": "string",
                "enum": ["None", "Partial", "Full"],
            }
        ]
    document["frameAttributes"] = [
        {"name": "Weather", "description": "weather in this frame", "type": "string", "enum": ["Clear", "Rain"]}
    ]
    document["labels"] = labels
    verb = "Check and correct" if audit_label_attribute_name else "Label"
    shape = "a tight cuboid around" if cuboids else "the points of"
    document["instructions"] = {
        "shortInstruction": f"{verb} {shape} every car, pedestrian and tree.",
        "fullInstruction": (
            f"{verb} {shape} every car, pedestrian and tree in the point cloud. "
            "Use the camera image to tell objects apart. Synthetic demo data generated by gt3d."
        ),
    }
    if audit_label_attribute_name is not None:
        document["auditLabelAttributeName"] = audit_label_attribute_name
    return document


def _object_id(name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{DEMO_URI}{name}"))


def _cuboids(frame: int, *, tracking: bool) -> list[dict[str, Any]]:
    annotations: list[dict[str, Any]] = []
    for box in scene(frame):
        if box.label == "Tree":
            continue
        cuboid: dict[str, Any] = {
            "label-category-attributes": {"Occlusion": "None"} | ({"Type": "Sedan"} if box.label == "Car" else {}),
            "object-name": f"{box.label}:1",
            "class-id": LABELS.index(box.label),
            "center-x": box.center[0],
            "center-y": round(box.center[1], 3),
            "center-z": box.center[2],
            "length": box.size[1],
            "width": box.size[0],
            "height": box.size[2],
            "roll": 0,
            "pitch": 0,
            "yaw": 0,
        }
        if tracking:
            cuboid["object-id"] = _object_id(f"{box.label}:1")
        annotations.append(cuboid)
    return annotations


def _metadata(job: str, task: str, **extra: Any) -> dict[str, Any]:
    return {
        **extra,
        "type": f"groundtruth/{task}",
        "human-annotated": "yes",
        "creation-date": "2020-05-17T18:20:00.000000",
        "job-name": f"labeling-job/{job}",
    }


_CLASS_MAP = {str(index): label for index, label in enumerate(LABELS)}


def _output_key(job: str, rest: str) -> str:
    return f"output/{job}/{rest}"


def _zlib_stored(data: bytes) -> bytes:
    """Return a zlib stream of ``data`` in stored (uncompressed) blocks: byte-identical on every zlib build."""
    if len(data) > 0xFFFF:
        raise ValueError("one stored block holds at most 65535 bytes")
    a, b = 1, 0
    for byte in data:
        a = (a + byte) % 65521
        b = (b + a) % 65521
    header = b"\x78\x01" + struct.pack("<BHH", 1, len(data), len(data) ^ 0xFFFF)
    return header + data + struct.pack(">I", (b << 16) | a)


def _jsonl(lines: Sequence[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(line, separators=(",", ":")) + "\n" for line in lines).encode()


def _pretty(document: dict[str, Any]) -> bytes:
    return (json.dumps(document, indent=2) + "\n").encode()


def render() -> dict[str, bytes]:
    """Return every file of the demo dataset as ``relative key -> bytes`` (keys as under the demo prefix)."""
    files: dict[str, bytes] = {}
    for frame in range(FRAME_COUNT):
        files[f"frames/{frame}.txt"] = frame_text(frame)
        files[f"frames/images/frame_{frame}_camera_0.jpg"] = camera_image(frame)
    files["sequences/seq1.json"] = _pretty(sequence_file())

    single = frame_manifest_line(0)
    files["manifests/SingleFrame-manifest.json"] = _jsonl([single])
    files["manifests/SS-manifest.json"] = _jsonl([single])
    files["manifests/OT-manifest-10-frame.json"] = _jsonl([{"source-ref": f"{DEMO_URI}sequences/seq1.json"}])

    # Prior object detection job: labels inline in the output manifest line.
    od_job = PRIOR_JOBS["od"]
    od_line = single | {
        od_job: {"annotations": _cuboids(0, tracking=False)},
        f"{od_job}-metadata": _metadata(
            od_job,
            "point_cloud_object_detection",
            objects=[{"confidence": 0}, {"confidence": 0}],
            **{"class-map": _CLASS_MAP},
        ),
    }
    files[_output_key(od_job, "manifests/output/output.manifest")] = _jsonl([od_line])
    files["manifests/OD-adjustment-manifest.json"] = _jsonl([od_line])

    # Prior object tracking job: labels in SeqLabel.json, referenced from the line.
    ot_job, ot_attribute = PRIOR_JOBS["ot"], f"{PRIOR_JOBS['ot']}-ref"
    seq_label_key = _output_key(ot_job, "annotations/consolidated-annotation/output/0/SeqLabel.json")
    files[seq_label_key] = _pretty(
        {
            "tracking-annotations": [
                {
                    "frame-number": frame,
                    "frame-name": f"{frame}.txt",
                    "frame-attributes": {"Weather": "Clear"},
                    "annotations": _cuboids(frame, tracking=True),
                }
                for frame in range(FRAME_COUNT)
            ]
        }
    )
    ot_line = {
        "source-ref": f"{DEMO_URI}sequences/seq1.json",
        ot_attribute: f"{DEMO_URI}{seq_label_key}",
        f"{ot_attribute}-metadata": _metadata(
            ot_job,
            "point_cloud_object_tracking",
            objects=[{"frame-no": frame, "confidence": []} for frame in range(FRAME_COUNT)],
            **{"class-map": _CLASS_MAP},
        ),
    }
    files[_output_key(ot_job, "manifests/output/output.manifest")] = _jsonl([ot_line])
    files["manifests/OT-adjustment-manifest.json"] = _jsonl([ot_line])

    # Prior semantic segmentation job: one class byte per point, zlib-compressed, referenced from the line.
    ss_job, ss_attribute = PRIOR_JOBS["ss"], f"{PRIOR_JOBS['ss']}-ref"
    mask_key = _output_key(ss_job, "annotations/consolidated-annotation/output/0/0.zlib")
    files[mask_key] = _zlib_stored(bytes(c for *_, c in point_cloud(0)))
    color_map = {"0": {"class-name": "Background", "hex-color": "#ffffff", "confidence": 0}}
    for index, label in enumerate(LABELS, start=1):
        red, green, blue = scene(0)[index - 1].color
        color_map[str(index)] = {"class-name": label, "hex-color": f"#{red:02x}{green:02x}{blue:02x}", "confidence": 0}
    ss_line = single | {
        ss_attribute: f"{DEMO_URI}{mask_key}",
        f"{ss_attribute}-metadata": _metadata(
            ss_job, "point_cloud_single_frame_semantic_segmentation", **{"color-map": color_map}
        ),
    }
    files[_output_key(ss_job, "manifests/output/output.manifest")] = _jsonl([ss_line])
    files["manifests/SS-audit-manifest-5-17.json"] = _jsonl([ss_line])

    categories = "label-category-config/"
    files[f"{categories}label-category.json"] = _pretty(label_category_file())
    files[f"{categories}od-adjustment-label-categories-file.json"] = _pretty(label_category_file(od_job))
    files[f"{categories}ot-adjustment-label-categories-file.json"] = _pretty(label_category_file(ot_attribute))
    files[f"{categories}SS-audit-5-17-updated-manually-created-label-categories-file.json"] = _pretty(
        label_category_file(ss_attribute, cuboids=False)
    )
    return dict(sorted(files.items()))


def write(out_dir: Path) -> list[Path]:
    """Write the dataset under ``out_dir`` (replacing files with the same keys); return the paths written."""
    written = []
    for key, data in render().items():
        path = out_dir / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        written.append(path)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    """Regenerate the bundled demo data (``python -m gt3d.demo_data [--out DIR]``)."""
    parser = argparse.ArgumentParser(prog="python -m gt3d.demo_data", description=main.__doc__)
    parser.add_argument("--out", type=Path, default=DEFAULT_DIR, help="target folder (default: %(default)s)")
    args = parser.parse_args(argv)
    paths = write(args.out)
    total = sum(path.stat().st_size for path in paths)
    print(f"wrote {len(paths)} files, {total} bytes, under {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
