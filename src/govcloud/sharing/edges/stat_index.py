"""Verified cache entries of plain data, and file digests reused while a file's stat is unchanged. Edge (files).

``share overdue`` on a province would otherwise read 50,000 request files and 2,000 inventory files just to
learn that none changed. So, as git's index does, :func:`refresh` keeps for every file its (size, mtime_ns,
ctime_ns, inode) and the BLAKE2b digest of its bytes, and reads a file again only when that stat changed, or
when the file is *racily clean*: its mtime is not older than the time the entry was taken minus
:data:`RACY_MARGIN_NS` (a file written in the same instant as, or just after, it was read could have changed
without changing its stat on a file system with coarse timestamps; such a file is read again until an entry
taken later proves it old). A file whose stat changed but whose bytes did not (touched) keeps its value.

:class:`VerifiedEntry` is the storage, with the machinery of :mod:`govcloud.sharing.edges.request_cache`
(itself the inventory cache's): one file under ``.govcloud/cache/sharing/`` of the git working tree, whose
header names the format, a schema version (a hash of the source of the modules that decide what is cached)
and the folder; the payload carries a keyed BLAKE2b MAC under the inventory cache's key, kept outside the
tree. A missing, corrupt, stale, foreign or forged entry reads as nothing and is rebuilt, never unpickled.
The payload is plain data (tuples of strings, integers, dates): a warm run unpickles no model.
"""

from __future__ import annotations

import array
import contextlib
import dataclasses
import functools
import hashlib
import os
import pickle
import secrets
import stat
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Generic, NamedTuple, TypeVar

import govcloud
from govcloud.census.edges import inventory_cache

CACHE_DIR = Path(".govcloud") / "cache" / "sharing"
_MAC_SIZE = 32
RACY_MARGIN_NS = 2_000_000_000
"""A file modified less than this before an entry was taken is read again (FAT's 2 s timestamps, clock skew)."""

V = TypeVar("V")


@functools.cache
def schema_version(magic: bytes, sources: tuple[str, ...]) -> str:
    """A hash of the source files ``sources`` (relative to the package) and the Python version."""
    package = Path(govcloud.__file__).parent
    digest = hashlib.sha256(magic)
    for part in sources:
        paths = sorted((package / part).rglob("*.py")) if (package / part).is_dir() else [package / part]
        for path in paths:
            digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    digest.update(sys.version.encode())
    return digest.hexdigest()


def _entry_file(folder: Path, kind: str) -> Path | None:
    """The cache file of ``kind`` for ``folder``; None outside a git working tree."""
    resolved = folder.resolve()
    for candidate in (resolved, *resolved.parents):
        if (candidate / ".git").exists():
            where = f"{kind}\0{resolved.relative_to(candidate).as_posix()}"
            return candidate / CACHE_DIR / (hashlib.sha256(where.encode()).hexdigest()[:16] + f".{kind}")
    return None


class VerifiedEntry:
    """One authenticated cache file: :meth:`read` what it holds (None when it cannot be trusted), :meth:`write`."""

    def __init__(self, path: Path, header: bytes, key: bytes) -> None:
        self.path = path
        self.header = header
        self.key = key

    @classmethod
    def open(cls, folder: Path, kind: str, magic: bytes, sources: tuple[str, ...]) -> VerifiedEntry | None:
        """The entry ``kind`` of ``folder``; None when caching is off, outside a working tree or without a key."""
        if not inventory_cache.enabled():
            return None
        path = _entry_file(folder, kind)
        if path is None:
            return None
        key = inventory_cache._key(inventory_cache.key_file())
        if key is None:
            return None
        header = magic + f"{schema_version(magic, sources)}\n{folder.resolve().as_posix()}\n".encode()
        return cls(path, header, key)

    def _mac(self, payload: bytes) -> bytes:
        mac = hashlib.blake2b(self.header, key=self.key, digest_size=_MAC_SIZE)
        mac.update(payload)
        return mac.digest()

    def read(self) -> Any | None:
        try:
            blob = self.path.read_bytes()
        except OSError:
            return None
        end = len(self.header) + _MAC_SIZE
        if len(blob) < end or not blob.startswith(self.header):
            return None
        mac, payload = blob[len(self.header) : end], blob[end:]
        if not secrets.compare_digest(mac, self._mac(payload)):
            return None
        try:
            return pickle.loads(payload)  # noqa: S301 - authenticated above with a key outside the tree
        except Exception:  # a verified payload that still fails to load: rebuild it
            return None

    def write(self, value: Any) -> None:
        """Replace the entry atomically (a reader sees the old one or the new one); failures only cost speed."""
        try:
            payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:
            return
        with contextlib.suppress(OSError):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            ignore = self.path.parents[2] / ".gitignore"  # .govcloud/ ignores itself, as the inventory cache does
            if not ignore.exists():
                ignore.write_text("# govcloud's local cache\n*\n")
            temporary = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
            temporary.write_bytes(self.header + self._mac(payload) + payload)
            os.replace(temporary, self.path)


