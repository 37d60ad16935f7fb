"""Point cloud formats: the documented values, the defaults by file extension, and the size of a binary file.

Ground Truth reads a binary point cloud as packed 4-byte floats, one per field of its format per point, so a binary
file's size must be a multiple of 4 x the number of fields. The core never reads frame contents (the copy is server
side); it checks that size from the object listing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final

from gt3d_core.display import shorten
from gt3d_core.errors import ManifestFormatError
from gt3d_core.findings import Findings, Place
from gt3d_core.rules import POINT_CLOUD_BINARY_SIZE, POINT_CLOUD_FORMAT, POINT_CLOUD_FORMAT_DEFAULT
from gt3d_core.s3_location import S3Uri

POINT_CLOUD_FORMATS: Final = frozenset(
    f"{encoding}/{fields}" for encoding in ("binary", "text") for fields in ("xyz", "xyzi", "xyzrgb", "xyzirgb")
)
DEFAULT_FORMATS: Final = {".bin": "binary/xyzi", ".txt": "text/xyzi"}
"""The format Ground Truth assumes when a frame has no ``format``, by the point cloud file's extension."""
BYTES_PER_VALUE: Final = 4
MAX_LISTED_SIZE_PROBLEMS: Final = 20


@dataclass(frozen=True, slots=True)
class PointCloud:
    """One point cloud a manifest or sequence file references, the format it is read with, and who references it."""

    uri: S3Uri
    format: str | None
    origin: str


def default_format(uri: S3Uri) -> str | None:
    """Return the documented default format for ``uri``'s extension, or None when the pages give none."""
    return next((fmt for ext, fmt in DEFAULT_FORMATS.items() if uri.key.lower().endswith(ext)), None)


def check_format(value: object, point_cloud: S3Uri | None, place: Place, findings: Findings) -> str | None:
    """Return the format ``point_cloud`` is read with (``value`` or the default), recording refusals and warnings."""
    if value is None:
        if point_cloud is None:
            return None
        fmt = default_format(point_cloud)
        if fmt is None:
            findings.warn(
                POINT_CLOUD_FORMAT_DEFAULT,
                place.at("format"),
                f"is missing and {point_cloud} ends in neither .bin nor .txt, so the documentation gives no default "
                "format. Add `format` (for example binary/xyzi).",
            )
        return fmt
    if value not in POINT_CLOUD_FORMATS:
        findings.refuse(
            POINT_CLOUD_FORMAT,
            place.at("format"),
            f"{shorten(value)} is not a point cloud format. Use one of {', '.join(sorted(POINT_CLOUD_FORMATS))}.",
        )
        return None
    return str(value)


def binary_point_size(fmt: str) -> int | None:
    """Return the bytes per point of a binary format (16 for ``binary/xyzi``), or None for a text format."""
    encoding, _, fields = fmt.partition("/")
    return BYTES_PER_VALUE * len(fields) if encoding == "binary" else None


def check_point_cloud_sizes(point_clouds: Iterable[PointCloud], sizes: Mapping[S3Uri, int]) -> None:
    """Raise ``ManifestFormatError`` for binary point clouds whose size is not a whole number of packed points.

    ``sizes`` holds the object sizes from S3; point clouds without a size (outside the source location) are skipped.
    """
    problems: list[str] = []
    for cloud in sorted(point_clouds, key=lambda cloud: (str(cloud.uri), cloud.origin)):
        point_size = binary_point_size(cloud.format) if cloud.format else None
        size = sizes.get(cloud.uri)
        if point_size is None or size is None or size % point_size == 0:
            continue
        problems.append(
            f"{cloud.origin}: {cloud.uri} is {size} bytes, not a multiple of {point_size} ({cloud.format} packs "
            f"{point_size // BYTES_PER_VALUE} 4-byte floats per point)"
        )
    if not problems:
        return
    shown = problems[:MAX_LISTED_SIZE_PROBLEMS]
    more = f"; and {len(problems) - len(shown)} more" if len(problems) > len(shown) else ""
    raise ManifestFormatError(
        f"{len(problems)} binary point cloud(s) do not match their format: {'; '.join(shown)}{more}. Fix `format` "
        f"or the files; nothing was copied. {POINT_CLOUD_BINARY_SIZE.cite()}"
    )
