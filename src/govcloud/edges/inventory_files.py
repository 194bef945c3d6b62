"""The inventory directory: reading, validating and writing its YAML files. Edge (I/O).

Layout (one department per file, so a department's re-imported census replaces exactly one file and an
auditor's diff reads per department)::

    inventory/city.yaml                  the city and the cloud's MLPS rating
    inventory/network.yaml               extranet zones and the shared platform services; the intranet's zones
    inventory/hosts.yaml                 cloud hosts and network devices (Ansible reads these)
    inventory/settings.yaml              optional: assessment and planning thresholds
    inventory/departments/<CODE>.yaml    a department, its systems, its catalogue entries

Loading reports every problem of every file at once, as ``file:line: field: message``. A department file
with a bad record still contributes its good records to the cross-record checks, and references to the bad
ones are not reported again as unknown (see :class:`govcloud.census.core.checks.Unreadable`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import gc
import typing
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Generic, TypeVar, cast

import pydantic

from govcloud import collector
from govcloud.census.core import checks
from govcloud.census.edges import inventory_cache, yaml_lines
from govcloud.core import model
from govcloud.edges import yamlio
from govcloud.errors import InputError, Problem

CITY_FILE = "city.yaml"
NETWORK_FILE = "network.yaml"
HOSTS_FILE = "hosts.yaml"
SETTINGS_FILE = "settings.yaml"
DEPARTMENTS_DIR = "departments"

_M = TypeVar("_M", bound=pydantic.BaseModel)


@dataclasses.dataclass(frozen=True)
class Source:
    """Where a record was read from: the file and the path of the record inside the file's data."""

    file: Path
    path: tuple[str | int, ...]


def _text_of(raw: bytes) -> str:
    """The text ``Path.read_text(encoding="utf-8")`` gives: UTF-8, with universal newlines."""
    text = raw.decode("utf-8")
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


class _Lines(dict[Path, yaml_lines.Lines]):
    """Files' line finders by path, each file read again on first use (no text is held after its parse).

    Findings come file by file, so only the last few files' finders are kept.
    """

    KEPT = 16

    def __missing__(self, path: Path) -> yaml_lines.Lines:
        lines = yaml_lines.Lines(_text_of(path.read_bytes()))
        if len(self) >= self.KEPT:
            del self[next(iter(self))]
        self[path] = lines
        return lines


@dataclasses.dataclass
class SourceMap:
    """Record (kind, key) → every place it was read from (more than one when it is duplicated)."""

    places: dict[tuple[str, str], list[Source]] = dataclasses.field(default_factory=dict)
    lines: dict[Path, yaml_lines.Lines] = dataclasses.field(default_factory=_Lines)

    def add(self, kind: str, key: str, source: Source) -> None:
        self.places.setdefault((kind, key), []).append(source)

    def problem_for(self, finding: checks.Finding, root: Path) -> Problem:
        sources = self.places.get((finding.kind, finding.key)) or []
        if not sources:
            return Problem(str(root), None, ".".join(map(str, finding.field)), finding.message)
        source = sources[min(finding.occurrence, len(sources) - 1)]
        full = (*source.path, *finding.field)
        try:
            line = self.lines[source.file].line(full)
        except (OSError, UnicodeDecodeError):
            line = None  # gone or changed since it was read: the problem keeps its file and field
        return Problem(_display(source.file), line, _field_path(full), finding.message)


@dataclasses.dataclass(frozen=True)
class Counts:
    """How many records of each kind the census holds: known without building the records."""

    departments: int
    systems: int
    catalogue: int
    private_networks: int
    zones: int
    intranet_zones: int
    hosts: int


@dataclasses.dataclass(frozen=True)
class CensusIndex:
    """A census without its records: every department, and which department holds each system and entry code.

    Known from the cache entries' heads alone (:meth:`LoadedInventory.census_index`).
    """

    departments: tuple[model.Department, ...]
    """in the census's order"""
    system_department: Mapping[str, str]
    entry_department: Mapping[str, str]


