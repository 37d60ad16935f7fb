"""The fields a frame line and a sequence frame share: S3 URIs, prefixes, relative paths, vehicle pose and images.

Each check records its refusals (or warnings) in a :class:`Findings` with the place and the rule, and returns the
value it could read, so one pass reports every problem of a file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, TypeGuard

from gt3d_core.display import shorten
from gt3d_core.findings import Findings, Place
from gt3d_core.point_cloud import PointCloud
from gt3d_core.rules import (
    FRAME_IMAGES_MAX,
    IMAGE_CAMERA_MODEL,
    IMAGE_CX,
    IMAGE_CY,
    IMAGE_DISTORTION,
    IMAGE_FX,
    IMAGE_FY,
    IMAGE_HEADING,
    IMAGE_PATH,
    IMAGE_POSITION,
    IMAGE_UNIX_TIMESTAMP,
    POSE_HEADING,
    POSE_POSITION,
    Rule,
)
from gt3d_core.s3_location import S3_SCHEME, S3Uri

MAX_IMAGES_PER_FRAME: Final = 8
CAMERA_MODELS: Final = frozenset({"pinhole", "fisheye"})
POSITION_FIELDS: Final = ("x", "y", "z")
HEADING_FIELDS: Final = ("qx", "qy", "qz", "qw")
_REQUIRED_IMAGE_NUMBERS: Final = (
    ("unix-timestamp", IMAGE_UNIX_TIMESTAMP, "the capture time in seconds since the Unix epoch"),
    ("fx", IMAGE_FX, "the focal length in x"),
    ("fy", IMAGE_FY, "the focal length in y"),
    ("cx", IMAGE_CX, "the x coordinate of the principal point"),
    ("cy", IMAGE_CY, "the y coordinate of the principal point"),
)
_DISTORTION_FIELDS: Final = ("k1", "k2", "k3", "k4", "p1", "p2", "skew")


@dataclass(frozen=True, slots=True)
class Frame:
    """One point cloud frame and the camera images fused with it."""

    point_cloud: PointCloud
    unix_timestamp: float
    images: tuple[S3Uri, ...]


def is_number(value: object) -> TypeGuard[int | float]:
    """True for a JSON number (``bool`` is an ``int`` in Python, but ``true`` is not a number in JSON)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def is_int(value: object) -> TypeGuard[int]:
    """True for a JSON integer."""
    return isinstance(value, int) and not isinstance(value, bool)


def object_uri(value: object, rule: Rule, place: Place, field: str, findings: Findings, what: str) -> S3Uri | None:
    """Return ``value`` as the ``s3://bucket/key`` of an object (not a prefix), or refuse it under ``rule``."""
    uri = S3Uri.try_parse(value) if isinstance(value, str) else None
    if uri is None or uri.is_prefix:
        findings.refuse(rule, place.at(field), f"is required: the s3://bucket/key of {what}; got {shorten(value)}.")
        return None
    return uri


def prefix_uri(value: object, rule: Rule, place: Place, field: str, findings: Findings) -> S3Uri | None:
    """Return ``value`` as an ``s3://`` prefix ending in ``/``, or refuse it under ``rule``."""
    uri = S3Uri.try_parse(value) if isinstance(value, str) else None
    if uri is None or not uri.is_prefix or not uri.key:
        findings.refuse(
            rule,
            place.at(field),
            f"must be an s3:// URI ending in '/', the folder the relative paths start from; got {shorten(value)}.",
        )
        return None
    return uri


def relative_path(value: object, rule: Rule, place: Place, field: str, findings: Findings) -> str | None:
    """Return ``value`` as a path relative to a prefix, or refuse it under ``rule`` (a full URI is a common slip)."""
    if not isinstance(value, str) or not value:
        findings.refuse(rule, place.at(field), f"is required: a path relative to `prefix`; got {shorten(value)}.")
        return None
    if value.startswith(S3_SCHEME):
        findings.refuse(
            rule,
            place.at(field),
            f"must be relative to `prefix` (Ground Truth prepends the prefix); got the full URI {shorten(value)}. "
            "Remove the s3://bucket/prefix part.",
        )
        return None
    return value


