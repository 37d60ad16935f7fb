"""S3's copy-source precondition for moto: CopyObject and UploadPartCopy refuse a source whose ETag changed.

The copy step pins every copy to the version it checked with ``x-amz-copy-source-if-match``, which S3 answers with
``412 PreconditionFailed`` when the source's ETag no longer matches
(https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html,
https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPartCopy.html). moto 5.2 checks only the ``if-none-match``
header there, so without this a changed source would be copied silently in the local run and the tests.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from typing import Any, Final
from unittest import mock
from urllib.parse import parse_qs, unquote, urlparse

from moto.s3.exceptions import PreconditionFailed
from moto.s3.responses import S3Response

_IF_MATCH: Final = "x-amz-copy-source-if-match"


@contextlib.contextmanager
def copy_source_preconditions() -> Iterator[None]:
    """While active, moto's CopyObject and UploadPartCopy enforce ``x-amz-copy-source-if-match``."""
    with contextlib.ExitStack() as stack:
        for name in ("copy_object", "upload_part_copy"):
            original = getattr(S3Response, name)
            stack.enter_context(mock.patch.object(S3Response, name, _checking_if_match(original)))
        yield


def _checking_if_match(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def checked(response: S3Response, *args: Any, **kwargs: Any) -> Any:
        expected = response.headers.get(_IF_MATCH)
        if expected is not None:
            source = response.headers.get("x-amz-copy-source")
            if isinstance(source, bytes):
                source = source.decode()
            parsed = urlparse(str(source))
            bucket, key = unquote(parsed.path).lstrip("/").split("/", 1)
            version = parse_qs(parsed.query).get("versionId", [None])[0]
            current = response.backend.get_object(bucket, key, version_id=version)
            if current is not None and current.etag.strip('"') != str(expected).strip('"'):
                raise PreconditionFailed(failed_condition="x-amz-copy-source-If-Match")
        return method(response, *args, **kwargs)

    return checked