class LoadedInventory:
    """A checked inventory: its records (``inventory``), where each was read (``sources``), and cheap facts.

    A warm load of a clean, unchanged census reads only the heads of its cache entries: ``inventory`` and
    ``sources`` are then built on first use (every record unpickled then), while ``counts``,
    ``department_codes`` and ``inputs_digest`` are known at once. Either way the records equal a cold load's.
    """

    def __init__(
        self,
        inventory: model.Inventory,
        sources: SourceMap,
        root: Path,
        files: int,
        inputs_digest: str = "",
    ) -> None:
        self.root = root
        self.files = files
        self.inputs_digest = inputs_digest
        """A digest of the code's schema version and every input file's name and bytes, for caches of results
        computed from the whole census (plans, reports, findings); empty when the inventory cache is off."""
        self._built: tuple[model.Inventory, SourceMap] | None = (inventory, sources)
        self._build: Callable[[], tuple[model.Inventory, SourceMap]] | None = None
        self._counts: Counts | None = None
        self._department_codes: tuple[str, ...] | None = None
        self._department_reads: Sequence[tuple[_DepartmentHead, _Deferred[_DepartmentRead]]] | None = None
        self._index: CensusIndex | None = None

    @classmethod
    def deferred(
        cls,
        build: Callable[[], tuple[model.Inventory, SourceMap]],
        *,
        root: Path,
        files: int,
        inputs_digest: str,
        counts: Counts,
        department_codes: tuple[str, ...],
        department_reads: Sequence[tuple[_DepartmentHead, _Deferred[_DepartmentRead]]] | None = None,
    ) -> LoadedInventory:
        """An inventory whose records ``build()`` makes on first use; ``department_reads`` its department files."""
        loaded = cls.__new__(cls)
        loaded.root, loaded.files, loaded.inputs_digest = root, files, inputs_digest
        loaded._built, loaded._build = None, build
        loaded._counts, loaded._department_codes = counts, department_codes
        loaded._department_reads, loaded._index = department_reads, None
        return loaded

    def _records(self) -> tuple[model.Inventory, SourceMap]:
        if self._built is None:
            assert self._build is not None
            with collector.paused():  # millions of acyclic objects, as in load_inventory
                self._built = self._build()
            self._build = None
            gc.freeze()
        return self._built

    @property
    def built(self) -> bool:
        """Whether the records exist yet (for tests and benchmarks: a warm ``check`` builds none)."""
        return self._built is not None

    @property
    def inventory(self) -> model.Inventory:
        return self._records()[0]

    @property
    def sources(self) -> SourceMap:
        return self._records()[1]

    @property
    def counts(self) -> Counts:
        if self._counts is None:
            inv = self.inventory
            self._counts = Counts(
                departments=len(inv.departments),
                systems=len(inv.systems),
                catalogue=len(inv.catalogue),
                private_networks=len(inv.private_networks),
                zones=len(inv.network.zones),
                intranet_zones=len(inv.intranet_zones),
                hosts=len(inv.hosts),
            )
        return self._counts

    @property
    def department_codes(self) -> tuple[str, ...]:
        """Every department's code, in the census's order."""
        if self._department_codes is None:
            self._department_codes = tuple(d.code for d in self.inventory.departments)
        return self._department_codes

    def census_index(self) -> CensusIndex | None:
        """Every department and the holder of every system and entry code, from the heads of a deferred load.

        None when the records were built at load time (the cache off, or the cross-record checks ran): there
        are no heads then, and a caller wanting one department should use ``inventory``.
        """
        if self._department_reads is None:
            return None
        if self._index is None:
            departments: list[model.Department] = []
            systems: dict[str, str] = {}
            entries: dict[str, str] = {}
            for head, _ in self._department_reads:
                if head.department is None:
                    continue
                departments.append(head.department)
                if head.system_codes:
                    systems.update(dict.fromkeys(head.system_codes.split("\n"), head.department.code))
                if head.entry_codes:
                    entries.update(dict.fromkeys(head.entry_codes.split("\n"), head.department.code))
            self._index = CensusIndex(tuple(departments), systems, entries)
        return self._index

    def department_file(self, code: str) -> model.DepartmentFile | None:
        """The records of department ``code``'s file alone, from its body (the other files' stay unread).

        None when there is no such department or the load was not deferred (see :meth:`census_index`).
        """
        for head, read in self._department_reads or ():
            if head.code == code:
                value = read.value()
                assert value.department is not None  # a clean census: every department file was usable
                return model.DepartmentFile(
                    department=value.department,
                    systems=tuple(system for _, system in value.systems),
                    catalogue=tuple(entry for _, entry in value.catalogue),
                    private_networks=tuple(private for _, private in value.private_networks),
                )
        return None


def department_file_path(root: Path, code: str) -> Path:
    return root / DEPARTMENTS_DIR / f"{code}.yaml"


