"""Lambda: copy a labeling job's inputs, and everything they reference, from the source to the input location.

Copies the manifest, the label category file and the transitive closure of the objects they reference (sequence
files, then the frames and images those name, prior-job outputs, ...) that lie under the source location, to the
same relative keys under the target location. Everything is checked before anything is copied: the JSON files
are validated, and a missing object fails the run with nothing written.

Copies are server side (``s3_objects.copy_one``: one CopyObject, or a multipart copy for large objects); only the
JSON files are read, to find what they reference. A re-run skips every object whose target already came from the
same source version, told from two listings (same ETag, or same size and written after the source changed) or, for
the JSON files the rewrite changes and for multipart copies, from the source ETag recorded in the copy's metadata
(``x-amz-meta-gt3d-source-etag``).

Every documented Ground Truth input rule (docs/ground-truth-rules.md) is enforced here, before the first copy.
Objects referenced *outside* the source location are neither copied nor checked: they stay where they are and
Ground Truth reads them in place (the rewrite leaves their URIs alone), so its role needs read access to them and
their bucket the CORS policy; the result's ``warnings`` say so. ``s3://`` strings in fields the documentation does
not define are copied when they exist and never required to.
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, TypeVar

import boto3
from aws_lambda_powertools.utilities.typing import LambdaContext
from boto3.s3.transfer import TransferConfig
from botocore.exceptions import ClientError
from handler_support import aws_error_policy, is_access_denied, is_not_found, logger, object_attributes, sdk_config
from s3_objects import (
    DEFAULT_TRANSFER_CONFIG,
    SOURCE_ETAG_METADATA_KEY,
    SourceObject,
    Stat,
    copy_one,
    is_current_copy,
    is_marked,
    listed_stat,
    normalize_etag,
    run_all,
    stat_keys,
)

from gt3d_core.adjustment import check_task_fit
from gt3d_core.catalog import TASK_TYPES, TaskType, task_type
from gt3d_core.copy_layout import (
    BATCH_OBJECTS,
    BATCHES_FILE,
    DEFAULT_INLINE_COPY_LIMIT,
    JSON_KEYS_FILE,
    work_location,
)
from gt3d_core.errors import InvalidRequestError, MissingObjectsError
from gt3d_core.findings import cap_warnings
from gt3d_core.json_text import STREAM_CHUNK_BYTES, decode_json_bytes
from gt3d_core.label_categories import parse_label_category_config
from gt3d_core.labeling_job import validate_relative_path
from gt3d_core.manifest import parse_manifest_stream
from gt3d_core.point_cloud import check_point_cloud_sizes
from gt3d_core.references import References, missing_objects, outside_source_warning
from gt3d_core.rules import MANIFEST_JSON_LINES, REF_EXISTS
from gt3d_core.s3_location import S3Location, S3Uri
from gt3d_core.sequence_file import parse_sequence_file

if TYPE_CHECKING:
    from botocore.response import StreamingBody
    from mypy_boto3_s3 import S3Client

MAX_WORKERS: Final = 16
_EXECUTION_NAME: Final = re.compile(r"[^\s<>{}\[\]?*\"#%\\^|~`$&,;:/]{1,80}")
"""Step Functions' execution name rules (a name is also a key segment of the work location)."""
MAX_LISTED_MISSING: Final = 20
_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class CopyRequest:
    """What to copy: the source and target locations and the two input files, relative to the source prefix."""

    source: S3Location
    target: S3Location
    manifest: str
    label_category_config: str
    task_type: TaskType
    label_attribute_name: str
    execution_name: str

    @property
    def work(self) -> S3Location:
        """Where this execution's copy leaves its lists for later steps (the JSON files to rewrite, copy batches)."""
        return work_location(self.target, self.execution_name)

    @classmethod
    def from_event(cls, event: object) -> CopyRequest:
        """Parse the state machine's payload; raise ``InvalidRequestError`` saying which field is wrong and how."""
        if not isinstance(event, Mapping):
            raise InvalidRequestError(
                'The copy event must be an object {"task_type", "label_attribute_name", "source", "target", '
                '"manifest", "label_category_config"}.'
            )
        source = S3Location.from_event(event.get("source"), "source")
        target = S3Location.from_event(event.get("target"), "target")
        if source.overlaps(target):
            raise InvalidRequestError(
                f"The target location {target} overlaps the source location {source}. Copy to a separate prefix "
                "(the source is only ever read)."
            )
        name = event.get("task_type")
        if not isinstance(name, str):
            raise InvalidRequestError(f"`task_type` must be the task type's name; got {name!r}.")
        label_attribute_name = event.get("label_attribute_name")
        if not isinstance(label_attribute_name, str):
            raise InvalidRequestError(f"`label_attribute_name` must be a string; got {label_attribute_name!r}.")
        execution_name = event.get("execution_name")
        if not isinstance(execution_name, str) or not _EXECUTION_NAME.fullmatch(execution_name):
            raise InvalidRequestError(f"`execution_name` must be the execution's name; got {execution_name!r}.")
        return cls(
            source=source,
            target=target,
            manifest=_relative_key(event, "manifest"),
            label_category_config=_relative_key(event, "label_category_config"),
            task_type=task_type(name),
            label_attribute_name=label_attribute_name,
            execution_name=execution_name,
        )


