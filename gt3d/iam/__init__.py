"""IAM authorization for the offline runner: which authorizations an AWS call needs, and whether policies allow them.

``authorizations(service, operation, params, region=..., account=...)`` lists what AWS evaluates for one call;
``evaluate(request, principal=..., identity_policies=..., resource_policy=...)`` decides each one.
"""

from __future__ import annotations

from gt3d.iam.policy import (
    AuthorizationRequest,
    ContextValue,
    Decision,
    NamedPolicy,
    PolicyError,
    Principal,
    evaluate,
)
from gt3d.iam.reference import dependent_actions
from gt3d.iam.requests import (
    INAPPLICABLE_DEPENDENT_ACTIONS,
    UnmodeledOperationError,
    authorizations,
    modeled_operations,
    primary_action,
)

__all__ = [
    "INAPPLICABLE_DEPENDENT_ACTIONS",
    "AuthorizationRequest",
    "ContextValue",
    "Decision",
    "NamedPolicy",
    "PolicyError",
    "Principal",
    "UnmodeledOperationError",
    "authorizations",
    "dependent_actions",
    "evaluate",
    "modeled_operations",
    "primary_action",
]
