"""``govcloud diff``: the census and plan changes between two revisions, graded and attributed. Application layer.

The history is read by :mod:`govcloud.audit.edges.history` (git), graded by :mod:`govcloud.audit.core`, and
rendered by :mod:`govcloud.audit.edges.diff_report`; the CLI picks the revisions and the format.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable
from pathlib import Path

import rich.console

from govcloud.app import workspace
from govcloud.audit.core import attribution, diff
from govcloud.audit.edges import diff_report, history


class Risk(enum.StrEnum):
    """The lowest risk shown (``--min-risk``) or failing the command (``--fail-on``)."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


@dataclasses.dataclass(frozen=True)
class Diff:
    """The audit of a range and the changes of at least the risk asked for."""

    audit: history.Audit
    changes: list[attribution.Attributed]

    def fails(self, risk: Risk) -> bool:
        """Whether a change of at least ``risk`` was found (``--fail-on``: the command exits 3)."""
        return bool(self.audit.at_least(diff.Risk[risk.name]))

    def json(self) -> str:
        return diff_report.render_json(self.audit, self.changes)

    def markdown(self) -> str:
        return diff_report.render_markdown(self.audit, self.changes)

    def table(self) -> list[rich.console.RenderableType]:
        return diff_report.render_table(self.audit, self.changes)


def diff_range(
    *,
    inventory: Path,
    plans_dir: Path,
    base: str,
    target: str | None,
    ledger: Path | None,
    each_commit: bool,
    min_risk: Risk,
    progress: Callable[[int, int], None] | None = None,
) -> Diff:
    """Diff ``base`` against ``target`` (None: the working tree), each change attributed to its commit."""
    audit = history.audit_range(
        inventory,
        plans_dir,
        base,
        target,
        settings=workspace.settings_or_defaults(inventory),
        ledger=workspace.ledger_path(inventory, ledger),
        each_commit=each_commit,
        progress=progress,
    )
    return Diff(audit, audit.at_least(diff.Risk[min_risk.name]))