def load_inventory(
    root: Path,
    *,
    today: dt.date | None = None,
    progress: Callable[[int, int], None] | None = None,
    use_cache: bool | None = None,
) -> LoadedInventory:
    """Read and check every file under ``root``; raise :class:`InputError` with every problem found.

    What each file yields on its own is reused from :mod:`govcloud.census.edges.inventory_cache` while the
    file's bytes are unchanged (``use_cache``: None follows ``GOVCLOUD_NO_CACHE``; False never reads nor
    writes it); the cross-record checks always run over the whole census, so the result equals a cold load.
    """
    # Loading allocates millions of acyclic objects; the cyclic collector would rescan all of them again and
    # again (measured: 5x slower on a province). Nothing here makes cycles, so pause it while loading.
    with collector.paused():
        cache = inventory_cache.InventoryCache.open(root) if use_cache is not False and root.is_dir() else None
        try:
            loaded = _load_inventory(root, today=today, progress=progress, cache=cache)
        finally:
            if cache is not None:
                cache.flush()
        # The inventory lives as long as the command: move its millions of objects out of the collector's
        # sight, or the first collection after the pause scans them all (measured 1.5-2 s on a province).
        # They hold no cycles, so reference counting still frees them when the inventory is dropped.
        gc.freeze()
        return loaded


def _load_inventory(
    root: Path,
    *,
    today: dt.date | None,
    progress: Callable[[int, int], None] | None,
    cache: inventory_cache.InventoryCache | None = None,
) -> LoadedInventory:
    today = today or dt.date.today()
    problems: list[Problem] = []
    sources = SourceMap()
    if not root.is_dir():
        raise InputError([Problem(str(root), None, "", "inventory directory does not exist")], "no inventory")
    reader = _FileReader(problems, sources, cache)

    city = reader.read(root / CITY_FILE, functools.partial(_read_model, cls=model.CityFile), required=True)
    # the network and the hosts are built on first use too (their addresses cost 0.5 s on a province)
    network_read = reader.read_deferred(
        root / NETWORK_FILE, functools.partial(_read_model, cls=model.Network), _network_head, required=True
    )
    hosts_read = reader.read_deferred(
        root / HOSTS_FILE, functools.partial(_read_model, cls=model.HostsFile), _hosts_head, required=False
    )

    # No department files is a valid, empty census: a city starts there and imports its first forms.
    department_paths = sorted((root / DEPARTMENTS_DIR).glob("*.yaml"))
    deferred: list[tuple[Path, _Deferred[_DepartmentRead]]] = []
    unreadable = _UnreadableCodes()
    for index, path in enumerate(department_paths):
        read = reader.read_deferred(path, _read_department, _department_head, required=True)
        if read is None:
            # Not YAML: its department is the file's name (a rule of the layout); its records are unknowable.
            unreadable.departments.add(path.stem)
            unreadable.whole_files = True
        else:
            assert isinstance(read.head, _DepartmentHead)
            unreadable.add(read.head.unreadable)
            deferred.append((path, read))
        if progress is not None:
            progress(index + 1, len(department_paths))

    if network_read is None:  # zones are everywhere: without them the cross-record checks would only mislead
        raise InputError(problems, "the inventory cannot be read")
    network_counts: tuple[int, int] = network_read.head
    host_count: int = hosts_read.head if hosts_read is not None else 0

    @functools.cache
    def records() -> _Records:
        hosts = hosts_read.value().hosts if hosts_read is not None else ()
        return _assemble(root, deferred, network_read.value(), hosts, sources)

    key = inventory_cache.combined_digest([today.isoformat(), *reader.inputs])
    findings = _cached_findings(cache, key)
    if findings is None:
        made = records()
        parts = checks.InventoryParts(
            # No rule reads the city; a broken city.yaml (already reported) must not hide the other files' problems.
            city=city
            if city is not None
            else model.CityFile.model_construct(name="", division_code="", census_date=today),
            network=made.network,
            departments=made.departments,
            systems=made.systems,
            catalogue=made.catalogue,
            hosts=made.hosts,
            unreadable=unreadable.freeze(),
            private_networks=made.private_networks,
        )
        findings = list(checks.check_inventory(parts, today=today))
        if cache is not None:
            cache.put_named(_CHECKS_ENTRY, key, findings)
    if findings:
        records()
    problems.extend(sources.problem_for(f, root) for f in findings)
    if problems or city is None:
        raise InputError(problems, "the inventory has problems")
    inputs_digest = (
        inventory_cache.combined_digest([inventory_cache.schema_version(), *reader.inputs]) if cache is not None else ""
    )
    files = len(department_paths) + 3

    def build() -> tuple[model.Inventory, SourceMap]:
        assert city is not None
        made = records()
        inventory = model.Inventory(
            city=city,
            network=made.network,
            departments=made.departments,
            systems=made.systems,
            catalogue=made.catalogue,
            hosts=made.hosts,
            private_networks=made.private_networks,
        )
        return inventory, sources

    if records.cache_info().currsize:  # built for the checks already: nothing left to defer
        return LoadedInventory(*build(), root, files, inputs_digest)
    heads = [read.head for _, read in deferred]
    counts = Counts(
        departments=sum(head.code is not None for head in heads),
        systems=sum(head.systems for head in heads),
        catalogue=sum(head.catalogue for head in heads),
        private_networks=sum(head.private_networks for head in heads),
        zones=network_counts[0],
        intranet_zones=network_counts[1],
        hosts=host_count,
    )
    codes = tuple(head.code for head in heads if head.code is not None)
    return LoadedInventory.deferred(
        build,
        root=root,
        files=files,
        inputs_digest=inputs_digest,
        counts=counts,
        department_codes=codes,
        department_reads=[(read.head, read) for _, read in deferred],
    )


