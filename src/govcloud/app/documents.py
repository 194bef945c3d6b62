"""Every JSON document the CLI prints, as plain data with stable keys and order. Application layer.

One module, so a key is named once and the JSON a machine reads never depends on which command printed it:
the assessment (``assess --format json``), the wave plan and write reports (``plan --format json``), the
census counts (``census summary --format json``) and the status (``status --format json``). Each function is
pure: it takes the typed results of a use case and returns dicts, lists, strings and numbers.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from govcloud import plain as plain_data
from govcloud.assessment.core.assessment import Assessment, DuplicatePair, SystemAssessment, count_assessment
from govcloud.census.core import census_values
from govcloud.core import model
from govcloud.core.settings import Settings
from govcloud.orchestration.core import status
from govcloud.planning.core import waves
from govcloud.planning.edges import department_plan_files, plan_files

# ---------------------------------------------------------------------------------------------------------
# govcloud assess --format json


def assessment_document(
    inventory: model.Inventory, result: Assessment, settings: Settings, *, codes: Sequence[str]
) -> dict[str, Any]:
    """The assessment as plain data with stable keys, in inventory order (pairs: highest score first)."""
    shown = set(codes)
    counts = dict.fromkeys((str(d) for d in model.Disposition), 0)
    proposed = dict.fromkeys((str(d) for d in model.Disposition), 0)
    for code in codes:
        decision = result.systems[code].decision
        counts[str(decision.disposition)] += 1
        if decision.proposed and decision.proposal is not None:
            proposed[str(decision.proposal.disposition)] += 1
    totals = count_assessment(result)
    return {
        "reference_date": _iso(result.reference_date),
        "settings": settings.model_dump(mode="json", include={"zombie", "duplicate", "cloud"}),
        "systems_assessed": len(codes),
        "counts": counts,
        "proposed": proposed,
        "figures": {name: number for name, number, _ in totals.rows()},
        "systems": [_system_data(inventory, result.systems[code]) for code in codes],
        "duplicate_pairs": [_pair_data(p) for p in result.duplicate_pairs if p.a in shown or p.b in shown],
    }


def _system_data(inventory: model.Inventory, item: SystemAssessment) -> dict[str, Any]:
    system = inventory.system_by_code[item.code]
    decision = item.decision
    override = decision.override
    return {
        "code": item.code,
        "name": system.name,
        "department": system.department,
        "disposition": str(decision.disposition),
        "merge_into": decision.merge_into,
        "overridden": decision.overridden,
        "override": None
        if override is None
        else {
            "disposition": str(override.disposition),
            "decided_by": override.decided_by,
            "decided_on": override.decided_on.isoformat(),
            "reason": override.reason,
            "merge_into": override.merge_into,
        },
        "reasons": list(decision.reasons),
        "proposal": None
        if decision.proposal is None
        else {
            "disposition": str(decision.proposal.disposition),
            "merge_into": decision.proposal.merge_into,
            "status": "confirmed" if decision.confirmed else "overridden" if decision.overridden else "proposed",
            "confirmed_by": decision.confirmation.confirmed_by if decision.confirmation else None,
            "confirmed_on": decision.confirmation.confirmed_on.isoformat() if decision.confirmation else None,
        },
        "zombie_verdict": None if item.weighing is None else str(item.weighing.verdict),
        "zombie_against": [] if item.weighing is None else list(item.weighing.against),
        "cloud_ready": item.cloud_ready,
        "blockers": [{"reason": str(b.reason), "evidence": b.evidence} for b in item.blockers],
        "zombie": [{"criterion": str(f.criterion), "evidence": f.evidence} for f in item.zombie],
        "duplicates": [
            {
                "other": d.other,
                "score": d.score,
                "within_department": d.within_department,
                "overlapping_terms": list(d.overlapping_terms),
            }
            for d in item.duplicates
        ],
    }


def _pair_data(pair: DuplicatePair) -> dict[str, Any]:
    return {
        "a": pair.a,
        "b": pair.b,
        "score": pair.score,
        "within_department": pair.within_department,
        "overlapping_terms": list(pair.overlapping_terms),
    }


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


# ---------------------------------------------------------------------------------------------------------
# govcloud plan --format json


def wave_plan_json(wave_plan: waves.WavePlan) -> dict[str, Any]:
    return {
        "settings": wave_plan.settings.model_dump(mode="json"),
        "edges": wave_plan.edges,
        "waves": [
            {
                "number": w.number,
                "start": w.start.isoformat(),
                "end": w.end.isoformat(),
                "systems": list(w.systems),
                "cpu": w.cpu,
                "memory_gib": w.memory_gib,
            }
            for w in wave_plan.waves
        ],
        "placements": {
            code: {"wave": p.wave, "reasons": list(p.reasons), "providers": list(p.providers), "cycle": list(p.cycle)}
            for code, p in wave_plan.placements.items()
        },
        "cycles": [{"systems": list(c.systems), "path": list(c.path), "wave": c.wave} for c in wave_plan.cycles],
        "oversized": [plain_data.plain(o) for o in wave_plan.oversized],
        "freeze_deferrals": [plain_data.plain(d) for d in wave_plan.deferrals],
        "capacity_pushed": wave_plan.capacity_pushed,
        "decommissions": {code: plain_data.plain(d) for code, d in wave_plan.decommissions.items()},
        "held": [plain_data.plain(h) for h in wave_plan.held],
        "frozen_waves": {
            str(n): {"start": s.isoformat(), "end": e.isoformat(), "why": wave_plan.freeze.why.get(n, "")}
            for n, (s, e) in sorted(wave_plan.freeze.waves.items())
        }
        if wave_plan.freeze
        else {},
        "held_back": [{**plain_data.plain(h), "message": h.render()} for h in wave_plan.held_back],
        "frozen_order": list(wave_plan.frozen_order),
        "intranet_moves": {code: plain_data.plain(m) for code, m in wave_plan.intranet_moves.items()},
    }


def write_documents(
    written: plan_files.WriteReport, departments: department_plan_files.DepartmentWriteReport
) -> dict[str, Any]:
    """What ``plan --write`` wrote: the system plans' and the department plans' write reports.

    The tracking a write hands on to the department plans is what the files now say, not what was written:
    it stays out of the document.
    """
    systems = {key: value for key, value in plain_data.plain(written).items() if key != "tracking"}
    return {"write": systems, "write_departments": plain_data.plain(departments)}


# ---------------------------------------------------------------------------------------------------------
# govcloud census summary --format json


UNGRADED = "未定级"
NOT_GIVEN = "未填写"


def summarise_census(inventory: model.Inventory) -> dict[str, Any]:
    """Census counts as plain data with a stable layout: every enum value appears, in enum order."""
    systems = inventory.systems
    entries = inventory.catalogue
    entries_by_provider = Counter(e.provider for e in entries)
    items_by_provider: Counter[str] = Counter()
    for entry in entries:
        items_by_provider[entry.provider] += len(entry.data_items)
    systems_by_department = Counter(s.department for s in systems)
    return {
        "city": inventory.city.name,
        "census_date": inventory.city.census_date.isoformat(),
        "totals": {
            "departments": len(inventory.departments),
            "systems": len(systems),
            "catalogue_entries": len(entries),
            "data_items": sum(items_by_provider.values()),
        },
        "departments": [
            {
                "code": d.code,
                "name": d.name,
                "systems": systems_by_department[d.code],
                "catalogue_entries": entries_by_provider[d.code],
                "data_items": items_by_provider[d.code],
            }
            for d in sorted(inventory.departments, key=lambda d: d.code)
        ],
        "systems_by_carrying_network": _enum_counts(model.CarryingNetwork, (s.carrying_network for s in systems)),
        "systems_by_mlps_level": {
            **{census_values.format_mlps_level(level): 0 for level in (1, 2, 3, 4, 5, None)},
            **_ordered_counts(census_values.format_mlps_level(s.mlps_level) for s in systems),
        },
        "systems_by_deployment": _enum_counts(model.Deployment, (s.deployment for s in systems)),
        "systems_by_build_funding": _ordered_counts(s.build_funding or NOT_GIVEN for s in systems),
        "systems_by_om_funding": _ordered_counts(s.om_funding or NOT_GIVEN for s in systems),
        "entries_by_sharing_type": _enum_counts(model.SharingType, (e.sharing.type for e in entries)),
        "entries_by_open": {
            "开放": sum(1 for e in entries if e.open.open),
            "不开放": sum(1 for e in entries if not e.open.open),
        },
    }


def _enum_counts(enum_type: type[enum.StrEnum], values: Iterable[enum.StrEnum]) -> dict[str, int]:
    counts = Counter(values)
    return {member.value: counts[member] for member in enum_type}


def _ordered_counts(values: Iterable[str]) -> dict[str, int]:
    """Counts, largest first, ties by name: stable for the same inventory."""
    counts = Counter(values)
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


# ---------------------------------------------------------------------------------------------------------
# govcloud status --format json


def status_document(
    *,
    today: dt.date,
    source: str,
    ledger_backed: bool,
    rows: Sequence[status.StatusRow],
    by_wave: Sequence[status.Rollup],
    by_department: Sequence[status.Rollup],
) -> dict[str, Any]:
    """The status rows shown and both roll-ups."""
    return {
        "today": today.isoformat(),
        "source": source,
        "ledger_backed": ledger_backed,
        "rows": [r.to_json() for r in rows],
        "waves": [r.to_json() for r in by_wave],
        "departments": [r.to_json() for r in by_department],
    }
