"""The assessment: zombie criteria, duplicates on Chinese text, cloud readiness, dispositions, overrides, CLI."""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from conftest import confirm_every_proposal
from govcloud.assessment.core import assess, similarity
from govcloud.assessment.core.assessment import Assessment, ReadinessBlocker, ZombieCriterion
from govcloud.cli import app
from govcloud.core import example, model
from govcloud.core.settings import CloudSettings, DuplicateSettings, Settings, ZombieSettings
from govcloud.edges import inventory_files

Disposition = model.Disposition
TODAY = dt.date(2026, 6, 30)


def make_system(**changes: Any) -> model.System:
    """An ordinary, healthy, cloud-ready system; ``changes`` make it what a test needs."""
    fields: dict[str, Any] = {
        "code": "TST-001",
        "name": "发展改革项目审批管理系统",
        "department": "FGW",
        "function": "用于发展改革部门项目审批业务的受理、审核、办结和统计分析",
        "scope": model.Scope.CROSS_DEPARTMENT,
        "frequency": model.Frequency.DAILY,
        "construction_mode": model.ConstructionMode.GOVERNMENT,
        "carrying_network": model.CarryingNetwork.EXTRANET,
        "mlps_level": 2,
        "deployment": model.Deployment.VM,
        "os": "CentOS 7",
        "go_live": dt.date(2019, 3, 1),
        "last_update": dt.date(2026, 1, 15),
        "avg_cpu_percent": 40.0,
        "monthly_active_users": 800,
    }
    fields.update(changes)
    return model.System.model_validate(fields)


@pytest.fixture(scope="module")
def city() -> example.ExampleCity:
    """The bundled inventory's city: ``govcloud example`` defaults (320 systems, seed 7)."""
    return example.generate_city(systems=320, seed=7)


@pytest.fixture(scope="module")
def assessed(city: example.ExampleCity) -> Assessment:
    return assess.assess_inventory(city.inventory, Settings())


def with_copy(inventory: model.Inventory, base: model.System, copy: model.System) -> model.Inventory:
    """The inventory with ``base`` replaced and ``copy`` added, holding copies of ``base``'s catalogue entries."""
    entries = [
        e.model_copy(update={"code": e.code.split("/")[0] + "/9" + e.code.split("/")[1][1:], "system": copy.code})
        for e in inventory.entries_of_system.get(base.code, ())
    ]
    changed = with_systems(inventory, base, copy)
    return changed.model_copy(update={"catalogue": (*changed.catalogue, *entries)})


def proposed_target(result: Assessment, code: str) -> str | None:
    proposal = result.decision(code).proposal
    return proposal.merge_into if proposal is not None else None


def with_systems(inventory: model.Inventory, *systems: model.System) -> model.Inventory:
    """The inventory with ``systems`` replacing (same code) or added to its systems."""
    replaced = {s.code: s for s in systems}
    kept = [replaced.pop(s.code, s) for s in inventory.systems]
    return inventory.model_copy(update={"systems": (*kept, *replaced.values())})


def zombie_criteria(system: model.System, zombie: ZombieSettings | None = None) -> dict[ZombieCriterion, str]:
    found = assess.find_zombie_findings(system, zombie or ZombieSettings(), today=TODAY)
    return {f.criterion: f.evidence for f in found}


# ---------------------------------------------------------------------------------------------------------
# Zombie criteria: each one met exactly, and its boundary just missed


def test_healthy_system_meets_no_zombie_criterion() -> None:
    assert zombie_criteria(make_system()) == {}


def test_zombie_when_detached_from_business() -> None:
    found = zombie_criteria(make_system(monthly_active_users=12, frequency=model.Frequency.YEARLY))
    assert found == {ZombieCriterion.DETACHED: "12 monthly users, used 每年"}


def test_not_detached_at_the_user_threshold_or_when_used_monthly() -> None:
    assert zombie_criteria(make_system(monthly_active_users=30, frequency=model.Frequency.YEARLY)) == {}
    assert zombie_criteria(make_system(monthly_active_users=12, frequency=model.Frequency.MONTHLY)) == {}


