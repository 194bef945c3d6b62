"""The whole-result cache of ``plan``, ``plan --check``, ``report`` and an unchanged ``plan --write``.

A hit prints exactly what a miss prints; any changed input (plan file, inventory file, settings, ledger, the
day, the code) is a miss; ``--no-cache`` bypasses it; a damaged, foreign, stale or planted entry is never
trusted (recomputed and rewritten, a planted payload never unpickled).
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from govcloud.app import planning
from govcloud.census.edges import inventory_cache
from govcloud.cli import app
from govcloud.planning.edges import result_cache

REPO = Path(__file__).resolve().parents[1]
TODAY = "2026-07-01"
runner = CliRunner()


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A git working tree with a copy of the bundled inventory and its plan files written once."""
    root = tmp_path_factory.mktemp("tree")
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    shutil.copytree(REPO / "inventory", root / "inventory")
    result = runner.invoke(
        app,
        ["--no-cache", "plan", "-i", str(root / "inventory"), "-p", str(root / "plans"), "--write", "--today", TODAY],
    )
    assert result.exit_code == 0, result.output
    return root


@pytest.fixture
def tree(written: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh copy of ``written`` (no cache yet), with its own cache key."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv(inventory_cache.NO_CACHE_ENV, "0")  # restored after the test (``--no-cache`` sets it)
    monkeypatch.delenv("GOVCLOUD_LEDGER", raising=False)
    monkeypatch.chdir(tmp_path)  # the default ledger (orchestration.ledger) is cwd-relative: none here
    inventory_cache._key.cache_clear()
    root = tmp_path / "tree"
    shutil.copytree(written, root, symlinks=True)
    return root


class Computed:
    """Counts the computations behind the cached commands (the assessment; the plan check)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        for name in ("assess_inventory", "check_plans"):
            monkeypatch.setattr(planning, name, self._counting(getattr(planning, name)))

    def _counting(self, real: Callable[..., Any]) -> Callable[..., Any]:
        def counting(*args: Any, **kwargs: Any) -> Any:
            self.count += 1
            return real(*args, **kwargs)

        return counting

    def take(self) -> int:
        count, self.count = self.count, 0
        return count


COMMANDS = {
    "plan": ["plan", "--today", TODAY],
    "plan json": ["plan", "--format", "json", "--today", TODAY],
    "plan --check": ["plan", "--check", "--today", TODAY],
    "report": ["report", "--today", TODAY],
    "report json": ["report", "--format", "json", "--today", TODAY],
    "plan --write": ["plan", "--write", "--today", TODAY],
    "plan --write json": ["plan", "--write", "--format", "json", "--today", TODAY],
}


def invoke(root: Path, args: list[str], *, global_args: tuple[str, ...] = ()) -> str:
    argv = [*global_args, *args, "-i", str(root / "inventory"), "-p", str(root / "plans")]
    result = runner.invoke(app, argv, env={"COLUMNS": "120"})
    assert result.exit_code == 0, result.output
    return result.output


def entries(root: Path) -> list[Path]:
    return sorted((root / result_cache.CACHE_DIR).glob("*.entry"))


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_a_hit_prints_what_the_miss_printed(tree: Path, monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    computed = Computed(monkeypatch)
    args = COMMANDS[name]
    miss = invoke(tree, args)
    assert computed.take() >= 1
    assert entries(tree)
    hit = invoke(tree, args)
    assert computed.take() == 0, "the second run computed again"
    assert hit == miss
    uncached = invoke(tree, args, global_args=("--no-cache",))
    assert computed.take() >= 1, "--no-cache must bypass the result cache"
    assert uncached == miss


def _edit_plan(root: Path) -> None:
    path = sorted((root / "plans").glob("*.yaml"))[3]
    path.write_text(path.read_text(encoding="utf-8") + "# a lead's note\n", encoding="utf-8")


def _edit_department_plan(root: Path) -> None:
    path = sorted((root / "plans" / "departments").glob("*.yaml"))[0]
    path.write_text(path.read_text(encoding="utf-8") + "# a note\n", encoding="utf-8")


def _edit_inventory(root: Path) -> None:
    path = sorted((root / "inventory" / "departments").glob("*.yaml"))[0]
    path.write_text(path.read_text(encoding="utf-8") + "# a note\n", encoding="utf-8")


def _edit_settings(root: Path) -> None:
    path = root / "inventory" / "settings.yaml"
    assert not path.exists()  # the bundled city runs on the defaults: a settings file appearing is a change
    path.write_text("# the defaults, written out\n{}\n", encoding="utf-8")


EDITS: dict[str, Callable[[Path], None]] = {
    "plan file": _edit_plan,
    "department plan": _edit_department_plan,
    "inventory file": _edit_inventory,
    "settings": _edit_settings,
}


@pytest.mark.parametrize(
    ("name", "edit"),
    [(name, edit) for name in ("plan --check", "report") for edit in sorted(EDITS)]
    + [("plan", "plan file"), ("plan --write", "plan file"), ("plan", "inventory file")],
)
def test_any_changed_input_is_a_miss(tree: Path, monkeypatch: pytest.MonkeyPatch, name: str, edit: str) -> None:
    computed = Computed(monkeypatch)
    args = COMMANDS[name]
    invoke(tree, args)
    invoke(tree, args)
    computed.take()
    EDITS[edit](tree)
    invoke(tree, args)
    assert computed.take() >= 1, f"a changed {edit} was answered from the cache"


@pytest.mark.parametrize("name", ["plan", "report"])
def test_another_day_is_a_miss(tree: Path, monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    computed = Computed(monkeypatch)
    invoke(tree, COMMANDS[name])
    computed.take()
    invoke(tree, [*COMMANDS[name][:-1], "2026-07-02"])
    assert computed.take() >= 1


def test_the_ledger_is_an_input(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    computed = Computed(monkeypatch)
    ledger = tree / "ledger.sqlite"
    monkeypatch.setenv("GOVCLOUD_LEDGER", str(ledger))
    invoke(tree, COMMANDS["plan"])
    computed.take()
    wal = ledger.with_name(ledger.name + "-wal")
    wal.write_bytes(b"not really a log")  # a write-ahead log appearing is a change of the ledger's state
    invoke(tree, COMMANDS["plan"])
    assert computed.take() >= 1
    invoke(tree, COMMANDS["plan"])
    assert computed.take() == 0
    monkeypatch.setenv("GOVCLOUD_LEDGER", str(tree / "other.sqlite"))
    invoke(tree, COMMANDS["plan"])
    assert computed.take() >= 1, "another ledger path was answered from the cache"


def test_a_changed_write_is_not_cached_as_unchanged(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A write that changes files is recomputed next time (the files it wrote are new inputs)."""
    computed = Computed(monkeypatch)
    path = sorted((tree / "plans").glob("*.yaml"))[5]
    path.unlink()
    first = invoke(tree, COMMANDS["plan --write"])
    assert "1 created" in first
    assert path.exists()
    second = invoke(tree, COMMANDS["plan --write"])
    assert "0 created" in second
    assert computed.take() == 2
    assert invoke(tree, COMMANDS["plan --write"]) == second
    assert computed.take() == 0


def test_outside_a_working_tree_nothing_is_cached(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.rmtree(tree / ".git")
    computed = Computed(monkeypatch)
    invoke(tree, COMMANDS["plan"])
    invoke(tree, COMMANDS["plan"])
    assert computed.take() == 2
    assert not entries(tree)


def _damage(entry: Path) -> None:
    blob = bytearray(entry.read_bytes())
    blob[-10] ^= 0xFF
    entry.write_bytes(bytes(blob))


def _truncate(entry: Path) -> None:
    entry.write_bytes(entry.read_bytes()[:40])


@pytest.mark.parametrize("spoil", [_damage, _truncate], ids=["damaged", "truncated"])
def test_a_spoilt_entry_is_rebuilt(tree: Path, monkeypatch: pytest.MonkeyPatch, spoil: Callable[[Path], None]) -> None:
    computed = Computed(monkeypatch)
    miss = invoke(tree, COMMANDS["plan"])
    (entry,) = entries(tree)
    spoil(entry)
    computed.take()
    assert invoke(tree, COMMANDS["plan"]) == miss
    assert computed.take() >= 1
    assert invoke(tree, COMMANDS["plan"]) == miss  # rewritten: a hit again
    assert computed.take() == 0


def test_an_entry_made_with_another_key_is_not_trusted(
    tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    computed = Computed(monkeypatch)
    miss = invoke(tree, COMMANDS["report"])
    computed.take()
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "another-machine"))
    inventory_cache._key.cache_clear()
    assert invoke(tree, COMMANDS["report"]) == miss
    assert computed.take() >= 1


def test_an_entry_of_other_code_is_stale(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    computed = Computed(monkeypatch)
    miss = invoke(tree, COMMANDS["plan --check"])
    computed.take()
    monkeypatch.setattr(result_cache, "code_version", lambda: "another version of the code")
    assert invoke(tree, COMMANDS["plan --check"]) == miss
    assert computed.take() >= 1


unpickled: list[str] = []


def _planted() -> str:
    unpickled.append("planted")
    return "planted"


class _Planted:
    def __reduce__(self) -> tuple[Callable[[], str], tuple[()]]:
        return _planted, ()


def test_a_planted_entry_is_never_unpickled(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pickle

    computed = Computed(monkeypatch)
    miss = invoke(tree, COMMANDS["plan"])
    (entry,) = entries(tree)
    blob = entry.read_bytes()
    payload = pickle.dumps(_Planted())
    header_end = blob.index(b"\n", blob.index(b"\n", blob.index(b"\n") + 1) + 1) + 1  # magic, command, key
    entry.write_bytes(blob[:header_end] + bytes(32) + payload)
    computed.take()
    assert invoke(tree, COMMANDS["plan"]) == miss
    assert computed.take() >= 1
    assert unpickled == []


def test_the_key_needs_the_inventory_digest() -> None:
    assert result_cache.result_key("", ["plan"]) is None
    assert result_cache.result_key("x", ["plan"]) != result_cache.result_key("y", ["plan"])
    assert result_cache.result_key("x", ["plan"]) != result_cache.result_key("x", ["report"])


def _progress_reads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    from govcloud.planning.edges import plan_progress

    reads: list[Path] = []
    real = plan_progress.load_progress

    def counting(plans_dir: Path, **kwargs: Any) -> Any:
        reads.append(plans_dir)
        return real(plans_dir, **kwargs)

    monkeypatch.setattr(plan_progress, "load_progress", counting)
    return reads


def test_the_strict_progress_is_cached_only_when_clean(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from govcloud.app.workspace import Workspace
    from govcloud.errors import InputError

    reads = _progress_reads(monkeypatch)

    def progress() -> Any:
        return planning.strict_progress(Workspace(inventory_dir=tree / "inventory", plans_dir=tree / "plans"))

    first = progress()
    assert progress() == first
    assert len(reads) == 1, "the second strict read was not answered from the cache"
    _edit_plan(tree)
    assert progress() == first  # a comment changes no progress, but the file changed: read again
    assert len(reads) == 2
    path = sorted((tree / "plans").glob("*.yaml"))[2]
    path.write_text(path.read_text(encoding="utf-8").replace("status: pending", "status: dreaming", 1), "utf-8")
    for _ in range(2):
        with pytest.raises(InputError, match="1 problem"):
            progress()
    assert len(reads) == 4, "plans with problems must be read, and refused, every time"


# ---------------------------------------------------------------------------------------------------------
# the per-plan-file cache of the one reader


def _parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    from govcloud.planning.edges import plan_progress

    seen: list[str] = []
    real = plan_progress._parse

    def counting(plan_file: Any, inventory: Any) -> Any:
        seen.append(plan_file.path.name)
        return real(plan_file, inventory)

    monkeypatch.setattr(plan_progress, "_parse", counting)
    return seen


def _read(root: Path, *, checked: bool, digest: str = "d1", cache: bool = True) -> Any:
    from govcloud.edges import inventory_files
    from govcloud.planning.edges import plan_progress

    inventory = inventory_files.load_inventory(root / "inventory", use_cache=False).inventory if checked else None
    if not cache:
        files = plan_progress.read_plan_files(root / "plans")
        return plan_progress.read_plans(root / "plans", inventory=inventory, files=files)
    return plan_progress.read_plans(root / "plans", inventory=inventory, inventory_digest=digest)


def _same(warm: Any, cold: Any) -> None:
    assert warm.parsed == cold.parsed
    assert warm.problems == cold.problems
    assert warm.progress == cold.progress
    assert [f.path for f in warm.files] == [f.path for f in cold.files]
    for code, view in cold.views.items():
        for block in view.stages:
            assert warm.views[code].line(block.where) == view.line(block.where)


def _random_edits(root: Path, seed: int) -> None:
    import random

    rng = random.Random(seed)
    paths = sorted((root / "plans").glob("*.yaml"))
    for path in rng.sample(paths, 3):  # edited: a status that is wrong, or one that is right
        text = path.read_text(encoding="utf-8")
        status = rng.choice(["status: in_progress", "status: dreaming"])
        path.write_text(text.replace("status: pending", status, 1), encoding="utf-8")
    rng.choice(paths).unlink()  # deleted (maybe one just edited)
    source = rng.choice([p for p in paths if p.exists()])
    shutil.copy(source, root / "plans" / "ZZZ-999.yaml")  # added: a copy naming another system
    (root / "plans" / "broken.yaml").write_bytes(b"system: [unclosed\n")  # not YAML
    (root / "plans" / "latin.yaml").write_bytes(b"system: caf\xe9\n")  # not UTF-8


@pytest.mark.parametrize("checked", [True, False], ids=["checked", "lenient"])
@pytest.mark.parametrize("seed", [1, 2])
def test_a_cached_read_equals_an_uncached_one_after_edits(
    tree: Path, monkeypatch: pytest.MonkeyPatch, checked: bool, seed: int
) -> None:
    parses = _parses(monkeypatch)
    _same(_read(tree, checked=checked), _read(tree, checked=checked, cache=False))
    parses.clear()
    _same(_read(tree, checked=checked), _read(tree, checked=checked, cache=False))
    parses.clear()
    _read(tree, checked=checked)
    assert parses == [], "an unchanged directory was parsed again"
    _random_edits(tree, seed)
    warm = _read(tree, checked=checked)
    assert 0 < len(parses) <= 7, "only the changed files are parsed again"
    _same(warm, _read(tree, checked=checked, cache=False))
    parses.clear()
    _same(_read(tree, checked=checked), _read(tree, checked=checked, cache=False))
    assert len(parses) == len(list((tree / "plans").glob("*.yaml")))  # the uncached read's parses only


def test_a_checked_read_of_another_census_parses_every_file(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    parses = _parses(monkeypatch)
    _read(tree, checked=True, digest="census 1")
    count = len(parses)
    parses.clear()
    _read(tree, checked=True, digest="census 2")
    assert len(parses) == count
    parses.clear()
    _read(tree, checked=True, digest="")  # no digest (inventory cache off): never cached
    _read(tree, checked=True, digest="")
    assert len(parses) == 2 * count


@pytest.mark.parametrize("spoil", [_damage, _truncate], ids=["damaged", "truncated"])
def test_a_spoilt_plan_cache_is_rebuilt(
    tree: Path, monkeypatch: pytest.MonkeyPatch, spoil: Callable[[Path], None]
) -> None:
    from govcloud.planning.edges import plan_cache

    cold = _read(tree, checked=True, cache=False)
    _read(tree, checked=True)
    (entry,) = sorted((tree / plan_cache.CACHE_DIR).glob("*.entry"))
    spoil(entry)
    parses = _parses(monkeypatch)
    _same(_read(tree, checked=True), cold)
    assert len(parses) == len(cold.files)
    parses.clear()
    _read(tree, checked=True)
    assert parses == []  # rewritten


def test_a_plan_cache_of_another_key_or_code_is_not_trusted(
    tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cold = _read(tree, checked=False, cache=False)
    _read(tree, checked=False)
    parses = _parses(monkeypatch)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "another-machine"))
    inventory_cache._key.cache_clear()
    _same(_read(tree, checked=False), cold)
    assert len(parses) == len(cold.files)
    parses.clear()
    monkeypatch.setattr(result_cache, "code_version", lambda: "other code")
    _same(_read(tree, checked=False), cold)
    assert len(parses) == len(cold.files)


def test_problems_name_their_files_as_given_from_any_working_directory(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Cached problems carry their paths: another spelling of the directory or working directory is a miss."""
    path = sorted((tree / "plans").glob("*.yaml"))[4]
    path.write_text(path.read_text(encoding="utf-8").replace("status: pending", "status: dreaming", 1), "utf-8")

    def check(args: list[str]) -> str:
        result = runner.invoke(app, ["plan", "--check", *args], env={"COLUMNS": "200"})
        assert result.exit_code == 1
        return result.output

    for _ in range(2):  # the second round from the caches
        monkeypatch.chdir(tree)
        assert check(["-i", "inventory", "-p", "plans"]).startswith(f"plans/{path.name}:")
        assert check(["-i", "inventory", "-p", str(tree / "plans")]).startswith(f"plans/{path.name}:")
        monkeypatch.chdir(tree.parent)
        assert check(["-i", "tree/inventory", "-p", "tree/plans"]).startswith(f"tree/plans/{path.name}:")
        monkeypatch.chdir(tree / "plans")
        assert check(["-i", "../inventory", "-p", "."]).startswith(f"{path.name}:")
        monkeypatch.chdir(tree / "inventory")
        assert check(["-i", ".", "-p", "../plans"]).startswith(f"../plans/{path.name}:")
