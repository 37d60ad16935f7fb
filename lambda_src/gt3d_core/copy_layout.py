"""Where the copy step leaves its lists for later steps, and when it hands the copying to a Distributed Map.

Shared by the copy handlers and the stacks (which grant access to the work location and set the inline limit), so
the two cannot disagree. Nothing that grows with the dataset travels in the execution state (256 KiB at most,
``States.DataLimitExceeded`` cannot be caught): lists go to S3, the state carries their locations and counts.
"""

from __future__ import annotations

from typing import Final

from gt3d_core.s3_location import S3Location

WORK_DIRECTORY: Final = "_gt3d-work/"
"""Under the input location, ``_gt3d-work/<execution name>/`` holds one execution's lists."""
JSON_KEYS_FILE: Final = "json-keys.json"
"""The input JSON files now at the target (a JSON array of keys): what the rewrite step rewrites."""
BATCHES_FILE: Final = "copy-batches.json"
"""The Distributed Map's items: ``[{"objects": [[relative key, ETag, size], ...]}, ...]``."""
BATCH_OBJECTS: Final = 100
"""Objects per Distributed Map item: one CopyBatch invocation each."""
DEFAULT_INLINE_COPY_LIMIT: Final = 1000
"""Up to this many objects are copied by the copy step itself; more go to the Distributed Map."""


def work_location(target: S3Location, execution_name: str) -> S3Location:
    """Return the work location of one execution under the input (target) location."""
    return target.child(f"{WORK_DIRECTORY}{execution_name}/")
