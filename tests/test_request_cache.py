"""The verified cache of sharing requests: warm equals cold after edits, additions, deletions and renames;
a damaged, foreign or planted entry is never trusted; a file with problems is never cached."""

from __future__ import annotations

import datetime as dt
import pickle
import random
import shutil
import subprocess
from pathlib import Path

import pytest

from govcloud.core import model
from govcloud.edges import inventory_files, yamlio
from govcloud.errors import InputError
from govcloud.sharing.core import requests
from govcloud.sharing.edges import request_cache, request_files

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A git working tree holding a copy of the bundled inventory and 40 request files; returns the inventory."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("GOVCLOUD_NO_CACHE", raising=False)
    request_cache.inventory_cache._key.cache_clear()
    subprocess.run(["git", "init", "-q", str(tmp_path / "repo")], check=True)
    inventory_dir = Path(shutil.copytree(REPO / "inventory", tmp_path / "repo" / "inventory"))
    inventory = inventory_files.load_inventory(inventory_dir).inventory
    folder = request_files.requests_dir(inventory_dir)
    folder.mkdir(parents=True)
    rng = random.Random(3)
    shareable = [e for e in inventory.catalogue if e.sharing.type is not model.SharingType.NOT_SHARED]
    systems = [s for s in inventory.systems if not s.classified]
    made = 0
    while made < 40:
        entry, consumer = rng.choice(shareable), rng.choice(systems)
        if consumer.department == entry.provider:
            continue
        made += 1
        _write(folder, _request(f"SQ-2026-{made:04d}", entry, consumer, dt.date(2026, 1, 5)))
    return inventory_dir


def _request(
    request_id: str, entry: model.CatalogueEntry, consumer: model.System, on: dt.date
) -> requests.SharingRequest:
    return requests.SharingRequest(
        id=request_id,
        requester=consumer.department,
        consumer=consumer.code,
        resource=entry.code,
        basis="依据",
        scenario="场景",
        scope=(consumer.code,),
        method=requests.DeliveryMethod.SERVICE,
        use_until=on + dt.timedelta(days=365),
        approved_by="负责人",
        submitted_on=on,
    )


def _write(folder: Path, request: requests.SharingRequest) -> Path:
    path = folder / f"{request.id}.yaml"
    path.write_text(yamlio.dump_fast(request.model_dump(mode="json", exclude_none=True)), encoding="utf-8")
    return path


