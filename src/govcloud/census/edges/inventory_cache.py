"""A verified cache of what each inventory file yields once read and validated. Edge (files).

Reading and validating a province (2,000 department files, 220,000 records) costs seconds of YAML parsing and
pydantic validation, and most commands a user repeats read the same files as the run before. So the loader
(:func:`govcloud.edges.inventory_files.load_inventory`) keeps, for every input file, the result of reading
that one file (its validated records, its own problems with their lines, what could not be read), and reuses
it while the file's bytes are unchanged. The cross-record checks always run again over the whole census, so a
warm load finds exactly what a cold one finds.

Where: ``.govcloud/cache/inventory/<inventory>/`` of the git working tree holding the inventory (the nearest
directory above it with a ``.git``; ``<inventory>`` a hash of the inventory's path in the tree); an inventory
outside a working tree is not cached. One file per input file, named after its path; ``.govcloud/`` is local
state, never committed: it holds a ``.gitignore`` of ``*``.

Never trusted: an entry is used only when its header names this format, the current *schema version*, the
input's relative path and the BLAKE2b digest of the input's bytes, and the payload's keyed BLAKE2b MAC checks
out under a key kept outside the tree (``$XDG_CACHE_HOME/govcloud/inventory-cache.key``, created 0600 on first
use). The schema version is derived, not maintained: a hash of the source of ``govcloud/core``,
``govcloud/census``, ``govcloud/edges`` (model, census rules, readers, YAML parsing, this module) plus the
Python and pydantic versions, so any change to the model invalidates every entry without anyone remembering.
The result of the cross-record checks is kept too, keyed by every input's digest and the date: an unchanged
census skips them. An entry that is corrupt, truncated, stale,
of another version or written with another key (a ``.govcloud/`` copied from elsewhere) is ignored and
rewritten; the MAC also means a planted file is never unpickled. Any failure to write the cache only costs
speed. ``GOVCLOUD_NO_CACHE=1`` (``govcloud --no-cache``) turns the cache off for the paranoid.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import os
import pickle
import secrets
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import govcloud

if TYPE_CHECKING:
    import pydantic

CACHE_DIR = Path(".govcloud") / "cache" / "inventory"
NO_CACHE_ENV = "GOVCLOUD_NO_CACHE"
KEY_FILE_NAME = "inventory-cache.key"
_MAGIC = b"govcloud-inventory-cache 2\n"
_SUFFIX = ".entry"
_MAC_SIZE = 32
_LENGTH_SIZE = 8
_HEAD, _BODY = b"head\0", b"body\0"

_VERSIONED_SOURCES = ("core", "census", "edges", "errors.py", "collector.py")
"""The parts of the package (under ``src/govcloud``) whose source decides what a file yields and what the checks
find: the model, the census rules, the readers. Their text is part of the schema version; a colleague's edit to
any of them invalidates the cache by itself (a few spurious rebuilds are the price of never missing one)."""


def enabled() -> bool:
    return os.environ.get(NO_CACHE_ENV, "").strip().lower() not in {"1", "true", "yes", "on"}


@functools.cache
def schema_version() -> str:
    """A hash of the code that turns a file into records: any edit to it invalidates every cache entry."""
    import pydantic  # here, not at the top: the share commands' caches use this module's key, never a model
    import pydantic_core

    package = Path(govcloud.__file__).parent
    digest = hashlib.sha256()
    for part in _VERSIONED_SOURCES:
        paths = sorted((package / part).rglob("*.py")) if (package / part).is_dir() else [package / part]
        for path in paths:
            digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    digest.update(f"{sys.version}|{pydantic.VERSION}|{pydantic_core.__version__}|{_MAGIC!r}".encode())
    return digest.hexdigest()


def content_digest(data: bytes) -> str:
    """The digest an input's bytes are known by (BLAKE2b: as strong as SHA-256, faster on 150 MB)."""
    return hashlib.blake2b(data, digest_size=32).hexdigest()


def combined_digest(parts: Iterable[str]) -> str:
    return hashlib.blake2b("\n".join(parts).encode(), digest_size=32).hexdigest()


