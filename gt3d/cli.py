"""The ``gt3d`` command: ``gt3d local-run`` runs the synthesized workflow offline against emulated AWS.

stdout carries one JSON object (the final execution description); progress goes to stderr. Exit codes: 0 when
the execution SUCCEEDED, 1 when it FAILED or was aborted, 2 for bad command-line use.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from gt3d import demo_data
from gt3d.cloud_assembly import AssemblyError
from gt3d.local_run import (
    DEFAULT_TASK_TYPE,
    DEFAULT_TIME_SCALE,
    DEFAULT_TIMEOUT_SECONDS,
    RUN_OUTCOMES,
    DeploymentError,
    LocalRunError,
    LocalRunOptions,
    Progress,
    run_local,
)
from gt3d_core.catalog import TASK_TYPE_NAMES

USAGE_ERROR = 2


def _json_object(text: str) -> dict[str, Any]:
    if text.startswith("@"):
        try:
            text = Path(text[1:]).read_text()
        except OSError as error:
            raise argparse.ArgumentTypeError(f"cannot read {text[1:]}: {error.strerror}") from error
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise argparse.ArgumentTypeError(f"not valid JSON: {error}") from error
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError("must be a JSON object")
    return value


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from error
    if value <= 0:
        raise argparse.ArgumentTypeError("must be greater than 0")
    return value


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``gt3d`` command."""
    parser = argparse.ArgumentParser(prog="gt3d", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = commands.add_parser(
        "local-run",
        help="run the synthesized state machine offline on moto, with the real handlers and an emulated Ground Truth",
        description=(
            "Run the pipeline stack's state machine from cdk.out, exactly as synthesized, on moto's Step Functions "
            "engine; Lambda tasks run the real handlers in-process against moto S3/SNS/IAM, and SageMaker's "
            "labeling-job calls are answered by an emulated Ground Truth (a test double). Progress goes to stderr, "
            "the final execution description to stdout as one JSON object. Exit code 0: SUCCEEDED; 1: FAILED or "
            "aborted; 2: bad command-line use."
        ),
    )
    run.add_argument(
        "--task-type",
        choices=TASK_TYPE_NAMES,
        metavar="T",
        help=f"one of {', '.join(TASK_TYPE_NAMES)} (default: task_type from --input, else {DEFAULT_TASK_TYPE})",
    )
    run.add_argument(
        "--data",
        type=Path,
        default=demo_data.DEFAULT_DIR,
        metavar="DIR",
        help="files uploaded under --source before the run (default: the bundled demo data)",
    )
    run.add_argument(
        "--source",
        metavar="s3://bucket/prefix/",
        help="the source location (default: the one configured in the synthesized stacks)",
    )
    run.add_argument(
        "--outcome",
        choices=RUN_OUTCOMES,
        default="completed",
        help="how the emulated Ground Truth ends the labeling job, or 'aborted': the execution is stopped while the "
        "job is InProgress (default: %(default)s)",
    )
    run.add_argument(
        "--input",
        type=_json_object,
        metavar="JSON",
        help="extra execution input as a JSON object (or @file): job_name, manifest, label_category_config, "
        "human_task overrides",
    )
    run.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="write the labeling bucket's objects to DIR/bucket/ and the execution record to DIR/execution.json",
    )
    run.add_argument(
        "--region", metavar="R", help="the emulated region: the stacks' region (another region needs its own synthesis)"
    )
    run.add_argument(
        "--cloud-assembly",
        type=Path,
        default=Path("cdk.out"),
        metavar="DIR",
        help="the synthesized app (default: %(default)s; `make synth` writes it)",
    )
    run.add_argument(
        "--time-scale",
        type=_positive,
        default=DEFAULT_TIME_SCALE,
        metavar="F",
        help="multiply Wait and Retry intervals by F (default: %(default)s)",
    )
    run.add_argument(
        "--timeout",
        type=_positive,
        default=DEFAULT_TIMEOUT_SECONDS,
        metavar="SECONDS",
        help="stop the execution after this many wall-clock seconds (default: %(default)s)",
    )
    run.add_argument("--lambda-logs", action="store_true", help="echo the handlers' log lines to stderr")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``gt3d`` console script; returns the process exit code."""
    args = build_parser().parse_args(argv)
    options = LocalRunOptions(
        task_type=args.task_type,
        data_dir=args.data,
        source=args.source,
        outcome=args.outcome,
        execution_input=args.input,
        out_dir=args.out,
        region=args.region,
        cloud_assembly=args.cloud_assembly,
        time_scale=args.time_scale,
        timeout_seconds=args.timeout,
        echo_lambda_logs=args.lambda_logs,
    )
    try:
        result = run_local(options, progress=Progress(sys.stderr))
    except (LocalRunError, AssemblyError) as error:
        print(f"gt3d local-run: {error}", file=sys.stderr)
        return USAGE_ERROR
    except DeploymentError as error:
        print(f"gt3d local-run: FAILED before any execution: {error}", file=sys.stderr)
        return 1
    print(json.dumps(result.summary(), indent=2))
    return result.exit_code


if __name__ == "__main__":
    raise SystemExit(main())
