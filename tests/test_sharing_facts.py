"""``share overdue`` and ``share list`` from cached facts: warm equals cold after every kind of change, the stat
index re-reads what changed (and what is racily clean) and nothing else, and a corrupt, foreign, stale or
planted cache is rebuilt, never trusted."""

from __future__ import annotations

import datetime as dt
import os
import pickle
import random
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from conftest import imported_by_cli
from govcloud.app import orchestration as app_orchestration
from govcloud.app import sharing_deadlines, sharing_steps, workspace
from govcloud.cli import share_commands
from govcloud.core import model
from govcloud.edges import inventory_files, yamlio
from govcloud.errors import InputError
from govcloud.sharing.core import deadlines, requests
from govcloud.sharing.edges import catalogue_facts, official_calendar, request_facts, request_files, stat_index

REPO = Path(__file__).resolve().parents[1]
ON = dt.date(2026, 3, 2)
HOUR_NS = 3600 * 10**9


def _age(path: Path) -> None:
    """Give a file an mtime an hour old: written by a test just now, it would be racily clean (read every time)."""
    old = time.time_ns() - HOUR_NS
    os.utime(path, ns=(old, old))


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A git working tree with the bundled inventory and 30 requests in several states; returns the inventory."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("GOVCLOUD_NO_CACHE", raising=False)
    stat_index.inventory_cache._key.cache_clear()
    subprocess.run(["git", "init", "-q", str(tmp_path / "repo")], check=True)
    inventory_dir = Path(shutil.copytree(REPO / "inventory", tmp_path / "repo" / "inventory"))
    inventory = inventory_files.load_inventory(inventory_dir).inventory
    calendar = official_calendar.working_calendar(sharing_steps.load_context(inventory_dir).settings.sharing)
    folder = request_files.requests_dir(inventory_dir)
    folder.mkdir(parents=True)
    rng = random.Random(5)
    shareable = [e for e in inventory.catalogue if e.sharing.type is not model.SharingType.NOT_SHARED]
    systems = [s for s in inventory.systems if not s.classified]
    made = 0
    while made < 30:
        entry, consumer = rng.choice(shareable), rng.choice(systems)
        if consumer.department == entry.provider:
            continue
        made += 1
        submitted = dt.date(2026, 1, 5) + dt.timedelta(days=rng.randrange(40))
        request = requests.SharingRequest(
            id=f"SQ-2026-{made:04d}",
            requester=consumer.department,
            consumer=consumer.code,
            resource=entry.code,
            basis="依据",
            scenario="场景",
            scope=(consumer.code,),
            method=requests.DeliveryMethod.SERVICE,
            use_until=submitted + dt.timedelta(days=365),
            approved_by="负责人",
            submitted_on=submitted,
        )
        if made % 3:
            answered = calendar.add_workdays(submitted, rng.randrange(1, 14))
            request = requests.answer(
                request, entry=entry, granted=made % 3 == 1, on=answered, approved_by="负责人", reasons="理由"
            )
        _age(_write(folder, request))
    return inventory_dir


def _write(folder: Path, request: requests.SharingRequest) -> Path:
    path = folder / f"{request.id}.yaml"
    path.write_text(yamlio.dump_fast(request.model_dump(mode="json", exclude_none=True)), encoding="utf-8")
    return path


def _cold_overdue(root: Path) -> tuple[deadlines.Overdue, ...]:
    """What ``share overdue`` printed before the facts: every model loaded, no cache."""
    context = sharing_steps.load_context(root, loaded=inventory_files.load_inventory(root))
    return sharing_steps.overdue(context, on=ON)


def _cold_listed(root: Path) -> list[tuple[str, str, dt.date | None, dt.date | None]]:
    context = sharing_steps.load_context(root, loaded=inventory_files.load_inventory(root))
    return [(r.id, r.state.value, a, d) for r, a, d in sharing_steps.requests_with_deadlines(context)]


