"""The human task settings of the execution input: what workers see and how long and how many tasks run.

Limits come from HumanTaskConfig in the API Reference and from the 3D point cloud task pages
(docs/ground-truth-rules.md, ``HT-*`` rows).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Final

from gt3d_core import catalog
from gt3d_core.request_fields import integer, invalid, mapping, string
from gt3d_core.rules import (
    HT_AVAILABILITY_LIFETIME,
    HT_DESCRIPTION,
    HT_KEYWORDS,
    HT_MAX_CONCURRENT,
    HT_ROLE_SESSION,
    HT_TASK_TIME_LIMIT,
    HT_TITLE,
)

TITLE_MAX_LENGTH: Final = 128
DESCRIPTION_MAX_LENGTH: Final = 255
KEYWORDS_MAX_ITEMS: Final = 5
KEYWORD_MAX_LENGTH: Final = 30
MIN_TASK_TIME_LIMIT_SECONDS: Final = 30
MAX_TASK_TIME_LIMIT_SECONDS: Final = 7 * 24 * 60 * 60
"""7 days (604,800 s): the 3D point cloud task pages' ceiling (the API Reference says 30 days; the pages win)."""
LONG_TASK_SECONDS: Final = catalog.LONG_TASK_THRESHOLD_SECONDS
MIN_TASK_AVAILABILITY_LIFETIME_SECONDS: Final = 60
MAX_TASK_AVAILABILITY_LIFETIME_SECONDS: Final = 30 * 24 * 60 * 60
MAX_CONCURRENT_TASK_COUNT: Final = 1000
"""The default limit; AWS Support can raise an account's to 5,000, which the pipeline cannot see."""

TASK_KEYWORD_PATTERN: Final = r"[A-Za-z0-9]+( [A-Za-z0-9]+)*"
_TASK_KEYWORD_RE = re.compile(TASK_KEYWORD_PATTERN)
# The API's TaskTitle pattern: no control characters other than tab/newline, nothing outside the BMP (emoji).
_TASK_TITLE_RE = re.compile("[\t\n\r -\ud7ff\ue000-\ufffd]*")
# The API's TaskDescription pattern is ``.+`` (Java): a single line.
_LINE_TERMINATORS = frozenset("\n\r\u0085\u2028\u2029")

HUMAN_TASK_FIELDS: Final = (
    "title",
    "description",
    "keywords",
    "task_time_limit_seconds",
    "task_availability_lifetime_seconds",
    "max_concurrent_task_count",
)


@dataclass(frozen=True, slots=True)
class HumanTask:
    """The human-task overrides of the execution input, in the execution input's snake_case names."""

    title: str
    description: str
    keywords: tuple[str, ...]
    task_time_limit_seconds: int
    task_availability_lifetime_seconds: int
    max_concurrent_task_count: int

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form used in the execution input and in ``$.plan.human_task``."""
        return {
            "title": self.title,
            "description": self.description,
            "keywords": list(self.keywords),
            "task_time_limit_seconds": self.task_time_limit_seconds,
            "task_availability_lifetime_seconds": self.task_availability_lifetime_seconds,
            "max_concurrent_task_count": self.max_concurrent_task_count,
        }


DEFAULT_HUMAN_TASK: Final = HumanTask(
    title="Add a Task Title Here - This is Displayed to Workers",
    description="add a task description here",
    keywords=("lidar", "pointcloud"),
    task_time_limit_seconds=3600,
    task_availability_lifetime_seconds=18000,
    max_concurrent_task_count=200,
)
"""The notebook's human task configuration."""


def _title(value: object) -> str:
    field = "human_task.title"
    title = string(field, value)
    if not 1 <= len(title) <= TITLE_MAX_LENGTH:
        raise invalid(
            field,
            title,
            f"it must be 1-{TITLE_MAX_LENGTH} characters, not {len(title)}",
            "Shorten or fill the title.",
            HT_TITLE,
        )
    if not _TASK_TITLE_RE.fullmatch(title):
        raise invalid(
            field,
            title,
            "the API accepts no control characters (other than tab and newline) and no emoji or other characters "
            "outside the Basic Multilingual Plane",
            "Remove those characters.",
            HT_TITLE,
        )
    return title


