"""The documented Ground Truth input rules the emulator enforces, and how it words a refusal or a warning.

One constant per row of ``docs/ground-truth-rules.md``, with the row's stable id and the page the emulator read it
from. The emulator enforces them from its own reading of those pages and imports nothing of the core's rules, so
where the two readings differ a test fails. Every finding reads ``[ID] <file>, line 3, field `x`: <what, and the
limit> (<page URL>)``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Final

from gt3d.emulated_ground_truth.errors import ServiceError, validation

_GUIDE: Final = "https://docs.aws.amazon.com/sagemaker/latest/dg/"
_API: Final = "https://docs.aws.amazon.com/sagemaker/latest/APIReference/"
FRAME_PAGE: Final = _GUIDE + "sms-point-cloud-single-frame-input-data.html"
SEQUENCE_PAGE: Final = _GUIDE + "sms-point-cloud-multi-frame-input-data.html"
INPUT_MANIFEST_PAGE: Final = _GUIDE + "sms-point-cloud-input-manifest.html"
RAW_DATA_PAGE: Final = _GUIDE + "sms-point-cloud-raw-data-types.html"
LABEL_CATEGORY_PAGE: Final = _GUIDE + "sms-label-cat-config-attributes.html"
TASK_TYPE_PAGE: Final = _GUIDE + "sms-point-cloud-object-detection.html"
OVERVIEW_PAGE: Final = _GUIDE + "sms-point-cloud-general-information.html"
ADJUSTMENT_API_PAGE: Final = _GUIDE + "sms-data-verify-start-api.html"
ADJUSTMENT_PREREQUISITES_PAGE: Final = _GUIDE + "sms-data-verify-adjust-prereq.html"
HUMAN_TASK_CONFIG_PAGE: Final = _API + "API_HumanTaskConfig.html"
CREATE_LABELING_JOB_PAGE: Final = _API + "API_CreateLabelingJob.html"
TAG_PAGE: Final = _API + "API_Tag.html"

MAX_REPORTED: Final = 20
"""A ValidationException lists this many refusals, then how many more there are."""


@dataclass(frozen=True, slots=True)
class Rule:
    """One row of the rules table: its stable id and the page that documents it."""

    id: str
    page: str


# Manifests
MANIFEST_JSON_LINES: Final = Rule("MANIFEST-JSON-LINES", FRAME_PAGE)
MANIFEST_MAX_LINES: Final = Rule("MANIFEST-MAX-LINES", SEQUENCE_PAGE)
MANIFEST_KIND: Final = Rule("MANIFEST-KIND", INPUT_MANIFEST_PAGE)
FRAME_SOURCE_REF: Final = Rule("FRAME-SOURCE-REF", FRAME_PAGE)
FRAME_METADATA: Final = Rule("FRAME-METADATA", FRAME_PAGE)
FRAME_UNIX_TIMESTAMP: Final = Rule("FRAME-UNIX-TIMESTAMP", FRAME_PAGE)
FRAME_PREFIX: Final = Rule("FRAME-PREFIX", FRAME_PAGE)
FRAME_IMAGES_MAX: Final = Rule("FRAME-IMAGES-MAX", FRAME_PAGE)
FRAME_PASS_THROUGH: Final = Rule("FRAME-PASS-THROUGH", FRAME_PAGE)
"""Never a finding: keys the pages do not define pass through, and an ``s3://`` string in one is no reference."""

# Vehicle pose
POSE_POSITION: Final = Rule("POSE-POSITION", FRAME_PAGE)
POSE_HEADING: Final = Rule("POSE-HEADING", FRAME_PAGE)

