"""Read a synthesized CDK cloud assembly (``cdk.out``) and resolve its CloudFormation tokens to emulated resources.

The offline runner deploys nothing: it gives every resource the physical name CloudFormation would generate
(deterministically, here), and :class:`TokenResolver` evaluates ``Ref``, ``Fn::GetAtt``, ``Fn::Join``, ``Fn::Sub``,
``Fn::ImportValue`` and the other intrinsics against those names, so a state machine definition or a Lambda
environment can be used exactly as synthesized.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class AssemblyError(Exception):
    """The cloud assembly is missing, unreadable, or lacks what the runner needs."""


@dataclass(frozen=True, slots=True)
class Stack:
    """One synthesized CloudFormation stack of the assembly."""

    artifact_id: str
    stack_name: str
    region: str | None
    template: dict[str, Any]
    directory: Path
    asset_paths: dict[str, str] = field(default_factory=dict)  # S3 object key -> asset path (relative)

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        """Return the template's resources by logical id."""
        resources: dict[str, dict[str, Any]] = self.template.get("Resources", {})
        return resources

    def of_type(self, resource_type: str) -> Iterator[tuple[str, dict[str, Any]]]:
        """Yield ``(logical id, resource)`` for every resource of ``resource_type``."""
        for logical_id, resource in self.resources.items():
            if resource.get("Type") == resource_type:
                yield logical_id, resource

    def code_directory(self, logical_id: str) -> Path | None:
        """Return the directory of a Lambda function's code asset (from asset metadata or the asset manifest)."""
        resource = self.resources[logical_id]
        metadata = resource.get("Metadata", {})
        relative = metadata.get("aws:asset:path") if metadata.get("aws:asset:property") == "Code" else None
        if relative is None:
            key = resource.get("Properties", {}).get("Code", {}).get("S3Key")
            relative = self.asset_paths.get(key) if isinstance(key, str) else None
        if relative is None:
            return None
        path = (self.directory / relative).resolve()
        return path if path.is_dir() else None


@dataclass(frozen=True, slots=True)
class CloudAssembly:
    """The stacks of one ``cdk.out`` directory."""

    directory: Path
    stacks: tuple[Stack, ...]

    @classmethod
    def load(cls, directory: Path) -> CloudAssembly:
        """Read ``directory/manifest.json`` and every stack template it lists."""
        manifest_path = directory / "manifest.json"
        if not manifest_path.is_file():
            raise AssemblyError(
                f"No synthesized app at {directory} (manifest.json missing). Run `make synth` first, "
                "or pass --cloud-assembly DIR."
            )
        try:
            manifest = json.loads(manifest_path.read_text())
        except json.JSONDecodeError as error:
            raise AssemblyError(f"{manifest_path} is not valid JSON: {error}") from error
        artifacts: dict[str, Any] = manifest.get("artifacts", {})
        asset_files: dict[str, dict[str, str]] = {}
        for artifact_id, artifact in artifacts.items():
            if artifact.get("type") == "cdk:asset-manifest":
                asset_files[artifact_id] = _asset_paths(directory / artifact["properties"]["file"])
        stacks = []
        for artifact_id, artifact in artifacts.items():
            if artifact.get("type") != "aws:cloudformation:stack":
                continue
            properties = artifact.get("properties", {})
            template_path = directory / properties["templateFile"]
            environment = str(artifact.get("environment", ""))
            region = environment.rsplit("/", 1)[-1] if environment.startswith("aws://") else None
            assets: dict[str, str] = {}
            for dependency in artifact.get("dependencies", []):
                assets.update(asset_files.get(dependency, {}))
            stacks.append(
                Stack(
                    artifact_id=artifact_id,
                    stack_name=properties.get("stackName", artifact_id),
                    region=None if region in (None, "unknown-region") else region,
                    template=json.loads(template_path.read_text()),
                    directory=directory,
                    asset_paths=assets,
                )
            )
        if not stacks:
            raise AssemblyError(f"{manifest_path} lists no CloudFormation stacks. Run `make synth`.")
        return cls(directory=directory, stacks=tuple(stacks))

    def stack_with(self, resource_type: str) -> Stack:
        """Return the one stack that declares a resource of ``resource_type``."""
        found = [stack for stack in self.stacks if any(True for _ in stack.of_type(resource_type))]
        if len(found) != 1:
            names = ", ".join(stack.stack_name for stack in found) or "none"
            raise AssemblyError(f"Expected exactly one stack with a {resource_type}; found: {names}.")
        return found[0]

    def stack(self, stack_name: str) -> Stack:
        """Return the stack called ``stack_name``."""
        for stack in self.stacks:
            if stack.stack_name == stack_name:
                return stack
        raise AssemblyError(f"No stack named {stack_name!r} in {self.directory}.")