_PATH_EXAMPLES: Final = {
    "manifest": TASK_TYPES[0].demo_manifest,
    "label_category_config": TASK_TYPES[0].demo_label_category_config,
}


def _relative_key(event: Mapping[str, Any], field: str) -> str:
    return validate_relative_path(field, event.get(field), example=_PATH_EXAMPLES[field])


@dataclass(frozen=True, slots=True)
class CopyResult:
    """What one run did. Only counts and S3 locations: nothing that grows with the dataset travels in the state.

    ``json_keys`` is where the list of input JSON files now at the target (copied or skipped) was written, for the
    rewrite; ``batches`` where the copy batches for the workflow's Distributed Map were written: ``batch_count``
    batches of ``scheduled`` objects when there was too much to copy in this invocation, none otherwise. The shape
    is the same either way, so the state's size does not depend on the path. ``warnings`` lists data that was
    accepted but probably will not do what the user wants (capped, with a count).
    """

    copied: int
    scheduled: int
    skipped: int
    bytes: int
    json_files: int
    json_keys: S3Uri
    batches: S3Uri
    batch_count: int = 0
    warnings: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """Return the handler's response (docs/architecture.md)."""
        return {
            "copied": self.copied,
            "scheduled": self.scheduled,
            "skipped": self.skipped,
            "bytes": self.bytes,
            "json_files": self.json_files,
            "json_keys": _object_dict(self.json_keys),
            "batches": {**_object_dict(self.batches), "count": self.batch_count},
            "warnings": list(self.warnings),
        }


def _object_dict(uri: S3Uri) -> dict[str, str]:
    return {"bucket": uri.bucket, "key": uri.key}


@dataclass(frozen=True, slots=True)
class _Inputs:
    """The validated input JSON files, what they reference, the sequence files missing, and the warnings."""

    json_objects: Mapping[str, SourceObject]
    references: References
    missing: tuple[S3Uri, ...]
    warnings: tuple[str, ...]


