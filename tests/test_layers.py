"""The pure cores do no I/O that ruff's banned-api cannot see: no ``open()``, no file methods on a path.

ruff (TID251) bans I/O modules in the cores and import-linter bans the I/O libraries; neither sees the builtin
``open`` or ``Path.read_text`` called on a value. This scan does, and proves on a planted snippet that it
would catch them.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "govcloud"
FILE_METHODS = frozenset(
    {
        "open",
        "read_text",
        "read_bytes",
        "write_text",
        "write_bytes",
        "mkdir",
        "unlink",
        "rmdir",
        "rename",
        "replace",
        "touch",
        "iterdir",
        "glob",
        "rglob",
        "exists",
        "is_file",
        "is_dir",
        "stat",
    }
)
"""Path methods that touch the file system (``str.replace`` shares a name: see ``_io_calls``)."""


def core_modules() -> list[Path]:
    return sorted([*SRC.glob("core/*.py"), *SRC.glob("*/core/*.py"), SRC / "errors.py", SRC / "plain.py"])


def _io_calls(source: str) -> list[str]:
    """``open(...)`` calls, and file-system method calls on anything named like a path."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id == "open":
            found.append(f"{node.lineno}: open()")
        elif isinstance(func, ast.Attribute) and func.attr in FILE_METHODS:
            owner = ast.unparse(func.value).lower()
            if "path" in owner or "dir" in owner or "file" in owner or owner.endswith("root"):
                found.append(f"{node.lineno}: {ast.unparse(func)}()")
    return sorted(found, key=lambda text: int(text.split(":")[0]))


def test_no_pure_core_opens_or_touches_a_file() -> None:
    modules = core_modules()
    assert len(modules) > 20  # the globs found the cores
    offenders = {str(p.relative_to(SRC)): calls for p in modules if (calls := _io_calls(p.read_text("utf-8")))}
    assert offenders == {}


def test_the_scan_catches_open_and_path_methods() -> None:
    planted = (
        "def f(path, plans_dir, name):\n"
        "    with open(path) as h:\n"
        "        h.read()\n"
        "    plans_dir.mkdir()\n"
        "    return path.read_text(), name.replace('a', 'b')\n"
    )
    assert _io_calls(planted) == ["2: open()", "4: plans_dir.mkdir()", "5: path.read_text()"]