def _warm_listed(root: Path) -> list[tuple[str, str, dt.date | None, dt.date | None]]:
    return [(r.id, r.state, a, d) for r, a, d in sharing_deadlines.listed(root)]


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The request files parsed and validated (the names), as the facts are built."""
    seen: list[str] = []
    real = request_files.read_request

    def counting(path: Path, raw: bytes, problems: list[Any]) -> requests.SharingRequest | None:
        seen.append(path.name)
        return real(path, raw, problems)

    monkeypatch.setattr(request_files, "read_request", counting)
    return seen


@pytest.fixture
def inventory_loads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The full inventory loads the catalogue facts needed."""
    seen: list[Path] = []
    real = inventory_files.load_inventory

    def counting(root: Path, **kwargs: Any) -> inventory_files.LoadedInventory:
        seen.append(root)
        return real(root, **kwargs)

    monkeypatch.setattr(inventory_files, "load_inventory", counting)
    return seen


def test_warm_overdue_and_list_equal_cold(tree: Path, parsed: list[str], inventory_loads: list[Path]) -> None:
    cold = _cold_overdue(tree)
    assert cold  # the city has overdue requests: the comparison compares something
    assert sharing_deadlines.overdue(tree, on=ON) == cold  # fills the caches
    inventory_loads.clear()
    parsed.clear()
    warm = sharing_deadlines.overdue(tree, on=ON)
    listed = _warm_listed(tree)
    assert inventory_loads == []  # the warm runs loaded no inventory
    assert parsed == []  # and parsed no request file
    assert warm == cold
    assert len(listed) == 30
    assert listed == _cold_listed(tree)


def test_warm_equals_cold_after_an_edit_a_deletion_a_rename_and_a_touch(tree: Path, parsed: list[str]) -> None:
    folder = request_files.requests_dir(tree)
    sharing_deadlines.overdue(tree, on=ON)
    # an edit that keeps the size: a submission date one day later (same number of bytes)
    edited = folder / "SQ-2026-0002.yaml"
    text = edited.read_text(encoding="utf-8")
    day = requests.SharingRequest.model_validate(yamlio.read_fast(text)).submitted_on
    changed = text.replace(
        f"submitted_on: '{day.isoformat()}'", f"submitted_on: '{(day + dt.timedelta(1)).isoformat()}'"
    )
    changed = changed.replace(
        f"submitted_on: {day.isoformat()}", f"submitted_on: {(day + dt.timedelta(1)).isoformat()}"
    )
    assert changed != text
    assert len(changed.encode()) == len(text.encode())
    edited.write_text(changed, encoding="utf-8")
    (folder / "SQ-2026-0003.yaml").unlink()
    renamed = (folder / "SQ-2026-0004.yaml").read_text(encoding="utf-8").replace("SQ-2026-0004", "SQ-2026-0104")
    (folder / "SQ-2026-0104.yaml").write_text(renamed, encoding="utf-8")
    (folder / "SQ-2026-0004.yaml").unlink()
    touched = folder / "SQ-2026-0005.yaml"
    touched.write_bytes(touched.read_bytes())  # new mtime and ctime, same bytes
    parsed.clear()
    warm = sharing_deadlines.listed(tree)
    assert sorted(parsed) == ["SQ-2026-0002.yaml", "SQ-2026-0104.yaml"]  # the touched file kept its facts
    assert [(r.id, r.state, a, d) for r, a, d in warm] == _cold_listed(tree)
    assert sharing_deadlines.overdue(tree, on=ON) == _cold_overdue(tree)
    assert next(r for r, _, _ in warm if r.id == "SQ-2026-0002").submitted_on == day + dt.timedelta(1)


def test_a_file_with_problems_is_reported_every_run_and_never_cached(tree: Path, parsed: list[str]) -> None:
    folder = request_files.requests_dir(tree)
    sharing_deadlines.overdue(tree, on=ON)
    broken = folder / "SQ-2026-0007.yaml"
    broken.write_text(broken.read_text(encoding="utf-8").replace("basis: 依据", "basis: ''"), encoding="utf-8")
    _age(broken)
    parsed.clear()
    for _ in range(2):
        with pytest.raises(InputError) as raised:
            sharing_deadlines.overdue(tree, on=ON)
        assert [(Path(p.path).name, p.field) for p in raised.value.problems] == [("SQ-2026-0007.yaml", "basis")]
    assert parsed.count("SQ-2026-0007.yaml") == 2


