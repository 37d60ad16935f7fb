"""Settings: defaults, region resolution and a named, explained refusal for every invalid value."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Mapping
from typing import Any

import aws_cdk as cdk
import pytest
from infra_app import ROOT, cdk_json_context, load_app_module

from gt3d_core.catalog import SUPPORTED_REGIONS
from gt3d_core.s3_location import S3Location
from stacks.config import COGNITO_EMAILS_PER_DAY, DEFAULT_REGION, InvalidSettingError, SesSender, Settings, WorkteamMode


class _Context:
    def __init__(self, values: Mapping[str, Any]) -> None:
        self._values = dict(values)

    def try_get_context(self, key: str) -> Any:
        return self._values.get(key)


def _settings(environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
    context = {**json.loads((ROOT / "cdk.json").read_text())["context"], **overrides}
    return Settings.from_context(_Context(context), environ={} if environ is None else environ)


def _refusal(environ: Mapping[str, str] | None = None, **overrides: Any) -> InvalidSettingError:
    with pytest.raises(InvalidSettingError) as caught:
        _settings(environ, **overrides)
    return caught.value


def test_given_cdk_json_defaults_when_settings_are_read_then_every_default_is_as_documented() -> None:
    settings = _settings()

    assert settings.region == DEFAULT_REGION == "us-east-1"
    assert settings.account is None
    assert settings.prefix == "gt3d"
    assert settings.source == S3Location("aws-ml-blog", "artifacts/gt-point-cloud-demos/")
    assert settings.experiment == "gt3d-demo"
    assert settings.input_prefix == "gt3d-demo/input/"
    assert settings.output_prefix == "gt3d-demo/output/"
    assert settings.workteam_mode is WorkteamMode.CREATE
    assert settings.worker_emails == ()
    assert settings.notification_email is None
    assert settings.ses_sender is None


def test_given_cdk_default_region_when_no_region_context_then_the_environment_region_is_used() -> None:
    settings = _settings({"CDK_DEFAULT_REGION": "eu-west-1", "CDK_DEFAULT_ACCOUNT": "123456789012"})

    assert (settings.region, settings.account) == ("eu-west-1", "123456789012")


def test_given_region_context_and_environment_when_settings_are_read_then_the_context_wins() -> None:
    assert _settings({"CDK_DEFAULT_REGION": "eu-west-1"}, region="ap-southeast-2").region == "ap-southeast-2"


@pytest.mark.parametrize("source", [{}, {"CDK_DEFAULT_REGION": "af-south-1"}])
def test_given_a_region_without_ground_truth_3d_when_settings_are_read_then_it_is_refused_naming_the_supported_ones(
    source: dict[str, str],
) -> None:
    error = _refusal(source, **({} if source else {"region": "af-south-1"}))

    assert isinstance(error, ValueError)
    assert error.key == "region"
    assert "'af-south-1'" in str(error)
    assert all(region in str(error) for region in SUPPORTED_REGIONS)


@pytest.mark.parametrize(
    ("overrides", "key", "allowed"),
    [
        ({"workteam_mode": "crowd"}, "workteam_mode", "create | import-workteam | import-user-pool"),
        ({"prefix": "GT3D"}, "prefix", "lowercase"),
        ({"prefix": "a" * 25}, "prefix", "at most 24"),
        ({"prefix": "my-aws-team"}, "prefix", "aws"),
        ({"source_uri": "https://aws-ml-blog/demos/"}, "source_uri", "s3://"),
        ({"source_uri": "s3://Bad_Bucket/demos/"}, "source_uri", "s3://"),
        ({"experiment": "/leading-slash"}, "experiment", "S3 key prefix"),
        ({"experiment": "trailing/"}, "experiment", "S3 key prefix"),
        ({"worker_emails": "ok@example.com,not-an-email"}, "worker_emails", "e-mail addresses"),
        ({"worker_emails": "[1, 2]"}, "worker_emails", "JSON list"),
        ({"notification_email": "ops"}, "notification_email", "e-mail address"),
        ({"workteam_mode": "import-workteam"}, "workteam_arn", "workteam/private-crowd"),
        (
            {
                "workteam_mode": "import-workteam",
                "workteam_arn": "arn:aws:sagemaker:eu-west-1:123456789012:workteam/private-crowd/team",
            },
            "workteam_arn",
            "us-east-1",
        ),
        (
            {
                "workteam_mode": "import-workteam",
                "workteam_arn": "arn:aws:sagemaker:us-east-1:123456789012:workteam/private-crowd/team",
                "worker_emails": "a@example.com",
            },
            "worker_emails",
            "empty with workteam_mode=import-workteam",
        ),
        (
            {"workteam_arn": "arn:aws:sagemaker:us-east-1:123456789012:workteam/private-crowd/team"},
            "workteam_arn",
            "empty",
        ),
        ({"workteam_mode": "import-user-pool", "user_pool_client_id": "abc"}, "user_pool_id", "user pool id"),
        (
            {"workteam_mode": "import-user-pool", "user_pool_id": "eu-west-1_abc", "user_pool_client_id": "abc"},
            "user_pool_id",
            "us-east-1",
        ),
        ({"workteam_mode": "import-user-pool", "user_pool_id": "us-east-1_abc"}, "user_pool_client_id", "app client"),
        ({"user_pool_id": "us-east-1_abc"}, "user_pool_id", "empty unless workteam_mode=import-user-pool"),
        ({"prefix": 7}, "prefix", "a string"),
        ({"ses_from_email": "not-an-address"}, "ses_from_email", "verified in Amazon SES"),
        ({"ses_verified_domain": "example.com"}, "ses_verified_domain", "empty unless ses_from_email is set"),
        (
            {"ses_from_email": "labeling@example.com", "ses_verified_domain": "example.org"},
            "ses_verified_domain",
            "the domain of ses_from_email (example.com)",
        ),
        (
            {
                "workteam_mode": "import-user-pool",
                "user_pool_id": "us-east-1_abc",
                "user_pool_client_id": "abc",
                "ses_from_email": "labeling@example.com",
            },
            "ses_from_email",
            "empty with workteam_mode=import-user-pool",
        ),
        (
            {"worker_emails": ",".join(f"w{n}@example.com" for n in range(COGNITO_EMAILS_PER_DAY + 1))},
            "worker_emails",
            "set ses_from_email",
        ),
    ],
)
def test_given_an_invalid_setting_when_settings_are_read_then_the_error_names_the_key_value_and_allowed_values(
    overrides: dict[str, Any], key: str, allowed: str
) -> None:
    error = _refusal(**overrides)

    assert error.key == key
    assert f"Invalid setting {key}=" in str(error)
    assert allowed in error.allowed


def test_given_worker_emails_as_text_or_json_when_read_then_they_are_trimmed_and_deduplicated() -> None:
    assert _settings(worker_emails=" a@example.com, B@example.com ,b@example.com,").worker_emails == (
        "a@example.com",
        "B@example.com",
    )
    assert _settings(worker_emails='["a@example.com"]').worker_emails == ("a@example.com",)
    assert _settings(worker_emails=["c@example.com"]).worker_emails == ("c@example.com",)


def test_given_more_workers_than_cognito_emails_a_day_when_read_then_the_refusal_names_the_count_and_the_limit() -> (
    None
):
    error = _refusal(worker_emails=",".join(f"w{n}@example.com" for n in range(COGNITO_EMAILS_PER_DAY + 1)))

    assert error.value == f"{COGNITO_EMAILS_PER_DAY + 1} addresses"
    assert f"at most {COGNITO_EMAILS_PER_DAY} addresses" in error.allowed
    assert "https://docs.aws.amazon.com/cognito/latest/developerguide/quotas.html" in error.allowed


def test_given_exactly_the_daily_email_quota_of_workers_when_read_then_they_are_accepted() -> None:
    emails = ",".join(f"w{n}@example.com" for n in range(COGNITO_EMAILS_PER_DAY))

    assert len(_settings(worker_emails=emails).worker_emails) == COGNITO_EMAILS_PER_DAY == 50


def test_given_an_ses_sender_when_read_then_any_number_of_workers_is_accepted() -> None:
    emails = ",".join(f"w{n}@example.com" for n in range(COGNITO_EMAILS_PER_DAY + 1))

    settings = _settings(worker_emails=emails, ses_from_email="labeling@example.com", ses_verified_domain="Example.com")

    assert settings.ses_sender == SesSender(from_email="labeling@example.com", verified_domain="example.com")
    assert len(settings.worker_emails) == COGNITO_EMAILS_PER_DAY + 1


def test_given_an_imported_user_pool_when_read_then_the_daily_email_quota_is_not_applied() -> None:
    # The imported pool's own sender (possibly SES) sends its invitations; this app cannot see or change it.
    emails = ",".join(f"w{n}@example.com" for n in range(COGNITO_EMAILS_PER_DAY + 1))

    settings = _settings(
        workteam_mode="import-user-pool",
        user_pool_id="us-east-1_abc",
        user_pool_client_id="abc",
        worker_emails=emails,
    )

    assert len(settings.worker_emails) == COGNITO_EMAILS_PER_DAY + 1


def test_given_a_source_prefix_without_a_slash_when_read_then_it_names_the_folder() -> None:
    assert _settings(source_uri="s3://my-bucket/demos").source == S3Location("my-bucket", "demos/")
    assert _settings(source_uri="s3://my-bucket").source == S3Location("my-bucket", "")


def test_given_an_imported_workteam_when_read_then_its_name_comes_from_the_arn() -> None:
    settings = _settings(
        workteam_mode="import-workteam",
        workteam_arn="arn:aws:sagemaker:us-east-1:123456789012:workteam/private-crowd/existing-team",
    )

    assert settings.imported_workteam_name == "existing-team"


def test_given_an_unsupported_region_when_the_app_is_built_then_it_fails_before_any_construct_exists(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("CDK_DEFAULT_REGION", raising=False)
    app = cdk.App(context=cdk_json_context(region="af-south-1"))

    with pytest.raises(InvalidSettingError, match="af-south-1"):
        load_app_module().build(app)

    assert app.node.children == []


def _run(command: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("CDK_", "AWS_REGION", "AWS_DEFAULT_REGION"))}
    return subprocess.run(command, cwd=ROOT, env={**clean, **env}, capture_output=True, text=True, timeout=300)


def test_given_af_south_1_when_make_synth_runs_then_it_fails_and_lists_the_supported_regions() -> None:
    result = _run(["make", "--no-print-directory", "synth"], CDK_DEFAULT_REGION="af-south-1")

    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "Invalid setting region='af-south-1'" in output
    assert all(region in output for region in SUPPORTED_REGIONS)