# Images and calibration
IMAGE_PATH: Final = Rule("IMAGE-PATH", FRAME_PAGE)
IMAGE_UNIX_TIMESTAMP: Final = Rule("IMAGE-UNIX-TIMESTAMP", FRAME_PAGE)
IMAGE_FX: Final = Rule("IMAGE-FX", FRAME_PAGE)
IMAGE_FY: Final = Rule("IMAGE-FY", FRAME_PAGE)
IMAGE_CX: Final = Rule("IMAGE-CX", FRAME_PAGE)
IMAGE_CY: Final = Rule("IMAGE-CY", FRAME_PAGE)
IMAGE_POSITION: Final = Rule("IMAGE-POSITION", FRAME_PAGE)
IMAGE_HEADING: Final = Rule("IMAGE-HEADING", FRAME_PAGE)
IMAGE_DISTORTION: Final = Rule("IMAGE-DISTORTION", FRAME_PAGE)
IMAGE_CAMERA_MODEL: Final = Rule("IMAGE-CAMERA-MODEL", FRAME_PAGE)

# Sequence manifests and sequence files
SEQ_SOURCE_REF: Final = Rule("SEQ-SOURCE-REF", SEQUENCE_PAGE)
SEQ_FILE_JSON: Final = Rule("SEQ-FILE-JSON", SEQUENCE_PAGE)
SEQ_NO: Final = Rule("SEQ-NO", SEQUENCE_PAGE)
SEQ_PREFIX: Final = Rule("SEQ-PREFIX", SEQUENCE_PAGE)
SEQ_NUMBER_OF_FRAMES: Final = Rule("SEQ-NUMBER-OF-FRAMES", SEQUENCE_PAGE)
SEQ_FRAMES_MAX: Final = Rule("SEQ-FRAMES-MAX", SEQUENCE_PAGE)
SEQ_FRAME_NO: Final = Rule("SEQ-FRAME-NO", SEQUENCE_PAGE)
SEQ_FRAME_UNIX_TIMESTAMP: Final = Rule("SEQ-FRAME-UNIX-TIMESTAMP", SEQUENCE_PAGE)
SEQ_FRAME_ORDER: Final = Rule("SEQ-FRAME-ORDER", SEQUENCE_PAGE)
SEQ_FRAME_PATH: Final = Rule("SEQ-FRAME-PATH", SEQUENCE_PAGE)
SEQ_FRAME_PREFIX: Final = Rule("SEQ-FRAME-PREFIX", SEQUENCE_PAGE)

# Point cloud formats
POINT_CLOUD_FORMAT: Final = Rule("POINT-CLOUD-FORMAT", RAW_DATA_PAGE)
POINT_CLOUD_FORMAT_DEFAULT: Final = Rule("POINT-CLOUD-FORMAT-DEFAULT", RAW_DATA_PAGE)
POINT_CLOUD_BINARY_SIZE: Final = Rule("POINT-CLOUD-BINARY-SIZE", RAW_DATA_PAGE)