def test_zombie_when_resources_idle() -> None:
    assert zombie_criteria(make_system(avg_cpu_percent=2.0)) == {ZombieCriterion.IDLE: "average CPU 2%"}


def test_not_idle_at_the_cpu_threshold() -> None:
    assert zombie_criteria(make_system(avg_cpu_percent=5.0)) == {}


def test_zombie_when_unmaintained_for_three_years() -> None:
    found = zombie_criteria(make_system(last_update=dt.date(2023, 1, 30)))
    assert found == {ZombieCriterion.UNMAINTAINED: "no update for 41 months (last 2023-01-30)"}


def test_not_unmaintained_one_month_short() -> None:
    assert assess.months_between(dt.date(2023, 7, 30), TODAY) == 35
    assert zombie_criteria(make_system(last_update=dt.date(2023, 7, 30))) == {}
    assert ZombieCriterion.UNMAINTAINED in zombie_criteria(make_system(last_update=dt.date(2023, 6, 30)))


def test_unmaintained_counts_from_go_live_without_an_update_and_names_a_gone_vendor() -> None:
    system = make_system(last_update=None, go_live=dt.date(2020, 1, 1), vendor_support=model.VendorSupport.VENDOR_GONE)
    assert zombie_criteria(system) == {
        ZombieCriterion.UNMAINTAINED: "no change since go-live for 77 months (last 2020-01-01); vendor 厂商不存在"
    }


def test_zombie_when_small_scope_and_low_frequency() -> None:
    system = make_system(scope=model.Scope.INTERNAL, monthly_active_users=38, frequency=model.Frequency.YEARLY)
    assert zombie_criteria(system) == {
        ZombieCriterion.SMALL_SCOPE: "38 monthly users, department-internal scope (部门内部), used 每年"
    }


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"monthly_active_users": 50}, id="users-at-threshold"),
        pytest.param({"scope": model.Scope.CROSS_DEPARTMENT}, id="cross-department"),
        pytest.param({"frequency": model.Frequency.MONTHLY}, id="used-monthly"),
    ],
)
def test_not_small_scope_just_outside(changes: dict[str, Any]) -> None:
    fields = {"scope": model.Scope.INTERNAL, "monthly_active_users": 38, "frequency": model.Frequency.YEARLY}
    assert zombie_criteria(make_system(**{**fields, **changes})) == {}


def test_missing_census_fields_give_no_finding() -> None:
    system = make_system(monthly_active_users=None, avg_cpu_percent=None, last_update=None, go_live=None)
    assert zombie_criteria(system) == {}


def test_zombie_thresholds_come_from_settings() -> None:
    system = make_system(last_update=dt.date(2024, 1, 1))
    assert zombie_criteria(system) == {}
    assert ZombieCriterion.UNMAINTAINED in zombie_criteria(system, ZombieSettings(months_without_update=24))


# ---------------------------------------------------------------------------------------------------------
# Duplicates on Chinese text


def city_documents(inventory: model.Inventory) -> list[similarity.Document]:
    lines = assess.department_lines(inventory.departments)
    entries = inventory.entries_of_system
    return [
        similarity.Document(
            key=s.code,
            department=s.department,
            line=lines[s.department],
            name=s.name,
            function=s.function,
            data_items=tuple(dict.fromkeys(i.name for e in entries.get(s.code, ()) for i in e.data_items)),
        )
        for s in inventory.systems
    ]


def doc(key: str, department: str, name: str, function: str, *items: str) -> similarity.Document:
    return similarity.Document(key=key, department=department, name=name, function=function, data_items=items)


SHADOWS = [
    doc(
        "SCJ-901",
        "SCJ",
        "特种设备安全监察信息系统",
        "电梯、锅炉、压力容器等特种设备的登记、定期检验和隐患排查管理",
        "设备编号",
    ),
    doc(
        "SCJ-902", "SCJ", "特种设备安全监察管理平台", "电梯、锅炉、压力容器等特种设备的登记、检验和隐患排查", "设备编号"
    ),
    doc(
        "YJJ-901",
        "YJJ",
        "特种设备安全监察系统",
        "电梯、锅炉及压力容器等特种设备登记、定期检验和隐患排查管理",
        "隐患数量",
    ),
    doc("JGJ-901", "JGJ", "车辆管理信息系统", "公务用车的派车申请、审批、油耗登记和维修保养记录管理", "车辆号牌"),
    doc(
        "JGJ-902",
        "JGJ",
        "车辆检测信息系统",
        "机动车安全技术检验机构的检测数据联网上传、尾气排放检测结果监管",
        "车辆号牌",
    ),
]


