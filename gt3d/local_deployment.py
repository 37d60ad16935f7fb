"""The emulated deployment of a cloud assembly: every stack's resources, created in moto as CloudFormation would.

:class:`LocalDeployer` stands up, inside ``moto.mock_aws``, every bucket (with its CORS and versioning), role (with
its trust policy, MaxSessionDuration and policies, enforced by :mod:`gt3d.local_iam`), topic, Lambda function and
state machine of every stack, under the names CloudFormation would give them, each state machine created from its
``DefinitionString`` exactly as synthesized (tokens resolved, nothing else changed). Each function's code asset is
registered with :mod:`gt3d.lambda_runtime` (its handler runs in-process) and each EventBridge rule with
:mod:`gt3d.local_events`. It answers with a :class:`LocalDeployment`: where executions start (the one state machine no
other starts) and where the data goes.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.exceptions import ClientError

from gt3d import demo_data
from gt3d.cloud_assembly import AssemblyError, CloudAssembly, Stack, TokenResolver
from gt3d.iam import NamedPolicy
from gt3d.lambda_runtime import FunctionCode, InProcessLambda
from gt3d.local_errors import DeploymentError, LocalRunError
from gt3d.local_events import LocalEventBus
from gt3d.local_iam import LocalIam


@dataclass(frozen=True, slots=True)
class LocalDeployment:
    """What the emulated deployment created that a run needs: the state machine to start and the buckets it uses."""

    state_machine_arn: str  # the entry state machine: the one no other definition starts
    definition: dict[str, Any]
    definitions: dict[str, dict[str, Any]]  # every state machine's definition, by ARN
    labeling_bucket: str
    source_bucket: str
    source_prefix: str
    function_count: int


@dataclass(frozen=True, slots=True)
class LocalDeployer:
    """Deploys a cloud assembly into the active ``moto.mock_aws``, giving the local services their share of it.

    ``pipeline`` is the stack with the state machine; ``source`` (``--source``) replaces the pipeline's configured
    source location (``SOURCE_URI``; default: the demo data's).
    """

    assembly: CloudAssembly
    pipeline: Stack
    resolver: TokenResolver
    iam: LocalIam
    lambdas: InProcessLambda
    events: LocalEventBus
    region: str
    account: str
    source: str | None

    def deploy(self) -> LocalDeployment:
        """Create every stack's resources, grant their policies, and return what a run needs."""
        s3 = boto3.client("s3", region_name=self.region)
        self._create_stack_resources(s3)
        self._grant_policies()

        source_uri = self.source or self._configured_source() or demo_data.DEMO_URI
        source_bucket, source_prefix = _s3_location(source_uri)
        labeling_bucket = self._labeling_bucket()
        functions = self._create_functions(source_uri if self.source else None)

        machines = self._create_state_machines()
        entry = _entry_state_machine(machines)
        if not _bucket_exists(s3, source_bucket):
            s3.create_bucket(Bucket=source_bucket, **_location_constraint(self.region))
        return LocalDeployment(
            state_machine_arn=entry,
            definition=machines[entry],
            definitions=machines,
            labeling_bucket=labeling_bucket,
            source_bucket=source_bucket,
            source_prefix=source_prefix,
            function_count=functions,
        )

    def _create_stack_resources(self, s3: Any) -> None:
        """Create every stack's buckets, roles and topics, then put each ``AWS::IAM::Policy`` on its roles."""
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


def _entry_state_machine(machines: Mapping[str, Mapping[str, Any]]) -> str:
    """Return the ARN of the one state machine that no other state machine's definition names (the one to start)."""
    texts = {arn: json.dumps(definition) for arn, definition in machines.items()}
    entries = [arn for arn in machines if not any(f'"{arn}"' in text for other, text in texts.items() if other != arn)]
    if len(entries) != 1:
        raise AssemblyError(
            f"Expected one state machine that no other starts; found {len(entries)}: {', '.join(entries) or 'none'}."
        )
    return entries[0]


def _bucket_exists(s3: Any, bucket: str) -> bool:
    try:
        s3.head_bucket(Bucket=bucket)
    except ClientError:
        return False
    return True


def _location_constraint(region: str) -> dict[str, Any]:
    return {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}


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


def _s3_location(uri: str) -> tuple[str, str]:
    if not uri.startswith("s3://") or not uri[5:] or uri[5:].startswith("/"):
        raise LocalRunError(f"{uri!r} is not an s3://bucket/prefix/ location.")
    bucket, _, prefix = uri[5:].partition("/")
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    return bucket, prefix
