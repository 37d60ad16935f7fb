"""An emulated deployment of a cloud assembly in which executions of its state machine can be started.

:class:`LocalCloud` stands up, inside ``moto.mock_aws``, every bucket (with its CORS and versioning), role (with its
trust policy, MaxSessionDuration and policies, enforced by :mod:`gt3d.local_iam`), topic, Lambda function and state
machine of every stack, under the names CloudFormation would give them, each state machine created from its
``DefinitionString`` exactly as synthesized (tokens resolved, nothing else changed). Executions start at the one
state machine no other starts (the labeling workflow); the ones it starts (the monitor, ``.sync:2``) run on the same
engine. Lambda tasks run the real handlers from the function's code asset (:mod:`gt3d.lambda_runtime`); SageMaker's
labeling-job calls are answered by the emulated Ground Truth (:mod:`gt3d.ground_truth_emulator`, a test double);
Wait and Retry intervals are scaled down (:mod:`gt3d.sfn_engine`).
"""

from __future__ import annotations

import contextlib
import datetime
import io
import json
import os
import sys
import time
import uuid
import zipfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast
from unittest import mock

import boto3
import botocore.loaders
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.core.config import DefaultConfig
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.sns.models import sns_backends
from moto.stepfunctions.responses import get_backend as sfn_backend

from gt3d import demo_data
from gt3d.cloud_assembly import AssemblyError, CloudAssembly, Stack, TokenResolver
from gt3d.execution_progress import HistoryReporter, Progress, child_record, parse_json
from gt3d.ground_truth_emulator import GroundTruthEmulator, Outcome
from gt3d.iam import NamedPolicy
from gt3d.lambda_runtime import FunctionCode, InProcessLambda
from gt3d.local_events import Delivery, LocalEventBus
from gt3d.local_iam import LocalIam
from gt3d.s3_preconditions import copy_source_preconditions
from gt3d.sfn_engine import ENGINE_CONFIG, local_engine

DEFAULT_TIME_SCALE = 0.001
"""Wait and Retry intervals are multiplied by this: a 30 s poll takes 30 ms."""
DEFAULT_TIMEOUT_SECONDS = 300.0
"""Wall-clock limit of one local execution; a stuck run is stopped (ABORTED) after it."""

_POLL_INTERVAL_SECONDS = 0.02
_HISTORY_INTERVAL_SECONDS = 0.25
_STOP_GRACE_SECONDS = 10.0
"""How long a timed-out run waits for the executions it stopped to end."""
_HISTORY_COST_FACTOR = 4
"""Reading histories may take at most a fifth of a watched run's time (a monitor execution grows to 5,500 events)."""

_FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_EC2_METADATA_DISABLED": "true",
}
_STRIPPED_ENVIRONMENT = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL", "AWS_CONFIG_FILE")


class LocalRunError(Exception):
    """The local run could not start (bad options, unusable cloud assembly or data)."""


class DeploymentError(Exception):
    """The synthesized app cannot be deployed to the emulated account (e.g. an invalid state machine definition)."""


