"""Importing census forms into the inventory: the merge of form rows with the records, as a rule. Pure.

What an import replaces (the full statement is in :mod:`govcloud.census.edges.census_forms`): departments
are named by name and keep their codes (a new one gets ``D`` + its organisation code and the first free /24 of
the dedicated-zone pool as its 专用网络区); an import covers the departments on its ``部门`` rows (or, without
them, those its rows name); a covered department's systems and entries are replaced by the rows of the sheets
the forms hold; fields a form does not carry are kept from the record with the same code; nothing of another
department changes, except an entry's link to a system that left it. Every problem of every row is collected
(``Merge.problems``), never the first only.

The rows come parsed (:class:`ParsedRow`: the edge reads the files and normalises the cells), and what depends
on the form's columns comes in as :class:`FormRules`, so the sheets stay defined in one place, the edge.
Property tests: ``tests/test_import_merge.py`` (a department's own export changes nothing, other departments
are untouched, importing twice is importing once, every bad row is reported).
"""

from __future__ import annotations

import dataclasses
import ipaddress
from collections.abc import Callable, Mapping, Sequence, Set
from typing import Any, TypeVar

import pydantic

from govcloud.census.core import checks
from govcloud.core import model
from govcloud.errors import Problem

SHEET_DEPARTMENTS = "部门"
SHEET_SYSTEMS = "系统"
SHEET_CATALOGUE = "信息资源"

DEDICATED_ZONE_POOL = ipaddress.IPv4Network("10.80.0.0/12")
"""Where new departments' 专用网络区 come from when the network has none yet (the example city's pool).

With dedicated zones present, the pool is the /12 that holds the lowest of them (10.80.0.0/12 in the example
city); a new department gets the first /24 of the pool that overlaps no zone and no management range.
"""


@dataclasses.dataclass(frozen=True)
class RowOrigin:
    """Where a row of a form is: file, sheet, row number as the spreadsheet shows it."""

    path: str
    sheet: str
    row: int

    def problem(self, header: str, message: str) -> Problem:
        return Problem(self.path, self.row, header, message, sheet=self.sheet)


@dataclasses.dataclass(frozen=True)
class ParsedRow:
    origin: RowOrigin
    values: Mapping[str, Any]
    absent: frozenset[str] = frozenset()
    """keys of the optional columns its sheet lacks: an existing record keeps its own values there"""


@dataclasses.dataclass(frozen=True)
class FormRules:
    """What the merge needs to know of the forms' columns (the edge defines the sheets)."""

    system_keys: tuple[str, ...]
    """The keys of the 系统 sheet's columns: what a system row sets."""
    kept_department_fields: tuple[str, ...]
    kept_system_fields: tuple[str, ...]
    kept_entry_fields: tuple[str, ...]
    """Fields no column carries: kept from the existing record with the same code."""
    kept_values: Callable[[str, model.System | model.CatalogueEntry, frozenset[str]], dict[str, Any]]
    """(sheet, existing record, keys of the columns a form lacks) → the record's values as its row would hold them."""
    header_for: Callable[[str, Sequence[str | int]], str]
    """(sheet, model field path) → the column header a problem names."""


_Model = TypeVar("_Model", bound=pydantic.BaseModel)


@dataclasses.dataclass
class Merged:
    """The inventory after the import, and where each record came from."""

    parts: checks.InventoryParts
    covered: list[str]
    new_zones: dict[str, model.Zone]
    origins: dict[tuple[str, str], list[RowOrigin | None]]
    """(kind, code) → where each occurrence came from, in parts order: a form row, or None for a kept record"""
    _grouped: dict[str, tuple[model.Department, list[model.System], list[model.CatalogueEntry]]] = dataclasses.field(
        default_factory=dict
    )

    def department_file(self, code: str) -> model.DepartmentFile:
        if not self._grouped:
            for dept in self.parts.departments:
                self._grouped[dept.code] = (dept, [], [])
            for system in self.parts.systems:
                self._grouped[system.department][1].append(system)
            for entry in self.parts.catalogue:
                self._grouped[entry.provider][2].append(entry)
        dept, systems, entries = self._grouped[code]
        return model.DepartmentFile(
            department=dept,
            systems=tuple(systems),
            catalogue=tuple(entries),
            private_networks=tuple(p for p in self.parts.private_networks if p.department == code),
        )