@pytest.fixture(scope="module")
def shadow_result(city: example.ExampleCity) -> similarity.FinderResult:
    corpus = similarity.Corpus([*city_documents(city.inventory), *SHADOWS])
    return similarity.find_duplicates(corpus, threshold=DuplicateSettings().min_similarity)


def test_duplicate_found_within_a_department_with_shared_terms(shadow_result: similarity.FinderResult) -> None:
    pair = next(p for p in shadow_result.pairs if (p.a, p.b) == ("SCJ-901", "SCJ-902"))
    assert pair.within_department
    assert pair.score >= DuplicateSettings().min_similarity
    assert any("特种设备安全监察" in term for term in pair.overlapping_terms)
    assert "信息项:设备编号" in pair.overlapping_terms


def test_shadow_system_found_across_departments(shadow_result: similarity.FinderResult) -> None:
    pair = next(p for p in shadow_result.pairs if (p.a, p.b) == ("SCJ-901", "YJJ-901"))
    assert not pair.within_department
    assert any("特种设备" in term for term in pair.overlapping_terms)


def test_look_alikes_with_a_different_function_are_not_duplicates(shadow_result: similarity.FinderResult) -> None:
    assert ("JGJ-901", "JGJ-902") not in shadow_result.pair_keys()


def test_generic_words_count_little(city: example.ExampleCity) -> None:
    corpus = similarity.Corpus(city_documents(city.inventory))
    idf = corpus.name.idf
    assert idf["系统"] < 1.0 < 3.0 < idf["特种"]


def test_counterpart_departments_are_compared_only_when_asked() -> None:
    docs = [
        similarity.Document("JYJ01-001", "JYJ01", "教育学籍管理系统", "学生学籍的注册、转学和毕业管理", line="JYJ"),
        similarity.Document("JYJ02-001", "JYJ02", "教育学籍管理系统", "学生学籍的注册、转学和毕业管理", line="JYJ"),
        similarity.Document("GAJ-001", "GAJ", "人口信息管理系统", "户籍人口的登记、迁入迁出管理", line="GAJ"),
    ]
    corpus = similarity.Corpus(docs, min_df=1)
    assert similarity.find_duplicates(corpus, threshold=0.7).pairs == ()
    both = similarity.find_duplicates(corpus, threshold=0.7, compare_counterparts=True)
    assert both.pair_keys() == {("JYJ01-001", "JYJ02-001")}


def sample_corpus(systems: int, seed: int, size: int) -> similarity.Corpus:
    documents = city_documents(example.generate_city(systems=systems, seed=seed).inventory)
    return similarity.Corpus(random.Random(seed).sample(documents, size))


@pytest.mark.parametrize("threshold", [0.4, 0.55, 0.7, 0.9])
@pytest.mark.parametrize("compare_counterparts", [False, True], ids=["skip-counterparts", "counterparts"])
def test_indexed_finder_equals_naive_all_pairs(threshold: float, compare_counterparts: bool) -> None:
    corpus = sample_corpus(600, 11, 260)  # 60 departments: district counterparts exist
    indexed = similarity.find_duplicates(corpus, threshold=threshold, compare_counterparts=compare_counterparts)
    naive = similarity.naive_all_pairs(corpus, threshold=threshold, compare_counterparts=compare_counterparts)
    assert indexed.pairs == naive.pairs
    assert indexed.stats.pairs_scored < naive.stats.pairs_scored