def _asset_paths(path: Path) -> dict[str, str]:
    """Map each file asset's destination object key to its path in the assembly."""
    try:
        manifest = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return {}
    paths = {}
    for asset in manifest.get("files", {}).values():
        source = asset.get("source", {}).get("path")
        for destination in asset.get("destinations", {}).values():
            key = destination.get("objectKey")
            if source and key:
                paths[key] = source
    return paths


# ---------------------------------------------------------------------------------------------------------------
# Physical names and attributes, as CloudFormation would give them (deterministic here)


def _suffix(*parts: str) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:12].upper()


def generated_name(stack_name: str, logical_id: str, *, limit: int, lower: bool = False) -> str:
    """Return a CloudFormation-style generated name ``<stack>-<logical id>-<suffix>`` within ``limit`` chars."""
    suffix = _suffix(stack_name, logical_id)
    room = limit - len(suffix) - 2
    stack_part = stack_name[: max(1, room // 2)]
    logical_part = logical_id[: max(1, room - len(stack_part))]
    name = f"{stack_part}-{logical_part}-{suffix}"
    if lower:
        name = re.sub(r"[^a-z0-9.-]", "-", name.lower())
    return name


@dataclass(frozen=True, slots=True)
class Physical:
    """What ``Ref`` and ``Fn::GetAtt`` return for one emulated resource."""

    ref: str
    attributes: dict[str, str]


class TokenResolver:
    """Evaluate CloudFormation intrinsics in a stack's values against emulated physical resources."""

    def __init__(self, assembly: CloudAssembly, *, region: str, account: str, partition: str = "aws") -> None:
        self.assembly = assembly
        self.region = region
        self.account = account
        self.partition = partition
        self._physical: dict[tuple[str, str], Physical] = {}
        self._overrides: dict[tuple[str, str], Physical] = {}

    # --- names -----------------------------------------------------------------------------------------------------
    def name_property(self, stack: Stack, logical_id: str, prop: str) -> str | None:
        """Return a resource's explicit name property, resolved, or None when CloudFormation would generate it."""
        value = stack.resources[logical_id].get("Properties", {}).get(prop)
        return None if value is None else str(self.resolve(stack, value))

    def physical(self, stack: Stack, logical_id: str) -> Physical:
        """Return (and remember) what ``Ref``/``Fn::GetAtt`` give for a resource of ``stack``."""
        key = (stack.stack_name, logical_id)
        if key in self._overrides:
            return self._overrides[key]
        if key not in self._physical:
            self._physical[key] = self._make_physical(stack, logical_id)
        return self._physical[key]

    def override(self, stack: Stack, logical_id: str, physical: Physical) -> None:
        """Use ``physical`` for a resource (e.g. when the emulated service chose the identifier)."""
        self._overrides[(stack.stack_name, logical_id)] = physical

    def _make_physical(self, stack: Stack, logical_id: str) -> Physical:
        resource = stack.resources.get(logical_id)
        if resource is None:
            raise AssemblyError(f"{stack.stack_name}: no resource {logical_id!r} to resolve.")
        kind = resource.get("Type", "")
        region, account, partition = self.region, self.account, self.partition
        sn = stack.stack_name

        def named(prop: str, limit: int, *, lower: bool = False) -> str:
            return self.name_property(stack, logical_id, prop) or generated_name(
                sn, logical_id, limit=limit, lower=lower
            )

        if kind == "AWS::S3::Bucket":
            name = named("BucketName", 63, lower=True)
            return Physical(
                name,
                {
                    "Arn": f"arn:{partition}:s3:::{name}",
                    "DomainName": f"{name}.s3.amazonaws.com",
                    "RegionalDomainName": f"{name}.s3.{region}.amazonaws.com",
                },
            )
        if kind == "AWS::IAM::Role":
            name = named("RoleName", 64)
            path = self.name_property(stack, logical_id, "Path") or "/"
            return Physical(
                name,
                {"Arn": f"arn:{partition}:iam::{account}:role{path}{name}", "RoleId": f"AROA{_suffix(sn, logical_id)}"},
            )
        if kind == "AWS::Lambda::Function":
            name = named("FunctionName", 64)
            return Physical(name, {"Arn": f"arn:{partition}:lambda:{region}:{account}:function:{name}"})
        if kind == "AWS::SNS::Topic":
            name = named("TopicName", 256)
            arn = f"arn:{partition}:sns:{region}:{account}:{name}"
            return Physical(arn, {"TopicArn": arn, "TopicName": name})
        if kind == "AWS::StepFunctions::StateMachine":
            name = named("StateMachineName", 80)
            arn = f"arn:{partition}:states:{region}:{account}:stateMachine:{name}"
            return Physical(arn, {"Arn": arn, "Name": name})
        if kind == "AWS::SageMaker::Workteam":
            name = named("WorkteamName", 63)
            arn = f"arn:{partition}:sagemaker:{region}:{account}:workteam/private-crowd/{name}"
            return Physical(arn, {"WorkteamArn": arn, "WorkteamName": name})
        if kind == "AWS::Logs::LogGroup":
            name = named("LogGroupName", 512)
            return Physical(name, {"Arn": f"arn:{partition}:logs:{region}:{account}:log-group:{name}:*"})
        if kind == "AWS::KMS::Key":
            key_id = f"{_suffix(sn, logical_id).lower()}-0000-4000-8000-{_suffix(logical_id).lower()}"
            return Physical(key_id, {"Arn": f"arn:{partition}:kms:{region}:{account}:key/{key_id}", "KeyId": key_id})
        if kind == "AWS::Events::Rule":
            name = named("Name", 64)
            return Physical(name, {"Arn": f"arn:{partition}:events:{region}:{account}:rule/{name}"})
        if kind == "AWS::Cognito::UserPool":
            pool_id = f"{region}_{_suffix(sn, logical_id)[:9]}"
            return Physical(
                pool_id,
                {
                    "Arn": f"arn:{partition}:cognito-idp:{region}:{account}:userpool/{pool_id}",
                    "ProviderName": f"cognito-idp.{region}.amazonaws.com/{pool_id}",
                    "ProviderURL": f"https://cognito-idp.{region}.amazonaws.com/{pool_id}",
                    "UserPoolId": pool_id,
                },
            )
        identifier = f"{sn}-{logical_id}-{_suffix(sn, logical_id)}"
        service = kind.split("::")[1].lower() if kind.startswith("AWS::") else "emulated"
        return Physical(identifier, {"Arn": f"arn:{partition}:{service}:{region}:{account}:{identifier}"})

    # --- intrinsics --------------------------------------------------------------------------------------------------
    def resolve(self, stack: Stack, value: Any) -> Any:
        """Return ``value`` with every intrinsic function evaluated (``AWS::NoValue`` entries removed)."""
        result = self._resolve(stack, value)
        return None if result is _NO_VALUE else result

    def _resolve(self, stack: Stack, value: Any) -> Any:
        if isinstance(value, list):
            items = [self._resolve(stack, item) for item in value]
            return [item for item in items if item is not _NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((function, argument),) = value.items()
            if function == "Ref":
                return self._ref(stack, argument)
            if function == "Condition":
                return self._condition(stack, argument)
            if function.startswith("Fn::"):
                return self._function(stack, function, argument)
        resolved = {key: self._resolve(stack, item) for key, item in value.items()}
        return {key: item for key, item in resolved.items() if item is not _NO_VALUE}

    def _ref(self, stack: Stack, name: str) -> Any:
        pseudo = {
            "AWS::Region": self.region,
            "AWS::AccountId": self.account,
            "AWS::Partition": self.partition,
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": stack.stack_name,
            "AWS::StackId": (
                f"arn:{self.partition}:cloudformation:{self.region}:{self.account}:stack/{stack.stack_name}/"
                f"{_suffix(stack.stack_name).lower()}"
            ),
            "AWS::NotificationARNs": [],
        }
        if name == "AWS::NoValue":
            return _NO_VALUE
        if name in pseudo:
            return pseudo[name]
        parameters = stack.template.get("Parameters", {})
        if name in parameters:
            return parameters[name].get("Default", "")
        return self.physical(stack, name).ref

    def _get_att(self, stack: Stack, argument: Any) -> str:
        if isinstance(argument, str):
            logical_id, _, attribute = argument.partition(".")
        else:
            logical_id, attribute = argument[0], self._resolve(stack, argument[1])
        physical = self.physical(stack, logical_id)
        if attribute in physical.attributes:
            return physical.attributes[attribute]
        return f"emulated:{stack.stack_name}:{logical_id}:{attribute}"

    def _import(self, export_name: str) -> Any:
        for stack in self.assembly.stacks:
            for output in stack.template.get("Outputs", {}).values():
                export = output.get("Export", {}).get("Name")
                if export is not None and self.resolve(stack, export) == export_name:
                    return self.resolve(stack, output["Value"])
        raise AssemblyError(f"No stack in the assembly exports {export_name!r} (Fn::ImportValue).")

    def _sub(self, stack: Stack, argument: Any) -> str:
        template, variables = (argument, {}) if isinstance(argument, str) else (argument[0], argument[1])
        values = {key: self._resolve(stack, item) for key, item in variables.items()}

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in values:
                return str(values[name])
            if "." in name and not name.startswith("AWS::"):
                return self._get_att(stack, name)
            return str(self._ref(stack, name))

        return re.sub(r"\$\{([^}]+)\}", replace, template)

    def _condition(self, stack: Stack, name: str) -> bool:
        return bool(self._resolve(stack, stack.template.get("Conditions", {})[name]))

    def _function(self, stack: Stack, function: str, argument: Any) -> Any:
        if function == "Fn::GetAtt":
            return self._get_att(stack, argument)
        if function == "Fn::Join":
            separator, items = argument
            return str(separator).join(str(item) for item in self._resolve(stack, items))
        if function == "Fn::Sub":
            return self._sub(stack, argument)
        if function == "Fn::ImportValue":
            return self._import(str(self._resolve(stack, argument)))
        if function == "Fn::Select":
            index, items = self._resolve(stack, argument)
            return items[int(index)]
        if function == "Fn::Split":
            separator, text = self._resolve(stack, argument)
            return str(text).split(separator)
        if function == "Fn::Base64":
            return base64.b64encode(str(self._resolve(stack, argument)).encode()).decode()
        if function == "Fn::GetAZs":
            return [f"{self.region}{zone}" for zone in "abc"]
        if function == "Fn::FindInMap":
            mapping, top, second = (self._resolve(stack, item) for item in argument)
            return stack.template["Mappings"][mapping][top][second]
        if function == "Fn::If":
            condition, if_true, if_false = argument
            return self._resolve(stack, if_true if self._condition(stack, condition) else if_false)
        if function == "Fn::Equals":
            left, right = self._resolve(stack, argument)
            return left == right
        if function == "Fn::Not":
            return not self._resolve(stack, argument)[0]
        if function == "Fn::And":
            return all(self._resolve(stack, argument))
        if function == "Fn::Or":
            return any(self._resolve(stack, argument))
        if function == "Fn::ToJsonString":
            return json.dumps(self._resolve(stack, argument), separators=(",", ":"))
        raise AssemblyError(f"{stack.stack_name}: intrinsic function {function} is not supported by the runner.")

    def environment(self, stack: Stack, logical_id: str) -> dict[str, str]:
        """Return a Lambda function's environment variables, resolved."""
        properties = stack.resources[logical_id].get("Properties", {})
        variables = self.resolve(stack, properties.get("Environment", {}).get("Variables", {})) or {}
        return {str(key): str(value) for key, value in variables.items()}

    def definition(self, stack: Stack, logical_id: str) -> str:
        """Return a state machine's definition string exactly as synthesized, with its tokens resolved."""
        properties = stack.resources[logical_id].get("Properties", {})
        if "DefinitionString" in properties:
            text = str(self.resolve(stack, properties["DefinitionString"]))
        elif "Definition" in properties:
            text = json.dumps(self.resolve(stack, properties["Definition"]))
        else:
            raise AssemblyError(f"{stack.stack_name}/{logical_id} has no inline definition (DefinitionS3Location?).")
        substitutions: Mapping[str, Any] = self.resolve(stack, properties.get("DefinitionSubstitutions", {})) or {}
        for key, value in substitutions.items():
            text = text.replace("${" + key + "}", str(value))
        return text


class _NoValue:
    def __repr__(self) -> str:
        return "AWS::NoValue"


_NO_VALUE = _NoValue()