@dataclasses.dataclass(frozen=True)
class _Records:
    network: model.Network
    hosts: tuple[model.Host, ...]
    departments: tuple[model.Department, ...]
    systems: tuple[model.System, ...]
    catalogue: tuple[model.CatalogueEntry, ...]
    private_networks: tuple[model.PrivateNetwork, ...]


def _assemble(
    root: Path,
    deferred: Sequence[tuple[Path, _Deferred[_DepartmentRead]]],
    network: model.Network,
    hosts: Sequence[model.Host],
    sources: SourceMap,
) -> _Records:
    """Every department file's records, in file order, and where each was read (into ``sources``)."""
    departments: list[model.Department] = []
    systems: list[model.System] = []
    catalogue: list[model.CatalogueEntry] = []
    private_networks: list[model.PrivateNetwork] = []
    for path, read in deferred:
        loaded = read.value()
        dept = loaded.department
        if dept is not None:
            departments.append(dept)
            sources.add("department", dept.code, Source(path, ("department",)))
        for i, system in loaded.systems:
            systems.append(system)
            sources.add("system", system.code, Source(path, ("systems", i)))
        for i, private in loaded.private_networks:
            private_networks.append(private)
            sources.add("private_network", private.code, Source(path, ("private_networks", i)))
        for i, entry in loaded.catalogue:
            catalogue.append(entry)
            sources.add("catalogue", entry.code, Source(path, ("catalogue", i)))
    sources.add("network", "network", Source(root / NETWORK_FILE, ()))
    for i, zone in enumerate(network.zones):
        sources.add("zone", zone.code, Source(root / NETWORK_FILE, ("zones", i)))
    if network.intranet is not None:
        for i, zone in enumerate(network.intranet.zones):
            sources.add("zone", zone.code, Source(root / NETWORK_FILE, ("intranet", "zones", i)))
    for i, host in enumerate(hosts):
        sources.add("host", host.name, Source(root / HOSTS_FILE, ("hosts", i)))
    return _Records(
        network, tuple(hosts), tuple(departments), tuple(systems), tuple(catalogue), tuple(private_networks)
    )


def read_settings_data(root: Path) -> tuple[Any, str | None]:
    """The raw settings data and its text (for line lookup), or (None, None) when there is no settings file."""
    path = root / SETTINGS_FILE
    if not path.exists():
        return None, None
    text = path.read_text(encoding="utf-8")
    try:
        return yamlio.read_fast(text), text
    except yamlio.YamlSyntaxError as exc:
        raise InputError([Problem(_display(path), exc.line, "", str(exc))], "settings file is not YAML") from exc


def validation_problems(
    path: Path, text: str, exc: pydantic.ValidationError, prefix: Sequence[str | int] = ()
) -> list[Problem]:
    """Turn a pydantic error into one problem per failing field, with the field's line."""
    problems = []
    for error in exc.errors(include_url=False):
        loc = (*prefix, *error["loc"])
        problems.append(Problem(_display(path), yamlio.line_of(text, loc), _field_path(loc), _message(error)))
    return problems


# ---------------------------------------------------------------------------------------------------------
# Writing