@dataclass
class LocalRunResult:
    """The outcome of one local execution: the execution's description plus what the runner observed."""

    execution_arn: str
    status: str
    input: Any
    output: Any
    error: str | None
    cause: str | None
    states: list[str]
    labeling_job_request: dict[str, Any] | None
    """The first CreateLabelingJob request the emulated Ground Truth accepted in this run."""
    description: dict[str, Any]
    history: list[dict[str, Any]] = field(default_factory=list)
    child_executions: list[dict[str, Any]] = field(default_factory=list)
    notifications: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    iam_denials: list[str] = field(default_factory=list)
    event_deliveries: list[dict[str, Any]] = field(default_factory=list)
    labeling_job_requests: list[dict[str, Any]] = field(default_factory=list)
    """Every CreateLabelingJob request accepted in this run, in order (a chained adjustment job adds one)."""
    labeling_job_status: str | None = None
    duration_seconds: float = 0.0

    @property
    def exit_code(self) -> int:
        """Return the CLI's exit code: 0 when the execution SUCCEEDED, 1 otherwise."""
        return 0 if self.status == "SUCCEEDED" else 1

    def summary(self) -> dict[str, Any]:
        """Return the final execution description for stdout (``status``, ``output`` or ``error`` and ``cause``)."""
        keys = ("executionArn", "stateMachineArn", "name", "status", "startDate", "stopDate")
        summary = {key: _jsonable(self.description[key]) for key in keys if key in self.description}
        summary["input"] = self.input
        if self.status == "SUCCEEDED":
            summary["output"] = self.output
        else:
            summary["error"] = self.error
            summary["cause"] = self.cause
        return summary

    def execution_record(self) -> dict[str, Any]:
        """Return ``execution.json`` for ``--out``."""
        return {
            "status": self.status,
            "input": self.input,
            "output": self.output,
            "error": self.error,
            "cause": self.cause,
            "states": self.states,
            "child_executions": self.child_executions,
            "labeling_job_request": self.labeling_job_request,
            "labeling_job_requests": self.labeling_job_requests,
            "labeling_job_status": self.labeling_job_status,
            "iam_denials": self.iam_denials,
            "event_deliveries": self.event_deliveries,
        }


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime.datetime) else value


def _s3_location(uri: str) -> tuple[str, str]:
    if not uri.startswith("s3://") or not uri[5:] or uri[5:].startswith("/"):
        raise LocalRunError(f"{uri!r} is not an s3://bucket/prefix/ location.")
    bucket, _, prefix = uri[5:].partition("/")
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    return bucket, prefix


