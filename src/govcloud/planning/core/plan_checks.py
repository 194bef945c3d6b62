"""Every rule a plan file (``migrations_plan/<CODE>.yaml``) must keep, checked on its parsed data. Pure: no I/O.

A plan file is edited by hand, so anything can be in it. A misspelt key is the dangerous case: ``statsu:
in_progress`` reads as a stage with no status, i.e. pending, so the system silently drops out of the report and
the provisioning closes its flows. So every key at every level is either one of the known keys below or an
error that names the closest known key; and every value govcloud reads is checked (statuses, dates, stage
names and order, gates, systems and departments against the census, the file's name against its ``system``).

The checks return :class:`Finding` records: where the problem is, as the path of keys and list indexes from the
document's root (``("stages", 0, "statsu")``), and the message. The file edge turns a path into a line number
only for the findings there are, so a clean province costs no line lookups at all.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from govcloud.core import model
from govcloud.planning.core import plans
from govcloud.planning.core.stages import STAGE_ORDER, Stage, StageStatus

Where = tuple[str | int, ...]

NOTES = "notes"
"""Free text (a string or a list of strings) a migration lead may add to the plan, to a stage or a decommission."""
GENERATED = "generated"

TOP_ATOMS: tuple[str, ...] = (
    "name",
    "department",
    "disposition",
    "disposition_reasons",
    "kind",
    "wave",
    "wave_start",
    "wave_end",
    "wave_reasons",
    "merge_into",
    "owner",
    "intranet_zone",
    "leaves",
)
"""Top-level values govcloud generates (and fingerprints in ``generated:``)."""
STAGE_ATOMS: tuple[str, ...] = (
    "label",
    "target_start",
    "target_end",
    "callers",
    "entry_gates",
    "exit_gates",
    "steps",
    "cutover",
    "rollback",
)
DECOMMISSION_ATOMS: tuple[str, ...] = (
    "target_date",
    "reasons",
    "dependents",
    "data",
    "entry_gates",
    "steps",
    "rollback",
)

_MIGRATION_ONLY = ("wave", "wave_start", "wave_end", "wave_reasons", "stages")
_DECOMMISSION_ONLY = ("decommission",)
_INTRANET_ONLY = ("intranet_zone", "leaves")
TOP_KEYS: tuple[str, ...] = ("system", *TOP_ATOMS, "stages", "decommission", GENERATED, NOTES)
STAGE_KEYS: tuple[str, ...] = ("stage", "status", *STAGE_ATOMS, NOTES)
DECOMMISSION_KEYS: tuple[str, ...] = ("status", *DECOMMISSION_ATOMS, NOTES)
OWNER_KEYS: tuple[str, ...] = ("name", "role", "phone")
STEP_KEYS: tuple[str, ...] = ("do", "run", "objects")
DEPENDENT_KEYS: tuple[str, ...] = ("system", "department", "repoint_to", "drop_call")
DATA_KEYS: tuple[str, ...] = ("action", "to", "entries")
DATA_ACTIONS: tuple[str, ...] = ("hand_over", "archive")
GATE_KEYS: tuple[str, ...] = ("gate", *sorted({field for fields in plans.GATE_FIELDS.values() for field in fields}))


@dataclasses.dataclass(frozen=True)
class Finding:
    """One thing wrong in a plan document: where (keys and list indexes from the root) and what."""

    where: Where
    message: str

    @property
    def field(self) -> str:
        return ".".join(str(part) for part in self.where)


def closest(key: str, known: Collection[str]) -> str | None:
    """The known key ``key`` was most likely meant to be (``statsu`` → ``status``), or None."""
    found = difflib.get_close_matches(key, list(known), n=1, cutoff=0.6)
    return found[0] if found else None


def unknown_key_message(key: object, known: Collection[str], *, what: str) -> str:
    """``unknown key 'statsu' in a stage: did you mean 'status'? (known: ...)``."""
    guess = closest(key, known) if isinstance(key, str) else None
    hint = f": did you mean {guess!r}?" if guess is not None else ""
    return f"unknown key {key!r} in {what}{hint} (known: {', '.join(known)})"


def generated_keys() -> frozenset[str]:
    """Every key the ``generated:`` block may hold: one per generated value (``stages.data.target_end`` ...)."""
    keys = set(TOP_ATOMS)
    keys.update(f"stages.{stage.value}.{atom}" for stage in STAGE_ORDER for atom in STAGE_ATOMS)
    keys.update(f"decommission.{atom}" for atom in DECOMMISSION_ATOMS)
    return frozenset(keys)


_GENERATED_KEYS = generated_keys()


def check_plan(data: Any, *, file_name: str, inventory: model.Inventory) -> list[Finding]:
    """Everything wrong with one plan file's parsed ``data``; ``file_name`` is its name (``MZJ-001.yaml``)."""
    checker = _Checker(inventory)
    checker.check(data, file_name)
    return checker.findings


