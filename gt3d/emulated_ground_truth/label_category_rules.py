"""The emulated Ground Truth's checks of a label category configuration file (labels, attributes, instructions).

Read from "Create a Labeling Category Configuration File with Label Category and Frame Attributes"
(``sms-label-cat-config-attributes``): its schema tables and its quota table.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from typing import Any, Final

from gt3d.emulated_ground_truth import rules
from gt3d.emulated_ground_truth.data_rules import as_number, shown
from gt3d.emulated_ground_truth.objects import ObjectStore, S3Uri
from gt3d.emulated_ground_truth.rules import Findings, Place
from gt3d_core.catalog import TaskType

DOCUMENT_VERSION: Final = "2020-03-01"
MAX_LABELS: Final = 30
MAX_NAME_LENGTH: Final = 16
"""Characters in a label name, an attribute name and an enum value."""
MAX_DESCRIPTION_LENGTH: Final = 128
MAX_ATTRIBUTES: Final = 10
"""Label category attributes per label (global ones included), and frame attributes."""
MAX_FREE_TEXT_ATTRIBUTES: Final = 5
MAX_ENUM_VALUES: Final = 10
MAX_SHORT_INSTRUCTION: Final = 255
MAX_FULL_INSTRUCTION: Final = 2048
_EDITS_ALLOWED: Final = ("none", "any")
_TYPES: Final = ("string", "number")
_SEGMENTATION_UI: Final = "PointCloudSemanticSegmentation"


@dataclass(frozen=True, slots=True)
class LabelCategories:
    """What the job takes from its label category file: its label names, in order, and the audited attribute."""

    labels: list[str]
    audited: str | None


def check_label_categories(store: ObjectStore, uri: S3Uri, task: TaskType, findings: Findings) -> LabelCategories:
    """Return the file's labels and audited attribute, recording what breaks the label category rules."""
    file = Place(str(uri))
    data = store.read(uri, "label category file")
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        findings.refuse(rules.LCC_JSON, file, f"must be one JSON object; it is not valid JSON: {error}")
        return LabelCategories([], None)
    if not isinstance(document, dict):
        findings.refuse(rules.LCC_JSON, file, f"must be one JSON object, not {shown(document)}")
        return LabelCategories([], None)
    version = document.get("documentVersion", DOCUMENT_VERSION)
    if version != DOCUMENT_VERSION:
        findings.warn(
            rules.LCC_DOCUMENT_VERSION,
            file.at("documentVersion"),
            f"is {shown(version)}; every documented example has {DOCUMENT_VERSION!r}",
        )
    labels = _check_labels(document.get("labels"), file.at("labels"), findings)
    global_attributes = _attribute_list(document, "categoryGlobalAttributes", file, findings)
    _check_attributes(global_attributes, file.at("categoryGlobalAttributes"), findings, frame=False)
    _check_label_attributes(labels, global_attributes, file.at("labels"), findings)
    frame_attributes = _attribute_list(document, "frameAttributes", file, findings)
    _check_attributes(frame_attributes, file.at("frameAttributes"), findings, frame=True)
    _check_counts(
        frame_attributes, file.at("frameAttributes"), rules.LCC_FRAME_ATTRS_MAX, rules.LCC_FRAME_FREE_TEXT_MAX, findings
    )
    _check_instructions(document, file, findings)
    if task.ui_name == _SEGMENTATION_UI and (global_attributes or any(_label_attributes(label) for _, label in labels)):
        findings.warn(
            rules.LCC_SS_NO_CATEGORY_ATTRS,
            file,
            f"has label category attributes, which {task.name} does not support: workers will not see them",
        )
    return LabelCategories(
        [label["label"] for _, label in labels if isinstance(label.get("label"), str)],
        _audited(document, task, file, findings),
    )


def _check_labels(labels: Any, place: Place, findings: Findings) -> list[tuple[int, dict[str, Any]]]:
    """Record what breaks the label rules; return the label objects with their index."""
    if (
        not isinstance(labels, list)
        or not 1 <= len(labels) <= MAX_LABELS
        or not all(isinstance(x, dict) for x in labels)
    ):
        count = f"{len(labels)} items" if isinstance(labels, list) else shown(labels)
        findings.refuse(
            rules.LCC_LABELS_COUNT, place, f"is required: a list of 1 to {MAX_LABELS} label objects, got {count}"
        )
    listed = labels if isinstance(labels, list) else []
    objects = [(index, label) for index, label in enumerate(listed) if isinstance(label, dict)]
    names = Counter(label.get("label") for _, label in objects if isinstance(label.get("label"), str))
    for index, label in objects:
        name = label.get("label")
        if not isinstance(name, str) or not 1 <= len(name) <= MAX_NAME_LENGTH:
            findings.refuse(
                rules.LCC_LABEL_NAME,
                place.at(f"[{index}]").at("label"),
                f"is required: a string of 1 to {MAX_NAME_LENGTH} characters, got {shown(name)}",
            )
        elif names[name] > 1:
            findings.refuse(
                rules.LCC_LABEL_UNIQUE, place.at(f"[{index}]").at("label"), f"{name!r} is listed {names[name]} times"
            )
        _check_edits_allowed(label, place.at(f"[{index}]"), findings)
    return objects