def _cors_rules(configuration: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Translate a CloudFormation ``CorsConfiguration`` into S3's ``PutBucketCors`` rules."""
    names = {
        "AllowedHeaders": "AllowedHeaders",
        "AllowedMethods": "AllowedMethods",
        "AllowedOrigins": "AllowedOrigins",
        "ExposedHeaders": "ExposeHeaders",
        "MaxAge": "MaxAgeSeconds",
        "Id": "ID",
    }
    return [{names[key]: value for key, value in rule.items() if key in names} for rule in configuration["CorsRules"]]


def _tiny_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("README.txt", "code runs in-process from the cdk.out asset directory (gt3d local-run)\n")
    return buffer.getvalue()


@dataclass(frozen=True, slots=True)
class _Deployment:
    pipeline: Stack
    state_machine_arn: str  # the entry state machine: the one no other definition starts
    definition: dict[str, Any]
    definitions: dict[str, dict[str, Any]]  # every state machine's definition, by ARN
    labeling_bucket: str
    source_bucket: str
    source_prefix: str
    function_count: int


def _entry_state_machine(machines: Mapping[str, Mapping[str, Any]]) -> str:
    """Return the ARN of the one state machine that no other state machine's definition names (the one to start)."""
    texts = {arn: json.dumps(definition) for arn, definition in machines.items()}
    entries = [arn for arn in machines if not any(f'"{arn}"' in text for other, text in texts.items() if other != arn)]
    if len(entries) != 1:
        raise AssemblyError(
            f"Expected one state machine that no other starts; found {len(entries)}: {', '.join(entries) or 'none'}."
        )
    return entries[0]


class LocalCloud:
    """An emulated deployment of a cloud assembly, in which executions of its state machine can be started."""

    def __init__(
        self,
        assembly: CloudAssembly,
        *,
        region: str | None = None,
        source: str | None = None,
        outcome: Outcome = "completed",
        time_scale: float = DEFAULT_TIME_SCALE,
        progress: Callable[[str], None] | None = None,
        echo_lambda_logs: bool = False,
    ) -> None:
        self.assembly = assembly
        self.pipeline = assembly.stack_with("AWS::StepFunctions::StateMachine")
        if region and self.pipeline.region and region != self.pipeline.region:
            # The templates name region-specific ARNs (policies, layers, log groups): a deployment in another region
            # is another synthesis.
            raise LocalRunError(
                f"The cloud assembly was synthesized for {self.pipeline.region}, not {region}: synthesize for "
                f"{region} first (`CDK_DEFAULT_REGION={region} make synth`, or `-c region={region}`)."
            )
        self.region = region or self.pipeline.region or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
        self.account = DEFAULT_ACCOUNT_ID
        self.source = source
        self.time_scale = time_scale
        self.progress = progress or Progress()
        self.resolver = TokenResolver(assembly, region=self.region, account=self.account)
        self.emulator = GroundTruthEmulator(outcome=outcome, account_id=self.account)
        self.iam = LocalIam(account=self.account, region=self.region)
        self.events = LocalEventBus(region=self.region, account=self.account, iam=self.iam)
        self.lambdas = InProcessLambda(
            region=self.region,
            account=self.account,
            echo_logs=_echo_to_stderr if echo_lambda_logs else None,
        )
        self._stack = contextlib.ExitStack()
        self._deployment: _Deployment | None = None

    # --- lifecycle ---------------------------------------------------------------------------------------------------
    def __enter__(self) -> LocalCloud:
        environment = {**_FAKE_CREDENTIALS, "AWS_DEFAULT_REGION": self.region}
        try:
            self._stack.enter_context(_environment(environment, _STRIPPED_ENVIRONMENT))
            self._stack.enter_context(mock.patch("botocore.session.create_loader", shared_botocore_loader))
            self._stack.enter_context(mock_aws(config=cast(DefaultConfig, ENGINE_CONFIG)))
            self._stack.enter_context(copy_source_preconditions())
            self._stack.enter_context(local_engine(time_scale=self.time_scale))
            self._stack.enter_context(self.iam)
            self._stack.enter_context(self.lambdas)
            self._stack.enter_context(self.emulator)
            self._deployment = self._deploy()
        except BaseException:
            self._stack.close()
            raise
        return self

    def __exit__(self, *_: object) -> None:
        self._stack.close()

    @property
    def deployment(self) -> _Deployment:
        if self._deployment is None:
            raise RuntimeError("LocalCloud is not active; use it as a context manager")
        return self._deployment

    @property
    def labeling_bucket(self) -> str:
        """Return the deployment's labeling bucket (input and output locations)."""
        return self.deployment.labeling_bucket

    def stack_outputs(self) -> dict[str, dict[str, str]]:
        """Return every stack's outputs as the emulated deployment resolved them: ``{stack name: {key: value}}``."""
        return {
            stack.stack_name: {
                key: str(self.resolver.resolve(stack, output["Value"]))
                for key, output in stack.template.get("Outputs", {}).items()
            }
            for stack in self.assembly.stacks
        }

    @property
    def source_uri(self) -> str:
        """Return the source location the data is uploaded to and copied from."""
        return f"s3://{self.deployment.source_bucket}/{self.deployment.source_prefix}"

    # --- emulated deployment ---------------------------------------------------------------------------------------
    def _deploy(self) -> _Deployment:
        s3 = boto3.client("s3", region_name=self.region)
        iam = boto3.client("iam", region_name=self.region)
        sns = boto3.client("sns", region_name=self.region)
        for stack in self.assembly.stacks:
            for logical_id, resource in stack.of_type("AWS::S3::Bucket"):
                self._create_bucket(s3, stack, logical_id, resource.get("Properties", {}))
            for logical_id, resource in stack.of_type("AWS::IAM::Role"):
                properties = self.resolver.resolve(stack, resource.get("Properties", {}))
                physical = self.resolver.physical(stack, logical_id)
                iam.create_role(
                    RoleName=physical.ref,
                    Path=properties.get("Path", "/"),
                    AssumeRolePolicyDocument=json.dumps(properties["AssumeRolePolicyDocument"]),
                    MaxSessionDuration=int(properties.get("MaxSessionDuration", 3600)),
                    Description=properties.get("Description", ""),
                )
            for logical_id, _ in stack.of_type("AWS::SNS::Topic"):
                sns.create_topic(Name=self.resolver.physical(stack, logical_id).attributes["TopicName"])
        for stack in self.assembly.stacks:
            for _, resource in stack.of_type("AWS::IAM::Policy"):
                properties = self.resolver.resolve(stack, resource.get("Properties", {}))
                for role in properties.get("Roles", []):
                    iam.put_role_policy(
                        RoleName=role,
                        PolicyName=properties["PolicyName"],
                        PolicyDocument=json.dumps(properties["PolicyDocument"]),
                    )
        self._grant_policies()

        source_uri = self.source or self._configured_source() or demo_data.DEMO_URI
        source_bucket, source_prefix = _s3_location(source_uri)
        labeling_bucket = self._labeling_bucket()
        functions = self._create_functions(source_uri if self.source else None)

        machines = self._create_state_machines()
        entry = _entry_state_machine(machines)
        if not _bucket_exists(s3, source_bucket):
            s3.create_bucket(Bucket=source_bucket, **_location_constraint(self.region))
        return _Deployment(
            pipeline=self.pipeline,
            state_machine_arn=entry,
            definition=machines[entry],
            definitions=machines,
            labeling_bucket=labeling_bucket,
            source_bucket=source_bucket,
            source_prefix=source_prefix,
            function_count=functions,
        )

    def _grant_policies(self) -> None:
        """Give the emulated IAM every synthesized policy: each role's, each bucket's and each topic's."""
        role_arns: dict[str, str] = {}
        for stack in self.assembly.stacks:
            for logical_id, resource in stack.of_type("AWS::IAM::Role"):
                physical = self.resolver.physical(stack, logical_id)
                role_arns[physical.ref] = physical.attributes["Arn"]
                for inline in self.resolver.resolve(stack, resource.get("Properties", {})).get("Policies", []):
                    policy = NamedPolicy(
                        f"{stack.stack_name}/{logical_id} {inline['PolicyName']}", inline["PolicyDocument"]
                    )
                    self.iam.add_identity_policy(physical.attributes["Arn"], policy)
        for stack in self.assembly.stacks:
            for logical_id, properties in self._resolved(stack, "AWS::IAM::Policy"):
                policy = NamedPolicy(f"{stack.stack_name}/{logical_id}", properties["PolicyDocument"])
                for role in properties.get("Roles", []):
                    self.iam.add_identity_policy(role_arns[role], policy)
            for logical_id, properties in self._resolved(stack, "AWS::S3::BucketPolicy"):
                policy = NamedPolicy(f"{stack.stack_name}/{logical_id}", properties["PolicyDocument"])
                self.iam.add_resource_policy(f"arn:aws:s3:::{properties['Bucket']}", policy)
            for logical_id, properties in self._resolved(stack, "AWS::Lambda::Permission"):
                function_arn = self._function_arn(str(properties["FunctionName"]))
                self.iam.add_resource_policy(
                    function_arn, _permission_policy(stack, logical_id, function_arn, properties)
                )
            for logical_id, properties in self._resolved(stack, "AWS::Events::Rule"):
                self.events.add_rule(self.resolver.physical(stack, logical_id).attributes["Arn"], properties)
            for logical_id, properties in self._resolved(stack, "AWS::SNS::TopicPolicy"):
                policy = NamedPolicy(f"{stack.stack_name}/{logical_id}", properties["PolicyDocument"])
                for topic in properties["Topics"]:
                    self.iam.add_resource_policy(topic, policy)

    def _function_arn(self, name_or_arn: str) -> str:
        if name_or_arn.startswith("arn:"):
            return name_or_arn
        return f"arn:aws:lambda:{self.region}:{self.account}:function:{name_or_arn}"

    def _resolved(self, stack: Stack, resource_type: str) -> Iterator[tuple[str, dict[str, Any]]]:
        for logical_id, resource in stack.of_type(resource_type):
            yield logical_id, self.resolver.resolve(stack, resource.get("Properties", {}))

    def _create_state_machines(self) -> dict[str, dict[str, Any]]:
        """Create every state machine of every stack from its resolved definition; return definitions by ARN."""
        client = boto3.client("stepfunctions", region_name=self.region)
        machines: dict[str, dict[str, Any]] = {}
        for stack in self.assembly.stacks:
            for logical_id, resource in stack.of_type("AWS::StepFunctions::StateMachine"):
                properties = resource.get("Properties", {})
                physical = self.resolver.physical(stack, logical_id)
                definition = self.resolver.definition(stack, logical_id)
                try:
                    client.create_state_machine(
                        name=physical.attributes["Name"],
                        definition=definition,
                        roleArn=str(self.resolver.resolve(stack, properties["RoleArn"])),
                        type=properties.get("StateMachineType", "STANDARD"),
                    )
                except ClientError as error:
                    raise DeploymentError(
                        f"The synthesized state machine {stack.stack_name}/{logical_id} cannot be created: "
                        f"{error.response.get('Error', {}).get('Message') or error}"
                    ) from error
                if ":states:startExecution.sync" in definition:
                    self.iam.add_sync_integration(str(self.resolver.resolve(stack, properties["RoleArn"])))
                machines[physical.ref] = json.loads(definition)
        return machines

    def _create_bucket(self, s3: Any, stack: Stack, logical_id: str, properties: Mapping[str, Any]) -> None:
        name = self.resolver.physical(stack, logical_id).ref
        s3.create_bucket(Bucket=name, **_location_constraint(self.region))
        resolved = self.resolver.resolve(stack, dict(properties))
        if "CorsConfiguration" in resolved:
            s3.put_bucket_cors(Bucket=name, CORSConfiguration={"CORSRules": _cors_rules(resolved["CorsConfiguration"])})
        if resolved.get("VersioningConfiguration", {}).get("Status") == "Enabled":
            s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})

    def _create_functions(self, source_override: str | None) -> int:
        client = boto3.client("lambda", region_name=self.region)
        count = 0
        for stack in self.assembly.stacks:
            for logical_id, resource in stack.of_type("AWS::Lambda::Function"):
                properties = resource.get("Properties", {})
                name = self.resolver.physical(stack, logical_id).ref
                environment = self.resolver.environment(stack, logical_id)
                if source_override and "SOURCE_URI" in environment:
                    environment["SOURCE_URI"] = source_override
                code = FunctionCode(
                    function_name=name,
                    handler=str(properties.get("Handler", "index.handler")),
                    code_directory=stack.code_directory(logical_id),
                    environment=environment,
                    memory_size=int(properties.get("MemorySize", 128)),
                    timeout_seconds=int(properties.get("Timeout", 3)),
                    runtime=str(properties.get("Runtime", "python3.13")),
                )
                client.create_function(
                    FunctionName=name,
                    Runtime=code.runtime,
                    Role=str(self.resolver.resolve(stack, properties["Role"])),
                    Handler=code.handler,
                    Code={"ZipFile": _tiny_zip()},
                    Environment={"Variables": environment},
                    Timeout=code.timeout_seconds,
                    MemorySize=code.memory_size,
                )
                self.lambdas.register(code)
                count += 1
        return count

    def _pipeline_environment(self, name: str) -> str | None:
        for logical_id, _ in self.pipeline.of_type("AWS::Lambda::Function"):
            value = self.resolver.environment(self.pipeline, logical_id).get(name)
            if value:
                return value
        return None

    def _configured_source(self) -> str | None:
        return self._pipeline_environment("SOURCE_URI")

    def _labeling_bucket(self) -> str:
        input_uri = self._pipeline_environment("INPUT_URI")
        if input_uri:
            return _s3_location(input_uri)[0]
        buckets = [
            self.resolver.physical(stack, logical_id).ref
            for stack in self.assembly.stacks
            for logical_id, resource in stack.of_type("AWS::S3::Bucket")
            if "CorsConfiguration" in resource.get("Properties", {})
        ]
        if len(buckets) != 1:
            raise AssemblyError("Cannot tell the labeling bucket: no INPUT_URI in the pipeline's functions.")
        return buckets[0]

    # --- data --------------------------------------------------------------------------------------------------------
    def upload(self, data_dir: Path) -> tuple[int, int]:
        """Upload every file under ``data_dir`` to the source location; return (objects, bytes)."""
        if not data_dir.is_dir():
            raise LocalRunError(f"--data {data_dir} is not a directory.")
        s3 = boto3.client("s3", region_name=self.region)
        count = total = 0
        for path in sorted(data_dir.rglob("*")):
            relative = path.relative_to(data_dir)
            if not path.is_file() or any(part.startswith(".") for part in relative.parts):
                continue
            body = path.read_bytes()
            key = self.deployment.source_prefix + relative.as_posix()
            s3.put_object(Bucket=self.deployment.source_bucket, Key=key, Body=body)
            count += 1
            total += len(body)
        if not count:
            raise LocalRunError(f"--data {data_dir} contains no files.")
        return count, total

    def bucket_objects(self, bucket: str | None = None) -> dict[str, bytes]:
        """Return every object of ``bucket`` (default: the labeling bucket) as ``key -> bytes``."""
        s3 = boto3.client("s3", region_name=self.region)
        bucket = bucket or self.labeling_bucket
        objects = {}
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for item in page.get("Contents", []):
                objects[item["Key"]] = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
        return objects

    def notifications(self) -> list[dict[str, Any]]:
        """Return every SNS message published so far (``topic``, ``subject``, ``message``), oldest first."""
        backend = sns_backends[self.account][self.region]
        return [
            {"topic": topic.arn, "subject": subject, "message": message}
            for topic in backend.topics.values()
            for _, message, subject, _, _ in topic.sent_notifications
        ]

    # --- executions --------------------------------------------------------------------------------------------------
    def run(
        self,
        execution_input: Mapping[str, Any],
        *,
        timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
        stop_when: Callable[[], bool] | None = None,
    ) -> LocalRunResult:
        """Start an execution with ``execution_input``, report its progress, and return how it ended.

        ``stop_when`` is asked between two looks at the execution: once it answers True the execution is stopped
        (ABORTED), as ``StopExecution`` would, so a stop can be tied to an event rather than to the clock.
        """
        sfn = boto3.client("stepfunctions", region_name=self.region)
        requests_before = len(self.emulator.requests)
        notifications_before = self.notifications()
        warnings_before = len(self.emulator.warnings)
        denials_before = len(self.iam.denials)
        started = time.monotonic()
        name = f"local-{uuid.uuid4().hex[:12]}"
        execution_arn = sfn.start_execution(
            stateMachineArn=self.deployment.state_machine_arn, name=name, input=json.dumps(execution_input)
        )["executionArn"]
        self.progress(f"[gt3d] execution {name}: {json.dumps(execution_input)}")
        reporter = HistoryReporter(
            execution_arn,
            self.deployment.definition,
            definitions=self.deployment.definitions,
            read_history=moto_history,
            time_scale=self.time_scale,
            progress=self.progress,
        )
        # Reading a history copies all its events under the engine's lock, holding its threads back: when someone
        # watches, read them now and then, less often as they grow; otherwise once, at the end.
        watched = not (isinstance(self.progress, Progress) and self.progress.stream is None)
        next_report = 0.0
        while True:
            description = sfn.describe_execution(executionArn=execution_arn)
            finished = description["status"] != "RUNNING"
            if finished or (watched and time.monotonic() >= next_report):
                reading = time.monotonic()
                reporter.report(sfn)
                cost = time.monotonic() - reading
                next_report = time.monotonic() + max(_HISTORY_INTERVAL_SECONDS, _HISTORY_COST_FACTOR * cost)
            if finished:
                break
            if stop_when is not None and stop_when():
                stop_when = None
                self._stop(sfn, execution_arn, reporter, "gt3d.Stopped", "The local run was asked to stop.")
                continue
            if time.monotonic() - started > timeout_seconds:
                cause = f"The local run did not finish within {timeout_seconds:.0f} s."
                self._stop(sfn, execution_arn, reporter, "gt3d.LocalRunTimeout", cause)
                continue
            time.sleep(_POLL_INTERVAL_SECONDS)
        children = [child_record(sfn, child) for child in reporter.descendants()]
        deliveries = self._deliver_ends(sfn, [execution_arn, *(child["execution_arn"] for child in children)])
        new_requests = self.emulator.requests[requests_before:]
        result = LocalRunResult(
            execution_arn=execution_arn,
            status=description["status"],
            input=parse_json(description.get("input")),
            output=parse_json(description.get("output")),
            error=description.get("error"),
            cause=description.get("cause"),
            states=reporter.states,
            labeling_job_request=new_requests[0] if new_requests else None,
            labeling_job_requests=list(new_requests),
            description=dict(description),
            history=reporter.history,
            child_executions=children,
            notifications=[n for n in self.notifications() if n not in notifications_before],
            warnings=self.emulator.warnings[warnings_before:],
            iam_denials=[str(denial) for denial in self.iam.denials[denials_before:]],
            event_deliveries=[
                {"rule": d.rule, "target": d.target, "status": d.detail_status, "result": d.result} for d in deliveries
            ],
            labeling_job_status=(
                self.emulator.final_status(new_requests[-1]["LabelingJobName"], self.region) if new_requests else None
            ),
            duration_seconds=time.monotonic() - started,
        )
        return result

    def _deliver_ends(self, sfn: Any, execution_arns: list[str]) -> list[Delivery]:
        """Send each ended execution's status-change event through the synthesized EventBridge rules."""
        deliveries = []
        for arn in execution_arns:
            for delivery in self.events.execution_ended(sfn.describe_execution(executionArn=arn)):
                self.progress(f"[gt3d] EventBridge: {delivery.describe()}")
                deliveries.append(delivery)
        return deliveries

    def settle(self, execution_arn: str, *, timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS) -> list[Delivery]:
        """Wait for an execution started outside :meth:`run` (e.g. by ``gt3d start``) to end; return the deliveries.

        Once it has ended, this does what the service does: it stops the executions it started that still run (as
        for the ``.sync`` task of a stopped or timed-out execution) and sends each end through the synthesized
        EventBridge rules.
        """
        sfn = boto3.client("stepfunctions", region_name=self.region)
        deadline = time.monotonic() + timeout_seconds
        while sfn.describe_execution(executionArn=execution_arn)["status"] == "RUNNING":
            if time.monotonic() > deadline:
                raise LocalRunError(f"The execution {execution_arn} did not end within {timeout_seconds:.0f} s.")
            time.sleep(_POLL_INTERVAL_SECONDS)
        reporter = HistoryReporter(
            execution_arn,
            {},
            definitions={},
            read_history=moto_history,
            time_scale=self.time_scale,
            progress=Progress(),
        )
        reporter.report(sfn)
        started = [child.execution_arn for child in reporter.descendants()]
        _stop_running(sfn, started)
        return self._deliver_ends(sfn, [execution_arn, *started])

    @staticmethod
    def _stop(sfn: Any, execution_arn: str, reporter: HistoryReporter, error: str, cause: str) -> None:
        """Stop the execution and (as the service does for ``.sync`` tasks) the executions it started."""
        sfn.stop_execution(executionArn=execution_arn, error=error, cause=cause)
        reporter.report(sfn)  # learns of every execution started so far
        _stop_running(sfn, [child.execution_arn for child in reporter.descendants()], error=error, cause=cause)

    def write_out(self, out_dir: Path, result: LocalRunResult) -> int:
        """Write the labeling bucket as ``out_dir/bucket/<key>`` and ``out_dir/execution.json``; return objects."""
        objects = self.bucket_objects()
        for key, body in objects.items():
            path = out_dir / "bucket" / key
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(body)
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "execution.json").write_text(json.dumps(result.execution_record(), indent=2, default=str) + "\n")
        return len(objects)