def render_department_file(department_file: model.DepartmentFile) -> str:
    return _header("department census") + yamlio.dump_fast(yamlio.to_plain(department_file))


def render_document(document: pydantic.BaseModel, title: str) -> str:
    return _header(title) + yamlio.dump_fast(yamlio.to_plain(document))


def department_files(inventory: model.Inventory) -> Iterable[model.DepartmentFile]:
    entries: dict[str, list[model.CatalogueEntry]] = {}
    for entry in inventory.catalogue:
        entries.setdefault(entry.provider, []).append(entry)
    for dept in inventory.departments:
        yield model.DepartmentFile(
            department=dept,
            systems=inventory.systems_of_department.get(dept.code, ()),
            catalogue=tuple(entries.get(dept.code, ())),
            private_networks=inventory.private_networks_of_department.get(dept.code, ()),
        )


def write_inventory(root: Path, inventory: model.Inventory, *, settings_text: str | None = None) -> int:
    """Write a whole inventory (used by the example city); returns the number of files written."""
    with yamlio.staged_writes() as pending:
        pending[root / CITY_FILE] = render_document(inventory.city, "city")
        pending[root / NETWORK_FILE] = render_document(
            inventory.network, "extranet zones and platform services; the intranet's zones"
        )
        pending[root / HOSTS_FILE] = render_document(
            model.HostsFile(hosts=inventory.hosts), "cloud hosts and network devices"
        )
        if settings_text is not None:
            pending[root / SETTINGS_FILE] = settings_text
        for department_file in department_files(inventory):
            pending[department_file_path(root, department_file.department.code)] = render_department_file(
                department_file
            )
        existing = set((root / DEPARTMENTS_DIR).glob("*.yaml")) if (root / DEPARTMENTS_DIR).is_dir() else set()
        for stale in existing - {p for p in pending if p.parent == root / DEPARTMENTS_DIR}:
            pending[stale] = None
        count = len(pending)
    return count


# ---------------------------------------------------------------------------------------------------------


@dataclasses.dataclass
class _UnreadableCodes:
    departments: set[str] = dataclasses.field(default_factory=set)
    systems: set[str] = dataclasses.field(default_factory=set)
    catalogue: set[str] = dataclasses.field(default_factory=set)
    whole_files: bool = False

    def freeze(self) -> checks.Unreadable:
        return checks.Unreadable(
            departments=frozenset(self.departments),
            systems=frozenset(self.systems),
            catalogue=frozenset(self.catalogue),
            whole_files=self.whole_files,
        )

    def add(self, other: _UnreadableCodes) -> None:
        self.departments |= other.departments
        self.systems |= other.systems
        self.catalogue |= other.catalogue
        self.whole_files = self.whole_files or other.whole_files


@dataclasses.dataclass(frozen=True)
class _DepartmentRead:
    """What could be read of a department file: records with their index in the file."""

    department: model.Department | None
    systems: list[tuple[int, model.System]]
    catalogue: list[tuple[int, model.CatalogueEntry]]
    private_networks: list[tuple[int, model.PrivateNetwork]] = dataclasses.field(default_factory=list)
    unreadable: _UnreadableCodes = dataclasses.field(default_factory=_UnreadableCodes)


_T = TypeVar("_T")

_CHECKS_ENTRY = "<cross-record checks>"


def _cached_findings(cache: inventory_cache.InventoryCache | None, key: str) -> list[checks.Finding] | None:
    """The cross-record findings of the census whose inputs and date give ``key``, when they were computed.

    The findings are a function of the files' contents, their names and ``today`` (the code's version is in
    every entry's header), so an unchanged census skips the checks; one changed file runs all of them again.
    """
    if cache is None:
        return None
    cached = cache.get_named(_CHECKS_ENTRY, key)
    if isinstance(cached, list) and all(isinstance(finding, checks.Finding) for finding in cached):
        return cached
    return None


_FileProblem = tuple[int | None, str, str]
"""A problem of one file on its own, without the file's name: (line, field, message)."""


@dataclasses.dataclass(frozen=True)
class _FileHead:
    """The cheap part of what one file yields on its own: a cache entry's head.

    Its own problems, whether it gave a value at all, and a summary of the value (``_department_head``); the
    value is the entry's body.
    """

    problems: tuple[_FileProblem, ...]
    usable: bool
    summary: Any = None


