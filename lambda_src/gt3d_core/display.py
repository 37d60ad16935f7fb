"""How the core shows user values in messages: short enough that a megabyte-long value cannot flood an error."""

from __future__ import annotations

from typing import Final

DEFAULT_LIMIT: Final = 80


def shorten(value: object, limit: int = DEFAULT_LIMIT) -> str:
    """Return ``repr(value)``, cut to ``limit`` characters with ``...`` when longer."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 3]}..."
