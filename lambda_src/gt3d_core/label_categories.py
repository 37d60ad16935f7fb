"""Label category configuration files: labels, label category and frame attributes, instructions, audit attribute.

Every limit is from the label category configuration page (docs/ground-truth-rules.md, ``LCC-*`` rows).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, TypeGuard

from gt3d_core.display import shorten
from gt3d_core.errors import ManifestFormatError
from gt3d_core.findings import Findings, Place
from gt3d_core.frame_data import is_int, is_number
from gt3d_core.json_text import load_json_document
from gt3d_core.references import References, pass_through
from gt3d_core.rules import (
    ADJ_AUDIT_ATTRIBUTE,
    LCC_ATTR_DESCRIPTION,
    LCC_ATTR_ENUM,
    LCC_ATTR_IS_REQUIRED,
    LCC_ATTR_NAME_LENGTH,
    LCC_ATTR_NAME_UNIQUE,
    LCC_ATTR_NUMBER_RANGE,
    LCC_ATTR_TYPE,
    LCC_ATTRS_PER_LABEL,
    LCC_DOCUMENT_VERSION,
    LCC_EDITS_ALLOWED,
    LCC_FRAME_ATTR_FIELDS,
    LCC_FRAME_ATTRS_MAX,
    LCC_FRAME_FREE_TEXT_MAX,
    LCC_FREE_TEXT_PER_LABEL,
    LCC_INSTRUCTIONS,
    LCC_INSTRUCTIONS_LENGTH,
    LCC_JSON,
    LCC_LABEL_NAME,
    LCC_LABEL_UNIQUE,
    LCC_LABELS_COUNT,
    Rule,
)

DOCUMENT_VERSION: Final = "2020-03-01"
MIN_LABELS: Final = 1
MAX_LABELS: Final = 30
MAX_LABEL_LENGTH: Final = 16
MAX_ATTRIBUTES_PER_LABEL: Final = 10
MAX_FREE_TEXT_PER_LABEL: Final = 5
MAX_FRAME_ATTRIBUTES: Final = 10
MAX_FREE_TEXT_FRAME_ATTRIBUTES: Final = 5
MAX_ATTRIBUTE_NAME_LENGTH: Final = 16
MAX_DESCRIPTION_LENGTH: Final = 128
MAX_ENUM_VALUES: Final = 10
MAX_ENUM_VALUE_LENGTH: Final = 16
ATTRIBUTE_TYPES: Final = ("string", "number")
EDITS_ALLOWED: Final = ("none", "any")
INSTRUCTION_LIMITS: Final = {"shortInstruction": 255, "fullInstruction": 2048}
"""The page says "under 255" and "under 2,048" characters; we accept up to these lengths (LCC-INSTRUCTIONS-LENGTH)."""


@dataclass(frozen=True, slots=True)
class Attribute:
    """A valid attribute's name and whether workers answer it with free text (``string`` without ``enum``)."""

    name: str
    free_text: bool


@dataclass(frozen=True, slots=True)
class LabelCategoryConfig:
    """A validated label category configuration file."""

    name: str
    labels: tuple[str, ...]
    audit_label_attribute_name: str | None
    has_category_attributes: bool
    value: Mapping[str, Any]
    warnings: tuple[str, ...] = ()

    def references(self) -> References:
        """Return the ``s3://`` objects the file names (e.g. images in instructions): pass-through, not required."""
        return References(optional=pass_through([self.value], frozenset()))


def _check_edits_allowed(holder: Mapping[str, Any], place: Place, findings: Findings) -> None:
    if "editsAllowed" in holder and holder["editsAllowed"] not in EDITS_ALLOWED:
        findings.refuse(
            LCC_EDITS_ALLOWED,
            place.at("editsAllowed"),
            f"must be one of {', '.join(map(repr, EDITS_ALLOWED))}; got {shorten(holder['editsAllowed'])}.",
        )