def cache_directory(inventory_root: Path) -> Path | None:
    """``.govcloud/cache/inventory`` of the git working tree that holds ``inventory_root``; None outside one.

    Outside a working tree there is nothing worth caching for: such trees are temporary (a revision checked
    out for a diff, a test's copy) and would only pay for writing entries nobody reads.
    """
    resolved = inventory_root.resolve()
    for candidate in (resolved, *resolved.parents):
        if (candidate / ".git").exists():
            # one directory per inventory of the tree, so loading one never prunes another's entries
            where = resolved.relative_to(candidate).as_posix()
            return candidate / CACHE_DIR / hashlib.sha256(where.encode()).hexdigest()[:16]
    return None


def key_file() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "govcloud" / KEY_FILE_NAME


@functools.cache
def _key(path: Path) -> bytes | None:
    """The HMAC key in ``path``, created (0600) when missing; None when it can be neither read nor made."""
    with contextlib.suppress(OSError):
        key = path.read_bytes()
        if len(key) >= 32:
            return key
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_bytes(32)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(key)
        return key
    except OSError:
        return None


write_in_background = False
"""Whether first loads write their entries from a forked child (:meth:`InventoryCache.flush`). The command line
turns it on: its process ends after the command. A library caller may delete the tree right after loading,
under a child still writing into it, so it writes in the foreground unless it opts in."""

_WRITERS: list[int] = []
"""Forked writers of this process (see :meth:`InventoryCache.flush`)."""


def wait_for_writers() -> None:
    """Wait until this process's background cache writers have finished."""
    while _WRITERS:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(_WRITERS.pop(), 0)


