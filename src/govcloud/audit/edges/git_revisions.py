"""The inventory as it was at a git revision. Edge (runs git).

Auditors compare the census between two commits (or a commit and the working tree). The revision's files are
extracted with ``git archive`` into a temporary directory and loaded by the same loader as always, so an old
revision is checked by the same rules.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from pathlib import Path

from govcloud.edges import inventory_files
from govcloud.errors import InputError, ToolError


def repository_root(path: Path) -> Path:
    """The top of the git work tree that holds ``path``."""
    result = _git(path if path.is_dir() else path.parent, "rev-parse", "--show-toplevel")
    return Path(result.strip())


def revision_id(path: Path, revision: str = "HEAD") -> str:
    """The full commit id of ``revision`` in the repository holding ``path``."""
    return _git(path, "rev-parse", "--verify", f"{revision}^{{commit}}").strip()


@contextlib.contextmanager
def checked_out(inventory_dir: Path, revision: str) -> Iterator[Path]:
    """Yield a temporary directory holding ``inventory_dir`` as it was at ``revision``."""
    inventory_dir = inventory_dir.resolve()
    top = repository_root(inventory_dir)
    relative = inventory_dir.relative_to(top)
    commit = revision_id(inventory_dir, revision)
    try:
        archive = subprocess.run(
            ["git", "-C", str(top), "archive", "--format=tar", commit, "--", str(relative)],
            check=True,
            capture_output=True,
        ).stdout
    except subprocess.CalledProcessError as exc:
        message = exc.stderr.decode(errors="replace").strip()
        raise ToolError(f"{relative} is not in revision {revision}: {message}", returncode=exc.returncode) from exc
    with tempfile.TemporaryDirectory(prefix="govcloud-rev-") as tmp:
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(tmp, filter="data")
        yield Path(tmp) / relative


def load_at(inventory_dir: Path, revision: str) -> inventory_files.LoadedInventory:
    """The inventory at ``revision``; its problems name ``REVISION:path`` as git shows it, not a temporary copy."""
    with checked_out(inventory_dir, revision) as tree:
        try:
            return inventory_files.load_inventory(tree)
        except InputError as exc:
            top = repository_root(inventory_dir.resolve())
            shown = f"{revision[:12]}:{inventory_dir.resolve().relative_to(top)}"
            problems = [
                dataclasses.replace(p, path=p.path.replace(str(tree), shown, 1)) if p.path.startswith(str(tree)) else p
                for p in exc.problems
            ]
            raise InputError(problems, f"the inventory at revision {revision} has problems") from None


def _git(cwd: Path, *args: str) -> str:
    try:
        return subprocess.run(["git", "-C", str(cwd), *args], check=True, capture_output=True, text=True).stdout
    except FileNotFoundError as exc:
        raise ToolError("git is not installed (apt-get install git)") from exc
    except subprocess.CalledProcessError as exc:
        raise ToolError(
            f"git {' '.join(args)} failed in {cwd}: {exc.stderr.strip()}", returncode=exc.returncode, output=exc.stderr
        ) from exc