def _description(value: object) -> str:
    field = "human_task.description"
    description = string(field, value)
    if not 1 <= len(description) <= DESCRIPTION_MAX_LENGTH:
        raise invalid(
            field,
            description,
            f"it must be 1-{DESCRIPTION_MAX_LENGTH} characters, not {len(description)}",
            "Shorten or fill the description.",
            HT_DESCRIPTION,
        )
    if _LINE_TERMINATORS.intersection(description):
        raise invalid(
            field, description, "the API accepts a single line only", "Remove the line breaks.", HT_DESCRIPTION
        )
    return description


def _keywords(value: object) -> tuple[str, ...]:
    field = "human_task.keywords"
    if not isinstance(value, list | tuple) or not 1 <= len(value) <= KEYWORDS_MAX_ITEMS:
        raise invalid(
            field,
            value,
            f"it must be a list of 1-{KEYWORDS_MAX_ITEMS} keywords",
            'Give a JSON list such as ["lidar", "pointcloud"].',
            HT_KEYWORDS,
        )
    for index, keyword in enumerate(value):
        item = string(f"{field}[{index}]", keyword)
        if len(item) > KEYWORD_MAX_LENGTH or not _TASK_KEYWORD_RE.fullmatch(item):
            raise invalid(
                f"{field}[{index}]",
                item,
                f"a keyword is 1-{KEYWORD_MAX_LENGTH} letters and digits, words separated by single spaces "
                f"(pattern {TASK_KEYWORD_PATTERN})",
                "Drop punctuation, hyphens and extra spaces from the keyword.",
                HT_KEYWORDS,
            )
    return tuple(value)


def check_role_session(task_time_limit_seconds: int, role_max_session_seconds: int) -> None:
    """Raise when a task time limit over 8 hours meets an execution role whose sessions are shorter than 8 hours.

    Ground Truth's rule is a minimum on the role (its ``MaxSessionDuration``), not a ceiling on the task.
    """
    if task_time_limit_seconds > LONG_TASK_SECONDS and role_max_session_seconds < LONG_TASK_SECONDS:
        raise invalid(
            "human_task.task_time_limit_seconds",
            task_time_limit_seconds,
            f"a task time limit over {LONG_TASK_SECONDS:,} s (8 hours) needs the Ground Truth execution role's "
            f"MaxSessionDuration to be at least 8 hours, and it is {role_max_session_seconds:,} s",
            "Raise the role's maximum session duration, or use a shorter task time limit.",
            HT_ROLE_SESSION,
        )


def parse_human_task(
    value: object,
    *,
    defaults: HumanTask | None = DEFAULT_HUMAN_TASK,
    role_max_session_seconds: int = catalog.MAX_SESSION_DURATION_SECONDS,
) -> HumanTask:
    """Validate human-task settings, filling gaps from ``defaults`` (or requiring all six when it is None).

    ``role_max_session_seconds`` is the execution role's ``MaxSessionDuration`` (the pipeline's role: 12 hours).
    """
    field = "human_task"
    given = mapping(field, value, HUMAN_TASK_FIELDS, required=HUMAN_TASK_FIELDS if defaults is None else ())
    merged = {**(defaults.to_dict() if defaults else {}), **given}
    task = HumanTask(
        title=_title(merged["title"]),
        description=_description(merged["description"]),
        keywords=_keywords(merged["keywords"]),
        task_time_limit_seconds=integer(
            f"{field}.task_time_limit_seconds",
            merged["task_time_limit_seconds"],
            MIN_TASK_TIME_LIMIT_SECONDS,
            MAX_TASK_TIME_LIMIT_SECONDS,
            HT_TASK_TIME_LIMIT,
            " seconds (30 s to 7 days for 3D point cloud task types)",
        ),
        task_availability_lifetime_seconds=integer(
            f"{field}.task_availability_lifetime_seconds",
            merged["task_availability_lifetime_seconds"],
            MIN_TASK_AVAILABILITY_LIFETIME_SECONDS,
            MAX_TASK_AVAILABILITY_LIFETIME_SECONDS,
            HT_AVAILABILITY_LIFETIME,
            " seconds (1 minute to 30 days)",
        ),
        max_concurrent_task_count=integer(
            f"{field}.max_concurrent_task_count",
            merged["max_concurrent_task_count"],
            1,
            MAX_CONCURRENT_TASK_COUNT,
            HT_MAX_CONCURRENT,
            " (the default limit; up to 5,000 only after AWS Support raises the account's limit)",
        ),
    )
    check_role_session(task.task_time_limit_seconds, role_max_session_seconds)
    return task