class InventoryCache:
    """The cache entries of one inventory: ``get`` a file's result by its path and bytes, ``put`` it back."""

    def __init__(self, inventory_root: Path, directory: Path, *, background: bool | None = None) -> None:
        self.given_root = inventory_root
        self.inventory_root = inventory_root.resolve()
        self.directory = directory
        self.version = schema_version()
        self.key = _key(key_file())
        self.hits = 0
        self.misses = 0
        self._used: set[str] = set()
        self._writable = self.key is not None
        self._pending: list[tuple[str, str, Any]] = []
        background = write_in_background if background is None else background
        self._background = background and hasattr(os, "fork")

    @classmethod
    def open(cls, inventory_root: Path) -> InventoryCache | None:
        """The cache for ``inventory_root``, or None when it is turned off or no key can be had."""
        wait_for_writers()  # this process's own earlier writes are complete before it reads them
        directory = cache_directory(inventory_root) if enabled() else None
        if directory is None:
            return None
        cache = cls(inventory_root, directory)
        return cache if cache.key is not None else None

    def relative(self, path: Path) -> str:
        with contextlib.suppress(ValueError):
            return path.relative_to(self.given_root).as_posix()  # the loader's paths: no resolve() needed
        resolved = path.resolve()
        try:
            return resolved.relative_to(self.inventory_root).as_posix()
        except ValueError:
            return resolved.as_posix()

    def _entry_path(self, relative: str) -> Path:
        return self.directory / (hashlib.sha256(relative.encode()).hexdigest()[:32] + _SUFFIX)

    def _header(self, relative: str, digest: str) -> bytes:
        return _MAGIC + f"{self.version}\n{relative}\n{digest}\n".encode()

    def get(self, path: Path, digest: str) -> Any | None:
        """The cached head for ``path`` whose bytes hash to ``digest``; None unless every check passes."""
        parts = self.get_parts(path, digest)
        return None if parts is None else parts[0]

    def get_parts(self, path: Path, digest: str) -> tuple[Any, Body] | None:
        """The head of ``path``'s entry and its body (read on :meth:`Body.load`); None unless the head checks out."""
        parts = self._read_head(self.relative(path), digest)
        if parts is None:
            self.misses += 1
        else:
            self.hits += 1
        return parts

    def get_named(self, relative: str, digest: str) -> Any | None:
        """The head of the entry called ``relative`` (an input's path, or a derived result's name) from ``digest``."""
        parts = self._read_head(relative, digest)
        return None if parts is None else parts[0]

    def _read_head(self, relative: str, digest: str) -> tuple[Any, Body] | None:
        """Only the head is read and verified; the body stays on disk until it is asked for."""
        assert self.key is not None
        self._used.add(relative)
        path = self._entry_path(relative)
        header = self._header(relative, digest)
        prefix = len(header) + _LENGTH_SIZE + _MAC_SIZE
        try:
            with path.open("rb") as handle:
                start = handle.read(prefix)
                if len(start) < prefix or not start.startswith(header):
                    return None
                length = int.from_bytes(start[len(header) : len(header) + _LENGTH_SIZE], "big")
                payload = handle.read(length)
        except OSError:
            return None
        if len(payload) != length:
            return None
        if not secrets.compare_digest(start[-_MAC_SIZE:], self._mac(header, _HEAD, payload)):
            return None
        value = _unpickle(payload)
        if value is _FAILED:
            return None
        return value, Body(self, path, header)

    def _mac(self, header: bytes, part: bytes, payload: bytes) -> bytes:
        assert self.key is not None
        mac = hashlib.blake2b(header, key=self.key, digest_size=_MAC_SIZE)  # BLAKE2b keyed: a MAC by design
        mac.update(part)
        mac.update(payload)
        return mac.digest()

    def put(self, path: Path, digest: str, head: Any, body: Any = None) -> None:
        """Store what ``path`` (bytes hashing to ``digest``) yields, its cheap ``head`` and its ``body``.

        Failures only cost speed.
        """
        self.put_named(self.relative(path), digest, head, body)

    def put_named(self, relative: str, digest: str, head: Any, body: Any = None) -> None:
        """Queue an entry; :meth:`flush` writes the queue."""
        self._used.add(relative)
        if self._writable:
            self._pending.append((relative, digest, (head, body)))

    def rewrite(self, path: Path, digest: str, head: Any, body: Any) -> None:
        """Replace ``path``'s entry now (a damaged body found after the load): failures only cost speed."""
        self.rewrite_named(self.relative(path), digest, head, body)

    def rewrite_named(self, relative: str, digest: str, head: Any, body: Any = None) -> None:
        """Write the entry called ``relative`` now, in this process: failures only cost speed."""
        if self._writable:
            self._write(relative, digest, (head, body))

    def flush(self) -> None:
        """Write the queued entries and drop entries of files no longer read.

        Pickling and writing a province's entries costs about as much CPU as validating it, so on a first load
        it happens in a forked child, on the machine's other core, while the command goes on with the same
        objects (copy-on-write): the cold path stays as fast as without a cache. Each entry appears atomically,
        so a reader sees a whole entry or none (a miss, rebuilt). The next load in this process waits for it.
        """
        pending, self._pending = self._pending, []
        if not pending and not self.misses:
            return
        if not self._background:
            self._write_all(pending)
            return
        try:
            child = os.fork()
        except OSError:
            self._write_all(pending)
            return
        if child == 0:  # pragma: no cover - runs in the forked child, which reports nothing
            status = 1
            try:
                devnull = os.open(os.devnull, os.O_RDWR)
                for descriptor in (0, 1, 2):  # let a caller waiting for the command's output end see EOF
                    os.dup2(devnull, descriptor)
                self._write_all(pending)
                status = 0
            finally:
                os._exit(status)
        _WRITERS.append(child)

    def _write_all(self, pending: list[tuple[str, str, Any]]) -> None:
        for relative, digest, value in pending:
            if self._writable:
                self._write(relative, digest, value)
        if self.misses:
            self.prune()  # entries of deleted or renamed files; only worth a directory scan after a change

    def _write(self, relative: str, digest: str, value: tuple[Any, Any]) -> None:
        header = self._header(relative, digest)
        try:
            head, body = (_pickled(part) for part in value)
        except Exception:  # an unpicklable result is simply not cached
            return
        blob = b"".join(
            (
                header,
                len(head).to_bytes(_LENGTH_SIZE, "big"),
                self._mac(header, _HEAD, head),
                head,
                self._mac(header, _BODY, body),
                body,
            )
        )
        try:
            if not self.directory.is_dir():
                # Level by level below the working tree, never the tree itself: a tree deleted meanwhile (a
                # test's, while a background writer still runs) must stay deleted, so the writer just stops.
                for level in (self.directory.parents[2], self.directory.parents[1], self.directory.parents[0]):
                    level.mkdir(exist_ok=True)  # no parents=True: fails once the working tree is gone
                self.directory.mkdir(exist_ok=True)
                # the directory ignores itself (as .pytest_cache does): no repository needs a .gitignore line
                (self.directory.parents[2] / ".gitignore").write_text("# govcloud's local cache\n*\n")
            target = self._entry_path(relative)
            temporary = target.with_name(f"{target.name}.{os.getpid()}.tmp")
            temporary.write_bytes(blob)
            os.replace(temporary, target)
        except OSError:
            self._writable = False  # read-only tree or full disk: carry on without the cache

    def prune(self, keep: Iterable[Path] = ()) -> int:
        """Delete entries of files this load did not read (deleted or renamed inputs); returns how many."""
        used = self._used | {self.relative(path) for path in keep}
        wanted = {self._entry_path(relative).name for relative in used}
        removed = 0
        with contextlib.suppress(OSError):
            for entry in self.directory.iterdir():
                if entry.name not in wanted and (entry.suffix == _SUFFIX or entry.name.endswith(".tmp")):
                    with contextlib.suppress(OSError):
                        entry.unlink()
                        removed += 1
        return removed