class Merge:
    """Builds the inventory that the forms describe, collecting every problem on the way (in ``problems``)."""

    def __init__(self, inventory: model.Inventory, rules: FormRules) -> None:
        self.inventory = inventory
        self.rules = rules
        self.problems: list[Problem] = []
        self.by_name: dict[str, list[model.Department]] = {}
        for dept in inventory.departments:
            self.by_name.setdefault(dept.name, []).append(dept)
        self.by_uscc = {d.uscc: d for d in inventory.departments}
        self.form_departments: dict[str, tuple[ParsedRow, str]] = {}  # code → (row, resolved parent or "")
        self.form_names: dict[str, str] = {}  # name on a 部门 row → code
        self.failed_names: set[str] = set()

    # -----------------------------------------------------------------------------------------------------
    def covered(self, rows: Mapping[str, Sequence[ParsedRow]]) -> list[str]:
        """The codes of the departments an import of ``rows`` covers, resolved by name, credit code or code.

        Needs only the inventory's departments (not their records): an import of one department can learn
        which records it needs before any is read. The problems it finds are in ``problems``, as ``run``'s.
        """
        return self._cover(rows)[2]

    def _cover(
        self, rows: Mapping[str, Sequence[ParsedRow]]
    ) -> tuple[list[tuple[ParsedRow, str]], list[tuple[ParsedRow, str]], list[str]]:
        self._departments(rows[SHEET_DEPARTMENTS])
        system_rows = self._resolve_refs(rows[SHEET_SYSTEMS], "department", "所属部门")
        entry_rows = self._resolve_refs(rows[SHEET_CATALOGUE], "provider", "提供方")
        if self.form_departments:
            covered = list(self.form_departments)
            for row, code in [*system_rows, *entry_rows]:
                if code not in self.form_departments:
                    header = "所属部门" if row.origin.sheet == SHEET_SYSTEMS else "提供方"
                    self.problems.append(
                        row.origin.problem(
                            header,
                            f"department {code} is not on the 部门 sheet of this import: list it there, or import "
                            "its own form",
                        )
                    )
        else:
            covered = list(dict.fromkeys(code for _, code in [*system_rows, *entry_rows]))
        return system_rows, entry_rows, covered

    def run(self, rows: Mapping[str, Sequence[ParsedRow]], present: Set[str]) -> Merged:
        """The inventory after importing ``rows`` (by sheet), from forms that hold the sheets ``present``."""
        inv = self.inventory
        system_rows, entry_rows, covered = self._cover(rows)
        covered_set = set(covered)
        replaced_systems = SHEET_SYSTEMS in present
        replaced_entries = SHEET_CATALOGUE in present

        departments = [d for d in inv.departments if d.code not in covered_set]
        dept_origins: list[RowOrigin | None] = [None] * len(departments)
        for code in covered:
            if code in self.form_departments:
                row, parent = self.form_departments[code]
                built_dept = self._build_department(row, code, parent or None)
                if built_dept is not None:
                    departments.append(built_dept)
                    dept_origins.append(row.origin)
            else:
                departments.append(inv.department_by_code[code])
                dept_origins.append(None)

        systems = [s for s in inv.systems if s.department not in covered_set or not replaced_systems]
        system_origins: list[RowOrigin | None] = [None] * len(systems)
        if replaced_systems:
            for row, code in system_rows:
                built_system = self._build_system(row, code)
                if built_system is not None:
                    systems.append(built_system)
                    system_origins.append(row.origin)
        holders = {s.code: s.department for s in systems}

        entries: list[model.CatalogueEntry] = []
        entry_origins: list[RowOrigin | None] = []
        for entry in inv.catalogue:
            if entry.provider in covered_set and replaced_entries:
                continue
            system_gone = entry.system is not None and holders.get(entry.system) != entry.provider
            entries.append(entry.model_copy(update={"system": None}) if system_gone else entry)
            entry_origins.append(None)
        if replaced_entries:
            for row, code in entry_rows:
                built_entry = self._build_entry(row, code, holders)
                if built_entry is not None:
                    entries.append(built_entry)
                    entry_origins.append(row.origin)

        new_codes = [c for c in covered if c not in inv.department_by_code]
        new_zones = self._allocate_zones(new_codes, {d.code: d for d in departments})
        network = inv.network
        if new_zones:
            network = network.model_copy(update={"zones": (*network.zones, *new_zones.values())})

        origins: dict[tuple[str, str], list[RowOrigin | None]] = {}
        for kind, record_codes, record_origins in (
            ("department", [d.code for d in departments], dept_origins),
            ("system", [s.code for s in systems], system_origins),
            ("catalogue", [e.code for e in entries], entry_origins),
        ):
            for record_code, origin in zip(record_codes, record_origins, strict=True):
                origins.setdefault((kind, record_code), []).append(origin)
        # The forms do not carry the 业务专网 lists: they are kept, less the systems the forms took off them
        # (removed, or no longer carried on a 业务专网).
        on_private = {s.code for s in systems if s.carrying_network is model.CarryingNetwork.PRIVATE}
        private_networks = tuple(
            p.model_copy(update={"systems": tuple(c for c in p.systems if c in on_private)})
            for p in inv.private_networks
        )
        parts = checks.InventoryParts(
            city=inv.city,
            network=network,
            departments=tuple(departments),
            systems=tuple(systems),
            catalogue=tuple(entries),
            hosts=inv.hosts,
            private_networks=private_networks,
        )
        return Merged(parts, covered, new_zones, origins)

    # -----------------------------------------------------------------------------------------------------
    def _departments(self, rows: Sequence[ParsedRow]) -> None:
        taken = set(self.inventory.department_by_code)
        first_row: dict[str, RowOrigin] = {}
        resolved: list[tuple[ParsedRow, str]] = []
        for row in rows:
            name: str = row.values["name"]
            uscc: str = row.values["uscc"]
            code = self._department_code(row, name, uscc, taken)
            if code is None:
                self.failed_names.add(name)
                continue
            if code in first_row:
                other = first_row[code]
                self.problems.append(
                    row.origin.problem(
                        "部门名称", f"department {name} ({code}) is already listed in {other.path} row {other.row}"
                    )
                )
                self.failed_names.add(name)
                continue
            first_row[code] = row.origin
            taken.add(code)
            self.form_names[name] = code
            resolved.append((row, code))
        for row, code in resolved:  # parents may name departments listed further down
            parent_ref = row.values["parent"]
            parent = ""
            old = self.inventory.department_by_code.get(code)
            if "parent" in row.absent and old is not None:
                parent = old.parent or ""  # no 上级部门 column: the inventory's parent stands
            elif parent_ref is not None:
                try:
                    parent = self.resolve_department(parent_ref) or ""
                except LookupError as exc:
                    self.problems.append(row.origin.problem("上级部门", str(exc.args[0])))
            self.form_departments[code] = (row, parent)

    def _department_code(self, row: ParsedRow, name: str, uscc: str, taken: set[str]) -> str | None:
        named = self.by_name.get(name, [])
        if len(named) == 1:
            return named[0].code
        if len(named) > 1:
            same_uscc = [d for d in named if d.uscc == uscc]
            if len(same_uscc) == 1:
                return same_uscc[0].code
            self.problems.append(
                row.origin.problem(
                    "部门名称",
                    f"several departments are named {name} ({', '.join(d.code for d in named)}) and none has "
                    "this credit code",
                )
            )
            return None
        existing = self.by_uscc.get(uscc)
        if existing is not None:
            return existing.code
        if name in self.form_names:
            return self.form_names[name]  # reported as listed twice by the caller
        return new_department_code(uscc, taken)

    def resolve_department(self, ref: str) -> str | None:
        """The code of the department a form names (by name, or by code); LookupError when unknown."""
        if ref in self.failed_names:
            return None  # its own row is already reported
        if ref in self.form_names:
            return self.form_names[ref]
        named = self.by_name.get(ref, [])
        if len(named) == 1:
            return named[0].code
        if len(named) > 1:
            raise LookupError(
                f"several departments are named {ref} ({', '.join(d.code for d in named)}): write the code"
            )
        code = ref.strip().upper()
        if code in self.inventory.department_by_code or code in self.form_departments:
            return code
        raise LookupError(
            f"unknown department {ref!r}: list it on the 部门 sheet, or use the name of a department in the inventory"
        )

    def _resolve_refs(self, rows: Sequence[ParsedRow], key: str, header: str) -> list[tuple[ParsedRow, str]]:
        resolved = []
        for row in rows:
            try:
                code = self.resolve_department(row.values[key])
            except LookupError as exc:
                self.problems.append(row.origin.problem(header, str(exc.args[0])))
                continue
            if code is not None:
                resolved.append((row, code))
        return resolved

    # -----------------------------------------------------------------------------------------------------
    def _build_department(self, row: ParsedRow, code: str, parent: str | None) -> model.Department | None:
        old = self.inventory.department_by_code.get(code)
        data: dict[str, Any] = {"code": code, "name": row.values["name"], "uscc": row.values["uscc"], "parent": parent}
        if old is not None:
            data.update({f: getattr(old, f) for f in self.rules.kept_department_fields})
        office = {"name": row.values.get("sharing_office_name"), "head": row.values.get("sharing_office_head")}
        if {"sharing_office_name", "sharing_office_head"} & row.absent:
            data["sharing_office"] = old.sharing_office if old is not None else None  # an older form: kept
        elif office["name"] is not None or office["head"] is not None:
            data["sharing_office"] = office  # one without the other is an error naming the empty column
        return self._validate(model.Department, data, row)

    def _build_system(self, row: ParsedRow, department: str) -> model.System | None:
        values = row.values
        old = self.inventory.system_by_code.get(values["code"])
        if old is not None and row.absent:
            values = {**values, **self.rules.kept_values(SHEET_SYSTEMS, old, row.absent)}
        data: dict[str, Any] = {key: values[key] for key in self.rules.system_keys if values.get(key) not in (None, ())}
        data["department"] = department
        if old is not None:
            data.update({f: getattr(old, f) for f in self.rules.kept_system_fields})
            if values.get("classified"):
                data["cloud"] = None  # a classified system never moves to the shared cloud
                data["consumes"] = ()  # nor takes data through the extranet's exchange (physical isolation)
            else:
                data["intranet_zone"] = None  # only a classified system has a place on the intranet
        return self._validate(model.System, data, row)

    def _build_entry(self, row: ParsedRow, provider: str, holders: Mapping[str, str]) -> model.CatalogueEntry | None:
        v = row.values
        old = self.inventory.entry_by_code.get(v["code"])
        if old is not None and row.absent:
            v = {**v, **self.rules.kept_values(SHEET_CATALOGUE, old, row.absent)}
        sharing_type: model.SharingType = v["sharing_type"]
        same_type = old is not None and old.sharing.type is sharing_type
        conditions: str | None = v["sharing_conditions"]
        sharing: dict[str, Any] = {"type": sharing_type, "method": v["sharing_method"]}
        if sharing_type is model.SharingType.NOT_SHARED:
            sharing["legal_basis"] = conditions
            sharing["conditions"] = old.sharing.conditions if old is not None and same_type else None
        else:
            if conditions is None and sharing_type is model.SharingType.UNCONDITIONAL:
                conditions = "无条件"
            sharing["conditions"] = conditions
            sharing["legal_basis"] = old.sharing.legal_basis if old is not None and same_type else None
        sharing["scope"] = v["sharing_scope"]
        sharing["purpose"] = v["sharing_purpose"]
        data: dict[str, Any] = {
            "code": v["code"],
            "name": v["name"],
            "category": v["category"],
            "provider": provider,
            "abstract": v["abstract"],
            "format": v["format"],
            "data_items": v["data_items"],
            "sharing": sharing,
            "open": {"open": bool(v["open"]), "conditions": v["open_conditions"]},
            "update_cycle": v["update_cycle"],
            "publish_date": v["publish_date"],
            "related": v["related"],
            "grade": v["grade"],
        }
        if v["assessment_date"] is not None or v["assessment_approver"] is not None:
            data["assessment"] = {"date": v["assessment_date"], "approver": v["assessment_approver"]}
        if old is not None:
            data.update({f: getattr(old, f) for f in self.rules.kept_entry_fields})
            if old.system is not None and holders.get(old.system) != provider:
                data["system"] = None  # the system that held it is gone (or belongs to another department now)
        return self._validate(model.CatalogueEntry, data, row)

    def _validate(self, cls: type[_Model], data: dict[str, Any], row: ParsedRow) -> _Model | None:
        try:
            return cls.model_validate(data)
        except pydantic.ValidationError as exc:
            for error in exc.errors(include_url=False):
                loc = tuple(str(part) for part in error["loc"])
                self.problems.append(
                    row.origin.problem(self.rules.header_for(row.origin.sheet, loc), pydantic_message(error))
                )
            return None

    # -----------------------------------------------------------------------------------------------------
    def _allocate_zones(
        self, new_codes: Sequence[str], departments: Mapping[str, model.Department]
    ) -> dict[str, model.Zone]:
        if not new_codes:
            return {}
        pool = dedicated_zone_pool(self.inventory.network)
        used = [net for zone in self.inventory.network.zones for net in zone.ranges]
        if self.inventory.network.management is not None:
            used.extend(self.inventory.network.management.ranges)
        free = (net for net in pool.subnets(new_prefix=24) if not any(net.overlaps(u) for u in used))
        zones: dict[str, model.Zone] = {}
        existing_zone_codes = {z.code for z in self.inventory.network.zones}
        for code in new_codes:
            net = next(free, None)
            origin = self.form_departments[code][0].origin
            if net is None:
                self.problems.append(origin.problem("部门名称", f"no free /24 left in the dedicated-zone pool {pool}"))
                continue
            zone_code = f"DZ-{code}"
            if zone_code in existing_zone_codes:
                self.problems.append(origin.problem("部门名称", f"zone {zone_code} already exists in network.yaml"))
                continue
            dept = departments.get(code)
            name = dept.name if dept is not None else code
            zones[code] = model.Zone(
                code=zone_code, name=f"{name}专用网络区", kind=model.ZoneKind.DEDICATED, department=code, ranges=(net,)
            )
        return zones

    # -----------------------------------------------------------------------------------------------------
    @staticmethod
    def from_row(finding: checks.Finding, merged: Merged) -> bool:
        """Whether the record a finding is about came from a form row."""
        places = merged.origins.get((finding.kind, finding.key), [])
        return bool(places) and places[min(finding.occurrence, len(places) - 1)] is not None


