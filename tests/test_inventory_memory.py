"""A cold load's records share their fields-set objects, and stay equal to freshly validated ones."""

from __future__ import annotations

from pathlib import Path

import pydantic

from conftest import write_city
from govcloud.core import example, model
from govcloud.edges import inventory_files, yamlio


def _models(root: pydantic.BaseModel) -> list[pydantic.BaseModel]:
    found: list[pydantic.BaseModel] = []
    stack: list[object] = [root]
    while stack:
        item = stack.pop()
        if isinstance(item, pydantic.BaseModel):
            found.append(item)
            stack.extend(item.__dict__.values())
        elif isinstance(item, tuple | list):
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
    return found


def test_cold_loaded_records_share_one_fields_set_per_shape_and_equal_fresh_ones(tmp_path: Path) -> None:
    write_city(example.generate_city(systems=60, seed=3), tmp_path / "inventory")
    loaded = inventory_files.load_inventory(tmp_path / "inventory", use_cache=False)
    department_files = sorted((tmp_path / "inventory" / "departments").glob("*.yaml"))
    fresh = [model.DepartmentFile.model_validate(yamlio.read_fast(p.read_text())) for p in department_files]

    systems = loaded.inventory.systems
    assert systems == tuple(s for f in fresh for s in f.systems)
    assert loaded.inventory.catalogue == tuple(e for f in fresh for e in f.catalogue)

    models = [m for system in systems for m in _models(system)]
    by_shape: dict[tuple[type, frozenset[str]], set[int]] = {}
    for m in models:
        by_shape.setdefault((type(m), frozenset(m.model_fields_set)), set()).add(id(m.model_fields_set))
    assert all(len(ids) == 1 for ids in by_shape.values())
    assert len(by_shape) < len(models) / 2  # shapes repeat: the sharing is real
    # a fresh validation still gets its own set: sharing happens only in the loader
    assert fresh[0].systems[0].model_fields_set is not systems[0].model_fields_set
    assert fresh[0].systems[0].model_fields_set == systems[0].model_fields_set


def test_a_copy_of_a_shared_record_does_not_change_the_others(tmp_path: Path) -> None:
    write_city(example.generate_city(systems=20, seed=4), tmp_path / "inventory")
    systems = inventory_files.load_inventory(tmp_path / "inventory", use_cache=False).inventory.systems
    same = [s for s in systems[1:] if s.model_fields_set is systems[0].model_fields_set]
    assert same
    before = set(same[0].model_fields_set)
    copied = systems[0].model_copy(update={"name": "renamed"})
    assert copied.name == "renamed"
    assert same[0].model_fields_set == before
    assert systems[0].model_fields_set == before