@dataclasses.dataclass(frozen=True)
class _DepartmentHead:
    """What commands need of a department file without its records."""

    code: str | None
    systems: int
    catalogue: int
    private_networks: int
    unreadable: _UnreadableCodes
    department: model.Department | None = None
    """the department record itself (small): an import resolves departments by name and credit code without bodies"""
    system_codes: str = ""
    entry_codes: str = ""
    """the codes of the file's systems and entries, one a line (no code holds a line break): which department
    holds a record, known without its body; one string each: a warm load unpickles two a file, not one a record"""


def _network_head(network: model.Network) -> tuple[int, int]:
    """The network's zones and intranet zones, counted."""
    return len(network.zones), len(network.intranet.zones) if network.intranet is not None else 0


def _hosts_head(hosts: model.HostsFile) -> int:
    return len(hosts.hosts)


def _department_head(read: _DepartmentRead) -> _DepartmentHead:
    return _DepartmentHead(
        read.department.code if read.department is not None else None,
        len(read.systems),
        len(read.catalogue),
        len(read.private_networks),
        read.unreadable,
        read.department,
        "\n".join(system.code for _, system in read.systems),
        "\n".join(entry.code for _, entry in read.catalogue),
    )


class _Deferred(Generic[_T]):
    """A file's value, known by its head now and built by :meth:`value` on first use (once)."""

    def __init__(self, head: Any, load: Callable[[], _T]) -> None:
        self.head = head
        self._load: Callable[[], _T] | None = load
        self._value: _T | None = None

    def value(self) -> _T:
        if self._load is not None:
            self._value, self._load = self._load(), None
        return cast("_T", self._value)


class _FileReader:
    """Reads one file at a time into the shared problems and sources, through the cache when there is one."""

    def __init__(
        self, problems: list[Problem], sources: SourceMap, cache: inventory_cache.InventoryCache | None
    ) -> None:
        self.problems = problems
        self.sources = sources
        self.cache = cache
        self.inputs: list[str] = []
        """Every file read, with the digest of its text ("-" when missing or unreadable), in reading order."""

    def read(
        self,
        path: Path,
        parse: Callable[[Path, dict[Any, Any], str, list[Problem]], _T | None],
        *,
        required: bool,
    ) -> _T | None:
        """``parse(path, data, text)`` of the file's top-level mapping, or None when the file is unusable."""
        read = self.read_deferred(path, parse, lambda _: None, required=required)
        return None if read is None else read.value()

    def read_deferred(
        self,
        path: Path,
        parse: Callable[[Path, dict[Any, Any], str, list[Problem]], _T | None],
        summarize: Callable[[_T], Any],
        *,
        required: bool,
    ) -> _Deferred[_T] | None:
        """As :meth:`read`, the value built on first use; ``summarize(value)`` is the head known at once."""
        raw = self._bytes(path, required=required)
        name = self.cache.relative(path) if self.cache is not None else path.name
        if raw is None:
            self.inputs.append(f"{name}\0-")
            return None
        digest = ""
        if self.cache is not None:
            digest = inventory_cache.content_digest(raw)
            self.inputs.append(f"{name}\0{digest}")
            parts = self.cache.get_parts(path, digest)
            if parts is not None and isinstance(parts[0], _FileHead):
                # the text is not even decoded: SourceMap.lines reads it only if a line is ever asked for
                head, body = parts
                self._report(path, head.problems)
                if not head.usable:
                    return None
                return _Deferred(head.summary, functools.partial(self._body, path, digest, body, parse, summarize))
        parsed = self._parse(path, raw, parse, summarize)
        if parsed is None:
            return None
        head, value = parsed
        if self.cache is not None:
            self.cache.put(path, digest, head, value)
        self._report(path, head.problems)
        return None if value is None else _Deferred(head.summary, lambda: value)

    def _parse(
        self,
        path: Path,
        raw: bytes,
        parse: Callable[[Path, dict[Any, Any], str, list[Problem]], _T | None],
        summarize: Callable[[Any], Any],
    ) -> tuple[_FileHead, _T | None] | None:
        text = self._decode(path, raw)
        if text is None:
            return None
        file_problems: list[Problem] = []
        data = _parse_mapping(path, text, file_problems)
        value = parse(path, data, text, file_problems) if data is not None else None
        own = tuple((p.line, p.field, p.message) for p in file_problems)
        return _FileHead(own, value is not None, summarize(value) if value is not None else None), value

    def _body(
        self,
        path: Path,
        digest: str,
        body: inventory_cache.Body,
        parse: Callable[[Path, dict[Any, Any], str, list[Problem]], _T | None],
        summarize: Callable[[_T], Any],
    ) -> _T:
        """The body of a verified head; a damaged one is rebuilt from the file, if it is still the same file."""
        try:
            return cast("_T", body.load())
        except inventory_cache.DamagedEntry:
            pass
        changed = InputError(
            [Problem(_display(path), None, "", "changed while govcloud was reading the inventory: run it again")],
            "the inventory changed while it was read",
        )
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise changed from exc
        parsed = self._parse(path, raw, parse, summarize) if inventory_cache.content_digest(raw) == digest else None
        if parsed is None or parsed[1] is None:
            raise changed
        assert self.cache is not None
        self.cache.rewrite(path, digest, *parsed)
        return parsed[1]

    def _report(self, path: Path, file_problems: Iterable[_FileProblem]) -> None:
        display = _display(path)
        self.problems.extend(Problem(display, line, field, message) for line, field, message in file_problems)

    def _bytes(self, path: Path, *, required: bool) -> bytes | None:
        if not path.exists():
            if required:
                self.problems.append(Problem(_display(path), None, "", "file is missing"))
            return None
        try:
            return path.read_bytes()
        except OSError as exc:
            self.problems.append(Problem(_display(path), None, "", f"cannot be read: {exc.strerror or exc}"))
            return None

    def _decode(self, path: Path, raw: bytes) -> str | None:
        try:
            return _text_of(raw)
        except UnicodeDecodeError as exc:
            self.problems.append(Problem(_display(path), None, "", f"not UTF-8 text: {exc.reason} at byte {exc.start}"))
            return None


