"""Department plans, ``migrations_plan/departments/<DEPT>.yaml``: their 业务专网 and how each is retired. Edge.

Written by ``govcloud plan --write`` next to the system plans, with the same rules (see
:mod:`govcloud.planning.edges.plan_files`): round-trip edits, so comments and key order survive; statuses and
any key govcloud does not generate are the migration lead's and never rewritten; a generated value a
person changed is kept and reported as a conflict (its fingerprint in ``generated:`` tells the two apart);
writes are atomic. Example (abridged)::

    department: GAJ
    name: 临江市公安局
    private_networks:
      - code: ZW-GAJ-01
        name: 公安业务专网
        operator: 中国电信
        ranges: [172.16.4.0/24]
        remaining: [GAJ-003]                  # systems still on it
        systems:
          - {system: GAJ-003, leaves_by: network stage, status: in_progress, target: 2027-02-09}
          - {system: GAJ-009, leaves_by: decommission, status: done, target: 2027-03-31}
      - code: ZW-GAJ-02
        remaining: []
        decommission:                          # appears once its last system has left
          status: pending                      # yours: never rewritten; done = the network is retired
          target_date: 2027-04-30
          entry_gates:
            - {gate: stage_done, system: GAJ-010, stage: network}
          steps: [...]
          rollback: [...]
    generated: {...}
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from govcloud.core import model
from govcloud.core.settings import Settings
from govcloud.edges import yamlio
from govcloud.errors import Problem
from govcloud.planning.core import consolidation, stages, waves
from govcloud.planning.core.stages import StageStatus
from govcloud.planning.edges import plan_emitter, plan_files, plan_progress

DEPARTMENTS_DIR = "departments"
HEADER = (
    "Plan of department {code} {name}: its 业务专网 (private networks) and their decommission, written by\n"
    "`govcloud plan --write`. Yours: each network's decommission status (done = retired), notes, comments.\n"
    "Generated values you change are kept and reported as conflicts. Check with `govcloud plan --check`."
)
_NETWORK_ATOMS = ("name", "operator", "ranges", "remaining", "systems")
_DECOMMISSION_ATOMS = ("target_date", "entry_gates", "steps", "rollback")
_NETWORK_ORDER = ("code", *_NETWORK_ATOMS, "decommission")
_DECOMMISSION_ORDER = ("status", *_DECOMMISSION_ATOMS)
_TOP_ORDER = ("department", "name", "private_networks", plan_files.GENERATED)


def department_plan_path(plans_dir: Path, code: str) -> Path:
    return plans_dir / DEPARTMENTS_DIR / f"{code}.yaml"


def department_document(plan: consolidation.DepartmentPlan) -> dict[str, Any]:
    """The generated content of a department plan as plain data, in file order."""
    networks: list[dict[str, Any]] = []
    for private in plan.private_networks:
        doc: dict[str, Any] = {"code": private.code, "name": private.name}
        if private.operator is not None:
            doc["operator"] = private.operator
        doc["ranges"] = list(private.ranges)
        doc["remaining"] = list(private.remaining)
        doc["systems"] = [_member_document(m) for m in private.members]
        if private.decommission is not None:
            block = private.decommission
            doc["decommission"] = {
                "status": block.status.value,
                "target_date": block.target_date,
                "entry_gates": [plan_files._gate_document(g) for g in block.entry_gates],
                "steps": [plan_files._step_document(s) for s in block.steps],
                "rollback": [plan_files._step_document(s) for s in block.rollback],
            }
        networks.append(doc)
    return {"department": plan.department, "name": plan.name, "private_networks": networks}


def _member_document(member: consolidation.Member) -> dict[str, Any]:
    doc: dict[str, Any] = {"system": member.system, "leaves_by": member.leaves_by}
    if member.status is not None:
        doc["status"] = member.status.value
    if member.target is not None:
        doc["target"] = member.target
    return doc


def atoms_of(doc: Mapping[str, Any]) -> dict[str, Any]:
    """Generated values by atom key (``name``, ``private_networks.ZW-GAJ-01.remaining``, ...), networks by code."""
    found: dict[str, Any] = {}
    if "name" in doc:
        found["name"] = doc["name"]
    networks = doc.get("private_networks")
    if not isinstance(networks, list):
        return found
    for network in networks:
        if not isinstance(network, Mapping) or not isinstance(network.get("code"), str):
            continue
        prefix = f"private_networks.{network['code']}"
        for key in _NETWORK_ATOMS:
            if key in network:
                found[f"{prefix}.{key}"] = network[key]
        block = network.get("decommission")
        if isinstance(block, Mapping):
            for key in _DECOMMISSION_ATOMS:
                if key in block:
                    found[f"{prefix}.decommission.{key}"] = block[key]
    return found


@dataclasses.dataclass(frozen=True)
class DepartmentWriteReport:
    created: tuple[str, ...]
    updated: tuple[str, ...]
    unchanged: int
    conflicts: tuple[plan_files.Conflict, ...]

    @property
    def written(self) -> int:
        return len(self.created) + len(self.updated)


def write_department_plans(
    plans_dir: Path, department_plans: Sequence[consolidation.DepartmentPlan]
) -> DepartmentWriteReport:
    """Write or update ``plans_dir/departments/<DEPT>.yaml`` for every plan, keeping people's edits."""
    created: list[str] = []
    updated: list[str] = []
    conflicts: list[plan_files.Conflict] = []
    unchanged = 0
    with yamlio.staged_writes() as pending:
        for plan in department_plans:
            path = department_plan_path(plans_dir, plan.department)
            document = department_document(plan)
            if not path.exists():
                pending[path] = render_new(plan, document)
                created.append(plan.department)
                continue
            text, found = _update(path, plan, document)
            conflicts.extend(found)
            if text is None:
                unchanged += 1
            else:
                pending[path] = text
                updated.append(plan.department)
    return DepartmentWriteReport(tuple(created), tuple(updated), unchanged, tuple(conflicts))


