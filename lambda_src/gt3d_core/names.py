"""Names Ground Truth checks on CreateLabelingJob: the job name, the label attribute, S3 URIs and tags.

The execution name becomes a tag value on the job, so the planner refuses one that is not a valid SageMaker tag
value before anything is copied (Step Functions allows names, e.g. with ``!`` or ``(``, that tags do not).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

from gt3d_core.catalog import TaskType
from gt3d_core.request_fields import invalid, string
from gt3d_core.rules import NAME_JOB, NAME_LABEL_ATTRIBUTE, NAME_S3_URI, TAG_KEY, TAG_VALUE

JOB_NAME_MAX_LENGTH: Final = 63
LABEL_ATTRIBUTE_NAME_MAX_LENGTH: Final = 127
S3_URI_MAX_LENGTH: Final = 1024
TAG_KEY_MAX_LENGTH: Final = 128
TAG_VALUE_MAX_LENGTH: Final = 256
JOB_NAME_PATTERN: Final = r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}"
LABEL_ATTRIBUTE_NAME_PATTERN: Final = r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,126}"
S3_URI_PATTERN: Final = r"(https|s3)://([^/]+)/?(.*)"
TAG_PATTERN: Final = r"[\p{L}\p{Z}\p{N}_.:/=+\-@]*"
RESERVED_TAG_KEY_PREFIX: Final = "aws:"
EXECUTION_TAG_KEY: Final = "gt3d:execution-name"
"""Tags each job with the execution that created it: a name clash is our own retry only if this tag matches."""

_JOB_NAME_RE = re.compile(JOB_NAME_PATTERN)
_LABEL_ATTRIBUTE_NAME_RE = re.compile(LABEL_ATTRIBUTE_NAME_PATTERN)
_S3_URI_RE = re.compile(S3_URI_PATTERN, re.DOTALL)
# Python's re has no \p{...}: TAG_PATTERN is letters, separators and numbers (Unicode categories L*, Z*, N*) and these.
_TAG_SYMBOLS: Final = frozenset("_.:/=+-@")


def _is_tag_text(text: str) -> bool:
    return all(unicodedata.category(char)[0] in "LZN" or char in _TAG_SYMBOLS for char in text)


def tag_key_problem(key: str) -> str | None:
    """Return the SageMaker tag rule ``key`` breaks, or None."""
    if not 1 <= len(key) <= TAG_KEY_MAX_LENGTH or not _is_tag_text(key):
        return f"a tag key is 1 to {TAG_KEY_MAX_LENGTH} characters matching {TAG_PATTERN}"
    if key.startswith(RESERVED_TAG_KEY_PREFIX):
        return f"a tag key must not start with {RESERVED_TAG_KEY_PREFIX!r}"
    return None


def tag_value_problem(value: str) -> str | None:
    """Return the SageMaker tag rule ``value`` breaks, or None."""
    if len(value) > TAG_VALUE_MAX_LENGTH or not _is_tag_text(value):
        return (
            f"a tag value is at most {TAG_VALUE_MAX_LENGTH} letters, digits, spaces and the characters "
            f"{' '.join(sorted(_TAG_SYMBOLS))} (pattern {TAG_PATTERN})"
        )
    return None


def validate_execution_name(value: object) -> str:
    """Return the Step Functions execution name the job is tagged with; raise unless it is a valid tag value."""
    name = string("execution_name", value)
    problem = tag_value_problem(name) if name else "it is empty"
    if problem:
        raise invalid(
            "execution_name",
            name,
            f"the labeling job is tagged {EXECUTION_TAG_KEY}=<execution name>, and {problem}",
            "Start the execution again with a name of letters, digits and - _ . : / = + @ only (or no name: "
            "Step Functions then generates a valid one).",
            TAG_VALUE,
        )
    return name


def validate_job_name(value: object, field: str = "job_name") -> str:
    """Return ``value`` if it is a valid labeling job name; raise naming the pattern otherwise."""
    name = string(field, value)
    if len(name) > JOB_NAME_MAX_LENGTH or not _JOB_NAME_RE.fullmatch(name):
        raise invalid(
            field,
            name,
            f"a labeling job name is 1-{JOB_NAME_MAX_LENGTH} letters, digits and hyphens, starting and ending with "
            f"a letter or digit (pattern {JOB_NAME_PATTERN})",
            "Choose another job_name, or leave it out to derive one from the execution start time.",
            NAME_JOB,
        )
    return name


def label_attribute_name_problem(task: TaskType, name: str) -> str | None:
    """Return the Ground Truth rule ``name`` breaks as a label attribute of ``task``, or None if it is valid."""
    if len(name) > LABEL_ATTRIBUTE_NAME_MAX_LENGTH or not _LABEL_ATTRIBUTE_NAME_RE.fullmatch(name):
        return f"a label attribute name must match {LABEL_ATTRIBUTE_NAME_PATTERN}"
    if name.endswith("-metadata"):
        return "a label attribute name must not end in -metadata"
    if task.label_attribute_needs_ref and not name.endswith("-ref"):
        return f"for {task.name} the label attribute name must end in -ref"
    if not task.label_attribute_needs_ref and name.endswith("-ref"):
        return f"for {task.name} the label attribute name must not end in -ref"
    return None


def validate_label_attribute_name(task: TaskType, name: str, field: str, fix: str) -> str:
    """Return ``name`` if it is a valid label attribute for ``task``; raise naming ``field`` and the fix."""
    problem = label_attribute_name_problem(task, name)
    if problem:
        raise invalid(field, name, problem, fix, NAME_LABEL_ATTRIBUTE)
    return name


def validate_s3_uri(field: str, uri: str) -> str:
    """Return ``uri`` if CreateLabelingJob accepts it (at most 1,024 characters, ``s3://bucket/...``)."""
    if len(uri) > S3_URI_MAX_LENGTH or not _S3_URI_RE.fullmatch(uri):
        raise invalid(
            field,
            uri,
            f"CreateLabelingJob takes an S3 URI of at most {S3_URI_MAX_LENGTH:,} characters matching {S3_URI_PATTERN}, "
            f"and this one has {len(uri):,}",
            f"Use a shorter {field} path.",
            NAME_S3_URI,
        )
    return uri


def validate_tag(key: str, value: str) -> None:
    """Raise unless ``key`` and ``value`` form a valid SageMaker tag."""
    key_problem = tag_key_problem(key)
    if key_problem:
        raise invalid("Tags[].Key", key, key_problem, "Fix the tag key.", TAG_KEY)
    value_problem = tag_value_problem(value)
    if value_problem:
        raise invalid("Tags[].Value", value, value_problem, "Fix the tag value.", TAG_VALUE)
