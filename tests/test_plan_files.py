"""Plan files: written, regenerated without losing people's edits, and checked with file:line errors."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from govcloud.assessment.core.assessment import Assessment, Decision, SystemAssessment
from govcloud.core import example, model
from govcloud.core.settings import Settings, WaveSettings
from govcloud.edges import yamlio
from govcloud.planning.core import plan_checks, plans, waves
from govcloud.planning.core.stages import Stage
from govcloud.planning.edges import plan_files, plan_progress

D = model.Disposition


def _assessment(city: example.ExampleCity) -> Assessment:
    """Dispositions from what the example city planted: zombies go, duplicates merge, blocked ones wait."""
    planted = city.planted
    decisions: dict[str, Decision] = {}
    for key in ("zombie_detached", "zombie_idle", "zombie_unmaintained", "zombie_small_scope"):
        for code in planted[key]:
            decisions[code] = Decision(D.RETIRE, (f"zombie: {key}",))
    for pair in planted["duplicate_within"]:
        duplicate, original = pair.split("~")
        decisions[duplicate] = Decision(D.MERGE, (f"duplicate of {original}",), merge_into=original)
    for key in ("not_ready_classified", "not_ready_mlps", "not_ready_platform"):
        for code in planted[key]:
            decisions[code] = Decision(D.DEFER, (key,))
    # A retire never drops a call: the planner holds (暂缓) a zombie that other systems still call. For those, a
    # lead names a system to take over the function (整合), so the decommission re-points the dependents and
    # hands the data over; the checks of decommission plans need such a plan.
    graph = waves.build_dependency_graph(city.inventory)
    staying = sorted(s.code for s in city.inventory.systems if s.code not in decisions)
    for code, decision in sorted(decisions.items()):
        if decision.disposition is D.RETIRE and graph.pred[code]:
            target = next(c for c in staying if c not in graph.pred[code])
            decisions[code] = Decision(D.MERGE, (*decision.reasons, f"called: {target} takes over"), merge_into=target)
    return Assessment(
        {
            s.code: SystemAssessment(s.code, (), (), (), decisions.get(s.code, Decision(D.REHOST, ("cloud-ready",))))
            for s in city.inventory.systems
        }
    )


@pytest.fixture(scope="module")
def city() -> example.ExampleCity:
    return example.generate_city(systems=60, seed=7)


def _plans(city: example.ExampleCity, **wave_settings: Any) -> tuple[plans.SystemPlan, ...]:
    settings = Settings(waves=WaveSettings.model_validate(wave_settings))
    assessment = _assessment(city)
    wave_plan = waves.plan_waves(city.inventory, assessment, settings.waves)
    return plans.build_plans(city.inventory, assessment, wave_plan, settings)


@pytest.fixture(scope="module")
def first_written(tmp_path_factory: pytest.TempPathFactory, city: example.ExampleCity) -> Path:
    root = tmp_path_factory.mktemp("plans") / "migrations_plan"
    report = plan_files.write_plans(root, _plans(city), inventory=city.inventory)
    assert report.created
    assert not report.conflicts
    assert not report.updated
    return root


@pytest.fixture
def written(tmp_path: Path, first_written: Path) -> Path:
    """A fresh copy of the plans as ``plan --write`` first wrote them (writing once keeps the tests fast)."""
    root = tmp_path / "migrations_plan"
    shutil.copytree(first_written, root)
    return root


def _migration(root: Path) -> Path:
    """A migration plan whose data stage has an exit gate and whose business stage waits for a provider."""
    for path in sorted(root.glob("*.yaml")):
        data = yamlio.read_fast(path.read_text(encoding="utf-8"))
        if (
            data["kind"] == "migration"
            and data["stages"][1]["exit_gates"]
            and len(data["stages"][2]["entry_gates"]) > 1
        ):
            return path
    raise AssertionError("no suitable plan")


def _line(text: str, number: int) -> str:
    return text.splitlines()[number - 1]


def _set_line(text: str, path: tuple[str | int, ...], new_line: str) -> str:
    number = yamlio.line_of(text, path)
    assert number is not None
    lines = text.splitlines(keepends=True)
    lines[number - 1] = new_line + "\n"
    return "".join(lines)


# ---------------------------------------------------------------------------------------------------------
# Writing


def test_written_plans_pass_check_and_feed_the_progress_reader(written: Path, city: example.ExampleCity) -> None:
    assert plan_progress.check_plans(written, city.inventory) == []
    progress = plan_progress.load_progress(written, inventory=city.inventory)
    assert len(progress) == len(list(written.glob("*.yaml")))
    assert all(p.reached is None for p in progress.values())
    wave_plan = waves.plan_waves(city.inventory, _assessment(city), WaveSettings())
    held = {h.system for h in wave_plan.held} - set(wave_plan.intranet_moves)
    assert held
    assert not any((written / f"{code}.yaml").exists() for code in held)
    # held classified systems get their intranet plan (one network stage), never a cloud migration
    assert wave_plan.intranet_moves
    for code in wave_plan.intranet_moves:
        data = yamlio.read_fast((written / f"{code}.yaml").read_text(encoding="utf-8"))
        assert (data["kind"], [s["stage"] for s in data["stages"]]) == ("intranet", ["network"])


def test_regenerating_an_untouched_plan_writes_nothing(written: Path, city: example.ExampleCity) -> None:
    before = {p: p.read_text(encoding="utf-8") for p in written.glob("*.yaml")}
    report = plan_files.write_plans(written, _plans(city), inventory=city.inventory)
    assert report.unchanged == len(before)
    assert (report.created, report.updated, report.conflicts, report.orphans) == ((), (), (), ())
    assert {p: p.read_text(encoding="utf-8") for p in written.glob("*.yaml")} == before


def test_a_write_reports_the_tracking_the_files_hold_after_it(tmp_path: Path, city: example.ExampleCity) -> None:
    """What the department plans are built from: equal to reading every plan file back, whatever happened."""
    root = tmp_path / "migrations_plan"
    system_plans = _plans(city)
    first = plan_files.write_plans(root, system_plans, inventory=city.inventory)
    assert first.tracking == plan_progress.load_progress_leniently(root)
    migration = _migration(root)
    text = migration.read_text(encoding="utf-8")
    text = text.replace("status: pending", "status: done", 1)  # a lead's status: the file stays unchanged
    migration.write_text(text, encoding="utf-8")
    others = [p for p in sorted(root.glob("*.yaml")) if p != migration]
    edited = others[0].read_text(encoding="utf-8")
    others[0].write_text(_set_line(edited, ("wave",), "wave: 99"), encoding="utf-8")  # a human edit
    others[1].write_text("system: [not, a, plan\n", encoding="utf-8")  # not YAML
    (root / "ZZZ-999.yaml").write_text(others[2].read_text(encoding="utf-8"), encoding="utf-8")  # an orphan copy
    generated_moved = yamlio.read_fast(others[3].read_text(encoding="utf-8"))["generated"]
    assert "wave" in generated_moved
    moved = others[3].stem
    later = [p.model_copy(update={"wave": (p.wave or 0) + 1}) if p.system == moved else p for p in system_plans]
    report = plan_files.write_plans(root, later, inventory=city.inventory)
    assert report.updated
    assert report.unchanged
    assert report.tracking == plan_progress.load_progress_leniently(root)
    assert report.tracking[migration.stem].statuses[Stage.NETWORK].value == "done"


def test_a_write_given_the_files_already_read_is_the_write_that_reads_them(
    tmp_path: Path, first_written: Path, city: example.ExampleCity
) -> None:
    """``plan --write`` parses the plan files once for the freeze and the write: same files, same report."""
    roots = [tmp_path / "reads" / "migrations_plan", tmp_path / "given" / "migrations_plan"]
    for root in roots:
        shutil.copytree(first_written, root)
        edited = _migration(root)
        text = edited.read_text(encoding="utf-8")
        edited.write_text(_set_line(text, ("wave",), "wave: 99").replace("status: pending", "status: done", 1))
        (root / sorted(p.name for p in root.glob("*.yaml"))[1]).write_text("system: [not yaml\n", encoding="utf-8")
    moved = [p.model_copy(update={"wave": (p.wave or 0) + 1}) if p.wave == 1 else p for p in _plans(city)]
    reads = plan_files.write_plans(roots[0], moved, inventory=city.inventory)
    given = plan_files.write_plans(
        roots[1], moved, inventory=city.inventory, files={f.path: f for f in plan_progress.read_plan_files(roots[1])}
    )
    assert reads.updated
    assert reads.conflicts
    assert (given.created, given.updated, given.unchanged, given.replaced) == (
        reads.created,
        reads.updated,
        reads.unchanged,
        reads.replaced,
    )
    assert [(c.system, c.field, c.yours, c.generated) for c in given.conflicts] == [
        (c.system, c.field, c.yours, c.generated) for c in reads.conflicts
    ]
    assert given.tracking == reads.tracking
    texts = [{p.name: p.read_text(encoding="utf-8") for p in root.glob("*.yaml")} for root in roots]
    assert texts[1] == texts[0]


def test_hand_edit_and_comment_survive_regeneration_and_the_edit_is_reported(
    written: Path, city: example.ExampleCity
) -> None:
    path = _migration(written)
    code = path.stem
    text = path.read_text(encoding="utf-8")
    original = yamlio.read_fast(text)
    generated_end = original["stages"][2]["target_end"]
    # a migration lead moves the business end date, adds comments, starts the network stage, adds a note
    text = _set_line(text, ("stages", 2, "target_end"), "    target_end: 2099-02-10  # agreed with the callers")
    text = _set_line(text, ("stages", 0, "status"), "    status: in_progress\n    notes: router change CR-118 booked")
    text = text.replace(f"system: {code}\n", f"system: {code}\n# lead: 王磊, weekly review on Mondays\n")
    path.write_text(text, encoding="utf-8")

    # regenerate with every wave a week later: generated dates move, the edited one stays
    report = plan_files.write_plans(written, _plans(city, start=dt.date(2027, 1, 11)), inventory=city.inventory)
    after = path.read_text(encoding="utf-8")
    data = yamlio.read_fast(after)
    assert data["stages"][2]["target_end"] == dt.date(2099, 2, 10)
    assert data["stages"][0]["target_start"] == original["stages"][0]["target_start"] + dt.timedelta(days=7)
    assert data["stages"][0]["status"] == "in_progress"
    assert data["stages"][0]["notes"] == "router change CR-118 booked"
    assert "# agreed with the callers" in after
    assert "# lead: 王磊, weekly review on Mondays" in after
    new_end = generated_end + dt.timedelta(days=7)
    assert [c.render() for c in report.conflicts] == [
        f"{code} stages.2.target_end: kept your 2099-02-10, generated {new_end.isoformat()}"
    ]
    assert code in report.updated
    assert plan_progress.check_plans(written, city.inventory) == []
    assert plan_progress.load_progress(written, inventory=city.inventory)[code].reached is Stage.NETWORK

    # a third run keeps the edit and says so again, but writes nothing new
    again = plan_files.write_plans(written, _plans(city, start=dt.date(2027, 1, 11)), inventory=city.inventory)
    assert [c.field for c in again.conflicts] == ["stages.2.target_end"]
    assert code not in again.updated
    assert path.read_text(encoding="utf-8") == after


def test_an_edited_list_is_kept_whole(written: Path, city: example.ExampleCity) -> None:
    path = _migration(written)
    data = yamlio.load_roundtrip(path.read_text(encoding="utf-8"))
    data["stages"][0]["steps"].append({"do": "ask the vendor to open port 8080 on the legacy firewall"})
    path.write_text(yamlio.dump_roundtrip(data), encoding="utf-8")
    report = plan_files.write_plans(written, _plans(city), inventory=city.inventory)
    assert [c.field for c in report.conflicts] == ["stages.0.steps"]
    steps = yamlio.read_fast(path.read_text(encoding="utf-8"))["stages"][0]["steps"]
    assert steps[-1] == {"do": "ask the vendor to open port 8080 on the legacy firewall"}


def test_a_deleted_generated_value_is_written_again(written: Path, city: example.ExampleCity) -> None:
    path = _migration(written)
    data = yamlio.load_roundtrip(path.read_text(encoding="utf-8"))
    del data["wave_reasons"]
    path.write_text(yamlio.dump_roundtrip(data), encoding="utf-8")
    report = plan_files.write_plans(written, _plans(city), inventory=city.inventory)
    assert path.stem in report.updated
    assert not report.conflicts
    restored = yamlio.read_fast(path.read_text(encoding="utf-8"))
    assert restored["wave_reasons"]
    assert list(restored).index("wave_reasons") == list(restored).index("wave_end") + 1


def test_without_fingerprints_every_differing_value_is_kept(written: Path, city: example.ExampleCity) -> None:
    path = _migration(written)
    data = yamlio.load_roundtrip(path.read_text(encoding="utf-8"))
    del data["generated"]
    path.write_text(yamlio.dump_roundtrip(data), encoding="utf-8")
    report = plan_files.write_plans(written, _plans(city, start=dt.date(2027, 2, 1)), inventory=city.inventory)
    mine = [c for c in report.conflicts if c.system == path.stem]
    assert {c.field for c in mine} >= {"wave_start", "wave_end", "stages.0.target_start"}
    assert "generated" in yamlio.read_fast(path.read_text(encoding="utf-8"))


def test_plans_of_systems_without_a_plan_are_reported_not_deleted(written: Path, city: example.ExampleCity) -> None:
    stray = written / "ZZZ-001.yaml"
    stray.write_text("system: ZZZ-001\nstages: []\n", encoding="utf-8")
    report = plan_files.write_plans(written, _plans(city), inventory=city.inventory)
    assert [(o.system, o.reason.split(":")[0]) for o in report.orphans] == [
        ("ZZZ-001", "not in the inventory any more")
    ]
    assert stray.exists()


def test_a_plan_that_changes_kind_is_rewritten_only_without_progress(written: Path, city: example.ExampleCity) -> None:
    path = _migration(written)
    code = path.stem
    assessment = _assessment(city)
    systems = dict(assessment.systems)
    systems[code] = SystemAssessment(code, (), (), (), Decision(D.RETIRE, ("decided at the review",)))
    changed = Assessment(systems)
    settings = Settings()
    regenerated = plans.build_plans(
        city.inventory, changed, waves.plan_waves(city.inventory, changed, settings.waves), settings
    )

    text = path.read_text(encoding="utf-8")
    started = _set_line(text, ("stages", 0, "status"), "    status: done")
    path.write_text(started, encoding="utf-8")
    report = plan_files.write_plans(written, regenerated, inventory=city.inventory)
    assert [c.field for c in report.conflicts if c.system == code] == ["kind"]
    assert path.read_text(encoding="utf-8") == started

    path.write_text(text, encoding="utf-8")
    report = plan_files.write_plans(written, regenerated, inventory=city.inventory)
    assert code in report.replaced
    assert yamlio.read_fast(path.read_text(encoding="utf-8"))["kind"] == "decommission"


# ---------------------------------------------------------------------------------------------------------
# Checking

Edit = Callable[[Any], None]


def _gate_edit(position: int, which: str, index: int, **changes: Any) -> Edit:
    def edit(data: Any) -> None:
        gate = data["stages"][position][which][index]
        for key, value in changes.items():
            if value is None:
                del gate[key]
            else:
                gate[key] = value

    return edit


def _swap_first_stages(data: Any) -> None:
    stages = data["stages"]
    stages[0], stages[1] = stages[1], stages[0]


CHECK_CASES: list[tuple[str, Edit, tuple[str | int, ...], str]] = [
    (
        "stage order",
        _swap_first_stages,
        ("stages", 1, "stage"),
        "stage network comes after data: the order is network, data, business",
    ),
    ("unknown stage", lambda d: d["stages"][0].__setitem__("stage", "netwrk"), ("stages", 0, "stage"), "unknown stage"),
    ("missing stage", lambda d: d["stages"].pop(2), ("stages",), "missing stage(s): business"),
    ("unknown status", lambda d: d["stages"][0].__setitem__("status", "finished"), ("stages", 0, "status"), "status"),
    (
        "statuses out of order",
        lambda d: d["stages"][2].__setitem__("status", "done"),
        ("stages", 2, "status"),
        "statuses out of order: business is done while data is pending",
    ),
    (
        "dates out of order",
        lambda d: d["stages"][1].__setitem__("target_end", dt.date(2020, 1, 1)),
        ("stages", 1, "target_end"),
        "data stage ends 2020-01-01 before it starts",
    ),
    (
        "stage starts before the previous one ends",
        lambda d: d["stages"][1].__setitem__("target_start", d["stages"][0]["target_start"]),
        ("stages", 1, "target_start"),
        "before the network stage ends",
    ),
    ("not a date", lambda d: d["stages"][0].__setitem__("target_start", "soon"), ("stages", 0, "target_start"), "date"),
    (
        "unknown gate",
        _gate_edit(0, "entry_gates", 0, gate="magic"),
        ("stages", 0, "entry_gates", 0, "gate"),
        "unknown gate 'magic'",
    ),
    (
        "gate naming an unknown system",
        _gate_edit(2, "entry_gates", 1, system="XXX-999"),
        ("stages", 2, "entry_gates", 1, "system"),
        "unknown system 'XXX-999'",
    ),
    (
        "gate naming an unknown stage",
        _gate_edit(1, "entry_gates", 0, stage="finance"),
        ("stages", 1, "entry_gates", 0, "stage"),
        "unknown stage 'finance'",
    ),
    (
        "gate naming an unknown entry",
        _gate_edit(1, "exit_gates", 0, entries=["99999999/9999999"]),
        ("stages", 1, "exit_gates", 0, "entries", 0),
        "unknown catalogue entry '99999999/9999999'",
    ),
    (
        "gate without a field it needs",
        _gate_edit(1, "entry_gates", 0, stage=None),
        ("stages", 1, "entry_gates", 0),
        "gate stage_done needs the field 'stage'",
    ),
    (
        "gate with a field it does not take",
        _gate_edit(0, "entry_gates", 0, stage="data"),
        ("stages", 0, "entry_gates", 0, "stage"),
        "takes no field 'stage'",
    ),
    (
        "caller that is not a department",
        lambda d: d["stages"][2].__setitem__("callers", ["NOPE"]),
        ("stages", 2, "callers", 0),
        "unknown department 'NOPE'",
    ),
    ("wave", lambda d: d.__setitem__("wave", 0), ("wave",), "wave is a number from 1"),
]


@pytest.mark.parametrize(("edit", "where", "message"), [c[1:] for c in CHECK_CASES], ids=[c[0] for c in CHECK_CASES])
def test_check_reports_each_error_at_its_line(
    written: Path, city: example.ExampleCity, edit: Edit, where: tuple[str | int, ...], message: str
) -> None:
    path = _migration(written)
    data = yamlio.load_roundtrip(path.read_text(encoding="utf-8"))
    edit(data)
    text = yamlio.dump_roundtrip(data)
    path.write_text(text, encoding="utf-8")
    problems = plan_progress.check_plans(written, city.inventory)
    assert len(problems) == 1, [p.render() for p in problems]
    [problem] = problems
    assert problem.path.endswith(path.name)
    assert problem.field == ".".join(map(str, where))
    assert problem.line == yamlio.line_of(text, where)
    assert message in problem.message
    assert problem.render().startswith(f"{problem.path}:{problem.line}: {problem.field}:")


def test_check_reports_plans_of_unknown_systems_and_misnamed_files(written: Path, city: example.ExampleCity) -> None:
    (written / "ZZZ-001.yaml").write_text("# left over\nsystem: ZZZ-001\nstages: []\n", encoding="utf-8")
    path = _migration(written)
    path.rename(written / "AAA-000.yaml")
    problems = {
        (Path(p.path).name, p.line, p.field): p.message for p in plan_progress.check_plans(written, city.inventory)
    }
    assert problems == {
        ("AAA-000.yaml", 4, "system"): f"file is named AAA-000.yaml but plans {path.stem}; name it {path.stem}.yaml",
        ("ZZZ-001.yaml", 2, "system"): "unknown system 'ZZZ-001': not in the inventory",
    }


def test_check_reports_yaml_syntax_errors(written: Path, city: example.ExampleCity) -> None:
    (written / "BAD-001.yaml").write_text("system: BAD-001\nstages: [\n", encoding="utf-8")
    [problem] = plan_progress.check_plans(written, city.inventory)
    assert problem.path.endswith("BAD-001.yaml")
    assert problem.line is not None
    assert "YAML syntax" in problem.message


def test_check_decommission_plans(written: Path, city: example.ExampleCity) -> None:
    path = next(
        p
        for p in sorted(written.glob("*.yaml"))
        if yamlio.read_fast(p.read_text(encoding="utf-8"))["kind"] == "decommission"
    )
    data = yamlio.load_roundtrip(path.read_text(encoding="utf-8"))
    data["decommission"]["dependents"] = [{"system": "XXX-001", "department": "XXX", "repoint_to": "YYY-001"}]
    data["decommission"]["status"] = "gone"
    text = yamlio.dump_roundtrip(data)
    path.write_text(text, encoding="utf-8")
    problems = {(p.field, p.line) for p in plan_progress.check_plans(written, city.inventory)}
    assert problems == {
        ("decommission.status", yamlio.line_of(text, ("decommission", "status"))),
        ("decommission.dependents.0.system", yamlio.line_of(text, ("decommission", "dependents", 0, "system"))),
        ("decommission.dependents.0.department", yamlio.line_of(text, ("decommission", "dependents", 0, "department"))),
        ("decommission.dependents.0.repoint_to", yamlio.line_of(text, ("decommission", "dependents", 0, "repoint_to"))),
    }


def test_tracking_reads_statuses_and_callers(written: Path) -> None:
    path = _migration(written)
    text = path.read_text(encoding="utf-8")
    text = _set_line(text, ("stages", 0, "status"), "    status: done")
    text = _set_line(text, ("stages", 1, "status"), "    status: in_progress")
    path.write_text(text, encoding="utf-8")
    tracking = plan_progress.load_progress_leniently(written)[path.stem]
    assert tracking.status(Stage.NETWORK) is plans.StageStatus.DONE
    assert tracking.status(Stage.DATA) is plans.StageStatus.IN_PROGRESS
    assert tracking.status(Stage.BUSINESS) is plans.StageStatus.PENDING


# ---------------------------------------------------------------------------------------------------------
# Unknown keys at every level, and values: each with file:line and the closest known key


def _decommission(root: Path) -> Path:
    """A decommission plan that hands its data over and has a dependent to re-point."""
    for path in sorted(root.glob("*.yaml")):
        data = yamlio.read_fast(path.read_text(encoding="utf-8"))
        decommission = data.get("decommission") or {}
        if decommission.get("dependents") and decommission["data"]["action"] == "hand_over":
            return path
    raise AssertionError("no suitable decommission plan")


def _rename(container_path: tuple[str | int, ...], old: str, new: str) -> Edit:
    """Rename key ``old`` to ``new`` in the mapping at ``container_path``, keeping its place and value."""

    def edit(data: Any) -> None:
        container = data
        for step in container_path:
            container = container[step]
        position = list(container).index(old)
        value = container.pop(old)
        container.insert(position, new, value)

    return edit


UNKNOWN_KEY_CASES: list[tuple[str, str, Edit, tuple[str | int, ...], str]] = [
    # (case, which plan, edit, where the problem is, expected message part)
    ("top level", "migration", _rename((), "wave", "wav"), ("wav",), "did you mean 'wave'?"),
    (
        "stage status (the statsu case)",
        "migration",
        _rename(("stages", 1), "status", "statsu"),
        ("stages", 1, "statsu"),
        "unknown key 'statsu' in a stage: did you mean 'status'?",
    ),
    (
        "gate field",
        "migration",
        _rename(("stages", 1, "entry_gates", 0), "stage", "stag"),
        ("stages", 1, "entry_gates", 0, "stag"),
        "did you mean 'stage'?",
    ),
    (
        "step field",
        "migration",
        _rename(("stages", 0, "steps", 1), "run", "rnu"),
        ("stages", 0, "steps", 1, "rnu"),
        "unknown key 'rnu' in a step: did you mean 'run'?",
    ),
    (
        "owner field",
        "migration",
        lambda d: d["owner"].__setitem__("phoen", "0571-1"),
        ("owner", "phoen"),
        "did you mean 'phone'?",
    ),
    (
        "generated fingerprint key",
        "migration",
        _rename(("generated",), "wave", "wave_x"),
        ("generated", "wave_x"),
        "did you mean 'wave'?",
    ),
    (
        "decommission block",
        "decommission",
        _rename(("decommission",), "status", "stauts"),
        ("decommission", "stauts"),
        "unknown key 'stauts' in the decommission block: did you mean 'status'?",
    ),
    (
        "dependent",
        "decommission",
        _rename(("decommission", "dependents", 0), "department", "departement"),
        ("decommission", "dependents", 0, "departement"),
        "did you mean 'department'?",
    ),
    (
        "data block",
        "decommission",
        _rename(("decommission", "data"), "action", "actoin"),
        ("decommission", "data", "actoin"),
        "did you mean 'action'?",
    ),
    (
        "a key of the other plan kind",
        "decommission",
        lambda d: d.insert(3, "wave", 2),
        ("wave",),
        "key 'wave' does not belong in a decommission plan",
    ),
]


@pytest.mark.parametrize(
    ("which", "edit", "where", "message"), [c[1:] for c in UNKNOWN_KEY_CASES], ids=[c[0] for c in UNKNOWN_KEY_CASES]
)
def test_an_unknown_key_at_any_level_is_an_error_at_its_line_with_the_closest_key(
    written: Path, city: example.ExampleCity, which: str, edit: Edit, where: tuple[str | int, ...], message: str
) -> None:
    path = _migration(written) if which == "migration" else _decommission(written)
    data = yamlio.load_roundtrip(path.read_text(encoding="utf-8"))
    edit(data)
    text = yamlio.dump_roundtrip(data)
    path.write_text(text, encoding="utf-8")
    problems = plan_progress.check_plans(written, city.inventory)
    assert [p.field for p in problems if p.field == ".".join(map(str, where))], [p.render() for p in problems]
    [problem] = [p for p in problems if p.field == ".".join(map(str, where))]
    assert problem.path.endswith(path.name)
    assert problem.line == yamlio.line_of(text, where)
    assert f"{where[-1]}:" in _line(text, problem.line)  # the line that holds the misspelt key
    assert message in problem.message


def test_the_statsu_typo_no_longer_passes_as_a_pending_stage(written: Path, city: example.ExampleCity) -> None:
    """The issue's case: a misspelt status used to read as pending and pass; now it is named, with its line."""
    path = _migration(written)
    text = _set_line(path.read_text(encoding="utf-8"), ("stages", 0, "status"), "    statsu: in_progress")
    path.write_text(text, encoding="utf-8")
    problems = [p.render() for p in plan_progress.check_plans(written, city.inventory)]
    line = yamlio.line_of(text, ("stages", 0, "statsu"))
    assert _line(text, line or 0) == "    statsu: in_progress"
    assert f"{path.name}:{line}: stages.0.statsu: unknown key 'statsu' in a stage: did you mean 'status'?" in " ".join(
        problems
    )


