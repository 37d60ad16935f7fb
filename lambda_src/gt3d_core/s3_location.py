"""S3 locations and object URIs: parse, validate and relate the ``s3://`` strings the input files carry."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from gt3d_core.display import shorten
from gt3d_core.errors import InvalidRequestError

S3_SCHEME: Final = "s3://"
_BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")
MAX_KEY_BYTES: Final = 1024


def is_valid_bucket_name(name: str) -> bool:
    """Return whether ``name`` follows the S3 naming rules for general purpose buckets (3-63 chars, a-z 0-9 . -)."""
    return _BUCKET_NAME.fullmatch(name) is not None and ".." not in name


@dataclass(frozen=True, slots=True, order=True)
class S3Uri:
    """One object (or folder-like prefix) in S3, as ``s3://bucket/key``."""

    bucket: str
    key: str

    def __post_init__(self) -> None:
        if not is_valid_bucket_name(self.bucket):
            raise ValueError(f"{self.bucket!r} is not a valid S3 bucket name")
        if _CONTROL_CHARACTERS.search(self.key) or len(self.key.encode("utf-8")) > MAX_KEY_BYTES:
            raise ValueError(f"{self.key!r} is not a valid S3 key")

    @classmethod
    def parse(cls, text: str) -> S3Uri:
        """Return the URI ``text`` names; raise ``ValueError`` unless it is exactly ``s3://<valid bucket>[/<key>]``."""
        if not text.startswith(S3_SCHEME):
            raise ValueError(f"{shorten(text)} is not an s3:// URI")
        bucket, _, key = text[len(S3_SCHEME) :].partition("/")
        return cls(bucket, key)

    @classmethod
    def try_parse(cls, text: str) -> S3Uri | None:
        """Return the URI ``text`` names, or None when it is anything else (relative path, prose, other scheme)."""
        if not text.startswith(S3_SCHEME):
            return None
        try:
            return cls.parse(text)
        except ValueError:
            return None

    @property
    def is_prefix(self) -> bool:
        """True for a folder-like URI (empty key or ending in ``/``): a location, not an object to copy."""
        return not self.key or self.key.endswith("/")

    def join(self, relative: str) -> S3Uri:
        """Return the URI of ``relative`` resolved against this prefix, the way Ground Truth concatenates them."""
        return S3Uri(self.bucket, self.key + relative)

    def __str__(self) -> str:
        return f"{S3_SCHEME}{self.bucket}/{self.key}"


@dataclass(frozen=True, slots=True)
class S3Location:
    """A bucket and a key prefix (``""`` or ending in ``/``): the source, input or output location of a run."""

    bucket: str
    prefix: str

    def __post_init__(self) -> None:
        if not is_valid_bucket_name(self.bucket):
            raise ValueError(f"{self.bucket!r} is not a valid S3 bucket name")
        if self.prefix and (not self.prefix.endswith("/") or self.prefix.startswith("/")):
            raise ValueError(f"prefix {self.prefix!r} must be empty or end in '/' (and not start with '/')")
        if _CONTROL_CHARACTERS.search(self.prefix):
            raise ValueError(f"prefix {self.prefix!r} contains control characters")

    @classmethod
    def parse(cls, text: str) -> S3Location:
        """Return the location ``s3://bucket/prefix/`` names; raise ``ValueError`` when it is not one."""
        uri = S3Uri.parse(text)
        return cls(uri.bucket, uri.key)

    @classmethod
    def from_event(cls, value: object, field: str) -> S3Location:
        """Return the location in an event's ``{"bucket", "prefix"}`` object, or raise naming ``field``."""
        if not isinstance(value, Mapping):
            raise InvalidRequestError(f'`{field}` must be an object {{"bucket": str, "prefix": str}}; got {value!r}.')
        bucket, prefix = value.get("bucket"), value.get("prefix", "")
        if not isinstance(bucket, str) or not isinstance(prefix, str):
            raise InvalidRequestError(f"`{field}.bucket` and `{field}.prefix` must be strings; got {dict(value)!r}.")
        try:
            return cls(bucket, prefix)
        except ValueError as error:
            raise InvalidRequestError(f"`{field}` is not a valid S3 location: {error}.") from None

    def contains(self, uri: S3Uri) -> bool:
        """True when ``uri`` is in exactly this bucket and its key starts with this prefix."""
        return uri.bucket == self.bucket and uri.key.startswith(self.prefix)

    def relative_key(self, uri: S3Uri) -> str:
        """Return ``uri``'s key relative to this location; raise ``ValueError`` when it lies elsewhere."""
        if not self.contains(uri):
            raise ValueError(f"{uri} is not under {self}")
        return uri.key[len(self.prefix) :]

    def key(self, relative: str) -> str:
        """Return the full key of ``relative`` (a key relative to this location)."""
        return self.prefix + relative

    def uri(self, relative: str = "") -> S3Uri:
        """Return the URI of ``relative`` under this location."""
        return S3Uri(self.bucket, self.prefix + relative)

    def child(self, relative_prefix: str) -> S3Location:
        """Return the location ``relative_prefix`` (ending in ``/``) below this one."""
        return S3Location(self.bucket, self.prefix + relative_prefix)

    def overlaps(self, other: S3Location) -> bool:
        """True when one location lies inside the other, so copying between them would write into the source."""
        return self.bucket == other.bucket and (
            self.prefix.startswith(other.prefix) or other.prefix.startswith(self.prefix)
        )

    def __str__(self) -> str:
        return f"{S3_SCHEME}{self.bucket}/{self.prefix}"