def render_new(plan: consolidation.DepartmentPlan, document: Mapping[str, Any] | None = None) -> str:
    """The text of a new department plan: the fast emitter's (ruamel's bytes), or ruamel's outside its subset."""
    document = document if document is not None else department_document(plan)
    prints = {key: plan_files.fingerprint(value) for key, value in atoms_of(document).items()}
    try:
        body = plan_emitter.emit(document, header=HEADER.format(code=plan.department, name=plan.name))
        block = plan_emitter.emit({plan_files.GENERATED: dict(sorted(prints.items()))})
    except plan_emitter.Unsupported:
        return render_new_roundtrip(plan, document)
    marker = f"# {plan_files.GENERATED_COMMENT}"
    return "".join(line for line in body.splitlines(keepends=True) if line.strip() != marker) + marker + "\n" + block


def render_new_roundtrip(plan: consolidation.DepartmentPlan, document: Mapping[str, Any] | None = None) -> str:
    """:func:`render_new` through ruamel's round-trip dump (the reference the fast emitter is tested against)."""
    document = document if document is not None else department_document(plan)
    data = plan_files._to_roundtrip(document)
    assert isinstance(data, CommentedMap)
    data.yaml_set_start_comment(HEADER.format(code=plan.department, name=plan.name))
    return _finish(data, {key: plan_files.fingerprint(value) for key, value in atoms_of(document).items()})


