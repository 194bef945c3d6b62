"""Sharing request files: ``sharing/requests/<id>.yaml`` beside ``inventory/``, one request per file.

Edge. Reading checks every file and reports every problem at once (file, line, field); writing a transition
rewrites the file with ruamel's round trip, so comments and key order a person added survive, and writes
atomically: a refused transition writes nothing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pydantic

from govcloud import collector
from govcloud.core import model
from govcloud.edges import inventory_files, yamlio
from govcloud.errors import InputError, Problem
from govcloud.sharing.core import requests
from govcloud.sharing.edges import request_cache

REQUESTS_DIR = Path("sharing") / "requests"


def requests_dir(inventory_root: Path) -> Path:
    """Where the requests of the inventory at ``inventory_root`` live: beside it, not inside it."""
    return inventory_root.resolve().parent / REQUESTS_DIR


def request_path(inventory_root: Path, request_id: str) -> Path:
    return requests_dir(inventory_root) / f"{request_id}.yaml"


class RequestPaths(Mapping[str, Path]):
    """Request id → its file: ``<folder>/<id>.yaml`` (a file's name is its id, checked on reading).

    Made on demand: a command over 50,000 requests that names none of their files builds no Path objects.
    """

    def __init__(self, folder: Path, ids: frozenset[str]) -> None:
        self.folder = folder
        self.ids = ids

    def __getitem__(self, request_id: str) -> Path:
        if request_id not in self.ids:
            raise KeyError(request_id)
        return self.folder / f"{request_id}.yaml"

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self.ids))

    def __len__(self) -> int:
        return len(self.ids)


@dataclasses.dataclass(frozen=True)
class LoadedRequests:
    requests: tuple[requests.SharingRequest, ...]
    paths: Mapping[str, Path]


def load_requests(inventory_root: Path, *, use_cache: bool | None = None) -> LoadedRequests:
    """Every request file, checked; :class:`InputError` with every problem of every file.

    A valid file whose bytes are unchanged since the last load comes from the verified cache
    (:mod:`govcloud.sharing.edges.request_cache`); ``use_cache`` False neither reads nor writes it (None
    follows ``GOVCLOUD_NO_CACHE``). The result is the same either way.
    """
    folder = requests_dir(inventory_root)
    if not folder.is_dir():
        return LoadedRequests((), {})
    # 50,000 small files: plain names and os calls (pathlib's objects cost more than reading the files), and
    # the cyclic collector paused while tens of thousands of models are unpickled or validated
    with collector.paused():
        cache = request_cache.RequestCache.open(folder) if use_cache is not False else None
        held = cache.read() if cache is not None else {}
        base = os.fspath(folder)
        with os.scandir(base) as listing:
            names = sorted(e.name for e in listing if e.name.endswith(".yaml") and e.is_file())
        kept: dict[str, tuple[str, requests.SharingRequest]] = {}
        found: list[requests.SharingRequest] = []
        problems: list[Problem] = []
        directory = os.open(base, os.O_RDONLY)
        try:
            contents = [(name, _read_bytes(name, directory)) for name in names]
        finally:
            os.close(directory)
        for name, raw in contents:
            digest = request_cache.digest_of(raw)
            hit = held.get(name)
            if hit is not None and hit[0] == digest:
                request: requests.SharingRequest | None = hit[1]
            else:
                request = read_request(folder / name, raw, problems)
            if request is None:
                continue
            kept[name] = (digest, request)
            found.append(request)
        if problems:
            raise InputError(problems, "invalid sharing requests")
        if cache is not None and (kept.keys() != held.keys() or any(held[n][0] != d for n, (d, _) in kept.items())):
            cache.write(kept)
    return LoadedRequests(tuple(found), RequestPaths(folder, frozenset(r.id for r in found)))


def _read_bytes(name: str, directory: int) -> bytes:
    """A file's bytes, opened relative to the folder's descriptor (no path joined, no file object made)."""
    descriptor = os.open(name, os.O_RDONLY, dir_fd=directory)
    try:
        chunks = [os.read(descriptor, 1 << 16)]
        while len(chunks[-1]) == 1 << 16:  # one read for any file under 64 KiB
            chunks.append(os.read(descriptor, 1 << 16))
        return b"".join(chunks)
    finally:
        os.close(descriptor)


def read_request(path: Path, raw: bytes, problems: list[Problem]) -> requests.SharingRequest | None:
    """One request file read and checked; its problems appended (None when it has any)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        problems.append(Problem(str(path), None, "", f"not UTF-8 text: {exc.reason} at byte {exc.start}"))
        return None
    text = text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text  # as read_text gives it
    try:
        data = yamlio.read_fast(text)
    except yamlio.YamlSyntaxError as exc:
        problems.append(Problem(str(path), exc.line, "", str(exc)))
        return None
    try:
        request = requests.SharingRequest.model_validate(data)
    except pydantic.ValidationError as exc:
        problems.extend(inventory_files.validation_problems(path, text, exc))
        return None
    if request.id != path.stem:
        problems.append(
            Problem(str(path), yamlio.line_of(text, ("id",)), "id", f"{request.id} in a file named {path.name}")
        )
        return None
    return request


def render_request(request: requests.SharingRequest, previous_text: str | None = None) -> str:
    """The request as YAML; with ``previous_text``, that document updated in place (comments kept)."""
    plain = request.model_dump(mode="json", exclude_none=True, exclude_defaults=False)
    if previous_text is None:
        return yamlio.dump_roundtrip(plain)
    document = yamlio.load_roundtrip(previous_text)
    _merge(document, plain)
    return yamlio.dump_roundtrip(document)


def _merge(target: Any, plain: Mapping[str, Any]) -> None:
    for key in [k for k in target if k not in plain]:
        del target[key]
    for key, value in plain.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge(target[key], value)
        elif target.get(key) != value:
            target[key] = value


def refusal_problem(path: Path, text: str | None, refused: requests.TransitionRefused) -> Problem:
    """A refused transition as a problem naming the request file, the field's line and the field."""
    line = yamlio.line_of(text, tuple(refused.field.split("."))) if text is not None else None
    return Problem(str(path), line, refused.field, refused.message)


BeforeWrite = Callable[[requests.SharingRequest | None, requests.SharingRequest, str], None]
"""Called with (the request before, after, the file's new text) once a step is accepted and before the file is
written; raising there writes nothing (the ledger entry comes first, as ``advance`` does it)."""


def create_request(
    inventory_root: Path,
    request: requests.SharingRequest,
    inventory: model.Inventory,
    *,
    before_write: BeforeWrite | None = None,
) -> Path:
    """Check and write a new request; refuses an existing id or an invalid request, writing nothing."""
    path = request_path(inventory_root, request.id)
    if path.exists():
        raise InputError([Problem(str(path), 1, "id", f"request {request.id} exists already")], "refused")
    try:
        requests.check_new_request(request, inventory.entry_by_code.get(request.resource), inventory)
    except requests.TransitionRefused as refused:
        raise InputError([Problem(str(path), None, refused.field, refused.message)], "refused") from None
    text = render_request(request)
    if before_write is not None:
        before_write(None, request, text)
    yamlio.write_atomic(path, text)
    return path


def transition(
    inventory_root: Path,
    request_id: str,
    step: Callable[[requests.SharingRequest], requests.SharingRequest],
    *,
    before_write: BeforeWrite | None = None,
) -> requests.SharingRequest:
    """Apply ``step`` to request ``request_id`` and write the result; a refused step writes nothing."""
    loaded = load_requests(inventory_root)
    path = loaded.paths.get(request_id)
    if path is None:
        where = request_path(inventory_root, request_id)
        raise InputError([Problem(str(where), None, "id", f"no request {request_id}")], "refused")
    text = path.read_text(encoding="utf-8")
    current = next(r for r in loaded.requests if r.id == request_id)
    try:
        changed = step(current)
    except requests.TransitionRefused as refused:
        raise InputError([refusal_problem(path, text, refused)], "refused") from None
    new_text = render_request(changed, text)
    if before_write is not None:
        before_write(current, changed, new_text)
    yamlio.write_atomic(path, new_text)
    return changed


def next_request_id(inventory_root: Path, on: dt.date) -> str:
    """The next free ``SQ-<year>-<n>`` of ``on``'s year."""
    prefix = f"SQ-{on.year}-"
    folder = requests_dir(inventory_root)
    used = [int(p.stem[len(prefix) :]) for p in folder.glob(f"{prefix}*.yaml")] if folder.is_dir() else []
    return f"{prefix}{max(used, default=0) + 1:04d}"
