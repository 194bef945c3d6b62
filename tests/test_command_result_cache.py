"""The whole-result cache of ``assess``, ``status`` and ``render`` (issue 12).

A hit prints exactly what a miss prints (render: and writes the same files, recording the same run); an edit
to any input the key names (an inventory file, settings, the ledger, a plan file, a request file, the day) is
a miss; ``--no-cache`` neither reads nor writes an entry; a damaged, foreign or planted entry is ignored and
rewritten, never trusted.
"""

from __future__ import annotations

import datetime as dt
import pickle
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from govcloud.app import planning, rendering
from govcloud.app import status as status_view
from govcloud.census.edges import inventory_cache
from govcloud.cli import app
from govcloud.planning.edges import result_cache
from govcloud.sharing.edges import official_calendar

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
    """A fresh copy of ``written`` (no cache yet), with its own cache key and its own ledger path."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv(inventory_cache.NO_CACHE_ENV, "0")  # restored after the test (``--no-cache`` sets it)
    monkeypatch.setenv("GOVCLOUD_LEDGER", str(tmp_path / "tree" / "ledger.sqlite"))
    monkeypatch.chdir(tmp_path)
    inventory_cache._key.cache_clear()
    root = tmp_path / "tree"
    shutil.copytree(written, root, symlinks=True)
    return root


class Computed:
    """Counts the computations behind the cached commands: the assessment, the status rows, the validation."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        for module, name in ((planning, "assess_inventory"), (status_view, "status_report")):
            monkeypatch.setattr(module, name, self._counting(getattr(module, name)))
        monkeypatch.setattr(rendering, "check_rendered", self._counting(rendering.check_rendered))

    def _counting(self, real: Callable[..., Any]) -> Callable[..., Any]:
        def counting(*args: Any, **kwargs: Any) -> Any:
            self.count += 1
            return real(*args, **kwargs)

        return counting

    def take(self) -> int:
        count, self.count = self.count, 0
        return count


COMMANDS: dict[str, list[str]] = {
    "assess": ["assess", "-i", "{inventory}", "--today", TODAY],
    "assess json": ["assess", "-i", "{inventory}", "--format", "json", "--today", TODAY],
    "assess markdown": ["assess", "-i", "{inventory}", "--format", "markdown", "--today", TODAY],
    "assess --system": ["assess", "-i", "{inventory}", "--system", "{system}", "--today", TODAY],
    "status": ["status", "-i", "{inventory}", "-p", "{plans}", "--today", TODAY],
    "status json": ["status", "-i", "{inventory}", "-p", "{plans}", "--format", "json", "--today", TODAY],
    "status markdown": ["status", "-i", "{inventory}", "-p", "{plans}", "--format", "markdown", "--today", TODAY],
    "status --wave": ["status", "-i", "{inventory}", "-p", "{plans}", "--wave", "1", "--today", TODAY],
    "render": ["render", "-i", "{inventory}", "--plans", "{plans}", "-o", "{out}", "--crd-schemas", "partial"],
}


def _first_system(root: Path) -> str:
    text = sorted((root / "inventory" / "departments").glob("*.yaml"))[0].read_text(encoding="utf-8")
    for line in text.splitlines():
        if line.strip().startswith("- code:"):
            return line.split(":", 1)[1].strip().strip("'\"")
    raise AssertionError("no system code in the first department file")


def invoke(root: Path, name: str, *, global_args: tuple[str, ...] = (), exit_code: int = 0, keep: bool = False) -> str:
    """The command's output; render starts from an empty output directory unless ``keep``."""
    args = COMMANDS[name]
    if name == "render" and not keep:
        shutil.rmtree(root / "manifests", ignore_errors=True)
    values = {
        "inventory": str(root / "inventory"),
        "plans": str(root / "plans"),
        "out": str(root / "manifests"),
        "system": _first_system(root) if "{system}" in args else "",
    }
    argv = [*global_args, *(arg.format(**values) for arg in args)]
    result = runner.invoke(app, argv, env={"COLUMNS": "120"})
    assert result.exit_code == exit_code, result.output
    if name.startswith("render"):  # the wall-clock line differs between any two runs
        return "\n".join(line for line in result.output.splitlines() if not line.startswith("done in"))
    return result.output


def entries(root: Path) -> list[Path]:
    return sorted((root / result_cache.CACHE_DIR).glob("*.entry"))