@dataclasses.dataclass(frozen=True)
class Index(Generic[V]):
    """The files of one folder as last seen, in columns.

    ``taken_ns`` is the time the stats were taken (before any read); per file (in ``names`` order) its size,
    mtime_ns, ctime_ns and inode (``stats``, four integers a file), the digest of its bytes and its value.

    Columns, not a tuple per file: the pickled index is a few strings, bytes and arrays, and unpickling it
    makes no object per file (50,000 tuples, named or not, are most of a warm run's unpickling).
    """

    taken_ns: int
    names: list[str]
    stats: array.array[int]
    digests: list[bytes]
    values: list[V]

    def content_key(self) -> str:
        """Every file's name and digest in one digest: what was computed from these files belongs to these bytes."""
        listed = b"".join(n.encode() + b"\0" + d for n, d in zip(self.names, self.digests, strict=True))
        return digest_of(listed).hex()

    def payload(self, encode: Callable[[list[V]], Any]) -> tuple[int, str, bytes, bytes, Any]:
        """What is pickled: plain strings, bytes and the values as ``encode`` makes them."""
        return (self.taken_ns, "\n".join(self.names), self.stats.tobytes(), b"".join(self.digests), encode(self.values))


def empty() -> Index[Any]:
    return Index(0, [], array.array("q"), [], [])


def as_index(found: Any, decode: Callable[[Any, int], list[V]]) -> Index[V]:
    """A verified payload as an index (``decode(encoded, count)`` the values), or an empty one if it is not one."""
    if not (isinstance(found, tuple) and len(found) == 5 and isinstance(found[0], int)):
        return empty()
    taken_ns, joined, stats, digests, encoded = found
    if not (isinstance(joined, str) and isinstance(stats, bytes) and isinstance(digests, bytes)):
        return empty()
    names = joined.split("\n") if joined else []
    columns = array.array("q")
    columns.frombytes(stats)
    values = decode(encoded, len(names))
    if len(columns) != 4 * len(names) or len(digests) != _DIGEST_SIZE * len(names) or len(values) != len(names):
        return empty()
    split = [digests[i : i + _DIGEST_SIZE] for i in range(0, len(digests), _DIGEST_SIZE)]
    return Index(taken_ns, names, columns, split, values)


_DIGEST_SIZE = 32


def digest_of(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=_DIGEST_SIZE).digest()


def stat_of(name: str, directory: int) -> tuple[int, int, int, int] | None:
    """(size, mtime_ns, ctime_ns, inode) of ``name`` in the open folder ``directory``; None if not a regular file."""
    found = os.stat(name, dir_fd=directory, follow_symlinks=False)
    if not stat.S_ISREG(found.st_mode):
        return None
    return found.st_size, found.st_mtime_ns, found.st_ctime_ns, found.st_ino


def read_bytes(name: str, directory: int) -> bytes:
    """A file's bytes, opened relative to the folder's descriptor (no path joined, no file object made)."""
    descriptor = os.open(name, os.O_RDONLY, dir_fd=directory)
    try:
        chunks = [os.read(descriptor, 1 << 16)]
        while chunks[-1]:
            chunks.append(os.read(descriptor, 1 << 16))
        return b"".join(chunks)
    finally:
        os.close(descriptor)


