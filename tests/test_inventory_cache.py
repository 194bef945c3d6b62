"""The inventory cache: a warm load equals a cold one whatever changed, and a bad cache is never trusted.

Every test works in a real git repository holding a small generated inventory (the cache lives in the working
tree's ``.govcloud/cache/``). "Cold" is ``load_inventory(use_cache=False)``; "warm" reads through the cache.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import pickle
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from conftest import write_city
from govcloud.census.edges import inventory_cache
from govcloud.cli import app
from govcloud.core import example
from govcloud.edges import inventory_files
from govcloud.errors import InputError, Problem

TODAY = dt.date(2026, 11, 1)
EDITS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(autouse=True)
def _private_key_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """The MAC key lives under a test's own XDG_CACHE_HOME, never in the developer's home."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.getbasetemp() / "xdg-cache"))
    monkeypatch.delenv(inventory_cache.NO_CACHE_ENV, raising=False)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    city = example.generate_city(systems=60, seed=11)
    return write_city(city, tmp_path_factory.mktemp("template") / "inventory")


def _repository(template: Path, where: Path) -> Path:
    """A git repository at ``where`` whose ``inventory/`` is a copy of ``template``."""
    subprocess.run(["git", "init", "-q", str(where)], check=True)
    return Path(shutil.copytree(template, where / "inventory"))


@pytest.fixture
def inventory(template: Path, tmp_path: Path) -> Path:
    return _repository(template, tmp_path / "repo")


Outcome = tuple[str, Any]


def _outcome(root: Path, *, use_cache: bool) -> Outcome:
    """What a load gives: the inventory and where each record was read, or every problem with its line."""
    try:
        loaded = inventory_files.load_inventory(root, today=TODAY, use_cache=use_cache)
    except InputError as exc:
        return "problems", list(exc.problems)
    return "inventory", (loaded.inventory, loaded.sources.places, loaded.files)


def _assert_warm_equals_cold(root: Path) -> Outcome:
    cold = _outcome(root, use_cache=False)
    warm = _outcome(root, use_cache=True)
    assert warm[0] == cold[0]
    assert warm[1] == cold[1]
    if cold[0] == "inventory":
        _assert_lazy_equals_cold(root, cold[1][0])
    return warm


def _assert_lazy_equals_cold(root: Path, cold: Any) -> None:
    """A clean census whose every entry is fresh loads lazily: the cheap facts at once, the records on first use."""
    loaded = inventory_files.load_inventory(root, today=TODAY, use_cache=True)
    assert not loaded.built
    assert loaded.department_codes == tuple(d.code for d in cold.departments)
    counts = loaded.counts
    assert (counts.departments, counts.systems, counts.catalogue, counts.private_networks) == (
        len(cold.departments),
        len(cold.systems),
        len(cold.catalogue),
        len(cold.private_networks),
    )
    assert (counts.zones, counts.intranet_zones, counts.hosts) == (
        len(cold.network.zones),
        len(cold.intranet_zones),
        len(cold.hosts),
    )
    assert not loaded.built
    assert loaded.inventory == cold
    assert loaded.built


def _entries(root: Path) -> list[Path]:
    directory = inventory_cache.cache_directory(root)
    assert directory is not None
    return sorted(directory.glob("*.entry"))


def _valid_entries(root: Path) -> int:
    """How many input files have an entry the cache accepts for their current bytes, head and body."""
    directory = inventory_cache.cache_directory(root)
    assert directory is not None
    cache = inventory_cache.InventoryCache(root, directory)
    paths = [root / name for name in ("city.yaml", "network.yaml", "hosts.yaml")]
    paths += sorted((root / "departments").glob("*.yaml"))
    valid = 0
    for path in paths:
        if path.exists():
            parts = cache.get_parts(path, inventory_cache.content_digest(path.read_text(encoding="utf-8").encode()))
            if parts is not None:
                with contextlib.suppress(inventory_cache.DamagedEntry):
                    parts[1].load()
                    valid += 1
    return valid


def _input_count(root: Path) -> int:
    return 3 + len(list((root / "departments").glob("*.yaml")))


# ---------------------------------------------------------------------------------------------------------
# Warm equals cold


_REPLACEMENTS = ("", "x", "999", "[", "{a: 1", "无条件共享", "2026-13-40", "null", "- a")


@st.composite
def _edits(draw: st.DrawFn) -> list[tuple[str, int, int, int]]:
    kinds = st.sampled_from(["edit", "duplicate_line", "delete", "rename", "restore"])
    return draw(
        st.lists(
            st.tuples(kinds, st.integers(0, 10**6), st.integers(0, 10**6), st.integers(0, len(_REPLACEMENTS) - 1)),
            min_size=1,
            max_size=4,
        )
    )