def _coarse(fixed_mtime_ns: int) -> Any:
    """A file system whose timestamps did not move: every file reports the same mtime and ctime."""

    def stat_file(name: str, directory: int) -> tuple[int, int, int, int] | None:
        found = os.stat(name, dir_fd=directory)
        return found.st_size, fixed_mtime_ns, fixed_mtime_ns, found.st_ino

    return stat_file


@pytest.mark.parametrize("racy", [True, False])
def test_a_racily_clean_file_is_read_again(tmp_path: Path, racy: bool) -> None:
    """A file changed in the instant its entry was taken keeps its stat on a coarse file system: only git's
    racy rule (mtime not older than the entry) reads it again. The control shows the stat alone would miss it."""
    (tmp_path / "a.yaml").write_text("one\n")
    read: list[bytes] = []

    def reader(_name: str, raw: bytes) -> tuple[bool, bytes]:
        read.append(raw)
        return True, raw

    first = stat_index.refresh(os.fspath(tmp_path), ["a.yaml"], stat_index.empty(), reader)
    mtime = first.entries.taken_ns if racy else first.entries.taken_ns - HOUR_NS
    # the stats the entry holds are what the coarse file system reports now
    held = stat_index.refresh(os.fspath(tmp_path), ["a.yaml"], stat_index.empty(), reader, stat_file=_coarse(mtime))
    held = stat_index.Refreshed(dataclass_replace(held.entries, taken_ns=first.entries.taken_ns), False)
    (tmp_path / "a.yaml").write_text("two\n")  # same size, same (coarse) stat
    read.clear()
    again = stat_index.refresh(os.fspath(tmp_path), ["a.yaml"], held.entries, reader, stat_file=_coarse(mtime))
    if racy:
        assert read == [b"two\n"]
        assert again.entries.values == [b"two\n"]
    else:
        assert read == []  # trusted: the stat did not change and the file was old when the entry was taken
        assert again.entries.values == [b"one\n"]


def dataclass_replace(index: stat_index.Index[Any], **changes: Any) -> stat_index.Index[Any]:
    import dataclasses

    return dataclasses.replace(index, **changes)


def test_racily_clean_request_files_are_read_again_until_an_entry_proves_them_old(
    tree: Path, parsed: list[str]
) -> None:
    folder = request_files.requests_dir(tree)
    fresh = folder / "SQ-2026-0009.yaml"
    fresh.write_bytes(fresh.read_bytes())  # modified just now: racily clean for any entry taken within 2 s
    sharing_deadlines.overdue(tree, on=ON)
    parsed.clear()
    sharing_deadlines.overdue(tree, on=ON)
    assert parsed == []  # its bytes were digested again (unchanged), not parsed
    _age(fresh)
    sharing_deadlines.overdue(tree, on=ON)
    assert parsed == []


@pytest.fixture
def computed(monkeypatch: pytest.MonkeyPatch) -> list[dt.date]:
    """The days ``share overdue``'s rows were computed for from the facts (not taken from the kept rows)."""
    seen: list[dt.date] = []
    real = deadlines.overdue

    def counting(*args: Any, on: dt.date, **kwargs: Any) -> tuple[deadlines.Overdue, ...]:
        seen.append(on)
        return real(*args, on=on, **kwargs)

    monkeypatch.setattr(sharing_deadlines.deadlines, "overdue", counting)
    return seen


def _entry_file(root: Path, kind: str) -> Path:
    folder = request_facts.requests_dir(root) if kind == "facts" else root
    found = stat_index._entry_file(folder, kind)
    assert found is not None
    return found


