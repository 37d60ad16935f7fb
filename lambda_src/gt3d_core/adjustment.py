"""Whether the manifest and label categories fit the task type: manifest shape and the adjustment-job rules.

An adjustment job audits the labels of an earlier job: its label category file names that job's label attribute
(``auditLabelAttributeName``), its manifest lines carry those labels, and it keeps that job's labels.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from gt3d_core.catalog import TaskType
from gt3d_core.errors import InvalidRequestError, ManifestFormatError
from gt3d_core.findings import Findings, Place
from gt3d_core.label_categories import LabelCategoryConfig
from gt3d_core.manifest import Manifest
from gt3d_core.rules import (
    ADJ_AUDIT_ATTRIBUTE,
    ADJ_LABEL_ATTRIBUTE_DIFFERENT,
    ADJ_MANIFEST_LINES,
    ADJ_SAME_LABELS,
    LCC_SS_NO_CATEGORY_ATTRS,
)

BACKGROUND_CLASS: Final = "background"
"""Semantic segmentation outputs list a background class in `color-map` that is not one of the job's labels."""


def check_task_fit(
    task: TaskType, manifest: Manifest, categories: LabelCategoryConfig, *, label_attribute_name: str
) -> tuple[str, ...]:
    """Raise when the inputs cannot work for ``task``; return the warnings about what they will not do.

    Adjustment jobs need ``auditLabelAttributeName``, a new label attribute name, manifest lines that carry the
    audited labels (lines without them fail individually: a warning) and the original job's labels.
    """
    category_findings = Findings(categories.name)
    if categories.has_category_attributes and task.name.endswith("SemanticSegmentation"):
        category_findings.warn(
            LCC_SS_NO_CATEGORY_ATTRS,
            Place().at("categoryAttributes"),
            f"{task.name} does not support label category attributes; Ground Truth ignores them.",
        )
    audit = categories.audit_label_attribute_name
    if not task.is_adjustment:
        if audit is not None:
            category_findings.warn(
                ADJ_AUDIT_ATTRIBUTE,
                Place().at("auditLabelAttributeName"),
                f"is only for adjustment and verification jobs; {task.name} ignores it. Remove it.",
            )
        return category_findings.warnings
    if audit is None:
        raise ManifestFormatError(
            f"{categories.name} has no `auditLabelAttributeName`, which {task.name} requires. Set it to the label "
            f"attribute name of the labeling job whose labels are being adjusted. {ADJ_AUDIT_ATTRIBUTE.cite()}"
        )
    if label_attribute_name == audit:
        raise InvalidRequestError(
            f"The adjustment job's label attribute {audit!r} is the `auditLabelAttributeName` of {categories.name}, "
            "the attribute holding the labels being adjusted; Ground Truth needs a new one. Choose another job_name "
            f"(the label attribute is derived from it). {ADJ_LABEL_ATTRIBUTE_DIFFERENT.cite()}"
        )
    manifest_findings = Findings(manifest.name)
    _check_audited_lines(manifest, audit, categories.name, manifest_findings)
    _check_same_labels(manifest, audit, categories, category_findings)
    category_findings.raise_if_refused()
    return manifest_findings.warnings + category_findings.warnings


def _check_audited_lines(manifest: Manifest, audit: str, categories_name: str, findings: Findings) -> None:
    missing = manifest.attributes.lacking(audit)
    if not missing.count:
        return
    if missing.count == manifest.lines:
        raise ManifestFormatError(
            f"{manifest.name}: no line has the `{audit}` attribute (the `auditLabelAttributeName` in "
            f"{categories_name}), so every data object would fail. Use the output manifest of the job being adjusted, "
            f"or fix `auditLabelAttributeName`. {ADJ_MANIFEST_LINES.cite()}"
        )
    shown = ", ".join(map(str, missing.first_lines))
    unlisted = missing.count - len(missing.first_lines)
    more = f" and {unlisted} more" if unlisted else ""
    findings.warn(
        ADJ_MANIFEST_LINES,
        f"line(s) {shown}{more}",
        f"{missing.count} of {manifest.lines} lines have no `{audit}` attribute; Ground Truth fails those data "
        "objects (the job goes on with the others).",
    )


def _check_same_labels(manifest: Manifest, audit: str, categories: LabelCategoryConfig, findings: Findings) -> None:
    original = manifest.attributes.labels(audit)
    labels = set(categories.labels)
    missing = sorted(name for name in original - labels if name.casefold() != BACKGROUND_CLASS)
    if missing:
        findings.refuse(
            ADJ_SAME_LABELS,
            Place().at("labels"),
            f"lacks {', '.join(map(repr, missing))}, label(s) of the job being adjusted (its `{audit}-metadata` in "
            f"{manifest.name}); an adjustment job keeps the original job's labels. Add them.",
        )
    extra = sorted(labels - original) if original else []
    if extra:
        findings.warn(
            ADJ_SAME_LABELS,
            Place().at("labels"),
            f"adds {', '.join(map(repr, extra))}, not among the labels of the job being adjusted; the documentation "
            "disagrees on whether adjustment jobs may add labels.",
        )


def audit_label_categories(document: Mapping[str, Any], audited_label_attribute: str) -> dict[str, Any]:
    """Return the label category file of an adjustment job that reviews ``audited_label_attribute``'s labels.

    The original job's file with ``auditLabelAttributeName`` set: the same labels, as an adjustment job must keep
    (https://docs.aws.amazon.com/sagemaker/latest/dg/sms-data-verify-start-api.html).
    """
    return {**document, "auditLabelAttributeName": audited_label_attribute}