PHRASES = [
    "特种设备",
    "安全监察",
    "车辆",
    "管理",
    "信息系统",
    "平台",
    "登记",
    "检验",
    "公务用车",
    "学籍",
    "审批",
    "数据",
]


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.lists(st.sampled_from(PHRASES), min_size=1, max_size=5), min_size=2, max_size=14),
    st.floats(min_value=0.05, max_value=1.0),
)
def test_indexed_finder_equals_naive_on_random_texts(texts: list[list[str]], threshold: float) -> None:
    docs = [
        similarity.Document(f"S-{k}", f"D{k % 3}", "".join(words), "".join(reversed(words)), data_items=(words[0],))
        for k, words in enumerate(texts)
    ]
    corpus = similarity.Corpus(docs, min_df=1, max_df_share=0.0)
    indexed = similarity.find_duplicates(corpus, threshold=threshold)
    assert indexed.pairs == similarity.naive_all_pairs(corpus, threshold=threshold).pairs


def test_weights_must_sum_to_one() -> None:
    with pytest.raises(ValueError, match="must be 1"):
        DuplicateSettings(name_weight=0.5, function_weight=0.5, data_item_weight=0.5)


# ---------------------------------------------------------------------------------------------------------
# Cloud readiness: every reason


@pytest.mark.parametrize(
    ("changes", "reason", "evidence"),
    [
        pytest.param(
            {"classified": True, "carrying_network": model.CarryingNetwork.INTRANET, "mlps_level": None},
            ReadinessBlocker.CLASSIFIED,
            "classified (涉密) system on 电子政务内网",
            id="classified",
        ),
        pytest.param(
            {"mlps_level": 4}, ReadinessBlocker.MLPS_ABOVE_CLOUD, "MLPS level 4 above the cloud's level 3", id="mlps4"
        ),
        pytest.param(
            {"mlps_level": 5},
            ReadinessBlocker.MLPS_ABOVE_CLOUD,
            "MLPS level 5 never goes to a shared cloud",
            id="mlps5",
        ),
        pytest.param(
            {"cpu_arch": model.CpuArch.MINICOMPUTER, "os": "AIX 7.1"},
            ReadinessBlocker.PLATFORM,
            "runs on a 小型机 (AIX 7.1)",
            id="minicomputer",
        ),
        pytest.param(
            {"cpu_arch": model.CpuArch.MAINFRAME, "os": "z/OS 2.4"},
            ReadinessBlocker.PLATFORM,
            "runs on a 大型机 (z/OS 2.4)",
            id="mainframe",
        ),
        pytest.param(
            {"cpu_arch": model.CpuArch.ARM, "os": "Kylin V10"},
            ReadinessBlocker.PLATFORM,
            "runs on ARM; the cloud offers x86",
            id="other-architecture",
        ),
        pytest.param(
            {"os": "HP-UX 11i"},
            ReadinessBlocker.PLATFORM,
            "operating system HP-UX 11i cannot be virtualised on the cloud",
            id="non-virtualisable-os",
        ),
        pytest.param(
            {"special_hardware": ("加密卡", "加密狗")},
            ReadinessBlocker.SPECIAL_HARDWARE,
            "needs special hardware: 加密卡、加密狗",
            id="special-hardware",
        ),
        pytest.param(
            {"licence_allows_virtualisation": False},
            ReadinessBlocker.LICENCE,
            "licence forbids virtualisation",
            id="licence",
        ),
        pytest.param(
            {"vendor_support": model.VendorSupport.ENDED},
            ReadinessBlocker.VENDOR,
            "vendor support ended (停止支持)",
            id="vendor-support-ended",
        ),
        pytest.param(
            {"vendor_support": model.VendorSupport.VENDOR_GONE},
            ReadinessBlocker.VENDOR,
            "vendor no longer exists (厂商不存在)",
            id="vendor-gone",
        ),
    ],
)
def test_each_readiness_blocker_with_its_evidence(
    changes: dict[str, Any], reason: ReadinessBlocker, evidence: str
) -> None:
    blockers = assess.find_blockers(make_system(**changes), CloudSettings())
    assert [(b.reason, b.evidence) for b in blockers] == [(reason, evidence)]