def _check_text(
    holder: Mapping[str, Any], key: str, limit: int, rule: Rule, place: Place, findings: Findings, what: str
) -> bool:
    """Refuse ``holder[key]`` unless it is a string of 1 to ``limit`` characters; return whether it is valid."""
    value = holder.get(key)
    if isinstance(value, str) and 1 <= len(value) <= limit:
        return True
    size = f"{len(value)} characters" if isinstance(value, str) else shorten(value)
    findings.refuse(rule, place.at(key), f"must be {what} of 1 to {limit} characters; got {size}.")
    return False


def _check_number_range(attribute: Mapping[str, Any], place: Place, findings: Findings) -> None:
    """Bounds are required for a number and allowed for nothing else ("You must specify number for type to use
    minimum and maximum"); their accepted values are "Integers"."""
    minimum, maximum = attribute.get("minimum"), attribute.get("maximum")
    if attribute.get("type") != "number":
        for key in ("minimum", "maximum"):
            if key in attribute:
                findings.refuse(LCC_ATTR_NUMBER_RANGE, place.at(key), 'is allowed only with type "number".')
        return
    if not (_is_whole(minimum) and _is_whole(maximum)):
        findings.refuse(
            LCC_ATTR_NUMBER_RANGE,
            place.at("minimum"),
            "`minimum` and `maximum` are required for a number attribute: integers, the inclusive bounds; got "
            f"{shorten(minimum)} and {shorten(maximum)}.",
        )
    elif minimum > maximum:
        findings.refuse(LCC_ATTR_NUMBER_RANGE, place.at("minimum"), f"is {minimum!r}, above `maximum` {maximum!r}.")


def _is_whole(value: object) -> TypeGuard[int | float]:
    """Whether ``value`` is an integer as JSON numbers go (``5.0`` is one)."""
    return is_int(value) or (is_number(value) and float(value).is_integer())


def _check_enum(attribute: Mapping[str, Any], place: Place, findings: Findings) -> None:
    values = attribute["enum"]
    if attribute.get("type") != "string":
        findings.refuse(LCC_ATTR_ENUM, place.at("enum"), "is allowed only for attributes of type 'string'.")
    elif not isinstance(values, list) or not 1 <= len(values) <= MAX_ENUM_VALUES:
        size = f"{len(values)} values" if isinstance(values, list) else shorten(values)
        findings.refuse(LCC_ATTR_ENUM, place.at("enum"), f"must list 1 to {MAX_ENUM_VALUES} values; got {size}.")
    else:
        for index, option in enumerate(values):
            if not isinstance(option, str) or not 1 <= len(option) <= MAX_ENUM_VALUE_LENGTH:
                findings.refuse(
                    LCC_ATTR_ENUM,
                    place.at(f"enum[{index}]"),
                    f"must be a string of 1 to {MAX_ENUM_VALUE_LENGTH} characters; got {shorten(option)}.",
                )


def _parse_attribute(attribute: object, place: Place, findings: Findings, *, frame: bool) -> Attribute | None:
    if not isinstance(attribute, dict):
        findings.refuse(LCC_ATTR_TYPE, place.at(), f"must be an attribute object; got {shorten(attribute)}.")
        return None
    if frame:
        missing = [key for key in ("name", "type", "description") if key not in attribute]
        if missing:
            findings.refuse(
                LCC_FRAME_ATTR_FIELDS,
                place.at(),
                f"is missing {', '.join(missing)}: every frame attribute needs all three.",
            )
    if frame and "name" not in attribute:
        name_valid = False  # refused above as a missing frame attribute field
    else:
        name_valid = _check_text(
            attribute, "name", MAX_ATTRIBUTE_NAME_LENGTH, LCC_ATTR_NAME_LENGTH, place, findings, "a name"
        )
    kind = attribute.get("type")
    if kind not in ATTRIBUTE_TYPES and not (frame and "type" not in attribute):
        findings.refuse(
            LCC_ATTR_TYPE,
            place.at("type"),
            f"is required: one of {', '.join(map(repr, ATTRIBUTE_TYPES))}; got {shorten(kind)}.",
        )
    _check_number_range(attribute, place, findings)
    if "enum" in attribute:
        _check_enum(attribute, place, findings)
    description = attribute.get("description")
    if "description" in attribute and not (isinstance(description, str) and len(description) <= MAX_DESCRIPTION_LENGTH):
        size = f"{len(description)} characters" if isinstance(description, str) else shorten(description)
        findings.refuse(
            LCC_ATTR_DESCRIPTION,
            place.at("description"),
            f"must be a string of at most {MAX_DESCRIPTION_LENGTH} characters; got {size}.",
        )
    if "isRequired" in attribute and not isinstance(attribute["isRequired"], bool):
        findings.refuse(
            LCC_ATTR_IS_REQUIRED,
            place.at("isRequired"),
            f"must be true or false; got {shorten(attribute['isRequired'])}.",
        )
    _check_edits_allowed(attribute, place, findings)
    if not name_valid:
        return None
    return Attribute(attribute["name"], free_text=kind == "string" and "enum" not in attribute)


