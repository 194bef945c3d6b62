"""The CLI is thin: it parses arguments and prints; every computation goes through ``govcloud.app``.

The rule, measured on each ``src/govcloud/cli/*.py`` syntax tree:

- from ``govcloud`` a CLI module may import freely only the application layer (``govcloud.app``), the CLI's
  own modules, ``govcloud.errors`` (the errors it turns into exit codes) and ``govcloud.collector`` (pausing
  the collector around a command);
- from any other govcloud module (a subsystem's ``core`` or ``edges``, the model, the settings, the YAML
  edge) it may import *names of types*, used only in annotations (what is printed is typed); its enums (the
  closed vocabularies: dispositions, criteria, stages), which declare options and order printed rows; and the
  vocabulary modules below;
- any other use of such a module (a call, an attribute read in code, a decorator) is a computation in the
  CLI, and a violation.

``KNOWN`` lists the violations that remain, per module, so the rule holds today and the list can only
shrink: a new violation fails, and so does a listed one that has been fixed (delete it from the list). A
planted snippet proves the checker catches each kind of violation.
"""

from __future__ import annotations

import ast
import dataclasses
import enum
import importlib
from pathlib import Path

import pytest

CLI = Path(__file__).resolve().parents[1] / "src" / "govcloud" / "cli"

FREE = ("govcloud.app", "govcloud.cli", "govcloud.errors", "govcloud.collector")
"""Packages a CLI module may import and use as it likes."""
VOCABULARY = frozenset(
    {
        "govcloud.planning.core.stages",  # Stage, StageStatus: option values
        "govcloud.reporting.core.labels",  # Lang: --lang
        "govcloud.orchestration.core.entries",  # EntryKind: the kinds of run records
    }
)
"""Modules of enums and value types a CLI module may use to declare options and compare printed values."""

KNOWN: dict[str, set[str]] = {}


@dataclasses.dataclass(frozen=True)
class Violation:
    module: str
    """The govcloud module used for computation."""
    line: int
    use: str


def _allowed(module: str) -> bool:
    return module in VOCABULARY or any(module == free or module.startswith(free + ".") for free in FREE)


def _annotation_nodes(tree: ast.AST) -> set[int]:
    """The ids of every node inside an annotation (arguments, returns, annotated assignments)."""
    inside: set[int] = set()

    def mark(node: ast.AST | None) -> None:
        if node is not None:
            inside.update(id(child) for child in ast.walk(node))

    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            mark(node.returns)
            arguments = node.args
            for arg in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs):
                mark(arg.annotation)
            mark(arguments.vararg.annotation if arguments.vararg else None)
            mark(arguments.kwarg.annotation if arguments.kwarg else None)
        elif isinstance(node, ast.AnnAssign):
            mark(node.annotation)
    return inside


def violations(source: str) -> list[Violation]:
    """Every use of a non-free, non-vocabulary govcloud module outside an annotation."""
    tree = ast.parse(source)
    # local name → (the govcloud module it comes from, the name it has there; None when it is the module)
    bound: dict[str, tuple[str, str | None]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("govcloud"):
            for alias in node.names:
                # `from govcloud.x import y`: y is a module (govcloud.x.y) or a name of govcloud.x
                candidate = f"{node.module}.{alias.name}"
                local = alias.asname or alias.name
                bound[local] = (candidate, None) if _is_module(candidate) else (node.module, alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                # plain `import govcloud` reads the package's version only
                if alias.name.startswith("govcloud.") or (alias.name == "govcloud" and alias.asname):
                    bound[alias.asname or alias.name.split(".")[0]] = (alias.name, None)
    annotations = _annotation_nodes(tree)
    attribute_of = {id(node.value): node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
    found: list[Violation] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Name) or node.id not in bound or id(node) in annotations:
            continue
        module, name = bound[node.id]
        if _allowed(module):
            continue
        used = name if name is not None else attribute_of.get(id(node))  # `X`, or `module.X`
        if used is not None and _is_enum(module, used):
            continue  # a closed vocabulary
        found.append(Violation(module, node.lineno, node.id))
    return found


def _is_enum(module: str, name: str) -> bool:
    """Whether ``module.name`` is an enum class (planted modules that do not exist are not)."""
    try:
        value = getattr(importlib.import_module(module), name, None)
    except ImportError:
        return False
    return isinstance(value, type) and issubclass(value, enum.Enum)


def _is_module(dotted: str) -> bool:
    root = Path(__file__).resolve().parents[1] / "src"
    path = root.joinpath(*dotted.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _modules() -> list[Path]:
    return sorted(CLI.glob("*.py"))


@pytest.mark.parametrize("path", _modules(), ids=lambda p: p.name)
def test_cli_modules_compute_only_through_the_app_layer(path: Path) -> None:
    used = {v.module for v in violations(path.read_text(encoding="utf-8"))}
    known = KNOWN.get(path.name, set())
    new = used - known
    assert not new, f"{path.name} computes with {sorted(new)}: move that into govcloud.app"
    fixed = known - used
    assert not fixed, f"{path.name} no longer uses {sorted(fixed)}: delete it from KNOWN"


def test_the_known_list_names_only_cli_modules() -> None:
    assert set(KNOWN) <= {p.name for p in _modules()}


PLANTED = """
from __future__ import annotations
from govcloud.app import planning
from govcloud.cli import common
from govcloud.errors import InputError
from govcloud.planning.core import waves
from govcloud.planning.core.stages import Stage
from govcloud.planning.edges import plan_files
from govcloud.reporting.core.figures import compute_report, Report
from govcloud.core import model
from govcloud.core.model import Disposition, Inventory
import govcloud.edges.yamlio


def shown(plan: waves.WavePlan, stage: Stage = Stage.NETWORK) -> Report:  # types only: allowed
    planning.plan(None)  # the app layer: allowed
    common.console.print(stage)  # the CLI and vocabulary: allowed
    common.console.print(list(model.Disposition), Disposition.RETIRE)  # enums of any module: allowed
    raise InputError([], "x")


def computed() -> None:
    waves.plan_waves(None, None, None)            # a core call
    plan_files.write_plans(None, ())              # an edge call
    compute_report(None)                          # a core function imported by name
    govcloud.edges.yamlio.write_atomic(None, "")  # an edge through a plain import
    x: waves.WavePlan = waves.WavePlan            # the annotation is fine, the value is not
    model.Inventory.model_validate({})            # not an enum: a computation
    Inventory.model_validate({})                  # the same, imported by name
"""


def test_the_checker_catches_a_planted_violation_of_each_kind() -> None:
    found = [(v.module, v.line) for v in violations(PLANTED)]
    lines = PLANTED.splitlines()
    assert found, "the checker found nothing"
    by_line = {lines[line - 1].strip().split("(")[0].split(":")[0]: module for module, line in found}
    assert by_line == {
        "waves.plan_waves": "govcloud.planning.core.waves",
        "plan_files.write_plans": "govcloud.planning.edges.plan_files",
        "compute_report": "govcloud.reporting.core.figures",
        "govcloud.edges.yamlio.write_atomic": "govcloud.edges.yamlio",
        "x": "govcloud.planning.core.waves",
        "model.Inventory.model_validate": "govcloud.core.model",
        "Inventory.model_validate": "govcloud.core.model",
    }
