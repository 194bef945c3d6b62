"""A verified cache of whole results computed from the census and the plan files. Edge (files).

``plan``, ``plan --check``, ``report`` and an unchanged ``plan --write`` on a province each assess 20,000
systems, plan their waves and read 20,000 plan files, and a lead runs them again and again on the same inputs.
So their results (the wave plan, the check's problems and advice, the report's figures) are kept under a key
made of everything they read:

- the inventory's ``inputs_digest`` (:class:`govcloud.edges.inventory_files.LoadedInventory`: the inventory
  cache's schema version and every inventory file's name and digest; empty when the inventory cache is off,
  and then nothing is cached here either);
- the BLAKE2b digest of every file under the plan directory (names and bytes: system plans, department
  plans, the baseline), the settings file, the migration ledger (its path, and the bytes of the database and
  its write-ahead log: the confirmations and the report's progress come from it);
- the code: a hash of every source file of the package and its templates, so any change to it invalidates
  every entry by itself;
- what the command was asked: its name, options and the dates it counts from (today's date too).

Where: ``.govcloud/cache/plan-results/`` of the git working tree holding the inventory (the inventory cache's
tree; nothing is cached outside one), one entry per command and plan directory, replaced when its key
changes. Never trusted: an entry is used only when its header names this format, the key and the command, and
the payload's keyed BLAKE2b MAC checks out under the inventory cache's key (kept outside the tree); a corrupt,
stale or foreign entry is ignored and rewritten, never unpickled. ``GOVCLOUD_NO_CACHE=1`` (``govcloud
--no-cache``) turns it off. Writing only ever costs speed: a failure leaves the cache as it was.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import io
import os
import pickle
import secrets
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

import govcloud
from govcloud.census.edges import inventory_cache

CACHE_DIR = Path(".govcloud") / "cache" / "plan-results"
_MAGIC = b"govcloud-plan-result-cache 1\n"
_MAC_SIZE = 32
_SUFFIX = ".entry"

T = TypeVar("T")


@functools.cache
def code_version() -> str:
    """A hash of every source file and template of the package, and of the inventory cache's schema version."""
    package = Path(govcloud.__file__).parent
    digest = hashlib.sha256(inventory_cache.schema_version().encode() + b"\0" + _MAGIC)
    for path in sorted(p for p in package.rglob("*") if p.suffix in {".py", ".j2"} and p.is_file()):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def today() -> dt.date:
    """Today's date, as the keys name it (what "today" defaults to in the commands cached here)."""
    return dt.date.today()


def file_digest(path: Path) -> str:
    """The digest of ``path``'s bytes, ``-`` when it is missing or unreadable."""
    try:
        return inventory_cache.content_digest(path.read_bytes())
    except OSError:
        return "-"


def directory_digest(root: Path) -> str:
    """A digest of every file under ``root`` (relative names and bytes, sorted); ``-`` when it is no directory.

    Plain ``os.scandir`` and ``open``: a province's plan directory has 22,000 files, and pathlib's objects
    cost more than hashing their bytes.
    """
    if not root.is_dir():
        return "-"
    parts: list[str] = []
    _digest_tree(os.fspath(root), "", parts)
    parts.sort()
    return inventory_cache.combined_digest(parts)


def _digest_tree(directory: str, prefix: str, parts: list[str]) -> None:
    with os.scandir(directory) as entries:
        for entry in entries:
            name = prefix + entry.name
            if entry.is_dir():
                _digest_tree(entry.path, name + "/", parts)
                continue
            try:
                with open(entry.path, "rb") as handle:
                    digest = hashlib.blake2b(handle.read(), digest_size=32).hexdigest()
            except OSError:
                digest = "-"
            parts.append(f"{name}\0{digest}")


def ledger_digest(ledger: Path) -> str:
    """The ledger's path and the bytes of the database and its write-ahead log (absent: ``-``)."""
    wal = ledger.with_name(ledger.name + "-wal")
    return inventory_cache.combined_digest([ledger.as_posix(), file_digest(ledger), file_digest(wal)])


