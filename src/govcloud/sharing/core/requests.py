"""Sharing requests (共享申请) and their life cycle under the 政务数据共享条例. Pure.

A request (Art. 20) states its basis, scenario, scope, method and time limit, approved by the head of the
requester's 政务数据共享工作机构. The provider answers (Art. 21: 无条件共享 within 1 working day, 有条件共享
within 10, one extension of at most 10 with the 主管部门's consent; a refusal gives reasons), delivers within 20
working days of agreeing (Art. 22) by 服务接口, 批量交换 or 文件下载, may suspend a grant on misuse until fixed
(Art. 25, 27), and a dispute climbs negotiation → 主管部门 → common superior → government (Art. 28).

Each transition is a function from a request to a new request that refuses (:class:`TransitionRefused`,
naming the field) anything the regulation or the state forbids; nothing here reads a clock or a file: the
date of each step and the calendar are passed in.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import pydantic

from govcloud.core import model
from govcloud.core.settings import SharingSettings
from govcloud.errors import RefusedError
from govcloud.sharing.core import deadlines, vocabulary
from govcloud.sharing.core.calendar import WorkingCalendar

RequestState = vocabulary.RequestState
DeliveryMethod = vocabulary.DeliveryMethod
DisputeLevel = vocabulary.DisputeLevel

REQUEST_ID_PATTERN = r"^SQ-\d{4}-\d{4,8}$"
"""共享申请 numbers: ``SQ-<year>-<sequence>``; also the request file's name."""


DISPUTE_ORDER = tuple(DisputeLevel)


