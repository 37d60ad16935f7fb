"""cdk-nag (AwsSolutions) and cfn-lint over every work team mode: no findings, and every acknowledgment justified."""

from __future__ import annotations

import json

import aws_cdk as cdk
import pytest
from aws_cdk import aws_s3 as s3
from cdk_nag import AwsSolutionsChecks
from cfnlint.api import ManualArgs, lint
from infra_app import REGION, STACK_IDS, Synthesized, cdk_json_context, load_app_module

ACKNOWLEDGEABLE_RULES = (
    "AwsSolutions-IAM5[",
    "AwsSolutions-L1",
    "AwsSolutions-S1",
    "AwsSolutions-COG2",
    "AwsSolutions-COG8",
)
"""The only rules this app acknowledges: prefix/service wildcards, the runtime pin, the log bucket, Cognito tiers."""

# CDK's Function and StateMachine always add a DependsOn on their role, which also appears in a GetAtt.
CFN_LINT_IGNORED = ["W3005"]


def test_given_each_configuration_when_synthesized_then_the_nag_validation_report_has_no_findings(
    every_configuration: Synthesized,
) -> None:
    # Synthesis already succeeded (cdk-nag 3 fails it on any finding); ask the checks directly as well.
    assert (every_configuration.outdir / "validation-report.json").is_file()
    result = AwsSolutionsChecks().validate_scope(every_configuration.app)
    assert result.success
    assert result.violations == []


def test_given_a_noncompliant_bucket_when_the_same_checks_run_then_they_report_it() -> None:
    # Control for the test above: the checks are live, so an empty result means no findings.
    app = cdk.App()
    s3.Bucket(cdk.Stack(app, "Control"), "PlainBucket")

    result = AwsSolutionsChecks().validate_scope(app)

    assert {violation.rule_name for violation in result.violations} >= {"AwsSolutions-S1", "AwsSolutions-S10"}


def test_given_the_app_when_a_finding_is_added_then_synth_fails_on_it(tmp_path_factory: pytest.TempPathFactory) -> None:
    app = cdk.App(context=cdk_json_context(), outdir=str(tmp_path_factory.mktemp("nag-fails")))
    stacks = load_app_module().build(app)
    s3.Bucket(stacks.storage, "UnloggedPlainBucket")

    with pytest.raises(RuntimeError, match=r"ValidationFailed[\s\S]*UnloggedPlainBucket"):
        app.synth()


def test_given_each_configuration_when_acknowledgments_are_read_then_each_is_on_one_resource_with_a_real_reason(
    every_configuration: Synthesized,
) -> None:
    key = cdk.Validations.ACKNOWLEDGED_RULES_METADATA_KEY
    acknowledged = [
        (construct, rule, reason)
        for construct in every_configuration.app.node.find_all()
        for entry in construct.node.metadata
        if entry.type == key
        for rule, reason in entry.data.items()
    ]

    assert acknowledged
    for construct, rule, reason in acknowledged:
        assert isinstance(construct, cdk.CfnResource), f"{rule} acknowledged on {construct.node.path}, not a resource"
        assert rule.removeprefix("Annotation::").startswith(ACKNOWLEDGEABLE_RULES), rule
        assert len(reason) >= 60, (construct.node.path, rule, reason)


@pytest.mark.parametrize("stack_id", STACK_IDS)
def test_given_each_configuration_when_cfn_lint_runs_then_no_template_has_errors_or_warnings(
    every_configuration: Synthesized, stack_id: str
) -> None:
    matches = lint(
        json.dumps(every_configuration.templates[stack_id]),
        config=ManualArgs(regions=[REGION], ignore_checks=CFN_LINT_IGNORED),
    )

    assert [f"{m.rule.id} {m.message}" for m in matches] == []