@pytest.mark.parametrize("kind", ["facts", "catalogue", "overdue"])
@pytest.mark.parametrize("damage", ["truncated", "flipped", "foreign key", "stale schema", "planted"])
def test_a_bad_cache_entry_is_rebuilt_never_trusted(
    tree: Path,
    kind: str,
    damage: str,
    monkeypatch: pytest.MonkeyPatch,
    parsed: list[str],
    inventory_loads: list[Path],
    computed: list[dt.date],
    tmp_path: Path,
) -> None:
    cold = _cold_overdue(tree)
    sharing_deadlines.overdue(tree, on=ON)
    sharing_deadlines.overdue(tree, on=ON)  # the facts' stats are now old: the next run may use the kept rows
    path = _entry_file(tree, kind)
    blob = path.read_bytes()
    if damage == "truncated":
        path.write_bytes(blob[: len(blob) // 2])
    elif damage == "flipped":
        path.write_bytes(blob[:-10] + bytes([blob[-10] ^ 1]) + blob[-9:])
    elif damage == "foreign key":  # a .govcloud/ copied from another machine: another key
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "other"))
        stat_index.inventory_cache._key.cache_clear()
    elif damage == "stale schema":
        stat_index.schema_version.cache_clear()
        monkeypatch.setattr(stat_index, "schema_version", lambda magic, sources: "another version")
    else:  # a planted payload: a pickle that would run code, with the right header but no valid MAC
        header_end = blob.index(b"\n", blob.index(b"\n", blob.index(b"\n") + 1) + 1) + 1
        planted = pickle.dumps(("planted",))
        path.write_bytes(blob[:header_end] + b"\0" * 32 + planted)
    unpickled: list[bytes] = []
    real_loads = pickle.loads

    def watching(data: bytes, /) -> Any:
        unpickled.append(data)
        return real_loads(data)

    monkeypatch.setattr(stat_index.pickle, "loads", watching)
    parsed.clear()
    inventory_loads.clear()
    computed.clear()
    assert sharing_deadlines.overdue(tree, on=ON) == cold
    assert computed == [ON]  # the rows computed again from the facts, whichever entry was bad
    if kind == "facts":
        assert len(parsed) == 30  # every request file read again
    elif kind == "catalogue":
        assert inventory_loads == [tree]  # the catalogue facts built again from the inventory
    assert not any(b"planted" in data for data in unpickled)
    if kind == "overdue":  # written again: the same rows under the same key, so the very bytes it had
        assert (path.read_bytes() == blob) == (damage not in {"stale schema", "foreign key"})
    else:
        assert path.read_bytes() != blob or damage == "stale schema" or damage == "foreign key"  # rewritten


def test_an_inventory_change_rebuilds_the_catalogue_facts(tree: Path, inventory_loads: list[Path]) -> None:
    before = sharing_deadlines.overdue(tree, on=ON)
    assert catalogue_facts.load(tree).settings.conditional_answer_days == 10
    # a settings file added to the inventory: 有条件共享 answered within 3 working days, not 10
    (tree / "settings.yaml").write_text("sharing:\n  conditional_answer_days: 3\n", encoding="utf-8")
    inventory_loads.clear()
    warm = sharing_deadlines.overdue(tree, on=ON)
    assert inventory_loads == [tree]
    assert catalogue_facts.load(tree).settings.conditional_answer_days == 3
    assert warm == _cold_overdue(tree)
    assert warm != before
    touched = tree / "city.yaml"
    touched.write_bytes(touched.read_bytes())
    inventory_loads.clear()
    sharing_deadlines.overdue(tree, on=ON)
    assert inventory_loads == []  # a touched file: its digest read again, the facts kept


def test_no_cache_reads_everything_and_writes_nothing(
    tree: Path, monkeypatch: pytest.MonkeyPatch, parsed: list[str]
) -> None:
    monkeypatch.setenv(workspace.NO_CACHE_ENV, "1")
    assert sharing_deadlines.overdue(tree, on=ON) == _cold_overdue(tree)
    assert not (tree.parent / stat_index.CACHE_DIR).exists()
    parsed.clear()
    sharing_deadlines.overdue(tree, on=ON)
    assert len(parsed) == 30


def test_the_light_modules_spell_the_models_values() -> None:
    assert model.SharingType.UNCONDITIONAL.value == deadlines.UNCONDITIONAL
    assert model.SharingType.CONDITIONAL.value == deadlines.CONDITIONAL
    assert model.SharingType.NOT_SHARED.value == deadlines.NOT_SHARED
    assert request_facts.REQUESTS_DIR == request_files.REQUESTS_DIR
    assert share_commands.SIGNING_KEY_ENV == app_orchestration.SIGNING_KEY_ENV
    from govcloud import cli

    assert cli.NO_CACHE_ENV == workspace.NO_CACHE_ENV