def manifests(root: Path) -> dict[str, str]:
    return {path.name: path.read_text(encoding="utf-8") for path in sorted((root / "manifests").glob("*.yaml"))}


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_a_hit_prints_what_the_miss_printed(tree: Path, monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    computed = Computed(monkeypatch)
    miss = invoke(tree, name)
    assert computed.take() >= 1
    assert entries(tree)
    written = manifests(tree)
    hit = invoke(tree, name)
    assert computed.take() == 0, "the second run computed again"
    assert hit == miss
    assert manifests(tree) == written
    uncached = invoke(tree, name, global_args=("--no-cache",))
    assert computed.take() >= 1, "--no-cache must bypass the result cache"
    assert uncached == miss


def test_a_render_hit_writes_only_what_differs(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    computed = Computed(monkeypatch)
    invoke(tree, "render")
    assert computed.take() == 1
    written = manifests(tree)
    assert len(written) > 2
    spoilt, removed = sorted(written)[:2]
    (tree / "manifests" / spoilt).write_text("# a hand edit\n", encoding="utf-8")
    (tree / "manifests" / removed).unlink()
    stale = tree / "manifests" / "department-gone.yaml"
    stale.write_text((tree / "manifests" / sorted(written)[2]).read_text(encoding="utf-8"), encoding="utf-8")
    hit = invoke(tree, "render", keep=True)
    assert computed.take() == 0, "validated again on a hit"
    assert manifests(tree) == written
    assert f"(2 written, {len(written) - 2} unchanged, 1 stale removed)" in hit
    again = invoke(tree, "render", keep=True)
    assert f"(0 written, {len(written)} unchanged, 0 stale removed)" in again
    assert invoke(tree, "render", global_args=("--no-cache",), keep=True) == again


def test_a_rejected_render_is_not_cached(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    computed = Computed(monkeypatch)

    def rejecting(*args: Any, **kwargs: Any) -> None:
        computed.count += 1
        raise rendering.RenderRejected(["Deployment/x/y: a planted problem"])

    monkeypatch.setattr(rendering, "check_rendered", rejecting)
    invoke(tree, "render", exit_code=1)
    invoke(tree, "render", exit_code=1)
    assert computed.take() == 2, "a rejected render was answered from the cache"
    assert not (tree / "manifests").exists()


def test_an_unknown_system_is_refused_every_time(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    computed = Computed(monkeypatch)
    argv = ["assess", "-i", str(tree / "inventory"), "--system", "NO-SUCH-1", "--today", TODAY]
    for _ in range(2):
        result = runner.invoke(app, argv)
        assert result.exit_code != 0
        assert "NO-SUCH-1" in result.output
    assert computed.take() == 2


def _edit_plan(root: Path) -> None:
    path = sorted((root / "plans").glob("*.yaml"))[3]
    path.write_text(path.read_text(encoding="utf-8") + "# a lead's note\n", encoding="utf-8")


def _edit_inventory(root: Path) -> None:
    path = sorted((root / "inventory" / "departments").glob("*.yaml"))[0]
    path.write_text(path.read_text(encoding="utf-8") + "# a note\n", encoding="utf-8")


def _edit_settings(root: Path) -> None:
    path = root / "inventory" / "settings.yaml"
    assert not path.exists()  # the bundled city runs on the defaults: a settings file appearing is a change
    path.write_text("# the defaults, written out\n{}\n", encoding="utf-8")


def _edit_ledger(root: Path) -> None:
    wal = root / "ledger.sqlite-wal"
    wal.write_bytes(b"not really a log")  # a write-ahead log appearing is a change of the ledger's state


def _add_requests(root: Path) -> None:
    shutil.copytree(REPO / "sharing", root / "sharing")


def _edit_request(root: Path) -> None:
    path = sorted((root / "sharing" / "requests").rglob("*.yaml"))[0]
    path.write_text(path.read_text(encoding="utf-8") + "# a note\n", encoding="utf-8")


EDITS: dict[str, Callable[[Path], None]] = {
    "plan file": _edit_plan,
    "inventory file": _edit_inventory,
    "settings": _edit_settings,
    "ledger": _edit_ledger,
    "request file": _edit_request,
}

READS = {
    "assess json": ("inventory file", "settings", "ledger"),
    "status json": ("plan file", "inventory file", "settings", "ledger", "request file"),
    "render": ("plan file", "inventory file", "settings", "request file"),
}


@pytest.mark.parametrize(("name", "edit"), [(name, edit) for name, edits in READS.items() for edit in edits])
def test_any_changed_input_is_a_miss(tree: Path, monkeypatch: pytest.MonkeyPatch, name: str, edit: str) -> None:
    _add_requests(tree)
    computed = Computed(monkeypatch)
    invoke(tree, name)
    invoke(tree, name)
    assert computed.take() == 1
    EDITS[edit](tree)
    invoke(tree, name)
    assert computed.take() == 1, f"a changed {edit} was answered from the cache"


def test_render_ignores_the_ledger_it_records_its_run_in(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    computed = Computed(monkeypatch)
    invoke(tree, "render")
    _edit_ledger(tree)
    invoke(tree, "render")
    assert computed.take() == 1


@pytest.mark.parametrize("name", ["assess json", "status json"])
def test_another_day_asked_is_a_miss(tree: Path, monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    computed = Computed(monkeypatch)
    invoke(tree, name)
    computed.take()
    monkeypatch.setitem(COMMANDS, name, [*COMMANDS[name][:-1], "2026-07-02"])
    invoke(tree, name)
    assert computed.take() >= 1


@pytest.mark.parametrize("name", ["assess json", "status json", "render"])
def test_another_day_today_is_a_miss(tree: Path, monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    computed = Computed(monkeypatch)
    invoke(tree, name)
    computed.take()
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    monkeypatch.setattr(result_cache, "today", lambda: tomorrow)
    if name == "render":  # the grants' day: the official calendar's, which the key names too
        monkeypatch.setattr(official_calendar, "today", lambda: tomorrow)
    invoke(tree, name)
    assert computed.take() >= 1


@pytest.mark.parametrize("name", ["assess json", "status json", "render"])
def test_no_cache_neither_reads_nor_writes(tree: Path, monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    computed = Computed(monkeypatch)
    invoke(tree, name, global_args=("--no-cache",))
    invoke(tree, name, global_args=("--no-cache",))
    assert computed.take() == 2
    assert not entries(tree)


def _damage(entry: Path) -> None:
    blob = bytearray(entry.read_bytes())
    blob[-10] ^= 0xFF
    entry.write_bytes(bytes(blob))


def _truncate(entry: Path) -> None:
    entry.write_bytes(entry.read_bytes()[:40])


unpickled: list[str] = []


def _planted() -> str:
    unpickled.append("planted")
    return "planted"


class _Planted:
    def __reduce__(self) -> tuple[Callable[[], str], tuple[()]]:
        return _planted, ()


def _plant(entry: Path) -> None:
    blob = entry.read_bytes()
    header_end = blob.index(b"\n", blob.index(b"\n", blob.index(b"\n") + 1) + 1) + 1  # magic, command, key
    entry.write_bytes(blob[:header_end] + bytes(32) + pickle.dumps(_Planted()))


@pytest.mark.parametrize("spoil", [_damage, _truncate, _plant], ids=["damaged", "truncated", "planted"])
@pytest.mark.parametrize("name", ["assess", "status json", "render"])
def test_a_spoilt_entry_is_ignored_and_rewritten(
    tree: Path, monkeypatch: pytest.MonkeyPatch, name: str, spoil: Callable[[Path], None]
) -> None:
    computed = Computed(monkeypatch)
    before = set(entries(tree))
    miss = invoke(tree, name)
    made = sorted(set(entries(tree)) - before)
    assert made
    for entry in made:
        spoil(entry)
    computed.take()
    assert invoke(tree, name) == miss
    assert computed.take() >= 1
    assert unpickled == []
    assert invoke(tree, name) == miss  # rewritten: a hit again
    assert computed.take() == 0


@pytest.mark.parametrize("name", ["assess json", "status json", "render"])
def test_an_entry_made_with_another_key_is_not_trusted(
    tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    computed = Computed(monkeypatch)
    miss = invoke(tree, name)
    computed.take()
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "another-machine"))
    inventory_cache._key.cache_clear()
    assert invoke(tree, name) == miss
    assert computed.take() >= 1


@pytest.mark.parametrize("name", ["assess json", "status json", "render"])
def test_an_entry_of_other_code_is_stale(tree: Path, monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    computed = Computed(monkeypatch)
    miss = invoke(tree, name)
    computed.take()
    monkeypatch.setattr(result_cache, "code_version", lambda: "another version of the code")
    assert invoke(tree, name) == miss
    assert computed.take() >= 1


def test_a_foreign_entry_of_another_command_is_not_used(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An entry copied over another command's file (valid MAC, other command in its header) is a miss."""
    computed = Computed(monkeypatch)
    invoke(tree, "assess json")
    (assess_entry,) = entries(tree)
    status = invoke(tree, "status json")
    (status_entry,) = set(entries(tree)) - {assess_entry}
    shutil.copyfile(assess_entry, status_entry)
    computed.take()
    assert invoke(tree, "status json") == status
    assert computed.take() == 1
