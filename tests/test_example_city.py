"""The example city: deterministic, the source of the bundled inventory, big enough, planted cases true."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import write_city
from govcloud.core import example, model, settings
from govcloud.edges import inventory_files

GOVCLOUD = Path(sys.executable).with_name("govcloud")
PLANTED_KINDS = {
    "zombie_detached",
    "zombie_replaceable",
    "zombie_idle",
    "zombie_unmaintained",
    "zombie_small_scope",
    "duplicate_within",
    "duplicate_across",
    "lookalike_not_duplicate",
    "not_ready_classified",
    "not_ready_mlps",
    "not_ready_platform",
    "not_ready_hardware",
    "not_ready_licence",
    "not_ready_vendor",
    "override",
    "freeze_window",
    "cycle",
    "duplicate_same_function",
    "lookalike_hard",
    "classified_on_private_network",
}


def _texts(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): p.read_text(encoding="utf-8") for p in sorted(root.rglob("*.yaml"))}


@pytest.fixture(scope="module")
def default_city() -> example.ExampleCity:
    """The city of ``govcloud example``'s default arguments (the bundled inventory's source)."""
    return example.generate_city()


@pytest.fixture(scope="module")
def bundled(bundled_inventory: Path) -> model.Inventory:
    return inventory_files.load_inventory(bundled_inventory).inventory


# ---------------------------------------------------------------------------------------------------------
# Determinism and the bundled inventory


def test_same_seed_gives_identical_yaml(small_city: example.ExampleCity, tmp_path: Path) -> None:
    first = _texts(write_city(small_city, tmp_path / "a"))
    second = _texts(write_city(example.generate_city(systems=120, seed=3), tmp_path / "b"))
    assert len(first) == 48
    assert first == second


def test_another_seed_gives_another_city(small_city: example.ExampleCity, tmp_path: Path) -> None:
    first = _texts(write_city(small_city, tmp_path / "a"))
    other = _texts(write_city(example.generate_city(systems=120, seed=4), tmp_path / "b"))
    assert first.keys() == other.keys()  # same departments
    changed = [name for name in first if first[name] != other[name]]
    assert len(changed) > len(first) // 2


def test_bundled_inventory_is_govcloud_example_with_default_arguments(bundled_inventory: Path, tmp_path: Path) -> None:
    out = tmp_path / "generated"
    result = subprocess.run(
        [str(GOVCLOUD), "example", "--out", str(out)], capture_output=True, text=True, check=False, timeout=120
    )
    assert result.returncode == 0, result.stderr
    generated, bundled = _texts(out), _texts(bundled_inventory)
    assert sorted(generated) == sorted(bundled)
    differing = [name for name in bundled if bundled[name] != generated[name]]
    assert differing == [], "regenerate with `govcloud example --out inventory`"


def test_example_defaults_are_the_documented_ones() -> None:
    result = subprocess.run([str(GOVCLOUD), "example", "--help"], capture_output=True, text=True, check=True)
    help_text = " ".join(result.stdout.split())
    assert "320" in help_text
    assert "7" in help_text
    assert example.generate_city.__kwdefaults__ == {"systems": 320, "seed": 7, "entries_per_system": None}


# ---------------------------------------------------------------------------------------------------------
# Size and validity


def test_bundled_inventory_is_big_enough(bundled: model.Inventory) -> None:
    assert len(bundled.departments) >= 40
    assert len(bundled.systems) >= 300
    assert len(bundled.catalogue) >= 1500


def test_generated_city_loads_back_unchanged(small_city: example.ExampleCity, tmp_path: Path) -> None:
    loaded = inventory_files.load_inventory(write_city(small_city, tmp_path)).inventory
    generated = small_city.inventory
    assert (loaded.city, loaded.network, loaded.hosts) == (generated.city, generated.network, generated.hosts)
    # files are read in name order, the generator makes departments in its own order
    assert loaded.department_by_code == generated.department_by_code
    assert loaded.system_by_code == generated.system_by_code
    assert loaded.entry_by_code == generated.entry_by_code


def test_generated_city_is_valid_on_its_census_date(tmp_path: Path) -> None:
    city = example.generate_city(systems=200, seed=11)
    inventory_files.load_inventory(write_city(city, tmp_path), today=example.CENSUS_DATE)


def test_entries_per_system_sets_the_catalogue_size() -> None:
    city = example.generate_city(systems=80, seed=2, entries_per_system=3)
    assert len(city.inventory.catalogue) == 240
    assert all(e.data_items for e in city.inventory.catalogue)


def test_every_kind_of_shareable_and_not_shareable_entry_exists(bundled: model.Inventory) -> None:
    assert {e.sharing.type for e in bundled.catalogue} == set(model.SharingType)
    assert {e.category for e in bundled.catalogue} == set(model.ResourceCategory)
    assert any(e.open.open for e in bundled.catalogue)


# ---------------------------------------------------------------------------------------------------------
# Planted cases: listed, and true of the inventory


def test_bundled_city_plants_every_kind(default_city: example.ExampleCity, bundled: model.Inventory) -> None:
    assert set(default_city.planted) == PLANTED_KINDS
    empty = [kind for kind, planted in default_city.planted.items() if not planted]
    assert empty == []
    for kind, planted in default_city.planted.items():
        for item in planted:
            for code in item.split("~"):
                known = bundled.department_by_code if kind == "freeze_window" else bundled.system_by_code
                assert code in known, (kind, code)


def _planted_systems(city: example.ExampleCity, inv: model.Inventory, kind: str) -> list[model.System]:
    return [inv.system_by_code[code] for code in city.planted[kind]]


def test_planted_not_ready_systems_are_not_ready_for_their_reason(
    default_city: example.ExampleCity, bundled: model.Inventory
) -> None:
    def planted(kind: str) -> list[model.System]:
        return _planted_systems(default_city, bundled, kind)

    for s in planted("not_ready_platform"):
        assert s.cpu_arch in {model.CpuArch.MINICOMPUTER, model.CpuArch.MAINFRAME}
        assert s.cloud is None
    for s in planted("not_ready_classified"):
        assert s.classified
        assert s.carrying_network is model.CarryingNetwork.INTRANET
        assert s.cloud is None
        assert s.code not in bundled.entries_of_system
    for s in planted("classified_on_private_network"):  # the intranet stream's: they move onto the intranet
        assert s.classified
        assert s.carrying_network in {model.CarryingNetwork.PRIVATE, model.CarryingNetwork.LAN}
        assert s.cloud is None
        assert s.code not in bundled.entries_of_system
        assert bundled.intranet_zone_of_system(s) is not None
    for s in planted("not_ready_mlps"):
        assert s.mlps_level is not None
        assert s.mlps_level > settings.CloudSettings().mlps_level
    for s in planted("not_ready_hardware"):
        assert s.special_hardware
    for s in planted("not_ready_licence"):
        assert not s.licence_allows_virtualisation
    for s in planted("not_ready_vendor"):
        assert s.vendor_support is model.VendorSupport.ENDED
    ordinary = [s for s in bundled.systems if s.code not in {c for v in default_city.planted.values() for c in v}]
    assert all(s.cpu_arch is model.CpuArch.X86 and not s.classified for s in ordinary)


def test_planted_zombies_meet_their_criterion(default_city: example.ExampleCity, bundled: model.Inventory) -> None:
    census = bundled.city.census_date
    for s in _planted_systems(default_city, bundled, "zombie_idle"):
        assert s.avg_cpu_percent is not None
        assert s.avg_cpu_percent < 5
    for s in _planted_systems(default_city, bundled, "zombie_unmaintained"):
        assert s.vendor_support is model.VendorSupport.VENDOR_GONE
        assert s.last_update is not None
        assert census - s.last_update > dt.timedelta(days=3 * 365)
    for s in _planted_systems(default_city, bundled, "zombie_small_scope"):
        assert (s.scope, s.frequency) == (model.Scope.INTERNAL, model.Frequency.RARELY)
    for s in _planted_systems(default_city, bundled, "zombie_detached"):
        assert s.frequency is model.Frequency.YEARLY
        assert s.monthly_active_users is not None
        assert s.monthly_active_users < 25
    within = {pair.split("~")[0] for pair in default_city.planted["duplicate_within"]}
    assert set(default_city.planted["zombie_replaceable"]) <= within


def test_planted_duplicates_and_lookalikes(default_city: example.ExampleCity, bundled: model.Inventory) -> None:
    systems = bundled.system_by_code
    for kind, same_department in (("duplicate_within", True), ("duplicate_across", False)):
        for pair in default_city.planted[kind]:
            dup, original = (systems[c] for c in pair.split("~"))
            assert (dup.department == original.department) is same_department
            assert dup.name != original.name or dup.function != original.function
    for pair in default_city.planted["lookalike_not_duplicate"]:
        a, b = (systems[c] for c in pair.split("~"))
        assert "车辆" in a.name
        assert "车辆" in b.name
        assert a.function != b.function


def test_planted_decisions_cycles_and_freeze_windows(
    default_city: example.ExampleCity, bundled: model.Inventory
) -> None:
    for code in default_city.planted["override"]:
        override = bundled.system_by_code[code].disposition_override
        assert override is not None
        assert override.reason
    for pair in default_city.planted["cycle"]:
        a, b = (bundled.system_by_code[c] for c in pair.split("~"))
        assert b.code in a.depends_on
        assert a.code in b.depends_on
    for code in default_city.planted["freeze_window"]:
        assert bundled.department_by_code[code].freeze_windows
