"""An execution that ends without success never leaves its labeling job running: the synthesized EventBridge rule
(evaluated with its real event pattern) sends the end to the function that stops the job and reports it once."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from gt3d import cli
from gt3d.local_run import LocalRunOptions, LocalRunResult, run_local

TIME_SCALE = 0.0002


def _aborted_run(app: Path, tmp_path: Path) -> LocalRunResult:
    return run_local(
        LocalRunOptions(cloud_assembly=app, time_scale=TIME_SCALE, outcome="aborted", out_dir=tmp_path / "out")
    )


def _without_event_rules(app: Path, copy_dir: Path) -> Path:
    shutil.copytree(app, copy_dir, symlinks=True)
    for template_path in copy_dir.glob("*.template.json"):
        template = json.loads(template_path.read_text())
        # The rule, and the permission it gives EventBridge to invoke its target.
        removed = {"AWS::Events::Rule", "AWS::Lambda::Permission"}
        template["Resources"] = {lid: res for lid, res in template["Resources"].items() if res["Type"] not in removed}
        template_path.write_text(json.dumps(template))
    return copy_dir


def test_given_a_run_aborted_while_the_job_is_in_progress_then_the_job_is_stopped_and_the_end_reported_once(
    synthesized_app: Path, tmp_path: Path
) -> None:
    result = _aborted_run(synthesized_app, tmp_path)

    assert result.status == "ABORTED"
    assert result.labeling_job_status == "Stopped"
    (delivery,) = [d for d in result.event_deliveries if d["status"] == "ABORTED"]
    assert delivery["result"]["labeling_job"]["stopped"] is True
    (notification,) = result.notifications
    assert notification["subject"] == "Ground Truth 3D labeling workflow aborted"
    assert (
        json.loads(notification["message"])["LabelingJob"]["job_name"] == result.labeling_job_request["LabelingJobName"]
    )
    record = json.loads((tmp_path / "out" / "execution.json").read_text())
    assert record["labeling_job_status"] == "Stopped" and record["iam_denials"] == []


def test_given_the_assembly_without_its_event_rule_when_aborted_then_the_job_keeps_running(
    synthesized_app: Path, tmp_path: Path
) -> None:
    result = _aborted_run(_without_event_rules(synthesized_app, tmp_path / "cdk.out"), tmp_path)

    assert result.status == "ABORTED"
    assert result.event_deliveries == []
    assert result.labeling_job_status == "InProgress"  # what the rule is there to prevent
    assert result.notifications == []


def test_given_a_successful_run_then_no_labeling_job_status_is_touched_and_nothing_is_delivered(
    synthesized_app: Path, tmp_path: Path
) -> None:
    result = run_local(LocalRunOptions(cloud_assembly=synthesized_app, time_scale=TIME_SCALE))

    assert result.status == "SUCCEEDED"
    assert result.labeling_job_status == "Completed"
    assert result.event_deliveries == []


def test_given_the_cli_with_outcome_aborted_then_it_exits_1_and_says_the_job_was_stopped(
    synthesized_app: Path, capsys: object
) -> None:
    code = cli.main(
        ["local-run", "--cloud-assembly", str(synthesized_app), "--outcome", "aborted", "--time-scale", "0.0002"]
    )

    assert code == 1
    err = capsys.readouterr().err  # type: ignore[attr-defined]
    assert "EventBridge: ABORTED event matched" in err and "labeling job: Stopped" in err
