"""Read synthesized templates the way a reviewer would: by resource type, handler and role, never by logical id."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

Template = Mapping[str, Any]


def resources_of_type(template: Template, resource_type: str) -> dict[str, dict[str, Any]]:
    """Return the template's resources of one type, by logical id."""
    return {lid: res for lid, res in template["Resources"].items() if res["Type"] == resource_type}


def only_resource(template: Template, resource_type: str) -> tuple[str, dict[str, Any]]:
    """Return the single resource of ``resource_type`` (and its logical id)."""
    (item,) = resources_of_type(template, resource_type).items()
    return item


def function_by_handler(template: Template, handler: str) -> dict[str, Any]:
    """Return the Lambda function whose Handler is ``handler``."""
    (function,) = [
        res
        for res in resources_of_type(template, "AWS::Lambda::Function").values()
        if res["Properties"].get("Handler") == handler
    ]
    return function


def role_statements(template: Template, role_logical_id: str) -> list[dict[str, Any]]:
    """Return every statement of every policy attached to the role (inline or AWS::IAM::Policy)."""
    role = template["Resources"][role_logical_id]
    statements = [s for policy in role["Properties"].get("Policies", []) for s in policy["PolicyDocument"]["Statement"]]
    for policy in resources_of_type(template, "AWS::IAM::Policy").values():
        if {"Ref": role_logical_id} in policy["Properties"].get("Roles", []):
            statements.extend(policy["Properties"]["PolicyDocument"]["Statement"])
    return statements


def function_statements(template: Template, handler: str) -> list[dict[str, Any]]:
    """Return the statements of the role the function with ``handler`` runs as."""
    role_arn = function_by_handler(template, handler)["Properties"]["Role"]
    return role_statements(template, role_arn["Fn::GetAtt"][0])


def as_list(value: Any) -> list[Any]:
    """Return an IAM element (a value or a list) as a list."""
    return value if isinstance(value, list) else [value]


def flatten(value: Any) -> str:
    """Render an intrinsic as readable text: Ref -> <Id>, GetAtt -> <Id.Attr>, ImportValue -> import(name)."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return ",".join(flatten(item) for item in value)
    if "Fn::Join" in value:
        delimiter, parts = value["Fn::Join"]
        return str(delimiter).join(flatten(part) for part in parts)
    if "Fn::GetAtt" in value:
        return "<{}.{}>".format(*value["Fn::GetAtt"])
    if "Ref" in value:
        return f"<{value['Ref']}>"
    if "Fn::ImportValue" in value:
        return f"import({flatten(value['Fn::ImportValue'])})"
    return json.dumps(value, sort_keys=True)


def actions_and_resources(statements: list[dict[str, Any]]) -> set[tuple[str, str]]:
    """Return every (action, flattened resource) pair the Allow statements grant."""
    return {
        (action, flatten(resource))
        for statement in statements
        if statement["Effect"] == "Allow"
        for action in as_list(statement["Action"])
        for resource in as_list(statement.get("Resource", []))
    }


def every_statement(templates: Mapping[str, Template]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """Yield (stack, logical id, statement) for every policy document in every template."""
    for stack, template in templates.items():
        for lid, res in template["Resources"].items():
            props = res.get("Properties", {})
            documents = [
                props[key] for key in ("PolicyDocument", "AssumeRolePolicyDocument", "KeyPolicy") if key in props
            ]
            if res["Type"] in ("AWS::IAM::Role", "AWS::IAM::User", "AWS::IAM::Group"):
                documents += [policy["PolicyDocument"] for policy in props.get("Policies", [])]
            for document in documents:
                for statement in document["Statement"]:
                    yield stack, lid, statement


def state_machine_definitions(template: Template) -> dict[str, dict[str, Any]]:
    """Return every state machine's ASL by logical id, intrinsics rendered as ``<Id.Attr>``/``<Id>`` placeholders."""
    definitions = {}
    for logical_id, machine in resources_of_type(template, "AWS::StepFunctions::StateMachine").items():
        body = machine["Properties"]["DefinitionString"]
        text = body if isinstance(body, str) else "".join(flatten(part) for part in body["Fn::Join"][1])
        definitions[logical_id] = dict(json.loads(text))
    return definitions