VALUE_CASES: list[tuple[str, Edit, tuple[str | int, ...], str]] = [
    ("disposition", lambda d: d.__setitem__("disposition", "挪走"), ("disposition",), "is not one of"),
    ("wave date", lambda d: d.__setitem__("wave_start", "next spring"), ("wave_start",), "expected a date"),
    ("department of another system", lambda d: d.__setitem__("department", "ZZZ"), ("department",), "unknown"),
    ("notes that are not text", lambda d: d.__setitem__("notes", {"a": 1}), ("notes",), "notes are text"),
    (
        "a step without do",
        lambda d: d["stages"][0]["steps"][0].pop("do"),
        ("stages", 0, "steps", 0),
        "a step says what to do",
    ),
    (
        "duplicate stage",
        lambda d: d["stages"][2].__setitem__("stage", "data"),
        ("stages", 2, "stage"),
        "stage data appears twice",
    ),
    ("cutover outside business", lambda d: d["stages"][0].__setitem__("cutover", []), ("stages", 0, "cutover"), "only"),
]


@pytest.mark.parametrize(("edit", "where", "message"), [c[1:] for c in VALUE_CASES], ids=[c[0] for c in VALUE_CASES])
def test_a_bad_value_is_an_error_at_its_line(
    written: Path, city: example.ExampleCity, edit: Edit, where: tuple[str | int, ...], message: str
) -> None:
    path = _migration(written)
    data = yamlio.load_roundtrip(path.read_text(encoding="utf-8"))
    edit(data)
    text = yamlio.dump_roundtrip(data)
    path.write_text(text, encoding="utf-8")
    problems = [p for p in plan_progress.check_plans(written, city.inventory) if p.field == ".".join(map(str, where))]
    assert len(problems) == 1, problems
    assert problems[0].line == yamlio.line_of(text, where)
    assert message in problems[0].message