def _reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Count the files actually parsed (the cache's misses)."""
    seen: list[str] = []
    real = request_files.read_request

    def counting(path: Path, raw: bytes, problems: list[object]) -> requests.SharingRequest | None:
        seen.append(path.name)
        return real(path, raw, problems)  # type: ignore[arg-type]

    monkeypatch.setattr(request_files, "read_request", counting)
    return seen


def _same(inventory_dir: Path) -> request_files.LoadedRequests:
    cold = request_files.load_requests(inventory_dir, use_cache=False)
    warm = request_files.load_requests(inventory_dir)
    assert warm.requests == cold.requests
    assert warm.paths == cold.paths
    return warm


def test_a_warm_load_reads_no_file_and_equals_the_cold_one(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    request_files.load_requests(tree)  # fills the cache
    entry = request_cache.cache_file(request_files.requests_dir(tree))
    assert entry is not None
    assert entry.is_file()
    assert (entry.parents[2] / ".gitignore").read_text().endswith("*\n")  # .govcloud/ is never committed
    reads = _reads(monkeypatch)
    warm = request_files.load_requests(tree)
    assert reads == []
    assert len(warm.requests) == 40
    assert warm.requests == request_files.load_requests(tree, use_cache=False).requests


def test_warm_equals_cold_after_random_edits_additions_deletions_and_renames(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = request_files.requests_dir(tree)
    inventory = inventory_files.load_inventory(tree).inventory
    request_files.load_requests(tree)
    rng = random.Random(17)
    reads = _reads(monkeypatch)
    done: set[str] = set()
    for round_number in range(12):
        files = sorted(folder.glob("*.yaml"))
        action = rng.choice(("edit", "delete", "add", "rename"))
        done.add(action)
        if action == "edit":
            path = rng.choice(files)
            text = path.read_text(encoding="utf-8").replace("scenario: 场景", f"scenario: 场景{round_number}")
            path.write_text(text, encoding="utf-8")
        elif action == "delete":
            rng.choice(files).unlink()
        elif action == "add":
            entry = next(e for e in inventory.catalogue if e.provider == "GAJ")
            consumer = inventory.system_by_code["HBJ-001"]
            _write(folder, _request(f"SQ-2027-{round_number:04d}", entry, consumer, dt.date(2027, 1, 4)))
        else:  # a file renamed with its id: the old name's entry goes, the new name is read
            path = rng.choice(files)
            new_id = f"SQ-2028-{round_number:04d}"
            text = path.read_text(encoding="utf-8").replace(f"id: {path.stem}", f"id: {new_id}")
            path.unlink()
            (folder / f"{new_id}.yaml").write_text(text, encoding="utf-8")
        reads.clear()
        warm = request_files.load_requests(tree)
        assert len(reads) <= 1, (action, reads)  # only the changed file is read again
        cold = request_files.load_requests(tree, use_cache=False)
        assert (warm.requests, warm.paths) == (cold.requests, cold.paths)
        reads.clear()
        request_files.load_requests(tree)
        assert reads == []  # and the next warm load reads nothing
    assert done == {"edit", "delete", "add", "rename"}


def test_a_damaged_or_foreign_entry_is_ignored_and_rewritten(
    tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    request_files.load_requests(tree)
    entry = request_cache.cache_file(request_files.requests_dir(tree))
    assert entry is not None
    blob = bytearray(entry.read_bytes())
    blob[-10] ^= 0xFF
    entry.write_bytes(bytes(blob))
    reads = _reads(monkeypatch)
    _same(tree)
    assert len(reads) == 80  # cold (40) and warm (40): the damaged entry was not used
    reads.clear()
    request_files.load_requests(tree)
    assert reads == []  # rewritten

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "another-machine"))
    request_cache.inventory_cache._key.cache_clear()
    reads.clear()
    request_files.load_requests(tree)
    assert len(reads) == 40  # made with another key: not trusted


class _Planted:
    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (Path.touch, (str(PLANTED),))


PLANTED = Path("/tmp/govcloud-request-cache-planted")


def test_a_planted_entry_is_never_unpickled(tree: Path) -> None:
    PLANTED.unlink(missing_ok=True)
    folder = request_files.requests_dir(tree)
    entry = request_cache.cache_file(folder)
    assert entry is not None
    cache = request_cache.RequestCache.open(folder)
    assert cache is not None
    entry.parent.mkdir(parents=True, exist_ok=True)
    entry.write_bytes(cache.header + b"\0" * 32 + pickle.dumps(_Planted()))  # right header, no valid MAC
    assert len(request_files.load_requests(tree).requests) == 40
    assert not PLANTED.exists()


def test_a_file_with_problems_is_never_cached(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = request_files.requests_dir(tree)
    path = sorted(folder.glob("*.yaml"))[0]
    path.write_text(path.read_text(encoding="utf-8").replace("method: 服务接口", "method: 邮寄"), encoding="utf-8")
    for _ in range(2):
        with pytest.raises(InputError) as refused:
            request_files.load_requests(tree)
        assert f"{path.name}:" in refused.value.render()
        assert "method" in refused.value.render()
    path.write_bytes(b"\xff\xfe not utf-8")
    with pytest.raises(InputError) as refused:
        request_files.load_requests(tree)
    assert "not UTF-8" in refused.value.render()


def test_no_cache_neither_reads_nor_writes(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVCLOUD_NO_CACHE", "1")
    request_files.load_requests(tree)
    entry = request_cache.cache_file(request_files.requests_dir(tree))
    assert entry is not None
    assert not entry.exists()