@functools.cache
def _s3_client() -> S3Client:
    # Enough pooled connections for the worker threads and the transfer manager's part copies.
    return boto3.client("s3", config=sdk_config(max_pool_connections=MAX_WORKERS * 4))


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Copy (or plan the batches of) the inputs the event names and everything they reference; return counts and
    where the JSON files to rewrite and the copy batches were listed."""
    request = CopyRequest.from_event(event)
    inline_limit = int(os.environ.get("INLINE_COPY_LIMIT", DEFAULT_INLINE_COPY_LIMIT))
    with aws_error_policy():
        result = copy_data(_s3_client(), request, inline_limit=inline_limit)
    return result.as_dict()


def copy_data(
    s3: S3Client,
    request: CopyRequest,
    *,
    transfer_config: TransferConfig = DEFAULT_TRANSFER_CONFIG,
    max_workers: int = MAX_WORKERS,
    inline_limit: int = DEFAULT_INLINE_COPY_LIMIT,
) -> CopyResult:
    """Validate the inputs, check every referenced object exists, then copy what the target lacks.

    Raises ``ManifestFormatError`` for invalid inputs and ``MissingObjectsError`` for missing objects, in both
    cases before anything is copied.
    """
    source, target = request.source, request.target
    with ThreadPoolExecutor(max_workers=max_workers) as pool:
        inputs = _read_inputs(s3, request, pool)
        within = inputs.references.within(source)
        data_keys = sorted({source.relative_key(uri) for uri in within.objects} - set(inputs.json_objects))
        stats = stat_keys(s3, source.bucket, [source.key(key) for key in data_keys], pool)
        existing = {source.uri(key) for key in data_keys if source.key(key) in stats}
        missing = [*inputs.missing, *missing_objects(within, existing)]
        if missing:
            raise MissingObjectsError(_missing_message(request, missing))
        present = [key for key in data_keys if source.uri(key) in existing]  # pass-through URIs may name nothing
        check_point_cloud_sizes(within.point_clouds, {source.uri(key): stats[source.key(key)].size for key in present})
        objects = [
            *inputs.json_objects.values(),
            *(_data_object(key, stats[source.key(key)]) for key in present),
        ]
        to_copy = _needing_copy(s3, target, objects, pool, transfer_config)
        outside = outside_source_warning(inputs.references, source)
        warnings = (*inputs.warnings, *([outside] if outside else []))
        logger.info(
            "Copy planned",
            extra={"source": str(source), "target": str(target), "objects": len(objects), "to_copy": len(to_copy)},
        )
        if warnings:
            logger.warning("Inputs accepted with warnings", extra={"warnings": len(warnings)})
        inline = len(to_copy) <= inline_limit
        if inline:
            run_all(pool, lambda item: copy_one(s3, request.source, request.target, item, transfer_config), to_copy)
    json_keys = _put_json(s3, request.work.uri(JSON_KEYS_FILE), [target.key(key) for key in inputs.json_objects])
    batches = _put_json(s3, request.work.uri(BATCHES_FILE), [] if inline else copy_batches(to_copy))
    result = CopyResult(
        copied=len(to_copy) if inline else 0,
        scheduled=0 if inline else len(to_copy),
        skipped=len(objects) - len(to_copy),
        bytes=sum(item.size for item in to_copy),
        json_files=len(inputs.json_objects),
        json_keys=json_keys,
        batches=batches,
        batch_count=0 if inline else -(-len(to_copy) // BATCH_OBJECTS),
        warnings=cap_warnings(warnings),
    )
    logger.info("Copy finished", extra={"copied": result.copied, "skipped": result.skipped, "bytes": result.bytes})
    return result


def _read_inputs(s3: S3Client, request: CopyRequest, pool: ThreadPoolExecutor) -> _Inputs:
    """Fetch and validate the manifest, label categories and sequence files, and check they fit the task type.

    The manifest is validated as it downloads, line by line, once both files are known to exist.
    """
    source = request.source
    inputs: dict[str, SourceObject] = {}
    inputs[request.manifest], manifest_body = _existing(
        _get_object(s3, source, request.manifest), source, request.manifest, "manifest"
    )
    with closing(manifest_body):
        inputs[request.label_category_config], categories_text = _existing(
            _get_json(s3, source, request.label_category_config),
            source,
            request.label_category_config,
            "label category file",
        )
        manifest = parse_manifest_stream(
            str(source.uri(request.manifest)), manifest_body.iter_chunks(STREAM_CHUNK_BYTES), request.task_type
        )
    categories = parse_label_category_config(str(source.uri(request.label_category_config)), categories_text)
    fit_warnings = check_task_fit(
        request.task_type, manifest, categories, label_attribute_name=request.label_attribute_name
    )
    references = manifest.references(categories.audit_label_attribute_name) | categories.references()
    warnings = [*manifest.warnings, *categories.warnings, *fit_warnings]

    missing: list[S3Uri] = []
    sequence_keys = sorted(
        {source.relative_key(uri) for uri in references.sequence_files if source.contains(uri)} - set(inputs)
    )

    def load_sequence(key: str) -> tuple[SourceObject, References, tuple[str, ...]] | None:
        # Parsed in the worker, so only the (small) references outlive the file's text.
        fetched = _get_json(s3, source, key)
        if fetched is None:
            return None
        item, text = fetched
        sequence = parse_sequence_file(str(source.uri(key)), text)
        return item, sequence.references(), sequence.warnings

    for key, loaded in zip(sequence_keys, run_all(pool, load_sequence, sequence_keys), strict=True):
        if loaded is None:
            missing.append(source.uri(key))
            continue
        inputs[key], sequence_references, sequence_warnings = loaded
        references = references | sequence_references
        warnings.extend(sequence_warnings)
    return _Inputs(inputs, references, tuple(missing), tuple(warnings))


def _existing(fetched: _T | None, source: S3Location, relative_key: str, what: str) -> _T:
    """Return the fetched input file ``what``, or raise ``MissingObjectsError`` saying it does not exist."""
    if fetched is None:
        raise MissingObjectsError(
            f"The {what} {source.uri(relative_key)} does not exist. Its path is relative to the source location "
            f"{source}; check the path (and the source location) and start a new execution. {REF_EXISTS.cite()}"
        )
    return fetched


def _get_object(s3: S3Client, location: S3Location, relative_key: str) -> tuple[SourceObject, StreamingBody] | None:
    """Start reading one input file: return it and its body to read; None when it does not exist."""
    bucket, key = location.bucket, location.key(relative_key)
    try:
        response = s3.get_object(Bucket=bucket, Key=key)
    except ClientError as error:
        # Without an s3:ListBucket that covers a GetObject (one conditioned on s3:prefix does not), S3 answers a
        # missing key with 403: the listing, which the prefix grant does cover, tells a missing file from a denial.
        if is_not_found(error) or (is_access_denied(error) and listed_stat(s3, bucket, key, denied=error) is None):
            return None
        raise
    item = SourceObject(
        relative_key=relative_key,
        etag=normalize_etag(response["ETag"]),
        size=response["ContentLength"],
        last_modified=response["LastModified"],
        attributes=object_attributes(response),
    )
    return item, response["Body"]


def _get_json(s3: S3Client, location: S3Location, relative_key: str) -> tuple[SourceObject, str] | None:
    """Read one small JSON input file (label categories, a sequence file) whole; None when it does not exist."""
    fetched = _get_object(s3, location, relative_key)
    if fetched is None:
        return None
    item, body = fetched
    return item, decode_json_bytes(str(location.uri(relative_key)), body.read(), MANIFEST_JSON_LINES)


def _needing_copy(
    s3: S3Client, target: S3Location, objects: list[SourceObject], pool: ThreadPoolExecutor, config: TransferConfig
) -> list[SourceObject]:
    """Return the objects whose target copy is absent or did not come from the same source version."""
    stats = stat_keys(s3, target.bucket, [target.key(item.relative_key) for item in objects], pool)
    to_copy: list[SourceObject] = []
    undecided: list[SourceObject] = []
    for item in objects:
        copy = stats.get(target.key(item.relative_key))
        current = False if copy is None else is_current_copy(item, copy, marked=is_marked(item, config))
        if current is None:
            undecided.append(item)  # rewritten, or multipart-copied: ask its marker
        elif not current:
            to_copy.append(item)

    def came_from_same_version(item: SourceObject) -> bool:
        try:
            response = s3.head_object(Bucket=target.bucket, Key=target.key(item.relative_key))
        except ClientError as error:
            if is_not_found(error):
                return False
            raise
        return response.get("Metadata", {}).get(SOURCE_ETAG_METADATA_KEY) == item.etag

    for item, same in zip(undecided, run_all(pool, came_from_same_version, undecided), strict=True):
        if not same:
            to_copy.append(item)
    return to_copy


def _data_object(relative_key: str, stat: Stat) -> SourceObject:
    return SourceObject(relative_key, stat.etag, stat.size, stat.last_modified)


def copy_batches(objects: list[SourceObject]) -> list[dict[str, Any]]:
    """Return the Distributed Map's items: ``{"objects": [[relative key, ETag, size], ...]}`` of BATCH_OBJECTS each."""
    rows = [[item.relative_key, item.etag, item.size] for item in objects]
    return [{"objects": rows[start : start + BATCH_OBJECTS]} for start in range(0, len(rows), BATCH_OBJECTS)]


def _put_json(s3: S3Client, uri: S3Uri, document: Any) -> S3Uri:
    s3.put_object(Bucket=uri.bucket, Key=uri.key, Body=json.dumps(document).encode(), ContentType="application/json")
    return uri


def _missing_message(request: CopyRequest, missing: list[S3Uri]) -> str:
    shown = sorted(missing)[:MAX_LISTED_MISSING]
    more = f" and {len(missing) - len(shown)} more" if len(missing) > len(shown) else ""
    return (
        f"{len(missing)} object(s) that {request.manifest} and the files it references need do not exist under "
        f"{request.source} (or, where listing the bucket is denied, cannot be read): "
        f"{', '.join(str(uri) for uri in shown)}{more}. Upload them or fix the references; nothing was copied. "
        f"{REF_EXISTS.cite()}"
    )