def _attribute_list(holder: dict[str, Any], key: str, place: Place, findings: Findings) -> list[dict[str, Any]]:
    value = holder.get(key, [])
    if isinstance(value, list) and all(isinstance(item, dict) for item in value):
        return value
    # No row covers the shape of the list itself; the schema says "A list of JSON objects".
    findings.refuse_unlisted(
        place.at(key), f"must be a list of JSON objects, got {shown(value)}", rules.LABEL_CATEGORY_PAGE
    )
    return []


def _label_attributes(label: dict[str, Any]) -> list[dict[str, Any]]:
    value = label.get("categoryAttributes", [])
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _check_label_attributes(
    labels: list[tuple[int, dict[str, Any]]], global_attributes: list[dict[str, Any]], place: Place, findings: Findings
) -> None:
    global_names = {attribute.get("name") for attribute in global_attributes}
    owners: dict[str, int] = {}
    for index, label in labels:
        where = place.at(f"[{index}]")
        attributes = _attribute_list(label, "categoryAttributes", where, findings)
        _check_attributes(attributes, where.at("categoryAttributes"), findings, frame=False)
        for number, attribute in enumerate(attributes):
            name = attribute.get("name")
            if not isinstance(name, str):
                continue
            at = where.at(f"categoryAttributes[{number}]").at("name")
            if name in global_names:
                findings.refuse(rules.LCC_ATTR_NAME_UNIQUE, at, f"{name!r} is also the name of a global attribute")
            elif owners.setdefault(name, index) != index:
                findings.warn(
                    rules.LCC_ATTR_NAME_UNIQUE,
                    at,
                    f"{name!r} is also an attribute of labels[{owners[name]}]; the page asks for unique names",
                )
        _check_counts(
            [*global_attributes, *attributes], where, rules.LCC_ATTRS_PER_LABEL, rules.LCC_FREE_TEXT_PER_LABEL, findings
        )


def _is_free_text(attribute: dict[str, Any]) -> bool:
    return attribute.get("type") == "string" and "enum" not in attribute


def _check_counts(
    attributes: list[dict[str, Any]], place: Place, total: rules.Rule, free_text: rules.Rule, findings: Findings
) -> None:
    if len(attributes) > MAX_ATTRIBUTES:
        findings.refuse(total, place, f"has {len(attributes)} attributes; at most {MAX_ATTRIBUTES} are allowed")
    free = sum(1 for attribute in attributes if _is_free_text(attribute))
    if free > MAX_FREE_TEXT_ATTRIBUTES:
        findings.refuse(
            free_text,
            place,
            f"has {free} free-text attributes (type string without enum); at most {MAX_FREE_TEXT_ATTRIBUTES} are "
            "allowed",
        )


def _check_attributes(attributes: list[dict[str, Any]], place: Place, findings: Findings, *, frame: bool) -> None:
    names = Counter(attribute.get("name") for attribute in attributes if isinstance(attribute.get("name"), str))
    for index, attribute in enumerate(attributes):
        where = place.at(f"[{index}]")
        _check_attribute(attribute, where, findings, frame=frame)
        name = attribute.get("name")
        if isinstance(name, str) and names[name] > 1:
            findings.refuse(rules.LCC_ATTR_NAME_UNIQUE, where.at("name"), f"{name!r} is listed {names[name]} times")


def _check_attribute(attribute: dict[str, Any], place: Place, findings: Findings, *, frame: bool) -> None:
    required = ("name", "type", "description") if frame else ()
    missing = [key for key in required if key not in attribute]
    if missing:
        findings.refuse(
            rules.LCC_FRAME_ATTR_FIELDS,
            place,
            f"lacks {', '.join(missing)}: a frame attribute needs name, type and description",
        )
    name = attribute.get("name")
    # A frame attribute without a name or type was refused as a whole above; a label attribute is refused here.
    valid_name = isinstance(name, str) and 1 <= len(name) <= MAX_NAME_LENGTH
    if ("name" in attribute or not frame) and not valid_name:
        findings.refuse(
            rules.LCC_ATTR_NAME_LENGTH,
            place.at("name"),
            f"is required: a string of 1 to {MAX_NAME_LENGTH} characters, got {shown(name)}",
        )
    kind = attribute.get("type")
    if ("type" in attribute or not frame) and kind not in _TYPES:
        findings.refuse(rules.LCC_ATTR_TYPE, place.at("type"), f'is required: "string" or "number", got {shown(kind)}')
    if "description" in attribute:
        description = attribute["description"]
        if not isinstance(description, str) or len(description) > MAX_DESCRIPTION_LENGTH:
            length = f"{len(description)} characters" if isinstance(description, str) else shown(description)
            findings.refuse(
                rules.LCC_ATTR_DESCRIPTION,
                place.at("description"),
                f"must be a string of at most {MAX_DESCRIPTION_LENGTH} characters, got {length}",
            )
    _check_number_range(attribute, place, findings)
    _check_enum(attribute, place, findings)
    if "isRequired" in attribute and not isinstance(attribute["isRequired"], bool):
        findings.refuse(
            rules.LCC_ATTR_IS_REQUIRED,
            place.at("isRequired"),
            f"must be a boolean, got {shown(attribute['isRequired'])}",
        )
    _check_edits_allowed(attribute, place, findings)


