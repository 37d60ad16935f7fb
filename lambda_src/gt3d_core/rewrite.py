"""The structural rewrite: move every ``s3://`` string value under the source location to the input location.

The rewrite works on the JSON text, not on a re-serialization: only string *values* that are S3 URIs under the
source location are replaced, so numbers, key order, whitespace and line structure stay byte-for-byte the same.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from gt3d_core.display import shorten
from gt3d_core.errors import InvalidRequestError, ManifestFormatError
from gt3d_core.json_text import load_json_text
from gt3d_core.s3_location import S3Location, S3Uri

# A JSON string token, and whether it is an object key (followed by a colon). In valid JSON every '"' outside
# a string opens one, so scanning left to right with this pattern visits exactly the string tokens.
_STRING_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"(?P<colon>[ \t\n\r]*:)?')


def rewrite_uri(value: str, source: S3Location, target: S3Location) -> str | None:
    """Return ``value`` moved to ``target`` when it is an S3 URI under ``source`` (same relative key), else None."""
    uri = S3Uri.try_parse(value)
    if uri is None or not source.contains(uri):
        return None
    return str(target.uri(source.relative_key(uri)))


@dataclass(frozen=True, slots=True)
class RewriteResult:
    """The rewritten text of one file and how many URIs changed (0 means the text is unchanged)."""

    text: str
    uris: int


def rewrite_json_text(name: str, text: str, source: S3Location, target: S3Location) -> RewriteResult:
    """Return ``text`` with every string value under ``source`` moved to ``target``; nothing else changes.

    ``text`` is a JSON document or JSON Lines; it is validated first, so a broken file fails with its line number
    instead of being half-rewritten. Only exact URIs move: not object keys, not prose that mentions a URI, not
    buckets whose names merely contain the source bucket's name, not keys outside the source prefix. Idempotent,
    because ``source`` and ``target`` may not overlap.
    """
    if source.overlaps(target):
        raise InvalidRequestError(
            f"The target location {target} overlaps the source location {source}; use separate prefixes."
        )
    load_json_text(name, text)
    count = 0

    def replace(match: re.Match[str]) -> str:
        nonlocal count
        token = match.group(0)
        if match.group("colon") is not None or ("\\" not in token and not token.startswith('"s3://')):
            return token
        value = json.loads(token)
        try:
            moved = rewrite_uri(value, source, target)
        except ValueError:  # the key grows past S3's 1024 bytes under the target prefix
            raise ManifestFormatError(
                f"{name}: {shorten(value)} would be longer than S3 allows under {target}. Use a shorter target prefix."
            ) from None
        if moved is None:
            return token
        count += 1
        # Keep the file's style: an all-ASCII token stays ASCII (\u escapes), raw UTF-8 stays raw.
        return json.dumps(moved, ensure_ascii=token.isascii())

    rewritten = _STRING_TOKEN.sub(replace, text)
    return RewriteResult(text=rewritten if count else text, uris=count)