MODEL_LAYER = ("pydantic", "yaml", "govcloud.core.model", "govcloud.sharing.core.requests")
"""What a warm ``share overdue`` must not import: its facts are plain tuples, the models and parsers stay unloaded."""


def _imported_by_overdue(tree: Path, *global_options: str) -> set[str]:
    args = [*global_options, "share", "overdue", "--on", ON.isoformat(), "-i", str(tree)]
    return imported_by_cli(args, {**os.environ, "COLUMNS": "100"})


def test_a_warm_share_overdue_imports_no_model_and_no_parser(tree: Path) -> None:
    """A whole process: each of these costs a warm run (1 CPU s on a province) a tenth or more of its budget."""
    sharing_deadlines.overdue(tree, on=ON)  # fills the caches
    warm = _imported_by_overdue(tree)
    assert "govcloud.app.sharing_deadlines" in warm
    assert [m for m in MODEL_LAYER if m in warm] == []
    cold = _imported_by_overdue(tree, "--no-cache")  # the mirror: reading the files does load them
    assert [m for m in MODEL_LAYER if m in cold] == list(MODEL_LAYER)


def _age_all(tree: Path) -> None:
    """Every request and inventory file an hour old: none racily clean, so unchanged files may be trusted."""
    for path in [*request_files.requests_dir(tree).glob("*.yaml"), *tree.rglob("*.yaml")]:
        _age(path)


def test_kept_rows_are_used_only_while_nothing_changed_on_the_same_day(
    tree: Path, computed: list[dt.date], parsed: list[str], inventory_loads: list[Path]
) -> None:
    _age_all(tree)
    cold = _cold_overdue(tree)
    computed.clear()
    first = sharing_deadlines.overdue(tree, on=ON)
    assert first == cold
    assert computed == [ON]
    computed.clear()
    parsed.clear()
    inventory_loads.clear()
    assert sharing_deadlines.overdue(tree, on=ON) == first
    assert (computed, parsed, inventory_loads) == ([], [], [])  # the kept rows: nothing computed, read or loaded
    later = ON + dt.timedelta(days=30)  # another day: computed again (more requests are late by then)
    cold_later = _cold_overdue_on(tree, later)
    computed.clear()
    assert sharing_deadlines.overdue(tree, on=later) == cold_later != first
    assert computed == [later]


def _cold_overdue_on(root: Path, on: dt.date) -> tuple[deadlines.Overdue, ...]:
    context = sharing_steps.load_context(root, loaded=inventory_files.load_inventory(root))
    return sharing_steps.overdue(context, on=on)


def test_each_input_of_the_kept_rows_invalidates_them(
    tree: Path, computed: list[dt.date], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A request answered, a settings change, a request removed, new calendar data: each computes again."""
    _age_all(tree)
    sharing_deadlines.overdue(tree, on=ON)
    late = sharing_deadlines.overdue(tree, on=ON)
    assert late
    folder = request_files.requests_dir(tree)
    answered = folder / f"{late[0].request}.yaml"
    text = answered.read_text(encoding="utf-8")
    request = request_files.read_request(answered, text.encode(), [])
    assert request is not None
    assert request.state is requests.RequestState.SUBMITTED
    changes = [
        lambda: _write(folder, request.model_copy(update={"state": requests.RequestState.REFUSED})),
        lambda: (tree / "settings.yaml").write_text("sharing:\n  conditional_answer_days: 3\n", encoding="utf-8"),
        (folder / f"{late[1].request}.yaml").unlink,
        lambda: monkeypatch.setattr(official_calendar, "data_version", lambda: "a newer chinesecalendar"),
    ]
    for change in changes:
        change()
        _age_all(tree)
        cold = _cold_overdue(tree)
        computed.clear()
        assert sharing_deadlines.overdue(tree, on=ON) == cold
        assert computed == [ON]
        computed.clear()
        sharing_deadlines.overdue(tree, on=ON)
        assert computed == []  # and kept again under the new key