def test_every_blocking_reason_is_listed() -> None:
    system = make_system(
        mlps_level=4,
        cpu_arch=model.CpuArch.MINICOMPUTER,
        special_hardware=("加密卡",),
        licence_allows_virtualisation=False,
        vendor_support=model.VendorSupport.ENDED,
    )
    reasons = [b.reason for b in assess.find_blockers(system, CloudSettings())]
    assert reasons == [
        ReadinessBlocker.MLPS_ABOVE_CLOUD,
        ReadinessBlocker.PLATFORM,
        ReadinessBlocker.SPECIAL_HARDWARE,
        ReadinessBlocker.LICENCE,
        ReadinessBlocker.VENDOR,
    ]


def test_a_level_4_cloud_takes_level_4_systems_only_with_a_dedicated_pool() -> None:
    system = make_system(mlps_level=4)
    without_pool = assess.find_blockers(system, CloudSettings(mlps_level=4))
    assert [b.evidence for b in without_pool] == [
        "MLPS level 4 needs a dedicated resource pool; none is declared (cloud.dedicated_pools)"
    ]
    assert assess.find_blockers(system, CloudSettings(mlps_level=4, dedicated_pools=("mlps4",))) == ()


# ---------------------------------------------------------------------------------------------------------
# Dispositions


def decided(system: model.System, settings: Settings | None = None) -> model.Disposition:
    settings = settings or Settings()
    zombie = list(assess.find_zombie_findings(system, settings.zombie, today=TODAY))
    blockers = assess.find_blockers(system, settings.cloud)
    return assess.decide(system, zombie=zombie, blockers=blockers, merge=None).disposition


@pytest.mark.parametrize(
    ("changes", "disposition"),
    [
        pytest.param({}, Disposition.REHOST, id="ready-rehost"),
        pytest.param({"deployment": model.Deployment.PHYSICAL}, Disposition.REPLATFORM, id="physical-replatform"),
        pytest.param({"cpu_arch": model.CpuArch.MINICOMPUTER}, Disposition.REPLATFORM, id="platform-replatform"),
        pytest.param({"vendor_support": model.VendorSupport.ENDED}, Disposition.REPLATFORM, id="vendor-replatform"),
        pytest.param({"avg_cpu_percent": 1.0}, Disposition.REHOST, id="weak-zombie-keeps-moving"),
        pytest.param({"mlps_level": 4}, Disposition.DEFER, id="mlps-defer"),
        pytest.param({"special_hardware": ("加密卡",)}, Disposition.DEFER, id="hardware-defer"),
        pytest.param({"licence_allows_virtualisation": False}, Disposition.DEFER, id="licence-defer"),
        pytest.param({"classified": True, "mlps_level": None}, Disposition.EXEMPT, id="classified-exempt"),
        pytest.param({"mlps_level": 5}, Disposition.EXEMPT, id="mlps5-exempt"),
        pytest.param(
            {"classified": True, "mlps_level": None, "avg_cpu_percent": 1.0}, Disposition.EXEMPT, id="classified-wins"
        ),
        pytest.param(
            {"mlps_level": 4, "cpu_arch": model.CpuArch.MINICOMPUTER}, Disposition.DEFER, id="defer-beats-refactor"
        ),
    ],
)
def test_disposition_path(changes: dict[str, Any], disposition: model.Disposition) -> None:
    assert decided(make_system(**changes)) == disposition


def test_defer_lists_every_reason() -> None:
    system = make_system(mlps_level=4, licence_allows_virtualisation=False, vendor_support=model.VendorSupport.ENDED)
    decision = assess.decide(system, zombie=[], blockers=assess.find_blockers(system, CloudSettings()), merge=None)
    assert decision.reasons == (
        "MLPS level 4 above the cloud's level 3",
        "licence forbids virtualisation",
        "also to refactor: vendor support ended (停止支持)",
    )


def test_classified_exempt_reason() -> None:
    system = make_system(classified=True, mlps_level=None)
    decision = assess.decide(system, zombie=[], blockers=assess.find_blockers(system, CloudSettings()), merge=None)
    assert decision.reasons[0] == "classified systems never move"


def test_settings_change_the_outcome_cloud_level_4() -> None:
    system = make_system(mlps_level=4)
    assert decided(system) == Disposition.DEFER
    level4 = Settings(cloud=CloudSettings(mlps_level=4, dedicated_pools=("mlps4",)))
    assert decided(system, level4) == Disposition.REHOST


