"""The Ground Truth 3D point cloud task types and regions: the one table both CDK code and handlers read.

Values come from the SageMaker Developer Guide (see ``shared/ground-truth-facts.md``); nothing else in the
project spells an ARN account, a UI name or a demo path.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

from gt3d_core.errors import UnknownTaskTypeError, UnsupportedRegionError

HUMAN_TASK_UI_ACCOUNT = "394669845002"
"""The AWS account that owns the Ground Truth worker task UIs in every region."""

MAX_SESSION_DURATION_SECONDS = 12 * 60 * 60
"""IAM's ceiling for a role session; Ground Truth needs the role to last as long as the task time limit."""

LONG_TASK_THRESHOLD_SECONDS = 8 * 60 * 60
"""Above this task time limit Ground Truth requires the execution role's MaxSessionDuration to be at least 8 hours."""

# The AWS-owned account that publishes the PRE-/ACS- Lambdas for 3D task types, per region.
_LAMBDA_ACCOUNTS: dict[str, str] = {
    "us-east-1": "432418664414",
    "us-east-2": "266458841044",
    "us-west-2": "081040173940",
    "ca-central-1": "918755190332",
    "eu-west-1": "568282634449",
    "eu-west-2": "487402164563",
    "eu-central-1": "203001061592",
    "ap-northeast-1": "477331159723",
    "ap-northeast-2": "845288260483",
    "ap-south-1": "565803892007",
    "ap-southeast-1": "377565633583",
    "ap-southeast-2": "454466003867",
}
LAMBDA_ACCOUNTS = MappingProxyType(_LAMBDA_ACCOUNTS)
SUPPORTED_REGIONS: tuple[str, ...] = tuple(_LAMBDA_ACCOUNTS)


@dataclass(frozen=True, slots=True)
class TaskType:
    """One built-in 3D point cloud task type and everything the pipeline derives from it."""

    name: str
    ui_name: str
    abbreviation: str
    demo_manifest: str
    demo_label_category_config: str
    label_attribute_needs_ref: bool
    is_adjustment: bool
    uses_sequences: bool

    def human_task_ui_arn(self, region: str) -> str:
        """Return the worker UI ARN; the UI is named after the base task, without the ``3D`` prefix."""
        require_supported_region(region)
        return f"arn:aws:sagemaker:{region}:{HUMAN_TASK_UI_ACCOUNT}:human-task-ui/{self.ui_name}"

    def pre_human_task_lambda_arn(self, region: str) -> str:
        """Return the AWS-owned pre-annotation Lambda ARN for this task type in ``region``."""
        return self._builtin_lambda_arn(region, "PRE")

    def annotation_consolidation_lambda_arn(self, region: str) -> str:
        """Return the AWS-owned annotation consolidation Lambda ARN for this task type in ``region``."""
        return self._builtin_lambda_arn(region, "ACS")

    def label_attribute_name(self, job_name: str) -> str:
        """Return the notebook's label attribute: the job name, plus ``-ref`` where the task type requires it."""
        return f"{job_name}-ref" if self.label_attribute_needs_ref else job_name

    def _builtin_lambda_arn(self, region: str, kind: str) -> str:
        account = require_supported_region(region)
        return f"arn:aws:lambda:{region}:{account}:function:{kind}-{self.name}"


_FRAME_CATEGORIES = "label-category-config/label-category.json"

TASK_TYPES: tuple[TaskType, ...] = (
    TaskType(
        name="3DPointCloudObjectDetection",
        ui_name="PointCloudObjectDetection",
        abbreviation="OD",
        demo_manifest="manifests/SingleFrame-manifest.json",
        demo_label_category_config=_FRAME_CATEGORIES,
        label_attribute_needs_ref=False,
        is_adjustment=False,
        uses_sequences=False,
    ),
    TaskType(
        name="3DPointCloudObjectTracking",
        ui_name="PointCloudObjectTracking",
        abbreviation="OT",
        demo_manifest="manifests/OT-manifest-10-frame.json",
        demo_label_category_config=_FRAME_CATEGORIES,
        label_attribute_needs_ref=True,
        is_adjustment=False,
        uses_sequences=True,
    ),
    TaskType(
        name="3DPointCloudSemanticSegmentation",
        ui_name="PointCloudSemanticSegmentation",
        abbreviation="SS",
        demo_manifest="manifests/SS-manifest.json",
        demo_label_category_config=_FRAME_CATEGORIES,
        label_attribute_needs_ref=True,
        is_adjustment=False,
        uses_sequences=False,
    ),
    TaskType(
        name="Adjustment3DPointCloudObjectDetection",
        ui_name="PointCloudObjectDetection",
        abbreviation="OD-ADJ",
        demo_manifest="manifests/OD-adjustment-manifest.json",
        demo_label_category_config="label-category-config/od-adjustment-label-categories-file.json",
        label_attribute_needs_ref=False,
        is_adjustment=True,
        uses_sequences=False,
    ),
    TaskType(
        name="Adjustment3DPointCloudObjectTracking",
        ui_name="PointCloudObjectTracking",
        abbreviation="OT-ADJ",
        demo_manifest="manifests/OT-adjustment-manifest.json",
        demo_label_category_config="label-category-config/ot-adjustment-label-categories-file.json",
        label_attribute_needs_ref=True,
        is_adjustment=True,
        uses_sequences=True,
    ),
    TaskType(
        name="Adjustment3DPointCloudSemanticSegmentation",
        ui_name="PointCloudSemanticSegmentation",
        abbreviation="SS-ADJ",
        demo_manifest="manifests/SS-audit-manifest-5-17.json",
        demo_label_category_config=(
            "label-category-config/SS-audit-5-17-updated-manually-created-label-categories-file.json"
        ),
        label_attribute_needs_ref=True,
        is_adjustment=True,
        uses_sequences=False,
    ),
)
TASK_TYPE_NAMES: tuple[str, ...] = tuple(task.name for task in TASK_TYPES)
_BY_NAME = {task.name: task for task in TASK_TYPES}


def task_type(name: str) -> TaskType:
    """Return the task type called ``name``, or raise an error that lists the six valid names."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise UnknownTaskTypeError(f"Unknown task type {name!r}. Use one of: {', '.join(TASK_TYPE_NAMES)}.") from None


def require_supported_region(region: str) -> str:
    """Return the built-in Lambda account for ``region``, or raise naming the regions Ground Truth 3D supports."""
    try:
        return _LAMBDA_ACCOUNTS[region]
    except KeyError:
        raise UnsupportedRegionError(
            f"Region {region!r} does not offer Ground Truth 3D point cloud task types. "
            f"Deploy to one of: {', '.join(SUPPORTED_REGIONS)}."
        ) from None
