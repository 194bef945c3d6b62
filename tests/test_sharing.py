"""Data sharing under the 政务数据共享条例: deadlines in working days, the life cycle, grants and the network."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from govcloud.cloud.core import desired
from govcloud.core import model
from govcloud.core.settings import DeclaredCalendarYear, Settings, SharingSettings
from govcloud.edges import inventory_files
from govcloud.errors import InputError, RefusedError
from govcloud.network.core import flows
from govcloud.planning.core.stages import Stage
from govcloud.sharing.core import calendar, consistency, grants, requests
from govcloud.sharing.edges import official_calendar
from test_desired import entry, sample_city

SETTINGS = SharingSettings()
OFFICIAL = official_calendar.working_calendar(SETTINGS)
CONDITIONAL = "300100/0003"  # BBB-001's 有条件共享 entry in sample_city
UNCONDITIONAL = "300100/0001"
NOT_SHARED = "300100/0002"


def new_request(
    resource: str = CONDITIONAL,
    *,
    submitted: dt.date = dt.date(2025, 9, 26),
    until: dt.date = dt.date(2026, 12, 31),
    consumer: str = "AAA-003",
    requester: str = "AAA",
) -> requests.SharingRequest:
    return requests.SharingRequest(
        id="SQ-2025-0001",
        requester=requester,
        consumer=consumer,
        resource=resource,
        basis="《社会救助暂行办法》第十条",
        scenario="救助对象资格核验",
        scope=(consumer,),
        method=requests.DeliveryMethod.SERVICE,
        use_until=until,
        approved_by="AAA 共享工作机构 负责人 张敏",
        submitted_on=submitted,
    )


def entry_of(inv: model.Inventory, code: str) -> model.CatalogueEntry:
    return inv.entry_by_code[code]


# --- working days -------------------------------------------------------------------------------------------


def test_answer_deadline_of_a_request_before_national_day_2025_skips_the_holiday_and_counts_makeup_days() -> None:
    # 2025 国庆+中秋: 1-8 October off; Sunday 28 September and Saturday 11 October are working days (调休)
    submitted = dt.date(2025, 9, 26)  # a Friday
    due = requests.answer_due(new_request(submitted=submitted), model.SharingType.CONDITIONAL, SETTINGS, OFFICIAL)
    assert due == dt.date(2025, 10, 16)
    naive = calendar.weekday_calendar([2025]).add_workdays(submitted, 10)
    assert naive == dt.date(2025, 10, 10)  # what counting weekdays alone would (wrongly) say


def test_overdue_across_national_day_only_after_the_real_deadline() -> None:
    inv, _ = sample_city()
    found = [new_request()]
    kwargs = {"settings": SETTINGS, "calendar": OFFICIAL}
    assert grants.overdue(found, inv, on=dt.date(2025, 10, 14), **kwargs) == ()  # weekdays alone: 2 days late
    assert grants.overdue(found, inv, on=dt.date(2025, 10, 16), **kwargs) == ()
    late = grants.overdue(found, inv, on=dt.date(2025, 10, 20), **kwargs)
    assert [(o.request, o.what, o.due, o.working_days_late) for o in late] == [
        ("SQ-2025-0001", "answer", dt.date(2025, 10, 16), 2)
    ]


def test_unconditional_answer_is_due_the_next_working_day_after_a_holiday() -> None:
    due = requests.answer_due(
        new_request(UNCONDITIONAL, submitted=dt.date(2025, 9, 30)), model.SharingType.UNCONDITIONAL, SETTINGS, OFFICIAL
    )
    assert due == dt.date(2025, 10, 9)


def test_a_year_nobody_declared_is_refused_and_a_declared_year_is_used() -> None:
    with pytest.raises(calendar.UnknownCalendarYear, match="2031"):
        OFFICIAL.add_workdays(dt.date(2031, 3, 2), 3)
    declared = SharingSettings(
        calendar_years=(
            DeclaredCalendarYear(year=2031, holidays=(dt.date(2031, 3, 3),), workdays=(dt.date(2031, 3, 8),)),
        )
    )
    extended = official_calendar.working_calendar(declared)
    # Sunday 2 March: Monday 3 off, Tuesday 4, Wednesday 5, Thursday 6
    assert extended.add_workdays(dt.date(2031, 3, 2), 3) == dt.date(2031, 3, 6)
    # ... and the Saturday 8 make-up day counts
    assert extended.workdays_between(dt.date(2031, 3, 6), dt.date(2031, 3, 9)) == 2


def test_a_deadline_running_into_an_undeclared_year_is_refused_not_guessed() -> None:
    last = max(official_calendar.known_official_years())
    with pytest.raises(calendar.UnknownCalendarYear):
        OFFICIAL.add_workdays(dt.date(last, 12, 28), 10)


# --- the life cycle -----------------------------------------------------------------------------------------


def granted_and_delivered(inv: model.Inventory) -> requests.SharingRequest:
    """有条件共享 from submission to delivery, with an extension."""
    conditional = entry_of(inv, CONDITIONAL)
    request = new_request()
    requests.check_new_request(request, conditional, inv)
    request = requests.extend(
        request,
        entry=conditional,
        days=5,
        on=dt.date(2025, 10, 15),
        consented_by="市大数据局",
        reason="需核对救助对象范围",
        settings=SETTINGS,
        calendar=OFFICIAL,
    )
    assert requests.answer_due(request, conditional.sharing.type, SETTINGS, OFFICIAL) == dt.date(2025, 10, 23)
    request = requests.answer(
        request, entry=conditional, granted=True, on=dt.date(2025, 10, 22), approved_by="BBB 共享工作机构 负责人 李强"
    )
    assert request.state is requests.RequestState.GRANTED
    assert requests.delivery_due(request, SETTINGS, OFFICIAL) == dt.date(2025, 11, 19)
    request = requests.deliver(request, on=dt.date(2025, 11, 3))
    assert request.state is requests.RequestState.DELIVERED
    return request


def test_conditional_request_from_submission_to_delivery_with_an_extension_is_answered_on_time() -> None:
    inv, _ = sample_city()
    delivered = granted_and_delivered(inv)
    report = grants.sharing_report([delivered], inv, on=dt.date(2025, 12, 1), settings=SETTINGS, calendar=OFFICIAL)
    provider = next(r for r in report.departments if r.department == "BBB")
    assert (provider.answered, provider.answered_late, provider.grants_delivered) == (1, 0, 1)
    assert provider.median_answer_workdays == 14  # 26 Sep → 22 Oct in working days
    assert report.city.requests_by_state == {"已提供": 1}
    assert UNCONDITIONAL in report.never_requested
    assert CONDITIONAL not in report.never_requested
    # without the extension the same answer would have been late
    unextended = delivered.model_copy(update={"extension": None})
    late = grants.sharing_report([unextended], inv, on=dt.date(2025, 12, 1), settings=SETTINGS, calendar=OFFICIAL)
    assert late.city.answered_late == 1


def test_extension_only_once_only_for_conditional_and_at_most_the_setting() -> None:
    inv, _ = sample_city()
    conditional = entry_of(inv, CONDITIONAL)
    common = {"on": dt.date(2025, 10, 9), "consented_by": "市大数据局", "reason": "r", "calendar": OFFICIAL}
    with pytest.raises(requests.TransitionRefused) as too_long:
        requests.extend(new_request(), entry=conditional, days=11, settings=SETTINGS, **common)  # type: ignore[arg-type]
    assert too_long.value.field == "extension.days"
    once = requests.extend(new_request(), entry=conditional, days=10, settings=SETTINGS, **common)  # type: ignore[arg-type]
    with pytest.raises(requests.TransitionRefused, match="once only"):
        requests.extend(once, entry=conditional, days=1, settings=SETTINGS, **common)  # type: ignore[arg-type]
    with pytest.raises(requests.TransitionRefused, match="有条件共享"):
        requests.extend(
            new_request(UNCONDITIONAL),
            entry=entry_of(inv, UNCONDITIONAL),
            days=1,
            settings=SETTINGS,
            **common,  # type: ignore[arg-type]
        )
    late = dict(common, on=dt.date(2025, 10, 17))
    with pytest.raises(requests.TransitionRefused, match="too late"):
        requests.extend(new_request(), entry=conditional, days=2, settings=SETTINGS, **late)  # type: ignore[arg-type]


def test_a_not_shared_resource_is_never_requested_or_granted() -> None:
    inv, _ = sample_city()
    secret = entry_of(inv, NOT_SHARED)
    with pytest.raises(requests.TransitionRefused) as refused_request:
        requests.check_new_request(new_request(NOT_SHARED), secret, inv)
    assert refused_request.value.field == "resource"
    with pytest.raises(requests.TransitionRefused) as refused_grant:
        requests.answer(new_request(NOT_SHARED), entry=secret, granted=True, on=dt.date(2025, 9, 29), approved_by="x")
    assert refused_grant.value.field == "answer.granted"
    # refusing it is allowed, with reasons
    refused = requests.answer(
        new_request(NOT_SHARED),
        entry=secret,
        granted=False,
        on=dt.date(2025, 9, 29),
        approved_by="x",
        reasons="法律禁止",
    )
    assert refused.state is requests.RequestState.REFUSED


def test_a_refusal_gives_reasons_and_a_request_names_known_systems_of_the_requester() -> None:
    inv, _ = sample_city()
    conditional = entry_of(inv, CONDITIONAL)
    with pytest.raises(requests.TransitionRefused) as no_reasons:
        requests.answer(new_request(), entry=conditional, granted=False, on=dt.date(2025, 9, 29), approved_by="x")
    assert no_reasons.value.field == "answer.reasons"
    with pytest.raises(requests.TransitionRefused) as foreign:
        requests.check_new_request(new_request(consumer="CCC-001"), conditional, inv)
    assert foreign.value.field == "consumer"
    with pytest.raises(requests.TransitionRefused, match="own resource"):
        requests.check_new_request(new_request(consumer="BBB-002", requester="BBB"), conditional, inv)


def test_delivery_before_an_answer_and_resume_without_suspension_are_refused() -> None:
    with pytest.raises(requests.TransitionRefused) as early:
        requests.deliver(new_request(), on=dt.date(2025, 10, 1))
    assert early.value.field == "state"
    with pytest.raises(requests.TransitionRefused):
        requests.resume(new_request(), on=dt.date(2025, 10, 1))


def test_a_dispute_climbs_the_four_steps_of_article_28_and_no_further() -> None:
    inv, _ = sample_city()
    refused = requests.answer(
        new_request(),
        entry=entry_of(inv, CONDITIONAL),
        granted=False,
        on=dt.date(2025, 10, 9),
        approved_by="x",
        reasons="r",
    )
    with pytest.raises(requests.TransitionRefused):
        requests.dispute(new_request(), on=dt.date(2025, 10, 9), note="n")
    current = refused
    for day in range(4):
        current = requests.dispute(current, on=dt.date(2025, 10, 10 + day), note="n")
    assert [s.level for s in current.disputes] == list(requests.DisputeLevel)
    with pytest.raises(requests.TransitionRefused, match="last step"):
        requests.dispute(current, on=dt.date(2025, 10, 20), note="n")


# --- grants drive the network -------------------------------------------------------------------------------


def test_the_consumers_path_through_the_exchange_opens_on_delivery_and_closes_on_suspension_and_expiry() -> None:
    inv, progress = sample_city()
    # AAA-002 runs in the Internet access zone (public hostnames): no baseline path to the exchange
    delivered = granted_and_delivered(inv).model_copy(
        update={"use_until": dt.date(2026, 3, 31), "consumer": "AAA-002", "scope": ("AAA-002", "AAA-003")}
    )
    public = flows.system_endpoint("AAA-002")
    exchange = flows.platform_endpoint("exchange")

    def matrix_on(day: dt.date, found: list[requests.SharingRequest]) -> flows.FlowMatrix:
        return flows.compute_flow_matrix(inv, progress, grants=grants.active_grants(found, inv, on=day))

    answered_only = delivered.model_copy(update={"state": requests.RequestState.GRANTED, "delivery": None})
    before = matrix_on(dt.date(2025, 10, 30), [answered_only])
    assert not before.allows(public, exchange, 443)
    assert not before.exchange_authorises("AAA-002", CONDITIONAL)
    assert not before.exchange_authorises("AAA-003", CONDITIONAL)
    during = matrix_on(dt.date(2025, 12, 1), [delivered])
    assert during.allows(public, exchange, 443)
    (opened,) = [f for f in during.involving(public) if f.destination == exchange]
    assert opened.stage is Stage.DATA
    assert "SQ-2025-0001" in opened.reason
    # AAA-003 sits in its department's zone, which reaches the exchange anyway: the grant is the
    # exchange's authorisation only, and only within the 使用范围
    assert during.exchange_authorises("AAA-003", CONDITIONAL)
    assert not [f for f in during.involving(flows.system_endpoint("AAA-003")) if f.reason.startswith("AAA-003 holds")]
    assert not during.exchange_authorises("CCC-001", CONDITIONAL)
    suspended = requests.suspend(delivered, on=dt.date(2025, 12, 2), reason="超范围使用")
    closed = matrix_on(dt.date(2025, 12, 3), [suspended])
    assert not closed.allows(public, exchange, 443)
    assert not closed.exchange_authorises("AAA-003", CONDITIONAL)
    resumed = requests.resume(suspended, on=dt.date(2025, 12, 10))
    assert matrix_on(dt.date(2025, 12, 11), [resumed]).allows(public, exchange, 443)
    after = matrix_on(dt.date(2026, 4, 1), [resumed])
    assert not after.allows(public, exchange, 443)
    assert not after.exchange_authorises("AAA-003", CONDITIONAL)


def test_the_exchange_authorisation_list_is_rendered_with_the_desired_state_and_empties_on_expiry() -> None:
    inv, progress = sample_city()
    delivered = granted_and_delivered(inv).model_copy(update={"use_until": dt.date(2026, 3, 31)})

    def authorisations(day: dt.date) -> dict[str, str]:
        state = desired.desired_state(inv, progress, Settings(), grants=grants.active_grants([delivered], inv, on=day))
        found = [
            m
            for m in state.platform
            if m["kind"] == "ConfigMap" and m["metadata"]["name"] == desired.EXCHANGE_AUTHORISATIONS
        ]
        assert len(found) == 1
        assert found[0]["metadata"]["namespace"] == "govcloud-exchange"
        data: dict[str, str] = found[0]["data"]
        return data

    opened = authorisations(dt.date(2025, 12, 1))
    assert list(opened) == ["AAA-003.300100_0003"]
    assert "expires=2026-03-31" in opened["AAA-003.300100_0003"]
    assert "conditions=仅限相关部门" in opened["AAA-003.300100_0003"]
    assert authorisations(dt.date(2026, 4, 1)) == {}
    # without grants (sharing not rendered) there is no list at all, and nothing else changes
    plain = desired.desired_state(inv, progress, Settings())
    assert not [m for m in plain.platform if m["kind"] == "ConfigMap"]


def test_consuming_a_conditional_entry_without_a_grant_is_found() -> None:
    inv, _ = sample_city()
    consumer = inv.system_by_code["AAA-003"].model_copy(update={"consumes": (CONDITIONAL, UNCONDITIONAL)})
    changed = inv.model_copy(update={"systems": tuple(consumer if s.code == "AAA-003" else s for s in inv.systems)})
    assert grants.ungranted_consumption(changed, ()) == (("AAA-003", CONDITIONAL),)
    delivered = granted_and_delivered(changed)
    active = grants.active_grants([delivered], changed, on=dt.date(2025, 12, 1))
    assert grants.ungranted_consumption(changed, active) == ()


def test_a_grant_of_a_vanished_or_not_shared_entry_authorises_nothing() -> None:
    inv, _ = sample_city()
    delivered = granted_and_delivered(inv)
    secret = entry("300100/0003", "BBB-001", model.SharingType.NOT_SHARED)
    changed = inv.model_copy(update={"catalogue": tuple(secret if e.code == CONDITIONAL else e for e in inv.catalogue)})
    assert grants.active_grants([delivered], changed, on=dt.date(2025, 12, 1)) == ()
    assert isinstance(requests.TransitionRefused("x", "f", "m"), RefusedError)


# --- catalogue consistency ----------------------------------------------------------------------------------


def test_catalogue_findings_name_personal_information_one_source_and_consumption_without_grant() -> None:
    inv, _ = sample_city()
    personal = entry("300100/0004", "BBB-002", model.SharingType.UNCONDITIONAL).model_copy(
        update={"data_items": (model.DataItem(name="救助对象姓名", type=model.DataItemType.C),), "name": "救助名册"}
    )
    twin = entry("300100/0005", "AAA-002", model.SharingType.CONDITIONAL).model_copy(update={"name": "救助名册"})
    consumer = inv.system_by_code["AAA-003"].model_copy(update={"consumes": (CONDITIONAL,)})
    changed = inv.model_copy(
        update={
            "catalogue": (*inv.catalogue, personal, twin),
            "systems": tuple(consumer if s.code == "AAA-003" else s for s in inv.systems),
        }
    )
    found = consistency.catalogue_findings(changed, ())
    assert [(f.department, f.subject, f.rule) for f in found] == [
        ("AAA", "300100/0005", "one-source"),
        ("AAA", f"AAA-003 → {CONDITIONAL}", "consumes-without-grant"),
        ("BBB", "300100/0004", "one-source"),
        ("BBB", "300100/0004", "personal-unconditional"),
    ]
    active = grants.active_grants([granted_and_delivered(changed)], changed, on=dt.date(2025, 12, 1))
    assert "consumes-without-grant" not in {f.rule for f in consistency.catalogue_findings(changed, active)}
    assert consistency.catalogue_findings(inv, ()) == ()


def test_not_shared_must_cite_a_law_regulation_or_state_council_decision(inventory_copy: Path) -> None:
    path = next(
        p for p in sorted((inventory_copy / "departments").glob("*.yaml")) if "legal_basis:" in p.read_text("utf-8")
    )
    text = path.read_text(encoding="utf-8")
    basis_line = next(line for line in text.splitlines() if "legal_basis:" in line)
    path.write_text(text.replace(basis_line, basis_line.split(":")[0] + ": 本局内部管理规定", 1), encoding="utf-8")
    with pytest.raises(InputError) as refused:
        inventory_files.load_inventory(inventory_copy)
    assert [p.field.endswith("sharing.legal_basis") for p in refused.value.problems] == [True]
    assert any("本局内部管理规定" in p.message for p in refused.value.problems)
    path.write_text(
        text.replace(basis_line, basis_line.split(":")[0] + ": 《国务院关于某事项的决定》第三条", 1), encoding="utf-8"
    )
    inventory_files.load_inventory(inventory_copy)  # a State Council decision is a basis