def _unchanged(
    names: list[str],
    old: array.array[int],
    cutoff: int,
    directory: int,
    stat_file: Callable[[str, int], tuple[int, int, int, int] | None],
) -> bool:
    """Whether every file still has the stat it had (in the same order), none of them racily clean."""
    for index, name in enumerate(names):
        now = stat_file(name, directory)
        first = 4 * index
        if (
            now is None
            or now[1] >= cutoff
            or old[first] != now[0]
            or old[first + 1] != now[1]
            or old[first + 2] != now[2]
            or old[first + 3] != now[3]
        ):
            return False
    return True


def unchanged(base: str, names: list[str], held: Index[Any]) -> bool:
    """Whether ``names`` in ``base`` are exactly the held files, each with its held stat, none racily clean.

    Reads no file: the check :func:`refresh` starts with, for a caller that only needs to know that nothing
    changed (a whole result kept under the held files' :meth:`Index.content_key`).
    """
    if not held.names or names != held.names:
        return False
    directory = os.open(base, os.O_RDONLY)
    try:
        return _unchanged(names, held.stats, held.taken_ns - RACY_MARGIN_NS, directory, stat_of)
    finally:
        os.close(directory)


def no_values(_encoded: Any, count: int) -> list[None]:
    """A ``decode`` for :func:`as_index` when only the names, stats and digests are needed."""
    return [None] * count


class Refreshed(NamedTuple, Generic[V]):
    entries: Index[V]
    changed: bool
    """Whether any file was read again, added or dropped (the entry is worth writing)."""


def refresh(
    base: str,
    names: list[str],
    held: Index[V],
    read: Callable[[str, bytes], tuple[bool, V]],
    *,
    stat_file: Callable[[str, int], tuple[int, int, int, int] | None] = stat_of,
) -> Refreshed[V]:
    """Every file of ``names`` in ``base``, its value reused while its stat (or, once read, its bytes) is unchanged.

    ``read(name, raw)`` gives ``(keep, value)``: a file that does not keep (a file with problems) is read again
    next time; a name that is not a regular file is left out. ``stat_file`` is :func:`stat_of` (a test passes
    coarse timestamps to exercise the racy rule).
    """
    taken_ns = time.time_ns()
    cutoff = held.taken_ns - RACY_MARGIN_NS
    same_names = names == held.names
    position = None if same_names else {n: i for i, n in enumerate(held.names)}
    kept_names: list[str] = []
    stats = array.array("q")
    digests: list[bytes] = []
    values: list[V] = []
    old = held.stats
    changed = not same_names
    directory = os.open(base, os.O_RDONLY)
    try:
        if same_names and _unchanged(names, old, cutoff, directory, stat_file):
            return Refreshed(held, False)  # the usual warm run: nothing to rebuild, nothing to write
        for index, name in enumerate(names):
            now = stat_file(name, directory)
            if now is None:
                changed = True
                continue
            at = index if position is None else position.get(name, -1)
            if at >= 0:
                first = 4 * at
                if (
                    old[first] == now[0]
                    and old[first + 1] == now[1]
                    and old[first + 2] == now[2]
                    and old[first + 3] == now[3]
                    and now[1] < cutoff
                ):
                    kept_names.append(name)
                    stats.extend(now)
                    digests.append(held.digests[at])
                    values.append(held.values[at])
                    continue
            changed = True
            raw = read_bytes(name, directory)
            digest = digest_of(raw)
            if at >= 0 and held.digests[at] == digest:
                value = held.values[at]
            else:
                keep, value = read(name, raw)
                if not keep:
                    continue
            kept_names.append(name)
            stats.extend(now)
            digests.append(digest)
            values.append(value)
    finally:
        os.close(directory)
    return Refreshed(Index(taken_ns, kept_names, stats, digests, values), changed or len(kept_names) != len(names))