def _parse_attributes(
    holder: Mapping[str, Any], key: str, list_rule: Rule, place: Place, findings: Findings, *, frame: bool = False
) -> list[Attribute]:
    """Return the valid attributes in ``holder[key]``, refusing duplicate names within the list."""
    value = holder.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        findings.refuse(list_rule, place.at(key), f"must be a list of attribute objects; got {shorten(value)}.")
        return []
    attributes = [
        parsed
        for index, attribute in enumerate(value)
        if (parsed := _parse_attribute(attribute, place.child(f"{key}[{index}]"), findings, frame=frame)) is not None
    ]
    for name, count in Counter(attribute.name for attribute in attributes).items():
        if count > 1:
            findings.refuse(
                LCC_ATTR_NAME_UNIQUE,
                place.at(key),
                f"names the attribute {name!r} {count} times; names must be unique.",
            )
    return attributes


def _check_counts(
    attributes: list[Attribute], limits: tuple[Rule, int, Rule, int], where: str, what: str, findings: Findings
) -> None:
    count_rule, max_count, free_rule, max_free = limits
    if len(attributes) > max_count:
        findings.refuse(count_rule, where, f"{what} has {len(attributes)} attributes; at most {max_count} are allowed.")
    free = sum(attribute.free_text for attribute in attributes)
    if free > max_free:
        findings.refuse(
            free_rule,
            where,
            f"{what} has {free} free-text attributes (type 'string' without `enum`); at most {max_free} are allowed.",
        )


def _parse_labels(
    value: Mapping[str, Any], global_attributes: list[Attribute], findings: Findings
) -> tuple[tuple[str, ...], bool]:
    """Return the label names and whether any label has its own attributes."""
    labels_value = value.get("labels")
    if not isinstance(labels_value, list) or not MIN_LABELS <= len(labels_value) <= MAX_LABELS:
        size = f"{len(labels_value)} labels" if isinstance(labels_value, list) else shorten(labels_value)
        findings.refuse(
            LCC_LABELS_COUNT,
            Place().at("labels"),
            f"is required: a list of {MIN_LABELS} to {MAX_LABELS} labels; got {size}.",
        )
        labels_value = labels_value if isinstance(labels_value, list) else []
    labels: list[str] = []
    global_names = {attribute.name for attribute in global_attributes}
    label_attribute_names: Counter[str] = Counter()
    for index, entry in enumerate(labels_value):
        place = Place(path=f"labels[{index}]")
        if not isinstance(entry, dict):
            findings.refuse(LCC_LABEL_NAME, place.at(), f"must be an object with `label`; got {shorten(entry)}.")
            continue
        if _check_text(entry, "label", MAX_LABEL_LENGTH, LCC_LABEL_NAME, place, findings, "a label name"):
            if entry["label"] in labels:
                findings.refuse(
                    LCC_LABEL_UNIQUE, place.at("label"), f"{entry['label']!r} appears twice; labels must be unique."
                )
            else:
                labels.append(entry["label"])
        _check_edits_allowed(entry, place, findings)
        own = _parse_attributes(entry, "categoryAttributes", LCC_ATTRS_PER_LABEL, place, findings)
        for attribute in own:
            if attribute.name in global_names:
                findings.refuse(
                    LCC_ATTR_NAME_UNIQUE,
                    place.at("categoryAttributes"),
                    f"{attribute.name!r} is also a global attribute (`categoryGlobalAttributes`); rename one of them.",
                )
        label_attribute_names.update({attribute.name for attribute in own})
        _check_counts(
            global_attributes + own,
            (LCC_ATTRS_PER_LABEL, MAX_ATTRIBUTES_PER_LABEL, LCC_FREE_TEXT_PER_LABEL, MAX_FREE_TEXT_PER_LABEL),
            place.at(),
            "the label with the global attributes",
            findings,
        )
    for name, count in sorted(label_attribute_names.items()):
        if count > 1:
            findings.warn(
                LCC_ATTR_NAME_UNIQUE,
                Place().at("labels"),
                f"{count} labels have an attribute named {name!r}; the documentation asks for unique attribute names.",
            )
    return tuple(labels), bool(label_attribute_names)