def _update(
    path: Path, plan: consolidation.DepartmentPlan, document: Mapping[str, Any]
) -> tuple[str | None, list[plan_files.Conflict]]:
    text = path.read_text(encoding="utf-8")
    display = str(path)
    try:
        current = yamlio.read_fast(text)
    except yamlio.YamlSyntaxError as exc:
        return None, [plan_files.Conflict(plan.department, display, "", f"file (not YAML: {exc})", "file kept")]
    if not isinstance(current, dict):
        return None, [plan_files.Conflict(plan.department, display, "", "file (not a mapping)", "file kept")]
    raw_base = current.get(plan_files.GENERATED)
    base = {str(k): str(v) for k, v in raw_base.items()} if isinstance(raw_base, dict) else {}
    new_atoms = atoms_of(document)
    existing = atoms_of(current)
    new_base = {key: plan_files.fingerprint(value) for key, value in new_atoms.items()}
    to_set: dict[str, Any] = {}
    conflicts: list[plan_files.Conflict] = []
    for key, value in new_atoms.items():
        mine = existing.get(key, plan_files._MISSING)
        if mine is plan_files._MISSING:
            to_set[key] = value
            continue
        mine_print = plan_files.fingerprint(mine)
        if mine_print == new_base[key]:
            continue
        if base.get(key) == mine_print:
            to_set[key] = value
        else:
            conflicts.append(
                plan_files.Conflict(plan.department, display, key, plan_files._show(mine), plan_files._show(value))
            )
    to_drop = [k for k in existing.keys() - new_atoms.keys() if base.get(k) == plan_files.fingerprint(existing[k])]
    if not to_set and not to_drop and base == new_base:
        return None, conflicts
    data = yamlio.load_roundtrip(text)
    for key, value in sorted(to_set.items()):
        container, field, order = _container(data, key, create=True)
        if field in container:
            container[field] = plan_files._merge(container[field], value, field)
        else:
            plan_files._insert_ordered(container, field, plan_files._to_roundtrip(value, field), order)
    for key in to_drop:
        container, field, _ = _container(data, key, create=False)
        if container is not None and field in container:
            del container[field]
    return _finish(data, new_base), conflicts


def _container(data: CommentedMap, key: str, *, create: bool) -> tuple[Any, str, Sequence[str]]:
    """The round-trip mapping that holds atom ``key``, the field name there, and the key order there."""
    if not key.startswith("private_networks."):
        return data, key, _TOP_ORDER
    rest = key[len("private_networks.") :]
    code, _, field = rest.partition(".")
    networks = data.get("private_networks")
    if not isinstance(networks, CommentedSeq):
        if not create:
            return None, field, _NETWORK_ORDER
        networks = CommentedSeq()
        plan_files._insert_ordered(data, "private_networks", networks, _TOP_ORDER)
    network = next((n for n in networks if isinstance(n, CommentedMap) and n.get("code") == code), None)
    if network is None:
        if not create:
            return None, field, _NETWORK_ORDER
        network = CommentedMap()
        network["code"] = code
        networks.append(network)
    if not field.startswith("decommission."):
        return network, field, _NETWORK_ORDER
    inner = field[len("decommission.") :]
    block = network.get("decommission")
    if not isinstance(block, CommentedMap):
        if not create:
            return None, inner, _DECOMMISSION_ORDER
        block = CommentedMap()
        block["status"] = StageStatus.PENDING.value
        plan_files._insert_ordered(network, "decommission", block, _NETWORK_ORDER)
    return block, inner, _DECOMMISSION_ORDER


def _finish(data: CommentedMap, prints: Mapping[str, str]) -> str:
    """The file's text: the plan, then the fingerprints block last with its comment.

    The block is rendered apart and appended, because ruamel keeps a comment before a key as the trailing
    comment of whatever node precedes it: a network or decommission added later would then carry it away.
    """
    if plan_files.GENERATED in data:
        del data[plan_files.GENERATED]
    marker = f"# {plan_files.GENERATED_COMMENT}"
    body = "".join(line for line in yamlio.dump_roundtrip(data).splitlines(keepends=True) if line.strip() != marker)
    block = CommentedMap({plan_files.GENERATED: CommentedMap(sorted(prints.items()))})
    return body + marker + "\n" + yamlio.dump_roundtrip(block)


# ---------------------------------------------------------------------------------------------------------
# Reading and checking