def _check_number_range(attribute: dict[str, Any], place: Place, findings: Findings) -> None:
    keys = ("minimum", "maximum")
    if attribute.get("type") != "number":
        # "You must specify "number" for type to use minimum and maximum."
        for key in keys:
            if key in attribute:
                findings.refuse(rules.LCC_ATTR_NUMBER_RANGE, place.at(key), 'is only allowed with type "number"')
        return
    low, high = (_integer(attribute.get(key)) for key in keys)
    for key, bound in zip(keys, (low, high), strict=True):
        if bound is None:
            findings.refuse(
                rules.LCC_ATTR_NUMBER_RANGE,
                place.at(key),
                f'is required for type "number": an integer (inclusive bound), got {shown(attribute.get(key))}',
            )
    if low is not None and high is not None and low > high:
        findings.refuse(rules.LCC_ATTR_NUMBER_RANGE, place.at("minimum"), f"{low:g} is greater than maximum {high:g}")


def _integer(value: Any) -> float | None:
    """Return a bound that is a JSON integer (the schema's accepted values are "Integers"; 5.0 is one), else None."""
    number = as_number(value)
    return number if number is not None and number.is_integer() else None


def _check_enum(attribute: dict[str, Any], place: Place, findings: Findings) -> None:
    if "enum" not in attribute:
        return
    values = attribute["enum"]
    if attribute.get("type") == "number":
        findings.refuse(rules.LCC_ATTR_ENUM, place.at("enum"), 'is only allowed with type "string"')
    if (
        not isinstance(values, list)
        or not 1 <= len(values) <= MAX_ENUM_VALUES
        or not all(isinstance(value, str) and 1 <= len(value) <= MAX_NAME_LENGTH for value in values)
    ):
        findings.refuse(
            rules.LCC_ATTR_ENUM,
            place.at("enum"),
            f"must list 1 to {MAX_ENUM_VALUES} strings of 1 to {MAX_NAME_LENGTH} characters, got {shown(values)}",
        )


def _check_edits_allowed(holder: dict[str, Any], place: Place, findings: Findings) -> None:
    if "editsAllowed" in holder and holder["editsAllowed"] not in _EDITS_ALLOWED:
        findings.refuse(
            rules.LCC_EDITS_ALLOWED,
            place.at("editsAllowed"),
            f'is {shown(holder["editsAllowed"])}; it must be "none" or "any"',
        )


def _check_instructions(document: dict[str, Any], file: Place, findings: Findings) -> None:
    if "instructions" not in document:
        return
    instructions = document["instructions"]
    place = file.at("instructions")
    if not isinstance(instructions, dict):
        findings.refuse(rules.LCC_INSTRUCTIONS, place, f"must be an object, got {shown(instructions)}")
        return
    for key, limit in (("shortInstruction", MAX_SHORT_INSTRUCTION), ("fullInstruction", MAX_FULL_INSTRUCTION)):
        text = instructions.get(key)
        if not isinstance(text, str):
            findings.refuse(rules.LCC_INSTRUCTIONS, place.at(key), f"is required: a string, got {shown(text)}")
        elif len(text) > limit:
            # The page says "under" 255 and 2,048 characters; read as "at most".
            findings.refuse(
                rules.LCC_INSTRUCTIONS_LENGTH,
                place.at(key),
                f"has {len(text)} characters; at most {limit:,} are allowed",
            )


def _audited(document: dict[str, Any], task: TaskType, file: Place, findings: Findings) -> str | None:
    """Return ``auditLabelAttributeName`` when usable, recording [ADJ-AUDIT-ATTRIBUTE]."""
    audited = document.get("auditLabelAttributeName")
    place = file.at("auditLabelAttributeName")
    if task.is_adjustment:
        if isinstance(audited, str) and audited:
            return audited
        findings.refuse(
            rules.ADJ_AUDIT_ATTRIBUTE,
            place,
            f"is required for {task.name}: the LabelAttributeName of the job whose labels are adjusted, got "
            f"{shown(audited)}",
        )
    elif audited is not None:
        findings.warn(
            rules.ADJ_AUDIT_ATTRIBUTE, place, f"is only for adjustment and verification jobs; {task.name} ignores it"
        )
    return None
