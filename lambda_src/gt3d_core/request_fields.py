"""Reading the execution input and ``$.plan``: JSON objects, strings and whole numbers, each refused by name."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gt3d_core.display import shorten
from gt3d_core.errors import InvalidRequestError
from gt3d_core.rules import Rule


def invalid(field: str, value: object, problem: str, fix: str, rule: Rule | None = None) -> InvalidRequestError:
    """Return the error for ``field``: its value, the rule it breaks and the fix, citing ``rule`` when documented."""
    cited = f" {rule.cite()}" if rule is not None else ""
    return InvalidRequestError(f"{field} {shorten(value)} is invalid: {problem}. {fix}{cited}")


def mapping(
    field: str, value: object, allowed: tuple[str, ...], *, required: tuple[str, ...] = ()
) -> Mapping[str, Any]:
    """Return ``value`` as a JSON object with only ``allowed`` keys and every ``required`` one."""
    if not isinstance(value, Mapping):
        raise invalid(field, value, "it must be a JSON object", f"Pass an object with the keys {', '.join(allowed)}.")
    unknown = sorted(str(key) for key in value if key not in allowed)
    if unknown:
        raise InvalidRequestError(
            f"{field} has unknown key(s) {', '.join(shorten(key, 40) for key in unknown)}. "
            f"Allowed keys: {', '.join(allowed)}. Remove or rename the unknown keys."
        )
    missing = [key for key in required if key not in value]
    if missing:
        raise InvalidRequestError(f"{field} is missing {', '.join(missing)}. Add the missing key(s).")
    return value


def string(field: str, value: object) -> str:
    """Return ``value`` if it is a string, else raise naming ``field``."""
    if not isinstance(value, str):
        raise invalid(field, value, "it must be a string", f"Give {field} as a JSON string.")
    return value


def integer(field: str, value: object, minimum: int, maximum: int, rule: Rule, why: str = "") -> int:
    """Return ``value`` if it is a whole number in ``[minimum, maximum]``, else raise citing ``rule``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid(field, value, "it must be a whole number", f"Give {field} as an integer such as {minimum}.", rule)
    if not minimum <= value <= maximum:
        raise invalid(
            field, value, f"it must be between {minimum:,} and {maximum:,}{why}", "Choose a value in that range.", rule
        )
    return value