# Label category files
LCC_JSON: Final = Rule("LCC-JSON", LABEL_CATEGORY_PAGE)
LCC_DOCUMENT_VERSION: Final = Rule("LCC-DOCUMENT-VERSION", LABEL_CATEGORY_PAGE)
LCC_LABELS_COUNT: Final = Rule("LCC-LABELS-COUNT", LABEL_CATEGORY_PAGE)
LCC_LABEL_NAME: Final = Rule("LCC-LABEL-NAME", LABEL_CATEGORY_PAGE)
LCC_LABEL_UNIQUE: Final = Rule("LCC-LABEL-UNIQUE", LABEL_CATEGORY_PAGE)
LCC_EDITS_ALLOWED: Final = Rule("LCC-EDITS-ALLOWED", LABEL_CATEGORY_PAGE)
LCC_ATTR_NAME_LENGTH: Final = Rule("LCC-ATTR-NAME-LENGTH", LABEL_CATEGORY_PAGE)
LCC_ATTR_NAME_UNIQUE: Final = Rule("LCC-ATTR-NAME-UNIQUE", LABEL_CATEGORY_PAGE)
LCC_ATTR_TYPE: Final = Rule("LCC-ATTR-TYPE", LABEL_CATEGORY_PAGE)
LCC_ATTR_NUMBER_RANGE: Final = Rule("LCC-ATTR-NUMBER-RANGE", LABEL_CATEGORY_PAGE)
LCC_ATTR_ENUM: Final = Rule("LCC-ATTR-ENUM", LABEL_CATEGORY_PAGE)
LCC_ATTR_DESCRIPTION: Final = Rule("LCC-ATTR-DESCRIPTION", LABEL_CATEGORY_PAGE)
LCC_ATTR_IS_REQUIRED: Final = Rule("LCC-ATTR-IS-REQUIRED", LABEL_CATEGORY_PAGE)
LCC_ATTRS_PER_LABEL: Final = Rule("LCC-ATTRS-PER-LABEL", LABEL_CATEGORY_PAGE)
LCC_FREE_TEXT_PER_LABEL: Final = Rule("LCC-FREE-TEXT-PER-LABEL", LABEL_CATEGORY_PAGE)
LCC_FRAME_ATTRS_MAX: Final = Rule("LCC-FRAME-ATTRS-MAX", LABEL_CATEGORY_PAGE)
LCC_FRAME_FREE_TEXT_MAX: Final = Rule("LCC-FRAME-FREE-TEXT-MAX", LABEL_CATEGORY_PAGE)
LCC_FRAME_ATTR_FIELDS: Final = Rule("LCC-FRAME-ATTR-FIELDS", LABEL_CATEGORY_PAGE)
LCC_INSTRUCTIONS: Final = Rule("LCC-INSTRUCTIONS", LABEL_CATEGORY_PAGE)
LCC_INSTRUCTIONS_LENGTH: Final = Rule("LCC-INSTRUCTIONS-LENGTH", LABEL_CATEGORY_PAGE)
LCC_SS_NO_CATEGORY_ATTRS: Final = Rule("LCC-SS-NO-CATEGORY-ATTRS", LABEL_CATEGORY_PAGE)

# Human task settings and the request
HT_TITLE: Final = Rule("HT-TITLE", HUMAN_TASK_CONFIG_PAGE)
HT_DESCRIPTION: Final = Rule("HT-DESCRIPTION", HUMAN_TASK_CONFIG_PAGE)
HT_KEYWORDS: Final = Rule("HT-KEYWORDS", HUMAN_TASK_CONFIG_PAGE)
HT_TASK_TIME_LIMIT: Final = Rule("HT-TASK-TIME-LIMIT", TASK_TYPE_PAGE)
HT_ROLE_SESSION: Final = Rule("HT-ROLE-SESSION", TASK_TYPE_PAGE)
HT_AVAILABILITY_LIFETIME: Final = Rule("HT-AVAILABILITY-LIFETIME", HUMAN_TASK_CONFIG_PAGE)
HT_MAX_CONCURRENT: Final = Rule("HT-MAX-CONCURRENT", HUMAN_TASK_CONFIG_PAGE)
HT_WORKERS_PER_OBJECT: Final = Rule("HT-WORKERS-PER-OBJECT", TASK_TYPE_PAGE)
HT_UI_ARN: Final = Rule("HT-UI-ARN", TASK_TYPE_PAGE)
HT_LAMBDAS: Final = Rule("HT-LAMBDAS", HUMAN_TASK_CONFIG_PAGE)
HT_NO_AUTO_LABELING: Final = Rule("HT-NO-AUTO-LABELING", TASK_TYPE_PAGE)

# Adjustment jobs
ADJ_AUDIT_ATTRIBUTE: Final = Rule("ADJ-AUDIT-ATTRIBUTE", LABEL_CATEGORY_PAGE)
ADJ_LABEL_ATTRIBUTE_DIFFERENT: Final = Rule("ADJ-LABEL-ATTRIBUTE-DIFFERENT", ADJUSTMENT_API_PAGE)
ADJ_MANIFEST_LINES: Final = Rule("ADJ-MANIFEST-LINES", ADJUSTMENT_PREREQUISITES_PAGE)
ADJ_AUDIT_REF: Final = Rule("ADJ-AUDIT-REF", ADJUSTMENT_PREREQUISITES_PAGE)
ADJ_SAME_LABELS: Final = Rule("ADJ-SAME-LABELS", TASK_TYPE_PAGE)

