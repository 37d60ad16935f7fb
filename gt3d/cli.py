"""The ``gt3d`` command: run the synthesized workflow offline, or operate a deployment in an AWS account.

``gt3d local-run`` runs the synthesized workflow offline against emulated AWS: stdout carries one JSON object (the
final execution description), progress goes to stderr. ``gt3d start``, ``status``, ``stop`` and ``results`` operate the
deployed pipeline (:mod:`gt3d.account`) with the usual AWS credentials, profile and region. Exit codes: 0 when the
execution SUCCEEDED (or the command did what it was asked), 1 when it FAILED or was aborted, or for an input or
deployment error, 2 for bad command-line use.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from gt3d import demo_data
from gt3d.account import DEFAULT_POLL_SECONDS, AccountCommands
from gt3d.account_deployment import AccountError, Deployment, configured_prefix
from gt3d.cloud_assembly import AssemblyError
from gt3d.execution_input import InputOptionError, Setting, build_execution_input
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
from gt3d_core.errors import Gt3dError

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


def _setting(text: str) -> Setting:
    try:
        return Setting.parse(text)
    except InputOptionError as error:
        raise argparse.ArgumentTypeError(str(error)) from error


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
    _add_account_commands(commands)
    return parser


def _add_account_commands(commands: Any) -> None:
    """Add ``start``, ``status``, ``stop`` and ``results``: the commands that operate a deployment."""
    account = argparse.ArgumentParser(add_help=False)
    account.add_argument(
        "--prefix",
        help="the deployment's prefix: its stacks are <prefix>-pipeline, -storage, -workforce (default: the prefix "
        "setting of ./cdk.json, else gt3d)",
    )
    account.add_argument("--region", metavar="R", help="the deployment's region (default: the AWS configuration's)")
    account.add_argument("--profile", metavar="P", help="the AWS profile to use (default: the AWS configuration's)")
    start = commands.add_parser(
        "start",
        parents=[account],
        help="validate an input and start an execution of the deployed workflow",
        description=(
            "Plan the execution input with the code of the deployed plan function (and its environment), so an input "
            "error fails here and nothing is started; then start an execution of the deployed workflow and print its "
            "ARN and console URL (stdout). --follow shows its progress (stderr) until it ends. Exit code 0: started, "
            "or with --follow SUCCEEDED; 1: invalid input, or with --follow FAILED or aborted; 2: bad command-line use."
        ),
    )
    start.add_argument("--task-type", choices=TASK_TYPE_NAMES, metavar="T", help=f"one of {', '.join(TASK_TYPE_NAMES)}")
    start.add_argument(
        "--input",
        type=_json_object,
        metavar="JSON",
        help="the execution input as a JSON object (or @file): task_type, job_name, manifest, label_category_config, "
        "human_task, ... (README: Starting a labeling job)",
    )
    start.add_argument(
        "--set",
        type=_setting,
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="set a (dotted) key of the input, e.g. human_task.title='Label cars'; the value is JSON when it parses "
        "as JSON, else text (repeatable)",
    )
    start.add_argument("--follow", action="store_true", help="show the execution's progress until it ends")
    start.add_argument(
        "--poll-interval",
        type=_positive,
        default=DEFAULT_POLL_SECONDS,
        metavar="SECONDS",
        help="how often --follow reads the execution (default: %(default)s)",
    )
    status = commands.add_parser(
        "status",
        parents=[account],
        help="say where an execution is, or how it ended",
        description="Exit code 0: running or SUCCEEDED; 1: FAILED, TIMED_OUT or ABORTED, or no such execution.",
    )
    status.add_argument("execution", nargs="?", metavar="EXECUTION", help="name or ARN (default: the latest)")
    stop = commands.add_parser(
        "stop",
        parents=[account],
        help="stop an execution; the pipeline then stops its labeling job",
        description="Stop a running execution (StopExecution). The pipeline's EventBridge rule on aborted executions "
        "then stops its labeling job.",
    )
    stop.add_argument("execution", metavar="EXECUTION", help="name or ARN")
    results = commands.add_parser(
        "results",
        parents=[account],
        help="count the labels of an execution's labeling job per category",
        description="Read the output manifest of the execution's labeling job and print, per label category, how many "
        "frames or sequences hold its labels and how many annotations they are. --out downloads everything the job "
        "wrote.",
    )
    results.add_argument("execution", metavar="EXECUTION", help="name or ARN")
    results.add_argument(
        "--out", type=Path, metavar="DIR", help="download every object under the job's output prefix to DIR"
    )


def main(argv: Sequence[str] | None = None, *, stdout: TextIO | None = None) -> int:
    """Entry point of the ``gt3d`` console script; returns the process exit code.

    ``stdout`` is where the account commands write their results (default: ``sys.stdout``). A caller that runs them
    next to emulated AWS in one process passes its own: the in-process Lambda handlers redirect ``sys.stdout`` to their
    logs while they run.
    """
    args = build_parser().parse_args(argv)
    if args.command == "local-run":
        return _local_run(args)
    return _account_command(args, stdout or sys.stdout)


def _local_run(args: argparse.Namespace) -> int:
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


def _account_command(args: argparse.Namespace, stdout: TextIO) -> int:
    """Run ``start``, ``status``, ``stop`` or ``results`` against the deployment the AWS configuration reaches."""
    command = f"gt3d {args.command}"
    try:
        execution_input = (
            build_execution_input(args.input, task_type=args.task_type, settings=args.set)
            if args.command == "start"
            else {}
        )
        session = boto3.Session(profile_name=args.profile, region_name=args.region)
    except (InputOptionError, BotoCoreError) as error:
        print(f"{command}: {error}", file=sys.stderr)
        return USAGE_ERROR
    if not session.region_name:
        print(f"{command}: no AWS region: pass --region, or set AWS_REGION or a profile's region.", file=sys.stderr)
        return USAGE_ERROR
    try:
        deployment = Deployment.discover(session.client("cloudformation"), prefix=args.prefix or configured_prefix())
        commands = AccountCommands(
            deployment,
            session,
            out=Progress(stdout),
            progress=Progress(sys.stderr),
            poll_seconds=getattr(args, "poll_interval", DEFAULT_POLL_SECONDS),
        )
        if args.command == "start":
            return commands.start(execution_input, follow=args.follow)
        if args.command == "status":
            return commands.status(args.execution)
        if args.command == "stop":
            return commands.stop(args.execution)
        return commands.results(args.execution, args.out)
    except Gt3dError as error:
        print(f"{command}: nothing was started, the plan refused the input: {error}", file=sys.stderr)
    except AccountError as error:
        print(f"{command}: {error}", file=sys.stderr)
    except (ClientError, BotoCoreError) as error:
        print(f"{command}: AWS refused or failed a call: {error}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