class _Part(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


NonEmpty = Annotated[str, pydantic.StringConstraints(min_length=1, strip_whitespace=True)]


class Extension(_Part):
    """The one extension of the answer deadline a 有条件共享 request may get."""

    days: Annotated[int, pydantic.Field(ge=1)]
    date: dt.date
    consented_by: NonEmpty = pydantic.Field(description="the 主管部门 that consented")
    reason: NonEmpty
    requester_notified: bool = True


class Answer(_Part):
    granted: bool
    date: dt.date
    approved_by: NonEmpty = pydantic.Field(description="head of the provider's 工作机构 (Art. 20)")
    reasons: str | None = pydantic.Field(default=None, description="required for a refusal (Art. 21)")
    conditions: str | None = pydantic.Field(default=None, description="conditions of use of a 有条件共享 grant")


class Delivery(_Part):
    date: dt.date
    method: DeliveryMethod


class Suspension(_Part):
    date: dt.date
    reason: NonEmpty
    resumed_on: dt.date | None = None


class DisputeStep(_Part):
    date: dt.date
    level: DisputeLevel
    note: NonEmpty


class SharingRequest(_Part):
    """One 共享申请: what the requester asked (Art. 20), and what happened to it since."""

    id: Annotated[str, pydantic.StringConstraints(pattern=REQUEST_ID_PATTERN)]
    requester: model.DepartmentCode = pydantic.Field(description="the requesting department")
    consumer: model.SystemCode = pydantic.Field(description="the system that will use the data")
    resource: Annotated[str, pydantic.StringConstraints(pattern=model.RESOURCE_CODE_PATTERN)]
    basis: NonEmpty = pydantic.Field(description="使用依据")
    scenario: NonEmpty = pydantic.Field(description="使用场景")
    scope: tuple[model.SystemCode, ...] = pydantic.Field(
        min_length=1, description="使用范围: the systems that may use the data (the consumer among them)"
    )
    method: DeliveryMethod = pydantic.Field(description="共享方式 asked for")
    use_until: dt.date = pydantic.Field(description="使用时限: the grant expires after this day")
    approved_by: NonEmpty = pydantic.Field(description="head of the requester's 工作机构 (Art. 20)")
    submitted_on: dt.date
    state: RequestState = RequestState.SUBMITTED
    extension: Extension | None = None
    answer: Answer | None = None
    delivery: Delivery | None = None
    suspensions: tuple[Suspension, ...] = ()
    disputes: tuple[DisputeStep, ...] = ()

    @pydantic.model_validator(mode="after")
    def _consistent(self) -> SharingRequest:
        if self.consumer not in self.scope:
            raise ValueError(f"scope must include the consumer {self.consumer}")
        if self.use_until < self.submitted_on:
            raise ValueError("use_until is before submitted_on")
        return self


class TransitionRefused(RefusedError):
    """A transition the state or the regulation forbids; ``field`` names what is wrong."""

    def __init__(self, request_id: str, field: str, message: str) -> None:
        self.request_id = request_id
        self.field = field
        self.message = message
        super().__init__(f"{request_id}: {field}: {message}")


# --- deadlines -----------------------------------------------------------------------------------------------


def facts(request: SharingRequest) -> deadlines.RequestFacts:
    """What the deadlines of ``request`` depend on, as the plain tuple ``share overdue`` caches."""
    return deadlines.RequestFacts(
        request.id,
        request.requester,
        request.consumer,
        request.resource,
        request.state.value,
        request.submitted_on,
        request.extension.days if request.extension else 0,
        request.answer.date if request.answer else None,
        request.answer.granted if request.answer else False,
    )


def deadline_settings(settings: SharingSettings) -> deadlines.DeadlineSettings:
    return deadlines.DeadlineSettings(
        settings.unconditional_answer_days, settings.conditional_answer_days, settings.delivery_days
    )


def answer_days(sharing_type: model.SharingType, settings: SharingSettings) -> int:
    """Art. 21: working days to answer, before any extension."""
    if sharing_type is model.SharingType.UNCONDITIONAL:
        return settings.unconditional_answer_days
    return settings.conditional_answer_days


def answer_due(
    request: SharingRequest, sharing_type: model.SharingType, settings: SharingSettings, calendar: WorkingCalendar
) -> dt.date:
    """The last day of the answer, with the extension if one was granted."""
    days = answer_days(sharing_type, settings) + (request.extension.days if request.extension else 0)
    return calendar.add_workdays(request.submitted_on, days)


def delivery_due(request: SharingRequest, settings: SharingSettings, calendar: WorkingCalendar) -> dt.date | None:
    """Art. 22: the last day of delivery, counted from a granting answer; None before one."""
    if request.answer is None or not request.answer.granted:
        return None
    return calendar.add_workdays(request.answer.date, settings.delivery_days)


# --- transitions ---------------------------------------------------------------------------------------------


def _require_state(request: SharingRequest, allowed: tuple[RequestState, ...], action: str) -> None:
    if request.state not in allowed:
        names = " or ".join(s.value for s in allowed)
        raise TransitionRefused(
            request.id, "state", f"cannot {action} a request that is {request.state.value} (needs {names})"
        )


def _require_not_before(request: SharingRequest, on: dt.date, last: dt.date, field: str) -> None:
    if on < last:
        raise TransitionRefused(request.id, field, f"{on.isoformat()} is before {last.isoformat()}")


def check_new_request(request: SharingRequest, entry: model.CatalogueEntry | None, inventory: model.Inventory) -> None:
    """Refuse a request that names an unknown resource, system or department, or asks for a 不予共享 resource."""
    if entry is None:
        raise TransitionRefused(request.id, "resource", f"no catalogue entry {request.resource}")
    if request.requester not in inventory.department_by_code:
        raise TransitionRefused(request.id, "requester", f"no department {request.requester}")
    systems = inventory.system_by_code
    for field, codes in (("consumer", (request.consumer,)), ("scope", request.scope)):
        for code in codes:
            system = systems.get(code)
            if system is None:
                raise TransitionRefused(request.id, field, f"no system {code}")
            if system.department != request.requester:
                raise TransitionRefused(request.id, field, f"{code} is not a system of {request.requester}")
    if entry.provider == request.requester:
        raise TransitionRefused(request.id, "resource", f"{entry.code} is the requester's own resource")
    if entry.sharing.type is model.SharingType.NOT_SHARED:
        raise TransitionRefused(
            request.id, "resource", f"{entry.code} is 不予共享 ({entry.sharing.legal_basis or 'no basis cited'})"
        )
    if request.state is not RequestState.SUBMITTED or request.answer or request.delivery or request.extension:
        raise TransitionRefused(
            request.id, "state", "a new request starts as 已申请 with no answer, extension or delivery"
        )


def extend(
    request: SharingRequest,
    *,
    entry: model.CatalogueEntry,
    days: int,
    on: dt.date,
    consented_by: str,
    reason: str,
    settings: SharingSettings,
    calendar: WorkingCalendar,
) -> SharingRequest:
    """Art. 21: one extension of a 有条件共享 answer, at most ``max_extension_days``, asked before the deadline."""
    _require_state(request, (RequestState.SUBMITTED,), "extend")
    if entry.sharing.type is not model.SharingType.CONDITIONAL:
        raise TransitionRefused(
            request.id, "extension", f"only a 有条件共享 answer may be extended ({entry.sharing.type.value})"
        )
    if request.extension is not None:
        raise TransitionRefused(
            request.id, "extension", f"already extended on {request.extension.date.isoformat()}: once only"
        )
    if not 1 <= days <= settings.max_extension_days:
        raise TransitionRefused(
            request.id, "extension.days", f"{days} working days; the 条例 allows 1 to {settings.max_extension_days}"
        )
    _require_not_before(request, on, request.submitted_on, "extension.date")
    due = answer_due(request, entry.sharing.type, settings, calendar)
    if on > due:
        raise TransitionRefused(
            request.id, "extension.date", f"the answer was due on {due.isoformat()}: too late to extend"
        )
    extension = Extension(days=days, date=on, consented_by=consented_by, reason=reason)
    return request.model_copy(update={"extension": extension})


def answer(
    request: SharingRequest,
    *,
    entry: model.CatalogueEntry,
    granted: bool,
    on: dt.date,
    approved_by: str,
    reasons: str | None = None,
    conditions: str | None = None,
) -> SharingRequest:
    """Art. 21: yes or no. A refusal gives reasons; a 不予共享 resource is never granted."""
    _require_state(request, (RequestState.SUBMITTED,), "answer")
    _require_not_before(
        request, on, request.extension.date if request.extension else request.submitted_on, "answer.date"
    )
    if granted and entry.sharing.type is model.SharingType.NOT_SHARED:
        raise TransitionRefused(
            request.id,
            "answer.granted",
            f"{entry.code} is 不予共享 under {entry.sharing.legal_basis or 'a cited basis'}: it cannot be granted",
        )
    if not granted and not (reasons or "").strip():
        raise TransitionRefused(request.id, "answer.reasons", "a refusal must give its reasons (Art. 21)")
    if granted and entry.sharing.type is model.SharingType.CONDITIONAL and not (conditions or entry.sharing.conditions):
        raise TransitionRefused(request.id, "answer.conditions", "a 有条件共享 grant states its conditions of use")
    if granted and conditions is None:
        conditions = entry.sharing.conditions
    state = RequestState.GRANTED if granted else RequestState.REFUSED
    made = Answer(granted=granted, date=on, approved_by=approved_by, reasons=reasons, conditions=conditions)
    return request.model_copy(update={"answer": made, "state": state})


def deliver(request: SharingRequest, *, on: dt.date, method: DeliveryMethod | None = None) -> SharingRequest:
    """Art. 22: the provider delivers what it granted."""
    _require_state(request, (RequestState.GRANTED,), "deliver")
    assert request.answer is not None  # a granted request has its answer
    _require_not_before(request, on, request.answer.date, "delivery.date")
    if on > request.use_until:
        raise TransitionRefused(request.id, "delivery.date", f"the grant expired on {request.use_until.isoformat()}")
    delivery = Delivery(date=on, method=method or request.method)
    return request.model_copy(update={"delivery": delivery, "state": RequestState.DELIVERED})


def suspend(request: SharingRequest, *, on: dt.date, reason: str) -> SharingRequest:
    """Art. 25/27: misuse suspends a delivered grant until it is fixed."""
    _require_state(request, (RequestState.DELIVERED,), "suspend")
    assert request.delivery is not None
    _require_not_before(request, on, request.delivery.date, "suspensions.date")
    added = (*request.suspensions, Suspension(date=on, reason=reason))
    return request.model_copy(update={"suspensions": added, "state": RequestState.SUSPENDED})


def resume(request: SharingRequest, *, on: dt.date) -> SharingRequest:
    """The misuse is fixed: the grant runs again (until its time limit)."""
    _require_state(request, (RequestState.SUSPENDED,), "resume")
    last = request.suspensions[-1]
    _require_not_before(request, on, last.date, "suspensions.resumed_on")
    resumed = (*request.suspensions[:-1], last.model_copy(update={"resumed_on": on}))
    return request.model_copy(update={"suspensions": resumed, "state": RequestState.DELIVERED})


def dispute(request: SharingRequest, *, on: dt.date, note: str) -> SharingRequest:
    """Art. 28: the dispute climbs one step (negotiation first); the government's step is the last."""
    if request.state is RequestState.SUBMITTED:
        raise TransitionRefused(request.id, "disputes", "nothing to dispute before an answer")
    if request.disputes:
        _require_not_before(request, on, request.disputes[-1].date, "disputes.date")
        position = DISPUTE_ORDER.index(request.disputes[-1].level) + 1
        if position >= len(DISPUTE_ORDER):
            raise TransitionRefused(request.id, "disputes", "already before 本级人民政府, the last step (Art. 28)")
    else:
        position = 0
    step = DisputeStep(date=on, level=DISPUTE_ORDER[position], note=note)
    return request.model_copy(update={"disputes": (*request.disputes, step)})


# --- where a request stands ----------------------------------------------------------------------------------


def is_active_grant(request: SharingRequest, on: dt.date) -> bool:
    """Granted, delivered, not suspended and not expired on ``on``: the exchange lets the consumer in."""
    return (
        request.state is RequestState.DELIVERED
        and request.delivery is not None
        and request.delivery.date <= on <= request.use_until
    )