def _read_department(path: Path, data: dict[Any, Any], text: str, problems: list[Problem]) -> _DepartmentRead:
    """The file's records, and its problems: invalid fields, then records in another department's file."""
    try:
        whole = _shared_fields_sets(model.DepartmentFile.model_validate(data))
    except pydantic.ValidationError as exc:
        problems.extend(validation_problems(path, text, exc))
        read = _salvage_department(path, data)
    else:
        read = _DepartmentRead(
            whole.department,
            list(enumerate(whole.systems)),
            list(enumerate(whole.catalogue)),
            list(enumerate(whole.private_networks)),
        )
    problems.extend(_misplaced(path, text, read))
    return read


def _misplaced(path: Path, text: str, read: _DepartmentRead) -> Iterable[Problem]:
    """A file named after another department than it holds, and records naming another department than it."""
    dept = read.department
    if dept is None:
        return
    if path.stem != dept.code:
        yield Problem(
            _display(path),
            yamlio.line_of(text, ("department", "code")),
            "department.code",
            f"file is named {path.name} but holds department {dept.code}; name it {dept.code}.yaml",
        )
    for i, system in read.systems:
        if system.department != dept.code:
            yield Problem(
                _display(path),
                yamlio.line_of(text, ("systems", i, "department")),
                f"systems.{i}.department",
                f"system {system.code} names department {system.department} but is in {dept.code}'s file",
            )
    for i, private in read.private_networks:
        if private.department != dept.code:
            yield Problem(
                _display(path),
                yamlio.line_of(text, ("private_networks", i, "department")),
                f"private_networks.{i}.department",
                f"业务专网 {private.code} names department {private.department} but is in {dept.code}'s file",
            )
    for i, entry in read.catalogue:
        if entry.provider != dept.code:
            yield Problem(
                _display(path),
                yamlio.line_of(text, ("catalogue", i, "provider")),
                f"catalogue.{i}.provider",
                f"entry {entry.code} names provider {entry.provider} but is in {dept.code}'s file",
            )


def _salvage_department(path: Path, data: dict[Any, Any]) -> _DepartmentRead:
    """The records of an invalid department file that are valid on their own (errors are already reported)."""
    unreadable = _UnreadableCodes()
    department = _valid_or_none(model.Department, data.get("department"))
    if department is None:
        unreadable.departments.add(_raw_code(data.get("department")) or path.stem)
    systems: list[tuple[int, model.System]] = []
    for i, raw in _raw_items(data.get("systems")):
        system = _valid_or_none(model.System, raw)
        if system is not None:
            systems.append((i, system))
        elif (code := _raw_code(raw)) is not None:
            unreadable.systems.add(code)
    catalogue: list[tuple[int, model.CatalogueEntry]] = []
    for i, raw in _raw_items(data.get("catalogue")):
        entry = _valid_or_none(model.CatalogueEntry, raw)
        if entry is not None:
            catalogue.append((i, entry))
        elif (code := _raw_code(raw)) is not None:
            unreadable.catalogue.add(code)
    private_networks: list[tuple[int, model.PrivateNetwork]] = []
    for i, raw in _raw_items(data.get("private_networks")):
        private = _valid_or_none(model.PrivateNetwork, raw)
        if private is not None:
            private_networks.append((i, private))
    return _DepartmentRead(department, systems, catalogue, private_networks, unreadable)


