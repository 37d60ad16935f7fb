"""The task-type catalog against the facts file: every ARN, account, abbreviation and demo path written out."""

from __future__ import annotations

import pytest

from gt3d_core import catalog
from gt3d_core.errors import Gt3dError, UnknownTaskTypeError, UnsupportedRegionError

# Copied from shared/ground-truth-facts.md, not computed, so a typo in the catalog fails here.
FACTS_TASK_TYPES = {
    "3DPointCloudObjectDetection": (
        "PointCloudObjectDetection",
        "manifests/SingleFrame-manifest.json",
        "label-category-config/label-category.json",
        "OD",
    ),
    "3DPointCloudObjectTracking": (
        "PointCloudObjectTracking",
        "manifests/OT-manifest-10-frame.json",
        "label-category-config/label-category.json",
        "OT",
    ),
    "3DPointCloudSemanticSegmentation": (
        "PointCloudSemanticSegmentation",
        "manifests/SS-manifest.json",
        "label-category-config/label-category.json",
        "SS",
    ),
    "Adjustment3DPointCloudObjectDetection": (
        "PointCloudObjectDetection",
        "manifests/OD-adjustment-manifest.json",
        "label-category-config/od-adjustment-label-categories-file.json",
        "OD-ADJ",
    ),
    "Adjustment3DPointCloudObjectTracking": (
        "PointCloudObjectTracking",
        "manifests/OT-adjustment-manifest.json",
        "label-category-config/ot-adjustment-label-categories-file.json",
        "OT-ADJ",
    ),
    "Adjustment3DPointCloudSemanticSegmentation": (
        "PointCloudSemanticSegmentation",
        "manifests/SS-audit-manifest-5-17.json",
        "label-category-config/SS-audit-5-17-updated-manually-created-label-categories-file.json",
        "SS-ADJ",
    ),
}
FACTS_ACCOUNTS = {
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
NEEDS_REF = {
    "3DPointCloudObjectDetection": False,
    "3DPointCloudObjectTracking": True,
    "3DPointCloudSemanticSegmentation": True,
    "Adjustment3DPointCloudObjectDetection": False,
    "Adjustment3DPointCloudObjectTracking": True,
    "Adjustment3DPointCloudSemanticSegmentation": True,
}


def test_given_the_catalog_when_listing_task_types_then_it_has_exactly_the_six_of_the_facts_file() -> None:
    assert set(catalog.TASK_TYPE_NAMES) == set(FACTS_TASK_TYPES)
    assert len(catalog.TASK_TYPES) == 6


def test_given_the_catalog_when_listing_regions_then_it_has_exactly_the_twelve_with_their_accounts() -> None:
    assert dict(catalog.LAMBDA_ACCOUNTS) == FACTS_ACCOUNTS
    assert set(catalog.SUPPORTED_REGIONS) == set(FACTS_ACCOUNTS)


@pytest.mark.parametrize("name", sorted(FACTS_TASK_TYPES))
def test_given_a_task_type_when_looked_up_then_ui_demo_paths_and_abbreviation_match_the_facts(name: str) -> None:
    ui_name, manifest, categories, abbreviation = FACTS_TASK_TYPES[name]

    task = catalog.task_type(name)

    assert (task.ui_name, task.demo_manifest, task.demo_label_category_config, task.abbreviation) == (
        ui_name,
        manifest,
        categories,
        abbreviation,
    )
    assert task.is_adjustment == name.startswith("Adjustment")
    assert task.uses_sequences == ("ObjectTracking" in name)


@pytest.mark.parametrize("region", sorted(FACTS_ACCOUNTS))
@pytest.mark.parametrize("name", sorted(FACTS_TASK_TYPES))
def test_given_a_task_type_and_region_when_building_arns_then_they_follow_the_documented_shapes(
    name: str, region: str
) -> None:
    task = catalog.task_type(name)
    account = FACTS_ACCOUNTS[region]
    ui_name = FACTS_TASK_TYPES[name][0]

    assert task.human_task_ui_arn(region) == f"arn:aws:sagemaker:{region}:394669845002:human-task-ui/{ui_name}"
    assert task.pre_human_task_lambda_arn(region) == f"arn:aws:lambda:{region}:{account}:function:PRE-{name}"
    assert task.annotation_consolidation_lambda_arn(region) == f"arn:aws:lambda:{region}:{account}:function:ACS-{name}"


def test_given_object_detection_when_building_the_ui_arn_then_it_is_not_the_rejected_3d_name() -> None:
    arn = catalog.task_type("3DPointCloudObjectDetection").human_task_ui_arn("eu-west-2")

    assert arn == "arn:aws:sagemaker:eu-west-2:394669845002:human-task-ui/PointCloudObjectDetection"


@pytest.mark.parametrize(("name", "needs_ref"), sorted(NEEDS_REF.items()))
def test_given_a_job_name_when_deriving_the_label_attribute_then_only_ot_and_ss_types_append_ref(
    name: str, needs_ref: bool
) -> None:
    task = catalog.task_type(name)

    assert task.label_attribute_needs_ref is needs_ref
    assert task.label_attribute_name("my-job") == ("my-job-ref" if needs_ref else "my-job")


@pytest.mark.parametrize("name", ["PointCloudObjectDetection", "3dpointcloudobjectdetection", "", "BoundingBox"])
def test_given_an_unknown_task_type_when_looked_up_then_the_error_lists_all_six(name: str) -> None:
    with pytest.raises(UnknownTaskTypeError) as raised:
        catalog.task_type(name)

    assert repr(name) in str(raised.value)
    for valid in FACTS_TASK_TYPES:
        assert valid in str(raised.value)
    assert isinstance(raised.value, Gt3dError)


@pytest.mark.parametrize("region", ["sa-east-1", "us-west-1", "eu-north-1", "", "US-EAST-1"])
def test_given_an_unsupported_region_when_building_any_arn_then_the_error_lists_the_twelve(region: str) -> None:
    task = catalog.task_type("3DPointCloudObjectTracking")

    for build in (task.human_task_ui_arn, task.pre_human_task_lambda_arn, task.annotation_consolidation_lambda_arn):
        with pytest.raises(UnsupportedRegionError) as raised:
            build(region)
        assert repr(region) in str(raised.value)
        for supported in FACTS_ACCOUNTS:
            assert supported in str(raised.value)


def test_given_the_session_limits_when_read_then_they_are_iam_twelve_and_ground_truth_eight_hours() -> None:
    assert catalog.MAX_SESSION_DURATION_SECONDS == 43200
    assert catalog.LONG_TASK_THRESHOLD_SECONDS == 28800
