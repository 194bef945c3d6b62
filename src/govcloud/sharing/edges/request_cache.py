"""A verified cache of the validated sharing requests, one entry for the whole ``sharing/requests/``. Edge (files).

``share overdue`` and ``share list`` on a programme's 50,000 request files would spend their time parsing
YAML and validating it again each run. So :func:`govcloud.sharing.edges.request_files.load_requests` keeps
what every valid file yields, keyed by the BLAKE2b digest of that file's bytes, and reuses it while the bytes
are unchanged: a file edited, added or deleted is read again (or dropped), every other one comes from the
cache. Files with problems are never cached: they are read, and reported, every time.

The machinery is the inventory cache's (:mod:`govcloud.census.edges.inventory_cache`): the entry lives under
``.govcloud/cache/sharing/`` of the git working tree (none outside a working tree), its header names the
format, a schema version hashed from the source that reads and validates a request (so a changed model
invalidates it by itself) and the folder; its payload carries a keyed BLAKE2b MAC under the key kept outside
the tree (``$XDG_CACHE_HOME/govcloud/inventory-cache.key``). An entry that is corrupt, stale, of another
version or made with another key is ignored and rewritten, never unpickled; ``GOVCLOUD_NO_CACHE=1`` (``govcloud
--no-cache``) turns it off. Writing only ever costs speed: a failure leaves the cache as it was.
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
from collections.abc import Mapping
from pathlib import Path

import pydantic
import pydantic_core

import govcloud
from govcloud.census.edges import inventory_cache
from govcloud.sharing.core import requests

CACHE_DIR = Path(".govcloud") / "cache" / "sharing"
_MAGIC = b"govcloud-request-cache 1\n"
_MAC_SIZE = 32
_VERSIONED_SOURCES = (
    "sharing/core/requests.py",
    "sharing/edges/request_files.py",
    "sharing/edges/request_cache.py",
    "core/model.py",
    "edges/yamlio.py",
)
"""The source that decides what a request file yields (the request model, its reader, the YAML parsing)."""

Cached = Mapping[str, tuple[str, requests.SharingRequest]]
"""File name → (digest of its bytes, the request it yields)."""


@functools.cache
def schema_version() -> str:
    package = Path(govcloud.__file__).parent
    digest = hashlib.sha256()
    for part in _VERSIONED_SOURCES:
        digest.update(part.encode() + b"\0" + (package / part).read_bytes() + b"\0")
    digest.update(f"{sys.version}|{pydantic.VERSION}|{pydantic_core.__version__}|{_MAGIC!r}".encode())
    return digest.hexdigest()


def cache_file(folder: Path) -> Path | None:
    """The cache entry of the request folder ``folder``; None outside a git working tree."""
    resolved = folder.resolve()
    for candidate in (resolved, *resolved.parents):
        if (candidate / ".git").exists():
            where = resolved.relative_to(candidate).as_posix()
            return candidate / CACHE_DIR / (hashlib.sha256(where.encode()).hexdigest()[:16] + ".entry")
    return None


class RequestCache:
    """The one entry of one request folder: :meth:`read` what it holds, :meth:`write` a new one."""

    def __init__(self, folder: Path, path: Path, key: bytes) -> None:
        self.folder = folder
        self.path = path
        self.key = key
        self.header = _MAGIC + f"{schema_version()}\n{folder.resolve().as_posix()}\n".encode()

    @classmethod
    def open(cls, folder: Path) -> RequestCache | None:
        """The cache of ``folder``, or None when turned off, outside a working tree or without a key."""
        if not inventory_cache.enabled():
            return None
        path = cache_file(folder)
        if path is None:
            return None
        key = inventory_cache._key(inventory_cache.key_file())
        return cls(folder, path, key) if key is not None else None

    def _mac(self, payload: bytes) -> bytes:
        mac = hashlib.blake2b(self.header, key=self.key, digest_size=_MAC_SIZE)
        mac.update(payload)
        return mac.digest()

    def read(self) -> Cached:
        """What the entry holds, or nothing when it is missing, damaged, stale or foreign."""
        try:
            blob = self.path.read_bytes()
        except OSError:
            return {}
        end = len(self.header) + _MAC_SIZE
        if len(blob) < end or not blob.startswith(self.header):
            return {}
        mac, payload = blob[len(self.header) : end], blob[end:]
        if not secrets.compare_digest(mac, self._mac(payload)):
            return {}
        try:
            held = pickle.loads(payload)  # noqa: S301 - authenticated above with a key outside the tree
        except Exception:  # a verified payload that still fails (a class it names is gone): rebuild it
            return {}
        return held if isinstance(held, dict) else {}

    def write(self, held: Cached) -> None:
        """Replace the entry atomically (a reader sees the old one or the new one); failures only cost speed."""
        try:
            buffer = io.BytesIO()
            inventory_cache._ModelPickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(dict(held))
            payload = buffer.getvalue()
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


def digest_of(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=32).hexdigest()