class _Checker:
    def __init__(self, inventory: model.Inventory) -> None:
        self.inventory = inventory
        self.findings: list[Finding] = []

    def problem(self, where: Sequence[str | int], message: str) -> None:
        self.findings.append(Finding(tuple(where), message))

    # -- shapes ---------------------------------------------------------------------------------------
    def keys(
        self,
        mapping: Mapping[Any, Any],
        where: Where,
        known: Sequence[str],
        *,
        what: str,
        elsewhere: Mapping[str, str] | None = None,
    ) -> None:
        """Every key of ``mapping`` is in ``known``; a key that belongs to another kind of block says so."""
        for key in mapping:
            if key in known:
                continue
            spot = (*where, key if isinstance(key, str | int) else str(key))
            if isinstance(key, str) and elsewhere and key in elsewhere:
                self.problem(spot, f"key {key!r} does not belong in {what}: {elsewhere[key]}")
            else:
                self.problem(spot, unknown_key_message(key, known, what=what))

    def text(self, value: Any, where: Where, *, what: str = "text") -> bool:
        if not isinstance(value, str) or not value.strip():
            self.problem(where, f"expected {what}, got {value!r}")
            return False
        return True

    def texts(self, value: Any, where: Where) -> None:
        """A list of strings (reasons, objects)."""
        if not isinstance(value, list):
            self.problem(where, f"expected a list of text, got {value!r}")
            return
        for index, item in enumerate(value):
            if not isinstance(item, str):
                self.problem((*where, index), f"expected text, got {item!r}")

    def notes(self, value: Any, where: Where) -> None:
        if isinstance(value, str) or value is None:
            return
        if isinstance(value, list) and all(isinstance(item, str) for item in value):
            return
        self.problem(where, "notes are text, or a list of text")

    # -- values ---------------------------------------------------------------------------------------
    def system(self, value: Any, where: Where) -> bool:
        if not isinstance(value, str) or value not in self.inventory.system_by_code:
            self.problem(where, f"unknown system {value!r}: not in the inventory")
            return False
        return True

    def department(self, value: Any, where: Where) -> bool:
        if not isinstance(value, str) or value not in self.inventory.department_by_code:
            self.problem(where, f"unknown department {value!r}: not in the inventory")
            return False
        return True

    def date(self, value: Any, where: Where) -> dt.date | None:
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        self.problem(where, f"expected a date (YYYY-MM-DD), got {value!r}")
        return None

    def status(self, value: Any, where: Where) -> StageStatus | None:
        try:
            return StageStatus(str(value))
        except ValueError:
            allowed = ", ".join(s.value for s in StageStatus)
            self.problem(where, f"status {value!r} is not one of {allowed}")
            return None

    def steps(self, value: Any, where: Where) -> None:
        if not isinstance(value, list):
            self.problem(where, "expected a list of steps, each {do: ..., run: ..., objects: [...]}")
            return
        for index, step in enumerate(value):
            spot = (*where, index)
            if not isinstance(step, dict):
                self.problem(spot, "a step is a mapping {do: what to do, run: the command, objects: [...]}")
                continue
            self.keys(step, spot, STEP_KEYS, what="a step")
            if "do" not in step:
                self.problem(spot, "a step says what to do (do: ...)")
            else:
                self.text(step["do"], (*spot, "do"))
            if "run" in step and step["run"] is not None:
                self.text(step["run"], (*spot, "run"), what="a command")
            if "objects" in step:
                self.texts(step["objects"], (*spot, "objects"))

    def gates(self, value: Any, where: Where) -> None:
        if value is None:
            return
        if not isinstance(value, list):
            self.problem(where, "expected a list of gates")
            return
        for index, gate in enumerate(value):
            self.gate(gate, (*where, index))

    def gate(self, gate: Any, where: Where) -> None:
        if not isinstance(gate, dict):
            self.problem(where, "a gate is a mapping such as {gate: stage_done, system: X, stage: data}")
            return
        try:
            kind = plans.GateKind(str(gate.get("gate")))
        except ValueError:
            allowed = ", ".join(k.value for k in plans.GateKind)
            self.problem((*where, "gate"), f"unknown gate {gate.get('gate')!r}: one of {allowed}")
            return
        wanted = plans.GATE_FIELDS[kind]
        for field in sorted(set(gate) - wanted - {"gate"}, key=str):
            if field in GATE_KEYS:
                self.problem((*where, field), f"gate {kind.value} takes no field {field!r}")
            else:
                self.problem((*where, str(field)), unknown_key_message(field, ("gate", *sorted(wanted)), what="a gate"))
        for field in sorted(wanted - set(gate)):
            self.problem(where, f"gate {kind.value} needs the field {field!r}")
        if "system" in gate and not self.system(gate["system"], (*where, "system")):
            return
        if "stage" in gate and "stage" in wanted and _enum(Stage, gate["stage"]) is None:
            self.problem((*where, "stage"), f"unknown stage {gate['stage']!r}: one of network, data, business")
        if "entries" in gate and "entries" in wanted:
            entries = gate["entries"]
            if entries == "all":
                return
            if not isinstance(entries, list):
                self.problem((*where, "entries"), "entries is 'all' or a list of resource codes")
                return
            for index, code in enumerate(entries):
                entry = self.inventory.entry_by_code.get(str(code))
                if entry is None:
                    self.problem((*where, "entries", index), f"unknown catalogue entry {code!r}")
                elif entry.system != gate.get("system"):
                    self.problem(
                        (*where, "entries", index), f"entry {code} belongs to {entry.system}, not {gate.get('system')}"
                    )

    def owner(self, value: Any, where: Where) -> None:
        if not isinstance(value, dict):
            self.problem(where, "owner is a mapping {name: ..., role: ..., phone: ...}")
            return
        self.keys(value, where, OWNER_KEYS, what="the owner")
        if "name" not in value:
            self.problem(where, "the owner has a name")
        for key in OWNER_KEYS:
            if key in value and value[key] is not None and not isinstance(value[key], str):
                self.problem((*where, key), f"expected text, got {value[key]!r}")

    def generated(self, value: Any, where: Where) -> None:
        if not isinstance(value, dict):
            self.problem(where, "generated holds the fingerprints govcloud writes: a mapping; delete it to reset")
            return
        for key, fingerprint in value.items():
            spot = (*where, key if isinstance(key, str | int) else str(key))
            if key not in _GENERATED_KEYS:
                guess = closest(key, _GENERATED_KEYS) if isinstance(key, str) else None
                hint = f": did you mean {guess!r}?" if guess is not None else ""
                self.problem(spot, f"unknown key {key!r} in the generated fingerprints{hint} (do not edit this block)")
            elif not isinstance(fingerprint, str | int) or isinstance(fingerprint, bool):
                self.problem(spot, f"a fingerprint is a short hash, got {fingerprint!r} (do not edit this block)")

    # -- the file -------------------------------------------------------------------------------------
    def check(self, data: Any, file_name: str) -> None:
        if not isinstance(data, dict):
            self.problem((), "a plan file is a mapping with system: CODE")
            return
        code = data.get("system")
        if not isinstance(code, str):
            self.problem(("system",), "a plan file names its system (system: CODE)")
            return
        kind = data.get("kind", kind_of(data))
        migration = kind == plans.PlanKind.MIGRATION.value
        intranet = kind == plans.PlanKind.INTRANET.value
        if kind in {k.value for k in plans.PlanKind}:
            if migration:
                elsewhere = dict.fromkeys(_DECOMMISSION_ONLY, "a migration plan has stages, not a decommission block")
            elif intranet:
                elsewhere = dict.fromkeys(
                    (*_DECOMMISSION_ONLY, "wave", "wave_start", "wave_end", "wave_reasons"),
                    "an intranet plan has its network stage only: no wave, no decommission block",
                )
            else:
                elsewhere = dict.fromkeys(_MIGRATION_ONLY, "a decommission plan has no wave and no stages")
            if not intranet:
                elsewhere.update(dict.fromkeys(_INTRANET_ONLY, "only a classified system's intranet plan has it"))
            known = [k for k in TOP_KEYS if k not in elsewhere]
            self.keys(data, (), known, what=f"a {kind} plan", elsewhere=elsewhere)
        else:
            self.keys(data, (), TOP_KEYS, what="a plan")
        stem = file_name.rsplit(".", 1)[0]
        if code != stem:
            self.problem(("system",), f"file is named {file_name} but plans {code}; name it {code}.yaml")
        if not self.system(code, ("system",)):
            return
        if "name" in data:
            self.text(data["name"], ("name",), what="the system's name")
        if "department" in data and self.department(data["department"], ("department",)):
            census = self.inventory.system_by_code[code].department
            if data["department"] != census:
                self.problem(
                    ("department",),
                    f"department {data['department']}, but the census puts {code} in {census}: "
                    "run govcloud plan --write, or delete the line",
                )
        if "disposition" in data and data["disposition"] not in {d.value for d in model.Disposition}:
            allowed = ", ".join(d.value for d in model.Disposition)
            self.problem(("disposition",), f"disposition {data['disposition']!r} is not one of {allowed}")
        for key in ("disposition_reasons", "wave_reasons"):
            if key in data:
                self.texts(data[key], (key,))
        if "owner" in data and data["owner"] is not None:
            self.owner(data["owner"], ("owner",))
        if "merge_into" in data and data["merge_into"] is not None:
            self.system(data["merge_into"], ("merge_into",))
        if GENERATED in data:
            self.generated(data[GENERATED], (GENERATED,))
        if NOTES in data:
            self.notes(data[NOTES], (NOTES,))
        if kind not in {k.value for k in plans.PlanKind}:
            allowed = ", ".join(k.value for k in plans.PlanKind)
            self.problem(("kind",), f"kind {kind!r} is not one of {allowed}")
            return
        if migration:
            self.migration(data)
        elif intranet:
            self.intranet(data, code)
        else:
            self.decommission(data)

    def intranet(self, data: Mapping[str, Any], code: str) -> None:
        """A classified system's plan: one network stage onto the intranet, never a cloud stage."""
        system = self.inventory.system_by_code[code]
        if not system.classified:
            self.problem(("kind",), f"{code} is not classified (涉密): only classified systems move onto the intranet")
        zone = data.get("intranet_zone")
        if zone is not None and zone not in self.inventory.intranet_zone_by_code:
            what = "a zone of the 电子政务外网" if zone in self.inventory.zone_by_code else "not an intranet zone"
            self.problem(("intranet_zone",), f"intranet_zone {zone!r} is {what}")
        raw_stages = data.get("stages")
        if not isinstance(raw_stages, list):
            self.problem(("stages",), "an intranet plan has one stage: network")
            return
        for index, raw in enumerate(raw_stages):
            where: Where = ("stages", index)
            if not isinstance(raw, dict):
                self.problem(where, "a stage is a mapping with stage: and status:")
                continue
            self.keys(raw, where, STAGE_KEYS, what="a stage")
            if raw.get("stage") != Stage.NETWORK.value:
                self.problem(
                    (*where, "stage"),
                    f"stage {raw.get('stage')!r}: a classified system has only its network stage (onto the "
                    "电子政务内网); its data never reach the exchange nor its services the gateway",
                )
                continue
            self.status(raw.get("status", StageStatus.PENDING.value), (*where, "status"))
            start = self.date(raw["target_start"], (*where, "target_start")) if "target_start" in raw else None
            end = self.date(raw["target_end"], (*where, "target_end")) if "target_end" in raw else None
            if start and end and start > end:
                self.problem((*where, "target_end"), f"network stage ends {end} before it starts {start}")
            self.gates(raw.get("entry_gates"), (*where, "entry_gates"))
            self.gates(raw.get("exit_gates"), (*where, "exit_gates"))
            if "steps" in raw:
                self.steps(raw["steps"], (*where, "steps"))
            if "rollback" in raw:
                self.steps(raw["rollback"], (*where, "rollback"))
            if NOTES in raw:
                self.notes(raw[NOTES], (*where, NOTES))

    def migration(self, data: Mapping[str, Any]) -> None:
        wave = data.get("wave")
        if wave is not None and (not isinstance(wave, int) or isinstance(wave, bool) or wave < 1):
            self.problem(("wave",), f"wave is a number from 1, got {wave!r}")
        start = self.date(data["wave_start"], ("wave_start",)) if "wave_start" in data else None
        end = self.date(data["wave_end"], ("wave_end",)) if "wave_end" in data else None
        if start and end and start > end:
            self.problem(("wave_end",), f"wave ends {end} before it starts {start}")
        raw_stages = data.get("stages")
        if not isinstance(raw_stages, list):
            self.problem(("stages",), "a migration plan has stages: network, data, business")
            return
        seen: list[Stage] = []
        unknown = False
        statuses: dict[Stage, StageStatus] = {}
        previous_end: tuple[Stage, dt.date] | None = None
        for index, raw in enumerate(raw_stages):
            where: Where = ("stages", index)
            if not isinstance(raw, dict):
                self.problem(where, "a stage is a mapping with stage: and status:")
                continue
            self.keys(raw, where, STAGE_KEYS, what="a stage")
            stage = _enum(Stage, raw.get("stage"))
            if stage is None:
                self.problem((*where, "stage"), f"unknown stage {raw.get('stage')!r}: one of network, data, business")
                unknown = True
                continue
            if stage in seen:
                self.problem((*where, "stage"), f"stage {stage.value} appears twice")
                continue
            in_order = not seen or stage.order > seen[-1].order
            if not in_order:
                self.problem(
                    (*where, "stage"),
                    f"stage {stage.value} comes after {seen[-1].value}: the order is network, data, business",
                )
            seen.append(stage)
            status = self.status(raw.get("status", StageStatus.PENDING.value), (*where, "status"))
            if status is not None:
                statuses[stage] = status
            if "label" in raw:
                self.text(raw["label"], (*where, "label"), what="a label")
            stage_start = self.date(raw["target_start"], (*where, "target_start")) if "target_start" in raw else None
            stage_end = self.date(raw["target_end"], (*where, "target_end")) if "target_end" in raw else None
            if stage_start and stage_end and stage_start > stage_end:
                self.problem(
                    (*where, "target_end"), f"{stage.value} stage ends {stage_end} before it starts {stage_start}"
                )
            if stage_start and previous_end and in_order and stage_start < previous_end[1]:
                self.problem(
                    (*where, "target_start"),
                    f"{stage.value} stage starts {stage_start} before the {previous_end[0].value} stage ends "
                    f"{previous_end[1]}",
                )
            if stage_end:
                previous_end = (stage, stage_end)
            self.gates(raw.get("entry_gates"), (*where, "entry_gates"))
            self.gates(raw.get("exit_gates"), (*where, "exit_gates"))
            for key in ("steps", "cutover", "rollback"):
                if key in raw and raw[key] is not None:
                    self.steps(raw[key], (*where, key))
            if "cutover" in raw and stage is not Stage.BUSINESS:
                self.problem((*where, "cutover"), "only the business stage has a cut-over")
            if NOTES in raw:
                self.notes(raw[NOTES], (*where, NOTES))
            callers = raw.get("callers")
            if callers is not None:
                if stage is not Stage.BUSINESS:
                    self.problem((*where, "callers"), "only the business stage has callers")
                elif not isinstance(callers, list):
                    self.problem((*where, "callers"), "callers is a list of department codes")
                else:
                    for i, caller in enumerate(callers):
                        self.department(caller, (*where, "callers", i))
        missing = [s.value for s in STAGE_ORDER if s not in seen]
        if missing and not unknown:  # an unknown stage is most likely the missing one, misspelt
            self.problem(("stages",), f"missing stage(s): {', '.join(missing)}")
        for order in plans.statuses_in_order(statuses):
            index = next(
                (i for i, raw in enumerate(raw_stages) if isinstance(raw, dict) and raw.get("stage") == order.stage), 0
            )
            self.problem(("stages", index, "status"), f"statuses out of order: {order.message}")

    def decommission(self, data: Mapping[str, Any]) -> None:
        block = data.get("decommission")
        if not isinstance(block, dict):
            self.problem(("decommission",), "a decommission plan has a decommission: block")
            return
        where: Where = ("decommission",)
        self.keys(block, where, DECOMMISSION_KEYS, what="the decommission block")
        self.status(block.get("status", StageStatus.PENDING.value), (*where, "status"))
        if "target_date" in block:
            self.date(block["target_date"], (*where, "target_date"))
        if "reasons" in block:
            self.texts(block["reasons"], (*where, "reasons"))
        self.gates(block.get("entry_gates"), (*where, "entry_gates"))
        for key in ("steps", "rollback"):
            if key in block and block[key] is not None:
                self.steps(block[key], (*where, key))
        if NOTES in block:
            self.notes(block[NOTES], (*where, NOTES))
        dependents = block.get("dependents") or []
        if not isinstance(dependents, list):
            self.problem((*where, "dependents"), "dependents is a list of {system, repoint_to}")
            dependents = []
        for index, dependent in enumerate(dependents):
            spot: Where = (*where, "dependents", index)
            if not isinstance(dependent, dict):
                self.problem(spot, "a dependent is a mapping {system: X, repoint_to: Y}")
                continue
            self.keys(dependent, spot, DEPENDENT_KEYS, what="a dependent")
            self.system(dependent.get("system"), (*spot, "system"))
            if "department" in dependent:
                self.department(dependent["department"], (*spot, "department"))
            if "repoint_to" in dependent and dependent["repoint_to"] is not None:
                self.system(dependent["repoint_to"], (*spot, "repoint_to"))
        data_block = block.get("data")
        if data_block is None:
            return
        if not isinstance(data_block, dict):
            self.problem((*where, "data"), "data is a mapping {action: hand_over|archive, to: X, entries: [...]}")
            return
        self.keys(data_block, (*where, "data"), DATA_KEYS, what="the data block")
        if "action" in data_block and data_block["action"] not in DATA_ACTIONS:
            self.problem(
                (*where, "data", "action"), f"action {data_block['action']!r} is not one of {', '.join(DATA_ACTIONS)}"
            )
        if "to" in data_block and data_block["to"] is not None:
            self.system(data_block["to"], (*where, "data", "to"))
        if "entries" in data_block:
            self.texts(data_block["entries"], (*where, "data", "entries"))


def kind_of(data: Mapping[str, Any]) -> str:
    return plans.PlanKind.DECOMMISSION.value if "decommission" in data else plans.PlanKind.MIGRATION.value


def _enum(cls: type[Stage] | type[StageStatus], value: Any) -> Any:
    try:
        return cls(str(value))
    except ValueError:
        return None
