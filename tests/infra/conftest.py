"""Infrastructure fixtures: the real app synthesized offline, once per configuration per session.

Modules ask for a configuration through module-scoped fixtures; the session cache means a configuration that
several modules use is synthesized only once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from infra_app import CONFIGURATIONS, Synthesized, cdk_json_context, synthesize


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-snapshots",
        action="store_true",
        default=False,
        help="rewrite tests/snapshots from the current templates instead of comparing against them",
    )


@pytest.fixture(scope="session")
def synthesized_configuration(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[[str], Synthesized]]:
    """Return a function that synthesizes a named configuration once per test session."""
    cache: dict[str, Synthesized] = {}

    def get(name: str) -> Synthesized:
        if name not in cache:
            cache[name] = synthesize(cdk_json_context(**CONFIGURATIONS[name]), tmp_path_factory.mktemp(name))
        return cache[name]

    yield get


@pytest.fixture(scope="module")
def created(synthesized_configuration: Callable[[str], Synthesized]) -> Synthesized:
    """The default configuration (work team created here) with two workers and a notification e-mail."""
    return synthesized_configuration("create")


@pytest.fixture(scope="module")
def imported_workteam(synthesized_configuration: Callable[[str], Synthesized]) -> Synthesized:
    """An existing work team imported by ARN."""
    return synthesized_configuration("import-workteam")


@pytest.fixture(scope="module")
def imported_user_pool(synthesized_configuration: Callable[[str], Synthesized]) -> Synthesized:
    """An existing Cognito user pool and app client, with one worker."""
    return synthesized_configuration("import-user-pool")


@pytest.fixture(scope="module", params=sorted(CONFIGURATIONS))
def every_configuration(
    request: pytest.FixtureRequest, synthesized_configuration: Callable[[str], Synthesized]
) -> Synthesized:
    """Each work team mode in turn."""
    return synthesized_configuration(request.param)


@pytest.fixture(scope="session")
def update_snapshots(request: pytest.FixtureRequest) -> bool:
    """True when run as `pytest tests/infra --update-snapshots` (the `make snapshots` target)."""
    return bool(request.config.getoption("--update-snapshots", default=False))