def test_duplicate_merges_into_the_maintained_system(city: example.ExampleCity) -> None:
    base = city.inventory.system_by_code["SCJ-003"]
    copy = base.model_copy(
        update={"code": "SCJ-950", "name": base.name.replace("系统", "平台"), "last_update": dt.date(2025, 1, 1)}
    )
    inventory = with_copy(city.inventory, base.model_copy(update={"last_update": dt.date(2026, 5, 1)}), copy)
    result = assess.assess_inventory(inventory)
    decision = result.decision("SCJ-950")
    assert decision.proposed
    assert decision.proposal is not None
    assert decision.proposal.disposition == Disposition.MERGE
    assert decision.proposal.merge_into == "SCJ-003"
    assert (
        decision.proposal.reasons[1]
        == "SCJ-003 stays: SCJ-003 is maintained: updated more recently (2026-05-01 vs 2025-01-01)"
    )
    finding = result.systems["SCJ-950"].zombie[0]
    assert finding.criterion == ZombieCriterion.REPLACEABLE
    assert finding.evidence.startswith("function covered by SCJ-003 (similarity ")
    assert result.decision("SCJ-003").disposition != Disposition.MERGE


def test_a_system_proposed_for_retire_never_survives_a_duplicate_set(city: example.ExampleCity) -> None:
    dependents = assess.dependents_of(city.inventory)
    base = next(
        s
        for s in city.inventory.systems
        if s.code not in dependents and not s.classified and city.inventory.entries_of_system.get(s.code)
    )
    # idle and small scope, nothing against it: 下线 proposed; recently updated, so otherwise the preferred copy.
    zombie = base.model_copy(
        update={
            "avg_cpu_percent": 1.0,
            "scope": model.Scope.INTERNAL,
            "frequency": model.Frequency.RARELY,
            "monthly_active_users": 40,
            "last_update": dt.date(2025, 6, 1),
        }
    )
    copy = base.model_copy(update={"code": f"{base.department}-950", "last_update": dt.date(2024, 1, 1)})
    result = assess.assess_inventory(with_copy(city.inventory, zombie, copy))
    assert proposed_target(result, base.code) == copy.code
    assert proposed_target(result, copy.code) is None


def test_a_system_under_review_may_survive_a_duplicate_set(city: example.ExampleCity) -> None:
    base = city.inventory.system_by_code["SCJ-003"]
    # idle, but used daily across departments and updated this month: 复核, and the maintained copy.
    live = base.model_copy(
        update={
            "avg_cpu_percent": 1.0,
            "scope": model.Scope.CROSS_DEPARTMENT,
            "frequency": model.Frequency.DAILY,
            "last_update": dt.date(2026, 6, 1),
        }
    )
    copy = base.model_copy(update={"code": "SCJ-950", "last_update": dt.date(2024, 1, 1)})
    result = assess.assess_inventory(with_copy(city.inventory, live, copy))
    weighing = result.systems["SCJ-003"].weighing
    assert weighing is not None
    assert weighing.verdict == "复核"
    assert proposed_target(result, "SCJ-950") == "SCJ-003"
    assert proposed_target(result, "SCJ-003") is None


def test_merge_across_departments_can_be_turned_off(city: example.ExampleCity, assessed: Assessment) -> None:
    by_code = city.inventory.system_by_code

    def merged_across(result: Assessment) -> set[str]:
        return {
            code
            for code, item in result.systems.items()
            if (target := proposed_target(result, code)) and by_code[target].department != by_code[code].department
        }

    (pair,) = city.planted["duplicate_across"]
    assert merged_across(assessed) & set(pair.split("~"))
    only_within = assess.assess_inventory(
        city.inventory, Settings(duplicate=DuplicateSettings(merge_across_departments=False))
    )
    assert merged_across(only_within) == set()
    assert only_within.duplicate_pairs == assessed.duplicate_pairs  # still reported


# ---------------------------------------------------------------------------------------------------------
# Overrides