def _check_instructions(value: Mapping[str, Any], findings: Findings) -> None:
    instructions = value.get("instructions")
    if instructions is None:
        return
    place = Place(path="instructions")
    if not isinstance(instructions, dict):
        findings.refuse(LCC_INSTRUCTIONS, place.at(), f"must be an object; got {shorten(instructions)}.")
        return
    for key, limit in INSTRUCTION_LIMITS.items():
        text = instructions.get(key)
        if not isinstance(text, str):
            findings.refuse(LCC_INSTRUCTIONS, place.at(key), f"is required: a string; got {shorten(text)}.")
        elif len(text) > limit:
            findings.refuse(
                LCC_INSTRUCTIONS_LENGTH, place.at(key), f"has {len(text)} characters; at most {limit} are allowed."
            )


def _audit_attribute(value: Mapping[str, Any], findings: Findings) -> str | None:
    audit = value.get("auditLabelAttributeName")
    if audit is None:
        return None
    if not isinstance(audit, str) or not audit:
        findings.refuse(
            ADJ_AUDIT_ATTRIBUTE,
            Place().at("auditLabelAttributeName"),
            f"must be the label attribute name of the job being adjusted; got {shorten(audit)}.",
        )
        return None
    return audit


def parse_label_category_config(name: str, text: str) -> LabelCategoryConfig:
    """Return the validated label category configuration in ``text`` (one JSON document)."""
    value = load_json_document(name, text, LCC_JSON)
    if not isinstance(value, dict):
        raise ManifestFormatError(
            f"{name} must be a JSON object with `labels`; got {type(value).__name__}. {LCC_JSON.cite()}"
        )
    findings = Findings(name)
    version = value.get("documentVersion")
    if version is not None and version != DOCUMENT_VERSION:
        findings.warn(
            LCC_DOCUMENT_VERSION,
            Place().at("documentVersion"),
            f"is {shorten(version)}; every documented example uses {DOCUMENT_VERSION!r}.",
        )
    global_attributes = _parse_attributes(value, "categoryGlobalAttributes", LCC_ATTRS_PER_LABEL, Place(), findings)
    frame_attributes = _parse_attributes(value, "frameAttributes", LCC_FRAME_ATTRS_MAX, Place(), findings, frame=True)
    _check_counts(
        frame_attributes,
        (LCC_FRAME_ATTRS_MAX, MAX_FRAME_ATTRIBUTES, LCC_FRAME_FREE_TEXT_MAX, MAX_FREE_TEXT_FRAME_ATTRIBUTES),
        Place().at("frameAttributes"),
        "`frameAttributes`",
        findings,
    )
    labels, label_attributes = _parse_labels(value, global_attributes, findings)
    _check_instructions(value, findings)
    audit = _audit_attribute(value, findings)
    findings.raise_if_refused()
    return LabelCategoryConfig(
        name, labels, audit, bool(global_attributes) or label_attributes, value, findings.warnings
    )
