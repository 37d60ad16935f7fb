"""One parametrized test over the rows of docs/ground-truth-rules.md: a valid and an invalid example per rule id.

Each case names its row id, the outcome the core must reach (accept, refuse or warn) and the input. A refusal and a
warning must cite the row (``[ID] URL``). The last tests tie the cases to the table: every id in the table is a
rule of the core (same documentation URL) and has at least one valid and one invalid case.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path
from typing import Any

import pytest

from gt3d_core.adjustment import check_task_fit
from gt3d_core.catalog import task_type
from gt3d_core.create_request import build_create_labeling_job_request, check_create_request
from gt3d_core.errors import Gt3dError
from gt3d_core.human_task import check_role_session
from gt3d_core.label_categories import parse_label_category_config
from gt3d_core.labeling_job import LabelingJobPlan, Locations, plan_labeling_job
from gt3d_core.manifest import parse_manifest
from gt3d_core.names import EXECUTION_TAG_KEY, validate_tag
from gt3d_core.point_cloud import PointCloud, check_point_cloud_sizes
from gt3d_core.references import References, missing_objects, outside_source_warning
from gt3d_core.rules import ADJ_AUDIT_REF, ALL_RULES, FRAME_PASS_THROUGH, REF_EXISTS, Rule
from gt3d_core.s3_location import S3Location, S3Uri
from gt3d_core.sequence_file import parse_sequence_file

RULES_TABLE = Path(__file__).parents[2] / "docs" / "ground-truth-rules.md"
BUCKET = "source-bucket"
FRAMES = f"s3://{BUCKET}/data/frames/"
SOURCE = S3Location(BUCKET, "data/")
OD = "3DPointCloudObjectDetection"
OT = "3DPointCloudObjectTracking"
SS = "3DPointCloudSemanticSegmentation"
OD_ADJ = "Adjustment3DPointCloudObjectDetection"
OT_ADJ = "Adjustment3DPointCloudObjectTracking"
SS_ADJ = "Adjustment3DPointCloudSemanticSegmentation"
AUDIT = "prior-job"
REGION = "us-east-1"
ROLE = "arn:aws:iam::123456789012:role/gt3d-ground-truth"
WORKTEAM = "arn:aws:sagemaker:us-east-1:123456789012:workteam/private-crowd/gt3d"
LOCATIONS = Locations(
    source=SOURCE,
    target=S3Location("labeling-bucket", "exp/input/"),
    output=S3Location("labeling-bucket", "exp/output/"),
)
DROP = object()
"""An override value that removes the key."""


class Outcome(Enum):
    ACCEPT = "accept"
    REFUSE = "refuse"
    WARN = "warn"


@dataclass(frozen=True)
class Result:
    error: str | None
    warnings: tuple[str, ...]


@dataclass(frozen=True)
class Case:
    rule: str
    outcome: Outcome
    label: str
    run: Callable[[], Result]


def _apply(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    merged = {**base, **overrides}
    return {key: value for key, value in merged.items() if value is not DROP}


def _run(action: Callable[[], Iterable[str]]) -> Result:
    try:
        return Result(None, tuple(action()))
    except Gt3dError as error:
        return Result(str(error), ())


# --------------------------------------------------------------------------------------------- input builders


def image(**overrides: Any) -> dict[str, Any]:
    base = {
        "image-path": "images/cam0.jpg",
        "unix-timestamp": 1566861644.75,
        "fx": 847.7,
        "fy": 850.0,
        "cx": 576.2,
        "cy": 317.2,
        "position": {"x": -2.27, "y": 116.86, "z": 1.45},
        "heading": {"qx": 0.759, "qy": 0.021, "qz": -0.024, "qw": -0.649},
        "camera-model": "pinhole",
    }
    return _apply(base, overrides)


POSE = {"position": {"x": 0.0, "y": 0.0, "z": 0.0}, "heading": {"qx": 0.0, "qy": 0.0, "qz": 0.0, "qw": 1.0}}


def frame_line(point_cloud: str = "0.bin", line: dict[str, Any] | None = None, **metadata: Any) -> dict[str, Any]:
    base = {
        "format": "binary/xyzi",
        "unix-timestamp": 1566861644.75,
        "ego-vehicle-pose": POSE,
        "prefix": FRAMES,
        "images": [image()],
    }
    return {"source-ref": FRAMES + point_cloud, "source-ref-metadata": _apply(base, metadata), **(line or {})}


def sequence_frame(index: int = 0, **overrides: Any) -> dict[str, Any]:
    base = {
        "frame-no": index,
        "unix-timestamp": 1566861644.75 + index,
        "frame": f"{index}.bin",
        "format": "binary/xyzi",
        "ego-vehicle-pose": POSE,
        "images": [image()],
    }
    return _apply(base, overrides)


def sequence_doc(frames: list[dict[str, Any]] | None = None, **overrides: Any) -> dict[str, Any]:
    frames = frames if frames is not None else [sequence_frame(0), sequence_frame(1)]
    base = {"seq-no": 1, "prefix": FRAMES, "number-of-frames": len(frames), "frames": frames}
    return _apply(base, overrides)


def attribute(**overrides: Any) -> dict[str, Any]:
    return _apply({"name": "Occluded", "type": "string", "enum": ["Yes", "No"]}, overrides)


def frame_attribute(**overrides: Any) -> dict[str, Any]:
    return _apply({"name": "Weather", "type": "string", "description": "weather", "enum": ["Sun", "Rain"]}, overrides)


def label_doc(**overrides: Any) -> dict[str, Any]:
    base = {
        "documentVersion": "2020-03-01",
        "labels": [{"label": "Car"}, {"label": "Pedestrian"}],
        "instructions": {"shortInstruction": "Fit cuboids", "fullInstruction": "<p>Fit tight cuboids.</p>"},
    }
    return _apply(base, overrides)


def audited_line(**extra: Any) -> dict[str, Any]:
    metadata = {"class-map": {"0": "Car", "1": "Pedestrian"}, "type": "groundtruth/point_cloud_object_detection"}
    return frame_line(line={AUDIT: {"annotations": []}, f"{AUDIT}-metadata": metadata, **extra})


# ----------------------------------------------------------------------------------------------- runners


def _text(lines: Iterable[Any]) -> str:
    return "".join(json.dumps(line) + "\n" for line in lines)


def manifest(*lines: Any, task: str = OD) -> Result:
    return _run(lambda: parse_manifest("m.json", _text(lines), task_type(task)).warnings)


def manifest_text(text: str, task: str = OD) -> Result:
    return _run(lambda: parse_manifest("m.json", text, task_type(task)).warnings)


def sequence(doc: Any) -> Result:
    text = doc if isinstance(doc, str) else json.dumps(doc)
    return _run(lambda: parse_sequence_file("seq.json", text).warnings)


def labels(doc: Any) -> Result:
    text = doc if isinstance(doc, str) else json.dumps(doc)
    return _run(lambda: parse_label_category_config("labels.json", text).warnings)


def fit(task: str, lines: list[Any], doc: dict[str, Any], label_attribute_name: str | None = None) -> Result:
    def action() -> Iterable[str]:
        parsed = parse_manifest("m.json", _text(lines), task_type(task))
        categories = parse_label_category_config("labels.json", json.dumps(doc))
        name = label_attribute_name or task_type(task).label_attribute_name("new-job")
        return (
            *parsed.warnings,
            *categories.warnings,
            *check_task_fit(task_type(task), parsed, categories, label_attribute_name=name),
        )

    return _run(action)


def plan(execution_name: str = "run-1", **given: Any) -> Result:
    def action() -> Iterable[str]:
        plan_labeling_job(
            {"task_type": OT, **given},
            locations=LOCATIONS,
            resource_prefix="gt3d",
            execution_name=execution_name,
            execution_start_time=datetime(2024, 5, 17, tzinfo=UTC),
        )
        return ()

    return _run(action)


def human_task(**fields: Any) -> Result:
    return plan(human_task=fields)


def _request() -> dict[str, Any]:
    planned = plan_labeling_job(
        {"task_type": OT, "job_name": "demo-job"},
        locations=LOCATIONS,
        resource_prefix="gt3d",
        execution_name="run-1",
        execution_start_time=datetime(2024, 5, 17, tzinfo=UTC),
    )
    return build_create_labeling_job_request(
        LabelingJobPlan.from_dict(planned.to_dict()), region=REGION, role_arn=ROLE, workteam_arn=WORKTEAM
    )


def request(change: Callable[[dict[str, Any]], None] = lambda _: None) -> Result:
    def action() -> Iterable[str]:
        built = _request()
        change(built)
        check_create_request(built, task_type(OT), REGION)
        return ()

    return _run(action)


def role_session(task_seconds: int, role_seconds: int) -> Result:
    return _run(lambda: check_role_session(task_seconds, role_seconds) or ())


def tag(key: str, value: str) -> Result:
    return _run(lambda: validate_tag(key, value) or ())


def references_of(task: str, lines: list[Any], audit: str | None = None) -> References:
    return parse_manifest("m.json", _text(lines), task_type(task)).references(audit)


def missing(
    task: str, lines: list[Any], existing: Iterable[str], audit: str | None = None, rule: Rule = REF_EXISTS
) -> Result:
    """Refuse (citing ``rule``) when a required reference is not ``existing``, as the copy handler does."""

    def action() -> Iterable[str]:
        absent = missing_objects(references_of(task, lines, audit), {S3Uri.parse(uri) for uri in existing})
        if absent:
            raise Gt3dError(f"missing {', '.join(map(str, absent))} {rule.cite()}")
        return ()

    return _run(action)


def binary_size(fmt: str, size: int) -> Result:
    cloud = PointCloud(S3Uri.parse(FRAMES + "0.bin"), fmt, "m.json line 1, field `source-ref`")
    return _run(lambda: check_point_cloud_sizes([cloud], {cloud.uri: size}) or ())


def outside(*uris: str) -> Result:
    refs = References(required=frozenset(S3Uri.parse(uri) for uri in uris))
    warning = outside_source_warning(refs, SOURCE)
    return Result(None, (warning,) if warning else ())


def _set(path: list[str], value: Any) -> Callable[[dict[str, Any]], None]:
    def change(built: dict[str, Any]) -> None:
        holder = built
        for key in path[:-1]:
            holder = holder[key]
        if value is DROP:
            del holder[path[-1]]
        else:
            holder[path[-1]] = value

    return change


def seq_line(uri: str = f"s3://{BUCKET}/data/seq1.json") -> dict[str, Any]:
    return {"source-ref": uri}


def n_attributes(count: int, *, free_text: bool = False) -> list[dict[str, Any]]:
    return [attribute(name=f"A{index}", enum=DROP if free_text else ["x"]) for index in range(count)]


def n_frame_attributes(count: int, *, free_text: bool = False) -> list[dict[str, Any]]:
    return [frame_attribute(name=f"F{index}", enum=DROP if free_text else ["x"]) for index in range(count)]


ACCEPT, REFUSE, WARN = Outcome.ACCEPT, Outcome.REFUSE, Outcome.WARN
SEG_LINE_METADATA = {
    "color-map": {
        "0": {"class-name": "Background", "hex-color": "#ffffff"},
        "1": {"class-name": "Car", "hex-color": "#c81e1e"},
        "2": {"class-name": "Pedestrian", "hex-color": "#283cdc"},
    }
}
SS_AUDIT = f"{AUDIT}-ref"


def ss_audited_line(annotations: str = "s3://source-bucket/data/out/0.zlib") -> dict[str, Any]:
    return frame_line(line={SS_AUDIT: annotations, f"{SS_AUDIT}-metadata": SEG_LINE_METADATA})


CASES: list[Case] = [
    # --- Frame manifest lines ---------------------------------------------------------------------------------------
    Case("MANIFEST-JSON-LINES", ACCEPT, "one object per line", lambda: manifest(frame_line(), frame_line("1.bin"))),
    Case("MANIFEST-JSON-LINES", REFUSE, "pretty-printed", lambda: manifest_text(json.dumps(frame_line(), indent=2))),
    Case("MANIFEST-JSON-LINES", REFUSE, "a line that is a list", lambda: manifest([1, 2])),
    Case("MANIFEST-MAX-LINES", ACCEPT, "100,000 lines", lambda: manifest_text(_text([seq_line()]) * 100_000, OT)),
    Case("MANIFEST-MAX-LINES", REFUSE, "100,001 lines", lambda: manifest_text(_text([seq_line()]) * 100_001, OT)),
    Case("MANIFEST-MAX-LINES", REFUSE, "no lines", lambda: manifest_text("\n\n")),
    Case("MANIFEST-KIND", ACCEPT, "frames for detection", lambda: manifest(frame_line())),
    Case("MANIFEST-KIND", REFUSE, "sequences for detection", lambda: manifest(seq_line())),
    Case("MANIFEST-KIND", REFUSE, "frames for tracking", lambda: manifest(frame_line(), task=OT)),
    Case("MANIFEST-KIND", REFUSE, "a frame line among sequences", lambda: manifest(seq_line(), frame_line(), task=OT)),
    Case("FRAME-SOURCE-REF", ACCEPT, "an object URI", lambda: manifest(frame_line())),
    Case("FRAME-SOURCE-REF", REFUSE, "a relative path", lambda: manifest({**frame_line(), "source-ref": "0.bin"})),
    Case("FRAME-SOURCE-REF", REFUSE, "a prefix", lambda: manifest({**frame_line(), "source-ref": FRAMES})),
    Case("FRAME-METADATA", ACCEPT, "an object", lambda: manifest(frame_line())),
    Case(
        "FRAME-METADATA", REFUSE, "a list", lambda: manifest(frame_line(), {**frame_line(), "source-ref-metadata": []})
    ),
    Case("FRAME-UNIX-TIMESTAMP", ACCEPT, "a number", lambda: manifest(frame_line(**{"unix-timestamp": 1}))),
    Case("FRAME-UNIX-TIMESTAMP", REFUSE, "missing", lambda: manifest(frame_line(**{"unix-timestamp": DROP}))),
    Case("FRAME-UNIX-TIMESTAMP", REFUSE, "a string", lambda: manifest(frame_line(**{"unix-timestamp": "now"}))),
    Case("FRAME-PREFIX", ACCEPT, "no prefix and no images", lambda: manifest(frame_line(prefix=DROP, images=DROP))),
    Case("FRAME-PREFIX", REFUSE, "no trailing slash", lambda: manifest(frame_line(prefix=FRAMES.rstrip("/")))),
    Case("FRAME-PREFIX", REFUSE, "images without a prefix", lambda: manifest(frame_line(prefix=DROP))),
    Case("FRAME-IMAGES-MAX", ACCEPT, "8 images", lambda: manifest(frame_line(images=[image()] * 8))),
    Case("FRAME-IMAGES-MAX", REFUSE, "9 images", lambda: manifest(frame_line(images=[image()] * 9))),
    Case(
        "FRAME-PASS-THROUGH",
        ACCEPT,
        "an undocumented s3 string that names nothing",
        lambda: missing(
            OD,
            [frame_line(line={"notes": f"s3://{BUCKET}/data/gone.json"})],
            [FRAMES + "0.bin", FRAMES + "images/cam0.jpg"],
        ),
    ),
    Case(
        "FRAME-PASS-THROUGH",
        REFUSE,
        "the same URI in a documented field",
        lambda: missing(OD, [frame_line("gone.bin")], [FRAMES + "images/cam0.jpg"], rule=FRAME_PASS_THROUGH),
    ),
    # --- Vehicle pose -----------------------------------------------------------------------------------------------
    Case("POSE-POSITION", ACCEPT, "no pose at all", lambda: manifest(frame_line(**{"ego-vehicle-pose": DROP}))),
    Case(
        "POSE-POSITION",
        REFUSE,
        "pose without position",
        lambda: manifest(frame_line(**{"ego-vehicle-pose": {"heading": POSE["heading"]}})),
    ),
    Case(
        "POSE-POSITION",
        REFUSE,
        "position without z",
        lambda: manifest(frame_line(**{"ego-vehicle-pose": {**POSE, "position": {"x": 0, "y": 0}}})),
    ),
    Case("POSE-HEADING", ACCEPT, "a full quaternion", lambda: manifest(frame_line())),
    Case(
        "POSE-HEADING",
        REFUSE,
        "pose without heading",
        lambda: manifest(frame_line(**{"ego-vehicle-pose": {"position": POSE["position"]}})),
    ),
    Case(
        "POSE-HEADING",
        REFUSE,
        "a sequence frame's heading without qw",
        lambda: sequence(
            sequence_doc([sequence_frame(**{"ego-vehicle-pose": {**POSE, "heading": {"qx": 0, "qy": 0, "qz": 0}}})])
        ),
    ),
    # --- Images and calibration -------------------------------------------------------------------------------------
    Case("IMAGE-PATH", ACCEPT, "a relative path", lambda: manifest(frame_line())),
    Case(
        "IMAGE-PATH",
        REFUSE,
        "a full URI",
        lambda: manifest(frame_line(images=[image(**{"image-path": FRAMES + "a.jpg"})])),
    ),
    Case("IMAGE-PATH", REFUSE, "missing", lambda: manifest(frame_line(images=[image(**{"image-path": DROP})]))),
    *[
        case
        for field, rule in [
            ("unix-timestamp", "IMAGE-UNIX-TIMESTAMP"),
            ("fx", "IMAGE-FX"),
            ("fy", "IMAGE-FY"),
            ("cx", "IMAGE-CX"),
            ("cy", "IMAGE-CY"),
        ]
        for case in (
            Case(
                rule,
                ACCEPT,
                f"{field} a number",
                lambda field=field: manifest(frame_line(images=[image(**{field: 1})])),
            ),
            Case(
                rule,
                REFUSE,
                f"{field} missing",
                lambda field=field: manifest(frame_line(images=[image(**{field: DROP})])),
            ),
            Case(
                rule,
                REFUSE,
                f"{field} a string",
                lambda field=field: manifest(frame_line(images=[image(**{field: "8"})])),
            ),
            Case(
                rule,
                REFUSE,
                f"{field} missing in a sequence frame",
                lambda field=field: sequence(sequence_doc([sequence_frame(images=[image(**{field: DROP})])])),
            ),
        )
    ],
    Case("IMAGE-POSITION", ACCEPT, "x, y and z", lambda: manifest(frame_line())),
    Case("IMAGE-POSITION", REFUSE, "missing", lambda: manifest(frame_line(images=[image(position=DROP)]))),
    Case(
        "IMAGE-POSITION",
        REFUSE,
        "y not a number",
        lambda: manifest(frame_line(images=[image(position={"x": 0, "y": "0", "z": 0})])),
    ),
    Case("IMAGE-HEADING", ACCEPT, "a full quaternion", lambda: manifest(frame_line())),
    Case("IMAGE-HEADING", REFUSE, "missing", lambda: manifest(frame_line(images=[image(heading=DROP)]))),
    Case(
        "IMAGE-DISTORTION",
        ACCEPT,
        "numbers",
        lambda: manifest(frame_line(images=[image(k1=0, k2=0.1, k3=0, k4=0, p1=0, p2=0, skew=0)])),
    ),
    Case("IMAGE-DISTORTION", REFUSE, "k1 a string", lambda: manifest(frame_line(images=[image(k1="0")]))),
    Case(
        "IMAGE-CAMERA-MODEL",
        ACCEPT,
        "fisheye",
        lambda: manifest(frame_line(images=[image(**{"camera-model": "fisheye"})])),
    ),
    Case(
        "IMAGE-CAMERA-MODEL", ACCEPT, "omitted", lambda: manifest(frame_line(images=[image(**{"camera-model": DROP})]))
    ),
    Case(
        "IMAGE-CAMERA-MODEL", REFUSE, "fish", lambda: manifest(frame_line(images=[image(**{"camera-model": "fish"})]))
    ),
    # --- Sequence manifests and sequence files ----------------------------------------------------------------------
    Case("SEQ-SOURCE-REF", ACCEPT, "a sequence file URI", lambda: manifest(seq_line(), task=OT)),
    Case("SEQ-SOURCE-REF", REFUSE, "a prefix", lambda: manifest(seq_line(f"s3://{BUCKET}/data/"), task=OT)),
    Case("SEQ-FILE-JSON", ACCEPT, "an object", lambda: sequence(sequence_doc())),
    Case("SEQ-FILE-JSON", REFUSE, "a list", lambda: sequence([sequence_doc()])),
    Case("SEQ-FILE-JSON", REFUSE, "not JSON", lambda: sequence('{"seq-no": 1,')),
    Case("SEQ-NO", ACCEPT, "an integer", lambda: sequence(sequence_doc(**{"seq-no": 7}))),
    Case("SEQ-NO", REFUSE, "a string", lambda: sequence(sequence_doc(**{"seq-no": "1"}))),
    Case("SEQ-PREFIX", ACCEPT, "a prefix", lambda: sequence(sequence_doc())),
    Case("SEQ-PREFIX", REFUSE, "missing", lambda: sequence(sequence_doc(prefix=DROP))),
    Case("SEQ-PREFIX", REFUSE, "no trailing slash", lambda: sequence(sequence_doc(prefix=FRAMES.rstrip("/")))),
    Case("SEQ-NUMBER-OF-FRAMES", ACCEPT, "equal to the frames", lambda: sequence(sequence_doc())),
    Case("SEQ-NUMBER-OF-FRAMES", REFUSE, "one too many", lambda: sequence(sequence_doc(**{"number-of-frames": 3}))),
    Case(
        "SEQ-FRAMES-MAX",
        ACCEPT,
        "500 frames",
        lambda: sequence(sequence_doc([sequence_frame(index) for index in range(500)])),
    ),
    Case(
        "SEQ-FRAMES-MAX",
        REFUSE,
        "501 frames",
        lambda: sequence(sequence_doc([sequence_frame(index) for index in range(501)])),
    ),
    Case("SEQ-FRAMES-MAX", REFUSE, "no frames", lambda: sequence(sequence_doc([]))),
    Case("SEQ-FRAME-NO", ACCEPT, "absent", lambda: sequence(sequence_doc([sequence_frame(0, **{"frame-no": DROP})]))),
    Case("SEQ-FRAME-NO", WARN, "a string", lambda: sequence(sequence_doc([sequence_frame(0, **{"frame-no": "0"})]))),
    Case("SEQ-FRAME-UNIX-TIMESTAMP", ACCEPT, "a number", lambda: sequence(sequence_doc())),
    Case(
        "SEQ-FRAME-UNIX-TIMESTAMP",
        REFUSE,
        "missing",
        lambda: sequence(sequence_doc([sequence_frame(0, **{"unix-timestamp": DROP})])),
    ),
    Case(
        "SEQ-FRAME-ORDER",
        ACCEPT,
        "equal timestamps, as in the documentation's example",
        lambda: sequence(sequence_doc([sequence_frame(0), sequence_frame(1, **{"unix-timestamp": 1566861644.75})])),
    ),
    Case(
        "SEQ-FRAME-ORDER",
        WARN,
        "a decreasing timestamp",
        lambda: sequence(sequence_doc([sequence_frame(0), sequence_frame(1, **{"unix-timestamp": 1.0})])),
    ),
    Case("SEQ-FRAME-PATH", ACCEPT, "a relative path", lambda: sequence(sequence_doc())),
    Case(
        "SEQ-FRAME-PATH",
        REFUSE,
        "a full URI",
        lambda: sequence(sequence_doc([sequence_frame(0, frame=FRAMES + "0.bin")])),
    ),
    Case("SEQ-FRAME-PATH", REFUSE, "missing", lambda: sequence(sequence_doc([sequence_frame(0, frame=DROP)]))),
    Case(
        "SEQ-FRAME-PREFIX",
        ACCEPT,
        "a frame prefix for its images",
        lambda: sequence(sequence_doc([sequence_frame(0, prefix="s3://camera-bucket/cams/")])),
    ),
    Case(
        "SEQ-FRAME-PREFIX",
        REFUSE,
        "a frame prefix without a trailing slash",
        lambda: sequence(sequence_doc([sequence_frame(0, prefix="s3://camera-bucket/cams")])),
    ),
    # --- Point cloud formats ----------------------------------------------------------------------------------------
    Case("POINT-CLOUD-FORMAT", ACCEPT, "text/xyzrgb", lambda: manifest(frame_line(format="text/xyzrgb"))),
    Case("POINT-CLOUD-FORMAT", REFUSE, "pcd", lambda: manifest(frame_line(format="pcd"))),
    Case(
        "POINT-CLOUD-FORMAT",
        REFUSE,
        "binary/xyzq in a sequence frame",
        lambda: sequence(sequence_doc([sequence_frame(0, format="binary/xyzq")])),
    ),
    Case("POINT-CLOUD-FORMAT-DEFAULT", ACCEPT, ".bin without format", lambda: manifest(frame_line(format=DROP))),
    Case(
        "POINT-CLOUD-FORMAT-DEFAULT", ACCEPT, ".txt without format", lambda: manifest(frame_line("0.txt", format=DROP))
    ),
    Case("POINT-CLOUD-FORMAT-DEFAULT", WARN, ".pcd without format", lambda: manifest(frame_line("0.pcd", format=DROP))),
    Case("POINT-CLOUD-BINARY-SIZE", ACCEPT, "32 bytes of binary/xyzi", lambda: binary_size("binary/xyzi", 32)),
    Case("POINT-CLOUD-BINARY-SIZE", ACCEPT, "any size of text", lambda: binary_size("text/xyzi", 33)),
    Case("POINT-CLOUD-BINARY-SIZE", REFUSE, "33 bytes of binary/xyzi", lambda: binary_size("binary/xyzi", 33)),
    Case("POINT-CLOUD-BINARY-SIZE", REFUSE, "16 bytes of binary/xyzrgb", lambda: binary_size("binary/xyzrgb", 16)),
    # --- Label category files ---------------------------------------------------------------------------------------
    Case("LCC-JSON", ACCEPT, "an object", lambda: labels(label_doc())),
    Case("LCC-JSON", REFUSE, "a list", lambda: labels([label_doc()])),
    Case(
        "LCC-JSON",
        REFUSE,
        "trailing commas, as in the page's examples",
        lambda: labels('{"labels": [{"label": "Car"},],}'),
    ),
    Case("LCC-DOCUMENT-VERSION", ACCEPT, "missing", lambda: labels(label_doc(documentVersion=DROP))),
    Case("LCC-DOCUMENT-VERSION", WARN, "another version", lambda: labels(label_doc(documentVersion="2018-01-01"))),
    Case(
        "LCC-LABELS-COUNT",
        ACCEPT,
        "30 labels",
        lambda: labels(label_doc(labels=[{"label": f"L{i}"} for i in range(30)])),
    ),
    Case(
        "LCC-LABELS-COUNT",
        REFUSE,
        "31 labels",
        lambda: labels(label_doc(labels=[{"label": f"L{i}"} for i in range(31)])),
    ),
    Case("LCC-LABELS-COUNT", REFUSE, "missing", lambda: labels(label_doc(labels=DROP))),
    Case("LCC-LABEL-NAME", ACCEPT, "16 characters", lambda: labels(label_doc(labels=[{"label": "L" * 16}]))),
    Case("LCC-LABEL-NAME", REFUSE, "17 characters", lambda: labels(label_doc(labels=[{"label": "L" * 17}]))),
    Case("LCC-LABEL-NAME", REFUSE, "empty", lambda: labels(label_doc(labels=[{"label": ""}]))),
    Case("LCC-LABEL-UNIQUE", ACCEPT, "distinct", lambda: labels(label_doc())),
    Case(
        "LCC-LABEL-UNIQUE", REFUSE, "Car twice", lambda: labels(label_doc(labels=[{"label": "Car"}, {"label": "Car"}]))
    ),
    Case(
        "LCC-EDITS-ALLOWED",
        ACCEPT,
        "none and any",
        lambda: labels(
            label_doc(
                labels=[{"label": "Car", "editsAllowed": "none", "categoryAttributes": [attribute(editsAllowed="any")]}]
            )
        ),
    ),
    Case(
        "LCC-EDITS-ALLOWED",
        REFUSE,
        "a label's 'some'",
        lambda: labels(label_doc(labels=[{"label": "Car", "editsAllowed": "some"}])),
    ),
    Case(
        "LCC-EDITS-ALLOWED",
        REFUSE,
        "a frame attribute's 'all'",
        lambda: labels(label_doc(frameAttributes=[frame_attribute(editsAllowed="all")])),
    ),
    Case(
        "LCC-ATTR-NAME-LENGTH",
        ACCEPT,
        "16 characters",
        lambda: labels(label_doc(categoryGlobalAttributes=[attribute(name="N" * 16)])),
    ),
    Case(
        "LCC-ATTR-NAME-LENGTH",
        REFUSE,
        "17 characters",
        lambda: labels(label_doc(categoryGlobalAttributes=[attribute(name="N" * 17)])),
    ),
    Case(
        "LCC-ATTR-NAME-LENGTH",
        REFUSE,
        "a label attribute without a name",
        lambda: labels(label_doc(labels=[{"label": "Car", "categoryAttributes": [attribute(name=DROP)]}])),
    ),
    Case(
        "LCC-ATTR-NAME-UNIQUE",
        ACCEPT,
        "distinct names",
        lambda: labels(
            label_doc(
                categoryGlobalAttributes=[attribute(name="G")],
                labels=[{"label": "Car", "categoryAttributes": [attribute(name="X")]}],
            )
        ),
    ),
    Case(
        "LCC-ATTR-NAME-UNIQUE",
        REFUSE,
        "a label attribute named like a global one",
        lambda: labels(
            label_doc(
                categoryGlobalAttributes=[attribute(name="G")],
                labels=[{"label": "Car", "categoryAttributes": [attribute(name="G")]}],
            )
        ),
    ),
    Case(
        "LCC-ATTR-NAME-UNIQUE",
        REFUSE,
        "twice in one list",
        lambda: labels(label_doc(categoryGlobalAttributes=[attribute(name="G"), attribute(name="G")])),
    ),
    Case(
        "LCC-ATTR-NAME-UNIQUE",
        WARN,
        "two labels reuse a name",
        lambda: labels(
            label_doc(
                labels=[
                    {"label": "Car", "categoryAttributes": [attribute(name="Color")]},
                    {"label": "Van", "categoryAttributes": [attribute(name="Color")]},
                ]
            )
        ),
    ),
    Case(
        "LCC-ATTR-TYPE",
        ACCEPT,
        "number",
        lambda: labels(label_doc(categoryGlobalAttributes=[attribute(type="number", enum=DROP, minimum=0, maximum=9)])),
    ),
    Case(
        "LCC-ATTR-TYPE",
        REFUSE,
        "boolean",
        lambda: labels(label_doc(categoryGlobalAttributes=[attribute(type="boolean")])),
    ),
    Case(
        "LCC-ATTR-TYPE", REFUSE, "missing", lambda: labels(label_doc(categoryGlobalAttributes=[attribute(type=DROP)]))
    ),
    Case(
        "LCC-ATTR-NUMBER-RANGE",
        ACCEPT,
        "0 to 9",
        lambda: labels(label_doc(frameAttributes=[frame_attribute(type="number", enum=DROP, minimum=0, maximum=9)])),
    ),
    Case(
        "LCC-ATTR-NUMBER-RANGE",
        REFUSE,
        "no bounds",
        lambda: labels(label_doc(frameAttributes=[frame_attribute(type="number", enum=DROP)])),
    ),
    Case(
        "LCC-ATTR-NUMBER-RANGE",
        REFUSE,
        "minimum above maximum",
        lambda: labels(label_doc(frameAttributes=[frame_attribute(type="number", enum=DROP, minimum=9, maximum=0)])),
    ),
    Case(
        "LCC-ATTR-NUMBER-RANGE",
        REFUSE,
        "fractional bounds",
        lambda: labels(label_doc(frameAttributes=[frame_attribute(type="number", enum=DROP, minimum=0.5, maximum=9)])),
    ),
    Case(
        "LCC-ATTR-NUMBER-RANGE",
        REFUSE,
        "bounds on a string attribute",
        lambda: labels(label_doc(frameAttributes=[frame_attribute(minimum=0, maximum=9)])),
    ),
    Case(
        "LCC-ATTR-ENUM",
        ACCEPT,
        "10 values of 16 characters",
        lambda: labels(label_doc(categoryGlobalAttributes=[attribute(enum=[f"{i:016d}" for i in range(10)])])),
    ),
    Case(
        "LCC-ATTR-ENUM",
        ACCEPT,
        "free text without enum",
        lambda: labels(label_doc(categoryGlobalAttributes=[attribute(enum=DROP)])),
    ),
    Case(
        "LCC-ATTR-ENUM",
        REFUSE,
        "11 values",
        lambda: labels(label_doc(categoryGlobalAttributes=[attribute(enum=[str(i) for i in range(11)])])),
    ),
    Case("LCC-ATTR-ENUM", REFUSE, "empty", lambda: labels(label_doc(categoryGlobalAttributes=[attribute(enum=[])]))),
    Case(
        "LCC-ATTR-ENUM",
        REFUSE,
        "a 17-character value",
        lambda: labels(label_doc(categoryGlobalAttributes=[attribute(enum=["v" * 17])])),
    ),
    Case(
        "LCC-ATTR-ENUM",
        REFUSE,
        "on a number",
        lambda: labels(label_doc(categoryGlobalAttributes=[attribute(type="number", minimum=0, maximum=1)])),
    ),
    Case(
        "LCC-ATTR-DESCRIPTION",
        ACCEPT,
        "128 characters",
        lambda: labels(label_doc(categoryGlobalAttributes=[attribute(description="d" * 128)])),
    ),
    Case(
        "LCC-ATTR-DESCRIPTION",
        REFUSE,
        "129 characters",
        lambda: labels(label_doc(categoryGlobalAttributes=[attribute(description="d" * 129)])),
    ),
    Case(
        "LCC-ATTR-IS-REQUIRED",
        ACCEPT,
        "true",
        lambda: labels(label_doc(frameAttributes=[frame_attribute(isRequired=True)])),
    ),
    Case(
        "LCC-ATTR-IS-REQUIRED",
        REFUSE,
        "'yes'",
        lambda: labels(label_doc(frameAttributes=[frame_attribute(isRequired="yes")])),
    ),
    Case(
        "LCC-ATTRS-PER-LABEL",
        ACCEPT,
        "4 global + 6 own",
        lambda: labels(
            label_doc(
                categoryGlobalAttributes=n_attributes(4),
                labels=[{"label": "Car", "categoryAttributes": [attribute(name=f"B{i}") for i in range(6)]}],
            )
        ),
    ),
    Case(
        "LCC-ATTRS-PER-LABEL",
        REFUSE,
        "4 global + 7 own",
        lambda: labels(
            label_doc(
                categoryGlobalAttributes=n_attributes(4),
                labels=[{"label": "Car", "categoryAttributes": [attribute(name=f"B{i}") for i in range(7)]}],
            )
        ),
    ),
    Case(
        "LCC-FREE-TEXT-PER-LABEL",
        ACCEPT,
        "5 free-text",
        lambda: labels(
            label_doc(
                categoryGlobalAttributes=n_attributes(3, free_text=True),
                labels=[{"label": "Car", "categoryAttributes": [attribute(name=f"B{i}", enum=DROP) for i in range(2)]}],
            )
        ),
    ),
    Case(
        "LCC-FREE-TEXT-PER-LABEL",
        REFUSE,
        "6 free-text",
        lambda: labels(
            label_doc(
                categoryGlobalAttributes=n_attributes(3, free_text=True),
                labels=[{"label": "Car", "categoryAttributes": [attribute(name=f"B{i}", enum=DROP) for i in range(3)]}],
            )
        ),
    ),
    Case("LCC-FRAME-ATTRS-MAX", ACCEPT, "10", lambda: labels(label_doc(frameAttributes=n_frame_attributes(10)))),
    Case("LCC-FRAME-ATTRS-MAX", REFUSE, "11", lambda: labels(label_doc(frameAttributes=n_frame_attributes(11)))),
    Case(
        "LCC-FRAME-FREE-TEXT-MAX",
        ACCEPT,
        "5 free-text",
        lambda: labels(label_doc(frameAttributes=n_frame_attributes(5, free_text=True))),
    ),
    Case(
        "LCC-FRAME-FREE-TEXT-MAX",
        REFUSE,
        "6 free-text",
        lambda: labels(label_doc(frameAttributes=n_frame_attributes(6, free_text=True))),
    ),
    Case(
        "LCC-FRAME-ATTR-FIELDS",
        ACCEPT,
        "name, type and description",
        lambda: labels(label_doc(frameAttributes=[frame_attribute()])),
    ),
    Case(
        "LCC-FRAME-ATTR-FIELDS",
        ACCEPT,
        "a label attribute without description",
        lambda: labels(label_doc(categoryGlobalAttributes=[attribute(description=DROP)])),
    ),
    Case(
        "LCC-FRAME-ATTR-FIELDS",
        REFUSE,
        "no description",
        lambda: labels(label_doc(frameAttributes=[frame_attribute(description=DROP)])),
    ),
    Case(
        "LCC-FRAME-ATTR-FIELDS",
        REFUSE,
        "no name",
        lambda: labels(label_doc(frameAttributes=[frame_attribute(name=DROP)])),
    ),
    Case("LCC-INSTRUCTIONS", ACCEPT, "no instructions", lambda: labels(label_doc(instructions=DROP))),
    Case(
        "LCC-INSTRUCTIONS",
        REFUSE,
        "no fullInstruction",
        lambda: labels(label_doc(instructions={"shortInstruction": "x"})),
    ),
    Case("LCC-INSTRUCTIONS", REFUSE, "a string", lambda: labels(label_doc(instructions="Fit cuboids"))),
    Case(
        "LCC-INSTRUCTIONS-LENGTH",
        ACCEPT,
        "255 and 2,048 characters",
        lambda: labels(label_doc(instructions={"shortInstruction": "s" * 255, "fullInstruction": "f" * 2048})),
    ),
    Case(
        "LCC-INSTRUCTIONS-LENGTH",
        REFUSE,
        "256-character short instructions",
        lambda: labels(label_doc(instructions={"shortInstruction": "s" * 256, "fullInstruction": "f"})),
    ),
    Case(
        "LCC-INSTRUCTIONS-LENGTH",
        REFUSE,
        "2,049-character full instructions",
        lambda: labels(label_doc(instructions={"shortInstruction": "s", "fullInstruction": "f" * 2049})),
    ),
    Case(
        "LCC-SS-NO-CATEGORY-ATTRS",
        ACCEPT,
        "segmentation without attributes",
        lambda: fit(SS, [frame_line()], label_doc()),
    ),
    Case(
        "LCC-SS-NO-CATEGORY-ATTRS",
        ACCEPT,
        "detection with attributes",
        lambda: fit(OD, [frame_line()], label_doc(categoryGlobalAttributes=[attribute()])),
    ),
    Case(
        "LCC-SS-NO-CATEGORY-ATTRS",
        WARN,
        "segmentation with attributes",
        lambda: fit(SS, [frame_line()], label_doc(categoryGlobalAttributes=[attribute()])),
    ),
    # --- Human task settings and the request ------------------------------------------------------------------------
    Case("HT-TITLE", ACCEPT, "128 characters", lambda: human_task(title="t" * 128)),
    Case("HT-TITLE", REFUSE, "129 characters", lambda: human_task(title="t" * 129)),
    Case("HT-TITLE", REFUSE, "an emoji", lambda: human_task(title="Cars \U0001f697")),
    Case("HT-DESCRIPTION", ACCEPT, "255 characters", lambda: human_task(description="d" * 255)),
    Case("HT-DESCRIPTION", REFUSE, "two lines", lambda: human_task(description="two\nlines")),
    Case("HT-KEYWORDS", ACCEPT, "5 keywords", lambda: human_task(keywords=["a", "b", "c", "d", "point cloud"])),
    Case("HT-KEYWORDS", REFUSE, "a hyphen", lambda: human_task(keywords=["point-cloud"])),
    Case("HT-KEYWORDS", REFUSE, "6 keywords", lambda: human_task(keywords=list("abcdef"))),
    Case("HT-TASK-TIME-LIMIT", ACCEPT, "7 days", lambda: human_task(task_time_limit_seconds=604_800)),
    Case("HT-TASK-TIME-LIMIT", ACCEPT, "12 hours and 1 second", lambda: human_task(task_time_limit_seconds=43_201)),
    Case("HT-TASK-TIME-LIMIT", REFUSE, "7 days and 1 second", lambda: human_task(task_time_limit_seconds=604_801)),
    Case("HT-TASK-TIME-LIMIT", REFUSE, "29 seconds", lambda: human_task(task_time_limit_seconds=29)),
    Case("HT-ROLE-SESSION", ACCEPT, "3 days with a 12-hour role", lambda: role_session(259_200, 43_200)),
    Case("HT-ROLE-SESSION", ACCEPT, "8 hours with a 1-hour role", lambda: role_session(28_800, 3_600)),
    Case("HT-ROLE-SESSION", REFUSE, "9 hours with a 1-hour role", lambda: role_session(32_400, 3_600)),
    Case(
        "HT-AVAILABILITY-LIFETIME", ACCEPT, "30 days", lambda: human_task(task_availability_lifetime_seconds=2_592_000)
    ),
    Case("HT-AVAILABILITY-LIFETIME", REFUSE, "59 seconds", lambda: human_task(task_availability_lifetime_seconds=59)),
    Case(
        "HT-AVAILABILITY-LIFETIME",
        REFUSE,
        "30 days and 1 second",
        lambda: human_task(task_availability_lifetime_seconds=2_592_001),
    ),
    Case("HT-MAX-CONCURRENT", ACCEPT, "1,000", lambda: human_task(max_concurrent_task_count=1000)),
    Case("HT-MAX-CONCURRENT", REFUSE, "1,001", lambda: human_task(max_concurrent_task_count=1001)),
    Case("HT-MAX-CONCURRENT", REFUSE, "0", lambda: human_task(max_concurrent_task_count=0)),
    Case("HT-WORKERS-PER-OBJECT", ACCEPT, "the built request", lambda: request()),
    Case(
        "HT-WORKERS-PER-OBJECT",
        REFUSE,
        "2 workers",
        lambda: request(_set(["HumanTaskConfig", "NumberOfHumanWorkersPerDataObject"], 2)),
    ),
    Case("HT-UI-ARN", ACCEPT, "the built request", lambda: request()),
    Case(
        "HT-UI-ARN",
        REFUSE,
        "the task type's name as UI",
        lambda: request(
            _set(
                ["HumanTaskConfig", "UiConfig"],
                {"HumanTaskUiArn": f"arn:aws:sagemaker:{REGION}:394669845002:human-task-ui/3DPointCloudObjectTracking"},
            )
        ),
    ),
    Case(
        "HT-UI-ARN",
        REFUSE,
        "a UiTemplateS3Uri",
        lambda: request(_set(["HumanTaskConfig", "UiConfig", "UiTemplateS3Uri"], "s3://b/template.html")),
    ),
    Case("HT-LAMBDAS", ACCEPT, "the built request", lambda: request()),
    Case(
        "HT-LAMBDAS",
        REFUSE,
        "no PreHumanTaskLambdaArn",
        lambda: request(_set(["HumanTaskConfig", "PreHumanTaskLambdaArn"], DROP)),
    ),
    Case(
        "HT-LAMBDAS",
        REFUSE,
        "another task type's consolidation Lambda",
        lambda: request(
            _set(
                ["HumanTaskConfig", "AnnotationConsolidationConfig", "AnnotationConsolidationLambdaArn"],
                task_type(OD).annotation_consolidation_lambda_arn(REGION),
            )
        ),
    ),
    Case("HT-NO-AUTO-LABELING", ACCEPT, "the built request", lambda: request()),
    Case(
        "HT-NO-AUTO-LABELING",
        REFUSE,
        "LabelingJobAlgorithmsConfig",
        lambda: request(_set(["LabelingJobAlgorithmsConfig"], {"LabelingJobAlgorithmSpecificationArn": "arn:x"})),
    ),
    # --- Adjustment jobs --------------------------------------------------------------------------------------------
    Case(
        "ADJ-AUDIT-ATTRIBUTE",
        ACCEPT,
        "set for an adjustment",
        lambda: fit(OD_ADJ, [audited_line()], label_doc(auditLabelAttributeName=AUDIT)),
    ),
    Case(
        "ADJ-AUDIT-ATTRIBUTE", REFUSE, "missing for an adjustment", lambda: fit(OD_ADJ, [audited_line()], label_doc())
    ),
    Case("ADJ-AUDIT-ATTRIBUTE", REFUSE, "empty", lambda: labels(label_doc(auditLabelAttributeName=""))),
    Case(
        "ADJ-AUDIT-ATTRIBUTE",
        WARN,
        "set for a new job",
        lambda: fit(OD, [audited_line()], label_doc(auditLabelAttributeName=AUDIT)),
    ),
    Case(
        "ADJ-LABEL-ATTRIBUTE-DIFFERENT",
        ACCEPT,
        "a new attribute",
        lambda: fit(OD_ADJ, [audited_line()], label_doc(auditLabelAttributeName=AUDIT), "new-job"),
    ),
    Case(
        "ADJ-LABEL-ATTRIBUTE-DIFFERENT",
        REFUSE,
        "the audited attribute",
        lambda: fit(OD_ADJ, [audited_line()], label_doc(auditLabelAttributeName=AUDIT), AUDIT),
    ),
    Case(
        "ADJ-MANIFEST-LINES",
        ACCEPT,
        "every line audited",
        lambda: fit(OD_ADJ, [audited_line(), audited_line()], label_doc(auditLabelAttributeName=AUDIT)),
    ),
    Case(
        "ADJ-MANIFEST-LINES",
        WARN,
        "one line not audited",
        lambda: fit(OD_ADJ, [audited_line(), frame_line()], label_doc(auditLabelAttributeName=AUDIT)),
    ),
    Case(
        "ADJ-MANIFEST-LINES",
        REFUSE,
        "no line audited",
        lambda: fit(OD_ADJ, [frame_line(), frame_line()], label_doc(auditLabelAttributeName=AUDIT)),
    ),
    Case(
        "ADJ-AUDIT-REF",
        ACCEPT,
        "the audited annotations exist",
        lambda: missing(
            SS_ADJ,
            [ss_audited_line()],
            [FRAMES + "0.bin", FRAMES + "images/cam0.jpg", "s3://source-bucket/data/out/0.zlib"],
            SS_AUDIT,
        ),
    ),
    Case(
        "ADJ-AUDIT-REF",
        REFUSE,
        "the audited annotations are missing",
        lambda: missing(
            SS_ADJ, [ss_audited_line()], [FRAMES + "0.bin", FRAMES + "images/cam0.jpg"], SS_AUDIT, ADJ_AUDIT_REF
        ),
    ),
    Case(
        "ADJ-SAME-LABELS",
        ACCEPT,
        "the class-map's labels",
        lambda: fit(OD_ADJ, [audited_line()], label_doc(auditLabelAttributeName=AUDIT)),
    ),
    Case(
        "ADJ-SAME-LABELS",
        ACCEPT,
        "the color-map's labels without Background",
        lambda: fit(SS_ADJ, [ss_audited_line()], label_doc(auditLabelAttributeName=SS_AUDIT)),
    ),
    Case(
        "ADJ-SAME-LABELS",
        REFUSE,
        "Pedestrian dropped",
        lambda: fit(OD_ADJ, [audited_line()], label_doc(auditLabelAttributeName=AUDIT, labels=[{"label": "Car"}])),
    ),
    Case(
        "ADJ-SAME-LABELS",
        WARN,
        "Truck added",
        lambda: fit(
            OD_ADJ,
            [audited_line()],
            label_doc(
                auditLabelAttributeName=AUDIT, labels=[{"label": "Car"}, {"label": "Pedestrian"}, {"label": "Truck"}]
            ),
        ),
    ),
    # --- Names, tags and request locations --------------------------------------------------------------------------
    Case("NAME-JOB", ACCEPT, "63 characters", lambda: plan(job_name="j" * 59 + "-abc")),
    Case("NAME-JOB", REFUSE, "64 characters", lambda: plan(job_name="j" * 64)),
    Case("NAME-JOB", REFUSE, "an underscore", lambda: plan(job_name="my_job")),
    Case("NAME-LABEL-ATTRIBUTE", ACCEPT, "a tracking job's -ref", lambda: plan(job_name="cars")),
    Case("NAME-LABEL-ATTRIBUTE", REFUSE, "detection ending in -ref", lambda: plan(task_type=OD, job_name="cars-ref")),
    Case(
        "NAME-LABEL-ATTRIBUTE",
        REFUSE,
        "detection ending in -metadata",
        lambda: plan(task_type=OD, job_name="cars-metadata"),
    ),
    Case("NAME-S3-URI", ACCEPT, "a short manifest path", lambda: plan(manifest="m/frames.jsonl")),
    Case("NAME-S3-URI", REFUSE, "a manifest URI over 1,024 characters", lambda: plan(manifest="m/" + "x" * 1010)),
    Case("TAG-KEY", ACCEPT, "the pipeline's key", lambda: tag(EXECUTION_TAG_KEY, "run-1")),
    Case("TAG-KEY", REFUSE, "an aws: key", lambda: tag("aws:execution", "run-1")),
    Case("TAG-KEY", REFUSE, "129 characters", lambda: tag("k" * 129, "run-1")),
    Case("TAG-VALUE", ACCEPT, "a generated execution name", lambda: plan("0d2f4c1e-8f1b-4b5e-9c3a-2a7d9e6f1b2c")),
    Case("TAG-VALUE", ACCEPT, "letters of any script", lambda: plan("Lauf-Überprüfung_1")),
    Case("TAG-VALUE", REFUSE, "parentheses", lambda: plan("run(1)")),
    Case("TAG-VALUE", REFUSE, "an exclamation mark", lambda: plan("run!")),
    # --- References and locations -----------------------------------------------------------------------------------
    Case(
        "REF-EXISTS",
        ACCEPT,
        "frame and image exist",
        lambda: missing(OD, [frame_line()], [FRAMES + "0.bin", FRAMES + "images/cam0.jpg"]),
    ),
    Case("REF-EXISTS", REFUSE, "the image is missing", lambda: missing(OD, [frame_line()], [FRAMES + "0.bin"])),
    Case("REF-OUTSIDE-SOURCE", ACCEPT, "everything under the source", lambda: outside(FRAMES + "0.bin")),
    Case(
        "REF-OUTSIDE-SOURCE",
        WARN,
        "a frame in another bucket",
        lambda: outside(FRAMES + "0.bin", "s3://other-bucket/0.bin"),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda case: f"{case.rule}-{case.outcome.value}-{case.label}")
def test_given_an_example_of_a_rule_when_checked_then_the_core_reaches_the_documented_outcome(case: Case) -> None:
    result = case.run()
    cited = f"[{case.rule}] {RULES[case.rule]}"

    if case.outcome is REFUSE:
        assert result.error is not None, f"{case.rule} {case.label}: accepted, expected a refusal"
        assert cited in result.error
    else:
        assert result.error is None, f"{case.rule} {case.label}: refused: {result.error}"
        citing = [warning for warning in result.warnings if f"[{case.rule}]" in warning]
        if case.outcome is WARN:
            assert citing, f"{case.rule} {case.label}: no warning in {result.warnings}"
            assert all(cited in warning for warning in citing)
        else:
            assert not citing, f"{case.rule} {case.label}: unexpected warning {citing}"


def _table_rows() -> dict[str, str]:
    rows = re.findall(r"^\| `([A-Z0-9-]+)` \|.*\| (https://\S+) \|[^|]*\|$", RULES_TABLE.read_text(), re.MULTILINE)
    ids = [rule for rule, _ in rows]
    assert len(ids) == len(set(ids)), "a rule id appears twice in the table"
    return dict(rows)


RULES = {rule.id: rule.source for rule in ALL_RULES}


def test_given_the_rules_table_then_every_row_is_a_core_rule_with_the_same_source() -> None:
    assert _table_rows() == RULES


def test_given_the_rules_table_then_every_row_has_a_valid_and_an_invalid_example() -> None:
    outcomes: dict[str, set[Outcome]] = {rule: set() for rule in _table_rows()}
    for case in CASES:
        outcomes[case.rule].add(case.outcome)
    lacking = {rule: found for rule, found in outcomes.items() if ACCEPT not in found or found == {ACCEPT}}
    assert not lacking, f"rows without a valid and an invalid example: {lacking}"


def test_given_a_refusal_then_it_names_the_file_the_line_the_field_and_the_limit() -> None:
    result = manifest(frame_line(), frame_line(images=[image(fx=DROP)]))

    assert result.error == (
        "m.json line 2, field `source-ref-metadata.images[0].fx`: is required: the focal length in x, a number; got "
        "None. [IMAGE-FX] https://docs.aws.amazon.com/sagemaker/latest/dg/sms-point-cloud-single-frame-input-data.html"
    )


def test_given_a_refusal_in_a_sequence_file_then_it_names_the_file_and_the_frame() -> None:
    result = sequence(sequence_doc([sequence_frame(0), sequence_frame(1, images=[image(cy="1")])]))

    assert result.error is not None
    assert result.error.startswith("seq.json frame 1, field `frames[1].images[0].cy`: is required")


def test_given_a_sequence_frame_with_its_own_prefix_then_the_point_cloud_is_under_the_sequence_prefix() -> None:
    doc = sequence_doc([sequence_frame(0, prefix="s3://camera-bucket/cams/")])

    (frame,) = parse_sequence_file("seq.json", json.dumps(doc)).frames

    assert frame.point_cloud.uri == S3Uri.parse(FRAMES + "0.bin")
    assert frame.images == (S3Uri.parse("s3://camera-bucket/cams/images/cam0.jpg"),)


def test_given_the_built_request_then_the_tag_is_the_execution_name() -> None:
    assert _request()["Tags"] == [{"Key": EXECUTION_TAG_KEY, "Value": "run-1"}]
