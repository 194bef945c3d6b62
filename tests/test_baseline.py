"""Started waves are frozen: ``plan baseline`` records them, ``plan --write`` never moves a system into or out of them.

On tmp copies of the bundled inventory and plans (wave 1 has started: a lead recorded progress on eight of its
systems). The census is then changed so that re-planning *would* move wave-1 systems: one's department
declares a freeze window over wave 1, another is overridden to 下线. A control run on the same census with no
progress shows they do move; with the progress (baselined or not) they stay, and ``plan --write`` says what it
held back. ``--today 2026-06-30`` (the census date) keeps the assessment as the bundled plans were computed, so
only the census change differs.

Systems are picked from the data by what the test needs (a started plan, a system that can be retired), not by
code, so that regenerating the bundled data does not silently take a test's subject away.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from govcloud.assessment.core import assess
from govcloud.cli import app
from govcloud.core import example, model
from govcloud.core.settings import Settings, WaveSettings
from govcloud.edges import inventory_files, settings_file, yamlio
from govcloud.errors import InputError
from govcloud.planning.core import baseline as baselines
from govcloud.planning.core import plans, stages, waves
from govcloud.planning.edges import baseline_file, plan_progress

REPO = Path(__file__).resolve().parents[1]
CENSUS_DAY = "2026-06-30"
runner = CliRunner()


class Workspace:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.inventory = root / "inventory"
        self.plans = root / "migrations_plan"

    def govcloud(self, *arguments: str, today: str = CENSUS_DAY) -> Any:
        options = ["-i", str(self.inventory), "-p", str(self.plans), "--today", today]
        return runner.invoke(app, [*arguments, *options], catch_exceptions=False)

    def plan(self, code: str) -> dict[str, Any]:
        data: dict[str, Any] = yamlio.read_fast((self.plans / f"{code}.yaml").read_text(encoding="utf-8"))
        return data

    def texts(self) -> dict[str, str]:
        return {p.name: p.read_text(encoding="utf-8") for p in sorted(self.plans.glob("*.yaml"))}

    def wave(self, number: int) -> set[str]:
        found = set()
        for path in plan_progress.plan_paths(self.plans):
            data = yamlio.read_fast(path.read_text(encoding="utf-8"))
            if data.get("wave") == number:
                found.add(data["system"])
        return found

    def started(self) -> set[str]:
        return {code for code, t in plan_progress.load_progress_leniently(self.plans).items() if t.started()}

    def retirable(self, codes: set[str]) -> list[str]:
        """Those of ``codes`` a 下线 takes out of the waves, sorted: the planner would hold (暂缓) any other.

        A retire never drops a call: it goes ahead only if no system calls the retired one (``depends_on`` or a
        consumed catalogue entry), or if the assessment found a duplicate of it, to which its dependents are
        re-pointed (no duplicate goes while its 整合 is unconfirmed; see docs/assessment.md).
        """
        inventory = inventory_files.load_inventory(self.inventory).inventory
        settings = settings_file.load_settings(self.inventory)
        assessment = assess.assess_inventory(inventory, settings, today=dt.date.fromisoformat(CENSUS_DAY))
        called = {provider for _, provider in waves.build_dependency_graph(inventory).edges}
        return sorted(c for c in codes if c not in called or assessment.systems[c].duplicates)


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    shutil.copytree(REPO / "inventory", tmp_path / "inventory")
    shutil.copytree(REPO / "migrations_plan", tmp_path / "migrations_plan")
    return Workspace(tmp_path)


def _flat(text: str) -> str:
    return " ".join(text.split())


def _reset_progress(workspace: Workspace) -> None:
    """Every stage back to pending (the control: a programme where nothing has started)."""
    for path in plan_progress.plan_paths(workspace.plans):
        text = path.read_text(encoding="utf-8")
        path.write_text(
            text.replace("status: done", "status: pending").replace("status: in_progress", "status: pending"),
            encoding="utf-8",
        )


def _change_census(workspace: Workspace) -> tuple[str, str]:
    """Make re-planning want to move two pending wave-1 systems out of wave 1; return (moved, retired).

    The moved system's department declares a freeze window over wave 1 (a budget close announced late), and
    a system of another department that can be retired (:meth:`Workspace.retirable`) is overridden to 下线.
    """
    inventory = inventory_files.load_inventory(workspace.inventory).inventory
    wave_one = sorted(workspace.wave(1) - workspace.started())
    moved = wave_one[0]
    department = inventory.system_by_code[moved].department
    retired = next(
        c for c in workspace.retirable(set(wave_one)) if inventory.system_by_code[c].department != department
    )
    window = model.FreezeWindow(start=dt.date(2027, 1, 1), end=dt.date(2027, 2, 7), reason="年终决算")
    override = model.DispositionOverride(
        disposition=model.Disposition.RETIRE,
        reason="replaced by the provincial platform",
        decided_by="市大数据中心 王磊",
        decided_on=dt.date(2026, 6, 1),
    )
    departments = tuple(
        d.model_copy(update={"freeze_windows": (*d.freeze_windows, window)}) if d.code == department else d
        for d in inventory.departments
    )
    systems = tuple(
        s.model_copy(update={"disposition_override": override}) if s.code == retired else s for s in inventory.systems
    )
    changed = inventory.model_copy(update={"departments": departments, "systems": systems})
    inventory_files.write_inventory(workspace.inventory, changed)
    return moved, retired


# --- plan baseline -------------------------------------------------------------------------------------------


def test_plan_baseline_freezes_the_started_wave_in_a_reviewable_file(workspace: Workspace) -> None:
    wave_one = workspace.wave(1)
    result = workspace.govcloud("plan", "baseline")
    assert result.exit_code == 0, result.output
    path = baseline_file.baseline_path(workspace.plans)
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# Waves frozen by `govcloud plan baseline`")
    data = yamlio.read_fast(text)
    assert data["baselined_on"] == dt.date(2026, 6, 30)
    [wave] = data["waves"]
    assert (wave["wave"], wave["state"], wave["frozen_on"]) == (1, "started", dt.date(2026, 6, 30))
    assert set(wave["systems"]) == wave_one
    assert len(wave["systems"]) == 40
    assert (wave["start"], wave["end"]) == (workspace.plan(wave["systems"][0])["wave_start"], dt.date(2027, 1, 31))
    first = min(workspace.started() & wave_one)  # the why names the started systems and their progress
    assert f"{first} network {workspace.plan(first)['stages'][0]['status']}" in wave["why"]
    assert "1 new" in _flat(result.output)

    again = workspace.govcloud("plan", "baseline")
    assert again.exit_code == 0, again.output
    assert "1 unchanged" in _flat(again.output)
    assert path.read_text(encoding="utf-8") == text  # nothing new: not even the date moves


def test_a_later_baseline_adds_waves_keeps_comments_and_marks_finished_waves(workspace: Workspace) -> None:
    assert workspace.govcloud("plan", "baseline").exit_code == 0
    path = baseline_file.baseline_path(workspace.plans)
    path.write_text(
        path.read_text(encoding="utf-8").replace("  - wave: 1\n", "  - wave: 1  # agreed at the 2027-01 review\n"),
        encoding="utf-8",
    )
    for code in workspace.wave(1):  # every wave-1 system done: the wave has finished
        plan = workspace.plans / f"{code}.yaml"
        text = plan.read_text(encoding="utf-8")
        plan.write_text(text.replace("status: pending", "status: done").replace("status: in_progress", "status: done"))
    result = workspace.govcloud("plan", "baseline", today="2027-02-05")  # wave 2 starts 2027-02-01
    assert result.exit_code == 0, result.output
    text = path.read_text(encoding="utf-8")
    assert "# agreed at the 2027-01 review" in text
    data = yamlio.read_fast(text)
    assert [(w["wave"], w["state"]) for w in data["waves"]] == [(1, "finished"), (2, "started")]
    assert data["waves"][1]["why"] == "it started 2027-02-01"
    assert data["baselined_on"] == dt.date(2027, 2, 5)


def test_nothing_started_means_no_baseline_file(workspace: Workspace) -> None:
    _reset_progress(workspace)
    result = workspace.govcloud("plan", "baseline")
    assert result.exit_code == 0, result.output
    assert "nothing to freeze" in result.output
    assert not baseline_file.baseline_path(workspace.plans).exists()


def test_plan_baseline_refuses_plans_that_fail_the_check(workspace: Workspace) -> None:
    path = next(
        p for p in plan_progress.plan_paths(workspace.plans) if "    status: done" in p.read_text(encoding="utf-8")
    )
    path.write_text(path.read_text(encoding="utf-8").replace("    status: done", "    statsu: done", 1))
    result = workspace.govcloud("plan", "baseline")
    assert result.exit_code == 1
    assert path.name in result.output
    assert "did you mean 'status'?" in _flat(result.output)
    assert not baseline_file.baseline_path(workspace.plans).exists()


# --- plan --write with a changed census ------------------------------------------------------------------------


def test_without_progress_the_changed_census_moves_wave_one_systems(workspace: Workspace) -> None:
    """The control: the census change alone does move the systems (so the freeze below is what keeps them)."""
    _reset_progress(workspace)
    moved, retired = _change_census(workspace)
    result = workspace.govcloud("plan", "--write")
    assert result.exit_code == 0, result.output
    assert workspace.plan(moved)["wave"] > 1
    assert workspace.plan(retired)["kind"] == "decommission"
    assert "Frozen waves" not in result.output


@pytest.mark.parametrize("baselined", [True, False], ids=["baselined", "detected-from-the-plan-files"])
def test_write_never_moves_a_system_out_of_or_into_a_started_wave(workspace: Workspace, baselined: bool) -> None:
    if baselined:
        assert workspace.govcloud("plan", "baseline").exit_code == 0
    wave_one = workspace.wave(1)
    moved, retired = _change_census(workspace)
    retired_text = (workspace.plans / f"{retired}.yaml").read_text(encoding="utf-8")

    result = workspace.govcloud("plan", "--write")
    assert result.exit_code == 0, result.output
    output = _flat(result.output)
    assert workspace.wave(1) == wave_one  # nobody left wave 1, nobody joined it
    assert workspace.plan(moved)["wave"] == 1
    assert f"{moved} stays in wave 1 (frozen); the new plan would move it to wave" in output
    assert "frozen 2027-01-01..2027-02-07 (年终决算)" in output  # why the free plan would move it
    assert f"{retired} stays in wave 1 (frozen); the new plan would take it out of the waves (下线" in output
    assert (workspace.plans / f"{retired}.yaml").read_text(encoding="utf-8") == retired_text
    assert "is kept out of wave 1 (frozen)" in output  # the room the free plan would have used
    check = workspace.govcloud("plan", "--check")
    assert check.exit_code == 0, check.output


def test_a_misspelt_status_cannot_unfreeze_a_wave(workspace: Workspace) -> None:
    """The only progress of wave 1 is behind a typo: re-planning still treats the wave as started."""
    _reset_progress(workspace)
    moved, _ = _change_census(workspace)
    recorder = sorted(workspace.wave(1) - {moved})[0]
    path = workspace.plans / f"{recorder}.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("    status: pending", "    statsu: done", 1))
    result = workspace.govcloud("plan", "--write")
    assert result.exit_code == 0, result.output
    assert workspace.plan(moved)["wave"] == 1  # wave 1 was frozen, so nothing moved out of it
    assert f"{recorder} a status that cannot be read" in _flat(result.output)
    check = workspace.govcloud("plan", "--check")  # and the typo itself is reported
    assert check.exit_code == 1
    assert "unknown key 'statsu' in a stage: did you mean 'status'?" in _flat(check.output)


def test_an_unchanged_census_replans_to_the_same_files(workspace: Workspace) -> None:
    assert workspace.govcloud("plan", "baseline").exit_code == 0
    before = workspace.texts()
    result = workspace.govcloud("plan", "--write")
    assert result.exit_code == 0, result.output
    unchanged = len(plan_progress.plan_paths(workspace.plans))  # every system plan (not the baseline)
    assert f"0 created, 0 updated, 0 rewritten (kind changed), {unchanged} unchanged" in _flat(result.output)
    assert workspace.texts() == before


def test_a_wave_that_started_since_the_baseline_is_protected_too(workspace: Workspace) -> None:
    assert workspace.govcloud("plan", "baseline").exit_code == 0
    inventory = inventory_files.load_inventory(workspace.inventory).inventory
    code = workspace.retirable(workspace.wave(2))[0]
    path = workspace.plans / f"{code}.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("    status: pending", "    status: in_progress", 1))
    check = workspace.govcloud("plan", "--check")
    assert check.exit_code == 0, check.output
    assert "1 wave(s) started since the last baseline" in _flat(check.output)

    override = model.DispositionOverride(
        disposition=model.Disposition.RETIRE,
        reason="no longer needed",
        decided_by="市大数据中心 王磊",
        decided_on=dt.date(2026, 6, 1),
    )
    systems = tuple(
        s.model_copy(update={"disposition_override": override}) if s.code == code else s for s in inventory.systems
    )
    inventory_files.write_inventory(workspace.inventory, inventory.model_copy(update={"systems": systems}))
    before = path.read_text(encoding="utf-8")
    result = workspace.govcloud("plan", "--write")
    assert result.exit_code == 0, result.output
    assert path.read_text(encoding="utf-8") == before  # still its wave-2 migration plan, untouched
    assert f"{code} stays in wave 2 (frozen); the new plan would take it out of the waves (下线" in _flat(result.output)


# --- plan --check against the baseline ---------------------------------------------------------------------------


def test_check_reports_a_plan_whose_wave_disagrees_with_the_baseline(workspace: Workspace) -> None:
    assert workspace.govcloud("plan", "baseline").exit_code == 0
    frozen = sorted(workspace.wave(1) - workspace.started())[0]
    newcomer = sorted(workspace.wave(2))[0]
    for code, old, new in ((frozen, "wave: 1\n", "wave: 2\n"), (newcomer, "wave: 2\n", "wave: 1\n")):
        path = workspace.plans / f"{code}.yaml"
        path.write_text(path.read_text(encoding="utf-8").replace(f"\n{old}", f"\n{new}", 1), encoding="utf-8")
    result = workspace.govcloud("plan", "--check")
    assert result.exit_code == 1
    output = _flat(result.output)
    baseline = baseline_file.display(baseline_file.baseline_path(workspace.plans))
    line = yamlio.line_of((workspace.plans / f"{frozen}.yaml").read_text(encoding="utf-8"), ("wave",))
    assert f"{frozen}.yaml:{line}: wave: wave 2, but {baseline} freezes {frozen} in wave 1 (started)" in output
    assert f"{newcomer}.yaml:" in output
    assert f"wave 1 is frozen by {baseline} and does not hold {newcomer}" in output
    inventory = inventory_files.load_inventory(workspace.inventory).inventory
    with pytest.raises(InputError):  # and so provisioning refuses them too
        plan_progress.load_progress(workspace.plans, inventory=inventory)


def test_a_broken_baseline_is_an_error_with_its_line_and_nothing_is_written(workspace: Workspace) -> None:
    assert workspace.govcloud("plan", "baseline").exit_code == 0
    path = baseline_file.baseline_path(workspace.plans)
    text = path.read_text(encoding="utf-8").replace("    systems:", "    sytems:")
    path.write_text(text, encoding="utf-8")
    _change_census(workspace)
    before = workspace.texts()
    result = workspace.govcloud("plan", "--write")
    assert result.exit_code == 1
    line = yamlio.line_of(text, ("waves", 0, "sytems"))
    expected = "waves.0.sytems: unknown key 'sytems' in a frozen wave: did you mean 'systems'?"
    assert f"baseline.yaml:{line}: {expected}" in _flat(result.output)
    assert workspace.texts() == before  # a broken baseline never un-freezes: nothing written


def test_a_baseline_system_without_a_plan_file_is_named(workspace: Workspace) -> None:
    assert workspace.govcloud("plan", "baseline").exit_code == 0
    gone = sorted(workspace.wave(1) - workspace.started())[0]
    (workspace.plans / f"{gone}.yaml").unlink()
    result = workspace.govcloud("plan", "--check")
    assert result.exit_code == 1
    assert f"{gone} is frozen in wave 1 but has no plan file" in _flat(result.output)


# --- the core: frozen waves in the wave planner ---------------------------------------------------------------


def test_frozen_waves_keep_their_systems_and_dates_and_take_no_other_system() -> None:
    city = example.generate_city(systems=80, seed=11)
    assessment = assess.assess_inventory(city.inventory, Settings(), today=None)
    settings = WaveSettings(max_systems=6)
    free = waves.plan_waves(city.inventory, assessment, settings)
    first = free.wave(1)
    kept = first.systems[:4]  # two of wave 1's systems are not frozen there: they must leave it
    recorded = (dt.date(2026, 12, 1), dt.date(2026, 12, 31))
    freeze = waves.Freeze(waves={1: recorded}, systems=dict.fromkeys(kept, 1), why={1: "test"})
    later = settings.model_copy(update={"start": dt.date(2027, 6, 7)})  # the settings' calendar moved
    frozen = waves.plan_waves(city.inventory, assessment, later, freeze=freeze)
    assert frozen.wave(1).systems == kept
    assert (frozen.wave(1).start, frozen.wave(1).end) == recorded
    assert frozen.placements[kept[0]].reasons == free.placements[kept[0]].reasons  # same place, same reasons
    left = set(first.systems) - set(kept)
    assert {h.system for h in frozen.held_back if not h.kept_in} >= left
    assert all(frozen.placements[c].wave > 1 for c in left)


def test_a_wave_has_started_by_progress_or_by_date_and_finished_when_all_are_done() -> None:
    settings = WaveSettings(start=dt.date(2027, 1, 4), length_days=28)
    pending = stages.Progress(statuses={}, wave=1)
    going = stages.Progress(statuses={plans.Stage.NETWORK: plans.StageStatus.IN_PROGRESS}, wave=2)
    done = stages.Progress(statuses=dict.fromkeys(plans.STAGE_ORDER, plans.StageStatus.DONE), wave=3)
    tracking = {"A-1": pending, "B-1": going, "C-1": done}
    early = baselines.detect_started_waves(tracking, today=dt.date(2026, 12, 1), settings=settings)
    assert sorted(early) == [2, 3]
    assert early[3].state is baselines.WaveState.FINISHED
    assert early[2].state is baselines.WaveState.STARTED
    assert "B-1 network in_progress" in early[2].why
    on_time = baselines.detect_started_waves(tracking, today=dt.date(2027, 1, 4), settings=settings)
    assert sorted(on_time) == [1, 2, 3]
    assert on_time[1].why == "it started 2027-01-04"


def test_a_provider_kept_out_of_its_consumers_frozen_wave_is_reported_as_out_of_order() -> None:
    city = example.generate_city(systems=80, seed=11)
    assessment = assess.assess_inventory(city.inventory, Settings(), today=None)
    settings = WaveSettings(max_systems=6)
    free = waves.plan_waves(city.inventory, assessment, settings)
    consumer, provider = next(
        (code, p)
        for code, placement in sorted(free.placements.items())
        for p in placement.providers
        if placement.wave == 1 and free.placements[p].wave == 1 and p != code
    )
    others = [c for c in free.wave(1).systems if c != provider]
    freeze = waves.Freeze(waves={1: (free.wave(1).start, free.wave(1).end)}, systems=dict.fromkeys(others, 1))
    frozen = waves.plan_waves(city.inventory, assessment, settings, freeze=freeze)
    assert frozen.placements[consumer].wave == 1
    assert frozen.placements[provider].wave > 1
    assert any(m.startswith(f"{provider} (wave") and f"provider of {consumer}" in m for m in frozen.frozen_order)
    [held] = [h for h in frozen.held_back if h.system == provider]
    assert (held.kept_in, held.would_be) == (False, 1)


def test_plan_json_lists_frozen_waves_and_what_they_held_back(workspace: Workspace) -> None:
    moved, _ = _change_census(workspace)
    before = workspace.texts()
    result = workspace.govcloud("plan", "--format", "json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)["plan"]
    assert list(payload["frozen_waves"]) == ["1"]
    held = {h["system"]: h for h in payload["held_back"]}
    assert held[moved]["kept_in"] is True
    assert held[moved]["would_be"] > 1
    assert held[moved]["message"].startswith(f"{moved} stays in wave 1 (frozen)")
    assert workspace.texts() == before  # without --write nothing is written


_CITY = example.generate_city(systems=80, seed=11)
_ASSESSMENT = assess.assess_inventory(_CITY.inventory, Settings(), today=None)
_SETTINGS = WaveSettings(max_systems=6)
_FREE = waves.plan_waves(_CITY.inventory, _ASSESSMENT, _SETTINGS)


@st.composite
def _freezes(draw: st.DrawFn) -> waves.Freeze:
    """Any set of waves of the free plan, each with any subset of its systems pinned, at any recorded dates."""
    numbers = draw(st.sets(st.sampled_from([w.number for w in _FREE.waves]), min_size=1, max_size=4))
    systems: dict[str, int] = {}
    dates: dict[int, tuple[dt.date, dt.date]] = {}
    for number in sorted(numbers):
        wave = _FREE.wave(number)
        kept = draw(st.sets(st.sampled_from(wave.systems))) if wave.systems else set()
        systems.update(dict.fromkeys(sorted(kept), number))
        shift = dt.timedelta(days=draw(st.integers(-30, 30)))
        dates[number] = (wave.start + shift, wave.end + shift)
    return waves.Freeze(waves=dates, systems=systems)


@given(freeze=_freezes())
@hypothesis_settings(max_examples=25, deadline=None)
def test_a_freeze_pins_its_systems_closes_its_waves_and_reports_every_difference(freeze: waves.Freeze) -> None:
    frozen = waves.plan_waves(_CITY.inventory, _ASSESSMENT, _SETTINGS, freeze=freeze)
    assert set(frozen.placements) == set(_FREE.placements)  # every moving system is still planned
    for number, dates in freeze.waves.items():
        members = {c for c, p in frozen.placements.items() if p.wave == number}
        assert members == {c for c, n in freeze.systems.items() if n == number}  # no one joins, no one leaves
        if number <= len(frozen.waves):
            assert (frozen.wave(number).start, frozen.wave(number).end) == dates
    kept_out = {c for c, p in _FREE.placements.items() if p.wave in freeze.waves and freeze.systems.get(c) != p.wave}
    assert {h.system for h in frozen.held_back if not h.kept_in} == kept_out
    assert all(h.wave == frozen.placements[h.system].wave for h in frozen.held_back)
