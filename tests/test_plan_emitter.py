"""The fast emitter of new plan files writes the very bytes ruamel's round-trip dump writes.

Compared byte for byte with ``plan_files.render_new_roundtrip`` (ruamel) on random plans whose texts are built
to reach every style decision and fold (quotes, indicators, ``: `` and `` #``, text that reads as a number, a
date or a bool, edge spaces, ideographs, tabs and control characters, words longer than a line, lines just
under and over the width), and on every plan of the bundled inventory.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import confirm_every_proposal
from govcloud.app import planning
from govcloud.core import model
from govcloud.core.settings import Settings
from govcloud.edges import inventory_files, yamlio
from govcloud.planning.core import plans
from govcloud.planning.core.stages import Stage, StageStatus
from govcloud.planning.edges import department_plan_files, plan_emitter, plan_files

RELAXED = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)

_PIECES = st.sampled_from(
    [
        "a", "set", "x86", "GAJ-001", "网络通", "系统", " ", "  ", ": ", " #", "#", "'", '"', "-", "- ", "?", ",",
        "[", "]", "{", "}", "&", "*", "!", "|", ">", "%", "@", "`", "\t", "\\", "(", ")", "/", ".", "_", "–",
        "\x07", "\xa0", "\u2028", "\n", "true", "null", "1", "0x1F", "2027-01-29", "1e3", "~", "x" * 40,
        "ansible-playbook playbooks/system_network_stage.yml -e system=GAJ-001",
    ]
)  # fmt: skip
_NEAR_WIDTH = (
    st.integers(70, 125)
    .flatmap(
        lambda size: st.lists(st.sampled_from(["a", "b", "网", " ", "'", "c: ", "-"]), min_size=size, max_size=size)
    )
    .map(lambda chars: "x" + "".join(chars))
)
"""Texts whose line ends just under, at or just over the width of 120, where a scalar starts to fold."""
TEXT = st.one_of(st.lists(_PIECES, min_size=1, max_size=24).map("".join), _NEAR_WIDTH)
SHORT = st.one_of(TEXT, st.sampled_from(["GAJ", "RSJ", "a b", "5513e219", "007", "yes", "on", "-1", "1.5"]))
LINE = TEXT.filter(lambda text: not any(ch in text for ch in "\n\r\x85\u2028\u2029"))
DATES = st.dates(dt.date(2026, 1, 1), dt.date(2030, 12, 31))

GATES = st.builds(
    plans.Gate,
    gate=st.sampled_from(plans.GateKind),
    system=SHORT,
    stage=st.none() | st.sampled_from(Stage),
    entries=st.none() | st.just("all") | st.lists(SHORT, max_size=12).map(tuple),
)
STEPS = st.builds(plans.Step, do=TEXT, run=st.none() | TEXT, objects=st.lists(SHORT, max_size=3).map(tuple))
STEP_LISTS = st.lists(STEPS, max_size=3).map(tuple)


@st.composite
def stage_plans(draw: st.DrawFn, stage: Stage) -> plans.StagePlan:
    start = draw(DATES)
    # the same date object twice: ruamel writes an anchor and an alias, so the fast emitter must hand it over
    end = start if draw(st.booleans()) else start + dt.timedelta(days=draw(st.integers(1, 40)))
    return plans.StagePlan(
        stage=stage,
        status=draw(st.sampled_from(StageStatus)),
        target_start=start,
        target_end=end,
        entry_gates=tuple(draw(st.lists(GATES, max_size=3))),
        exit_gates=tuple(draw(st.lists(GATES, max_size=2))),
        steps=draw(STEP_LISTS),
        cutover=draw(STEP_LISTS),
        rollback=draw(STEP_LISTS),
        callers=draw(st.none() | st.lists(SHORT, max_size=30).map(tuple)),
    )


@st.composite
def system_plans(draw: st.DrawFn) -> plans.SystemPlan:
    kind = draw(st.sampled_from(plans.PlanKind))
    owner = draw(st.none() | st.builds(plans.Owner, name=SHORT, role=st.none() | SHORT, phone=st.none() | SHORT))
    common = {
        "system": draw(st.sampled_from(["GAJ-001", "MZJ-017", "WJW-120"])),
        "name": draw(LINE),
        "department": draw(SHORT),
        "disposition": draw(st.sampled_from(model.Disposition)),
        "disposition_reasons": tuple(draw(st.lists(TEXT, max_size=3))),
        "kind": kind,
        "merge_into": draw(st.none() | SHORT),
        "owner": owner,
        "intranet_zone": draw(st.none() | SHORT),
        "leaves": draw(st.none() | SHORT),
    }
    if kind is plans.PlanKind.DECOMMISSION:
        dependents = st.builds(plans.Repointing, system=SHORT, department=SHORT, repoint_to=st.none() | SHORT)
        data = st.builds(
            plans.DataDisposal,
            action=st.sampled_from(["hand_over", "archive"]),
            to=st.none() | SHORT,
            entries=st.lists(SHORT, max_size=4).map(tuple),
        )
        decommission = plans.DecommissionPlan(
            status=draw(st.sampled_from(StageStatus)),
            target_date=draw(DATES),
            reasons=tuple(draw(st.lists(TEXT, max_size=2))),
            entry_gates=tuple(draw(st.lists(GATES, max_size=2))),
            dependents=tuple(draw(st.lists(dependents, max_size=3))),
            data=draw(data),
            steps=draw(STEP_LISTS),
            rollback=draw(STEP_LISTS),
        )
        return plans.SystemPlan(**common, decommission=decommission)
    start = draw(DATES)
    stages = [draw(stage_plans(stage)) for stage in draw(st.sampled_from([Stage, (Stage.NETWORK,)]))]
    return plans.SystemPlan(
        **common,
        wave=draw(st.integers(1, 200)),
        wave_start=start,
        wave_end=start + dt.timedelta(days=27),
        wave_reasons=tuple(draw(st.lists(TEXT, max_size=2))),
        stages=tuple(stages),
    )


def _fast(plan: plans.SystemPlan) -> str:
    """The fast emitter alone (no fallback), as ``render_new`` calls it."""
    document = plan_files.plan_document(plan)
    prints = {key: plan_files.fingerprint(value) for key, value in plan_files.atoms_of(document).items()}
    return plan_emitter.emit_plan(
        document,
        header=plan_files.HEADER.format(code=plan.system, name=plan.name),
        generated_key=plan_files.GENERATED,
        generated_comment=plan_files.GENERATED_COMMENT,
        prints=sorted(prints.items(), key=lambda item: plan_files._atom_rank(item[0])),
    )


def _shares_a_date(value: object, seen: set[int] | None = None) -> bool:
    """Whether one date object appears twice in a plan document."""
    seen = set() if seen is None else seen
    if isinstance(value, dict):
        return any(_shares_a_date(v, seen) for v in value.values())
    if isinstance(value, list):
        return any(_shares_a_date(v, seen) for v in value)
    if isinstance(value, dt.date):
        if id(value) in seen:
            return True
        seen.add(id(value))
    return False


@RELAXED
@given(system_plans())
def test_fast_emitter_writes_ruamels_bytes_for_random_plans(plan: plans.SystemPlan) -> None:
    expected = plan_files.render_new_roundtrip(plan)
    if _shares_a_date(plan_files.plan_document(plan)):
        with pytest.raises(plan_emitter.Unsupported):
            _fast(plan)  # ruamel anchors the shared date: written by ruamel
    else:
        assert _fast(plan) == expected
    assert plan_files.render_new(plan) == expected


def test_a_date_object_written_twice_is_left_to_ruamel_which_anchors_it(
    bundled_plans: tuple[plans.SystemPlan, ...],
) -> None:
    plan = next(p for p in bundled_plans if p.stages and p.wave_end is not None)
    shared = plan.model_copy(update={"wave_end": plan.stages[-1].target_end})
    expected = plan_files.render_new_roundtrip(shared)
    assert "&id001" in expected
    with pytest.raises(plan_emitter.Unsupported):
        _fast(shared)
    assert plan_files.render_new(shared) == expected


@pytest.fixture(scope="module")
def bundled_plans(bundled_inventory: Path) -> tuple[plans.SystemPlan, ...]:
    """Every plan of the bundled inventory, with every 下线/整合 proposal confirmed (so decommissions too)."""
    inventory = inventory_files.load_inventory(bundled_inventory).inventory
    settings = Settings()
    assessment, _ = confirm_every_proposal(inventory, settings)
    return planning.plans_to_write(planning.plan_assessed(inventory, settings, assessment, freeze=None))


def test_fast_emitter_writes_ruamels_bytes_for_every_plan_of_the_bundled_inventory(
    bundled_plans: tuple[plans.SystemPlan, ...],
) -> None:
    kinds = {plan.kind for plan in bundled_plans}
    assert len(bundled_plans) > 300
    assert {plans.PlanKind.MIGRATION, plans.PlanKind.DECOMMISSION} <= kinds
    differing = [plan.system for plan in bundled_plans if _fast(plan) != plan_files.render_new_roundtrip(plan)]
    assert differing == []


def test_new_department_plans_are_ruamels_bytes_without_falling_back(
    bundled_plans: tuple[plans.SystemPlan, ...], bundled_inventory: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inventory = inventory_files.load_inventory(bundled_inventory).inventory
    settings = Settings()
    assessment, _ = confirm_every_proposal(inventory, settings)
    planned = planning.plan_assessed(inventory, settings, assessment, freeze=None)
    department_plans = department_plan_files.plans_for(inventory, planned.wave_plan, Path("/nonexistent"), settings)
    assert len(department_plans) > 20
    expected = [department_plan_files.render_new_roundtrip(plan) for plan in department_plans]

    def refuse(*args: object, **kwargs: object) -> str:
        raise AssertionError("fell back to ruamel")

    monkeypatch.setattr(department_plan_files, "render_new_roundtrip", refuse)
    assert [department_plan_files.render_new(plan) for plan in department_plans] == expected


def test_a_new_plan_file_reads_back_as_its_document(bundled_plans: tuple[plans.SystemPlan, ...]) -> None:
    plan = bundled_plans[0]
    data = yamlio.read_fast(plan_files.render_new(plan))
    generated = data.pop(plan_files.GENERATED)
    assert data == yamlio.read_fast(yamlio.dump_fast(plan_files.plan_document(plan)))
    assert generated == {k: plan_files.fingerprint(v) for k, v in plan_files.atoms_of(data).items()}


@pytest.mark.parametrize(
    "document",
    [{"system": "A", "note": None}, {"system": "A", "share": 0.5}, {"system": "A", "name": ""}, {1: "a"}],
    ids=["none", "float", "empty-string", "int-key"],
)
def test_content_outside_the_subset_is_refused_so_ruamel_writes_it(document: dict[object, object]) -> None:
    with pytest.raises(plan_emitter.Unsupported):
        plan_emitter.emit_plan(document, header="h", generated_key="generated", generated_comment="c", prints=())  # type: ignore[arg-type]


@pytest.mark.parametrize("name", ["两行\n#名称", "两行\u2028名称", "名称\r"])
def test_a_header_ruamel_would_write_differently_falls_back_to_ruamel(
    bundled_plans: tuple[plans.SystemPlan, ...], name: str
) -> None:
    plan = bundled_plans[0].model_copy(update={"name": name})
    with pytest.raises(plan_emitter.Unsupported):
        _fast(plan)
    assert plan_files.render_new(plan) == plan_files.render_new_roundtrip(plan)


def test_a_name_with_a_line_break_is_two_comment_lines_as_ruamel_writes_them(
    bundled_plans: tuple[plans.SystemPlan, ...],
) -> None:
    plan = bundled_plans[0].model_copy(update={"name": "两行\n名称"})
    assert _fast(plan).startswith(f"# Plan of {plan.system} 两行\n# 名称, written by")
    assert _fast(plan) == plan_files.render_new_roundtrip(plan)
