"""One "who calls whom": ``Inventory.calls`` / ``callers_by_provider`` equal each computation they replaced.

The reference functions below are the computations as they stood in ``planning.core.plans.Dependents``,
``assessment.core.assess.dependents_of``, ``reporting.core.figures._cross_department_pairs`` and
``planning.core.waves.build_dependency_graph`` before they were made to read the model's one computation;
they are the oracle, run on the bundled city and on generated cities with planted edge cases.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from govcloud.assessment.core import assess
from govcloud.core import example, model
from govcloud.edges import inventory_files
from govcloud.planning.core import plans, waves
from govcloud.reporting.core import figures

# ---------------------------------------------------------------------------------------------------------
# The old computations, verbatim in substance


def _old_dependents(inventory: model.Inventory) -> dict[str, tuple[str, ...]]:
    found: dict[str, set[str]] = {}
    entries = inventory.entry_by_code
    for system in inventory.systems:
        for provider in system.depends_on:
            if provider != system.code:
                found.setdefault(provider, set()).add(system.code)
        for code in system.consumes:
            entry = entries.get(code)
            if entry is not None and entry.system is not None and entry.system != system.code:
                found.setdefault(entry.system, set()).add(system.code)
    return {code: tuple(sorted(callers)) for code, callers in found.items()}


def _old_cross_department_pairs(inventory: model.Inventory) -> set[tuple[str, str]]:
    systems = inventory.system_by_code
    entries = inventory.entry_by_code
    pairs: set[tuple[str, str]] = set()
    for system in inventory.systems:
        providers = set(system.depends_on)
        for code in system.consumes:
            entry = entries.get(code)
            if entry is not None and entry.system is not None:
                providers.add(entry.system)
        for provider in providers:
            target = systems.get(provider)
            if target is not None and provider != system.code and target.department != system.department:
                pairs.add((system.code, provider))
    return pairs


def _old_graph_edges(inventory: model.Inventory) -> list[tuple[str, str, dict[str, Any]]]:
    edges: dict[tuple[str, str], dict[str, Any]] = {}
    known = inventory.system_by_code
    entries = inventory.entry_by_code
    for system in inventory.systems:
        for provider in system.depends_on:
            if provider in known and provider != system.code:
                edges[system.code, provider] = {"declared": True, "entries": []}
        for code in system.consumes:
            entry = entries.get(code)
            if entry is None or entry.system is None or entry.system == system.code or entry.system not in known:
                continue
            if (system.code, entry.system) in edges:
                edges[system.code, entry.system]["entries"].append(code)
            else:
                edges[system.code, entry.system] = {"declared": False, "entries": [code]}
    return [(a, b, data) for (a, b), data in edges.items()]


# ---------------------------------------------------------------------------------------------------------
# The cities


def _planted(city: example.ExampleCity) -> model.Inventory:
    """A city with the edge cases: a self-call, an unknown provider, an entry without a system, consumed entries
    of a provider it also declares, and entries of itself."""
    inventory = city.inventory
    systems = list(inventory.systems)
    first, second, third = systems[0], systems[1], systems[2]
    own = [e.code for e in inventory.entries_of_system.get(first.code, ())]
    theirs = [e.code for e in inventory.entries_of_system.get(second.code, ())]
    orphan = inventory.catalogue[-1].model_copy(update={"code": "ORPHAN-ENTRY", "system": None})
    systems[0] = first.model_copy(
        update={
            "depends_on": (first.code, "ZZZ-404", second.code),
            "consumes": (*own, *theirs, orphan.code, "NO-SUCH-ENTRY"),
        }
    )
    systems[2] = third.model_copy(update={"depends_on": (), "consumes": tuple(theirs)})
    return inventory.model_copy(update={"systems": tuple(systems), "catalogue": (*inventory.catalogue, orphan)})


@pytest.fixture(scope="module", params=["bundled", "generated", "planted"])
def inventory(request: pytest.FixtureRequest) -> model.Inventory:
    if request.param == "bundled":
        root = Path(__file__).resolve().parents[1] / "inventory"
        return inventory_files.load_inventory(root).inventory
    city = example.generate_city(systems=150, seed=11)
    return city.inventory if request.param == "generated" else _planted(city)


def test_callers_by_provider_equals_the_old_dependents(inventory: model.Inventory) -> None:
    assert dict(inventory.callers_by_provider) == _old_dependents(inventory)
    assert plans.Dependents.of_inventory(inventory).of == _old_dependents(inventory)
    assert assess.dependents_of(inventory) == _old_dependents(inventory)


def test_the_report_pairs_equal_the_old_computation(inventory: model.Inventory) -> None:
    assert figures._cross_department_pairs(inventory) == _old_cross_department_pairs(inventory)


def test_the_dependency_graph_equals_the_old_one_edge_for_edge_in_order(inventory: model.Inventory) -> None:
    graph = waves.build_dependency_graph(inventory)
    assert list(graph.edges(data=True)) == _old_graph_edges(inventory)
    assert list(graph.nodes) == [s.code for s in inventory.systems]


def test_the_planted_cases_say_what_they_mean() -> None:
    """Self-calls and unknown entries name no caller; an unknown provider still has its callers listed."""
    planted = _planted(example.generate_city(systems=150, seed=11))
    first, second, third = planted.systems[:3]
    callers = planted.callers_by_provider
    assert first.code not in callers.get(first.code, ())
    assert callers["ZZZ-404"] == (first.code,)
    (call,) = [c for c in planted.calls if c.caller == first.code and c.provider == second.code]
    assert call.declared
    assert call.entries == tuple(e.code for e in planted.entries_of_system[second.code])
    assert call.entries  # the planted city gives the provider entries, so this pair is both declared and consumed
    (consumed,) = [c for c in planted.calls if c.caller == third.code]
    assert (consumed.provider, consumed.declared) == (second.code, False)
    assert "ORPHAN-ENTRY" in planted.entry_by_code  # consumed, but it names no provider: no call