def _apply(root: Path, template: Path, edit: tuple[str, int, int, int]) -> None:
    kind, which, where, replacement = edit
    files = [*sorted((root / "departments").glob("*.yaml")), root / "network.yaml", root / "hosts.yaml"]
    path = files[which % len(files)]
    if not path.exists():
        return
    if kind == "delete":
        path.unlink()
    elif kind == "rename":
        path.rename(path.with_name(f"ZZ{which % 97}.yaml") if path.parent.name == "departments" else path)
    elif kind == "restore":
        original = template / path.relative_to(root)
        if original.exists():
            shutil.copyfile(original, path)
    else:
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        index = where % len(lines)
        if kind == "duplicate_line":
            lines.insert(index, lines[index])
        else:
            head, sep, _ = lines[index].partition(": ")
            lines[index] = f"{head}{sep or ': '}{_REPLACEMENTS[replacement]}\n"
        path.write_text("".join(lines), encoding="utf-8")


@EDITS
@given(edits=_edits())
def test_warm_load_equals_cold_load_after_random_edits_deletions_and_renames(
    template: Path, edits: list[tuple[str, int, int, int]]
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = _repository(template, Path(tmp))
        _assert_warm_equals_cold(root)  # fills the cache from the unchanged inventory
        for edit in edits:
            _apply(root, template, edit)
            _assert_warm_equals_cold(root)  # entries of changed files are stale, the rest are reused
        _assert_warm_equals_cold(root)  # and once more with every entry fresh
        assert _valid_entries(root) == _input_count(root) - _unreadable_inputs(root)


def _unreadable_inputs(root: Path) -> int:
    """Files that are missing or not text have no entry (there is nothing to cache)."""
    return sum(not (root / name).exists() for name in ("city.yaml", "network.yaml", "hosts.yaml"))


def test_warm_load_reuses_every_entry_and_keeps_problem_lines(inventory: Path) -> None:
    bad = sorted((inventory / "departments").glob("*.yaml"))[0]
    text = bad.read_text(encoding="utf-8")
    bad.write_text(text.replace("scope:", "scope: [", 1), encoding="utf-8")
    cold = _assert_warm_equals_cold(inventory)
    assert cold[0] == "problems"
    problems: list[Problem] = cold[1]
    assert any(p.path.endswith(bad.name) and p.line is not None for p in problems)
    assert _valid_entries(inventory) == _input_count(inventory)
    assert _assert_warm_equals_cold(inventory) == cold  # every entry read back, same problems, same lines


def test_a_changed_date_runs_the_cross_record_checks_again(inventory: Path) -> None:
    """The checks depend on ``today`` (zombie ages): their reused result is keyed by it."""
    inventory_files.load_inventory(inventory, today=TODAY)
    later = dt.date(2040, 1, 1)

    def outcome(use_cache: bool) -> Any:
        try:
            return inventory_files.load_inventory(inventory, today=later, use_cache=use_cache).inventory
        except InputError as exc:
            return exc.problems

    assert outcome(True) == outcome(False)


# ---------------------------------------------------------------------------------------------------------
# A bad cache is detected and rebuilt


def _corrupt(entry: Path) -> None:
    blob = bytearray(entry.read_bytes())
    blob[-5] ^= 0xFF
    entry.write_bytes(bytes(blob))


def _truncate(entry: Path) -> None:
    entry.write_bytes(entry.read_bytes()[: len(entry.read_bytes()) // 2])


def _empty(entry: Path) -> None:
    entry.write_bytes(b"")


@pytest.mark.parametrize("damage", [_corrupt, _truncate, _empty], ids=["corrupt", "truncated", "empty"])
def test_a_damaged_entry_is_ignored_and_rewritten(inventory: Path, damage: Any) -> None:
    expected = _assert_warm_equals_cold(inventory)
    for entry in _entries(inventory):
        damage(entry)
    assert _valid_entries(inventory) == 0
    assert _assert_warm_equals_cold(inventory) == expected
    assert _valid_entries(inventory) == _input_count(inventory)


def test_entries_of_another_schema_version_are_stale_and_rebuilt(
    inventory: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = _assert_warm_equals_cold(inventory)
    monkeypatch.setattr(inventory_cache, "schema_version", lambda: "a colleague changed the model")
    assert _valid_entries(inventory) == 0
    assert _assert_warm_equals_cold(inventory) == expected
    assert _valid_entries(inventory) == _input_count(inventory)


def test_the_schema_version_follows_the_model_source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Derived from the package's source: a copy with one model line changed has another version."""
    import govcloud

    package = Path(govcloud.__file__).parent
    copy = Path(shutil.copytree(package, tmp_path / "govcloud", ignore=shutil.ignore_patterns("__pycache__")))
    model_py = copy / "core" / "model.py"
    monkeypatch.setattr(govcloud, "__file__", str(copy / "__init__.py"))
    inventory_cache.schema_version.cache_clear()
    before = inventory_cache.schema_version()
    model_py.write_text(model_py.read_text(encoding="utf-8") + "\n# a new field\n", encoding="utf-8")
    inventory_cache.schema_version.cache_clear()
    after = inventory_cache.schema_version()
    monkeypatch.undo()
    inventory_cache.schema_version.cache_clear()
    assert before != after
    assert inventory_cache.schema_version() == before  # the copy was the package itself, byte for byte


def test_a_cache_written_under_another_key_is_foreign_and_rebuilt(
    inventory: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = _assert_warm_equals_cold(inventory)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "another-user"))  # another machine or user
    assert _valid_entries(inventory) == 0
    assert _assert_warm_equals_cold(inventory) == expected
    assert _valid_entries(inventory) == _input_count(inventory)


def test_an_entry_for_another_file_is_not_used(inventory: Path) -> None:
    """Entries name their input: one copied over another's slot is refused."""
    expected = _assert_warm_equals_cold(inventory)
    entries = _entries(inventory)
    for entry in entries[1:]:
        shutil.copyfile(entries[0], entry)
    assert _valid_entries(inventory) == 1
    assert _assert_warm_equals_cold(inventory) == expected


class _Planted:
    """An object whose unpickling touches a marker file: proof that a payload was unpickled."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (Path.touch, (self.marker,))


def test_a_planted_entry_is_never_unpickled(inventory: Path, tmp_path: Path) -> None:
    """A forged entry with a valid header but no valid MAC is refused before pickle sees it."""
    expected = _assert_warm_equals_cold(inventory)
    marker = tmp_path / "unpickled"
    for entry in _entries(inventory):
        blob = entry.read_bytes()
        header_end = blob.index(b"\n", blob.index(b"\n", blob.index(b"\n", blob.index(b"\n") + 1) + 1) + 1) + 1
        payload = pickle.dumps(_Planted(marker))
        entry.write_bytes(blob[:header_end] + bytes(32) + payload)
    assert _assert_warm_equals_cold(inventory) == expected
    assert not marker.exists()
    # the forbidden case is real: the same payload, unpickled, does touch the marker
    pickle.loads(payload)
    assert marker.exists()


# ---------------------------------------------------------------------------------------------------------
# Where the cache lives, and turning it off


def test_the_cache_lives_in_the_working_tree_and_ignores_itself(inventory: Path) -> None:
    repository = inventory.parent
    subprocess.run(["git", "-C", str(repository), "add", "-A"], check=True)
    inventory_files.load_inventory(inventory, today=TODAY)
    assert _entries(inventory)
    status = subprocess.run(
        ["git", "-C", str(repository), "status", "--porcelain", "--untracked-files=all"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    untracked = [line for line in status.splitlines() if line.startswith("??")]
    assert untracked == []  # .govcloud/ holds a .gitignore of "*": nothing to commit, no .gitignore line needed
    assert (repository / ".govcloud" / "cache").is_dir()


def test_an_inventory_outside_a_working_tree_is_not_cached(template: Path, tmp_path: Path) -> None:
    root = Path(shutil.copytree(template, tmp_path / "loose"))
    inventory_files.load_inventory(root, today=TODAY)
    assert inventory_cache.cache_directory(root) is None
    assert not list(tmp_path.rglob(".govcloud"))


def test_no_cache_flag_neither_reads_nor_writes_the_cache(inventory: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = CliRunner().invoke(app, ["--no-cache", "check", "--inventory", str(inventory)])
    monkeypatch.delenv(inventory_cache.NO_CACHE_ENV, raising=False)  # the flag sets it for child processes
    assert result.exit_code == 0, result.output
    assert not (inventory.parent / ".govcloud").exists()
    result = CliRunner().invoke(app, ["check", "--inventory", str(inventory)])
    assert result.exit_code == 0, result.output
    assert _valid_entries(inventory) == _input_count(inventory)


def test_no_cache_environment_variable_turns_it_off(inventory: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(inventory_cache.NO_CACHE_ENV, "1")
    inventory_files.load_inventory(inventory, today=TODAY)
    assert not (inventory.parent / ".govcloud").exists()


def test_inputs_digest_names_every_input_and_changes_with_any_of_them(inventory: Path) -> None:
    first = inventory_files.load_inventory(inventory, today=TODAY, use_cache=True).inputs_digest
    again = inventory_files.load_inventory(inventory, today=TODAY, use_cache=True).inputs_digest
    assert first
    assert first == again
    department = sorted((inventory / "departments").glob("*.yaml"))[0]
    department.write_text(department.read_text(encoding="utf-8") + "# a comment changes the bytes\n", encoding="utf-8")
    edited = inventory_files.load_inventory(inventory, today=TODAY, use_cache=True).inputs_digest
    assert edited
    assert edited != first
    # without the cache there is nothing to key on: callers see that and compute afresh
    assert inventory_files.load_inventory(inventory, today=TODAY, use_cache=False).inputs_digest == ""