def _stop_running(sfn: Any, execution_arns: list[str], **reason: str) -> None:
    """Stop those of the executions that still run (with ``error`` and ``cause`` if given) and wait for them to end."""
    stopped = []
    for arn in execution_arns:
        if sfn.describe_execution(executionArn=arn)["status"] == "RUNNING":
            sfn.stop_execution(executionArn=arn, **reason)
            stopped.append(arn)
    # An execution ends once the state it is in returns (a Lambda invocation, a Wait): report it as it ended.
    deadline = time.monotonic() + _STOP_GRACE_SECONDS
    while stopped and time.monotonic() < deadline:
        stopped = [arn for arn in stopped if sfn.describe_execution(executionArn=arn)["status"] == "RUNNING"]
        time.sleep(_POLL_INTERVAL_SECONDS)


def _echo_to_stderr(text: str) -> None:
    sys.stderr.write(text)


def _bucket_exists(s3: Any, bucket: str) -> bool:
    try:
        s3.head_bucket(Bucket=bucket)
    except ClientError:
        return False
    return True


def _location_constraint(region: str) -> dict[str, Any]:
    return {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}


_SHARED_LOADERS: dict[Any, Any] = {}


def shared_botocore_loader(data_path: Any = None) -> Any:
    """Return one botocore data loader per data path for the whole process.

    moto gives every mocked run a fresh default session, and each new session would parse the service models
    (SageMaker's is megabytes of JSON) again; the models are read-only, so runs share them.
    """
    if data_path not in _SHARED_LOADERS:
        _SHARED_LOADERS[data_path] = botocore.loaders.create_loader(data_path)
    return _SHARED_LOADERS[data_path]