def test_override_wins_and_is_marked() -> None:
    override = model.DispositionOverride(
        disposition=Disposition.RETIRE,
        reason="业务已并入省级平台",
        decided_by="市大数据中心 迁移组 王磊",
        decided_on=dt.date(2026, 5, 20),
    )
    system = make_system(disposition_override=override)
    decision = assess.decide(system, zombie=[], blockers=(), merge=None)
    assert decision.disposition == Disposition.RETIRE
    assert decision.overridden
    assert decision.override == override
    assert decision.reasons[0] == "override by 市大数据中心 迁移组 王磊 on 2026-05-20: 业务已并入省级平台"
    assert decision.reasons[1].startswith("the assessment alone would decide 迁移: cloud-ready")


def test_planted_override_exempts_a_level_4_system(city: example.ExampleCity, assessed: Assessment) -> None:
    (code,) = city.planted["override"]
    decision = assessed.decision(code)
    assert decision.disposition == Disposition.EXEMPT
    assert decision.overridden
    assert decision.reasons[0].startswith("override by 市大数据中心 迁移组 王磊 on 2026-05-20: 四级系统")
    assert decision.reasons[1].startswith("the assessment alone would decide ")
    assert ReadinessBlocker.MLPS_ABOVE_CLOUD in {b.reason for b in assessed.systems[code].blockers}


# ---------------------------------------------------------------------------------------------------------
# The bundled city: what it plants is found


@pytest.mark.parametrize("criterion", list(ZombieCriterion))
def test_planted_zombies_are_found(city: example.ExampleCity, assessed: Assessment, criterion: ZombieCriterion) -> None:
    for code in city.planted[f"zombie_{criterion}"]:
        item = assessed.systems[code]
        assert criterion in {f.criterion for f in item.zombie}, code
        # Found, and either proposed (下线/整合, not in effect until confirmed) or sent to review (复核).
        assert item.decision.proposed or (item.weighing is not None and item.weighing.verdict == "复核"), code
        assert item.decision.disposition not in {Disposition.RETIRE, Disposition.MERGE}, code


@pytest.mark.parametrize(("kind", "within"), [("duplicate_within", True), ("duplicate_across", False)])
def test_planted_duplicates_are_found(city: example.ExampleCity, assessed: Assessment, kind: str, within: bool) -> None:
    pairs = {(p.a, p.b): p for p in assessed.duplicate_pairs}
    for planted in city.planted[kind]:
        a, b = sorted(planted.split("~"))
        assert pairs[(a, b)].within_department is within


def test_planted_look_alikes_are_not_duplicates(city: example.ExampleCity, assessed: Assessment) -> None:
    pairs = {(p.a, p.b) for p in assessed.duplicate_pairs}
    for planted in city.planted["lookalike_not_duplicate"]:
        a, b = sorted(planted.split("~"))
        assert (a, b) not in pairs


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("not_ready_classified", ReadinessBlocker.CLASSIFIED),
        ("not_ready_mlps", ReadinessBlocker.MLPS_ABOVE_CLOUD),
        ("not_ready_platform", ReadinessBlocker.PLATFORM),
        ("not_ready_hardware", ReadinessBlocker.SPECIAL_HARDWARE),
        ("not_ready_licence", ReadinessBlocker.LICENCE),
        ("not_ready_vendor", ReadinessBlocker.VENDOR),
    ],
)
def test_planted_blockers_are_found(
    city: example.ExampleCity, assessed: Assessment, kind: str, reason: ReadinessBlocker
) -> None:
    for code in city.planted[kind]:
        assert reason in {b.reason for b in assessed.systems[code].blockers}
        assert not assessed.systems[code].cloud_ready


def test_assessment_is_reproducible_and_counts_every_system(city: example.ExampleCity, assessed: Assessment) -> None:
    assert assessed.reference_date == city.inventory.city.census_date
    assert sum(assessed.counts().values()) == len(city.inventory.systems)
    again = assess.assess_inventory(city.inventory, Settings())
    assert again.duplicate_pairs == assessed.duplicate_pairs
    assert {c: s.decision for c, s in again.systems.items()} == {c: s.decision for c, s in assessed.systems.items()}