def _valid_or_none(cls: type[_M], raw: Any) -> _M | None:
    try:
        return _shared_fields_sets(cls.model_validate(raw))
    except pydantic.ValidationError:
        return None


_FIELDS_SETS: dict[tuple[type, frozenset[str]], set[str]] = {}


def _shared_fields_sets(root: _M) -> _M:
    """``root`` and every model in it, each given the one fields-set object of its class and fields.

    Pydantic gives every validated model its own set of the fields that were given; on a province that is
    1.5 million sets, a third of the records' memory (about 550 MB). Models are frozen and never change
    theirs (pydantic's copies take a copy of it), so models of one shape share one, as a warm load's do.
    """
    shared = _FIELDS_SETS
    stack: list[Any] = [root]
    while stack:
        item = stack.pop()
        if isinstance(item, pydantic.BaseModel):
            fields_set = item.__pydantic_fields_set__
            cls = type(item)
            one = shared.setdefault((cls, frozenset(fields_set)), fields_set)
            if one is not fields_set:
                object.__setattr__(item, "__pydantic_fields_set__", one)
            values = item.__dict__
            stack.extend(values[name] for name in _fields_with_models(cls) if name in values)
        elif isinstance(item, tuple | list):
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
    return root


@functools.cache
def _fields_with_models(cls: type[pydantic.BaseModel]) -> tuple[str, ...]:
    """The fields of ``cls`` whose type may hold a model (directly, optionally, or in a collection)."""

    def holds_model(annotation: Any) -> bool:
        if isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel):
            return True
        return any(holds_model(arg) for arg in typing.get_args(annotation))

    return tuple(name for name, field in cls.model_fields.items() if holds_model(field.annotation))


def _raw_items(raw: Any) -> Iterable[tuple[int, Any]]:
    return enumerate(raw) if isinstance(raw, list) else ()


def _raw_code(raw: Any) -> str | None:
    code = raw.get("code") if isinstance(raw, dict) else None
    return code.strip() if isinstance(code, str) else None


def _read_model(path: Path, data: dict[Any, Any], text: str, problems: list[Problem], *, cls: type[_M]) -> _M | None:
    try:
        return _shared_fields_sets(cls.model_validate(data))
    except pydantic.ValidationError as exc:
        problems.extend(validation_problems(path, text, exc))
        return None


def _parse_mapping(path: Path, text: str, problems: list[Problem]) -> dict[Any, Any] | None:
    """A file's top-level mapping; None (with the problem recorded) when it is not a YAML mapping.

    A repeated key is reported but does not stop the file from being checked further.
    """
    try:
        data, duplicates = yamlio.read_document(text)
    except yamlio.YamlSyntaxError as exc:
        problems.append(Problem(_display(path), exc.line, "", str(exc)))
        return None
    problems.extend(
        Problem(
            _display(path),
            duplicate.line,
            _field_path(duplicate.path),
            f"key {duplicate.path[-1]!r} is repeated (first at line {duplicate.first_line}): "
            "YAML keeps only the last value",
        )
        for duplicate in duplicates
    )
    if not isinstance(data, dict):
        problems.append(
            Problem(_display(path), 1, "", f"expected a mapping at the top of the file, got {_type_name(data)}")
        )
        return None
    return data


def _message(error: Any) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        return "unknown field"
    if kind == "missing":
        return "required field is missing"
    if kind == "enum":
        expected = error.get("ctx", {}).get("expected", "")
        return f"{error['input']!r} is not one of {expected}"
    message = str(error["msg"])
    if "input" in error and kind not in {"model_type", "dict_type"}:
        return f"{message} (got {error['input']!r})"
    return message


def _field_path(loc: Iterable[object]) -> str:
    return ".".join(str(part) for part in loc)


def _type_name(value: Any) -> str:
    return "nothing" if value is None else type(value).__name__


def _display(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _header(title: str) -> str:
    return f"# govcloud inventory: {title}. Checked by `govcloud check`; edit and review in git.\n"
