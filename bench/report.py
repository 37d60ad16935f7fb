"""What a benchmark reports: measurements, each against its goal (met, or missed by how much), and the machine.

Every benchmark returns :class:`Measurement` objects; :func:`render_table` prints them and :func:`write_results`
writes ``bench/RESULTS.md`` with the machine they came from, so a number is never read without its context.
"""

from __future__ import annotations

import datetime
import os
import platform
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Comparison = Literal["at most", "below", "exactly"]


@dataclass(frozen=True, slots=True)
class Goal:
    """A limit a measurement must keep: ``value <= limit`` ("at most"), ``< limit`` ("below") or ``== limit``."""

    comparison: Comparison
    limit: float

    def met_by(self, value: float) -> bool:
        """Return whether ``value`` meets this goal."""
        if self.comparison == "at most":
            return value <= self.limit
        if self.comparison == "below":
            return value < self.limit
        return value == self.limit


@dataclass(frozen=True, slots=True)
class Measurement:
    """One number a benchmark measured, its unit, and its goal (None: reported for information only).

    ``value`` is None when the benchmark could not measure it; ``note`` then says why (and otherwise adds context).
    """

    benchmark: str
    name: str
    value: float | None
    unit: str
    goal: Goal | None = None
    note: str = ""

    @property
    def verdict(self) -> str:
        """Return "met", "missed by <how much>", "not measured", or "" for an informational number."""
        if self.value is None:
            return "not measured"
        if self.goal is None:
            return ""
        if self.goal.met_by(self.value):
            return "met"
        return f"missed by {format_value(abs(self.value - self.goal.limit), self.unit)}"

    @property
    def met(self) -> bool:
        """True when the measurement meets its goal."""
        return self.goal is not None and self.value is not None and self.goal.met_by(self.value)

    @property
    def missed(self) -> bool:
        """True when the measurement misses its goal (one not measured is neither met nor missed)."""
        return self.goal is not None and self.value is not None and not self.goal.met_by(self.value)

    def goal_text(self) -> str:
        """Return the goal as text, e.g. ``at most 3x``."""
        return "" if self.goal is None else f"{self.goal.comparison} {format_value(self.goal.limit, self.unit)}"

    def value_text(self) -> str:
        """Return the measured value with its unit, or a dash."""
        return "-" if self.value is None else format_value(self.value, self.unit)


def format_value(value: float, unit: str) -> str:
    """Return ``value`` in ``unit`` for people: ratios as ``2.41x``, counts without decimals, sizes in KiB/MiB."""
    if unit == "x":
        return f"{value:.2f}x"
    if unit == "MiB":
        return f"{value:.1f} MiB"
    if unit == "s":
        return f"{value:.1f} s"
    if unit == "min":
        return f"{value:.2f} min"
    if value == int(value):
        return f"{int(value):,} {unit}"
    return f"{value:,.2f} {unit}"


def render_table(measurements: Sequence[Measurement]) -> str:
    """Return the measurements as a Markdown table (readable as plain text too)."""
    rows = [("benchmark", "measured", "value", "goal", "verdict")]
    rows += [(m.benchmark, m.name, m.value_text(), m.goal_text(), m.verdict or "(information)") for m in measurements]
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    lines = [
        "| " + " | ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) + " |" for row in rows
    ]
    lines.insert(1, "|" + "|".join("-" * (width + 2) for width in widths) + "|")
    return "\n".join(lines)


def render_notes(measurements: Sequence[Measurement]) -> str:
    """Return the measurements' notes as a list, one line each, for the ones that have one."""
    return "\n".join(f"- {m.benchmark}, {m.name}: {m.note}" for m in measurements if m.note)


def machine() -> dict[str, str]:
    """Return what the numbers depend on: CPU model, cores, load, Python, OS, sed (the baseline)."""
    cpu = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        models = [line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines() if "model name" in line]
        cpu = models[0] if models else cpu
    sed = subprocess.run(["sed", "--version"], capture_output=True, text=True, check=False).stdout.splitlines()
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    return {
        "CPU": cpu,
        "cores": str(os.cpu_count()),
        "load average (1, 5, 15 min) at start": load,
        "Python": sys.version.split()[0],
        "OS": platform.platform(),
        "sed": sed[0] if sed else "unknown",
    }


def summary(measurements: Sequence[Measurement]) -> str:
    """Return how the goals fared, e.g. ``of 8 goals: 5 met, 2 missed, 1 not measured``."""
    goals = [m for m in measurements if m.goal is not None]
    met, missed = sum(1 for m in goals if m.met), sum(1 for m in goals if m.missed)
    return f"of {len(goals)} goals: {met} met, {missed} missed, {len(goals) - met - missed} not measured"


def write_results(
    path: Path,
    measurements: Sequence[Measurement],
    host: dict[str, str],
    *,
    command: str,
    started: datetime.datetime,
    minutes: float,
) -> None:
    """Write ``RESULTS.md``: what ran, when and where, how long it took, and every measurement."""
    lines = [
        "# Benchmark results",
        "",
        f"Written by `{command}` on {started:%Y-%m-%d %H:%M} UTC; the run took "
        f"{minutes:.1f} minutes: {summary(measurements)}. Each ratio compares two numbers measured in this same "
        "run; CPU times are user + system time of the process doing the work.",
        "",
        "## Machine",
        "",
        *(f"- {key}: {value}" for key, value in host.items()),
        "",
        "## Results",
        "",
        render_table(measurements),
        "",
        "## Notes",
        "",
        render_notes(measurements),
        "",
    ]
    path.write_text("\n".join(lines))
