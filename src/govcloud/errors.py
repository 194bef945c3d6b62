"""The one root error type and the problem records that input errors carry.

Pure: no I/O. Every error about user input carries where it is (file and line, or sheet and row) and
which field, and renders as ``path:line: field: message`` so that editors and CI can jump to it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence


@dataclasses.dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the input, and where it is.

    ``path`` is a file path (or a spreadsheet file), ``line`` a 1-based line number (or a row number
    when ``sheet`` is set), ``field`` a dotted path to the field inside the record.
    """

    path: str
    line: int | None
    field: str
    message: str
    sheet: str | None = None

    def render(self) -> str:
        where = self.path
        if self.sheet is not None:
            where += f" [{self.sheet}]"
            if self.line is not None:
                where += f" row {self.line}"
        elif self.line is not None:
            where += f":{self.line}"
        field = f" {self.field}:" if self.field else ""
        return f"{where}:{field} {self.message}"


class GovcloudError(Exception):
    """Root of every error govcloud raises on purpose; the CLI turns these into exit codes."""

    exit_code: int = 1


class InputError(GovcloudError, ValueError):
    """Input that is wrong in one or more places; carries every problem found, not just the first."""

    def __init__(self, problems: Iterable[Problem], summary: str = "invalid input") -> None:
        self.problems: Sequence[Problem] = tuple(sorted(problems, key=_problem_sort_key))
        self.summary = summary
        super().__init__(f"{summary}: {len(self.problems)} problem(s)")

    def render(self) -> str:
        return "\n".join(p.render() for p in self.problems)


class RefusedError(GovcloudError, ValueError):
    """A request that is well-formed but breaks a rule of the programme (e.g. a level-5 system on the cloud)."""


class ToolError(GovcloudError, RuntimeError):
    """An external tool (ansible, nft, a missing system package) failed; carries what a user needs to act."""

    def __init__(self, message: str, *, returncode: int | None = None, output: str = "") -> None:
        self.returncode = returncode
        self.output = output
        super().__init__(message)


def _problem_sort_key(problem: Problem) -> tuple[str, str, int, str, str]:
    return (problem.path, problem.sheet or "", problem.line or 0, problem.field, problem.message)