class Body:
    """The body of a verified entry, still on disk: :meth:`load` reads, verifies and unpickles it.

    The entry may have been replaced since its head was read (another process rewrote it): the body is
    verified against the same header (format, version, input name and digest) with its own MAC, so what
    ``load`` returns is exactly what that input yields, or None.
    """

    def __init__(self, cache: InventoryCache, path: Path, header: bytes) -> None:
        self._cache = cache
        self._path = path
        self._header = header

    def load(self) -> Any:
        """The body's value; :class:`DamagedEntry` when it is missing, damaged or no longer this entry's."""
        try:
            with self._path.open("rb") as handle:
                start = handle.read(len(self._header) + _LENGTH_SIZE)
                if len(start) < len(self._header) + _LENGTH_SIZE or not start.startswith(self._header):
                    raise DamagedEntry(self._path)
                # the head's length as this file says: a rewritten entry's head may differ in length
                handle.seek(int.from_bytes(start[len(self._header) :], "big") + _MAC_SIZE, os.SEEK_CUR)
                blob = handle.read()
        except OSError as exc:
            raise DamagedEntry(self._path) from exc
        mac, payload = blob[:_MAC_SIZE], blob[_MAC_SIZE:]
        if len(mac) < _MAC_SIZE or not secrets.compare_digest(mac, self._cache._mac(self._header, _BODY, payload)):
            raise DamagedEntry(self._path)
        value = _unpickle(payload)
        if value is _FAILED:
            raise DamagedEntry(self._path)
        return value


class DamagedEntry(Exception):
    """A body that cannot be trusted: the caller rebuilds it from the input."""


_FAILED = object()


def _unpickle(payload: bytes) -> Any:
    try:
        return pickle.loads(payload)  # noqa: S301 - authenticated by the caller with a key outside the tree
    except Exception:  # a verified payload that still fails (e.g. a class it names is gone): rebuild it
        return _FAILED


def _pickled(value: Any) -> bytes:
    buffer = io.BytesIO()
    _ModelPickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(value)
    return buffer.getvalue()


def _rebuild_model(
    cls: type[pydantic.BaseModel], fields: dict[str, Any], fields_set: set[str], extra: Any, private: Any
) -> pydantic.BaseModel:
    """A model as pickled by :class:`_ModelPickler`: its validated state put back as pydantic's own does.

    One call with the parts instead of a state dictionary per model: a third faster on 1.5M models.
    """
    model = cls.__new__(cls)
    object.__setattr__(model, "__dict__", fields)
    object.__setattr__(model, "__pydantic_fields_set__", fields_set)
    object.__setattr__(model, "__pydantic_extra__", extra)
    object.__setattr__(model, "__pydantic_private__", private)
    return model


class _ModelPickler(pickle.Pickler):
    def __init__(self, file: io.BytesIO, protocol: int) -> None:
        super().__init__(file, protocol=protocol)
        import pydantic

        self._model_class = pydantic.BaseModel
        self._fields_sets: dict[tuple[type, frozenset[str]], set[str]] = {}

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, self._model_class):
            # Models of one class with the same fields set share one set object (pickle's memo keeps one
            # copy): a million fewer sets in memory on a province. Frozen models never change theirs, and
            # pydantic's copies take a copy of it.
            fields_set = obj.__pydantic_fields_set__
            shared = self._fields_sets.setdefault((type(obj), frozenset(fields_set)), fields_set)
            # __dict__ as validation left it: entries are pickled right after validation, before any
            # cached_property adds to it (and one would only be a value derived from the same fields)
            return _rebuild_model, (
                type(obj),
                obj.__dict__,
                shared,
                obj.__pydantic_extra__,
                obj.__pydantic_private__,
            )
        return NotImplemented