def load_network_statuses(plans_dir: Path) -> dict[str, StageStatus]:
    """Private network code → the decommission status its department plan records (lenient: skips the bad)."""
    found: dict[str, StageStatus] = {}
    folder = plans_dir / DEPARTMENTS_DIR
    if not folder.is_dir():
        return found
    for path in sorted(folder.glob("*.yaml")):
        try:
            data = yamlio.read_fast(path.read_text(encoding="utf-8"))
        except (yamlio.YamlSyntaxError, UnicodeDecodeError):
            continue
        networks = data.get("private_networks") if isinstance(data, dict) else None
        for network in networks if isinstance(networks, list) else ():
            if not isinstance(network, dict) or not isinstance(network.get("code"), str):
                continue
            block = network.get("decommission")
            if isinstance(block, dict):
                try:
                    found[network["code"]] = StageStatus(str(block.get("status", "pending")))
                except ValueError:
                    continue
    return found


def check_department_plans(plans_dir: Path, inventory: model.Inventory) -> list[Problem]:
    """Problems of the department plans: unknown departments or networks, bad statuses, retired too early."""
    problems: list[Problem] = []
    folder = plans_dir / DEPARTMENTS_DIR
    if not folder.is_dir():
        return problems
    for path in sorted(folder.glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        try:
            data = yamlio.read_fast(text)
        except yamlio.YamlSyntaxError as exc:
            problems.append(Problem(str(path), exc.line, "", str(exc)))
            continue

        def problem(where: Sequence[str | int], message: str, path: Path = path, text: str = text) -> None:
            problems.append(Problem(str(path), yamlio.line_of(text, where), ".".join(map(str, where)), message))

        if not isinstance(data, dict) or not isinstance(data.get("department"), str):
            problem(("department",), "a department plan names its department (department: CODE)")
            continue
        code = data["department"]
        if code not in inventory.department_by_code:
            problem(("department",), f"unknown department {code!r}: not in the inventory")
            continue
        if code != path.stem:
            problem(("department",), f"file is named {path.name} but plans {code}; name it {code}.yaml")
        networks = data.get("private_networks") or []
        if not isinstance(networks, list):
            problem(("private_networks",), "private_networks is a list of networks")
            continue
        for index, network in enumerate(networks):
            where: tuple[str | int, ...] = ("private_networks", index)
            if not isinstance(network, dict):
                problem(where, "a private network is a mapping with code:")
                continue
            private = inventory.private_network_by_code.get(str(network.get("code")))
            if private is None or private.department != code:
                problem((*where, "code"), f"unknown 业务专网 {network.get('code')!r} of department {code}")
                continue
            block = network.get("decommission")
            if not isinstance(block, dict):
                continue
            try:
                status = StageStatus(str(block.get("status", "pending")))
            except ValueError:
                problem((*where, "decommission", "status"), f"unknown status {block.get('status')!r}")
                continue
            remaining = network.get("remaining")
            if status is not StageStatus.PENDING and isinstance(remaining, list) and remaining:
                problem(
                    (*where, "decommission", "status"),
                    f"{private.code} is {status.value} while {', '.join(map(str, remaining))} still run on it",
                )
    return problems


def plans_for(
    inventory: model.Inventory,
    wave_plan: waves.WavePlan,
    plans_dir: Path,
    settings: Settings,
    *,
    tracking: stages.ProgressMap | None = None,
) -> tuple[consolidation.DepartmentPlan, ...]:
    """The department plans for the current statuses of the system plans in ``plans_dir``.

    ``tracking``: those statuses when the caller has them (``plan --write`` just wrote the files:
    :attr:`plan_files.WriteReport.tracking`), so 20,000 files are not parsed again.
    """
    if tracking is None:
        tracking = plan_progress.load_progress_leniently(plans_dir)
    return consolidation.build_department_plans(inventory, wave_plan, tracking, settings)