def test_a_plan_whose_department_disagrees_with_the_census_is_named(written: Path, city: example.ExampleCity) -> None:
    path = _migration(written)
    data = yamlio.load_roundtrip(path.read_text(encoding="utf-8"))
    other = next(d.code for d in city.inventory.departments if d.code != data["department"])
    data["department"] = other
    path.write_text(yamlio.dump_roundtrip(data), encoding="utf-8")
    [problem] = plan_progress.check_plans(written, city.inventory)
    assert problem.field == "department"
    assert f"the census puts {path.stem} in" in problem.message


def test_every_problem_of_every_file_is_reported_at_once(written: Path, city: example.ExampleCity) -> None:
    first = _migration(written)
    second = _decommission(written)
    for path, edit in ((first, _rename(("stages", 2), "callers", "caller")), (second, _rename((), "owner", "ower"))):
        data = yamlio.load_roundtrip(path.read_text(encoding="utf-8"))
        edit(data)
        path.write_text(yamlio.dump_roundtrip(data), encoding="utf-8")
    (written / "NOPE-001.yaml").write_text("system: NOPE-001\nstages: []\n", encoding="utf-8")
    found = {(Path(p.path).name, p.field) for p in plan_progress.check_plans(written, city.inventory)}
    assert found == {
        (first.name, "stages.2.caller"),
        (second.name, "ower"),
        ("NOPE-001.yaml", "system"),
    }


def test_every_key_govcloud_writes_is_a_known_key(written: Path, city: example.ExampleCity) -> None:
    """The generated documents and the checker agree on the keys (no plan --write output is ever an error)."""
    for plan in _plans(city):
        document = plan_files.render_new(plan)
        data = yamlio.read_fast(document)
        assert plan_checks.check_plan(data, file_name=f"{plan.system}.yaml", inventory=city.inventory) == []