def covering_inventory(
    departments: Sequence[model.Department], files: Sequence[model.DepartmentFile]
) -> model.Inventory:
    """Every department of a census, with the records of the department ``files`` only: a merge's view of it.

    :meth:`Merge.covered` needs the departments alone; a :meth:`Merge.run` over the covered departments' files
    gives those departments' after-import files as a merge over the whole census would, as long as no row
    names a record of another department and every covered department is among ``departments``. Its network
    has no zones (and no platform), its city and hosts are left out: the caller trusts such a merge only when
    it allocates no zone (a new department) and changes no record, so nothing reads them.
    """
    not_read: Any = None  # never read by such a merge (see above): unset rather than made up
    return model.Inventory.model_construct(
        city=not_read,
        network=model.Network.model_construct(zones=(), platform=not_read),
        departments=tuple(departments),
        systems=tuple(system for file in files for system in file.systems),
        catalogue=tuple(entry for file in files for entry in file.catalogue),
        hosts=(),
        private_networks=tuple(private for file in files for private in file.private_networks),
    )


def dedicated_zone_pool(network: model.Network) -> ipaddress.IPv4Network:
    """The /12 holding the lowest existing 专用网络区, or :data:`DEDICATED_ZONE_POOL` when there is none."""
    dedicated = [net for z in network.zones if z.kind is model.ZoneKind.DEDICATED for net in z.ranges]
    if not dedicated:
        return DEDICATED_ZONE_POOL
    lowest = min(dedicated, key=lambda net: int(net.network_address))
    return lowest.supernet(new_prefix=12) if lowest.prefixlen >= 12 else lowest


def new_department_code(uscc: str, taken: set[str]) -> str:
    """``D`` + the organisation-code body (characters 9-16) of the credit code; a digit is added on a clash."""
    base = "D" + uscc[8:16]
    if base not in taken:
        return base
    suffix = 2
    while f"{base}{suffix}" in taken:
        suffix += 1
    return f"{base}{suffix}"


def pydantic_message(error: Any) -> str:
    kind = error["type"]
    if kind == "missing":
        return "required"
    if kind == "string_pattern_mismatch":
        return f"{error['input']!r} does not have the required form ({error['ctx']['pattern']})"
    message = str(error["msg"])
    if "input" in error and isinstance(error["input"], str | int | float):
        return f"{message} (got {error['input']!r})"
    return message