def check_vector(
    holder: Mapping[str, object], key: str, fields: tuple[str, ...], rule: Rule, place: Place, findings: Findings
) -> None:
    """Refuse unless ``holder[key]`` is an object with a number in each of ``fields`` (a position or quaternion)."""
    value = holder.get(key)
    missing = [name for name in fields if not isinstance(value, dict) or not is_number(value.get(name))]
    if missing:
        findings.refuse(
            rule,
            place.at(key),
            f"is required: an object with the numbers {', '.join(fields)}; {', '.join(missing)} missing or not a "
            f"number in {shorten(value)}.",
        )


def check_pose(holder: Mapping[str, object], place: Place, findings: Findings) -> None:
    """Check the optional ``ego-vehicle-pose``: when given, it needs ``position`` and ``heading``."""
    pose = holder.get("ego-vehicle-pose")
    if pose is None:
        return
    here = place.child("ego-vehicle-pose")
    if not isinstance(pose, dict):
        findings.refuse(POSE_POSITION, place.at("ego-vehicle-pose"), f"must be an object; got {shorten(pose)}.")
        return
    check_vector(pose, "position", POSITION_FIELDS, POSE_POSITION, here, findings)
    check_vector(pose, "heading", HEADING_FIELDS, POSE_HEADING, here, findings)


def parse_images(
    holder: Mapping[str, object], prefix: S3Uri | None, prefix_rule: Rule, place: Place, findings: Findings
) -> tuple[S3Uri, ...]:
    """Check ``holder["images"]`` and return the image URIs (``prefix`` + ``image-path``).

    ``prefix_rule`` is the rule that requires the prefix the paths resolve against, cited when it is missing.
    """
    value = holder.get("images")
    if value is None:
        return ()
    if not isinstance(value, list):
        findings.refuse(FRAME_IMAGES_MAX, place.at("images"), f"must be a list of image objects; got {shorten(value)}.")
        return ()
    if len(value) > MAX_IMAGES_PER_FRAME:
        findings.refuse(
            FRAME_IMAGES_MAX,
            place.at("images"),
            f"has {len(value)} images; Ground Truth allows at most {MAX_IMAGES_PER_FRAME} per frame. Drop cameras.",
        )
    uris: list[S3Uri] = []
    for index, image in enumerate(value):
        here = place.child(f"images[{index}]")
        if not isinstance(image, dict):
            findings.refuse(IMAGE_PATH, here.at(), f"must be an object with `image-path`; got {shorten(image)}.")
            continue
        path = relative_path(image.get("image-path"), IMAGE_PATH, here, "image-path", findings)
        if path is not None:
            if prefix is None:
                findings.refuse(
                    prefix_rule,
                    here.at("image-path"),
                    "is relative but there is no valid `prefix` to resolve it against. Add `prefix`: the s3:// "
                    "URI (ending in '/') of the folder the image paths are relative to.",
                )
            else:
                uris.append(prefix.join(path))
        _check_calibration(image, here, findings)
    return tuple(uris)


def _check_calibration(image: Mapping[str, object], place: Place, findings: Findings) -> None:
    for field, rule, what in _REQUIRED_IMAGE_NUMBERS:
        if not is_number(image.get(field)):
            findings.refuse(rule, place.at(field), f"is required: {what}, a number; got {shorten(image.get(field))}.")
    check_vector(image, "position", POSITION_FIELDS, IMAGE_POSITION, place, findings)
    check_vector(image, "heading", HEADING_FIELDS, IMAGE_HEADING, place, findings)
    for field in _DISTORTION_FIELDS:
        if field in image and not is_number(image[field]):
            findings.refuse(
                IMAGE_DISTORTION, place.at(field), f"must be a number when given; got {shorten(image[field])}."
            )
    model = image.get("camera-model")
    if model is not None and model not in CAMERA_MODELS:
        findings.refuse(
            IMAGE_CAMERA_MODEL,
            place.at("camera-model"),
            f"{shorten(model)} is not a camera model. Use one of {', '.join(sorted(CAMERA_MODELS))}.",
        )