# Names, tags and request locations
NAME_JOB: Final = Rule("NAME-JOB", CREATE_LABELING_JOB_PAGE)
NAME_LABEL_ATTRIBUTE: Final = Rule("NAME-LABEL-ATTRIBUTE", CREATE_LABELING_JOB_PAGE)
NAME_S3_URI: Final = Rule("NAME-S3-URI", CREATE_LABELING_JOB_PAGE)
TAG_KEY: Final = Rule("TAG-KEY", TAG_PAGE)
TAG_VALUE: Final = Rule("TAG-VALUE", TAG_PAGE)

# References and locations
REF_EXISTS: Final = Rule("REF-EXISTS", FRAME_PAGE)
REF_OUTSIDE_SOURCE: Final = Rule("REF-OUTSIDE-SOURCE", OVERVIEW_PAGE)

ALL_RULES: Final = tuple(value for value in tuple(globals().values()) if isinstance(value, Rule))
"""Every rule above, in table order."""


@dataclass(frozen=True, slots=True)
class Place:
    """Where a finding sits: a file (or the request), a manifest line or a sequence frame, and a field in it."""

    file: str
    line: int | None = None
    frame: int | None = None
    field: str = ""

    def at(self, field: str) -> Place:
        """Return the place of ``field`` inside this one (``images[0]`` then ``fx``: ``images[0].fx``)."""
        if not self.field:
            return replace(self, field=field)
        return replace(self, field=self.field + (field if field.startswith("[") else f".{field}"))

    def __str__(self) -> str:
        parts = [self.file]
        if self.line is not None:
            parts.append(f"line {self.line}")
        if self.frame is not None:
            parts.append(f"frames[{self.frame}]")
        if self.field:
            parts.append(f"field `{self.field}`")
        return ", ".join(parts)


REQUEST: Final = Place("CreateLabelingJob request")
"""The request itself, for findings about its members."""


def cite(rule: Rule, place: Place | str, problem: str) -> str:
    """Return one finding as messages word it: the row id, where, what is wrong with its limit, and the page."""
    return f"[{rule.id}] {place}: {problem} ({rule.page})"


class Findings:
    """The refusals and warnings of one CreateLabelingJob request, refused together in one ValidationException."""

    def __init__(self) -> None:
        self.refusals: list[str] = []
        self.warnings: list[str] = []

    def refuse(self, rule: Rule, place: Place | str, problem: str) -> None:
        """Record data or a setting that breaks ``rule``: the request will be refused."""
        self.refusals.append(cite(rule, place, problem))

    def refuse_unlisted(self, place: Place | str, problem: str, page: str) -> None:
        """Record a refusal of the emulator's own that no row of the table covers (it cites the page alone)."""
        self.refusals.append(f"{place}: {problem} ({page})")

    def warn(self, rule: Rule, place: Place | str, problem: str) -> None:
        """Record data that Ground Truth accepts but that probably does not do what was meant."""
        self.warnings.append(cite(rule, place, problem))

    def error(self) -> ServiceError:
        """Return the ValidationException of every refusal recorded so far (the first ones, then how many more)."""
        count = len(self.refusals)
        shown = self.refusals[:MAX_REPORTED]
        more = f"; ... and {count - len(shown)} more" if count > len(shown) else ""
        return validation(f"{count} validation error{'s' if count != 1 else ''} detected: {'; '.join(shown)}{more}")

    def raise_refusals(self) -> None:
        """Refuse the request when anything was refused so far."""
        if self.refusals:
            raise self.error()
