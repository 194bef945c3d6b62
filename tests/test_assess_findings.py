"""Zombie findings weighed against counter-signals, proposals and confirmations, duplicates that need function
AND data, precision and recall on the example's planted truth, and one vocabulary for counts (issue 10)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any

import hypothesis
import pytest
from hypothesis import strategies as st
from typer.testing import CliRunner

from conftest import confirm_every_proposal
from govcloud.assessment.core import assess, similarity
from govcloud.assessment.core.assessment import (
    Assessment,
    Confirmation,
    ZombieCriterion,
    ZombieVerdict,
    ZombieWeighing,
    count_assessment,
)
from govcloud.cli import app
from govcloud.core import example, model
from govcloud.core.settings import DuplicateSettings, Settings, WaveSettings, ZombieSettings
from govcloud.edges import inventory_files
from govcloud.planning.core import plans, waves
from govcloud.reporting.core import labels
from govcloud.reporting.core.labels import Lang

D = model.Disposition
TODAY = dt.date(2026, 6, 30)
LEAD = "市大数据中心 迁移组 王磊"


def quiet_system(**changes: Any) -> model.System:
    """A system with no counter-signal: internal, used monthly, 40 users, last updated two years ago."""
    fields: dict[str, Any] = {
        "code": "TST-001",
        "name": "发展改革项目审批管理系统",
        "department": "FGW",
        "function": "用于发展改革部门项目审批业务的受理、审核、办结和统计分析",
        "scope": model.Scope.INTERNAL,
        "frequency": model.Frequency.MONTHLY,
        "construction_mode": model.ConstructionMode.GOVERNMENT,
        "carrying_network": model.CarryingNetwork.EXTRANET,
        "mlps_level": 2,
        "deployment": model.Deployment.VM,
        "os": "CentOS 7",
        "go_live": dt.date(2019, 3, 1),
        "last_update": dt.date(2024, 6, 1),
        "avg_cpu_percent": 40.0,
        "monthly_active_users": 400,
    }
    fields.update(changes)
    return model.System.model_validate(fields)


def weigh(system: model.System, *, dependents: tuple[str, ...] = (), **zombie: Any) -> ZombieWeighing:
    settings = ZombieSettings(**zombie)
    findings = list(assess.find_zombie_findings(system, settings, today=TODAY))
    assert findings, "the test system must meet a criterion"
    return assess.weigh_zombie(system, findings, dependents=dependents, settings=settings, today=TODAY)


def decide(system: model.System, *, dependents: tuple[str, ...] = (), **kwargs: Any) -> Any:
    settings = ZombieSettings()
    findings = list(assess.find_zombie_findings(system, settings, today=TODAY))
    weighing = (
        assess.weigh_zombie(system, findings, dependents=dependents, settings=settings, today=TODAY)
        if findings
        else None
    )
    return assess.decide(system, zombie=findings, blockers=(), merge=None, weighing=weighing, **kwargs)


# ---------------------------------------------------------------------------------------------------------
# Weighing: 下线 needs two independent criteria or one strong one, and no counter-signal

IDLE = {"avg_cpu_percent": 1.0}
UNMAINTAINED = {"last_update": dt.date(2021, 1, 1)}
SMALL_SCOPE = {"frequency": model.Frequency.RARELY, "monthly_active_users": 40}  # also detached below 30 users


def test_one_weak_criterion_goes_to_review_never_retire() -> None:
    weighing = weigh(quiet_system(**IDLE))
    assert weighing.verdict is ZombieVerdict.REVIEW
    assert weighing.for_retiring == ("idle: average CPU 1%",)
    assert weighing.against == ()
    assert weighing.why.startswith("too little evidence: 1 independent criterion")


def test_two_independent_weak_criteria_propose_retire() -> None:
    weighing = weigh(quiet_system(**IDLE, **SMALL_SCOPE))
    assert weighing.verdict is ZombieVerdict.RETIRE
    assert weighing.why == "2 independent criteria (resources, usage evidence)"


def test_detached_and_small_scope_rest_on_the_same_usage_and_count_once() -> None:
    system = quiet_system(frequency=model.Frequency.RARELY, monthly_active_users=12)
    criteria = {f.criterion for f in assess.find_zombie_findings(system, ZombieSettings(), today=TODAY)}
    assert criteria == {ZombieCriterion.DETACHED, ZombieCriterion.SMALL_SCOPE}
    assert weigh(system, strong_criteria=()).verdict is ZombieVerdict.REVIEW
    assert weigh(system).verdict is ZombieVerdict.RETIRE  # detached is strong by default


def test_one_strong_criterion_alone_proposes_retire() -> None:
    weighing = weigh(quiet_system(**UNMAINTAINED))
    assert weighing.verdict is ZombieVerdict.RETIRE
    assert weighing.why == "strong criterion: unmaintained"
    assert weigh(quiet_system(**UNMAINTAINED), strong_criteria=()).verdict is ZombieVerdict.REVIEW


def test_retire_thresholds_come_from_settings() -> None:
    system = quiet_system(**IDLE, **SMALL_SCOPE)
    assert weigh(system, retire_min_independent_criteria=3).verdict is ZombieVerdict.REVIEW
    assert weigh(quiet_system(**IDLE), retire_min_independent_criteria=1).verdict is ZombieVerdict.RETIRE


COUNTER_SIGNALS = [
    pytest.param(
        {"scope": model.Scope.PUBLIC, "frequency": model.Frequency.DAILY},
        (),
        "live: 面向公众 scope, used 每日",
        id="public-daily",
    ),
    pytest.param(
        {"scope": model.Scope.CROSS_DEPARTMENT, "frequency": model.Frequency.WEEKLY},
        (),
        "live: 跨部门 scope, used 每周",
        id="cross-department-weekly",
    ),
    pytest.param({"monthly_active_users": 5000}, (), "5,000 monthly users (at least 5,000)", id="many-users"),
    pytest.param({"last_update": dt.date(2026, 1, 15)}, (), "updated 2026-01-15, within 6 months", id="recent-update"),
    pytest.param({}, ("GAJ-001", "MZJ-002"), "2 systems depend on it: GAJ-001、MZJ-002", id="dependents"),
]


@pytest.mark.parametrize(("changes", "dependents", "against"), COUNTER_SIGNALS)
def test_counter_signal_turns_a_strong_candidate_into_review_with_both_sides(
    changes: dict[str, Any], dependents: tuple[str, ...], against: str
) -> None:
    base = {**IDLE, "go_live": dt.date(2012, 1, 1), "last_update": dt.date(2021, 1, 1)}  # idle + unmaintained
    control = weigh(quiet_system(**base))
    assert control.verdict is ZombieVerdict.RETIRE  # the forbidden case exists without the counter-signal
    weighing = weigh(quiet_system(**{**base, **changes}), dependents=dependents)
    assert weighing.verdict is ZombieVerdict.REVIEW
    assert against in weighing.against
    assert any(text.startswith("idle: ") for text in weighing.for_retiring)
    decision = decide(quiet_system(**{**base, **changes}), dependents=dependents)
    assert decision.disposition is D.REHOST
    assert decision.proposal is None
    assert decision.reasons[0] == "zombie review (复核): counter-signals: never 下线 without a lead's review"
    assert f"against 下线: {against}" in decision.reasons


def test_counter_signals_can_be_turned_off_in_settings() -> None:
    system = quiet_system(**IDLE, **SMALL_SCOPE)
    assert weigh(system, dependents=("GAJ-001",)).verdict is ZombieVerdict.REVIEW
    assert weigh(system, dependents=("GAJ-001",), counter_dependents=False).verdict is ZombieVerdict.RETIRE


# ---------------------------------------------------------------------------------------------------------
# Proposals and confirmations


def test_retire_is_a_proposal_until_confirmed() -> None:
    decision = decide(quiet_system(**UNMAINTAINED))
    assert decision.disposition is D.REHOST
    assert decision.proposed
    assert decision.proposal.disposition is D.RETIRE
    assert decision.reasons[0].startswith("提议 下线 (proposal): in effect once a lead confirms it")


def test_matching_confirmation_puts_the_proposal_into_effect() -> None:
    confirmation = Confirmation(D.RETIRE, LEAD, dt.date(2026, 7, 2), reference="entry 41")
    decision = decide(quiet_system(**UNMAINTAINED), confirmation=confirmation)
    assert decision.disposition is D.RETIRE
    assert decision.confirmed
    assert not decision.proposed
    assert decision.confirmation == confirmation
    assert decision.reasons[0] == f"confirmed by {LEAD} on 2026-07-02 (ledger entry 41)"


@pytest.mark.parametrize(
    "confirmation",
    [
        pytest.param(Confirmation(D.MERGE, LEAD, dt.date(2026, 7, 2), merge_into="FGW-001"), id="other-disposition"),
        pytest.param(Confirmation(D.RETIRE, LEAD, dt.date(2026, 7, 2)), id="nothing-proposed"),
    ],
)
def test_confirmation_of_something_not_proposed_is_not_applied(confirmation: Confirmation) -> None:
    system = quiet_system(**UNMAINTAINED) if confirmation.disposition is D.MERGE else quiet_system(**IDLE)
    decision = decide(system, confirmation=confirmation)
    assert decision.disposition is D.REHOST
    assert decision.confirmation is None
    assert "not applied" in decision.reasons[-1]


@pytest.fixture(scope="module")
def city() -> example.ExampleCity:
    return example.generate_city(systems=320, seed=7)


@pytest.fixture(scope="module")
def assessed(city: example.ExampleCity) -> Assessment:
    return assess.assess_inventory(city.inventory)


def test_merge_confirmed_for_another_target_is_not_applied(city: example.ExampleCity, assessed: Assessment) -> None:
    code, item = next(
        (c, i) for c, i in assessed.systems.items() if i.decision.proposal and i.decision.proposal.merge_into
    )
    wrong = "TST-999"
    result = assess.assess_inventory(
        city.inventory, confirmations={code: Confirmation(D.MERGE, LEAD, TODAY, merge_into=wrong)}
    )
    assert result.decision(code).disposition is item.decision.disposition
    assert result.decision(code).proposed
    right = assess.assess_inventory(
        city.inventory,
        confirmations={code: Confirmation(D.MERGE, LEAD, TODAY, merge_into=item.decision.proposal.merge_into)},
    )
    assert right.decision(code).disposition is D.MERGE
    assert right.decision(code).merge_into == item.decision.proposal.merge_into


def test_unconfirmed_proposals_plan_no_retire_and_no_merge(city: example.ExampleCity, assessed: Assessment) -> None:
    proposed = {c for c, i in assessed.systems.items() if i.decision.proposed}
    assert proposed  # the bundled city has proposals
    wave_plan = waves.plan_waves(city.inventory, assessed, WaveSettings())
    assert wave_plan.decommissions == {}
    held = {h.system for h in wave_plan.held}
    assert proposed <= set(wave_plan.placements) | held  # they move (or wait) as readiness says, until confirmed
    built = {p.system: p for p in plans.build_plans(city.inventory, assessed, wave_plan, Settings())}
    for code in proposed - held:
        assert built[code].kind is plans.PlanKind.MIGRATION
        assert built[code].disposition_reasons[0].startswith("提议 ")


def test_confirmed_proposals_never_leave_a_dependent_without_a_replacement(city: example.ExampleCity) -> None:
    confirmed, confirmations = confirm_every_proposal(city.inventory)
    assert confirmations
    wave_plan = waves.plan_waves(city.inventory, confirmed, WaveSettings())
    assert wave_plan.decommissions
    for decommission in wave_plan.decommissions.values():
        for dependent in decommission.dependents:
            assert dependent.target is not None, (decommission.system, dependent)
    for plan in plans.build_plans(city.inventory, confirmed, wave_plan, Settings()):
        if plan.decommission is not None:
            assert all(d.repoint_to is not None for d in plan.decommission.dependents)


# ---------------------------------------------------------------------------------------------------------
# The bundled assessment: no live system is proposed for 下线


@pytest.fixture(scope="module")
def bundled(bundled_inventory: Path) -> model.Inventory:
    return inventory_files.load_inventory(bundled_inventory).inventory


@pytest.fixture(scope="module")
def bundled_assessment(bundled: model.Inventory) -> Assessment:
    return assess.assess_inventory(bundled)


def test_bundled_assessment_proposes_retire_for_no_system_with_dependents_or_live_public_use(
    bundled: model.Inventory, bundled_assessment: Assessment
) -> None:
    dependents = assess.dependents_of(bundled)
    retiring = [
        c
        for c, i in bundled_assessment.systems.items()
        if i.decision.proposal and i.decision.proposal.disposition is D.RETIRE
    ]
    assert retiring  # the check below is not vacuous
    live = {model.Frequency.DAILY, model.Frequency.WEEKLY}
    for code in retiring:
        system = bundled.system_by_code[code]
        assert not dependents.get(code), code
        assert not (system.scope is model.Scope.PUBLIC and system.frequency in live), code
        assert (system.monthly_active_users or 0) < ZombieSettings().counter_monthly_users, code


@pytest.mark.parametrize(
    ("code", "against"),
    [
        ("XFJ-003", ("live: 面向公众 scope, used 每日", "231,640 monthly users (at least 5,000)")),
        ("ZWJ-002", ("live: 跨部门 scope, used 每日", "6 systems depend on it: CLB-002、GZW-005、RSJ-002 and 3 more")),
    ],
)
def test_known_live_systems_are_reviewed_not_retired(
    bundled_assessment: Assessment, code: str, against: tuple[str, ...]
) -> None:
    item = bundled_assessment.systems[code]
    assert item.weighing is not None
    assert item.weighing.verdict is ZombieVerdict.REVIEW
    assert set(against) <= set(item.weighing.against)
    assert item.weighing.for_retiring[0].startswith("idle: average CPU ")
    assert item.decision.proposal is None
    assert item.decision.disposition is D.REHOST


# ---------------------------------------------------------------------------------------------------------
# Duplicates need overlapping function text AND overlapping data


def pair_of(*systems: model.System, entries: dict[str, tuple[str, ...]]) -> set[tuple[str, str]]:
    """Duplicate pairs among ``systems`` added to the bundled city, each holding one entry with ``entries`` items."""
    base = example.generate_city(systems=120, seed=3).inventory
    template = base.catalogue[0]
    catalogue = [
        template.model_copy(
            update={
                "code": f"{template.code.split('/')[0]}/98{k:05d}",
                "system": s.code,
                "provider": s.department,
                "data_items": tuple(model.DataItem(name=n, type=model.DataItemType.C) for n in entries[s.code]),
            }
        )
        for k, s in enumerate(systems)
    ]
    inventory = base.model_copy(
        update={"systems": (*base.systems, *systems), "catalogue": (*base.catalogue, *catalogue)}
    )
    return {(p.a, p.b) for p in assess.assess_inventory(inventory).duplicate_pairs if p.a.startswith("TST")}


SHADOW = {
    "name": "特种设备安全监察信息系统",
    "function": "电梯、锅炉、压力容器等特种设备的登记、定期检验和隐患排查管理",
}


def test_same_function_and_same_data_is_a_duplicate() -> None:
    a = quiet_system(code="TST-001", **SHADOW)
    b = quiet_system(code="TST-002", **{**SHADOW, "name": "特种设备安全监察管理平台"})
    items = ("特种设备使用登记证号", "设备检验结论", "隐患整改状态")
    assert pair_of(a, b, entries={"TST-001": items, "TST-002": items}) == {("TST-001", "TST-002")}


def test_same_name_and_function_without_shared_data_is_no_duplicate() -> None:
    a = quiet_system(code="TST-001", **SHADOW)
    b = quiet_system(code="TST-002", **SHADOW)
    entries = {"TST-001": ("特种设备使用登记证号", "设备检验结论"), "TST-002": ("电梯维保单位", "维保合同编号")}
    assert pair_of(a, b, entries=entries) == set()


def test_same_name_and_data_with_a_different_function_is_no_duplicate() -> None:
    a = quiet_system(code="TST-001", **SHADOW)
    b = quiet_system(code="TST-002", **{**SHADOW, "function": "面向公众发布行政处罚决定书和信用修复结果的公示查询"})
    items = ("特种设备使用登记证号", "设备检验结论")
    assert pair_of(a, b, entries={"TST-001": items, "TST-002": items}) == set()


def test_facets_of_one_function_are_department_candidates_only_when_their_data_overlaps() -> None:
    main = quiet_system(code="TST-001", **SHADOW)
    facet = quiet_system(
        code="TST-002", name="特种设备安全监察统计分析信息系统", function=SHADOW["function"] + "的统计分析"
    )
    own = ("特种设备使用登记证号", "设备检验结论", "隐患整改状态")
    apart = pair_of(main, facet, entries={"TST-001": own, "TST-002": ("统计指标", "统计期别", "填报单位")})
    assert apart == set()
    shared = pair_of(main, facet, entries={"TST-001": own, "TST-002": own})
    assert shared == {("TST-001", "TST-002")}


def test_department_vocabulary_is_no_evidence_of_shared_data(city: example.ExampleCity) -> None:
    data = assess.distinctive_data(city.inventory, DuplicateSettings())
    jyj = [s.code for s in city.inventory.systems if s.department == "JYJ"]
    for code in jyj:
        assert "学生姓名" not in data[code]  # every 教育局 system holds it
    assert any(item.endswith("事项编号") for code in jyj for item in data[code])


@pytest.mark.parametrize("threshold", [0.55, 0.65, 0.8])
def test_indexed_finder_equals_naive_with_gates(city: example.ExampleCity, threshold: float) -> None:
    settings = DuplicateSettings()
    data = assess.distinctive_data(city.inventory, settings)
    documents = [
        similarity.Document(s.code, s.department, s.name, s.function, data_items=data[s.code])
        for s in city.inventory.systems
    ]
    corpus = similarity.Corpus(documents)
    gates = similarity.Gates(min_function=settings.min_function_similarity, min_data=settings.min_data_overlap)
    indexed = similarity.find_duplicates(corpus, threshold=threshold, gates=gates)
    naive = similarity.naive_all_pairs(corpus, threshold=threshold, gates=gates)
    assert indexed.pairs == naive.pairs
    assert indexed.pairs  # not vacuous
    ungated = similarity.find_duplicates(corpus, threshold=threshold)
    assert indexed.pair_keys() < ungated.pair_keys()


# ---------------------------------------------------------------------------------------------------------
# Precision and recall on the example's planted truth (pinned; stated in docs/assessment.md)


def accuracy(city: example.ExampleCity, settings: DuplicateSettings | None = None) -> similarity.PairAccuracy:
    pairs = assess.find_duplicate_pairs(city.inventory, settings or DuplicateSettings())
    return similarity.measure_pairs([(p.a, p.b) for p in pairs], city.duplicate_truth())


def test_precision_and_recall_on_the_bundled_city(city: example.ExampleCity) -> None:
    measured = accuracy(city)
    assert (measured.found, measured.truth, measured.true_positives) == (41, 44, 41)
    assert measured.precision == 1.0
    assert measured.recall >= 0.93


def test_precision_and_recall_on_a_city_of_2000_systems() -> None:
    measured = accuracy(example.generate_city(systems=2000, seed=7))
    assert measured.precision >= 0.99
    assert measured.recall >= 0.95


def test_hard_negatives_fool_names_and_functions_but_not_the_data_gate(city: example.ExampleCity) -> None:
    hard = {tuple(sorted(p.split("~"))) for p in city.planted["lookalike_hard"]}
    assert len(hard) == 3
    gated = {(p.a, p.b) for p in assess.find_duplicate_pairs(city.inventory, DuplicateSettings())}
    assert not hard & gated
    text_only = DuplicateSettings(min_function_similarity=0.0, min_data_overlap=0.0)
    ungated = {(p.a, p.b) for p in assess.find_duplicate_pairs(city.inventory, text_only)}
    assert hard <= ungated  # on names and functions alone they pass: hard negatives indeed
    assert accuracy(city, text_only).precision < 0.5


def test_bundled_merge_share_is_what_the_planted_duplicates_justify(
    city: example.ExampleCity, assessed: Assessment
) -> None:
    counts = count_assessment(assessed)
    truth_systems = {code for pair in city.duplicate_truth() for code in pair}
    assert counts.proposed[D.MERGE] <= len(truth_systems)
    assert counts.proposed[D.MERGE] < 0.12 * counts.systems  # was 90 of 320 (28%)
    for item in assessed.systems.values():
        if item.decision.proposal is not None and item.decision.proposal.disposition is D.MERGE:
            a, b = sorted((item.code, item.decision.proposal.merge_into or ""))
            assert (a, b) in city.duplicate_truth(), item.code


# ---------------------------------------------------------------------------------------------------------
# One vocabulary for counts: assess, run and the report say the same numbers


def test_counts_add_up(assessed: Assessment) -> None:
    counts = count_assessment(assessed)
    assert counts.zombie_systems == counts.zombie_retire + counts.zombie_review + counts.zombie_replaceable
    assert counts.zombie_findings >= counts.zombie_systems
    assert sum(counts.dispositions.values()) == counts.systems == len(assessed.systems)
    assert counts.duplicate_pairs == len(assessed.duplicate_pairs)
    assert counts.duplicate_systems <= 2 * counts.duplicate_pairs


def test_assess_run_and_report_render_the_same_counts(bundled_inventory: Path, tmp_path: Path) -> None:
    inventory = Path(shutil.copytree(bundled_inventory, tmp_path / "inventory"))
    counts = count_assessment(assess.assess_inventory(inventory_files.load_inventory(inventory).inventory))
    runner = CliRunner()
    shown = runner.invoke(app, ["assess", "--inventory", str(inventory)], catch_exceptions=False)
    assert shown.exit_code == 0, shown.output
    assert f"assessed {counts.systems} systems as of 2026-06-30: {counts.summary()}" in shown.stdout
    assert f"Zombie findings (one row per finding) ({counts.zombie_findings})" in shown.stdout
    assert f"Duplicate pairs (one row per pair) ({counts.duplicate_pairs})" in shown.stdout
    document = json.loads(runner.invoke(app, ["assess", "--inventory", str(inventory), "--format", "json"]).stdout)
    assert document["figures"] == {name: number for name, number, _ in counts.rows()}
    ran = runner.invoke(
        app,
        [
            "run",
            "--inventory",
            str(inventory),
            "--plans",
            str(tmp_path / "plans"),
            "--reports",
            str(tmp_path / "reports"),
        ],
        catch_exceptions=False,
    )
    assert ran.exit_code == 0, ran.output
    assert f"{counts.systems} systems: {counts.summary()}" in ran.stdout
    markdown = (tmp_path / "reports" / "report.md").read_text(encoding="utf-8")
    for name, number, unit in counts.rows():  # the same counts, labelled in zh-CN by the report
        zh_name, zh_unit = labels.assessment_label(name, Lang.ZH), labels.assessment_unit(name, unit, Lang.ZH)
        assert f"| {zh_name} | {number:,} | {zh_unit} |" in markdown
    html = (tmp_path / "reports" / "report.html").read_text(encoding="utf-8")
    assert f'<td class="text">僵尸系统候选</td><td>{counts.zombie_systems}</td>' in html


def test_counts_change_with_the_assessment_not_with_the_rendering(assessed: Assessment) -> None:
    fewer = dataclasses.replace(assessed, duplicate_pairs=assessed.duplicate_pairs[:1])
    assert count_assessment(fewer).duplicate_pairs == 1 != count_assessment(assessed).duplicate_pairs


@hypothesis.settings(max_examples=200, deadline=None)
@hypothesis.given(
    scope=st.sampled_from(list(model.Scope)),
    frequency=st.sampled_from(list(model.Frequency)),
    users=st.integers(min_value=0, max_value=20_000),
    cpu=st.floats(min_value=0.0, max_value=100.0),
    updated=st.dates(min_value=dt.date(2015, 1, 1), max_value=TODAY),
    dependents=st.lists(st.sampled_from(["GAJ-001", "MZJ-002", "ZWJ-003"]), unique=True, max_size=2),
)
def test_no_counter_signal_ever_lets_a_retire_through(
    scope: model.Scope, frequency: model.Frequency, users: int, cpu: float, updated: dt.date, dependents: list[str]
) -> None:
    system = quiet_system(
        scope=scope,
        frequency=frequency,
        monthly_active_users=users,
        avg_cpu_percent=round(cpu, 1),
        go_live=dt.date(2014, 1, 1),
        last_update=updated,
    )
    settings = ZombieSettings()
    findings = list(assess.find_zombie_findings(system, settings, today=TODAY))
    hypothesis.assume(findings)
    weighing = assess.weigh_zombie(system, findings, dependents=tuple(dependents), settings=settings, today=TODAY)
    live = scope is not model.Scope.INTERNAL and frequency in (model.Frequency.DAILY, model.Frequency.WEEKLY)
    recent = assess.months_between(updated, TODAY) < settings.counter_updated_within_months
    countered = live or users >= settings.counter_monthly_users or recent or bool(dependents)
    if countered:
        assert weighing.verdict is ZombieVerdict.REVIEW
        assert weighing.against
    else:
        assert weighing.against == ()
    signals = {f.criterion for f in findings}
    strong = signals & {ZombieCriterion.DETACHED, ZombieCriterion.UNMAINTAINED}
    independent = {"usage" if c in (ZombieCriterion.DETACHED, ZombieCriterion.SMALL_SCOPE) else c for c in signals}
    expected_retire = not countered and (bool(strong) or len(independent) >= 2)
    assert (weighing.verdict is ZombieVerdict.RETIRE) is expected_retire