@contextlib.contextmanager
def _environment(values: Mapping[str, str], stripped: tuple[str, ...]) -> Iterator[None]:
    with mock.patch.dict(os.environ, values):
        for name in stripped:
            os.environ.pop(name, None)
        yield


def moto_history(execution_arn: str) -> list[dict[str, Any]]:
    """Return an execution's history events as GetExecutionHistory returns them, read from moto's backend.

    The API round trip (moto's serializer, botocore's parser) takes seconds for a monitor execution's 5,500 events;
    the backend holds the same events, with the event type as an enum and the timestamp as text.
    """
    _, _, _, region, account, _ = execution_arn.split(":", 5)
    events = sfn_backend(account, region).get_execution_history(execution_arn)["events"]
    return [
        {
            **event,
            "type": str(getattr(event["type"], "value", event["type"])),
            "timestamp": datetime.datetime.fromisoformat(str(event["timestamp"])),
        }
        for event in events
    ]


def _permission_policy(stack: Stack, logical_id: str, function_arn: str, properties: Mapping[str, Any]) -> NamedPolicy:
    """Return an ``AWS::Lambda::Permission`` as the resource-policy statement Lambda stores for it."""
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"Service": properties["Principal"]},
        "Action": properties["Action"],
        "Resource": function_arn,
    }
    if "SourceArn" in properties:
        statement["Condition"] = {"ArnLike": {"AWS:SourceArn": properties["SourceArn"]}}
    return NamedPolicy(f"{stack.stack_name}/{logical_id}", {"Version": "2012-10-17", "Statement": [statement]})