def result_key(inputs_digest: str, parts: Iterable[str]) -> str | None:
    """The key of a result computed from an inventory known by ``inputs_digest`` and ``parts`` (the other inputs).

    None (never cache) when the inventory has no digest: its cache is off (``--no-cache``) or it is outside a
    working tree.
    """
    if not inputs_digest:
        return None
    return inventory_cache.combined_digest([code_version(), inputs_digest, *parts])


class ResultCache:
    """The whole-result entries of one plan directory: :meth:`get` a command's result by key, :meth:`put` it."""

    def __init__(self, directory: Path, where: str, key: bytes) -> None:
        self.directory = directory
        self.where = where
        self.key = key

    @classmethod
    def open(cls, inventory_dir: Path, plans_dir: Path) -> ResultCache | None:
        """The cache of the working tree holding ``inventory_dir``; None when off, outside a tree or without a key."""
        where = f"{inventory_dir.resolve().as_posix()}\0{plans_dir.resolve().as_posix()}"
        return cls.in_tree(inventory_dir, where, CACHE_DIR)

    @classmethod
    def in_tree(cls, anchor: Path, where: str, cache_dir: Path) -> ResultCache | None:
        """Entries under ``cache_dir`` of the working tree holding ``anchor``, for the inputs named ``where``."""
        if not inventory_cache.enabled():
            return None
        resolved = anchor.resolve()
        for candidate in (resolved, *resolved.parents):
            if (candidate / ".git").exists():
                key = inventory_cache._key(inventory_cache.key_file())
                return cls(candidate / cache_dir, where, key) if key is not None else None
        return None

    def _path(self, command: str) -> Path:
        return self.directory / (hashlib.sha256(f"{command}\0{self.where}".encode()).hexdigest()[:32] + _SUFFIX)

    def _header(self, command: str, key: str) -> bytes:
        return _MAGIC + f"{command}\n{key}\n".encode()

    def _mac(self, header: bytes, payload: bytes) -> bytes:
        mac = hashlib.blake2b(header, key=self.key, digest_size=_MAC_SIZE)
        mac.update(payload)
        return mac.digest()

    def get(self, command: str, key: str) -> Any | None:
        """The result of ``command`` stored under ``key``; None when missing, damaged, stale or foreign."""
        try:
            blob = self._path(command).read_bytes()
        except OSError:
            return None
        header = self._header(command, key)
        end = len(header) + _MAC_SIZE
        if len(blob) < end or not blob.startswith(header):
            return None
        mac, payload = blob[len(header) : end], blob[end:]
        if not secrets.compare_digest(mac, self._mac(header, payload)):
            return None
        try:
            return pickle.loads(payload)  # noqa: S301 - authenticated above with a key outside the tree
        except Exception:  # a verified payload that still fails (a class it names is gone): rebuild it
            return None

    def put(self, command: str, key: str, value: Any) -> None:
        """Replace ``command``'s entry atomically (a reader sees the old one or the new one)."""
        try:
            buffer = io.BytesIO()
            inventory_cache._ModelPickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(value)
            payload = buffer.getvalue()
        except Exception:  # an unpicklable result is simply not cached
            return
        header = self._header(command, key)
        with contextlib.suppress(OSError):
            self.directory.mkdir(parents=True, exist_ok=True)
            ignore = self.directory.parents[1] / ".gitignore"  # .govcloud/ ignores itself, as the inventory cache
            if not ignore.exists():
                ignore.write_text("# govcloud's local cache\n*\n")
            target = self._path(command)
            temporary = target.with_name(f"{target.name}.{os.getpid()}.tmp")
            temporary.write_bytes(header + self._mac(header, payload) + payload)
            os.replace(temporary, target)


def cached(cache: ResultCache | None, command: str, key: str | None, kind: type[T], make: Callable[[], T]) -> T:
    """``command``'s result under ``key`` when held (and of type ``kind``), else ``make()``, stored for next time.

    No cache or no key (``--no-cache``, outside a working tree): ``make()``, nothing read or written. A result
    ``make`` fails to produce (an error) is never stored.
    """
    if cache is None or key is None:
        return make()
    held = cache.get(command, key)
    if isinstance(held, kind):
        return held
    value = make()
    cache.put(command, key, value)
    return value