def test_merge_targets_always_survive(city: example.ExampleCity) -> None:
    assessed, _ = confirm_every_proposal(city.inventory)
    assert any(item.decision.disposition == Disposition.MERGE for item in assessed.systems.values())
    for item in assessed.systems.values():
        target = item.decision.merge_into
        if item.decision.disposition == Disposition.MERGE and not item.decision.overridden:
            assert target is not None
            assert assessed.decision(target).disposition in {Disposition.REHOST, Disposition.REPLATFORM}


def test_every_decision_has_reasons(assessed: Assessment) -> None:
    assert all(item.decision.reasons for item in assessed.systems.values())


# ---------------------------------------------------------------------------------------------------------
# Command line


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def invoke(runner: CliRunner, *args: str) -> Any:
    return runner.invoke(app, ["assess", *args], catch_exceptions=False)


def test_cli_json_parses_and_counts(runner: CliRunner, bundled_inventory: Path) -> None:
    result = invoke(runner, "--inventory", str(bundled_inventory), "--format", "json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["reference_date"] == "2026-06-30"
    assert sum(document["counts"].values()) == len(document["systems"]) == document["systems_assessed"]
    assert set(document["counts"]) == {str(d) for d in Disposition}
    overridden = [s for s in document["systems"] if s["overridden"]]
    assert overridden
    assert overridden[0]["override"]["decided_by"]


def test_cli_table_shows_disposition_counts(runner: CliRunner, bundled_inventory: Path) -> None:
    result = invoke(runner, "--inventory", str(bundled_inventory))
    assert result.exit_code == 0, result.output
    for title in (
        "Dispositions in effect (systems)",
        "Zombie findings (one row per finding)",
        "Zombie reviews (复核: one row per system)",
        "Duplicate pairs (one row per pair)",
        "Not cloud-ready (one row per blocker)",
        "Overrides",
    ):
        assert title in result.stdout
    assert "迁移" in result.stdout
    assert "(override)" in result.stdout


def test_cli_markdown_and_one_system(runner: CliRunner, bundled_inventory: Path) -> None:
    markdown = invoke(runner, "--inventory", str(bundled_inventory), "--format", "markdown")
    assert markdown.exit_code == 0
    assert "## Dispositions" in markdown.stdout
    assert "| disposition | systems |" in markdown.stdout
    one = invoke(runner, "--inventory", str(bundled_inventory), "--system", "GLJ-002")
    assert one.exit_code == 0
    assert "豁免 (override)" in one.stdout
    assert "override by" in one.stdout


def test_cli_unknown_system_is_an_error_without_traceback(runner: CliRunner, bundled_inventory: Path) -> None:
    result = invoke(runner, "--inventory", str(bundled_inventory), "--system", "NOPE-1")
    assert result.exit_code == 1
    assert "no system 'NOPE-1'" in result.output
    assert "Traceback" not in result.output


def test_cli_reports_invalid_settings_with_file_and_line(runner: CliRunner, inventory_copy: Path) -> None:
    (inventory_copy / "settings.yaml").write_text(
        "zombie:\n  idle_cpu_percent: 5\ncloud:\n  mlps_level: 7\n", encoding="utf-8"
    )
    result = invoke(runner, "--inventory", str(inventory_copy))
    assert result.exit_code == 1
    assert "settings.yaml:4: cloud.mlps_level:" in result.output
    assert "Traceback" not in result.output


def test_cli_settings_change_the_assessment(runner: CliRunner, inventory_copy: Path) -> None:
    def counts(extra: Callable[[], None] | None = None) -> dict[str, int]:
        if extra is not None:
            extra()
        out = invoke(runner, "--inventory", str(inventory_copy), "--format", "json")
        assert out.exit_code == 0, out.output
        return dict(json.loads(out.stdout)["proposed"])

    before = counts()
    after = counts(
        lambda: (inventory_copy / "settings.yaml").write_text("duplicate:\n  min_similarity: 0.99\n", encoding="utf-8")
    )
    assert after["整合"] < before["整合"]


def test_load_settings_defaults_without_a_file(tmp_path: Path) -> None:
    from govcloud.edges import settings_file

    inventory_files.write_inventory(tmp_path, example.generate_city(systems=60, seed=1).inventory)
    assert settings_file.load_settings(tmp_path) == Settings()
