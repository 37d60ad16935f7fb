"""What the input files reference: the objects Ground Truth reads (required) and pass-through URIs (optional).

Documented fields (``source-ref``, frames, images, the audited annotations) name objects Ground Truth reads, so
they must exist (``REF-EXISTS``). An ``s3://`` string in any other field is passed through unchanged
(``FRAME-PASS-THROUGH``): it is copied when it exists under the source location, never required to exist.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any, Final

from gt3d_core.json_text import iter_uri_values
from gt3d_core.point_cloud import PointCloud
from gt3d_core.rules import REF_OUTSIDE_SOURCE
from gt3d_core.s3_location import S3Location, S3Uri

MAX_LISTED_OUTSIDE: Final = 5


@dataclass(frozen=True, slots=True)
class References:
    """The sequence files to read, the objects that must exist, the pass-through objects, and the point clouds."""

    sequence_files: frozenset[S3Uri] = frozenset()
    required: frozenset[S3Uri] = frozenset()
    optional: frozenset[S3Uri] = frozenset()
    point_clouds: frozenset[PointCloud] = frozenset()

    def __or__(self, other: References) -> References:
        required = self.required | other.required
        return References(
            sequence_files=self.sequence_files | other.sequence_files,
            required=required,
            optional=(self.optional | other.optional) - required,
            point_clouds=self.point_clouds | other.point_clouds,
        )

    @property
    def objects(self) -> frozenset[S3Uri]:
        """Every data object (not sequence files): the required and the pass-through ones."""
        return self.required | self.optional

    def within(self, location: S3Location) -> References:
        """Return only the references under ``location``."""
        return References(
            frozenset(uri for uri in self.sequence_files if location.contains(uri)),
            frozenset(uri for uri in self.required if location.contains(uri)),
            frozenset(uri for uri in self.optional if location.contains(uri)),
            frozenset(cloud for cloud in self.point_clouds if location.contains(cloud.uri)),
        )

    def read_outside(self, location: S3Location) -> frozenset[S3Uri]:
        """Return the objects Ground Truth reads (sequence files, required objects) that lie outside ``location``."""
        return frozenset(uri for uri in self.sequence_files | self.required if not location.contains(uri))


def pass_through(values: Iterable[Any], documented: frozenset[S3Uri]) -> frozenset[S3Uri]:
    """Return every ``s3://`` object URI in ``values`` that is not one of the ``documented`` references."""
    return frozenset(
        uri for value in values for uri in iter_uri_values(value) if not uri.is_prefix and uri not in documented
    )


def missing_objects(references: References, existing: Collection[S3Uri]) -> tuple[S3Uri, ...]:
    """Return the objects Ground Truth reads (``REF-EXISTS``) that are not ``existing``; pass-through ones may be."""
    return tuple(sorted(uri for uri in references.required if uri not in existing))


def outside_source_warning(references: References, source: S3Location) -> str | None:
    """Return the warning for objects Ground Truth reads in place because they lie outside ``source``, if any."""
    outside = sorted(references.read_outside(source))
    if not outside:
        return None
    buckets = sorted({uri.bucket for uri in outside})
    shown = ", ".join(str(uri) for uri in outside[:MAX_LISTED_OUTSIDE])
    more = f" and {len(outside) - MAX_LISTED_OUTSIDE} more" if len(outside) > MAX_LISTED_OUTSIDE else ""
    return (
        f"{len(outside)} object(s) the inputs reference lie outside the source location {source} and are not "
        f"copied: {shown}{more}. Ground Truth reads them in place, so its role needs its own IAM grant "
        f"(s3:GetObject) on them and the bucket(s) {', '.join(buckets)} need the 3D point cloud CORS policy. "
        f"{REF_OUTSIDE_SOURCE.cite()}"
    )
